"""Recipe behind ``data/pretrained/dcgan_G.safetensors``: a DCGAN (Radford et al. 2015) on
MNIST with the InfoGAN-shaped networks (Chen et al. 2016, appendix C.1; ``models.infogan``:
fully connected layers of 1024 units before and after the convolutions) and the paper's
settings (N(0, 0.02) init, Adam lr 2e-4, beta1 0.5, batch 128, non-saturating loss), plus an
average of G's weights (Yazici et al. 2019). Notebook 04 builds both this pair and the small
all-convolutional one and races them; the README records the command behind the shipped
file and its scores.

What was tried (seed 0, one CPU thread; MNIST-FID on 10,000 samples, floor 3.84, unless
noted; "raw" is the last iterate, "EMA" the weight average):

    G                      D width  D batch norm  steps   MNIST-FID             confident
    small, c = 32          64       yes           2000    230.8 (raw)           61.0%
    small, c = 32          64       yes           8000    124.8 (raw, no EMA)   69.1%
    small, c = 32          64       yes           12000   102.6 (EMA)           70.6%   <- shipped before
    small, c = 64          64       yes           2000    235.1 (EMA)           61.3%
    small, c = 64          64       yes           4000    206.0 (raw)           64.5%
    small, c = 32          64       no            1000    594.9 (raw, n=5000)   37.9%
    small, c = 32          32       yes           3000    207.3 (raw)           62.4%   (D width 64: 189.8)
    InfoGAN, c = 64        64 + FC  yes           2000    24.5 (EMA), 45.5 raw  81.9%
    InfoGAN, c = 64        64 + FC  yes           4000    12.7 (EMA), 24.8 raw  86.9%
    InfoGAN, c = 64        64 + FC  yes           6000     9.9 (EMA), 18.8 raw  87.8%
    InfoGAN, c = 64        64 + FC  yes           8000     8.6 (EMA), 21.7 raw  88.7%   <- shipped
      the shipped run's state at step 7,500 resumed to 10,000 steps with the learning rates
      falling linearly to 0 from step 8,000 (``--steps 10000 --decay-from 8000``, two threads):
    InfoGAN, c = 64        64 + FC  yes           8000     8.6 (EMA), 21.1 raw  88.3%
    InfoGAN, c = 64        64 + FC  yes           9000     8.8 (EMA), 14.1 raw  88.0%
    InfoGAN, c = 64        64 + FC  yes           10000    8.8 (EMA), 10.7 raw  87.9%   (not shipped)

The small pair trailed far behind. The two pairs differ by one hidden fully connected layer in
each network (the small G's 7x7 transposed conv on z is itself a fully connected layer), so
``g_fc_units`` / ``d_fc_units`` choose each network's shape on its own: the factorial of the two
layers (``tools/dcgan_capacity.py``; docs/results.md, lesson 04) measures what each one does.
The shipped pair's confident share (88.7%) stayed under the 90% target: about one sample in nine is a shape the classifier hesitates on.
The decay that took the conditional G from 8.91 to 7.29 brought the DCGAN's last iterate close to
its average (21.7 to 10.7) but neither a lower averaged score nor a higher confident share.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..train.mnist import generate_unconditional
from .mnist_gan import MNISTGANConfig, load_shipped_generator, train_recipe
from ..models.blocks import weights_init
from ..models import dcgan, infogan

FILENAME = "dcgan_G.safetensors"          # the averaged G
RAW_FILENAME = None  # the last iterate is not shipped (notebook 03 shows averaging); a run without --ship writes it


@dataclass
class Config(MNISTGANConfig):
    steps: int = 8000          # optimiser steps for D and G (468 steps = one MNIST epoch at batch 128)
    latent_dim: int = 64       # size of z; MNIST needs far fewer than the paper's 100
    fc_units: int | None = 1024  # 1024: the InfoGAN-shaped pair (shipped); None: the small all-conv pair
    g_fc_units: int | None = None  # G alone: 0 all-convolutional G, N an FC-N layer; None: follow fc_units
    d_fc_units: int | None = None  # D alone: 0 all-convolutional D, N an FC-N layer; None: follow fc_units
    g_channels: int = 64       # G's base width c (InfoGAN shape: FC, 2c-c-1 maps; small G, c = 32: 4c-2c-1)
    d_channels: int = 64       # D's base width c: c-2c maps, then the FC layer or a 7x7 conv
    d_batch_norm: bool = True  # batch norm in D's hidden layers (guideline 2; the all-conv D only)
    log_every: int = 500


def _units(own: int | None, shared: int | None, name: str) -> int | None:
    """The FC width of one network: its own field when set (0 means none), else ``fc_units``."""
    units = shared if own is None else own
    if units is not None and (isinstance(units, bool) or not isinstance(units, int) or units < 0):
        raise ValueError(f"{name} must be None, 0 (no fully connected layer) or a positive int, got {units!r}")
    return units or None


def build(cfg: Config) -> tuple[nn.Module, nn.Module]:
    """G and D with the sizes in ``cfg``, initialised from N(0, 0.02) as in the paper. Each
    network is chosen on its own (``g_fc_units`` / ``d_fc_units``, else ``fc_units``): with a
    fully connected layer the InfoGAN-shaped network (``models.infogan``), without one the
    small all-convolutional network (``models.dcgan``). The two Gs share their conv stack
    when the all-conv G has half the InfoGAN G's width (c = 32 against c = 64: 128 maps at
    7x7, 64 at 14x14); the two Ds share theirs at equal width. Mixing them isolates the one
    hidden FC-1024 layer of each network (results.md, lesson 04's factorial)."""
    g_units = _units(cfg.g_fc_units, cfg.fc_units, "g_fc_units")
    d_units = _units(cfg.d_fc_units, cfg.fc_units, "d_fc_units")
    if g_units is None:
        G = dcgan.Generator(cfg.latent_dim, cfg.g_channels)
    else:
        G = infogan.Generator(cfg.latent_dim, cfg.g_channels, g_units)
    if d_units is None:
        D = dcgan.Discriminator(cfg.d_channels, batch_norm=cfg.d_batch_norm)
    else:
        if not cfg.d_batch_norm:
            raise ValueError("d_batch_norm=False is a switch of the all-convolutional D only "
                             "(set d_fc_units 0 or fc_units None)")
        D = infogan.Discriminator(cfg.d_channels, d_units)
    return G.apply(weights_init), D.apply(weights_init)


def train(cfg: Config):
    """Train G and D with ``cfg``; returns a RecipeResult (``.model`` is the shipped-style G)."""
    return train_recipe(cfg, "dcgan", FILENAME, build, generate, ship_raw=False)


def load_pretrained(device: str | torch.device = "cpu", raw: bool = False) -> infogan.Generator:
    """The shipped generator (the InfoGAN-shaped G, sha256 checked), in eval mode on ``device``
    (the weight average; ``raw=True`` raises: the last iterate is not shipped)."""
    return load_shipped_generator(infogan.Generator, FILENAME, RAW_FILENAME, device, raw)


# generate(G, n, seed=0, device="cpu") -> (images (n, 1, 28, 28) in [-1, 1], None), z ~ N(0, I) from seed
generate = generate_unconditional
