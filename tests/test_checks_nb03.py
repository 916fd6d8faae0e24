"""Notebook 03's exercise checks pass the solutions and fail stubs and plausible mistakes."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import linalg

from gan_helpers.checks import CheckFailed
from gan_helpers.checks import nb03
from gan_helpers.latent.space import slerp as library_slerp
from gan_helpers.losses import discriminator_loss, generator_loss_nonsaturating
from gan_helpers.metrics.mnist import frechet_distance


def stub(*args, **kwargs):
    raise NotImplementedError()


# -- FID from features ---------------------------------------------------------------------
def _stats(f_real, f_fake):
    a, b = f_real.double().numpy(), f_fake.double().numpy()
    return a.mean(0), b.mean(0), np.cov(a, rowvar=False), np.cov(b, rowvar=False)


def fid_solution(f_real, f_fake):          # the notebook's model solution
    mu_a, mu_b, s_a, s_b = _stats(f_real, f_fake)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        covmean = linalg.sqrtm(s_a @ s_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a + s_b - 2 * covmean))


def _fid_with(cross, mean_term=lambda d: (d ** 2).sum(), factor=2.0):
    def fid(f_real, f_fake):
        mu_a, mu_b, s_a, s_b = _stats(f_real, f_fake)
        return float(mean_term(mu_a - mu_b) + np.trace(s_a + s_b) - factor * np.trace(cross(s_a, s_b)))
    return fid


def test_fid_solution_and_library_pass(capsys):
    assert nb03.check_fid(fid_solution)
    assert nb03.check_fid(frechet_distance)              # the library's version is the same number
    assert nb03.check_fid(lambda a, b: torch.tensor(fid_solution(a, b)))   # a 0-dim tensor is fine
    assert "PASSED FID" in capsys.readouterr().out


def test_fid_stub_and_mistakes_fail():
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb03.check_fid(stub)
    with pytest.raises(CheckFailed, match="elementwise"):
        nb03.check_fid(_fid_with(lambda a, b: np.sqrt(np.abs(a @ b))))
    with pytest.raises(CheckFailed, match="product of the two square roots"):
        nb03.check_fid(_fid_with(lambda a, b: linalg.sqrtm(a).real @ linalg.sqrtm(b).real))
    with pytest.raises(CheckFailed, match="factor 2"):
        nb03.check_fid(_fid_with(lambda a, b: linalg.sqrtm(a @ b).real, factor=1.0))
    with pytest.raises(CheckFailed, match="SQUARED"):
        nb03.check_fid(_fid_with(lambda a, b: linalg.sqrtm(a @ b).real, mean_term=lambda d: np.sqrt((d ** 2).sum())))
    with pytest.raises(CheckFailed, match="mean term"):
        nb03.check_fid(_fid_with(lambda a, b: linalg.sqrtm(a @ b).real, mean_term=lambda d: 0.0))
    with pytest.raises(CheckFailed, match="complex"):
        nb03.check_fid(lambda a, b: complex(fid_solution(a, b), 1e-9))

    def diagonal(f_real, f_fake):
        mu_a, mu_b, s_a, s_b = _stats(f_real, f_fake)
        return float(((mu_a - mu_b) ** 2).sum() + ((np.sqrt(np.diag(s_a)) - np.sqrt(np.diag(s_b))) ** 2).sum())
    with pytest.raises(CheckFailed, match="variances"):
        nb03.check_fid(diagonal)


# -- slerp ---------------------------------------------------------------------------------
def slerp_solution(z0, z1, t):
    omega = torch.arccos((z0 @ z1 / (z0.norm() * z1.norm())).clamp(-1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def test_slerp_solution_and_library_pass():
    assert nb03.check_slerp(slerp_solution)
    assert nb03.check_slerp(library_slerp)               # norm interpolated linearly: accepted


def test_slerp_stub_and_mistakes_fail():
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb03.check_slerp(stub)
    with pytest.raises(CheckFailed, match="lerp"):
        nb03.check_slerp(lambda z0, z1, t: (1 - t) * z0 + t * z1)
    with pytest.raises(CheckFailed, match="swapped"):
        nb03.check_slerp(lambda z0, z1, t: slerp_solution(z0, z1, 1 - t))

    def unnormalised(z0, z1, t):                         # cos Omega taken as the raw dot product
        omega = torch.arccos((z0 @ z1).clamp(-1, 1))
        return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)
    with pytest.raises(CheckFailed, match="normalise"):
        nb03.check_slerp(unnormalised)


# -- the planted bug: G phase ----------------------------------------------------------------
def g_phase(D, opt_G, x_fake):
    loss_G = generator_loss_nonsaturating(D(x_fake))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G


def g_phase_planted(D, opt_G, x_fake):               # the bug planted in the notebook
    logits = D(x_fake)
    loss_G = F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G


def g_phase_saturating(D, opt_G, x_fake):
    logits = D(x_fake)
    loss_G = -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G


def g_phase_detached(D, opt_G, x_fake):
    loss_G = generator_loss_nonsaturating(D(x_fake.detach()))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G


def test_g_phase():
    assert nb03.check_g_phase(g_phase)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb03.check_g_phase(stub)
    with pytest.raises(CheckFailed, match="planted bug"):
        nb03.check_g_phase(g_phase_planted)
    with pytest.raises(CheckFailed, match="minimax"):
        nb03.check_g_phase(g_phase_saturating)
    with pytest.raises(CheckFailed, match="did not change"):
        nb03.check_g_phase(g_phase_detached)


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
