"""Conditional GAN for 28x28 MNIST (Mirza and Osindero 2014, "Conditional Generative
Adversarial Nets"), built from DCGAN blocks (Radford et al. 2015). Explained in notebook 05.

The label y goes into both networks as a one-hot vector joined to the input, as in the paper
(whose networks are MLPs, so there D takes the one-hot as extra input units):
  G: [z, onehot(y)]                     (N, latent_dim + n_classes) -> image (N, 1, 28, 28)
  D: [x, onehot(y) as constant maps]    (N, 1 + n_classes, 28, 28)  -> logit (N, 1)
Spreading the one-hot into constant maps stacked on the image is what Miyato and Koyama (2018)
call input concatenation; the DCGAN body keeps the collection on the blocks of notebook 04.
This is the small all-convolutional pair; the shipped conditional G is the higher-capacity
InfoGAN-shaped one of ``models.infogan`` (this module's ``one_hot`` and ``label_maps`` feed it).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import check_int, norm2d


def one_hot(y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Labels (N,) int64 in [0, n_classes) -> one-hot floats (N, n_classes), with a clear error."""
    if y.ndim != 1 or y.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise ValueError(f"labels must be a 1-D integer tensor (N,), got {tuple(y.shape)} {y.dtype}")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got min {int(y.min())} max {int(y.max())}")
    return F.one_hot(y.long(), n_classes).float()


def label_maps(y: torch.Tensor, n_classes: int, size: int) -> torch.Tensor:
    """Labels (N,) -> one-hot planes (N, n_classes, size, size): channel y is all ones."""
    return one_hot(y, n_classes)[:, :, None, None].expand(-1, -1, size, size)


class ConditionalGenerator(nn.Module):
    """G(z, y): z (N, latent_dim), labels y (N,) -> images (N, 1, 28, 28) in [-1, 1]."""

    def __init__(self, latent_dim: int = 64, n_classes: int = 10, base_channels: int = 32,
                 img_channels: int = 1):
        super().__init__()
        for name, v in (("latent_dim", latent_dim), ("n_classes", n_classes),
                        ("base_channels", base_channels), ("img_channels", img_channels)):
            check_int(name, v)
        self.config = dict(latent_dim=latent_dim, n_classes=n_classes, base_channels=base_channels,
                           img_channels=img_channels)
        self.latent_dim, self.n_classes = latent_dim, n_classes
        c = base_channels
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim + n_classes, 4 * c, 7, 1, 0, bias=False),  # (N, 4c, 7, 7)
            norm2d(4 * c, True), nn.ReLU(True),
            nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1, bias=False),                   # (N, 2c, 14, 14)
            norm2d(2 * c, True), nn.ReLU(True),
            nn.ConvTranspose2d(2 * c, img_channels, 4, 2, 1),                        # (N, 1, 28, 28)
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"G expects z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        if y.shape[:1] != z.shape[:1]:
            raise ValueError(f"z and y need the same batch size, got {z.shape[0]} and {tuple(y.shape)}")
        zy = torch.cat([z, one_hot(y, self.n_classes).to(z)], dim=1)  # (N, latent_dim + n_classes)
        return self.net(zy[:, :, None, None])


class ConditionalDiscriminator(nn.Module):
    """D(x, y): images (N, 1, 28, 28), labels y (N,) -> logits (N, 1).

    The label enters as ``n_classes`` constant 28x28 maps stacked onto the image channels,
    so the very first convolution can relate strokes to the claimed class.
    """

    def __init__(self, n_classes: int = 10, base_channels: int = 32, img_channels: int = 1):
        super().__init__()
        for name, v in (("n_classes", n_classes), ("base_channels", base_channels), ("img_channels", img_channels)):
            check_int(name, v)
        self.config = dict(n_classes=n_classes, base_channels=base_channels, img_channels=img_channels)
        self.n_classes, self.img_channels = n_classes, img_channels
        c = base_channels
        self.net = nn.Sequential(
            nn.Conv2d(img_channels + n_classes, c, 4, 2, 1),               # (N, c, 14, 14)
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False),                      # (N, 2c, 7, 7)
            norm2d(2 * c, True), nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * c, 1, 7, 1, 0),                                  # (N, 1, 1, 1)
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.img_channels, 28, 28):
            raise ValueError(f"D expects images (N, {self.img_channels}, 28, 28), got {tuple(x.shape)}")
        if y.shape[:1] != x.shape[:1]:
            raise ValueError(f"x and y need the same batch size, got {x.shape[0]} and {tuple(y.shape)}")
        xy = torch.cat([x, label_maps(y, self.n_classes, 28).to(x)], dim=1)  # (N, 1 + n_classes, 28, 28)
        return self.net(xy).flatten(1)  # (N, 1) logits
