"""Notebook 01's BCE panel and generator-loss figure (binary cross-entropy and the GAN value
function, Goodfellow et al. 2014; the non-saturating generator loss, Goodfellow 2016).

* :class:`BCEPanel`: sliders for the prediction p = D(x) and the label y; shows the two BCE
  terms, the loss and its gradient (the tangent) on the curves, live.
* :func:`plot_generator_losses`: saturating vs non-saturating generator loss and their gradients.
* :class:`OptimalDPanel` (the notebook's third tool) lives in :mod:`.optimal_d` and is
  importable from here too.

Every panel computes its state in a plain method (``compute``/``refresh``) and keeps it in
attributes, so tests can set a slider's ``.value`` and assert on the result. The fast
redraw (artists updated in place, blitted onto a cached background) is
:class:`gan_helpers.widgets.figure_panel.FigurePanel`.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import torch

from ..theory.optimal_d import BCEPoint, bce_point, generator_loss_curves
from .figure_panel import STYLE, FigurePanel, slider_layout


# --------------------------------------------------------------------------- BCE panel
class BCEPanel(FigurePanel):
    """Sliders for p = D(x) and the label y; after every change ``state`` (a
    :class:`gan_helpers.theory.BCEPoint`), ``loss`` and ``grad`` (dL/dp) hold the new values.

    ``panel`` as the last line of a cell displays it; ``figure=False``: state only, no figure.
    """

    def __init__(self, p: float = 0.2, y: float = 1.0, figure: bool = True):
        bce_point(p, y)  # a clear ValueError for a bad starting point
        # Bounds keep p away from 0 and 1, where the loss and dL/dp are infinite. One redraw
        # takes tens of ms, so the picture may follow a drag (continuous_update).
        self.p = W.FloatSlider(value=p, min=0.01, max=0.99, step=0.01, description="p = D(x)",
                               style=STYLE, layout=slider_layout(), continuous_update=True)
        self.y = W.FloatSlider(value=y, min=0.0, max=1.0, step=0.05, description="label y (1 real, 0 fake)",
                               style=STYLE, layout=slider_layout())
        self.readout = W.HTML()
        self._init_figure(figure)
        self._art = BCEArtists(self._axes) if figure else None
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
        if self._art is not None:
            self._art.draw(s)
            self._redraw()
        return s


class BCEArtists:
    """The BCE figure's artists, made once on two axes; :meth:`draw` gives them a state's data.

    Left: the two terms and the loss over p, with the tangent at p. Right: the loss over the logit.
    """
    _p = np.linspace(0.002, 0.998, 400)
    _l = np.linspace(-8, 8, 400)

    def __init__(self, axes):
        self.ax_p, self.ax_l = ax_p, ax_l = axes
        empty = ([], [])
        self.term_1, = ax_p.plot(*empty, color="tab:green", lw=1.2, label="-y log p")
        self.term_0, = ax_p.plot(*empty, color="tab:red", lw=1.2, label="-(1-y) log(1-p)")
        self.loss_p, = ax_p.plot(*empty, color="k", lw=2, label="loss (y = 0.00)")
        self.dot_p, = ax_p.plot(*empty, "o", color="tab:blue", zorder=3)
        self.tan_p, = ax_p.plot(*empty, color="tab:blue", lw=1.5, label="slope dL/dp = 0.00")
        ax_p.set(xlim=(0, 1), ylim=(-0.1, 5), xlabel="p = D(x)", ylabel="loss")
        self.leg_p = ax_p.legend(fontsize=8, loc="upper center")
        self.loss_l, = ax_l.plot(*empty, color="k", lw=2, label="loss over the logit")
        self.dot_l, = ax_l.plot(*empty, "o", color="tab:blue", zorder=3)
        self.tan_l, = ax_l.plot(*empty, color="tab:blue", lw=1.5, label="slope dL/dl = p - y = 0.00")
        ax_l.set(xlim=(-8, 8), ylim=(-0.1, 8), xlabel="logit l (p = sigmoid(l))",
                 title="the same loss over the logit: slope stays in [-1, 1]")
        self.leg_l = ax_l.legend(fontsize=8, loc="upper center")
        # Everything above that changes with the sliders; the rest is the cached background.
        self.dynamic = [self.term_1, self.term_0, self.loss_p, self.tan_p, self.dot_p, ax_p.title, self.leg_p,
                        self.loss_l, self.tan_l, self.dot_l, self.leg_l]
        p = self._p
        self._t1, self._t0 = -np.log(p), -np.log1p(-p)
        self._sp_l, self._sp_r = np.logaddexp(0, -self._l), np.logaddexp(0, self._l)  # stable BCE of sigmoid(l)

    def background_key(self):
        return None  # fixed limits: the background never changes

    def draw(self, s: BCEPoint) -> None:
        p, dx, dl = self._p, 0.12, 1.5
        self.term_1.set_data(p, s.y * self._t1)
        self.term_0.set_data(p, (1 - s.y) * self._t0)
        self.loss_p.set_data(p, s.y * self._t1 + (1 - s.y) * self._t0)
        self.dot_p.set_data([s.p], [s.loss])
        self.tan_p.set_data([s.p - dx, s.p + dx], [s.loss - dx * s.grad_p, s.loss + dx * s.grad_p])
        self.ax_p.set_title(f"BCE at p = {s.p:.2f}: loss {s.loss:.3f}")
        texts = self.leg_p.get_texts()
        texts[2].set_text(f"loss (y = {s.y:.2f})")
        texts[3].set_text(f"slope dL/dp = {s.grad_p:.2f}")
        self.loss_l.set_data(self._l, s.y * self._sp_l + (1 - s.y) * self._sp_r)
        self.dot_l.set_data([s.logit], [s.loss])
        self.tan_l.set_data([s.logit - dl, s.logit + dl], [s.loss - dl * s.grad_logit, s.loss + dl * s.grad_logit])
        self.leg_l.get_texts()[1].set_text(f"slope dL/dl = p - y = {s.grad_logit:.2f}")


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
    # Head room above 0 for the legend, so it covers neither curve.
    a1.set(xlabel="D's logit on a fake", ylabel="d loss / d logit", ylim=(-1.1, 0.75),
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
        a.legend(fontsize=8, loc={0: "upper center", 1: "upper right", 2: "lower right"}[list(axes).index(a)])
    fig.tight_layout()
    return fig


from .optimal_d import OptimalDArtists, OptimalDPanel  # noqa: E402  (notebook 01 imports it from here)

__all__ = ["BCEPanel", "BCEArtists", "plot_generator_losses", "OptimalDPanel", "OptimalDArtists"]
