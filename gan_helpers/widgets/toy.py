"""The control panel and live view of notebook 02 (a GAN you can watch on 2-D toy data,
in the spirit of GAN Lab, Kahng et al. 2019; data and metric from Metz et al. 2017 and
Srivastava et al. 2017).

``ToyView`` draws real and generated samples over D's output as a heat map, where G sends a
grid of z, and the two losses: in place in a cell's output, or off-screen as PNG bytes.
``ToyGANPanel`` owns the widgets and shows its live view as an ``ipywidgets.Image``; its
``run()`` reads them, trains a :class:`gan_helpers.train.ToyGAN` and returns the metrics,
so tests drive it without a browser.
"""
from __future__ import annotations

import math
import time

import ipywidgets as W
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from ..plotting import LiveFigure, figure_png, plot_curves
from ..data.toy2d import Mixture
from ..train.toy import ToyGAN, ToyGANConfig
from ..metrics.modes import format_coverage, mode_coverage


def extent_of(data: Mixture, margin: float = 1.5) -> float:
    """Half-width of a square view that holds every mode plus ``margin``."""
    return float(data.modes.abs().max()) + margin


@torch.no_grad()
def draw_toy_state(axes, gan: ToyGAN, n: int = 1000, resolution: int = 80, lines: int = 13) -> None:
    """Draw ``gan``'s state on three axes: samples over D's heat map, G's map of a z grid, losses."""
    ax_s, ax_z, ax_l = axes
    r = extent_of(gan.data)
    ticks = torch.linspace(-r, r, resolution)
    gx, gy = torch.meshgrid(ticks, ticks, indexing="xy")
    pts = torch.stack([gx.ravel(), gy.ravel()], dim=1).to(gan.device)       # (R*R, 2)
    d_prob = torch.sigmoid(gan.D(pts)).reshape(resolution, resolution).cpu()  # D(x) in (0, 1)
    real = gan.data.sample(n, torch.Generator().manual_seed(0))
    fake = gan.samples(n)
    ax_s.clear()
    ax_s.imshow(d_prob.numpy(), extent=(-r, r, -r, r), origin="lower", cmap="PiYG", vmin=0, vmax=1, alpha=0.6)
    ax_s.scatter(real[:, 0], real[:, 1], s=3, c="darkgreen", label="real")
    ax_s.scatter(fake[:, 0], fake[:, 1], s=3, c="purple", alpha=0.5, label="generated")
    cov = mode_coverage(gan.samples(2500), gan.data.modes, gan.data.std)
    ax_s.set(xlim=(-r, r), ylim=(-r, r), aspect="equal",
             title=f"step {gan.step}: {cov['modes_covered']}/{cov['n_modes']} modes, "
                   f"{100 * cov['high_quality']:.0f}% HQ\n(background: D(x), green = 'real')")
    ax_s.legend(loc="upper right", fontsize=7, markerscale=3)

    # Where G sends straight lines of z (the first two latent dimensions; the rest held at 0).
    ax_z.clear()
    u = torch.linspace(-2.5, 2.5, lines)
    t = torch.linspace(-2.5, 2.5, 100)
    for k, (a, b) in enumerate([(0, 1), (1, 0)]):
        for v in u:
            z = torch.zeros(len(t), gan.cfg.latent_dim)
            z[:, a] = t
            if gan.cfg.latent_dim > 1:
                z[:, b] = v
            x = gan.G(z.to(gan.device)).cpu()
            ax_z.plot(x[:, 0], x[:, 1], lw=0.7, color=plt.cm.viridis(float(v + 2.5) / 5), alpha=0.8)
        if gan.cfg.latent_dim == 1:
            break
    ax_z.scatter(gan.data.modes[:, 0], gan.data.modes[:, 1], marker="x", c="k", s=25, zorder=3)
    ax_z.set(xlim=(-r, r), ylim=(-r, r), aspect="equal", title="G's image of a z grid (x = modes)")

    ax_l.clear()
    if len(gan.history):
        # Smooth over at most 25 steps, and never so much that a short run leaves one point.
        plot_curves(gan.history.as_dict(), ax=ax_l, smooth=max(1, min(25, len(gan.history) // 10)))
        # Dotted: each loss if D said 1/2 everywhere: log 4 for D; log 2 for the non-saturating G
        # loss -log D(G(z)), -log 2 for the saturating log(1 - D(G(z))). Drawn as one collection,
        # so ax_l.lines holds only the two curves.
        g_level = math.log(2) if gan.cfg.non_saturating else -math.log(2)
        ax_l.hlines([math.log(4), g_level], 0, max(1, len(gan.history) - 1), colors="gray", linestyles=":", lw=1)
        ax_l.set_title(f"losses (dotted: log 4 and {'' if gan.cfg.non_saturating else '-'}log 2)")


class ToyView:
    """The three-panel figure of a :class:`ToyGAN`: samples over D's heat map, G's map of a z
    grid, the losses.

    ``live=True``: shown once in the cell's output and updated in place by display id (use it
    at the top level of a cell, as notebook 02's ``watch`` does). ``live=False``: an off-screen
    figure, unknown to pyplot, so nothing is shown at the end of the cell and repeated redraws
    never pile up figures; :meth:`png` renders it (the control panel puts that into an
    ``ipywidgets.Image``, because display-id updates from inside a widget ``Output`` are not
    applied by JupyterLab).

    ``arrangement="row"``: the three axes side by side (``figsize`` defaults to 13 x 4.2 in).
    ``"panel"``: the samples large on the left, the z grid and the losses stacked on the right,
    so the picture is compact enough to sit beside the control panel's widgets
    (``figsize`` defaults to 7.6 x 4.5 in: 547 x 324 px at the panel's 72 dpi).
    """
    ARRANGEMENTS = {"row": (13, 4.2), "panel": (7.6, 4.5)}

    def __init__(self, live: bool = True, figsize=None, arrangement: str = "row"):
        if arrangement not in self.ARRANGEMENTS:
            raise ValueError(f"arrangement must be one of {sorted(self.ARRANGEMENTS)}, got {arrangement!r}")
        figsize = figsize or self.ARRANGEMENTS[arrangement]
        if live:
            self._live = LiveFigure(1, 3, figsize=figsize)
            self.fig, self.axes = self._live.fig, self._live.axes
        else:
            self._live = None
            # Constrained layout is redone at every draw; tight_layout warns on some frames.
            self.fig = Figure(figsize=figsize, layout="constrained")
            self.axes = list(self.fig.subplots(1, 3))
        if arrangement == "panel":
            spec = self.fig.add_gridspec(2, 2, width_ratios=(1.45, 1))
            for ax, where in zip(self.axes, (spec[:, 0], spec[0, 1], spec[1, 1])):
                ax.set_subplotspec(where)

    def __call__(self, gan: ToyGAN) -> None:
        """Redraw for ``gan`` (usable as ``ToyGAN.train``'s callback)."""
        draw_toy_state(self.axes, gan)
        if self._live is not None:
            self._live.update()

    def png(self, dpi: int = 72) -> bytes:
        """PNG bytes of the current drawing."""
        return figure_png(self.fig, dpi=dpi, close=False)

    def close(self) -> None:
        if self._live is not None:
            self._live.close()


class ToyGANPanel:
    """Widgets for one toy GAN run and a Run button; every run is measured and kept.

    ``datasets``: the mixtures offered in the dropdown. The sliders set the next run only (``hint``
    says so beside them); the live view is an ``ipywidgets.Image`` (``image``) beside the
    controls (``ui`` is a VBox of an HBox [controls, image] and ``out``): during a run the
    off-screen figure is redrawn ``frames`` times
    and its PNG assigned to ``image.value``, so D's heat map and the samples move while it trains
    and no new figure is created per click. Printed summaries go to the panel's ``out``.
    After ``run()``: ``gan`` (the trained ToyGAN), ``metrics`` (its coverage dict), ``runs`` (one
    row per run: settings + metrics, with ``seconds``) and ``png`` (the last frame, also shown
    before the first run: the untrained G and D, so the panel never starts empty).
    """

    HINT = ('<div style="line-height: 1.35"><i>These settings are for the next run: press <b>Run</b> '
            "to train a new GAN with them and redraw the picture.</i></div>")

    def __init__(self, datasets: list[Mixture], cfg: ToyGANConfig | None = None,
                 device: str | torch.device = "cpu", frames: int = 8):
        if not datasets:
            raise ValueError("ToyGANPanel needs at least one dataset (e.g. [ring(), grid()])")
        if not isinstance(frames, int) or frames < 1:
            raise ValueError(f"frames must be a positive int, got {frames!r}")
        cfg = (cfg or ToyGANConfig()).validate()
        self.device, self.frames = device, frames
        # Narrow controls (365 px) so that the picture fits beside them in JupyterLab's notebook
        # area at 1366 x 768 with the file browser open (about 930 px for a widget).
        style = {"description_width": "130px"}
        lay = W.Layout(width="365px")
        self.data = W.Dropdown(options=[(d.name, d) for d in datasets], description="data", style=style, layout=lay)
        self.loss = W.ToggleButtons(options=[("non-saturating", True), ("saturating", False)],
                                    value=cfg.non_saturating, description="G loss",
                                    style={**style, "button_width": "130px"})
        self.lr_D = W.FloatLogSlider(value=cfg.lr_D, base=10, min=-5, max=-1, step=0.1, readout_format=".1e",
                                     description="lr D", style=style, layout=lay)
        self.lr_G = W.FloatLogSlider(value=cfg.lr_G, base=10, min=-5, max=-1, step=0.1, readout_format=".1e",
                                     description="lr G", style=style, layout=lay)
        self.d_steps = W.IntSlider(value=cfg.d_steps, min=1, max=10, description="D steps per G step",
                                   style=style, layout=lay)
        self.width = W.IntSlider(value=cfg.width, min=8, max=512, step=8, description="width", style=style, layout=lay)
        self.batch_size = W.IntSlider(value=cfg.batch_size, min=8, max=1024, step=8, description="batch size",
                                      style=style, layout=lay)
        # Plain text boxes (not bounded ones, which would silently clip): run() checks the range.
        self.seed = W.IntText(value=cfg.seed, description="seed", style=style)
        self.steps = W.IntText(value=cfg.steps, description="steps", style=style)
        self.button = W.Button(description="Run", button_style="success", icon="play")
        self.out = W.Output()
        self.view = ToyView(live=False, arrangement="panel")
        # Beside the controls, at the PNG's own size: an HBox stretches its children to the
        # row's height by default (align-items: stretch), which would distort the picture.
        # It may shrink (never grow) with a narrower window, keeping its aspect ratio.
        self.image = W.Image(format="png", layout=W.Layout(align_self="flex-start", flex="0 1 auto", min_width="0",
                                                              height="auto", object_fit="contain"))
        self.button.on_click(self._on_click)
        self._base = cfg
        self.gan: ToyGAN | None = None
        self.metrics: dict | None = None
        self.runs: list[dict] = []
        self._show(ToyGAN(self.data.value, self.config(), self.device))  # step 0: untrained G and D
        # The settings only take effect when Run trains a new GAN (a slider step cannot redraw a
        # run that has not happened): the panel says so beside them, so a learner who moves a
        # slider and sees no change knows why (issue 26).
        self.hint = W.HTML(self.HINT, layout=W.Layout(width="365px"))
        controls = W.VBox([self.data, self.loss, self.lr_D, self.lr_G, self.d_steps, self.width,
                           self.batch_size, self.seed, self.steps, self.hint, self.button])
        # Controls and picture side by side (together they fit a 1366 x 768 screen in
        # JupyterLab), printed run summaries below.
        self.ui = W.VBox([W.HBox([controls, self.image], layout=W.Layout(align_items="flex-start")), self.out])

    @property
    def png(self) -> bytes:
        """The PNG the panel shows now (for ``IPython.display.Image``, e.g. on GitHub)."""
        return self.image.value

    def _show(self, gan: ToyGAN) -> None:
        self.view(gan)
        self.image.value = self.view.png()

    def config(self) -> ToyGANConfig:
        """The settings the widgets show, checked (ValueError names a value out of range)."""
        c = ToyGANConfig(non_saturating=self.loss.value, lr_D=float(self.lr_D.value), lr_G=float(self.lr_G.value),
                         d_steps=self.d_steps.value, width=self.width.value, depth=self._base.depth,
                         latent_dim=self._base.latent_dim, batch_size=self.batch_size.value,
                         steps=self.steps.value, seed=self.seed.value, beta1=self._base.beta1)
        return c.validate()  # one range per field, in one place (ToyGANConfig.validate)

    def run(self, live: bool = True) -> dict:
        """Train with the current settings, print and return the coverage metrics.

        ``live=True`` redraws the panel's image ``frames`` times during the run and once at the
        end; ``live=False`` (tests) trains without drawing.
        """
        cfg = self.config()
        gan = ToyGAN(self.data.value, cfg, self.device)
        t0 = time.perf_counter()
        if live:
            gan.train(callback=self._show, every=max(1, cfg.steps // self.frames))
        else:
            gan.train()
        seconds = time.perf_counter() - t0
        self.gan, self.metrics = gan, gan.evaluate()
        loss = "non-saturating" if cfg.non_saturating else "saturating"
        self.runs.append({"data": gan.data.name, "loss": loss, "lr_D": cfg.lr_D, "lr_G": cfg.lr_G,
                          "d_steps": cfg.d_steps, "width": cfg.width, "batch": cfg.batch_size,
                          "seed": cfg.seed, "steps": cfg.steps, "seconds": seconds, **self.metrics})
        print(f"{gan.data.name}, {loss}, lr D {cfg.lr_D:.1e}, lr G {cfg.lr_G:.1e}, {cfg.d_steps} D step(s), "
              f"width {cfg.width}, batch {cfg.batch_size}, seed {cfg.seed}, {cfg.steps} steps -> "
              + format_coverage(self.metrics) + f" ({seconds:.0f} s)")
        return self.metrics

    def _on_click(self, _button) -> None:
        with self.out:
            try:
                self.run()
            except (ValueError, FloatingPointError) as err:
                print(f"Cannot run: {err}")


def runs_table(rows: list[dict], keys=("data", "loss", "lr_D", "lr_G", "d_steps", "batch", "steps",
                                       "modes_covered", "n_modes", "high_quality")) -> str:
    """A Markdown table of runs (for IPython.display.Markdown)."""
    def fmt(key, v):
        if key == "high_quality":
            return f"{100 * v:.1f}%"
        return f"{v:.1e}" if isinstance(v, float) else str(v)
    head = "| " + " | ".join(keys) + " |\n|" + "---|" * len(keys) + "\n"
    return head + "\n".join("| " + " | ".join(fmt(k, r[k]) for k in keys) + " |" for r in rows)
