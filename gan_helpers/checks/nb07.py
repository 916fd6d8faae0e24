"""Exercise checks for notebook 07 (pix2pix, Isola et al. 2017: colourisation L -> ab at 64 px).

* ``check_colour_pair(fn)``: ``fn(photos) -> (L, ab)``, a photo in CIE Lab scaled for a tanh
  output: L / 50 - 1 (N, 1, H, W), (a, b) / 110 (N, 2, H, W); ``rgb_to_lab`` may be used.
* ``check_d_loss(fn)``: ``fn(D, x, y_real, y_fake) -> scalar``, D's loss on pairs (eq. 1, halved):
  its value, D's gradient, and no gradient into the G that made ``y_fake``.
* ``check_g_loss(fn)``: ``fn(D, x, y_real, y_fake, lambda_l1) -> scalar``, the non-saturating GAN
  term on G's pair plus lambda_l1 times the L1 distance (eq. 4); its value and G's gradient.
* ``check_unet_forward(fn)``, ``check_receptive_field(fn)``: in ``nb07_nets`` (re-exported here).

The library's answers (``colour_pair``, ``make_pairs``, ``pair``, ``d_loss``, ``g_loss``,
``train_step``) are refused inside the learner's function, under any name it is bound to.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data.pairs import AB_SCALE, colour_pair, rgb_to_lab
from ..metrics.paired import make_pairs
from ..train import pix2pix as _lib
from ._core import CheckFailed, check, close, expect_tensor, passed
from ._refusals import _globals_of, call_refusing, refuse_identity

_COLOUR_MSG = ("Exercise 1 asks you to make the pair yourself: gan_helpers.data.pairs.colour_pair (and "
               "metrics.paired.make_pairs, which calls it) is its answer. Start from lab = rgb_to_lab(photos) "
               "and scale its channels.")
_D_MSG = ("Exercise 4 asks you to write D's loss yourself: gan_helpers.train.pix2pix.d_loss is its answer "
          "(and pair, which stacks the pair for it). Stack with torch.cat and use "
          "F.binary_cross_entropy_with_logits.")
_G_MSG = ("Exercise 5 asks you to write G's loss yourself: gan_helpers.train.pix2pix.g_loss is its answer "
          "(and pair, which stacks the pair for it). Stack with torch.cat, use "
          "F.binary_cross_entropy_with_logits and write the L1 term as a mean of absolute differences.")
_BCE = F.binary_cross_entropy_with_logits


def _shadow(fn, key: str, lib_fn, name: str) -> str | None:
    """The hint for a stub still raising NotImplementedError while the learner's code went into a function
    named like the library's (``key``), which replaced the library's name in the notebook."""
    ns = _globals_of(fn) or {}
    if key in ns and ns[key] is not lib_fn and ns[key] is not fn:
        return (f"You defined a function named `{key}`, which replaced the library's {key} imported earlier in "
                f"the notebook, while {name} still raises NotImplementedError. Put your code in {name}, then "
                f"restore the library's with `from {lib_fn.__module__} import {key}`.")
    return None


# --- exercise 1: the colourisation pair -------------------------------------------------------
def _photos(seed: int, n: int, h: int, w: int) -> torch.Tensor:
    """Random photos in [-1, 1] whose first pixels are saturated primaries: a and b far apart."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, h, w, generator=g) * 2 - 1
    prim = torch.tensor([[1, -1, -1], [-1, 1, -1], [-1, -1, 1], [1, 1, -1]], dtype=torch.float32)  # R G B yellow
    x[0, :, 0, :4] = prim.T
    return x


def _colour_mistake(L, ab, lab) -> str | None:
    """Name the usual slip in (L, ab), given the true Lab image."""
    L0, a, b = lab[:, :1], lab[:, 1:2], lab[:, 2:]
    if close(L, L0, atol=1e-3):
        return "L is still in [0, 100]: scale it to [-1, 1] with L / 50 - 1 (the generator's tanh input range)."
    if close(L, L0 / 100, atol=1e-4):
        return "L was scaled to [0, 1] (L / 100): the networks work in [-1, 1], so use L / 50 - 1."
    if close(L, L0 / 50, atol=1e-4):
        return "L / 50 lies in [0, 2]: subtract 1 as well (L / 50 - 1) to centre it on [-1, 1]."
    if close(ab, lab[:, 1:], atol=1e-3):
        return "ab is still in Lab units (about [-110, 110]): divide it by 110 (AB_SCALE) to bring it to [-1, 1]."
    if close(ab, torch.cat([b, a], 1) / AB_SCALE, atol=1e-4):
        return "a and b are swapped: keep Lab's order, ab = lab[:, 1:] (channel 1 is a, channel 2 is b)."
    return None


