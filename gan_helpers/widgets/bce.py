"""Panels and figures of notebook 01 (binary cross-entropy and the GAN value function,
Goodfellow et al. 2014; the non-saturating generator loss, Goodfellow 2016).

* :class:`BCEPanel`: sliders for the prediction p = D(x) and the label y; shows the two BCE
  terms, the loss and its gradient (the tangent) on the curves, live.
* :func:`plot_generator_losses`: saturating vs non-saturating generator loss and their gradients.
* :class:`OptimalDPanel`: sliders for the generator's mean and spread; shows p_data, p_g,
  D*(x) and V(D*, G) = -log 4 + 2 JSD.

Every panel computes its state in a plain method (``compute``/``refresh``) and keeps it in
attributes, so tests can set a slider's ``.value`` and assert on the result.
"""
from __future__ import annotations


import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import torch

from ..plotting import LiveFigure
from ..theory import LOG4, BCEPoint, Gaussian1D, OptimalDState, bce_point, generator_loss_curves, optimal_d_state

_STYLE = {"description_width": "150px"}
_LAYOUT = W.Layout(width="460px")


class _Panel:
    """Shared plumbing: sliders in ``ui``, a figure drawn by ``refresh()``.

    ``live=True`` (notebooks): the figure appears when the panel is displayed. ``live=False``: an off-screen
    figure is drawn at once (tests, saving a PNG); ``figure=False``: no figure at all.
    """
    _ncols, _figsize = 2, (11, 3.6)

    def _init_figure(self, figure: bool, live: bool) -> None:
        self._fig = LiveFigure(1, self._ncols, figsize=self._figsize, show=False) if figure and not live else None

    def _ipython_display_(self) -> None:
        """Display the sliders, then the live figure below them (the panel as a cell's last line)."""
        from IPython.display import display

        display(self.ui)
        if self._fig is not None:
            plt.close(self._fig.fig)
        self._fig = LiveFigure(1, self._ncols, figsize=self._figsize)
        self.refresh()
        # Detach from pyplot so the inline backend does not show it a second time at the end
        # of the cell; updates by display id keep working on the detached figure.
        plt.close(self._fig.fig)

    def _on_change(self, _change) -> None:
        self.refresh()

    @property
    def fig(self):
        return None if self._fig is None else self._fig.fig


# --------------------------------------------------------------------------- BCE panel
class BCEPanel(_Panel):
    """Sliders for p = D(x) and the label y; after every change ``state`` (a
    :class:`gan_helpers.theory.BCEPoint`), ``loss`` and ``grad`` (dL/dp) hold the new values.

    ``panel`` as the last line of a cell displays it; see :class:`_Panel` for ``live`` and ``figure``.
    """

    def __init__(self, p: float = 0.2, y: float = 1.0, figure: bool = True, live: bool = True):
        bce_point(p, y)  # a clear ValueError for a bad starting point
        # Bounds keep p away from 0 and 1, where the loss and dL/dp are infinite.
        self.p = W.FloatSlider(value=p, min=0.01, max=0.99, step=0.01, description="p = D(x)",
                               style=_STYLE, layout=_LAYOUT, continuous_update=True)
        self.y = W.FloatSlider(value=y, min=0.0, max=1.0, step=0.05, description="label y (1 real, 0 fake)",
                               style=_STYLE, layout=_LAYOUT)
        self.readout = W.HTML()
        self._init_figure(figure, live)
        self.state: BCEPoint | None = None
        self.p.observe(self._on_change, names="value")
        self.y.observe(self._on_change, names="value")
        self.ui = W.VBox([self.p, self.y, self.readout])
        self.refresh()

    @property
    def loss(self) -> float:
        return self.state.loss

    @property
    def grad(self) -> float:
        """dL/dp at the current p and y."""
        return self.state.grad_p

    @property
    def grad_logit(self) -> float:
        """dL/dl = p - y, the gradient with respect to D's logit."""
        return self.state.grad_logit

    def compute(self, p: float, y: float) -> BCEPoint:
        """The BCE state at (p, y); ValueError if p is not in (0, 1) or y not in [0, 1]."""
        return bce_point(p, y)

    def refresh(self) -> BCEPoint:
        """Recompute from the sliders, update the readout and the figure."""
        self.state = s = self.compute(self.p.value, self.y.value)
        self.readout.value = (f"<tt>-y log p = {s.term_1:.4f} &nbsp; -(1-y) log(1-p) = {s.term_0:.4f} &nbsp; "
                              f"loss = {s.loss:.4f} &nbsp; dL/dp = {s.grad_p:.4f} &nbsp; "
                              f"dL/dlogit = {s.grad_logit:.4f}</tt>")
        if self._fig is not None:
            draw_bce(self._fig.axes, s)
            self._fig.update()
        return s


