"""Notebook 06's panels driven headlessly: move a slider or press Run, assert on the state."""
import pytest

from gan_helpers.stabilizers.games import wgan_gp
from gan_helpers.data.toy2d import grid, ring
from gan_helpers.widgets.wgan import DistancePanel, GamePanel


def test_distance_panel_follows_its_sliders():
    p = DistancePanel(theta=0.0, sigma=0.1)
    curves_png, first = p.image.value, p.image_x.value
    assert p.state["js"] == pytest.approx(0.0, abs=1e-9)
    p.theta.value = 2.0
    assert p.state["js"] == pytest.approx(0.693, abs=1e-3) and p.state["w1"] == 2.0
    assert p.state["grad_minimax"] < 1e-12 < p.state["grad_ns"]
    assert p.image_x.value != first                  # the densities were redrawn
    assert p.image.value == curves_png               # the curves depend on sigma only
    p.sigma.value = 0.3
    assert p.image.value != curves_png and p.state["sigma"] == 0.3
    assert "JSD" in p.readout.value
    assert p.ui.children[1] is p.image_x and p.ui.children[2] is p.image  # pictures beside the controls


def test_distance_panel_refuses_values_out_of_range():
    p = DistancePanel()
    p.sigma.value = 0.05
    p.sigma.max = 5.0
    p.sigma.value = 4.0  # a learner widened the slider: the panel says what is allowed
    assert "sigma must be in [0.05, 0.5]" in p.readout.value
    with pytest.raises(ValueError, match="sigma must be in"):
        p.update()


def test_game_panel_runs_the_chosen_game():
    panel = GamePanel([ring(), grid()], steps=3)
    before = panel.png
    panel.game.value = dict(panel.game.options)["WGAN-GP"]
    assert panel.game.value.name == "WGAN-GP"
    metrics = panel.run(live=False)
    assert panel.run_.step == 3 and panel.run_.fix == wgan_gp()
    assert metrics["n_modes"] == 8 and panel.png != before
    assert panel.runs[-1]["game"] == "WGAN-GP" and "averaged G" in panel.summary.value
    shown = panel.png
    panel.averaged.value = True                       # redraws the same run with the averaged G
    assert panel.png != shown


def test_game_panel_refuses_bad_steps():
    panel = GamePanel([ring()], steps=3, max_steps=100)
    panel.steps.value = 0
    with pytest.raises(ValueError, match="steps must be an int in"):
        panel.run(live=False)
    panel.steps.value = 101
    panel._on_click(None)                             # a click shows the message instead of a traceback
    assert "Cannot run" in panel.summary.value


def _png_size(png: bytes):
    import io

    from PIL import Image
    return Image.open(io.BytesIO(png)).size


def test_pictures_are_shown_at_their_own_size():
    """Issue 26: in the panels' HBox a picture stretched to the row's height (259x223 drawn
    259x260); each Image now has the PNG's width, auto height and does not stretch."""
    p, g = DistancePanel(), GamePanel([ring()], steps=3)
    for image in (p.image_x, p.image, g.image):
        w, h = _png_size(image.value)
        assert image.layout.width == f"{w}px" and image.layout.height == "auto"
        assert image.layout.align_self == "flex-start"


def test_distance_panel_updates_its_lines_instead_of_redrawing_them():
    p = DistancePanel(theta=0.5, sigma=0.1)
    lines = (list(p.ax_x.lines), list(p.ax_d.lines), list(p.ax_g.lines))
    p.theta.value = 1.5
    p.sigma.value = 0.2
    p.sigma.value = 0.1                                  # back: the curves come from the cache
    assert (list(p.ax_x.lines), list(p.ax_d.lines), list(p.ax_g.lines)) == lines
    assert sorted(p._curves_cache) == [0.1, 0.2]
    x, y = p.line_q.get_data()
    assert abs(x[y.argmax()] - 1.5) < 0.05               # G's bump sits at theta
    assert p.ax_x.get_title() == "θ = 1.50"


def test_blitted_pictures_match_a_full_render():
    """The fast path (cached axes + changing lines) shows what drawing every artist shows."""
    import io

    import numpy as np
    from PIL import Image

    def pixels(png):
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)

    p = DistancePanel(theta=0.5, sigma=0.1)
    for theta, sigma in [(2.0, 0.1), (2.0, 0.35), (0.3, 0.35)]:
        p.theta.value, p.sigma.value = theta, sigma
        for fig, png in [(p.fig_x, p.image_x.value), (p.fig, p.image.value)]:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=fig.dpi)
            fast, full = pixels(png), pixels(buf.getvalue())
            assert fast.shape == full.shape
            assert (np.abs(fast - full).sum(axis=-1) > 30).mean() < 0.002, (theta, sigma)
