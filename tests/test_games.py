"""Notebook 06's pieces: Wasserstein losses against hand-computed values, the gradient penalty,
clipping and spectral norm, the four games' steps, the 1-D distances, the benchmark's tables."""
import math

import pytest
import torch
from torch import nn

from gan_helpers.theory.distances import pair_state, separation_curves
from gan_helpers.stabilizers.games import (Game, make_optimizers, ns_gan, prepare_critic, sn_gan,
                                           standard_games, wgan_clip, wgan_gp)
from gan_helpers.train.critic import GameRun, critic_step, generator_step
from gan_helpers.bench.games import markdown_toy_table, slug, toy_table
from gan_helpers.stabilizers.lipschitz import (clip_weights_, gradient_penalty, interpolates,
                                               per_sample_gradient_norms, spectral_normalise,
                                               top_singular_value)
from gan_helpers.losses import wasserstein_critic_loss, wasserstein_generator_loss
from gan_helpers.models.toy import ToyDiscriminator, ToyGenerator
from gan_helpers.data.toy2d import ring


def test_wasserstein_losses_by_hand():
    real, fake = torch.tensor([[1.0], [3.0]]), torch.tensor([[0.5], [-0.5], [3.0]])
    assert wasserstein_critic_loss(real, fake).item() == pytest.approx(1.0 - 2.0)
    assert wasserstein_generator_loss(fake).item() == pytest.approx(-1.0)


class Linear(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.as_tensor(w, dtype=torch.float32))

    def forward(self, x):
        return (x.flatten(1) * self.w.flatten()).sum(1, keepdim=True)


def test_gradient_penalty_of_linear_critics_by_hand():
    x_real, x_fake = torch.randn(8, 1, 2, 2), torch.randn(8, 1, 2, 2)
    # grad of w.x is w: ||w|| = 1 -> penalty 0; ||w|| = 2 -> (2 - 1)^2 = 1; ||w|| = 3 -> 4
    assert gradient_penalty(Linear([0.5, 0.5, 0.5, 0.5]), x_real, x_fake).item() == pytest.approx(0.0, abs=1e-6)
    assert gradient_penalty(Linear([1.0, 1.0, 1.0, 1.0]), x_real, x_fake).item() == pytest.approx(1.0, abs=1e-5)
    assert gradient_penalty(Linear([3.0, 0, 0, 0]), x_real, x_fake).item() == pytest.approx(4.0, abs=1e-5)


def test_gradient_norm_is_per_sample_over_all_pixels():
    D = Linear(torch.arange(1.0, 13.0))                      # 3 channels x 2 x 2 inputs
    norms = per_sample_gradient_norms(D, torch.randn(5, 3, 2, 2))
    assert norms.shape == (5,)
    assert torch.allclose(norms, torch.full((5,), float(torch.arange(1.0, 13.0).norm())))


def test_gradient_penalty_trains_the_critic():
    D = Linear([1.0, 1.0, 1.0, 1.0])
    gradient_penalty(D, torch.randn(4, 4), torch.randn(4, 4)).backward()
    assert D.w.grad is not None and D.w.grad.abs().sum() > 0


def test_interpolates_lie_between_real_and_fake_with_one_eps_per_sample():
    x_real, x_fake = torch.zeros(6, 3, 4, 4), torch.ones(6, 3, 4, 4)
    x_hat = interpolates(x_real, x_fake, torch.Generator().manual_seed(0))
    per_sample = x_hat.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample))  # one value per sample
    assert (x_hat >= 0).all() and (x_hat <= 1).all()
    with pytest.raises(ValueError, match="same shape"):
        interpolates(torch.zeros(2, 3), torch.zeros(3, 3))


def test_clipping_and_spectral_norm():
    D = ToyDiscriminator(2, 16, 2)
    clip_weights_(D, 0.01)
    assert max(float(p.detach().abs().max()) for p in D.parameters()) <= 0.01
    with pytest.raises(ValueError):
        clip_weights_(D, 0)
    D = spectral_normalise(ToyDiscriminator(2, 64, 2))
    for _ in range(30):  # power iteration converges over forward passes in training mode
        D(torch.randn(4, 2))
    sigmas = [top_singular_value(m.weight) for m in D.modules() if isinstance(m, nn.Linear)]
    assert all(s == pytest.approx(1.0, abs=0.05) for s in sigmas), sigmas
    with pytest.raises(ValueError, match="no Linear"):
        spectral_normalise(nn.ReLU())


