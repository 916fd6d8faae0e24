"""The shared refusal mechanism of the exercise checks (gan_helpers/checks/_refusals.py)."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_helpers import losses
from gan_helpers.checks import CheckFailed
from gan_helpers.checks._refusals import call_refusing, refuse_identity, refusing


def _learner_namespace(source: str) -> dict:
    ns = {"torch": torch, "F": F, "nn": nn, "losses": losses}
    exec(source, ns)
    return ns


def test_torch_ops_refused_whatever_the_route():
    ns = _learner_namespace(
        "from torch.nn.functional import binary_cross_entropy as b\n"
        "def direct(p, y): return F.binary_cross_entropy(p, y)\n"
        "def aliased(p, y): return b(p, y)\n"
        "def module(p, y): return nn.BCELoss()(p, y)\n"
        "def fine(p, y): return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()\n")
    p, y = torch.tensor([0.2, 0.7]), torch.tensor([1.0, 0.0])
    ops = {F.binary_cross_entropy: "write BCE yourself"}
    for name in ("direct", "aliased", "module"):
        with pytest.raises(CheckFailed, match="write BCE yourself"):
            call_refusing(ns[name], p, y, name=name, torch_ops=ops)
    got = call_refusing(ns["fine"], p, y, name="fine", torch_ops=ops)
    assert torch.allclose(got, F.binary_cross_entropy(p, y))     # the mode is gone afterwards


def test_library_refused_by_alias_and_module_attribute_and_restored():
    ns = _learner_namespace(
        "from gan_helpers.losses import discriminator_loss as dl\n"
        "def by_alias(a, b): return dl(a, b)\n"
        "def by_module(a, b): return losses.discriminator_loss(a, b)\n")
    a, b = torch.randn(4, 1), torch.randn(4, 1)
    lib = {losses.discriminator_loss: "write the loss, not the library's"}
    for name in ("by_alias", "by_module"):
        with pytest.raises(CheckFailed, match="not the library's"):
            call_refusing(ns[name], a, b, name=name, library=lib)
    assert ns["dl"] is losses.discriminator_loss and losses.discriminator_loss.__name__ == "discriminator_loss"


def test_notebook_names_refused_but_not_the_learners_own_function():
    ns = _learner_namespace(
        "def worked(x): return x + 1\n"
        "def wraps(x): return worked(x)\n"
        "def own(x): return x + 2\n")
    with pytest.raises(CheckFailed, match="section 1"):
        call_refusing(ns["wraps"], 1, name="wraps", notebook={"worked": "that is section 1's function"})
    assert call_refusing(ns["worked"], 1, name="worked", notebook={"worked": "x"}) == 2
    assert call_refusing(ns["own"], 1, name="own", notebook={"worked": "x", "missing": "y"}) == 3
    assert ns["wraps"](1) == 2                                    # bindings restored


def test_stub_and_identity():
    def stub(x):
        raise NotImplementedError()
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        call_refusing(stub, 1, name="stub")
    with pytest.raises(CheckFailed, match="itself"):
        refuse_identity(F.binary_cross_entropy, {F.binary_cross_entropy: "Write it."}, "bce")
    refuse_identity(stub, {F.binary_cross_entropy: "Write it."}, "bce")
    with refusing(stub):                                          # nothing to refuse: a no-op
        pass


def test_aten_ops_refused_below_the_python_functions():
    ns = _learner_namespace(
        "def by_ops(l, y): return torch.ops.aten.binary_cross_entropy_with_logits(l, y).mean()\n"
        "def by_torch(l, y): return torch.binary_cross_entropy_with_logits(l, y, None, None, 1)\n"
        "def fine(l, y): return (l - y).abs().mean()\n")
    l, y = torch.tensor([0.2, -1.0]), torch.tensor([1.0, 0.0])
    aten = {torch.ops.aten.binary_cross_entropy_with_logits: "write it yourself"}
    for name in ("by_ops", "by_torch"):
        with pytest.raises(CheckFailed, match="write it yourself"):
            call_refusing(ns[name], l, y, name=name, aten_ops=aten)
    assert torch.isclose(call_refusing(ns["fine"], l, y, name="fine", aten_ops=aten), torch.tensor(0.9))


def test_captured_references_refused_defaults_closures_partials():
    """A refused function carried by the learner's function (a default value, a keyword-only
    default, a closure cell, a functools.partial, one level further down) bypasses the name
    swapping; it is refused before the call, with the library's message."""
    ns = _learner_namespace(
        "import functools\n"
        "def by_default(a, b, dl=losses.discriminator_loss): return dl(a, b)\n"
        "def by_kwdefault(a, b, *, dl=losses.discriminator_loss): return dl(a, b)\n"
        "def make():\n    dl = losses.discriminator_loss\n    def inner(a, b): return dl(a, b)\n    return inner\n"
        "by_closure = make()\n"
        "by_partial = functools.partial(losses.discriminator_loss)\n"
        "def helper(a, b, dl=losses.discriminator_loss): return dl(a, b)\n"
        "def by_helper(a, b, h=helper): return h(a, b)\n"
        "def worked(a, b): return a.mean() + b.mean()\n"
        "def by_worked(a, b, w=worked): return w(a, b)\n"
        "def by_torch(a, b, m=F.mse_loss): return m(a, b)\n"
        "def fine(a, b, scale=2.0): return scale * (a - b).pow(2).mean()\n")
    a, b = torch.randn(4, 1), torch.randn(4, 1)
    lib = {losses.discriminator_loss: "write the loss, not the library's"}
    for name in ("by_default", "by_kwdefault", "by_closure", "by_partial", "by_helper"):
        with pytest.raises(CheckFailed, match="carries .*not the library's"):
            call_refusing(ns[name], a, b, name=name, library=lib)
    with pytest.raises(CheckFailed, match="section 1"):
        call_refusing(ns["by_worked"], a, b, name="by_worked", notebook={"worked": "that is section 1's function"})
    with pytest.raises(CheckFailed, match="carries .*square it yourself"):
        call_refusing(ns["by_torch"], a, b, name="by_torch", torch_ops={F.mse_loss: "square it yourself"})
    assert torch.isclose(call_refusing(ns["fine"], a, b, name="fine", library=lib,
                                       torch_ops={F.mse_loss: "square it yourself"}), 2 * (a - b).pow(2).mean())


