"""Checks for notebook 02's exercises. The notebook writes the GAN step for the binary
cross-entropy game of Goodfellow et al. (2014) (``d_step_bce``, ``g_step_nonsaturating``); the
learner writes the step for the least-squares game of Mao et al. (2017) (``lsgan_d_step``,
``lsgan_g_step``), checked on tiny networks against a reference step: the loss, the weights after
one SGD step, detached fakes, stale gradients. The library's steps and losses, torch's ready-made
losses and the notebook's worked step are refused while the learner's function runs
(``_refusals``). Also: the coverage metric of Srivastava et al. (2017) on crafted sample sets, and
the share of 2-D Gaussian noise within k standard deviations (both in ``nb02_modes``). What a step
did to the weights, gradients and ``requires_grad`` flags is read by ``nb02_grads``.
``yours_or_reference`` lets the cell after the step exercises run while a step is a stub."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from .. import losses
from ..data.toy2d import ring
from ..models.toy import ToyDiscriminator, ToyGenerator
from ..train import critic as train_critic
from ..train import cyclegan as train_cyclegan
from ..train import step as train_step
from ._core import CheckFailed, check, passed
from ._refusals import call_refusing
from .nb02_grads import _arrivals, _check_flags, _did_not_move, _flags, _flat, _no_grad_in, _same, _stale_grads
from .nb02_modes import check_hq_share, check_mode_coverage  # noqa: F401 (exercises 3 and 4)

# --------------------------------------------------------------------------- what the step checks refuse
_STEP_LIBRARY = {
    train_step.d_step: "gan_helpers.train.d_step is the library's BCE step; the exercise asks you to write "
                       "the least-squares step yourself.",
    train_step.g_step: "gan_helpers.train.g_step is the library's BCE step; the exercise asks you to write "
                       "the least-squares step yourself.",
    losses.lsgan_discriminator_loss: "lsgan_discriminator_loss is the answer's loss: write the squares yourself.",
    losses.lsgan_generator_loss: "lsgan_generator_loss is the answer's loss: write the square yourself.",
    losses.discriminator_loss: "discriminator_loss is the BCE of the worked step (section 4); the least-squares "
                               "game compares D's raw outputs with the targets 1 and 0 by a squared error.",
    losses.generator_loss_nonsaturating: "generator_loss_nonsaturating is the BCE of the worked step (section 4); "
                                         "the least-squares G loss is a squared error against the target 1.",
    losses.generator_loss_saturating: "generator_loss_saturating is a BCE loss; the least-squares G loss is a "
                                      "squared error against the target 1.",
    losses.bce_with_logits_by_hand: "that is BCE; the least-squares game uses a squared error.",
    losses.bce_by_hand: "that is BCE; the least-squares game uses a squared error.",
    train_critic.critic_step: "critic_step is notebook 06's step; write the least-squares step yourself.",
    train_critic.generator_step: "generator_step is notebook 06's step; write the least-squares step yourself.",
    train_cyclegan.train_step: "train_cyclegan.train_step is notebook 08's step; write the least-squares step "
                               "yourself.",
}
_STEP_TORCH = {
    F.mse_loss: "F.mse_loss / nn.MSELoss: write the squared error yourself, e.g. ((out - 1) ** 2).mean().",
    F.binary_cross_entropy_with_logits: "binary_cross_entropy_with_logits is the BCE of the worked step; the "
                                        "least-squares game uses a squared error on D's raw outputs.",
    F.binary_cross_entropy: "binary_cross_entropy is BCE; the least-squares game uses a squared error on D's "
                            "raw outputs.",
}
_STEP_ATEN = {
    torch.ops.aten.mse_loss: "aten.mse_loss is F.mse_loss one level down: write the squared error yourself, "
                             "e.g. ((out - 1) ** 2).mean().",
    torch.ops.aten.binary_cross_entropy_with_logits: "that is the BCE of the worked step; the least-squares game "
                                                     "uses a squared error on D's raw outputs.",
    torch.ops.aten.binary_cross_entropy: "that is BCE; the least-squares game uses a squared error on D's raw "
                                         "outputs.",
}
_WORKED = {"d_step_bce": "d_step_bce is section 4's worked BCE step: the exercise asks for the least-squares "
                         "step, a different loss; write it out in your function.",
           "g_step_nonsaturating": "g_step_nonsaturating is section 4's worked BCE step: the exercise asks for the "
                                   "least-squares step, a different loss; write it out in your function."}


def _refuse_worked_alias(fn, name: str) -> None:
    """``lsgan_d_step = d_step_bce``: the learner's name bound to the worked step itself."""
    ns = getattr(fn, "__globals__", None)
    for worked, message in _WORKED.items():
        if isinstance(ns, dict) and ns.get(worked) is fn and name != worked:
            raise CheckFailed(f"{name} is {worked} itself. {message}")
    for lib, message in {**_STEP_LIBRARY, **_REFERENCES}.items():
        if fn is lib:
            raise CheckFailed(f"{name} is {lib.__qualname__} itself. {message}")