def test_fix_presets_and_validation():
    names = [f.name for f in standard_games()]
    assert names == ["NS GAN", "WGAN (clip)", "WGAN-GP", "SN-GAN"]
    gp = wgan_gp()
    assert (gp.gp_weight, gp.n_critic, gp.lr_D, gp.beta1, gp.beta2) == (10.0, 5, 1e-4, 0.0, 0.9)
    assert wgan_clip().clip == 0.01 and wgan_clip().rmsprop
    assert sn_gan().spectral_norm and not ns_gan().wasserstein
    with pytest.raises(ValueError, match="n_critic"):
        Game(n_critic=0)
    with pytest.raises(ValueError, match="lr_D"):
        Game(lr_D=2.0)
    assert isinstance(make_optimizers(nn.Linear(2, 2), nn.Linear(2, 1), wgan_clip())[0], torch.optim.RMSprop)


@pytest.mark.parametrize("fix", standard_games(), ids=lambda f: f.name)
def test_one_step_of_each_game_moves_both_networks(fix):
    torch.manual_seed(0)
    G, D = ToyGenerator(2, 2, 16, 2), prepare_critic(ToyDiscriminator(2, 16, 2), fix)
    opt_G, opt_D = make_optimizers(G, D, fix)
    g0 = [p.detach().clone() for p in G.parameters()]
    d0 = [p.detach().clone() for p in D.parameters()]
    out = critic_step(D, opt_D, torch.randn(32, 2), G(torch.randn(32, 2)), fix)
    assert set(out) == {"loss_D", "w_estimate", "gp"} and torch.isfinite(out["loss_D"])
    assert all(p.grad is None for p in G.parameters()), "the critic step must not reach G"
    assert any(not torch.equal(a, b) for a, b in zip(d0, D.parameters()))
    loss_G = generator_step(D, opt_G, G(torch.randn(32, 2)), fix)
    assert torch.isfinite(loss_G)
    assert any(not torch.equal(a, b) for a, b in zip(g0, G.parameters()))
    if fix.clip:
        assert max(float(p.detach().abs().max()) for p in D.parameters()) <= fix.clip


def test_fix_run_trains_and_evaluates_raw_and_averaged():
    run = GameRun(ring(), wgan_gp(), seed=0, width=16, depth=2, batch_size=32).train(3)
    ev = run.evaluate(n=200)
    assert run.step == 3 and len(run.history["w_estimate"]) == 3
    assert set(ev) == {"raw", "averaged", "step", "seconds"} and ev["raw"]["n_modes"] == 8
    with pytest.raises(ValueError):
        run.train(-1)


def test_distances_by_hand():
    s = pair_state(0.0, 0.1)
    assert s["js"] == pytest.approx(0.0, abs=1e-9) and s["w1"] == 0 and s["grad_minimax"] == 0
    far = pair_state(2.0, 0.1)
    assert far["js"] == pytest.approx(math.log(2), abs=1e-6)      # disjoint supports: JSD saturates
    assert far["grad_minimax"] < 1e-12                              # ... and the minimax gradient vanishes
    assert far["grad_ns"] == pytest.approx(2.0 / 0.01, rel=1e-6)    # theta / sigma^2
    assert far["w1"] == 2.0 and far["grad_w1"] == 1.0
    h = 1e-4  # the minimax gradient is d(2 JSD)/d theta (D* optimal)
    numeric = (pair_state(0.15 + h)["js"] - pair_state(0.15 - h)["js"]) / (2 * h) * 2
    assert pair_state(0.15)["grad_minimax"] == pytest.approx(numeric, rel=1e-4)
    c = separation_curves([0.0, 1.0], 0.2)
    assert c["w1"] == [0.0, 1.0] and len(c["js"]) == 2
    with pytest.raises(ValueError, match="sigma"):
        pair_state(1.0, 0.0)
    with pytest.raises(ValueError, match="theta"):
        pair_state(float("nan"))


def test_bench_tables_from_rows():
    rows = [{"fix": "NS GAN", "data": "ring of 8", "seed": s, "steps": 10, "seconds": 1.0, "diverged": False,
             "modes_covered_raw": m, "high_quality_raw": 0.5, "modes_covered_averaged": 8,
             "high_quality_averaged": 0.75} for s, m in ((0, 6), (1, 8))]
    rows.append({"fix": "WGAN-GP", "data": "ring of 8", "seed": 0, "steps": 10, "seconds": 1.0, "diverged": True})
    table = toy_table({"toy": rows, "mnist": []})
    raw = next(r for r in table if r["fix"] == "NS GAN" and r["G"] == "raw")
    assert raw["modes"] == (7.0, pytest.approx(math.sqrt(2))) and raw["hq"] == (50.0, 0.0)
    assert "diverged (1)" in markdown_toy_table({"toy": rows, "mnist": []})
    assert slug("WGAN (clip)") == "wgan_clip" and slug("WGAN-GP") == "wgan_gp"
