"""Checks for notebook 05 (conditional GAN, Mirza and Osindero 2014). Section 2's build exercises
(G's input, D's label planes, the projection term of Miyato and Koyama 2018) live in
``nb05_inputs`` and are re-exported here; this module checks the matching-aware discriminator loss
(Reed et al. 2016), measuring whether the generated class matches the requested one, and the
repaired conditional training step of a planted bug. While the learner's function runs, the
library's answer (``d_step`` / ``g_step``, ``label_accuracy``, torchmetrics' accuracy and recall) and
the notebook's worked steps (``train_step``, ``train_step_planted``: called, assigned or copied) are
refused (``_refusals``)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..metrics import mnist as _mnist
from ..train.step import d_step, g_step
from ._core import CheckFailed, check, close, expect_tensor, passed
from ..losses import discriminator_loss, generator_loss_nonsaturating
from ._refusals import call_refusing, refuse_copies, refuse_identity
from .nb05_inputs import check_d_planes, check_g_input, check_projection_logits  # noqa: F401  (section 2's exercises)

# What each exercise refuses while the learner's function runs (see _refusals).
_DSTEP_MSG = ("write the loss yourself from D's logits and F.binary_cross_entropy_with_logits; the library's "
              "d_step updates D and returns a detached loss, which is not the value asked for.")
_ACC_MSG = ("compute the agreement yourself from the logits (argmax over dim=1, compared with requested); "
            "gan_helpers.metrics' label_accuracy is the library's answer (section 6 prints it beside yours).")
_TM_MSG = ("compute the agreement yourself from the logits (argmax over dim=1, compared with requested); "
           "torchmetrics' accuracy and recall are a library's answer to this exercise.")
_STEP_MSG = ("write the repaired step out line by line; the library's d_step / g_step are the correct "
             "conditional step already written, so calling them skips the diagnosis.")
_WORKED_MSG = ("train_step_fixed uses section 3's train_step (the worked conditional step) or the planted "
               "one: write the repaired step in your cell, from train_step_planted's lines with the bug fixed.")
_ZERO_GRAD_MSG = ("after a second step the weights differ from the correct step's: each phase must start from "
                  "fresh gradients (opt_D.zero_grad() before loss_D.backward(), opt_G.zero_grad() before "
                  "loss_G.backward()), otherwise the previous step's gradients are added to this one's.")


# -- tiny conditional networks for the checks ----------------------------------------------
class _TinyG(nn.Module):
    """G(z (N, 3), y (N,)) -> (N, 1, 2, 2); remembers the labels and images of its last call."""

    def __init__(self, n_classes: int = 4):
        super().__init__()
        self.n_classes, self.latent_dim = n_classes, 3
        self.net = nn.Sequential(nn.Linear(3 + n_classes, 4), nn.Tanh(), nn.Unflatten(1, (1, 2, 2)))
        self.calls = []

    def forward(self, z, y):
        out = self.net(torch.cat([z, F.one_hot(y, self.n_classes).float()], dim=1))
        self.calls.append((z.detach().clone(), y.detach().clone(), out))
        return out


class _TinyD(nn.Module):
    """D(x (N, 1, 2, 2), y (N,)) -> logits (N, 1); records every (x, y) it is shown."""

    def __init__(self, n_classes: int = 4):
        super().__init__()
        self.n_classes = n_classes
        self.net = nn.Sequential(nn.Linear(4 + n_classes, 6), nn.LeakyReLU(0.2), nn.Linear(6, 1))
        self.calls = []

    def forward(self, x, y):
        self.calls.append((x, y.detach().clone()))
        return self.net(torch.cat([x.flatten(1), F.one_hot(y, self.n_classes).float()], dim=1))


def _bce(logits, target: float):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


# -- matching-aware discriminator loss -------------------------------------------------------
def check_matching_loss(fn) -> bool:
    """``fn(D, x_real, y_real, x_fake, y_fake, y_wrong) -> loss_D``: BCE(D(x_real, y_real), 1)
    + [BCE(D(x_fake, y_fake), 0) + BCE(D(x_real, y_wrong), 0)] / 2, the fakes detached."""
    torch.manual_seed(0)
    G, D = _TinyG(), _TinyD()
    g = torch.Generator().manual_seed(2)
    x_real = torch.rand(16, 1, 2, 2, generator=g) * 2 - 1
    y_real = torch.randint(0, 4, (16,), generator=g)
    y_fake = torch.randint(0, 4, (16,), generator=g)
    y_wrong = (y_real + torch.randint(1, 4, (16,), generator=g)) % 4
    x_fake = G(torch.randn(16, 3, generator=g), y_fake)
    with torch.no_grad():
        s_r, s_f, s_w = D(x_real, y_real), D(x_fake, y_fake), D(x_real, y_wrong)
        s_fr = D(x_fake, y_real)
    want = _bce(s_r, 1) + (_bce(s_f, 0) + _bce(s_w, 0)) / 2
    loss = expect_tensor(call_refusing(fn, D, x_real, y_real, x_fake, y_fake, y_wrong, name="d_loss_matching",
                                       library={d_step: _DSTEP_MSG}), (),
                         "d_loss_matching(...)")
    if close(loss, _bce(s_r, 1) + _bce(s_f, 0) + _bce(s_w, 1), atol=1e-5) or \
            close(loss, _bce(s_r, 1) + (_bce(s_f, 0) + _bce(s_w, 1)) / 2, atol=1e-5):
        raise CheckFailed("the mismatched pair (a real image shown with a wrong label) is labelled 1. It is the "
                          "point of the variant that D calls it FAKE (0): a real-looking 3 presented as an 8 "
                          "is not a real image of an 8, so D must check the label too.")
    if close(loss, _bce(s_r, 1) + _bce(s_f, 0) + _bce(s_w, 0), atol=1e-5):
        raise CheckFailed("the two 'fake' terms are added at full weight. Reed et al. average them, "
                          "[BCE(fake, 0) + BCE(mismatched, 0)] / 2, so real and not-real pairs keep equal weight "
                          "(and the loss of an untrained D stays near 2 log 2, as in notebook 03).")
    if close(loss, _bce(s_r, 1) + (_bce(s_fr, 0) + _bce(s_w, 0)) / 2, atol=1e-5):
        raise CheckFailed("the fakes are shown to D with y_real; show each fake with the label G was asked for "
                          "(y_fake): that pairing is what makes G honour its label.")
    if close(loss, _bce(s_r, 1) + (_bce(s_f, 0) + _bce(s_r, 0)) / 2, atol=1e-5):
        raise CheckFailed("the mismatched term uses y_real: it must pair the real images with y_wrong.")
    check(close(loss, want, atol=1e-5),
          f"loss_D is {loss.item():.4f}, expected {want.item():.4f} = BCE(D(x_real, y_real), 1) + "
          "[BCE(D(x_fake, y_fake), 0) + BCE(D(x_real, y_wrong), 0)] / 2 (each BCE a batch mean, on logits).")
    for p in G.parameters():
        p.grad = None
    loss.backward()
    check(all(p.grad is None or float(p.grad.abs().sum()) == 0 for p in G.parameters()),
          "G received gradients from D's loss: detach the fakes (D(x_fake.detach(), y_fake)), as in every D step.")
    return passed("matching-aware D loss", "real pair -> 1; fake pair and mismatched real pair -> 0, averaged")


def _torchmetrics_refusals() -> dict:
    """torchmetrics' accuracy and recall (functions and classes), where torchmetrics is installed;
    importing them here also makes every module path they are re-exported under visible to the swap."""
    try:
        import torchmetrics
        import torchmetrics.functional as tmf
        import torchmetrics.functional.classification as tmfc
    except ImportError:
        return {}
    names = ["multiclass_accuracy", "multiclass_recall", "multiclass_precision", "accuracy", "recall"]
    fns = [getattr(m, n) for m in (tmf, tmfc) for n in names if hasattr(m, n)]
    classes = [getattr(torchmetrics, n, None) for n in ("Accuracy", "Recall", "Precision")]
    classes += [getattr(torchmetrics.classification, n, None)
                for n in ("MulticlassAccuracy", "MulticlassRecall", "MulticlassPrecision")]
    return {f: _TM_MSG for f in fns + classes if f is not None}


# -- label match -----------------------------------------------------------------------------
def check_label_match(label_match) -> bool:
    """``label_match(logits (N, K), requested (N,)) -> (accuracy float, per_class (K,))``:
    how often the classifier's top class equals the requested label, overall and per class."""
    logits = torch.tensor([[5., 0, 0], [0, 5, 0], [5, 0, 0], [0, 0, 5], [0, 5, 0], [0, 5, 0]])
    requested = torch.tensor([0, 1, 1, 2, 1, 2])  # correct: 0, 1, 3, 4 -> 4/6; per class 1/1, 2/3, 1/2
    refusals = {_mnist.label_accuracy: _ACC_MSG, _mnist._label_accuracy: _ACC_MSG,
                _mnist.evaluate_generator: _ACC_MSG, **_torchmetrics_refusals()}
    refuse_identity(label_match, refusals, "label_match")
    res = call_refusing(label_match, logits, requested, name="label_match", library=refusals)
    check(isinstance(res, tuple) and len(res) == 2, "return a tuple (accuracy, per_class).")
    acc, per_class = res
    acc = float(acc)
    check(abs(acc - 4 / 6) < 1e-6, f"accuracy is {acc:.4f}, expected {4 / 6:.4f}: the fraction of samples whose "
                                   "argmax over classes (dim=1) equals the requested label.")
    per_class = expect_tensor(torch.as_tensor(per_class, dtype=torch.float32), (3,), name="per_class")
    want = torch.tensor([1.0, 2 / 3, 0.5])
    check(close(per_class, want), f"per_class is {per_class.tolist()}, expected {want.tolist()}: for class k, "
                                  "the hits among samples that REQUESTED k, divided by how many requested k "
                                  "(not by N).")
    probs = torch.softmax(logits, 1)
    acc2, _ = call_refusing(label_match, probs, requested, name="label_match", library=refusals)
    check(abs(float(acc2) - 4 / 6) < 1e-6, "probabilities instead of logits should give the same accuracy.")
    return passed("label_match", "overall and per-class agreement of the classifier with the requested label")