def _run(fn, *args, name: str):
    return call_refusing(fn, *args, name=name, library={**_STEP_LIBRARY, **_REFERENCES},
                         notebook=_WORKED, torch_ops=_STEP_TORCH, aten_ops=_STEP_ATEN)


# --------------------------------------------------------------------------- the reference steps (Mao et al. 2017)
def _lsgan_d_reference(G, D, opt_D, x_real, z):
    x_fake = G(z).detach()
    loss_D = 0.5 * ((D(x_real) - 1) ** 2).mean() + 0.5 * (D(x_fake) ** 2).mean()
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D.detach()


def _lsgan_g_reference(G, D, opt_G, z):
    loss_G = 0.5 * ((D(G(z)) - 1) ** 2).mean()
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G.detach()


_REFERENCES = {_lsgan_d_reference: "that is the check's own reference step: write the step yourself.",
               _lsgan_g_reference: "that is the check's own reference step: write the step yourself."}


# --------------------------------------------------------------------------- tiny cases
def _case(seed: int = 0, n_real: int = 32, n_fake: int = 24):
    """Tiny G and D (width 16) and batches of different sizes: x_real (n_real, 2) from the ring,
    z (n_fake, 2). Different sizes tell a mean over each batch from a mean over both."""
    torch.manual_seed(seed)
    G, D = ToyGenerator(2, 2, 16, 2), ToyDiscriminator(2, 16, 2)
    gen = torch.Generator().manual_seed(seed)
    return G, D, ring().sample(n_real, gen), torch.randn(n_fake, 2, generator=gen)


def _loss_value(loss, name: str) -> float:
    if torch.is_tensor(loss):
        check(loss.numel() == 1, f"{name} should return the loss as a scalar, got shape {tuple(loss.shape)}.")
        return float(loss.detach())
    check(isinstance(loss, (int, float)) and not isinstance(loss, bool),
          f"{name} should return the loss (a scalar tensor or float), got {type(loss).__name__}.")
    return float(loss)


def _name_mistake(got: float, known: dict[str, float], want: float, name: str) -> None:
    """Raise the message of the known wrong value ``got`` equals (and the right one does not)."""
    for message, value in known.items():
        if abs(got - value) < 1e-5 and abs(got - want) > 1e-5:
            raise CheckFailed(f"{name} returned {got:.4f}, expected {want:.4f}: {message}")


