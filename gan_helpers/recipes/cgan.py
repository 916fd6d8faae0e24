"""Recipe behind ``data/pretrained/cgan_G.safetensors``: a conditional GAN (Mirza and
Osindero 2014) with DCGAN blocks and settings (Radford et al. 2015) on MNIST, the label
concatenated into both G and D. Notebook 05 loads its result and trains a shorter version.

    python -m gan_helpers train cgan --steps 6000 --d-channels 64 --threads 1   # the shipped file (25 min, 1 CPU core)
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..checkpoints import load_pretrained as _load_shipped
from ..models.cgan import ConditionalDiscriminator, ConditionalGenerator
from ..models.dcgan import weights_init
from .mnist_gan import fit, out_path, run_info, save_generator

FILENAME = "cgan_G.safetensors"


@dataclass
class Config:
    steps: int = 2500          # optimiser steps for D and G (469 steps = one MNIST epoch at batch 128)
    batch_size: int = 128      # as in DCGAN
    latent_dim: int = 64       # size of z (the style); the class comes from the label
    n_classes: int = 10        # MNIST digits
    base_channels: int = 32    # G: 4c-2c-1 maps
    d_channels: int = 0        # D's base channels c: c-2c-1 maps (0: the same as base_channels)
    lr: float = 2e-4           # Adam, DCGAN settings
    beta1: float = 0.5
    seed: int = 0              # seeds z, the batch order and the init
    limit: int = 0             # use only the first N training images (0: all 60,000)
    device: str = "cpu"
    threads: int = 0           # torch CPU threads (0: torch's default; 1 is faster on a busy machine)
    log_every: int = 250       # print losses every N steps
    out: str = ""              # checkpoint path ("" -> data/pretrained/cgan_G.safetensors)


def train(cfg: Config) -> tuple[ConditionalGenerator, dict]:
    """Train the conditional G and D with ``cfg``; write G's checkpoint. Returns (G, extra info)."""
    from ..data import load_mnist

    if cfg.steps <= 0 or cfg.batch_size <= 0:
        raise ValueError(f"steps and batch_size must be positive, got {cfg.steps}, {cfg.batch_size}")
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    gen = torch.manual_seed(cfg.seed)
    x_all, y_all = load_mnist(train=True, device=device, limit=cfg.limit or None)
    G = ConditionalGenerator(cfg.latent_dim, cfg.n_classes, cfg.base_channels).to(device)
    D = ConditionalDiscriminator(cfg.n_classes, cfg.d_channels or cfg.base_channels).to(device)
    G.apply(weights_init)
    D.apply(weights_init)
    hist, seconds = fit(G, D, cfg, x_all, gen, y_all=y_all)  # labels given: the conditional game
    extra = run_info(cfg, "cgan", hist, seconds, len(x_all), device)
    save_generator(G.cpu(), out_path(cfg, FILENAME), extra)
    return G.eval(), extra


def load_pretrained(device: str | torch.device = "cpu") -> ConditionalGenerator:
    """The shipped conditional generator (sha256 checked), in eval mode on ``device``."""
    return _load_shipped(FILENAME, ConditionalGenerator, map_location=device)


def balanced_labels(n: int, n_classes: int = 10) -> torch.Tensor:
    """(n,) labels 0, 1, ..., n_classes-1, 0, 1, ...: every class n // n_classes times or once more."""
    return torch.arange(n) % n_classes


@torch.no_grad()
def generate(G: ConditionalGenerator, n: int, seed: int = 0, device: str | torch.device = "cpu",
             labels: torch.Tensor | None = None, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images (n, 1, 28, 28) in [-1, 1] and their requested labels (n,).

    Labels are balanced over the classes unless given; z ~ N(0, I) is drawn with ``seed``.
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    labels = balanced_labels(n, G.n_classes) if labels is None else torch.as_tensor(labels).long()
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {tuple(labels.shape)}")
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed))
    G = G.to(device).eval()
    out = [G(zb.to(device), yb.to(device)).cpu() for zb, yb in zip(z.split(batch_size), labels.split(batch_size))]
    return torch.cat(out), labels