def test_copies_of_a_worked_function_refused_by_code():
    """A copy of a worked function (renamed, with a docstring, or rebuilt from its __code__) runs
    the same code: ``refuse_copies`` refuses the learner's function when it is one, and the
    notebook refusal swaps every other name bound to one while the learner's function runs."""
    import types
    from gan_helpers.checks._refusals import refuse_copies, same_code
    ns = _learner_namespace(
        "def worked(x):\n    return x + 1   # section 1\n"
        "def copy(x):\n    'a docstring'\n    return x + 1\n"
        "def loops(xs): return [copy(x) for x in xs]\n"
        "def own(x): return x + 2\n")
    ns["rebuilt"] = types.FunctionType(ns["worked"].__code__, ns, "rebuilt")
    ns["alias"] = ns["worked"]
    assert same_code(ns["copy"], ns["worked"]) and not same_code(ns["own"], ns["worked"])
    for name in ("copy", "rebuilt", "alias", "worked"):
        with pytest.raises(CheckFailed, match="copy of its code.*section 1"):
            refuse_copies(ns[name], {"worked": "that is section 1's function"}, name)
    refuse_copies(ns["own"], {"worked": "x", "missing": "y"}, "own")
    with pytest.raises(CheckFailed, match="section 1"):
        call_refusing(ns["loops"], [1, 2], name="loops", notebook={"worked": "that is section 1's function"})
    assert ns["loops"]([1]) == [2] and ns["copy"] is not ns["worked"]          # bindings restored


def test_library_refused_in_its_own_third_party_package():
    """A third-party function (torchmetrics) is refused under every module path that re-exports it,
    also when the learner imports it inside the function."""
    pytest.importorskip("torchmetrics")
    import torchmetrics.classification as tmc
    import sys
    import torchmetrics.functional.classification as tmfc
    ns = _learner_namespace(
        "import torchmetrics\n"
        "def by_package(p, t): return torchmetrics.functional.classification.multiclass_accuracy(p, t, 3)\n"
        "def inside(p, t):\n"
        "    from torchmetrics.functional.classification import multiclass_accuracy as acc\n"
        "    return acc(p, t, 3)\n")
    p, t = torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1])
    lib = {tmfc.multiclass_accuracy: "count the hits yourself"}
    for name in ("by_package", "inside"):
        with pytest.raises(CheckFailed, match="count the hits yourself"):
            call_refusing(ns[name], p, t, name=name, library=lib)
    home = sys.modules["torchmetrics.functional.classification.accuracy"]
    assert home.multiclass_accuracy is tmfc.multiclass_accuracy and tmc.MulticlassAccuracy  # restored
