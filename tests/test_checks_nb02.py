"""Notebook 02's exercise checks: each passes the model solution and fails nbgrader's stub, the
typical wrong answers (with the message that names them), the library's shortcut and a copy or
wrapper of the notebook's worked cell."""
import functools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_helpers import losses, train
from gan_helpers.checks import CheckFailed
from gan_helpers.checks import nb02
from gan_helpers.checks.nb02 import (check_hq_share, check_lsgan_d_step, check_lsgan_g_step, check_mode_coverage,
                                     yours_or_reference)

# Section 4's worked cell, as the notebook defines it (the exercises ask for the next case).
WORKED_CELL = '''
from gan_helpers.losses import discriminator_loss, generator_loss_nonsaturating


def d_step_bce(G, D, opt_D, x_real, z):
    x_fake = G(z).detach()
    loss_D = discriminator_loss(D(x_real), D(x_fake))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D.detach()


def g_step_nonsaturating(G, D, opt_G, z):
    loss_G = generator_loss_nonsaturating(D(G(z)))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G.detach()
'''


def notebook(source: str) -> dict:
    """A namespace like the notebook's: the worked cell, then the learner's cell."""
    ns = {"torch": torch, "F": F, "nn": nn, "losses": losses, "train": train}
    exec(WORKED_CELL, ns)
    exec(source, ns)
    return ns


def d_solution(G, D, opt_D, x_real, z):
    x_fake = G(z).detach()
    loss_D = 0.5 * ((D(x_real) - 1) ** 2).mean() + 0.5 * (D(x_fake) ** 2).mean()
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D


def g_solution(G, D, opt_G, z):
    loss_G = 0.5 * ((D(G(z)) - 1) ** 2).mean()
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G.item()


def stub(*args):
    raise NotImplementedError()


def _d(loss_fn, detach=True, zero_grad=True, step=True, ret=True, zero_after=False, backward=True, freeze_G=False):
    """A D step with one thing changed."""
    def lsgan_d_step(G, D, opt_D, x_real, z):
        if freeze_G:                                   # instead of detaching, and never switched back on
            for p in G.parameters():
                p.requires_grad_(False)
        x_fake = G(z).detach() if detach else G(z)
        loss_D = loss_fn(D(x_real), D(x_fake))
        if zero_grad:
            opt_D.zero_grad()
        if backward:
            loss_D.backward()
        if zero_after:
            opt_D.zero_grad()
        if step:
            opt_D.step()
        return loss_D if ret else None
    return lsgan_d_step


def _g(loss_fn, detach=False, zero_grad=True, step=True, step_D=False, zero_after=False, freeze_D=False):
    def lsgan_g_step(G, D, opt_G, z):
        if freeze_D:                                   # D frozen for good: the next D step cannot train it
            for p in D.parameters():
                p.requires_grad_(False)
        x_fake = G(z).detach() if detach else G(z)
        loss_G = loss_fn(D(x_fake))
        if zero_grad:
            opt_G.zero_grad()
        if x_fake.requires_grad:
            loss_G.backward()
        if zero_after:
            opt_G.zero_grad()
        if step:
            opt_G.step()
        if step_D:
            with torch.no_grad():
                for p in D.parameters():
                    p -= 0.1 * p.grad
        return loss_G
    return lsgan_g_step


LS_D = lambda lr, lf: 0.5 * ((lr - 1) ** 2).mean() + 0.5 * (lf ** 2).mean()  # noqa: E731
LS_G = lambda lf: 0.5 * ((lf - 1) ** 2).mean()  # noqa: E731
S = torch.sigmoid

