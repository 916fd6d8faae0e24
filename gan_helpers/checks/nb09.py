"""Exercise checks for notebook 09 (measuring a generator: quality and diversity), exercises 1-3:
the k-NN manifold estimate and the scores built on it, precision and recall (Kynkaanniemi et al.
2019, "Improved Precision and Recall Metric for Assessing Generative Models") and density and
coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models").

* ``check_knn_radii(fn)``: ``fn(feats, k) -> (N,)``, the distance from each point to its k-th
  nearest *other* point (a copy of the point counts as another point).
* ``check_precision_recall(fn)``: ``fn(real, fake, k) -> (precision, recall)``, share of fakes in
  some real ball, share of reals in some fake ball; a point on a boundary counts as inside (<=).
* ``check_coverage(fn)``: ``fn(real, fake, k) -> (density, coverage)``, with the real balls only.
* ``check_failure_reading(answers)``, ``failure_cases(n, seed)``, ``check_truncate(fn)``: in
  ``nb09_cases`` (re-exported here).

Each case is compared with a brute-force reference written here; the library's answers
(gan_helpers.metrics.prdc) are refused inside the learner's function, under any name.
"""
from __future__ import annotations

import torch

from ..metrics import prdc as _lib
from ._core import CheckFailed, check, close, expect_tensor, passed
from ._refusals import call_refusing, refuse_identity

_MSG = ("Exercises 1-3 ask you to build the k-NN balls yourself: gan_helpers.metrics.prdc ({}) is the "
        "answer. Compute the distances with torch.cdist and pick the k-th smallest with torch.topk or sort.")
LIBRARY = {f: _MSG.format(f.__name__) for f in (_lib.knn_radii, _lib.precision_recall, _lib.density_coverage,
                                                _lib.prdc, _lib.mnist_prdc, _lib._radii, _lib._scores, _lib._dist)}


