"""The two panels of notebook 06 (Arjovsky et al. 2017; Gulrajani et al. 2017; Miyato et al. 2018).

``DistancePanel``: two narrow 1-D Gaussians pulled apart by a slider, with the JS divergence,
the Wasserstein-1 distance and the gradient each loss gives the generator
(:mod:`gan_helpers.theory.distances`). ``GamePanel``: pick a game (loss + Lipschitz control) and a
2-D dataset, press Run, and watch the critic's surface and the samples move
(:class:`gan_helpers.train.GameRun`). Both draw into an ``ipywidgets.Image`` beside their
controls, and keep their numbers in ``state`` so tests drive them without a browser.
"""
from __future__ import annotations

import time

import ipywidgets as W
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..theory.distances import pair_state, separation_curves
from ..stabilizers.games import Game, standard_games
from ..train.critic import GameRun
from ..plotting import figure_png
from ..data.toy2d import Mixture
from ..metrics.modes import format_coverage, mode_coverage
from .figure_panel import Blitter
from .validate import count, finite_amount

THETA_MAX = 3.0           # the slider's range of separations (in the data's units)
SIGMA_RANGE = (0.05, 0.5)


def picture(fig: Figure, dpi: int = 72) -> W.Image:
    """An ``ipywidgets.Image`` for ``fig``'s PNG, drawn at the PNG's own size and aspect ratio.

    In an HBox, children stretch to the row's height by default (align-items: stretch), which
    drew notebook 06's 259x223 PNG 259x260; ``align_self`` keeps the picture at its own height.
    It may shrink (never grow) with a narrow window, keeping its aspect ratio.
    """
    fig.set_dpi(dpi)
    FigureCanvasAgg(fig)
    w, _h = fig.canvas.get_width_height()
    return W.Image(format="png", layout=W.Layout(width=f"{w}px", max_width="100%", height="auto",
                                                 align_self="flex-start", flex="0 1 auto", min_width="0",
                                                 object_fit="contain"))


