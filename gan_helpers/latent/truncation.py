"""The truncation trick (Brock et al. 2019, "Large Scale GAN Training for High Fidelity
Natural Image Synthesis", section 3.1; notebook 09): sample z from a normal restricted to
[-threshold, threshold], so G sees only latents near the centre of its prior, where it was
trained most. Samples get better (precision, density up) and less varied (recall, coverage
down); notebook 09 measures that trade with :mod:`gan_helpers.metrics.prdc`.

``scale_towards_mean`` is the other common form (Karras et al. 2019, "A Style-Based Generator
Architecture for Generative Adversarial Networks", there applied in StyleGAN's W space):
shrink latents towards the mean by psi, psi = 1 leaving them unchanged and psi = 0 mapping all
to the mean (the "average" sample).
"""
from __future__ import annotations

import math
import numbers

import torch

# Candidates drawn per round, at most: caps memory when a tiny threshold accepts few draws.
_MAX_CANDIDATES = 1 << 21
# Below this P(|z| <= threshold), redraw from a uniform proposal instead of the normal.
# At 0.05 (threshold ~0.063) a normal draw lands inside once in 20, a uniform one ~always.
_MIN_P_INSIDE = 0.05


def _positive_int(v, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
        raise ValueError(f"{name} must be a positive int, got {v!r}")
    return int(v)


def truncated_normal(n: int, latent_dim: int, threshold: float,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Latents (n, latent_dim), float32, each entry standard normal conditioned on
    |z| <= ``threshold`` (> 0; ``math.inf`` gives a plain normal).

    Entries outside are redrawn, looping only over the offending entries. Each round draws
    about 1 / P(|z| <= threshold) normal candidates per offending entry (capped) and keeps the
    first one inside: a kept value is a normal draw conditioned on being inside, so the
    distribution is exact, and a small threshold needs a few rounds instead of thousands.
    Below ``_MIN_P_INSIDE`` (threshold < ~0.063) normal draws rarely land inside; candidates
    are then uniform on [-threshold, threshold], kept with probability exp(-u^2 / 2)
    (rejection sampling of the same truncated normal, kept > 99.8% of the time), so every
    threshold > 0 finishes quickly. Drawn on ``generator``'s device (CPU without one): the same
    seeded generator gives the same z.
    """
    n, latent_dim = _positive_int(n, "n"), _positive_int(latent_dim, "latent_dim")
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not threshold > 0:
        raise ValueError(f"threshold must be a number > 0 (e.g. 0.5 to 2; smaller: better but less "
                         f"varied samples), got {threshold!r}")
    threshold = float(threshold)
    device = generator.device if generator is not None else torch.device("cpu")
    z = torch.randn(n, latent_dim, generator=generator, device=device)
    # Compared in float64, so every entry is within the threshold as a Python float too
    # (float32(0.1) > 0.1).
    bad = (z.double().abs() > threshold).flatten().nonzero().squeeze(1)  # (B,) flat indices
    p_inside = math.erf(threshold / math.sqrt(2))  # P(|z| <= threshold), z standard normal
    flat = z.view(-1)
    while len(bad):
        if p_inside >= _MIN_P_INSIDE:
            per = max(1, min(math.ceil(1 / p_inside), _MAX_CANDIDATES // len(bad)))
            cand = torch.randn(len(bad), per, generator=generator, device=device)          # (B, per)
            ok = cand.double().abs() <= threshold                                          # (B, per)
        else:
            u = (torch.rand(len(bad), 1, generator=generator, device=device, dtype=torch.float64) * 2 - 1) * threshold
            keep = torch.rand(len(bad), 1, generator=generator, device=device, dtype=torch.float64)
            cand = u.float()                                                               # (B, 1)
            ok = (keep < torch.exp(-u ** 2 / 2)) & (cand.double().abs() <= threshold)       # (B, 1)
        hit = ok.any(1)                                                                    # (B,)
        first = ok.to(torch.uint8).argmax(1)  # index of the first candidate inside (0 where none)
        flat[bad[hit]] = cand[hit, first[hit]]
        bad = bad[~hit]
    return z


def scale_towards_mean(z: torch.Tensor, psi: float, mean: torch.Tensor | None = None) -> torch.Tensor:
    """mean + psi * (z - mean) for latents ``z`` (..., D) and psi in [0, 1]. ``mean`` (D,)
    defaults to 0, the mean of the normal prior; pass e.g. the average of many sampled latents
    for a generator whose latents are not centred."""
    if not torch.is_tensor(z) or z.ndim < 1 or not z.is_floating_point():
        raise ValueError(f"z must be a floating-point tensor (..., latent_dim), got "
                         f"{tuple(z.shape) if torch.is_tensor(z) else type(z).__name__}"
                         f"{' of dtype ' + str(z.dtype) if torch.is_tensor(z) else ''}")
    if isinstance(psi, bool) or not isinstance(psi, numbers.Real) or not 0 <= psi <= 1:
        raise ValueError(f"psi must be a number in [0, 1] (1: unchanged, 0: all at the mean), got {psi!r}")
    if mean is None:
        return z * float(psi)
    if not torch.is_tensor(mean) or mean.shape != z.shape[-1:]:
        raise ValueError(f"mean must be a tensor ({z.shape[-1]},) like one latent of z, got "
                         f"{tuple(mean.shape) if torch.is_tensor(mean) else type(mean).__name__}")
    mean = mean.to(z)
    return mean + float(psi) * (z - mean)
