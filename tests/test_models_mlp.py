"""The MLP G and D of notebook 03: shapes, ranges, gradient flow, errors, rebuild from config."""
import pytest
import torch

from gan_helpers.losses import discriminator_loss, generator_loss_nonsaturating
from gan_helpers.models.mlp import MLPDiscriminator, MLPGenerator, discriminator_block, generator_block


def test_generator_shapes_range_and_blocks():
    G = MLPGenerator(latent_dim=8, hidden=[16, 32], image_shape=(1, 28, 28))
    x = G(torch.randn(5, 8))
    assert x.shape == (5, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1
    assert len(G.blocks) == 2 and isinstance(G.blocks[0][1], torch.nn.BatchNorm1d)
    G2 = MLPGenerator(latent_dim=4, hidden=[8], image_shape=(3, 4, 5), batch_norm=False)
    assert G2(torch.randn(2, 4)).shape == (2, 3, 4, 5)
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in G2.modules())
    b = generator_block(3, 7)
    assert b(torch.randn(4, 3)).shape == (4, 7) and b[0].bias is None
    assert generator_block(3, 7, batch_norm=False)[0].bias is not None


def test_discriminator_logits_and_dropout():
    D = MLPDiscriminator(hidden=[32, 16], dropout=0.5)
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    out = D(x)
    assert out.shape == (6, 1)
    # Logits, not probabilities: values outside [0, 1] must be possible.
    with torch.no_grad():
        D.out.bias.fill_(5.0)
    assert (D(x) > 1).all()
    D.eval()
    assert torch.equal(D(x), D(x))           # no dropout in eval mode
    D.train()
    torch.manual_seed(0)
    assert not torch.equal(D(x), D(x))       # dropout active in training
    assert isinstance(discriminator_block(4, 2, dropout=0.2)[2], torch.nn.Dropout)


def test_bad_shapes_and_sizes_raise_clear_errors():
    G, D = MLPGenerator(latent_dim=8, hidden=[16]), MLPDiscriminator(hidden=[16])
    with pytest.raises(ValueError, match=r"z of shape \(N, 8\)"):
        G(torch.randn(3, 9))
    with pytest.raises(ValueError, match="D expects images"):
        D(torch.randn(3, 784))
    with pytest.raises(ValueError, match="image_shape"):
        MLPGenerator(image_shape=(28, 28))
    with pytest.raises(ValueError, match="dropout"):
        MLPDiscriminator(dropout=1.5)
    with pytest.raises(ValueError, match="latent_dim must be an int >= 1"):
        MLPGenerator(latent_dim=0)
    with pytest.raises(ValueError, match="latent_dim must be an int"):
        MLPGenerator(latent_dim=2.5)                 # never silently rounded to 2
    with pytest.raises(ValueError, match="positive ints"):
        MLPDiscriminator(hidden=[16.5])


def test_config_rebuilds_same_architecture():
    G = MLPGenerator(latent_dim=8, hidden=(16, 32), image_shape=(1, 6, 6), batch_norm=False)
    D = MLPDiscriminator(hidden=(12,), image_shape=(1, 6, 6), dropout=0.1)
    for m in (G, D):
        r = type(m)(**m.config)
        assert {k: v.shape for k, v in r.state_dict().items()} == {k: v.shape for k, v in m.state_dict().items()}


def test_one_training_step_moves_both_nets_and_detach_protects_G():
    torch.manual_seed(0)
    G, D = MLPGenerator(latent_dim=8, hidden=[16]), MLPDiscriminator(hidden=[16])
    opt_G = torch.optim.Adam(G.parameters(), lr=1e-2)
    opt_D = torch.optim.Adam(D.parameters(), lr=1e-2)
    x_real = torch.rand(16, 1, 28, 28) * 2 - 1
    g0 = [p.clone() for p in G.parameters()]
    d0 = [p.clone() for p in D.parameters()]
    x_fake = G(torch.randn(16, 8))
    loss_D = discriminator_loss(D(x_real), D(x_fake.detach()))
    opt_D.zero_grad(); loss_D.backward(); opt_D.step()
    assert all(p.grad is None for p in G.parameters())    # the detach kept G out of D's step
    assert any(not torch.equal(a, b) for a, b in zip(d0, D.parameters()))
    loss_G = generator_loss_nonsaturating(D(x_fake))
    opt_G.zero_grad(); loss_G.backward(); opt_G.step()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in G.parameters())
    assert all(not torch.equal(a, b) for a, b in zip(g0, G.parameters()))
