"""Exercise checks of notebook 07: each passes the solution, fails the stub and a wrong answer."""
import pytest
import torch
import torch.nn.functional as F

from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb07 import check_discriminator_loss, check_generator_loss, check_lr_factor


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


# --- the history pool -------------------------------------------------------------------
import random  # noqa: E402


class PoolSolution:
    def __init__(self, size=50):
        self.size, self.images = size, []

    def query(self, fakes):
        out = []
        for img in fakes.detach():
            if self.size == 0:
                out.append(img)
            elif len(self.images) < self.size:
                self.images.append(img.clone()); out.append(img)
            elif random.random() > 0.5:
                i = random.randrange(self.size)
                out.append(self.images[i]); self.images[i] = img.clone()
            else:
                out.append(img)
        return torch.stack(out)


class PoolNoHistory(PoolSolution):          # stores, but always hands D the newest fakes
    def query(self, fakes):
        super().query(fakes)
        return fakes.detach()


class PoolNoSwap(PoolSolution):             # returns an old fake but never stores the new one
    def query(self, fakes):
        out = []
        for img in fakes.detach():
            if len(self.images) < self.size:
                self.images.append(img.clone()); out.append(img)
            elif random.random() > 0.5:
                out.append(self.images[random.randrange(self.size)])
            else:
                out.append(img)
        return torch.stack(out)


class PoolNoClone(PoolSolution):            # stores the caller's tensor itself
    def query(self, fakes):
        out = []
        for img in fakes:
            if len(self.images) < self.size:
                self.images.append(img); out.append(img.detach())
            elif random.random() > 0.5:
                i = random.randrange(self.size)
                out.append(self.images[i].detach()); self.images[i] = img
            else:
                out.append(img.detach())
        return torch.stack(out)


class PoolNotDetached(PoolSolution):
    def query(self, fakes):
        return super().query(fakes) + 0 * fakes


def test_pool():
    from gan_helpers.checks.nb07 import check_pool
    from gan_helpers.train.pool import ImagePool
    random.seed(0)
    assert check_pool(PoolSolution)
    assert check_pool(ImagePool)  # the library's pool passes too

    class Stub:
        def __init__(self, size=50):
            pass

        def query(self, fakes):
            raise NotImplementedError()

    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_pool(Stub)
    with pytest.raises(CheckFailed, match="never returned a stored fake"):
        check_pool(PoolNoHistory)
    with pytest.raises(CheckFailed, match="must take its place"):
        check_pool(PoolNoSwap)
    with pytest.raises(CheckFailed, match="clone"):
        check_pool(PoolNoClone)
    with pytest.raises(CheckFailed, match="detach"):
        check_pool(PoolNotDetached)


# --- the training step --------------------------------------------------------------------
def test_train_step():
    from gan_helpers.checks import nb07
    from gan_helpers.train.cyclegan import train_step

    assert nb07.check_train_step(train_step)  # the library's step is the model solution
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb07.check_train_step(stub)

    for kw, match in [(dict(order="DG"), "before the generators"), (dict(zero_grad=False), "zero_grad"),
                      (dict(lam_idt=0.0), "identity terms are missing"), (dict(lam=10.0, lam_idt=0.5), "not the paper's"),
                      (dict(detach=False), "detached fakes")]:
        with pytest.raises(CheckFailed, match=match):
            nb07.check_train_step(_fresh(nb07, kw))
    with pytest.raises(CheckFailed, match="dict"):
        nb07.check_train_step(lambda *args: train_step(*args) and None)


def _fresh(nb07, kw):
    """A wrong step: the library's reference step with one mistake, on every call."""
    def step(model, opt_G, opt_D, a, b, pool_A, pool_B, lam=10.0, lam_idt=0.5):
        k = dict(kw)
        nb07._reference_step(model, opt_G, opt_D, a, b, k.pop("lam", lam), k.pop("lam_idt", lam_idt), **k)
        return {key: 0.0 for key in ("cycle_A", "cycle_B", "identity_A", "identity_B", "D_A", "D_B")}
    return step