D_WRONG = {
    "swapped": _d(lambda lr, lf: 0.5 * (lr ** 2).mean() + 0.5 * ((lf - 1) ** 2).mean()),
    "factor 1/2 is missing": _d(lambda lr, lf: ((lr - 1) ** 2).mean() + (lf ** 2).mean()),
    "no sigmoid": _d(lambda lr, lf: 0.5 * ((S(lr) - 1) ** 2).mean() + 0.5 * (S(lf) ** 2).mean()),
    "you summed": _d(lambda lr, lf: 0.5 * ((lr - 1) ** 2).sum() + 0.5 * (lf ** 2).sum()),
    "together": _d(lambda lr, lf: 0.5 * torch.cat([(lr - 1) ** 2, lf ** 2]).mean()),
    "BCE loss of the worked step": _d(lambda lr, lf: -(torch.log(S(lr)).mean() + torch.log(1 - S(lf)).mean())),
    "detach": _d(LS_D, detach=False),
    "zero_grad": _d(LS_D, zero_grad=False),
    "opt_D.step": _d(LS_D, step=False),
    "should return the loss": _d(LS_D, ret=False),
    "before backward, not between backward and step": _d(LS_D, zero_after=True),
    "no gradient reached them: call loss_D.backward": _d(LS_D, backward=False),
    "requires_grad switched off on G's weights": _d(LS_D, detach=False, freeze_G=True),
}

G_WRONG = {
    "target is 1": _g(lambda lf: 0.5 * (lf ** 2).mean()),
    "does not maximise": _g(lambda lf: -0.5 * (lf ** 2).mean()),
    "factor 1/2 is missing": _g(lambda lf: ((lf - 1) ** 2).mean()),
    "no sigmoid": _g(lambda lf: 0.5 * ((S(lf) - 1) ** 2).mean()),
    "not the sum": _g(lambda lf: 0.5 * ((lf - 1) ** 2).sum()),
    "non-saturating BCE": _g(lambda lf: -torch.log(S(lf)).mean()),
    "must NOT be detached": _g(LS_G, detach=True),
    "D's parameters changed": _g(LS_G, step_D=True),
    "zero_grad": _g(LS_G, zero_grad=False),
    "did not change": _g(LS_G, step=False),
    "before backward, not between backward and step": _g(LS_G, zero_after=True),
    "requires_grad switched off on D's weights": _g(LS_G, freeze_D=True),
}


def test_solutions_pass(capsys):
    assert check_lsgan_d_step(d_solution) and check_lsgan_g_step(g_solution)
    out = capsys.readouterr().out
    assert "PASSED lsgan_d_step" in out and "PASSED lsgan_g_step" in out


@pytest.mark.parametrize("check", [check_lsgan_d_step, check_lsgan_g_step])
def test_stub_fails_with_a_hint(check):
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check(stub)


@pytest.mark.parametrize("match", list(D_WRONG))
def test_wrong_d_steps_fail(match):
    with pytest.raises(CheckFailed, match=match):
        check_lsgan_d_step(D_WRONG[match])


@pytest.mark.parametrize("match", list(G_WRONG))
def test_wrong_g_steps_fail(match):
    with pytest.raises(CheckFailed, match=match):
        check_lsgan_g_step(G_WRONG[match])


def test_g_step_returning_nothing_fails():
    def lsgan_g_step(G, D, opt_G, z):
        g_solution(G, D, opt_G, z)
    with pytest.raises(CheckFailed, match="should return the loss"):
        check_lsgan_g_step(lsgan_g_step)


# ---------------------------------------------------------------- library shortcuts and the worked cell are refused
SHORTCUTS_D = {
    "lsgan_discriminator_loss is the answer's loss": "losses.lsgan_discriminator_loss(D(x_real), D(G(z).detach()))",
    "write the squared error yourself": "F.mse_loss(D(x_real), torch.ones(len(x_real), 1)) / 2 "
                                        "+ F.mse_loss(D(G(z).detach()), torch.zeros(len(z), 1)) / 2",
    "squared error yourself": "nn.MSELoss()(D(x_real), torch.ones(len(x_real), 1)) / 2 "
                              "+ nn.MSELoss()(D(G(z).detach()), torch.zeros(len(z), 1)) / 2",
    "aten.mse_loss is F.mse_loss one level down": "torch.ops.aten.mse_loss(D(x_real), torch.ones(len(x_real), 1), 1) "
                                                 "/ 2 + torch.ops.aten.mse_loss(D(G(z).detach()), "
                                                 "torch.zeros(len(z), 1), 1) / 2",
}
SHORTCUTS_G = {
    "lsgan_generator_loss is the answer's loss": "losses.lsgan_generator_loss(D(G(z))) / 2",
    "write the squared error yourself": "F.mse_loss(D(G(z)), torch.ones(len(z), 1)) / 2",
    "one level down": "torch.ops.aten.mse_loss(D(G(z)), torch.ones(len(z), 1), 1) / 2",
}


