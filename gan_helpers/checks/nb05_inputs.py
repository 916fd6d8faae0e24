"""Checks for notebook 05's build exercises: where the label enters the conditional networks.

* ``check_g_input``: G's input, the one-hot label joined to z (Mirza and Osindero 2014), for a batch;
* ``check_d_planes``: D's input, the one-hot spread into constant planes stacked on the image
  channels ("input concatenation" in Miyato and Koyama 2018), for a batch of any image size;
* ``check_projection_logits``: the projection term of Miyato and Koyama (2018), for a batch.

The notebook works each one out for a single sample (``g_input_one``, ``d_input_one``,
``projection_one``); the exercises ask for the batch. Each check compares with a reference on fixed
tensors, names the usual mistakes, and refuses (``_refusals``) the library's versions
(``models.cgan.one_hot`` / ``label_maps``, the conditional networks, ``ProjectionDiscriminator``),
``F.one_hot`` where the one-hot is the exercise, and calls of the single-sample worked cells.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models import cgan as _cgan, infogan as _infogan
from ..models.projection import ProjectionDiscriminator
from ._core import CheckFailed, check, close, passed
from ._refusals import call_refusing, refuse_identity

_ONE_HOT_MSG = ("build the one-hot yourself (this exercise is writing it): e.g. compare y[:, None] with "
                "torch.arange(n_classes), or pick rows of torch.eye(n_classes); F.one_hot and the library's "
                "models.cgan.one_hot are refused here.")
_G_LIB_MSG = ("write the input yourself: the library's conditional generators build it inside forward(z, y), "
              "which is the answer to this exercise.")
_G_WORKED_MSG = ("g_input calls g_input_one, the single-sample worked cell: build the whole batch at once, "
                 "one one-hot row per sample, shape (N, n_classes), joined to z along dim=1.")
_PLANES_MSG = ("build the planes yourself: models.cgan.label_maps and the library's conditional "
               "discriminators are the answer to this exercise (F.one_hot is fine here: the one-hot was exercise 1).")
_D_WORKED_MSG = ("d_input calls d_input_one, the single-sample worked cell: build the planes for the whole "
                 "batch at once, shape (N, n_classes, H, W), and join them to x along dim=1.")
_PROJ_MSG = ("compute the logits yourself from the four arguments; models.projection.ProjectionDiscriminator "
             "is the library's version of this exercise.")
_PROJ_WORKED_MSG = ("projection_logits calls projection_one, the single-image worked cell: write the batch "
                    "at once (embed(y) gives one row e_y per image).")

# torch's one-hot by every route: F.one_hot, and torch.ops.aten.one_hot (packet or overload)
_ONE_HOT_OPS = {F.one_hot: _ONE_HOT_MSG, torch.ops.aten.one_hot: _ONE_HOT_MSG,
                torch.ops.aten.one_hot.default: _ONE_HOT_MSG}

_LATENT, _K = 3, 4


def _cases():
    """Two fixed cases with N, latent size and n_classes all different, so a wrong axis shows;
    in the second the batch never asks for the last classes (the one-hot still has n_classes)."""
    g = torch.Generator().manual_seed(5)
    return [(torch.randn(5, _LATENT, generator=g), torch.tensor([2, 0, 3, 2, 1]), _K),
            (torch.randn(5, _LATENT, generator=g), torch.tensor([0, 2, 1, 2, 0]), 6)]


def _cat_error(err: RuntimeError, single: str, mismatch: str) -> None:
    """Turn torch.cat's shape errors into what the learner should change (``mismatch``: the
    exercise's own advice when the parts' sizes disagree)."""
    msg = str(err)
    if "same number of dimensions" in msg or "mat1 and mat2" in msg:
        raise CheckFailed(f"{single} The batch has one more axis in front: N samples.") from None
    if "Sizes of tensors must match" in msg or "must match the size of tensor" in msg:
        raise CheckFailed(f"torch.cat failed: every axis except the joined one must agree. {mismatch} "
                          f"(torch said: {msg.splitlines()[0]})") from None


# -- G's input: [z, onehot(y)] -----------------------------------------------------------------
def check_g_input(fn) -> bool:
    """``fn(z (N, latent_dim), y (N,), n_classes) -> (N, latent_dim + n_classes)``: z, then the
    one-hot of each label, as floats."""
    refuse_identity(fn, {_cgan.one_hot: _ONE_HOT_MSG}, "g_input")
    library = {_cgan.one_hot: _ONE_HOT_MSG, _cgan.label_maps: _ONE_HOT_MSG,
               _cgan.ConditionalGenerator: _G_LIB_MSG, _infogan.ConditionalGenerator: _G_LIB_MSG}
    for z, y, k in _cases():
        n, L = z.shape
        try:
            out = call_refusing(fn, z.clone(), y.clone(), k, name="g_input", library=library,
                                notebook={"g_input_one": _G_WORKED_MSG}, torch_ops=_ONE_HOT_OPS)
        except RuntimeError as err:
            _cat_error(err, "That looks like the single-sample cell above: there one label gives a (n_classes,) "
                            "vector; here y holds N labels and the one-hot is (N, n_classes).",
                       "dim=0 is the sample axis: join z (N, latent_dim) and the one-hot (N, n_classes) along "
                       "dim=1, the feature axis.")
            raise
        check(torch.is_tensor(out), f"return a tensor (N, latent_dim + n_classes), got {type(out).__name__}.")
        want = torch.cat([z, (y[:, None] == torch.arange(k)).float()], dim=1)
        if tuple(out.shape) == (n, L + 1):
            raise CheckFailed("the label entered as ONE number per sample. G would read digit 8 as 'more' than "
                              "digit 2; give it a one-hot instead: n_classes columns, a 1 at position y, 0 elsewhere.")
        if out.ndim == 2 and out.shape[0] == n and out.shape[1] == L + int(y.max()) + 1 and k != int(y.max()) + 1:
            raise CheckFailed(f"the one-hot has {int(y.max()) + 1} columns, the largest label in this batch plus one; "
                              f"it must have n_classes = {k}, whatever labels the batch happens to hold.")
        check(tuple(out.shape) == (n, L + k), f"the result has shape {tuple(out.shape)}, expected ({n}, {L + k}) "
                                              "= (N, latent_dim + n_classes).")
        check(out.is_floating_point(), f"the result is {out.dtype}: G's first layer needs floats (.float()).")
        if close(out[:, k:], z) and not close(out[:, :L], z):
            raise CheckFailed("the one-hot comes first and z second: put z first, [z, onehot(y)], the order G's "
                              "first layer (and the shipped weights) expect.")
        check(close(out[:, :L], z), "the first latent_dim columns must be z itself, unchanged.")
        lab = out[:, L:].detach()
        if close(lab, y[:, None].float().expand(-1, k)) or close(lab, want[:, L:] * y[:, None].float()):
            raise CheckFailed("the label columns hold the label's value, not a one-hot: a 1 at position y "
                              "and 0 everywhere else, whatever the digit.")
        check(bool(((lab == 0) | (lab == 1)).all()) and close(lab.sum(1), torch.ones(n)),
              "each sample's label columns must be a one-hot: exactly one 1, the rest 0 (got rows "
              f"{lab[:2].tolist()}...).")
        check(close(out, want), f"the 1 sits at the wrong place: for labels {y.tolist()} the ones must be in "
                                f"columns latent_dim + y, got columns {(lab.argmax(1) + L).tolist()}.")
    return passed("G's input", "[z, one-hot(y)] for a batch, joined along the feature axis")


# -- D's input: the image with n_classes label planes --------------------------------------------
def check_d_planes(fn) -> bool:
    """``fn(x (N, C, H, W), y (N,), n_classes) -> (N, C + n_classes, H, W)``: x's channels, then one
    constant plane per class, all ones for the sample's label; a gradient reaches x."""
    library = {_cgan.label_maps: _PLANES_MSG, _cgan.ConditionalDiscriminator: _PLANES_MSG,
               _infogan.ConditionalDiscriminator: _PLANES_MSG, ProjectionDiscriminator: _PLANES_MSG}
    refuse_identity(fn, {_cgan.label_maps: _PLANES_MSG}, "d_input")
    g = torch.Generator().manual_seed(6)
    for (n, c, h, w), y, k in [((3, 2, 5, 7), torch.tensor([1, 3, 0]), _K), ((4, 1, 6, 3), torch.tensor([0, 2, 2, 1]), 6)]:
        x = torch.randn(n, c, h, w, generator=g).requires_grad_()
        try:
            out = call_refusing(fn, x, y.clone(), k, name="d_input", library=library,
                                notebook={"d_input_one": _D_WORKED_MSG})
        except ValueError as err:
            if "unpack" in str(err):
                raise CheckFailed("x has four axes here, (N, C, H, W): the single-sample cell unpacks three "
                                  "(C, H, W). Take H and W from x.shape[2:] and build planes for all N samples.") from None
            raise
        except RuntimeError as err:
            _cat_error(err, "That looks like the single-sample cell above: a batch's planes are (N, n_classes, H, W).",
                       "The planes must be (N, n_classes, H, W) with x's own H and W (x.shape[2:], not a fixed 28; "
                       "the check uses other sizes): spread each one-hot over the image with "
                       "[:, :, None, None].expand(-1, -1, H, W), and join along dim=1, the channel axis.")
            raise
        check(torch.is_tensor(out), f"return a tensor (N, C + n_classes, H, W), got {type(out).__name__}.")
        want = torch.cat([x.detach(), (y[:, None] == torch.arange(k)).float()[:, :, None, None].expand(-1, -1, h, w)], 1)
        if tuple(out.shape) == (n, c + 1, h, w):
            raise CheckFailed("the label entered as ONE plane holding the digit's value. Use a one-hot: "
                              "n_classes planes, plane y all ones and the others all zeros.")
        if out.ndim == 4 and out.shape[0] in (n + k, 2 * n) or out.ndim == 5:
            raise CheckFailed("the planes were joined along the wrong axis: dim=0 counts samples; stack them "
                              "on the image channels, dim=1.")
        check(tuple(out.shape) == (n, c + k, h, w),
              f"the result has shape {tuple(out.shape)}, expected {(n, c + k, h, w)} = (N, C + n_classes, H, W): "
              "the image's H and W come from x, and the planes are joined on dim=1.")
        out_d = out.detach()
        if close(out_d[:, k:], x.detach()) and not close(out_d[:, :c], x.detach()):
            raise CheckFailed("the planes come first: stack the image channels first, [x, planes], the order "
                              "D's first convolution (and the library's D) expect.")
        check(close(out_d[:, :c], x.detach()), "the first C channels must be the image x itself, unchanged.")
        planes = out_d[:, c:]
        if close(planes[:, :, 0, 0], want[:, c:, 0, 0]) and not close(planes, want[:, c:]):
            raise CheckFailed("the label is only at some pixels: each plane must be constant over the whole "
                              "H x W image (plane y all ones), so a filter sees the label wherever it looks. "
                              "Broadcast the one-hot with [:, :, None, None].expand(-1, -1, H, W).")
        if close(planes, y[:, None, None, None].float().expand(-1, k, h, w)) or \
                close(planes, want[:, c:] * y[:, None, None, None].float()):
            raise CheckFailed("the planes hold the label's value, not a one-hot: plane y all ones, the others zero.")
        check(close(planes, want[:, c:]), "the planes are not the one-hot of y: for each sample, plane y[i] all "
                                          "ones and every other plane all zeros.")
        check(out.requires_grad, "no gradient reaches x through your input. G learns through D's input, so join "
                                 "x itself with torch.cat (no .detach(), no copy made under no_grad).")
        out.sum().backward()
        check(x.grad is not None and close(x.grad, torch.ones_like(x)),
              "no gradient (or a wrong one) reaches x through your input. G learns through D's input, so join "
              "x itself with torch.cat (no .detach(), no copy into a new tensor under no_grad).")
    return passed("D's input", "the image plus n_classes constant label planes, for a batch of any size")


