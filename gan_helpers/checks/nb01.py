"""Checks for notebook 01's exercises (binary cross-entropy and the optimal discriminator,
Goodfellow et al. 2014; one-sided label smoothing, Salimans et al. 2016; the non-saturating loss
against the optimal D, Arjovsky and Bottou 2017). Each exercise asks for the case after the one the
notebook works out, so while the learner's function runs, torch's BCE family, the
``gan_helpers.losses`` answers and the notebook's ``bce_manual`` are refused (``_refusals``).

* ``check_bce_from_logits``: BCE from logits, exact and with the right gradient at logits of +-200;
* ``check_d_loss_smoothed``: D's loss with real targets alpha, fakes 0, from logits;
* ``check_d_star_from_logs``: D* from log-densities, exact where the densities underflow;
* ``check_far_gradient_prediction``: predicted generator gradients far from the data, measured.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .. import losses
from ..theory.optimal_d import Gaussian1D, optimal_discriminator
from ._core import CheckFailed, check, passed
from ._refusals import call_refusing, refuse_identity
from .nb01_cases import bce_cases, grad_message, nonfinite_message, raise_matching_hint, smoothed_cases

_WRITE = ("Write the loss yourself from the logits, with torch.exp, torch.log1p, clamp / abs (in exercise 2 you "
          "may call your exercise 1 function).")
_BCE_LOGITS = ("torch's BCE on logits (F.binary_cross_entropy_with_logits, called by nn.BCEWithLogitsLoss, and the "
               "same operator under torch.binary_cross_entropy_with_logits or torch.ops.aten) is refused here: it is "
               "the answer, not a way to it. ")
TORCH_BCE = {
    torch.binary_cross_entropy_with_logits: _BCE_LOGITS + _WRITE,
    F.binary_cross_entropy: "torch's BCE on probabilities (F.binary_cross_entropy, called by nn.BCELoss) is "
                            "refused here: fed sigmoid(logits) it clamps the loss at 100 and the gradient to almost "
                            "0 (section 2). " + _WRITE,
    F.binary_cross_entropy_with_logits: "torch's BCE on logits (F.binary_cross_entropy_with_logits, called by "
                                        "nn.BCEWithLogitsLoss) is refused here: it is the answer, not a way to "
                                        "it. " + _WRITE,
}
# One level lower, for the routes that skip the functions above (torch.ops.aten..., torch._C._nn...).
ATEN_BCE = {torch.ops.aten.binary_cross_entropy: "torch's BCE operator on probabilities is refused here. " + _WRITE,
            torch.ops.aten.binary_cross_entropy_with_logits: _BCE_LOGITS + _WRITE}
# Exercise 1 is the stable identity itself: torch's ready-made log(1 + e^t) routes are refused there.
_IDENTITY = ("is torch's ready-made stable log(1 + e^t) (or log sigmoid): exercise 1 asks you to write that "
             "identity. Build it from torch.exp and torch.log1p: log(1 + e^t) = max(t, 0) + log(1 + e^(-|t|)).")
TORCH_STABLE = {f: f"{n} {_IDENTITY}" for f, n in [(F.softplus, "F.softplus"), (F.logsigmoid, "F.logsigmoid"),
                (torch.logaddexp, "torch.logaddexp"), (F.log_softmax, "F.log_softmax"),
                (torch.log_softmax, "torch.log_softmax"), (F.cross_entropy, "F.cross_entropy")]}
ATEN_STABLE = {op: f"{op.__name__} {_IDENTITY}" for op in (torch.ops.aten.softplus, torch.ops.aten.log_sigmoid_forward,
                                                            torch.ops.aten.logaddexp, torch.ops.aten._log_softmax)}
LIBRARY = {f: f"gan_helpers.losses.{f.__name__} is the course's own answer. {_WRITE}"
           for f in (losses.bce_by_hand, losses.bce_with_logits_by_hand, losses.discriminator_loss,
                     losses.generator_loss_saturating, losses.generator_loss_nonsaturating)}
NOTEBOOK = {"bce_manual": "bce_manual is section 1's BCE on probabilities: fed sigmoid(logits) it gives inf "
                          "where sigmoid rounds to 0 or 1 in float32 (section 2). " + _WRITE}


def _refuse_all(fn, name: str) -> None:
    """``fn`` may not BE torch's BCE, a library loss or the notebook's worked function."""
    refuse_identity(fn, {**TORCH_BCE, **LIBRARY}, name)
    ns = getattr(fn, "__globals__", None)
    for key, message in NOTEBOOK.items():
        if isinstance(ns, dict) and ns.get(key) is fn and key != name:
            raise CheckFailed(f"{name} is {key} itself. {message}")


def _run(fn, *args, name: str, stable_too: bool = False):
    """The learner's function with torch's BCE, the library's losses and bce_manual refused (and, for
    exercise 1, torch's ready-made stable log(1 + e^t))."""
    torch_ops = {**TORCH_BCE, **TORCH_STABLE} if stable_too else TORCH_BCE
    aten_ops = {**ATEN_BCE, **ATEN_STABLE} if stable_too else ATEN_BCE
    return call_refusing(fn, *args, name=name, library=LIBRARY, notebook=NOTEBOOK, torch_ops=torch_ops,
                         aten_ops=aten_ops)


