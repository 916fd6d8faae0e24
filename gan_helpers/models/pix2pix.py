"""pix2pix networks (Isola et al. 2017, "Image-to-Image Translation with Conditional
Adversarial Networks"; explained in notebook 07).

* ``UNetGenerator``: an encoder of stride-2 4x4 convolutions down to 1x1 and a decoder of
  stride-2 transposed convolutions back up, with the skip connections of Ronneberger et al.
  (2015): decoder layer i also receives encoder layer n - i, so detail that the input and
  output share (edges, lightness) need not squeeze through the bottleneck. Dropout in the
  three innermost decoder layers is the paper's only noise source (it gives G no z).
  ``skips=False`` is the same network without them: the paper's "encoder-decoder" ablation.
* ``PixelDiscriminator``: the paper's PixelGAN (1x1 patches): 1x1 convolutions only, so each
  output judges one pixel's colour and nothing around it. Its one norm is batch norm (the
  paper's appendix: C64-C128, BatchNorm in C128): in eval mode it is a fixed per-channel
  affine map, so the output at a pixel depends on that pixel alone; in training mode it
  shares the batch's statistics, never a neighbourhood's. (Instance norm would let every
  output see its own photo's mean colour, which a 1x1 D is meant not to see.)
* The PatchGAN of larger patches is ``models.cyclegan.PatchDiscriminator``; pix2pix feeds it
  the (input, output) pair stacked along the channels: ``in_channels = input + output``.

Sizes are constructor arguments; the paper's 256 px network is ``base_channels=64,
n_down=8, max_mult=8``. Notebook 07 trains ``base_channels=32, n_down=6, max_mult=4`` at 64 px.
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import check_int, weights_init


class UNetGenerator(nn.Module):
    """Image (N, in_channels, H, W) in [-1, 1] -> image (N, out_channels, H, W) in [-1, 1];
    H and W must be multiples of 2 ** n_down."""

    def __init__(self, in_channels: int = 1, out_channels: int = 2, base_channels: int = 32,
                 n_down: int = 6, max_mult: int = 4, dropout: float = 0.5, skips: bool = True):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("base_channels", base_channels), ("n_down", n_down), ("max_mult", max_mult)):
            check_int(name, v)
        if n_down < 2:
            raise ValueError(f"n_down must be >= 2 (an outer and an inner layer), got {n_down}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        self.config = dict(in_channels=in_channels, out_channels=out_channels, base_channels=base_channels,
                           n_down=n_down, max_mult=max_mult, dropout=dropout, skips=bool(skips))
        self.skips = bool(skips)
        ch = [base_channels * min(2 ** i, max_mult) for i in range(n_down)]  # encoder widths: 32, 64, 128, 128, ...
        downs = [nn.Conv2d(in_channels, ch[0], 4, stride=2, padding=1)]  # (N, ch0, H/2, W/2): no norm on the input layer
        for i in range(1, n_down):
            norm = nn.BatchNorm2d(ch[i]) if i < n_down - 1 else nn.Identity()  # none at the 1x1 bottleneck
            downs.append(nn.Sequential(nn.LeakyReLU(0.2), nn.Conv2d(ch[i - 1], ch[i], 4, stride=2, padding=1), norm))
        self.downs = nn.ModuleList(downs)  # layer i: (N, ch[i], H / 2**(i+1), W / 2**(i+1))
        ups = []
        for i in reversed(range(1, n_down)):  # from the bottleneck outwards
            c_in = ch[i] * (2 if self.skips and i < n_down - 1 else 1)  # decoder output + encoder skip, concatenated
            drop = nn.Dropout(dropout) if n_down - 1 - i < 3 and dropout > 0 else nn.Identity()  # the 3 innermost
            ups.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(c_in, ch[i - 1], 4, stride=2, padding=1),
                                     nn.BatchNorm2d(ch[i - 1]), drop))  # (N, ch[i-1], H / 2**i, W / 2**i)
        c_in = ch[0] * (2 if self.skips else 1)
        ups.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(c_in, out_channels, 4, stride=2, padding=1),
                                 nn.Tanh()))  # (N, out_channels, H, W)
        self.ups = nn.ModuleList(ups)
        self.apply(weights_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c, n = self.config["in_channels"], self.config["n_down"]
        if not torch.is_tensor(x) or x.ndim != 4 or x.shape[1] != c:
            raise ValueError(f"UNetGenerator expects images (N, {c}, H, W), got "
                             f"{tuple(x.shape) if torch.is_tensor(x) else type(x).__name__}")
        if x.shape[2] % 2 ** n or x.shape[3] % 2 ** n:
            raise ValueError(f"UNetGenerator: height and width must be multiples of 2 ** n_down = {2 ** n}, "
                             f"got {tuple(x.shape[2:])}")
        feats = []
        h = x
        for down in self.downs:
            h = down(h)
            feats.append(h)
        h = self.ups[0](feats[-1])
        for i, up in enumerate(self.ups[1:], start=2):
            h = up(torch.cat([h, feats[-i]], 1) if self.skips else h)  # skip from the encoder layer of h's size
        return h


class PixelDiscriminator(nn.Module):
    """PixelGAN: (input, output) pair (N, in_channels, H, W) -> logits (N, 1, H, W), one per pixel."""

    def __init__(self, in_channels: int = 3, base_channels: int = 32):
        super().__init__()
        check_int("in_channels", in_channels)
        check_int("base_channels", base_channels)
        self.config = dict(in_channels=in_channels, base_channels=base_channels)
        k = base_channels
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, k, 1), nn.LeakyReLU(0.2),                             # (N, k, H, W)
            nn.Conv2d(k, 2 * k, 1), nn.BatchNorm2d(2 * k), nn.LeakyReLU(0.2),           # (N, 2k, H, W)
            nn.Conv2d(2 * k, 1, 1),                                                      # (N, 1, H, W) logits
        )
        self.apply(weights_init)

    def forward(self, xy: torch.Tensor) -> torch.Tensor:
        c = self.config["in_channels"]
        if not torch.is_tensor(xy) or xy.ndim != 4 or xy.shape[1] != c:
            raise ValueError(f"PixelDiscriminator expects (input, output) pairs (N, {c}, H, W), got "
                             f"{tuple(xy.shape) if torch.is_tensor(xy) else type(xy).__name__}")
        return self.net(xy)
