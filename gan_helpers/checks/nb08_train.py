"""Exercise checks for notebook 08's history pool and training step (CycleGAN, Zhu et al. 2017;
the pool after Shrivastava et al. 2017). Re-exported by ``checks.nb08``.

* ``check_pool(cls)``: the history of fakes (fill, then a fair coin per fake, clones, detached),
  with the library's ``ImagePool`` (the class, a subclass, a wrapper, its methods) refused.
* ``check_train_step(fn)``: one whole CycleGAN update, compared over two steps with a reference
  step on pools of nonzero size (a pool skipped, swapped or ignored shows), and its returned terms
  with the reference's; the library's ``train_step`` is refused.
"""
from __future__ import annotations

import random
from contextlib import contextmanager

import torch

from ..losses import cycle_loss, identity_loss, lsgan_discriminator_loss, lsgan_generator_loss
from ..train import cyclegan as _lib_step_module
from ..train.pool import ImagePool as _LibPool
from ._core import CheckFailed, call, check, close, expect_tensor, passed
from ._refusals import _stand_in, call_refusing, refuse_identity, refusing

_POOL_MSG = ("Exercise 1 asks you to write the pool yourself: the library's ImagePool (the class, a subclass, "
             "a wrapper around it or its methods) is its answer. Store fakes in a list of your own.")
_STEP_MSG = ("Exercise 5 asks you to write the step yourself: the library's train_step (lib_train_step in "
             "Section 6) is its answer. Write the generators' update, then the discriminators', term by term.")


@contextmanager
def _library_pool_off(fn):
    """The library's pool out of reach while the learner's code runs: its name (any alias) by ``refusing``,
    its methods on the class itself, so an instance made earlier (Section 4's ``pool``) refuses too."""
    originals = {name: _LibPool.__dict__[name] for name in ("__init__", "query")}
    library = {_LibPool: _POOL_MSG, **{f: _POOL_MSG for f in originals.values()}}

    raiser = _stand_in(_POOL_MSG)
    try:
        for name in originals:
            setattr(_LibPool, name, raiser)
        with refusing(fn, library=library):
            yield
    finally:
        for name, f in originals.items():
            setattr(_LibPool, name, f)


def _ids(batch: torch.Tensor) -> list[int]:
    return [int(round(float(img.flatten()[0]))) for img in batch]


def check_pool(cls) -> bool:
    """``cls(size)`` with ``.query(fakes) -> batch``: the reference code's history of fakes.

    Every fake sent is a constant image holding its own id, so the check can tell which
    stored or new fake D was given.
    """
    refuse_identity(cls, {_LibPool: _POOL_MSG}, "your pool class")
    if isinstance(cls, type) and issubclass(cls, _LibPool):
        raise CheckFailed(f"your pool class is built on the library's ImagePool. {_POOL_MSG}")
    query_fn = getattr(cls, "query", None)
    refuse_identity(getattr(query_fn, "__func__", query_fn), {_LibPool.query: _POOL_MSG}, "your query")
    with _library_pool_off(getattr(query_fn, "__func__", query_fn) or cls):
        return _check_pool(cls)


def _check_pool(cls) -> bool:
    state = random.getstate()
    try:  # fixed coins: the verdict does not change from one run to the next; the notebook's coins are kept
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0), random.seed(0)
            return _check_pool_seeded(cls)
    finally:
        random.setstate(state)