def _loss_value(out, name: str, n: int) -> float:
    check(torch.is_tensor(out), f"{name} should return a torch.Tensor, got {type(out).__name__}.")
    if out.numel() == n and n > 1:
        raise CheckFailed(f"{name} returned {n} values (shape {tuple(out.shape)}), one per sample: "
                          "take the mean over the batch to get one loss.")
    check(out.numel() == 1, f"{name} should return one number (a 0-dim tensor), got shape {tuple(out.shape)}.")
    return float(out.detach())


def _near(a: float, b: float, tol: float = 1e-5) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


def _ref(l: torch.Tensor, y) -> float:
    """Mean BCE of sigmoid(l) against y, in float64: y softplus(-l) + (1 - y) softplus(l)."""
    l = l.detach().double()
    return float((y * F.softplus(-l) + (1 - y) * F.softplus(l)).mean())


def _grad_of(out, inputs, name: str):
    check(out.requires_grad, f"{name} returned a loss without a gradient (.item(), .detach() or numpy "
          "cut the graph): D learns from this loss, so autograd must go through it.")
    return torch.autograd.grad(out, inputs, allow_unused=True)


# --------------------------------------------------------------------------- exercise 1
def check_bce_from_logits(bce_from_logits) -> bool:
    """``bce_from_logits(logits, y)``: mean of y softplus(-l) + (1 - y) softplus(l), in float32, exact
    for any logit and with gradient (sigmoid(l) - y) / N."""
    name = "bce_from_logits"
    _refuse_all(bce_from_logits, name)
    for logits, y, what in bce_cases():
        l = logits.clone().requires_grad_(True)
        out = _run(bce_from_logits, l, y.clone(), name=name, stable_too=True)
        got, want, n = _loss_value(out, f"{name} on {what}", y.numel()), _ref(logits, y.double()), y.numel()
        if not math.isfinite(got):
            raise CheckFailed(f"{name} gave {got} on {what}. {nonfinite_message(logits)}")
        if not _near(got, want):
            l64, y64 = logits.double(), y.double()
            wrong = [(-want, "the sign is flipped: log sigmoid(l) < 0, so the loss is MINUS the log-likelihood."),
                     (want * n, "you summed over the batch; take the mean."),
                     (_ref(-l64, y64), "the two terms are swapped: y goes with log sigmoid(l) (label 1 means "
                                       "'the logit should be high'), 1 - y with log(1 - sigmoid(l))."),
                     (float((y64 * F.softplus(-l64)).mean()), "the (1 - y) log(1 - sigmoid(l)) term is missing, "
                                                              "so samples labelled 0 cost nothing."),
                     (_ref(torch.sigmoid(l64), y64), "you applied sigmoid to the logits and then treated the "
                                                     "result as a logit: the inputs ARE the logits.")]
            for value, hint in wrong:
                if _near(got, value, 1e-4):
                    raise CheckFailed(f"{name} gave {got:.4f} on {what}, expected {want:.4f}: {hint}")
            extreme = float(logits.abs().max()) >= 30
            raise CheckFailed(f"{name} gave {got:.4f} on {what}, expected {want:.4f}." + (
                " Finite but wrong only at large logits: a clamp or an eps on p (or on log p) caps -log p at "
                "a constant, where the true loss of logit 40 labelled 0 is 40. Write the logs without "
                "sigmoid: -log sigmoid(l) = log(1 + e^(-l)), -log(1 - sigmoid(l)) = log(1 + e^l)."
                if extreme else " Mean BCE: -[y log sigmoid(l) + (1 - y) log(1 - sigmoid(l))] averaged."))
        (g,) = _grad_of(out, l, name)
        want_g = (torch.sigmoid(logits.double()) - y.double()) / n
        msg = grad_message(g, want_g, logits, f"{name} on {what}")
        if msg:
            raise CheckFailed(msg)
    return passed("check_bce_from_logits", "exact in float32 at logits up to +-200, gradient p - y")


