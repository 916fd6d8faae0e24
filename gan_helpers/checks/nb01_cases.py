"""Test cases and the teaching messages shared by notebook 01's BCE checks (``checks.nb01``,
exercises 1 and 2): logits from typical to +-200 in float32, where the route through
probabilities breaks (section 2 of the notebook) and where a naive log(1 + exp(t)) overflows."""
from __future__ import annotations

import torch

from ._core import CheckFailed


def bce_cases() -> list[tuple[torch.Tensor, torch.Tensor, str]]:
    """(logits (N,), labels (N,), what) in float32, in the order a learner's mistakes show up:
    typical logits first, then +-40 (sigmoid rounds to 0 or 1), then +-200 (exp overflows)."""
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(8, generator=gen) * 3
    y_hard = (torch.rand(8, generator=gen) > 0.5).float()
    y_hard[:2] = torch.tensor([1.0, 0.0])                               # both labels present
    y_soft = torch.rand(8, generator=gen)                               # soft labels in [0, 1]
    return [(logits, y_hard, "typical logits, labels 0/1"),
            (logits, y_soft, "typical logits, soft labels in [0, 1]"),
            (torch.tensor([40.0, -40.0, 30.0, -30.0, 20.0, -20.0]), torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0, 0.0]),
             "confident logits (+-20 to +-40)"),
            (torch.tensor([100.0, -100.0, 200.0, -200.0, 200.0, -200.0]),
             torch.tensor([0.0, 1.0, 0.0, 1.0, 0.9, 0.9]), "very confident logits (+-100, +-200)")]


def smoothed_cases() -> list[tuple[torch.Tensor, torch.Tensor, float, str]]:
    """(logits_real (N,), logits_fake (M,), alpha, what) for the label-smoothed D loss, float32."""
    gen = torch.Generator().manual_seed(2)
    real, fake = torch.randn(6, generator=gen) * 2 + 1, torch.randn(5, generator=gen) * 2 - 1
    big_real, big_fake = torch.tensor([-200.0, 0.5, 40.0, 200.0]), torch.tensor([200.0, -0.5, -40.0])
    return [(real, fake, 0.9, "typical logits, alpha = 0.9"),
            (real, fake, 0.8, "typical logits, alpha = 0.8"),
            (real, fake, 1.0, "typical logits, alpha = 1 (no smoothing)"),
            (big_real, big_fake, 0.9, "extreme logits (+-40, +-200), alpha = 0.9")]


def nonfinite_message(logits: torch.Tensor) -> str:
    """Why a BCE written by hand gave inf or nan on these logits, and the way out."""
    if float(logits.abs().max()) <= 40:
        return ("In float32 sigmoid(l) is exactly 1.0 from about l = 16.7 on (section 2; float64 only moves this to "
                "about l = 36.7), so log(1 - sigmoid(l)) "
                "= log 0 = -inf (and 0 * -inf = nan for the term whose label weight is 0). Never compute "
                "sigmoid: -log sigmoid(l) = log(1 + e^(-l)) and -log(1 - sigmoid(l)) = -log sigmoid(-l) = "
                "log(1 + e^l).")
    return ("At logits of +-100 and +-200 float32 runs out both ways: exp(200) overflows to inf (the largest "
            "float32 is about e^88.7) and sigmoid(-200) underflows to 0, so log(1 + exp(200)) or "
            "log(sigmoid(-200)) is inf, and 0 * inf = nan for a term whose label weight is 0. For t > 0 write "
            "log(1 + e^t) = t + log(1 + e^(-t)); together log(1 + e^t) = max(t, 0) + log1p(exp(-|t|)), "
            "where exp never sees a positive argument (that is what F.softplus computes).")


def grad_message(grad, want: torch.Tensor, logits: torch.Tensor, name: str) -> str | None:
    """None when the learner's gradient matches ``want`` (float64); otherwise what is wrong with it."""
    if grad is None:
        return f"{name}: the loss does not depend on these logits (autograd found no path to them)."
    g = grad.detach().double()
    bad = ~torch.isfinite(g)
    if bool(bad.any()):
        i = int(bad.nonzero()[0])
        return (f"{name}: the loss is right, but its gradient is {float(g[i])} at logit {float(logits[i]):g}. "
                "Autograd differentiates every operation you computed, even one whose result you then threw "
                "away: torch.where keeps one branch, yet the backward pass multiplies the other branch's "
                "inf (from exp(200)) by 0, which is nan. Write one expression that is finite everywhere: "
                "max(t, 0) + log1p(exp(-|t|)).")
    if not torch.allclose(g, want, rtol=1e-4, atol=1e-6):
        i = int((g - want).abs().argmax())
        return (f"{name}: the gradient at logit {float(logits[i]):g} is {float(g[i]):.4g}, expected "
                f"{float(want[i]):.4g} = (sigmoid(l) - y) / N. A clamp (or an eps, or a detach) flattens the loss "
                "there, and a flat loss passes no gradient back to D (section 2).")
    return None


def raise_matching_hint(value: float, name: str, hints) -> None:
    """Exercise 5: raise the hint of the first known wrong answer within 5% of ``value``, if any."""
    for wrong, hint in hints:
        if abs(value - wrong) <= 0.05 * max(1.0, abs(wrong)):
            raise CheckFailed(f"{name} = {value:g}: {hint}")
