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


def _notebook_namespace() -> dict:
    """The worked cells' and the stored solutions' functions of notebook 05, with the names they use."""
    nb = nbformat.read(str(NB05), as_version=4)
    ns = dict(torch=torch, F=F, nn=torch.nn, discriminator_loss=discriminator_loss, label_accuracy=label_accuracy,
              generator_loss_nonsaturating=generator_loss_nonsaturating)
    for c in nb.cells:
        worked = ("def train_step(", "def train_step_planted(", "def g_input_one(", "def d_input_one(",
                  "def projection_one(")
        if c.cell_type == "code" and (any(w in c.source for w in worked)
                                      or c.metadata.get("nbgrader", {}).get("solution")):
            tree = ast.parse(c.source)
            tree.body = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
            exec(compile(tree, "<cell>", "exec"), ns)
    return ns


def test_notebook_solutions_pass_with_the_worked_cells_defined(capsys):
    """The model solutions stored in the notebook pass in a namespace that also holds the worked steps
    and the library names the notebook imports (refused during the checks)."""
    ns = _notebook_namespace()
    assert {"train_step", "train_step_planted", "d_loss_matching", "projection_logits", "label_match",
            "train_step_fixed", "g_input_one", "g_input", "d_input_one", "d_input", "projection_one"} <= set(ns)
    assert nb05.check_g_input(ns["g_input"])
    assert nb05.check_d_planes(ns["d_input"])
    assert nb05.check_matching_loss(ns["d_loss_matching"])
    assert nb05.check_projection_logits(ns["projection_logits"])
    assert nb05.check_label_match(ns["label_match"])
    assert nb05.check_conditional_step(ns["train_step_fixed"])
    assert capsys.readouterr().out.count("PASSED") == 6
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


def _cell_source(start: str) -> str:
    nb = nbformat.read(str(NB05), as_version=4)
    src = next(c.source for c in nb.cells if c.cell_type == "code" and c.source.startswith(start))
    tree = ast.parse(src)
    return ast.unparse([n for n in tree.body if isinstance(n, ast.FunctionDef)][0])


@pytest.mark.parametrize("worked", ["train_step", "train_step_planted"])
def test_conditional_step_refuses_the_worked_steps_by_identity_and_code(worked):
    """train_step_fixed = train_step, a function rebuilt from its __code__, and a copy of its cell
    (renamed, with a docstring) are refused; the stored solution (checked above) is not."""
    import types
    ns = _notebook_namespace()
    shortcuts = [ns[worked], types.FunctionType(ns[worked].__code__, ns, "train_step_fixed")]
    copy = ast.parse(_cell_source(f"def {worked}("))          # renamed, with a docstring of its own
    fn = copy.body[0]
    fn.name = "train_step_fixed"
    doc = ast.Expr(ast.Constant("my own step"))
    fn.body = [doc] + (fn.body[1:] if ast.get_docstring(fn) else fn.body)
    exec(ast.unparse(ast.fix_missing_locations(copy)), ns)
    shortcuts.append(ns["train_step_fixed"])
    for fn in shortcuts:
        with pytest.raises(CheckFailed, match=f"is the notebook's {worked}.*worked conditional step"):
            nb05.check_conditional_step(fn)


def test_planted_step_is_not_a_line_by_line_copy_of_the_worked_step():
    """The bug cannot be found by diffing the two cells: most lines of the planted step differ."""
    worked = set(_cell_source("def train_step(").splitlines()[1:])
    planted = _cell_source("def train_step_planted(").splitlines()[1:]
    assert sum(line in worked for line in planted) <= len(planted) // 2


def _step_without(missing: str):
    def step(G, D, opt_G, opt_D, x_real, y_real, latent_dim, n_classes):
        N = x_real.shape[0]
        z = torch.randn(N, latent_dim)
        y_fake = torch.randint(0, n_classes, (N,))
        x_fake = G(z, y_fake)
        logits_real, logits_fake = D(x_real, y_real), D(x_fake.detach(), y_fake)
        loss_D = discriminator_loss(logits_real, logits_fake)
        if missing != "D":
            opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
        loss_G = generator_loss_nonsaturating(D(x_fake, y_fake))
        if missing != "G":
            opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        return dict(loss_D=loss_D, loss_G=loss_G)
    return step


@pytest.mark.parametrize("missing", ["D", "G"])
def test_conditional_step_missing_zero_grad_fails_on_the_second_step(missing):
    with pytest.raises(CheckFailed, match="fresh gradients"):
        nb05.check_conditional_step(_step_without(missing))
    assert nb05.check_conditional_step(_step_without("none"))


def test_conditional_step_phases_in_the_wrong_order_fail():
    def g_first(G, D, opt_G, opt_D, x_real, y_real, latent_dim, n_classes):
        y_fake = torch.randint(0, n_classes, (x_real.shape[0],))
        x_fake = G(torch.randn(x_real.shape[0], latent_dim), y_fake)
        loss_G = generator_loss_nonsaturating(D(x_fake, y_fake))
        opt_G.zero_grad(); loss_G.backward(); opt_G.step()
        loss_D = discriminator_loss(D(x_real, y_real), D(x_fake.detach(), y_fake))
        opt_D.zero_grad(); loss_D.backward(); opt_D.step()
        return dict(loss_D=loss_D, loss_G=loss_G)
    with pytest.raises(CheckFailed, match="update D first"):
        nb05.check_conditional_step(g_first)


def _torchmetrics_shortcuts():
    tm = pytest.importorskip("torchmetrics")
    import torchmetrics.functional as tmf
    import torchmetrics.functional.classification as tmfc

    def micro_and_none(lg, r):
        k = lg.shape[1]
        return (tmfc.multiclass_accuracy(lg, r, num_classes=k, average="micro").item(),
                tmfc.multiclass_accuracy(lg, r, num_classes=k, average=None))

    def recall(lg, r):
        k = lg.shape[1]
        return (tmf.accuracy(lg, r, task="multiclass", num_classes=k).item(),
                tmf.recall(lg, r, task="multiclass", num_classes=k, average=None))

    def by_class(lg, r):
        k = lg.shape[1]
        return (tm.classification.MulticlassAccuracy(num_classes=k, average="micro")(lg, r).item(),
                tm.classification.MulticlassRecall(num_classes=k, average=None)(lg, r))

    def imported_inside(lg, r):
        from torchmetrics.functional.classification import multiclass_recall
        k = lg.shape[1]
        per_class = multiclass_recall(lg, r, num_classes=k, average=None)
        return float((lg.argmax(1) == r).float().mean()), per_class
    return [micro_and_none, recall, by_class, imported_inside]


def test_label_match_refuses_torchmetrics():
    """Each torchmetrics route gives the right numbers with the refusals off, and fails the check."""
    logits = torch.tensor([[5., 0, 0], [0, 5, 0], [5, 0, 0], [0, 0, 5], [0, 5, 0], [0, 5, 0]])
    requested = torch.tensor([0, 1, 1, 2, 1, 2])
    for fn in _torchmetrics_shortcuts():
        acc, per_class = fn(logits, requested)
        assert abs(acc - 4 / 6) < 1e-6 and torch.allclose(per_class, torch.tensor([1.0, 2 / 3, 0.5]))
        with pytest.raises(CheckFailed, match="torchmetrics' accuracy and recall"):
            nb05.check_label_match(fn)