class DistancePanel:
    """Slider ``theta`` (how far G's bump sits from the data's) and ``sigma`` (their width).

    Redraws only what changed (issue 26: slider to picture under 300 ms): the lines are made
    once and get new data, blitted onto cached axes (:class:`.figure_panel.Blitter`); a theta
    step redraws the small density figure only, a sigma step also the curves, whose numbers
    are cached per sigma (the slider has ten values).
    """

    def __init__(self, theta: float = 0.5, sigma: float = 0.1):
        style, lay = {"description_width": "90px"}, W.Layout(width="300px")
        self.theta = W.FloatSlider(value=theta, min=0.0, max=THETA_MAX, step=0.05, description="separation θ",
                                   style=style, layout=lay, readout_format=".2f")
        self.sigma = W.FloatSlider(value=sigma, min=SIGMA_RANGE[0], max=SIGMA_RANGE[1], step=0.05,
                                   description="width σ", style=style, layout=W.Layout(width="300px"),
                                   readout_format=".2f")
        self.readout = W.HTML()
        # Two pictures: the densities change with theta (redrawn on every step of the slider),
        # the curves only with sigma (redrawn rarely), so a theta step renders one small figure.
        self.fig_x = Figure(figsize=(3.6, 3.1))
        self.fig_x.subplots_adjust(left=0.14, right=0.97, bottom=0.15, top=0.9)
        self.ax_x = ax = self.fig_x.subplots()
        self.fig = Figure(figsize=(7.2, 3.1))
        self.fig.subplots_adjust(left=0.07, right=0.99, bottom=0.15, top=0.9, wspace=0.25)
        self.ax_d, self.ax_g = self.fig.subplots(1, 2)
        self.image_x, self.image = picture(self.fig_x), picture(self.fig)
        self._make_artists()
        self._curves_for: float | None = None
        self._curves_cache: dict[float, dict] = {}
        self.state: dict = {}
        self.theta.observe(self._on_change, names="value")
        self.sigma.observe(self._on_change, names="value")
        self.update()
        # The controls keep their width (a squeezed column clipped the sliders' readouts); the
        # pictures give way on a narrow notebook area, keeping their aspect ratio (picture()).
        self.ui = W.HBox([W.VBox([self.theta, self.sigma, self.readout],
                                 layout=W.Layout(width="320px", flex="0 0 auto")),
                          self.image_x, self.image])

    def _make_artists(self) -> None:
        ax, empty = self.ax_x, ([], [])
        self.line_p, = ax.plot(*empty, label="data p")
        self.line_q, = ax.plot(*empty, label="G's q")
        self.line_d, = ax.plot(*empty, "k--", lw=1, label="D* (scaled)")
        ax.set(xlabel="x")
        legend_x = ax.legend(fontsize=7, loc="upper right")
        self.line_js, = self.ax_d.plot(*empty, label="JSD (nats)")
        self.line_w1, = self.ax_d.plot(*empty, label="W1")
        self.ax_d.axhline(np.log(2), color="grey", lw=0.8, ls=":")
        self.ax_d.set(xlabel="θ", xlim=(0, THETA_MAX), ylim=(0, THETA_MAX))
        legend_d = self.ax_d.legend(fontsize=8)
        self.ax_g.set_yscale("log")
        self.grad_lines = [self.ax_g.plot(*empty, label=label)[0]
                           for label in ("minimax (= d 2JSD/dθ)", "non-saturating", "W1")]
        self.ax_g.set(xlabel="θ", title="|gradient| G gets (D optimal)", xlim=(0, THETA_MAX), ylim=(1e-6, 1e4))
        legend_g = self.ax_g.legend(fontsize=8, loc="lower right")
        # Blitted: axes, ticks and labels are a cached background; only these are redrawn (the
        # legends last, so they stay above the lines). The density axes' limits follow sigma.
        self._blit_x = Blitter(self.fig_x, [self.line_p, self.line_q, self.line_d, ax.title, legend_x])
        self._blit = Blitter(self.fig, [self.line_js, self.line_w1, *self.grad_lines, self.ax_d.title,
                                        legend_d, legend_g])

    def _on_change(self, _change) -> None:
        try:
            self.update()
        except ValueError as err:  # a slider whose range was changed: say so instead of a traceback
            self.readout.value = f"<b>Cannot draw:</b> {err}"

    def _draw_curves(self, sigma: float) -> None:
        thetas = np.linspace(0.0, THETA_MAX, 61)
        if sigma not in self._curves_cache:
            self._curves_cache[sigma] = separation_curves(thetas, sigma)
        c = self._curves_cache[sigma]
        self.line_js.set_data(thetas, c["js"])
        self.line_w1.set_data(thetas, c["w1"])
        self.ax_d.set_title(f"distance between p and q (σ = {sigma:.2f})")
        floor = 1e-6  # log scale: a gradient of exactly 0 is drawn at the floor
        for line, key in zip(self.grad_lines, ("grad_minimax", "grad_ns", "grad_w1")):
            line.set_data(thetas, np.maximum(c[key], floor))
        self.image.value = self._blit.png()
        self._curves_for = sigma

    def update(self) -> dict:
        """Recompute and redraw for the sliders' values; returns ``state``."""
        theta = finite_amount("theta", self.theta.value, THETA_MAX)
        sigma = finite_amount("sigma", self.sigma.value)
        if not theta >= 0:
            raise ValueError(f"theta must be in [0, {THETA_MAX}], got {theta}")
        if not SIGMA_RANGE[0] <= sigma <= SIGMA_RANGE[1]:
            raise ValueError(f"sigma must be in [{SIGMA_RANGE[0]}, {SIGMA_RANGE[1]}], got {sigma}")
        s = pair_state(theta, sigma)
        if self._curves_for != sigma:
            self._draw_curves(sigma)
        x = s["x"].numpy()
        top = 1.0 / (sigma * np.sqrt(2 * np.pi))  # the peak of either density
        self.line_p.set_data(x, s["p"].numpy())
        self.line_q.set_data(x, s["q"].numpy())
        self.line_d.set_data(x, s["d_star"].numpy() * top)
        self.ax_x.set(xlim=(-4 * sigma, THETA_MAX + 4 * sigma), ylim=(-0.05 * top, 1.25 * top),
                      title=f"θ = {theta:.2f}")
        self.image_x.value = self._blit_x.png(key=sigma)
        self.state = {k: s[k] for k in ("theta", "sigma", "js", "w1", "grad_minimax", "grad_ns", "grad_w1")}
        self.readout.value = (f"JSD <b>{s['js']:.3f}</b> nats (max log 2 = 0.693)<br>W1 <b>{s['w1']:.2f}</b><br>"
                              f"gradient for G: minimax <b>{s['grad_minimax']:.2g}</b>, non-saturating "
                              f"<b>{s['grad_ns']:.2g}</b>, W1 <b>{s['grad_w1']:.0f}</b>")
        return self.state


