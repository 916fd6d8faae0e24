"""Panels and figures of notebook 01 (binary cross-entropy and the GAN value function,
Goodfellow et al. 2014; the non-saturating generator loss, Goodfellow 2016).

* :class:`BCEPanel`: sliders for the prediction p = D(x) and the label y; shows the two BCE
  terms, the loss and its gradient (the tangent) on the curves, live.
* :func:`plot_generator_losses`: saturating vs non-saturating generator loss and their gradients.
* :class:`OptimalDPanel`: sliders for the generator's mean and spread; shows p_data, p_g,
  D*(x) and V(D*, G) = -log 4 + 2 JSD.

Every panel computes its state in a plain method (``compute``/``refresh``) and keeps it in
attributes, so tests can set a slider's ``.value`` and assert on the result.

Speed (issue 12: slider step to redrawn picture under 300 ms on 2 CPU cores): each panel
keeps one off-screen figure whose artists are made once and then only get new data; the
layout is computed once and then frozen; the picture is one PNG of about 900 x 280 pixels
rendered by Agg and pushed to the cell's output by display id (no pyplot, no tight bbox,
no second draw); :class:`OptimalDPanel` caches its sweep of V(D*, G) per generator std.
"""
from __future__ import annotations

import io

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..theory import LOG4, BCEPoint, Gaussian1D, OptimalDState, bce_point, generator_loss_curves, optimal_d_state

_STYLE = {"description_width": "150px"}
_LAYOUT = W.Layout(width="460px")


class _Panel:
    """Shared plumbing: sliders in ``ui``, one off-screen figure (``fig``) drawn by ``refresh()``.

    The figure exists from the start (``figure=False``: none at all, for quick state-only use);
    displaying the panel (as a cell's last line) shows the sliders and, below them, the figure
    as a plain PNG image that every slider change replaces by display id. The image stays in
    the saved notebook, so the notebook reads well before it is run (and on GitHub).

    Rendering is blitted: the first :meth:`png` runs the constrained layout once and freezes it;
    from then on everything that does not change with the sliders (axes, ticks, labels: most
    of the text, which is most of the drawing time) is drawn once into a cached background,
    and each picture is that background plus the panel's ``_art.dynamic`` artists. The
    background is redrawn only when ``_art.background_key()`` changes (e.g. new axis limits).
    """
    _ncols, _figsize, _dpi = 2, (11, 3.4), 80

    def _init_figure(self, figure: bool) -> None:
        self._handle = None
        self._frozen = False
        self._background = self._background_key = None
        self.background_draws = 0  # how often the static part was redrawn (tests read it)
        if figure:
            self._fig = Figure(figsize=self._figsize, dpi=self._dpi, layout="constrained")
            FigureCanvasAgg(self._fig)
            self._axes = list(self._fig.subplots(1, self._ncols))
        else:
            self._fig, self._axes = None, []

    @property
    def fig(self) -> Figure | None:
        return self._fig

    def png(self) -> bytes:
        """PNG bytes of the figure as it is now."""
        if self._fig is None:
            raise ValueError("this panel was made with figure=False: it has no picture")
        fig, canvas = self._fig, self._fig.canvas
        if not self._frozen:
            # One full draw lays the figure out with every artist in place; keep those axes
            # positions from now on, and leave the changing artists out of the background.
            canvas.draw()
            fig.set_layout_engine("none")
            for a in self._art.dynamic:
                a.set_animated(True)
            self._frozen = True
        key = self._art.background_key()
        if self._background is None or key != self._background_key:
            canvas.draw()  # not saving: animated artists are left out
            self._background, self._background_key = canvas.copy_from_bbox(fig.bbox), key
            self.background_draws += 1
        else:
            canvas.restore_region(self._background)
        for a in self._art.dynamic:
            fig.draw_artist(a)
        from PIL import Image

        buf = io.BytesIO()
        w, h = canvas.get_width_height()
        Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
            buf, format="PNG", compress_level=1)
        return buf.getvalue()

    def _ipython_display_(self) -> None:
        """Display the sliders, then the figure below them as an image updated in place."""
        from IPython.display import Image, display

        display(self.ui)
        if self._fig is not None:
            self._handle = display(Image(data=self.png()), display_id=True)

    def _on_change(self, _change) -> None:
        self.refresh()

    def _redraw(self) -> None:
        """After the artists got new data: replace the shown image (if the panel is shown)."""
        if self._handle is not None:
            from IPython.display import Image

            self._handle.update(Image(data=self.png()))


# --------------------------------------------------------------------------- BCE panel
class BCEPanel(_Panel):
    """Sliders for p = D(x) and the label y; after every change ``state`` (a
    :class:`gan_helpers.theory.BCEPoint`), ``loss`` and ``grad`` (dL/dp) hold the new values.

    ``panel`` as the last line of a cell displays it; ``figure=False``: state only, no figure.
    """

    def __init__(self, p: float = 0.2, y: float = 1.0, figure: bool = True):
        bce_point(p, y)  # a clear ValueError for a bad starting point
        # Bounds keep p away from 0 and 1, where the loss and dL/dp are infinite. One redraw
        # takes tens of ms, so the picture may follow a drag (continuous_update).
        self.p = W.FloatSlider(value=p, min=0.01, max=0.99, step=0.01, description="p = D(x)",
                               style=_STYLE, layout=_LAYOUT, continuous_update=True)
        self.y = W.FloatSlider(value=y, min=0.0, max=1.0, step=0.05, description="label y (1 real, 0 fake)",
                               style=_STYLE, layout=_LAYOUT)
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
                                  style=_STYLE, layout=_LAYOUT)
        # std > 0 is required; the lower bound also keeps the integration grid small.
        self.std = W.FloatSlider(value=gen_std, min=0.1, max=3.0, step=0.05, description="generator std",
                                 style=_STYLE, layout=_LAYOUT)
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

    Left: p_data, p_g and D*(x) (on a twin axis). Right: V(D*, G) over the generator mean (std fixed).
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
        # On the twin, so the legend is drawn above D*'s dashed line.
        self.leg = tw.legend(h1 + h2, l1 + l2, fontsize=8, loc="upper left")
        self.curve, = ax_v.plot(*empty, color="k", lw=2, label="V(D*, G) for std 0.00")
        self.dot, = ax_v.plot(*empty, "o", color="tab:purple", zorder=3, label="current generator")
        ax_v.axhline(-LOG4, color="tab:green", ls="--", lw=1, label="-log 4 (p_g = p_data)")
        ax_v.axhline(0.0, color="0.6", lw=0.8)
        ax_v.set(xlabel="generator mean", ylabel="V(D*, G)", ylim=(-LOG4 - 0.1, 0.1),
                 title="what G minimises once D is optimal")
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
