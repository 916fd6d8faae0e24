"""Two panels of notebook 10 ("10_diffusion.ipynb"): a small DDPM (Ho, Jain and Abbeel 2020,
"Denoising Diffusion Probabilistic Models") seen from both ends of its chain, and its fast
deterministic sampler DDIM (Song, Meng and Ermon 2021, "Denoising Diffusion Implicit Models").

* :class:`NoisingPanel`: a slider over the step t. Each move draws x_t = sqrt(alpha_bar_t) x0 +
  sqrt(1 - alpha_bar_t) eps (Ho et al., eq. 4) for a few real digits x0 and one fixed eps (drawn
  once from ``seed``, so only t changes between moves), the model's one-jump estimate
  x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps_theta(x_t, t)) / sqrt(alpha_bar_t), clamped to
  [-1, 1], and x0 itself; a line gives alpha_bar_t, the share of x_t's variance that is signal
  and the mean squared errors of eps_theta against eps and of x0_hat against x0. A move costs one
  forward pass of the N <= 16 digits, well under the 300 ms a slider step may take.
* :class:`StepsPanel`: one starting noise x_T sampled by DDIM (eta 0, x0_hat clipped, as
  ``recipes.ddpm.generate`` does) with each of a few step counts, all computed in the
  constructor (a 100-step sample takes seconds, too long for a slider step); the slider picks
  the count and a second row shows how far that grid is from the one of the largest count.
  :func:`ddim_grids` gives the same samples to the notebook.

Headless use (tests): ``panel.set_t(t)`` (or ``panel.t.value = t``) and read ``panel.scores``;
``panel.set_steps(k)`` and ``panel.grids[k]``; ``panel.last_ms`` is the time of the last redraw.
"""
from __future__ import annotations

import numbers
import time

import torch

from ..latent.space import eval_mode
from ..plotting import grid_png
from ..train.diffusion import Schedule, linear_betas, q_sample, sample_ddim
from .validate import count


def _setup(model, schedule: Schedule | None) -> tuple[Schedule, torch.device]:
    """The schedule (Ho et al.'s linear one for the model's T when None), checked against the
    model's T, on the device of the model's weights."""
    T = getattr(model, "n_steps", None)
    if not callable(model) or not isinstance(T, int) or isinstance(T, bool) or T < 1:
        raise ValueError("model must be a noise predictor eps_theta(x_t, t) with an int .n_steps (T), "
                         "such as models.ddpm.DDPMUNet")
    if schedule is None:
        schedule = Schedule(linear_betas(T))
    elif not isinstance(schedule, Schedule):
        raise ValueError(f"schedule must be a train.diffusion.Schedule or None, got {type(schedule).__name__}")
    if schedule.T != T:
        raise ValueError(f"the model was built for T={T} steps, the schedule has T={schedule.T}")
    params = list(model.parameters()) if isinstance(model, torch.nn.Module) else []
    device = params[0].device if params else torch.device("cpu")
    return schedule.to(device), device


def _images(name: str, x, channels: int, limit: int | None, data_range: bool) -> torch.Tensor:
    """``x`` as a float32 CPU tensor (N, channels, 28, 28), 1 <= N <= limit, finite (and in [-1, 1]
    for images; noise may take any value)."""
    what = f"(N, {channels}, 28, 28)" + (" in [-1, 1]" if data_range else "")
    if not torch.is_tensor(x) or x.ndim != 4 or tuple(x.shape[1:]) != (channels, 28, 28) or len(x) == 0:
        shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ValueError(f"{name} must be a tensor {what} with N >= 1, got {shape}")
    if limit is not None and len(x) > limit:
        raise ValueError(f"{name} holds {len(x)} images; the panel shows at most {limit}")
    x = x.detach().float().cpu()
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} holds NaN or inf values")
    if data_range and float(x.abs().max()) > 1:
        raise ValueError(f"{name} must lie in [-1, 1] (images as the course scales them), "
                         f"got values in [{float(x.min()):.3g}, {float(x.max()):.3g}]")
    return x


def _step_counts(steps, T: int) -> tuple[int, ...]:
    """Sorted distinct DDIM step counts, each an int in [1, T]."""
    try:
        values = list(steps)
    except TypeError:
        raise ValueError(f"steps must be a sequence of ints such as (2, 10, 50), got {steps!r}") from None
    if not values:
        raise ValueError("steps is empty: give at least one DDIM step count")
    for k in values:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= T:
            raise ValueError(f"every step count must be an int in [1, T={T}] (DDIM walks a sub-sequence "
                             f"of the T steps), got {k!r}")
    return tuple(sorted({int(k) for k in values}))