# --- brute-force references, with the typical slips as switches -----------------------------------
def _d(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise Euclidean distances (len(a), len(b)) in float64, one pair at a time (exact 0 for copies)."""
    return (a.double()[:, None, :] - b.double()[None, :, :]).pow(2).sum(-1).sqrt()


def _radii(x, k, self_in=False, farthest=False):
    """Distance to the k-th nearest other row; ``self_in``: the point counts as its own neighbour;
    ``farthest``: sorted the wrong way (the k-th farthest)."""
    d = _d(x, x)
    if not self_in:
        d.fill_diagonal_(float("-inf") if farthest else float("inf"))
    return d.sort(1, descending=farthest).values[:, k - 1]


def _pr(real, fake, k, strict=False, self_in=False, balls="ok"):
    """(precision, recall); ``balls='swapped'``: each set's membership measured with the other set's radii."""
    d = _d(real, fake)                                                   # (N, M)
    r_real, r_fake = _radii(real, k, self_in), _radii(fake, k, self_in)
    inside = (lambda a, b: a < b) if strict else (lambda a, b: a <= b)
    if balls == "swapped":
        return (float(inside(d, r_fake[None, :]).any(0).double().mean()),
                float(inside(d, r_real[:, None]).any(1).double().mean()))
    return (float(inside(d, r_real[:, None]).any(0).double().mean()),   # fake j in some real ball
            float(inside(d, r_fake[None, :]).any(1).double().mean()))   # real i in some fake ball


def _dc(real, fake, k, strict=False, self_in=False, per_k=True, per="fake", fake_balls=False):
    """(density, coverage) with the real balls; switches for the slips."""
    d = _d(real, fake)
    r_real = _radii(real, k, self_in)
    inside = d < r_real[:, None] if strict else d <= r_real[:, None]   # (N, M): fake j in real ball i
    density = float(inside.sum()) / ((k if per_k else 1) * (fake.shape[0] if per == "fake" else real.shape[0]))
    if fake_balls:
        coverage = float((d <= _radii(fake, k, self_in)[None, :]).any(1).double().mean())
    else:
        coverage = float(inside.any(1).double().mean())
    return density, coverage


# --- the cases -------------------------------------------------------------------------------------
def _blobs(seed: int, n: int, f: int, shift: float = 0.0, scale: float = 1.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, f, generator=g) * scale + shift


def _line(*xs: float) -> torch.Tensor:
    """Points on the x axis of the plane at integer positions: every distance between them is an exact
    small integer in any float format and any cdist route, so a point on a boundary stays on it."""
    return torch.tensor([[float(x), 0.0] for x in xs])


def _with_copies() -> torch.Tensor:
    """Random points plus one point in 4 copies and one in 2: the radius is 0 when k copies remain."""
    x = _blobs(3, 10, 3)
    return torch.cat([x, x[:1].repeat(3, 1), x[1:2]])


def _pair_cases():
    """(label, real, fake, k) for exercises 2 and 3."""
    two_modes = torch.cat([_blobs(4, 30, 2, shift=-6.0), _blobs(5, 30, 2, shift=6.0)])
    return [("random sets", _blobs(0, 40, 3), _blobs(1, 33, 3, shift=0.6, scale=0.8), 3),
            ("random sets, k = 1", _blobs(0, 40, 3), _blobs(1, 33, 3, shift=0.6, scale=0.8), 1),
            ("fake = real", _blobs(2, 25, 4), _blobs(2, 25, 4), 3),
            ("a far-away fake set", _blobs(2, 25, 4), _blobs(6, 20, 4, shift=50.0), 3),
            ("a dropped mode (fakes from one of the two real clusters)", two_modes,
             _blobs(7, 25, 2, shift=-6.0), 3),
            ("points on a line, fakes on the boundaries", _line(0, 1, 2, 3, 5, 6, 7, 8),
             _line(-1, 4, 9, 10, 11, 12), 1)]


def _number(v, what: str, name: str) -> float:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) or torch.is_tensor(v) and v.numel() == 1
    check(ok, f"{name} should return two numbers, ({what}); one of them is {type(v).__name__}"
              f"{' of shape ' + str(tuple(v.shape)) if torch.is_tensor(v) else ''}.")
    return float(v)


def _two(got, what: str, name: str) -> tuple[float, float]:
    check(isinstance(got, (tuple, list)) and len(got) == 2,
          f"{name} should return two numbers, ({what}), got {type(got).__name__}"
          f"{' of length ' + str(len(got)) if isinstance(got, (tuple, list, dict)) else ''}.")
    return _number(got[0], what, name), _number(got[1], what, name)


def _near(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


# --- exercise 1: the radii -------------------------------------------------------------------------
def _self_message(k: int) -> str:
    nth = {2: "nearest", 3: "2nd nearest", 4: "3rd nearest"}.get(k, f"{k - 1}th nearest")
    got = "0 for every point" if k == 1 else f"the distance to the {nth} other point"
    return (f"The point counted as its own nearest neighbour (at distance 0), so with k = {k} you returned {got}. "
            "Exclude it: set the diagonal of the distance matrix to inf before taking the k smallest (its copies, "
            "if any, still count).")


def check_knn_radii(fn) -> bool:
    """``fn(feats (N, F), k) -> (N,)``: the distance from each point to its k-th nearest other point."""
    name = getattr(fn, "__name__", "knn_radii")
    refuse_identity(fn, LIBRARY, name)
    cases = [("random points", _blobs(0, 12, 3), k) for k in (3, 1, 2)]
    cases += [("points with copies", _with_copies(), k) for k in (1, 2, 3, 4)]
    for label, x, k in cases:
        got = call_refusing(fn, x.clone(), k, name=name, library=LIBRARY)
        n = x.shape[0]
        check(torch.is_tensor(got), f"{name} should return a tensor (N,), got {type(got).__name__}.")
        if got.ndim == 2 and got.shape == (n, k):
            raise CheckFailed(f"{name} returned the {k} nearest distances of each point, shape {tuple(got.shape)}: "
                              "keep only the k-th one, the last column (values[:, k - 1]), shape (N,).")
        expect_tensor(got, (n,), name=f"{name}(feats, k={k})")
        if not got.is_floating_point():
            raise CheckFailed(f"{name} returned integers: those are the neighbours' indices (topk's .indices). "
                              "The radius is the distance itself, .values.")
        want = _radii(x, k)
        if close(got, want):
            continue
        slips = [(_radii(x, k, self_in=True), _self_message(k)),
                 (want.pow(2), "Those are squared distances: take the square root (torch.cdist gives distances)."),
                 (_radii(x, k, farthest=True), "You took the k-th *farthest* point: sort ascending "
                  "(torch.topk(..., largest=False)), the ball reaches the k-th *nearest* one.")]
        for other, message in slips:
            if close(got, other):
                raise CheckFailed(message)
        if close(got, torch.arange(n, dtype=got.dtype)) or bool((got == got.round()).all() and got.max() >= 1):
            raise CheckFailed(f"{name} returned whole numbers: those look like indices (topk's .indices); "
                              "return the distances, .values.")
        if label == "points with copies":
            raise CheckFailed(f"Right on distinct points, wrong with copies (k = {k}): a copy of a point is "
                              "another point at distance exactly 0. Exclude only the point itself (the diagonal), "
                              "not every point at distance 0; with k copies left, the radius is 0.")
        raise CheckFailed(f"{name} differs from the brute-force radii on {label} with k = {k}: expected "
                          f"{want[:4].tolist()} ..., got {got[:4].tolist()} ...")
    return passed("knn_radii", "distance to the k-th nearest other point, copies included")


# --- exercise 2: precision and recall --------------------------------------------------------------
def check_precision_recall(fn) -> bool:
    """``fn(real, fake, k) -> (precision, recall)``: share of fakes inside the real balls, of reals inside
    the fake balls, a point on a boundary counting as inside."""
    name = getattr(fn, "__name__", "precision_recall")
    refuse_identity(fn, LIBRARY, name)
    for label, real, fake, k in _pair_cases():
        got = _two(call_refusing(fn, real.clone(), fake.clone(), k, name=name, library=LIBRARY),
                   "precision, recall", name)
        want = _pr(real, fake, k)
        if _near(got[0], want[0]) and _near(got[1], want[1]):
            continue
        prefix = f"On {label} (k = {k}) you got precision {got[0]:.3f}, recall {got[1]:.3f}; expected " \
                 f"{want[0]:.3f}, {want[1]:.3f}. "
        if _near(got[0], want[1]) and _near(got[1], want[0]):
            raise CheckFailed(prefix + "Precision and recall are swapped: precision is about the fakes (the "
                              "share inside the real manifold, quality), recall about the reals (the share inside "
                              "the fake manifold, diversity).")
        for kw, message in [
            (dict(strict=True), "A point exactly on a ball's boundary counts as inside: use <=, not <."),
            (dict(self_in=True), "The radii counted each point as its own neighbour: the ball reaches the k-th "
                                 "nearest *other* point (your knn_radii from exercise 1)."),
        ]:
            other = _pr(real, fake, k, **kw)
            if _near(got[0], other[0]) and _near(got[1], other[1]):
                raise CheckFailed(prefix + message)
        swapped = _pr(real, fake, k, balls="swapped")
        if _near(got[0], swapped[0]) and not _near(swapped[0], want[0]):
            raise CheckFailed(prefix + "Precision used the fakes' balls: a fake counts when it lies inside a "
                              "*real* point's ball, d(real_i, fake_j) <= radius of real_i (k-NN among the reals).")
        if _near(got[1], swapped[1]) and not _near(swapped[1], want[1]):
            raise CheckFailed(prefix + "Recall used the reals' balls: a real counts when it lies inside a *fake* "
                              "point's ball, d(real_i, fake_j) <= radius of fake_j (k-NN among the fakes).")
        raise CheckFailed(prefix + "Precision: mean over fakes of [some real i has d(i, j) <= r_real_i]; recall: "
                          "mean over reals of [some fake j has d(i, j) <= r_fake_j].")
    return passed("precision_recall", "fakes in real balls, reals in fake balls, boundary inside")


# --- exercise 3: density and coverage ---------------------------------------------------------------
def check_coverage(fn) -> bool:
    """``fn(real, fake, k) -> (density, coverage)``, both with the k-NN balls of the reals only."""
    name = getattr(fn, "__name__", "density_coverage")
    refuse_identity(fn, LIBRARY, name)
    for label, real, fake, k in _pair_cases():
        got = _two(call_refusing(fn, real.clone(), fake.clone(), k, name=name, library=LIBRARY),
                   "density, coverage", name)
        want = _dc(real, fake, k)
        if _near(got[0], want[0]) and _near(got[1], want[1]):
            continue
        prefix = f"On {label} (k = {k}) you got density {got[0]:.3f}, coverage {got[1]:.3f}; expected " \
                 f"{want[0]:.3f}, {want[1]:.3f}. "
        if _near(got[0], want[1]) and _near(got[1], want[0]) and not _near(want[0], want[1]):
            raise CheckFailed(prefix + "Density and coverage are swapped: return (density, coverage).")
        for kw, message in [
            (dict(strict=True), "A point exactly on a ball's boundary counts as inside: use <=, not <."),
            (dict(self_in=True), "The radii counted each real as its own neighbour: the ball reaches the k-th "
                                 "nearest *other* real (your knn_radii from exercise 1)."),
        ]:
            other = _dc(real, fake, k, **kw)
            if _near(got[0], other[0]) and _near(got[1], other[1]):
                raise CheckFailed(prefix + message)
        if not _near(got[0], want[0]):
            for kw, message in [
                (dict(per_k=False), "Density is not divided by k: a fake inside the real distribution sits in "
                                    "about k real balls, so divide the count by k * M to bring it to about 1."),
                (dict(per="real"), "Density was divided by k * N (the reals): it is an average over the M fakes, "
                                   "so divide by k * M."),
                (dict(per_k=False, per="real"), "Density should be divided by k * M (k, and the number of fakes)."),
            ]:
                if _near(got[0], _dc(real, fake, k, **kw)[0]):
                    raise CheckFailed(prefix + message)
        if not _near(got[1], want[1]) and _near(got[1], _dc(real, fake, k, fake_balls=True)[1]):
            raise CheckFailed(prefix + "Coverage used the fakes' balls: that is recall. Coverage asks, for each "
                              "real, whether its *own* ball (k-NN radius among the reals) holds at least one fake, "
                              "so a few outlying fakes with huge balls cannot inflate it.")
        raise CheckFailed(prefix + "Density: (1 / kM) * number of (real ball, fake inside it) pairs; coverage: "
                          "share of reals whose ball holds at least one fake.")
    return passed("density_coverage", "real balls only: density about 1 on the real distribution, coverage")


# --- exercises 4 and 5: in nb09_cases (re-exported here) --------------------------------------------
from .nb09_cases import HIGH_AT_LEAST, check_failure_reading, check_truncate, failure_cases  # noqa: E402,F401


# The check's own references are answers too: refused like the library's.
LIBRARY.update({f: _MSG.format(f.__name__) for f in (_radii, _pr, _dc)})
