"""How the notebook-06 checks keep the library's answer (and, for power iteration, every
SVD-like routine of torch and numpy) out of a learner's function while it runs: each refused
call raises a ``CheckFailed`` that says what the exercise asks for instead. Used by
``checks/nb06.py`` and ``checks/nb06_power.py``."""
from __future__ import annotations

import sys
from contextlib import contextmanager

import torch
from torch.overrides import TorchFunctionMode

from ._core import CheckFailed, call


@contextmanager
def _library_off(fn, messages: dict):
    """While the block runs, every name bound to one of ``messages``' functions, in the learner's
    namespace (``fn.__globals__``, the notebook's) and in the gan_helpers modules, points to a
    stand-in raising CheckFailed(message). Swapping the bindings, not the functions, catches any
    alias (``from ... import gradient_penalty as gp``); this module keeps its own for the answers."""
    def stand_in(message):
        def raiser(*_args, **_kwargs):
            raise CheckFailed(message)
        return raiser

    namespaces = [vars(m) for name, m in list(sys.modules.items())
                  if name.startswith("gan_helpers") and m is not None and name != __name__]
    if isinstance(getattr(fn, "__globals__", None), dict):
        namespaces.append(fn.__globals__)
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
                    ns[key] = stand_in(message)
        yield
    finally:
        for ns, key, value in reversed(swapped):
            ns[key] = value


def _shadowed(fn, name: str, library_fn) -> bool:
    """True when the learner's notebook rebound ``name`` (imported from the library earlier in the
    notebook) to something else: then re-running the earlier cell that uses it runs the learner's."""
    ns = getattr(fn, "__globals__", None)
    return isinstance(ns, dict) and name in ns and ns[name] is not library_fn


def _call(fn, *args, name: str, shadow_message: str | None):
    """``call`` (the stub's NotImplementedError becomes a hint), with a better hint when the learner
    wrote the code under the library's name instead of the stub's."""
    try:
        return call(fn, *args, name=name)
    except CheckFailed as err:
        if shadow_message and "NotImplementedError" in str(err):
            raise CheckFailed(shadow_message) from None
        raise



_DECOMPOSITIONS = {torch.linalg.svd: "torch.linalg.svd", torch.linalg.svdvals: "torch.linalg.svdvals",
                   torch.svd: "torch.svd", torch.Tensor.svd: "W.svd()", torch.linalg.eig: "torch.linalg.eig",
                   torch.linalg.eigvals: "torch.linalg.eigvals", torch.linalg.eigh: "torch.linalg.eigh",
                   torch.linalg.eigvalsh: "torch.linalg.eigvalsh", torch.lobpcg: "torch.lobpcg",
                   torch.linalg.cond: "torch.linalg.cond"}
# These are fine on vectors (normalising u and v) and for the Frobenius norm; with ord 2, -2 or
# "nuc" on a matrix they are an SVD in disguise.
_MATRIX_NORMS = {torch.linalg.norm: "torch.linalg.norm", torch.linalg.matrix_norm: "torch.linalg.matrix_norm"}


def _svd_message(fn_name: str, what: str) -> str:
    return (f"{fn_name} calls {what}, which computes the singular values by a full decomposition (an SVD or "
            "an eigendecomposition): exactly what power iteration avoids (spectral normalisation runs one "
            "cheap step of it per forward pass instead of an SVD). Use only products with W (W @ v, W.T @ u) "
            "and vector norms (u.norm()).")


def _spectral_norm_call(func, args, kwargs) -> bool:
    """Whether a torch.linalg.norm / matrix_norm call asks for a matrix's 2-norm (or -2, nuclear)."""
    names = ("A", "ord", "dim")               # the leading parameters of both
    bound = dict(zip(names, args))
    bound.update({k: v for k, v in kwargs.items() if k in names})
    A = bound.get("A")
    ord_ = bound.get("ord", None if func is torch.linalg.norm else "fro")
    dim = bound.get("dim", None if func is torch.linalg.norm else (-2, -1))
    if ord_ not in (2, -2, "nuc") or not torch.is_tensor(A):
        return False
    if func is torch.linalg.matrix_norm:
        return True
    return (dim is None and A.ndim == 2) or (isinstance(dim, (tuple, list)) and len(dim) == 2)


class _NoDecomposition(TorchFunctionMode):
    """Sees every torch call made while it is active, whatever name it was imported under, and
    turns the SVD-like ones into a CheckFailed that explains."""

    def __init__(self, fn_name: str):
        super().__init__()
        self.fn_name = fn_name

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        for f, what in _DECOMPOSITIONS.items():
            if func is f:
                raise CheckFailed(_svd_message(self.fn_name, what))
        for f, what in _MATRIX_NORMS.items():
            if func is f and _spectral_norm_call(func, args, kwargs):
                raise CheckFailed(_svd_message(self.fn_name, f"{what}(W, ord=2)"))
        return func(*args, **kwargs)


@contextmanager
def _numpy_decompositions_off(fn_name: str):
    """The same for numpy.linalg (a learner may go through W.numpy()): module attributes swapped
    for the call. A name imported from numpy.linalg before the call escapes this; the step-by-step
    comparison in check_power_iteration still fails it."""
    import numpy as np

    def stand_in(what, original, only_spectral=False):
        def raiser(*args, **kwargs):
            ord_ = args[1] if len(args) > 1 else kwargs.get("ord")
            if only_spectral and not (ord_ in (2, -2, "nuc") and getattr(args[0], "ndim", 0) == 2):
                return original(*args, **kwargs)
            raise CheckFailed(_svd_message(fn_name, what))
        return raiser

    names = {"svd": False, "svdvals": False, "eig": False, "eigh": False, "eigvals": False,
             "eigvalsh": False, "norm": True, "matrix_norm": True}
    saved = {}
    try:
        for attr, only_spectral in names.items():
            if hasattr(np.linalg, attr):
                saved[attr] = getattr(np.linalg, attr)
                setattr(np.linalg, attr, stand_in(f"numpy.linalg.{attr}", saved[attr], only_spectral))
        yield
    finally:
        for attr, original in saved.items():
            setattr(np.linalg, attr, original)


