"""Checks for notebook 02's exercises (the GAN training step, Goodfellow et al. 2014):
the learner's discriminator step and non-saturating generator step are run on tiny
models and data and compared with the library's step (gan_helpers.training.d_step / g_step)."""
from __future__ import annotations

import copy

import torch

from ..losses import discriminator_loss, generator_loss_nonsaturating, generator_loss_saturating
from ..models.toy import ToyDiscriminator, ToyGenerator
from ..toy import ring
from ..training import d_step as library_d_step, g_step as library_g_step
from ._core import CheckFailed, call, check, passed


def _case(seed: int = 0, n: int = 32):
    """Tiny G and D (width 16) and a batch: x_real (n, 2) from the ring, z (n, 2)."""
    torch.manual_seed(seed)
    G, D = ToyGenerator(2, 2, 16, 2), ToyDiscriminator(2, 16, 2)
    gen = torch.Generator().manual_seed(seed)
    return G, D, ring().sample(n, gen), torch.randn(n, 2, generator=gen)


def _flat(m: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().ravel() for p in m.parameters()])


def _stale_grads(m: torch.nn.Module) -> None:
    """Fill .grad with leftovers from an earlier step, as a real training loop would have."""
    for p in m.parameters():
        p.grad = torch.full_like(p, 0.5)


def _loss_value(loss, name: str) -> float:
    if torch.is_tensor(loss):
        check(loss.numel() == 1, f"{name} should return the loss as a scalar, got shape {tuple(loss.shape)}.")
        return float(loss.detach())
    check(isinstance(loss, (int, float)), f"{name} should return the loss (a scalar tensor or float), "
          f"got {type(loss).__name__}.")
    return float(loss)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(torch.allclose(a, b, atol=1e-6, rtol=1e-5))


def check_d_step(d_step) -> bool:
    """``d_step(G, D, opt_D, x_real, z)``: one D update with x_fake detached; returns loss_D."""
    G, D, x_real, z = _case(0)
    G_ref, D_ref, D_nozero = copy.deepcopy(G), copy.deepcopy(D), copy.deepcopy(D)
    g0, d0 = _flat(G), _flat(D)
    with torch.no_grad():
        lr, lf = D(x_real), D(G(z))
        want = float(discriminator_loss(lr, lf))
        swapped = float(discriminator_loss(lf, lr))
    opt_D = torch.optim.SGD(D.parameters(), lr=0.1)
    _stale_grads(D)
    got = _loss_value(call(d_step, G, D, opt_D, x_real, z, name="d_step"), "d_step")

    if abs(got - swapped) < 1e-5 and abs(got - want) > 1e-5:
        raise CheckFailed(f"loss_D = {got:.4f} has the labels swapped: real samples are labelled 1 and "
                          f"fakes 0, i.e. discriminator_loss(D(x_real), D(x_fake)) (expected {want:.4f}).")
    if abs(got - want / 2) < 1e-5:
        raise CheckFailed(f"loss_D = {got:.4f} is half the expected {want:.4f}: add the real and fake terms "
                          "(gan_helpers.losses.discriminator_loss does), do not average them.")
    check(abs(got - want) < 1e-4, f"loss_D = {got:.4f}, expected {want:.4f} = BCE(D(x_real), 1) + "
          "BCE(D(x_fake), 0) on the logits (use discriminator_loss).")
    check(all(p.grad is None or not p.grad.abs().any() for p in G.parameters()),
          "gradients reached G during the D step: use x_fake = G(z).detach(), so the D step "
          "cannot change G and does not waste a backward pass through it.")
    check(_same(_flat(G), g0), "G's parameters changed during the D step: only opt_D may step.")
    check(not _same(_flat(D), d0), "D's parameters did not change: call loss_D.backward() and opt_D.step().")

    opt_ref = torch.optim.SGD(D_ref.parameters(), lr=0.1)
    _stale_grads(D_ref)
    library_d_step(D_ref, opt_ref, x_real, G_ref(z))
    if not _same(_flat(D), _flat(D_ref)):
        # The same update without zero_grad: the stale gradients get added to the new ones.
        opt_nz = torch.optim.SGD(D_nozero.parameters(), lr=0.1)
        _stale_grads(D_nozero)
        discriminator_loss(D_nozero(x_real), D_nozero(G_ref(z).detach())).backward()
        opt_nz.step()
        if _same(_flat(D), _flat(D_nozero)):
            raise CheckFailed("D's update includes gradients left over from the previous step: "
                              "call opt_D.zero_grad() before loss_D.backward().")
        raise CheckFailed("D's parameters after your step differ from one SGD step on loss_D: "
                          "zero the grads, backward once, step once.")
    return passed("d_step", f"loss_D = {got:.4f}, x_fake detached, only D updated")


def check_g_step(g_step) -> bool:
    """``g_step(G, D, opt_G, z)``: one G update with the non-saturating loss; returns loss_G."""
    G, D, _, z = _case(1)
    G_ref, D_ref = copy.deepcopy(G), copy.deepcopy(D)
    g0, d0 = _flat(G), _flat(D)
    with torch.no_grad():
        lf = D(G(z))
        want = float(generator_loss_nonsaturating(lf))
        sat = float(generator_loss_saturating(lf))
    opt_G = torch.optim.SGD(G.parameters(), lr=0.1)  # G's grads start as None: "no gradient reached G" is then clear
    got = _loss_value(call(g_step, G, D, opt_G, z, name="g_step"), "g_step")

    if abs(got - sat) < 1e-5 and abs(got - want) > 1e-5:
        raise CheckFailed(f"loss_G = {got:.4f} is the saturating loss log(1 - D(G(z))); this exercise asks for "
                          f"the non-saturating -log D(G(z)) = BCE(D(G(z)), 1) (expected {want:.4f}).")
    check(abs(got - want) < 1e-4, f"loss_G = {got:.4f}, expected {want:.4f} = -log D(G(z)): "
          "BCE of D's logits on the fakes against label 1 (generator_loss_nonsaturating).")
    check(_same(_flat(D), d0), "D's parameters changed during the G step: only opt_G may step "
          "(D's gradients are simply cleared by its own zero_grad next time).")
    if all(p.grad is None or not p.grad.abs().any() for p in G.parameters()):
        raise CheckFailed("no gradient reached G: in the G step x_fake = G(z) must NOT be detached, "
                          "the gradient has to flow back through D into G.")
    check(not _same(_flat(G), g0), "G's parameters did not change: call opt_G.step() after loss_G.backward().")

    opt_ref = torch.optim.SGD(G_ref.parameters(), lr=0.1)
    library_g_step(D_ref, opt_ref, G_ref(z))
    check(_same(_flat(G), _flat(G_ref)), "G's parameters after your step differ from one SGD step on "
          "loss_G: zero the grads, backward once, step once.")

    # A second call with stale gradients in G catches a missing opt_G.zero_grad().
    opt_G2 = torch.optim.SGD(G.parameters(), lr=0.1)
    _stale_grads(G)
    G_ref2 = copy.deepcopy(G)
    call(g_step, G, D, opt_G2, z, name="g_step")
    opt_ref2 = torch.optim.SGD(G_ref2.parameters(), lr=0.1)
    _stale_grads(G_ref2)
    library_g_step(copy.deepcopy(D), opt_ref2, G_ref2(z))
    check(_same(_flat(G), _flat(G_ref2)), "G's update includes gradients left over from the previous step: "
          "call opt_G.zero_grad() before loss_G.backward().")
    return passed("g_step", f"loss_G = {got:.4f} (non-saturating), gradient flows through D, only G updated")
