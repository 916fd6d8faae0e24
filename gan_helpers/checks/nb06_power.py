"""Notebook 06, exercise 4: the power-iteration check (Miyato et al. 2018's estimate of the
largest singular value), compared step by step with power iteration from the stated start so
an exact SVD fails; SVD-like routines are refused while the learner's function runs
(``checks/_refusals.py``)."""
from __future__ import annotations

import math
from contextlib import contextmanager

import torch

from ..stabilizers import lipschitz
from ._core import CheckFailed, check, passed
from ._refusals import _TorchOpsOff, _call, _library_off, _shadowed


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


@contextmanager
def _no_decomposition(fn_name: str):
    """The SVD-like torch routines refused through the shared torch-ops refusal (``_refusals``); the
    matrix norms only with ord 2, -2 or "nuc" on a matrix."""
    with _TorchOpsOff({f: _svd_message(fn_name, what) for f, what in _DECOMPOSITIONS.items()}):
        with _TorchOpsOff({f: _svd_message(fn_name, f"{what}(W, ord=2)") for f, what in _MATRIX_NORMS.items()},
                          only_when=_spectral_norm_call):
            yield


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
                  "`from gan_helpers.stabilizers.lipschitz import top_singular_value`.")
    library = {lipschitz.top_singular_value: f"{name} calls the library's top_singular_value, an exact SVD "
                                               "(torch.linalg.matrix_norm(W, 2)). Write the iteration yourself."}

    def run(W: torch.Tensor, n_iter: int) -> float:
        W_in = W.clone()
        with _library_off(fn, library), _numpy_decompositions_off(name), _no_decomposition(name):
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
