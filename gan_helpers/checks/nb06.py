"""Exercise checks for notebook 06 (Wasserstein GAN, gradient penalty, spectral norm).

* ``check_hinge_losses(critic_loss, generator_loss)``: the hinge game (a variation on section 2's losses).
* ``check_gradient_penalty(fn)``: Gulrajani et al.'s penalty, with the norm taken per sample
  over all pixels, interpolates with one epsilon per sample, and a graph that trains D.
* ``check_power_iteration(fn)``: the largest singular value by power iteration (the estimate
  spectral normalisation divides each weight by; Miyato et al. 2018), compared step by step with
  power iteration from the stated start, so an exact SVD fails.

The learner's functions live in the notebook next to names the notebook imported from the library
(``gradient_penalty``, ``top_singular_value``). While a learner's function runs, the library's
versions of the piece being written (and, for power iteration, every SVD-like routine of torch and
numpy) raise a ``CheckFailed`` that says so: the exercise is to write the piece, not to call it.
"""
from __future__ import annotations

import math
import sys
from contextlib import contextmanager

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .. import lipschitz
from ..lipschitz import interpolates
from ._core import CheckFailed, call, check, close, expect_tensor, passed


# -- keeping the library's answer out of the learner's function ------------------------------------
@contextmanager
def _library_off(fn, messages: dict):
    """While the block runs, every name bound to one of ``messages``' functions, in the learner's
    namespace (``fn.__globals__``, the notebook's) and in the gan_helpers modules, points to a
    stand-in raising CheckFailed(message). Swapping the bindings, not the functions, catches any
    alias (``from ... import gradient_penalty as gp``); this module keeps its own for the answers."""
    def stand_in(message):
        def raiser(*_args, **_kwargs):
            raise CheckFailed(message)
        return raiser

    namespaces = [vars(m) for name, m in list(sys.modules.items())
                  if name.startswith("gan_helpers") and m is not None and name != __name__]
    if isinstance(getattr(fn, "__globals__", None), dict):
        namespaces.append(fn.__globals__)
    swapped, seen = [], set()
    try:
        for ns in namespaces:
            if id(ns) in seen:
                continue
            seen.add(id(ns))
            for key, value in list(ns.items()):
                if callable(value) and any(value is f for f in messages):
                    message = next(m for f, m in messages.items() if value is f)
                    swapped.append((ns, key, value))
                    ns[key] = stand_in(message)
        yield
    finally:
        for ns, key, value in reversed(swapped):
            ns[key] = value


def _shadowed(fn, name: str, library_fn) -> bool:
    """True when the learner's notebook rebound ``name`` (imported from the library earlier in the
    notebook) to something else: then re-running the earlier cell that uses it runs the learner's."""
    ns = getattr(fn, "__globals__", None)
    return isinstance(ns, dict) and name in ns and ns[name] is not library_fn


def _call(fn, *args, name: str, shadow_message: str | None):
    """``call`` (the stub's NotImplementedError becomes a hint), with a better hint when the learner
    wrote the code under the library's name instead of the stub's."""
    try:
        return call(fn, *args, name=name)
    except CheckFailed as err:
        if shadow_message and "NotImplementedError" in str(err):
            raise CheckFailed(shadow_message) from None
        raise


