"""Mode coverage of a 2-D mixture (notebooks 02 and 06), the protocol of VEEGAN (Srivastava
et al. 2017), also used by PacGAN and the Unrolled GAN paper: draw 2,500 samples; a sample is
*high quality* when it lies within 3 standard deviations of its nearest mode; a mode is
*covered* when at least one high-quality sample is nearest to it.
"""
from __future__ import annotations

import torch


def mode_coverage(samples: torch.Tensor, modes: torch.Tensor, std: float, n_sigma: float = 3.0) -> dict:
    """How many modes a sample set reaches and how many samples are good.

    samples (N, 2), modes (K, 2). Returns ``modes_covered`` (int), ``n_modes``,
    ``high_quality`` (share of samples within ``n_sigma * std`` of their nearest mode,
    in [0, 1]) and ``per_mode`` (high-quality sample count of each mode, a list of K ints).
    """
    if samples.ndim != 2 or samples.shape[1] != modes.shape[1]:
        raise ValueError(f"samples must have shape (N, {modes.shape[1]}), got {tuple(samples.shape)}")
    if len(samples) == 0:
        raise ValueError("mode_coverage needs at least one sample")
    samples = samples.detach().float().cpu()
    if not torch.isfinite(samples).all():
        raise ValueError("samples contain nan or inf (did training diverge?)")
    dist, nearest = torch.cdist(samples, modes.float()).min(dim=1)  # (N,), (N,)
    good = dist < n_sigma * std
    per_mode = torch.bincount(nearest[good], minlength=len(modes))
    return {"modes_covered": int((per_mode > 0).sum()), "n_modes": len(modes),
            "high_quality": float(good.float().mean()), "per_mode": per_mode.tolist()}


def format_coverage(c: dict) -> str:
    """One line: ``modes covered 7/8 | high quality 81.2%``."""
    return f"modes covered {c['modes_covered']}/{c['n_modes']} | high quality {100 * c['high_quality']:.1f}%"