def draw_bce(axes, s: BCEPoint) -> None:
    """Left: the two terms and the loss over p, with the tangent at p. Right: the loss over the logit."""
    ax_p, ax_l = axes
    p = np.linspace(0.002, 0.998, 400)
    t1, t0 = -np.log(p), -np.log1p(-p)
    ax_p.clear()
    ax_p.plot(p, s.y * t1, color="tab:green", lw=1.2, label="-y log p")
    ax_p.plot(p, (1 - s.y) * t0, color="tab:red", lw=1.2, label="-(1-y) log(1-p)")
    ax_p.plot(p, s.y * t1 + (1 - s.y) * t0, color="k", lw=2, label=f"loss (y = {s.y:.2f})")
    ax_p.plot([s.p], [s.loss], "o", color="tab:blue", zorder=3)
    dx = 0.12
    ax_p.plot([s.p - dx, s.p + dx], [s.loss - dx * s.grad_p, s.loss + dx * s.grad_p], color="tab:blue", lw=1.5,
              label=f"slope dL/dp = {s.grad_p:.2f}")
    ax_p.set(xlim=(0, 1), ylim=(-0.1, 5), xlabel="p = D(x)", ylabel="loss",
             title=f"BCE at p = {s.p:.2f}: loss {s.loss:.3f}")
    ax_p.legend(fontsize=8, loc="upper center")

    l = np.linspace(-8, 8, 400)
    loss_l = s.y * np.logaddexp(0, -l) + (1 - s.y) * np.logaddexp(0, l)  # stable BCE of sigmoid(l)
    ax_l.clear()
    ax_l.plot(l, loss_l, color="k", lw=2, label="loss over the logit")
    ax_l.plot([s.logit], [s.loss], "o", color="tab:blue", zorder=3)
    dl = 1.5
    ax_l.plot([s.logit - dl, s.logit + dl], [s.loss - dl * s.grad_logit, s.loss + dl * s.grad_logit],
              color="tab:blue", lw=1.5, label=f"slope dL/dl = p - y = {s.grad_logit:.2f}")
    ax_l.set(xlim=(-8, 8), ylim=(-0.1, 8), xlabel="logit l (p = sigmoid(l))",
             title="the same loss over the logit: slope stays in [-1, 1]")
    ax_l.legend(fontsize=8, loc="upper center")


# --------------------------------------------------------------------------- generator losses
def plot_generator_losses(lo: float = -8.0, hi: float = 8.0, n: int = 401, axes=None):
    """Saturating log(1 - D(G(z))) vs non-saturating -log D(G(z)): the losses over D's logit,
    their gradients with respect to the logit (autograd, closed form dashed) and with
    respect to D(G(z)). Returns the figure."""
    if not hi > lo or n < 2:
        raise ValueError(f"need lo < hi and n >= 2, got lo={lo}, hi={hi}, n={n}")
    c = {k: v.numpy() for k, v in generator_loss_curves(torch.linspace(lo, hi, n, dtype=torch.float64)).items()}
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    else:
        fig = axes[0].figure
    a0, a1, a2 = axes
    l, d = c["logit"], c["d"]
    sat_kw, ns_kw = {"color": "tab:red", "lw": 2}, {"color": "tab:blue", "lw": 2}
    a0.plot(l, c["saturating"], label="saturating log(1 - D(G(z)))", **sat_kw)
    a0.plot(l, c["nonsaturating"], label="non-saturating -log D(G(z))", **ns_kw)
    a0.set(xlabel="D's logit on a fake", ylabel="generator loss (G minimises)", title="the two generator losses")
    a1.plot(l, c["grad_sat"], label="saturating (autograd)", **sat_kw)
    a1.plot(l, c["grad_nonsat"], label="non-saturating (autograd)", **ns_kw)
    a1.plot(l, c["grad_sat_closed"], "k--", lw=1, label="closed forms -D, D - 1")
    a1.plot(l, c["grad_nonsat_closed"], "k--", lw=1)
    a1.set(xlabel="D's logit on a fake", ylabel="d loss / d logit", ylim=(-1.1, 0.1),
           title="gradient reaching G (through the logit)")
    a1.axvspan(lo, -3, color="0.9", zorder=0)
    a1.text(lo + 0.3, -0.55, "early training:\nD rejects fakes,\nD(G(z)) ~ 0", fontsize=8)
    keep = (d > 1e-3) & (d < 1 - 1e-3)
    a2.plot(d[keep], c["grad_sat_d"][keep], label="saturating: -1/(1-D)", **sat_kw)
    a2.plot(d[keep], c["grad_nonsat_d"][keep], label="non-saturating: -1/D", **ns_kw)
    a2.set(xlabel="D(G(z))", ylabel="d loss / d D(G(z))", ylim=(-20, 0.5), xlim=(0, 1),
           title="gradient with respect to D's output")
    for a in axes:
        a.axhline(0, color="0.6", lw=0.8)
        a.legend(fontsize=8, loc="lower right" if a is not a0 else "upper center")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- optimal discriminator
