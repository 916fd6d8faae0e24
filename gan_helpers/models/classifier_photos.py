"""A small horse-vs-zebra CNN whose penultimate layer is the feature space of the
photo-FID of notebook 08 (the Frechet distance of Heusel et al. 2017, on this network's
features instead of Inception's: no pretrained ImageNet network can be installed here
without downloading weights at run time).

Trained by ``gan_helpers.recipes.photo_classifier``; used through ``gan_helpers.metrics.photo``.
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import check_int


class PhotoClassifier(nn.Module):
    """Four conv-BN-ReLU-pool stages, global average pooling, a ``feature_dim`` layer, logits.

    Input photos (N, 3, H, W) in [-1, 1], H and W at least 16. ``forward`` returns logits
    (N, n_classes); ``features`` the penultimate activations (N, feature_dim).
    """

    def __init__(self, channels: int = 32, feature_dim: int = 64, n_classes: int = 2, dropout: float = 0.3):
        super().__init__()
        for name, v in (("channels", channels), ("feature_dim", feature_dim), ("n_classes", n_classes)):
            check_int(name, v)
        self.config = dict(channels=channels, feature_dim=feature_dim, n_classes=n_classes, dropout=dropout)
        layers, c_in = [], 3
        for i in range(4):  # (N, 3, 64, 64) -> (N, c, 32, 32) -> ... -> (N, 8c, 4, 4)
            c_out = channels * 2 ** i
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
                       nn.MaxPool2d(2)]
            c_in = c_out
        self.conv = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())  # (N, 8c): any photo size
        self.hidden = nn.Sequential(nn.Dropout(dropout), nn.Linear(c_in, feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(feature_dim, n_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (N, feature_dim) of photos (N, 3, H, W) in [-1, 1]."""
        if x.ndim != 4 or x.shape[1] != 3 or min(x.shape[2:]) < 16:
            raise ValueError(f"PhotoClassifier expects RGB photos (N, 3, H, W) with H, W >= 16, got {tuple(x.shape)}")
        return self.hidden(self.conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (N, n_classes): 0 = horse (domain A), 1 = zebra (domain B)."""
        return self.head(self.features(x))
