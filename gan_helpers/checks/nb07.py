"""Exercise checks for notebook 07 (CycleGAN, Zhu et al. 2017).

* ``check_lr_factor(fn)``: the schedule, constant for the first half, then linear to 0.
* ``check_discriminator_loss(fn)``: LSGAN loss of D on real images and (detached) fakes.
* ``check_generator_loss(fn)``: the full generator objective: two LSGAN terms, two cycle
  terms weighted by lambda, two identity terms weighted by lambda_identity * lambda.
* ``check_pool(cls)``: the history of fakes (fill, then a fair coin per fake, clones, detached).
* ``check_train_step(fn)``: one whole CycleGAN update, compared with the library's step.
"""
from __future__ import annotations

import torch
from torch import nn

from ..losses import cycle_loss, identity_loss, lsgan_discriminator_loss, lsgan_generator_loss
from ._core import CheckFailed, call, check, close, expect_tensor, passed


def check_lr_factor(fn) -> bool:
    """``fn(step, total_steps) -> float``: 1 while step < total/2, then 1 - (step - half) / (total - half)."""
    cases = [(0, 100, 1.0), (49, 100, 1.0), (50, 100, 1.0), (75, 100, 0.5), (90, 100, 0.2), (100, 100, 0.0),
             (0, 10, 1.0), (7, 10, 0.6)]
    for step, total, want in cases:
        got = call(fn, step, total, name="lr_factor")
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
    got = expect_tensor(call(fn, D, real, fake, name="discriminator_loss"), name="discriminator_loss(...)")
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
    return passed("discriminator_loss", "least squares, fakes detached")


def _reference_G_loss(G_AB, G_BA, D_A, D_B, real_A, real_B, lam, lam_idt):
    fake_B, fake_A = G_AB(real_A), G_BA(real_B)
    return (lsgan_generator_loss(D_B(fake_B)) + lsgan_generator_loss(D_A(fake_A))
            + lam * (cycle_loss(real_A, G_BA(fake_B)) + cycle_loss(real_B, G_AB(fake_A)))
            + lam * lam_idt * (identity_loss(real_B, G_AB(real_B)) + identity_loss(real_A, G_BA(real_A))))


def check_generator_loss(fn) -> bool:
    """``fn(G_AB, G_BA, D_A, D_B, real_A, real_B, lambda_cycle, lambda_identity) -> scalar``."""
    torch.manual_seed(0)
    G_AB, G_BA, D_A, D_B = _TinyG(1), _TinyG(2), _TinyD(), _TinyD()
    real_A = torch.rand(3, 3, 8, 8) * 2 - 1
    real_B = torch.rand(3, 3, 8, 8) * 2 - 1
    for lam, lam_idt in [(10.0, 0.5), (3.0, 0.0), (1.0, 2.0)]:
        got = expect_tensor(call(fn, G_AB, G_BA, D_A, D_B, real_A, real_B, lam, lam_idt, name="generator_loss"),
                            name="generator_loss(...)")
        check(got.numel() == 1, f"generator_loss should return a scalar, got shape {tuple(got.shape)}.")
        want = _reference_G_loss(G_AB, G_BA, D_A, D_B, real_A, real_B, lam, lam_idt)
        if close(got, want):
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


# --- the history pool ---------------------------------------------------------------------
def _ids(batch: torch.Tensor) -> list[int]:
    return [int(round(float(img.flatten()[0]))) for img in batch]