@torch.no_grad()
def draw_run(axes, run: GameRun, averaged: bool, resolution: int = 70) -> dict:
    """Critic surface with real and generated samples, and the critic's estimate over steps."""
    ax_s, ax_l = axes
    r = float(run.data.modes.abs().max()) + 1.5
    ticks = torch.linspace(-r, r, resolution)
    gx, gy = torch.meshgrid(ticks, ticks, indexing="xy")
    surface = run.D(torch.stack([gx.ravel(), gy.ravel()], 1).to(run.device)).reshape(resolution, resolution).cpu()
    real = run.data.sample(500, torch.Generator().manual_seed(0))
    fake = run.samples(1000, averaged=averaged)
    cov = mode_coverage(run.samples(2500, averaged=averaged), run.data.modes, run.data.std)
    ax_s.clear()
    ax_s.imshow(surface.numpy(), extent=(-r, r, -r, r), origin="lower", cmap="PiYG", alpha=0.7)
    ax_s.scatter(real[:, 0], real[:, 1], s=3, c="darkgreen", label="real")
    ax_s.scatter(fake[:, 0], fake[:, 1], s=3, c="purple", alpha=0.4, label="G (averaged)" if averaged else "G")
    ax_s.set(xlim=(-r, r), ylim=(-r, r), aspect="equal",
             title=f"{run.fix.name}, step {run.step}: {format_coverage(cov)}\nbackground: critic output (green = high)")
    ax_s.title.set_fontsize(9)
    ax_s.legend(loc="upper right", fontsize=7, markerscale=3)
    ax_l.clear()
    key = "w_estimate"
    if key in run.history:
        ax_l.plot(run.history[key], lw=0.8)
    reading = ("K times W1 (clipped critic)" if run.fix.clip else "W1 estimate" if run.fix.wasserstein
               else "logit gap, not a distance")        # what the gap means depends on the variant
    ax_l.set(xlabel="G step", title=f"E[D(real)] - E[D(fake)]\n({run.fix.name}: {reading})")
    ax_l.title.set_fontsize(9)
    return cov


class GamePanel:
    """Game, data, steps, seed, 'show averaged G', a Run button and the live picture.

    After ``run()``: ``run_`` (the GameRun), ``metrics`` (coverage of the shown G), ``runs`` (one
    row per run) and ``png`` (the picture shown, also before the first run: untrained G and D).
    """

    def __init__(self, datasets: list[Mixture], games: list[Game] | None = None, steps: int = 1000,
                 frames: int = 6, max_steps: int = 20000):
        if not datasets:
            raise ValueError("GamePanel needs at least one dataset, e.g. [ring(), grid()]")
        self.frames, self.max_steps = count("frames", frames, 1, 100), count("max_steps", max_steps, 1, 10**6)
        style, lay = {"description_width": "70px"}, W.Layout(width="290px")
        games = games or standard_games()
        self.game = W.Dropdown(options=[(f.name, f) for f in games], description="variant", style=style, layout=lay)
        self.data = W.Dropdown(options=[(d.name, d) for d in datasets], description="data", style=style, layout=lay)
        self.steps = W.IntText(value=steps, description="G steps", style=style, layout=lay)
        self.seed = W.IntText(value=0, description="seed", style=style, layout=lay)
        self.averaged = W.Checkbox(value=False, description="show the averaged G", indent=False)
        self.button = W.Button(description="Run", button_style="success", icon="play")
        self.summary = W.HTML()
        self.fig = Figure(figsize=(10, 4.4), layout="constrained")
        self.axes = list(self.fig.subplots(1, 2, width_ratios=[1.2, 1]))
        self.image = picture(self.fig)
        self.run_: GameRun | None = None
        self.metrics: dict | None = None
        self.runs: list[dict] = []
        self.button.on_click(self._on_click)
        self.averaged.observe(lambda _c: self._show() if self.run_ is not None else None, names="value")
        self.run_ = GameRun(self.data.value, self.game.value, seed=0)
        self._show()
        controls = W.VBox([self.game, self.data, self.steps, self.seed, self.averaged, self.button, self.summary],
                          layout=W.Layout(width="300px", flex="0 0 auto"))  # fixed width, as DistancePanel's
        self.ui = W.HBox([controls, self.image])

    @property
    def png(self) -> bytes:
        return self.image.value

    def _show(self, run: GameRun | None = None) -> None:
        self.metrics = draw_run(self.axes, run or self.run_, self.averaged.value)
        self.image.value = figure_png(self.fig, dpi=72, close=False)  # constrained layout: a full save

    def run(self, live: bool = True) -> dict:
        """Train the chosen game for ``steps`` G steps; returns the shown G's coverage."""
        steps = count("steps", self.steps.value, 1, self.max_steps)
        seed = count("seed", self.seed.value, 0, 2**31 - 1)
        run = GameRun(self.data.value, self.game.value, seed=seed)
        self.run_ = run
        if live:
            run.train(steps, callback=self._show, every=max(1, steps // self.frames))
        else:
            run.train(steps)
            self._show()
        ev = run.evaluate()
        self.runs.append({"game": run.fix.name, "data": run.data.name, "steps": steps, "seed": seed,
                          "seconds": round(run.seconds, 1), "raw": ev["raw"], "averaged": ev["averaged"]})
        self.summary.value = (f"{run.fix.name} on the {run.data.name}, {steps} G steps, {run.seconds:.0f} s:<br>"
                              f"raw G: {format_coverage(ev['raw'])}<br>averaged G: {format_coverage(ev['averaged'])}")
        return self.metrics

    def _on_click(self, _button) -> None:
        t0 = time.perf_counter()
        try:
            self.run()
        except (ValueError, FloatingPointError) as err:
            self.summary.value = f"<b>Cannot run:</b> {err}"
            return
        self.summary.value += f"<br>({time.perf_counter() - t0:.0f} s with drawing)"
