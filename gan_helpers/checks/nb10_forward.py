"""Exercise check for notebook 10 ("10_diffusion.ipynb"), exercise 1: the forward jump of a DDPM
(Ho, Jain and Abbeel 2020, eq. 4), x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps, with each
image at its own step.

* ``check_noisy(fn)``: ``fn(x0, t, eps, alpha_bar) -> x_t`` for x0 and eps (N, 1, 28, 28), t (N,) long.

Compared with a reference on fixed tensors; the library's ``q_sample`` (and the other answers of
``gan_helpers.train.diffusion``) are refused inside the learner's function, under any name.
"""
from __future__ import annotations

import torch

from ._core import CheckFailed, close, expect_tensor, passed
from ._refusals import call_refusing, refuse_identity
from .nb10 import LIBRARY, _images, _loss_cases, _name, _schedule


def _x_t(x0, t, eps, alpha_bar, ab_sqrt=True, rest_sqrt=True, sign=1.0, one_t=False) -> torch.Tensor:
    ab = alpha_bar.double()[t[:1].expand_as(t) if one_t else t].view(-1, 1, 1, 1)
    return (ab.sqrt() if ab_sqrt else ab) * x0.double() + sign * ((1 - ab).sqrt() if rest_sqrt else 1 - ab) * eps


_SLIPS = [
    (dict(ab_sqrt=False, rest_sqrt=False), "You weighted x0 by alpha_bar[t] and eps by 1 - alpha_bar[t]: those "
     "are the *variances* of the two parts. The weights are their square roots, so that x_t keeps a variance "
     "near 1 at every step."),
    (dict(ab_sqrt=False), "x0's weight should be the square root of alpha_bar[t]: q(x_t | x0) has mean "
     "sqrt(alpha_bar_t) x0."),
    (dict(rest_sqrt=False), "eps's weight should be the square root of 1 - alpha_bar[t]: 1 - alpha_bar_t is the "
     "variance of the noise part, and eps has variance 1."),
    (dict(sign=-1.0), "The noise was subtracted; it is added (eps is symmetric, but the loss later asks the "
     "network for this very eps, sign included)."),
    (dict(one_t=True), "Every image used the first image's step: index alpha_bar with the whole tensor t and "
     "shape the result (N, 1, 1, 1) so that it broadcasts over each image's pixels."),
]


def check_noisy(fn) -> bool:
    """``fn(x0, t, eps, alpha_bar) -> x_t``: each image noised to its own step in one jump."""
    name = _name(fn, "noisy", "check_noisy")
    refuse_identity(fn, LIBRARY, name)
    _, alpha_bar = _schedule(10)
    for label, t, seed in _loss_cases():
        n = len(t)
        x0, eps = _images(100 + seed, n).clamp(-1, 1), _images(200 + seed, n)
        got = call_refusing(fn, x0.clone(), t.clone(), eps.clone(), alpha_bar.clone(), name=name, library=LIBRARY)
        got = expect_tensor(got, (n, 1, 28, 28), name=f"{name}(x0, t, eps, alpha_bar)")
        want = _x_t(x0, t, eps, alpha_bar)
        if close(got.double(), want):
            continue
        prefix = f"On {label} (t = {t.tolist()}): "
        for kw, message in _SLIPS:
            if close(got.double(), _x_t(x0, t, eps, alpha_bar, **kw)):
                raise CheckFailed(prefix + message)
        raise CheckFailed(prefix + f"{name} differs from the forward jump of the notebook's equation; check each "
                          "weight, and that every image uses alpha_bar at its own step.")
    return passed("noisy", "each image noised to its own step: sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps")