def check_pool(cls) -> bool:
    """``cls(size)`` with ``.query(fakes) -> batch``: the reference code's history of fakes.

    Every fake sent is a constant image holding its own id, so the check can tell which
    stored or new fake D was given.
    """
    pool = call(cls, 5, name="your pool class")
    x = torch.full((2, 1, 2, 2), 0.0, requires_grad=True) + torch.tensor([0.0, 1.0]).view(2, 1, 1, 1)
    out = expect_tensor(call(pool.query, x, name="query"), (2, 1, 2, 2), name="query(fakes)")
    check(not out.requires_grad, "query returned images that still carry the generator's graph: "
                                 "detach them (D's loss must not reach G through the pool).")
    check(_ids(out) == [0, 1], f"While the pool has room it stores each fake and returns it unchanged: "
                               f"sent fakes 0 and 1, got {_ids(out)}.")
    sent = [2, 3, 4]
    probe = torch.tensor(sent, dtype=torch.float32).view(3, 1, 1, 1).repeat(1, 1, 2, 2)
    call(pool.query, probe, name="query")
    probe.fill_(-7.0)  # the caller reuses its tensor: a pool that stored views now holds -7s
    seen_old, seen_new, later_old, n_full = 0, 0, 0, 0
    for step in range(200):  # the pool (5 fakes) is full from here on
        ids = list(range(10 + 2 * step, 12 + 2 * step))
        got = _ids(call(pool.query, torch.tensor(ids, dtype=torch.float32).view(2, 1, 1, 1).repeat(1, 1, 2, 2)))
        check(-7 not in got, "The pool returned an image that was changed after it was stored: store "
                             "img.clone(), not the caller's tensor (it may be overwritten).")
        for g, i in zip(got, ids):
            n_full += 1
            if g == i:
                seen_new += 1
            else:
                check(g < i, f"query returned fake {g}, which was never sent before: return either the new "
                             "fake or one taken from the pool.")
                seen_old += 1
                later_old += g >= 10
    share = seen_old / n_full
    check(seen_old > 0, "Once the pool is full, it never returned a stored fake: with probability 0.5 each new "
                        "fake should be swapped for a random stored one (D then also sees older fakes).")
    check(seen_new > 0, "Once the pool is full, it always returned a stored fake: the other half of the time "
                        "the new fake goes to D as it is.")
    check(0.35 < share < 0.65, f"{share:.0%} of the fakes returned from a full pool were old ones; the rule is "
                               "a fair coin per fake (about 50%).")
    check(later_old > 0, "Only the first fakes ever come back: when a stored fake is returned, the new one "
                         "must take its place in the pool, so the history keeps moving.")
    empty = call(cls, 0, name="your pool class")
    got0 = call(empty.query, torch.ones(3, 1, 2, 2), name="query")
    check(tuple(got0.shape) == (3, 1, 2, 2) and bool((got0 == 1).all()),
          "A pool of size 0 keeps no history: it must return the new fakes as they are.")
    return passed("image pool", "fills, then swaps about half of the fakes for stored ones")


# --- the training step ----------------------------------------------------------------------
def _reference_step(model, opt_G, opt_D, a, b, lam, lam_idt, order="GD", detach=True, zero_grad=True):
    """The library's step, or one of the mistakes it is compared with."""
    G_AB, G_BA, D_A, D_B = model.G_AB, model.G_BA, model.D_A, model.D_B

    def g_update():
        fake_B, fake_A = G_AB(a), G_BA(b)
        loss = (lsgan_generator_loss(D_B(fake_B)) + lsgan_generator_loss(D_A(fake_A))
                + lam * (cycle_loss(a, G_BA(fake_B)) + cycle_loss(b, G_AB(fake_A)))
                + lam * lam_idt * (identity_loss(b, G_AB(b)) + identity_loss(a, G_BA(a))))
        if zero_grad:
            opt_G.zero_grad(set_to_none=True)
        loss.backward()
        opt_G.step()
        return fake_B, fake_A

    def d_update(fake_B, fake_A):
        fa, fb = (fake_A.detach(), fake_B.detach()) if detach else (fake_A, fake_B)
        loss = lsgan_discriminator_loss(D_A(a), D_A(fa)) + lsgan_discriminator_loss(D_B(b), D_B(fb))
        if zero_grad:
            opt_D.zero_grad(set_to_none=True)
        loss.backward()
        opt_D.step()

    if order == "GD":
        d_update(*g_update())
    else:  # D first, on fakes of the generators before their update
        d_update(G_AB(a), G_BA(b))
        g_update()


def _tiny_cyclegan(seed: int):
    from ..models.cyclegan import CycleGAN

    torch.manual_seed(seed)
    m = CycleGAN(g_channels=4, n_down=1, n_blocks=1, d_channels=4, d_layers=1)
    # Plain SGD, not Adam: Adam's first step is about lr * sign(grad), which turns rounding noise
    # in gradients that are 0 in exact arithmetic (biases before instance norm) into full steps.
    return m, torch.optim.SGD(m.generators(), lr=0.05), torch.optim.SGD(m.discriminators(), lr=0.05)


