"""One mechanism behind every exercise check: while a learner's function runs, the library's
answer to the exercise (and torch's, where torch has one) is out of reach. Each refused call
raises a ``CheckFailed`` that says what the exercise asks for instead, so "call the library"
and "reuse the cell above" fail with a lesson rather than pass.

Three kinds of refusal, combined by ``refusing`` (and ``call_refusing``, which also runs the
function):

* ``library``: Python functions, matched by identity. Every name bound to one of them in the
  gan_helpers modules, in the modules of a third-party package they come from (torchmetrics) and
  in the learner's namespace (``fn.__globals__``, the notebook's) is
  swapped for a stand-in for the duration of the call, which catches aliases
  (``from ... import d_step as my_step``) and module attributes (``losses.d_loss(...)``).
* ``notebook``: names defined earlier in the learner's notebook (e.g. section 1's ``bce_manual``),
  swapped the same way in ``fn.__globals__``, with every other name there bound to a copy of them
  (``same_code``): an exercise that asks for the next case must not be passed by calling the
  worked case. ``refuse_copies`` refuses the learner's function itself when it is one.
* ``torch_ops``: torch functions (``F.binary_cross_entropy_with_logits``, ``torch.linalg.svd``,
  ...), seen through a ``TorchFunctionMode`` whatever name they were imported under; ``nn``
  modules such as ``nn.BCELoss`` call them, so they are refused too.
* ``aten_ops``: ATen operators (``torch.ops.aten.binary_cross_entropy_with_logits``), seen one
  level lower through a ``TorchDispatchMode``, for the routes that skip the Python functions
  (``torch.ops.aten...``, ``torch._C._nn...``).

Before the call, ``refuse_captured`` also looks at what the function carries instead of looking
it up by name (default values, closure cells, a ``functools.partial``'s function and arguments):
a refused function captured there (``def step(..., loss=lsgan_loss)``) is refused at once.

Used by every ``checks/nbNN.py``; the tests in ``tests/test_refusals.py`` and each notebook's
check tests prove the refusals fire.
"""
from __future__ import annotations

import functools
import sys
from contextlib import ExitStack, contextmanager
from typing import Callable

from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from ._core import CheckFailed, call


def same_code(a, b) -> bool:
    """True when functions ``a`` and ``b`` run the same bytecode: one is the other, a copy under
    another name (comments and docstrings aside) or a ``types.FunctionType`` rebuilt from its code."""
    ca, cb = getattr(a, "__code__", None), getattr(b, "__code__", None)
    if ca is None or cb is None:
        return False
    if ca is cb:
        return True

    def consts(c):                            # the first slot holds the docstring (or None): dropped
        ks = c.co_consts[1:] if c.co_consts and isinstance(c.co_consts[0], (str, type(None))) else c.co_consts
        return [same_code_key(k) for k in ks]
    return (ca.co_code == cb.co_code and ca.co_names == cb.co_names and ca.co_varnames == cb.co_varnames
            and consts(ca) == consts(cb))


def same_code_key(const):
    """A constant as ``same_code`` compares it: a nested code object (a lambda, a comprehension) by
    its bytecode and names, anything else as itself."""
    if hasattr(const, "co_code"):
        return (const.co_code, const.co_names, const.co_varnames)
    if isinstance(const, str) and ".<locals>." in const:    # a nested def's qualified name: the outer
        return const.rsplit(".<locals>.", 1)[1]              # function's name is not the code
    return const


def refuse_copies(fn, notebook: dict[str, str], name: str) -> None:
    """Fail at once when the learner's ``fn`` is one of the notebook's worked functions named in
    ``notebook`` (``step_fixed = step``) or runs the same code (a copy of the worked cell, a
    ``types.FunctionType`` built from its ``__code__``)."""
    ns = _globals_of(fn) or {}
    for key, message in notebook.items():
        worked = ns.get(key)
        if callable(worked) and (fn is worked or same_code(fn, worked)):
            raise CheckFailed(f"{name} is the notebook's {key} (the same function or a copy of its code). {message}")


def _stand_in(message: str):
    def raiser(*_args, **_kwargs):
        raise CheckFailed(message)
    raiser.__refused__ = True
    return raiser


