"""LatentArithmetic: an ipywidgets panel for latent vector arithmetic (Radford et al. 2015;
notebook 04). The learner picks samples by index from a numbered grid for groups A, B and C;
the panel shows G(mean A), G(mean B), G(mean C) and G(mean A - mean B + mean C) with jitter.

Works with any G mapping (N, latent_dim) -> (N, C, H, W). Headless use (tests): set
``panel.a_text.value = "1, 4"`` (or call ``panel.set_groups(...)``) and read ``panel.result_z``.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..latent.space import eval_mode, latent_dim_of
from ..latent.arithmetic import analogy, jitter, mean_latent, parse_indices
from ..plotting import grid_png


class LatentArithmetic:
    """A grid of ``n`` numbered samples and three index boxes: result = A - B + C."""

    def __init__(self, G: Callable, n: int = 40, latent_dim: int | None = None, seed: int = 0,
                 device: str | torch.device = "cpu", a: str = "0", b: str = "1", c: str = "2",
                 n_variants: int = 7, scale: int = 3):
        import ipywidgets as W

        if n < 3:
            raise ValueError(f"n must be >= 3 (three groups), got {n}")
        self.G, self.n, self.n_variants, self.scale = G, n, n_variants, scale
        self.latent_dim = latent_dim_of(G, latent_dim)
        self.device = torch.device(device)
        self.z = torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(seed)).to(self.device)
        self.samples = self.generate(self.z)                                   # (n, C, H, W)
        self.a_text = W.Text(value=a, description="A (+)")
        self.b_text = W.Text(value=b, description="B (−)")
        self.c_text = W.Text(value=c, description="C (+)")
        self.grid_image = W.Image(format="png", value=grid_png(self.samples, nrow=10, scale=scale))
        self.result_image = W.Image(format="png")
        self.info = W.HTML()
        for t in (self.a_text, self.b_text, self.c_text):
            t.observe(lambda _change: self._render(), names="value")
        self.ui = W.VBox([
            W.HTML(f"<b>samples 0..{n - 1}</b> (row by row, 10 per row)"), self.grid_image,
            W.HBox([self.a_text, self.b_text, self.c_text]), self.info,
            W.HTML("<b>mean A, mean B, mean C, then A − B + C with small noise</b>"), self.result_image])
        self.error: str | None = None
        self._render()

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        with eval_mode(self.G):
            return self.G(z.to(self.device)).detach().cpu()

    def set_groups(self, a: str, b: str, c: str) -> None:
        """Set the three index lists (e.g. "3, 8"); bad indices raise ValueError."""
        for text in (a, b, c):
            parse_indices(text, self.n)
        self.a_text.value, self.b_text.value, self.c_text.value = a, b, c

    def _render(self) -> None:
        try:
            groups = [parse_indices(t.value, self.n) for t in (self.a_text, self.b_text, self.c_text)]
        except ValueError as err:
            self.error = str(err)
            self.info.value = f"<span style='color:#b00'>{err}</span>"
            return
        self.error = None
        self.groups = groups
        self.means = torch.stack([mean_latent(self.z, g) for g in groups])      # (3, D)
        self.result_z = analogy(self.z, *groups)                                # (D,)
        variants = jitter(self.result_z, self.n_variants)                       # (n_variants, D)
        self.result_images = self.generate(torch.cat([self.means, variants]))   # (3 + n_variants, C, H, W)
        self.result_image.value = grid_png(self.result_images, nrow=len(self.result_images), scale=self.scale)
        self.info.value = f"A = {groups[0]}, B = {groups[1]}, C = {groups[2]}"

    def static_png(self, scale: int | None = None) -> bytes:
        """PNG bytes of the panel's current result in one row: G(mean A), G(mean B), G(mean C),
        then A - B + C and its jittered copies (widget images are not stored in a saved
        notebook; this is). Raises ValueError while the index boxes hold an error."""
        if self.error is not None:
            raise ValueError(f"no result to show: {self.error}")
        scale = self.scale if scale is None else scale
        if not isinstance(scale, int) or isinstance(scale, bool) or not 1 <= scale <= 16:
            raise ValueError(f"scale must be an int in [1, 16], got {scale!r}")
        return grid_png(self.result_images, nrow=len(self.result_images), scale=scale)

    def static_image(self, scale: int | None = None):
        """``IPython.display.Image`` of :meth:`static_png`."""
        from IPython.display import Image
        return Image(data=self.static_png(scale), format="png")

    def _ipython_display_(self):
        from IPython.display import display
        display(self.ui)