def check_colour_pair(fn) -> bool:
    """``fn(photos) -> (L, ab)``: photos (N, 3, H, W) in [-1, 1] -> L / 50 - 1 (N, 1, H, W), ab / 110 (N, 2, H, W)."""
    name = getattr(fn, "__name__", "colour_pair")
    library = {colour_pair: _COLOUR_MSG, make_pairs: _COLOUR_MSG}
    refuse_identity(fn, library, name)
    shadow = _shadow(fn, "colour_pair", colour_pair, name)
    for seed, (n, h, w) in enumerate([(3, 5, 6), (1, 4, 4)]):
        photos = _photos(seed, n, h, w)
        got = call_refusing(fn, photos.clone(), name=name, library=library, shadow_message=shadow)
        check(isinstance(got, (tuple, list)) and len(got) == 2,
              f"{name} should return two tensors, (L, ab), got {type(got).__name__}.")
        L, ab = got
        expect_tensor(L, name="L"), expect_tensor(ab, name="ab")
        if tuple(L.shape) == (n, 2, h, w) and tuple(ab.shape) == (n, 1, h, w):
            raise CheckFailed("L and ab are swapped: return (L, ab), the input (lightness, 1 channel) first, "
                              "then the target (colour, 2 channels).")
        for t, c, what in ((L, 1, "L"), (ab, 2, "ab")):
            if t.ndim == 3:
                raise CheckFailed(f"{what} has shape {tuple(t.shape)}: the channel dimension was dropped. Keep it, "
                                  f"{what} is (N, {c}, H, W): slice with lab[:, :1] / lab[:, 1:] rather than index "
                                  "lab[:, 0].")
            check(tuple(t.shape) == (n, c, h, w), f"{what} has shape {tuple(t.shape)}, expected {(n, c, h, w)}.")
        lab = rgb_to_lab(photos)
        want_L, want_ab = lab[:, :1] / 50 - 1, lab[:, 1:] / AB_SCALE
        if not (close(L, want_L, atol=1e-4) and close(ab, want_ab, atol=1e-4)):
            raise CheckFailed(_colour_mistake(L, ab, lab) or
                              "The values differ from the Lab conversion: lab = rgb_to_lab(photos), then "
                              "L = lab[:, :1] / 50 - 1 and ab = lab[:, 1:] / 110.")
    return passed("colour_pair", "L / 50 - 1 (N, 1, H, W) and ab / 110 (N, 2, H, W)")


# --- shared tiny networks for exercises 3 and 4 -----------------------------------------------------
class _PairD(nn.Module):
    """A small conditional D: pairs (N, cx + cy, H, W) -> logits (N, 1, H, W); any other input is
    refused with a lesson (what pix2pix's D judges is the pair, not the output alone)."""

    def __init__(self, cx: int = 1, cy: int = 2, seed: int = 0):
        super().__init__()
        self.cx, self.cy = cx, cy
        g = torch.Generator().manual_seed(seed)
        self.conv = nn.Conv2d(cx + cy, 1, 3, padding=1)  # (N, 1, H, W): one logit per patch
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(self.conv.weight.shape, generator=g))
            self.conv.bias.copy_(torch.randn(1, generator=g) * 0.5)

    def forward(self, xy: torch.Tensor) -> torch.Tensor:
        c = xy.shape[1] if torch.is_tensor(xy) and xy.ndim == 4 else None
        if c == self.cy:
            raise CheckFailed(f"D was shown only y ({self.cy} channels): D judges the pair. Stack the input with "
                              f"the output along the channels, D(torch.cat([x, y], dim=1)), ({self.cx} + {self.cy} "
                              "channels): that is what makes the GAN conditional.")
        if c == self.cx:
            raise CheckFailed("D was shown only the input x: D judges the pair, D(torch.cat([x, y], dim=1)).")
        check(c == self.cx + self.cy, f"D expects pairs (N, {self.cx + self.cy}, H, W), got "
                                      f"{tuple(xy.shape) if torch.is_tensor(xy) else type(xy).__name__}.")
        return self.conv(xy)


class _TinyG(nn.Module):
    """L (N, 1, H, W) -> ab (N, 2, H, W): the generator whose output is y_fake."""

    def __init__(self, seed: int = 1):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(self.conv.weight.shape, generator=g) * 0.5)
            self.conv.bias.copy_(torch.randn(2, generator=g) * 0.1)

    def forward(self, x):
        return torch.tanh(self.conv(x))


def _case(seed: int = 0):
    g = torch.Generator().manual_seed(seed + 10)
    x = torch.rand(4, 1, 8, 8, generator=g) * 2 - 1
    y_real = torch.rand(4, 2, 8, 8, generator=g) * 2 - 1
    return _PairD(seed=seed), _TinyG(seed + 1), x, y_real


