"""Notebook 06's exercise checks: each passes the model solution, fails the stub and fails
the plausible wrong answers with the message that teaches (the per-pixel norm among them)."""
import pytest
import torch

from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb06 import check_gradient_penalty, check_hinge_losses, check_power_iteration


def stub(*_args, **_kw):
    raise NotImplementedError()


# ---------------------------------------------------------------- hinge losses
def critic_loss(out_real, out_fake):
    return torch.relu(1 - out_real).mean() + torch.relu(1 + out_fake).mean()


def generator_loss(out_fake):
    return -out_fake.mean()


def test_hinge_losses():
    assert check_hinge_losses(critic_loss, generator_loss)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_hinge_losses(stub, generator_loss)
    with pytest.raises(CheckFailed, match="relu is missing"):
        check_hinge_losses(lambda r, f: (1 - r).mean() + (1 + f).mean(), generator_loss)
    with pytest.raises(CheckFailed, match="margins are swapped"):
        check_hinge_losses(lambda r, f: torch.relu(1 + r).mean() + torch.relu(1 - f).mean(), generator_loss)
    with pytest.raises(CheckFailed, match="summed"):
        check_hinge_losses(lambda r, f: torch.relu(1 - r).sum() + torch.relu(1 + f).sum(), generator_loss)
    with pytest.raises(CheckFailed, match="Wasserstein critic loss"):
        check_hinge_losses(lambda r, f: f.mean() - r.mean(), generator_loss)
    with pytest.raises(CheckFailed, match="wrong sign"):
        check_hinge_losses(critic_loss, lambda f: f.mean())
    with pytest.raises(CheckFailed, match="no hinge"):
        check_hinge_losses(critic_loss, lambda f: torch.relu(1 - f).mean())


# ---------------------------------------------------------------- gradient penalty
def _gp(D, x_real, x_fake, generator, per_pixel=False, eps_per_pixel=False, at=None, square=True, target=1.0,
        create_graph=True):
    n = len(x_real)
    shape = x_real.shape if eps_per_pixel else (n, *([1] * (x_real.ndim - 1)))
    eps = torch.rand(shape, generator=generator)
    x_hat = eps * x_real + (1 - eps) * x_fake if at is None else at
    x_hat = x_hat.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=create_graph)
    norms = g.norm(2, dim=1) if per_pixel else g.flatten(1).norm(2, dim=1)
    d = norms - target
    return (d ** 2).mean() if square else d.abs().mean()


def test_gradient_penalty_solution_passes():
    assert check_gradient_penalty(_gp)


@pytest.mark.parametrize("wrong, message", [
    (stub, "NotImplementedError"),
    (lambda D, r, f, g: _gp(D, r, f, g, per_pixel=True), "one norm per pixel"),
    (lambda D, r, f, g: _gp(D, r, f, g, eps_per_pixel=True), "one value per pixel"),
    (lambda D, r, f, g: _gp(D, r, f, g, at=r), "real samples only"),
    (lambda D, r, f, g: _gp(D, r, f, g, square=False), "Square the distance"),
    (lambda D, r, f, g: _gp(D, r, f, g, target=0.0), "towards 1, not towards 0"),
    (lambda D, r, f, g: _gp(D, r, f, g, create_graph=False), "create_graph=True"),
])
def test_gradient_penalty_wrong_answers_fail(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check_gradient_penalty(wrong)


# ---------------------------------------------------------------- power iteration
def power_iteration(W, n_iter):
    v = torch.ones(W.shape[1]) / W.shape[1] ** 0.5
    for _ in range(n_iter):
        u = W @ v
        u = u / u.norm()
        v = W.T @ u
        v = v / v.norm()
    return float(u @ W @ v)


def test_power_iteration():
    assert check_power_iteration(power_iteration)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_power_iteration(stub)
    with pytest.raises(CheckFailed, match="Frobenius"):
        check_power_iteration(lambda W, n: float(W.norm()))
    with pytest.raises(CheckFailed, match="largest entry"):
        check_power_iteration(lambda W, n: float(W.abs().max()))
    with pytest.raises(CheckFailed, match="sigma squared"):
        check_power_iteration(lambda W, n: power_iteration(W, n) ** 2)
