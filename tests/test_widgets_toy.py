"""Notebook 02's control panel and live view, driven headlessly (no browser, no kernel)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from gan_helpers.train.toy import ToyGAN, ToyGANConfig  # noqa: E402
from gan_helpers.data.toy2d import grid, ring
from gan_helpers.widgets.toy import ToyGANPanel, ToyView, draw_toy_state, extent_of, runs_table  # noqa: E402


def small_panel():
    return ToyGANPanel([ring(), grid()], ToyGANConfig(width=16, depth=2, batch_size=32, steps=5))


def test_panel_run_uses_the_widget_values(capsys):
    p = small_panel()
    p.data.value = p.data.options[1][1]  # the grid
    p.loss.value = False
    p.lr_D.value, p.lr_G.value = 1e-2, 1e-4
    p.d_steps.value = 3
    p.width.value = 24
    p.batch_size.value = 16
    p.steps.value = 4
    p.seed.value = 7
    m = p.run(live=False)
    cfg = p.gan.cfg
    assert (cfg.non_saturating, cfg.d_steps, cfg.width, cfg.batch_size, cfg.seed) == (False, 3, 24, 16, 7)
    assert abs(cfg.lr_D - 1e-2) < 1e-9 and abs(cfg.lr_G - 1e-4) < 1e-9
    assert p.gan.data.name == "5x5 grid" and m["n_modes"] == 25 and m["step"] == 4
    assert 0 <= m["modes_covered"] <= 25 and 0.0 <= m["high_quality"] <= 1.0
    assert len(p.gan.history["loss_D"]) == 4 and len(p.gan.history["loss_G"]) == 4
    assert p.gan.D.config["width"] == 24
    out = capsys.readouterr().out
    assert "5x5 grid, saturating" in out and "modes covered" in out


def test_each_run_is_kept_and_tabulated():
    p = small_panel()
    p.run(live=False)
    p.seed.value = 1
    p.run(live=False)
    assert len(p.runs) == 2 and [r["seed"] for r in p.runs] == [0, 1]
    table = runs_table(p.runs)
    assert table.count("\n") == 3 and "| ring of 8 | non-saturating |" in table and "%" in table


def test_same_settings_same_result():
    a, b = small_panel(), small_panel()
    assert a.run(live=False) == b.run(live=False)


@pytest.mark.parametrize("field,value,match", [("steps", 0, "steps"), ("steps", 10**6, "steps"),
                                               ("seed", -3, "seed")])
def test_out_of_range_values_are_clear_errors(field, value, match):
    p = small_panel()
    getattr(p, field).value = value
    with pytest.raises(ValueError, match=match):
        p.run(live=False)
    assert p.gan is None and p.runs == []


def test_run_button_reports_bad_values_in_the_panel():
    p = small_panel()
    p.steps.value = -1
    p.button.click()  # the click handler prints into the panel's Output, it does not raise
    assert p.gan is None
    with pytest.raises(ValueError, match="needs at least one dataset"):
        ToyGANPanel([])


def test_sliders_cannot_leave_their_range():
    p = small_panel()
    p.d_steps.value = 99  # ipywidgets clamps sliders; text boxes are checked by run()
    assert p.d_steps.value == p.d_steps.max == 10


def test_view_draws_three_panels():
    gan = ToyGAN(ring(), ToyGANConfig(width=16, depth=2, batch_size=32, steps=3)).train()
    view = ToyView(live=False)
    view(gan)
    ax_s, ax_z, ax_l = view.axes
    assert len(ax_s.images) == 1 and len(ax_s.collections) == 2  # D heat map, real and fake dots
    assert "modes" in ax_s.get_title() and ax_s.get_xlim() == (-extent_of(gan.data), extent_of(gan.data))
    assert len(ax_z.lines) == 2 * 13  # the z grid lines
    assert [l.get_label() for l in ax_l.lines] == ["loss_D", "loss_G"]
    view.close()
    fig, axes = plt.subplots(1, 3)
    gan1 = ToyGAN(grid(), ToyGANConfig(width=8, depth=1, latent_dim=1, steps=1)).train()
    draw_toy_state(axes, gan1)
    assert len(axes[1].lines) == 13  # one family of lines for a 1-D z
    plt.close(fig)


def test_run_button_animates_the_panel_image_without_new_figures(monkeypatch, capsys):
    """Clicking Run redraws the panel's ipywidgets.Image during the run (PNG bytes change
    several times), updates the state and prints the summary, and displays nothing new:
    no pyplot figure is created and IPython's display is never called (JupyterLab does not
    apply display-id updates made from inside a widget Output)."""
    import warnings

    import IPython.display

    p = ToyGANPanel([ring(), grid()], ToyGANConfig(width=16, depth=2, batch_size=32, steps=12), frames=4)
    first = p.image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and p.png == first  # the untrained state, shown at once
    frames = []
    p.image.observe(lambda change: frames.append(change["new"]), names="value")
    displayed = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: displayed.append(a))
    figs_before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # e.g. a tight_layout warning would fail here
        p.button.click()
        p.button.click()  # a second click: still nothing new displayed
    assert displayed == [] and plt.get_fignums() == figs_before
    assert len(frames) == 2 * 4  # 3 frames during each 12-step run (every 3 steps) + the final one
    assert len(set(frames)) >= 3 and frames[-1] != first and p.image.value == frames[-1]
    assert p.gan is not None and p.gan.step == 12 and len(p.runs) == 2 and p.metrics["step"] == 12
    assert p.runs[0]["seconds"] > 0
    out = capsys.readouterr().out
    assert out.count("ring of 8, non-saturating") == 2 and "modes covered" in out and "Cannot run" not in out


def test_panel_rejects_bad_frames():
    with pytest.raises(ValueError, match="frames"):
        ToyGANPanel([ring()], frames=0)


def _px(width: str) -> int:
    assert width.endswith("px"), width
    return int(width[:-2])


def test_panel_puts_the_picture_beside_the_controls_and_fits_a_laptop_screen():
    """Issue 12: controls above a wide picture made the panel 988 px tall (a 768 px screen shows
    either the Run button or the picture). The picture sits beside the controls, at its own
    aspect ratio (not stretched to the row's height), and both fit the ~930 px that JupyterLab
    gives a widget at 1366 x 768 with the file browser open; the whole row is under 768 px."""
    import io

    from PIL import Image

    p = small_panel()
    row = p.ui.children[0]
    assert type(row).__name__ == "HBox" and row.children[1] is p.image and p.ui.children[-1] is p.out
    controls = row.children[0]
    assert p.button in controls.children and p.lr_D in controls.children
    assert p.image.layout.align_self == "flex-start" and row.layout.align_items == "flex-start"
    assert p.image.layout.height == "auto" and p.image.layout.object_fit == "contain"
    w, h = Image.open(io.BytesIO(p.png)).size
    widest = max(_px(c.layout.width) for c in controls.children if c.layout.width)
    assert widest + w <= 930, f"controls {widest}px + picture {w}px do not fit beside each other"
    assert h <= 400 and 1.4 <= w / h <= 1.9   # about as tall as the controls, main axis square-ish


def test_panel_view_arrangement():
    gan = ToyGAN(ring(), ToyGANConfig(width=16, depth=2, batch_size=32, steps=3)).train()
    view = ToyView(live=False, arrangement="panel")
    view(gan)
    ax_s, ax_z, ax_l = view.axes
    # the samples axis spans both rows on the left; z grid above the losses on the right
    s, z, l = (a.get_subplotspec() for a in view.axes)
    assert s.rowspan == range(0, 2) and s.colspan == range(0, 1)
    assert z.rowspan == range(0, 1) and l.rowspan == range(1, 2) and z.colspan == l.colspan == range(1, 2)
    assert len(ax_s.images) == 1 and len(ax_z.lines) == 2 * 13
    with pytest.raises(ValueError, match="arrangement"):
        ToyView(live=False, arrangement="grid")


def test_panel_says_its_sliders_set_the_next_run():
    """Issue 26: the sliders redraw nothing until Run; the panel says so beside them."""
    p = small_panel()
    controls = p.ui.children[0].children[0]
    assert p.hint in controls.children and "press <b>Run</b>" in p.hint.value
    assert controls.children.index(p.hint) == controls.children.index(p.button) - 1
    before = p.png
    p.width.value = 32                                   # a slider step: same picture
    assert p.png == before


@pytest.mark.parametrize("non_saturating,g_level", [(True, 0.6931), (False, -0.6931)])
def test_loss_panel_draws_the_half_half_reference_levels(non_saturating, g_level):
    """Dotted log 4 (D) and +-log 2 (G: the value of each loss when D says 1/2 everywhere), as one
    collection, so the loss curves stay the only lines."""
    gan = ToyGAN(ring(), ToyGANConfig(width=16, depth=2, batch_size=32, steps=3, non_saturating=non_saturating)).train()
    view = ToyView(live=False)
    view(gan)
    ax_l = view.axes[2]
    assert [l.get_label() for l in ax_l.lines] == ["loss_D", "loss_G"] and "dotted" in ax_l.get_title()
    (refs,) = ax_l.collections
    levels = sorted(round(float(seg[0][1]), 4) for seg in refs.get_segments())
    assert levels == sorted([1.3863, g_level])
    view.close()
