"""Small random shifts and rotations of digit images: the augmentation of the MNIST classifier
behind the metrics (notebook 03) and of the classifiers of notebook 09's classification accuracy
score. Jitter makes a classifier read generated digits that sit slightly off-centre (LeCun et al.
1998 trained on distorted copies for the same reason).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def jitter_batch(x: torch.Tensor, max_shift: float, max_degrees: float = 10.0) -> torch.Tensor:
    """Random per-image shift (pixels) and rotation of (N, 1, 28, 28) images in [-1, 1]."""
    if max_shift <= 0:
        return x
    n, _, h, w = x.shape
    ang = (torch.rand(n, device=x.device) * 2 - 1) * max_degrees * torch.pi / 180
    shift = (torch.rand(n, 2, device=x.device) * 2 - 1) * max_shift * 2 / torch.tensor([w, h], device=x.device)
    cos, sin = torch.cos(ang), torch.sin(ang)
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)       # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Pad with -1 (background) rather than 0 (mid grey): shift the range, pad zeros, shift back.
    return F.grid_sample(x + 1, grid, align_corners=False, padding_mode="zeros") - 1
