"""Exercise checks of notebook 07 (pix2pix), exercises 2 and 5: the U-Net forward pass and the
PatchGAN's receptive field pass the model solutions and fail the stub, every typical wrong answer
(with its teaching message) and the library's answer (called, bound or shadowed)."""
import pytest
import torch

from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb07 import check_receptive_field, check_unet_forward
from gan_helpers.models import cyclegan
from gan_helpers.models.cyclegan import receptive_field
from gan_helpers.models.pix2pix import UNetGenerator


def stub(*_args, **_kw):
    raise NotImplementedError()


# --- exercise 2: the U-Net forward pass ----------------------------------------------------------------
def make_unet(skip=True, reverse=False, offset=1, self_cat=False, stop=None, early_return=False, no_grad=False):
    def unet_forward(downs, ups, x):
        feats, h = [], x
        for down in downs:
            h = down(h)
            feats.append(h)
        h = ups[0](torch.cat([feats[-1], feats[-1]], 1) if self_cat else feats[-1])
        for i, up in enumerate(ups[1:stop], start=1):
            s = feats[-(i + offset)]
            h = up(torch.cat([s, h] if reverse else [h, s], 1) if skip else h)
            if early_return:
                return h
        return h.detach() if no_grad else h
    return unet_forward


def test_unet_forward_solution_passes():
    assert check_unet_forward(make_unet())


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_unet(skip=False), r"ups\[1\] was given 8 channels, it expects 16: the skip is missing"),
    (make_unet(reverse=True), "wrong order"),
    (make_unet(offset=0), "wrong encoder layer"),
    (make_unet(offset=2), "wrong encoder layer"),
    (make_unet(self_cat=True), "concatenated with itself"),
    (make_unet(stop=-1), "Only 3 of the 4 up layers ran"),
    (make_unet(early_return=True), "Only 2 of the 4 up layers ran"),
    (make_unet(no_grad=True), "no graph"),
])
def test_unet_forward_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_unet_forward(wrong)


G_EARLIER = UNetGenerator(1, 2, 4, 4, max_mult=2)          # a G built earlier in the notebook


def build_one(downs, ups, x):
    G = UNetGenerator(1, 2, 4, len(downs), max_mult=2).eval()
    G.downs, G.ups = downs, ups
    return G(x)


@pytest.mark.parametrize("wrong", [
    UNetGenerator.forward,
    lambda downs, ups, x: G_EARLIER(x),
    lambda downs, ups, x: G_EARLIER.forward(x),
    lambda downs, ups, x: UNetGenerator.forward(G_EARLIER, x),
    build_one,
])
def test_unet_forward_refuses_the_library(wrong):
    with pytest.raises(CheckFailed, match="UNetGenerator.forward"):
        check_unet_forward(wrong)
    assert G_EARLIER(torch.zeros(1, 1, 16, 16)).shape == (1, 2, 16, 16)          # restored afterwards


# --- exercise 5: the PatchGAN's receptive field --------------------------------------------------------
def make_rf(stride1=True, backward=True, minus=1, extra=0):
    def my_receptive_field(n_layers):
        layers = [(4, 2)] * n_layers + ([(4, 1)] * 2 if stride1 else [])
        rf = 1
        for k, s in (reversed(layers) if backward else layers):
            rf = (rf - minus) * s + k
        return rf + extra
    return my_receptive_field


def test_receptive_field_solution_passes():
    assert [make_rf()(n) for n in range(5)] == [7, 16, 34, 70, 142]
    assert [make_rf()(n) for n in range(6)] == [receptive_field(n) for n in range(6)]
    assert check_receptive_field(make_rf())
    assert check_receptive_field(lambda n: float(make_rf()(n)))             # 70.0 is 70 pixels too


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_rf(stride1=False), "two stride-1 4x4 convolutions at the end are missing"),
    (make_rf(backward=False), "wrong direction"),
    (make_rf(minus=0), r"spans \(rf - 1\) strides"),
    (make_rf(extra=1), "Off by one"),
    (make_rf(extra=-1), "Off by one"),
    (lambda n: "70", "number of pixels"),
    (lambda n: 70, r"returned 70, expected 16"),
])
def test_receptive_field_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_receptive_field(wrong)


def test_forgotten_stride1_layers_give_the_brief_numbers():
    assert [make_rf(stride1=False)(n) for n in (1, 2, 3)] == [4, 10, 22]


@pytest.mark.parametrize("wrong", [
    receptive_field,
    cyclegan.receptive_field,
    lambda n: receptive_field(n),
    lambda n: cyclegan.receptive_field(n),
])
def test_receptive_field_refuses_the_library(wrong):
    with pytest.raises(CheckFailed, match="cyclegan.receptive_field is its answer"):
        check_receptive_field(wrong)
    assert receptive_field(3) == 70                                            # restored afterwards


def test_receptive_field_explains_a_shadowed_library_name():
    ns = {}
    exec("def receptive_field(n):\n    return 70\ndef my_rf(n):\n    raise NotImplementedError()", ns)
    with pytest.raises(CheckFailed, match="replaced the library's receptive_field"):
        check_receptive_field(ns["my_rf"])
