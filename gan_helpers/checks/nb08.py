"""Exercise checks for notebook 08 (CycleGAN, Zhu et al. 2017).

* ``check_lr_factor(fn)``: the schedule, constant for the first half, then linear to 0.
* ``check_discriminator_loss(fn)``: LSGAN loss of D on real images and (detached) fakes; its value
  and D's gradient, so that a term cut from the graph fails.
* ``check_generator_loss(fn)``: the full generator objective: two LSGAN terms, two cycle
  terms weighted by lambda, two identity terms weighted by lambda_identity * lambda; its value and
  the gradients reaching both generators.
* ``check_pool(cls)``, ``check_train_step(fn)``: in ``nb08_train`` (the library's pool and step refused).

The library's loss functions and ``lr_factor`` are refused inside the learner's (they are the answers).
"""
from __future__ import annotations

import torch
from torch import nn

from ..losses import cycle_loss, identity_loss, lsgan_discriminator_loss, lsgan_generator_loss
from ..train.cyclegan import lr_factor as _lib_lr_factor
from ._core import CheckFailed, check, close, expect_tensor, passed
from ._refusals import call_refusing, refuse_identity

_D_MSG = ("Exercise 3 asks you to write the least-squares loss yourself: gan_helpers.losses."
          "lsgan_discriminator_loss is its answer. Square the differences from the targets 1 and 0 by hand.")
_LR_MSG = ("Exercise 2 asks you to write the schedule yourself: gan_helpers.train.cyclegan.lr_factor is its "
           "answer. Return 1.0 for the first half, then a straight line down to 0.")
_G_MSG = ("Exercise 4 asks you to write the generators' objective term by term: the library's "
          "lsgan_generator_loss, cycle_loss and identity_loss are its pieces. Write each as a mean of "
          "squares or of absolute differences.")


def check_lr_factor(fn) -> bool:
    """``fn(step, total_steps) -> float``: 1 while step < total/2, then 1 - (step - half) / (total - half)."""
    cases = [(0, 100, 1.0), (49, 100, 1.0), (50, 100, 1.0), (75, 100, 0.5), (90, 100, 0.2), (100, 100, 0.0),
             (0, 10, 1.0), (7, 10, 0.6)]
    refuse_identity(fn, {_lib_lr_factor: _LR_MSG}, "lr_factor")
    for step, total, want in cases:
        got = call_refusing(fn, step, total, name="lr_factor", library={_lib_lr_factor: _LR_MSG})
        check(isinstance(got, (int, float)) or (torch.is_tensor(got) and got.numel() == 1),
              f"lr_factor should return a number, got {type(got).__name__}.")
        got = float(got)
        if abs(got - want) > 1e-6:
            hint = ""
            if step < total // 2:
                hint = " The paper keeps the learning rate constant for the first half of training."
            elif step == total:
                hint = " At the last step the factor must reach exactly 0."
            raise CheckFailed(f"lr_factor({step}, {total}) returned {got:.4f}, expected {want:.4f}.{hint}")
    return passed("lr_factor", "constant, then linear decay to 0")


