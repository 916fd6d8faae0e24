"""Classification Accuracy Score (Ravuri and Vinyals 2019, "Classification Accuracy Score for
Conditional Generative Models") and generated digits as extra training data; notebook 09
explains both.

CAS asks what a conditional generator G(z, y) is *for*: if G has captured p(x|y) for every class,
a classifier trained only on its samples (x_fake, y) should do about as well on real test digits
as one trained on as many real digits. Sample-quality scores such as FID reward sharp, typical
images; CAS also punishes a G that is precise but narrow (one clean style per class, missing the
slants and strokes of real handwriting), because the classifier then never sees those and fails on
them. It likewise punishes a G whose samples do not match the requested label.

The classifier is the project's ``MNISTClassifier`` with the recipe's settings
(``recipes.classifier``: Adam, one-cycle learning rate, random shift/rotation jitter), trained for
a fixed number of ``steps`` whatever the training set, so every comparison is at equal compute.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models.classifier import MNISTClassifier
from ..data.jitter import jitter_batch
from .accuracy import accuracy

N_CLASSES = 10  # MNIST digits


def _check_int(name: str, v, low: int) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or v < low:
        raise ValueError(f"{name} must be an int >= {low}, got {v!r}")


def check_digits(x: torch.Tensor, y: torch.Tensor, name: str = "x") -> None:
    """ValueError unless ``x`` is (N, 1, 28, 28) floats in [-1, 1] and ``y`` (N,) ints in 0..9."""
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise ValueError(f"{name} and its labels must be torch tensors, got {type(x).__name__} and {type(y).__name__}")
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28) or len(x) == 0:
        raise ValueError(f"{name} must be images (N, 1, 28, 28) with N >= 1, got {tuple(x.shape)}")
    if not x.dtype.is_floating_point:
        raise ValueError(f"{name} must be floats in [-1, 1], got dtype {x.dtype}")
    lo, hi = float(x.min()), float(x.max())
    # A small tolerance: tanh outputs and rescaled uint8 can land a rounding error outside.
    if not (lo >= -1 - 1e-4 and hi <= 1 + 1e-4):
        raise ValueError(f"{name} must lie in [-1, 1] (the scaling of load_mnist and G), got [{lo:.3g}, {hi:.3g}]")
    if y.ndim != 1 or y.dtype.is_floating_point or y.dtype == torch.bool or y.dtype.is_complex:
        raise ValueError(f"labels of {name} must be a 1-D integer tensor (N,), got {tuple(y.shape)} {y.dtype}")
    if len(y) != len(x):
        raise ValueError(f"{name} has {len(x)} images but {len(y)} labels")
    if int(y.min()) < 0 or int(y.max()) >= N_CLASSES:
        raise ValueError(f"labels of {name} must lie in 0..{N_CLASSES - 1}, got min {int(y.min())} max {int(y.max())}")


def _index_stream(n: int, batch_size: int, generator: torch.Generator):
    """Endless batches of indices into n items: shuffled epochs joined end to end, so every batch
    has min(n, batch_size) items (equal compute per step) and every item is seen once per epoch."""
    size = min(n, batch_size)
    buf = torch.empty(0, dtype=torch.long)
    while True:
        while len(buf) < size:
            buf = torch.cat([buf, torch.randperm(n, generator=generator)])
        yield buf[:size]
        buf = buf[size:]


def train_classifier(x: torch.Tensor, y: torch.Tensor, steps: int, seed: int = 0, batch_size: int = 128,
                     lr: float = 2e-3, jitter: float = 2.0, device: str | torch.device = "cpu",
                     channels: int = 32, feature_dim: int = 128, dropout: float = 0.3) -> MNISTClassifier:
    """An ``MNISTClassifier`` trained on digits ``x`` (N, 1, 28, 28) in [-1, 1] with labels ``y`` (N,)
    for exactly ``steps`` Adam steps (one-cycle rate peaking at ``lr``), returned in eval mode.

    ``seed`` fixes the initial weights, the jitter, dropout and the batch order; the caller's global
    RNG state is left as it was (the training runs inside ``torch.random.fork_rng``).
    """
    check_digits(x, y)
    _check_int("steps", steps, 1)
    _check_int("batch_size", batch_size, 1)
    _check_int("seed", seed, 0)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    if not jitter >= 0:
        raise ValueError(f"jitter must be >= 0 pixels, got {jitter!r}")
    device = torch.device(device)
    x, y = x.to(device), y.to(device).long()
    order = _index_stream(len(x), batch_size, torch.Generator().manual_seed(seed))
    cuda = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        # The init, dropout and jitter draw from the global RNG: seed it here, restored on exit.
        torch.manual_seed(seed)
        clf = MNISTClassifier(channels=channels, feature_dim=feature_dim, dropout=dropout).to(device)
        opt = torch.optim.Adam(clf.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
        clf.train()
        for _ in range(steps):
            idx = next(order).to(device)
            loss = F.cross_entropy(clf(jitter_batch(x[idx], jitter)), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return clf.eval()


def classification_accuracy_score(x_gen: torch.Tensor, y_gen: torch.Tensor, x_test: torch.Tensor,
                                  y_test: torch.Tensor, steps: int, seed: int = 0, **train_kwargs) -> float:
    """CAS: accuracy on real test digits (``x_test``, ``y_test``) of a classifier trained only on
    generated digits ``x_gen`` with the labels they were generated for, ``y_gen``.
    ``train_kwargs`` go to ``train_classifier`` (batch_size, lr, jitter, device, ...)."""
    check_digits(x_test, y_test, "x_test")
    clf = train_classifier(x_gen, y_gen, steps, seed=seed, **train_kwargs)
    device = next(clf.parameters()).device
    return accuracy(clf, x_test.to(device), y_test.to(device).long())


@torch.no_grad()
def conditional_samples(G: nn.Module, n: int, latent_dim: int, seed: int, batch_size: int = 1000,
                        device: str | torch.device = "cpu", n_classes: int = N_CLASSES
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images x_fake (n, 1, 28, 28) from the conditional ``G(z, y)`` and their labels y (n,):
    n // n_classes of every class, the rest to classes 0, 1, ... (in that order: class 0 first),
    z ~ N(0, I) drawn from a generator seeded by ``seed``. Returned on the CPU."""
    _check_int("n", n, 1)
    _check_int("latent_dim", latent_dim, 1)
    _check_int("batch_size", batch_size, 1)
    _check_int("seed", seed, 0)
    if getattr(G, "latent_dim", latent_dim) != latent_dim:
        raise ValueError(f"latent_dim {latent_dim} does not match G's latent_dim {G.latent_dim}")
    per, rest = divmod(n, n_classes)
    y = torch.cat([torch.arange(n_classes).repeat_interleave(per), torch.arange(rest)])
    z = torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))
    G = G.to(device).eval()
    x_fake = torch.cat([G(zb.to(device), yb.to(device)).cpu()
                        for zb, yb in zip(z.split(batch_size), y.split(batch_size))])
    return x_fake.clamp(-1, 1), y


def subset(y: torch.Tensor, n: int, seed: int, balanced: bool = False) -> torch.Tensor:
    """Indices (n,) of a seeded random subset of labels ``y``; ``balanced``: n // 10 of every class,
    the rest to classes 0, 1, ... (n >= 10 then). Used to pick the real training digits."""
    _check_int("n", n, 1)
    if n > len(y):
        raise ValueError(f"cannot pick {n} of {len(y)} items")
    g = torch.Generator().manual_seed(seed)
    if not balanced:
        return torch.randperm(len(y), generator=g)[:n]
    per, rest = divmod(n, N_CLASSES)
    picks = []
    for c in range(N_CLASSES):
        of_c = (y == c).nonzero().flatten()
        k = per + (c < rest)
        if k > len(of_c):
            raise ValueError(f"only {len(of_c)} items of class {c}, {k} needed")
        picks.append(of_c[torch.randperm(len(of_c), generator=g)[:k]])
    return torch.cat(picks)
