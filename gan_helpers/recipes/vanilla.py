"""Recipe behind ``data/pretrained/vanilla_G.safetensors``: the fully connected GAN of
Goodfellow et al. (2014) on MNIST (``gan_helpers.models.mlp``), with Adam lr 2e-4,
beta1 0.5 (Radford et al. 2015), batch 128 and the non-saturating BCE loss on logits.
Notebook 03 writes the same loop out by hand and can load this result instead.

    python -m gan_helpers train vanilla --steps 15000 --threads 1   # the shipped file (25 min, shared CPU)
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..checkpoints import load_pretrained as _load_shipped
from ..checkpoints import pretrained_dir, record_sha256, save_checkpoint
from ..models.mlp import MLPDiscriminator, MLPGenerator

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


def command_of(cfg: Config) -> str:
    """The CLI command that reproduces ``cfg`` (only fields that differ from the defaults)."""
    flags = [f"--{f.name.replace('_', '-')} {getattr(cfg, f.name)}" for f in dataclasses.fields(cfg)
             if getattr(cfg, f.name) != f.default]
    return " ".join(["python -m gan_helpers train vanilla", *flags])


def build(cfg: Config) -> tuple[MLPGenerator, MLPDiscriminator]:
    """G and D with the sizes in ``cfg``."""
    G = MLPGenerator(latent_dim=cfg.latent_dim, hidden=parse_sizes(cfg.g_hidden))
    D = MLPDiscriminator(hidden=parse_sizes(cfg.d_hidden), dropout=cfg.dropout)
    return G, D


def train(cfg: Config) -> tuple[MLPGenerator, dict]:
    """Train G and D with ``cfg``; write G's checkpoint to ``cfg.out``. Returns (G, extra info)."""
    from ..data import batches, load_mnist
    from ..losses import discriminator_loss, generator_loss_nonsaturating
    from ..training import History, steps

    if cfg.steps <= 0 or cfg.batch_size <= 0:
        raise ValueError(f"steps and batch_size must be positive, got {cfg.steps}, {cfg.batch_size}")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    gen = torch.manual_seed(cfg.seed)
    x_all, _ = load_mnist(train=True, device=device, limit=cfg.limit or None)
    G, D = build(cfg)
    G, D = G.to(device), D.to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    hist = History()
    t0 = time.perf_counter()
    for step, x_real in enumerate(steps(lambda: batches(x_all, batch_size=cfg.batch_size, generator=gen),
                                        cfg.steps), start=1):
        z = torch.randn(x_real.shape[0], cfg.latent_dim, device=device)
        x_fake = G(z)                                                   # (N, 1, 28, 28)
        logits_real, logits_fake = D(x_real), D(x_fake.detach())       # detach: D's step leaves G alone
        loss_D = discriminator_loss(logits_real, logits_fake)
        opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        opt_D.step()
        loss_G = generator_loss_nonsaturating(D(x_fake))                # -log D(G(z))
        opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        opt_G.step()
        hist.log(loss_D=loss_D, loss_G=loss_G, D_x=torch.sigmoid(logits_real).mean(),
                 D_G_z=torch.sigmoid(logits_fake).mean())
        if cfg.log_every and (step % cfg.log_every == 0 or step == cfg.steps):
            print(f"step {step:6d}/{cfg.steps}  loss_D {hist.last('loss_D', 100):.3f}  loss_G "
                  f"{hist.last('loss_G', 100):.3f}  D(x) {hist.last('D_x', 100):.2f}  D(G(z)) "
                  f"{hist.last('D_G_z', 100):.2f}  {time.perf_counter() - t0:7.1f} s", flush=True)
    seconds = time.perf_counter() - t0
    G = G.cpu().eval()
    extra = {"command": command_of(cfg), "steps": cfg.steps, "epochs": round(cfg.steps * cfg.batch_size / len(x_all), 2),
             "train_seconds": round(seconds, 1), "threads": torch.get_num_threads(), "torch": torch.__version__,
             "device": str(device), "final_loss_D": hist.last("loss_D", 100), "final_loss_G": hist.last("loss_G", 100)}
    if cfg.eval_n:
        from ..metrics import evaluate_generator, format_report
        report = evaluate_generator(generate(G, cfg.eval_n, seed=0)[0], n=cfg.eval_n)
        print(format_report(report))
        extra["metrics"] = {k: report[k] for k in ("n", "fid", "fid_floor", "covered", "confident")}
    path = Path(cfg.out) if cfg.out else pretrained_dir() / FILENAME
    digest = save_checkpoint(G, path, G.config, extra)
    if path.resolve().parent == pretrained_dir().resolve():
        record_sha256(path.name, digest)  # shipped weights: keep SHA256SUMS in step
    print(f"wrote {path} (sha256 {digest}) after {seconds:.0f} s")
    return G, extra


def load_pretrained(device: str | torch.device = "cpu") -> MLPGenerator:
    """The shipped vanilla generator (sha256 checked), in eval mode on ``device``."""
    return _load_shipped(FILENAME, MLPGenerator, map_location=device)


@torch.no_grad()
def generate(G: MLPGenerator, n: int, seed: int = 0, device: str | torch.device = "cpu",
             batch_size: int = 1000) -> tuple[torch.Tensor, None]:
    """``n`` images (n, 1, 28, 28) in [-1, 1] from z ~ N(0, I) drawn with ``seed``; labels None."""
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}")
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed))
    G = G.to(device).eval()
    return torch.cat([G(zb.to(device)).cpu() for zb in z.split(batch_size)]), None