@pytest.mark.parametrize("msg", list(SHORTCUTS_D))
def test_library_losses_refused_in_the_d_step(msg):
    ns = notebook("def lsgan_d_step(G, D, opt_D, x_real, z):\n"
                  f"    loss_D = {SHORTCUTS_D[msg]}\n"
                  "    opt_D.zero_grad(); loss_D.backward(); opt_D.step()\n    return loss_D\n")
    with pytest.raises(CheckFailed, match=msg):
        check_lsgan_d_step(ns["lsgan_d_step"])


@pytest.mark.parametrize("msg", list(SHORTCUTS_G))
def test_library_losses_refused_in_the_g_step(msg):
    ns = notebook("def lsgan_g_step(G, D, opt_G, z):\n"
                  f"    loss_G = {SHORTCUTS_G[msg]}\n"
                  "    opt_G.zero_grad(); loss_G.backward(); opt_G.step()\n    return loss_G\n")
    with pytest.raises(CheckFailed, match=msg):
        check_lsgan_g_step(ns["lsgan_g_step"])


def test_library_steps_refused():
    ns = notebook("def lsgan_d_step(G, D, opt_D, x_real, z):\n"
                  "    return train.d_step(D, opt_D, x_real, G(z))['loss_D']\n"
                  "def lsgan_g_step(G, D, opt_G, z):\n"
                  "    return train.g_step(D, opt_G, G(z))\n")
    with pytest.raises(CheckFailed, match="library's BCE step"):
        check_lsgan_d_step(ns["lsgan_d_step"])
    with pytest.raises(CheckFailed, match="library's BCE step"):
        check_lsgan_g_step(ns["lsgan_g_step"])
    with pytest.raises(CheckFailed, match="itself"):
        check_lsgan_d_step(train.d_step)


def test_captured_library_losses_and_partials_of_the_reference_refused():
    """Routes around the name swapping: a default argument, a closure, a functools.partial."""
    ns = notebook("import functools\nfrom gan_helpers.checks import nb02\n"
                  "def lsgan_d_step(G, D, opt_D, x_real, z, L=losses.lsgan_discriminator_loss):\n"
                  "    loss_D = L(D(x_real), D(G(z).detach()))\n"
                  "    opt_D.zero_grad(); loss_D.backward(); opt_D.step()\n    return loss_D\n"
                  "def make():\n    L = losses.lsgan_generator_loss\n"
                  "    def lsgan_g_step(G, D, opt_G, z):\n        loss_G = L(D(G(z))) / 2\n"
                  "        opt_G.zero_grad(); loss_G.backward(); opt_G.step()\n        return loss_G\n"
                  "    return lsgan_g_step\n"
                  "lsgan_g_step = make()\n"
                  "d_partial = functools.partial(nb02._lsgan_d_reference)\n"
                  "g_partial = functools.partial(nb02._lsgan_g_reference)\n")
    with pytest.raises(CheckFailed, match="carries .*answer's loss"):
        check_lsgan_d_step(ns["lsgan_d_step"])
    with pytest.raises(CheckFailed, match="carries .*answer's loss"):
        check_lsgan_g_step(ns["lsgan_g_step"])
    with pytest.raises(CheckFailed, match="check's own reference"):
        check_lsgan_d_step(ns["d_partial"])
    with pytest.raises(CheckFailed, match="check's own reference"):
        check_lsgan_g_step(ns["g_partial"])


