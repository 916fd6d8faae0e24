"""Exercise checks for notebook 10 ("10_diffusion.ipynb": a small DDPM beside the GANs), exercises 2-4
after Ho, Jain and Abbeel 2020, "Denoising Diffusion Probabilistic Models" (DDIM: Song et al. 2021).

* ``check_noise_loss(fn)``: ``fn(model, x0, t, eps, alpha_bar) -> scalar``, L_simple (eq. 14) for the
  given steps t (N,) and noise eps: x_t = sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) eps, then
  the mean squared error between eps and model(x_t, t), differentiable in the model's weights.
* ``check_reverse_step(fn)``: ``fn(model, x_t, t, betas, alpha_bar, z) -> x_{t-1}``, one ancestral step
  (eq. 11, sigma_t^2 = beta_t) with the given noise z, and no noise at t = 0.
* ``check_predict_x0(fn)``: ``fn(x_t, eps_hat, t, alpha_bar) -> x0_hat``, the forward formula inverted,
  not clipped.
* ``check_noisy(fn)`` (exercise 1, the forward jump): in ``nb10_forward``;
  ``check_table_claims(answers, table)``, ``check_interpolation(choice)``: in ``nb10_cases``.

Each case is compared with a reference written here, run with a small stand-in noise predictor; the
library's answers (gan_helpers.train.diffusion) are refused inside the learner's function, under any name.
Steps are 0-based, as in the library: the paper's t = 1..T is t = 0..T-1.
"""
from __future__ import annotations

import torch
from torch import nn

from ..train import diffusion as _lib
from ._core import CheckFailed, check, close, expect_tensor, passed
from ._refusals import call_refusing, refuse_identity

_MSG = ("Exercises 1-4 ask you to write the formula yourself: gan_helpers.train.diffusion ({}) is the answer. "
        "Index the schedule with t (alpha_bar[t]) and write the lines of the notebook's equations.")
# Schedule is not refused: it only holds betas, alphas and alpha_bar, which the exercises hand you anyway.
LIBRARY = {f: _MSG.format(f.__name__) for f in (_lib.q_sample, _lib.ddpm_loss, _lib.p_sample_step,
                                                _lib.sample_ddpm, _lib.ddim_step, _lib.sample_ddim, _lib._at)}


