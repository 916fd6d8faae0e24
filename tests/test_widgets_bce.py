"""Notebook 01's panels driven headlessly: set a slider, assert on the state."""
import math

import matplotlib
import pytest
import torch
from torch import nn

matplotlib.use("agg")

from gan_helpers.theory.optimal_d import LOG4, Gaussian1D  # noqa: E402
from gan_helpers.widgets.bce import BCEPanel, OptimalDPanel, plot_generator_losses  # noqa: E402


def test_bce_panel_follows_the_sliders():
    panel = BCEPanel(p=0.5, y=1.0)
    assert math.isclose(panel.loss, math.log(2))
    panel.p.value = 0.8
    panel.y.value = 0.0
    want = nn.BCELoss()(torch.tensor([0.8], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64))
    assert math.isclose(panel.loss, float(want), rel_tol=1e-12)
    assert math.isclose(panel.grad, 1 / 0.2, rel_tol=1e-9)          # (p - y) / (p (1 - p))
    assert math.isclose(panel.grad_logit, 0.8)                       # p - y
    assert panel.state.term_1 == 0 and "loss = 1.6094" in panel.readout.value
    # the figure shows the state: the marker on the loss curve sits at (p, loss)
    ax = panel.fig.axes[0]
    marker = [l for l in ax.lines if l.get_marker() == "o"][0]
    assert marker.get_xdata()[0] == 0.8 and math.isclose(marker.get_ydata()[0], panel.loss)
    assert "0.80" in ax.get_title()


def test_bce_panel_bounds_and_errors():
    panel = BCEPanel(figure=False)
    assert 0 < panel.p.min and panel.p.max < 1 and panel.y.min == 0 and panel.y.max == 1
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        panel.compute(1.0, 1.0)
    with pytest.raises(ValueError, match="label y"):
        panel.compute(0.5, 2.0)
    with pytest.raises(ValueError, match="strictly between"):
        BCEPanel(p=0.0, figure=False)


def test_optimal_d_panel_follows_the_sliders():
    panel = OptimalDPanel(Gaussian1D(0.0, 1.0), gen_mean=2.0, gen_std=0.7, sweep_points=11)
    assert panel.value > -LOG4 + 0.1
    panel.mean.value = 0.0
    panel.std.value = 1.0
    assert abs(panel.jsd) < 1e-12 and abs(panel.value + LOG4) < 1e-9   # p_g = p_data
    assert torch.allclose(panel.state.d_star, torch.full_like(panel.state.d_star, 0.5))
    panel.mean.value = 1.0
    assert 0 < panel.jsd < math.log(2) and abs(panel.value - (-LOG4 + 2 * panel.jsd)) < 1e-8
    means, values = panel.mean_sweep
    assert len(means) == 11 and values.argmin() == 5                  # minimum at the data mean 0
    assert "JSD = 0.111" in panel.fig.axes[0].get_title()
    # twin axis is replaced, not stacked, on every redraw
    assert len(panel.fig.axes) == 3


def test_optimal_d_panel_bounds_and_errors():
    panel = OptimalDPanel(figure=False, sweep_points=5)
    assert panel.std.min > 0
    for bad in [0.0, -0.5]:
        with pytest.raises(ValueError, match="std must be positive"):
            panel.compute(0.0, bad)
    with pytest.raises(ValueError, match="finite"):
        panel.compute(float("inf"), 1.0)
    with pytest.raises(ValueError, match="std must be positive"):
        OptimalDPanel(gen_std=0.0, figure=False)


def test_generator_loss_figure():
    fig = plot_generator_losses(n=51)
    assert len(fig.axes) == 3
    sat = fig.axes[1].lines[0].get_ydata()
    assert abs(sat[0]) < 1e-3 and abs(sat[-1] + 1) < 1e-3   # saturating gradient: ~0 at logit -8, ~-1 at +8
    with pytest.raises(ValueError, match="lo < hi"):
        plot_generator_losses(lo=1, hi=0)


