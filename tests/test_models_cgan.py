"""Conditional GAN models (Mirza and Osindero 2014): shapes, that the label matters, errors,
gradient flow, checkpoint round trip and the recipe's balanced generate()."""
import pytest
import torch

from gan_helpers.checkpoints import load_checkpoint, save_checkpoint
from gan_helpers.losses import generator_loss_nonsaturating
from gan_helpers.models.cgan import ConditionalDiscriminator, ConditionalGenerator, label_maps, one_hot
from gan_helpers.recipes import cgan as recipe


def small():
    torch.manual_seed(0)
    return ConditionalGenerator(latent_dim=8, n_classes=10, base_channels=4), ConditionalDiscriminator(10, 4)


def test_shapes():
    G, D = small()
    y = torch.tensor([0, 5, 9])
    x = G(torch.randn(3, 8), y)
    assert x.shape == (3, 1, 28, 28) and D(x, y).shape == (3, 1)
    assert G.net[0].in_channels == 8 + 10 and D.net[0].in_channels == 1 + 10


def test_label_changes_outputs_of_both():
    G, D = small()
    G.eval(); D.eval()
    z = torch.randn(2, 8)
    a, b = G(z, torch.tensor([1, 1])), G(z, torch.tensor([2, 2]))
    assert not torch.allclose(a, b)
    assert not torch.allclose(D(a, torch.tensor([1, 1])), D(a, torch.tensor([7, 7])))


def test_one_hot_and_label_maps():
    y = torch.tensor([2, 0])
    assert one_hot(y, 3).tolist() == [[0, 0, 1], [1, 0, 0]]
    m = label_maps(y, 3, 4)
    assert m.shape == (2, 3, 4, 4) and m[0, 2].eq(1).all() and m[0, :2].eq(0).all()


def test_bad_labels_raise():
    G, D = small()
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        G(torch.randn(2, 8), torch.tensor([0, 10]))
    with pytest.raises(ValueError, match="integer"):
        G(torch.randn(2, 8), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="batch size"):
        D(torch.randn(2, 1, 28, 28), torch.tensor([1]))


def test_gradients_reach_G():
    G, D = small()
    y = torch.randint(0, 10, (4,))
    generator_loss_nonsaturating(D(G(torch.randn(4, 8), y), y)).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters())


def test_checkpoint_round_trip(tmp_path):
    G, _ = small()
    digest = save_checkpoint(G, tmp_path / "c.safetensors", G.config)
    G2 = load_checkpoint(tmp_path / "c.safetensors", ConditionalGenerator, digest)
    z, y = torch.randn(2, 8), torch.tensor([3, 4])
    assert torch.allclose(G.eval()(z, y), G2(z, y))


def test_generate_balanced_and_seeded():
    G, _ = small()
    x, y = recipe.generate(G, 25, seed=3)
    assert x.shape == (25, 1, 28, 28) and torch.bincount(y, minlength=10).tolist() == [3] * 5 + [2] * 5
    x2, _ = recipe.generate(G, 25, seed=3)
    assert torch.equal(x, x2)
    with pytest.raises(ValueError, match="labels must have shape"):
        recipe.generate(G, 4, labels=torch.tensor([1, 2]))


def test_recipe_train_tiny(tmp_path, mnist_mirror, monkeypatch):
    monkeypatch.setenv("GAN_DATA_MIRROR", str(mnist_mirror))
    cfg = recipe.Config(steps=2, batch_size=8, fc_units=None, projection=False, decay_from=None, g_channels=4, d_channels=4, latent_dim=8, limit=64, log_every=0,
                        eval_n=0, out=str(tmp_path / "cgan_G.safetensors"))
    extra = recipe.train(cfg).info
    assert extra["command"].startswith("python -m gan_helpers train cgan") and "--limit 64" in extra["command"]
    assert load_checkpoint(tmp_path / "cgan_G.safetensors", ConditionalGenerator).n_classes == 10
