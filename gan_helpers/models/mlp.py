"""Fully connected G and D, the "vanilla" GAN of Goodfellow et al. 2014 ("Generative
Adversarial Nets") on flattened MNIST images; built by hand and trained in notebook 03.

G: z (N, latent_dim) -> Linear/[BatchNorm]/LeakyReLU blocks -> Linear -> tanh -> (N, C, H, W)
D: x (N, C, H, W) -> flatten -> Linear/LeakyReLU/Dropout blocks -> Linear -> logits (N, 1)
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .blocks import check_int


def generator_block(in_features: int, out_features: int, batch_norm: bool = True,
                    slope: float = 0.2) -> nn.Sequential:
    """Linear -> (BatchNorm1d) -> LeakyReLU: (N, in_features) -> (N, out_features).

    With batch norm the linear bias is redundant (the norm removes the mean), so it is off.
    """
    layers: list[nn.Module] = [nn.Linear(in_features, out_features, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(out_features))
    layers.append(nn.LeakyReLU(slope))
    return nn.Sequential(*layers)


def discriminator_block(in_features: int, out_features: int, dropout: float = 0.3,
                        slope: float = 0.2) -> nn.Sequential:
    """Linear -> LeakyReLU -> Dropout: (N, in_features) -> (N, out_features)."""
    return nn.Sequential(nn.Linear(in_features, out_features), nn.LeakyReLU(slope), nn.Dropout(dropout))


def _check_sizes(hidden) -> None:
    if not hidden or any(isinstance(h, bool) or not isinstance(h, int) or h <= 0 for h in hidden):
        raise ValueError(f"hidden must be a non-empty list of positive ints, got {hidden!r}")


def _shape(image_shape) -> tuple[int, int, int]:
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 3 or min(shape) <= 0:
        raise ValueError(f"image_shape must be (C, H, W) with positive sizes, got {image_shape!r}")
    return shape


class MLPGenerator(nn.Module):
    """G(z): (N, latent_dim) -> images (N, *image_shape) in [-1, 1] (tanh)."""

    def __init__(self, latent_dim: int = 64, hidden: tuple[int, ...] | list[int] = (256, 512, 1024),
                 image_shape: tuple[int, int, int] | list[int] = (1, 28, 28), batch_norm: bool = True,
                 slope: float = 0.2):
        super().__init__()
        check_int("latent_dim", latent_dim)
        _check_sizes(hidden)
        self.latent_dim = int(latent_dim)
        self.image_shape = _shape(image_shape)
        # JSON-friendly constructor arguments, so checkpoints can rebuild the model.
        self.config = dict(latent_dim=self.latent_dim, hidden=[int(h) for h in hidden],
                           image_shape=list(self.image_shape), batch_norm=bool(batch_norm), slope=float(slope))
        sizes = [self.latent_dim, *self.config["hidden"]]
        self.blocks = nn.Sequential(*[generator_block(a, b, batch_norm, slope)
                                      for a, b in zip(sizes[:-1], sizes[1:])])  # (N, hidden[-1])
        self.out = nn.Linear(sizes[-1], math.prod(self.image_shape))          # (N, C*H*W)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"G expects z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        x = torch.tanh(self.out(self.blocks(z)))                                # (N, C*H*W) in [-1, 1]
        return x.view(-1, *self.image_shape)                                    # (N, C, H, W)


class MLPDiscriminator(nn.Module):
    """D(x): images (N, *image_shape) -> logits (N, 1) (no sigmoid: use the logits losses)."""

    def __init__(self, hidden: tuple[int, ...] | list[int] = (512, 256),
                 image_shape: tuple[int, int, int] | list[int] = (1, 28, 28), dropout: float = 0.3,
                 slope: float = 0.2):
        super().__init__()
        _check_sizes(hidden)
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.image_shape = _shape(image_shape)
        self.config = dict(hidden=[int(h) for h in hidden], image_shape=list(self.image_shape),
                           dropout=float(dropout), slope=float(slope))
        sizes = [math.prod(self.image_shape), *self.config["hidden"]]
        self.blocks = nn.Sequential(*[discriminator_block(a, b, dropout, slope)
                                      for a, b in zip(sizes[:-1], sizes[1:])])  # (N, hidden[-1])
        self.out = nn.Linear(sizes[-1], 1)                                      # (N, 1) logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"D expects images (N, {', '.join(map(str, self.image_shape))}), got {tuple(x.shape)}")
        return self.out(self.blocks(x.flatten(1)))
