"""Checks for notebook 02's exercises (the GAN training step, Goodfellow et al. 2014; mode
coverage, Srivastava et al. 2017): the learner's discriminator step and non-saturating generator
step are run on tiny models and data and compared with the library's step
(gan_helpers.train.d_step / g_step); the learner's coverage metric is run on crafted sample
sets where the usual mistakes give different numbers; a predicted high-quality share is
compared with a measurement. ``yours_or_library`` lets later cells run while a step is a stub."""
from __future__ import annotations

import copy

import torch

from ..losses import discriminator_loss, generator_loss_nonsaturating, generator_loss_saturating
from ..models.toy import ToyDiscriminator, ToyGenerator
from ..data.toy2d import grid, ring
from ..metrics.modes import mode_coverage
from ..train.step import d_step as library_d_step, g_step as library_g_step
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


# --------------------------------------------------------------------------- later cells: yours, or the library's
def _library_d_step(G, D, opt_D, x_real, z):
    return library_d_step(D, opt_D, x_real, G(z))["loss_D"]


def _library_g_step(G, D, opt_G, z):
    return library_g_step(D, opt_G, G(z))


def yours_or_library(d_step, g_step):
    """(d_step, g_step, who): the learner's two step functions, or for one that is still a stub
    (it raises NotImplementedError on a tiny case) the library's step with the same signature,
    so the cells after the exercises run either way."""
    chosen = []
    for fn, fallback, args in [(d_step, _library_d_step, "d"), (g_step, _library_g_step, "g")]:
        G, D, x_real, z = _case(5, 8)
        opt = torch.optim.SGD((D if args == "d" else G).parameters(), lr=0.0)  # lr 0: the probe changes nothing
        try:
            fn(G, D, opt, x_real, z) if args == "d" else fn(G, D, opt, z)
            chosen.append((fn, "yours"))
        except NotImplementedError:
            chosen.append((fallback, "the library's (yours is still a stub)"))
    (d_fn, d_who), (g_fn, g_who) = chosen
    return d_fn, g_fn, f"d_step: {d_who}, g_step: {g_who}"


# --------------------------------------------------------------------------- exercise 3: mode coverage
def _coverage_cases():
    """Sample sets (N, 2) against the ring (std 0.02, high quality within 0.06) where the usual
    mistakes give numbers different from the protocol's."""
    data = ring()
    m, sd = data.modes, data.std
    gen = torch.Generator().manual_seed(3)
    # 40 samples: 20 sharp ones on modes 0 and 1 (within 1 std), 12 at 4 std from mode 2 (low
    # quality, but mode 2 is still their nearest), 8 halfway between modes 4 and 5 (far from all).
    sharp = m[torch.tensor([0] * 12 + [1] * 8)] + 0.5 * sd * torch.randn(20, 2, generator=gen).clamp(-1.5, 1.5)
    angle = torch.rand(12, generator=gen) * 6.283
    near = m[2] + 4 * sd * torch.stack([angle.cos(), angle.sin()], dim=1)
    between = (0.5 * (m[4] + m[5])).expand(8, 2) + 0.01 * torch.randn(8, 2, generator=gen)
    crafted = torch.cat([sharp, near, between])
    # Samples at 1.8 std of modes 3 and 6 (inside 3 std, outside 1 std): a threshold of 1 std misses them.
    angle2 = torch.rand(10, generator=gen) * 6.283
    ring2 = 1.8 * sd * torch.stack([angle2.cos(), angle2.sin()], dim=1)
    second = torch.cat([m[3] + ring2[:5], m[6] + ring2[5:], between[:2]])
    g = grid()
    real_grid = g.sample(500, torch.Generator().manual_seed(4))
    return [(crafted, m, sd, "40 crafted samples on the ring (sharp on modes 0, 1; loose around mode 2; "
                             "8 between modes 4 and 5)"),
            (second, m, sd, "12 samples on the ring at 1.8 std of modes 3 and 6, plus 2 between modes"),
            (real_grid, g.modes, g.std, "500 real samples of the 5x5 grid")]


