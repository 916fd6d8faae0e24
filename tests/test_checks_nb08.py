"""Exercise checks of notebook 08: each passes the solution, fails the stub and a wrong answer."""
import pytest
import torch
import torch.nn.functional as F

from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb08 import check_discriminator_loss, check_generator_loss, check_lr_factor


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


def test_lr_factor_refuses_the_library():
    import gan_helpers.train.cyclegan as lib
    from gan_helpers.train.cyclegan import lr_factor as lib_lr_factor
    with pytest.raises(CheckFailed, match="write the schedule yourself"):
        check_lr_factor(lib.lr_factor)
    with pytest.raises(CheckFailed, match="write the schedule yourself"):
        check_lr_factor(lambda s, t: lib_lr_factor(s, t))
    with pytest.raises(CheckFailed, match="write the schedule yourself"):
        check_lr_factor(lambda s, t: lib.lr_factor(s, t))


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


def test_discriminator_loss_needs_both_gradients():
    def fake_no_grad(D, r, f):
        with torch.no_grad():
            out_fake = D(f)
        return 0.5 * (((D(r) - 1) ** 2).mean() + (out_fake ** 2).mean())
    with pytest.raises(CheckFailed, match="only the real term trains D"):
        check_discriminator_loss(fake_no_grad)
    with pytest.raises(CheckFailed, match="only the fake term trains D"):
        check_discriminator_loss(lambda D, r, f: 0.5 * (((D(r).detach() - 1) ** 2).mean() + (D(f.detach()) ** 2).mean()))


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


def test_generator_loss_needs_the_generators_gradients():
    def under_no_grad(*a):
        with torch.no_grad():
            return g_solution(*a)
    with pytest.raises(CheckFailed, match="no graph behind it"):
        check_generator_loss(under_no_grad)

    def cut_cycle(G_AB, G_BA, D_A, D_B, real_A, real_B, lam=10.0, li=0.5):
        fake_B, fake_A = G_AB(real_A), G_BA(real_B)
        gan = ((D_B(fake_B) - 1) ** 2).mean() + ((D_A(fake_A) - 1) ** 2).mean()
        cyc = (G_BA(fake_B.detach()) - real_A).abs().mean() + (G_AB(fake_A.detach()) - real_B).abs().mean()
        idt = (G_AB(real_B) - real_B).abs().mean() + (G_BA(real_A) - real_A).abs().mean()
        return gan + lam * cyc + lam * li * idt
    with pytest.raises(CheckFailed, match="cycle terms were cut"):
        check_generator_loss(cut_cycle)


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
    from gan_helpers.checks.nb08 import check_pool
    from gan_helpers.train.pool import ImagePool
    random.seed(0)
    assert check_pool(PoolSolution)

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


class PoolBiasedCoin(PoolSolution):         # swaps 60% of the time
    def query(self, fakes):
        out = []
        for img in fakes.detach():
            if len(self.images) < self.size:
                self.images.append(img.clone()); out.append(img)
            elif random.random() < 0.6:
                i = random.randrange(self.size)
                out.append(self.images[i]); self.images[i] = img.clone()
            else:
                out.append(img)
        return torch.stack(out)


class PoolCoinPerBatch(PoolSolution):       # one coin for the whole batch
    def query(self, fakes):
        if len(self.images) < self.size:
            return super().query(fakes)
        swap, out = random.random() > 0.5, []
        for img in fakes.detach():
            if swap:
                i = random.randrange(self.size)
                out.append(self.images[i]); self.images[i] = img.clone()
            else:
                out.append(img)
        return torch.stack(out)


class PoolOldestInTurn(PoolSolution):       # no coin: every other fake is swapped for the oldest stored one
    turn = 0

    def query(self, fakes):
        out = []
        for img in fakes.detach():
            if len(self.images) < self.size:
                self.images.append(img.clone()); out.append(img)
                continue
            self.turn += 1
            if self.turn % 2:
                out.append(self.images.pop(0)); self.images.append(img.clone())
            else:
                out.append(img)
        return torch.stack(out)


@pytest.mark.parametrize("cls, match", [(PoolBiasedCoin, "60% of the fakes"), (PoolCoinPerBatch, "one per batch"),
                                        (PoolOldestInTurn, "same one by age")])
def test_pool_needs_a_fair_coin_per_fake_and_a_random_stored_fake(cls, match):
    from gan_helpers.checks.nb08 import check_pool
    with pytest.raises(CheckFailed, match=match):
        check_pool(cls)


