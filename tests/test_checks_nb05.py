"""Notebook 05 exercise checks: pass the solution, fail the stub and plausible wrong answers."""
import pytest
import torch
import torch.nn.functional as F

from gan_helpers.checks import CheckFailed
from gan_helpers.checks import nb05
from gan_helpers.losses import discriminator_loss, generator_loss_nonsaturating


def stub(*args, **kwargs):
    raise NotImplementedError()


def bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


# -- matching-aware loss ---------------------------------------------------------------------
def d_loss_matching(D, x_real, y_real, x_fake, y_fake, y_wrong):
    return bce(D(x_real, y_real), 1.0) + (bce(D(x_fake.detach(), y_fake), 0.0) + bce(D(x_real, y_wrong), 0.0)) / 2


def test_matching_loss(capsys):
    assert nb05.check_matching_loss(d_loss_matching)
    assert "PASSED" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb05.check_matching_loss(stub)
    with pytest.raises(CheckFailed, match="labelled 1"):      # mismatched pair called real
        nb05.check_matching_loss(lambda D, xr, yr, xf, yf, yw: bce(D(xr, yr), 1.) + (bce(D(xf.detach(), yf), 0.) + bce(D(xr, yw), 1.)) / 2)
    with pytest.raises(CheckFailed, match="full weight"):     # no average of the two fake-type terms
        nb05.check_matching_loss(lambda D, xr, yr, xf, yf, yw: bce(D(xr, yr), 1.) + bce(D(xf.detach(), yf), 0.) + bce(D(xr, yw), 0.))
    with pytest.raises(CheckFailed, match="detach"):          # G gets D's gradients
        nb05.check_matching_loss(lambda D, xr, yr, xf, yf, yw: bce(D(xr, yr), 1.) + (bce(D(xf, yf), 0.) + bce(D(xr, yw), 0.)) / 2)
    with pytest.raises(CheckFailed, match="y_fake"):          # fakes judged against the real labels
        nb05.check_matching_loss(lambda D, xr, yr, xf, yf, yw: bce(D(xr, yr), 1.) + (bce(D(xf.detach(), yr), 0.) + bce(D(xr, yw), 0.)) / 2)


# -- projection discriminator ----------------------------------------------------------------
def projection_logits(features, y, psi, embed):
    return psi(features) + (embed(y) * features).sum(dim=1, keepdim=True)


def test_projection_logits():
    assert nb05.check_projection_logits(projection_logits)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb05.check_projection_logits(stub)
    with pytest.raises(CheckFailed, match="every other image"):          # (N, N) pairing
        nb05.check_projection_logits(lambda f, y, psi, e: psi(f) + f @ e(y).T)
    with pytest.raises(CheckFailed, match="embed.weight"):               # one score per class
        nb05.check_projection_logits(lambda f, y, psi, e: f @ e.weight.T)
    with pytest.raises(CheckFailed, match=r"shape \(N,\)"):              # keepdim forgotten
        nb05.check_projection_logits(lambda f, y, psi, e: psi(f)[:, 0] + (e(y) * f).sum(1))
    with pytest.raises(CheckFailed, match="unconditional term"):         # psi missing
        nb05.check_projection_logits(lambda f, y, psi, e: (e(y) * f).sum(1, keepdim=True))
    with pytest.raises(CheckFailed, match="ignores y"):                  # label missing
        nb05.check_projection_logits(lambda f, y, psi, e: psi(f))


# -- label match -----------------------------------------------------------------------------
def label_match(logits, requested):
    hit = (logits.argmax(dim=1) == requested).float()
    per_class = torch.stack([hit[requested == k].mean() for k in range(logits.shape[1])])
    return hit.mean().item(), per_class


def test_label_match():
    assert nb05.check_label_match(label_match)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb05.check_label_match(stub)

    def per_class_over_n(logits, requested):
        hit = (logits.argmax(1) == requested).float()
        return hit.mean().item(), torch.stack([hit[requested == k].sum() / len(hit) for k in range(logits.shape[1])])
    with pytest.raises(CheckFailed, match="not by N"):
        nb05.check_label_match(per_class_over_n)
    with pytest.raises(CheckFailed, match="dim=1"):
        # compares the top probability (a value) with the label instead of the top class (an index)
        nb05.check_label_match(lambda lg, r: ((lg.max(1).values == r).float().mean().item(), torch.zeros(3)))


# -- the planted bug: conditional step -------------------------------------------------------
def make_step(fake_label="asked", real_label="real", detach=True, g_labels="random"):
    def step(G, D, opt_G, opt_D, x_real, y_real, latent_dim, n_classes):
        N = x_real.shape[0]
        z = torch.randn(N, latent_dim)
        y_fake = torch.randint(0, n_classes, (N,)) if g_labels == "random" else y_real
        x_fake = G(z, y_fake)
        y_shown = y_fake if fake_label == "asked" else y_real
        y_for_real = y_real if real_label == "real" else y_fake
        logits_real = D(x_real, y_for_real)
        logits_fake = D(x_fake.detach() if detach else x_fake, y_shown)
        loss_D = discriminator_loss(logits_real, logits_fake)
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
        loss_G = generator_loss_nonsaturating(D(x_fake, y_shown))
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        return dict(loss_D=loss_D, loss_G=loss_G)
    return step


def test_conditional_step():
    assert nb05.check_conditional_step(make_step())
    assert nb05.check_conditional_step(make_step(g_labels="real"))    # asking G for y_real is consistent too
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb05.check_conditional_step(stub)
    with pytest.raises(CheckFailed, match="planted bug"):
        nb05.check_conditional_step(make_step(fake_label="real"))
    with pytest.raises(CheckFailed, match="its own label"):
        nb05.check_conditional_step(make_step(real_label="fake"))
    with pytest.raises(CheckFailed, match="second time"):
        nb05.check_conditional_step(make_step(detach=False))


