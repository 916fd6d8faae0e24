"""Checks for notebook 04's exercises (DCGAN, Radford et al. 2015): choosing transposed and
strided convolution sizes for new cases, a generator for 32x32 images built from the
guidelines, the N(0, 0.02) weight initialisation, a prediction of D(x) and D(G(z)) when D is
frozen (compared with a run), and the fix of a training step with a planted bug (compared with
the library's step, ``gan_helpers.train.d_step`` / ``g_step``).

Every check either prints one ``PASSED`` line (the same text whatever the run measured, so
nbval can compare it in smoke and full mode) or raises ``CheckFailed`` with what to fix.
"""
from __future__ import annotations

import sys
import types

import torch
import torch.nn.functional as F
from torch import nn

from ..models import infogan
from ..models.blocks import weights_init as _library_weights_init
from ..models.dcgan import Generator, conv_transpose_out
from ._core import CheckFailed, check, expect_tensor, passed
from ._refusals import call_refusing, refuse_identity, refusing

# What each exercise refuses while the learner's function runs (see _refusals): the library's answer
# and the worked cell just above the exercise.
_SIZE_MSG = ("work the five sizes out with section 1's formulas (n_out = (n - 1) s - 2p + k + output_padding for a "
             "transposed conv, floor((n + 2p - k) / s) + 1 for a conv) and return the integers; calling a "
             "size function to search for them skips the reasoning the exercise asks for.")
_G_MSG = ("write your own nn.Sequential for 32x32: the library's generators (and notebook 04's) make 28x28 "
          "images; project z to 4x4 and double the size three times with your own layers.")
_RESIZE_MSG = ("your G resizes its maps by padding or interpolation: section 1's G grows the image with transposed "
               "convolutions only. Project z to 4x4 (kernel 4 on the 1x1 map) and let three stride-2 transposed "
               "convolutions double it to 8, 16 and 32; a 28x28 G padded or stretched to 32 is not a 32x32 design.")
_RESIZE_OPS = {F.pad: _RESIZE_MSG, F.interpolate: _RESIZE_MSG}
_PAD_LAYERS = tuple(getattr(nn, n) for n in ("ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d",
                                              "CircularPad2d") if hasattr(nn, n))
_INIT_MSG = ("write my_weights_init's body yourself with nn.init.normal_ / nn.init.zeros_ (conv and linear "
             "weights N(0, 0.02), batch-norm scales N(1, 0.02), shifts 0); gan_helpers.models.blocks.weights_init is the "
             "library's answer, imported in section 2.")
_RUN_MSG = ("my_prediction should return the two numbers you expect BEFORE the run, written as constants; it "
            "must not train, measure or read the run (run_mode, tail_means, measured, frozen).")


def _leaves(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if len(list(m.children())) == 0]


# --- Exercise 1: sizes of (transposed) convolutions ------------------------------------------

