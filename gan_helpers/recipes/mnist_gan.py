"""The training loop behind the shipped MNIST generators (vanilla, DCGAN, conditional GAN):
Goodfellow et al. (2014)'s alternating updates with the non-saturating generator loss on
logits, batches drawn by indexing MNIST held as one tensor. Notebooks 03-05 write the same
step out by hand; this module only lets the three recipes share one copy of it.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import torch
from torch import nn

from ..checkpoints import pretrained_dir, record_sha256, save_checkpoint
from ..data import batches
from ..losses import discriminator_loss, generator_loss_nonsaturating
from ..training import History, steps


def command_of(cfg, model: str) -> str:
    """The CLI command that reproduces ``cfg`` (only the fields that differ from the defaults)."""
    default = type(cfg)()
    flags = [f"--{f.name.replace('_', '-')} {getattr(cfg, f.name)}" for f in dataclasses.fields(cfg)
             if getattr(cfg, f.name) != getattr(default, f.name)]
    return " ".join([f"python -m gan_helpers train {model}", *flags])


def out_path(cfg, filename: str) -> Path:
    """``cfg.out`` if given, else the shipped location ``data/pretrained/<filename>``."""
    return Path(cfg.out) if cfg.out else pretrained_dir() / filename


def save_generator(G: nn.Module, path: Path, extra: dict) -> str:
    """Write G's checkpoint; shipped files also get their line in SHA256SUMS. Returns the sha256."""
    digest = save_checkpoint(G, path, G.config, extra)
    if path.resolve().parent == pretrained_dir().resolve():
        record_sha256(path.name, digest)
    print(f"wrote {path} (sha256 {digest})")
    return digest


def fit(G: nn.Module, D: nn.Module, cfg, x_all: torch.Tensor, gen: torch.Generator,
        y_all: torch.Tensor | None = None, log_window: int = 50) -> tuple[History, float]:
    """Train G and D for ``cfg.steps`` steps; returns (history, seconds).

    x_all: (N, 1, 28, 28) in [-1, 1] on the training device. With labels ``y_all`` (N,) the
    game is conditional: D sees each real image with its label and each fake with the label
    G was asked for (Mirza and Osindero 2014). ``cfg`` needs steps, batch_size, latent_dim,
    lr, beta1 and log_every (and n_classes when conditional).
    """
    conditional = y_all is not None
    device = x_all.device
    opt_G = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    tensors = (x_all, y_all) if conditional else (x_all,)
    hist = History()
    t0 = time.perf_counter()
    for step, batch in enumerate(steps(lambda: batches(*tensors, batch_size=cfg.batch_size, generator=gen),
                                       cfg.steps), start=1):
        x_real, y_real = batch if conditional else (batch, None)
        z = torch.randn(x_real.shape[0], cfg.latent_dim, device=device)
        if conditional:  # labels the fakes are asked to show, uniform over the classes
            y_fake = torch.randint(0, cfg.n_classes, (x_real.shape[0],), device=device)
            real_args, fake_args = (y_real,), (y_fake,)
        else:
            real_args = fake_args = ()
        x_fake = G(z, *fake_args)                                          # (N, 1, 28, 28)
        logits_real = D(x_real, *real_args)
        logits_fake = D(x_fake.detach(), *fake_args)                       # detach: D's step leaves G alone
        loss_D = discriminator_loss(logits_real, logits_fake)
        opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        opt_D.step()
        loss_G = generator_loss_nonsaturating(D(x_fake, *fake_args))       # -log D(G(z))
        opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        opt_G.step()
        hist.log(loss_D=loss_D, loss_G=loss_G, D_x=torch.sigmoid(logits_real).mean(),
                 D_G_z=torch.sigmoid(logits_fake).mean())
        if cfg.log_every and (step % cfg.log_every == 0 or step == cfg.steps):
            w = log_window
            print(f"step {step:6d}/{cfg.steps}  loss_D {hist.last('loss_D', w):.3f}  loss_G "
                  f"{hist.last('loss_G', w):.3f}  D(x) {hist.last('D_x', w):.2f}  D(G(z)) "
                  f"{hist.last('D_G_z', w):.2f}  {time.perf_counter() - t0:7.1f} s", flush=True)
    return hist, time.perf_counter() - t0


def run_info(cfg, model: str, hist: History, seconds: float, n_train: int, device) -> dict:
    """What a checkpoint records about its training run (command, steps, time, final losses)."""
    return {"command": command_of(cfg, model), "steps": cfg.steps,
            "epochs": round(cfg.steps * cfg.batch_size / n_train, 2), "train_seconds": round(seconds, 1),
            "threads": torch.get_num_threads(), "torch": torch.__version__, "device": str(device),
            "final_loss_D": hist.last("loss_D", 100), "final_loss_G": hist.last("loss_G", 100)}


@torch.no_grad()
def generate_unconditional(G: nn.Module, n: int, seed: int = 0, device: str | torch.device = "cpu",
                           batch_size: int = 1000) -> tuple[torch.Tensor, None]:
    """``n`` images (n, C, H, W) in [-1, 1] from z ~ N(0, I) drawn with ``seed``; labels None."""
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}")
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed))
    G = G.to(device).eval()
    return torch.cat([G(zb.to(device)).cpu() for zb in z.split(batch_size)]), None