# -- refusals: the library's answer and the worked cell next to each exercise ---------------
import ast
from pathlib import Path

import nbformat

import gan_helpers.metrics as metrics
import gan_helpers.metrics.mnist as mnist
import gan_helpers.train as train
from gan_helpers.metrics import label_accuracy
from gan_helpers.metrics.mnist import _label_accuracy
from gan_helpers.metrics.mnist import _label_accuracy as acc_of
from gan_helpers.models import projection
from gan_helpers.models.projection import ProjectionDiscriminator
from gan_helpers.models.projection import ProjectionDiscriminator as PD
from gan_helpers.train import d_step, g_step
from gan_helpers.train import d_step as my_d, g_step as my_g

NB05 = Path(__file__).resolve().parents[1] / "notebooks" / "05_conditional_gan.ipynb"


def train_step(G, D, opt_G, opt_D, x_real, y_real, latent_dim, n_classes):   # section 3's worked step
    return make_step()(G, D, opt_G, opt_D, x_real, y_real, latent_dim, n_classes)


def train_step_planted(G, D, opt_G, opt_D, x_real, y_real, latent_dim, n_classes):  # the planted bug
    return make_step(fake_label="real")(G, D, opt_G, opt_D, x_real, y_real, latent_dim, n_classes)


def test_notebook_solutions_pass_with_the_worked_cells_defined(capsys):
    """The model solutions stored in the notebook pass in a namespace that also holds the worked steps
    and the library names the notebook imports (refused during the checks)."""
    nb = nbformat.read(str(NB05), as_version=4)
    ns = dict(torch=torch, F=F, nn=torch.nn, discriminator_loss=discriminator_loss, label_accuracy=label_accuracy,
              generator_loss_nonsaturating=generator_loss_nonsaturating)
    for c in nb.cells:
        if c.cell_type == "code" and (c.source.startswith(("def train_step(", "def train_step_planted("))
                                      or c.metadata.get("nbgrader", {}).get("solution")):
            tree = ast.parse(c.source)
            tree.body = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
            exec(compile(tree, "<cell>", "exec"), ns)
    assert {"train_step", "train_step_planted", "d_loss_matching", "projection_logits", "label_match",
            "train_step_fixed"} <= set(ns)
    assert nb05.check_matching_loss(ns["d_loss_matching"])
    assert nb05.check_projection_logits(ns["projection_logits"])
    assert nb05.check_label_match(ns["label_match"])
    assert nb05.check_conditional_step(ns["train_step_fixed"])
    assert capsys.readouterr().out.count("PASSED") == 4
    assert ns["label_accuracy"] is label_accuracy       # the swapped names are restored


def test_matching_loss_refuses_d_step():
    def via_d_step(D, xr, yr, xf, yf, yw):
        opt = torch.optim.SGD(D.parameters(), lr=0.0)
        return d_step(D, opt, xr, xf, yr, yf)["loss_D"] + bce(D(xr, yw), 0.0) / 2
    with pytest.raises(CheckFailed, match="d_step updates D"):
        nb05.check_matching_loss(via_d_step)


@pytest.mark.parametrize("shortcut", [
    lambda f, y, psi, e: ProjectionDiscriminator(4, 2, f.shape[1]),
    lambda f, y, psi, e: PD(4, 2, f.shape[1]),
    lambda f, y, psi, e: projection.ProjectionDiscriminator(4, 2, f.shape[1]),
    ProjectionDiscriminator.forward,
])
def test_projection_refuses_the_library_discriminator(shortcut):
    with pytest.raises(CheckFailed, match="ProjectionDiscriminator is the library's version"):
        nb05.check_projection_logits(shortcut)


def _from_library(fn):
    def label_match(logits, requested):
        r = fn(logits, requested)
        return r["accuracy"], torch.tensor(r["per_class"][:logits.shape[1]])
    return label_match


@pytest.mark.parametrize("shortcut", [
    _from_library(_label_accuracy),
    _from_library(acc_of),
    _from_library(lambda lg, r: mnist._label_accuracy(lg, r)),
    _from_library(lambda lg, r: metrics.label_accuracy(lg, r)),
    _label_accuracy,
])
def test_label_match_refuses_the_library(shortcut):
    with pytest.raises(CheckFailed, match="label_accuracy is the library's answer"):
        nb05.check_label_match(shortcut)


def _library_step(d, g):
    def step(G, D, opt_G, opt_D, x_real, y_real, latent_dim, n_classes):
        y_fake = torch.randint(0, n_classes, (x_real.shape[0],))
        x_fake = G(torch.randn(x_real.shape[0], latent_dim), y_fake)
        out = d(D, opt_D, x_real, x_fake, y_real, y_fake)
        return dict(out, loss_G=g(D, opt_G, x_fake, y_fake))
    return step


@pytest.mark.parametrize("shortcut, match", [
    (_library_step(d_step, g_step), "library's d_step / g_step"),
    (_library_step(my_d, my_g), "library's d_step / g_step"),
    (lambda *a: _library_step(train.d_step, train.g_step)(*a), "library's d_step / g_step"),
    (lambda *a: train_step(*a), "worked conditional step"),        # a wrapper of section 3's cell
    (lambda *a: train_step_planted(*a), "worked conditional step"),
])
def test_conditional_step_refuses_library_and_worked_step(shortcut, match):
    with pytest.raises(CheckFailed, match=match):
        nb05.check_conditional_step(shortcut)
