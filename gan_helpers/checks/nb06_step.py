"""Notebook 06, exercises 2 and 3: the WGAN-GP critic loss with its penalty, for images, and the
whole WGAN-GP training step (Gulrajani et al. 2017, Algorithm 1).

* ``check_critic_loss_gp(fn)``: ``fn(D, x_real, x_fake, gp_weight, generator)`` =
  E[D(x_fake)] - E[D(x_real)] + gp_weight * E[(||grad D(x_hat)||_2 - 1)^2], the norm per sample.
* ``check_wgan_gp_step(fn)``: ``fn(G, D, opt_G, opt_D, x_real, z, gp_weight,
  generator)`` runs ``len(x_real)`` critic steps and one G step; checked on fixed tensors against a
  reference step: the same parameters after the call, the optimisers stepped in the right order.

While the learner's function runs, the library's penalty, losses and steps and the notebook's
worked 2-D versions (``gradient_penalty_2d``, ``wgan_gp_step_2d``) raise a ``CheckFailed``.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from .. import losses
from ..stabilizers import lipschitz
from ..stabilizers.lipschitz import interpolates
from ..train import critic as train_critic
from ._core import CheckFailed, check, close, expect_tensor, passed
from ._refusals import call_refusing, refuse_identity

_WRITE = "the exercise is to write it from torch.rand, torch.autograd.grad and a norm."
LIBRARY = {lipschitz.gradient_penalty: "The library's `gradient_penalty` is refused: " + _WRITE,
           lipschitz.per_sample_gradient_norms: "The library's `per_sample_gradient_norms` is refused: " + _WRITE,
           lipschitz.interpolates: "The library's `interpolates` is refused: " + _WRITE,
           losses.wasserstein_critic_loss: "The library's `wasserstein_critic_loss` is refused: write "
                                           "E[D(x_fake)] - E[D(x_real)] yourself.",
           losses.wasserstein_generator_loss: "The library's `wasserstein_generator_loss` is refused: write "
                                              "-E[D(G(z))] yourself.",
           train_critic.critic_step: "The library's `critic_step` is refused: the exercise is to write the step.",
           train_critic.generator_step: "The library's `generator_step` is refused: the exercise is to write "
                                        "the step."}
NOTEBOOK = {"gradient_penalty_2d": "Section 2's `gradient_penalty_2d` is for points (N, 2): on images its "
                                   "dim=1 norm is the per-pixel bug. Write the image version here.",
            "wgan_gp_step_2d": "Section 4's `wgan_gp_step_2d` draws its own 2-D data and noise; this exercise "
                               "gives you the batches and asks for the step on images. Write it here."}


def _case():
    """A critic with a known gradient and fixed image batches (C = 2, so a per-pixel norm differs)."""
    from .nb06 import _images, _Quadratic
    g = torch.Generator().manual_seed(3)
    shape = (2, 4, 4)
    # half the samples scaled down: their gradient norms are below 1, so a one-sided penalty fails
    return _Quadratic(shape), _images(torch.randn(6, *shape, generator=g)), _images(torch.randn(6, *shape, generator=g))


def check_critic_loss_gp(fn) -> bool:
    """``fn(D, x_real, x_fake, gp_weight, generator) -> scalar``, the critic's loss with the penalty."""
    from .nb06 import _penalty_by_formula, _penalty_mistake
    name = getattr(fn, "__name__", "critic_loss_gp")
    check(callable(fn), "Pass the function itself: nb06.check_critic_loss_gp(critic_loss_gp), without calling it.")
    refused = {**LIBRARY, _penalty_by_formula: _INTERNAL.format("_penalty_by_formula"),
               _penalty: _INTERNAL.format("_penalty"), _reference: _INTERNAL.format("_reference")}
    refuse_identity(fn, refused, name)
    D, x_real, x_fake = _case()

    def run(gp_weight):
        got = call_refusing(fn, D, x_real, x_fake, gp_weight, torch.Generator().manual_seed(7), name=name,
                            library=refused, notebook=NOTEBOOK)
        got = expect_tensor(got, name=f"{name}(...)")
        check(got.numel() == 1, f"{name} should return a scalar, got shape {tuple(got.shape)}.")
        return got.reshape(())

    gap_term = D(x_fake).mean() - D(x_real).mean()          # what the critic minimises, before the penalty
    x_hat = interpolates(x_real, x_fake, torch.Generator().manual_seed(7))
    penalty = _penalty_by_formula(D, x_hat)
    got0 = run(0.0)
    if not close(got0, gap_term, atol=1e-5):
        if close(got0, gap_term + penalty, atol=1e-4):
            raise CheckFailed("With gp_weight = 0 your loss still holds the penalty: multiply it by gp_weight.")
        if close(got0, -gap_term):
            raise CheckFailed("The sign is flipped: the critic MINIMISES E[D(x_fake)] - E[D(x_real)] (it maximises "
                              "its estimate of W1, E[D(x_real)] - E[D(x_fake)]).")
        if close(got0, D(x_fake).sum() - D(x_real).sum()):
            raise CheckFailed("You summed over the batch: take means, E[D(x_fake)] - E[D(x_real)].")
        raise CheckFailed(f"With gp_weight = 0 your loss is {got0.item():.5f}, expected "
                          f"E[D(x_fake)] - E[D(x_real)] = {gap_term.item():.5f}.")
    lam = 2.0
    got, again = run(lam), run(lam)
    check(close(got, again, atol=1e-6),
          f"Two calls with generators seeded alike gave {got.item():.5f} and {again.item():.5f}: your epsilon "
          "does not come from `generator`. Draw it with torch.rand(..., generator=generator), your only random draw.")
    if not close(got, gap_term + lam * penalty, atol=1e-4):
        if close(got, gap_term + penalty, atol=1e-4):
            raise CheckFailed("The penalty is not multiplied by gp_weight: loss = gap term + gp_weight * penalty.")
        raise CheckFailed(_penalty_mistake((got - gap_term) / lam, D, x_real, x_fake, x_hat) or
                          f"{name} returned {got.item():.5f}, expected {(gap_term + lam * penalty).item():.5f}: "
                          "E[D(x_fake)] - E[D(x_real)] + gp_weight * mean((||grad D(x_hat)|| - 1)^2), one norm per "
                          "sample, x_hat = eps * x_real + (1 - eps) * x_fake, eps = torch.rand(N, 1, 1, 1, "
                          "generator=generator).")
    check(got.requires_grad, "Your loss has no graph back to D's weights, so it cannot train D.")
    D.zero_grad()
    (got - gap_term).backward()                             # the penalty's part of the gradient only
    check(D.w.grad is not None and float(D.w.grad.abs().sum()) > 1e-6,
          "The penalty sends no gradient to D's weights: pass create_graph=True to torch.autograd.grad, "
          "and do not detach the gradient, so the penalty trains D.")
    return passed(name, "critic loss, penalty per sample at interpolates, trains D")


