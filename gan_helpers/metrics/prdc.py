"""Quality and diversity measured separately (notebook 09): precision and recall for
generative models (Kynkaanniemi et al. 2019, "Improved Precision and Recall Metric for
Assessing Generative Models") and density and coverage (Naeem et al. 2020, "Reliable
Fidelity and Diversity Metrics for Generative Models").

FID folds "are the samples realistic?" and "do they cover all of the data?" into one number.
These four split it, in a feature space (for MNIST: the shipped classifier's penultimate
features, the space of MNIST-FID, via :func:`mnist_prdc`). Each real point r gets a ball of
radius NND_k(r), the distance to its k-th nearest *other* real point; the union of the balls
estimates the real manifold (and the same with fake points for the fake manifold):

* precision (k = 3): share of fakes inside the real manifold (quality);
* recall (k = 3): share of reals inside the fake manifold (diversity);
* density (k = 5): (1 / kM) * sum over fakes of the number of real balls containing it.
  Unlike precision it is not capped at 1 and is not fooled by a few outlying reals with
  huge balls: it is about 1 when fakes are distributed like the reals, > 1 when they crowd
  into dense regions;
* coverage (k = 5): share of reals whose ball contains at least one fake. Unlike recall it
  never uses the balls of the fakes, so a few outlying fakes cannot inflate it.

A point *on* a ball's boundary counts as inside (``<=``). With a strict ``<`` (as in the
``prdc`` package, the reference code of Naeem et al.) a point whose k nearest neighbours are
copies of itself has radius 0 and lies outside its own ball, so identical sets with repeated
points (duplicate images, a collapsed generator scored against itself) score below 1.
Distances are computed pair by pair (``torch.cdist`` without the matrix-product shortcut, in
float64), so a copy is at distance exactly 0 whichever chunk it is computed in.

torchmetrics 1.9.0 (the version in this project's environment) implements neither pair:
its image metrics for generative models are FID, MiFID, KID, the Inception score and
perceptual path length, and its precision and recall are classification and retrieval
metrics.

All feature arguments are tensors (N, F); distances are computed ``chunk_size`` rows at a
time, so 10,000 x 10,000 features need ~80 MB per chunk instead of 800 MB for the matrix.
"""
from __future__ import annotations

import torch
from torch import nn

from .mnist import classifier_features

K_PR = 3  # Kynkaanniemi et al. 2019, section 3
K_DC = 5  # Naeem et al. 2020, section 4


def _check_features(x, name: str) -> torch.Tensor:
    if not torch.is_tensor(x) or x.ndim != 2:
        shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ValueError(f"{name} must be a 2-D tensor of features (N, F), got {shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} is empty: got shape {tuple(x.shape)}")
    if x.dtype == torch.bool or x.is_complex():
        raise ValueError(f"{name} must hold real numbers, got dtype {x.dtype}")
    x = x.detach().double()  # exact ties (copies, identical sets) need float64 distances
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains nan or inf")
    return x


def _check_k(k, n: int, name: str) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    if k >= n:
        raise ValueError(f"k={k} needs at least {k + 1} {name} features (a ball reaches the k-th nearest "
                         f"*other* point), got {n}: use more samples or a smaller k")
    return k


def _check_chunk(chunk_size) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    return chunk_size


def _pair(real, fake) -> tuple[torch.Tensor, torch.Tensor]:
    real, fake = _check_features(real, "real"), _check_features(fake, "fake")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake features differ in size: {real.shape[1]} vs {fake.shape[1]}")
    return real, fake.to(real.device)


def _dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # Without the |a|^2 + |b|^2 - 2ab shortcut: slower, but a copy is at exactly 0 and d(a, b)
    # does not depend on which chunk a and b were in (ties at the radius stay ties).
    return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")


def _radii(x: torch.Tensor, ks: tuple[int, ...], chunk_size: int) -> dict[int, torch.Tensor]:
    """{k: distance (N,) from each row of x to its k-th nearest other row} for every k in ks."""
    kmax = max(ks)
    out = []
    for i in range(0, len(x), chunk_size):
        d = _dist(x[i:i + chunk_size], x)                              # (c, N)
        rows = torch.arange(len(d), device=x.device)
        d[rows, rows + i] = float("inf")  # a point is not its own neighbour (its copies are)
        out.append(d.topk(kmax, dim=1, largest=False).values)          # (c, kmax), ascending
    nn_d = torch.cat(out)                                              # (N, kmax)
    return {k: nn_d[:, k - 1] for k in ks}