class _TinyD(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 1, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


class _TinyG(nn.Module):
    def __init__(self, seed: int):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.conv = nn.Conv2d(3, 3, 1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(self.conv.weight.shape, generator=g) * 0.5)
            self.conv.bias.copy_(torch.randn(3, generator=g) * 0.1)

    def forward(self, x):
        return torch.tanh(self.conv(x))


def check_discriminator_loss(fn) -> bool:
    """``fn(D, real, fake) -> scalar``: 0.5 [mean (D(real) - 1)^2 + mean D(fake)^2], no gradient into G."""
    torch.manual_seed(0)
    D, G = _TinyD(), _TinyG(1)
    real = torch.rand(4, 3, 8, 8) * 2 - 1
    fake = G(torch.rand(4, 3, 8, 8) * 2 - 1)  # still attached to G's graph, as in training
    refuse_identity(fn, {lsgan_discriminator_loss: _D_MSG}, "discriminator_loss")
    got = expect_tensor(call_refusing(fn, D, real, fake, name="discriminator_loss",
                                      library={lsgan_discriminator_loss: _D_MSG}), name="discriminator_loss(...)")
    check(got.numel() == 1, f"discriminator_loss should return one number (a scalar), got shape {tuple(got.shape)}.")
    want = lsgan_discriminator_loss(D(real), D(fake.detach()))
    if not close(got, want):
        bce = nn.functional.binary_cross_entropy_with_logits
        as_bce = bce(D(real), torch.ones_like(D(real))) + bce(D(fake), torch.zeros_like(D(fake)))
        if close(got, as_bce):
            raise CheckFailed("That is the BCE loss. CycleGAN uses least squares: "
                              "0.5 * [mean((D(real) - 1)**2) + mean(D(fake)**2)].")
        if close(got, 2 * want):
            raise CheckFailed("Off by a factor of 2: the reference code halves the sum of the two terms.")
        raise CheckFailed(f"discriminator_loss returned {got.item():.5f}, expected {want.item():.5f}: "
                          "real images should score 1, fakes 0, each term a mean of squares.")
    if got.requires_grad:
        got.backward()
    check(G.conv.weight.grad is None,
          "Gradient reached the generator: the D step must use fake.detach(), otherwise "
          "D's loss also pushes G (and wastes a backward pass through it).")
    check(D.conv.weight.grad is not None, "No gradient reached D: compute the loss from D's outputs.")
    mine = D.conv.weight.grad.clone()

    def grad_of(loss):
        D.zero_grad(set_to_none=True)
        loss.backward()
        return D.conv.weight.grad.clone()
    want_grad = grad_of(lsgan_discriminator_loss(D(real), D(fake.detach())))
    if not close(mine, want_grad):
        if close(mine, grad_of(0.5 * ((D(real) - 1) ** 2).mean())):
            raise CheckFailed("The value is right, but only the real term trains D: D(fake) was computed under "
                              "torch.no_grad() or detached. Detach the fake image (fake.detach()), not D's output.")
        if close(mine, grad_of(0.5 * (D(fake.detach()) ** 2).mean())):
            raise CheckFailed("The value is right, but only the fake term trains D: D(real) was detached or computed "
                              "under torch.no_grad(). Both terms must reach D's weights.")
        raise CheckFailed("The value is right, but D's gradient differs from the reference: both terms must reach "
                          "D's weights (detach only the fake image).")
    return passed("discriminator_loss", "least squares, fakes detached")


def _reference_G_loss(G_AB, G_BA, D_A, D_B, real_A, real_B, lam, lam_idt):
    fake_B, fake_A = G_AB(real_A), G_BA(real_B)
    return (lsgan_generator_loss(D_B(fake_B)) + lsgan_generator_loss(D_A(fake_A))
            + lam * (cycle_loss(real_A, G_BA(fake_B)) + cycle_loss(real_B, G_AB(fake_A)))
            + lam * lam_idt * (identity_loss(real_B, G_AB(real_B)) + identity_loss(real_A, G_BA(real_A))))


def _G_grads(loss, nets) -> list[torch.Tensor]:
    for net in nets:
        net.zero_grad(set_to_none=True)
    loss.backward()
    return [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for net in nets[:2] for p in net.parameters()]


def _same_G_gradients(got, want, nets, args) -> None:
    """The value alone is not the answer: the loss must train both generators as the reference does."""
    check(got.requires_grad, "generator_loss returned a number with no graph behind it (computed under "
                             "torch.no_grad(), detached or turned into a float): the generators cannot learn from it.")
    mine, ref = _G_grads(got, nets), _G_grads(want, nets)
    if all(close(a, b) for a, b in zip(mine, ref)):
        return
    G_AB, G_BA, D_A, D_B, real_A, real_B, lam, lam_idt = args
    fake_B, fake_A = G_AB(real_A), G_BA(real_B)
    cut = _reference_G_loss(G_AB, G_BA, D_A, D_B, real_A, real_B, lam, lam_idt) - lam * (
        cycle_loss(real_A, G_BA(fake_B)) + cycle_loss(real_B, G_AB(fake_A))) + lam * (
        cycle_loss(real_A, G_BA(fake_B.detach())) + cycle_loss(real_B, G_AB(fake_A.detach())))
    if all(close(a, b) for a, b in zip(mine, _G_grads(cut, nets))):
        raise CheckFailed("The value is right, but the cycle terms were cut from the first translation "
                          "(fake_B.detach() or fake_A.detach() inside G_BA(...) / G_AB(...)): the round trip "
                          "must train both generators, the one that went out and the one that came back.")
    raise CheckFailed("The value is right, but the gradients reaching G_AB and G_BA differ from the reference: "
                      "do not detach any term (or part of one) of the generators' loss.")


def check_generator_loss(fn) -> bool:
    """``fn(G_AB, G_BA, D_A, D_B, real_A, real_B, lambda_cycle, lambda_identity) -> scalar``."""
    torch.manual_seed(0)
    G_AB, G_BA, D_A, D_B = _TinyG(1), _TinyG(2), _TinyD(), _TinyD()
    real_A = torch.rand(3, 3, 8, 8) * 2 - 1
    real_B = torch.rand(3, 3, 8, 8) * 2 - 1
    for lam, lam_idt in [(10.0, 0.5), (3.0, 0.0), (1.0, 2.0)]:
        got = expect_tensor(call_refusing(fn, G_AB, G_BA, D_A, D_B, real_A, real_B, lam, lam_idt, name="generator_loss",
                                          library={f: _G_MSG for f in (lsgan_generator_loss, cycle_loss, identity_loss,
                                                                       lsgan_discriminator_loss)}),
                            name="generator_loss(...)")
        check(got.numel() == 1, f"generator_loss should return a scalar, got shape {tuple(got.shape)}.")
        want = _reference_G_loss(G_AB, G_BA, D_A, D_B, real_A, real_B, lam, lam_idt)
        if close(got, want):
            _same_G_gradients(got, want, (G_AB, G_BA, D_A, D_B), (G_AB, G_BA, D_A, D_B, real_A, real_B, lam, lam_idt))
            continue
        no_idt = _reference_G_loss(G_AB, G_BA, D_A, D_B, real_A, real_B, lam, 0.0)
        idt_unscaled = no_idt + lam_idt * (identity_loss(real_B, G_AB(real_B)) + identity_loss(real_A, G_BA(real_A)))
        if lam_idt > 0 and close(got, no_idt):
            raise CheckFailed("The identity terms are missing: add lambda_cycle * lambda_identity * "
                              "(|G_AB(real_B) - real_B| + |G_BA(real_A) - real_A|) (L1 means).")
        if lam_idt > 0 and close(got, idt_unscaled):
            raise CheckFailed("The identity weight is relative: multiply the identity terms by "
                              "lambda_cycle * lambda_identity (5 = 10 * 0.5 in the paper), not lambda_identity alone.")
        fake_B, fake_A = G_AB(real_A), G_BA(real_B)
        l2 = (lsgan_generator_loss(D_B(fake_B)) + lsgan_generator_loss(D_A(fake_A))
              + lam * (((real_A - G_BA(fake_B)) ** 2).mean() + ((real_B - G_AB(fake_A)) ** 2).mean())
              + lam * lam_idt * (identity_loss(real_B, G_AB(real_B)) + identity_loss(real_A, G_BA(real_A))))
        if close(got, l2):
            raise CheckFailed("The cycle loss is an L1 distance (mean absolute difference), not a squared one.")
        one_way = want - lam * cycle_loss(real_B, G_AB(fake_A))
        if close(got, one_way):
            raise CheckFailed("Only one cycle is there: add the backward cycle B -> A -> B, "
                              "|G_AB(G_BA(real_B)) - real_B|.")
        raise CheckFailed(f"With lambda_cycle={lam}, lambda_identity={lam_idt}: got {got.item():.5f}, "
                          f"expected {want.item():.5f}. Sum: the two LSGAN terms (D_B(G_AB(real_A)) and "
                          "D_A(G_BA(real_B)) should score 1), lambda times the two cycle terms, and "
                          "lambda * lambda_identity times the two identity terms.")
    return passed("generator_loss", "GAN + cycle + identity terms with the paper's weights")


# --- the history pool and the training step: in nb08_train (re-exported here) -------------------
from .nb08_train import _reference_step, _tiny_cyclegan, check_pool, check_train_step  # noqa: E402,F401
