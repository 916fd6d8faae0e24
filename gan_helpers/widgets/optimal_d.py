"""Notebook 01's optimal-discriminator panel (Goodfellow et al. 2014, Proposition 1 and
Theorem 1): for a fixed p_data and a Gaussian generator p_g, D*(x) = p_data / (p_data + p_g)
and V(D*, G) = -log 4 + 2 JSD(p_data || p_g), shown live as the generator's sliders move.

:class:`OptimalDPanel` caches its sweep of V(D*, G) per generator std, so moving the mean
slider only looks it up; the figure is redrawn by
:class:`gan_helpers.widgets.figure_panel.FigurePanel` (artists updated in place).
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..theory.optimal_d import LOG4, Gaussian1D, OptimalDState, optimal_d_state
from .figure_panel import STYLE, FigurePanel, slider_layout


class OptimalDPanel(FigurePanel):
    """Sliders for the generator's mean and standard deviation against a fixed p_data.

    After every change ``state`` (a :class:`gan_helpers.theory.OptimalDState`), ``jsd`` and
    ``value`` hold the new values; ``mean_sweep`` holds V(D*, G) over generator means (for the
    current std; computed once per std and kept, so moving the mean slider only looks it up).
    """
    _figsize = (11.5, 3.5)

    def __init__(self, data: Gaussian1D = Gaussian1D(0.0, 1.0), gen_mean: float = 2.0, gen_std: float = 0.7,
                 figure: bool = True, sweep_points: int = 61):
        if not isinstance(sweep_points, int) or isinstance(sweep_points, bool) or sweep_points < 2:
            raise ValueError(f"sweep_points must be an int >= 2, got {sweep_points!r}")
        self.data = data
        self.compute(gen_mean, gen_std)  # a clear ValueError for a bad starting point
        self.mean = W.FloatSlider(value=gen_mean, min=-4.0, max=4.0, step=0.1, description="generator mean",
                                  style=STYLE, layout=slider_layout())
        # std > 0 is required; the lower bound also keeps the integration grid small.
        self.std = W.FloatSlider(value=gen_std, min=0.1, max=3.0, step=0.05, description="generator std",
                                 style=STYLE, layout=slider_layout())
        self.readout = W.HTML()
        self.sweep_points = sweep_points
        self._sweeps: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        self._init_figure(figure)
        self._art = OptimalDArtists(self._axes) if figure else None
        self.state: OptimalDState | None = None
        self.mean_sweep: tuple[np.ndarray, np.ndarray] | None = None
        self.mean.observe(self._on_change, names="value")
        self.std.observe(self._on_change, names="value")
        self.ui = W.VBox([self.mean, self.std, self.readout])
        self.refresh()

    @property
    def jsd(self) -> float:
        return self.state.jsd

    @property
    def value(self) -> float:
        """V(D*, G), integrated directly."""
        return self.state.value

    def compute(self, gen_mean: float, gen_std: float) -> OptimalDState:
        """The state for p_g = N(gen_mean, gen_std^2); ValueError if gen_std <= 0 or not finite."""
        return optimal_d_state(self.data, Gaussian1D(float(gen_mean), float(gen_std)))

    def sweep(self, gen_std: float) -> tuple[np.ndarray, np.ndarray]:
        """(means, V(D*, G) at each mean) over the mean slider's range for std ``gen_std``, cached."""
        key = round(float(gen_std), 9)
        if key not in self._sweeps:
            means = np.linspace(self.mean.min, self.mean.max, self.sweep_points)
            self._sweeps[key] = (means, np.array([self.compute(m, gen_std).value for m in means]))
        return self._sweeps[key]

    def refresh(self) -> OptimalDState:
        """Recompute from the sliders, update the readout and the figure."""
        self.state = s = self.compute(self.mean.value, self.std.value)
        self.mean_sweep = self.sweep(s.gen.std)
        self.readout.value = (f"<tt>JSD = {s.jsd:.4f} nats &nbsp; V(D*, G) = {s.value:.4f} &nbsp; "
                              f"-log 4 + 2 JSD = {s.value_from_jsd:.4f} &nbsp; (-log 4 = {-LOG4:.4f})</tt>")
        if self._art is not None:
            self._art.draw(s, self.mean_sweep)
            self._redraw()
        return s


