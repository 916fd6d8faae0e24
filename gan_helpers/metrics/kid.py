"""Kernel inception distance (Binkowski et al. 2018, "Demystifying MMD GANs"; notebook 07),
computed by ``torchmetrics`` with one of the project's classifiers as the feature extractor.

KID is the squared maximum mean discrepancy between two feature sets under the cubic
polynomial kernel k(a, b) = (a . b / d + 1)^3, estimated without bias on random subsets and
averaged. Unlike FID it has no small-sample bias, which matters for horse2zebra's 120 and
140 test photos: there FID moves with the sample count, KID only gets noisier (the spread
over subsets is returned with it). A KID near 0 means the two sets are indistinguishable
in the classifier's feature space; it can come out slightly negative for that reason.
"""
from __future__ import annotations

import warnings

import torch
from torch import nn


class ClassifierFeatures(nn.Module):
    """A classifier's penultimate features as a torchmetrics feature extractor: (N, C, H, W)
    images -> (N, F) features in float64 (the kernel's cube is computed in double)."""

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


def kid(x: torch.Tensor, y: torch.Tensor, clf: nn.Module, subsets: int = 100,
        subset_size: int | None = None, seed: int = 0, batch_size: int = 100) -> tuple[float, float]:
    """KID between images ``x`` (N, C, H, W) and ``y`` (M, C, H, W) in ``clf``'s features.

    Returns (mean, spread) over ``subsets`` random subsets of ``subset_size`` images of each
    set (default: all of the smaller set, as torchmetrics' default of 1,000 would exceed
    horse2zebra's test sets). The subsets are drawn from ``seed``, so the same call gives the
    same number; the caller's random state is left untouched.
    """
    from torchmetrics.image.kid import KernelInceptionDistance  # imported on use: a heavy import

    x, y = _check(x, "x"), _check(y, "y")
    if x.shape[1:] != y.shape[1:]:
        raise ValueError(f"x and y must have the same image shape, got {tuple(x.shape[1:])} and {tuple(y.shape[1:])}")
    size = min(len(x), len(y)) if subset_size is None else int(subset_size)
    if not 2 <= size <= min(len(x), len(y)):
        raise ValueError(f"subset_size must be between 2 and the smaller set ({min(len(x), len(y))}), got {size}")
    dev = next(clf.parameters()).device
    was_training = clf.training
    clf.eval()
    with warnings.catch_warnings():  # torchmetrics warns that it keeps every feature: here a few hundred
        warnings.simplefilter("ignore", UserWarning)
        metric = KernelInceptionDistance(feature=ClassifierFeatures(clf), subsets=subsets, subset_size=size)
    for imgs, real in ((x, True), (y, False)):
        for i in range(0, len(imgs), batch_size):
            metric.update(imgs[i:i + batch_size].to(dev), real=real)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, spread = metric.compute()
    clf.train(was_training)
    return float(mean), float(spread)