def _check_pool_seeded(cls) -> bool:
    pool = call(cls, 5, name="your pool class")
    x = torch.full((2, 1, 2, 2), 0.0, requires_grad=True) + torch.tensor([0.0, 1.0]).view(2, 1, 1, 1)
    out = expect_tensor(call(pool.query, x, name="query"), (2, 1, 2, 2), name="query(fakes)")
    check(not out.requires_grad, "query returned images that still carry the generator's graph: "
                                 "detach them (D's loss must not reach G through the pool).")
    check(_ids(out) == [0, 1], f"While the pool has room it stores each fake and returns it unchanged: "
                               f"sent fakes 0 and 1, got {_ids(out)}.")
    probe = torch.tensor([2, 3, 4], dtype=torch.float32).view(3, 1, 1, 1).repeat(1, 1, 2, 2)
    call(pool.query, probe, name="query")
    probe.fill_(-7.0)  # the caller reuses its tensor: a pool that stored views now holds -7s
    stored = [0, 1, 2, 3, 4]          # what the pool holds if it follows the rule (ids, in no order)
    seen_old, seen_new, later_old, n_full, mixed, ranks = 0, 0, 0, 0, 0, [0] * 5
    for step in range(500):  # the pool (5 fakes) is full from here on
        ids = list(range(10 + 2 * step, 12 + 2 * step))
        got = _ids(call(pool.query, torch.tensor(ids, dtype=torch.float32).view(2, 1, 1, 1).repeat(1, 1, 2, 2)))
        check(-7 not in got, "The pool returned an image that was changed after it was stored: store "
                             "img.clone(), not the caller's tensor (it may be overwritten).")
        mixed += len({g == i for g, i in zip(got, ids)}) == 2
        for g, i in zip(got, ids):
            n_full += 1
            if g == i:
                seen_new += 1
            else:
                check(g < i, f"query returned fake {g}, which was never sent before: return either the new "
                             "fake or one taken from the pool.")
                seen_old += 1
                later_old += g >= 10
                if g in stored:          # the new fake takes the returned one's place
                    ranks[sorted(stored).index(g)] += 1
                    stored[stored.index(g)] = i
    share = seen_old / n_full
    check(seen_old > 0, "Once the pool is full, it never returned a stored fake: with probability 0.5 each new "
                        "fake should be swapped for a random stored one (D then also sees older fakes).")
    check(seen_new > 0, "Once the pool is full, it always returned a stored fake: the other half of the time "
                        "the new fake goes to D as it is.")
    check(later_old > 0, "Only the first fakes ever come back: when a stored fake is returned, the new one "
                         "must take its place in the pool, so the history keeps moving.")
    check(mixed > 0, "Within a batch, the fakes were always all new or all old: toss one coin per fake, "
                     "not one per batch.")
    check(0.44 < share < 0.56, f"{share:.0%} of the fakes returned from a full pool were old ones; the rule is "
                               "a fair coin per fake (about 50%).")
    check(max(ranks) <= 0.45 * sum(ranks), "The stored fake handed back is nearly always the same one by age "
                                          f"(counts from oldest to newest: {ranks}): pick a random stored fake.")
    empty = call(cls, 0, name="your pool class")
    got0 = call(empty.query, torch.ones(3, 1, 2, 2), name="query")
    check(tuple(got0.shape) == (3, 1, 2, 2) and bool((got0 == 1).all()),
          "A pool of size 0 keeps no history: it must return the new fakes as they are.")
    return passed("image pool", "fills, then swaps about half of the fakes for stored ones")


# --- the training step ----------------------------------------------------------------------
class _CheckPool:
    """The reference pool rule with its own seeded coin, already full of old fakes, counting its
    queries: the same seed gives the learner's step and the reference step the same history."""

    def __init__(self, seed: int, size: int = 3, shape=(3, 16, 16)):
        self.generator = torch.Generator().manual_seed(seed)
        self.images = [torch.rand(1, *shape, generator=self.generator) * 2 - 1 for _ in range(size)]
        self.queries = 0

    def query(self, images: torch.Tensor) -> torch.Tensor:
        self.queries += 1
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if torch.rand((), generator=self.generator).item() > 0.5:
                i = int(torch.randint(0, len(self.images), (), generator=self.generator))
                out.append(self.images[i].clone())
                self.images[i] = image.clone()
            else:
                out.append(image)
        return torch.cat(out, 0)


