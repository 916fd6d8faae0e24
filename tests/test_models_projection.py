"""The projection discriminator (models/projection.py, Miyato and Koyama 2018): the formula
psi(phi(x)) + <embed(y), phi(x)> against a hand computation, the label's effect, gradient
flow, clear errors, and the cgan recipe's switch."""
import pytest
import torch

from gan_helpers.models import infogan, projection
from gan_helpers.models.blocks import weights_init
from gan_helpers.recipes import cgan as cgan_recipe


def _small():
    torch.manual_seed(0)
    return projection.ProjectionDiscriminator(10, 4, 16).apply(weights_init).eval()


def test_logit_is_head_plus_inner_product_with_the_class_vector():
    D = _small()
    x, y = torch.randn(6, 1, 28, 28), torch.tensor([0, 3, 3, 7, 9, 1])
    h = D.net[:-1](x)                                   # phi(x), (6, 16)
    psi = h @ D.net[-1].weight.T + D.net[-1].bias       # (6, 1)
    e = D.embed.weight.T[y]                             # row y of the class table, (6, 16)
    expected = psi + (e * h).sum(1, keepdim=True)
    assert torch.allclose(D(x, y), expected, atol=1e-6)


def test_the_label_changes_the_logit_and_only_through_the_projection():
    D = _small()
    x = torch.randn(4, 1, 28, 28)
    a, b = D(x, torch.tensor([0, 1, 2, 3])), D(x, torch.tensor([9, 9, 9, 9]))
    assert a.shape == (4, 1) and not torch.allclose(a, b)
    with torch.no_grad():
        D.embed.weight.zero_()                          # no class vectors: D ignores y
    assert torch.allclose(D(x, torch.tensor([0, 1, 2, 3])), D(x, torch.tensor([9, 9, 9, 9])))


def test_gradients_reach_every_parameter():
    G = infogan.ConditionalGenerator(8, 10, 4, 16)
    D = projection.ProjectionDiscriminator(10, 4, 16)
    y = torch.tensor([0, 1, 2, 3])
    D(G(torch.randn(4, 8), y), y).mean().backward()
    for net in (G, D):
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


def test_bad_inputs_give_clear_errors():
    D = _small()
    with pytest.raises(ValueError, match=r"images \(N, 1, 28, 28\)"):
        D(torch.randn(2, 11, 28, 28), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="same batch size"):
        D(torch.randn(2, 1, 28, 28), torch.tensor([1]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 10\)"):
        D(torch.randn(2, 1, 28, 28), torch.tensor([1, 10]))
    with pytest.raises(ValueError, match="n_classes"):
        projection.ProjectionDiscriminator(0)


def test_cgan_recipe_switch():
    G, D = cgan_recipe.build(cgan_recipe.Config(projection=True, g_channels=4, d_channels=4, fc_units=16))
    assert isinstance(D, projection.ProjectionDiscriminator) and isinstance(G, infogan.ConditionalGenerator)
    assert D.net[0].in_channels == 1                    # the image only: no label planes
    with pytest.raises(ValueError, match="--projection False"):
        cgan_recipe.build(cgan_recipe.Config(fc_units=None))
    planes = cgan_recipe.build(cgan_recipe.Config(projection=False, g_channels=4, d_channels=4, fc_units=16))[1]
    assert isinstance(planes, infogan.ConditionalDiscriminator) and planes.net[0].in_channels == 11
