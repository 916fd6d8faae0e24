"""Recipe behind ``data/pretrained/dcgan_G.safetensors``: the DCGAN of Radford et al. (2015)
on MNIST with the paper's settings (N(0, 0.02) init, Adam lr 2e-4, beta1 0.5, batch 128,
non-saturating loss), plus an average of G's weights (Yazici et al. 2019). Notebook 04
loads its result and trains a shorter version itself. The README records the command
behind the shipped file and its scores.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..mnist_loop import MNISTGANConfig, generate_unconditional, load_shipped_generator, train_recipe
from ..models.blocks import weights_init
from ..models.dcgan import Discriminator, Generator

FILENAME = "dcgan_G.safetensors"          # the averaged G
RAW_FILENAME = "dcgan_G_raw.safetensors"  # the last training iterate


@dataclass
class Config(MNISTGANConfig):
    steps: int = 12000         # optimiser steps for D and G (468 steps = one MNIST epoch at batch 128)
    latent_dim: int = 64       # size of z; MNIST needs far fewer than the paper's 100
    g_channels: int = 64       # G's base width c: 4c-2c-1 maps (32 drew malformed strokes: FID 125 after 8,000 steps)
    d_channels: int = 64       # D's base width c: c-2c-1 maps
    log_every: int = 500


def train(cfg: Config):
    """Train G and D with ``cfg``; returns a RecipeResult (``.model`` is the shipped-style G)."""
    torch.manual_seed(cfg.seed)  # the initial weights
    G, D = Generator(cfg.latent_dim, cfg.g_channels), Discriminator(cfg.d_channels)
    G.apply(weights_init)  # N(0, 0.02), as in the paper
    D.apply(weights_init)
    return train_recipe(cfg, "dcgan", FILENAME, G, D, generate)


def load_pretrained(device: str | torch.device = "cpu", raw: bool = False) -> Generator:
    """The shipped generator (sha256 checked), in eval mode on ``device`` (``raw``: the last
    iterate instead of the weight average)."""
    return load_shipped_generator(Generator, FILENAME, RAW_FILENAME, device, raw)


# generate(G, n, seed=0, device="cpu") -> (images (n, 1, 28, 28) in [-1, 1], None), z ~ N(0, I) from seed
generate = generate_unconditional