def check_hinge_losses(critic_loss, generator_loss) -> bool:
    """The hinge version of the game (Lim and Ye 2017; used by Miyato et al. 2018 with spectral norm):
    ``critic_loss(out_real, out_fake)`` = E[relu(1 - D(real))] + E[relu(1 + D(fake))],
    ``generator_loss(out_fake)`` = -E[D(fake)]."""
    relu = torch.relu
    out_real = torch.tensor([[2.0], [0.5], [-1.0]])
    out_fake = torch.tensor([[-3.0], [0.0], [0.5], [-0.5]])    # different counts: means, not sums
    got = expect_tensor(call(critic_loss, out_real, out_fake, name="critic_loss"), name="critic_loss(...)")
    check(got.numel() == 1, f"critic_loss should return a scalar, got shape {tuple(got.shape)}.")
    want = relu(1 - out_real).mean() + relu(1 + out_fake).mean()
    if not close(got, want):
        if close(got, (1 - out_real).mean() + (1 + out_fake).mean()):
            raise CheckFailed("The relu is missing: without it the loss is the Wasserstein one plus 2, and a real "
                              "sample scored 2 still pushes D. The hinge stops pushing once D(real) >= 1 and "
                              "D(fake) <= -1: relu(1 - D(real)), relu(1 + D(fake)).")
        if close(got, relu(1 + out_real).mean() + relu(1 - out_fake).mean()):
            raise CheckFailed("The margins are swapped: real samples should score at least +1 (relu(1 - D(real))), "
                              "fakes at most -1 (relu(1 + D(fake))).")
        if close(got, relu(1 - out_real).sum() + relu(1 + out_fake).sum()):
            raise CheckFailed("You summed over the batch; take means, so the loss does not grow with the batch size.")
        if close(got, out_fake.mean() - out_real.mean()):
            raise CheckFailed("That is the Wasserstein critic loss of section 2. The hinge loss clips each term: "
                              "relu(1 - D(real)) and relu(1 + D(fake)).")
        raise CheckFailed(f"critic_loss returned {got.item():.4f}, expected {want.item():.4f} = "
                          "mean(relu(1 - out_real)) + mean(relu(1 + out_fake)).")
    g = expect_tensor(call(generator_loss, out_fake, name="generator_loss"), name="generator_loss(...)")
    want_g = -out_fake.mean()
    if not close(g, want_g):
        if close(g, out_fake.mean()):
            raise CheckFailed("generator_loss has the wrong sign: G wants the critic to score its samples HIGH, "
                              "so it minimises -E[D(G(z))].")
        if close(g, relu(1 - out_fake).mean()):
            raise CheckFailed("G's loss in the hinge game has no hinge: it is -E[D(G(z))] (Miyato et al., eq. 17), "
                              "so G keeps being pulled up the critic's surface.")
        raise CheckFailed(f"generator_loss returned {g.item():.4f}, expected {want_g.item():.4f} = -mean(out_fake).")
    return passed("hinge critic_loss and generator_loss")


class _Quadratic(nn.Module):
    """D(x) = 0.5 * sum(w * x^2) per sample: grad = w * x, a norm we can compute by hand."""

    def __init__(self, shape):
        super().__init__()
        self.w = nn.Parameter(torch.linspace(0.5, 1.5, int(torch.tensor(shape).prod())).reshape(shape))

    def forward(self, x):
        return 0.5 * (self.w * x ** 2).flatten(1).sum(1, keepdim=True)


def _penalty_by_formula(D, x_hat, per: str = "sample", reduce: str = "mean") -> torch.Tensor:
    """The penalty at ``x_hat`` with the norm taken ``per`` sample (right) or per pixel, per channel
    or once for the whole batch (the wrong answers the check names), ``reduce`` by mean or sum."""
    x_hat = x_hat.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    norms = {"sample": lambda: g.flatten(1).norm(dim=1),
             "pixel": lambda: g.norm(dim=1),              # over the channel axis only: (N, H, W)
             "channel": lambda: g.flatten(2).norm(dim=2),  # over each channel's pixels: (N, C)
             "batch": lambda: g.norm()}[per]()             # one norm for all samples together
    sq = (norms - 1) ** 2
    return sq.mean() if reduce == "mean" else sq.sum()


_GP_LIBRARY_MESSAGE = ("{fn} calls the library's `{lib}` (gan_helpers.lipschitz): the exercise is to write "
                       "the penalty yourself, from torch.rand, torch.autograd.grad and a norm.")


