"""Notebook 04 exercise checks: pass the solution, fail the stub and plausible wrong answers with
a message that teaches. The learner version's smoke run is in instructor/learner_run.py (make course-test, every notebook)."""
import os
from pathlib import Path

import nbformat
import pytest
import torch
from torch import nn

from gan_helpers.checks import CheckFailed
from gan_helpers.checks import nb04
from gan_helpers.losses import discriminator_loss, generator_loss_nonsaturating, generator_loss_saturating

REPO = Path(__file__).resolve().parents[1]
NB04 = REPO / "notebooks" / "04_dcgan.ipynb"


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- model solutions (the notebook's) ---------------------------------------------------------------

def layer_choices():
    return {"a_padding": 1, "b_kernel": 4, "c_output_padding": 1, "d_size": 3, "e_kernel": 3}


def make_G32(latent_dim, c, *, out_bn=False, tanh=True, proj=4, unflatten=True, act=nn.ReLU):
    layers = [nn.Unflatten(1, (latent_dim, 1, 1))] if unflatten else []
    layers += [nn.ConvTranspose2d(latent_dim, 4 * c, proj, 1, 0, bias=False), nn.BatchNorm2d(4 * c), act(),
               nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), act()]
    if proj == 4:
        layers += [nn.ConvTranspose2d(2 * c, c, 4, 2, 1, bias=False), nn.BatchNorm2d(c), act()]
    else:   # the 28x28 generator: 7 -> 14 -> 28
        layers += [nn.Identity()]
        c = 2 * c
    layers += [nn.ConvTranspose2d(c, 1, 4, 2, 1)]
    if out_bn:
        layers += [nn.BatchNorm2d(1)]
    if tanh:
        layers += [nn.Tanh()]
    return nn.Sequential(*layers)


def weights_init(m, *, linear=True, bn1d=True, w_std=0.02, bn_mean=1.0):
    convs = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear) if linear else (nn.Conv2d, nn.ConvTranspose2d)
    norms = (nn.BatchNorm1d, nn.BatchNorm2d) if bn1d else (nn.BatchNorm2d,)
    if isinstance(m, convs):
        nn.init.normal_(m.weight, 0.0, w_std)
    elif isinstance(m, norms):
        nn.init.normal_(m.weight, bn_mean, 0.02)
        nn.init.zeros_(m.bias)


def fixed_train_step(G, D, opt_G, opt_D, x_real, latent_dim, *, g_loss=generator_loss_nonsaturating,
                     g_first=False, keep_bug=False, swap=False):
    z = torch.randn(x_real.shape[0], latent_dim, device=x_real.device)
    x_fake = G(z)
    if g_first:
        loss_G = g_loss(D(x_fake))
        opt_G.zero_grad(set_to_none=True); loss_G.backward(); opt_G.step()
    logits_real, logits_fake = D(x_real), D(x_fake.detach())
    loss_D = discriminator_loss(logits_fake, logits_real) if swap else discriminator_loss(logits_real, logits_fake)
    opt_D.zero_grad(set_to_none=True); loss_D.backward(); opt_D.step()
    if not g_first:
        loss_G = g_loss(D(x_fake.detach() if keep_bug else x_fake))
        opt_G.zero_grad(set_to_none=True); loss_G.backward(); opt_G.step()
    return dict(loss_D=loss_D, loss_G=loss_G, D_x=torch.sigmoid(logits_real).mean(),
                D_G_z=torch.sigmoid(logits_fake).mean())


MEASURED = {"D_x": 0.5, "D_G_z": 0.9}     # a frozen D's run, as the notebook measures it


def _constant(guess):
    """A prediction written as the learner writes it: a function returning a literal."""
    ns = {}
    exec(f"def my_prediction():\n    return {guess!r}\n", ns)
    return ns["my_prediction"]


