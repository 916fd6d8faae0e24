"""Playing one of notebook 06's games (:mod:`gan_helpers.stabilizers.games`):
``critic_step`` and ``generator_step`` are the steps notebook 06 writes out by hand, and
:class:`GameRun` trains a pair on 2-D toy data with an averaged generator (Yazici et al. 2019)
for the benchmark and the notebook's control panel. The MNIST recipe
(``recipes/games.py``) uses the same two steps.
"""
from __future__ import annotations

import time

import torch
from torch import nn

from ..stabilizers.games import Game, make_optimizers, prepare_critic
from ..stabilizers.lipschitz import clip_weights_, gradient_penalty
from ..losses import (discriminator_loss, generator_loss_nonsaturating, wasserstein_critic_loss,
                      wasserstein_generator_loss)
from ..metrics.modes import mode_coverage
from .average import EMA
from .history import History


def critic_step(D: nn.Module, opt_D: torch.optim.Optimizer, x_real: torch.Tensor, x_fake: torch.Tensor,
                fix: Game, generator: torch.Generator | None = None) -> dict:
    """One critic update; returns detached ``loss_D``, ``w_estimate`` (E[D(real)] - E[D(fake)]:
    near W1 for a near-optimal, near-1-Lipschitz critic, at most K times W1 for a clipped one,
    no distance at all for the NS GAN's discriminator) and ``gp`` (0 without a penalty). x_real, x_fake: (N, ...); x_fake is detached here."""
    out_real, out_fake = D(x_real), D(x_fake.detach())              # (N, 1) each
    if fix.wasserstein:
        loss = wasserstein_critic_loss(out_real, out_fake)
    else:
        loss = discriminator_loss(out_real, out_fake)
    gp = torch.zeros(())
    if fix.gp_weight:
        gp = gradient_penalty(D, x_real, x_fake, generator)
        loss = loss + fix.gp_weight * gp
    opt_D.zero_grad(set_to_none=True)
    loss.backward()
    opt_D.step()
    if fix.clip is not None:
        clip_weights_(D, fix.clip)
    return {"loss_D": loss.detach(), "w_estimate": (out_real.mean() - out_fake.mean()).detach(),
            "gp": gp.detach()}


def generator_step(D: nn.Module, opt_G: torch.optim.Optimizer, x_fake: torch.Tensor, fix: Game) -> torch.Tensor:
    """One G update through the critic on ``x_fake = G(z)`` (not detached); returns loss_G."""
    out_fake = D(x_fake)
    loss = wasserstein_generator_loss(out_fake) if fix.wasserstein else generator_loss_nonsaturating(out_fake)
    opt_G.zero_grad(set_to_none=True)
    loss.backward()
    opt_G.step()
    return loss.detach()


class GameRun:
    """G, D (a critic for the Wasserstein games) and their optimisers for one :class:`Game` on
    2-D toy data (a :class:`gan_helpers.data.toy2d.Mixture`), with an averaged copy of G.

    Sizes follow notebook 02's toy GAN (3 hidden layers of 128, z in 2-D, batch 256).
    """

    def __init__(self, data, fix: Game, seed: int = 0, width: int = 128, depth: int = 3,
                 latent_dim: int = 2, batch_size: int = 256, ema_decay: float = 0.999, device="cpu"):
        from ..models.toy import ToyDiscriminator, ToyGenerator
        self.data, self.fix, self.device = data, fix, torch.device(device)
        self.latent_dim, self.batch_size = latent_dim, batch_size
        torch.manual_seed(seed)  # the initial weights
        self.G = ToyGenerator(latent_dim, 2, width, depth).to(self.device)
        self.D = prepare_critic(ToyDiscriminator(2, width, depth), fix).to(self.device)
        self.opt_G, self.opt_D = make_optimizers(self.G, self.D, fix)
        self.ema = EMA(self.G, ema_decay)
        self.rng = torch.Generator().manual_seed(seed)  # data, noise and interpolation weights
        self.history = History()
        self.step, self.seconds = 0, 0.0

    def _z(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, generator=self.rng).to(self.device)

    def train(self, steps: int, callback=None, every: int = 0) -> "GameRun":
        """``steps`` G updates, each after ``fix.n_critic`` critic updates; ``callback(self)``
        every ``every`` steps and after the last."""
        if not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be a non-negative int, got {steps!r}")
        n, t0 = self.batch_size, time.perf_counter()
        for i in range(steps):
            for _ in range(self.fix.n_critic):
                x_real = self.data.sample(n, self.rng).to(self.device)
                with torch.no_grad():
                    x_fake = self.G(self._z(n))
                out = critic_step(self.D, self.opt_D, x_real, x_fake, self.fix, self.rng)
            loss_G = generator_step(self.D, self.opt_G, self.G(self._z(n)), self.fix)
            self.ema.update(self.G)
            self.history.log(loss_G=loss_G, **out)
            self.step += 1
            if not torch.isfinite(out["loss_D"]) or not torch.isfinite(loss_G):
                raise FloatingPointError(f"{self.fix.name}: training diverged at step {self.step} (loss is not finite)")
            if callback is not None and every and (i + 1) % every == 0 and i + 1 < steps:
                callback(self)
        self.seconds += time.perf_counter() - t0
        if callback is not None:
            callback(self)
        return self

    @torch.no_grad()
    def samples(self, n: int = 2500, seed: int = 1234, averaged: bool = False) -> torch.Tensor:
        """``n`` points (n, 2) from the raw G or its average, from a fixed noise seed."""
        z = torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(seed)).to(self.device)
        return (self.ema.model if averaged else self.G)(z).cpu()

    def evaluate(self, n: int = 2500, seed: int = 1234) -> dict:
        """Mode coverage (VEEGAN protocol) of the raw and the averaged G."""
        raw = mode_coverage(self.samples(n, seed), self.data.modes, self.data.std)
        avg = mode_coverage(self.samples(n, seed, averaged=True), self.data.modes, self.data.std)
        return {"raw": raw, "averaged": avg, "step": self.step, "seconds": self.seconds}
