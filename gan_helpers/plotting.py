"""Plotting helpers shared by the notebooks and the widgets (used from notebook 01 on):
image grids (as arrays, PNG bytes or files), figures as PNG bytes, loss curves, and a
figure that updates in place by display id (works in JupyterLab and under nbval, where
``clear_output`` loops would pile up outputs)."""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch


def image_grid(x: torch.Tensor, nrow: int = 8, pad: int = 2, value_range=(-1.0, 1.0)) -> np.ndarray:
    """Tile images (N, C, H, W) into one array (rows*H, cols*W, C) in [0, 1] (C=1 squeezed)."""
    if x.ndim != 4:
        raise ValueError(f"image_grid expects (N, C, H, W), got shape {tuple(x.shape)}")
    x = x.detach().float().cpu()
    lo, hi = value_range
    x = ((x - lo) / (hi - lo)).clamp(0, 1)
    n, c, h, w = x.shape
    ncol = min(nrow, n)
    rows = (n + ncol - 1) // ncol
    grid = torch.ones(c, rows * (h + pad) + pad, ncol * (w + pad) + pad)
    for i in range(n):
        r, q = divmod(i, ncol)
        grid[:, pad + r * (h + pad): pad + r * (h + pad) + h, pad + q * (w + pad): pad + q * (w + pad) + w] = x[i]
    arr = grid.permute(1, 2, 0).numpy()
    return arr[..., 0] if c == 1 else arr


def _grid_image(images: torch.Tensor, nrow: int, scale: int):
    from PIL import Image

    if not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive int, got {scale!r}")
    im = Image.fromarray((np.clip(image_grid(images, nrow=nrow), 0, 1) * 255).astype(np.uint8))
    return im.resize((im.width * scale, im.height * scale), Image.NEAREST) if scale > 1 else im


def grid_png(images: torch.Tensor, nrow: int = 8, scale: int = 4) -> bytes:
    """PNG bytes of a grid of ``images`` (N, C, H, W) in [-1, 1], enlarged ``scale`` times
    (nearest neighbour, so pixels stay sharp in an ``ipywidgets.Image``)."""
    buf = io.BytesIO()
    _grid_image(images, nrow, scale).save(buf, format="PNG")
    return buf.getvalue()


def save_grid(images: torch.Tensor, path: str | Path, nrow: int = 8, scale: int = 1) -> Path:
    """Write a grid of ``images`` (N, C, H, W) in [-1, 1] as an image file (PNG or JPEG by suffix)."""
    path = Path(path)
    _grid_image(images, nrow, scale).save(path)
    return path


def figure_png(fig, dpi: int = 80, close: bool = True) -> bytes:
    """PNG bytes of a matplotlib figure (for an ``ipywidgets.Image``); closes it by default."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    if close:
        plt.close(fig)
    return buf.getvalue()


def show_jpeg(fig, dpi: int = 100, quality: int = 85) -> None:
    """Show a figure of photographs inline as a JPEG and close it. A grid of photos stored as PNG
    takes several times the bytes (notebooks 07 and 08 keep their outputs in the repository, which
    must stay under 60 MiB); line plots and digits stay PNG, where JPEG would blur the edges."""
    from IPython.display import Image, display

    buf = io.BytesIO()
    fig.savefig(buf, format="jpeg", dpi=dpi, pil_kwargs={"quality": quality})
    plt.close(fig)
    display(Image(data=buf.getvalue(), format="jpeg"))


def show_images(x: torch.Tensor, nrow: int = 8, title: str | None = None, ax=None, figsize=None):
    """Show a batch of images (N, C, H, W) in [-1, 1] as a grid; returns the axes."""
    arr = image_grid(x, nrow)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize or (min(12, 1.2 * min(nrow, len(x))), 1.2 * ((len(x) + nrow - 1) // nrow) + 0.4))
    ax.imshow(arr, cmap="gray" if arr.ndim == 2 else None, vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_curves(history: dict, keys=None, ax=None, title: str | None = None, smooth: int = 1):
    """Plot lists of numbers from a dict (e.g. ``{"loss_D": [...], "loss_G": [...]}``)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    for k in keys or list(history):
        v = np.asarray(history[k], dtype=float)
        if smooth > 1 and len(v) >= smooth:
            v = np.convolve(v, np.ones(smooth) / smooth, mode="valid")
        ax.plot(v, label=k)
    ax.legend(loc="best", fontsize=8)
    ax.set_xlabel("step")
    if title:
        ax.set_title(title)
    return ax


class LiveFigure:
    """A matplotlib figure shown once and then updated in place by its display id.

    >>> live = LiveFigure(ncols=2)          # shows an empty figure
    >>> live.axes[0].plot(...); live.update()  # redraws the same output
    >>> live.close()                        # final state stays in the output
    """

    def __init__(self, nrows: int = 1, ncols: int = 1, figsize=(10, 3.5), show: bool = True, **kw):
        kw.setdefault("layout", "constrained")  # laid out at every draw; tight_layout warns on colorbars
        self.fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **kw)
        self.axes = list(axes.ravel())
        self.handle = None
        if show:  # show=False: an off-screen figure (tests, saving a PNG)
            from IPython.display import display
            self.handle = display(self.fig, display_id=True)

    def update(self) -> None:
        if self.handle is not None:
            self.handle.update(self.fig)

    def close(self) -> None:
        """Draw the final state and release the figure (so it is not shown twice)."""
        self.update()
        plt.close(self.fig)