# -- projection discriminator ----------------------------------------------------------------
def check_projection_logits(fn) -> bool:
    """``fn(features (N, F), y (N,), psi nn.Linear(F, 1), embed nn.Embedding(K, F)) -> (N, 1)``:
    psi(features) + <embed(y), features> per image (Miyato and Koyama 2018)."""
    with torch.random.fork_rng():      # fixed layers, without resetting the learner's random numbers
        torch.manual_seed(0)
        return _check_projection(fn)


def _check_projection(fn) -> bool:
    n, f, k = 6, 7, 4          # all different, so a wrong axis shows in the shape
    feats = torch.randn(n, f)
    y = torch.tensor([0, 3, 1, 3, 2, 0])
    psi, embed = nn.Linear(f, 1), nn.Embedding(k, f)
    with torch.no_grad():
        uncond, inner = psi(feats), (embed(y) * feats).sum(1, keepdim=True)
    want = uncond + inner
    refuse_identity(fn, {ProjectionDiscriminator.forward: _PROJ_MSG}, "projection_logits")
    try:
        out = call_refusing(fn, feats.clone(), y.clone(), psi, embed, name="projection_logits",
                            library={ProjectionDiscriminator: _PROJ_MSG}, notebook={"projection_one": _PROJ_WORKED_MSG})
    except RuntimeError as err:
        if "mat1 and mat2" in str(err) or "size mismatch" in str(err) or "inconsistent" in str(err):
            raise CheckFailed("embed(y) @ features multiplies an (N, F) matrix by another (N, F): that is the "
                              "single-image case of the cell above (two vectors). For a batch, multiply "
                              "elementwise, embed(y) * features, and sum over the feature axis (dim=1).") from None
        raise
    check(torch.is_tensor(out), f"return a tensor of logits (N, 1), got {type(out).__name__}.")
    if tuple(out.shape) == (n, n):
        raise CheckFailed(f"the result has shape ({n}, {n}): features @ embed(y).T pairs every image with "
                          "every other image's label. Each image needs only ITS label's vector: multiply "
                          "elementwise, embed(y) * features, and sum over the feature axis (dim=1).")
    if tuple(out.shape) in ((n, k), (n, k + 1)):
        raise CheckFailed(f"the result has shape {tuple(out.shape)}: one score per class. Pick the requested "
                          "class's vector with embed(y) (N, F) instead of using embed.weight (K, F).")
    if tuple(out.shape) == (n, f):
        raise CheckFailed(f"the result has shape ({n}, {f}) = (N, F): the sum went over the batch axis (dim=0). "
                          "The inner product sums over the features, dim=1, one number per image.")
    if tuple(out.shape) == (n,):
        raise CheckFailed("the result has shape (N,): keep D's output shape (N, 1) (sum with keepdim=True), "
                          "so the BCE losses of notebook 03 apply unchanged.")
    check(tuple(out.shape) == (n, 1), f"the result has shape {tuple(out.shape)}, expected ({n}, 1).")
    o = out.detach()
    if close(o, inner):
        raise CheckFailed("only the inner product <embed(y), phi(x)> is there: add the unconditional term "
                          "psi(phi(x)), which judges realism whatever the label.")
    if close(o, uncond):
        raise CheckFailed("only psi(phi(x)) is there: the label must enter through <embed(y), phi(x)>, "
                          "otherwise D ignores y.")
    if close(o, uncond - inner) or close(o, inner - uncond):
        raise CheckFailed("a sign is wrong: the logit is psi(phi(x)) PLUS <e_y, phi(x)>. A feature vector that "
                          "points along its class's e_y should look more real for that class, not less.")
    if close(o, uncond + inner / f):
        raise CheckFailed("the inner product was averaged over the features (mean); it is a sum: "
                          "(embed(y) * features).sum(dim=1, keepdim=True).")
    if close(o, uncond + inner.sum()):
        raise CheckFailed("the products were summed over the whole batch: each image's inner product is its "
                          "own, a sum over dim=1 only.")
    check(close(o, want), "the logits differ from psi(phi(x)) + sum_f embed(y)_f * phi(x)_f: check "
                          "that each image uses the embedding of its own label.")
    out.sum().backward()
    check(embed.weight.grad is not None and bool(embed.weight.grad[y].abs().sum() > 0),
          "no gradient reached the embedding: compute the logits from embed(y), not from a detached copy.")
    return passed("projection discriminator", "psi(phi(x)) + <embed(y), phi(x)> for a batch, shape (N, 1)")
