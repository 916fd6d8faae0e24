"""Recipe behind ``data/pretrained/dcgan_G.safetensors``: the DCGAN of Radford et al. (2015)
on MNIST with the paper's settings (N(0, 0.02) init, Adam lr 2e-4, beta1 0.5, batch 128,
non-saturating loss). Notebook 04 loads its result and trains a shorter version itself.

    python -m gan_helpers train dcgan --steps 8000 --d-channels 64 --threads 1

The shipped weights came from that command (30 min on a shared 2-core CPU): MNIST-FID
124.8 (floor 3.8), 10/10 digits, 69.1% confident. The same recipe stopped at 3,000
steps scored FID 188.6 and 63.9% confident.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..checkpoints import load_pretrained as _load_shipped
from ..models.dcgan import Discriminator, Generator, weights_init
from .mnist_gan import fit, generate_unconditional, out_path, run_info, save_generator

FILENAME = "dcgan_G.safetensors"


@dataclass
class Config:
    steps: int = 3000          # optimiser steps for D and G (469 steps = one MNIST epoch at batch 128)
    batch_size: int = 128      # Radford et al.'s mini-batch size
    latent_dim: int = 64       # size of z; MNIST needs far fewer than the paper's 100
    base_channels: int = 32    # G: 4c-2c-1 maps (32 keeps an epoch near a minute on a free 2-core CPU)
    d_channels: int = 0        # D's base channels c: c-2c-1 maps (0: the same as base_channels)
    lr: float = 2e-4           # Adam learning rate from the paper
    beta1: float = 0.5         # Adam beta1 from the paper (0.9 oscillated in their runs)
    seed: int = 0              # seeds z, the batch order and the init
    limit: int = 0             # use only the first N training images (0: all 60,000)
    device: str = "cpu"        # "cpu", "cuda", ...
    threads: int = 0           # torch CPU threads (0: torch's default; 1 is faster on a busy machine)
    log_every: int = 250       # print losses every N steps
    out: str = ""              # checkpoint path ("" -> data/pretrained/dcgan_G.safetensors)


def train(cfg: Config) -> tuple[Generator, dict]:
    """Train G and D with ``cfg``; write G's checkpoint to ``cfg.out``. Returns (G, extra info)."""
    from ..data import load_mnist

    if cfg.steps <= 0 or cfg.batch_size <= 0:
        raise ValueError(f"steps and batch_size must be positive, got {cfg.steps}, {cfg.batch_size}")
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    gen = torch.manual_seed(cfg.seed)
    x_all, _ = load_mnist(train=True, device=device, limit=cfg.limit or None)
    G = Generator(cfg.latent_dim, cfg.base_channels).to(device)
    D = Discriminator(cfg.d_channels or cfg.base_channels).to(device)
    G.apply(weights_init)  # N(0, 0.02), as in the paper
    D.apply(weights_init)
    hist, seconds = fit(G, D, cfg, x_all, gen)
    extra = run_info(cfg, "dcgan", hist, seconds, len(x_all), device)
    save_generator(G.cpu(), out_path(cfg, FILENAME), extra)
    return G.eval(), extra


def load_pretrained(device: str | torch.device = "cpu") -> Generator:
    """The shipped DCGAN generator (sha256 checked), in eval mode on ``device``."""
    return _load_shipped(FILENAME, Generator, map_location=device)


def generate(G: Generator, n: int, seed: int = 0, device: str | torch.device = "cpu",
             batch_size: int = 1000) -> tuple[torch.Tensor, None]:
    """``n`` images (n, 1, 28, 28) in [-1, 1] from z ~ N(0, I) drawn with ``seed``; labels None."""
    return generate_unconditional(G, n, seed, device, batch_size)