# --------------------------------------------------------------------------- exercise 2
def check_d_loss_smoothed(d_loss_smoothed) -> bool:
    """``d_loss_smoothed(logits_real, logits_fake, alpha)``: BCE(D(x_real), alpha) + BCE(D(x_fake), 0)
    from logits, each a mean over its batch (Salimans et al. 2016, one-sided label smoothing)."""
    name = "d_loss_smoothed"
    _refuse_all(d_loss_smoothed, name)
    for lr0, lf0, alpha, what in smoothed_cases():
        lr, lf = lr0.clone().requires_grad_(True), lf0.clone().requires_grad_(True)
        out = _run(d_loss_smoothed, lr, lf, alpha, name=name)
        check(torch.is_tensor(out), f"{name} should return a torch.Tensor, got {type(out).__name__}.")
        check(out.numel() == 1, f"{name} should return one number (the two mean losses added), got shape "
              f"{tuple(out.shape)}: take the mean of each term.")
        got = float(out.detach())
        if not math.isfinite(got):
            raise CheckFailed(f"{name} gave {got} on {what}. {nonfinite_message(torch.cat([lr0, lf0]))} "
                              "Your exercise 1 function, given the target alpha, does it.")
        real, fake = (lambda a: _ref(lr0, a)), (lambda b: _ref(lf0, b))
        want = real(alpha) + fake(0.0)
        if _near(got, want):
            g_r, g_f = _grad_of(out, (lr, lf), name)
            for g, ref, part in [(g_r, (torch.sigmoid(lr0.double()) - alpha) / lr0.numel(), "logits_real"),
                                 (g_f, torch.sigmoid(lf0.double()) / lf0.numel(), "logits_fake")]:
                msg = grad_message(g, ref, lr0 if part == "logits_real" else lf0, f"{name} on {what} ({part})")
                if msg:
                    raise CheckFailed(msg)
            continue
        l64 = lr0.double()
        wrong = [
            (real(1.0) + fake(0.0), "that is section 4's loss: it does not change with alpha. The real "
                                    "samples' target is alpha instead of 1."),
            (real(0.9) + fake(0.0), "that is the loss for alpha = 0.9 whatever alpha is: use the argument."),
            (alpha * float(F.softplus(-l64).mean()) + fake(0.0),
             "you multiplied the real term -log D(x_real) by alpha. That weighs the real samples less but still "
             "pushes D(x_real) to 1. A soft target y = alpha keeps both BCE terms, "
             "-[alpha log D + (1 - alpha) log(1 - D)], whose minimum is at D = alpha (section 3's panel)."),
            (real(alpha) + fake(1 - alpha), "you smoothed the fakes too (target 1 - alpha). One-sided smoothing "
                                            "keeps the fakes' target at 0 (exercise 4 asks why)."),
            (real(1 - alpha) + fake(0.0), "the real target is 1 - alpha; smoothing lowers it from 1 to alpha."),
            (_ref(lf0, alpha) + _ref(lr0, 0.0), "real and fake are swapped: the target alpha is for logits_real."),
            (want / 2, "that is half: add the real and the fake term, do not average them."),
            (_ref(torch.cat([lr0, lf0]), torch.cat([torch.full_like(lr0, alpha), torch.zeros_like(lf0)])),
             "you took one mean over the real and fake logits together, which weights each batch by its size. "
             "Take the mean of each term over its own batch, then add the two."),
            (-want, "the sign is flipped: D minimises BCE, which is minus the log-likelihood."),
        ]
        for value, hint in wrong:
            if _near(got, value, 1e-4) and not _near(want, value, 1e-4):
                raise CheckFailed(f"{name} gave {got:.4f} on {what}, expected {want:.4f}: {hint}")
        raise CheckFailed(f"{name} gave {got:.4f} on {what}, expected {want:.4f} = BCE(logits_real, target alpha) "
                          "+ BCE(logits_fake, target 0), each a mean over its batch.")
    return passed("check_d_loss_smoothed", "real targets alpha, fakes 0, exact from logits at +-200")