# --------------------------------------------------------------------------- exercise 1: the least-squares D step
def check_lsgan_d_step(lsgan_d_step) -> bool:
    """``lsgan_d_step(G, D, opt_D, x_real, z)``: one D update on
    0.5 E[(l(x_real) - 1)^2] + 0.5 E[l(G(z))^2] with G(z) detached; returns loss_D."""
    name = "lsgan_d_step"
    _refuse_worked_alias(lsgan_d_step, name)
    G, D, x_real, z = _case(0)
    G_ref, D_ref, D_stale = copy.deepcopy(G), copy.deepcopy(D), copy.deepcopy(D)
    g0, d0 = _flat(G), _flat(D)
    with torch.no_grad():
        lr, lf = D(x_real), D(G(z))
        want = float(0.5 * ((lr - 1) ** 2).mean() + 0.5 * (lf ** 2).mean())
        known = {
            "the targets are swapped: real samples get the target 1 and fakes 0 (here fakes get 1).":
                float(0.5 * (lr ** 2).mean() + 0.5 * ((lf - 1) ** 2).mean()),
            "the factor 1/2 is missing: Mao et al. write 1/2 in front of each term (with SGD a factor 2 "
            "doubles the step).": float(((lr - 1) ** 2).mean() + (lf ** 2).mean()),
            "the least-squares game scores D's raw output l(x), with no sigmoid: the targets 1 and 0 are "
            "for l, not for a probability.":
                float(0.5 * ((torch.sigmoid(lr) - 1) ** 2).mean() + 0.5 * (torch.sigmoid(lf) ** 2).mean()),
            "each term is a mean over its own batch; you summed over the samples.":
                float(0.5 * ((lr - 1) ** 2).sum() + 0.5 * (lf ** 2).sum()),
            "each term is 1/2 times the mean over its own batch; you took one mean over the real and fake "
            "samples together (the batches here have different sizes).":
                float(0.5 * torch.cat([(lr - 1) ** 2, lf ** 2]).mean()),
            "that is the BCE loss of the worked step; the least-squares game uses squared errors.":
                float(losses.discriminator_loss(lr, lf)),
        }
    opt_D = torch.optim.SGD(D.parameters(), lr=0.1)
    _stale_grads(D)
    flags = {"G": (G, _flags(G)), "D": (D, _flags(D))}
    with _arrivals(D) as arrived:
        got = _loss_value(_run(lsgan_d_step, G, D, opt_D, x_real, z, name=name), name)
    _check_flags(flags, name)
    _name_mistake(got, known, want, name)
    check(abs(got - want) < 1e-4, f"{name} returned loss_D = {got:.4f}, expected {want:.4f} = "
          "0.5 * mean((l(x_real) - 1)^2) + 0.5 * mean(l(G(z))^2), with l = D's raw output.")
    check(_no_grad_in(G), "gradients reached G during the D step: use x_fake = G(z).detach(), so the D step "
          "cannot change G and does not spend a backward pass through it.")
    check(_same(_flat(G), g0), "G's parameters changed during the D step: only opt_D may step.")
    if _same(_flat(D), d0):
        raise _did_not_move("D", arrived, D, "loss_D", "opt_D")

    opt_ref = torch.optim.SGD(D_ref.parameters(), lr=0.1)
    _stale_grads(D_ref)
    _lsgan_d_reference(G_ref, D_ref, opt_ref, x_real, z)
    if not _same(_flat(D), _flat(D_ref)):
        # The same update without zero_grad: the stale gradients are added to the new ones.
        opt_st = torch.optim.SGD(D_stale.parameters(), lr=0.1)
        _stale_grads(D_stale)
        (0.5 * ((D_stale(x_real) - 1) ** 2).mean() + 0.5 * (D_stale(G_ref(z).detach()) ** 2).mean()).backward()
        opt_st.step()
        if _same(_flat(D), _flat(D_stale)):
            raise CheckFailed("D's update includes gradients left over from the previous step: call "
                              "opt_D.zero_grad() before loss_D.backward().")
        raise CheckFailed("D's parameters after your step differ from one SGD step on loss_D: zero the grads, "
                          "backward once, step once.")
    return passed(name, f"loss_D = {got:.4f}, x_fake detached, only D updated, stale gradients cleared")


