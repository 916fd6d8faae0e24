"""The colouriser widget of notebook 07 (pix2pix), driven headlessly."""
import datetime
import io
import time

import numpy as np
import pytest
import torch
from PIL import Image

from gan_helpers.data.pairs import colour_pair, colour_to_rgb
from gan_helpers.models.pix2pix import UNetGenerator
from gan_helpers.widgets.pix2pix import ALL, PANEL, Colouriser

NAMES = ["L1 + cGAN", "L1 only", "cGAN only", "no skips"]


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def upload(content: bytes) -> tuple:
    return ({"name": "x.png", "type": "image/png", "size": len(content), "content": memoryview(content),
             "last_modified": datetime.datetime(2024, 1, 1)},)


def tiny_models(base=4, n_down=3):
    torch.manual_seed(0)
    return {name: UNetGenerator(1, 2, base_channels=base, n_down=n_down, skips=name != "no skips")
            for name in NAMES}


@pytest.fixture(scope="module")
def photos():
    return torch.rand(5, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1


@pytest.fixture
def col(photos):
    return Colouriser(tiny_models(), photos)


def panel_count(c) -> int:
    return Image.open(io.BytesIO(c.image.value)).width // PANEL


def test_initial_state_shows_every_model_and_the_truth(col, photos):
    s = col.state
    assert s["source"] == "test photo 0" and s["model"] == ALL and list(col.model.options) == NAMES + [ALL]
    assert list(s["outputs"]) == NAMES and s["input"].shape == (1, 1, 32, 32)
    assert torch.equal(s["truth"], photos[:1])
    assert col.image.value[:4] == b"\x89PNG" and panel_count(col) == 1 + len(NAMES) + 1   # L, 4 models, truth
    assert col.image.layout.width == f"{Image.open(io.BytesIO(col.image.value)).width}px"


def test_outputs_are_the_models_colours_on_the_photos_lightness(col, photos):
    s = col.show(3, "L1 only")
    L, ab = colour_pair(photos[3:4])
    G = col.models["L1 only"]
    with torch.no_grad():
        want = G(L)
    assert s["source"] == "test photo 3" and list(s["outputs"]) == ["L1 only"]
    assert torch.allclose(s["input"], L) and torch.allclose(s["ab"]["L1 only"], want)
    assert torch.allclose(s["outputs"]["L1 only"], colour_to_rgb(L, want))
    assert s["l1"]["L1 only"] == pytest.approx(float((want - ab).abs().mean()))
    grey = s["grey"][0]
    assert (grey.max(0).values - grey.min(0).values).max() < 1e-4     # the input panel has no colour
    assert s["chroma"]["truth"] > 10 and panel_count(col) == 3          # L, one model, truth
    assert col.index.value == 3 and col.model.value == "L1 only"        # the widgets follow show()


def test_slider_and_model_buttons_drive_the_state(col):
    col.model.value = "cGAN only"
    assert col.state["model"] == "cGAN only" and col.state["source"] == "test photo 0"
    col.index.value = 4
    assert col.state["source"] == "test photo 4" and list(col.state["outputs"]) == ["cGAN only"]
    col.model.value = ALL
    assert col.state["source"] == "test photo 4" and list(col.state["outputs"]) == NAMES


def test_models_are_in_eval_mode_so_a_redraw_is_repeatable(col):
    assert not any(m.training for m in col.models.values())
    a = col.show(2, "no skips")["ab"]["no skips"]
    assert torch.equal(a, col.show(2, "no skips")["ab"]["no skips"])   # dropout off


def test_out_of_range_values_are_refused(col):
    with pytest.raises(ValueError, match=r"index must be an int in \[0, 4\]"):
        col.show(5)
    with pytest.raises(ValueError, match="index must be an int"):
        col.show(1.5)
    with pytest.raises(ValueError, match="model_name must be one of"):
        col.show(0, "pix2pix")
    with pytest.raises(ValueError, match="model_name must be one of"):
        col.load_bytes(png(np.zeros((8, 8, 3), np.uint8)), "nope")
    assert col.show(np.int64(2))["source"] == "test photo 2"   # a numpy index (e.g. from argmax) is fine


def test_upload_is_cropped_resized_and_has_no_truth(col):
    wide = np.zeros((60, 120, 3), np.uint8)
    wide[:, 30:90] = (200, 40, 40)  # a red centre square on black side bands
    s = col.load_bytes(png(wide), "L1 + cGAN")
    assert s["source"] == "upload" and s["truth"] is None and s["l1"] == {} and "truth" not in s["chroma"]
    want = colour_pair(torch.tensor([200, 40, 40]).view(1, 3, 1, 1) / 127.5 - 1)[0]
    assert torch.allclose(s["input"], want.expand(1, 1, 32, 32), atol=1e-3)   # only the centre survives
    assert panel_count(col) == 2 and "no truth" in col.message.value
    col.model.value = ALL                         # switching models redraws the upload, not a test photo
    assert col.state["source"] == "upload" and list(col.state["outputs"]) == NAMES and panel_count(col) == 5
    col.index.value = 1                           # the slider goes back to the test photos
    assert col.state["source"] == "test photo 1"


def test_upload_through_the_file_widget_and_bad_files(col):
    rgb = np.full((40, 40, 3), 128, np.uint8)
    col.upload.value = upload(png(rgb))
    assert col.state["source"] == "upload"
    before = col.state
    col.upload.value = upload(b"junk")
    assert "could not read the upload as an image" in col.message.value and col.state is before


def test_constructor_checks(photos):
    G = UNetGenerator(1, 2, base_channels=4, n_down=3)
    with pytest.raises(ValueError, match="at least one model"):
        Colouriser({}, photos)
    with pytest.raises(ValueError, match=r"\(N, 3, S, S\)"):
        Colouriser({"m": G}, torch.zeros(2, 3, 32, 24))
    with pytest.raises(ValueError, match=r"\(N, 3, S, S\)"):
        Colouriser({"m": G}, torch.zeros(0, 3, 32, 32))
    with pytest.raises(ValueError, match=r"in \[-1, 1\]"):
        Colouriser({"m": G}, photos * 255)
    with pytest.raises(ValueError, match="must be a colouriser"):
        Colouriser({"edges": UNetGenerator(1, 3, base_channels=4, n_down=3)}, photos)
    with pytest.raises(ValueError, match="multiple of 16"):
        Colouriser({"m": UNetGenerator(1, 2, base_channels=4, n_down=4)}, photos[..., :24, :24])
    with pytest.raises(ValueError, match="names must be strings other than 'all'"):
        Colouriser({"all": G}, photos)
    one = Colouriser({"m": G}, photos)
    assert list(one.model.options) == ["m"] and one.state["model"] == "m"   # no "all" button for one model


def test_colouriser_displays_its_controls(monkeypatch, col):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    col._ipython_display_()
    assert shown == [col.ui]


def test_a_redraw_is_fast_at_the_shipped_size():
    """Four U-Nets of the recipe's size (24 channels, 64 px, about 1.5M parameters each): a redraw
    with all four is a few forward passes and one small PNG."""
    torch.manual_seed(0)
    models = {name: UNetGenerator(1, 2, base_channels=24, n_down=6, max_mult=4, skips=name != "no skips")
              for name in NAMES}
    c = Colouriser(models, torch.rand(3, 3, 64, 64) * 2 - 1)
    times = []
    for i in (1, 2, 0, 1, 2):
        t0 = time.perf_counter()
        c.index.value = i
        times.append(1000 * (time.perf_counter() - t0))
    print(f"\ncolouriser redraw, 4 models at 64 px: median {sorted(times)[2]:.0f} ms "
          f"(state['ms'] {c.state['ms']:.0f} ms), PNG {len(c.image.value) / 1000:.0f} kB")
    assert sorted(times)[2] < 1000  # generous: about 30 ms on one core, but the CPU may be shared
