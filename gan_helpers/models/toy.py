"""Small MLP generator and discriminator for 1-D and 2-D toy data (Goodfellow et al. 2014;
the 2-D setting of Metz et al. 2017). Explained and trained in notebook 02.

Both are plain stacks of Linear + activation; every size is a constructor argument and
is stored in ``self.config`` so ``type(model)(**model.config)`` rebuilds the model.
"""
from __future__ import annotations

import torch
from torch import nn


def _mlp(sizes: list[int], act: type[nn.Module], **act_kw) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:  # no activation after the output layer
            layers.append(act(**act_kw))
    return nn.Sequential(*layers)


def _check_sizes(cls: str, **sizes: int) -> None:
    for name, v in sizes.items():
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{cls}: {name} must be a positive int, got {v!r}")


class ToyGenerator(nn.Module):
    """G: z (N, latent_dim) -> x_fake (N, data_dim), ``depth`` hidden layers of ``width`` ReLUs.

    The output is linear (unbounded), since toy data is not squashed into [-1, 1].
    """

    def __init__(self, latent_dim: int = 2, data_dim: int = 2, width: int = 128, depth: int = 3):
        super().__init__()
        _check_sizes("ToyGenerator", latent_dim=latent_dim, data_dim=data_dim, width=width, depth=depth)
        self.config = dict(latent_dim=latent_dim, data_dim=data_dim, width=width, depth=depth)
        self.latent_dim, self.data_dim = latent_dim, data_dim
        self.net = _mlp([latent_dim] + [width] * depth + [data_dim], nn.ReLU)  # (N, data_dim)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"G expects z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(z)


class ToyDiscriminator(nn.Module):
    """D: x (N, data_dim) -> logits (N, 1), ``depth`` hidden layers of ``width`` LeakyReLUs.

    Returns logits (no sigmoid): the losses in gan_helpers.losses apply it stably.
    """

    def __init__(self, data_dim: int = 2, width: int = 128, depth: int = 3):
        super().__init__()
        _check_sizes("ToyDiscriminator", data_dim=data_dim, width=width, depth=depth)
        self.config = dict(data_dim=data_dim, width=width, depth=depth)
        self.data_dim = data_dim
        self.net = _mlp([data_dim] + [width] * depth + [1], nn.LeakyReLU, negative_slope=0.2)  # (N, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.data_dim:
            raise ValueError(f"D expects x of shape (N, {self.data_dim}), got {tuple(x.shape)}")
        return self.net(x)
