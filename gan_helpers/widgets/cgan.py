"""ClassStylePanel: a class picker plus style sliders for a conditional generator (Mirza and
Osindero 2014; notebook 05). The label picks the digit, z the style: fix the digit and move
the style sliders, or fix the style and step through the digits. ``class_style_grid`` draws
the class-by-style grid (rows: digits, columns: shared z).

Works with any G(z (N, latent_dim), y (N,)) -> (N, C, H, W) with ``latent_dim`` and
``n_classes``. Headless use (tests): set ``panel.digit.value`` or
``panel.style_sliders[0].value`` and read ``panel.current_z`` / ``panel.current_image``.
``panel.static_image()`` is a plain PNG of what the panel shows (for a notebook read
without a kernel). The style directions are the top eigenvectors of G's averaged J^T J
(``gan_helpers.latent``, following Wang and Ponce 2021).
"""
from __future__ import annotations

import math
import time

import torch

from ..latent.space import eval_mode, jacobian_metric, move
from ..plotting import grid_png
from .validate import count, finite_amount, positive_limit


def _dims(G, latent_dim, n_classes) -> tuple[int, int]:
    d = latent_dim if latent_dim is not None else getattr(G, "latent_dim", None)
    k = n_classes if n_classes is not None else getattr(G, "n_classes", None)
    if not isinstance(d, int) or not isinstance(k, int) or d < 1 or k < 1:
        raise ValueError("pass latent_dim= and n_classes= (G lacks integer .latent_dim/.n_classes)")
    return d, k


@torch.no_grad()
def class_style_grid(G, n_styles: int = 8, seed: int = 0, device: str | torch.device = "cpu",
                     latent_dim: int | None = None, n_classes: int | None = None,
                     z: torch.Tensor | None = None) -> torch.Tensor:
    """Images (n_classes * n_styles, C, H, W): row r is digit r, column j uses the same z_j
    in every row, so a column shows one style written as every digit."""
    d, k = _dims(G, latent_dim, n_classes)
    if z is None:
        if n_styles < 1:
            raise ValueError(f"n_styles must be >= 1, got {n_styles}")
        z = torch.randn(n_styles, d, generator=torch.Generator().manual_seed(seed))
    if z.ndim != 2 or z.shape[1] != d:
        raise ValueError(f"z must be (n_styles, {d}), got {tuple(z.shape)}")
    n_styles = z.shape[0]
    zz = z.repeat(k, 1).to(device)                                       # (k * n_styles, d): styles repeat per row
    yy = torch.arange(k).repeat_interleave(n_styles).to(device)          # (k * n_styles,): 0,0,..,1,1,..
    with eval_mode(G):
        return G(zz, yy).cpu()