def test_pool_check_is_seeded_and_leaves_the_global_coins_alone():
    from gan_helpers.checks.nb08 import check_pool
    random.seed(123); torch.manual_seed(123)
    before = random.random(), torch.rand(1)
    random.seed(123); torch.manual_seed(123)
    for seed in range(3):                         # the right answer passes whatever the notebook's seed
        random.seed(seed)
        assert check_pool(PoolSolution)
    random.seed(123); torch.manual_seed(123)
    check_pool(PoolSolution)
    assert (random.random(), torch.rand(1)) == before


def test_pool_refuses_the_library_pool_and_its_wrappers():
    from gan_helpers.checks.nb08 import check_pool
    from gan_helpers.train.pool import ImagePool

    class Sub(ImagePool):                          # a subclass of the library's pool
        pass

    class Wrapper:                                 # a wrapper that builds the library's pool
        def __init__(self, size=50):
            self.inner = ImagePool(size)

        def query(self, fakes):
            return self.inner.query(fakes)

    earlier = ImagePool(5)                         # an instance made before the check (Section 4's `pool`)

    class Borrow:
        def __init__(self, size=50):
            self.size = size

        def query(self, fakes):
            return earlier.query(fakes)

    class MethodCopy:
        __init__ = ImagePool.__init__
        query = ImagePool.query

    for cls in (ImagePool, Sub, Wrapper, Borrow, MethodCopy):
        with pytest.raises(CheckFailed, match="write the pool yourself"):
            check_pool(cls)
    assert ImagePool(2).query(torch.zeros(3, 1, 2, 2)).shape == (3, 1, 2, 2)   # restored afterwards


# --- the training step --------------------------------------------------------------------
def step_solution(model, opt_G, opt_D, real_A, real_B, pool_A, pool_B, lambda_cycle=10.0, lambda_identity=0.5,
                  mistake=None):
    """The notebook's model solution (cell of Exercise 5), with one optional mistake."""
    from gan_helpers.losses import cycle_loss, identity_loss, lsgan_discriminator_loss, lsgan_generator_loss
    G_AB, G_BA, D_A, D_B = model.G_AB, model.G_BA, model.D_A, model.D_B
    if mistake == "zero at top":                   # D keeps the gradients of the generators' loss
        opt_G.zero_grad(set_to_none=True)
        opt_D.zero_grad(set_to_none=True)
    fake_B, fake_A = G_AB(real_A), G_BA(real_B)
    loss_gan_AB, loss_gan_BA = lsgan_generator_loss(D_B(fake_B)), lsgan_generator_loss(D_A(fake_A))
    loss_cyc_A, loss_cyc_B = cycle_loss(real_A, G_BA(fake_B)), cycle_loss(real_B, G_AB(fake_A))
    loss_idt_A, loss_idt_B = identity_loss(real_B, G_AB(real_B)), identity_loss(real_A, G_BA(real_A))
    loss_G = (loss_gan_AB + loss_gan_BA + lambda_cycle * (loss_cyc_A + loss_cyc_B)
              + lambda_cycle * lambda_identity * (loss_idt_A + loss_idt_B))
    if mistake != "zero at top":
        opt_G.zero_grad(set_to_none=True)
    loss_G.backward()
    opt_G.step()
    if mistake == "new fakes":                     # queries the pools, then feeds D the newest fakes
        pool_A.query(fake_A), pool_B.query(fake_B)
        fa, fb = fake_A.detach(), fake_B.detach()
    elif mistake == "no pool":                     # never queries the pools
        fa, fb = fake_A.detach(), fake_B.detach()
    elif mistake == "swapped":
        fa, fb = pool_B.query(fake_A), pool_A.query(fake_B)
    elif mistake == "twice":
        pool_A.query(fake_A)
        fa, fb = pool_A.query(fake_A), pool_B.query(fake_B)
    else:
        fa, fb = pool_A.query(fake_A), pool_B.query(fake_B)
    loss_D_A = lsgan_discriminator_loss(D_A(real_A), D_A(fa))
    loss_D_B = lsgan_discriminator_loss(D_B(real_B), D_B(fb))
    if mistake != "zero at top":
        opt_D.zero_grad(set_to_none=True)
    ((loss_D_A + loss_D_B) * (2 if mistake == "no half" else 1)).backward()
    opt_D.step()
    if mistake == "weighted":
        loss_cyc_A, loss_cyc_B = lambda_cycle * loss_cyc_A, lambda_cycle * loss_cyc_B
    if mistake == "zeros":
        loss_D_A = loss_D_B = 0.0
    if mistake == "no G keys":
        return dict(cycle_A=loss_cyc_A.item(), cycle_B=loss_cyc_B.item(), identity_A=loss_idt_A.item(),
                    identity_B=loss_idt_B.item(), D_A=loss_D_A.item(), D_B=loss_D_B.item())
    return dict(G_gan_AB=loss_gan_AB, G_gan_BA=loss_gan_BA, cycle_A=loss_cyc_A, cycle_B=loss_cyc_B,
                identity_A=loss_idt_A, identity_B=loss_idt_B, D_A=loss_D_A, D_B=loss_D_B)


