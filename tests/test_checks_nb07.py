"""Exercise checks of notebook 07 (pix2pix), exercises 1, 3 and 4: each passes the model solution and
fails the stub, every typical wrong answer (with its teaching message) and the library's answer
(called, bound to another name, or shadowed). Exercises 2 and 5: tests/test_checks_nb07_nets.py."""
import pytest
import torch
import torch.nn.functional as F

from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb07 import check_colour_pair, check_d_loss, check_g_loss
from gan_helpers.data import pairs
from gan_helpers.data.pairs import colour_pair, rgb_to_lab
from gan_helpers.metrics.paired import make_pairs
from gan_helpers.train import pix2pix
from gan_helpers.train.pix2pix import d_loss as lib_d_loss, g_loss as lib_g_loss, pair

BCE = F.binary_cross_entropy_with_logits


def stub(*_args, **_kw):
    raise NotImplementedError()


def notebook(source: str, **names) -> dict:
    """Run ``source`` in a fresh namespace, as a notebook's cells would (the checks read fn.__globals__)."""
    ns = dict(names, torch=torch, F=F, BCE=BCE)
    exec(source, ns)
    return ns


# --- exercise 1: the colourisation pair ----------------------------------------------------------------
def make_colour(L_scale="ok", ab_scale=110.0, keep_dim=True, swap_ab=False, swap_out=False):
    def my_colour_pair(photos):
        lab = rgb_to_lab(photos)
        L = lab[:, :1] if keep_dim else lab[:, 0]
        L = {"ok": L / 50 - 1, "none": L, "100": L / 100, "50": L / 50}[L_scale]
        ab = lab[:, [2, 1]] if swap_ab else lab[:, 1:]
        ab = ab / ab_scale
        return (ab, L) if swap_out else (L, ab)
    return my_colour_pair


def test_colour_pair_solution_passes():
    assert check_colour_pair(make_colour())


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_colour(L_scale="none"), r"still in \[0, 100\]"),
    (make_colour(L_scale="100"), r"scaled to \[0, 1\]"),
    (make_colour(L_scale="50"), "subtract 1"),
    (make_colour(keep_dim=False), "channel dimension was dropped"),
    (make_colour(swap_ab=True), "a and b are swapped"),
    (make_colour(swap_out=True), "L and ab are swapped"),
    (make_colour(ab_scale=1.0), "divide it by 110"),
    (lambda p: torch.cat(make_colour()(p), 1), "should return two tensors"),
])
def test_colour_pair_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_colour_pair(wrong)


@pytest.mark.parametrize("wrong", [
    colour_pair,                                               # bound: my_colour_pair = colour_pair
    lambda p: colour_pair(p),
    lambda p: pairs.colour_pair(p),
    lambda p: make_pairs("colour", p),
    notebook("from gan_helpers.data.pairs import colour_pair as cp\ndef mine(p):\n    return cp(p)")["mine"],
])
def test_colour_pair_refuses_the_library(wrong):
    with pytest.raises(CheckFailed, match="colour_pair"):
        check_colour_pair(wrong)
    assert colour_pair(torch.zeros(1, 3, 2, 2))[0].shape == (1, 1, 2, 2)      # restored afterwards


def test_colour_pair_explains_a_shadowed_library_name():
    ns = notebook("def colour_pair(p):\n    lab = rgb_to_lab(p)\n    return lab[:, :1] / 50 - 1, lab[:, 1:] / 110\n"
                  "def my_colour_pair(p):\n    raise NotImplementedError()", rgb_to_lab=rgb_to_lab)
    with pytest.raises(CheckFailed, match="replaced the library's colour_pair"):
        check_colour_pair(ns["my_colour_pair"])


# --- exercise 3: D's loss ----------------------------------------------------------------------------
def make_d(half=0.5, detach=True, order="xy", labels=(1.0, 0.0), squash=False, only_y=False, dim=1, cut=None):
    def my_d_loss(D, x, y_real, y_fake):
        def judge(y):
            if only_y:
                return D(y)
            return D(torch.cat([x, y] if order == "xy" else [y, x], dim))
        lr, lf = judge(y_real), judge(y_fake.detach() if detach else y_fake)
        if cut == "fake":
            lf = lf.detach()
        if cut == "real":
            lr = lr.detach()
        if squash:
            lr, lf = torch.sigmoid(lr), torch.sigmoid(lf)
        return half * (BCE(lr, torch.full_like(lr, labels[0])) + BCE(lf, torch.full_like(lf, labels[1])))
    return my_d_loss


def test_d_loss_solution_passes():
    assert check_d_loss(make_d())


def test_d_loss_accepts_one_batched_call_of_D():
    def batched(D, x, y_real, y_fake):                          # both pairs through D at once: the same loss
        logits = D(torch.cat([torch.cat([x, y_real], 1), torch.cat([x, y_fake.detach()], 1)], 0))
        targets = torch.cat([torch.ones(len(x), *logits.shape[1:]), torch.zeros(len(x), *logits.shape[1:])])
        return 0.5 * 2 * BCE(logits, targets)
    assert check_d_loss(batched)


