"""Recipe behind ``data/pretrained/cgan_G.safetensors``: a conditional GAN (Mirza and
Osindero 2014) on MNIST with the InfoGAN-shaped networks of notebook 04 (Chen et al. 2016,
``models.infogan``) and DCGAN settings (Radford et al. 2015): the label joined to z in G and
brought into D by projection (Miyato and Koyama 2018, ``models.projection``; ``projection=False``
stacks it on D's input as planes instead), the learning rates falling linearly to zero over the
last 2,000 steps, and an average of G's weights (Yazici et al. 2019).
Notebook 05 loads its result and trains a shorter version; it cites the equal-step rows below
(docs/results.md). The label-planes G of the table is no longer shipped (no notebook loaded it;
``--projection False`` retrains it). docs/results.md records the commands behind the shipped files.

What was tried (seed 0; MNIST-FID on 10,000 samples with balanced labels, floor 3.84, 4.76 for
a random 1,000 real digits of each class; "EMA" the weight average):

    networks                  steps   MNIST-FID (EMA / raw)  label accuracy  lowest digit
    small all-conv, c = 32    12000   12.28 / 11.49          99.2%           98.6%   <- shipped first
    InfoGAN shape, c = 64,    3500     9.90 / 19.10          99.3%           98.5%   <- shipped second
    label planes, constant      the same run resumed from step 3,000:
    learning rates            4000    10.27 / 18.94          99.4%
                              6000    11.90 / 48.40          99.6%
                              8000    11.83 / 13.80          99.6%
                              10000   10.79 / 12.43          99.6%           99.1%   <- shipped third (later
                                                                                        as cgan_planes_G, removed)
    InfoGAN shape, c = 64,    1000    21.59 / 27.51          98.6%
    projection D, constant    2000    13.44 / 13.75          99.6%
    learning rates            3000    10.58 / 12.20          99.5%
                              4000    10.67 / 11.59          99.6%
                              5000     9.64 / 10.17          99.7%
                              6000     9.15 / 10.22          99.7%
                              7000     8.59 / 10.60          99.6%
                              8000     9.02 /  9.16          99.6%
      resumed from step 7,500, 8000     8.91 /  8.68          99.5%
      rates falling linearly  9000     8.33 /  7.43          99.6%
      to 0 from step 8,000    10000    7.29 /  6.81          99.6%           98.1% (5)  <- shipped

Targets: MNIST-FID 8 and label accuracy 99.5% met; every digit 99% missed by the fives (98.1%;
every other digit at least 99.4%); the classifier itself reads 99.2% of real test digits correctly
(98.3% of the nines), so those label-accuracy targets sit above what it can resolve. One seed each:
at equal steps and constant rates the projection D's G is behind at 4,000 steps and ahead at 6,000
and 8,000 (9.02 against 11.83), a gap above one run's checkpoint swing of about 1.6; the move from
8.91 to 7.29 came with the falling learning rates and 2,000 more steps, not with the projection.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .mnist_gan import MNISTGANConfig, load_shipped_generator, train_recipe
from ..models import cgan as small, infogan, projection
from ..models.blocks import weights_init

FILENAME = "cgan_G.safetensors"          # the averaged G
RAW_FILENAME = None  # the last iterate is not shipped (notebook 03 shows averaging); a run without --ship writes it


@dataclass
class Config(MNISTGANConfig):
    steps: int = 10000         # optimiser steps for D and G (468 steps = one MNIST epoch at batch 128)
    decay_from: int | None = 8000  # learning rates fall linearly to 0 over the last 2,000 steps (None: constant)
    latent_dim: int = 64       # size of z (the style); the class comes from the label
    n_classes: int = 10        # MNIST digits
    fc_units: int | None = 1024  # 1024: the InfoGAN-shaped pair (shipped); None: the small all-conv pair
    g_channels: int = 64       # G's base width c (InfoGAN shape: FC, 2c-c-1 maps; small pair, c = 32: 4c-2c-1)
    d_channels: int = 64       # D's base width c: c-2c maps, then the FC layer or a 7x7 conv
    projection: bool = True    # InfoGAN shape only: the label enters D by projection (Miyato and Koyama 2018); False: as input planes
    log_every: int = 500


def build(cfg: Config):
    """The conditional G and D with the sizes in ``cfg``, initialised from N(0, 0.02): the
    InfoGAN-shaped pair (``models.infogan``) unless ``cfg.fc_units`` is None, then the small
    all-convolutional pair (``models.cgan``)."""
    if cfg.fc_units is None:
        if cfg.projection:
            raise ValueError("the projection D exists for the InfoGAN-shaped pair only: with fc_units None "
                             "(the small pair) also set projection False (--projection False)")
        G = small.ConditionalGenerator(cfg.latent_dim, cfg.n_classes, cfg.g_channels)
        D = small.ConditionalDiscriminator(cfg.n_classes, cfg.d_channels)
    else:
        G = infogan.ConditionalGenerator(cfg.latent_dim, cfg.n_classes, cfg.g_channels, cfg.fc_units)
        D_cls = projection.ProjectionDiscriminator if cfg.projection else infogan.ConditionalDiscriminator
        D = D_cls(cfg.n_classes, cfg.d_channels, cfg.fc_units)
    return G.apply(weights_init), D.apply(weights_init)


def train(cfg: Config):
    """Train the conditional G and D with ``cfg``; returns a RecipeResult."""
    return train_recipe(cfg, "cgan", FILENAME, build, generate, ship_raw=False, n_classes=cfg.n_classes)


def load_pretrained(device: str | torch.device = "cpu", raw: bool = False) -> infogan.ConditionalGenerator:
    """The shipped conditional generator (the InfoGAN-shaped G, sha256 checked), in eval mode on
    ``device`` (the weight average; ``raw=True`` raises: the last iterate is not shipped)."""
    return load_shipped_generator(infogan.ConditionalGenerator, FILENAME, RAW_FILENAME, device, raw)


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
def generate(G: nn.Module, n: int, seed: int = 0, device: str | torch.device = "cpu",
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