def _globals_of(fn):
    """The namespace ``fn`` looks names up in: its own, or that of the function a
    ``functools.partial`` or a bound method wraps (the learner's notebook)."""
    for _ in range(5):
        if isinstance(getattr(fn, "__globals__", None), dict):
            return fn.__globals__
        fn = getattr(fn, "func", None) or getattr(fn, "__func__", None) or getattr(fn, "__wrapped__", None)
    return None


def _captured(fn, depth: int = 3) -> list:
    """The callables ``fn`` carries with it rather than looks up by name: a partial's function and
    arguments, a bound method's function, ``__wrapped__``, default values and closure cells,
    followed ``depth`` levels into the functions found there."""
    found, seen, todo = [], {id(fn)}, [(fn, 0)]
    while todo:
        obj, level = todo.pop()
        inner = []
        if isinstance(obj, functools.partial):
            inner += [obj.func, *obj.args, *obj.keywords.values()]
        for attr in ("__func__", "__wrapped__"):
            if getattr(obj, attr, None) is not None:
                inner.append(getattr(obj, attr))
        inner += list(getattr(obj, "__defaults__", None) or ())
        inner += list((getattr(obj, "__kwdefaults__", None) or {}).values())
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                inner.append(cell.cell_contents)
            except ValueError:                        # an empty cell
                pass
        for o in inner:
            if callable(o) and id(o) not in seen:
                seen.add(id(o))
                found.append(o)
                if level + 1 < depth:
                    todo.append((o, level + 1))
    return found


def refuse_captured(fn, forbidden: dict, name: str) -> None:
    """Fail when ``fn`` captured one of ``forbidden``'s functions as a default value, in a closure or
    in a ``functools.partial`` (routes that the name swapping below does not see)."""
    for obj in _captured(fn):
        for f, message in forbidden.items():
            if obj is f or same_code(obj, f):
                raise CheckFailed(f"{name} carries {getattr(f, '__qualname__', f)} with it (a default value, a "
                                  f"closure or a functools.partial). {message}")


@contextmanager
def _library_off(fn, messages: dict):
    """While the block runs, every name bound to one of ``messages``' functions, in the learner's
    namespace (``fn.__globals__``, the notebook's) and in the gan_helpers modules, points to a
    stand-in raising CheckFailed(message). Swapping the bindings, not the functions, catches any
    alias (``from ... import gradient_penalty as gp``); this module keeps its own for the answers."""
    # the refused functions' own third-party packages too (torchmetrics re-exports its functions
    # under several module paths); torch's functions are refused by torch_ops instead
    packages = {"gan_helpers"} | {getattr(f, "__module__", None).split(".")[0] for f in messages
                                  if isinstance(getattr(f, "__module__", None), str)} - {"torch", "builtins"}
    namespaces = [vars(m) for name, m in list(sys.modules.items())
                  if name.split(".")[0] in packages and m is not None and name != __name__]
    if _globals_of(fn) is not None:
        namespaces.append(_globals_of(fn))
    swapped, seen = [], set()
    try:
        for ns in namespaces:
            if id(ns) in seen:
                continue
            seen.add(id(ns))
            for key, value in list(ns.items()):
                if callable(value) and any(value is f for f in messages):
                    message = next(m for f, m in messages.items() if value is f)
                    swapped.append((ns, key, value))
                    ns[key] = _stand_in(message)
        yield
    finally:
        for ns, key, value in reversed(swapped):
            ns[key] = value


@contextmanager
def _notebook_names_off(fn, messages: dict[str, str]):
    """The learner's own earlier functions, by name, in ``fn.__globals__`` (the notebook's namespace):
    each bound name in ``messages`` points to a stand-in while the block runs. A name that is not
    defined (the learner skipped that cell) is left alone. The learner's function itself is never
    swapped, so an exercise may be named like a worked example without refusing itself."""
    ns = _globals_of(fn)
    swapped = []
    try:
        if isinstance(ns, dict):
            worked = {key: ns.get(key) for key in messages if callable(ns.get(key)) and ns.get(key) is not fn}
            for key, value in list(ns.items()):
                # the worked function's own name, and any other name bound to it or to a copy of its code
                hit = next((k for k, w in worked.items() if key == k or (value is not fn and callable(value)
                                                                         and same_code(value, w))), None)
                if hit is not None:
                    swapped.append((key, value))
                    ns[key] = _stand_in(messages[hit])
        yield
    finally:
        for key, value in reversed(swapped):
            ns[key] = value