def no_graph_d(D, x, y_real, y_fake):
    with torch.no_grad():
        return make_d()(D, x, y_real, y_fake)


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_d(only_y=True), "D judges the pair"),
    (make_d(dim=0), "batch"),
    (make_d(order="yx"), "input comes first"),
    (make_d(half=1.0), "factor of 2"),
    (make_d(detach=False), "Gradient reached the generator"),
    (make_d(labels=(0.0, 1.0)), "labels are swapped"),
    (make_d(squash=True), "sigmoid is applied twice"),
    (make_d(cut="fake"), "only the real term trains D"),
    (make_d(cut="real"), "only the fake term trains D"),
    (no_graph_d, "no graph"),
])
def test_d_loss_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_d_loss(wrong)


@pytest.mark.parametrize("wrong", [
    lib_d_loss,
    pix2pix.d_loss,
    lambda D, x, yr, yf: lib_d_loss(D, x, yr, yf),
    lambda D, x, yr, yf: pix2pix.d_loss(D, x, yr, yf),
    lambda D, x, yr, yf: make_d()(lambda xy: D(pair(xy[:, :1], xy[:, 1:])), x, yr, yf),
])
def test_d_loss_refuses_the_library(wrong):
    with pytest.raises(CheckFailed, match="train.pix2pix.d_loss is its answer"):
        check_d_loss(wrong)


def test_d_loss_explains_a_shadowed_library_name():
    ns = notebook("def d_loss(D, x, y_real, y_fake):\n    return 0\ndef my_d_loss(D, x, y_real, y_fake):\n"
                  "    raise NotImplementedError()")
    with pytest.raises(CheckFailed, match="replaced the library's d_loss"):
        check_d_loss(ns["my_d_loss"])
    ns = notebook("def d_loss(D, x, y_real, y_fake):\n    raise NotImplementedError()")
    with pytest.raises(CheckFailed, match="still raises NotImplementedError: replace"):
        check_d_loss(ns["d_loss"])                             # the stub itself named d_loss: the plain hint


# --- exercise 4: G's loss ----------------------------------------------------------------------------
def make_g(dist="l1", weight="l1", form="ns", detach=False, only_y=False, l1_sum=False, order="xy"):
    def my_g_loss(D, x, y_real, y_fake, lambda_l1):
        y_d = y_fake.detach() if detach else y_fake
        logits = D(y_d) if only_y else D(torch.cat([x, y_d] if order == "xy" else [y_d, x], 1))
        adv = -BCE(logits, torch.zeros_like(logits)) if form == "sat" else BCE(logits, torch.ones_like(logits))
        diff = y_real - y_fake
        dist_term = diff.pow(2).mean() if dist == "l2" else (diff.abs().sum() if l1_sum else diff.abs().mean())
        if weight == "none":
            return adv + dist_term
        if weight == "gan":
            return lambda_l1 * adv + dist_term
        return adv + lambda_l1 * dist_term
    return my_g_loss


def test_g_loss_solution_passes():
    assert check_g_loss(make_g())
    assert check_g_loss(lambda D, x, yr, yf, lam: BCE(D(torch.cat([x, yf], 1)), torch.ones(4, 1, 8, 8))
                        + lam * F.l1_loss(yf, yr))


def no_graph_g(D, x, y_real, y_fake, lambda_l1):
    return make_g()(D, x, y_real, y_fake, lambda_l1).detach()


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_g(dist="l2"), "L2"),
    (make_g(weight="none"), "not weighted"),
    (make_g(weight="gan"), "weights the wrong term"),
    (make_g(form="sat"), "saturating form"),
    (make_g(detach=True), "GAN term does not reach G"),
    (make_g(only_y=True), "D judges the pair"),
    (make_g(l1_sum=True), "is a sum"),
    (make_g(order="yx"), "input comes first"),
    (no_graph_g, "no graph"),
])
def test_g_loss_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_g_loss(wrong)


@pytest.mark.parametrize("wrong", [
    lib_g_loss,
    lambda D, x, yr, yf, lam: lib_g_loss(D, x, yr, yf, lam)[0],
    lambda D, x, yr, yf, lam: pix2pix.g_loss(D, x, yr, yf, lam)[0],
    lambda D, x, yr, yf, lam: BCE(D(pair(x, yf)), torch.ones(4, 1, 8, 8)) + lam * (yr - yf).abs().mean(),
    notebook("from gan_helpers.train.pix2pix import g_loss as lib_g\n"
             "def mine(D, x, yr, yf, lam):\n    return lib_g(D, x, yr, yf, lam)[0]")["mine"],
])
def test_g_loss_refuses_the_library(wrong):
    with pytest.raises(CheckFailed, match="train.pix2pix.g_loss is its answer"):
        check_g_loss(wrong)


def test_g_loss_explains_a_shadowed_library_name():
    ns = notebook("def g_loss(D, x, y_real, y_fake, lambda_l1):\n    return 0\n"
                  "def my_g_loss(D, x, y_real, y_fake, lambda_l1):\n    raise NotImplementedError()")
    with pytest.raises(CheckFailed, match="replaced the library's g_loss"):
        check_g_loss(ns["my_g_loss"])
