"""gan_helpers.theory: BCE at a point, generator-loss gradients, optimal D and JSD (notebook 01)."""
import math

import pytest
import torch
from torch import nn

from gan_helpers.theory.optimal_d import (LOG4, Gaussian1D, bce_point, generator_loss_curves,
                                          grid_for, js_divergence, kl_divergence, optimal_d_state,
                                          optimal_discriminator, value_function)


@pytest.mark.parametrize("p, y", [(0.3, 1.0), (0.8, 0.0), (0.05, 0.25), (0.99, 1.0)])
def test_bce_point_matches_bceloss_and_autograd(p, y):
    s = bce_point(p, y)
    pt = torch.tensor([p], dtype=torch.float64, requires_grad=True)
    loss = nn.BCELoss()(pt, torch.tensor([y], dtype=torch.float64))
    loss.backward()
    assert math.isclose(s.loss, float(loss.detach()), rel_tol=1e-12)
    assert math.isclose(s.term_1 + s.term_0, s.loss)
    assert math.isclose(s.grad_p, float(pt.grad), rel_tol=1e-9)
    lt = torch.logit(torch.tensor([p], dtype=torch.float64)).requires_grad_(True)
    nn.BCEWithLogitsLoss()(lt, torch.tensor([y], dtype=torch.float64)).backward()
    assert math.isclose(s.grad_logit, float(lt.grad), rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(s.logit, float(lt.detach()), rel_tol=1e-9)


@pytest.mark.parametrize("p, y, msg", [(0.0, 1, "strictly between 0 and 1"), (1.0, 0, "strictly between"),
                                       (0.5, 1.5, r"label y must lie in \[0, 1\]"), (0.5, -0.1, "label y")])
def test_bce_point_rejects_out_of_range(p, y, msg):
    with pytest.raises(ValueError, match=msg):
        bce_point(p, y)


def test_generator_loss_curves_autograd_equals_closed_form():
    c = generator_loss_curves(torch.linspace(-30, 30, 121))
    for k in ["grad_sat", "grad_nonsat"]:
        assert torch.allclose(c[k], c[k + "_closed"], atol=1e-12)
    d = c["d"]
    assert torch.allclose(c["saturating"].exp(), 1 - d, atol=1e-12)
    assert torch.allclose(c["nonsaturating"], -torch.log(d))
    # the point of notebook 01: when D rejects fakes (logit -10) the saturating gradient vanishes
    i = int((c["logit"] + 10).abs().argmin())
    assert abs(c["grad_sat"][i]) < 1e-4 and abs(c["grad_nonsat"][i]) > 0.999
    assert torch.allclose(c["grad_sat_d"], -1 / (1 - d)) and torch.allclose(c["grad_nonsat_d"], -1 / d)
    with pytest.raises(ValueError, match=r"shape \(N,\)"):
        generator_loss_curves(torch.zeros(3, 1))


def test_gaussian_pdf_integrates_to_one_and_rejects_bad_std():
    g = Gaussian1D(1.5, 0.3)
    x = grid_for(g)
    assert abs(float(torch.trapezoid(g.pdf(x), x)) - 1) < 1e-9
    assert torch.allclose(g.pdf(torch.tensor([1.5], dtype=torch.float64)),
                          torch.tensor([1 / (0.3 * math.sqrt(2 * math.pi))], dtype=torch.float64))
    for bad in [0.0, -1.0, float("nan")]:
        with pytest.raises(ValueError, match="std|finite"):
            Gaussian1D(0.0, bad)


def test_optimal_discriminator_formula_and_errors():
    p, q = torch.tensor([1.0, 0.0, 2.0, 0.0]), torch.tensor([1.0, 3.0, 0.0, 0.0])
    assert torch.equal(optimal_discriminator(p, q), torch.tensor([0.5, 0.0, 1.0, 0.5]))
    with pytest.raises(ValueError, match="same shape"):
        optimal_discriminator(torch.ones(3), torch.ones(4))
    with pytest.raises(ValueError, match="negative"):
        optimal_discriminator(torch.tensor([-1.0]), torch.tensor([1.0]))


def test_d_star_maximises_the_value_function():
    data, gen = Gaussian1D(0, 1), Gaussian1D(1.0, 0.6)
    x = grid_for(data, gen)
    p, q = data.pdf(x), gen.pdf(x)
    d_star = optimal_discriminator(p, q)
    v_star = value_function(d_star, p, q, x)
    for other in [torch.full_like(x, 0.5), (d_star * 0.9 + 0.05), torch.sigmoid(-x)]:
        assert value_function(other, p, q, x) < v_star
    with pytest.raises(ValueError, match="d must hold D"):
        value_function(torch.ones(3), p, q, x)
    with pytest.raises(ValueError, match="probabilities"):
        value_function(d_star + 0.5, p, q, x)
    # the direct integral of V at D* agrees with the log-density route of optimal_d_state
    assert abs(float(v_star) - optimal_d_state(data, gen).value) < 1e-9


def test_jsd_matches_closed_forms_and_theorem_1():
    # equal distributions: JSD = 0 and V(D*, G) = -log 4 (global minimum of the game)
    s = optimal_d_state(Gaussian1D(0, 1), Gaussian1D(0, 1))
    assert abs(s.jsd) < 1e-12 and abs(s.value + LOG4) < 1e-9
    assert torch.allclose(s.d_star, torch.full_like(s.d_star, 0.5))
    # disjoint supports (in practice): JSD -> log 2 and V -> 0
    far = optimal_d_state(Gaussian1D(0, 1), Gaussian1D(40, 1))
    assert abs(far.jsd - math.log(2)) < 1e-9 and abs(far.value) < 1e-9
    # theorem 1: V(D*, G) = -log 4 + 2 JSD, integrated two different ways
    for m, sd in [(1.0, 1.0), (2.0, 0.3), (-1.0, 2.5), (3.0, 0.1)]:
        s = optimal_d_state(Gaussian1D(0, 1), Gaussian1D(m, sd))
        assert 0 < s.jsd < math.log(2)
        assert abs(s.value - s.value_from_jsd) < 1e-8


def test_kl_of_gaussians_matches_closed_form():
    a, b = Gaussian1D(0.5, 0.8), Gaussian1D(-1.0, 1.3)
    x = grid_for(a, b)
    want = math.log(b.std / a.std) + (a.std ** 2 + (a.mean - b.mean) ** 2) / (2 * b.std ** 2) - 0.5
    assert abs(float(kl_divergence(a.pdf(x), b.pdf(x), x)) - want) < 1e-8
    assert float(js_divergence(a.pdf(x), b.pdf(x), x)) == pytest.approx(float(js_divergence(b.pdf(x), a.pdf(x), x)))
    with pytest.raises(ValueError, match="on the grid"):
        kl_divergence(torch.ones(3), torch.ones(3), x)


# ---------------------------------------------------------------- p_g known only through samples (notebook 02)
from gan_helpers.theory.optimal_d import estimate_from_samples, kde_1d, silverman_bandwidth  # noqa: E402


def _normal(n, mean, std, seed=0):
    return mean + std * torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_silverman_bandwidth_and_kde_integrate_and_track_the_density():
    s = _normal(20_000, 1.0, 0.5)
    h = silverman_bandwidth(s)
    assert h == pytest.approx(0.9 * 0.5 * 20_000 ** -0.2, rel=0.03)  # std and IQR / 1.34 agree for a Gaussian
    x = torch.linspace(-3, 5, 2001, dtype=torch.float64)
    p = kde_1d(s, x)
    assert float(torch.trapezoid(p, x)) == pytest.approx(1.0, abs=1e-6)
    assert float((p - Gaussian1D(1.0, 0.5).pdf(x)).abs().max()) < 0.05  # peak 0.80; smoothing lowers it a little
    assert torch.equal(kde_1d(s[:, None], x), p)                         # (n, 1) like G's output
    assert silverman_bandwidth(torch.zeros(50)) == 1e-3                   # a point mass still gives a density
    with pytest.raises(ValueError, match="bandwidth"):
        kde_1d(s, x, bandwidth=0.0)
    with pytest.raises(ValueError, match="shape"):
        kde_1d(torch.zeros(4, 2), x)
    with pytest.raises(ValueError, match="nan"):
        silverman_bandwidth(torch.tensor([0.0, float("nan")]))


def test_sample_estimate_knows_the_answers():
    data = Gaussian1D(2.0, 0.5)
    same = estimate_from_samples(data, _normal(5000, 2.0, 0.5)[:, None])  # p_g = p_data: JSD 0, D* 1/2
    assert 0 <= same.jsd < 0.005
    near_data = (same.x - 2.0).abs() < 1.0
    assert float((same.d_star[near_data] - 0.5).abs().max()) < 0.06
    far = estimate_from_samples(data, _normal(5000, 30.0, 0.5))           # disjoint: log 2, D* 1 on the data
    assert far.jsd == pytest.approx(math.log(2), abs=1e-6)
    assert float(far.d_star[(far.x - 2.0).abs() < 1.0].min()) > 0.999
    spike = estimate_from_samples(data, torch.full((300,), 2.0))          # G collapsed onto one point
    assert 0.5 < spike.jsd <= math.log(2) + 1e-9
    # two Gaussians: the estimate converges to the exact JSD of optimal_d_state
    gen = Gaussian1D(1.0, 0.8)
    est = estimate_from_samples(data, _normal(20_000, gen.mean, gen.std, seed=1))
    assert est.jsd == pytest.approx(optimal_d_state(data, gen).jsd, abs=0.01)
    assert float(torch.trapezoid(est.p_g, est.x)) == pytest.approx(1.0, abs=1e-6)
