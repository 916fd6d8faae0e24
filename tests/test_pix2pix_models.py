"""pix2pix networks (models/pix2pix.py; notebook 07): the U-Net's shapes, its skip connections
and dropout, the PixelGAN's one-pixel view, and the PatchGAN on (input, output) pairs."""
import pytest
import torch
from torch import nn

from gan_helpers.models.cyclegan import PatchDiscriminator
from gan_helpers.models.pix2pix import PixelDiscriminator, UNetGenerator


@pytest.mark.parametrize("c_in, c_out, n_down, size", [(1, 2, 6, 64), (1, 3, 4, 32), (3, 3, 3, 24), (1, 2, 2, 8)])
def test_unet_keeps_the_size_and_ends_in_tanh(c_in, c_out, n_down, size):
    torch.manual_seed(0)
    G = UNetGenerator(c_in, c_out, base_channels=4, n_down=n_down, max_mult=4)
    y = G(torch.rand(2, c_in, size, size) * 2 - 1)
    assert y.shape == (2, c_out, size, size)
    assert y.abs().max() <= 1
    # rectangles work too, when both sides are multiples of 2 ** n_down
    assert G(torch.zeros(1, c_in, size, 2 * size)).shape == (1, c_out, size, 2 * size)


def test_unet_encoder_reaches_1x1_and_widths_are_capped():
    G = UNetGenerator(1, 2, base_channels=4, n_down=6, max_mult=4)
    shapes = []
    hooks = [d.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape))) for d in G.downs]
    G(torch.zeros(1, 1, 64, 64))
    for h in hooks:
        h.remove()
    assert shapes == [(1, 4, 32, 32), (1, 8, 16, 16), (1, 16, 8, 8), (1, 16, 4, 4), (1, 16, 2, 2), (1, 16, 1, 1)]


def test_without_skips_the_decoder_is_narrower_and_still_works():
    with_skips = UNetGenerator(1, 2, base_channels=4, n_down=4)
    plain = UNetGenerator(1, 2, base_channels=4, n_down=4, skips=False)
    assert plain.config["skips"] is False and with_skips.config["skips"] is True
    assert plain(torch.zeros(2, 1, 16, 16)).shape == (2, 2, 16, 16)
    assert sum(p.numel() for p in plain.parameters()) < sum(p.numel() for p in with_skips.parameters())
    # the innermost decoder layer never takes a skip; every other one doubles its input with skips
    assert plain.ups[0][1].in_channels == with_skips.ups[0][1].in_channels
    for a, b in zip(plain.ups[1:], with_skips.ups[1:]):
        assert 2 * a[1].in_channels == b[1].in_channels


def _perturbed_first_encoder_layer(G, x):
    """G's output when encoder layer 0's features are nudged (a forward hook adds to them)."""
    hook = G.downs[0].register_forward_hook(lambda m, i, o: o + 0.5 * torch.randn_like(o))
    try:
        return G(x)
    finally:
        hook.remove()


def test_skip_connections_carry_encoder_features_straight_to_the_output():
    torch.manual_seed(0)
    x = torch.rand(1, 1, 16, 16) * 2 - 1
    G = UNetGenerator(1, 2, base_channels=4, n_down=4, dropout=0.0).eval()
    with torch.no_grad():
        G.downs[1][1].weight.zero_()  # cut the way through the bottleneck: the encoder stops after layer 0
        G.downs[1][1].bias.zero_()
        ref = G(x)
        assert not torch.allclose(_perturbed_first_encoder_layer(G, x), ref)  # reached the output by its skip
        plain = UNetGenerator(1, 2, base_channels=4, n_down=4, dropout=0.0, skips=False).eval()
        plain.downs[1][1].weight.zero_()
        plain.downs[1][1].bias.zero_()
        assert torch.equal(_perturbed_first_encoder_layer(plain, x), plain(x))  # no way round the bottleneck


def test_a_pixel_of_the_input_reaches_its_own_output_pixel_through_the_outer_skip():
    torch.manual_seed(1)
    x = (torch.rand(1, 1, 16, 16) * 2 - 1).requires_grad_()
    for skips in (True, False):
        G = UNetGenerator(1, 2, base_channels=4, n_down=4, dropout=0.0, skips=skips).eval()
        with torch.no_grad():
            G.downs[-1][1].weight.zero_()  # the bottleneck passes nothing
            G.downs[-1][1].bias.zero_()
        x.grad = None
        G(x)[0, 0, 5, 5].backward()
        near = x.grad[0, 0, 3:8, 3:8].abs().sum()
        assert (near > 0) == skips  # with skips, detail goes round the bottleneck


