"""Notebook 02's exercise checks: pass the solution, fail the stub and plausible wrong answers."""
import pytest
import torch

from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb02 import check_d_step, check_g_step
from gan_helpers.losses import discriminator_loss, generator_loss_nonsaturating, generator_loss_saturating


def d_solution(G, D, opt_D, x_real, z):
    x_fake = G(z).detach()
    loss_D = discriminator_loss(D(x_real), D(x_fake))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D


def g_solution(G, D, opt_G, z):
    loss_G = generator_loss_nonsaturating(D(G(z)))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G.item()


def stub(*args):
    raise NotImplementedError()


def d_no_detach(G, D, opt_D, x_real, z):
    loss_D = discriminator_loss(D(x_real), D(G(z)))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D


def d_swapped(G, D, opt_D, x_real, z):
    loss_D = discriminator_loss(D(G(z).detach()), D(x_real))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D


def d_no_zero_grad(G, D, opt_D, x_real, z):
    loss_D = discriminator_loss(D(x_real), D(G(z).detach()))
    loss_D.backward()
    opt_D.step()
    return loss_D


def d_averaged(G, D, opt_D, x_real, z):
    loss_D = discriminator_loss(D(x_real), D(G(z).detach())) / 2
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D


def d_no_step(G, D, opt_D, x_real, z):
    loss_D = discriminator_loss(D(x_real), D(G(z).detach()))
    opt_D.zero_grad()
    loss_D.backward()
    return loss_D


def g_saturating(G, D, opt_G, z):
    loss_G = generator_loss_saturating(D(G(z)))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G


def g_detached(G, D, opt_G, z):
    loss_G = generator_loss_nonsaturating(D(G(z).detach()))
    opt_G.zero_grad()
    return loss_G


def g_steps_D_too(G, D, opt_G, z):
    loss_G = generator_loss_nonsaturating(D(G(z)))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    with torch.no_grad():
        for p in D.parameters():
            p -= 0.1 * p.grad
    return loss_G


def g_no_zero_grad(G, D, opt_G, z):
    loss_G = generator_loss_nonsaturating(D(G(z)))
    loss_G.backward()
    opt_G.step()
    return loss_G


def g_returns_nothing(G, D, opt_G, z):
    g_solution(G, D, opt_G, z)


def test_solutions_pass(capsys):
    assert check_d_step(d_solution) and check_g_step(g_solution)
    out = capsys.readouterr().out
    assert "PASSED d_step" in out and "PASSED g_step" in out


@pytest.mark.parametrize("check", [check_d_step, check_g_step])
def test_stub_fails_with_a_hint(check):
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check(stub)


@pytest.mark.parametrize("fn,match", [(d_no_detach, "detach"), (d_swapped, "swapped"),
                                      (d_no_zero_grad, "zero_grad"), (d_averaged, "half"),
                                      (d_no_step, "opt_D.step")])
def test_wrong_d_steps_fail(fn, match):
    with pytest.raises(CheckFailed, match=match):
        check_d_step(fn)


@pytest.mark.parametrize("fn,match", [(g_saturating, "saturating"), (g_detached, "must NOT be detached"),
                                      (g_steps_D_too, "D's parameters changed"), (g_no_zero_grad, "zero_grad"),
                                      (g_returns_nothing, "should return the loss")])
def test_wrong_g_steps_fail(fn, match):
    with pytest.raises(CheckFailed, match=match):
        check_g_step(fn)