def style_directions(G, k: int = 4, n_samples: int = 4, seed: int = 0, device: str | torch.device = "cpu",
                     latent_dim: int | None = None, n_classes: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` directions of z that change G(z, y) most, averaged over all classes y:
    eigenvectors of sum_y E_z[J_y^T J_y] (``gan_helpers.latent.jacobian_metric``). Returns
    (directions (k, latent_dim), gains (k,))."""
    d, n_cls = _dims(G, latent_dim, n_classes)
    if not 1 <= k <= d:
        raise ValueError(f"k must be in [1, {d}], got {k}")
    z = torch.randn(n_samples, d, generator=torch.Generator().manual_seed(seed)).to(device)
    M = sum(jacobian_metric(lambda zz, y=y: G(zz, torch.full((len(zz),), y, device=zz.device)), z)
            for y in range(n_cls)) / n_cls
    evals, evecs = torch.linalg.eigh(M)
    top = evecs[:, -k:].flip(1).T
    sign = torch.sign(top.gather(1, top.abs().argmax(1, keepdim=True)))
    return (top * sign).float().to(device), evals[-k:].flip(0).clamp_min(0).sqrt().float()


class ClassStylePanel:
    """Digit picker + ``k`` style sliders; shows G(z, digit), the style across all digits
    and the digit across ``n_styles`` random styles."""

    def __init__(self, G, k: int = 4, seed: int = 0, device: str | torch.device = "cpu",
                 n_styles: int = 10, max_amount: float = 3.0, latent_dim: int | None = None,
                 n_classes: int | None = None, directions: torch.Tensor | None = None, scale: int = 5):
        import ipywidgets as W

        self.G = G
        self.latent_dim, self.n_classes = _dims(G, latent_dim, n_classes)
        self.device, self.scale = torch.device(device), count("scale", scale, 1, 16)
        self.max_amount = positive_limit("max_amount", max_amount)
        count("n_styles", n_styles, 1, 64)
        self._rng = torch.Generator().manual_seed(seed)
        if directions is None:
            directions, self.gains = style_directions(G, k, seed=seed, device=self.device,
                                                      latent_dim=self.latent_dim, n_classes=self.n_classes)
        self.directions = torch.as_tensor(directions, dtype=torch.float32).to(self.device)
        if self.directions.ndim != 2 or self.directions.shape[1] != self.latent_dim:
            raise ValueError(f"directions must be (k, {self.latent_dim}), got {tuple(self.directions.shape)}")
        self.z_base = self._sample(1)[0]
        self.z_styles = self._sample(n_styles)                                 # (n_styles, latent_dim)
        self.digit = W.IntSlider(value=0, min=0, max=self.n_classes - 1, description="digit")
        self.style_sliders = [W.FloatSlider(value=0.0, min=-max_amount, max=max_amount, step=0.1,
                                            description=f"style {j + 1}", readout_format=".1f")
                              for j in range(self.directions.shape[0])]
        self.new_style = W.Button(description="new style")
        self.image, self.digits_row, self.styles_row = (W.Image(format="png") for _ in range(3))
        self.info = W.HTML()
        for s in [self.digit, *self.style_sliders]:
            s.observe(lambda _c: self._render(), names="value")
        self.new_style.on_click(lambda _: self.resample())
        self.ui = W.VBox([
            W.HBox([self.image, W.VBox([self.digit, *self.style_sliders, self.new_style, self.info])],
                   layout=W.Layout(align_items="flex-start")),   # the image keeps its own height
            W.HTML("<b>this style, digits 0-9</b> (fix the style, move through digits)"), self.digits_row,
            W.HTML(f"<b>this digit, {n_styles} other styles</b> (fix the digit, move through styles)"),
            self.styles_row])
        self._render()

    def _sample(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, generator=self._rng).to(self.device)

    @property
    def current_z(self) -> torch.Tensor:
        """(latent_dim,): the base style moved by the style sliders."""
        return move(self.z_base, self.directions, [s.value for s in self.style_sliders])

    @torch.no_grad()
    def generate(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with eval_mode(self.G):
            return self.G(z.to(self.device), y.to(self.device)).detach().cpu()

    def set_digit(self, digit: int) -> None:
        """Pick the digit; outside [0, n_classes) raises ValueError (a slider would clip)."""
        if not isinstance(digit, int) or not 0 <= digit < self.n_classes:
            raise ValueError(f"digit must be an int in [0, {self.n_classes}), got {digit!r}")
        self.digit.value = digit

    def set_style(self, j: int, amount: float) -> None:
        if not 0 <= j < len(self.style_sliders):
            raise ValueError(f"style index must be in [0, {len(self.style_sliders)}), got {j}")
        self.style_sliders[j].value = finite_amount("amount", amount, self.max_amount)

    def resample(self) -> None:
        """Draw a new base style (z) and redraw."""
        self.z_base = self._sample(1)[0]
        self._render()

    def _render(self) -> None:
        if not all(math.isfinite(s.value) for s in self.style_sliders):
            self.info.value = "<b>a style slider holds a value that is not a number: set it again</b>"
            return
        t0 = time.perf_counter()
        z, digit = self.current_z, self.digit.value
        self.current_image = self.generate(z[None], torch.tensor([digit]))[0]              # (C, H, W)
        self.digits_images = self.generate(z[None].expand(self.n_classes, -1), torch.arange(self.n_classes))
        self.styles_images = self.generate(self.z_styles, torch.full((len(self.z_styles),), digit))
        self.image.value = grid_png(self.current_image[None], nrow=1, scale=self.scale)
        self.digits_row.value = grid_png(self.digits_images, nrow=self.n_classes, scale=2)
        self.styles_row.value = grid_png(self.styles_images, nrow=len(self.styles_images), scale=2)
        self.info.value = f"digit {digit} · |z| = {z.norm():.2f} · {1000 * (time.perf_counter() - t0):.0f} ms"

    def static_png(self, scale: int = 3) -> bytes:
        """PNG bytes of the panel's current view: row 1 is the current image, then this style
        as every digit; row 2 (after one blank tile) this digit in the other styles."""
        scale = count("scale", scale, 1, 16)
        width = 1 + max(self.n_classes, len(self.styles_images))
        blank = lambda n: torch.full((n, *self.current_image.shape), -1.0)     # black tiles
        row1 = torch.cat([self.current_image[None], self.digits_images, blank(width - 1 - self.n_classes)])
        row2 = torch.cat([blank(1), self.styles_images, blank(width - 1 - len(self.styles_images))])
        return grid_png(torch.cat([row1, row2]), nrow=width, scale=scale)

    def static_image(self, scale: int = 3):
        """``IPython.display.Image`` of :meth:`static_png`."""
        from IPython.display import Image
        return Image(data=self.static_png(scale), format="png")

    def _ipython_display_(self):
        from IPython.display import display
        display(self.ui)
