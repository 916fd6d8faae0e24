"""Recipe behind ``data/pretrained/vanilla_G.safetensors``: the fully connected GAN of
Goodfellow et al. (2014) on MNIST (``gan_helpers.models.mlp``), Adam 2e-4 with beta1 0.5
(Radford et al. 2015), batch 128, the non-saturating loss on logits, and an average of G's
weights (Yazici et al. 2019). Notebook 03 writes the same loop out by hand and can load
this result instead. The README records the command behind the shipped file.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..train.mnist import generate_unconditional
from .mnist_gan import MNISTGANConfig, load_shipped_generator, train_recipe
from ..models.mlp import MLPDiscriminator, MLPGenerator

FILENAME = "vanilla_G.safetensors"          # the averaged G (what the notebooks explore)
RAW_FILENAME = "vanilla_G_raw.safetensors"  # the last training iterate, for comparison


def parse_sizes(text: str) -> list[int]:
    """'256,512,1024' -> [256, 512, 1024] (a CLI-friendly way to give layer sizes)."""
    try:
        sizes = [int(s) for s in str(text).split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"layer sizes must be comma-separated integers, got {text!r}") from None
    if not sizes or min(sizes) <= 0:
        raise ValueError(f"layer sizes must be positive integers, got {text!r}")
    return sizes


@dataclass
class Config(MNISTGANConfig):
    steps: int = 40000            # optimiser steps for D and G (468 steps = one MNIST epoch at batch 128; 85 epochs)
    latent_dim: int = 64          # size of z
    g_hidden: str = "256,512,1024"  # G's hidden layer sizes (each Linear-BatchNorm-LeakyReLU)
    d_hidden: str = "512,256"     # D's hidden layer sizes (each Linear-LeakyReLU-Dropout)
    dropout: float = 0.3          # in D: keeps it from memorising the real images


def build(cfg: Config) -> tuple[MLPGenerator, MLPDiscriminator]:
    """G and D with the sizes in ``cfg``."""
    G = MLPGenerator(latent_dim=cfg.latent_dim, hidden=parse_sizes(cfg.g_hidden))
    D = MLPDiscriminator(hidden=parse_sizes(cfg.d_hidden), dropout=cfg.dropout)
    return G, D


def train(cfg: Config):
    """Train G and D with ``cfg``; returns a RecipeResult (``.model`` is the shipped-style G)."""
    return train_recipe(cfg, "vanilla", FILENAME, build, generate)


def load_pretrained(device: str | torch.device = "cpu", raw: bool = False) -> MLPGenerator:
    """The shipped generator (sha256 checked), in eval mode on ``device`` (``raw``: the last
    iterate instead of the weight average)."""
    return load_shipped_generator(MLPGenerator, FILENAME, RAW_FILENAME, device, raw)


# generate(G, n, seed=0, device="cpu") -> (images (n, 1, 28, 28) in [-1, 1], None), z ~ N(0, I) from seed
generate = generate_unconditional