def _schedule(T: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """(betas, alpha_bar) float32 (T,): large betas, so that beta and sqrt(beta), alpha_bar and its
    square root, alpha_t and alpha_bar_t all differ clearly (the paper's betas are far smaller)."""
    betas = torch.linspace(0.05, 0.35, T, dtype=torch.float64)
    return betas.float(), torch.cumprod(1 - betas, 0).float()


class _EpsNet(nn.Module):
    """A stand-in for eps_theta(x_t, t): eps_hat = w * x_t + v[t], a fixed per-pixel weight and one offset
    per step. Linear in x_t, so any slip in x_t changes the result; like the notebook's U-Net it insists
    on t, one integer step per image."""

    def __init__(self, T: int, seed: int):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.w = nn.Parameter(0.5 + 0.5 * torch.rand(1, 1, 28, 28, generator=g))
        self.v = nn.Parameter(torch.randn(T, generator=g))
        self.seen = []                                       # the t of each call, for the checks

    def forward(self, x_t, t=None):
        if t is None:
            raise CheckFailed("model was called without t: the network predicts the noise of x_t *at step t* "
                              "(how much noise there is depends on t), so call model(x_t, t).")
        check(torch.is_tensor(x_t) and x_t.ndim == 4 and tuple(x_t.shape[1:]) == (1, 28, 28),
              f"model got x_t of {tuple(x_t.shape) if torch.is_tensor(x_t) else type(x_t).__name__}: "
              "pass the images (N, 1, 28, 28).")
        n = len(x_t)
        check(torch.is_tensor(t) and t.shape == (n,) and not t.is_floating_point() and t.dtype != torch.bool,
              f"model got t = {t!r:.60}: the network takes one integer step per image, a long tensor of shape "
              f"({n},), e.g. torch.full(({n},), t, dtype=torch.long) for a step shared by the batch.")
        check(0 <= int(t.min()) and int(t.max()) < len(self.v),
              f"model got steps {t.tolist()}: steps are 0-based, in [0, T) with T = {len(self.v)}.")
        self.seen.append(t.detach().clone())
        return self.w * x_t + self.v[t].view(-1, 1, 1, 1)


def _name(fn, default: str, check_name: str) -> str:
    check(callable(fn), f"{check_name} takes your function itself, e.g. {check_name}({default}), "
                        f"got {type(fn).__name__}.")
    return getattr(fn, "__name__", default)


# --- references, with the typical slips as switches ------------------------------------------------
def _loss(model, x0, t, eps, alpha_bar, ab_sqrt=True, rest_sqrt=True, sign=1.0, target="eps", reduce="mean",
          one_t=False, on_x0=False) -> float:
    ab = alpha_bar.double()[t[:1].expand_as(t) if one_t else t].view(-1, 1, 1, 1)
    x_t = (ab.sqrt() if ab_sqrt else ab) * x0 + sign * ((1 - ab).sqrt() if rest_sqrt else 1 - ab) * eps
    with torch.no_grad():
        err = (model((x0 if on_x0 else x_t).float(), t).double() - (x0 if target == "x0" else eps)).pow(2)
    return float(err.sum() if reduce == "sum" else err.mean())


def _reverse(model, x_t, t, betas, alpha_bar, z, noise_at_0=False, noise="sqrt_beta", div="alpha", sign=1.0,
             coef_sqrt=True) -> torch.Tensor:
    beta, ab = float(betas[t]), float(alpha_bar[t])
    with torch.no_grad():
        eps = model(x_t, torch.full((len(x_t),), t, dtype=torch.long)).double()
    coef = beta / (1 - ab) ** 0.5 if coef_sqrt else beta / (1 - ab)
    mean = x_t.double() - sign * coef * eps
    mean = mean / {"alpha": (1 - beta) ** 0.5, "alpha_bar": ab ** 0.5, "none": 1.0}[div]
    if t == 0 and not noise_at_0:
        return mean
    ab_prev = float(alpha_bar[t - 1]) if t > 0 else 1.0
    scale = {"sqrt_beta": beta ** 0.5, "beta": beta, "none": 0.0,
             "tilde": ((1 - ab_prev) / (1 - ab) * beta) ** 0.5}[noise]
    return mean + scale * z.double()


def _x0(x_t, eps_hat, t, alpha_bar, root=True, sign=1.0, multiply=False) -> torch.Tensor:
    ab = float(alpha_bar[t])
    a, b = (ab ** 0.5, (1 - ab) ** 0.5) if root else (ab, 1 - ab)
    top = x_t.double() - sign * b * eps_hat.double()
    return top * a if multiply else top / a


def _images(seed: int, n: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * scale


# --- exercise 2: the training loss -------------------------------------------------------------------
_LOSS_SLIPS = [
    (dict(ab_sqrt=False, rest_sqrt=False), "x_t used alpha_bar and 1 - alpha_bar as the weights: those are the "
     "*variances*. x_t = sqrt(alpha_bar[t]) * x0 + sqrt(1 - alpha_bar[t]) * eps: the square roots keep the "
     "variance of x_t at 1 for every t."),
    (dict(ab_sqrt=False), "x0's weight is alpha_bar[t]; it should be sqrt(alpha_bar[t]) (the mean of q(x_t | x0) "
     "is sqrt(alpha_bar_t) x0, eq. 4)."),
    (dict(rest_sqrt=False), "eps's weight is 1 - alpha_bar[t]; it should be sqrt(1 - alpha_bar[t]): 1 - alpha_bar "
     "is the variance of the noise, its standard deviation is the square root."),
    (dict(sign=-1.0), "x_t subtracted the noise: x_t = sqrt(alpha_bar[t]) * x0 + sqrt(1 - alpha_bar[t]) * eps."),
    (dict(target="x0"), "The loss compared the model's output with x0: the network predicts the noise, so the "
     "target is eps (L_simple = mean of (eps - model(x_t, t))^2)."),
    (dict(reduce="sum"), "The loss is a sum over all pixels: take the mean (F.mse_loss's default), so its size "
     "does not grow with the batch and the image, and the learning rate means the same at any size."),
    (dict(one_t=True), "Every image used the first image's step (alpha_bar[t[0]]): each image has its own step, "
     "so index with the whole tensor, alpha_bar[t], and shape it (N, 1, 1, 1) to broadcast over the pixels."),
    (dict(on_x0=True), "The model was called on x0: it must see the noisy x_t (with t), the image it learns to "
     "denoise."),
]


def _loss_cases():
    """(label, N, t, seed): different steps per image, from the first to the last."""
    return [("a batch of 4", torch.tensor([0, 3, 6, 9]), 0), ("a batch of 3", torch.tensor([9, 1, 5]), 1),
            ("a batch of 5", torch.tensor([2, 2, 7, 4, 8]), 2)]


def check_noise_loss(fn) -> bool:
    """``fn(model, x0, t, eps, alpha_bar) -> scalar tensor``: L_simple at the given t and eps."""
    name = _name(fn, "noise_loss", "check_noise_loss")
    refuse_identity(fn, LIBRARY, name)
    T = 10
    _, alpha_bar = _schedule(T)
    for label, t, seed in _loss_cases():
        n = len(t)
        x0 = _images(100 + seed, n).clamp(-1, 1)
        eps = _images(200 + seed, n)
        model = _EpsNet(T, seed)
        got = call_refusing(fn, model, x0.clone(), t.clone(), eps.clone(), alpha_bar.clone(), name=name,
                            library=LIBRARY)
        if isinstance(got, (int, float)) and not isinstance(got, bool):
            raise CheckFailed(f"{name} returned a Python number ({got:.4g}): return the loss tensor itself (no "
                              ".item(), no float()), so that training can call loss.backward() on it.")
        check(torch.is_tensor(got), f"{name} should return the loss, a tensor with one number; got "
                                    f"{type(got).__name__}.")
        check(got.numel() == 1, f"{name} returned a tensor of shape {tuple(got.shape)}: reduce it to one number, "
                                "the mean over the batch and the pixels.")
        expect_tensor(got, name=f"{name}'s loss")
        check(got.requires_grad, f"{name}'s loss does not require grad: a .detach(), a torch.no_grad() or a "
                                 "detour through numpy cut it off the model's weights, so training could not "
                                 "learn from it. Compute it from model(x_t, t) with torch operations.")
        grads = torch.autograd.grad(got.sum(), list(model.parameters()), allow_unused=True)
        check(all(g is not None and bool(g.abs().sum() > 0) for g in grads),
              f"{name}'s loss gives no gradient to the model's weights: it must be computed from model(x_t, t).")
        want, value = _loss(model, x0, t, eps, alpha_bar), float(got.detach())
        if abs(value - want) <= 1e-4 * max(1.0, abs(want)):
            continue
        prefix = f"On {label} (t = {t.tolist()}) your loss is {value:.5f}, expected {want:.5f}. "
        for kw, message in _LOSS_SLIPS:
            other = _loss(model, x0, t, eps, alpha_bar, **kw)
            if abs(value - other) <= 1e-4 * max(1.0, abs(other)):
                raise CheckFailed(prefix + message)
        raise CheckFailed(prefix + "x_t = sqrt(alpha_bar[t]) * x0 + sqrt(1 - alpha_bar[t]) * eps (alpha_bar[t] "
                          "shaped (N, 1, 1, 1)), then the mean of (eps - model(x_t, t))^2.")
    return passed("noise_loss", "x_t from x0 and eps at each image's own t, then the mean squared error on eps")


# --- exercise 4: one step back ------------------------------------------------------------------------
_STEP_SLIPS = [
    (dict(noise_at_0=True), "noise was added on the last step: at t = 0 (the paper's t = 1) the step returns the "
     "mean alone, the final image, with no noise on it."),
    (dict(noise="beta"), "The noise was scaled by beta_t: sigma_t = sqrt(beta_t), its standard deviation, so "
     "add sqrt(betas[t]) * z."),
    (dict(noise="tilde"), "The noise was scaled by the posterior's sigma (beta tilde): the paper finds both "
     "choices work, but this exercise uses sigma_t^2 = beta_t, so add sqrt(betas[t]) * z."),
    (dict(noise="none"), "No noise was added at t > 0: x_{t-1} = mean + sqrt(betas[t]) * z. Without it the "
     "chain is no longer the reverse of the forward process, and its samples come out over-smoothed."),
    (dict(div="alpha_bar"), "The mean was divided by sqrt(alpha_bar[t]): one step undoes one factor of the "
     "forward chain, sqrt(alpha_t) = sqrt(1 - betas[t]), not all of them."),
    (dict(div="none"), "The mean was not divided by sqrt(alpha_t): (x_t - betas[t] / sqrt(1 - alpha_bar[t]) * "
     "eps) / sqrt(1 - betas[t]) scales the image back up by one step's shrinking."),
    (dict(sign=-1.0), "The eps term was added: the step removes the predicted noise, x_t - betas[t] / "
     "sqrt(1 - alpha_bar[t]) * eps."),
    (dict(coef_sqrt=False), "The coefficient of eps was betas[t] / (1 - alpha_bar[t]): it is betas[t] / "
     "sqrt(1 - alpha_bar[t]), the noise's standard deviation in the denominator."),
]


def _step(fn, name, model, x_t, t, betas, alpha_bar, z) -> torch.Tensor:
    got = call_refusing(fn, model, x_t.clone(), t, betas.clone(), alpha_bar.clone(), z.clone(), name=name,
                        library=LIBRARY)
    check(torch.is_tensor(got), f"{name} should return x_(t-1), a tensor like x_t; got {type(got).__name__}.")
    expect_tensor(got, tuple(x_t.shape), name=f"{name}'s x_(t-1) at t = {t}")
    check(got.dtype == torch.float32, f"{name} returned {got.dtype}: keep x_t's float32 (the network's dtype).")
    return got.detach()


def check_reverse_step(fn) -> bool:
    """``fn(model, x_t, t, betas, alpha_bar, z) -> x_{t-1}``: eq. 11 with sigma_t^2 = beta_t and the given z."""
    name = _name(fn, "reverse_step", "check_reverse_step")
    refuse_identity(fn, LIBRARY, name)
    T = 10
    betas, alpha_bar = _schedule(T)
    for i, t in enumerate((5, T - 1, 0, 1, 3)):
        model, x_t, z = _EpsNet(T, 10 + i), _images(300 + i, 3), _images(400 + i, 3)
        got = _step(fn, name, model, x_t, t, betas, alpha_bar, z)
        model.seen.clear()
        again = _step(fn, name, model, x_t, t, betas, alpha_bar, z)
        if t > 0 and not torch.equal(got, again):
            raise CheckFailed(f"Two calls with the same x_t and the same z gave different x_(t-1) (t = {t}): draw no "
                              "noise yourself (torch.randn); the noise is the z you are given, sqrt(betas[t]) * z.")
        check(all(bool((s == t).all()) for s in model.seen),
              f"At t = {t} the model was called with steps {[s.tolist() for s in model.seen]}: give it the "
              f"current step t for every image, torch.full((N,), t, dtype=torch.long).")
        want = _reverse(model, x_t, t, betas, alpha_bar, z)
        if close(got, want, atol=1e-4):
            continue
        prefix = f"At t = {t}: "
        for kw, message in _STEP_SLIPS:
            other = _reverse(model, x_t, t, betas, alpha_bar, z, **kw)
            if not close(other, want, atol=1e-4) and close(got, other, atol=1e-4):
                raise CheckFailed(prefix + message)
        if t > 0:
            mean = _reverse(model, x_t, t, betas, alpha_bar, z, noise="none")
            resid = (got.double() - mean) / float(betas[t]) ** 0.5
            if float((resid - z.double()).abs().max()) > 1e-2 and abs(float(resid.std()) - 1) < 0.2:
                raise CheckFailed(prefix + "the mean is right but the noise is not the z you were given: add "
                                  "sqrt(betas[t]) * z, with no torch.randn of your own.")
        raise CheckFailed(prefix + f"{name} differs from x_(t-1) = (x_t - betas[t] / sqrt(1 - alpha_bar[t]) * eps) / "
                          "sqrt(1 - betas[t]) + sqrt(betas[t]) * z (no noise at t = 0), with eps = model(x_t, t "
                          "for every image).")
    return passed("reverse_step", "eq. 11 with sigma_t^2 = beta_t, the given z, and no noise at t = 0")


# --- exercise 3: the clean image that eps implies ------------------------------------------------------
def check_predict_x0(fn) -> bool:
    """``fn(x_t, eps_hat, t, alpha_bar) -> x0_hat = (x_t - sqrt(1 - alpha_bar[t]) eps_hat) / sqrt(alpha_bar[t])``."""
    name = _name(fn, "predict_x0", "check_predict_x0")
    refuse_identity(fn, LIBRARY, name)
    _, alpha_bar = _schedule(10)
    for i, t in enumerate((7, 0, 9, 3)):
        x_t, eps_hat = _images(500 + i, 3, scale=1.5), _images(600 + i, 3)
        got = call_refusing(fn, x_t.clone(), eps_hat.clone(), t, alpha_bar.clone(), name=name, library=LIBRARY)
        check(torch.is_tensor(got), f"{name} should return x0_hat, a tensor like x_t; got {type(got).__name__}.")
        expect_tensor(got, tuple(x_t.shape), name=f"{name}'s x0_hat at t = {t}")
        check(got.dtype == torch.float32, f"{name} returned {got.dtype}: keep x_t's float32.")
        want = _x0(x_t, eps_hat, t, alpha_bar)
        if close(got, want, atol=1e-4):
            continue
        prefix = f"At t = {t}: "
        if close(got, want.clamp(-1, 1), atol=1e-4):
            raise CheckFailed(prefix + "x0_hat was clipped to [-1, 1]: this exercise asks for the exact inverse of "
                              "the forward formula, and here x0_hat has values up to "
                              f"{float(want.abs().max()):.1f}. A clamp changes exactly those values; the "
                              "samplers may clip afterwards (clip_x0), as a separate choice.")
        for kw, message in [
            (dict(root=False), "No square roots: x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps, so "
                               "x0_hat = (x_t - sqrt(1 - alpha_bar[t]) * eps_hat) / sqrt(alpha_bar[t])."),
            (dict(sign=-1.0), "The noise was added: invert x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps by "
                              "*subtracting* sqrt(1 - alpha_bar[t]) * eps_hat."),
            (dict(multiply=True), "You multiplied by sqrt(alpha_bar[t]): x0 was multiplied by it on the way in, "
                                  "so divide by it on the way back."),
        ]:
            if close(got, _x0(x_t, eps_hat, t, alpha_bar, **kw), atol=1e-4):
                raise CheckFailed(prefix + message)
        raise CheckFailed(prefix + f"{name} differs from x0_hat = (x_t - sqrt(1 - alpha_bar[t]) * eps_hat) / "
                          "sqrt(alpha_bar[t]).")
    return passed("predict_x0", "the forward formula inverted, unclipped")


# --- the forward jump (nb10_forward) and the reading exercises (nb10_cases), re-exported here ----------
from .nb10_cases import (INTERPOLATION_CHOICES, TABLE_CLAIMS, check_interpolation,  # noqa: E402,F401
                         check_table_claims, table_claim_truth)
from .nb10_forward import _x_t, check_noisy  # noqa: E402,F401


# The check's own references are answers too: refused like the library's.
LIBRARY.update({f: _MSG.format(f.__name__) for f in (_loss, _reverse, _x0, _x_t)})