def _picture(png: bytes):
    """An ``ipywidgets.Image`` drawn at the PNG's own width (read from its header) and aspect
    ratio: in a flex box an image would otherwise be stretched to the row's height or width."""
    import ipywidgets as W

    width = int.from_bytes(png[16:20], "big")   # the IHDR chunk: width, then height, big-endian
    return W.Image(value=png, format="png", layout=W.Layout(width=f"{width}px", max_width="100%", height="auto",
                                                            align_self="flex-start", min_width="0"))


def _row(label: str, image):
    import ipywidgets as W

    return W.HBox([W.HTML(label, layout=W.Layout(width="170px", min_width="170px")), image],
                  layout=W.Layout(align_items="center"))


class NoisingPanel:
    """Slider ``t`` above three rows: x_t, the model's one-jump x0_hat, and x0; then the scores."""

    def __init__(self, model, x0: torch.Tensor, schedule: Schedule | None = None, seed: int = 0,
                 t_step: int = 10, scale: int = 3):
        import ipywidgets as W

        self.model = model
        self.schedule, self.device = _setup(model, schedule)
        self.T = self.schedule.T
        self.x0 = _images("x0", x0, getattr(model, "img_channels", 1), 16, data_range=True)
        count("seed", seed, 0, 2 ** 63 - 1)
        self.scale = count("scale", scale, 1, 8)
        t_step = min(count("t_step", t_step, 1, 10_000), max(self.T - 1, 1))   # a tiny T still gets a slider
        # One eps for every t: moving the slider changes only how much of it is mixed in.
        self.eps = torch.randn(self.x0.shape, generator=torch.Generator().manual_seed(seed))
        self._x0, self._eps = self.x0.to(self.device), self.eps.to(self.device)
        # The signal's share of x_t's variance, alpha_bar Var(x0) / (alpha_bar Var(x0) + 1 - alpha_bar):
        # eps has variance 1, digits much less (mostly background), so the share falls below alpha_bar.
        self.var_x0 = float(self.x0.var())
        self.scores: dict[str, float] = {}
        self.last_ms = 0.0
        # The step grid need not reach T - 1 (999 with steps of 10), but the slider's right end does.
        # A redraw takes ~20 ms on one CPU thread (shipped model, 8 digits): fast enough to follow a drag.
        start = (self.T // 4) // t_step * t_step
        self.t = W.IntSlider(value=start, min=0, max=self.T - 1, step=t_step, description="step t",
                             continuous_update=True)
        self.t.observe(lambda _c: self.refresh(), names="value")
        blank = grid_png(self.x0, nrow=8, scale=self.scale)
        self.x_t_image, self.x0_hat_image, self.x0_image = _picture(blank), _picture(blank), _picture(blank)
        self.info = W.HTML()
        self.ui = W.VBox([self.t,
                          _row("x<sub>t</sub>: x<sub>0</sub> noised to step t", self.x_t_image),
                          _row("x&#770;<sub>0</sub>: the model's one jump back", self.x0_hat_image),
                          _row("x<sub>0</sub>: the real digits", self.x0_image),
                          self.info])
        self.refresh()

    def set_t(self, t: int) -> None:
        """Show step ``t``, an int in [0, T-1] (any step, not only the slider's grid)."""
        if isinstance(t, bool) or not isinstance(t, numbers.Integral) or not 0 <= t < self.T:
            raise ValueError(f"t must be an int step in [0, {self.T - 1}] (T={self.T}), got {t!r}")
        self.t.value = int(t)

    @torch.no_grad()
    def compute(self, t: int) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
        """(x_t, x0_hat, scores) at step ``t``: one forward pass of the N digits."""
        x_t = q_sample(self._x0, t, self._eps, self.schedule)
        with eval_mode(self.model):
            eps_theta = self.model(x_t, torch.full((len(x_t),), t, dtype=torch.long, device=self.device))
        ab = float(self.schedule.alpha_bar[t])
        x0_hat = ((x_t - (1 - ab) ** 0.5 * eps_theta) / ab ** 0.5).clamp(-1, 1)
        signal = ab * self.var_x0
        scores = {"t": t, "alpha_bar": ab, "signal_share": signal / (signal + 1 - ab),
                  "mse_eps": float(((eps_theta - self._eps) ** 2).mean()),
                  "mse_x0": float(((x0_hat - self._x0) ** 2).mean())}     # of the clamped x0_hat: the one shown
        return x_t.cpu(), x0_hat.cpu(), scores

    def refresh(self) -> None:
        """Recompute the current step and redraw; ``last_ms`` is the time taken."""
        t0 = time.perf_counter()
        t = int(self.t.value)
        self.x_t, self.x0_hat, self.scores = self.compute(t)
        # x_t's values reach beyond [-1, 1] (up to ~4 at large t): the picture clips them, the numbers do not.
        self.x_t_image.value = grid_png(self.x_t, nrow=8, scale=self.scale)
        self.x0_hat_image.value = grid_png(self.x0_hat, nrow=8, scale=self.scale)
        self.last_ms = 1000 * (time.perf_counter() - t0)
        s = self.scores
        self.info.value = (f"t = {t}: alpha_bar<sub>t</sub> = {s['alpha_bar']:.4g} · "
                           f"signal share of x<sub>t</sub>'s variance {100 * s['signal_share']:.3g}% · "
                           f"MSE(eps<sub>&theta;</sub>, eps) = {s['mse_eps']:.4f} · "
                           f"MSE(x&#770;<sub>0</sub>, x<sub>0</sub>) = {s['mse_x0']:.4f} · {self.last_ms:.0f} ms")

    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self.ui)