class _TorchOpsOff(TorchFunctionMode):
    """Sees every torch call made while it is active, whatever name it was imported under, and turns
    the listed ones into a CheckFailed with their message. ``only_when(func, args, kwargs)`` may
    narrow a refusal (e.g. a norm is fine on a vector and refused on a matrix)."""

    def __init__(self, messages: dict[Callable, str], only_when: Callable | None = None):
        super().__init__()
        self.messages = messages
        self.only_when = only_when

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        for f, message in self.messages.items():
            if func is f and (self.only_when is None or self.only_when(func, args, kwargs)):
                raise CheckFailed(message)
        return func(*args, **kwargs)


class _AtenOpsOff(TorchDispatchMode):
    """The ATen operators in ``messages`` (overload packets such as ``torch.ops.aten.mse_loss``)
    raise CheckFailed, whichever Python route reached them."""

    def __init__(self, messages: dict):
        super().__init__()
        self.messages = messages

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        message = self.messages.get(getattr(func, "overloadpacket", None))
        if message is not None:
            raise CheckFailed(message)
        return func(*args, **(kwargs or {}))


@contextmanager
def refusing(fn, *, library: dict | None = None, notebook: dict[str, str] | None = None,
             torch_ops: dict | None = None, aten_ops: dict | None = None):
    """All the refusals at once, for the duration of the block (see the module docstring); a refused
    function that ``fn`` captured (``refuse_captured``) fails at once."""
    ns = _globals_of(fn) or {}
    captured = {**(library or {}), **(torch_ops or {}),
                **{ns[k]: m for k, m in (notebook or {}).items() if callable(ns.get(k)) and ns.get(k) is not fn}}
    refuse_captured(fn, captured, getattr(fn, "__name__", "your function"))
    with ExitStack() as stack:
        if library:
            stack.enter_context(_library_off(fn, library))
        if notebook:
            stack.enter_context(_notebook_names_off(fn, notebook))
        if torch_ops:
            stack.enter_context(_TorchOpsOff(torch_ops))
        if aten_ops:
            stack.enter_context(_AtenOpsOff(aten_ops))
        yield


def call_refusing(fn, *args, name: str, library: dict | None = None, notebook: dict[str, str] | None = None,
                  torch_ops: dict | None = None, aten_ops: dict | None = None, shadow_message: str | None = None,
                  **kwargs):
    """Run the learner's ``fn(*args, **kwargs)`` with the refusals on: ``call``'s hint for a stub
    still raising NotImplementedError, and each refused call's own message."""
    with refusing(fn, library=library, notebook=notebook, torch_ops=torch_ops, aten_ops=aten_ops):
        return _call(fn, *args, name=name, shadow_message=shadow_message, **kwargs)


def refuse_identity(fn, forbidden: dict, name: str) -> None:
    """Fail at once when the learner passed (or assigned) one of ``forbidden``'s functions itself,
    e.g. ``bce = F.binary_cross_entropy`` or ``d_loss = losses.discriminator_loss``."""
    for f, message in forbidden.items():
        if fn is f:
            raise CheckFailed(f"{name} is {getattr(f, '__qualname__', f)} itself. {message}")


def _shadowed(fn, name: str, library_fn) -> bool:
    """True when the learner's notebook rebound ``name`` (imported from the library earlier in the
    notebook) to something else: then re-running the earlier cell that uses it runs the learner's."""
    ns = _globals_of(fn)
    return isinstance(ns, dict) and name in ns and ns[name] is not library_fn


def _call(fn, *args, name: str, shadow_message: str | None, **kwargs):
    """``call`` (the stub's NotImplementedError becomes a hint), with a better hint when the learner
    wrote the code under the library's name instead of the stub's."""
    try:
        return call(fn, *args, name=name, **kwargs)
    except CheckFailed as err:
        if shadow_message and "NotImplementedError" in str(err):
            raise CheckFailed(shadow_message) from None
        raise
