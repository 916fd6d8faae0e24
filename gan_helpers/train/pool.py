"""The history of generated images that CycleGAN's discriminators learn from
(Shrivastava et al. 2017, "Learning from Simulated and Unsupervised Images through
Adversarial Training"; used by Zhu et al. 2017 with 50 images; notebook 08).

Behaviour of the reference code's ``ImagePool``: while the pool has room, every new
fake is stored and returned; once it is full, each new fake is, with probability 0.5,
swapped for a random stored one (the old one is returned, the new one stored), and
otherwise returned as it is. D then sees a mix of current and older fakes, which damps
the oscillation between G and D.
"""
from __future__ import annotations

import torch


class ImagePool:
    """``pool.query(fakes)`` -> a batch of the same shape, partly taken from the history."""

    def __init__(self, pool_size: int = 50, generator: torch.Generator | None = None):
        if not isinstance(pool_size, int) or pool_size < 0:
            raise ValueError(f"pool_size must be an int >= 0, got {pool_size!r}")
        self.pool_size = pool_size
        self.images: list[torch.Tensor] = []
        self.generator = generator  # CPU generator for the coin flips (reproducible runs)

    def __len__(self) -> int:
        return len(self.images)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """Images (N, C, H, W) -> (N, C, H, W), detached (the pool never carries G's graph)."""
        if images.ndim != 4:
            raise ValueError(f"ImagePool.query expects a batch (N, C, H, W), got {tuple(images.shape)}")
        images = images.detach()
        if self.pool_size == 0:
            return images
        out = []
        for image in images:
            image = image.unsqueeze(0)
            if len(self.images) < self.pool_size:  # fill until full
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand((), generator=self.generator).item() > 0.5:  # return an old one, keep the new
                i = int(torch.randint(0, self.pool_size, (), generator=self.generator))
                old = self.images[i].clone()
                self.images[i] = image.clone()
                out.append(old)
            else:
                out.append(image)
        return torch.cat(out, 0)