def test_the_checks_own_reference_refused():
    ns = notebook("from gan_helpers.checks import nb02\n"
                  "def lsgan_d_step(G, D, opt_D, x_real, z):\n"
                  "    return nb02._lsgan_d_reference(G, D, opt_D, x_real, z)\n"
                  "def lsgan_g_step(G, D, opt_G, z):\n"
                  "    return nb02._lsgan_g_reference(G, D, opt_G, z)\n")
    for check, fn in [(check_lsgan_d_step, ns["lsgan_d_step"]), (check_lsgan_g_step, ns["lsgan_g_step"])]:
        with pytest.raises(CheckFailed, match="reference"):
            check(fn)
    for check, fn in [(check_lsgan_d_step, nb02._lsgan_d_reference), (check_lsgan_g_step, nb02._lsgan_g_reference)]:
        with pytest.raises(CheckFailed, match="itself"):
            check(fn)


def test_worked_cell_wrapped_copied_or_aliased_is_refused():
    wrapped = notebook("def lsgan_d_step(G, D, opt_D, x_real, z):\n    return d_step_bce(G, D, opt_D, x_real, z)\n"
                       "def lsgan_g_step(G, D, opt_G, z):\n    return g_step_nonsaturating(G, D, opt_G, z)\n")
    copied = notebook(WORKED_CELL.replace("d_step_bce", "lsgan_d_step").replace("g_step_nonsaturating", "lsgan_g_step"))
    aliased = notebook("lsgan_d_step = d_step_bce\nlsgan_g_step = g_step_nonsaturating\n")
    for ns, match in [(wrapped, "worked BCE step"), (copied, "BCE of the worked step"), (aliased, "itself")]:
        with pytest.raises(CheckFailed, match=match):
            check_lsgan_d_step(ns["lsgan_d_step"])
        with pytest.raises(CheckFailed, match=match):
            check_lsgan_g_step(ns["lsgan_g_step"])


def test_solution_passes_in_a_notebook_namespace_and_bindings_are_restored():
    ns = notebook("def lsgan_d_step(G, D, opt_D, x_real, z):\n"
                  "    loss_D = 0.5 * ((D(x_real) - 1) ** 2).mean() + 0.5 * (D(G(z).detach()) ** 2).mean()\n"
                  "    opt_D.zero_grad(); loss_D.backward(); opt_D.step()\n    return loss_D\n")
    worked = ns["d_step_bce"]
    assert check_lsgan_d_step(ns["lsgan_d_step"])
    assert ns["d_step_bce"] is worked and train.d_step.__name__ == "d_step"
    assert losses.lsgan_discriminator_loss(torch.zeros(2, 1), torch.zeros(2, 1)) == 0.5


# ---------------------------------------------------------------- the cell after the exercises runs while a step is a stub
def test_yours_or_reference_picks_the_learners_or_the_reference_step():
    d_fn, g_fn, who = yours_or_reference(d_solution, g_solution)
    assert d_fn is d_solution and g_fn is g_solution and who == "lsgan_d_step: yours, lsgan_g_step: yours"
    d_fn, g_fn, who = yours_or_reference(stub, stub)
    assert d_fn is nb02._lsgan_d_reference and g_fn is nb02._lsgan_g_reference and who.count("reference") == 2


# ---------------------------------------------------------------- exercise 3: coverage(samples, modes, std)
def coverage_solution(samples, modes, std):
    dist, nearest = torch.cdist(samples, modes).min(dim=1)
    good = dist < 3 * std
    return len(torch.unique(nearest[good])), good.float().mean().item()


def _cov(threshold=lambda d, s: d < 3 * s, covered="good", share="share"):
    def coverage(samples, modes, std):
        dist, nearest = torch.cdist(samples, modes).min(dim=1)
        good = threshold(dist, std)
        per_mode = torch.bincount(nearest[good], minlength=len(modes))
        n_cov = {"good": len(torch.unique(nearest[good])), "any": len(torch.unique(nearest)),
                 "count": int(good.sum()), "share": len(torch.unique(nearest[good])) / len(modes),
                 "two": int((per_mode >= 2).sum())}[covered]
        hq = {"share": good.float().mean().item(), "count": int(good.sum()),
              "percent": 100 * good.float().mean().item()}[share]
        return n_cov, hq
    return coverage