def knn_radii(x: torch.Tensor, k: int, chunk_size: int = 1024) -> torch.Tensor:
    """Distance (N,) from each row of ``x`` (N, F) to its k-th nearest other row (float64):
    the radius of its ball in the manifold estimate."""
    x = _check_features(x, "x")
    return _radii(x, (_check_k(k, len(x), "x"),), _check_chunk(chunk_size))[k]


def _scores(real: torch.Tensor, fake: torch.Tensor, k_pr: int | None, k_dc: int | None,
            chunk_size: int) -> dict[str, float]:
    """One pass over chunks of real rows against all fakes; the radii need one pass per set."""
    ks = tuple(k for k in (k_pr, k_dc) if k is not None)
    r_real = _radii(real, ks, chunk_size)
    r_fake = _radii(fake, (k_pr,), chunk_size)[k_pr] if k_pr is not None else None
    precise = torch.zeros(len(fake), dtype=torch.bool, device=real.device)  # fake in some real k_pr-ball
    n_balls = torch.zeros(len(fake), dtype=torch.float64, device=real.device)  # real k_dc-balls holding it
    recalled = covered = 0
    for i in range(0, len(real), chunk_size):
        d = _dist(real[i:i + chunk_size], fake)                        # (c, M)
        if k_pr is not None:
            precise |= (d <= r_real[k_pr][i:i + chunk_size, None]).any(0)
            recalled += int((d <= r_fake[None, :]).any(1).sum())      # real in some fake ball
        if k_dc is not None:
            inside = d <= r_real[k_dc][i:i + chunk_size, None]          # (c, M): fake j in real ball i
            n_balls += inside.sum(0)
            covered += int(inside.any(1).sum())
    out = {}
    if k_pr is not None:
        out["precision"] = float(precise.double().mean())
        out["recall"] = recalled / len(real)
    if k_dc is not None:
        out["density"] = float(n_balls.sum()) / (k_dc * len(fake))
        out["coverage"] = covered / len(real)
    return out


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = K_PR,
                     chunk_size: int = 1024) -> dict[str, float]:
    """Kynkaanniemi et al. (2019): ``{"precision", "recall"}`` of features ``fake`` (M, F)
    against ``real`` (N, F), with balls to the k-th nearest neighbour. Both in [0, 1]."""
    real, fake = _pair(real, fake)
    k = _check_k(_check_k(k, len(real), "real"), len(fake), "fake")
    return _scores(real, fake, k, None, _check_chunk(chunk_size))


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = K_DC,
                     chunk_size: int = 1024) -> dict[str, float]:
    """Naeem et al. (2020): ``{"density", "coverage"}`` of features ``fake`` (M, F) against
    ``real`` (N, F), with the balls of the real points only. Coverage in [0, 1], density >= 0."""
    real, fake = _pair(real, fake)
    return _scores(real, fake, None, _check_k(k, len(real), "real"), _check_chunk(chunk_size))


def prdc(real: torch.Tensor, fake: torch.Tensor, k_pr: int = K_PR, k_dc: int = K_DC,
         chunk_size: int = 1024) -> dict[str, float]:
    """All four: ``{"precision", "recall", "density", "coverage"}`` of features ``fake`` (M, F)
    against ``real`` (N, F), each pair with its paper's k. Cheaper than the two calls apart:
    the real radii and the real-fake distances are computed once."""
    real, fake = _pair(real, fake)
    k_pr = _check_k(_check_k(k_pr, len(real), "real"), len(fake), "fake")
    k_dc = _check_k(k_dc, len(real), "real")
    return _scores(real, fake, k_pr, k_dc, _check_chunk(chunk_size))


def mnist_prdc(real_images: torch.Tensor, fake_images: torch.Tensor, clf: nn.Module | None = None,
               k_pr: int = K_PR, k_dc: int = K_DC, batch_size: int = 1000,
               chunk_size: int = 1024) -> dict[str, float]:
    """:func:`prdc` of images (N, 1, 28, 28) and (M, 1, 28, 28) in [-1, 1], in the penultimate
    features of the MNIST classifier (``clf=None``: the shipped one), the space of MNIST-FID.
    Like FID, the numbers depend on N and M: compare only scores with the same counts."""
    real = classifier_features(clf, real_images, batch_size)
    fake = classifier_features(clf, fake_images, batch_size)
    return prdc(real, fake, k_pr=k_pr, k_dc=k_dc, chunk_size=chunk_size)


def format_prdc(r: dict) -> str:
    """One line for a result of :func:`prdc` (or of either pair)."""
    parts = [f"{name} {r[name]:.3f}" for name in ("precision", "recall", "density", "coverage") if name in r]
    return " | ".join(parts)
