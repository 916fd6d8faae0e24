"""Exercise checks for notebook 07's networks (pix2pix, Isola et al. 2017). Re-exported by ``checks.nb07``.

* ``check_unet_forward(fn)``: ``fn(downs, ups, x)``, the U-Net's forward pass with skip connections
  (Ronneberger et al. 2015) given the two ModuleLists of a ``UNetGenerator``; compared with
  ``UNetGenerator.forward`` on small nets of two depths. Calling a ``UNetGenerator`` (any instance,
  its ``forward``, or the class) is refused while the learner's function runs.
* ``check_receptive_field(fn)``: ``fn(n_layers)``, the side of the input patch one output of
  ``models.cyclegan.PatchDiscriminator`` sees (70 for 3 layers, the paper's 70x70 PatchGAN); the
  library's ``receptive_field`` is refused.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

from ..models.cyclegan import receptive_field as _lib_rf
from ..models.pix2pix import UNetGenerator
from ._core import CheckFailed, check, close, expect_tensor, passed
from ._refusals import _stand_in, call_refusing, refuse_identity, refusing

_UNET_MSG = ("Exercise 2 asks you to write the forward pass yourself: UNetGenerator.forward (calling a "
             "UNetGenerator, such as G(x)) is its answer. Loop over downs keeping every output, then over ups, "
             "concatenating each skip with torch.cat.")
_RF_MSG = ("Exercise 3 asks you to work out the receptive field yourself: gan_helpers.models.cyclegan."
           "receptive_field is its answer. Walk back from one output pixel: rf = (rf - 1) * stride + kernel.")


# --- exercise 2: the U-Net forward pass with skips --------------------------------------------------
def _nets(seed: int, n_down: int) -> UNetGenerator:
    """A small U-Net in eval mode (dropout off, batch norm on its running statistics) with weights
    large enough that every mistake moves the output by far more than the tolerance."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G = UNetGenerator(1, 2, 4, n_down, max_mult=2).eval()
        for m in G.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, 0.0, 0.25)
                nn.init.normal_(m.bias, 0.0, 0.1)
    return G


def _forward(downs, ups, x, reverse: bool = False) -> torch.Tensor:
    """The reference pass (``reverse``: the skip before the decoder output in each cat)."""
    feats, h = [], x
    for down in downs:
        h = down(h)
        feats.append(h)                              # (N, ch[i], H / 2**(i+1), W / 2**(i+1))
    h = ups[0](feats[-1])                            # the bottleneck alone: nothing of its size to skip to
    for i, up in enumerate(ups[1:], start=1):
        skip = feats[-(i + 1)]                       # the encoder output of h's size
        h = up(torch.cat([skip, h] if reverse else [h, skip], 1))
    return h


@contextmanager
def _unet_off(fn):
    """UNetGenerator out of reach: its ``forward`` and ``__init__`` swapped on the class itself, so a G built
    earlier in the notebook, a new one, and ``UNetGenerator.forward(G, x)`` all refuse, under any alias."""
    originals = {key: UNetGenerator.__dict__[key] for key in ("forward", "__init__")}
    try:
        for key in originals:
            setattr(UNetGenerator, key, _stand_in(_UNET_MSG))
        with refusing(fn, library={f: _UNET_MSG for f in originals.values()}):
            yield
    finally:
        for key, f in originals.items():
            setattr(UNetGenerator, key, f)


def _expected_in(G: UNetGenerator) -> list[int]:
    return [up[1].in_channels for up in G.ups]


def _runtime_lesson(err: RuntimeError, seen: list[tuple[int, int]], G: UNetGenerator) -> str:
    """Turn torch's shape error into the mistake that usually causes it."""
    text = str(err)
    if "Sizes of tensors must match" in text:
        return ("torch.cat was given tensors of different sizes: the skip came from the wrong encoder layer. "
                "Up layer i (1-based, over ups[1:]) takes torch.cat([h, feats[-(i + 1)]], dim=1), the encoder "
                "output of the same height and width as h.")
    expected = _expected_in(G)
    for k, c in seen:
        if k == 0 and c == 2 * expected[0]:
            return ("The first up layer was given the bottleneck concatenated with itself: ups[0] takes the "
                    "bottleneck alone, h = ups[0](feats[-1]); the skips start at ups[1].")
        if k > 0 and c == expected[k] // 2:
            return (f"ups[{k}] was given {c} channels, it expects {expected[k]}: the skip is missing. Every up layer "
                    "after the first takes torch.cat([h, feats[-(i + 1)]], dim=1), the decoder output and the "
                    "encoder output of its size, stacked along the channels.")
    return f"Your forward pass raised {type(err).__name__}: {text.splitlines()[0]}"


