"""Notebook 02's exercise checks: pass the solution, fail the stub and plausible wrong answers."""
import pytest
import torch

from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb02 import check_d_step, check_g_step
from gan_helpers.losses import discriminator_loss, generator_loss_nonsaturating, generator_loss_saturating


def d_solution(G, D, opt_D, x_real, z):
    x_fake = G(z).detach()
    loss_D = discriminator_loss(D(x_real), D(x_fake))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D


def g_solution(G, D, opt_G, z):
    loss_G = generator_loss_nonsaturating(D(G(z)))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G.item()


def stub(*args):
    raise NotImplementedError()


def d_no_detach(G, D, opt_D, x_real, z):
    loss_D = discriminator_loss(D(x_real), D(G(z)))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D


def d_swapped(G, D, opt_D, x_real, z):
    loss_D = discriminator_loss(D(G(z).detach()), D(x_real))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D


def d_no_zero_grad(G, D, opt_D, x_real, z):
    loss_D = discriminator_loss(D(x_real), D(G(z).detach()))
    loss_D.backward()
    opt_D.step()
    return loss_D


def d_averaged(G, D, opt_D, x_real, z):
    loss_D = discriminator_loss(D(x_real), D(G(z).detach())) / 2
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    return loss_D


def d_no_step(G, D, opt_D, x_real, z):
    loss_D = discriminator_loss(D(x_real), D(G(z).detach()))
    opt_D.zero_grad()
    loss_D.backward()
    return loss_D


def g_saturating(G, D, opt_G, z):
    loss_G = generator_loss_saturating(D(G(z)))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G


def g_detached(G, D, opt_G, z):
    loss_G = generator_loss_nonsaturating(D(G(z).detach()))
    opt_G.zero_grad()
    return loss_G


def g_steps_D_too(G, D, opt_G, z):
    loss_G = generator_loss_nonsaturating(D(G(z)))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    with torch.no_grad():
        for p in D.parameters():
            p -= 0.1 * p.grad
    return loss_G


def g_no_zero_grad(G, D, opt_G, z):
    loss_G = generator_loss_nonsaturating(D(G(z)))
    loss_G.backward()
    opt_G.step()
    return loss_G


def g_returns_nothing(G, D, opt_G, z):
    g_solution(G, D, opt_G, z)


def test_solutions_pass(capsys):
    assert check_d_step(d_solution) and check_g_step(g_solution)
    out = capsys.readouterr().out
    assert "PASSED d_step" in out and "PASSED g_step" in out


@pytest.mark.parametrize("check", [check_d_step, check_g_step])
def test_stub_fails_with_a_hint(check):
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check(stub)


@pytest.mark.parametrize("fn,match", [(d_no_detach, "detach"), (d_swapped, "swapped"),
                                      (d_no_zero_grad, "zero_grad"), (d_averaged, "half"),
                                      (d_no_step, "opt_D.step")])
def test_wrong_d_steps_fail(fn, match):
    with pytest.raises(CheckFailed, match=match):
        check_d_step(fn)


@pytest.mark.parametrize("fn,match", [(g_saturating, "saturating"), (g_detached, "must NOT be detached"),
                                      (g_steps_D_too, "D's parameters changed"), (g_no_zero_grad, "zero_grad"),
                                      (g_returns_nothing, "should return the loss")])
def test_wrong_g_steps_fail(fn, match):
    with pytest.raises(CheckFailed, match=match):
        check_g_step(fn)


# ---------------------------------------------------------------- later cells run while a step is a stub
def test_yours_or_library_picks_the_learners_or_the_library_step():
    from gan_helpers.checks.nb02 import yours_or_library
    d_fn, g_fn, who = yours_or_library(d_solution, g_solution)
    assert d_fn is d_solution and g_fn is g_solution and who == "d_step: yours, g_step: yours"
    d_fn, g_fn, who = yours_or_library(stub, stub)
    assert d_fn is not stub and g_fn is not stub and who.count("the library's") == 2
    # the library fallbacks have the exercises' signatures and pass their checks
    assert check_d_step(d_fn) and check_g_step(g_fn)


# ---------------------------------------------------------------- exercise 3: coverage(samples, modes, std)
from gan_helpers.checks.nb02 import check_hq_prediction, check_mode_coverage  # noqa: E402


def coverage_solution(samples, modes, std):
    dist, nearest = torch.cdist(samples, modes).min(dim=1)
    good = dist < 3 * std
    return len(torch.unique(nearest[good])), good.float().mean().item()


def _cov(threshold=lambda d, s: d < 3 * s, covered="good", share=True):
    def coverage(samples, modes, std):
        dist, nearest = torch.cdist(samples, modes).min(dim=1)
        good = threshold(dist, std)
        n_cov = {"good": len(torch.unique(nearest[good])), "any": len(torch.unique(nearest)),
                 "count": int(good.sum())}[covered]
        return n_cov, (good.float().mean().item() if share else int(good.sum()))
    return coverage


COVERAGE_WRONG = {
    "not a count": _cov(share=False),
    "nearest mode of SOME sample": _cov(covered="any"),
    "counts high-quality samples": _cov(covered="count"),
    "looks like 1 std": _cov(threshold=lambda d, s: d < s),
    "looks like 2 std": _cov(threshold=lambda d, s: d < 2 * s),
    "not its square": _cov(threshold=lambda d, s: d ** 2 < 3 * s),
    "should return a pair": lambda s, m, sd: coverage_solution(s, m, sd)[0],
}


def test_check_mode_coverage_passes_solutions(capsys):
    from gan_helpers.metrics.modes import mode_coverage
    assert check_mode_coverage(coverage_solution)
    assert "PASSED check_mode_coverage" in capsys.readouterr().out
    lib = mode_coverage
    assert check_mode_coverage(lambda s, m, sd: (lib(s, m, sd)["modes_covered"], lib(s, m, sd)["high_quality"]))
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


# ---------------------------------------------------------------- exercise 4: predicted high-quality share at 2 std
def test_check_hq_prediction_passes_the_answer(capsys):
    import math
    assert check_hq_prediction(0.865) and check_hq_prediction(1 - math.exp(-2))
    assert "PASSED check_hq_prediction" in capsys.readouterr().out


@pytest.mark.parametrize("value,msg", [(None, "still None"), (86.5, "between 0 and 1"), ("0.865", "plain number"),
                                       (0.954, "one-dimensional rule"), (0.989, "3 std share"),
                                       (0.135, "OUTSIDE"), (0.683, "ONE std"), (0.982, "factor 1/2"),
                                       (0.667, "linearly"), (0.75, "redo that with 2")])
def test_check_hq_prediction_names_the_mistake(value, msg):
    with pytest.raises(CheckFailed, match=msg):
        check_hq_prediction(value)
