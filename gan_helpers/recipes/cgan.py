"""Recipe behind ``data/pretrained/cgan_G.safetensors``: a conditional GAN (Mirza and
Osindero 2014) with DCGAN blocks and settings (Radford et al. 2015) on MNIST, the label
concatenated into both G and D, plus an average of G's weights (Yazici et al. 2019).
Notebook 05 loads its result and trains a shorter version. The README records the
command behind the shipped file and its scores.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..mnist_loop import MNISTGANConfig, load_shipped_generator, train_recipe
from ..models.blocks import weights_init
from ..models.cgan import ConditionalDiscriminator, ConditionalGenerator

FILENAME = "cgan_G.safetensors"          # the averaged G
RAW_FILENAME = "cgan_G_raw.safetensors"  # the last training iterate


@dataclass
class Config(MNISTGANConfig):
    steps: int = 12000         # optimiser steps for D and G (468 steps = one MNIST epoch at batch 128)
    latent_dim: int = 64       # size of z (the style); the class comes from the label
    n_classes: int = 10        # MNIST digits
    g_channels: int = 32       # G's base width c: 4c-2c-1 maps
    d_channels: int = 64       # D's base width c: c-2c-1 maps
    log_every: int = 500


def build(cfg: Config) -> tuple[ConditionalGenerator, ConditionalDiscriminator]:
    """The conditional G and D with the sizes in ``cfg``, initialised from N(0, 0.02)."""
    G = ConditionalGenerator(cfg.latent_dim, cfg.n_classes, cfg.g_channels)
    D = ConditionalDiscriminator(cfg.n_classes, cfg.d_channels)
    return G.apply(weights_init), D.apply(weights_init)


def train(cfg: Config):
    """Train the conditional G and D with ``cfg``; returns a RecipeResult."""
    return train_recipe(cfg, "cgan", FILENAME, build, generate, n_classes=cfg.n_classes)


def load_pretrained(device: str | torch.device = "cpu", raw: bool = False) -> ConditionalGenerator:
    """The shipped conditional generator (sha256 checked), in eval mode on ``device`` (``raw``:
    the last iterate instead of the weight average)."""
    return load_shipped_generator(ConditionalGenerator, FILENAME, RAW_FILENAME, device, raw)


def balanced_labels(n: int, n_classes: int = 10) -> torch.Tensor:
    """(n,) labels 0, 1, ..., n_classes-1, 0, 1, ...: every class n // n_classes times or once more."""
    return torch.arange(n) % n_classes


def as_labels(labels, n: int, n_classes: int) -> torch.Tensor:
    """``labels`` (a sequence or tensor of n whole numbers in [0, n_classes)) as int64 (n,);
    fractional, out-of-range or wrongly shaped labels raise a ValueError (never truncated)."""
    t = torch.as_tensor(labels)
    if t.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {tuple(t.shape)}")
    if t.dtype.is_floating_point or t.dtype.is_complex:
        if not bool(torch.isfinite(t).all()) or not bool((t == t.round()).all()):
            raise ValueError(f"labels must be whole numbers (class indices), got {t[:5].tolist()}...")
    elif t.dtype == torch.bool:
        raise ValueError("labels must be class indices, not booleans")
    t = t.long()
    if n and (int(t.min()) < 0 or int(t.max()) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got min {int(t.min())} max {int(t.max())}")
    return t


@torch.no_grad()
def generate(G: ConditionalGenerator, n: int, seed: int = 0, device: str | torch.device = "cpu",
             labels: torch.Tensor | None = None, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images (n, 1, 28, 28) in [-1, 1] and their requested labels (n,).

    Labels are balanced over the classes unless given; z ~ N(0, I) is drawn with ``seed``.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}")
    labels = balanced_labels(n, G.n_classes) if labels is None else as_labels(labels, n, G.n_classes)
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed))
    G = G.to(device).eval()
    out = [G(zb.to(device), yb.to(device)).cpu() for zb, yb in zip(z.split(batch_size), labels.split(batch_size))]
    return torch.cat(out), labels
