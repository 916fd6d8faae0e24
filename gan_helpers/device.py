"""Run-time plumbing every notebook's setup cell uses: device, seed, smoke mode.

Smoke mode (environment variable ``GAN_SMOKE=1``) shrinks every notebook to a run of
seconds so nbval can execute the whole collection on two CPU cores; without it the
notebooks do their full work.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np
import torch

SMOKE_ENV = "GAN_SMOKE"


def is_smoke() -> bool:
    """True when ``GAN_SMOKE`` is set to a true value (1, true, yes, on)."""
    return os.environ.get(SMOKE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def pick_device(prefer: str | None = None) -> torch.device:
    """CUDA if available, then Apple MPS, then CPU. ``prefer`` forces one ("cpu", "cuda")."""
    if prefer is not None:
        dev = torch.device(prefer)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"Device {prefer!r} was requested but CUDA is not available here.")
        if dev.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(f"Device {prefer!r} was requested but Apple MPS is not available here.")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); returns a CPU generator with that seed."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@dataclass
class Session:
    """What a notebook's setup cell needs: where to compute and how big to go."""
    device: torch.device
    smoke: bool
    seed: int

    def pick(self, full, smoke):
        """Return ``smoke`` in smoke mode, ``full`` otherwise (e.g. number of steps)."""
        return smoke if self.smoke else full


def setup(seed: int = 0, device: str | None = None, verbose: bool = True) -> Session:
    """Seed everything, choose the device, read smoke mode, and print a one-line summary."""
    seed_everything(seed)
    session = Session(device=pick_device(device), smoke=is_smoke(), seed=seed)
    if verbose:
        mode = "SMOKE (tiny run for tests)" if session.smoke else "full"
        print(f"torch {torch.__version__} | device: {session.device} | mode: {mode} | seed: {seed}")
    return session