COVERAGE_WRONG = {
    "not a count": _cov(share="count"),
    "not a percent": _cov(share="percent"),
    "modes_covered is a count, not a share": _cov(covered="share"),
    "covered by a single high-quality sample": _cov(covered="two"),
    "nearest mode of SOME sample": _cov(covered="any"),
    "counts high-quality samples": _cov(covered="count"),
    "looks like 1 std": _cov(threshold=lambda d, s: d < s),
    "looks like 2 std": _cov(threshold=lambda d, s: d < 2 * s),
    "not its square": _cov(threshold=lambda d, s: d ** 2 < 3 * s),
    "should return a pair": lambda s, m, sd: coverage_solution(s, m, sd)[0],
}


def test_check_mode_coverage_passes_solutions(capsys):
    assert check_mode_coverage(coverage_solution)
    assert "PASSED check_mode_coverage" in capsys.readouterr().out
    # per-mode test "some sample of mode k within 3 std" is the same protocol for well-separated modes
    assert check_mode_coverage(lambda s, m, sd: (int(((torch.cdist(s, m) < 3 * sd).any(dim=0)).sum()),
                                                 torch.tensor(float((torch.cdist(s, m).min(dim=1).values
                                                                     < 3 * sd).float().mean()))))


def test_check_mode_coverage_fails_stub():
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_mode_coverage(stub)


@pytest.mark.parametrize("msg", list(COVERAGE_WRONG))
def test_check_mode_coverage_names_the_mistake(msg):
    with pytest.raises(CheckFailed, match=msg):
        check_mode_coverage(COVERAGE_WRONG[msg])


def test_check_mode_coverage_refuses_the_library_and_section_2s_cell():
    from gan_helpers.metrics import mode_coverage
    # Section 2's cell measures coverage with mode_coverage: a copy of it is refused, by any route.
    ns = notebook("from gan_helpers.metrics import mode_coverage as mc\n"
                  "from gan_helpers import metrics\n"
                  "def by_alias(s, m, sd):\n    c = mc(s, m, sd)\n    return c['modes_covered'], c['high_quality']\n"
                  "def by_module(s, m, sd):\n    c = metrics.mode_coverage(s, m, sd)\n"
                  "    return c['modes_covered'], c['high_quality']\n")
    for fn in (ns["by_alias"], ns["by_module"]):
        with pytest.raises(CheckFailed, match="library's version"):
            check_mode_coverage(fn)
    with pytest.raises(CheckFailed, match="itself"):
        check_mode_coverage(mode_coverage)


# ---------------------------------------------------------------- exercise 4: hq_share(k), the share within k std
def hq_share_solution(k):
    return 1 - math.exp(-k ** 2 / 2)


HQ_WRONG = {
    "one-dimensional rule": lambda k: math.erf(k / math.sqrt(2)),
    "constant in your exponent": lambda k: 1 - math.exp(-k ** 2),
    "falls as k grows": lambda k: math.exp(-k ** 2 / 2),
    "not a percentage": lambda k: 100 * (1 - math.exp(-k ** 2 / 2)),
    "SQUARE": lambda k: math.erf(k / math.sqrt(2)) ** 2,
    "how your exponent depends on k": lambda k: 1 - math.exp(-k / 2),
    "close, but not exact": lambda k: round(1 - math.exp(-k ** 2 / 2), 3),
    "polar coordinates": lambda k: 0.9,
    "should return a number": lambda k: "0.86",
    "one number": lambda k: torch.tensor([0.8, 0.9]),
}


def test_check_hq_share_passes_the_formula(capsys):
    assert check_hq_share(hq_share_solution)
    assert check_hq_share(lambda k: torch.tensor(1.0) - torch.exp(torch.tensor(-k * k / 2)))
    np = pytest.importorskip("numpy")
    assert check_hq_share(lambda k: np.float32(1 - np.exp(-k * k / 2)))
    out = capsys.readouterr().out
    assert "PASSED check_hq_share" in out and "0.9889" in out


def test_check_hq_share_fails_stub():
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_hq_share(stub)


@pytest.mark.parametrize("msg", list(HQ_WRONG))
def test_check_hq_share_names_the_mistake(msg):
    with pytest.raises(CheckFailed, match=msg):
        check_hq_share(HQ_WRONG[msg])


