"""Recipe for the MNIST classifier behind the metrics (``gan_helpers.metrics``; notebook 03).

A LeNet-style CNN (LeCun et al. 1998) trained on the 60k training images held as one
tensor, with small random affine jitter so generated digits that are slightly off-centre
are still read well. ``--ship`` writes ``data/pretrained/mnist_classifier.safetensors`` and
records its sha256 (without it: a run folder, see ``recipes.contract``).

    python -m gan_helpers train classifier --threads 1 --ship   # the shipped file: 99.21% test accuracy
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..data.mnist import batches, load_mnist
from .contract import RecipeResult, output_path, prepare, run_info, save_model
from ..models.classifier import MNISTClassifier
from ..data.jitter import jitter_batch      # re-exported: the recipe's augmentation
from ..metrics.accuracy import accuracy    # re-exported: the share read correctly

FILENAME = "mnist_classifier.safetensors"


@dataclass
class Config:
    channels: int = 32          # conv widths c and 2c
    feature_dim: int = 128      # size of the penultimate layer = FID feature space
    dropout: float = 0.3
    epochs: int = 3             # one-cycle schedule: above 99% test accuracy after 3
    batch_size: int = 128
    lr: float = 2e-3            # Adam peak rate, one-cycle schedule
    jitter: float = 2.0         # max random shift in pixels (plus +-10 degrees rotation)
    seed: int = 0
    device: str | None = None   # "cpu", "cuda", ... (None: the best available)
    threads: int | None = None  # torch threads (None: torch's default; 1 is faster on a crowded CPU)
    min_accuracy: float = 0.99  # refuse to save a weaker classifier
    out: str | None = None      # checkpoint path (None: a new folder data/runs/classifier-<time>/)
    ship: bool = False          # write into data/pretrained and SHA256SUMS


def train(cfg: Config) -> RecipeResult:
    """Train, evaluate on the 10k test images, save the checkpoint (see ``recipes.contract``)."""
    path = output_path(cfg, "classifier", FILENAME)
    device, rng = prepare(cfg)
    x, y = load_mnist(train=True, device=device)
    x_test, y_test = load_mnist(train=False, device=device)
    clf = MNISTClassifier(channels=cfg.channels, feature_dim=cfg.feature_dim, dropout=cfg.dropout).to(device)
    opt = torch.optim.Adam(clf.parameters(), lr=cfg.lr)
    steps_per_epoch = len(x) // cfg.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch)
    t0 = time.perf_counter()
    for epoch in range(cfg.epochs):
        clf.train()
        for xb, yb in batches(x, y, batch_size=cfg.batch_size, generator=rng):
            loss = F.cross_entropy(clf(jitter_batch(xb, cfg.jitter)), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        acc = accuracy(clf, x_test, y_test)
        print(f"epoch {epoch + 1}/{cfg.epochs}: loss {loss.item():.4f}, test accuracy {acc:.4f} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    clf.eval()
    if acc < cfg.min_accuracy:
        raise RuntimeError(f"test accuracy {acc:.4f} is below {cfg.min_accuracy}: not saving")
    info = run_info(cfg, "classifier", device, time.perf_counter() - t0, test_accuracy=acc)
    digest = save_model(clf.cpu(), path, info)
    print(f"test accuracy {acc:.4f}")
    return RecipeResult(clf, path, digest, info, {"main": path})