def check_unet_forward(fn) -> bool:
    """``fn(downs, ups, x) -> image``: UNetGenerator.forward (skips on), from its two ModuleLists."""
    name = getattr(fn, "__name__", "unet_forward")
    refuse_identity(fn, {UNetGenerator.forward: _UNET_MSG, UNetGenerator: _UNET_MSG}, name)
    for seed, (n_down, size) in enumerate([(4, 16), (4, 16), (5, 32)]):
        G = _nets(seed, n_down)
        x = torch.rand(2, 1, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1
        want = G(x)
        seen: list[tuple[int, int]] = []             # (up layer, channels it was given), in call order
        hooks = [up.register_forward_pre_hook(lambda _m, a, k=k: seen.append((k, a[0].shape[1])))
                 for k, up in enumerate(G.ups)]
        try:
            with _unet_off(fn):
                got = call_refusing(fn, G.downs, G.ups, x.clone(), name=name)
        except RuntimeError as err:
            raise CheckFailed(_runtime_lesson(err, seen, G)) from None
        finally:
            for hook in hooks:
                hook.remove()
        got = expect_tensor(got, name=f"{name}(...)")
        if tuple(got.shape) != tuple(want.shape):
            ran = sorted({k for k, _ in seen})
            if ran and len(ran) < len(G.ups):
                raise CheckFailed(f"Only {len(ran)} of the {len(G.ups)} up layers ran (output {tuple(got.shape)}, "
                                  f"expected {tuple(want.shape)}): run every one, the last (ups[-1]) brings the "
                                  "image back to full size with tanh. Return after the loop, not inside it.")
            raise CheckFailed(f"{name} returned shape {tuple(got.shape)}, expected {tuple(want.shape)}.")
        if not close(got, want, atol=1e-5):
            if close(got, _forward(G.downs, G.ups, x, reverse=True), atol=1e-5):
                raise CheckFailed("The skip is stacked in the wrong order: torch.cat([h, skip], dim=1), the decoder "
                                  "output first, then the encoder output (the order the up layers were trained with).")
            raise CheckFailed(f"With {n_down} down layers the output differs from UNetGenerator.forward (largest "
                              f"difference {float((got - want).abs().max()):.4f}): every down layer in order, keeping "
                              "each output; ups[0] on the bottleneck; then each later up layer on "
                              "torch.cat([h, feats[-(i + 1)]], dim=1).")
        check(got.requires_grad, f"{name} returned an image with no graph behind it (torch.no_grad() or .detach()): "
                                 "the generator could not be trained through it.")
    return passed("unet_forward", "encoder outputs kept, decoder output + same-size skip concatenated, all layers run")


# --- exercise 5: the PatchGAN's receptive field -------------------------------------------------------
def _walk(layers, start: int = 1, minus: int = 1) -> int:
    rf = start
    for k, s in layers:
        rf = (rf - minus) * s + k
    return rf


def _rf_mistake(n: int, got: int, want: int) -> str | None:
    stride2, stride1 = [(4, 2)] * n, [(4, 1)] * 2
    if got == _walk(list(reversed(stride2))):
        return ("The two stride-1 4x4 convolutions at the end are missing: after the n_layers stride-2 layers, "
                "PatchDiscriminator has two more (one to 8n channels, one to the 1-channel output); each widens "
                "the patch by 3 pixels.")
    if got == _walk(stride2 + stride1):
        return ("The layers were walked in the wrong direction: rf = (rf - 1) * stride + kernel walks back from "
                "one output pixel, so start with the last layer (stride 1) and end with the first (stride 2).")
    if got == _walk(list(reversed(stride2 + stride1)), minus=0):
        return "Each step is rf = (rf - 1) * stride + kernel: the window of rf outputs spans (rf - 1) strides."
    if abs(got - want) == 1:
        return ("Off by one: start from rf = 1 (one output pixel) and use rf = (rf - 1) * stride + kernel at each "
                "layer, walking back from the output.")
    return None


def check_receptive_field(fn) -> bool:
    """``fn(n_layers) -> int``: the PatchGAN's receptive field (n_layers stride-2 4x4 convs, then two stride-1)."""
    name = getattr(fn, "__name__", "receptive_field")
    refuse_identity(fn, {_lib_rf: _RF_MSG}, name)
    from .nb07 import _shadow
    shadow = _shadow(fn, "receptive_field", _lib_rf, name)
    for n in (3, 1, 2, 4, 0, 5):                     # 70 first: the paper's PatchGAN
        got = call_refusing(fn, n, name=name, library={_lib_rf: _RF_MSG}, shadow_message=shadow)
        ok = isinstance(got, (int, float)) or (torch.is_tensor(got) and got.numel() == 1)
        check(ok and not isinstance(got, bool), f"{name} should return a number of pixels, got {type(got).__name__}.")
        want = _walk([(4, 1), (4, 1)] + [(4, 2)] * n)  # walking back: the stride-1 layers come first
        if abs(float(got) - want) > 1e-6:
            raise CheckFailed(f"{name}({n}) returned {float(got):g}, expected {want}. "
                              + (_rf_mistake(n, float(got), want) or "Walk back from one output pixel (rf = 1) "
                                 "through every layer, last to first: rf = (rf - 1) * stride + kernel."))
    return passed("receptive_field", "70x70 for 3 layers: walked back through all n_layers + 2 convolutions")
