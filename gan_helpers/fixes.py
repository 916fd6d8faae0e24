"""The four training games compared in notebook 06: the non-saturating GAN (Goodfellow et al.
2014), the Wasserstein GAN with weight clipping (Arjovsky et al. 2017), WGAN with gradient
penalty (Gulrajani et al. 2017) and the spectrally normalised GAN (Miyato et al. 2018), each
with its paper's optimiser settings, plus the averaged generator of Yazici et al. (2019).

A :class:`Fix` says what the critic's loss is, how its Lipschitz constant is controlled (held
near 1 by spectral norm, pulled towards 1 by the penalty, bounded by an unknown K by clipping),
how many critic
steps come before each G step and which optimiser runs it. ``critic_step`` and
``generator_step`` are the steps notebook 06 writes out by hand; :class:`FixRun` trains a
pair on 2-D toy data (the benchmark and the notebook's control panel), and the MNIST recipe
``recipes/fixes.py`` uses the same two steps.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import torch
from torch import nn

from .lipschitz import clip_weights_, gradient_penalty, spectral_normalise
from .losses import (discriminator_loss, generator_loss_nonsaturating, wasserstein_critic_loss,
                     wasserstein_generator_loss)
from .training import EMA, History


@dataclass(frozen=True)
class Fix:
    """One training game: critic loss, Lipschitz control, critic steps and optimiser."""
    name: str = "NS GAN"          # shown in tables and plots
    wasserstein: bool = False     # critic loss E[D(fake)] - E[D(real)] (True) or BCE on logits (False)
    clip: float | None = None     # clamp critic weights to [-clip, clip] after each step (WGAN: 0.01): a Lipschitz bound K, unknown, not 1
    gp_weight: float | None = None  # lambda of the gradient penalty (WGAN-GP: 10)
    spectral_norm: bool = False   # spectral normalisation of every critic layer (SN-GAN)
    n_critic: int = 1             # critic steps per G step (WGAN and WGAN-GP: 5)
    rmsprop: bool = False         # RMSprop instead of Adam (WGAN with clipping: momentum made it unstable)
    lr_D: float = 2e-4            # critic learning rate
    lr_G: float = 2e-4            # generator learning rate
    beta1: float = 0.5            # Adam beta1 (WGAN-GP: 0)
    beta2: float = 0.999          # Adam beta2 (WGAN-GP: 0.9)

    def __post_init__(self):
        if not isinstance(self.n_critic, int) or not 1 <= self.n_critic <= 20:
            raise ValueError(f"n_critic must be an int in [1, 20], got {self.n_critic!r}")
        for name in ("lr_D", "lr_G"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"{name} must be in (0, 1), got {getattr(self, name)!r}")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ValueError(f"Adam betas must be in [0, 1), got {self.beta1}, {self.beta2}")
        if self.clip is not None and not self.clip > 0:
            raise ValueError(f"clip must be positive or None, got {self.clip!r}")
        if self.gp_weight is not None and not self.gp_weight >= 0:
            raise ValueError(f"gp_weight must be >= 0 or None, got {self.gp_weight!r}")

    def replace(self, **changes) -> "Fix":
        """A copy with some fields changed (``ns_gan().replace(lr_D=1e-3)``)."""
        return dataclasses.replace(self, **changes)


# The papers' settings. Functions, so each call gives a fresh value a notebook may change.
def ns_gan(**changes) -> Fix:
    """Non-saturating GAN, Adam 2e-4, betas (0.5, 0.999) (Radford et al. 2015)."""
    return Fix().replace(**changes)


def wgan_clip(**changes) -> Fix:
    """WGAN: clipping at 0.01, 5 critic steps, RMSprop 5e-5 (Arjovsky et al. 2017, Algorithm 1).
    Clipping bounds the critic's Lipschitz constant by some unknown K, not 1, so its
    ``w_estimate`` is (at most) K times W1."""
    return Fix("WGAN (clip)", wasserstein=True, clip=0.01, n_critic=5, rmsprop=True,
               lr_D=5e-5, lr_G=5e-5).replace(**changes)


def wgan_gp(**changes) -> Fix:
    """WGAN-GP: lambda 10, 5 critic steps, Adam 1e-4, betas (0, 0.9) (Gulrajani et al. 2017, Alg. 1)."""
    return Fix("WGAN-GP", wasserstein=True, gp_weight=10.0, n_critic=5, lr_D=1e-4, lr_G=1e-4,
               beta1=0.0, beta2=0.9).replace(**changes)


def sn_gan(**changes) -> Fix:
    """Spectral norm on D with the non-saturating loss and the DCGAN optimiser (Miyato et al. 2018
    use the same loss in their 'standard' setting: Adam 2e-4, beta1 0.5, one critic step)."""
    return Fix("SN-GAN", spectral_norm=True).replace(**changes)


def standard_fixes() -> list[Fix]:
    """The four games of notebook 06's table, in its order."""
    return [ns_gan(), wgan_clip(), wgan_gp(), sn_gan()]


def prepare_critic(D: nn.Module, fix: Fix) -> nn.Module:
    """D with the fix's architecture change applied (spectral norm), in place."""
    return spectral_normalise(D) if fix.spectral_norm else D


def make_optimizers(G: nn.Module, D: nn.Module, fix: Fix) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """(opt_G, opt_D) with the fix's optimiser and learning rates."""
    if fix.rmsprop:
        return torch.optim.RMSprop(G.parameters(), lr=fix.lr_G), torch.optim.RMSprop(D.parameters(), lr=fix.lr_D)
    betas = (fix.beta1, fix.beta2)
    return (torch.optim.Adam(G.parameters(), lr=fix.lr_G, betas=betas),
            torch.optim.Adam(D.parameters(), lr=fix.lr_D, betas=betas))


def critic_step(D: nn.Module, opt_D: torch.optim.Optimizer, x_real: torch.Tensor, x_fake: torch.Tensor,
                fix: Fix, generator: torch.Generator | None = None) -> dict:
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


def generator_step(D: nn.Module, opt_G: torch.optim.Optimizer, x_fake: torch.Tensor, fix: Fix) -> torch.Tensor:
    """One G update through the critic on ``x_fake = G(z)`` (not detached); returns loss_G."""
    out_fake = D(x_fake)
    loss = wasserstein_generator_loss(out_fake) if fix.wasserstein else generator_loss_nonsaturating(out_fake)
    opt_G.zero_grad(set_to_none=True)
    loss.backward()
    opt_G.step()
    return loss.detach()


class FixRun:
    """G, D (a critic for the Wasserstein games) and their optimisers for one :class:`Fix` on
    2-D toy data (a :class:`gan_helpers.toy.Mixture`), with an averaged copy of G.

    Sizes follow notebook 02's toy GAN (3 hidden layers of 128, z in 2-D, batch 256).
    """

    def __init__(self, data, fix: Fix, seed: int = 0, width: int = 128, depth: int = 3,
                 latent_dim: int = 2, batch_size: int = 256, ema_decay: float = 0.999, device="cpu"):
        from .models.toy import ToyDiscriminator, ToyGenerator
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

    def train(self, steps: int, callback=None, every: int = 0) -> "FixRun":
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
        raw = self.data.coverage(self.samples(n, seed))
        avg = self.data.coverage(self.samples(n, seed, averaged=True))
        return {"raw": raw, "averaged": avg, "step": self.step, "seconds": self.seconds}
