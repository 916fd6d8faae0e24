"""Why the JS divergence starves a generator when the supports barely overlap, and why the
Wasserstein-1 distance does not (Arjovsky and Bottou 2017, "Towards Principled Methods for
Training GANs"; Arjovsky et al. 2017, "Wasserstein GAN"). The 1-D picture of notebook 06.

The data is p = N(0, sigma^2) and the generator's distribution q_theta = N(theta, sigma^2),
the same bump moved by theta. With the optimal discriminator D* = p / (p + q) held fixed, the
generator's sample x = theta + sigma * eps gets the gradient (d/dx of each loss, closed form):

* minimax loss E_q[log(1 - D*(x))]:     d/dtheta = theta / sigma^2 * E_q[D*(x)]   (-> 0 as theta grows)
* non-saturating loss -E_q[log D*(x)]:  d/dtheta = theta / sigma^2 * E_q[1 - D*(x)] (-> theta / sigma^2)
* Wasserstein-1: W1 = |theta| exactly (a shift), d/dtheta = sign(theta): the same pull at any distance.

The minimax gradient equals d(2 JSD)/dtheta (D* is optimal, so its own change does not count),
which is why the flat JS curve and the vanishing gradient are one fact.
"""
from __future__ import annotations

import math

import torch

from .optimal_d import Gaussian1D, grid_for, js_divergence


def _check(theta: float, sigma: float) -> None:
    if not (isinstance(theta, (int, float)) and math.isfinite(theta)):
        raise ValueError(f"theta must be a finite number, got {theta!r}")
    if not (isinstance(sigma, (int, float)) and sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"sigma must be a positive number, got {sigma!r}")


def pair_state(theta: float, sigma: float = 0.1) -> dict:
    """Densities, D* and every quantity above for one theta: ``x``, ``p``, ``q``, ``d_star``
    (tensors on a grid, float64), ``js`` (nats), ``w1``, ``grad_minimax``, ``grad_ns``, ``grad_w1``."""
    _check(theta, sigma)
    p_dist, q_dist = Gaussian1D(0.0, sigma), Gaussian1D(float(theta), sigma)
    x = grid_for(p_dist, q_dist, n_sigma=8.0)
    log_p, log_q = p_dist.log_pdf(x), q_dist.log_pdf(x)
    p, q = log_p.exp(), log_q.exp()
    d_star = torch.sigmoid(log_p - log_q)           # p / (p + q), stable where both are tiny
    e_d = float(torch.trapezoid(q * d_star, x))     # E_q[D*]: how often D* is fooled by G's samples
    scale = abs(theta) / sigma ** 2
    return {"theta": float(theta), "sigma": sigma, "x": x, "p": p, "q": q, "d_star": d_star,
            "js": float(js_divergence(p, q, x)), "w1": abs(float(theta)),
            "grad_minimax": scale * e_d, "grad_ns": scale * (1.0 - e_d), "grad_w1": 1.0 if theta else 0.0}


def separation_curves(thetas, sigma: float = 0.1) -> dict[str, list[float]]:
    """:func:`pair_state`'s numbers for each theta in ``thetas``: lists under the same keys."""
    keys = ("js", "w1", "grad_minimax", "grad_ns", "grad_w1")
    out: dict[str, list[float]] = {"theta": [float(t) for t in thetas], **{k: [] for k in keys}}
    for t in out["theta"]:
        s = pair_state(t, sigma)
        for k in keys:
            out[k].append(s[k])
    return out
