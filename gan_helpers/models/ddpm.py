"""The noise predictor of a small DDPM on 28x28 MNIST (Ho, Jain and Abbeel 2020, "Denoising
Diffusion Probabilistic Models"; notebook 10 sets it beside the course's GANs).

eps_theta(x_t, t): a U-Net that sees a noisy image x_t and the step t, and predicts the noise
eps that was mixed into it (the paper's parameterisation, its eq. 12). What follows the paper:
residual blocks with GroupNorm and SiLU, the step t as a sinusoidal embedding (the Transformer's
position code) passed through a small MLP and added inside every residual block, skip
connections from each encoder level to the decoder level of the same size. What is smaller,
and why:

* 28 -> 14 -> 7 (two downsamplings) instead of 32 -> 4: MNIST is 28x28 and 7 is odd;
* base width 32 with multipliers (1, 2, 2) and one residual block per level (paper: 128,
  (1, 2, 2, 2), two blocks): about 0.75M parameters, so a step on a batch of 128 takes
  about 0.7 s on one CPU core;
* no self-attention (the paper has it at 16x16): at 14x14 and below convolutions already see
  most of a digit, and attention is the slowest layer on a CPU.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .blocks import check_int


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal code of integer steps t (N,) -> (N, dim): sin and cos of t at ``dim / 2``
    frequencies from 1 down to 1 / max_period (Vaswani et al. 2017's position code, as in Ho et al.)."""
    if t.ndim != 1:
        raise ValueError(f"t must be a 1-D tensor of steps (N,), got shape {tuple(t.shape)}")
    if dim < 2 or dim % 2:
        raise ValueError(f"dim must be an even int >= 2, got {dim!r}")
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None, :]                        # (N, half)
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)     # (N, dim)


def _groups(channels: int) -> int:
    """GroupNorm groups: 8 when they divide the channels (widths here are multiples of 8), else 1."""
    return 8 if channels % 8 == 0 else 1


class ResBlock(nn.Module):
    """GroupNorm -> SiLU -> conv, + the step's embedding (one bias per channel), GroupNorm ->
    SiLU -> conv; plus the input (through a 1x1 conv when the width changes). Size kept."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, 1, 1)                    # (N, c_out, H, W)
        self.emb = nn.Linear(emb_dim, c_out)                             # t -> a shift per channel
        self.norm2 = nn.GroupNorm(_groups(c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1)                   # (N, c_out, H, W)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(self.act(self.norm1(x)))
        h = h + self.emb(emb)[:, :, None, None]      # the same shift at every pixel: "which step is this"
        h = self.conv2(self.act(self.norm2(h)))
        return h + self.skip(x)


class DDPMUNet(nn.Module):
    """eps_theta: (x_t (N, C, 28, 28), t (N,) integer steps in [0, T)) -> predicted noise (N, C, 28, 28).

    ``base_channels`` (c) and ``channel_mults`` set the widths: c * mults[i] maps at level i
    (28x28, 14x14, 7x7 for three levels); ``n_levels = len(channel_mults)`` must be 1 to 3
    (28 halves twice to 7). ``n_steps`` (T) is only checked against: t must lie in [0, T).
    """

    def __init__(self, base_channels: int = 32, channel_mults: tuple[int, ...] | list[int] = (1, 2, 2),
                 img_channels: int = 1, n_steps: int = 1000):
        super().__init__()
        for name, v in (("base_channels", base_channels), ("img_channels", img_channels), ("n_steps", n_steps)):
            check_int(name, v)
        mults = tuple(channel_mults) if isinstance(channel_mults, (tuple, list)) else None
        if not mults or not 1 <= len(mults) <= 3:
            raise ValueError(f"channel_mults must be a list of 1 to 3 ints (28 -> 14 -> 7), got {channel_mults!r}")
        for m in mults:
            check_int("each of channel_mults", m)
        # a list, not a tuple: the config goes through JSON into the checkpoint and must come back equal
        self.config = dict(base_channels=base_channels, channel_mults=list(mults),
                           img_channels=img_channels, n_steps=n_steps)
        self.img_channels, self.n_steps = img_channels, n_steps
        c = base_channels
        widths = [c * m for m in mults]
        self.emb_dim = 4 * c
        self.time_mlp = nn.Sequential(nn.Linear(c, self.emb_dim), nn.SiLU(),    # (N, 4c): the step's code
                                      nn.Linear(self.emb_dim, self.emb_dim))
        self.stem = nn.Conv2d(img_channels, c, 3, 1, 1)                      # (N, c, 28, 28)
        self.down = nn.ModuleList()       # one ResBlock per level; its output is kept for the skip
        self.pool = nn.ModuleList()       # strided convs between levels: 28 -> 14 -> 7
        c_prev = c
        for i, w in enumerate(widths):
            self.down.append(ResBlock(c_prev, w, self.emb_dim))              # (N, w, 28 / 2^i, ...)
            if i < len(widths) - 1:
                self.pool.append(nn.Conv2d(w, w, 3, 2, 1))                   # (N, w, half the size)
            c_prev = w
        self.mid = nn.ModuleList([ResBlock(c_prev, c_prev, self.emb_dim),   # at the smallest size
                                  ResBlock(c_prev, c_prev, self.emb_dim)])
        self.up = nn.ModuleList()         # deepest level first; each takes its skip concatenated
        self.unpool = nn.ModuleList()     # nearest x2 then a conv: 7 -> 14 -> 28, to the next level's width
        for i in reversed(range(len(widths))):
            self.up.append(ResBlock(c_prev + widths[i], widths[i], self.emb_dim))
            c_prev = widths[i]
            if i > 0:  # the conv after the upsampling already narrows to the next level's width:
                # a wide conv at the larger size would cost 4x the one at the smaller size
                self.unpool.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                                 nn.Conv2d(c_prev, widths[i - 1], 3, 1, 1)))
                c_prev = widths[i - 1]
        self.head = nn.Sequential(nn.GroupNorm(_groups(c_prev), c_prev), nn.SiLU(),
                                  nn.Conv2d(c_prev, img_channels, 3, 1, 1))  # (N, C, 28, 28): eps
        # the last conv starts at zero (as in Ho et al.'s code): the first prediction is "no noise",
        # the loss starts near 1 and no step is thrown off by a random output layer
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.img_channels, 28, 28):
            raise ValueError(f"DDPMUNet expects x_t of shape (N, {self.img_channels}, 28, 28), got {tuple(x.shape)}")
        if t.ndim != 1 or len(t) != len(x) or t.is_floating_point():
            raise ValueError(f"DDPMUNet expects integer steps t of shape ({len(x)},), got {t.dtype} {tuple(t.shape)}")
        if len(t) and (int(t.min()) < 0 or int(t.max()) >= self.n_steps):
            raise ValueError(f"steps t must lie in [0, {self.n_steps}), got {int(t.min())}..{int(t.max())}")
        emb = self.time_mlp(timestep_embedding(t, self.config["base_channels"]))  # (N, 4c)
        h = self.stem(x)
        skips = []
        for i, block in enumerate(self.down):
            h = block(h, emb)
            skips.append(h)
            if i < len(self.pool):
                h = self.pool[i](h)
        for block in self.mid:
            h = block(h, emb)
        for i, block in enumerate(self.up):
            h = block(torch.cat([h, skips.pop()], dim=1), emb)
            if i < len(self.unpool):
                h = self.unpool[i](h)
        return self.head(h)