# --------------------------------------------------------------------------- exercise 3
def _log_cases():
    """(log p_data, log p_g, what) in float64: ordinary values, then tails where exp underflows."""
    x = torch.linspace(-4, 4, 9, dtype=torch.float64)
    data, gen = Gaussian1D(0, 1), Gaussian1D(1.5, 0.7)
    # 40 to 60 std out both densities underflow to exactly 0.0 in float64, yet D* is 0.05 to 0.12 there.
    far = torch.linspace(40.0, 60.0, 5, dtype=torch.float64)
    return [(data.log_pdf(x), gen.log_pdf(x), "p_data = N(0, 1), p_g = N(1.5, 0.7^2) at x = -4 ... 4"),
            (data.log_pdf(x), data.log_pdf(x), "p_g = p_data"),
            (data.log_pdf(far), Gaussian1D(0.05, 1).log_pdf(far), "far tails: p_data = N(0, 1), p_g = N(0.05, 1) "
                                                                  "at x = 40 ... 60 (log-densities -800 to -1800)")]


def check_d_star_from_logs(d_star_from_log) -> bool:
    """``d_star_from_log(log_p_data, log_p_g)``: D* = p_data / (p_data + p_g) from the LOG-densities,
    exact even where the densities themselves underflow to 0 (answer: sigmoid(log_p_data - log_p_g))."""
    lib = {optimal_discriminator: "optimal_discriminator is the library's D* from the densities, which are "
                                  "exactly 0.0 here: write D* from the log-densities yourself."}
    refuse_identity(d_star_from_log, lib, "d_star_from_log")
    for a, b, what in _log_cases():
        name = f"d_star_from_log on {what}"
        got = call_refusing(d_star_from_log, a.clone(), b.clone(), name="d_star_from_log", library=lib)
        check(torch.is_tensor(got), f"{name} should return a torch.Tensor, got {type(got).__name__}.")
        check(tuple(got.shape) == tuple(a.shape), f"{name} has shape {tuple(got.shape)}, expected {tuple(a.shape)}.")
        got = got.detach().double()
        want = torch.sigmoid(a - b)
        if bool(torch.isfinite(got).all()) and torch.allclose(got, want, rtol=1e-6, atol=1e-12):
            continue
        if not bool(torch.isfinite(got).all()):
            raise CheckFailed(f"{name}: got nan or inf. exp(-1000) is exactly 0.0 even in float64, so "
                              "exp(a) / (exp(a) + exp(b)) becomes 0 / 0. Divide the top and the bottom by "
                              "p_data: D* = 1 / (1 + p_g / p_data) = 1 / (1 + exp(b - a)), which is sigmoid(a - b).")
        hints = [(1 - want, "you returned 1 - D* (sigmoid(log_p_g - log_p_data)). D(x) is the probability that x "
                            "is REAL: the data density goes on top."),
                 (F.logsigmoid(a - b), "you returned log D* (values below 0); the exercise asks for D* itself, "
                                       "a probability in [0, 1]."),
                 (torch.exp(a - b), "you returned the ratio p_data / p_g = exp(a - b), which is not a probability "
                                    "(it can exceed 1). D* divides by the sum p_data + p_g."),
                 (a / (a + b), "you plugged the log-densities into p_data / (p_data + p_g) as if they were "
                               "densities. Rewrite D* in terms of log p_data - log p_g."),
                 (torch.full_like(want, 0.5), "you returned 1/2 where both densities underflow: an eps or clamp "
                                              "makes two zeros equal. The log-densities still differ (by 2 to 3 "
                                              "here): use their difference.")]
        for value, hint in hints:
            if torch.allclose(got, value, rtol=1e-6, atol=1e-12):
                raise CheckFailed(f"{name}: {hint}")
        i = int((got - want).abs().argmax())
        raise CheckFailed(f"{name}: at point {i} got {float(got[i]):.6g}, expected {float(want[i]):.6g} "
                          "= p_data / (p_data + p_g).")
    return passed("check_d_star_from_logs", "D* = sigmoid(log p_data - log p_g), exact in the far tails")


