"""Argument checks the widget panels share (notebooks 03-08): a panel refuses a value it
cannot draw with a ValueError that names the argument, instead of a NaN picture or a
ZeroDivisionError from inside its callback."""
from __future__ import annotations

import math


def finite_amount(name: str, value, limit: float | None = None) -> float:
    """``value`` as a float that is finite (and within ``[-limit, limit]`` when given)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if limit is not None and not -limit <= value <= limit:
        raise ValueError(f"{name} must be in [-{limit}, {limit}], got {value}")
    return float(value)


def positive_limit(name: str, value) -> float:
    """A slider range: a finite number > 0."""
    v = finite_amount(name, value)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return v


def count(name: str, value, low: int = 1, high: int = 1000) -> int:
    """An int in [low, high] (sizes of rows of pictures, numbers of steps)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an int in [{low}, {high}], got {value!r}")
    return value