class OptimalDPanel(_Panel):
    _figsize = (12, 3.8)

    """Sliders for the generator's mean and standard deviation against a fixed p_data.

    After every change ``state`` (a :class:`gan_helpers.theory.OptimalDState`), ``jsd`` and
    ``value`` hold the new values; ``mean_sweep`` holds V(D*, G) over generator means.
    """

    def __init__(self, data: Gaussian1D = Gaussian1D(0.0, 1.0), gen_mean: float = 2.0, gen_std: float = 0.7,
                 figure: bool = True, live: bool = True, sweep_points: int = 61):
        self.data = data
        self.compute(gen_mean, gen_std)  # a clear ValueError for a bad starting point
        self.mean = W.FloatSlider(value=gen_mean, min=-4.0, max=4.0, step=0.1, description="generator mean",
                                  style=_STYLE, layout=_LAYOUT)
        # std > 0 is required; the lower bound also keeps the integration grid small.
        self.std = W.FloatSlider(value=gen_std, min=0.1, max=3.0, step=0.05, description="generator std",
                                 style=_STYLE, layout=_LAYOUT)
        self.readout = W.HTML()
        self.sweep_points = sweep_points
        self._init_figure(figure, live)
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

    def refresh(self) -> OptimalDState:
        """Recompute from the sliders, update the readout and the figure."""
        self.state = s = self.compute(self.mean.value, self.std.value)
        means = np.linspace(self.mean.min, self.mean.max, self.sweep_points)
        self.mean_sweep = (means, np.array([self.compute(m, s.gen.std).value for m in means]))
        self.readout.value = (f"<tt>JSD = {s.jsd:.4f} nats &nbsp; V(D*, G) = {s.value:.4f} &nbsp; "
                              f"-log 4 + 2 JSD = {s.value_from_jsd:.4f} &nbsp; (-log 4 = {-LOG4:.4f})</tt>")
        if self._fig is not None:
            draw_optimal_d(self._fig.axes, s, self.mean_sweep)
            self._fig.update()
        return s


def draw_optimal_d(axes, s: OptimalDState, mean_sweep=None) -> None:
    """Left: p_data, p_g and D*(x). Right: V(D*, G) over the generator mean (std fixed)."""
    ax, ax_v = axes
    x = s.x.numpy()
    for a in list(ax.figure.axes):  # drop the twin axis of the previous draw
        if getattr(a, "_is_d_star_twin", False):
            a.remove()
    ax.clear()
    ax.plot(x, s.p_data.numpy(), color="tab:green", lw=2, label=f"p_data = N({s.data.mean:g}, {s.data.std:g}²)")
    ax.plot(x, s.p_g.numpy(), color="tab:purple", lw=2, label=f"p_g = N({s.gen.mean:.2f}, {s.gen.std:.2f}²)")
    ax.set(xlim=(-7, 7), xlabel="x", ylabel="density",
           title=f"JSD = {s.jsd:.3f}, V(D*, G) = {s.value:.3f} (min -log 4 = {-LOG4:.3f})")
    tw = ax.twinx()
    tw._is_d_star_twin = True
    tw.plot(x, s.d_star.numpy(), color="k", lw=1.5, ls="--", label="D*(x) = p_data / (p_data + p_g)")
    tw.axhline(0.5, color="0.6", lw=0.8, ls=":")
    tw.set(ylim=(-0.02, 1.02), ylabel="D*(x)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = tw.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper left")

    ax_v.clear()
    if mean_sweep is not None:
        ax_v.plot(*mean_sweep, color="k", lw=2, label=f"V(D*, G) for std {s.gen.std:.2f}")
    ax_v.plot([s.gen.mean], [s.value], "o", color="tab:purple", zorder=3, label="current generator")
    ax_v.axhline(-LOG4, color="tab:green", ls="--", lw=1, label="-log 4 (p_g = p_data)")
    ax_v.axhline(0.0, color="0.6", lw=0.8)
    ax_v.set(xlabel="generator mean", ylabel="V(D*, G)", ylim=(-LOG4 - 0.1, 0.1),
             title="what G minimises once D is optimal")
    ax_v.legend(fontsize=8, loc="lower right")
