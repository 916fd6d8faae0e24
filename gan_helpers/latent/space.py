"""Walking the latent space of a generator: linear and spherical interpolation (slerp, as
recommended for Gaussian latents by White 2016, "Sampling Generative Networks") and the
principal latent directions, the directions of z that change G(z) most: the top
eigenvectors of the average J^T J of G's Jacobian, the metric that Wang and Ponce (2021,
"The Geometry of Deep Generative Image Models and its Applications") analyse with pixel
distance. GANSpace (Haerkoenen et al. 2020) finds directions by PCA of samples instead. Used by the latent explorer of notebooks 03-05 (``gan_helpers.widgets.latent``).

Works with any G mapping (N, latent_dim) -> (N, C, H, W): an nn.Module or a plain
function (e.g. ``lambda z: G_cond(z, labels)``).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn


def _as_t(t, like: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(t, dtype=like.dtype, device=like.device)
    if t.ndim > 1:
        raise ValueError(f"t must be a number or a 1-D tensor of fractions, got shape {tuple(t.shape)}")
    return t


def _check_pair(z0: torch.Tensor, z1: torch.Tensor) -> None:
    if z0.shape != z1.shape or z0.ndim != 1:
        raise ValueError(f"z0 and z1 must be 1-D latent vectors of the same size, got {tuple(z0.shape)} "
                         f"and {tuple(z1.shape)}")


def lerp(z0: torch.Tensor, z1: torch.Tensor, t) -> torch.Tensor:
    """Straight line (1 - t) z0 + t z1. z0, z1: (D,); t: number -> (D,), or (T,) -> (T, D)."""
    _check_pair(z0, z1)
    t = _as_t(t, z0)
    return (1 - t)[..., None] * z0 + t[..., None] * z1 if t.ndim else (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t, eps: float = 1e-6) -> torch.Tensor:
    """Great-circle interpolation (shapes as ``lerp``), with the norm interpolated linearly.

    A straight line between two Gaussian samples passes near the origin, where z's norm is
    far below the typical sqrt(D) the generator was trained on; slerp keeps it typical.
    Nearly parallel vectors fall back to lerp.
    """
    _check_pair(z0, z1)
    t = _as_t(t, z0)
    n0, n1 = z0.norm(), z1.norm()
    if n0 < eps or n1 < eps:
        return lerp(z0, z1, t)
    u0, u1 = z0 / n0, z1 / n1
    omega = torch.arccos((u0 @ u1).clamp(-1, 1))
    if omega.abs() < 1e-4:
        return lerp(z0, z1, t)
    tt = t[..., None] if t.ndim else t
    direction = (torch.sin((1 - tt) * omega) * u0 + torch.sin(tt * omega) * u1) / torch.sin(omega)
    return direction * ((1 - tt) * n0 + tt * n1)


def latent_dim_of(G, latent_dim: int | None = None) -> int:
    """``latent_dim`` if given, else ``G.latent_dim``; a clear error otherwise."""
    dim = latent_dim if latent_dim is not None else getattr(G, "latent_dim", None)
    if not isinstance(dim, int) or dim <= 0:
        raise ValueError("pass latent_dim= (G has no integer .latent_dim attribute)")
    return dim


class eval_mode:
    """Context manager: put an nn.Module in eval mode (BatchNorm uses running stats) and restore it."""

    def __init__(self, G):
        self.G = G if isinstance(G, nn.Module) else None

    def __enter__(self):
        self.was = self.G.training if self.G is not None else None
        if self.G is not None:
            self.G.eval()

    def __exit__(self, *exc):
        if self.G is not None:
            self.G.train(self.was)


@torch.no_grad()
def jacobian_metric(G: Callable, z: torch.Tensor, eps: float = 1e-2, chunk: int = 2048) -> torch.Tensor:
    """Average of J(z_i)^T J(z_i) over the rows of ``z`` (N, D) -> (D, D), in float64.

    J is G's Jacobian (pixels x D), estimated by central differences along each axis:
    2 N D images in batches of ``chunk``. Entry (a, b) says how much moving z along axes a
    and b changes the image together; its eigenvectors are the principal directions.
    """
    if z.ndim != 2:
        raise ValueError(f"z must be (N, latent_dim), got {tuple(z.shape)}")
    n, d = z.shape
    eye = torch.eye(d, device=z.device, dtype=z.dtype) * eps
    # Rows: for each sample i and axis a, z_i + eps e_a and z_i - eps e_a.
    zp = (z[:, None, :] + eye[None]).reshape(n * d, d)
    zm = (z[:, None, :] - eye[None]).reshape(n * d, d)
    with eval_mode(G):
        diffs = [(G(zp[i:i + chunk]) - G(zm[i:i + chunk])).flatten(1) / (2 * eps)
                 for i in range(0, n * d, chunk)]
    J = torch.cat(diffs).double().reshape(n, d, -1)                  # (N, D, pixels) = J^T per sample
    return torch.einsum("nap,nbp->ab", J, J) / n                      # (D, D)


def principal_directions(G: Callable, k: int = 4, latent_dim: int | None = None, n_samples: int = 16,
                         seed: int = 0, device: str | torch.device = "cpu",
                         eps: float = 1e-2) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` unit directions in z-space along which G(z) changes most, on average over
    ``n_samples`` z ~ N(0, I): returns (directions (k, D), gains (k,)), gains sorted descending.

    gain = root-mean-square change of the image per unit step along the direction. The sign
    of each direction is fixed so its largest component is positive (deterministic output).
    """
    d = latent_dim_of(G, latent_dim)
    if not isinstance(k, int) or not 1 <= k <= d:
        raise ValueError(f"k must be an int in [1, {d}], got {k!r}")
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    z = torch.randn(n_samples, d, generator=torch.Generator().manual_seed(seed)).to(device)
    M = jacobian_metric(G, z, eps=eps)
    evals, evecs = torch.linalg.eigh(M)                               # ascending
    top = evecs[:, -k:].flip(1).T                                     # (k, D)
    sign = torch.sign(top.gather(1, top.abs().argmax(1, keepdim=True)))
    gains = evals[-k:].flip(0).clamp_min(0).sqrt()
    return (top * sign).float().to(device), gains.float()


def move(z: torch.Tensor, directions: torch.Tensor, amounts) -> torch.Tensor:
    """z (D,) + sum_j amounts[j] * directions[j]; directions (k, D), amounts (k,)."""
    amounts = torch.as_tensor(amounts, dtype=z.dtype, device=z.device)
    if directions.ndim != 2 or directions.shape[1] != z.shape[-1] or amounts.shape != (directions.shape[0],):
        raise ValueError(f"need directions (k, {z.shape[-1]}) and k amounts, got {tuple(directions.shape)} "
                         f"and {tuple(amounts.shape)}")
    return z + amounts @ directions
