"""DCGAN generator and discriminator sized for 28x28 MNIST (Radford, Metz and Chintala 2015,
"Unsupervised Representation Learning with Deep Convolutional GANs"). Explained in
notebook 04.

The paper's guidelines, and where each one lives below:
  1. strided convolutions instead of pooling (D downsamples, G upsamples with ConvTranspose2d);
  2. batch norm in both networks, except G's output layer and D's input layer;
  3. no fully connected hidden layers (z is projected to a 7x7 map by one transposed conv);
  4. ReLU in G with tanh at the output; 5. LeakyReLU(0.2) in D;
plus the training settings: weights from N(0, 0.02) (``blocks.weights_init``), Adam lr 2e-4, beta1 0.5.
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import check_int, norm2d, weights_init  # noqa: F401  (weights_init: used with this model)


class Generator(nn.Module):
    """G: z (N, latent_dim) -> images (N, 1, 28, 28) in [-1, 1].

    ``base_channels`` (c) sets the width: 4c maps at 7x7, 2c at 14x14, 1 at 28x28.
    """

    def __init__(self, latent_dim: int = 64, base_channels: int = 32, img_channels: int = 1,
                 batch_norm: bool = True):
        super().__init__()
        for name, v in (("latent_dim", latent_dim), ("base_channels", base_channels), ("img_channels", img_channels)):
            check_int(name, v)
        self.config = dict(latent_dim=latent_dim, base_channels=base_channels,
                           img_channels=img_channels, batch_norm=batch_norm)
        self.latent_dim = latent_dim
        c = base_channels
        self.net = nn.Sequential(
            # z seen as a 1x1 map; a 7x7 transposed conv is the "project and reshape" (guideline 3)
            nn.ConvTranspose2d(latent_dim, 4 * c, 7, 1, 0, bias=not batch_norm),  # (N, 4c, 7, 7)
            norm2d(4 * c, batch_norm), nn.ReLU(True),                              # guideline 4
            nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1, bias=not batch_norm),       # (N, 2c, 14, 14)
            norm2d(2 * c, batch_norm), nn.ReLU(True),
            nn.ConvTranspose2d(2 * c, img_channels, 4, 2, 1),                     # (N, 1, 28, 28)
            nn.Tanh(),                                     # no BN on the output; tanh -> [-1, 1]
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"G expects z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(z[:, :, None, None])


class Discriminator(nn.Module):
    """D: images (N, 1, 28, 28) -> logits (N, 1). Strided convs 28 -> 14 -> 7, then one 7x7
    conv to a single logit (the paper's "flatten and feed into a single output")."""

    def __init__(self, base_channels: int = 32, img_channels: int = 1, batch_norm: bool = True):
        super().__init__()
        for name, v in (("base_channels", base_channels), ("img_channels", img_channels)):
            check_int(name, v)
        self.config = dict(base_channels=base_channels, img_channels=img_channels,
                           batch_norm=batch_norm)
        self.img_channels = img_channels
        c = base_channels
        self.net = nn.Sequential(
            nn.Conv2d(img_channels, c, 4, 2, 1),                           # (N, c, 14, 14): guideline 1
            nn.LeakyReLU(0.2, True),                                       # no BN on D's input (guideline 2), LeakyReLU (5)
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=not batch_norm),             # (N, 2c, 7, 7)
            norm2d(2 * c, batch_norm), nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * c, 1, 7, 1, 0),                                  # (N, 1, 1, 1): one logit
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.img_channels, 28, 28):
            raise ValueError(f"D expects images (N, {self.img_channels}, 28, 28), got {tuple(x.shape)}")
        return self.net(x).flatten(1)  # (N, 1) logits


def conv_transpose_out(size: int, kernel: int, stride: int = 1, padding: int = 0,
                       output_padding: int = 0, dilation: int = 1) -> int:
    """Output size of ConvTranspose2d along one axis (PyTorch's formula)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def summary(model: nn.Module, example: torch.Tensor | tuple, print_fn=print) -> list[dict]:
    """Run ``example`` (a tensor or a tuple of inputs) through ``model`` and list every leaf
    layer with its output shape and parameter count; prints a table unless ``print_fn`` is None.
    Returns rows ``{"layer", "out_shape", "params"}``.
    """
    rows: list[dict] = []
    hooks = []
    for name, mod in model.named_modules():
        if len(list(mod.children())) == 0:
            def hook(m, inp, out, name=name):
                rows.append({"layer": f"{name} {type(m).__name__}", "out_shape": tuple(out.shape),
                             "params": sum(p.numel() for p in m.parameters())})
            hooks.append(mod.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(*example) if isinstance(example, tuple) else model(example)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    if print_fn is not None:
        print_fn(f"{'layer':<28}{'output shape':<22}{'params':>10}")
        for r in rows:
            print_fn(f"{r['layer']:<28}{str(r['out_shape']):<22}{r['params']:>10,}")
        total = sum(p.numel() for p in model.parameters())
        print_fn(f"{'total':<50}{total:>10,}")
    return rows