# -- the whole step -----------------------------------------------------------------------------------
def _nets():
    """A tiny G (z in 3-D -> (2, 3, 3) images) and critic, smooth (tanh) so every term has a gradient."""
    with torch.random.fork_rng():
        torch.manual_seed(11)
        G = nn.Sequential(nn.Linear(3, 18), nn.Tanh(), nn.Unflatten(1, (2, 3, 3)))
        D = nn.Sequential(nn.Flatten(), nn.Linear(18, 8), nn.Tanh(), nn.Linear(8, 1))
    return G, D


def _penalty(D, x_real, x_fake, generator, at="interp", per="sample", create_graph=True):
    eps = torch.rand(len(x_real), 1, 1, 1, generator=generator)
    x = {"interp": eps * x_real + (1 - eps) * x_fake, "real": x_real, "fake": x_fake}[at]
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=create_graph)
    norms = g.flatten(1).norm(dim=1) if per == "sample" else g.norm(dim=1)
    return ((norms - 1) ** 2).mean()


def _reference(G, D, opt_G, opt_D, x_real, z, gp_weight, generator, sign=1, at="interp", per="sample",
               create_graph=True, detach=True, zero_D=True, zero_G=True, g_sign=1, g_each=False):
    """Algorithm 1 of Gulrajani et al.; the keyword arguments make the wrong answers the check names."""
    for k in range(len(x_real)):
        x_fake = G(z[k])
        x_fake = x_fake.detach() if detach else x_fake
        loss = sign * (D(x_fake).mean() - D(x_real[k]).mean())
        loss = loss + gp_weight * _penalty(D, x_real[k], x_fake, generator, at, per, create_graph)
        if zero_D:
            opt_D.zero_grad()
        loss.backward()
        opt_D.step()
        if g_each:
            opt_G.step()
    loss_G = -g_sign * D(G(z[-1])).mean()
    if zero_G:
        opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return float(loss_G.detach())


_MISTAKES = [
    (dict(sign=-1), "The critic's loss has the wrong sign: it minimises E[D(x_fake)] - E[D(x_real)] + penalty."),
    (dict(g_sign=-1), "G's loss has the wrong sign: G climbs the critic's surface, it minimises -E[D(G(z))]."),
    (dict(at="real"), "The penalty is at the real samples only; take it at interpolates between real and fake."),
    (dict(at="fake"), "The penalty is at the fake samples only; take it at interpolates between real and fake."),
    (dict(per="pixel"), "The penalty's norm is per pixel (dim=1 on images): take one norm per sample, "
                        "grad.flatten(1).norm(2, dim=1)."),
    # leaving the penalty out and computing it without create_graph=True give the same weights: one message
    (dict(gp_weight=0.0), "The penalty did not change D's update: either it is missing from the critic's loss "
                          "(add gp_weight * penalty) or it was computed without create_graph=True, so no "
                          "gradient reached D's weights through it."),
    (dict(zero_D=False), "D's gradients accumulate across critic steps: call opt_D.zero_grad() before each "
                         "critic backward."),
    (dict(detach=False, zero_G=False), "The critic's losses leaked into G's gradients: make x_fake without a graph "
                                       "to G in the critic steps (torch.no_grad() or .detach()), and zero G's "
                                       "gradients before its own backward."),
]


