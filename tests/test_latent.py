"""Latent interpolation and principal directions (gan_helpers.latent)."""
import math

import pytest
import torch
from torch import nn

from gan_helpers.latent.space import (jacobian_metric, latent_dim_of, lerp, move,
                                      principal_directions, slerp)


def test_lerp_matches_formula_and_batches():
    z0, z1 = torch.randn(5), torch.randn(5)
    assert torch.allclose(lerp(z0, z1, 0.25), 0.75 * z0 + 0.25 * z1)
    path = lerp(z0, z1, torch.linspace(0, 1, 3))
    assert path.shape == (3, 5)
    assert torch.allclose(path[0], z0) and torch.allclose(path[-1], z1)
    assert torch.allclose(path[1], (z0 + z1) / 2)
    with pytest.raises(ValueError, match="same size"):
        lerp(z0, torch.randn(4), 0.5)


def test_slerp_stays_on_the_circle_and_hits_end_points():
    e0, e1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    mid = slerp(e0, e1, 0.5)
    assert torch.allclose(mid, torch.tensor([math.sqrt(0.5), math.sqrt(0.5)]), atol=1e-6)
    z0, z1 = torch.randn(64), torch.randn(64)
    path = slerp(z0, z1, torch.linspace(0, 1, 9))
    assert torch.allclose(path[0], z0, atol=1e-5) and torch.allclose(path[-1], z1, atol=1e-5)
    # The norm moves linearly between the end norms, while lerp dips towards the origin.
    expected = torch.linspace(0, 1, 9) * (z1.norm() - z0.norm()) + z0.norm()
    assert torch.allclose(path.norm(dim=1), expected, atol=1e-4)
    assert lerp(z0, z1, 0.5).norm() < slerp(z0, z1, 0.5).norm()
    # Parallel vectors fall back to lerp instead of dividing by sin(0).
    assert torch.allclose(slerp(e0, 2 * e0, 0.5), 1.5 * e0)


def test_principal_directions_of_a_linear_generator_are_its_top_singular_vectors():
    torch.manual_seed(0)
    A = torch.randn(784, 6)
    scales = torch.tensor([5.0, 3.0, 2.0, 1.0, 0.5, 0.1])
    U, _, Vt = torch.linalg.svd(A, full_matrices=False)
    W = U @ torch.diag(scales) @ Vt                               # known singular values and vectors

    def G(z):                                                    # (N, 6) -> (N, 1, 28, 28)
        return (z @ W.T).view(-1, 1, 28, 28)

    dirs, gains = principal_directions(G, k=3, latent_dim=6, n_samples=4)
    assert dirs.shape == (3, 6) and gains.shape == (3,)
    assert torch.allclose(gains, scales[:3], rtol=1e-3)
    for j in range(3):
        assert abs(float(dirs[j] @ Vt[j])) == pytest.approx(1.0, abs=1e-4)
    assert torch.allclose(dirs.norm(dim=1), torch.ones(3), atol=1e-5)
    M = jacobian_metric(G, torch.randn(2, 6))
    assert torch.allclose(M, (W.T @ W).double(), rtol=1e-3, atol=1e-3)


def test_principal_directions_restore_train_mode_and_validate():
    G = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Unflatten(1, (1, 4, 4)))
    G.train()
    dirs, _ = principal_directions(G, k=2, latent_dim=4, n_samples=3)
    assert G.training and dirs.shape == (2, 4)
    with pytest.raises(ValueError, match="latent_dim"):
        latent_dim_of(G)
    with pytest.raises(ValueError, match="k must be"):
        principal_directions(G, k=5, latent_dim=4)


def test_move_adds_weighted_directions():
    z, dirs = torch.zeros(3), torch.eye(3)[:2]
    assert torch.equal(move(z, dirs, [2.0, -1.0]), torch.tensor([2.0, -1.0, 0.0]))
    with pytest.raises(ValueError, match="k amounts"):
        move(z, dirs, [1.0])