def _params(m) -> list[torch.Tensor]:
    return [p.detach().clone() for p in m.parameters()]


def check_train_step(fn) -> bool:
    """``fn(model, opt_G, opt_D, real_A, real_B, pool_A, pool_B, lambda_cycle, lambda_identity) -> dict``:
    one CycleGAN update, generators first, compared with the library's step over two steps."""
    from ..train.pool import ImagePool

    g = torch.Generator().manual_seed(0)
    batches = [(torch.rand(2, 3, 16, 16, generator=g) * 2 - 1, torch.rand(2, 3, 16, 16, generator=g) * 2 - 1)
               for _ in range(2)]
    lam, lam_idt = 3.0, 0.2  # not the paper's: a step that hard-codes 10 and 0.5 fails
    mine = _tiny_cyclegan(0)
    outs = []
    for a, b in batches:
        # pools of size 0 return the newest fakes (detached): the step is then deterministic
        try:
            outs.append(call(fn, *mine, a, b, ImagePool(0), ImagePool(0), lam, lam_idt, name="train_step"))
        except RuntimeError as err:
            if "backward through the graph a second time" not in str(err):
                raise
            raise CheckFailed("The discriminators' loss reached back into the generators' graph, which the "
                              "generators' backward pass had already freed: give D detached fakes "
                              "(pool.query(fake) detaches them; D's loss must not train G).") from None
    check(isinstance(outs[-1], dict), f"train_step should return a dict of loss terms, got {type(outs[-1]).__name__}.")
    for key in ("cycle_A", "cycle_B", "identity_A", "identity_B", "D_A", "D_B"):
        check(key in outs[-1], f"the dict train_step returns has no {key!r}: return every loss term, "
                               "so that the curves can be plotted.")
    got = _params(mine[0])

    def after(**variant):
        ref = _tiny_cyclegan(0)
        l, li = variant.pop("lam", lam), variant.pop("lam_idt", lam_idt)
        for a, b in batches:
            _reference_step(*ref, a, b, l, li, **variant)
        return _params(ref[0])

    def same(ps):
        return all(close(p, q, atol=1e-6, rtol=1e-5) for p, q in zip(got, ps))

    if same(after()):
        return passed("train_step", "generators then discriminators, all loss terms, the same as the library's step")
    n_G = sum(1 for _ in mine[0].G_AB.parameters()) + sum(1 for _ in mine[0].G_BA.parameters())
    want = after()
    if all(close(p, q, atol=1e-6, rtol=1e-5) for p, q in zip(got[:n_G], want[:n_G])):
        raise CheckFailed("The generators are updated correctly, the discriminators are not: D_A judges real_A "
                          "against fakes of A (G_BA(real_B)), D_B judges real_B against G_AB(real_A), each with "
                          "0.5 * [(D(real) - 1)^2 + D(fake)^2].")
    for variant, message in [
        (dict(order="DG"), "The discriminators were updated before the generators: update G_AB and G_BA first, "
                           "then D_A and D_B on the fakes of this step (from the pool)."),
        (dict(zero_grad=False), "Right after one step, wrong after two: the gradients pile up. Call "
                                "opt.zero_grad() before each backward pass."),
        (dict(lam_idt=0.0), "The identity terms are missing from the generators' loss "
                            "(lambda_cycle * lambda_identity * (|G_AB(real_B) - real_B| + |G_BA(real_A) - real_A|))."),
        (dict(lam=10.0, lam_idt=0.5), "Use the lambda_cycle and lambda_identity you are given, not the paper's "
                                      "10 and 0.5 written into the code."),
    ]:
        if same(after(**variant)):
            raise CheckFailed(message)
    raise CheckFailed("After two steps the weights differ from the library's step. Check the generators' loss "
                      "(two LSGAN terms, lambda_cycle times the two L1 cycle terms, lambda_cycle * lambda_identity "
                      "times the two identity terms), one optimiser step for both generators, then one for both "
                      "discriminators.")
