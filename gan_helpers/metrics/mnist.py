"""Sample-quality metrics for MNIST generators, computed with the shipped MNIST classifier
(``gan_helpers.models.classifier``; explained in notebook 03).

* MNIST-FID: the Frechet distance (Heusel et al. 2017, "GANs Trained by a Two Time-Scale
  Update Rule Converge to a Local Nash Equilibrium") between Gaussians fitted to the
  classifier's penultimate features of generated and real images. FID depends on the
  sample count, so it always uses a fixed ``n`` (10,000) generated images; ``fid_floor``
  is the score of *real* training images against the test set in the same space: no
  generator can be expected to go below it.
* Class coverage and confident share: which digits the classifier reads in the samples,
  and how sure it is (a mode-collapse and a quality signal, after the "Inception score"
  idea of Salimans et al. 2016).
* Label accuracy for conditional generators (notebook 05).

All image arguments are tensors (N, 1, 28, 28) in [-1, 1].
"""
from __future__ import annotations

import weakref

import numpy as np
import torch
from torch import nn

from ..checkpoints import load_pretrained
from ..models.classifier import MNISTClassifier

CLASSIFIER_FILE = "mnist_classifier.safetensors"
N_CLASSES = 10

_classifiers: dict[str, nn.Module] = {}
# Per classifier object: {"test": (mu, sigma), ("floor", n): float, ...}. Weak keys, so
# stats never outlive (or get mixed up with) the classifier they were computed with.
_stats: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()


def load_classifier(device: str | torch.device = "cpu") -> nn.Module:
    """The shipped MNIST classifier (sha256-verified), in eval mode, cached per device."""
    key = str(torch.device(device))
    if key not in _classifiers:
        _classifiers[key] = load_pretrained(CLASSIFIER_FILE, MNISTClassifier, map_location=device)
    return _classifiers[key]


def _clf(clf: nn.Module | None) -> nn.Module:
    return load_classifier() if clf is None else clf


def _check_images(x, name: str = "images") -> torch.Tensor:
    if not torch.is_tensor(x):
        raise ValueError(f"{name} must be a torch.Tensor (N, 1, 28, 28), got {type(x).__name__}")
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        hint = " (add the channel axis with x.unsqueeze(1))" if x.ndim == 3 and tuple(x.shape[1:]) == (28, 28) else ""
        raise ValueError(f"{name} must have shape (N, 1, 28, 28), got {tuple(x.shape)}{hint}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be floating point in [-1, 1], got dtype {x.dtype}")
    lo, hi = float(x.min()), float(x.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"{name} contains nan or inf")
    if lo < -1.01 or hi > 1.01:
        raise ValueError(f"{name} must lie in [-1, 1] (the tanh range), got values in [{lo:.3g}, {hi:.3g}]")
    return x


