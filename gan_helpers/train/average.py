"""An exponential moving average of G's weights (Yazici et al. 2019, "The Unusual
Effectiveness of Averaging in GAN Training"; notebooks 03-06) and the batch-norm
recalibration an averaged G needs before sampling.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """An exponential moving average of G's weights (Yazici et al. 2019, "The Unusual
    Effectiveness of Averaging in GAN Training"); explained in notebook 04.

    ``ema.update(G)`` after each G step: ``avg <- decay * avg + (1 - decay) * w``. Early on the
    decay is ramped up as ``min(decay, (1 + t) / (10 + t))`` so the average does not remember
    the random initialisation. ``ema.model`` is the averaged copy of G.
    """

    def __init__(self, G: nn.Module, decay: float = 0.999):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), got {decay!r}")
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(G).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, G: nn.Module) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for avg, w in zip(self.model.parameters(), G.parameters()):
            avg.lerp_(w.detach(), 1.0 - d)
        for avg, b in zip(self.model.buffers(), G.buffers()):  # batch-norm statistics: copied
            avg.copy_(b)


@torch.no_grad()
def recalibrate_batchnorm(G: nn.Module, sample_inputs, n_batches: int = 50) -> nn.Module:
    """Re-estimate G's batch-norm running statistics for its current weights.

    An averaged G has weights no single training step had, so the running means and
    variances copied from the raw G do not fit it exactly. ``sample_inputs()`` returns one
    batch of G's inputs (a tuple, e.g. ``(z,)`` or ``(z, y)``); the statistics become the plain
    average over ``n_batches`` such batches. Returns G in eval mode.
    """
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return G.eval()
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
    G.train()
    for _ in range(n_batches):
        G(*sample_inputs())
    for m, mom in zip(norms, saved):
        m.momentum = mom
    return G.eval()
