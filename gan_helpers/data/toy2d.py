"""Toy data for watching a GAN learn (notebooks 02 and 06): a 1-D Gaussian, the ring of 8
Gaussians and the 5x5 grid of Gaussians (Metz et al. 2017, Unrolled GAN; Srivastava et al.
2017, VEEGAN). How well samples cover a mixture's modes is measured by
:func:`gan_helpers.metrics.mode_coverage`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch


def sample_gaussian_1d(n: int, mean: float = 2.0, std: float = 0.5,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` samples of N(mean, std^2) as a column, shape (n, 1)."""
    _check_n(n)
    if std <= 0:
        raise ValueError(f"std must be positive, got {std}")
    return mean + std * torch.randn(n, 1, generator=generator)


@dataclass(frozen=True)
class Mixture:
    """An equal-weight mixture of isotropic Gaussians: centres ``modes`` (K, 2), one ``std``."""
    name: str
    modes: torch.Tensor  # (K, 2) centres
    std: float           # the same standard deviation in every direction and mode

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples, shape (n, 2): a uniformly chosen mode plus N(0, std^2 I) noise."""
        _check_n(n)
        k = torch.randint(len(self.modes), (n,), generator=generator)
        return self.modes[k] + self.std * torch.randn(n, 2, generator=generator)

    def __repr__(self) -> str:  # short, so widget dropdowns and prints stay readable
        return f"Mixture({self.name!r}, {len(self.modes)} modes, std={self.std})"


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.02) -> Mixture:
    """``n_modes`` Gaussians evenly spaced on a circle (Unrolled GAN: 8, radius 2, std 0.02)."""
    if n_modes < 1 or radius <= 0 or std <= 0:
        raise ValueError(f"ring needs n_modes >= 1, radius > 0, std > 0; got {n_modes}, {radius}, {std}")
    angle = torch.arange(n_modes, dtype=torch.float32) * (2 * math.pi / n_modes)
    modes = radius * torch.stack([angle.cos(), angle.sin()], dim=1)  # (K, 2)
    return Mixture(f"ring of {n_modes}", modes, std)


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> Mixture:
    """``side`` x ``side`` Gaussians centred on the origin (VEEGAN: 5x5 at {-4,-2,0,2,4}^2, std 0.05)."""
    if side < 1 or spacing <= 0 or std <= 0:
        raise ValueError(f"grid needs side >= 1, spacing > 0, std > 0; got {side}, {spacing}, {std}")
    axis = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    gx, gy = torch.meshgrid(axis, axis, indexing="xy")
    return Mixture(f"{side}x{side} grid", torch.stack([gx.ravel(), gy.ravel()], dim=1), std)


def _check_n(n) -> None:
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"number of samples must be a positive int, got {n!r}")
