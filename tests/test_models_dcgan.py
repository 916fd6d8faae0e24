"""DCGAN models (Radford et al. 2015): shapes, gradient flow, init, summary, errors,
one training step, checkpoint round trip and the recipe's generate()."""
import pytest
import torch
from torch import nn

from gan_helpers.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from gan_helpers.losses import discriminator_loss, generator_loss_nonsaturating
from gan_helpers.models.blocks import weights_init
from gan_helpers.models.dcgan import Discriminator, Generator, conv_transpose_out, summary
from gan_helpers.recipes import dcgan as recipe


def test_shapes_and_range():
    G, D = Generator(latent_dim=8, base_channels=4), Discriminator(base_channels=4)
    x = G(torch.randn(3, 8))
    assert x.shape == (3, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert D(x).shape == (3, 1)


def test_guidelines_in_layers():
    G, D = Generator(8, 4), Discriminator(4)
    g_layers = [type(m) for m in G.modules()]
    d_layers = [type(m) for m in D.modules()]
    assert nn.Linear not in g_layers + d_layers and nn.MaxPool2d not in d_layers
    assert nn.Tanh in g_layers and nn.ReLU in g_layers and nn.LeakyReLU in d_layers
    assert nn.BatchNorm2d in g_layers and nn.BatchNorm2d in d_layers
    assert nn.BatchNorm2d not in [type(m) for m in Generator(8, 4, batch_norm=False).modules()]
    assert isinstance(D.net[1], nn.LeakyReLU)  # no batch norm on D's input layer


def test_gradients_reach_both_networks():
    G, D = Generator(8, 4), Discriminator(4)
    loss = generator_loss_nonsaturating(D(G(torch.randn(4, 8))))
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters())
    assert all(p.grad is not None for p in D.parameters())


def test_weights_init_statistics():
    torch.manual_seed(0)
    G = Generator(64, 32)
    G.apply(weights_init)
    w = G.net[0].weight
    assert abs(w.mean()) < 1e-3 and abs(w.std() - 0.02) < 1e-3
    assert abs(G.net[1].weight.mean() - 1) < 0.01 and (G.net[1].bias == 0).all()


@pytest.mark.parametrize("case", [(1, 7, 1, 0, 0), (7, 4, 2, 1, 0), (14, 4, 2, 1, 0), (5, 3, 2, 0, 1)])
def test_conv_transpose_out_matches_torch(case):
    size, k, s, p, op = case
    want = nn.ConvTranspose2d(1, 1, k, s, p, output_padding=op)(torch.zeros(1, 1, size, size)).shape[-1]
    assert conv_transpose_out(size, k, s, p, op) == want


def test_summary_rows_and_total():
    lines = []
    G = Generator(8, 4)
    rows = summary(G, torch.randn(2, 8), print_fn=lines.append)
    assert rows[0]["out_shape"] == (2, 16, 7, 7) and rows[-1]["out_shape"] == (2, 1, 28, 28)
    assert sum(r["params"] for r in rows) == sum(p.numel() for p in G.parameters())
    assert lines[-1].split()[-1] == f"{sum(p.numel() for p in G.parameters()):,}"


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="z of shape"):
        Generator(8, 4)(torch.randn(2, 9))
    with pytest.raises(ValueError, match="28, 28"):
        Discriminator(4)(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match="base_channels"):
        Generator(8, 0)


def test_one_training_step_changes_both():
    torch.manual_seed(0)
    G, D = Generator(8, 4), Discriminator(4)
    opt_G, opt_D = (torch.optim.Adam(m.parameters(), 2e-4, betas=(0.5, 0.999)) for m in (G, D))
    before_G, before_D = G.net[0].weight.clone(), D.net[0].weight.clone()
    x_real = torch.rand(8, 1, 28, 28) * 2 - 1
    x_fake = G(torch.randn(8, 8))
    loss_D = discriminator_loss(D(x_real), D(x_fake.detach()))
    opt_D.zero_grad(); loss_D.backward(); opt_D.step()
    loss_G = generator_loss_nonsaturating(D(x_fake))
    opt_G.zero_grad(); loss_G.backward(); opt_G.step()
    assert not torch.equal(before_G, G.net[0].weight) and not torch.equal(before_D, D.net[0].weight)


def test_checkpoint_round_trip_and_wrong_arch(tmp_path):
    G = Generator(8, 4)
    path = tmp_path / "g.safetensors"
    digest = save_checkpoint(G, path, G.config)
    G2 = load_checkpoint(path, Generator, digest)
    z = torch.randn(2, 8)
    assert torch.allclose(G.eval()(z), G2(z))
    with pytest.raises(CheckpointError):
        load_checkpoint(path, Discriminator)


def test_recipe_generate_is_seeded():
    G = Generator(8, 4)
    a, labels = recipe.generate(G, 5, seed=1)
    b, _ = recipe.generate(G, 5, seed=1)
    assert labels is None and a.shape == (5, 1, 28, 28) and torch.equal(a, b)
    with pytest.raises(ValueError):
        recipe.generate(G, 0)


def test_recipe_train_tiny(tmp_path, mnist_mirror, monkeypatch):
    monkeypatch.setenv("GAN_DATA_MIRROR", str(mnist_mirror))
    cfg = recipe.Config(steps=2, batch_size=8, fc_units=None, g_channels=4, d_channels=4, latent_dim=8, limit=64, log_every=0,
                        eval_n=0, out=str(tmp_path / "dcgan_G.safetensors"))
    r = recipe.train(cfg)
    G, extra = r.model, r.info
    assert extra["steps"] == 2 and "--steps 2" in extra["command"]
    G2 = load_checkpoint(tmp_path / "dcgan_G.safetensors", Generator)
    assert G2.checkpoint_extra["command"] == extra["command"]