def check_mode_coverage(coverage) -> bool:
    """``coverage(samples, modes, std)`` -> ``(modes_covered, high_quality)``: the VEEGAN protocol
    (a sample is high quality within 3 std of its nearest mode; a mode is covered by at least one
    high-quality sample; high_quality is the share of such samples, in [0, 1])."""
    for samples, modes, sd, what in _coverage_cases():
        got = call(coverage, samples.clone(), modes.clone(), sd, name="coverage")
        check(isinstance(got, (tuple, list)) and len(got) == 2,
              f"coverage should return a pair (modes_covered, high_quality), got {type(got).__name__}"
              + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "") + ".")
        covered, hq = (float(v.detach()) if torch.is_tensor(v) else v for v in got)
        check(isinstance(covered, (int, float)) and isinstance(hq, (int, float)),
              "coverage should return two numbers (an int and a share).")
        want = mode_coverage(samples, modes, sd)
        w_cov, w_hq = want["modes_covered"], want["high_quality"]
        if covered == w_cov and abs(hq - w_hq) < 1e-6:
            continue
        head = f"on {what}: got modes_covered = {covered:g}, high_quality = {hq:.4g}; expected {w_cov}, {w_hq:.4g}"
        dist, nearest = torch.cdist(samples, modes).min(dim=1)
        good = dist < 3 * sd
        n_good = int(good.sum())
        if abs(hq - n_good) < 1e-6 and n_good != w_hq:
            raise CheckFailed(f"{head}. high_quality is a share of all samples (between 0 and 1), "
                              "not a count: divide by the number of samples.")
        if covered == int(torch.unique(nearest).numel()) and covered != w_cov:
            raise CheckFailed(f"{head}. You count every mode that is the nearest mode of SOME sample; a sample "
                              "far from every mode (say halfway between two) covers nothing. Count only "
                              "high-quality samples, those within 3 std of their nearest mode.")
        if covered == n_good and covered != w_cov:
            raise CheckFailed(f"{head}. modes_covered counts high-quality samples; count the modes that have "
                              "at least one (e.g. torch.unique of their nearest-mode index).")
        for k, how in [(1.0, "1 std"), (2.0, "2 std")]:
            g_k = dist < k * sd
            if abs(hq - float(g_k.float().mean())) < 1e-6:
                raise CheckFailed(f"{head}. Your threshold looks like {how}; the protocol's is 3 standard "
                                  "deviations (dist < 3 * std).")
        if abs(hq - float((dist ** 2 < 3 * sd).float().mean())) < 1e-6 or \
                abs(hq - float((dist < 3 * sd ** 2).float().mean())) < 1e-6:
            raise CheckFailed(f"{head}. Compare the distance itself (not its square) with 3 * std (not 3 * std ** 2).")
        raise CheckFailed(f"{head}. Take each sample's distance to its nearest mode (torch.cdist, then .min(dim=1)), "
                          "call it high quality below 3 * std, and count the modes that receive one.")
    return passed("check_mode_coverage", "matches the VEEGAN protocol on crafted ring samples and on the grid")


# --------------------------------------------------------------------------- exercise 4: predict, then verify
def check_hq_prediction(predicted_hq_2std) -> bool:
    """The predicted high-quality share of REAL ring samples with a threshold of 2 std instead of 3,
    compared with a measurement on 100,000 real samples (``ring().coverage(..., n_sigma=2)``)."""
    check(predicted_hq_2std is not None, "predicted_hq_2std is still None: write your prediction as a number.")
    check(isinstance(predicted_hq_2std, (int, float)) and not isinstance(predicted_hq_2std, bool),
          f"predicted_hq_2std should be a plain number, got {predicted_hq_2std!r}.")
    p = float(predicted_hq_2std)
    check(0.0 <= p <= 1.0, f"predicted_hq_2std = {p:g}: give a share between 0 and 1 (e.g. 0.5 for 50%).")
    data = ring()
    measured = mode_coverage(data.sample(100_000, torch.Generator().manual_seed(0)), data.modes, data.std, n_sigma=2.0)["high_quality"]
    if abs(p - measured) <= 0.01:
        return passed("check_hq_prediction", f"measured on 100,000 real samples: {100 * measured:.1f}% "
                      "(theory 1 - exp(-2^2 / 2) = 86.5%)")
    hints = [(0.954, "95.4% is the one-dimensional rule (|x - mu| < 2 std). In 2-D the noise has two independent "
                     "coordinates, so the distance is rarer to be small: its square over std^2 is chi-squared "
                     "with 2 degrees of freedom, P(r < k std) = 1 - exp(-k^2 / 2)."),
             (0.989, "that is the 3 std share from section 2; the threshold here is 2 std."),
             (0.986, "that is the 3 std share measured in section 2; the threshold here is 2 std."),
             (0.982, "close: P(r < k std) = 1 - exp(-k^2 / 2); check the factor 1/2 in the exponent."),
             (0.135, "that is the share OUTSIDE 2 std; the question asks for the share inside."),
             (0.683, "68.3% is the 1-D share within ONE std."),
             (2 / 3, "the share does not scale linearly with the threshold: P(r < k std) = 1 - exp(-k^2 / 2) "
                     "for 2-D Gaussian noise (section 2 used k = 3).")]
    wrong, hint = min(hints, key=lambda h: abs(p - h[0]))  # the nearest known mistake, if close enough
    if abs(p - wrong) <= 0.0025:
        raise CheckFailed(f"predicted_hq_2std = {p:g}, measured {measured:.4f}: {hint}")
    raise CheckFailed(f"predicted_hq_2std = {p:g}, measured {measured:.4f} on 100,000 real samples. "
                      "Section 2 gives the share within 3 std for 2-D Gaussian noise; redo that with 2.")
