"""Notebook 01's panels driven headlessly: set a slider, assert on the state."""
import math

import matplotlib
import pytest
import torch
from torch import nn

matplotlib.use("agg")

from gan_helpers.theory import LOG4, Gaussian1D  # noqa: E402
from gan_helpers.widgets.bce import BCEPanel, OptimalDPanel, plot_generator_losses  # noqa: E402


def test_bce_panel_follows_the_sliders():
    panel = BCEPanel(p=0.5, y=1.0, live=False)
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
    panel = OptimalDPanel(Gaussian1D(0.0, 1.0), gen_mean=2.0, gen_std=0.7, live=False, sweep_points=11)
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


def test_show_makes_a_live_figure_that_follows_the_sliders(capsys):
    panel = BCEPanel(p=0.3, y=1.0)            # live: no figure until show()
    assert panel.fig is None
    panel._ipython_display_()
    assert panel.fig is not None
    panel.p.value = 0.6
    assert "0.60" in panel.fig.axes[0].get_title()
    capsys.readouterr()
