"""The InfoGAN-shaped MNIST pair (models/infogan.py, Chen et al. 2016 appendix C.1): shapes,
sizes as constructor arguments, gradient flow, clear errors, and the dcgan recipe's switch."""
import pytest
import torch

from gan_helpers.models import infogan
from gan_helpers.recipes import dcgan as dcgan_recipe


def test_shapes_and_parameter_counts():
    G, D = infogan.Generator(16, 8, 32), infogan.Discriminator(8, 32)
    x = G(torch.randn(5, 16))
    assert x.shape == (5, 1, 28, 28) and x.abs().max() <= 1
    assert D(x).shape == (5, 1)
    # InfoGAN's sizes: FC 1024 and 7x7x128 dominate G (about 6.6 M parameters)
    big = infogan.Generator()
    assert 6.0e6 < sum(p.numel() for p in big.parameters()) < 7.0e6


def test_conditional_pair_uses_the_label():
    torch.manual_seed(0)
    G, D = infogan.ConditionalGenerator(8, 10, 4, 16), infogan.ConditionalDiscriminator(10, 4, 16)
    G.eval(), D.eval()
    z = torch.randn(3, 8)
    a, b = G(z, torch.tensor([0, 1, 2])), G(z, torch.tensor([3, 4, 5]))
    assert a.shape == (3, 1, 28, 28) and not torch.allclose(a, b)
    assert not torch.allclose(D(a, torch.tensor([0, 1, 2])), D(a, torch.tensor([9, 9, 9])))


def test_gradients_reach_every_parameter(device):
    G, D = infogan.Generator(8, 4, 16).to(device), infogan.Discriminator(4, 16).to(device)
    D(G(torch.randn(4, 8, device=device))).mean().backward()
    for net in (G, D):
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


def test_bad_inputs_give_clear_errors():
    G, D = infogan.Generator(8, 4, 16), infogan.Discriminator(4, 16)
    with pytest.raises(ValueError, match=r"z of shape \(N, 8\)"):
        G(torch.randn(2, 9))
    with pytest.raises(ValueError, match=r"images \(N, 1, 28, 28\)"):
        D(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match="fc_units"):
        infogan.Generator(8, 4, 0)
    with pytest.raises(ValueError, match="same batch size"):
        infogan.ConditionalGenerator(8, 10, 4, 16)(torch.randn(2, 8), torch.tensor([1]))


def test_dcgan_recipe_builds_either_pair():
    small = dcgan_recipe.build(dcgan_recipe.Config(fc_units=None, g_channels=32))
    wide = dcgan_recipe.build(dcgan_recipe.Config(fc_units=64, g_channels=8, d_channels=8))
    assert type(small[0]).__module__.endswith("models.dcgan")
    assert isinstance(wide[0], infogan.Generator) and isinstance(wide[1], infogan.Discriminator)
    with pytest.raises(ValueError, match="all-convolutional D only"):
        dcgan_recipe.build(dcgan_recipe.Config(fc_units=64, d_batch_norm=False))


def test_recipe_defaults_are_the_shipped_infogan_shape():
    """`train dcgan` / `train cgan` without size flags rebuild the shipped architecture."""
    from gan_helpers.recipes import cgan as cgan_recipe
    from gan_helpers.models.projection import ProjectionDiscriminator
    G, D = dcgan_recipe.build(dcgan_recipe.Config())
    assert isinstance(G, infogan.Generator) and G.config["fc_units"] == 1024
    cG, cD = cgan_recipe.build(cgan_recipe.Config())
    assert isinstance(cG, infogan.ConditionalGenerator) and isinstance(cD, ProjectionDiscriminator)
    small_G, _ = cgan_recipe.build(cgan_recipe.Config(fc_units=None, g_channels=4, d_channels=4, projection=False))
    assert type(small_G).__module__.endswith("models.cgan")
