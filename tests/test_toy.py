"""Toy data, mode-coverage metric, toy MLPs and ToyGAN (notebook 02)."""
import math

import pytest
import torch

from gan_helpers.checkpoints import load_checkpoint, save_checkpoint
from gan_helpers.models.toy import ToyDiscriminator, ToyGenerator
from gan_helpers.train.toy import ToyGAN, ToyGANConfig
from gan_helpers.metrics.modes import format_coverage, mode_coverage
from gan_helpers.data.toy2d import grid, ring, sample_gaussian_1d


def rng(seed=0):
    return torch.Generator().manual_seed(seed)


def test_gaussian_1d_moments_and_errors():
    x = sample_gaussian_1d(20000, mean=2.0, std=0.5, generator=rng())
    assert x.shape == (20000, 1)
    assert abs(x.mean() - 2.0) < 0.02 and abs(x.std() - 0.5) < 0.02
    with pytest.raises(ValueError, match="positive int"):
        sample_gaussian_1d(0)
    with pytest.raises(ValueError, match="std"):
        sample_gaussian_1d(5, std=0.0)


def test_ring_and_grid_modes_follow_the_papers():
    r = ring()
    assert r.modes.shape == (8, 2) and r.std == 0.02
    assert torch.allclose(r.modes.norm(dim=1), torch.full((8,), 2.0))
    assert torch.allclose(r.modes[2], torch.tensor([0.0, 2.0]), atol=1e-6)  # 90 degrees
    g = grid()
    assert g.modes.shape == (25, 2) and g.std == 0.05
    assert sorted(set(g.modes[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(m) for m in g.modes.tolist()}) == 25
    with pytest.raises(ValueError, match="ring needs"):
        ring(std=-1)


def test_mixture_samples_sit_on_their_modes():
    g = grid()
    x = g.sample(5000, rng(1))
    assert x.shape == (5000, 2)
    d = torch.cdist(x, g.modes).min(dim=1).values
    # Radial distance of a 2-D Gaussian: mean std * sqrt(pi / 2).
    assert abs(d.mean() - 0.05 * math.sqrt(math.pi / 2)) < 0.003
    assert torch.equal(g.sample(10, rng(3)), g.sample(10, rng(3)))


def test_coverage_of_real_samples_matches_the_chi_distribution():
    r = ring()
    c = mode_coverage(r.sample(2500, rng(0)), r.modes, r.std)
    assert c["modes_covered"] == 8 and c["n_modes"] == 8
    # P(|noise| < 3 std) in 2-D = 1 - exp(-9/2) = 0.9889
    assert abs(c["high_quality"] - (1 - math.exp(-4.5))) < 0.01
    assert sum(c["per_mode"]) == round(c["high_quality"] * 2500)
    assert format_coverage(c).startswith("modes covered 8/8 | high quality 9")


def test_coverage_of_a_collapsed_and_a_spread_generator():
    r = ring()
    one_mode = r.modes[3] + 0.01 * torch.randn(2500, 2, generator=rng(0))
    c = mode_coverage(one_mode, r.modes, r.std)
    assert c["modes_covered"] == 1 and c["per_mode"][3] == c["high_quality"] * 2500
    blur = torch.randn(2500, 2, generator=rng(0)) * 2  # everywhere, rarely close to a mode
    c = mode_coverage(blur, r.modes, r.std)
    assert c["high_quality"] < 0.05
    between = torch.zeros(100, 2)  # the origin is 2 away from every mode
    assert mode_coverage(between, r.modes, r.std)["modes_covered"] == 0


def test_coverage_rejects_bad_input():
    r = ring()
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        mode_coverage(torch.zeros(10, 3), r.modes, r.std)
    with pytest.raises(ValueError, match="nan"):
        mode_coverage(torch.full((4, 2), float("nan")), r.modes, r.std)
    with pytest.raises(ValueError, match="at least one"):
        mode_coverage(torch.zeros(0, 2), r.modes, r.std)


def test_models_shapes_config_and_errors(tmp_path):
    G, D = ToyGenerator(latent_dim=3, data_dim=2, width=16, depth=2), ToyDiscriminator(2, 16, 2)
    x = G(torch.randn(7, 3))
    assert x.shape == (7, 2) and D(x).shape == (7, 1)
    assert type(G)(**G.config).config == G.config
    n_lin = sum(isinstance(m, torch.nn.Linear) for m in D.modules())
    assert n_lin == 3  # depth hidden layers + output
    path = tmp_path / "g.safetensors"
    save_checkpoint(G, path, G.config)
    G2 = load_checkpoint(path, ToyGenerator)
    z = torch.randn(4, 3)
    assert torch.equal(G(z), G2(z))
    with pytest.raises(ValueError, match=r"z of shape \(N, 3\)"):
        G(torch.randn(4, 2))
    with pytest.raises(ValueError, match=r"x of shape \(N, 2\)"):
        D(torch.randn(4))
    with pytest.raises(ValueError, match="width must be a positive int"):
        ToyDiscriminator(width=0)


def test_toygan_trains_and_is_reproducible():
    cfg = ToyGANConfig(width=16, depth=2, batch_size=32, steps=5, d_steps=2)
    a = ToyGAN(ring(), cfg).train()
    b = ToyGAN(ring(), cfg).train()
    assert len(a.history["loss_D"]) == 5 and len(a.history["loss_G"]) == 5 and a.step == 5
    assert a.history["loss_D"] == b.history["loss_D"]
    m = a.evaluate(n=500)
    assert set(m) >= {"modes_covered", "n_modes", "high_quality", "step"} and m["step"] == 5
    calls = []
    a.train(steps=6, callback=lambda gan: calls.append(gan.step), every=2)
    assert calls == [7, 9, 11]


def test_short_run_moves_fakes_off_the_origin():
    # A fresh G puts everything near the origin; 150 steps push its samples out towards the ring.
    gan = ToyGAN(ring(), ToyGANConfig(width=32, steps=150, batch_size=64, lr_D=3e-3, lr_G=3e-3))
    assert gan.samples(1000).norm(dim=1).median() < 0.2
    gan.train()
    assert gan.samples(1000).norm(dim=1).median() > 0.5


@pytest.mark.parametrize("field,value", [("lr_D", 0.0), ("lr_G", 5.0), ("d_steps", 0), ("width", 1),
                                         ("steps", 0), ("seed", -1), ("batch_size", 2.5),
                                         ("non_saturating", "yes")])
def test_config_out_of_range_is_a_clear_error(field, value):
    with pytest.raises(ValueError, match=field):
        ToyGANConfig(**{field: value}).validate()
