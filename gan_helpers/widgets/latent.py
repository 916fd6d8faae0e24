"""LatentExplorer: an ipywidgets panel to walk a generator's latent space (notebooks 03-05).

Sliders move z along the k principal directions (``gan_helpers.latent``: the top
eigenvectors of G's averaged J^T J, following Wang and Ponce 2021; GANSpace, Haerkoenen et
al. 2020, finds directions by PCA instead), and one slider interpolates between two
samples A and B, linearly or along the great circle (slerp, White 2016). Works with any G mapping (N, latent_dim) -> (N, C, H, W);
for a conditional G pass ``lambda z: G(z, labels)`` and ``latent_dim=``.

Headless use (tests): set ``panel.t_slider.value`` or ``panel.direction_sliders[0].value``
and read ``panel.current_z`` / ``panel.current_image``. ``panel.static_image()`` is a plain
PNG of what the panel shows, for a notebook read without a kernel (e.g. on GitHub).
"""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
import torch

from ..latent.space import eval_mode, latent_dim_of, lerp, move, principal_directions, slerp
from ..plotting import grid_png
from .validate import count, finite_amount, positive_limit


class LatentExplorer:
    """Sliders over ``k`` principal directions plus an A-to-B interpolation slider.

    current_z = interpolate(z_A, z_B, t) + sum_j amount_j * direction_j, and
    current_image = G(current_z) (C, H, W) in [-1, 1], regenerated on every slider move.
    """

    def __init__(self, G: Callable, latent_dim: int | None = None, k: int = 4, seed: int = 0,
                 device: str | torch.device = "cpu", directions: torch.Tensor | None = None,
                 max_amount: float = 3.0, n_path: int = 8, scale: int = 6, n_samples: int = 16):
        import ipywidgets as W

        self.G = G
        self.latent_dim = latent_dim_of(G, latent_dim)
        self.device = torch.device(device)
        self.max_amount = positive_limit("max_amount", max_amount)
        self.n_path, self.scale = count("n_path", n_path, 2, 64), count("scale", scale, 1, 16)
        self._rng = torch.Generator().manual_seed(seed)
        if directions is None:
            directions, gains = principal_directions(G, k=k, latent_dim=self.latent_dim, seed=seed,
                                                     device=self.device, n_samples=n_samples)
        else:
            directions = torch.as_tensor(directions, dtype=torch.float32)
            if directions.ndim != 2 or directions.shape[1] != self.latent_dim:
                raise ValueError(f"directions must be (k, {self.latent_dim}), got {tuple(directions.shape)}")
            gains = torch.full((directions.shape[0],), float("nan"))
        self.directions = directions.to(self.device)       # (k, latent_dim)
        self.gains = gains
        self.z_a, self.z_b = self._sample(), self._sample()
        self.last_render_s = 0.0

        self.direction_sliders = [
            W.FloatSlider(value=0.0, min=-max_amount, max=max_amount, step=0.1, continuous_update=True,
                          description=f"dir {j + 1}", readout_format=".1f")
            for j in range(self.directions.shape[0])]
        self.t_slider = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="A → B",
                                      readout_format=".2f")
        self.mode = W.ToggleButtons(options=["slerp", "lerp"], value="slerp", description="path")
        self.new_a = W.Button(description="new A")
        self.new_b = W.Button(description="new B")
        self.reset_button = W.Button(description="reset sliders")
        self.image = W.Image(format="png")
        self.path_image = W.Image(format="png")
        self.info = W.HTML()
        for s in [*self.direction_sliders, self.t_slider]:
            s.observe(self._on_change, names="value")
        self.mode.observe(self._on_path_change, names="value")
        self.new_a.on_click(lambda _: self.resample("A"))
        self.new_b.on_click(lambda _: self.resample("B"))
        self.reset_button.on_click(lambda _: self.reset())
        gains = self.gains.tolist()
        gain_txt = ("" if any(g != g for g in gains) else   # directions given without their gains
                    "; pixel change per unit step along dir 1..k: " + ", ".join(f"{g:.2f}" for g in gains))
        # align_items flex-start: the image keeps its own height instead of stretching to the sliders'
        self.ui = W.VBox([
            W.HBox([self.image, W.VBox([self.t_slider, self.mode, *self.direction_sliders,
                                        W.HBox([self.new_a, self.new_b, self.reset_button]), self.info])],
                   layout=W.Layout(align_items="flex-start")),
            W.HTML(f"<b>path A → B</b> ({n_path} steps{gain_txt})"),
            self.path_image,
        ])
        self._render_path()
        self._render()

    # -- state ---------------------------------------------------------------------------
    def _sample(self) -> torch.Tensor:
        return torch.randn(self.latent_dim, generator=self._rng).to(self.device)

    def _interp(self, t):
        fn = slerp if self.mode.value == "slerp" else lerp
        return fn(self.z_a, self.z_b, t)

    @property
    def amounts(self) -> list[float]:
        return [s.value for s in self.direction_sliders]

    @property
    def current_z(self) -> torch.Tensor:
        """The latent vector (latent_dim,) the sliders point at."""
        return move(self._interp(self.t_slider.value), self.directions, self.amounts)

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """G on a batch of latents (N, latent_dim) -> images (N, C, H, W), in eval mode."""
        with eval_mode(self.G):
            x = self.G(z.to(self.device))
        if x.ndim != 4:
            raise ValueError(f"G must return images (N, C, H, W), got {tuple(x.shape)}")
        return x.detach().cpu()

    # -- actions -------------------------------------------------------------------------
    def set_direction(self, j: int, amount: float) -> None:
        """Set slider ``j`` (0-based) to ``amount``; out of range raises ValueError
        (a slider set directly would silently clip instead)."""
        if not 0 <= j < len(self.direction_sliders):
            raise ValueError(f"direction index must be in [0, {len(self.direction_sliders)}), got {j}")
        self.direction_sliders[j].value = finite_amount("amount", amount, self.max_amount)

    def set_t(self, t: float) -> None:
        """Set the interpolation fraction; outside [0, 1] raises ValueError."""
        t = finite_amount("t", t)
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"t must be in [0, 1], got {t}")
        self.t_slider.value = t

    def resample(self, which: str = "A") -> None:
        """Draw a new z for end point 'A' or 'B'."""
        if which not in ("A", "B"):
            raise ValueError(f"which must be 'A' or 'B', got {which!r}")
        setattr(self, "z_a" if which == "A" else "z_b", self._sample())
        self._render_path()
        self._render()

    def reset(self) -> None:
        for s in self.direction_sliders:
            s.value = 0.0
        self.t_slider.value = 0.0

    # -- drawing -------------------------------------------------------------------------
    def _on_change(self, _change) -> None:
        self._render()

    def _on_path_change(self, _change) -> None:
        self._render_path()
        self._render()

    def _render(self) -> None:
        if not all(math.isfinite(v) for v in (*self.amounts, self.t_slider.value)):
            self.info.value = "<b>a slider holds a value that is not a number: press 'reset sliders'</b>"
            return
        t0 = time.perf_counter()
        self.current_image = self.generate(self.current_z[None])[0]        # (C, H, W)
        self.image.value = grid_png(self.current_image[None], nrow=1, scale=self.scale)
        self.last_render_s = time.perf_counter() - t0
        self.info.value = (f"|z| = {self.current_z.norm():.2f} (typical √D = {self.latent_dim ** 0.5:.1f})"
                           f" · {1000 * self.last_render_s:.0f} ms")

    def _render_path(self) -> None:
        ts = torch.linspace(0, 1, self.n_path)
        path = self._interp(ts)                                            # (n_path, latent_dim)
        self.path_images = self.generate(path)
        self.path_norms = path.norm(dim=1).cpu()
        self.path_image.value = grid_png(self.path_images, nrow=self.n_path, scale=2)

    def static_png(self, scale: int = 3) -> bytes:
        """PNG bytes of the panel's current view in one row: the image the sliders point at,
        then the A-to-B path (widget images are not stored in a saved notebook; this is)."""
        scale = count("scale", scale, 1, 16)
        return grid_png(torch.cat([self.current_image[None], self.path_images]), nrow=self.n_path + 1, scale=scale)

    def static_image(self, scale: int = 3):
        """``IPython.display.Image`` of :meth:`static_png`."""
        from IPython.display import Image
        return Image(data=self.static_png(scale), format="png")

    def _ipython_display_(self):
        from IPython.display import display
        display(self.ui)
