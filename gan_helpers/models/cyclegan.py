"""CycleGAN networks (Zhu et al. 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks"; explained in notebook 08).

* ``ResnetGenerator``: the paper's generator (after Johnson et al. 2016): c7s1-k,
  ``n_down`` stride-2 downsamplings, ``n_blocks`` residual blocks, as many upsamplings,
  c7s1-out with tanh; instance norm and reflection padding. The paper uses k=64,
  n_down=2 and 9 blocks at 256 px; notebook 08 uses far smaller ones on CPU.
* ``PatchDiscriminator``: the PatchGAN (Isola et al. 2017). With ``n_layers=3`` each
  output sees a 70x70 patch; it returns raw scores (N, 1, h, w) for the LSGAN loss.
* ``CycleGAN``: the four networks G_AB, G_BA, D_A, D_B in one module, so one checkpoint
  holds them all.
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import weights_init


def _check_images(x: torch.Tensor, channels: int, multiple: int, who: str) -> None:
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"{who} expects images (N, {channels}, H, W), got {tuple(x.shape)}")
    if x.shape[2] % multiple or x.shape[3] % multiple:
        raise ValueError(f"{who}: height and width must be multiples of {multiple} "
                         f"(2 ** n_down), got {tuple(x.shape[2:])}")


class ResidualBlock(nn.Module):
    """x + [reflect-pad, conv3, IN, ReLU, reflect-pad, conv3, IN](x): shape kept (N, C, H, W)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """Image (N, in_channels, H, W) in [-1, 1] -> image (N, out_channels, H, W) in [-1, 1]."""

    def __init__(self, in_channels: int = 3, out_channels: int = 3, base_channels: int = 64,
                 n_down: int = 2, n_blocks: int = 9):
        super().__init__()
        if min(in_channels, out_channels, base_channels) < 1 or n_down < 0 or n_blocks < 0:
            raise ValueError("channels must be >= 1 and n_down, n_blocks >= 0")
        self.config = dict(in_channels=in_channels, out_channels=out_channels, base_channels=base_channels,
                           n_down=n_down, n_blocks=n_blocks)
        k = base_channels
        # c7s1-k: 7x7 conv, stride 1, reflection padding keeps the size.
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, k, 7), nn.InstanceNorm2d(k), nn.ReLU(True)]  # (N, k, H, W)
        for i in range(n_down):  # dk: 3x3 conv stride 2 doubling the channels
            c = k * 2 ** i
            layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.InstanceNorm2d(2 * c), nn.ReLU(True)]
        c = k * 2 ** n_down  # (N, k * 2**n_down, H / 2**n_down, W / 2**n_down)
        layers += [ResidualBlock(c) for _ in range(n_blocks)]
        for i in range(n_down):  # uk: 3x3 fractionally strided conv halving the channels
            layers += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1),
                       nn.InstanceNorm2d(c // 2), nn.ReLU(True)]
            c //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(k, out_channels, 7), nn.Tanh()]  # (N, out, H, W)
        self.net = nn.Sequential(*layers)
        self.apply(weights_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self.config["in_channels"], 2 ** self.config["n_down"], "ResnetGenerator")
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN: image (N, in_channels, H, W) -> raw realness scores (N, 1, h, w), one per patch.

    Strides: ``n_layers`` 4x4 convs of stride 2, then two of stride 1 (as in the reference
    code). Receptive field of one output: ``receptive_field(n_layers)`` (70 for 3).
    """

    def __init__(self, in_channels: int = 3, base_channels: int = 64, n_layers: int = 3):
        super().__init__()
        if n_layers < 1 or base_channels < 1:
            raise ValueError("n_layers and base_channels must be >= 1")
        self.config = dict(in_channels=in_channels, base_channels=base_channels, n_layers=n_layers)
        k = base_channels
        layers = [nn.Conv2d(in_channels, k, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]  # (N, k, H/2, W/2)
        c = k
        for i in range(1, n_layers):
            c_next = k * min(2 ** i, 8)
            layers += [nn.Conv2d(c, c_next, 4, stride=2, padding=1), nn.InstanceNorm2d(c_next), nn.LeakyReLU(0.2, True)]
            c = c_next  # (N, c, H / 2**(i+1), W / 2**(i+1))
        c_next = k * min(2 ** n_layers, 8)
        layers += [nn.Conv2d(c, c_next, 4, stride=1, padding=1), nn.InstanceNorm2d(c_next), nn.LeakyReLU(0.2, True),
                   nn.Conv2d(c_next, 1, 4, stride=1, padding=1)]  # (N, 1, h, w): no sigmoid (LSGAN)
        self.net = nn.Sequential(*layers)
        self.apply(weights_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        min_size = 2 ** self.config["n_layers"] * 4
        if x.ndim != 4 or x.shape[1] != self.config["in_channels"]:
            raise ValueError(f"PatchDiscriminator expects images (N, {self.config['in_channels']}, H, W), "
                             f"got {tuple(x.shape)}")
        if min(x.shape[2:]) < min_size:
            raise ValueError(f"PatchDiscriminator with n_layers={self.config['n_layers']} needs images of at "
                             f"least {min_size} px, got {tuple(x.shape[2:])}")
        return self.net(x)


def receptive_field(n_layers: int) -> int:
    """Side in pixels of the input patch one PatchGAN output sees (70 for n_layers=3)."""
    kernels_strides = [(4, 2)] * n_layers + [(4, 1), (4, 1)]
    rf = 1
    for k, s in reversed(kernels_strides):  # walk back from one output pixel
        rf = (rf - 1) * s + k
    return rf


class CycleGAN(nn.Module):
    """G_AB: A -> B, G_BA: B -> A, D_A judges domain A, D_B judges domain B."""

    def __init__(self, channels_A: int = 3, channels_B: int = 3, g_channels: int = 64, n_down: int = 2,
                 n_blocks: int = 9, d_channels: int = 64, d_layers: int = 3):
        super().__init__()
        self.config = dict(channels_A=channels_A, channels_B=channels_B, g_channels=g_channels, n_down=n_down,
                           n_blocks=n_blocks, d_channels=d_channels, d_layers=d_layers)
        self.G_AB = ResnetGenerator(channels_A, channels_B, g_channels, n_down, n_blocks)
        self.G_BA = ResnetGenerator(channels_B, channels_A, g_channels, n_down, n_blocks)
        self.D_A = PatchDiscriminator(channels_A, d_channels, d_layers)
        self.D_B = PatchDiscriminator(channels_B, d_channels, d_layers)

    def forward(self, real_A: torch.Tensor) -> torch.Tensor:
        """Translate A -> B (the direction used for sampling)."""
        return self.G_AB(real_A)

    def generators(self) -> list[nn.Parameter]:
        return list(self.G_AB.parameters()) + list(self.G_BA.parameters())

    def discriminators(self) -> list[nn.Parameter]:
        return list(self.D_A.parameters()) + list(self.D_B.parameters())