class OptimalDArtists:
    """The optimal-D figure's artists, made once; :meth:`draw` gives them a state's data.

    Left: p_data, p_g and D*(x) (on a twin axis). Right: V(D*, G) over the generator mean (std fixed), the
    minimax generator's objective once D is optimal (the non-saturating one follows KL - 2 JSD instead).
    """

    def __init__(self, axes):
        self.ax, self.ax_v = ax, ax_v = axes
        empty = ([], [])
        self.p_data, = ax.plot(*empty, color="tab:green", lw=2, label="p_data")
        self.p_g, = ax.plot(*empty, color="tab:purple", lw=2, label="p_g")
        ax.set(xlim=(-7, 7), xlabel="x", ylabel="density")
        self.twin = tw = ax.twinx()
        self.d_star, = tw.plot(*empty, color="k", lw=1.5, ls="--", label="D*(x) = p_data / (p_data + p_g)")
        tw.axhline(0.5, color="0.6", lw=0.8, ls=":")
        tw.set(ylim=(-0.02, 1.02), ylabel="D*(x)")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = tw.get_legend_handles_labels()
        # On the twin, so the legend is drawn above D*'s dashed line; lower left, where the densities are
        # near 0 and D* sits near 1, so it hides neither.
        self.leg = tw.legend(h1 + h2, l1 + l2, fontsize=8, loc="lower left")
        self.curve, = ax_v.plot(*empty, color="k", lw=2, label="V(D*, G) for std 0.00")
        self.dot, = ax_v.plot(*empty, "o", color="tab:purple", zorder=3, label="current generator")
        ax_v.axhline(-LOG4, color="tab:green", ls="--", lw=1, label="-log 4 (p_g = p_data)")
        ax_v.axhline(0.0, color="0.6", lw=0.8)
        ax_v.set(xlabel="generator mean", ylabel="V(D*, G)", ylim=(-LOG4 - 0.1, 0.1),
                 title="what the minimax G minimises once D is optimal")
        self.leg_v = ax_v.legend(fontsize=8, loc="lower right")
        self.dynamic = [self.p_data, self.p_g, ax.title, self.d_star, self.leg, self.curve, self.dot, self.leg_v]

    # Upper limits of the density axis: a few fixed steps, so most std steps keep the background.
    YTOPS = (0.45, 0.6, 0.8, 1.1, 1.5, 2.1, 2.9, 4.2)

    def background_key(self):
        return self.ax.get_ylim()

    def draw(self, s: OptimalDState, mean_sweep=None) -> None:
        x = s.x.numpy()
        p_data, p_g = s.p_data.numpy(), s.p_g.numpy()
        self.p_data.set_data(x, p_data)
        self.p_g.set_data(x, p_g)
        self.d_star.set_data(x, s.d_star.numpy())
        peak = float(max(p_data.max(), p_g.max()))
        self.ax.set_ylim(0, next((t for t in self.YTOPS if t >= 1.05 * peak), 1.05 * peak))
        self.ax.set_title(f"JSD = {s.jsd:.3f}, V(D*, G) = {s.value:.3f} (min -log 4 = {-LOG4:.3f})")
        texts = self.leg.get_texts()
        texts[0].set_text(f"p_data = N({s.data.mean:g}, {s.data.std:g}²)")
        texts[1].set_text(f"p_g = N({s.gen.mean:.2f}, {s.gen.std:.2f}²)")
        if mean_sweep is not None:
            self.curve.set_data(*mean_sweep)
            self.ax_v.set_xlim(float(mean_sweep[0][0]), float(mean_sweep[0][-1]))
        self.curve.set_visible(mean_sweep is not None)
        self.dot.set_data([s.gen.mean], [s.value])
        self.leg_v.get_texts()[0].set_text(f"V(D*, G) for std {s.gen.std:.2f}")
