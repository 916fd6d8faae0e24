"""Notebook 06's exercise checks: each passes the model solution, fails the stub and fails
the plausible wrong answers and the shortcuts with the message that teaches (the per-pixel norm,
one epsilon per batch, the library's own function, an SVD in place of power iteration)."""
import numpy as np
import pytest
import torch

from gan_helpers.stabilizers import lipschitz
from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb06 import check_gradient_penalty, check_hinge_losses, check_power_iteration
from gan_helpers.stabilizers.lipschitz import (gradient_penalty, per_sample_gradient_norms,
                                               top_singular_value)


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


def test_hinge_refuses_torchs_hinge_embedding_loss():
    F = torch.nn.functional

    def via_torch(r, f):                                 # the same hinge terms, from torch's loss
        return F.hinge_embedding_loss(r, -torch.ones_like(r)) + F.hinge_embedding_loss(-f, -torch.ones_like(f))
    with pytest.raises(CheckFailed, match="hinge_embedding_loss` is refused"):
        check_hinge_losses(via_torch, generator_loss)


# ---------------------------------------------------------------- gradient penalty
def _gp(D, x_real, x_fake, generator, per="sample", eps_shape="sample", at=None, square=True, target=1.0,
        create_graph=True, reduce="mean", one_sided=False):
    n = len(x_real)
    shape = {"sample": (n, *([1] * (x_real.ndim - 1))), "pixel": x_real.shape, "batch": (1,)}[eps_shape]
    eps = torch.rand(shape, generator=generator)
    x_hat = eps * x_real + (1 - eps) * x_fake if at is None else at
    x_hat = x_hat.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=create_graph)
    norms = {"sample": lambda: g.flatten(1).norm(2, dim=1), "pixel": lambda: g.norm(2, dim=1),
             "channel": lambda: g.flatten(2).norm(2, dim=2), "batch": lambda: g.norm(2)}[per]()
    d = norms - target
    d = torch.relu(d) if one_sided else d
    d = d ** 2 if square else d.abs()
    return d.mean() if reduce == "mean" else d.sum()


def test_gradient_penalty_solution_passes():
    assert check_gradient_penalty(_gp)


def test_gradient_penalty_checks_are_not_fooled_by_shape_alone():
    """The wrong answers the check names really differ from the right one on its case (else a
    message could never fire): guard against a test point where they coincide."""
    torch.manual_seed(0)
    from gan_helpers.checks.nb06 import _Quadratic
    D, x_r, x_f = _Quadratic((2, 4, 4)), torch.randn(6, 2, 4, 4), torch.randn(6, 2, 4, 4)
    right = _gp(D, x_r, x_f, torch.Generator().manual_seed(7))
    for kw in ({"per": "pixel"}, {"per": "channel"}, {"per": "batch"}, {"eps_shape": "batch"},
               {"eps_shape": "pixel"}, {"reduce": "sum"}):
        assert not torch.allclose(right, _gp(D, x_r, x_f, torch.Generator().manual_seed(7), **kw), atol=1e-3), kw


