"""Checks for notebook 03 (vanilla MLP GAN on MNIST, Goodfellow et al. 2014): the
generator block, the discriminator block, the two BCE losses on logits, and the detach
in the discriminator step."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..losses import discriminator_loss, generator_loss_nonsaturating
from ._core import CheckFailed, call, check, close, expect_tensor, passed


def _module(value, name: str) -> nn.Module:
    check(isinstance(value, nn.Module), f"{name} should return an nn.Module (e.g. nn.Sequential), "
                                        f"got {type(value).__name__}.")
    return value


def _single(block: nn.Module, kind: type, what: str) -> nn.Module:
    found = [m for m in block.modules() if isinstance(m, kind)]
    check(len(found) == 1, f"the block should contain exactly one {kind.__name__} ({what}); found {len(found)}.")
    return found[0]


def check_generator_block(fn) -> bool:
    """``fn(in_features, out_features)`` -> Linear -> BatchNorm1d -> LeakyReLU(0.2)."""
    torch.manual_seed(0)
    block = _module(call(fn, 6, 10, name="generator_block"), "generator_block(6, 10)")
    x = torch.randn(32, 6)
    block.train()
    y = expect_tensor(call(block, x, name="your block"), (32, 10), "block(x) for x of shape (32, 6)")
    lin = _single(block, nn.Linear, "the affine map")
    check((lin.in_features, lin.out_features) == (6, 10),
          f"the Linear layer should map 6 -> 10 features, yours maps {lin.in_features} -> {lin.out_features}.")
    bn = [m for m in block.modules() if isinstance(m, nn.BatchNorm1d)]
    check(len(bn) == 1, "the block needs one nn.BatchNorm1d(out_features) after the Linear layer: "
                        "it keeps each feature's batch mean at 0 and variance at 1, which steadies G's training.")
    check(bn[0].num_features == 10, f"BatchNorm1d should normalise out_features=10 features, not {bn[0].num_features}.")
    check(not any(isinstance(m, (nn.ReLU, nn.Tanh, nn.Sigmoid)) for m in block.modules()),
          "use nn.LeakyReLU(0.2), not ReLU/Tanh/Sigmoid: a leaky slope keeps gradients alive for negative inputs.")
    act = [m for m in block.modules() if isinstance(m, nn.LeakyReLU)]
    check(len(act) == 1, "the block should end with one nn.LeakyReLU(0.2).")
    check(abs(act[0].negative_slope - 0.2) < 1e-9,
          f"the LeakyReLU slope should be 0.2 (as in DCGAN), got {act[0].negative_slope}.")
    h = F.batch_norm(F.linear(x, lin.weight, lin.bias), None, None, training=True, eps=bn[0].eps)
    ref = F.leaky_relu(h * bn[0].weight + bn[0].bias, 0.2)
    check(close(y, ref, atol=1e-4),
          "the output does not match Linear -> BatchNorm1d -> LeakyReLU(0.2) in that order. "
          "Normalise the Linear output, then apply the activation.")
    return passed("generator block", "Linear -> BatchNorm1d -> LeakyReLU(0.2)")


def check_discriminator_block(fn) -> bool:
    """``fn(in_features, out_features, dropout)`` -> Linear -> LeakyReLU(0.2) -> Dropout(dropout)."""
    torch.manual_seed(0)
    block = _module(call(fn, 20, 50, 0.3, name="discriminator_block"), "discriminator_block(20, 50, 0.3)")
    lin = _single(block, nn.Linear, "the affine map")
    check((lin.in_features, lin.out_features) == (20, 50),
          f"the Linear layer should map 20 -> 50 features, yours maps {lin.in_features} -> {lin.out_features}.")
    check(not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in block.modules()),
          "leave BatchNorm out of D's block here: this D uses dropout instead.")
    drops = [m for m in block.modules() if isinstance(m, nn.Dropout)]
    check(len(drops) == 1, "the block needs one nn.Dropout(dropout) after the activation.")
    check(abs(drops[0].p - 0.3) < 1e-9, f"use the dropout argument: called with 0.3, your Dropout has p={drops[0].p}.")
    x = torch.randn(400, 20)
    block.eval()
    y = expect_tensor(call(block, x, name="your block"), (400, 50), "block(x) in eval mode")
    ref = F.leaky_relu(F.linear(x, lin.weight, lin.bias), 0.2)
    check(close(y, ref, atol=1e-5), "in eval mode the block should compute LeakyReLU(0.2)(Linear(x)); "
                                    "check the activation (LeakyReLU with slope 0.2) and its place after the Linear.")
    block.train()
    y = call(block, x, name="your block")
    zero = float((y == 0).float().mean())
    check(0.2 < zero < 0.4, f"in training mode about 30% of the outputs should be dropped (zero); got {zero:.0%}.")
    kept = y != 0
    check(close(y[kept], (ref / 0.7)[kept], atol=1e-4), "kept outputs should be LeakyReLU(Linear(x)) / (1 - p): "
                                                        "put the Dropout last.")
    block2 = _module(call(fn, 4, 3, 0.5, name="discriminator_block"), "discriminator_block(4, 3, 0.5)")
    check(any(isinstance(m, nn.Dropout) and abs(m.p - 0.5) < 1e-9 for m in block2.modules()),
          "the dropout probability must come from the `dropout` argument.")
    return passed("discriminator block", "Linear -> LeakyReLU(0.2) -> Dropout")


def _cases():
    g = torch.Generator().manual_seed(3)
    return [(torch.randn(16, 1, generator=g) * 3, torch.randn(16, 1, generator=g) * 3),
            (torch.tensor([[8.0], [-2.0]]), torch.tensor([[-9.0], [0.5]])),
            (torch.full((4, 1), 40.0), torch.full((4, 1), -40.0))]


def check_losses(d_loss_fn, g_loss_fn) -> bool:
    """``d_loss_fn(logits_real, logits_fake)`` and ``g_loss_fn(logits_fake)`` on logits (N, 1)."""
    for lr, lf in _cases():
        want = discriminator_loss(lr, lf)
        got = expect_tensor(call(d_loss_fn, lr.clone(), lf.clone(), name="d_loss"), (), "d_loss(...)")
        if close(got, want / 2, atol=1e-4) and not close(got, want, atol=1e-4):
            raise CheckFailed("d_loss is half the expected value: D's loss is the SUM of the real term "
                              "BCE(D(x_real), 1) and the fake term BCE(D(G(z)), 0), each a batch mean.")
        if close(got, discriminator_loss(torch.sigmoid(lr), torch.sigmoid(lf)), atol=1e-4):
            raise CheckFailed("d_loss seems to apply a sigmoid before BCE-with-logits: pass the raw logits, "
                              "binary_cross_entropy_with_logits applies the sigmoid itself.")
        if close(got, discriminator_loss(lf, lr), atol=1e-4) and not close(got, want, atol=1e-4):
            raise CheckFailed("d_loss has the labels swapped: real images are labelled 1, fakes 0.")
        check(close(got, want, atol=1e-4),
              f"d_loss gives {got.item():.4f} on a test case, expected {want.item():.4f} "
              "= BCE(logits_real, ones) + BCE(logits_fake, zeros).")
        want_g = generator_loss_nonsaturating(lf)
        got_g = expect_tensor(call(g_loss_fn, lf.clone(), name="g_loss"), (), "g_loss(...)")
        if close(got_g, -F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)), atol=1e-4) \
                and not close(got_g, want_g, atol=1e-4):
            raise CheckFailed("g_loss is the saturating loss log(1 - D(G(z))). Use the non-saturating "
                              "one: BCE(D(G(z)), ones) = -log D(G(z)), whose gradient is strong when D wins.")
        if close(got_g, F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)), atol=1e-4) \
                and not close(got_g, want_g, atol=1e-4):
            raise CheckFailed("g_loss labels the fakes 0, which is D's goal. G wants D to call its fakes real: label 1.")
        check(close(got_g, want_g, atol=1e-4),
              f"g_loss gives {got_g.item():.4f} on a test case, expected {want_g.item():.4f} = BCE(logits_fake, ones).")
    lf = torch.zeros(3, 1, requires_grad=True)
    call(g_loss_fn, lf, name="g_loss").backward()
    check(lf.grad is not None and bool((lf.grad < 0).all()),
          "g_loss should give a gradient that pushes the fake logits up (towards 'real').")
    return passed("losses", "D: BCE(real, 1) + BCE(fake, 0); G: BCE(fake, 1) (non-saturating)")


def check_d_step(fn) -> bool:
    """``fn(G, D, opt_D, x_real, z)`` -> loss_D: one D update that leaves G's gradients untouched."""
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(4, 12), nn.Tanh(), nn.Unflatten(1, (1, 3, 4)))
    D = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    opt_D = torch.optim.SGD(D.parameters(), lr=0.1)
    x_real, z = torch.rand(6, 1, 3, 4) * 2 - 1, torch.randn(6, 4)
    d_before = [p.detach().clone() for p in D.parameters()]
    g_before = [p.detach().clone() for p in G.parameters()]
    with torch.no_grad():
        want = discriminator_loss(D(x_real), D(G(z)))
    loss = call(fn, G, D, opt_D, x_real, z, name="d_step")
    loss = expect_tensor(loss, (), "the returned loss_D")
    check(close(loss, want, atol=1e-5), f"loss_D is {loss.item():.4f}, expected {want.item():.4f} "
                                        "(the D loss on this real batch and G(z), before the update).")
    check(all(p.grad is None or float(p.grad.abs().sum()) == 0 for p in G.parameters()),
          "G's parameters received gradients from D's loss: the fake batch must be detached "
          "(D(x_fake.detach())) so D's backward pass stops at the fake images. Otherwise backward "
          "also runs through G, D's gradients pile up in G's .grad, and G's graph is freed, so the "
          "G phase on the same x_fake fails with 'Trying to backward through the graph a second time'.")
    check(all(torch.equal(a, b) for a, b in zip(g_before, G.parameters())), "d_step must not change G's weights.")
    check(any(not torch.equal(a, b) for a, b in zip(d_before, D.parameters())),
          "D's weights did not change: call loss_D.backward() and opt_D.step() (after opt_D.zero_grad()).")
    return passed("detach", "D's step leaves G alone")
