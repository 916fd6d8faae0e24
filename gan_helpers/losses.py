"""GAN losses on discriminator logits (Goodfellow et al. 2014; Mao et al. 2017 for the
least-squares loss; Zhu et al. 2017 for the cycle and identity terms). Explained in
notebook 01 (BCE, saturating vs non-saturating), notebook 06 (Wasserstein, Arjovsky et al.
2017) and notebook 08 (LSGAN, cycle).

Every GAN loss here takes D's logits of shape (N,) or (N, 1) or (N, 1, h, w) (PatchGAN) and
returns a scalar mean; the one exception is ``bce_by_hand(p, y)``, notebook 01's BCE on
probabilities, kept to show where that route breaks.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def bce_by_hand(p: torch.Tensor, y: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Binary cross-entropy from probabilities: mean of -[y log p + (1 - y) log(1 - p)].

    ``eps`` keeps log away from 0; ``nn.BCELoss`` clamps the log at -100 instead.
    """
    _check_same_shape(p, y, "p", "y")
    return -(y * torch.log(p.clamp_min(eps)) + (1 - y) * torch.log((1 - p).clamp_min(eps))).mean()


def bce_with_logits_by_hand(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """BCE from logits, stable for any logit: max(l, 0) - l*y + log(1 + exp(-|l|))."""
    _check_same_shape(logits, y, "logits", "y")
    return (logits.clamp_min(0) - logits * y + torch.log1p(torch.exp(-logits.abs()))).mean()


def discriminator_loss(logits_real: torch.Tensor, logits_fake: torch.Tensor) -> torch.Tensor:
    """-[log D(x_real) + log(1 - D(x_fake))]: real labelled 1, fake labelled 0."""
    return (F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
            + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake)))


def generator_loss_saturating(logits_fake: torch.Tensor) -> torch.Tensor:
    """The minimax generator loss log(1 - D(G(z))), minimised by G. Its gradient vanishes
    when D confidently rejects the fakes (early in training)."""
    return -F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))


def generator_loss_nonsaturating(logits_fake: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss -log D(G(z)): fakes labelled 1."""
    return F.binary_cross_entropy_with_logits(logits_fake, torch.ones_like(logits_fake))


def lsgan_discriminator_loss(out_real: torch.Tensor, out_fake: torch.Tensor) -> torch.Tensor:
    """Least-squares D loss: 0.5 [(D(x_real) - 1)^2 + D(x_fake)^2] (raw outputs, no sigmoid)."""
    return 0.5 * (((out_real - 1) ** 2).mean() + (out_fake ** 2).mean())


def lsgan_generator_loss(out_fake: torch.Tensor) -> torch.Tensor:
    """Least-squares G loss: (D(G(x)) - 1)^2."""
    return ((out_fake - 1) ** 2).mean()


def cycle_loss(x: torch.Tensor, x_reconstructed: torch.Tensor) -> torch.Tensor:
    """L1 cycle-consistency ||F(G(x)) - x||_1 (mean over pixels)."""
    _check_same_shape(x, x_reconstructed, "x", "x_reconstructed")
    return (x - x_reconstructed).abs().mean()


def identity_loss(x: torch.Tensor, x_mapped: torch.Tensor) -> torch.Tensor:
    """L1 identity term ||G(y) - y||_1: a generator fed its own target domain should not change it."""
    _check_same_shape(x, x_mapped, "x", "x_mapped")
    return (x - x_mapped).abs().mean()


def _check_same_shape(a: torch.Tensor, b: torch.Tensor, na: str, nb: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{na} and {nb} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")


# --- Wasserstein GAN (Arjovsky et al. 2017; notebook 06) ---------------------------------------
# The critic's raw outputs (no sigmoid) estimate the Wasserstein-1 distance by the
# Kantorovich-Rubinstein dual, W1 = sup over 1-Lipschitz f of E[f(x_real)] - E[f(x_fake)].

def wasserstein_critic_loss(out_real: torch.Tensor, out_fake: torch.Tensor) -> torch.Tensor:
    """E[D(x_fake)] - E[D(x_real)], minimised by the critic (so it maximises the dual)."""
    return out_fake.mean() - out_real.mean()


def wasserstein_generator_loss(out_fake: torch.Tensor) -> torch.Tensor:
    """-E[D(G(z))]: G moves its samples up the critic's surface."""
    return -out_fake.mean()