@pytest.mark.parametrize("wrong, message", [
    (stub, "NotImplementedError"),
    (lambda D, r, f, g: _gp(D, r, f, g, one_sided=True), "penalty is one-sided"),
    (lambda D, r, f, g: _gp(D, r, f, g, per="pixel"), "one norm per pixel"),
    (lambda D, r, f, g: _gp(D, r, f, g, per="channel"), "one norm per channel"),
    (lambda D, r, f, g: _gp(D, r, f, g, per="batch"), "once over the whole batch"),
    (lambda D, r, f, g: _gp(D, r, f, g, eps_shape="pixel"), "one value per pixel"),
    (lambda D, r, f, g: _gp(D, r, f, g, eps_shape="batch"), "one number for the whole batch"),
    (lambda D, r, f, g: _gp(D, r, f, None), "does not come from `generator`"),
    (lambda D, r, f, g: _gp(D, r, f, g, at=r), "real samples only"),
    (lambda D, r, f, g: _gp(D, r, f, g, reduce="sum"), "summed over the batch"),
    (lambda D, r, f, g: _gp(D, r, f, g, square=False), "Square the distance"),
    (lambda D, r, f, g: _gp(D, r, f, g, target=0.0), "towards 1, not towards 0"),
    (lambda D, r, f, g: _gp(D, r, f, g, create_graph=False), "create_graph=True"),
    (lambda D, r, f, g: _gp(D, r, f, g).reshape(1, 1).expand(2, 1), "should return a scalar"),
])
def test_gradient_penalty_wrong_answers_fail(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check_gradient_penalty(wrong)


@pytest.mark.parametrize("shortcut, message", [
    (lambda D, r, f, g: gradient_penalty(D, r, f, g), "library's `gradient_penalty`"),
    (lambda D, r, f, g: ((per_sample_gradient_norms(D, lipschitz.interpolates(r, f, g), create_graph=True) - 1)
                         ** 2).mean(), "library's `interpolates`"),
    (lambda D, r, f, g: ((per_sample_gradient_norms(D, r, create_graph=True) - 1) ** 2).mean(),
     "library's `per_sample_gradient_norms`"),
    (gradient_penalty, "library's `gradient_penalty` itself"),
])
def test_gradient_penalty_library_shortcuts_fail(shortcut, message):
    with pytest.raises(CheckFailed, match=message):
        check_gradient_penalty(shortcut)
    # the library's bindings come back after the check, in this module and in the library
    assert gradient_penalty is lipschitz.gradient_penalty and lipschitz.interpolates.__name__ == "interpolates"
    assert float(gradient_penalty(torch.nn.Linear(2, 1), torch.zeros(3, 2), torch.ones(3, 2)).detach()) >= 0


def _notebook(source: str) -> dict:
    """A fresh namespace run like the notebook's cells: its globals are what the check inspects."""
    ns = {}
    exec("import torch\nfrom gan_helpers.stabilizers.lipschitz import gradient_penalty, top_singular_value\n" + source, ns)
    return ns


GP_UNDER_LIBRARY_NAME = """
def gradient_penalty(D, x_real, x_fake, generator=None):
    eps = torch.rand(len(x_real), 1, 1, 1, generator=generator)
    x_hat = (eps * x_real + (1 - eps) * x_fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()

def gradient_penalty_images(D, x_real, x_fake, generator=None):
    raise NotImplementedError()
"""


def test_gradient_penalty_written_under_the_library_name_is_named():
    """The old prompt asked for `gradient_penalty`: written under that name it replaces the library's
    import and leaves the stub; the check says both, and still says NotImplementedError (the
    learner-version run reads that as 'unfinished')."""
    ns = _notebook(GP_UNDER_LIBRARY_NAME)
    with pytest.raises(CheckFailed, match="replaced the library's.*NotImplementedError"):
        check_gradient_penalty(ns["gradient_penalty_images"])
    # with the import left alone, the plain stub message
    ns = _notebook("def gradient_penalty_images(D, x_real, x_fake, generator=None):\n    raise NotImplementedError()")
    with pytest.raises(CheckFailed, match="still raises NotImplementedError: replace"):
        check_gradient_penalty(ns["gradient_penalty_images"])


# ---------------------------------------------------------------- power iteration
def power_iteration(W, n_iter):
    v = torch.ones(W.shape[1]) / W.shape[1] ** 0.5
    for _ in range(n_iter):
        u = W @ v
        u = u / u.norm()
        v = W.T @ u
        v = v / v.norm()
    return float(u @ W @ v)


def power_iteration_wv(W, n_iter):
    """The same steps reporting ||W v||: a power-iteration estimate too, so accepted."""
    v = torch.ones(W.shape[1]) / W.shape[1] ** 0.5
    for _ in range(n_iter):
        u = W @ v
        u = u / u.norm()
        v = W.T @ u
        v = v / v.norm()
    return (W @ v).norm()


def power_iteration_steps(W, n_steps, start=None):
    """Power iteration with a chosen number of steps and start, for the wrong answers below."""
    v = torch.ones(W.shape[1]) / W.shape[1] ** 0.5 if start is None else start / start.norm()
    u = W @ v
    u = u / u.norm()
    for _ in range(n_steps):
        u = W @ v
        u = u / u.norm()
        v = W.T @ u
        v = v / v.norm()
    return float(u @ W @ v)


def power_iteration_linalg(W, n_iter):
    """Vector norms through torch.linalg, ord 2 included: allowed (only a MATRIX 2-norm is an SVD)."""
    v = torch.ones(W.shape[1]) / torch.linalg.vector_norm(torch.ones(W.shape[1]))
    for _ in range(n_iter):
        u = W @ v
        u = u / torch.linalg.norm(u, 2)
        v = W.T @ u
        v = v / torch.linalg.norm(v, ord=2)
    return torch.dot(u, W @ v)


def test_power_iteration_solutions_pass():
    assert check_power_iteration(power_iteration)
    assert check_power_iteration(power_iteration_wv)
    assert check_power_iteration(power_iteration_linalg)


def test_power_iteration_case_tells_svd_from_iteration():
    """The slow matrix's first steps are far from sigma_max, so an exact answer cannot match them."""
    from gan_helpers.checks.nb06 import _slow_matrix
    W = _slow_matrix()
    sigma = top_singular_value(W)
    assert abs(sigma - 2.0) < 1e-5
    assert power_iteration(W, 1) < sigma - 0.1 and power_iteration(W, 3) < sigma - 0.07
    assert abs(power_iteration(W, 100) - sigma) < 1e-4


@pytest.mark.parametrize("shortcut, message", [
    (lambda W, n: float(torch.linalg.matrix_norm(W, 2)), "torch.linalg.matrix_norm"),
    (lambda W, n: float(torch.linalg.matrix_norm(W, ord=2)), "torch.linalg.matrix_norm"),
    (lambda W, n: float(torch.linalg.svdvals(W)[0]), "torch.linalg.svdvals"),
    (lambda W, n: float(torch.linalg.svd(W).S[0]), "torch.linalg.svd"),
    (lambda W, n: float(torch.svd(W)[1][0]), "torch.svd"),
    (lambda W, n: float(W.svd()[1][0]), r"W\.svd\(\)"),
    (lambda W, n: float(torch.linalg.norm(W, 2)), "torch.linalg.norm"),
    (lambda W, n: float(torch.linalg.norm(W, ord=2)), "torch.linalg.norm"),
    (lambda W, n: float(torch.linalg.eigvalsh(W.T @ W).max().sqrt()), "torch.linalg.eigvalsh"),
    (lambda W, n: float(torch.svd_lowrank(W, q=2)[1][0]), "torch.linalg.svd"),
    (lambda W, n: float(np.linalg.norm(W.numpy(), 2)), "numpy.linalg.norm"),
    (lambda W, n: float(np.linalg.svd(W.numpy())[1][0]), "numpy.linalg.svd"),
    (lambda W, n: top_singular_value(W), "library's top_singular_value"),
    (top_singular_value, "library's top_singular_value"),
])
def test_power_iteration_decompositions_fail(shortcut, message):
    with pytest.raises(CheckFailed, match=message):
        check_power_iteration(shortcut)
    # nothing stays switched off after the check
    W = torch.randn(4, 3)
    assert float(torch.linalg.svdvals(W)[0]) == pytest.approx(float(torch.linalg.matrix_norm(W, 2)), rel=1e-5)
    assert np.linalg.norm(W.numpy(), 2) == pytest.approx(top_singular_value(W), rel=1e-5)
    assert top_singular_value is lipschitz.top_singular_value


_svd_held_before = np.linalg.svd      # a name bound before the check runs escapes the switch-off


@pytest.mark.parametrize("shortcut", [
    lambda W, n: float(_svd_held_before(W.numpy())[1][0]),      # exact at once: caught by the steps
    lambda W, n: power_iteration(W, 1000),                        # ignores n_iter
])
def test_power_iteration_exact_answers_fail_by_the_steps(shortcut):
    with pytest.raises(CheckFailed, match="exact largest singular value.*run exactly n_iter steps"):
        check_power_iteration(shortcut)


@pytest.mark.parametrize("wrong, message", [
    (stub, "NotImplementedError"),
    (lambda W, n: float(W.norm()), "Frobenius"),
    (lambda W, n: float(W.abs().max()), "largest entry"),
    (lambda W, n: power_iteration(W, n) ** 2, "sigma squared"),
    (lambda W, n: power_iteration_steps(W, n + 1), "one step too many"),
    (lambda W, n: power_iteration_steps(W, n - 1), "one step too few"),
    (lambda W, n: power_iteration_steps(W, n, start=torch.randn(W.shape[1])), "start vector is random"),
    (lambda W, n: power_iteration_steps(W, n, start=torch.arange(1.0, W.shape[1] + 1)),
     r"power iteration from v = \(1, \.\.\., 1\) / sqrt\(in\) gives"),
    (lambda W, n: power_iteration(W, 100 if n >= 100 else 7 - n), "went down"),
    (lambda W, n: power_iteration(W, n) + (0.1 if n < 100 else 0.0), "more than the largest singular value"),
    (lambda W, n: None, "returned None"),
    (lambda W, n: W @ torch.ones(W.shape[1]), "one number"),
    (lambda W, n: (W.mul_(1.0), power_iteration(W, n))[1] if W.mul_(2.0) is not None else 0, "in place"),
])
def test_power_iteration_wrong_answers_fail(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check_power_iteration(wrong)


def test_power_iteration_unnormalised_overflows_with_a_hint():
    def unnormalised(W, n_iter):
        v = torch.ones(W.shape[1]) / W.shape[1] ** 0.5
        for _ in range(n_iter):
            u = W @ v
            v = W.T @ u
        return float(u @ W @ v)
    with pytest.raises(CheckFailed, match="[Nn]ormalise u and v after every multiplication"):
        check_power_iteration(unnormalised)


OLD_POWER_CELL = """
def top_singular_value(W, n_iter):
    v = torch.ones(W.shape[1]) / W.shape[1] ** 0.5
    for _ in range(n_iter):
        u = W @ v
        u = u / u.norm()
        v = W.T @ u
        v = v / v.norm()
    return float(u @ W @ v)

def power_iteration(W, n_iter):
    raise NotImplementedError()
"""


def test_power_iteration_written_under_the_library_name_is_named():
    """The old stub was `top_singular_value(W, n_iter)`: it replaced the library's import, so re-running
    the spectral-norm cell that calls top_singular_value(W) raised a TypeError. Written there, the
    check says so (and still says NotImplementedError)."""
    ns = _notebook(OLD_POWER_CELL)
    with pytest.raises(TypeError):
        ns["top_singular_value"](torch.eye(2))          # that cell's call, after the shadowing
    with pytest.raises(CheckFailed, match="replaced the library's.*TypeError.*NotImplementedError"):
        check_power_iteration(ns["power_iteration"])
    ns = _notebook("def power_iteration(W, n_iter):\n    raise NotImplementedError()")
    with pytest.raises(CheckFailed, match="still raises NotImplementedError: replace"):
        check_power_iteration(ns["power_iteration"])


def test_checks_want_the_function_not_its_value():
    with pytest.raises(CheckFailed, match="Pass the function itself"):
        check_power_iteration(power_iteration(torch.eye(3), 5))
    with pytest.raises(CheckFailed, match="Pass the function itself"):
        check_gradient_penalty(torch.tensor(0.0))
