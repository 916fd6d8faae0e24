"""Recipe behind ``data/pretrained/dcgan_G.safetensors``: the DCGAN of Radford et al. (2015)
on MNIST with the paper's settings (N(0, 0.02) init, Adam lr 2e-4, beta1 0.5, batch 128,
non-saturating loss). Notebook 04 loads its result and trains a shorter version itself.

    python -m gan_helpers train dcgan --steps 3000
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..checkpoints import load_pretrained as _load_shipped
from ..checkpoints import pretrained_dir, record_sha256, save_checkpoint
from ..models.dcgan import Discriminator, Generator, weights_init

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


def command_of(cfg: Config, model: str = "dcgan") -> str:
    """The CLI command that reproduces ``cfg`` (only fields that differ from the defaults)."""
    default = type(cfg)()
    flags = [f"--{f.name.replace('_', '-')} {getattr(cfg, f.name)}" for f in dataclasses.fields(cfg)
             if getattr(cfg, f.name) != getattr(default, f.name)]
    return " ".join([f"python -m gan_helpers train {model}", *flags])


def out_path(cfg, filename: str) -> Path:
    return Path(cfg.out) if cfg.out else pretrained_dir() / filename


def train(cfg: Config) -> tuple[Generator, dict]:
    """Train G and D with ``cfg``; write G's checkpoint to ``cfg.out``. Returns (G, extra info)."""
    from ..data import batches, load_mnist
    from ..losses import discriminator_loss, generator_loss_nonsaturating
    from ..training import History, steps

    if cfg.steps <= 0 or cfg.batch_size <= 0:
        raise ValueError(f"steps and batch_size must be positive, got {cfg.steps}, {cfg.batch_size}")
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    gen = torch.manual_seed(cfg.seed)
    x_all, _ = load_mnist(train=True, device=device, limit=cfg.limit or None)
    G = Generator(cfg.latent_dim, cfg.base_channels).to(device)
    D = Discriminator(cfg.d_channels or cfg.base_channels).to(device)
    G.apply(weights_init)
    D.apply(weights_init)
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
        loss_G = generator_loss_nonsaturating(D(x_fake))                # non-saturating: -log D(G(z))
        opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        opt_G.step()
        hist.log(loss_D=loss_D, loss_G=loss_G, D_x=torch.sigmoid(logits_real).mean(),
                 D_G_z=torch.sigmoid(logits_fake).mean())
        if cfg.log_every and (step % cfg.log_every == 0 or step == cfg.steps):
            print(f"step {step:6d}/{cfg.steps}  loss_D {hist.last('loss_D', 50):.3f}  loss_G "
                  f"{hist.last('loss_G', 50):.3f}  D(x) {hist.last('D_x', 50):.2f}  D(G(z)) "
                  f"{hist.last('D_G_z', 50):.2f}  {time.perf_counter() - t0:7.1f} s", flush=True)
    seconds = time.perf_counter() - t0
    extra = {"command": command_of(cfg), "steps": cfg.steps, "epochs": cfg.steps * cfg.batch_size / len(x_all),
             "train_seconds": round(seconds, 1), "threads": torch.get_num_threads(), "torch": torch.__version__,
             "device": str(device), "final_loss_D": hist.last("loss_D", 100), "final_loss_G": hist.last("loss_G", 100)}
    _save(G.cpu(), out_path(cfg, FILENAME), extra)
    return G.eval(), extra


def _save(G, path: Path, extra: dict) -> str:
    digest = save_checkpoint(G, path, G.config, extra)
    if path.resolve().parent == pretrained_dir().resolve():
        record_sha256(path.name, digest)  # shipped weights: keep SHA256SUMS in step
    print(f"wrote {path} (sha256 {digest})")
    return digest


def load_pretrained(device: str | torch.device = "cpu") -> Generator:
    """The shipped DCGAN generator (sha256 checked), in eval mode on ``device``."""
    return _load_shipped(FILENAME, Generator, map_location=device)


@torch.no_grad()
def generate(G: Generator, n: int, seed: int = 0, device: str | torch.device = "cpu",
             batch_size: int = 1000) -> tuple[torch.Tensor, None]:
    """``n`` images (n, 1, 28, 28) in [-1, 1] from z ~ N(0, I) drawn with ``seed``; labels None."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed))
    G = G.to(device).eval()
    return torch.cat([G(zb.to(device)).cpu() for zb in z.split(batch_size)]), None
