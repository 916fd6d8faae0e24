"""The library's alternating GAN step (Goodfellow et al. 2014; notebooks 02-05): one update
of D (``d_step``) and one of G (``g_step``), on logits. The notebooks write the step out by
hand first and then name these functions as the same step.
"""
from __future__ import annotations

import torch
from torch import nn

from ..losses import discriminator_loss, generator_loss_nonsaturating, generator_loss_saturating


def d_step(D: nn.Module, opt_D: torch.optim.Optimizer, x_real: torch.Tensor, x_fake: torch.Tensor,
           y_real: torch.Tensor | None = None, y_fake: torch.Tensor | None = None) -> dict:
    """One update of D on a real and a fake batch; returns ``{loss_D, D_x, D_G_z}`` (detached).

    x_real, x_fake: (N, ...) batches; ``x_fake`` is detached here so D's step leaves G alone.
    With labels (N,) the game is conditional (Mirza and Osindero 2014): D sees each real image
    with its label and each fake with the label G was asked for.
    """
    real_args = () if y_real is None else (y_real,)
    fake_args = () if y_fake is None else (y_fake,)
    logits_real = D(x_real, *real_args)                 # (N, 1)
    logits_fake = D(x_fake.detach(), *fake_args)        # (N, 1)
    loss_D = discriminator_loss(logits_real, logits_fake)
    opt_D.zero_grad(set_to_none=True)
    loss_D.backward()
    opt_D.step()
    return {"loss_D": loss_D.detach(), "D_x": torch.sigmoid(logits_real.detach()).mean(),
            "D_G_z": torch.sigmoid(logits_fake.detach()).mean()}


def g_step(D: nn.Module, opt_G: torch.optim.Optimizer, x_fake: torch.Tensor,
           y_fake: torch.Tensor | None = None, non_saturating: bool = True) -> torch.Tensor:
    """One update of G through D's logits on ``x_fake = G(z)`` (not detached); returns loss_G.

    Non-saturating ``-log D(G(z))`` by default; ``non_saturating=False`` is the minimax
    ``log(1 - D(G(z)))`` of notebook 01. ``opt_G`` must hold only G's parameters: D's
    gradients from this pass are cleared by D's next step.
    """
    logits_fake = D(x_fake, *(() if y_fake is None else (y_fake,)))
    loss_G = generator_loss_nonsaturating(logits_fake) if non_saturating else generator_loss_saturating(logits_fake)
    opt_G.zero_grad(set_to_none=True)
    loss_G.backward()
    opt_G.step()
    return loss_G.detach()
