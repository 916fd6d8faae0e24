"""The projection discriminator of Miyato and Koyama (2018, "cGANs with Projection
Discriminator") on the InfoGAN-shaped MNIST D of ``models.infogan``. Explained in notebook 05,
beside the label-planes D (what Miyato and Koyama call input concatenation).

  D(x, y) = psi(phi(x)) + <embed(y), phi(x)>

phi(x) (N, fc_units) is the image-only body up to the 1024-unit layer, psi the linear head
that says "real or not" for any class, and embed(y) (N, fc_units) a learned vector per class.
The label enters only at the end, as an inner product: the paper derives this form from the
log-likelihood ratio of a conditional softmax model, and it asks D "is this a real x of class
y" without giving the first convolution ten constant planes to learn around.
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import check_int
from .cgan import one_hot
from .infogan import Discriminator


class ProjectionDiscriminator(Discriminator):
    """D(x, y): images (N, 1, 28, 28), labels y (N,) -> logits (N, 1), by projection."""

    def __init__(self, n_classes: int = 10, base_channels: int = 64, fc_units: int = 1024,
                 img_channels: int = 1):
        check_int("n_classes", n_classes)
        super().__init__(base_channels, fc_units, img_channels, n_classes=0)  # phi sees the image only
        self.n_classes = n_classes
        self.config = dict(self.config, n_classes=n_classes, projection=True)
        # a Linear without bias on the one-hot label is an embedding table; as a Linear it gets
        # the N(0, 0.02) start of ``weights_init``, so the class term starts small beside psi
        self.embed = nn.Linear(n_classes, fc_units, bias=False)  # (N, n_classes) -> (N, 1024)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self._check_x(x)
        if y.shape[:1] != x.shape[:1]:
            raise ValueError(f"x and y need the same batch size, got {x.shape[0]} and {tuple(y.shape)}")
        h = self.net[:-1](x)                                            # phi(x): (N, 1024)
        proj = (self.embed(one_hot(y, self.n_classes).to(h)) * h).sum(1, keepdim=True)  # (N, 1)
        return self.net[-1](h) + proj                                   # psi(phi(x)) + <e_y, phi(x)>