def _params(*nets):
    return torch.cat([p.detach().reshape(-1) for n in nets for p in n.parameters()])


def _run_reference(x_real, z, gp_weight, **mistake):
    G, D = _nets()
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
    loss_G = _reference(G, D, opt_G, opt_D, x_real, z, gp_weight, torch.Generator().manual_seed(7), **mistake)
    return _params(G), _params(D), loss_G


# This module's (and nb06's) own answers, refused too: calling them would pass the checks unwritten.
_INTERNAL = "The check's own reference `{}` is refused: the exercise is to write it yourself."
_STEP_REFUSED = {**LIBRARY, _penalty: _INTERNAL.format("_penalty"), _reference: _INTERNAL.format("_reference"),
              _run_reference: _INTERNAL.format("_run_reference")}


def check_wgan_gp_step(fn) -> bool:
    """``fn(G, D, opt_G, opt_D, x_real, z, gp_weight, generator) -> float``: ``len(x_real)`` critic steps
    (batch k: x_real[k] and G(z[k])), then one G step on z[-1]; returns loss_G as a float."""
    name = getattr(fn, "__name__", "wgan_gp_step")
    check(callable(fn), "Pass the function itself: nb06.check_wgan_gp_step(wgan_gp_step), without calling it.")
    refuse_identity(fn, _STEP_REFUSED, name)
    g = torch.Generator().manual_seed(5)
    n_critic, gp_weight = 3, 2.0
    x_real, z = torch.randn(n_critic, 5, 2, 3, 3, generator=g), torch.randn(n_critic + 1, 5, 3, generator=g)
    G, D = _nets()
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
    order = []
    for tag, opt in (("D", opt_D), ("G", opt_G)):
        step = opt.step
        opt.step = (lambda s, t: (lambda *a, **k: (order.append(t), s(*a, **k))[1]))(step, tag)
    D0 = copy.deepcopy(D)
    got = call_refusing(fn, G, D, opt_G, opt_D, x_real.clone(), z.clone(), gp_weight,
                        torch.Generator().manual_seed(7), name=name, library=_STEP_REFUSED, notebook=NOTEBOOK)
    check(order.count("D") == n_critic, f"opt_D.step() ran {order.count('D')} times for {n_critic} batches of "
                                        "x_real: one critic step per batch, x_real[k] with G(z[k]).")
    check(order.count("G") == 1, f"opt_G.step() ran {order.count('G')} times: G was updated during the critic steps. "
                                 "The critic takes all its steps with G held still, then G takes ONE step.")
    check(order[-1] == "G", "G was updated during the critic steps: the critic takes all its steps with G held "
                            "still, then G takes one step.")
    want_G, want_D, want_loss = _run_reference(x_real, z, gp_weight)
    got_G, got_D = _params(G), _params(D)
    if not (close(got_D, want_D, atol=1e-5) and close(got_G, want_G, atol=1e-5)):
        if close(got_D, _params(D0)):
            raise CheckFailed("D's weights did not change: call opt_D.step() after each critic backward.")
        for mistake, message in _MISTAKES:
            mG, mD, _ = _run_reference(x_real, z, **{"gp_weight": gp_weight, **mistake})
            if close(got_D, mD, atol=1e-5) and close(got_G, mG, atol=1e-5):
                raise CheckFailed(message)
        where = "D's" if not close(got_D, want_D, atol=1e-5) else "G's"
        raise CheckFailed(f"{where} weights after your step differ from Algorithm 1's. Per critic step k: x_fake = "
                          "G(z[k]) without a graph to G, loss = critic_loss_gp(D, x_real[k], x_fake, gp_weight, "
                          "generator), zero D's gradients, backward, opt_D.step(); then loss_G = -E[D(G(z[-1]))], "
                          "zero G's gradients, backward, opt_G.step(). (Does your critic_loss_gp pass its check?)")
    check(isinstance(got, (float, int)) or (torch.is_tensor(got) and got.numel() == 1),
          f"{name} should return loss_G as a float, got {type(got).__name__}.")
    got = float(got)
    if abs(got - want_loss) > 1e-5:
        raise CheckFailed(f"You returned {got:.5f}; loss_G = -E[D(G(z[-1]))] before G's step is {want_loss:.5f}."
                          + (" The sign is flipped." if abs(got + want_loss) < 1e-5 else ""))
    return passed(name, f"{n_critic} critic steps and one G step, the same weights as Algorithm 1")
