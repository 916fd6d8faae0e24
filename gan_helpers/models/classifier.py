"""A small MNIST CNN (LeNet-style, LeCun et al. 1998) whose penultimate layer is the
feature space of the collection's MNIST-FID (Heusel et al. 2017 define FID on Inception
features; we use this classifier instead, as explained in notebook 03).

Trained by ``gan_helpers.recipes.classifier``; used through ``gan_helpers.metrics``.
"""
from __future__ import annotations

import torch
from torch import nn


class MNISTClassifier(nn.Module):
    """conv-BN-ReLU-pool x2, then a ``feature_dim`` hidden layer and 10 logits.

    Input images (N, 1, 28, 28) in [-1, 1]. ``forward`` returns logits (N, n_classes);
    ``features`` returns the penultimate activations (N, feature_dim).
    """

    def __init__(self, channels: int = 32, feature_dim: int = 128, n_classes: int = 10,
                 dropout: float = 0.3):
        super().__init__()
        self.config = dict(channels=channels, feature_dim=feature_dim, n_classes=n_classes,
                           dropout=dropout)
        c = channels
        self.conv = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),  # (N, c, 28, 28)
            nn.MaxPool2d(2),                                                         # (N, c, 14, 14)
            nn.Conv2d(c, 2 * c, 3, padding=1, bias=False), nn.BatchNorm2d(2 * c), nn.ReLU(),
            nn.MaxPool2d(2),                                                         # (N, 2c, 7, 7)
            nn.Flatten(),                                                            # (N, 2c*49)
        )
        self.hidden = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * c * 49, feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(feature_dim, n_classes))

    def _check(self, x: torch.Tensor) -> None:
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"MNISTClassifier expects images (N, 1, 28, 28), got {tuple(x.shape)}")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (N, feature_dim) of images (N, 1, 28, 28) in [-1, 1]."""
        self._check(x)
        return self.hidden(self.conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (N, n_classes)."""
        return self.head(self.features(x))