def test_solutions_pass(capsys):
    assert nb04.check_layer_choices(layer_choices)
    assert nb04.check_g32(make_G32)
    assert nb04.check_weights_init(weights_init)
    assert nb04.check_frozen_D_prediction(lambda: {"D_x": 0.45, "D_G_z": 0.8}, MEASURED)
    assert nb04.check_fixed_step(fixed_train_step)
    out = capsys.readouterr().out
    assert out.count("PASSED") == 5
    # the pass line of the prediction does not depend on the measured numbers (nbval compares it)
    nb04.check_frozen_D_prediction(lambda: {"D_x": 0.5, "D_G_z": 0.9}, {"D_x": 0.52, "D_G_z": 0.93})
    assert capsys.readouterr().out.splitlines()[-1] == out.splitlines()[3]


@pytest.mark.parametrize("check", [nb04.check_layer_choices, nb04.check_g32, nb04.check_weights_init,
                                   lambda f: nb04.check_frozen_D_prediction(f, MEASURED), nb04.check_fixed_step])
def test_stub_fails(check):
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check(stub)


# --- exercise 1 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, wrong, match", [
    ("a_padding", 2, "counts twice"),          # 2p taken as p
    ("a_padding", 0, "maps 4 -> 10"),
    ("b_kernel", 7, "28x28 generator"),        # copied the 28x28 projection
    ("c_output_padding", 0, "gives 13"),       # forgot the output padding
    ("c_output_padding", 2, "torch refuses"),  # output padding must be smaller than the stride
    ("d_size", 4, "floor"),                    # rounded up
    ("d_size", 14, "floor"),                   # used the transposed formula
    ("e_kernel", 21, "stride"),
])
def test_wrong_layer_choices_fail(key, wrong, match):
    answers = layer_choices()
    answers[key] = wrong
    with pytest.raises(CheckFailed, match=match):
        nb04.check_layer_choices(lambda: answers)


def test_layer_choices_shape_errors():
    with pytest.raises(CheckFailed, match="no entry"):
        nb04.check_layer_choices(lambda: {"a_padding": 1})
    with pytest.raises(CheckFailed, match="should be an int"):
        nb04.check_layer_choices(lambda: {**layer_choices(), "b_kernel": 4.0})
    with pytest.raises(CheckFailed, match="dict"):
        nb04.check_layer_choices(lambda: [1, 4, 1, 3, 3])


# --- exercise 2 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, match", [
    (lambda l, c: make_G32(l, c, proj=7), "28x28"),                       # notebook 04's G copied
    (lambda l, c: make_G32(l, c, tanh=False), "Tanh"),
    (lambda l, c: make_G32(l, c, out_bn=True, tanh=True), "BatchNorm2d after G's last"),
    (lambda l, c: make_G32(l, c, unflatten=False), "Unflatten"),
    (lambda l, c: make_G32(l, c, act=lambda: nn.LeakyReLU(0.2)), "LeakyReLU"),
    (lambda l, c: nn.Sequential(nn.Linear(l, 16 * 4 * 4 * c), nn.Unflatten(1, (16 * c, 4, 4)),
                                nn.Upsample(scale_factor=8), nn.Conv2d(16 * c, 1, 3, 1, 1), nn.Tanh()), "Linear"),
])
def test_wrong_G32_fails(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        nb04.check_g32(wrong)


def test_G32_without_batch_norm_fails():
    def no_bn(latent_dim, c):
        return nn.Sequential(nn.Unflatten(1, (latent_dim, 1, 1)),
                             nn.ConvTranspose2d(latent_dim, 4 * c, 4, 1, 0), nn.ReLU(),
                             nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1), nn.ReLU(),
                             nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.ReLU(),
                             nn.ConvTranspose2d(c, 1, 4, 2, 1), nn.Tanh())
    with pytest.raises(CheckFailed, match="BatchNorm2d and nn.ReLU"):
        nb04.check_g32(no_bn)


