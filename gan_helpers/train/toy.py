"""``ToyGAN``: a small G and D trained on a 2-D mixture (notebook 02) with the library's step
(:func:`gan_helpers.train.d_step` / :func:`~gan_helpers.train.g_step`), the step notebook 02
first writes out by hand (Goodfellow et al. 2014).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..data.toy2d import Mixture
from ..metrics.modes import mode_coverage
from .history import History
from .step import d_step, g_step


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
    :func:`~gan_helpers.train.d_step` and :func:`~gan_helpers.train.g_step`, with a
    fresh z for each); ``evaluate()`` measures coverage.
    """

    def __init__(self, data: Mixture, cfg: ToyGANConfig | None = None, device: str | torch.device = "cpu"):
        from ..models.toy import ToyDiscriminator, ToyGenerator
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
        return {**mode_coverage(self.samples(n, seed), self.data.modes, self.data.std), "step": self.step}