# -- the planted bug: the conditional training step ------------------------------------------
def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(torch.equal(a.detach(), b.detach()))


def _reference_step(g_state, d_state, x_real, y_real, z, y_fake, lr):
    """G's and D's weights after one correct step from the given ones, with the learner's z and
    labels: the D phase, then the G phase against the updated D, plain SGD, fresh gradients."""
    G, D = _TinyG(), _TinyD()
    G.load_state_dict(g_state)
    D.load_state_dict(d_state)
    x_fake = G(z, y_fake)
    loss_D = discriminator_loss(D(x_real, y_real), D(x_fake.detach(), y_fake))
    with torch.no_grad():
        for p, gr in zip(D.parameters(), torch.autograd.grad(loss_D, list(D.parameters()))):
            p -= lr * gr
    loss_G = generator_loss_nonsaturating(D(x_fake, y_fake))
    with torch.no_grad():
        for p, gr in zip(G.parameters(), torch.autograd.grad(loss_G, list(G.parameters()))):
            p -= lr * gr
    return [p.detach() for p in G.parameters()], [p.detach() for p in D.parameters()]


def check_conditional_step(fn) -> bool:
    """``fn(G, D, opt_G, opt_D, x_real, y_real, latent_dim, n_classes) -> dict``: one
    conditional GAN step in which D sees every fake with the label G was asked for. Two steps run,
    each compared with a reference step from the same weights, z and labels (a missing
    ``zero_grad`` shows only in the second)."""
    worked = {"train_step": _WORKED_MSG, "train_step_planted": _WORKED_MSG}
    refuse_copies(fn, worked, "train_step_fixed")
    torch.manual_seed(0)
    G, D = _TinyG(), _TinyD()
    lr = 0.1
    opt_G = torch.optim.SGD(G.parameters(), lr=lr)
    opt_D = torch.optim.SGD(D.parameters(), lr=lr)
    g = torch.Generator().manual_seed(5)
    for step in (1, 2):
        x_real = torch.rand(32, 1, 2, 2, generator=g) * 2 - 1
        y_real = torch.randint(0, 4, (32,), generator=g)
        g_before = {k: v.detach().clone() for k, v in G.state_dict().items()}
        d_before = {k: v.detach().clone() for k, v in D.state_dict().items()}
        G.calls.clear()
        D.calls.clear()
        try:
            out = call_refusing(fn, G, D, opt_G, opt_D, x_real, y_real, 3, 4, name="train_step_fixed",
                                library={d_step: _STEP_MSG, g_step: _STEP_MSG}, notebook=worked)
        except RuntimeError as err:
            if "backward through the graph a second time" in str(err):
                raise CheckFailed("'backward through the graph a second time': the D phase must use "
                                  "x_fake.detach(), so its backward pass stops at the fakes and G's graph is "
                                  "still there for the G phase.") from None
            raise
        check(isinstance(out, dict) and {"loss_D", "loss_G"} <= set(out),
              "return a dict with at least loss_D and loss_G (as the notebook's train_step does).")
        check(len(G.calls) >= 1, "G was never called: generate the fakes with G(z, y_fake).")
        z, y_asked, x_fake = G.calls[0]
        shown_real = [y for x, y in D.calls if _same(x, x_real)]
        shown_fake = [y for x, y in D.calls if _same(x, x_fake)]
        check(shown_real, "D never saw the real batch x_real.")
        check(all(torch.equal(y, y_real) for y in shown_real),
              "D saw the real images with labels other than y_real: a real image is always shown with its own label.")
        check(shown_fake, "D never saw the fakes G made.")
        if any(torch.equal(y, y_real) and not torch.equal(y_real, y_asked) for y in shown_fake):
            raise CheckFailed("this is the planted bug: D judges the fakes against y_real, the labels of the REAL "
                              "batch, while G was asked for other labels. G then cannot know which digit it will "
                              "be judged as, and learns to ignore its label. Show each fake with the label G was "
                              "asked for: D(x_fake, y_fake).")
        check(all(torch.equal(y, y_asked) for y in shown_fake),
              "D must see each fake with the label G was asked for (the y passed to G).")
        check(any(not torch.equal(d_before[k], v) for k, v in D.state_dict().items()), "D's weights did not change.")
        check(any(not torch.equal(g_before[k], v) for k, v in G.state_dict().items()),
              "G's weights did not change: in the G phase, do not detach the fakes, and step opt_G.")
        want_G, want_D = _reference_step(g_before, d_before, x_real, y_real, z, y_asked, lr)
        right = all(close(a, b, atol=1e-6) for a, b in zip(G.parameters(), want_G)) and \
            all(close(a, b, atol=1e-6) for a, b in zip(D.parameters(), want_D))
        check(right or step == 1, _ZERO_GRAD_MSG)
        check(right, "after one step the weights differ from the correct step's: update D first (loss_D on the "
                     "real pair and the detached fake pair, opt_D.step()), then G against the updated D "
                     "(loss_G on D(x_fake, y_fake), opt_G.step()), each optimizer stepping once.")
    return passed("conditional step", "D sees real images with y_real and each fake with the label G was asked for")
