"""Toy data for watching a GAN learn (notebook 02): a 1-D Gaussian, the ring of 8 Gaussians
and the 5x5 grid of Gaussians (Metz et al. 2017, Unrolled GAN; Srivastava et al. 2017,
VEEGAN), the mode-coverage metric of those papers, and ``ToyGAN``, which trains
with the library's step (``training.d_step`` / ``g_step``) that notebook 02 first writes out
by hand (Goodfellow et al. 2014).

Mode coverage (VEEGAN protocol): draw 2,500 samples; a sample is *high quality* when it
lies within 3 standard deviations of its nearest mode; a mode is *covered* when at least
one high-quality sample is nearest to it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .training import History, d_step, g_step


# --------------------------------------------------------------------------- data
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

    def coverage(self, samples: torch.Tensor, n_sigma: float = 3.0) -> dict:
        """:func:`mode_coverage` of ``samples`` (N, 2) against this mixture."""
        return mode_coverage(samples, self.modes, self.std, n_sigma)

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


# --------------------------------------------------------------------------- metric
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


# --------------------------------------------------------------------------- training
def _check_n(n) -> None:
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"number of samples must be a positive int, got {n!r}")


@dataclass
class ToyGANConfig:
    """One run of a 2-D toy GAN; the fields are what notebook 02's control panel edits."""
    non_saturating: bool = True  # G loss: -log D(G(z)) (True) or the minimax log(1 - D(G(z))) (False)
    lr_D: float = 1e-3           # Adam learning rate of D
    lr_G: float = 1e-3           # Adam learning rate of G
    d_steps: int = 1             # D updates per G update
    width: int = 128             # hidden units per layer, in G and D
    depth: int = 3               # hidden layers, in G and D
    latent_dim: int = 2          # 2, so the notebook can draw where G sends a grid of z
    batch_size: int = 256        # real and fake samples per update
    steps: int = 2000            # G updates
    seed: int = 0                # initial weights, data and noise
    beta1: float = 0.5           # Adam beta1, as in DCGAN (Radford et al.)

    def validate(self) -> "ToyGANConfig":
        """Raise ValueError naming the first field out of its range; return self otherwise."""
        ranges = {"lr_D": (1e-6, 1.0), "lr_G": (1e-6, 1.0), "d_steps": (1, 50), "width": (2, 2048),
                  "depth": (1, 10), "latent_dim": (1, 512), "batch_size": (1, 65536),
                  "steps": (1, 100_000), "seed": (0, 2**32 - 1), "beta1": (0.0, 0.999)}
        for name, (lo, hi) in ranges.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
                raise ValueError(f"{name} must be a number in [{lo:g}, {hi:g}], got {v!r}")
            if isinstance(lo, int) and isinstance(hi, int) and not isinstance(v, int):
                raise ValueError(f"{name} must be an int, got {v!r}")
        if not isinstance(self.non_saturating, bool):
            raise ValueError(f"non_saturating must be True or False, got {self.non_saturating!r}")
        return self


class ToyGAN:
    """G, D, their optimisers and a loss history for one :class:`ToyGANConfig` on ``data``.

    ``train()`` runs the same D-then-G step notebook 02 writes out by hand (the library's
    :func:`~gan_helpers.training.d_step` and :func:`~gan_helpers.training.g_step`, with a
    fresh z for each); ``evaluate()`` measures coverage.
    """

    def __init__(self, data: Mixture, cfg: ToyGANConfig | None = None, device: str | torch.device = "cpu"):
        from .models.toy import ToyDiscriminator, ToyGenerator
        self.data, self.cfg, self.device = data, (cfg or ToyGANConfig()).validate(), torch.device(device)
        c = self.cfg
        torch.manual_seed(c.seed)  # the initial weights
        self.G = ToyGenerator(c.latent_dim, 2, c.width, c.depth).to(self.device)
        self.D = ToyDiscriminator(2, c.width, c.depth).to(self.device)
        self.opt_G = torch.optim.Adam(self.G.parameters(), c.lr_G, betas=(c.beta1, 0.999))
        self.opt_D = torch.optim.Adam(self.D.parameters(), c.lr_D, betas=(c.beta1, 0.999))
        self.rng = torch.Generator().manual_seed(c.seed)  # data and noise, on the CPU
        self.history = History()
        self.step = 0

    def _z(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.cfg.latent_dim, generator=self.rng).to(self.device)

    def train(self, steps: int | None = None, callback=None, every: int = 0) -> "ToyGAN":
        """Run ``steps`` G updates (default ``cfg.steps``), each after ``cfg.d_steps`` D updates.

        ``callback(self)`` is called every ``every`` steps (0: never) and after the last one.
        """
        steps = self.cfg.steps if steps is None else steps
        if not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be a non-negative int, got {steps!r}")
        n = self.cfg.batch_size
        for i in range(steps):
            for _ in range(self.cfg.d_steps):
                x_real = self.data.sample(n, self.rng).to(self.device)
                with torch.no_grad():  # D's step: no graph through G is needed
                    x_fake = self.G(self._z(n))
                loss_D = d_step(self.D, self.opt_D, x_real, x_fake)["loss_D"]
            loss_G = g_step(self.D, self.opt_G, self.G(self._z(n)), non_saturating=self.cfg.non_saturating)
            self.history.log(loss_D=loss_D, loss_G=loss_G)
            self.step += 1
            if loss_D.isnan() or loss_G.isnan():
                raise FloatingPointError(f"training diverged at step {self.step} (loss is nan): "
                                         "lower the learning rates")
            if callback is not None and every and (i + 1) % every == 0 and i + 1 < steps:
                callback(self)
        if callback is not None:
            callback(self)
        return self

    @torch.no_grad()
    def samples(self, n: int = 2500, seed: int = 1234) -> torch.Tensor:
        """``n`` generated points (n, 2) on the CPU, from a fixed noise seed."""
        z = torch.randn(n, self.cfg.latent_dim, generator=torch.Generator().manual_seed(seed))
        return self.G(z.to(self.device)).cpu()

    def evaluate(self, n: int = 2500, seed: int = 1234) -> dict:
        """Mode coverage of ``n`` samples (VEEGAN protocol) plus the step count."""
        return {**self.data.coverage(self.samples(n, seed)), "step": self.step}