def _reference_step(model, opt_G, opt_D, a, b, pool_A, pool_B, lam, lam_idt, order="GD", detach=True,
                    zero_grad=True, use_pool=True, swap_pools=False, zero_at_top=False, d_half=True):
    """The step of Exercise 5, or one of the mistakes it is compared with; returns its loss terms."""
    G_AB, G_BA, D_A, D_B = model.G_AB, model.G_BA, model.D_A, model.D_B
    terms = {}
    if zero_at_top:  # both optimisers zeroed once, before G's backward: D keeps G's gradients
        opt_G.zero_grad(set_to_none=True), opt_D.zero_grad(set_to_none=True)
        zero_grad = False

    def g_update():
        fake_B, fake_A = G_AB(a), G_BA(b)
        t = dict(G_gan_AB=lsgan_generator_loss(D_B(fake_B)), G_gan_BA=lsgan_generator_loss(D_A(fake_A)),
                 cycle_A=cycle_loss(a, G_BA(fake_B)), cycle_B=cycle_loss(b, G_AB(fake_A)),
                 identity_A=identity_loss(b, G_AB(b)), identity_B=identity_loss(a, G_BA(a)))
        terms.update(t)
        loss = (t["G_gan_AB"] + t["G_gan_BA"] + lam * (t["cycle_A"] + t["cycle_B"])
                + lam * lam_idt * (t["identity_A"] + t["identity_B"]))
        if zero_grad:
            opt_G.zero_grad(set_to_none=True)
        loss.backward()
        opt_G.step()
        return fake_B, fake_A

    def d_update(fake_B, fake_A):
        pa, pb = (pool_B, pool_A) if swap_pools else (pool_A, pool_B)
        qa, qb = pa.query(fake_A), pb.query(fake_B)
        if use_pool:
            fa, fb = qa, qb
        else:  # the pool is queried, but D is fed the newest fakes
            fa, fb = (fake_A.detach(), fake_B.detach()) if detach else (fake_A, fake_B)
        terms.update(D_A=lsgan_discriminator_loss(D_A(a), D_A(fa)), D_B=lsgan_discriminator_loss(D_B(b), D_B(fb)))
        loss = (terms["D_A"] + terms["D_B"]) * (1 if d_half else 2)
        if zero_grad:
            opt_D.zero_grad(set_to_none=True)
        loss.backward()
        opt_D.step()

    if order == "GD":
        d_update(*g_update())
    else:  # D first, on fakes of the generators before their update
        d_update(G_AB(a), G_BA(b))
        g_update()
    return {k: float(v.detach()) for k, v in terms.items()}


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
    one CycleGAN update, generators first, compared with a reference step over two steps, both fed by
    full pools with the same seeded coin (so D sees old fakes, and a pool that is skipped shows)."""
    refuse_identity(fn, {_lib_step_module.train_step: _STEP_MSG}, "train_step")
    g = torch.Generator().manual_seed(0)
    batches = [(torch.rand(2, 3, 16, 16, generator=g) * 2 - 1, torch.rand(2, 3, 16, 16, generator=g) * 2 - 1)
               for _ in range(2)]
    lam, lam_idt = 3.0, 0.2  # not the paper's: a step that hard-codes 10 and 0.5 fails
    mine = _tiny_cyclegan(0)
    pools = _CheckPool(1), _CheckPool(2)
    outs = []
    for a, b in batches:
        try:
            outs.append(call_refusing(fn, *mine, a, b, *pools, lam, lam_idt, name="train_step",
                                      library={_lib_step_module.train_step: _STEP_MSG}))
        except RuntimeError as err:
            if "backward through the graph a second time" not in str(err):
                raise
            raise CheckFailed("The discriminators' loss reached back into the generators' graph, which the "
                              "generators' backward pass had already freed: give D detached fakes, the ones "
                              "pool.query(fake) returns (the pool detaches them; D's loss must not train G).") from None
    check(isinstance(outs[-1], dict), f"train_step should return a dict of loss terms, got {type(outs[-1]).__name__}.")
    for key in ("cycle_A", "cycle_B", "identity_A", "identity_B", "D_A", "D_B"):
        check(key in outs[-1], f"the dict train_step returns has no {key!r}: return every loss term, "
                               "so that the curves can be plotted.")
    check(all(p.queries > 0 for p in pools),
          "The pools were never queried: D must judge fakes taken through its pool, "
          "pool_A.query(fake_A) for D_A and pool_B.query(fake_B) for D_B, so that it also sees older fakes.")
    check(all(p.queries == len(batches) for p in pools),
          f"Each pool was queried {[p.queries for p in pools]} times in {len(batches)} steps: query each pool once "
          "per step (every query changes the history) and feed what it returns to D.")
    got = _params(mine[0])

    first_terms = {}  # the reference's loss terms after its first step

    def after(**variant):
        ref = _tiny_cyclegan(0)
        ref_pools = _CheckPool(1), _CheckPool(2)
        l, li = variant.pop("lam", lam), variant.pop("lam_idt", lam_idt)
        for a, b in batches:
            terms = _reference_step(*ref, a, b, *ref_pools, l, li, **variant)
            first_terms.setdefault(bool(variant), terms)
        return _params(ref[0])

    def same(ps, n=None):
        return all(close(p, q, atol=1e-6, rtol=1e-5) for p, q in list(zip(got, ps))[:n])

    want = after()
    if same(want):
        for key, ref in first_terms[False].items():  # the terms of the first step, each unweighted
            check(key in outs[0], f"the dict train_step returns has no {key!r}: return every loss term.")
            val = float(outs[0][key].detach()) if torch.is_tensor(outs[0][key]) else outs[0][key]
            check(isinstance(val, (int, float)), f"{key!r} should be one number, got {type(val).__name__}.")
            weighted = abs(ref) > 1e-8 and any(abs(val / ref - w) < 1e-3 for w in (lam, lam * lam_idt))
            check(abs(val - ref) <= 1e-5 + 1e-4 * abs(ref), f"After the first step, {key!r} is {val:.5f}; the "
                  f"reference step gives {ref:.5f}. Return the unweighted term, the one that went into the loss."
                  + (" It looks weighted: lambda_cycle and lambda_identity belong in loss_G only." * weighted))
        return passed("train_step", "generators then discriminators, all loss terms, D fed through the pools")
    for variant, message in [
        (dict(use_pool=False), "D was given the newest fakes, not the ones the pool returned: the pool is queried "
                               "but its answer is ignored. Feed D_A(pool_A.query(fake_A)) and D_B(pool_B.query(fake_B)): "
                               "the pool hands back old fakes about half of the time, which is its whole point."),
        (dict(swap_pools=True), "The pools are swapped: pool_A holds fakes of domain A (fake_A = G_BA(real_B)) for "
                                "D_A, pool_B holds fake_B for D_B."),
        (dict(order="DG"), "The discriminators were updated before the generators: update G_AB and G_BA first, "
                           "then D_A and D_B on the fakes of this step (from the pool)."),
        (dict(zero_grad=False), "Right after one step, wrong after two: the gradients pile up. Call "
                                "opt.zero_grad() before each backward pass."),
        (dict(lam_idt=0.0), "The identity terms are missing from the generators' loss "
                            "(lambda_cycle * lambda_identity * (|G_AB(real_B) - real_B| + |G_BA(real_A) - real_A|))."),
        (dict(zero_at_top=True), "Both optimisers were zeroed once, at the top: the generators' backward pass also "
                                 "leaves gradients in D_A and D_B (their outputs are in the generators' loss), so "
                                 "opt_D.step() followed them too. Call opt_D.zero_grad() right before the "
                                 "discriminators' backward pass."),
        (dict(d_half=False), "The discriminators' loss is twice the reference's: each is 0.5 * [mean((D(real) - 1)^2) "
                             "+ mean(D(fake)^2)]; the halving slows D relative to G, as in the paper's code."),
        (dict(lam=10.0, lam_idt=0.5), "Use the lambda_cycle and lambda_identity you are given, not the paper's "
                                      "10 and 0.5 written into the code."),
    ]:
        if same(after(**variant)):
            raise CheckFailed(message)
    n_G = sum(1 for _ in mine[0].G_AB.parameters()) + sum(1 for _ in mine[0].G_BA.parameters())
    if same(want, n_G):
        raise CheckFailed("The generators are updated correctly, the discriminators are not: D_A judges real_A "
                          "against fakes of A from pool_A, D_B judges real_B against fakes of B from pool_B, each "
                          "with 0.5 * [(D(real) - 1)^2 + D(fake)^2].")
    raise CheckFailed("After two steps the weights differ from the reference step's. Check the generators' loss "
                      "(two LSGAN terms, lambda_cycle times the two L1 cycle terms, lambda_cycle * lambda_identity "
                      "times the two identity terms), one optimiser step for both generators, then one for both "
                      "discriminators on fakes taken through their pools.")
