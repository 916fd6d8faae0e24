"""What a training loop records (notebooks 02-08): a history of scalars, a helper that runs
a batch iterator for a fixed number of steps, and a recorder of fixed-noise grids that
writes the training GIF.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from ..plotting import image_grid


class History:
    """Numbers logged per step: ``h.log(loss_D=..., loss_G=...)``; ``h["loss_D"]`` is a list."""

    def __init__(self):
        self.values: dict[str, list[float]] = defaultdict(list)

    def log(self, **metrics) -> None:
        for k, v in metrics.items():
            self.values[k].append(float(v.detach().item() if torch.is_tensor(v) else v))

    def __getitem__(self, key: str) -> list[float]:
        return self.values[key]

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def __len__(self) -> int:
        return max((len(v) for v in self.values.values()), default=0)

    def last(self, key: str, n: int = 1) -> float:
        """Mean of the last ``n`` values of ``key``."""
        v = self.values[key][-n:]
        return float(np.mean(v)) if v else float("nan")

    def as_dict(self) -> dict[str, list[float]]:
        return dict(self.values)


def steps(loader_fn, n_steps: int) -> Iterator:
    """Yield ``n_steps`` batches, restarting ``loader_fn()`` (one epoch) whenever it runs out."""
    if n_steps < 0:
        raise ValueError(f"n_steps must be >= 0, got {n_steps}")
    done = 0
    while done < n_steps:
        empty = True
        for batch in loader_fn():
            empty = False
            yield batch
            done += 1
            if done == n_steps:
                return
        if empty:
            raise ValueError("loader_fn() produced no batch (dataset smaller than one batch?)")


class GridRecorder:
    """Keeps image grids of a fixed batch over training and writes them as an animated GIF."""

    def __init__(self, nrow: int = 8):
        self.nrow = nrow
        self.frames: list[np.ndarray] = []
        self.steps: list[int] = []

    def add(self, images: torch.Tensor, step: int) -> np.ndarray:
        """Store the grid of ``images`` (N, C, H, W) in [-1, 1]; returns it."""
        grid = image_grid(images, self.nrow)
        self.frames.append(grid)
        self.steps.append(step)
        return grid

    def save_gif(self, path: str | Path, duration_ms: int = 200, scale: int = 2) -> Path:
        """Write the stored grids as a looping GIF (each frame enlarged ``scale`` times)."""
        from PIL import Image

        if not self.frames:
            raise ValueError("no frames recorded: call add() during training first")
        imgs = []
        for f in self.frames:
            arr = (np.clip(f, 0, 1) * 255).astype(np.uint8)
            im = Image.fromarray(arr)
            imgs.append(im.resize((im.width * scale, im.height * scale), Image.NEAREST))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        imgs[0].save(path, save_all=True, append_images=imgs[1:], duration=duration_ms, loop=0)
        return path


def show_gif(path: str | Path):
    """Display a GIF inline in a notebook."""
    from IPython.display import Image as IPImage

    return IPImage(data=Path(path).read_bytes(), format="gif")