def test_check_hq_share_refuses_simulation_and_the_library():
    ns = notebook("from gan_helpers.data import ring\nfrom gan_helpers.metrics import mode_coverage\n"
                  "def simulated(k):\n    e = torch.randn(100_000, 2)\n"
                  "    return float((e.norm(dim=1) < k).float().mean())\n"
                  "def measured(k):\n    r = ring()\n"
                  "    return mode_coverage(r.modes[:1].expand(10, 2), r.modes, r.std, n_sigma=k)['high_quality']\n")
    with pytest.raises(CheckFailed, match="do not simulate"):
        check_hq_share(ns["simulated"])
    with pytest.raises(CheckFailed, match="mode_coverage measures it"):
        check_hq_share(ns["measured"])


def test_check_hq_share_refuses_every_shortcut_to_the_value():
    """A library distribution's CDF, an incomplete gamma function, a numerical integral, random
    numbers from torch, numpy or the standard library: each is refused or fails as inexact."""
    import random

    np = pytest.importorskip("numpy")
    np.random.seed(0), random.seed(0)   # the unseeded routes below draw the same numbers every run
    routes = {
        "incomplete gamma": lambda k: float(torch.special.gammainc(torch.tensor(1.0), torch.tensor(k * k / 2))),
        "do not simulate": lambda k: float((torch.empty(100_000, 2).normal_().norm(dim=1) < k).float().mean()),
        "torch.distributions": lambda k: float(torch.distributions.Exponential(0.5).cdf(torch.tensor(k * k))),
        "numerical integral": lambda k: float(torch.trapezoid(torch.linspace(0, k, 999) * torch.exp(
            -torch.linspace(0, k, 999) ** 2 / 2), torch.linspace(0, k, 999))),
        "close, but not exact": lambda k: float((np.linalg.norm(np.random.default_rng(0).standard_normal(
            (200_000, 2)), axis=1) < k).mean()),
        "random numbers": lambda k: float((np.linalg.norm(np.random.standard_normal((50_000, 2)), axis=1) < k).mean()),
    }
    routes["do not simulate "] = lambda k: sum(random.gauss(0, 1) ** 2 + random.gauss(0, 1) ** 2 < k * k
                                              for _ in range(2000)) / 2000
    for msg, fn in routes.items():
        with pytest.raises(CheckFailed, match=msg.strip()):
            check_hq_share(fn)


def test_check_hq_share_refuses_scipy_by_any_route():
    stats = pytest.importorskip("scipy.stats")
    special = pytest.importorskip("scipy.special")
    integrate = pytest.importorskip("scipy.integrate")
    for fn, msg in [(lambda k: stats.chi2(2).cdf(k ** 2), "scipy holds ready-made"),
                    (lambda k: stats.rayleigh.cdf(k), "scipy holds ready-made"),
                    (functools.partial(stats.rayleigh.cdf), "scipy holds ready-made"),
                    (lambda k: integrate.quad(lambda r: r * math.exp(-r * r / 2), 0, k)[0], "scipy"),
                    (lambda k: special.gammainc(1, k * k / 2), "incomplete gamma"),
                    (lambda k: special.chdtr(2, k * k), "incomplete gamma"),
                    (lambda k, g=special.gammainc: g(1, k * k / 2), "carries")]:
        with pytest.raises(CheckFailed, match=msg) as err:
            check_hq_share(fn)
        assert "chi" not in str(err.value) and "rayleigh" not in str(err.value)   # no distribution to look up
    assert special.gammainc(1, 0.5) > 0                          # scipy.special is restored afterwards


def test_check_hq_share_does_not_spell_the_answer():
    """Neither the docstring nor any failure message gives the formula."""
    texts = [check_hq_share.__doc__]
    for fn in list(HQ_WRONG.values()) + [lambda k: 0.5 * k]:
        try:
            check_hq_share(fn)
        except CheckFailed as err:
            texts.append(str(err))
    for text in texts:
        assert "exp(-k" not in text and "e^(-k" not in text and "1 - e" not in text and "chi2" not in text.lower()
