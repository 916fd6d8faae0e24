"""Checks for notebook 03 (vanilla MLP GAN on MNIST, Goodfellow et al. 2014).

Exercises 1-2: the Frechet distance of Heusel et al. (2017) written from the formula, with the
matrix square root of a covariance taken from its eigendecomposition (``check_sqrtm_psd``,
``check_fid``). The library's FID, scipy's ``sqrtm`` and the notebook's diagonal FID are refused
while the learner's function runs (``checks/_refusals.py``). Exercises 4-5 (feature matching,
latent directions) are in :mod:`~gan_helpers.checks.nb03_game`.
"""
from __future__ import annotations

import math
import sys
from contextlib import contextmanager

import numpy as np
import torch

from ._core import CheckFailed, check, passed
from ._refusals import _stand_in, call_refusing, refuse_identity
from .nb03_game import check_feature_matching, check_top_directions  # noqa: F401  (re-exported)

_SQRTM = ("{name} is refused here: it is a general routine for any square matrix (a Schur "
          "decomposition) and hides what this exercise is about. A covariance is symmetric and positive "
          "semi-definite: S = V diag(w) V^T with w >= 0 (torch.linalg.eigh), so its root is V diag(sqrt w) V^T.")


_SCIPY_ROOTS = ("sqrtm", "fractional_matrix_power", "funm")   # funm(S, sqrt): a Schur-based sqrtm again


@contextmanager
def _scipy_roots_off():
    """scipy.linalg.sqrtm, fractional_matrix_power and funm swapped for stand-ins on scipy.linalg and on
    the private module that defines them, so ``linalg.sqrtm(...)`` and ``linalg._matfuncs.sqrtm(...)``
    are refused as well as a name imported from either (``refusing``'s library)."""
    try:
        import scipy.linalg as sl
    except ImportError:                                  # no scipy: nothing to refuse
        yield
        return
    saved = []                                           # (module, attribute, original)
    for a in _SCIPY_ROOTS:
        f = getattr(sl, a, None)
        if f is None:
            continue
        for mod in {sl, sys.modules.get(getattr(f, "__module__", ""), sl)}:
            if getattr(mod, a, None) is f:
                saved.append((mod, a, f))
    try:
        for mod, a, _ in saved:
            setattr(mod, a, _stand_in(_SQRTM.format(name=f"scipy.linalg.{a}")))
        yield
    finally:
        for mod, a, f in saved:
            setattr(mod, a, f)


def _roots_library() -> dict:
    out = {}
    try:
        import scipy.linalg as sl
        out.update({getattr(sl, a): _SQRTM.format(name=f"scipy.linalg.{a}") for a in _SCIPY_ROOTS if hasattr(sl, a)})
    except ImportError:
        pass
    out[_sqrtm_psd] = "that is this check's own reference square root: write yours."
    return out


def _fid_library() -> dict:
    from ..metrics import mnist
    msg = ("{} is the library's FID, the answer this exercise asks you to write. Use means, covariances "
           "(torch.cov(f.T)) and your sqrtm_psd from exercise 1.")
    out = {f: msg.format(n) for f, n in ((mnist.frechet_distance, "frechet_distance"), (mnist.mnist_fid, "mnist_fid"),
                                         (mnist.fid_floor, "fid_floor"), (mnist._frechet, "metrics.mnist._frechet"),
                                         (mnist.evaluate_generator, "evaluate_generator"))}
    try:
        from torchmetrics.image.fid import _compute_fid
        out[_compute_fid] = msg.format("torchmetrics' _compute_fid")
    except ImportError:
        pass
    out[_tr_sqrt_product] = "that is this check's own reference: write yours."
    return out


def _refusing_roots(fn, *args, name, library, notebook=None):
    with _scipy_roots_off():
        return call_refusing(fn, *args, name=name, library=library, notebook=notebook)


