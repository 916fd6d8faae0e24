"""Latent vector arithmetic (Radford et al. 2015, section 6.3): average the z of a few chosen
samples so one concept is isolated, then add and subtract averages ("smiling woman - neutral
woman + neutral man"). Notebook 04 does it on MNIST strokes (e.g. bold 7 - thin 7 + thin 1).
Generator-agnostic: works on any latent matrix; ``gan_helpers.widgets.arithmetic`` is the panel.
"""
from __future__ import annotations

from typing import Sequence

import torch


def parse_indices(text: str, n: int) -> list[int]:
    """``"3, 7 12"`` -> [3, 7, 12]; every index must lie in [0, n). Raises ValueError otherwise."""
    parts = [p for p in str(text).replace(",", " ").split() if p]
    if not parts:
        raise ValueError("pick at least one sample: type indices such as '3, 7, 12'")
    try:
        idx = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"indices must be whole numbers separated by commas, got {text!r}") from None
    bad = [i for i in idx if not 0 <= i < n]
    if bad:
        raise ValueError(f"indices must lie in [0, {n}), got {bad}")
    return idx


def mean_latent(z: torch.Tensor, indices: Sequence[int]) -> torch.Tensor:
    """Average of the rows ``indices`` of ``z`` (N, D) -> (D,). Averaging a few samples of one
    concept cancels what they do not share (Radford et al. found single vectors unstable)."""
    if z.ndim != 2:
        raise ValueError(f"z must be (N, latent_dim), got {tuple(z.shape)}")
    idx = list(indices)
    if not idx:
        raise ValueError("indices is empty: pick at least one sample")
    bad = [i for i in idx if not 0 <= int(i) < z.shape[0]]
    if bad:
        raise ValueError(f"indices must lie in [0, {z.shape[0]}), got {bad}")
    return z[torch.as_tensor(idx, dtype=torch.long, device=z.device)].mean(0)


def analogy(z: torch.Tensor, a: Sequence[int], b: Sequence[int], c: Sequence[int]) -> torch.Tensor:
    """mean(z[a]) - mean(z[b]) + mean(z[c]) -> (D,): "a is to b as ? is to c"."""
    return mean_latent(z, a) - mean_latent(z, b) + mean_latent(z, c)


def jitter(z: torch.Tensor, n: int, scale: float = 0.25, seed: int = 0) -> torch.Tensor:
    """``n`` copies of ``z`` (D,) with uniform noise in [-scale, scale] added to all but the first
    -> (n, D): Radford et al. showed the result is robust to such noise."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    g = torch.Generator().manual_seed(seed)
    noise = (torch.rand(n, z.shape[-1], generator=g) * 2 - 1) * scale
    noise[0] = 0
    return z[None] + noise.to(z)
