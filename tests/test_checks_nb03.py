"""Notebook 03's exercise checks pass the solutions and fail stubs and plausible mistakes."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_helpers.checks import CheckFailed
from gan_helpers.checks import nb03
from gan_helpers.losses import discriminator_loss


def stub(*args, **kwargs):
    raise NotImplementedError()


# -- generator block -----------------------------------------------------------------------
def gen_block(i, o):
    return nn.Sequential(nn.Linear(i, o), nn.BatchNorm1d(o), nn.LeakyReLU(0.2))


def test_generator_block(capsys):
    assert nb03.check_generator_block(gen_block)
    assert "PASSED" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb03.check_generator_block(stub)
    with pytest.raises(CheckFailed, match="BatchNorm1d"):
        nb03.check_generator_block(lambda i, o: nn.Sequential(nn.Linear(i, o), nn.LeakyReLU(0.2)))
    with pytest.raises(CheckFailed, match="not ReLU"):
        nb03.check_generator_block(lambda i, o: nn.Sequential(nn.Linear(i, o), nn.BatchNorm1d(o), nn.ReLU()))
    with pytest.raises(CheckFailed, match="in that order"):
        nb03.check_generator_block(lambda i, o: nn.Sequential(nn.Linear(i, o), nn.LeakyReLU(0.2), nn.BatchNorm1d(o)))
    with pytest.raises(CheckFailed, match="slope"):
        nb03.check_generator_block(lambda i, o: nn.Sequential(nn.Linear(i, o), nn.BatchNorm1d(o), nn.LeakyReLU()))


# -- discriminator block -------------------------------------------------------------------
def disc_block(i, o, dropout=0.3):
    return nn.Sequential(nn.Linear(i, o), nn.LeakyReLU(0.2), nn.Dropout(dropout))


def test_discriminator_block():
    assert nb03.check_discriminator_block(disc_block)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb03.check_discriminator_block(stub)
    with pytest.raises(CheckFailed, match="Dropout"):
        nb03.check_discriminator_block(lambda i, o, d=0.3: nn.Sequential(nn.Linear(i, o), nn.LeakyReLU(0.2)))
    with pytest.raises(CheckFailed, match="dropout argument"):
        nb03.check_discriminator_block(lambda i, o, d=0.3: nn.Sequential(nn.Linear(i, o), nn.LeakyReLU(0.2), nn.Dropout(0.5)))
    # Dropout on the block's input instead of its output.
    with pytest.raises(CheckFailed, match="should be dropped"):
        nb03.check_discriminator_block(lambda i, o, d=0.3: nn.Sequential(nn.Dropout(d), nn.Linear(i, o), nn.LeakyReLU(0.2)))
    with pytest.raises(CheckFailed, match="eval mode"):
        nb03.check_discriminator_block(lambda i, o, d=0.3: nn.Sequential(nn.Linear(i, o), nn.LeakyReLU(0.01), nn.Dropout(d)))


# -- losses --------------------------------------------------------------------------------
def d_loss(lr, lf):
    return (F.binary_cross_entropy_with_logits(lr, torch.ones_like(lr))
            + F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)))


def g_loss(lf):
    return F.binary_cross_entropy_with_logits(lf, torch.ones_like(lf))


def test_losses():
    assert nb03.check_losses(d_loss, g_loss)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb03.check_losses(stub, g_loss)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb03.check_losses(d_loss, stub)
    with pytest.raises(CheckFailed, match="SUM"):
        nb03.check_losses(lambda a, b: d_loss(a, b) / 2, g_loss)
    with pytest.raises(CheckFailed, match="swapped"):
        nb03.check_losses(lambda a, b: d_loss(b, a), g_loss)
    with pytest.raises(CheckFailed, match="sigmoid"):
        nb03.check_losses(lambda a, b: d_loss(torch.sigmoid(a), torch.sigmoid(b)), g_loss)
    with pytest.raises(CheckFailed, match="saturating loss"):
        nb03.check_losses(d_loss, lambda lf: -F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)))
    with pytest.raises(CheckFailed, match="labels the fakes 0"):
        nb03.check_losses(d_loss, lambda lf: F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)))


# -- detach --------------------------------------------------------------------------------
def d_step(G, D, opt_D, x_real, z):
    x_fake = G(z)
    loss_D = discriminator_loss(D(x_real), D(x_fake.detach()))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D


def d_step_missing_detach(G, D, opt_D, x_real, z):
    x_fake = G(z)
    loss_D = discriminator_loss(D(x_real), D(x_fake))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D


def d_step_no_update(G, D, opt_D, x_real, z):
    return discriminator_loss(D(x_real), D(G(z).detach()))


def test_d_step():
    assert nb03.check_d_step(d_step)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb03.check_d_step(stub)
    with pytest.raises(CheckFailed, match="must be detached"):
        nb03.check_d_step(d_step_missing_detach)
    with pytest.raises(CheckFailed, match="did not change"):
        nb03.check_d_step(d_step_no_update)