# --------------------------------------------------------------------------- exercise 5
def _far_gradients(mu0: float = 8.0) -> tuple[float, float]:
    """d/dmu at mu = mu0 of E[log(1 - D*(x))] and E[-log D*(x)] for fakes x = mu + eps, eps ~ N(0, 1),
    p_data = N(0, 1), D* optimal for p_g = N(mu0, 1) and held fixed: an exact integral over eps
    (trapezoid rule, float64), differentiated by autograd."""
    data, gen0 = Gaussian1D(0.0, 1.0), Gaussian1D(mu0, 1.0)
    eps = torch.linspace(-14.0, 14.0, 28_001, dtype=torch.float64)
    weight = torch.exp(-0.5 * eps * eps) / math.sqrt(2 * math.pi)
    mu = torch.tensor(mu0, dtype=torch.float64, requires_grad=True)
    l = data.log_pdf(mu + eps) - gen0.log_pdf(mu + eps)      # D*'s logit at each fake
    minimax = torch.trapezoid(weight * -F.softplus(l), eps)  # log(1 - sigmoid(l)) = -softplus(l)
    nonsat = torch.trapezoid(weight * F.softplus(-l), eps)   # -log sigmoid(l) = softplus(-l)
    (g_minimax,) = torch.autograd.grad(minimax, mu, retain_graph=True)
    (g_nonsat,) = torch.autograd.grad(nonsat, mu)
    return float(g_minimax), float(g_nonsat)


def check_far_gradient_prediction(predicted_grad_minimax, predicted_grad_nonsat) -> bool:
    """Predictions of both generator losses' slopes in mu at p_g = N(8, 1), D = D* fixed, p_data = N(0, 1)."""
    for value, name in [(predicted_grad_minimax, "predicted_grad_minimax"),
                        (predicted_grad_nonsat, "predicted_grad_nonsat")]:
        check(value is not None, f"{name} is still None: write your prediction as a number before running the check.")
        check(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
              f"{name} should be a plain number, got {value!r}.")
    g_mm, g_ns = _far_gradients(8.0)
    logit = ("Write D*'s logit l(x) = log p_data(x) - log p_g(x) for these two Gaussians: it is linear in x, so moving "
             "a fake by dmu moves its logit by a fixed multiple of dmu. Section 5 gives the gradient per fake with "
             "respect to the logit")
    if abs(predicted_grad_nonsat - g_ns) > 0.05 * abs(g_ns):
        hints = [(0.0, "that is the minimax story. -log D* does not saturate: where the fakes are, p_g >> p_data "
                       "and -log D* = log(1 + p_g / p_data) grows with the distance."),
                 (1.0, "1 is the size of the gradient with respect to D's LOGIT (section 5: D - 1, about -1). The "
                       f"question is about the generator's mean. {logit}; chain it with dl/dmu."),
                 (-1.0, f"-1 is the gradient with respect to D's logit. {logit}; chain it with dl/dmu."),
                 (32.0, "32 = 8^2 / 2 is the loss itself there (about KL(p_g || p_data)); the question asks for its "
                        "slope in mu."),
                 (-8.0, "the sign: G minimises the loss, and moving the fakes further from the data (mu up) "
                        "makes -log D* larger, so the slope is positive.")]
        raise_matching_hint(predicted_grad_nonsat, "predicted_grad_nonsat", hints)
        raise CheckFailed(f"predicted_grad_nonsat = {predicted_grad_nonsat:g} is off by more than 5%. {logit} "
                          "(for -log D, how large is it where the fakes are?).")
    if abs(predicted_grad_minimax - g_mm) > 0.01:
        hints = [(8.0, "that is the non-saturating loss. For log(1 - D) the gradient per fake with respect to the "
                       "logit is -D*(x), and D* is almost 0 where the fakes are."),
                 (-1.0, f"-1 is the non-saturating gradient with respect to the logit. {logit}; for log(1 - D) it "
                        "is -D*(x): how large is D* where the fakes are?")]
        raise_matching_hint(predicted_grad_minimax, "predicted_grad_minimax", hints)
        raise CheckFailed(f"predicted_grad_minimax = {predicted_grad_minimax:g} is off by more than 0.01. {logit} "
                          "(-D*(x) for log(1 - D)); how large is D* where p_g = N(8, 1) puts its fakes?")
    return passed("check_far_gradient_prediction",
                  f"measured: minimax {g_mm:.5f}, non-saturating {g_ns:.4f}; their sum is exactly 8, the slope of "
                  "KL(p_g || p_data) = mu^2 / 2: the minimax G sees only the JSD, saturated at log 2 here, the "
                  "non-saturating G sees KL - 2 JSD")