# key: (question, builds the layer from the learner's value, input size, wanted output size, hint)
_LAYER_QUESTIONS = {
    "a_padding": ("ConvTranspose2d(kernel 4, stride 2, padding ?) maps 4 -> 8",
                  lambda v: nn.ConvTranspose2d(1, 1, 4, 2, v), 4, 8,
                  "n_out = (n - 1) s - 2p + k: the padding is taken off both sides, so it counts twice."),
    "b_kernel": ("ConvTranspose2d(kernel ?, stride 1, padding 0) maps a 1x1 map to 4x4",
                 lambda v: nn.ConvTranspose2d(1, 1, v, 1, 0), 1, 4,
                 "from a 1x1 input, stride and padding do not matter: the output is as large as the kernel. "
                 "Kernel 7 is the 28x28 generator's projection."),
    "c_output_padding": ("ConvTranspose2d(kernel 3, stride 2, padding 1, output_padding ?) maps 7 -> 14",
                         lambda v: nn.ConvTranspose2d(1, 1, 3, 2, 1, output_padding=v), 7, 14,
                         "without it the layer gives 13. A stride-2 conv maps both 13 and 14 to 7, so the "
                         "transposed conv cannot know which one you want: output_padding adds the missing "
                         "row and column (it must be smaller than the stride)."),
    "d_size": ("the size Conv2d(kernel 4, stride 2, padding 1) makes of a 7x7 map (D's direction)",
               None, 7, 3,
               "a forward conv: floor((n + 2p - k) / s) + 1 = floor(5 / 2) + 1 = 3. The floor drops the last "
               "row, which is why the 28x28 D ends with a 7x7 conv instead of halving a third time."),
    "e_kernel": ("ConvTranspose2d(kernel ?, stride 3, padding 0) maps 7 -> 21",
                 lambda v: nn.ConvTranspose2d(1, 1, v, 3, 0), 7, 21,
                 "(7 - 1) * 3 = 18 comes from the stride; the kernel adds the rest."),
}


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _gallery_helpers() -> dict:
    """The failure gallery's run helpers (``gan_helpers.widgets.dcgan``: run_mode, tail_means, score_run),
    looked up where the notebook loaded them: checks sit beside widgets in the package's layers
    (tools/layers.py), so they may not import them. Not loaded means the learner cannot call them."""
    mod = sys.modules.get("gan_helpers.widgets.dcgan")
    names = ("run_mode", "tail_means", "score_run")
    return {getattr(mod, n): _RUN_MSG for n in names if mod is not None and hasattr(mod, n)}


def check_layer_choices(layer_choices) -> bool:
    """``layer_choices()`` returns a dict with the five integers of exercise 1 (keys a_padding,
    b_kernel, c_output_padding, d_size, e_kernel); each is tried in torch."""
    answers = call_refusing(layer_choices, name="layer_choices", library={conv_transpose_out: _SIZE_MSG},
                            notebook={"t_out": _SIZE_MSG})
    check(isinstance(answers, dict), f"layer_choices() should return a dict, got {type(answers).__name__}.")
    missing = [k for k in _LAYER_QUESTIONS if k not in answers]
    check(not missing, f"the dict has no entry for {missing}: return all of {list(_LAYER_QUESTIONS)}.")
    for key, (question, build, n_in, n_out, hint) in _LAYER_QUESTIONS.items():
        v = answers[key]
        check(_is_int(v), f"{key} should be an int, got {type(v).__name__} ({v!r}). {question}.")
        if build is None:   # the size question: compare with torch's forward conv
            want = nn.Conv2d(1, 1, 4, 2, 1)(torch.zeros(1, 1, n_in, n_in)).shape[-1]
            check(v == want, f"{key} = {v}: {question} is {want}, not {v}. Hint: {hint}")
            continue
        check(v >= 0, f"{key} = {v}: kernel sizes and paddings are >= 0. {question}.")
        try:
            got = build(v)(torch.zeros(1, 1, n_in, n_in)).shape[-1]
        except (RuntimeError, ValueError) as err:
            raise CheckFailed(f"{key} = {v}: torch refuses that layer ({str(err).splitlines()[0]}). "
                              f"{question}. Hint: {hint}") from None
        check(got == n_out, f"{key} = {v}: that layer maps {n_in} -> {got}, the question asks {n_in} -> {n_out} "
                            f"({question}). Hint: {hint}")
    return passed("layer_choices", "all five sizes match torch")


# --- Exercise 2: a generator for 32x32 images -------------------------------------------------