# --- exercise 3 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, match", [
    (lambda m: weights_init(m, w_std=0.2), "N\\(0, 0.02\\)"),         # std 0.2 instead of 0.02
    (lambda m: weights_init(m, bn_mean=0.0), "scale near 1"),          # batch-norm scale drawn around 0
    (lambda m: weights_init(m, linear=False), "does not touch nn.Linear"),   # conv layers only (the old exercise)
    (lambda m: weights_init(m, bn1d=False), "BatchNorm2d only"),      # BatchNorm1d forgotten
    (lambda m: weights_init(m, linear=False, bn1d=False), "nn.Linear"),
    (lambda m: None, "N\\(0, 0.02\\)|nn.Linear"),                       # does nothing
])
def test_wrong_init_fails(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        nb04.check_weights_init(wrong)


def test_init_covers_both_pairs():
    """The check's model holds every layer type of the notebook's two pairs."""
    from gan_helpers.models import infogan
    kinds = {type(m) for net in (Generator(8, 4), infogan.Generator(8, 4, 16), infogan.Discriminator(4, 16))
             for m in net.modules() if any(True for _ in m.parameters(recurse=False))}
    assert kinds == {nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d, nn.ConvTranspose2d, nn.Conv2d}


# --- exercise 4 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("guess, match", [
    ({"D_x": 0.95, "D_G_z": 0.05}, "opposite"),      # the usual picture of a winning D
    ({"D_x": 0.9, "D_G_z": 0.95}, "D\\(x\\)"),        # right order, but a frozen D's D(x) cannot climb
    ({"D_x": 0.5, "D_G_z": 0.55}, "D\\(G\\(z\\)\\)"), # G cannot push D(G(z)) up: it can
    ({"D_x": 50, "D_G_z": 90}, "in \\[0, 1\\]"),      # percentages instead of probabilities
    ({"Dx": 0.5}, "keys"),
])
def test_wrong_predictions_fail(guess, match):
    with pytest.raises(CheckFailed, match=match):
        nb04.check_frozen_D_prediction(_constant(guess), MEASURED)


@pytest.mark.parametrize("guess", [{"D_x": 0.95, "D_G_z": 0.05}, {"D_x": 0.9, "D_G_z": 0.95}, {"D_x": 0.5, "D_G_z": 0.55}])
def test_prediction_messages_give_the_run_and_point_at_nothing_unprinted(guess):
    """The check runs before the cell that prints the run: a failure names the measured numbers itself."""
    with pytest.raises(CheckFailed) as err:
        nb04.check_frozen_D_prediction(_constant(guess), {"D_x": 0.53, "D_G_z": 0.91})
    assert "printed above" not in str(err.value)
    assert "0.53" in str(err.value) or "0.91" in str(err.value)


