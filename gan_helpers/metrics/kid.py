"""Kernel inception distance (Binkowski et al. 2018, "Demystifying MMD GANs"; notebook 08),
with one of the project's classifiers as the feature extractor.

KID is the squared maximum mean discrepancy between two feature sets under the cubic
polynomial kernel k(a, b) = (a . b / d + 1)^3, estimated without bias (eq. 2 of the paper) on
the whole of both sets. Unlike FID it has no small-sample bias, which matters for
horse2zebra's 120 and 140 test photos: there FID moves with the sample count, KID only gets
noisier. Its uncertainty is a bootstrap over images: both sets are resampled with replacement,
KID recomputed (leaving out pairs of an image with its own copy), and the standard deviation of the
resampled values returned (a standard error:
how much KID would move with other photos of the same two domains). A KID near 0 means the two
sets are indistinguishable in the classifier's feature space; unbiased, it can come out slightly
negative. Usually reported x 10^3 (``KID_SCALE``).

Written out rather than taken from torchmetrics' ``KernelInceptionDistance``, whose subsets
report a spread, not an uncertainty: the bootstrap reuses one kernel matrix per set. On whole
sets the two agree (``tests/test_kid.py``).
"""
from __future__ import annotations

import torch
from torch import nn

KID_SCALE = 1e3  # KID is conventionally printed x 10^3


class ClassifierFeatures(nn.Module):
    """A classifier's penultimate features: (N, C, H, W) images -> (N, F) features in float64
    (the kernel's cube is computed in double)."""

    def __init__(self, clf: nn.Module):
        super().__init__()
        if not callable(getattr(clf, "features", None)):
            raise TypeError(f"the classifier needs a .features(x) method, {type(clf).__name__} has none")
        self.clf = clf

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.clf.features(x).flatten(1).double()


def _check(x, name: str) -> torch.Tensor:
    if not torch.is_tensor(x) or x.ndim != 4:
        shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ValueError(f"{name} must be a batch of images (N, C, H, W), got {shape}")
    if len(x) < 2:
        raise ValueError(f"{name} needs at least 2 images for an unbiased KID, got {len(x)}")
    return x


def _mmd2(kxx: torch.Tensor, kyy: torch.Tensor, kxy: torch.Tensor, i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
    """Unbiased MMD^2 of the images ``i`` of x and ``j`` of y (index vectors, repeats allowed), from the
    kernel matrices of all images. Within a set, pairs of the same image are left out (the diagonal
    of the unbiased estimator), and so are the pairs a bootstrap repeat creates: k(a, a) would add
    a bias that grows with the number of repeats."""
    within_x, within_y = i[:, None] != i[None, :], j[:, None] != j[None, :]
    return kxx[i][:, i][within_x].mean() + kyy[j][:, j][within_y].mean() - 2 * kxy[i][:, j].mean()


def kid(x: torch.Tensor, y: torch.Tensor, clf: nn.Module, bootstraps: int = 200, seed: int = 0,
        batch_size: int = 100) -> tuple[float, float]:
    """KID between images ``x`` (N, C, H, W) and ``y`` (M, C, H, W) in ``clf``'s features, in raw
    units (multiply by ``KID_SCALE`` to print it as usual).

    Returns (KID on the whole sets, its bootstrap standard error): the standard deviation of KID over
    ``bootstraps`` resamplings of both sets' images with replacement, drawn from ``seed`` (the same
    call gives the same numbers; the caller's random state is left untouched). The features are
    computed once, so the bootstrap costs only indexing into the kernel matrices.
    """
    x, y = _check(x, "x"), _check(y, "y")
    if x.shape[1:] != y.shape[1:]:
        raise ValueError(f"x and y must have the same image shape, got {tuple(x.shape[1:])} and {tuple(y.shape[1:])}")
    if not isinstance(bootstraps, int) or bootstraps < 2:
        raise ValueError(f"bootstraps must be an int >= 2 (a standard deviation needs two values), got {bootstraps!r}")
    features = ClassifierFeatures(clf)
    dev = next(clf.parameters()).device
    was_training = clf.training
    clf.eval()
    fx, fy = (torch.cat([features(imgs[i:i + batch_size].to(dev)).cpu() for i in range(0, len(imgs), batch_size)])
              for imgs in (x, y))
    clf.train(was_training)
    d = fx.shape[1]
    kxx, kyy, kxy = ((fx @ fx.T / d + 1) ** 3, (fy @ fy.T / d + 1) ** 3, (fx @ fy.T / d + 1) ** 3)
    g = torch.Generator().manual_seed(seed)
    resampled = []
    for _ in range(bootstraps):
        i, j = torch.randint(0, len(fx), (len(fx),), generator=g), torch.randint(0, len(fy), (len(fy),), generator=g)
        resampled.append(_mmd2(kxx, kyy, kxy, i, j))
    resampled = torch.stack(resampled)
    resampled = resampled[resampled.isfinite()]  # a tiny set can draw one image only: no pair left to compare
    se = float(resampled.std()) if len(resampled) >= 2 else float("nan")
    return float(_mmd2(kxx, kyy, kxy, torch.arange(len(fx)), torch.arange(len(fy)))), se


def kid_from_features(fx: torch.Tensor, fy: torch.Tensor, subsets: int = 10, seed: int = 0) -> tuple[float, float]:
    """KID of two feature sets (N, F) and (M, F) as the mean of the unbiased MMD^2 over ``subsets``
    disjoint random parts of each set, with its standard error (the parts' standard deviation over
    sqrt(subsets)). The parts are independent, so this is an uncertainty of the mean (notebook 09).

    For large sets: 10,000 images need ten 1,000 x 1,000 kernel matrices per pair instead of one
    10,000 x 10,000, about a tenth of the work of :func:`kid` and no bootstrap. In raw units, like
    :func:`kid` (multiply by ``KID_SCALE``)."""
    for name, f in (("fx", fx), ("fy", fy)):
        if not torch.is_tensor(f) or f.ndim != 2:
            raise ValueError(f"{name} must be a feature matrix (N, F), got "
                             f"{tuple(f.shape) if torch.is_tensor(f) else type(f).__name__}")
    if fx.shape[1] != fy.shape[1]:
        raise ValueError(f"fx and fy must have the same feature size, got {fx.shape[1]} and {fy.shape[1]}")
    if not isinstance(subsets, int) or isinstance(subsets, bool) or subsets < 2:
        raise ValueError(f"subsets must be an int >= 2 (a standard error needs two parts), got {subsets!r}")
    if min(len(fx), len(fy)) < 2 * subsets:
        raise ValueError(f"each part needs at least 2 points: {subsets} parts need at least {2 * subsets} "
                         f"features per set, got {len(fx)} and {len(fy)}")
    g = torch.Generator().manual_seed(seed)
    fx, fy = fx.double().cpu(), fy.double().cpu()
    px = torch.randperm(len(fx), generator=g).tensor_split(subsets)
    py = torch.randperm(len(fy), generator=g).tensor_split(subsets)
    d = fx.shape[1]
    values = []
    for i, j in zip(px, py):
        a, b = fx[i], fy[j]
        kxx, kyy, kxy = (a @ a.T / d + 1) ** 3, (b @ b.T / d + 1) ** 3, (a @ b.T / d + 1) ** 3
        values.append(_mmd2(kxx, kyy, kxy, torch.arange(len(a)), torch.arange(len(b))))
    values = torch.stack(values)
    return float(values.mean()), float(values.std() / subsets ** 0.5)