def check_gradient_penalty(fn) -> bool:
    """``fn(D, x_real, x_fake, generator) -> scalar``: mean over samples of (||grad_x D(x_hat)||_2 - 1)^2,
    x_hat = eps x_real + (1 - eps) x_fake with one eps ~ U(0, 1) per sample drawn from ``generator``."""
    name = getattr(fn, "__name__", "gradient_penalty_images")
    check(callable(fn), "Pass the function itself: nb06.check_gradient_penalty(gradient_penalty_images), "
                        "without calling it.")
    library = (lipschitz.gradient_penalty, lipschitz.per_sample_gradient_norms, lipschitz.interpolates)
    check(not any(fn is f for f in library),
          f"That is the library's `{getattr(fn, '__name__', '')}` itself. Write your own penalty in "
          "gradient_penalty_images (the library's version is the one imported earlier to compare with).")
    shadow = None
    if _shadowed(fn, "gradient_penalty", lipschitz.gradient_penalty):
        shadow = ("You defined a function named `gradient_penalty`, which replaced the library's "
                  "gradient_penalty imported earlier in the notebook (re-running that cell now runs yours), while "
                  f"{name} still raises NotImplementedError. Put your code in {name}, then restore the "
                  "library's with `from gan_helpers.lipschitz import gradient_penalty`.")
    messages = {f: _GP_LIBRARY_MESSAGE.format(fn=name, lib=f.__name__) for f in library}

    shape = (2, 4, 4)                     # (C, H, W): a norm per pixel would differ from one per sample
    D = _Quadratic(shape)
    g0 = torch.Generator().manual_seed(3)
    x_real, x_fake = torch.randn(6, *shape, generator=g0), torch.randn(6, *shape, generator=g0)

    def run():
        with _library_off(fn, messages):
            return _call(fn, D, x_real, x_fake, torch.Generator().manual_seed(7), name=name,
                         shadow_message=shadow)

    got = expect_tensor(run(), name=f"{name}(...)")
    check(got.numel() == 1, f"{name} should return a scalar (the mean over the batch), got shape "
                            f"{tuple(got.shape)}.")
    again = expect_tensor(run(), name=f"{name}(...)")
    check(close(got, again.reshape(got.shape), atol=1e-6),
          f"Two calls with generators seeded alike gave {got.item():.5f} and {again.item():.5f}: your epsilon "
          "does not come from `generator`. Draw it with torch.rand(..., generator=generator) as your first "
          "random draw, so a run can be repeated.")
    x_hat = interpolates(x_real, x_fake, torch.Generator().manual_seed(7))
    want = _penalty_by_formula(D, x_hat)
    if not close(got, want, atol=1e-4):
        for per, what in (("pixel", "over the channel axis only (dim=1), i.e. one norm per pixel"),
                          ("channel", "over each channel's pixels, i.e. one norm per channel"),
                          ("batch", "once over the whole batch")):
            if close(got, _penalty_by_formula(D, x_hat, per), atol=1e-4):
                raise CheckFailed(f"You took the norm {what}. The penalty constrains the gradient of D with "
                                  "respect to each sample's WHOLE input: flatten each sample's gradient "
                                  "(grad.flatten(1)) and take one norm per sample, norm(2, dim=1).")
        eps_px = torch.rand(x_real.shape, generator=torch.Generator().manual_seed(7))
        if close(got, _penalty_by_formula(D, eps_px * x_real + (1 - eps_px) * x_fake), atol=1e-4):
            raise CheckFailed("Your epsilon has one value per pixel. Draw ONE epsilon per sample, shape (N, 1, 1, 1), "
                              "so each x_hat lies on the straight line between a real and a fake sample.")
        eps_1 = torch.rand(1, generator=torch.Generator().manual_seed(7))
        if close(got, _penalty_by_formula(D, eps_1 * x_real + (1 - eps_1) * x_fake), atol=1e-4):
            raise CheckFailed("Your epsilon is one number for the whole batch, so every x_hat sits at the same "
                              "fraction of the way from fake to real and the penalty only sees one slice of the "
                              "space between them. Draw one epsilon PER SAMPLE: torch.rand(N, 1, 1, 1, "
                              "generator=generator).")
        for what, pts in (("real samples", x_real), ("fake samples", x_fake)):
            if close(got, _penalty_by_formula(D, pts), atol=1e-4):
                raise CheckFailed(f"You penalised the gradient at the {what} only. Gulrajani et al. penalise it at "
                                  "random points between real and fake samples (x_hat).")
        if close(got, _penalty_by_formula(D, x_hat, reduce="sum"), atol=1e-4):
            raise CheckFailed("You summed over the batch: take the mean, so the penalty's weight (lambda = 10) "
                              "does not depend on the batch size.")
        grads = torch.autograd.grad(D(x_hat.requires_grad_(True)).sum(), x_hat)[0].flatten(1).norm(dim=1)
        if close(got, (grads - 1).abs().mean(), atol=1e-4):
            raise CheckFailed("Square the distance from 1: ((norm - 1) ** 2).mean(), not its absolute value.")
        if close(got, (grads ** 2).mean(), atol=1e-4) or close(got, grads.mean(), atol=1e-4):
            raise CheckFailed("The penalty pulls the norm towards 1, not towards 0: ((norm - 1) ** 2).mean().")
        raise CheckFailed(f"{name} returned {got.item():.5f}, expected {want.item():.5f}. Use "
                          "eps = torch.rand(N, 1, 1, 1, generator=generator) (the first random draw), x_hat = "
                          "eps * x_real + (1 - eps) * x_fake, torch.autograd.grad(..., create_graph=True).")
    check(got.requires_grad, "The penalty has no graph back to D's weights, so it cannot train D. Pass "
                             "create_graph=True to torch.autograd.grad.")
    got.backward()
    check(D.w.grad is not None and float(D.w.grad.abs().sum()) > 0,
          "No gradient reached D's weights: compute the gradient with create_graph=True and do not detach it.")
    return passed(name, "per-sample norm over all pixels, one epsilon per sample, trains D")


