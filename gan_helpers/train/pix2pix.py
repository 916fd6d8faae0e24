"""The pix2pix training step (Isola et al. 2017, eq. 4; notebook 07 writes it by hand first).

    G* = arg min_G max_D  L_cGAN(G, D) + lambda * L_L1(G)

D sees pairs: the input x stacked with the real target y, or with G's output. Its loss is
the binary cross-entropy of both, halved (the paper divides D's objective by 2 to slow D
down relative to G). G's loss is the non-saturating GAN term on its pair plus lambda times
the mean absolute error to the real target. ``lambda_gan = 0`` gives the paper's "L1 only"
row (D is then neither used nor trained) and ``lambda_l1 = 0`` its "cGAN only" row.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def pair(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """What D sees: input (N, Cx, H, W) and output (N, Cy, H, W) stacked -> (N, Cx + Cy, H, W)."""
    if x.ndim != 4 or y.ndim != 4 or x.shape[0] != y.shape[0] or x.shape[2:] != y.shape[2:]:
        raise ValueError(f"pair needs an input and an output of one batch and size, got {tuple(x.shape)} "
                         f"and {tuple(y.shape)}")
    return torch.cat([x, y], 1)


def d_loss(D: nn.Module, x: torch.Tensor, y_real: torch.Tensor, y_fake: torch.Tensor) -> torch.Tensor:
    """0.5 * [BCE(D(x, y_real), 1) + BCE(D(x, y_fake), 0)], y_fake detached (D's step leaves G alone)."""
    logits_real = D(pair(x, y_real))
    logits_fake = D(pair(x, y_fake.detach()))
    return 0.5 * (F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
                  + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake)))


def g_loss(D: nn.Module | None, x: torch.Tensor, y_real: torch.Tensor, y_fake: torch.Tensor,
           lambda_l1: float = 100.0, lambda_gan: float = 1.0) -> tuple[torch.Tensor, dict[str, float]]:
    """lambda_gan * BCE(D(x, y_fake), 1) + lambda_l1 * mean|y_real - y_fake|; returns (loss, its parts)."""
    l1 = (y_real - y_fake).abs().mean()
    loss = lambda_l1 * l1
    parts = {"L1": l1.item()}
    if lambda_gan > 0:
        if D is None:
            raise ValueError("lambda_gan > 0 needs a discriminator D")
        logits = D(pair(x, y_fake))
        adv = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        loss = loss + lambda_gan * adv
        parts["G_gan"] = adv.item()
    return loss, parts


def make_optimizers(G: nn.Module, D: nn.Module | None, lr: float = 2e-4, beta1: float = 0.5):
    """Adam for G and D as in the paper (lr 2e-4, betas (0.5, 0.999)); D's is None without a D."""
    opt_G = torch.optim.Adam(G.parameters(), lr=lr, betas=(beta1, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=lr, betas=(beta1, 0.999)) if D is not None else None
    return opt_G, opt_D


def train_step(G: nn.Module, D: nn.Module | None, opt_G, opt_D, x: torch.Tensor, y_real: torch.Tensor,
               lambda_l1: float = 100.0, lambda_gan: float = 1.0) -> dict[str, float]:
    """One update of D (when the GAN term is on), then one of G, on a batch of pairs (x, y_real)."""
    y_fake = G(x)
    out = {}
    if lambda_gan > 0:
        opt_D.zero_grad(set_to_none=True)
        loss_D = d_loss(D, x, y_real, y_fake)
        loss_D.backward()
        opt_D.step()
        out["D"] = loss_D.item()
    opt_G.zero_grad(set_to_none=True)
    loss_G, parts = g_loss(D, x, y_real, y_fake, lambda_l1, lambda_gan)
    loss_G.backward()  # D's gradients from this pass are cleared by its next zero_grad
    opt_G.step()
    out.update(parts)
    return out
