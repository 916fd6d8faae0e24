"""A small CNN that reads digits in colour images (N, 3, 32, 32): the judge of CycleGAN's
A -> B translations in notebook 08 (Zhu et al. 2017 measure label preservation the same way
with an FCN score). It learns domain B's printed digits (``gan_helpers.data.digits``) and MNIST
handwriting painted in domain B's colours, so it reads the digit whatever the pen.

Trained by ``gan_helpers.recipes.digits_classifier``; shipped as
``data/pretrained/digits_classifier.safetensors``.
"""
from __future__ import annotations

import torch
from torch import nn

FILENAME = "digits_classifier.safetensors"


class DigitClassifier32(nn.Module):
    """Three conv-BN-ReLU-pool stages and a linear head: images (N, in_channels, 32, 32) in [-1, 1] -> logits (N, 10)."""

    def __init__(self, in_channels: int = 3, channels: int = 32, n_classes: int = 10, dropout: float = 0.3):
        super().__init__()
        self.config = dict(in_channels=in_channels, channels=channels, n_classes=n_classes, dropout=dropout)
        c = channels

        def stage(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2)]

        self.net = nn.Sequential(
            *stage(in_channels, c),      # (N, c, 16, 16)
            *stage(c, 2 * c),            # (N, 2c, 8, 8)
            *stage(2 * c, 4 * c),        # (N, 4c, 4, 4)
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(4 * c * 16, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.config["in_channels"], 32, 32):
            raise ValueError(f"DigitClassifier32 expects images (N, {self.config['in_channels']}, 32, 32), "
                             f"got {tuple(x.shape)}")
        return self.net(x)


def load_digit_classifier(device: str | torch.device = "cpu") -> DigitClassifier32:
    """The shipped domain-B digit reader (sha256 checked), in eval mode."""
    from ..checkpoints import load_pretrained
    return load_pretrained(FILENAME, DigitClassifier32, device)