# -- power iteration ---------------------------------------------------------------------------------
# Each routine that returns singular values (or the eigenvalues of W^T W, their squares) from a full
# decomposition. Power iteration exists to avoid them: spectral normalisation runs one cheap step of
# it per forward pass instead of an SVD per step.
_DECOMPOSITIONS = {torch.linalg.svd: "torch.linalg.svd", torch.linalg.svdvals: "torch.linalg.svdvals",
                   torch.svd: "torch.svd", torch.Tensor.svd: "W.svd()", torch.linalg.eig: "torch.linalg.eig",
                   torch.linalg.eigvals: "torch.linalg.eigvals", torch.linalg.eigh: "torch.linalg.eigh",
                   torch.linalg.eigvalsh: "torch.linalg.eigvalsh", torch.lobpcg: "torch.lobpcg",
                   torch.linalg.cond: "torch.linalg.cond"}
# These are fine on vectors (normalising u and v) and for the Frobenius norm; with ord 2, -2 or
# "nuc" on a matrix they are an SVD in disguise.
_MATRIX_NORMS = {torch.linalg.norm: "torch.linalg.norm", torch.linalg.matrix_norm: "torch.linalg.matrix_norm"}


def _svd_message(fn_name: str, what: str) -> str:
    return (f"{fn_name} calls {what}, which computes the singular values by a full decomposition (an SVD or "
            "an eigendecomposition): exactly what power iteration avoids (spectral normalisation runs one "
            "cheap step of it per forward pass instead of an SVD). Use only products with W (W @ v, W.T @ u) "
            "and vector norms (u.norm()).")