@torch.no_grad()
def _run(clf: nn.Module, x: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (N, F) and class probabilities (N, 10) on the CPU, in one pass."""
    x = _check_images(x)
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    was = clf.training
    clf.eval()
    dev = next(clf.parameters()).device
    feats, probs = [], []
    try:
        for i in range(0, len(x), batch_size):
            f = clf.features(x[i:i + batch_size].to(dev).float())
            feats.append(f.cpu())
            probs.append(torch.softmax(clf.head(f), dim=1).cpu())
    finally:
        clf.train(was)
    return torch.cat(feats), torch.cat(probs)


def classifier_features(clf: nn.Module | None, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Penultimate features (N, F) of images ``x`` (N, 1, 28, 28) in [-1, 1], on the CPU
    (``clf=None``: the shipped classifier)."""
    return _run(_clf(clf), x, batch_size)[0]


def classifier_probs(clf: nn.Module | None, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Class probabilities (N, 10) of images ``x`` (N, 1, 28, 28) in [-1, 1]."""
    return _run(_clf(clf), x, batch_size)[1]


def _gaussian(feats: torch.Tensor, name: str) -> tuple[np.ndarray, np.ndarray]:
    if not torch.is_tensor(feats) or feats.ndim != 2:
        raise ValueError(f"{name} must be a 2-D tensor (N, F), got "
                         f"{tuple(feats.shape) if torch.is_tensor(feats) else type(feats).__name__}")
    if feats.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 rows to estimate a covariance, got {feats.shape[0]}")
    f = feats.detach().cpu().double().numpy()
    return f.mean(0), np.cov(f, rowvar=False)


def _frechet(mu1, s1, mu2, s2) -> float:
    """||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^1/2), with tr (S1 S2)^1/2 computed as the
    sum of sqrt eigenvalues of the symmetric S1^1/2 S2 S1^1/2 (stable for singular S)."""
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root1 @ s2 @ root1
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    d = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)
    return max(d, 0.0)


def frechet_distance(feats_a: torch.Tensor, feats_b: torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted to features (Na, F) and (Nb, F).

    Written here rather than taken from torchmetrics' ``FrechetInceptionDistance``, because
    that metric takes images and re-extracts the real set's features on every use, while the
    MNIST reference statistics here are computed once per classifier and reused by every
    score a notebook prints (KID is written out in :mod:`gan_helpers.metrics.kid`)."""
    mu1, s1 = _gaussian(feats_a, "feats_a")
    mu2, s2 = _gaussian(feats_b, "feats_b")
    if mu1.shape != mu2.shape:
        raise ValueError(f"feature sizes differ: {mu1.shape[0]} vs {mu2.shape[0]}")
    return _frechet(mu1, s1, mu2, s2)


def _reference(clf: nn.Module, reference: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of the features of a whole real split, computed once per classifier."""
    from ..data.mnist import load_mnist

    if reference not in ("test", "train"):
        raise ValueError(f"reference must be 'test' or 'train', got {reference!r}")
    cache = _stats.setdefault(clf, {})
    if reference not in cache:
        x, _ = load_mnist(train=reference == "train")
        cache[reference] = _gaussian(classifier_features(clf, x), f"MNIST {reference} features")
    return cache[reference]


def _take(images: torch.Tensor, n: int) -> torch.Tensor:
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    _check_images(images)
    if len(images) < n:
        raise ValueError(f"FID uses exactly n={n} images (it depends on the count) but got {len(images)}. "
                         f"Generate more, or pass a smaller n explicitly (and compare only scores with the same n).")
    return images[:n]


def mnist_fid(images: torch.Tensor, clf: nn.Module | None = None, n: int = 10000,
              reference: str = "test") -> float:
    """MNIST-FID of the first ``n`` of ``images`` (N, 1, 28, 28) in [-1, 1] against a real split."""
    clf = _clf(clf)
    x = _take(images, n)
    mu_r, s_r = _reference(clf, reference)
    mu, s = _gaussian(classifier_features(clf, x), "generated features")
    return _frechet(mu, s, mu_r, s_r)


def fid_floor(clf: nn.Module | None = None, n: int = 10000) -> float:
    """MNIST-FID of ``n`` real training images (a fixed random subset) against the test set:
    the score of a perfect generator at this sample count."""
    from ..data.mnist import load_mnist

    clf = _clf(clf)
    cache = _stats.setdefault(clf, {})
    key = ("floor", n)
    if key not in cache:
        x, _ = load_mnist(train=True)
        if not isinstance(n, int) or not 2 <= n <= len(x):
            raise ValueError(f"n must be an int in [2, {len(x)}], got {n!r}")
        idx = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:n]
        cache[key] = mnist_fid(x[idx], clf, n=n, reference="test")
    return cache[key]


def _coverage(probs: torch.Tensor, threshold: float) -> dict:
    counts = torch.bincount(probs.argmax(1), minlength=N_CLASSES).double()
    shares = (counts / counts.sum()).tolist()
    return {"covered": int(sum(s >= threshold for s in shares)), "shares": shares}


def _confident(probs: torch.Tensor, threshold: float) -> float:
    return float((probs.max(1).values >= threshold).double().mean())


def _check_labels(labels, n_images: int) -> torch.Tensor:
    if not torch.is_tensor(labels) or labels.ndim != 1 or labels.dtype.is_floating_point:
        raise ValueError("labels must be a 1-D integer tensor (N,)")
    if len(labels) != n_images:
        raise ValueError(f"{n_images} images but {len(labels)} labels")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= N_CLASSES):
        raise ValueError(f"labels must lie in 0..{N_CLASSES - 1}")
    return labels.cpu()


def _label_accuracy(probs: torch.Tensor, labels: torch.Tensor) -> dict:
    labels = _check_labels(labels, len(probs))
    hit = (probs.argmax(1) == labels).double()
    per_class = [float(hit[labels == k].mean()) if bool((labels == k).any()) else float("nan")
                 for k in range(N_CLASSES)]
    return {"accuracy": float(hit.mean()), "per_class": per_class}


def class_coverage(images: torch.Tensor, clf: nn.Module | None = None, threshold: float = 0.02) -> dict:
    """How many digits appear: ``{"covered": classes with a share >= threshold, "shares": [10 floats]}``.

    The share of a class is the fraction of images the classifier assigns to it (argmax).
    """
    return _coverage(classifier_probs(clf, images), threshold)


def confident_share(images: torch.Tensor, clf: nn.Module | None = None, threshold: float = 0.9) -> float:
    """Fraction of images whose top class probability is at least ``threshold``."""
    return _confident(classifier_probs(clf, images), threshold)


def label_accuracy(images: torch.Tensor, labels: torch.Tensor, clf: nn.Module | None = None) -> dict:
    """For a conditional generator: how often the classifier reads the requested label.

    Returns ``{"accuracy": float, "per_class": [10 floats]}`` (nan for a label never requested).
    """
    _check_labels(labels, len(_check_images(images)))  # fail before running the classifier
    return _label_accuracy(classifier_probs(clf, images), labels)


def evaluate_generator(images: torch.Tensor, labels: torch.Tensor | None = None,
                       clf: nn.Module | None = None, n: int = 10000) -> dict:
    """All the above for generated ``images`` (N >= n, 1, 28, 28): ``fid``, ``fid_floor``,
    ``covered``, ``shares``, ``confident`` (and ``label_accuracy``, ``per_class`` with labels).
    The classifier runs once over the first ``n`` images."""
    clf = _clf(clf)
    x = _take(images, n)
    if labels is not None:
        _check_labels(labels[:n] if torch.is_tensor(labels) else labels, n)  # fail before the work
    feats, probs = _run(clf, x, 1000)
    mu_r, s_r = _reference(clf, "test")
    mu, s = _gaussian(feats, "generated features")
    cov = _coverage(probs, 0.02)
    out = {"n": n, "fid": _frechet(mu, s, mu_r, s_r), "fid_floor": fid_floor(clf, n=n),
           "covered": cov["covered"], "shares": cov["shares"], "confident": _confident(probs, 0.9)}
    if labels is not None:
        acc = _label_accuracy(probs, labels[:n])
        out["label_accuracy"], out["per_class"] = acc["accuracy"], acc["per_class"]
    return out


def format_report(r: dict) -> str:
    """One line for a result of ``evaluate_generator``."""
    s = (f"MNIST-FID {r['fid']:.2f} (floor {r['fid_floor']:.2f}, n={r['n']}) | "
         f"digits covered {r['covered']}/10 | confident {r['confident']:.1%}")
    if "label_accuracy" in r:
        s += f" | label accuracy {r['label_accuracy']:.1%}"
    return s