def _run(fn, *args, name: str, library: dict, shadow: str | None):
    """The learner's loss, with the library refused; torch's error for a pair stacked on the wrong dim explained."""
    try:
        got = call_refusing(fn, *args, name=name, library=library, shadow_message=shadow)
    except RuntimeError as err:
        if "except in dimension 0" in str(err) or "stack expects" in str(err):
            raise CheckFailed("x and y were stacked along the batch (dim 0) or with torch.stack: D judges each "
                              "pair as one image with more channels, torch.cat([x, y], dim=1).") from None
        raise
    got = expect_tensor(got, name=f"{name}(...)")
    check(got.numel() == 1, f"{name} should return one number (a scalar), got shape {tuple(got.shape)}.")
    return got.reshape(())


def _grads(loss, params) -> list[torch.Tensor]:
    gs = torch.autograd.grad(loss, params, allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for g, p in zip(gs, params)]


# --- exercise 3: D's loss -----------------------------------------------------------------------------
def _d_ref(D, x, yr, yf, order="xy", half=0.5, labels=(1.0, 0.0), squash=False):
    def logits(y):
        return D(torch.cat([x, y], 1) if order == "xy" else torch.cat([y, x], 1))
    lr, lf = logits(yr), logits(yf.detach())
    if squash:
        lr, lf = torch.sigmoid(lr), torch.sigmoid(lf)
    return half * (_BCE(lr, torch.full_like(lr, labels[0])) + _BCE(lf, torch.full_like(lf, labels[1])))


def check_d_loss(fn) -> bool:
    """``fn(D, x, y_real, y_fake) -> scalar``: 0.5 * [BCE(D(x, y_real), 1) + BCE(D(x, y_fake.detach()), 0)]."""
    name = getattr(fn, "__name__", "d_loss")
    library = {_lib.d_loss: _D_MSG, _lib.pair: _D_MSG, _lib.g_loss: _D_MSG, _lib.train_step: _D_MSG}
    refuse_identity(fn, library, name)
    shadow = _shadow(fn, "d_loss", _lib.d_loss, name)
    D, G, x, y_real = _case(0)
    y_fake = G(x)                                  # attached to G's graph, as in training
    got = _run(fn, D, x, y_real, y_fake, name=name, library=library, shadow=shadow)
    want = _d_ref(D, x, y_real, y_fake)
    if not close(got, want):
        for kw, message in [
            (dict(half=1.0), "Off by a factor of 2: the paper halves D's objective (0.5 * the sum of the two BCE "
                             "terms) to slow D down relative to G."),
            (dict(order="yx"), "The pair is stacked in the wrong order: the input comes first, torch.cat([x, y], "
                               "dim=1), as the library and the notebook's D expect (channel 0 is L)."),
            (dict(labels=(0.0, 1.0)), "The labels are swapped: D should call the real pair real (target 1) and "
                                      "the fake pair fake (target 0)."),
            (dict(squash=True), "The sigmoid is applied twice: binary_cross_entropy_with_logits takes D's raw "
                                "logits and applies the sigmoid itself."),
        ]:
            if close(got, _d_ref(D, x, y_real, y_fake, **kw)):
                raise CheckFailed(message)
        raise CheckFailed(f"{name} returned {got.item():.5f}, expected {want.item():.5f}: 0.5 * [BCE-with-logits of "
                          "D(cat([x, y_real], 1)) against 1 + BCE-with-logits of D(cat([x, y_fake], 1)) against 0].")
    check(got.requires_grad, f"{name} returned a number with no graph behind it (torch.no_grad(), .detach() or "
                             ".item()): D cannot learn from it.")
    d_params, g_params = list(D.parameters()), list(G.parameters())
    mine = torch.autograd.grad(got, d_params + g_params, allow_unused=True)
    check(all(g is None or float(g.abs().sum()) == 0 for g in mine[len(d_params):]),
          "Gradient reached the generator: use y_fake.detach() in D's loss, otherwise D's step also pushes G "
          "(and wastes a backward pass through it).")
    mine = [torch.zeros_like(p) if g is None else g for g, p in zip(mine, d_params)]
    if not all(close(a, b) for a, b in zip(mine, _grads(_d_ref(D, x, y_real, y_fake), d_params))):
        lr, lf = D(torch.cat([x, y_real], 1)), D(torch.cat([x, y_fake.detach()], 1))
        terms = {"real": 0.5 * _BCE(lr, torch.ones_like(lr)), "fake": 0.5 * _BCE(lf, torch.zeros_like(lf))}
        for which, term in terms.items():
            if all(close(a, b) for a, b in zip(mine, _grads(term, d_params))):
                raise CheckFailed(f"The value is right, but only the {which} term trains D: the other one was "
                                  "detached or computed under torch.no_grad(). Detach y_fake, never D's output.")
        raise CheckFailed("The value is right, but D's gradient differs from the reference: both terms must reach "
                          "D's weights (detach only y_fake).")
    return passed("d_loss", "D judges (x, y) pairs, real 1 and fake 0, halved, y_fake detached")