# --- exercise 5 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, match", [
    (lambda *a: nb04.train_step_with_bug(*a), "step with the planted bug"),  # a wrapper of the broken step
    (lambda *a: fixed_train_step(*a, keep_bug=True), "did not change at all"),
    (lambda *a: fixed_train_step(*a, g_first=True), "before"),              # G through the old D
    (lambda *a: fixed_train_step(*a, g_loss=generator_loss_saturating), "saturating"),
    (lambda *a: fixed_train_step(*a, swap=True), "D's weights"),            # a new bug in D's half
    (lambda *a: {"loss_D": 0.0}, "dict"),
])
def test_wrong_fixes_fail(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        nb04.check_fixed_step(wrong)


def test_planted_bug_freezes_G():
    """The planted bug is silent (no error) and leaves G's weights unchanged: the symptom taught."""
    torch.manual_seed(0)
    from gan_helpers.models.dcgan import Discriminator, Generator
    G, D = Generator(8, 4), Discriminator(4)
    before = [p.detach().clone() for p in G.parameters()]
    opt_G, opt_D = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    for _ in range(3):
        nb04.train_step_with_bug(G, D, opt_G, opt_D, torch.rand(8, 1, 28, 28) * 2 - 1, 8)
    assert all(torch.equal(a, b) for a, b in zip(before, G.parameters()))


# --- the notebook's exercises and its learner version ---------------------------------------------------

def _nbg(cell):
    return cell.metadata.get("nbgrader", {})


def test_notebook_has_graded_exercises():
    nb = nbformat.read(str(NB04), as_version=4)
    graded = {_nbg(c)["grade_id"]: c for c in nb.cells if _nbg(c).get("grade")}
    assert len(graded) >= 4
    written = [g for g, c in graded.items() if c.cell_type == "markdown"]
    assert {"nb04_gallery_written", "nb04_fid_written"} <= set(written)
    assert all(_nbg(c)["points"] > 0 for c in graded.values())
    doc = (REPO / "docs" / "exercises" / "nb04.md").read_text()
    for gid in graded:
        assert gid in doc, f"{gid} is not described in docs/exercises/nb04.md"


# --- refusals: the library's answer and the worked cell next to each exercise ---------------------------

import ast
import functools

import gan_helpers.models.blocks as blocks
import gan_helpers.models.dcgan as dcgan
import gan_helpers.train as train
from gan_helpers.models.blocks import weights_init as lib_weights_init
from gan_helpers.models.dcgan import Generator, conv_transpose_out
from gan_helpers.models.dcgan import Generator as DCGenerator
from gan_helpers.models.dcgan import conv_transpose_out as size_of
from gan_helpers.train import d_step, g_step
from gan_helpers.train import d_step as my_d, g_step as my_g
from gan_helpers.widgets.dcgan import tail_means


def t_out(n, k, s, p, o=0):          # notebook 04's worked cell (section 1)
    return (n - 1) * s - 2 * p + k + o


def train_step(G, D, opt_G, opt_D, x_real, latent_dim):   # notebook 04's worked step (section 2)
    return fixed_train_step(G, D, opt_G, opt_D, x_real, latent_dim)


def _defs(source: str, ns: dict) -> dict:
    """Run only the function definitions of a notebook cell in ``ns`` (the notebook's namespace)."""
    tree = ast.parse(source)
    tree.body = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    exec(compile(tree, "<cell>", "exec"), ns)
    return ns


def test_notebook_solutions_pass_with_the_worked_cells_defined(capsys):
    """The model solutions stored in the notebook pass in a namespace that also holds the worked cells
    and the library names the notebook imports (all of them refused during the checks)."""
    nb = nbformat.read(str(NB04), as_version=4)
    ns = dict(torch=torch, nn=nn, discriminator_loss=discriminator_loss, weights_init=lib_weights_init,
              generator_loss_nonsaturating=generator_loss_nonsaturating, Generator=Generator, tail_means=tail_means)
    for c in nb.cells:
        if c.cell_type == "code" and ("def t_out" in c.source or c.source.startswith("def train_step(")
                                      or _nbg(c).get("solution")):
            _defs(c.source, ns)
    assert {"t_out", "train_step", "layer_choices", "make_G32", "my_weights_init"} <= set(ns)
    assert nb04.check_layer_choices(ns["layer_choices"])
    assert nb04.check_g32(ns["make_G32"])
    assert nb04.check_weights_init(ns["my_weights_init"])
    assert nb04.check_frozen_D_prediction(ns["my_prediction"], MEASURED)
    assert nb04.check_fixed_step(ns["fixed_train_step"])
    assert capsys.readouterr().out.count("PASSED") == 5
    assert ns["weights_init"] is lib_weights_init and ns["train_step"].__name__ == "train_step"  # restored


def test_layer_choices_refuses_size_functions():
    def direct():
        return {**layer_choices(), "a_padding": next(p for p in range(4) if conv_transpose_out(4, 4, 2, p) == 8)}

    def aliased():
        size_of(4, 4, 2, 1)
        return layer_choices()

    def attribute():
        dcgan.conv_transpose_out(4, 4, 2, 1)
        return layer_choices()

    def worked_cell():
        return {**layer_choices(), "e_kernel": next(k for k in range(9) if t_out(7, k, 3, 0) == 21)}
    for fn in (direct, aliased, attribute, worked_cell):
        with pytest.raises(CheckFailed, match="section 1's formulas"):
            nb04.check_layer_choices(fn)


@pytest.mark.parametrize("shortcut", [
    lambda l, c: Generator(l, c),
    lambda l, c: DCGenerator(l, c),
    lambda l, c: dcgan.Generator(l, c),
    lambda l, c: nn.Sequential(*Generator(l, c).net),
])
def test_g32_refuses_the_library_generator(shortcut):
    with pytest.raises(CheckFailed, match="library's generators"):
        nb04.check_g32(shortcut)


def test_g32_refuses_a_library_generator_built_outside():
    G_prebuilt = Generator(16, 8)
    with pytest.raises(CheckFailed, match="library's generators"):
        nb04.check_g32(lambda l, c: G_prebuilt)


@pytest.mark.parametrize("shortcut", [
    lib_weights_init,                                  # the library's function itself
    lambda m: lib_weights_init(m),                     # a wrapper of the name section 2 imports
    lambda m: blocks.weights_init(m),                  # via the module attribute
    functools.partial(lib_weights_init, std=0.02),     # carried in a partial
])
def test_weights_init_refuses_the_library(shortcut):
    with pytest.raises(CheckFailed, match="blocks.weights_init is the library's answer"):
        nb04.check_weights_init(shortcut)


def test_prediction_refuses_measuring_the_run():
    measured = MEASURED

    def reads_the_run():
        return dict(measured)

    def measures():
        return tail_means({"D_x": [0.5] * 60, "D_G_z": [0.9] * 60})
    for fn in (reads_the_run, measures):
        with pytest.raises(CheckFailed, match="BEFORE the run"):
            nb04.check_frozen_D_prediction(fn, MEASURED)


def _library_step(d, g):
    def step(G, D, opt_G, opt_D, x_real, latent_dim):
        x_fake = G(torch.randn(x_real.shape[0], latent_dim))
        out = d(D, opt_D, x_real, x_fake)
        return dict(out, loss_G=g(D, opt_G, x_fake))
    return step


@pytest.mark.parametrize("shortcut, match", [
    (_library_step(d_step, g_step), "library's d_step / g_step"),
    (_library_step(my_d, my_g), "library's d_step / g_step"),
    (lambda G, D, oG, oD, x, l: _library_step(train.d_step, train.g_step)(G, D, oG, oD, x, l),
     "library's d_step / g_step"),
    (lambda *a: train_step(*a), "section 2's train_step"),              # a wrapper of the worked cell
])
def test_fixed_step_refuses_library_and_worked_step(shortcut, match):
    with pytest.raises(CheckFailed, match=match):
        nb04.check_fixed_step(shortcut)


def test_g32_accepts_other_designs(capsys):
    """Exercise 2 does not dictate the layers: a 2x2 projection with four doublings and other widths pass."""
    def other(latent_dim, c):
        return nn.Sequential(nn.Unflatten(1, (latent_dim, 1, 1)),
                             nn.ConvTranspose2d(latent_dim, 8 * c, 2, 1, 0, bias=False), nn.BatchNorm2d(8 * c), nn.ReLU(),
                             nn.ConvTranspose2d(8 * c, 4 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * c), nn.ReLU(),
                             nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.ReLU(),
                             nn.ConvTranspose2d(2 * c, c, 4, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                             nn.ConvTranspose2d(c, 1, 4, 2, 1), nn.Tanh())
    assert nb04.check_g32(other)


# --- the cold read's lazy answers ------------------------------------------------------------------------

def _padded_28(latent_dim, c):                     # the 28x28 G, padded by two pixels before tanh
    layers = list(make_G32(latent_dim, c, proj=7, tanh=False))
    return nn.Sequential(*layers, nn.ConstantPad2d(2, -1.0), nn.Tanh())


class _Stretched(nn.Module):                       # the 28x28 G, stretched to 32 in forward
    def __init__(self, latent_dim, c):
        super().__init__()
        self.net = make_G32(latent_dim, c, proj=7)

    def forward(self, z):
        return nn.functional.interpolate(self.net(z), size=32)


class _PaddedInside(nn.Module):                    # 7 -> 14, padded to 16, then one doubling
    def __init__(self, latent_dim, c):
        super().__init__()
        self.a = nn.Sequential(nn.Unflatten(1, (latent_dim, 1, 1)), nn.ConvTranspose2d(latent_dim, 2 * c, 7, 1, 0),
                               nn.BatchNorm2d(2 * c), nn.ReLU(), nn.ConvTranspose2d(2 * c, c, 4, 2, 1),
                               nn.BatchNorm2d(c), nn.ReLU())
        self.b = nn.Sequential(nn.ConvTranspose2d(c, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.b(nn.functional.pad(self.a(z), (1, 1, 1, 1)))


def _one_big_kernel(latent_dim, c):                # a 4x4 projection, then one stride-1 kernel of 29
    return nn.Sequential(nn.Unflatten(1, (latent_dim, 1, 1)), nn.ConvTranspose2d(latent_dim, c, 4, 1, 0),
                         nn.BatchNorm2d(c), nn.ReLU(), nn.ConvTranspose2d(c, 1, 29, 1, 0), nn.Tanh())


@pytest.mark.parametrize("lazy, match", [
    (_padded_28, "padding or interpolation"),
    (_Stretched, "padding or interpolation"),
    (_PaddedInside, "padding or interpolation"),
    (_one_big_kernel, "stride"),
])
def test_g32_refuses_resizing_and_one_big_kernel(lazy, match):
    with pytest.raises(CheckFailed, match=match):
        nb04.check_g32(lazy)


def test_prediction_refuses_aliases_of_the_run():
    ns = {"measured": MEASURED, "mm": MEASURED}
    sources = ["def p():\n    return dict(mm)\n",
               "def p():\n    return dict(globals()['measured'])\n",
               "def p(m=measured):\n    return dict(m)\n"]
    for src in sources:
        exec(src, ns)
        with pytest.raises(CheckFailed, match="BEFORE the run"):
            nb04.check_frozen_D_prediction(ns["p"], MEASURED)


def _worked_step_namespace():
    nb = nbformat.read(str(NB04), as_version=4)
    cell = next(c.source for c in nb.cells if c.cell_type == "code" and c.source.startswith("def train_step("))
    ns = dict(torch=torch, discriminator_loss=discriminator_loss,
              generator_loss_nonsaturating=generator_loss_nonsaturating)
    return _defs(cell, ns), cell


def test_fixed_step_refuses_the_worked_step_and_its_copy():
    ns, cell = _worked_step_namespace()
    ns["fixed_train_step"] = ns["train_step"]                     # fixed_train_step = train_step
    with pytest.raises(CheckFailed, match="train_step"):
        nb04.check_fixed_step(ns["fixed_train_step"])
    _defs(cell.replace("def train_step(", "def fixed_train_step(", 1), ns)   # cell 25 pasted and renamed
    with pytest.raises(CheckFailed, match="copy of its code"):
        nb04.check_fixed_step(ns["fixed_train_step"])


def test_planted_bug_is_not_the_worked_step_and_its_fix_passes(capsys):
    """The step with the bug is written differently from section 2's, so its fix is no copy of that cell."""
    import inspect
    from gan_helpers.checks._refusals import same_code
    ns, _ = _worked_step_namespace()
    fixed_src = inspect.getsource(nb04.train_step_with_bug).replace("def train_step_with_bug(", "def fixed_train_step(")
    fixed_src = fixed_src.replace("generator_loss_nonsaturating(D(x_fake.detach()))", "generator_loss_nonsaturating(D(x_fake))")
    _defs(fixed_src, ns)
    assert not same_code(ns["fixed_train_step"], ns["train_step"])
    assert nb04.check_fixed_step(ns["fixed_train_step"])
