"""The pass/fail plumbing all exercise checks share (see gan_helpers.checks)."""
from __future__ import annotations

import torch


class CheckFailed(AssertionError):
    """Raised by an exercise check; its message explains what to fix.

    In a notebook the learner sees one line, ``CheckFailed: <message>``, not a traceback into
    gan_helpers (IPython asks an exception for ``_render_traceback_``; nbgrader's feedback shows
    the same lines)."""

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31mCheckFailed\x1b[0m: {self}"]


class Passed:
    """What a passing check returns: true (so ``assert check(...)`` works), and shown as nothing in a
    notebook, so a graded cell that ends with a check has no output for nbgrader to read as a score
    (it tries ``float()`` on a cell's value and warns on ``True``)."""

    def __init__(self, name: str):
        self.name = name

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other) -> bool:
        return other is True or isinstance(other, Passed)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"Passed({self.name!r})"

    def _ipython_display_(self) -> None:
        pass                                            # the PASSED line is already printed


def check(condition: bool, message: str) -> None:
    """Raise CheckFailed(message) unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def passed(name: str, detail: str = "") -> Passed:
    """Print the pass line and return a true value that a notebook does not display."""
    print(f"PASSED {name}" + (f": {detail}" if detail else ""))
    return Passed(name)


def call(fn, *args, name: str = "your function", **kwargs):
    """Call the learner's function; turn NotImplementedError into a clear hint."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(f"{name} still raises NotImplementedError: replace the "
                          "`raise NotImplementedError()` line with your code.") from None


def expect_tensor(value, shape: tuple | None = None, name: str = "the result") -> torch.Tensor:
    """Check that ``value`` is a tensor (of ``shape`` when given) with no nan/inf."""
    check(torch.is_tensor(value), f"{name} should be a torch.Tensor, got {type(value).__name__}.")
    if shape is not None:
        check(tuple(value.shape) == tuple(shape),
              f"{name} has shape {tuple(value.shape)}, expected {tuple(shape)}.")
    if value.is_floating_point():
        check(bool(torch.isfinite(value).all()), f"{name} contains nan or inf.")
    return value


def close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    return bool(torch.allclose(a.detach().float(), b.detach().float(), atol=atol, rtol=rtol))