def _as_matrix(value, shape, name: str, s: np.ndarray | None = None) -> np.ndarray:
    if torch.is_tensor(value):
        value = value.detach().cpu().numpy()
    check(isinstance(value, np.ndarray), f"{name} should be a tensor (F, F), got {type(value).__name__}.")
    if np.iscomplexobj(value):
        raise CheckFailed(f"{name} is complex: with eigh on a symmetric matrix everything stays real; clip the "
                          "eigenvalues at 0 before the square root instead of taking roots of negative numbers.")
    value = value.astype(np.float64)
    check(value.shape == tuple(shape), f"{name} has shape {value.shape}, expected {tuple(shape)}.")
    if s is not None and np.isnan(value).any() and np.array_equal(np.isnan(value), s < 0) \
            and np.allclose(np.nan_to_num(value), np.sqrt(np.clip(s, 0, None))):
        raise CheckFailed(_ELEMENTWISE + " (Its nan entries are the roots of negative covariances.)")
    if not np.isfinite(value).all():
        raise CheckFailed(f"{name} contains nan: a covariance that is singular (a feature constant on every image, "
                          "or fewer images than features) has eigenvalues that are 0 in exact arithmetic and "
                          "come out as tiny negative numbers like -1e-17 after rounding; their square root is nan. "
                          "Clip them at 0 first (w.clamp(min=0)).")
    return value


# -- exercise 1: the square root of a covariance ------------------------------------------
_ELEMENTWISE = ("that is the elementwise square root (torch.sqrt works entry by entry), the root of section 5's "
                "diagonal case. The MATRIX square root R satisfies R @ R = S; it mixes entries through the "
                "eigenvectors: R = V diag(sqrt w) V^T.")