def check_g32(make_G32) -> bool:
    """``make_G32(latent_dim, c)`` returns a module mapping z (N, latent_dim) to (N, 1, 32, 32)
    in [-1, 1], built from the DCGAN guidelines."""
    for latent_dim, c in ((16, 8), (100, 4)):
        G = call_refusing(make_G32, latent_dim, c, name="make_G32",
                          library={Generator: _G_MSG, infogan.Generator: _G_MSG}, torch_ops=_RESIZE_OPS)
        check(not isinstance(G, (Generator, infogan.Generator)), _G_MSG)
        check(isinstance(G, nn.Module), f"make_G32 should return an nn.Module (e.g. nn.Sequential), got {type(G).__name__}.")
        leaves = _leaves(G)
        banned = [type(m).__name__ for m in leaves if isinstance(m, (nn.Linear, nn.Upsample, nn.MaxPool2d, nn.AvgPool2d))]
        check(not any(isinstance(m, _PAD_LAYERS) for m in leaves), _RESIZE_MSG)
        check(not banned, f"your G uses {banned}: this exercise follows section 1's guidelines, which grow the image "
                          "with transposed convolutions only (no upsampling or pooling layers, no Linear layers: "
                          "read z as a 1x1 map and project it with a transposed conv, as section 1's G does).")
        check(any(isinstance(m, nn.ConvTranspose2d) for m in leaves),
              "your G has no nn.ConvTranspose2d: G grows the image with (fractional-)strided transposed convolutions.")
        check(not any(isinstance(m, nn.LeakyReLU) for m in leaves),
              "your G uses LeakyReLU: the guidelines put plain ReLU in G's hidden layers and LeakyReLU in D.")
        convs = [m for m in leaves if isinstance(m, nn.ConvTranspose2d)]
        bad = [i for i, m in enumerate(convs[1:], 1) if tuple(m.stride) != (2, 2)]
        check(not bad, f"transposed conv {bad[0] + 1 if bad else 0} of your G has stride "
                       f"{convs[bad[0]].stride if bad else ''}: after the projection of z, every transposed conv "
                       "doubles the size (stride 2, kernel 4, padding 1), as in section 1's G; one large stride-1 "
                       "kernel would paint the whole image at once instead of growing it.")
        seen = {}
        hook = convs[-1].register_forward_hook(lambda _m, _i, out: seen.__setitem__("last", tuple(out.shape)))
        torch.manual_seed(0)
        z = torch.randn(4, latent_dim)
        G.train()
        try:
            with refusing(make_G32, torch_ops=_RESIZE_OPS):
                x = G(z)
        except RuntimeError as err:
            try:
                G(z[:, :, None, None])
                reshape_works = True
            except RuntimeError:
                reshape_works = False
            if reshape_works:
                raise CheckFailed("your G works on z of shape (N, latent_dim, 1, 1) but not on (N, latent_dim): "
                                  "G reads z as a vector like the library's Generator; make nn.Unflatten(1, "
                                  "(latent_dim, 1, 1)) its first layer (or reshape in forward).") from None
            raise CheckFailed(f"G(z) with z of shape (4, {latent_dim}) fails: {str(err).splitlines()[0]}") from None
        finally:
            hook.remove()
        check(torch.is_tensor(x), f"G(z) should return a tensor, got {type(x).__name__}.")
        if tuple(x.shape) == (4, 1, 28, 28):
            raise CheckFailed("G(z) is 28x28: that is notebook 04's generator. 32 = 4 x 2 x 2 x 2: project z to a "
                              "4x4 map (kernel 4 on the 1x1 input, exercise 1 b) and double it three times.")
        expect_tensor(x, (4, 1, 32, 32), name=f"G(z) for latent_dim={latent_dim}, c={c}")
        check(seen.get("last", (0, 0, 0, 0))[-2:] == (32, 32),
              f"G's last transposed conv outputs {seen.get('last')}, yet G returns 32x32: the last transposed conv "
              "should make the 32x32 image itself (then tanh), with no resizing after it.")
        last = leaves[-1]
        check(isinstance(last, nn.Tanh) and bool((x.abs() <= 1).all()),
              "G should end with nn.Tanh(): the data lie in [-1, 1] (guideline 4).")
        convs = [i for i, m in enumerate(leaves) if isinstance(m, nn.ConvTranspose2d)]
        check(not any(isinstance(m, nn.BatchNorm2d) for m in leaves[convs[-1]:]),
              "there is a BatchNorm2d after G's last transposed conv: guideline 2 leaves G's output layer "
              "without batch norm (it would fix the mean and spread of every image's pixels).")
        for i in convs[:-1]:   # every hidden transposed conv: batch norm, then ReLU
            nxt = leaves[i + 1:i + 3]
            check(len(nxt) == 2 and isinstance(nxt[0], nn.BatchNorm2d) and isinstance(nxt[1], nn.ReLU),
                  f"layer {i} ({leaves[i]}) should be followed by nn.BatchNorm2d and nn.ReLU "
                  "(guidelines 2 and 4), got " + ", ".join(type(m).__name__ for m in nxt) + ".")
        check(len(convs) >= 2, "one transposed conv cannot be the whole G: project z first, then upsample.")
    return passed("make_G32", "z (N, latent_dim) -> images (N, 1, 32, 32) by transposed convolutions, batch "
                              "norm and ReLU inside, tanh at the output")


