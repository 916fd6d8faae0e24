"""The higher-capacity MNIST pair of Chen et al. (2016, "InfoGAN", appendix C.1), without
InfoGAN's Q head: the networks that Lucic et al. (2018, "Are GANs Created Equal?") used for
every MNIST run. Explained in notebook 04 (beside the small all-convolutional DCGAN of
``models.dcgan``) and, with labels, in notebook 05.

  G: z -> FC 1024 -> FC 7x7x2c -> 4x4 stride-2 deconv c (14x14) -> 4x4 stride-2 deconv 1 (28x28), tanh
  D: x -> 4x4 stride-2 conv c (LeakyReLU) -> 4x4 stride-2 conv 2c (BN) -> FC 1024 (BN) -> FC 1

Of Radford et al.'s guidelines it keeps strided convolutions, batch norm (not on G's output
or D's input), ReLU/tanh in G and LeakyReLU(0.2) in D; it breaks "no fully connected hidden
layers": two in G and one in D, which hold most of the parameters. It was designed for
28x28, not the paper's 64x64. On a CPU the fully connected layers are large matrix
products, which run near the machine's peak, so a step costs far less extra time than the
twelve-fold parameter count suggests (notebook 04 times both pairs).

The conditional versions join the label as notebook 05 explains: one-hot y concatenated to
z in G, and as ``n_classes`` constant maps stacked on D's input image.
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import check_int
from .cgan import label_maps, one_hot


def _check_sizes(**sizes) -> None:
    for name, v in sizes.items():
        check_int(name, v)


class Generator(nn.Module):
    """G: z (N, latent_dim) -> images (N, 1, 28, 28) in [-1, 1].

    ``base_channels`` (c): 2c maps at 7x7 and c at 14x14; ``fc_units``: width of the first
    fully connected layer (InfoGAN: c = 64, fc_units = 1024).
    """

    def __init__(self, latent_dim: int = 64, base_channels: int = 64, fc_units: int = 1024,
                 img_channels: int = 1, n_classes: int = 0):
        super().__init__()
        _check_sizes(latent_dim=latent_dim, base_channels=base_channels, fc_units=fc_units,
                     img_channels=img_channels)
        check_int("n_classes", n_classes, low=0)
        self.config = dict(latent_dim=latent_dim, base_channels=base_channels, fc_units=fc_units,
                           img_channels=img_channels, n_classes=n_classes)
        self.latent_dim, self.n_classes = latent_dim, n_classes
        c = base_channels
        self.fc = nn.Sequential(
            nn.Linear(latent_dim + n_classes, fc_units, bias=False),  # (N, 1024)
            nn.BatchNorm1d(fc_units), nn.ReLU(True),
            nn.Linear(fc_units, 2 * c * 7 * 7, bias=False),           # (N, 2c * 49)
            nn.BatchNorm1d(2 * c * 7 * 7), nn.ReLU(True),
            nn.Unflatten(1, (2 * c, 7, 7)),                           # (N, 2c, 7, 7)
        )
        self.conv = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1, bias=False),        # (N, c, 14, 14)
            nn.BatchNorm2d(c), nn.ReLU(True),
            nn.ConvTranspose2d(c, img_channels, 4, 2, 1),             # (N, 1, 28, 28)
            nn.Tanh(),                                                # no BN on the output
        )

    def _check_z(self, z: torch.Tensor) -> None:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"G expects z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self._check_z(z)
        return self.conv(self.fc(z))


class ConditionalGenerator(Generator):
    """G(z, y): z (N, latent_dim), labels y (N,) -> images (N, 1, 28, 28); y joins z one-hot."""

    def __init__(self, latent_dim: int = 64, n_classes: int = 10, base_channels: int = 64,
                 fc_units: int = 1024, img_channels: int = 1):
        check_int("n_classes", n_classes)
        super().__init__(latent_dim, base_channels, fc_units, img_channels, n_classes)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self._check_z(z)
        if y.shape[:1] != z.shape[:1]:
            raise ValueError(f"z and y need the same batch size, got {z.shape[0]} and {tuple(y.shape)}")
        zy = torch.cat([z, one_hot(y, self.n_classes).to(z)], dim=1)  # (N, latent_dim + n_classes)
        return self.conv(self.fc(zy))


class Discriminator(nn.Module):
    """D: images (N, 1, 28, 28) -> logits (N, 1)."""

    def __init__(self, base_channels: int = 64, fc_units: int = 1024, img_channels: int = 1,
                 n_classes: int = 0):
        super().__init__()
        _check_sizes(base_channels=base_channels, fc_units=fc_units, img_channels=img_channels)
        check_int("n_classes", n_classes, low=0)
        self.config = dict(base_channels=base_channels, fc_units=fc_units, img_channels=img_channels,
                           n_classes=n_classes)
        self.img_channels, self.n_classes = img_channels, n_classes
        c = base_channels
        self.net = nn.Sequential(
            nn.Conv2d(img_channels + n_classes, c, 4, 2, 1),          # (N, c, 14, 14); no BN on the input
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False),                 # (N, 2c, 7, 7)
            nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2, True),
            nn.Flatten(),                                             # (N, 2c * 49)
            nn.Linear(2 * c * 7 * 7, fc_units, bias=False),           # (N, 1024)
            nn.BatchNorm1d(fc_units), nn.LeakyReLU(0.2, True),
            nn.Linear(fc_units, 1),                                   # (N, 1) logits
        )

    def _check_x(self, x: torch.Tensor) -> None:
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.img_channels, 28, 28):
            raise ValueError(f"D expects images (N, {self.img_channels}, 28, 28), got {tuple(x.shape)}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_x(x)
        return self.net(x)


class ConditionalDiscriminator(Discriminator):
    """D(x, y): images (N, 1, 28, 28), labels y (N,) -> logits (N, 1); y enters as constant maps."""

    def __init__(self, n_classes: int = 10, base_channels: int = 64, fc_units: int = 1024,
                 img_channels: int = 1):
        check_int("n_classes", n_classes)
        super().__init__(base_channels, fc_units, img_channels, n_classes)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self._check_x(x)
        if y.shape[:1] != x.shape[:1]:
            raise ValueError(f"x and y need the same batch size, got {x.shape[0]} and {tuple(y.shape)}")
        xy = torch.cat([x, label_maps(y, self.n_classes, 28).to(x)], dim=1)  # (N, 1 + n_classes, 28, 28)
        return self.net(xy)
