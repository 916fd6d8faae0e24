"""Training plumbing shared by the notebooks and the recipes (Goodfellow et al. 2014; used
from notebook 02 on): the library's alternating GAN step (``d_step``, ``g_step``), an
exponential moving average of G (``EMA``), a metrics history, a recorder of fixed-noise
grids with a GIF writer, and a helper that runs an iterator for a fixed number of steps.
The notebooks write the step out by hand first and then name the function here that is
the same step."""
from __future__ import annotations

import copy
from collections import defaultdict
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch import nn

from .losses import discriminator_loss, generator_loss_nonsaturating, generator_loss_saturating
from .plotting import image_grid


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


# --- The alternating GAN step (Goodfellow et al. 2014), one copy for the whole package ---------
# Notebooks 02-05 write this step out by hand first; the recipes, the toy GAN, the failure
# gallery and the benchmarks all call these two functions.

def d_step(D: nn.Module, opt_D: torch.optim.Optimizer, x_real: torch.Tensor, x_fake: torch.Tensor,
           y_real: torch.Tensor | None = None, y_fake: torch.Tensor | None = None) -> dict:
    """One update of D on a real and a fake batch; returns ``{loss_D, D_x, D_G_z}`` (detached).

    x_real, x_fake: (N, ...) batches; ``x_fake`` is detached here so D's step leaves G alone.
    With labels (N,) the game is conditional (Mirza and Osindero 2014): D sees each real image
    with its label and each fake with the label G was asked for.
    """
    real_args = () if y_real is None else (y_real,)
    fake_args = () if y_fake is None else (y_fake,)
    logits_real = D(x_real, *real_args)                 # (N, 1)
    logits_fake = D(x_fake.detach(), *fake_args)        # (N, 1)
    loss_D = discriminator_loss(logits_real, logits_fake)
    opt_D.zero_grad(set_to_none=True)
    loss_D.backward()
    opt_D.step()
    return {"loss_D": loss_D.detach(), "D_x": torch.sigmoid(logits_real.detach()).mean(),
            "D_G_z": torch.sigmoid(logits_fake.detach()).mean()}


def g_step(D: nn.Module, opt_G: torch.optim.Optimizer, x_fake: torch.Tensor,
           y_fake: torch.Tensor | None = None, non_saturating: bool = True) -> torch.Tensor:
    """One update of G through D's logits on ``x_fake = G(z)`` (not detached); returns loss_G.

    Non-saturating ``-log D(G(z))`` by default; ``non_saturating=False`` is the minimax
    ``log(1 - D(G(z)))`` of notebook 01. ``opt_G`` must hold only G's parameters: D's
    gradients from this pass are cleared by D's next step.
    """
    logits_fake = D(x_fake, *(() if y_fake is None else (y_fake,)))
    loss_G = generator_loss_nonsaturating(logits_fake) if non_saturating else generator_loss_saturating(logits_fake)
    opt_G.zero_grad(set_to_none=True)
    loss_G.backward()
    opt_G.step()
    return loss_G.detach()


class EMA:
    """An exponential moving average of G's weights (Yazici et al. 2019, "The Unusual
    Effectiveness of Averaging in GAN Training"); explained in notebook 04.

    ``ema.update(G)`` after each G step: ``avg <- decay * avg + (1 - decay) * w``. Early on the
    decay is ramped up as ``min(decay, (1 + t) / (10 + t))`` so the average does not remember
    the random initialisation. ``ema.model`` is the averaged copy of G.
    """

    def __init__(self, G: nn.Module, decay: float = 0.999):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), got {decay!r}")
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(G).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, G: nn.Module) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for avg, w in zip(self.model.parameters(), G.parameters()):
            avg.lerp_(w.detach(), 1.0 - d)
        for avg, b in zip(self.model.buffers(), G.buffers()):  # batch-norm statistics: copied
            avg.copy_(b)


@torch.no_grad()
def recalibrate_batchnorm(G: nn.Module, sample_inputs, n_batches: int = 50) -> nn.Module:
    """Re-estimate G's batch-norm running statistics for its current weights.

    An averaged G has weights no single training step had, so the running means and
    variances copied from the raw G do not fit it exactly. ``sample_inputs()`` returns one
    batch of G's inputs (a tuple, e.g. ``(z,)`` or ``(z, y)``); the statistics become the plain
    average over ``n_batches`` such batches. Returns G in eval mode.
    """
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return G.eval()
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
    G.train()
    for _ in range(n_batches):
        G(*sample_inputs())
    for m, mom in zip(norms, saved):
        m.momentum = mom
    return G.eval()