# --- exercise 4: G's loss -----------------------------------------------------------------------------
def _g_ref(D, x, yr, yf, lam, order="xy", dist="l1", where="l1", form="ns", l1_sum=False, cut=None):
    pair_y = yf.detach() if cut == "gan" else yf
    logits = D(torch.cat([x, pair_y], 1) if order == "xy" else torch.cat([pair_y, x], 1))
    adv = -_BCE(logits, torch.zeros_like(logits)) if form == "sat" else _BCE(logits, torch.ones_like(logits))
    diff = yr - (yf.detach() if cut == "l1" else yf)
    l1 = diff.pow(2).mean() if dist == "l2" else (diff.abs().sum() if l1_sum else diff.abs().mean())
    return {"l1": adv + lam * l1, "none": adv + l1, "gan": lam * adv + l1}[where]


def check_g_loss(fn) -> bool:
    """``fn(D, x, y_real, y_fake, lambda_l1) -> scalar``: BCE(D(x, y_fake), 1) + lambda_l1 * mean |y_real - y_fake|."""
    name = getattr(fn, "__name__", "g_loss")
    library = {_lib.g_loss: _G_MSG, _lib.pair: _G_MSG, _lib.d_loss: _G_MSG, _lib.train_step: _G_MSG}
    refuse_identity(fn, library, name)
    shadow = _shadow(fn, "g_loss", _lib.g_loss, name)
    D, G, x, y_real = _case(1)
    g_params = list(G.parameters())
    for lam in (100.0, 1.0, 0.0):                    # the paper's weight, then two that expose a misplaced one
        got = _run(fn, D, x, y_real, G(x), lam, name=name, library=library, shadow=shadow)
        want = _g_ref(D, x, y_real, G(x), lam)
        if not close(got, want):
            for kw, message in [
                (dict(dist="l2"), "That is an L2 (squared) distance: pix2pix uses L1, mean |y_real - y_fake|, "
                                  "which blurs less than L2."),
                (dict(where="none"), f"With lambda_l1 = {lam:g} the L1 term is not weighted: multiply it by "
                                     "lambda_l1."),
                (dict(where="gan"), "lambda_l1 weights the wrong term: it multiplies the L1 distance, "
                                    "not the GAN term (loss = BCE + lambda_l1 * L1)."),
                (dict(form="sat"), "That is the saturating form, minimising log(1 - D(x, G(x))): its gradient "
                                   "vanishes while D rejects the fakes. Use the non-saturating one, "
                                   "BCE-with-logits(D(cat([x, y_fake], 1)), 1), i.e. -log D(x, G(x))."),
                (dict(l1_sum=True), "The L1 term is a sum: take the mean of |y_real - y_fake| over every pixel "
                                    "(lambda_l1 = 100 is tuned for a mean)."),
                (dict(order="yx"), "The pair is stacked in the wrong order: the input comes first, "
                                   "torch.cat([x, y_fake], dim=1), as in D's loss."),
            ]:
                if close(got, _g_ref(D, x, y_real, G(x), lam, **kw)):
                    raise CheckFailed(message)
            raise CheckFailed(f"With lambda_l1 = {lam:g}, {name} returned {got.item():.5f}, expected "
                              f"{want.item():.5f}: BCE-with-logits(D(cat([x, y_fake], 1)), 1) + lambda_l1 * "
                              "mean |y_real - y_fake|.")
        check(got.requires_grad, f"{name} returned a number with no graph behind it (torch.no_grad(), .detach() "
                                 "or .item()): G cannot learn from it.")
        mine = _grads(got, g_params)
        if not all(close(a, b) for a, b in zip(mine, _grads(_g_ref(D, x, y_real, G(x), lam), g_params))):
            if all(close(a, b) for a, b in zip(mine, _grads(_g_ref(D, x, y_real, G(x), lam, cut="gan"), g_params))):
                raise CheckFailed("The value is right, but the GAN term does not reach G: y_fake was detached "
                                  "(or D's output was). G must learn from D's verdict, so keep y_fake attached.")
            raise CheckFailed("The value is right, but G's gradient differs from the reference: do not detach "
                              "y_fake (or anything computed from it) in G's loss.")
    return passed("g_loss", "non-saturating GAN term on (x, y_fake) + lambda_l1 * L1, trains G")


# --- the U-Net forward pass and the PatchGAN's receptive field: in nb07_nets (re-exported here) --------
from .nb07_nets import check_receptive_field, check_unet_forward  # noqa: E402,F401
