"""Recipe behind ``data/pretrained/vanilla_G.safetensors``: the fully connected GAN of
Goodfellow et al. (2014) on MNIST (``gan_helpers.models.mlp``), with Adam lr 2e-4,
beta1 0.5 (Radford et al. 2015), batch 128 and the non-saturating BCE loss on logits.
Notebook 03 writes the same loop out by hand and can load this result instead.

    python -m gan_helpers train vanilla --steps 15000 --threads 1   # the shipped file (25 min, shared CPU)
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..checkpoints import load_pretrained as _load_shipped
from ..models.mlp import MLPDiscriminator, MLPGenerator
from .mnist_gan import fit, generate_unconditional, out_path, run_info, save_generator

FILENAME = "vanilla_G.safetensors"


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
class Config:
    steps: int = 15000            # optimiser steps for D and G (469 steps = one MNIST epoch at batch 128)
    batch_size: int = 128
    latent_dim: int = 64          # size of z
    g_hidden: str = "256,512,1024"  # G's hidden layer sizes (each Linear-BatchNorm-LeakyReLU)
    d_hidden: str = "512,256"     # D's hidden layer sizes (each Linear-LeakyReLU-Dropout)
    dropout: float = 0.3          # in D: keeps it from memorising the real images
    lr: float = 2e-4              # Adam learning rate for both nets
    beta1: float = 0.5            # Adam beta1 (0.9 makes the game oscillate more)
    seed: int = 0                 # seeds z, the batch order and the init
    limit: int = 0                # use only the first N training images (0: all 60,000)
    device: str = "cpu"
    threads: int = 0              # torch threads (0: leave torch's default)
    log_every: int = 1000         # print losses every N steps
    eval_n: int = 10000           # samples for the final MNIST-FID (0: skip the evaluation)
    out: str = ""                 # checkpoint path ("" -> data/pretrained/vanilla_G.safetensors)


def build(cfg: Config) -> tuple[MLPGenerator, MLPDiscriminator]:
    """G and D with the sizes in ``cfg``."""
    G = MLPGenerator(latent_dim=cfg.latent_dim, hidden=parse_sizes(cfg.g_hidden))
    D = MLPDiscriminator(hidden=parse_sizes(cfg.d_hidden), dropout=cfg.dropout)
    return G, D


def train(cfg: Config) -> tuple[MLPGenerator, dict]:
    """Train G and D with ``cfg``; write G's checkpoint to ``cfg.out``. Returns (G, extra info)."""
    from ..data import load_mnist

    if cfg.steps <= 0 or cfg.batch_size <= 0:
        raise ValueError(f"steps and batch_size must be positive, got {cfg.steps}, {cfg.batch_size}")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    gen = torch.manual_seed(cfg.seed)
    x_all, _ = load_mnist(train=True, device=device, limit=cfg.limit or None)
    G, D = build(cfg)
    G, D = G.to(device), D.to(device)
    hist, seconds = fit(G, D, cfg, x_all, gen, log_window=100)
    G = G.cpu().eval()
    extra = run_info(cfg, "vanilla", hist, seconds, len(x_all), device)
    if cfg.eval_n:
        from ..metrics import evaluate_generator, format_report
        report = evaluate_generator(generate(G, cfg.eval_n, seed=0)[0], n=cfg.eval_n)
        print(format_report(report))
        extra["metrics"] = {k: report[k] for k in ("n", "fid", "fid_floor", "covered", "confident")}
    save_generator(G, out_path(cfg, FILENAME), extra)
    print(f"trained in {seconds:.0f} s")
    return G, extra


def load_pretrained(device: str | torch.device = "cpu") -> MLPGenerator:
    """The shipped vanilla generator (sha256 checked), in eval mode on ``device``."""
    return _load_shipped(FILENAME, MLPGenerator, map_location=device)


def generate(G: MLPGenerator, n: int, seed: int = 0, device: str | torch.device = "cpu",
             batch_size: int = 1000) -> tuple[torch.Tensor, None]:
    """``n`` images (n, 1, 28, 28) in [-1, 1] from z ~ N(0, I) drawn with ``seed``; labels None."""
    return generate_unconditional(G, n, seed, device, batch_size)