class _Handle:
    """Stands in for IPython's DisplayHandle: keeps what each update would show."""
    def __init__(self):
        self.shown = []

    def update(self, obj):
        self.shown.append(obj.data)


def _pixels(png: bytes):
    import io

    import numpy as np
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_show_displays_the_sliders_then_a_png_that_every_change_replaces(monkeypatch):
    import IPython.display
    import matplotlib.pyplot as plt

    shown, handle = [], _Handle()

    def fake_display(obj, display_id=False):
        shown.append(obj)
        return handle if display_id else None

    monkeypatch.setattr(IPython.display, "display", fake_display)
    figs = plt.get_fignums()
    panel = BCEPanel(p=0.3, y=1.0)
    panel._ipython_display_()
    assert shown[0] is panel.ui and isinstance(shown[1], IPython.display.Image)
    first = shown[1].data
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    panel.p.value = 0.6
    panel.y.value = 0.0
    assert len(handle.shown) == 2 and len(set([first, *handle.shown])) == 3   # one new picture per change
    assert "0.60" in panel.fig.axes[0].get_title()
    assert plt.get_fignums() == figs          # off-screen figure: pyplot never shows it a second time


@pytest.mark.parametrize("make,slider,values", [
    (lambda: BCEPanel(p=0.3), "p", [0.5, 0.9, 0.05]),
    (lambda: BCEPanel(p=0.3), "y", [0.0, 0.9]),
    (lambda: OptimalDPanel(sweep_points=11), "mean", [-1.0, 3.5]),
    (lambda: OptimalDPanel(sweep_points=11), "std", [0.15, 2.5]),
])
def test_blitted_picture_matches_a_full_render(make, slider, values):
    """The fast path (cached background + changing artists) shows what a full redraw shows."""
    import io

    import numpy as np
    panel = make()
    panel.png()
    for v in values:
        getattr(panel, slider).value = v
        fast = _pixels(panel.png())
        buf = io.BytesIO()
        panel.fig.savefig(buf, format="png")          # a full draw of every artist
        full = _pixels(buf.getvalue())
        assert fast.shape == full.shape
        differ = (np.abs(fast - full).sum(axis=-1) > 30).mean()
        assert differ < 0.002, f"{slider}={v}: {100 * differ:.2f}% of the pixels differ from a full render"


def test_background_is_drawn_once_while_limits_stay():
    panel = BCEPanel(p=0.3)
    pngs = [panel.png()]
    for v in [0.4, 0.5, 0.6]:
        panel.p.value = v
        pngs.append(panel.png())
    assert panel.background_draws == 1 and len(set(pngs)) == 4
    opt = OptimalDPanel(gen_std=0.7, sweep_points=11)
    opt.png()
    for m in [1.0, 0.0, -2.0]:
        opt.mean.value = m
        opt.png()
    assert opt.background_draws == 1            # moving the mean keeps the density axis
    opt.std.value = 0.15                        # a tall, narrow p_g: the density axis grows
    opt.png()
    assert opt.background_draws == 2 and opt.fig.axes[0].get_ylim()[1] >= 2.5


def test_optimal_d_sweep_is_computed_once_per_std(monkeypatch):
    panel = OptimalDPanel(gen_std=0.7, sweep_points=11, figure=False)
    calls = []
    real = panel.compute
    monkeypatch.setattr(panel, "compute", lambda m, s: calls.append((m, s)) or real(m, s))
    sweep = panel.mean_sweep
    panel.mean.value = 1.0
    assert len(calls) == 1 and panel.mean_sweep is sweep        # only the new state, no new sweep
    panel.std.value = 1.0
    assert len(calls) == 1 + 1 + 11                             # state + a sweep for the new std
    panel.std.value = 0.7
    assert len(calls) == 1 + 1 + 11 + 1 and panel.mean_sweep is sweep   # back to a cached std
    with pytest.raises(ValueError, match="sweep_points"):
        OptimalDPanel(sweep_points=1, figure=False)


def test_panel_without_figure_has_no_picture():
    with pytest.raises(ValueError, match="figure=False"):
        BCEPanel(figure=False).png()
