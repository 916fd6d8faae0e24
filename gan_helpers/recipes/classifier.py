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


def jitter_batch(x: torch.Tensor, max_shift: float, max_degrees: float = 10.0) -> torch.Tensor:
    """Random per-image shift (pixels) and rotation of (N, 1, 28, 28) images in [-1, 1]."""
    if max_shift <= 0:
        return x
    n, _, h, w = x.shape
    ang = (torch.rand(n, device=x.device) * 2 - 1) * max_degrees * torch.pi / 180
    shift = (torch.rand(n, 2, device=x.device) * 2 - 1) * max_shift * 2 / torch.tensor([w, h], device=x.device)
    cos, sin = torch.cos(ang), torch.sin(ang)
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)       # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Pad with -1 (background) rather than 0 (mid grey): shift the range, pad zeros, shift back.
    return F.grid_sample(x + 1, grid, align_corners=False, padding_mode="zeros") - 1


@torch.no_grad()
def accuracy(clf: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    """Share of images ``x`` (N, C, H, W) classified as ``y`` (N,) (MNIST here, photos in photo_classifier)."""
    was = clf.training
    clf.eval()
    correct = sum(int((clf(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
                  for i in range(0, len(x), batch_size))
    clf.train(was)
    return correct / len(x)


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
