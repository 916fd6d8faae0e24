"""Recipe behind ``data/pretrained/cgan_G.safetensors``: a conditional GAN (Mirza and
Osindero 2014) with DCGAN blocks and settings (Radford et al. 2015) on MNIST, the label
concatenated into both G and D. Notebook 05 loads its result and trains a shorter version.

    python -m gan_helpers train cgan --steps 2500 --threads 1
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from ..checkpoints import load_pretrained as _load_shipped
from ..models.cgan import ConditionalDiscriminator, ConditionalGenerator
from ..models.dcgan import weights_init
from .dcgan import _save, command_of, out_path

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
    from ..data import batches, load_mnist
    from ..losses import discriminator_loss, generator_loss_nonsaturating
    from ..training import History, steps

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
    opt_G = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    hist = History()
    t0 = time.perf_counter()
    loader = lambda: batches(x_all, y_all, batch_size=cfg.batch_size, generator=gen)  # noqa: E731
    for step, (x_real, y_real) in enumerate(steps(loader, cfg.steps), start=1):
        z = torch.randn(x_real.shape[0], cfg.latent_dim, device=device)
        y_fake = torch.randint(0, cfg.n_classes, (x_real.shape[0],), device=device)  # requested classes
        x_fake = G(z, y_fake)                                            # (N, 1, 28, 28)
        logits_real = D(x_real, y_real)                                  # real image with its true label
        logits_fake = D(x_fake.detach(), y_fake)                         # fake with the label it was asked for
        loss_D = discriminator_loss(logits_real, logits_fake)
        opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        opt_D.step()
        loss_G = generator_loss_nonsaturating(D(x_fake, y_fake))
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
    extra = {"command": command_of(cfg, "cgan"), "steps": cfg.steps,
             "epochs": cfg.steps * cfg.batch_size / len(x_all), "train_seconds": round(seconds, 1),
             "threads": torch.get_num_threads(), "torch": torch.__version__, "device": str(device),
             "final_loss_D": hist.last("loss_D", 100), "final_loss_G": hist.last("loss_G", 100)}
    _save(G.cpu(), out_path(cfg, FILENAME), extra)
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