def _spectral_norm_call(func, args, kwargs) -> bool:
    """Whether a torch.linalg.norm / matrix_norm call asks for a matrix's 2-norm (or -2, nuclear)."""
    names = ("A", "ord", "dim")               # the leading parameters of both
    bound = dict(zip(names, args))
    bound.update({k: v for k, v in kwargs.items() if k in names})
    A = bound.get("A")
    ord_ = bound.get("ord", None if func is torch.linalg.norm else "fro")
    dim = bound.get("dim", None if func is torch.linalg.norm else (-2, -1))
    if ord_ not in (2, -2, "nuc") or not torch.is_tensor(A):
        return False
    if func is torch.linalg.matrix_norm:
        return True
    return (dim is None and A.ndim == 2) or (isinstance(dim, (tuple, list)) and len(dim) == 2)


class _NoDecomposition(TorchFunctionMode):
    """Sees every torch call made while it is active, whatever name it was imported under, and
    turns the SVD-like ones into a CheckFailed that explains."""

    def __init__(self, fn_name: str):
        super().__init__()
        self.fn_name = fn_name

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        for f, what in _DECOMPOSITIONS.items():
            if func is f:
                raise CheckFailed(_svd_message(self.fn_name, what))
        for f, what in _MATRIX_NORMS.items():
            if func is f and _spectral_norm_call(func, args, kwargs):
                raise CheckFailed(_svd_message(self.fn_name, f"{what}(W, ord=2)"))
        return func(*args, **kwargs)


@contextmanager
def _numpy_decompositions_off(fn_name: str):
    """The same for numpy.linalg (a learner may go through W.numpy()): module attributes swapped
    for the call. A name imported from numpy.linalg before the call escapes this; the step-by-step
    comparison in check_power_iteration still fails it."""
    import numpy as np

    def stand_in(what, original, only_spectral=False):
        def raiser(*args, **kwargs):
            ord_ = args[1] if len(args) > 1 else kwargs.get("ord")
            if only_spectral and not (ord_ in (2, -2, "nuc") and getattr(args[0], "ndim", 0) == 2):
                return original(*args, **kwargs)
            raise CheckFailed(_svd_message(fn_name, what))
        return raiser

    names = {"svd": False, "svdvals": False, "eig": False, "eigh": False, "eigvals": False,
             "eigvalsh": False, "norm": True, "matrix_norm": True}
    saved = {}
    try:
        for attr, only_spectral in names.items():
            if hasattr(np.linalg, attr):
                saved[attr] = getattr(np.linalg, attr)
                setattr(np.linalg, attr, stand_in(f"numpy.linalg.{attr}", saved[attr], only_spectral))
        yield
    finally:
        for attr, original in saved.items():
            setattr(np.linalg, attr, original)


def _reference(W: torch.Tensor, n_iter: int) -> tuple[float, float]:
    """Power iteration from v = (1, ..., 1) / sqrt(in) as the exercise states it, in float64:
    (u^T W v, ||W v||) after ``n_iter`` steps. Both are power-iteration estimates after the same
    steps (the second is half a step further on: u^T W v for the u one more step would give); the
    check accepts either, since the exercise is the iteration, not which of the two is reported."""
    W = W.detach().double()
    v = torch.ones(W.shape[1], dtype=W.dtype) / math.sqrt(W.shape[1])
    if n_iter == 0:                       # no step yet: u = W v / ||W v||, so u^T W v = ||W v||
        return float((W @ v).norm()), float((W @ v).norm())
    for _ in range(n_iter):
        u = W @ v
        u = u / u.norm()
        v = W.T @ u
        v = v / v.norm()
    return float(u @ W @ v), float((W @ v).norm())


def _orthonormal(n: int, g: torch.Generator) -> torch.Tensor:
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    return q


