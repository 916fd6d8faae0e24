"""The truncation trick (latent/truncation.py): every entry inside, the truncated normal's
shape, determinism, and the input checks."""
import math

import pytest
import torch
from scipy import stats

from gan_helpers.latent import scale_towards_mean, truncated_normal


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("threshold", [3.0, 1.0, 0.5, 0.05, 2e-3, 1e-4, 1e-9, 1e-30])
def test_every_entry_is_within_the_threshold(threshold):
    z = truncated_normal(64, 16, threshold, generator=gen(0))
    assert z.shape == (64, 16) and z.dtype == torch.float32
    assert float(z.double().abs().max()) <= threshold  # also as Python floats
    assert z.unique().numel() > 1000  # redrawn, not clamped to the boundary


def test_an_infinite_threshold_is_a_plain_normal():
    assert torch.equal(truncated_normal(5, 3, math.inf, generator=gen(1)), torch.randn(5, 3, generator=gen(1)))


def test_entries_already_inside_are_kept():
    """Only the offending entries are redrawn: the first draw survives where it was inside."""
    z, plain = truncated_normal(50, 8, 1.0, generator=gen(2)), torch.randn(50, 8, generator=gen(2))
    inside = plain.abs() <= 1.0
    assert torch.equal(z[inside], plain[inside])
    assert not torch.equal(z[~inside], plain[~inside])


@pytest.mark.parametrize("threshold", [2.0, 1.0, 0.1, 0.05])  # 0.05: uniform proposals
def test_the_values_follow_the_truncated_normal(threshold):
    z = truncated_normal(500, 8, threshold, generator=gen(3)).flatten().double().numpy()
    dist = stats.truncnorm(-threshold, threshold)
    assert stats.kstest(z, dist.cdf).pvalue > 1e-3  # seeded, so deterministic; a bias shows at any seed
    assert z.mean() == pytest.approx(0, abs=4 * dist.std() / math.sqrt(len(z)))
    assert z.std() == pytest.approx(dist.std(), rel=0.03)


def test_a_tiny_threshold_gives_a_near_uniform_spread():
    t = 1e-4  # the uniform-proposal branch: the truncated normal is flat to 1e-8 here
    z = truncated_normal(500, 8, t, generator=gen(4)).flatten().double()
    assert float(z.std()) == pytest.approx(t / math.sqrt(3), rel=0.03)
    assert stats.kstest((z / t).numpy(), stats.uniform(-1, 2).cdf).pvalue > 0.01


def test_truncation_shrinks_the_spread():
    stds = [float(truncated_normal(400, 4, t, generator=gen(5)).std()) for t in (3.0, 1.5, 0.75, 0.25)]
    assert stds == sorted(stds, reverse=True)


def test_the_same_generator_seed_gives_the_same_latents():
    a = truncated_normal(32, 10, 0.3, generator=gen(6))
    assert torch.equal(a, truncated_normal(32, 10, 0.3, generator=gen(6)))
    assert not torch.equal(a, truncated_normal(32, 10, 0.3, generator=gen(7)))
    tiny = truncated_normal(8, 4, 1e-6, generator=gen(6))
    assert torch.equal(tiny, truncated_normal(8, 4, 1e-6, generator=gen(6)))


def test_a_generator_leaves_the_global_random_state_alone():
    before = torch.random.get_rng_state()
    truncated_normal(16, 4, 0.5, generator=gen(8))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_without_a_generator_the_global_seed_decides():
    torch.manual_seed(9)
    a = truncated_normal(6, 3, 0.7)
    torch.manual_seed(9)
    assert torch.equal(a, truncated_normal(6, 3, 0.7))


@pytest.mark.parametrize("threshold", [0, 0.0, -1.0, float("nan"), -math.inf, "1", None, True])
def test_the_threshold_must_be_positive(threshold):
    with pytest.raises(ValueError, match="threshold must be a number > 0"):
        truncated_normal(4, 2, threshold)


@pytest.mark.parametrize("n, latent_dim, name", [(0, 2, "n"), (-3, 2, "n"), (2.5, 2, "n"), (True, 2, "n"),
                                                  (4, 0, "latent_dim"), (4, "8", "latent_dim")])
def test_the_sizes_must_be_positive_ints(n, latent_dim, name):
    with pytest.raises(ValueError, match=f"{name} must be a positive int"):
        truncated_normal(n, latent_dim, 1.0)


def test_scale_towards_mean_with_the_prior_mean():
    z = torch.randn(5, 3, generator=gen(10))
    assert torch.equal(scale_towards_mean(z, 1.0), z)
    assert torch.equal(scale_towards_mean(z, 0), torch.zeros_like(z))
    assert torch.allclose(scale_towards_mean(z, 0.5), z / 2)
    assert scale_towards_mean(z[0], 0.25).shape == (3,)  # a single latent works too


def test_scale_towards_a_given_mean():
    z, mean = torch.randn(4, 3, generator=gen(11)), torch.tensor([1.0, -2.0, 0.5])
    assert torch.allclose(scale_towards_mean(z, 0.0, mean), mean.expand(4, 3))
    assert torch.allclose(scale_towards_mean(z, 1.0, mean), z)
    half = scale_towards_mean(z, 0.5, mean)
    assert torch.allclose(half - mean, (z - mean) / 2)
    assert torch.allclose(scale_towards_mean(z, 0.3, mean.double()), scale_towards_mean(z, 0.3, mean))


def test_scale_towards_mean_refuses_bad_input():
    z = torch.randn(4, 3)
    for psi in (-0.1, 1.5, float("nan"), "0.5", None):
        with pytest.raises(ValueError, match=r"psi must be a number in \[0, 1\]"):
            scale_towards_mean(z, psi)
    for bad in (z.numpy(), torch.ones(4, 3, dtype=torch.long), torch.tensor(1.0)):
        with pytest.raises(ValueError, match="z must be a floating-point tensor"):
            scale_towards_mean(bad, 0.5)
    for mean in (torch.zeros(4), torch.zeros(1, 3), [0.0, 0.0, 0.0]):
        with pytest.raises(ValueError, match=r"mean must be a tensor \(3,\)"):
            scale_towards_mean(z, 0.5, mean)
