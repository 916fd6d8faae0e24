"""Exercise checks of notebook 06: each passes the solution, fails the stub and a wrong answer."""
import pytest
import torch
import torch.nn.functional as F

from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb06 import check_discriminator_loss, check_generator_loss, check_lr_factor


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- lr_factor -------------------------------------------------------------------------
def lr_solution(step, total_steps):
    half = total_steps // 2
    return 1.0 if step < half else max(0.0, 1.0 - (step - half) / (total_steps - half))


def test_lr_factor():
    assert check_lr_factor(lr_solution)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_lr_factor(stub)
    with pytest.raises(CheckFailed, match="constant for the first half"):
        check_lr_factor(lambda s, t: 1 - s / t)                     # decays from the start
    with pytest.raises(CheckFailed, match="expected"):
        check_lr_factor(lambda s, t: 1.0 if s < t // 2 else 1 - (s - t // 2) / t)  # ends at 0.5


# --- discriminator loss ----------------------------------------------------------------
def d_solution(D, real, fake):
    out_real, out_fake = D(real), D(fake.detach())
    return 0.5 * (((out_real - 1) ** 2).mean() + (out_fake ** 2).mean())


def test_discriminator_loss():
    assert check_discriminator_loss(d_solution)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_discriminator_loss(stub)
    with pytest.raises(CheckFailed, match="detach"):
        check_discriminator_loss(lambda D, r, f: 0.5 * (((D(r) - 1) ** 2).mean() + (D(f) ** 2).mean()))
    with pytest.raises(CheckFailed, match="BCE"):
        check_discriminator_loss(lambda D, r, f: F.binary_cross_entropy_with_logits(D(r), torch.ones_like(D(r)))
                                 + F.binary_cross_entropy_with_logits(D(f.detach()), torch.zeros_like(D(f))))
    with pytest.raises(CheckFailed, match="factor of 2"):
        check_discriminator_loss(lambda D, r, f: 2 * d_solution(D, r, f))


# --- generator loss --------------------------------------------------------------------
def g_solution(G_AB, G_BA, D_A, D_B, real_A, real_B, lambda_cycle=10.0, lambda_identity=0.5, cycle_l2=False,
               one_way=False, idt_weight=None):
    fake_B, fake_A = G_AB(real_A), G_BA(real_B)
    gan = ((D_B(fake_B) - 1) ** 2).mean() + ((D_A(fake_A) - 1) ** 2).mean()
    dist = (lambda a, b: ((a - b) ** 2).mean()) if cycle_l2 else (lambda a, b: (a - b).abs().mean())
    cyc = dist(G_BA(fake_B), real_A) + (0 if one_way else dist(G_AB(fake_A), real_B))
    idt = (G_AB(real_B) - real_B).abs().mean() + (G_BA(real_A) - real_A).abs().mean()
    w = lambda_cycle * lambda_identity if idt_weight is None else idt_weight(lambda_cycle, lambda_identity)
    return gan + lambda_cycle * cyc + w * idt


def test_generator_loss():
    assert check_generator_loss(g_solution)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_generator_loss(stub)
    with pytest.raises(CheckFailed, match="identity terms are missing"):
        check_generator_loss(lambda *a: g_solution(*a[:7], lambda_identity=0.0))
    with pytest.raises(CheckFailed, match="relative"):
        check_generator_loss(lambda *a: g_solution(*a, idt_weight=lambda lam, li: li))
    with pytest.raises(CheckFailed, match="L1"):
        check_generator_loss(lambda *a: g_solution(*a, cycle_l2=True))
    with pytest.raises(CheckFailed, match="backward cycle"):
        check_generator_loss(lambda *a: g_solution(*a, one_way=True))