def _slow_matrix() -> torch.Tensor:
    """A (6, 5) matrix with singular values 2.0, 1.9, 1.2, 0.7, 0.3: the top two are close, so power
    iteration creeps up on 2.0 from v = (1, ..., 1) / sqrt(5) (1.893 after one step, 1.921 after two,
    1.960 after ten, 2.000 by a hundred) and an exact answer is told apart from an iteration at small
    n_iter. (Seed chosen for that slow creep; some seeds start nearer the top singular vector.)"""
    g = torch.Generator().manual_seed(2)
    U, V = _orthonormal(6, g)[:, :5], _orthonormal(5, g)
    return ((U * torch.tensor([2.0, 1.9, 1.2, 0.7, 0.3], dtype=torch.float64)) @ V.T).float()


def _near(a: float, b: float, rtol: float = 1e-4) -> bool:
    return abs(a - b) <= rtol * max(1.0, abs(b))


def check_power_iteration(fn) -> bool:
    """``fn(W, n_iter) -> float``: power iteration for the largest singular value of W (out, in),
    from v = (1, ..., 1) / sqrt(in): ``n_iter`` times u = Wv / ||Wv||, v = W^T u / ||W^T u||, then
    u^T W v. Checked: the limit (four matrices at n_iter = 100), then on a matrix whose top two
    singular values are close, the value after 1, 2 and 3 steps (an SVD is exact at once, power
    iteration is not) and that it grows towards sigma_max with n_iter, never past it."""
    name = getattr(fn, "__name__", "power_iteration")
    check(callable(fn), "Pass the function itself: nb06.check_power_iteration(power_iteration), without "
                        "calling it.")
    check(fn is not lipschitz.top_singular_value,
          "That is the library's top_singular_value (an exact SVD). Write power iteration yourself in "
          "power_iteration(W, n_iter).")
    shadow = None
    if _shadowed(fn, "top_singular_value", lipschitz.top_singular_value):
        shadow = ("You defined a function named `top_singular_value`, which replaced the library's "
                  "top_singular_value(W) imported earlier in the notebook (re-running the cell that checks "
                  f"spectral norm now fails with a TypeError), while {name} still raises NotImplementedError. "
                  f"Put your code in {name}, then restore the library's with "
                  "`from gan_helpers.lipschitz import top_singular_value`.")
    library = {lipschitz.top_singular_value: f"{name} calls the library's top_singular_value, an exact SVD "
                                               "(torch.linalg.matrix_norm(W, 2)). Write the iteration yourself."}

    def run(W: torch.Tensor, n_iter: int) -> float:
        W_in = W.clone()
        with _library_off(fn, library), _numpy_decompositions_off(name), _NoDecomposition(name):
            got = _call(fn, W_in, n_iter, name=name, shadow_message=shadow)
        check(got is not None, f"{name} returned None: end it with `return float(u @ W @ v)`.")
        check(isinstance(got, (int, float)) or (torch.is_tensor(got) and got.numel() == 1),
              f"{name} should return one number (a float), got "
              f"{type(got).__name__}{' of shape ' + str(tuple(got.shape)) if torch.is_tensor(got) else ''}.")
        check(torch.equal(W_in, W), f"{name} changed W in place. In spectral normalisation W is a layer's "
                                    "weight: estimating sigma must not touch it (write u = W @ v, not W *= ...).")
        got = float(got)
        check(math.isfinite(got), f"{name} returned {got} for a {tuple(W.shape)} matrix after {n_iter} steps: "
                                  "normalise u and v after every multiplication, or they overflow.")
        return got

    # 1. The limit: after many steps the estimate is the largest singular value.
    g = torch.Generator().manual_seed(0)
    cases = [torch.diag(torch.tensor([3.0, 1.0, 0.5])), torch.randn(16, 9, generator=g),
             torch.randn(5, 40, generator=g) * 0.1, _slow_matrix()]
    for W in cases:
        got, want = run(W, 100), lipschitz.top_singular_value(W)
        if not _near(got, want, 1e-3):
            if _near(got, float(W.norm()), 1e-3):
                raise CheckFailed("That is the Frobenius norm (all singular values together). Spectral norm is the "
                                  "largest one: repeat u = W v / ||W v||, v = W^T u / ||W^T u||, then sigma = u^T W v.")
            if abs(got - float(W.abs().max())) < 1e-6:
                raise CheckFailed("That is the largest entry of W, not its largest singular value (how much W can "
                                  "stretch a unit vector).")
            if _near(got, want ** 2, 1e-2):
                raise CheckFailed("You returned sigma squared (||W^T W v|| or similar). Return u^T W v with unit u, v.")
            raise CheckFailed(f"For a {tuple(W.shape)} matrix, after 100 steps you returned {got:.4f}; its largest "
                              f"singular value is {want:.4f}. Normalise u and v after every multiplication and "
                              "return u^T W v.")

    # 2. The steps: on a matrix where power iteration is slow, the first values are power iteration's.
    W = _slow_matrix()
    sigma = lipschitz.top_singular_value(W)
    values = [run(W, n) for n in range(1, 7)]
    if _near(values[0], sigma):
        raise CheckFailed(f"After n_iter = 1 you return {values[0]:.4f}, the exact largest singular value. One "
                          f"step of power iteration from v = (1, ..., 1) / sqrt(in) gives {_reference(W, 1)[0]:.4f} "
                          f"on this matrix (its top singular values, {sigma:.1f} and 1.9, are close, so the "
                          "iteration creeps up). Your function computes sigma some other way (an SVD, a matrix "
                          "norm) or ignores n_iter: run exactly n_iter steps.")
    check(_near(run(W, 1), values[0], 1e-6),
          f"Two calls of {name}(W, 1) gave {values[0]:.4f} and a different value: your start vector is random. "
          "Start from v = torch.ones(W.shape[1]) / W.shape[1] ** 0.5, as asked: after a few steps the start "
          "still matters, and the check compares those steps.")
    for n in range(1, len(values)):
        check(values[n] >= values[n - 1] - 1e-5 * sigma,
              f"Your estimate went down from {values[n - 1]:.4f} (n_iter = {n}) to {values[n]:.4f} "
              f"(n_iter = {n + 1}). Power iteration's u^T W v can only grow with the steps: each one tilts v "
              "further towards the top singular vector. Check the order of the updates.")
    for n, value in enumerate(values, 1):
        check(value <= sigma * (1 + 1e-5),
              f"After {n} steps you return {value:.4f}, more than the largest singular value {sigma:.4f}. "
              "For unit u and v, u^T W v can never exceed it: normalise both after every multiplication.")
    for n in (1, 2, 3):
        got, accepted = values[n - 1], _reference(W, n)
        if any(_near(got, a) for a in accepted):
            continue
        if any(_near(got, a) for a in _reference(W, n + 1)):
            raise CheckFailed(f"With n_iter = {n} you return what power iteration gives after {n + 1} steps "
                              f"({got:.4f}): your loop runs one step too many. Run exactly n_iter steps.")
        if any(_near(got, a) for a in _reference(W, n - 1)):
            raise CheckFailed(f"With n_iter = {n} you return what power iteration gives after {n - 1} steps "
                              f"({got:.4f}): your loop runs one step too few. Run exactly n_iter steps.")
        raise CheckFailed(f"After n_iter = {n} steps on a (6, 5) matrix with singular values 2.0, 1.9, 1.2, ... "
                          f"you return {got:.4f}; power iteration from v = (1, ..., 1) / sqrt(in) gives "
                          f"{accepted[0]:.4f}. Start from v = torch.ones(W.shape[1]) / W.shape[1] ** 0.5, and in "
                          "each step do u = W v / ||W v||, then v = W^T u / ||W^T u||; return u^T W v.")
    return passed(name, f"{values[0]:.3f}, {values[1]:.3f}, {values[2]:.3f} after 1, 2, 3 steps, as power "
                        f"iteration gives, growing to sigma = {sigma:.3f}")