@torch.no_grad()
def ddim_grids(model, x_T: torch.Tensor, steps, schedule: Schedule | None = None) -> dict[int, torch.Tensor]:
    """{k: the images (N, C, 28, 28) in [-1, 1] that DDIM with k steps makes from ``x_T``}, eta 0
    and x0_hat clipped at every step, as ``recipes.ddpm.generate`` samples; on the model's device,
    returned on the CPU. The same x_T for every k, so the grids differ only by the step count."""
    schedule, device = _setup(model, schedule)
    x_T = _images("x_T", x_T, getattr(model, "img_channels", 1), None, data_range=False)
    counts = _step_counts(steps, schedule.T)
    with eval_mode(model):
        return {k: sample_ddim(model, len(x_T), schedule, k, device=device, x_T=x_T,
                               clip_x0=True).clamp(-1, 1).cpu() for k in counts}


class StepsPanel:
    """Slider over DDIM step counts above the grid for that count and its difference to the grid
    of the largest count (black: the same pixel)."""

    def __init__(self, model, x_T: torch.Tensor, steps=(2, 5, 10, 20, 50, 100),
                 schedule: Schedule | None = None, scale: int = 3, show_difference: bool = True):
        import ipywidgets as W

        self.scale = count("scale", scale, 1, 8)
        schedule, _device = _setup(model, schedule)
        x_T = _images("x_T", x_T, getattr(model, "img_channels", 1), 16, data_range=False)
        self.steps = _step_counts(steps, schedule.T)
        t0 = time.perf_counter()
        self.grids = ddim_grids(model, x_T, self.steps, schedule)
        self.precompute_s = time.perf_counter() - t0
        best = self.grids[self.steps[-1]]
        # |x(k) - x(largest)| lies in [0, 2]; minus 1 maps it to the picture's [-1, 1]: black is no change.
        self.differences = {k: (g - best).abs() for k, g in self.grids.items()}
        self._png = {k: grid_png(g, nrow=8, scale=self.scale) for k, g in self.grids.items()}
        self._diff_png = {k: grid_png(d - 1, nrow=8, scale=self.scale) for k, d in self.differences.items()}
        self.last_ms = 0.0
        self.steps_slider = W.SelectionSlider(options=[(str(k), k) for k in self.steps], value=self.steps[0],
                                              description="DDIM steps", continuous_update=False)
        self.steps_slider.observe(lambda _c: self.refresh(), names="value")
        self.image = _picture(self._png[self.steps[0]])
        self.diff_image = _picture(self._diff_png[self.steps[0]])
        self.info = W.HTML()
        rows = [_row("samples", self.image)]
        if show_difference:
            rows.append(_row(f"|difference| to {self.steps[-1]} steps (black: none)", self.diff_image))
        self.ui = W.VBox([self.steps_slider, *rows, self.info])
        self.refresh()

    @property
    def k(self) -> int:
        """The step count shown now."""
        return self.steps_slider.value

    def set_steps(self, k: int) -> None:
        """Show the samples of ``k`` DDIM steps; ``k`` must be one of the precomputed counts."""
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or int(k) not in self.grids:
            raise ValueError(f"steps must be one of the precomputed counts {self.steps}, got {k!r}")
        self.steps_slider.value = int(k)

    def refresh(self) -> None:
        """Show the precomputed grid of the current count; ``last_ms`` is the time taken."""
        t0 = time.perf_counter()
        k = self.k
        self.image.value, self.diff_image.value = self._png[k], self._diff_png[k]
        self.last_ms = 1000 * (time.perf_counter() - t0)
        self.info.value = (f"DDIM, {k} network evaluations per sample · mean |difference| to "
                           f"{self.steps[-1]} steps {float(self.differences[k].mean()):.3f} · "
                           f"{len(self.steps)} step counts precomputed in {self.precompute_s:.1f} s")

    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self.ui)