# --------------------------------------------------------------------------- exercise 2: the least-squares G step
def check_lsgan_g_step(lsgan_g_step) -> bool:
    """``lsgan_g_step(G, D, opt_G, z)``: one G update on 0.5 E[(l(G(z)) - 1)^2], the gradient
    flowing through D; returns loss_G."""
    name = "lsgan_g_step"
    _refuse_worked_alias(lsgan_g_step, name)
    G, D, _, z = _case(1)
    G_ref, D_ref = copy.deepcopy(G), copy.deepcopy(D)
    g0, d0 = _flat(G), _flat(D)
    with torch.no_grad():
        lf = D(G(z))
        want = float(0.5 * ((lf - 1) ** 2).mean())
        known = {
            "G's target is 1: it wants D to score its fakes as real. A target of 0 is D's target for fakes.":
                float(0.5 * (lf ** 2).mean()),
            "G does not maximise D's loss in the least-squares game; it minimises its own, "
            "0.5 * mean((l(G(z)) - 1)^2).": float(-0.5 * (lf ** 2).mean()),
            "the factor 1/2 is missing: Mao et al. write 1/2 in front (with SGD a factor 2 doubles the step). "
            "CycleGAN (notebook 08, and gan_helpers.losses.lsgan_generator_loss) leaves it out of G's loss; "
            "here, follow Mao et al.":
                float(((lf - 1) ** 2).mean()),
            "the least-squares game scores D's raw output l, with no sigmoid.":
                float(0.5 * ((torch.sigmoid(lf) - 1) ** 2).mean()),
            "take the mean over the batch, not the sum.": float(0.5 * ((lf - 1) ** 2).sum()),
            "that is the worked step's non-saturating BCE loss; the least-squares G loss is a squared error.":
                float(losses.generator_loss_nonsaturating(lf)),
        }
    opt_G = torch.optim.SGD(G.parameters(), lr=0.1)  # G's grads start as None: "no gradient reached G" is then clear
    flags = {"G": (G, _flags(G)), "D": (D, _flags(D))}
    with _arrivals(G) as arrived:
        got = _loss_value(_run(lsgan_g_step, G, D, opt_G, z, name=name), name)
    _check_flags(flags, name)
    _name_mistake(got, known, want, name)
    check(abs(got - want) < 1e-4, f"{name} returned loss_G = {got:.4f}, expected {want:.4f} = "
          "0.5 * mean((l(G(z)) - 1)^2), with l = D's raw output.")
    check(_same(_flat(D), d0), "D's parameters changed during the G step: only opt_G may step (D's gradients "
          "from this pass are cleared by D's own zero_grad in its next step).")
    if not arrived:
        raise CheckFailed("no gradient reached G: in the G step G(z) must NOT be detached; the gradient has to "
                          "flow back through D into G (and call loss_G.backward()).")
    if _same(_flat(G), g0):
        raise _did_not_move("G", arrived, G, "loss_G", "opt_G")
    opt_ref = torch.optim.SGD(G_ref.parameters(), lr=0.1)
    _lsgan_g_reference(G_ref, D_ref, opt_ref, z)
    check(_same(_flat(G), _flat(G_ref)), "G's parameters after your step differ from one SGD step on loss_G: "
          "zero the grads, backward once, step once.")

    # A second call with stale gradients in G catches a missing opt_G.zero_grad().
    opt_G2 = torch.optim.SGD(G.parameters(), lr=0.1)
    _stale_grads(G)
    G_ref2, D_ref2 = copy.deepcopy(G), copy.deepcopy(D)
    _run(lsgan_g_step, G, D, opt_G2, z, name=name)
    opt_ref2 = torch.optim.SGD(G_ref2.parameters(), lr=0.1)
    _stale_grads(G_ref2)
    _lsgan_g_reference(G_ref2, D_ref2, opt_ref2, z)
    check(_same(_flat(G), _flat(G_ref2)), "G's update includes gradients left over from the previous step: "
          "call opt_G.zero_grad() before loss_G.backward().")
    return passed(name, f"loss_G = {got:.4f}, gradient flows through D, only G updated, stale gradients cleared")


def yours_or_reference(lsgan_d_step, lsgan_g_step):
    """(d_step, g_step, who): the learner's two least-squares steps, or, for one that is still a
    stub (it raises NotImplementedError on a tiny case), the check's reference step with the
    same signature, so the cell after the exercises runs either way."""
    chosen = []
    for fn, fallback, kind in [(lsgan_d_step, _lsgan_d_reference, "d"), (lsgan_g_step, _lsgan_g_reference, "g")]:
        G, D, x_real, z = _case(5, 8, 8)
        opt = torch.optim.SGD((D if kind == "d" else G).parameters(), lr=0.0)  # lr 0: the probe changes nothing
        try:
            fn(G, D, opt, x_real, z) if kind == "d" else fn(G, D, opt, z)
            chosen.append((fn, "yours"))
        except NotImplementedError:
            chosen.append((fallback, "the check's reference (yours is still a stub)"))
    (d_fn, d_who), (g_fn, g_who) = chosen
    return d_fn, g_fn, f"lsgan_d_step: {d_who}, lsgan_g_step: {g_who}"