# --- Exercise 3: weight initialisation ---------------------------------------------------------

def check_weights_init(weights_init) -> bool:
    """``weights_init(m)`` used as ``model.apply(weights_init)`` on a model holding every layer
    type of notebook 04's two pairs (conv, transposed conv, Linear, BatchNorm2d, BatchNorm1d):
    conv and linear weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02) and shifts 0."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 512), nn.BatchNorm1d(512), nn.ReLU(),
                          nn.Unflatten(1, (32, 4, 4)),
                          nn.ConvTranspose2d(32, 128, 7), nn.BatchNorm2d(128), nn.ReLU(),
                          nn.Conv2d(128, 256, 4, 2, 1), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
                          nn.Flatten(), nn.Linear(256 * 5 * 5, 256))
    with torch.no_grad():  # start far from the target so a no-op fails
        for p in model.parameters():
            p.uniform_(-1, 1)
    refuse_identity(weights_init, {_library_weights_init: _INIT_MSG}, "my_weights_init")
    try:
        with refusing(weights_init, library={_library_weights_init: _INIT_MSG}):
            model.apply(weights_init)
    except NotImplementedError:
        raise CheckFailed("weights_init still raises NotImplementedError: write its body.") from None
    for layer in (model[4], model[7], model[0], model[11]):
        w = layer.weight.detach()
        name = type(layer).__name__
        if name == "Linear" and float(w.std()) > 0.2:
            raise CheckFailed(
                f"the Linear layers keep the weights they had (std {float(w.std()):.2f}): your function does not "
                "touch nn.Linear. The InfoGAN-shaped G holds 98% of its parameters in two Linear layers; "
                "initialise their weights from N(0, 0.02) like the convolutions'.")
        check(abs(float(w.mean())) < 0.005 and abs(float(w.std()) - 0.02) < 0.002,
              f"{name} weights have mean {float(w.mean()):.4f} and std {float(w.std()):.4f}; "
              "expected N(0, 0.02): nn.init.normal_(m.weight, 0.0, 0.02) (std 0.02 is the second number, "
              "not a variance).")
    for bn in (model[5], model[8], model[1]):
        w, b = bn.weight.detach(), bn.bias.detach()
        name = type(bn).__name__
        if name == "BatchNorm1d" and float(w.std()) > 0.2:
            raise CheckFailed(
                "the BatchNorm1d layers keep the values they had: your function handles BatchNorm2d only. "
                "The InfoGAN shape normalises its Linear layers' outputs with nn.BatchNorm1d; give it the "
                "same scale N(1, 0.02) and shift 0 (isinstance accepts a tuple of classes).")
        check(abs(float(w.mean()) - 1) < 0.01 and float(w.std()) < 0.04 and float(w.std()) > 0.005,
              f"{name} weights have mean {float(w.mean()):.3f} and std {float(w.std()):.3f}; expected "
              "N(1, 0.02) (a scale near 1, not near 0, or batch norm would silence the layer).")
        check(bool((b == 0).all()), f"{name} biases (the shifts) should be set to 0.")
    return passed("weights_init", "conv, transposed-conv and Linear weights ~ N(0, 0.02); BatchNorm2d and "
                                  "BatchNorm1d scale ~ N(1, 0.02), shift 0")


# --- Exercise 4: predict, then run -------------------------------------------------------------

PREDICTION_TOLERANCE = 0.15
_PREDICTION_BUILTINS = {"dict", "float", "int", "round"}


def check_frozen_D_prediction(my_prediction, measured: dict) -> bool:
    """``my_prediction()`` returns ``{"D_x": float, "D_G_z": float}``: D's mean outputs over the
    last 50 steps of the run with D frozen. ``measured`` holds the same two numbers from the run
    (``gan_helpers.widgets.dcgan.tail_means`` of its history). A prediction passes when each
    number is within 0.15 of the measurement and the order of the two is right."""
    for k in ("D_x", "D_G_z"):
        check(k in measured and 0 <= measured[k] <= 1, f"measured should hold {k} in [0, 1] (run the cell above).")
    # A prediction is written before the run: a plain function returning constants. It may read no
    # name but a few builtins, and carry nothing (defaults, closure), so no alias of the run reaches it.
    code = getattr(my_prediction, "__code__", None)
    check(isinstance(my_prediction, types.FunctionType) and code is not None,
          "my_prediction should be a plain function (def my_prediction(): return {...}).")
    reads = set(code.co_names) | set(code.co_freevars)
    check(not reads - _PREDICTION_BUILTINS and not my_prediction.__defaults__ and not my_prediction.__closure__,
          _RUN_MSG + f" It reads {sorted(reads - _PREDICTION_BUILTINS) or 'a default value or closure'}.")
    guess = call_refusing(my_prediction, name="my_prediction",
                          library=_gallery_helpers())
    check(isinstance(guess, dict) and {"D_x", "D_G_z"} <= set(guess),
          "my_prediction() should return a dict with the keys 'D_x' and 'D_G_z' (two numbers in [0, 1]).")
    for k in ("D_x", "D_G_z"):
        v = guess[k]
        check(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1,
              f"{k} should be a number in [0, 1] (a probability, D's sigmoid output), got {v!r}.")
    m_x, m_g = measured["D_x"], measured["D_G_z"]
    if guess["D_G_z"] < guess["D_x"] and m_g > m_x:
        raise CheckFailed(
            f"you predicted D(G(z)) {guess['D_G_z']:.2f} below D(x) {guess['D_x']:.2f}: the run shows the opposite "
            f"(the run gave D(x) {m_x:.2f}, D(G(z)) {m_g:.2f}). A frozen D is a fixed landscape: nothing pushes D(x) up or "
            "D(G(z)) down any more, while G keeps climbing towards whatever D happens to score high, "
            "whether it looks like a digit or not.")
    if abs(guess["D_x"] - m_x) > PREDICTION_TOLERANCE:
        raise CheckFailed(
            f"D(x): you predicted {guess['D_x']:.2f}, the run gave {m_x:.2f} (more than {PREDICTION_TOLERANCE} "
            "away). D's weights never change and it was initialised with small weights: what does "
            "such a D output for any image, real or not? Its output on real images cannot drift without training.")
    if abs(guess["D_G_z"] - m_g) > PREDICTION_TOLERANCE:
        raise CheckFailed(
            f"D(G(z)): you predicted {guess['D_G_z']:.2f}, the run gave {m_g:.2f} (more than "
            f"{PREDICTION_TOLERANCE} away). G's loss -log D(G(z)) is minimised by driving D(G(z)) to 1, and a frozen D "
            "never moves its landscape away from G's samples.")
    return passed("frozen-D prediction", f"both numbers within {PREDICTION_TOLERANCE} of the run, in the right order")


# Exercise 5 (fix a planted bug) lives in nb04_step; the notebook calls it as nb04.*.
from .nb04_step import check_fixed_step, train_step_with_bug  # noqa: E402,F401