def test_dropout_sits_in_the_three_innermost_decoder_layers():
    G = UNetGenerator(1, 2, base_channels=4, n_down=6, dropout=0.5)
    has_dropout = [any(isinstance(m, nn.Dropout) for m in up.modules()) for up in G.ups]
    assert has_dropout == [True, True, True, False, False, False]
    assert all(m.p == 0.5 for m in G.modules() if isinstance(m, nn.Dropout))
    assert not any(isinstance(m, nn.Dropout) for m in G.downs.modules())
    none = UNetGenerator(1, 2, base_channels=4, n_down=6, dropout=0.0)
    assert not any(isinstance(m, nn.Dropout) for m in none.modules())
    # dropout is G's noise in training mode; eval mode is deterministic
    x = torch.rand(2, 1, 64, 64)
    G.train()
    assert not torch.equal(G(x), G(x))
    G.eval()
    assert torch.equal(G(x), G(x))


def test_unet_refuses_bad_inputs_and_sizes():
    G = UNetGenerator(1, 2, base_channels=4, n_down=3)
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        G(torch.zeros(1, 3, 16, 16))
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        G(torch.zeros(1, 16, 16))
    with pytest.raises(ValueError, match="multiples of 2 \\*\\* n_down = 8"):
        G(torch.zeros(1, 1, 12, 16))
    with pytest.raises(ValueError, match="n_down must be >= 2"):
        UNetGenerator(n_down=1)
    with pytest.raises(ValueError, match="dropout"):
        UNetGenerator(dropout=1.0)
    with pytest.raises(ValueError, match="base_channels"):
        UNetGenerator(base_channels=0)
    with pytest.raises(ValueError, match="in_channels"):
        UNetGenerator(in_channels=1.5)


def test_config_rebuilds_the_same_network():
    G = UNetGenerator(1, 3, base_channels=4, n_down=3, max_mult=2, dropout=0.25, skips=False)
    H = UNetGenerator(**G.config)
    assert {k: v.shape for k, v in G.state_dict().items()} == {k: v.shape for k, v in H.state_dict().items()}


def test_pixel_discriminator_judges_each_pixel_alone():
    torch.manual_seed(0)
    D = PixelDiscriminator(3, base_channels=4)
    x = torch.randn(4, 3, 8, 8)
    D.train()
    D(x)  # batch norm's running statistics move off their initial values
    D.eval()
    out = D(x)
    assert out.shape == (4, 1, 8, 8)
    y = x.clone()
    y[1, :, 2, 5] += 3.0  # one pixel of one photo
    changed = (D(y) != out)
    assert changed[1, 0, 2, 5] and changed.sum() == 1


def test_pixel_discriminator_sees_no_layout_even_while_training():
    torch.manual_seed(0)
    D = PixelDiscriminator(3, base_channels=4).train()
    x = torch.randn(2, 3, 6, 6)
    perm = torch.randperm(36)
    shuffled = x.flatten(2)[..., perm].view_as(x)  # the same pixels, in another order
    assert torch.allclose(D(shuffled).flatten(2), D(x).flatten(2)[..., perm], atol=1e-5)
    assert all(m.kernel_size == (1, 1) for m in D.modules() if isinstance(m, nn.Conv2d))


def test_pixel_discriminator_refuses_the_wrong_channels():
    D = PixelDiscriminator(3, base_channels=4)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        D(torch.zeros(1, 2, 8, 8))
    with pytest.raises(ValueError, match="in_channels"):
        PixelDiscriminator(0)


def test_patch_discriminator_on_pairs_of_input_and_output():
    G = UNetGenerator(1, 2, base_channels=4, n_down=6)
    D = PatchDiscriminator(in_channels=1 + 2, base_channels=4, n_layers=2)
    x = torch.rand(2, 1, 64, 64)
    logits = D(torch.cat([x, G(x)], 1))
    assert logits.shape == (2, 1, 14, 14)  # one score per 34 px patch
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        D(G(x))  # the output alone: D must see the input too
