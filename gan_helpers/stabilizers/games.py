"""The four training games compared in notebook 06: the non-saturating GAN (Goodfellow et
al. 2014), the Wasserstein GAN with weight clipping (Arjovsky et al. 2017), WGAN with
gradient penalty (Gulrajani et al. 2017) and the spectrally normalised GAN (Miyato et al.
2018), each with its paper's optimiser settings.

A :class:`Game` says what the critic's loss is, how its Lipschitz constant is controlled
(held near 1 by spectral norm, pulled towards 1 by the penalty, bounded by an unknown K by
clipping), how many critic steps come before each G step and which optimiser runs it. The
steps that play a game are in :mod:`gan_helpers.train.critic`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from .lipschitz import spectral_normalise


@dataclass(frozen=True)
class Game:
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

    def replace(self, **changes) -> "Game":
        """A copy with some fields changed (``ns_gan().replace(lr_D=1e-3)``)."""
        return dataclasses.replace(self, **changes)


# The papers' settings. Functions, so each call gives a fresh value a notebook may change.
def ns_gan(**changes) -> Game:
    """Non-saturating GAN, Adam 2e-4, betas (0.5, 0.999) (Radford et al. 2015)."""
    return Game().replace(**changes)


def wgan_clip(**changes) -> Game:
    """WGAN: clipping at 0.01, 5 critic steps, RMSprop 5e-5 (Arjovsky et al. 2017, Algorithm 1).
    Clipping bounds the critic's Lipschitz constant by some unknown K, not 1, so its
    ``w_estimate`` is (at most) K times W1."""
    return Game("WGAN (clip)", wasserstein=True, clip=0.01, n_critic=5, rmsprop=True,
               lr_D=5e-5, lr_G=5e-5).replace(**changes)


def wgan_gp(**changes) -> Game:
    """WGAN-GP: lambda 10, 5 critic steps, Adam 1e-4, betas (0, 0.9) (Gulrajani et al. 2017, Alg. 1)."""
    return Game("WGAN-GP", wasserstein=True, gp_weight=10.0, n_critic=5, lr_D=1e-4, lr_G=1e-4,
               beta1=0.0, beta2=0.9).replace(**changes)


def sn_gan(**changes) -> Game:
    """Spectral norm on D with the non-saturating loss and the DCGAN optimiser (Miyato et al. 2018
    use the same loss in their 'standard' setting: Adam 2e-4, beta1 0.5, one critic step)."""
    return Game("SN-GAN", spectral_norm=True).replace(**changes)


def standard_games() -> list[Game]:
    """The four games of notebook 06's table, in its order."""
    return [ns_gan(), wgan_clip(), wgan_gp(), sn_gan()]


def prepare_critic(D: nn.Module, fix: Game) -> nn.Module:
    """D with the fix's architecture change applied (spectral norm), in place."""
    return spectral_normalise(D) if fix.spectral_norm else D


def make_optimizers(G: nn.Module, D: nn.Module, fix: Game) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """(opt_G, opt_D) with the fix's optimiser and learning rates."""
    if fix.rmsprop:
        return torch.optim.RMSprop(G.parameters(), lr=fix.lr_G), torch.optim.RMSprop(D.parameters(), lr=fix.lr_D)
    betas = (fix.beta1, fix.beta2)
    return (torch.optim.Adam(G.parameters(), lr=fix.lr_G, betas=betas),
            torch.optim.Adam(D.parameters(), lr=fix.lr_D, betas=betas))