def test_train_step():
    from gan_helpers.checks import nb08

    assert nb08.check_train_step(step_solution)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb08.check_train_step(stub)

    for kw, match in [(dict(order="DG"), "before the generators"), (dict(zero_grad=False), "zero_grad"),
                      (dict(lam_idt=0.0), "identity terms are missing"), (dict(lam=10.0, lam_idt=0.5), "not the paper's"),
                      (dict(detach=False, use_pool=False), "detached fakes")]:
        with pytest.raises(CheckFailed, match=match):
            nb08.check_train_step(_fresh(nb08, kw))
    with pytest.raises(CheckFailed, match="dict"):
        nb08.check_train_step(lambda *args: step_solution(*args) and None)


@pytest.mark.parametrize("mistake, match", [("new fakes", "newest fakes, not the ones the pool returned"),
                                            ("no pool", "never queried"), ("swapped", "pools are swapped"),
                                            ("twice", "once per step")])
def test_train_step_sees_a_misused_pool(mistake, match):
    from gan_helpers.checks import nb08
    with pytest.raises(CheckFailed, match=match):
        nb08.check_train_step(lambda *a: step_solution(*a, mistake=mistake))


@pytest.mark.parametrize("mistake, match", [
    ("zero at top", "zeroed once, at the top"), ("no half", "twice the reference's"),
    ("weighted", "'cycle_A' is .*looks weighted"), ("zeros", "'D_A' is 0.00000"), ("no G keys", "no 'G_gan_AB'")])
def test_train_step_checks_the_order_and_the_returned_terms(mistake, match):
    from gan_helpers.checks import nb08
    with pytest.raises(CheckFailed, match=match):
        nb08.check_train_step(lambda *a: step_solution(*a, mistake=mistake))


def test_train_step_accepts_floats():
    from gan_helpers.checks import nb08
    assert nb08.check_train_step(lambda *a: {k: v.item() for k, v in step_solution(*a).items()})


def test_train_step_refuses_the_library_step():
    from gan_helpers.checks import nb08
    from gan_helpers.train.cyclegan import train_step
    from gan_helpers.train.cyclegan import train_step as lib_train_step  # the notebook's alias

    with pytest.raises(CheckFailed, match="write the step yourself"):
        nb08.check_train_step(train_step)          # train_step = the library's

    def calls_library(*args):
        return lib_train_step(*args)

    def calls_module(*args):
        from gan_helpers.train import cyclegan
        return cyclegan.train_step(*args)

    for fn in (calls_library, calls_module):
        with pytest.raises(CheckFailed, match="write the step yourself"):
            nb08.check_train_step(fn)


def test_losses_refuse_the_library_losses():
    from gan_helpers.losses import cycle_loss, identity_loss, lsgan_discriminator_loss, lsgan_generator_loss
    with pytest.raises(CheckFailed, match="Exercise 3"):
        check_discriminator_loss(lambda D, r, f: lsgan_discriminator_loss(D(r), D(f.detach())))

    def g_lib(G_AB, G_BA, D_A, D_B, a, b, lam=10.0, li=0.5):
        fb, fa = G_AB(a), G_BA(b)
        return (lsgan_generator_loss(D_B(fb)) + lsgan_generator_loss(D_A(fa))
                + lam * (cycle_loss(a, G_BA(fb)) + cycle_loss(b, G_AB(fa)))
                + lam * li * (identity_loss(b, G_AB(b)) + identity_loss(a, G_BA(a))))
    with pytest.raises(CheckFailed, match="Exercise 4"):
        check_generator_loss(g_lib)


def _fresh(nb08, kw):
    """A wrong step: the reference step with one mistake, on every call."""
    def step(model, opt_G, opt_D, a, b, pool_A, pool_B, lam=10.0, lam_idt=0.5):
        k = dict(kw)
        nb08._reference_step(model, opt_G, opt_D, a, b, pool_A, pool_B, k.pop("lam", lam), k.pop("lam_idt", lam_idt), **k)
        return {key: 0.0 for key in ("cycle_A", "cycle_B", "identity_A", "identity_B", "D_A", "D_B")}
    return step
