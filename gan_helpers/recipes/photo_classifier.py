"""Recipe for the horse-vs-zebra classifier behind the photo-FID of notebook 08
(``gan_helpers.metrics.photo``; the network is ``models.classifier_photos``).

Trained on the two training folders of horse2zebra (trainA horses = 0, trainB zebras = 1)
with the CycleGAN recipe's augmentation (resize a little larger, random crop, flip), at
the CycleGAN's resolution; checked on the 120 + 140 test photos it never saw.

    python -m gan_helpers train photo_classifier --threads 1 --ship
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..data.horse2zebra import load_horse2zebra
from ..models.classifier_photos import PhotoClassifier
from .classifier import accuracy  # the same share-correct loop as the MNIST classifier's
from .contract import RecipeResult, output_path, prepare, run_info, save_model
from .horse2zebra import random_crop_flip

FILENAME = "horse2zebra_classifier.safetensors"


@dataclass
class Config:
    size: int = 64              # photo size in pixels (the horse2zebra CycleGAN's)
    load_size: int = 72         # resized to this, then randomly cropped to ``size``
    channels: int = 32          # conv widths c, 2c, 4c, 8c
    feature_dim: int = 64       # size of the penultimate layer = photo-FID feature space (few test photos: keep it small)
    dropout: float = 0.3
    epochs: int = 12
    batch_size: int = 32
    lr: float = 1e-3            # Adam peak rate, one-cycle schedule
    min_accuracy: float = 0.85  # refuse to save a weaker classifier (test photos)
    limit: int | None = None    # only the first N photos of each folder (tests)
    seed: int = 0
    device: str | None = None   # "cpu", "cuda", ... (None: the best available)
    threads: int | None = None  # torch threads (None: torch's default; 1 is faster on a crowded CPU)
    out: str | None = None      # checkpoint path (None: a new folder data/runs/photo_classifier-<time>/)
    ship: bool = False          # write into data/pretrained and SHA256SUMS


def _two_folders(a: str, b: str, size: int, limit, device):
    x_A, x_B = load_horse2zebra(a, size, limit, device), load_horse2zebra(b, size, limit, device)
    y = torch.cat([torch.zeros(len(x_A), dtype=torch.long), torch.ones(len(x_B), dtype=torch.long)])
    return torch.cat([x_A, x_B]), y.to(device)


def train(cfg: Config) -> RecipeResult:
    """Train, check on the test photos, save the checkpoint (see ``recipes.contract``)."""
    path = output_path(cfg, "photo_classifier", FILENAME)
    device, rng = prepare(cfg)
    x, y = _two_folders("trainA", "trainB", cfg.load_size, cfg.limit, device)     # (2401, 3, L, L)
    x_test, y_test = _two_folders("testA", "testB", cfg.size, cfg.limit, device)  # (260, 3, size, size)
    clf = PhotoClassifier(channels=cfg.channels, feature_dim=cfg.feature_dim, dropout=cfg.dropout).to(device)
    opt = torch.optim.Adam(clf.parameters(), lr=cfg.lr)
    if len(x) < cfg.batch_size:
        raise ValueError(f"batch_size {cfg.batch_size} is larger than the {len(x)} training photos")
    per_epoch = len(x) // cfg.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * per_epoch)
    t0 = time.perf_counter()
    for epoch in range(cfg.epochs):
        clf.train()
        perm = torch.randperm(len(x), generator=rng).to(device)
        for i in range(0, len(x) - cfg.batch_size + 1, cfg.batch_size):  # whole batches only: BatchNorm
            idx = perm[i:i + cfg.batch_size]                              # on 1 photo is noise
            loss = F.cross_entropy(clf(random_crop_flip(x[idx], cfg.size, rng)), y[idx])
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
    info = run_info(cfg, "photo_classifier", device, time.perf_counter() - t0, test_accuracy=acc)
    digest = save_model(clf.cpu(), path, info)
    return RecipeResult(clf, path, digest, info, {"main": path})