def _sqrtm_psd(s: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((s + s.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def _root_cases():
    g = np.random.default_rng(5)
    a = g.normal(size=(6, 6))
    spd = a @ a.T + 0.1 * np.eye(6)                                   # well conditioned
    f = g.normal(size=(5, 8)) @ g.normal(size=(8, 8))
    f[:, 3] = 0.0                                                      # a dead feature
    singular = np.cov(f, rowvar=False)                                 # rank 4 in 8 dimensions
    return [("a 6x6 covariance", spd), ("the 8x8 covariance of 5 samples with a dead feature", singular),
            ("diag(4, 9, 0.25)", np.diag([4.0, 9.0, 0.25]))]


def check_sqrtm_psd(fn) -> bool:
    """``fn(S (F, F) float64 tensor) -> R (F, F)``: the symmetric positive semi-definite R with R @ R = S."""
    refuse_identity(fn, {f: m for f, m in _roots_library().items()}, "sqrtm_psd")
    for what, s in _root_cases():
        got = _as_matrix(_refusing_roots(fn, torch.from_numpy(s.copy()), name="sqrtm_psd", library=_roots_library()),
                         s.shape, f"sqrtm_psd({what})", s)
        scale = max(1.0, float(np.abs(s).max()))
        if np.allclose(got, np.sqrt(np.abs(s)), atol=1e-6 * scale) and not np.allclose(s, np.diag(np.diag(s))):
            raise CheckFailed(_ELEMENTWISE)
        if np.allclose(got @ got.T, s, atol=1e-6 * scale) and not np.allclose(got, got.T, atol=1e-6 * scale):
            raise CheckFailed(f"for {what} your R satisfies R @ R.T = S but is not symmetric: that is a factor of S "
                              "(Cholesky's, or V diag(sqrt w) without the final V^T), not its square root. FID needs "
                              "the symmetric R with R @ R = S: V diag(sqrt w) V^T from S = V diag(w) V^T.")
        check(np.allclose(got @ got, s, atol=1e-6 * scale),
              f"for {what}, R @ R differs from S by up to {np.abs(got @ got - s).max():.3g}. With w, V = "
              "torch.linalg.eigh(S): R = V @ diag(sqrt(w)) @ V.T (every eigenvalue rooted, the eigenvectors, the COLUMNS "
              "of V, kept).")
        check(np.allclose(got, got.T, atol=1e-8 * scale), f"sqrtm_psd({what}) is not symmetric.")
        check(np.linalg.eigvalsh((got + got.T) / 2).min() > -1e-6 * scale,
              f"sqrtm_psd({what}) has a negative eigenvalue: of the square roots of S, FID uses the positive "
              "semi-definite one (the non-negative root of each eigenvalue).")
    return passed("sqrtm_psd", "V diag(sqrt w) V^T, eigenvalues clipped at 0: R @ R = S even for singular covariances")


# -- exercise 2: FID from features ---------------------------------------------------------
def _tr_sqrt_product(s_a: np.ndarray, s_b: np.ndarray) -> float:
    """tr (S_a S_b)^1/2 as the sum of sqrt eigenvalues of the symmetric S_a^1/2 S_b S_a^1/2."""
    r = _sqrtm_psd(s_a)
    m = r @ s_b @ r
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum())


def _fid_variants(a: np.ndarray, b: np.ndarray) -> dict:
    """The right value (either covariance normalisation) and the values of plausible mistakes."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    d2 = float(((mu_a - mu_b) ** 2).sum())
    tr = float(np.trace(s_a) + np.trace(s_b))
    t = _tr_sqrt_product(s_a, s_b)
    sb_a, sb_b = np.cov(a, rowvar=False, bias=True), np.cov(b, rowvar=False, bias=True)
    w_l = np.linalg.eigh(s_a @ s_b)[0]                                # eigh reads the lower triangle only
    out = {"right": d2 + tr - 2 * t,
           "right_biased": d2 + float(np.trace(sb_a) + np.trace(sb_b)) - 2 * _tr_sqrt_product(sb_a, sb_b),
           "elementwise": d2 + tr - 2 * float(np.trace(np.sqrt(np.abs(s_a @ s_b)))),
           "product_of_roots": d2 + tr - 2 * float(np.trace(_sqrtm_psd(s_a) @ _sqrtm_psd(s_b))),
           "eigh_of_product": d2 + tr - 2 * float(np.sqrt(np.clip(w_l, 0, None)).sum()),
           "symmetrised_product": d2 + tr - 2 * float(np.sqrt(np.clip(np.linalg.eigvalsh(
               (s_a @ s_b + s_b @ s_a) / 2), 0, None)).sum()),
           "no_factor_2": d2 + tr - t,
           "norm_not_squared": math.sqrt(d2) + tr - 2 * t,
           "no_mean_term": tr - 2 * t,
           "diagonal": d2 + float(((np.sqrt(np.diag(s_a)) - np.sqrt(np.diag(s_b))) ** 2).sum())}
    if len(a) == len(b):                                               # torch.cov(f) without .T: N x N "covariances"
        ra, rb = np.cov(a), np.cov(b)
        out["rows_as_variables"] = d2 + float(np.trace(ra) + np.trace(rb)) - 2 * _tr_sqrt_product(ra, rb)
    return out


_FID_HINTS = {
    "elementwise": "you took an elementwise square root of the product S_r S_g (sqrt works entry by entry). FID needs "
                   "the MATRIX square root: tr (S_r S_g)^1/2, with your sqrtm_psd.",
    "product_of_roots": "you used S_r^1/2 S_g^1/2, the product of the two square roots. (S_r S_g)^1/2 is the root of the "
                        "product; the two agree only when the covariances commute (e.g. both diagonal), and real "
                        "feature covariances do not. Use tr (S_r S_g)^1/2 = tr (S_r^1/2 S_g S_r^1/2)^1/2.",
    "eigh_of_product": "you gave S_r S_g to an eigh-based root. The product of two symmetric matrices is not symmetric, "
                       "and eigh silently reads only one triangle of its argument. Root a symmetric matrix with the "
                       "same trace instead: tr (S_r S_g)^1/2 = tr (S_r^1/2 S_g S_r^1/2)^1/2.",
    "symmetrised_product": "you rooted (P + P^T) / 2 with P = S_r S_g. Symmetrising only mends rounding, on a matrix "
                           "that is symmetric in exact arithmetic (M = S_r^1/2 S_g S_r^1/2 before its root). P is "
                           "not: (P + P^T) / 2 has other eigenvalues than P, hence another trace root. Root the "
                           "symmetric S_r^1/2 S_g S_r^1/2 instead: it has the same eigenvalues as P.",
    "no_factor_2": "the cross term needs a factor 2: tr(S_r + S_g - 2 (S_r S_g)^1/2). With S_r = S_g = S the trace "
                   "term must vanish: tr(S + S - 2 S) = 0.",
    "norm_not_squared": "the mean term is the SQUARED distance ||mu_r - mu_g||^2 (sum of squared differences), not the "
                        "distance itself.",
    "no_mean_term": "the mean term ||mu_r - mu_g||^2 is missing: two sets with the same spread but different centres "
                    "must get a positive FID.",
    "diagonal": "that is section 5's diagonal FID, the case where every feature is its own Gaussian. This exercise is the "
                "next case: full covariance matrices, whose off-diagonal entries (correlated features) count too.",
    "rows_as_variables": "your covariances are N x N: torch.cov (like np.cov) treats ROWS as variables. Features are "
                         "the columns of f (N, F): use torch.cov(f.T), an F x F matrix.",
}


def _fid_cases():
    """Feature sets whose covariances do not commute, one with equal sizes, one singular (a dead
    feature and fewer samples than features, as real classifier features can be)."""
    g = np.random.default_rng(3)
    cases = []
    for n_a, n_b, f in ((60, 60, 8), (3000, 2500, 5)):
        a = g.normal(size=(n_a, f)) @ g.normal(size=(f, f)) + g.normal(size=f)
        b = g.normal(size=(n_b, f)) @ (0.7 * g.normal(size=(f, f))) + 0.5 * g.normal(size=f)
        cases.append((a, b))
    a, b = g.normal(size=(10, 12)), 0.5 + g.normal(size=(9, 12)) @ g.normal(size=(12, 12))
    a[:, 4] = b[:, 4] = 0.0
    cases.append((a, b))
    return cases


def _as_float(value, name: str) -> float:
    if torch.is_tensor(value):
        value = value.detach().cpu()
        value = value.numpy() if not value.is_complex() else value.numpy().astype(complex)
    if isinstance(value, np.ndarray):
        check(value.size == 1, f"{name} should be one number, got shape {value.shape}.")
        value = value.reshape(()).item()
    if isinstance(value, complex):
        raise CheckFailed(f"{name} is complex: the eigenvalues of the non-symmetric product S_r S_g come back "
                          "complex (torch.linalg.eigvals), with rounding in the imaginary parts. Root the symmetric "
                          "S_r^1/2 S_g S_r^1/2 with eigh instead: its eigenvalues are real.")
    check(isinstance(value, (int, float, np.floating, np.integer)), f"{name} should be a number, got {type(value).__name__}.")
    value = float(value)
    check(math.isfinite(value), f"{name} is {value}: a tiny negative eigenvalue (rounding) went into a square root; "
                                "clip eigenvalues at 0 (your sqrtm_psd should).")
    return value


def check_fid(fn) -> bool:
    """``fn(f_real (N, F), f_fake (M, F)) -> float``: the Frechet distance between Gaussians fitted to
    two sets of features (float64 tensors), written without a library FID or scipy's sqrtm."""
    library = {**_fid_library(), **_roots_library()}
    refuse_identity(fn, library, "fid_from_features")
    notebook = {"fid_diagonal": _FID_HINTS["diagonal"] + " (fid_diagonal is refused inside your function.)"}
    for a, b in _fid_cases():
        v = _fid_variants(a, b)
        try:
            got = _refusing_roots(fn, torch.from_numpy(a.copy()), torch.from_numpy(b.copy()),
                                  name="fid_from_features", library=library, notebook=notebook)
        except RuntimeError as err:
            hint = (f"Here f_real has {len(a)} rows and f_fake {len(b)}: means over the rows (dim 0), covariances "
                    "F x F of the columns (torch.cov(f.T)), so only F x F matrices meet.")
            if "converge" in str(err):
                hint = ("eigh fails like this on a matrix containing nan: an earlier square root took a tiny negative "
                        "eigenvalue (rounding, on these singular covariances); clip eigenvalues at 0.")
            raise CheckFailed(f"fid_from_features raised RuntimeError: {err} {hint}") from None
        got = _as_float(got, "fid_from_features(f_real, f_fake)")
        ok = lambda key: key in v and abs(got - v[key]) <= 1e-4 * max(1.0, abs(v[key]))
        if ok("right") or ok("right_biased"):
            continue
        for key, hint in _FID_HINTS.items():
            if ok(key):
                raise CheckFailed(hint)
        raise CheckFailed(f"fid_from_features gives {got:.4f} on {len(a)} x {a.shape[1]} and {len(b)} x {b.shape[1]} "
                          f"features, expected {v['right']:.4f} = ||mu_r - mu_g||^2 + tr(S_r + S_g - 2 (S_r S_g)^1/2): "
                          "means over rows (dim 0), covariances of the columns (torch.cov(f.T)).")
    a = _fid_cases()[0][0]
    same = _as_float(_refusing_roots(fn, torch.from_numpy(a.copy()), torch.from_numpy(a.copy()), name="fid_from_features",
                                     library=library, notebook=notebook), "fid_from_features(f, f)")
    check(abs(same) < 1e-6 * max(1.0, float(np.trace(np.cov(a, rowvar=False)))),
          f"the FID of a feature set with itself should be 0, got {same:.3g}. Keep float64 (the features arrive "
          "in float64; cast to float32, rounding in the covariances and square roots alone leaves an error this "
          "large), and compute both sides the same way.")
    return passed("FID from features", "||mu_r - mu_g||^2 + tr(S_r + S_g - 2 (S_r^1/2 S_g S_r^1/2)^1/2), "
                                       "also for singular covariances")
