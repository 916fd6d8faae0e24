"""Checks for notebook 04 (DCGAN, Radford et al. 2015): the G and D blocks built from the
guidelines, the N(0, 0.02) weight initialisation, and the output size of a transposed
convolution."""
from __future__ import annotations

import torch
from torch import nn

from ._core import CheckFailed, call, check, expect_tensor, passed


def _layers(block) -> list[nn.Module]:
    check(isinstance(block, nn.Module), f"the block should be an nn.Module (e.g. nn.Sequential), got {type(block).__name__}.")
    return [m for m in block.modules() if len(list(m.children())) == 0]


def _common(layers, kind: str) -> None:
    banned = [type(m).__name__ for m in layers if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d, nn.Upsample, nn.Linear))]
    check(not banned, f"the {kind} block uses {banned}: the guidelines ask for strided (transposed) "
                      "convolutions instead of pooling/upsampling, and no fully connected hidden layers.")
    check(any(isinstance(m, nn.BatchNorm2d) for m in layers),
          f"the {kind} block has no nn.BatchNorm2d: guideline 2 puts batch norm after the convolution.")


def check_g_block(g_block) -> bool:
    """``g_block(in_ch, out_ch)``: ConvTranspose2d doubling H and W, BatchNorm2d, ReLU."""
    block = call(g_block, 32, 16, name="g_block")
    layers = _layers(block)
    _common(layers, "G")
    check(any(isinstance(m, nn.ConvTranspose2d) for m in layers),
          "the G block needs an nn.ConvTranspose2d: G upsamples with strided transposed convolutions.")
    check(any(isinstance(m, nn.ReLU) for m in layers) and not any(isinstance(m, nn.LeakyReLU) for m in layers),
          "G uses plain nn.ReLU in its hidden layers (guideline 4); LeakyReLU belongs to D.")
    for h in (7, 14):
        out = expect_tensor(block(torch.randn(2, 32, h, h)), (2, 16, 2 * h, 2 * h), name=f"g_block(32, 16) on (2, 32, {h}, {h})")
    check(bool((out >= 0).all()), "the G block's output has negative values: it should end with ReLU (after batch norm).")
    block2 = call(g_block, 8, 4, name="g_block")
    expect_tensor(block2(torch.randn(2, 8, 7, 7)), (2, 4, 14, 14), name="g_block(8, 4) on (2, 8, 7, 7)")
    return passed("g_block", "ConvTranspose2d(k=4, s=2, p=1) -> BatchNorm2d -> ReLU doubles H and W")


def check_d_block(d_block) -> bool:
    """``d_block(in_ch, out_ch)``: Conv2d halving H and W, BatchNorm2d, LeakyReLU(0.2)."""
    block = call(d_block, 16, 32, name="d_block")
    layers = _layers(block)
    _common(layers, "D")
    check(any(isinstance(m, nn.Conv2d) for m in layers), "the D block needs a strided nn.Conv2d.")
    leaky = [m for m in layers if isinstance(m, nn.LeakyReLU)]
    check(bool(leaky), "D uses nn.LeakyReLU in its hidden layers (guideline 5), not ReLU.")
    check(abs(leaky[0].negative_slope - 0.2) < 1e-9,
          f"use LeakyReLU(0.2) as in the paper, got negative_slope={leaky[0].negative_slope}.")
    for h in (28, 14):
        out = expect_tensor(block(torch.randn(2, 16, h, h)), (2, 32, h // 2, h // 2), name=f"d_block(16, 32) on (2, 16, {h}, {h})")
    check(bool((out < 0).any()), "the D block's output has no negative values: LeakyReLU should let them through scaled by 0.2.")
    return passed("d_block", "Conv2d(k=4, s=2, p=1) -> BatchNorm2d -> LeakyReLU(0.2) halves H and W")


def check_weights_init(weights_init) -> bool:
    """``weights_init(m)`` used as ``model.apply(weights_init)``: conv weights ~ N(0, 0.02),
    batch-norm weights ~ N(1, 0.02) and biases 0."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(64, 128, 7), nn.BatchNorm2d(128), nn.ReLU(),
                          nn.Conv2d(128, 256, 4, 2, 1), nn.BatchNorm2d(256), nn.LeakyReLU(0.2))
    with torch.no_grad():  # start far from the target so a no-op fails
        for p in model.parameters():
            p.uniform_(-1, 1)
    try:
        model.apply(weights_init)
    except NotImplementedError:
        raise CheckFailed("weights_init still raises NotImplementedError: write its body.") from None
    for conv in (model[0], model[3]):
        w = conv.weight.detach()
        check(abs(float(w.mean())) < 0.005 and abs(float(w.std()) - 0.02) < 0.002,
              f"{type(conv).__name__} weights have mean {float(w.mean()):.4f} and std {float(w.std()):.4f}; "
              "expected N(0, 0.02): nn.init.normal_(m.weight, 0.0, 0.02).")
    for bn in (model[1], model[4]):
        w, b = bn.weight.detach(), bn.bias.detach()
        check(abs(float(w.mean()) - 1) < 0.01 and float(w.std()) < 0.04 and float(w.std()) > 0.005,
              f"BatchNorm2d weights have mean {float(w.mean()):.3f} and std {float(w.std()):.3f}; expected "
              "N(1, 0.02) (a scale near 1, not near 0, or batch norm would silence the layer).")
        check(bool((b == 0).all()), "BatchNorm2d biases should be set to 0.")
    return passed("weights_init", "conv ~ N(0, 0.02), batch norm scale ~ N(1, 0.02), shift 0")


def check_conv_transpose_out(conv_transpose_out) -> bool:
    """``conv_transpose_out(size, kernel, stride, padding, output_padding=0)`` against torch."""
    cases = [(1, 7, 1, 0, 0), (7, 4, 2, 1, 0), (14, 4, 2, 1, 0), (5, 3, 2, 0, 0), (4, 3, 2, 1, 1),
             (8, 5, 3, 2, 0), (3, 4, 1, 0, 0)]
    for size, k, s, p, op in cases:
        got = call(conv_transpose_out, size, k, s, p, op, name="conv_transpose_out")
        layer = nn.ConvTranspose2d(1, 1, k, s, p, output_padding=op)
        want = layer(torch.zeros(1, 1, size, size)).shape[-1]
        check(isinstance(got, int) and not isinstance(got, bool),
              f"return an int, got {type(got).__name__} ({got!r}) for size={size}.")
        check(got == want, f"size={size}, kernel={k}, stride={s}, padding={p}, output_padding={op}: you "
                           f"return {got}, torch gives {want}. Transposed conv: (size - 1) * stride - 2 * padding "
                           "+ kernel + output_padding (the inverse of the conv formula).")
    return passed("conv_transpose_out", f"{len(cases)} cases match nn.ConvTranspose2d")
