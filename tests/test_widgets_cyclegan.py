"""The translator widget of notebook 08, driven headlessly."""
import datetime
import io

import numpy as np
import pytest
import torch
from PIL import Image

from gan_helpers.data.digits import render_digits
from gan_helpers.models.cyclegan import CycleGAN
from gan_helpers.widgets.cyclegan import Translator, drawing_to_domain_A, photo_to_domain_B


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def translator():
    torch.manual_seed(0)
    models = {"with cycle": CycleGAN(g_channels=4, n_blocks=1, d_channels=4, d_layers=2),
              "without": CycleGAN(g_channels=4, n_blocks=1, d_channels=4, d_layers=2)}
    a = torch.rand(5, 3, 32, 32) * 2 - 1
    b, yb = render_digits(7, seed=0)

    class Always3(torch.nn.Module):  # a stand-in classifier that reads every image as 3
        def forward(self, x):
            return torch.nn.functional.one_hot(torch.full((len(x),), 3), 10).float()

    return Translator(models, a, b, labels_A=torch.arange(5), labels_B=yb, clf_A=Always3(), clf_B=Always3())


def test_initial_state_and_one_row_per_model(translator):
    s = translator.state
    assert s["domain"] == "A" and s["source"] == "A[0]" and s["label"] == 0
    assert list(s["rows"]) == ["with cycle", "without"]
    row = s["rows"]["with cycle"]
    assert row["translated"].shape == (1, 3, 32, 32) and row["reconstructed"].shape == (1, 3, 32, 32)
    assert row["pred"] == 3 and s["pred_input"] == 3
    assert translator.image.value[:4] == b"\x89PNG"


def test_slider_and_domain_toggle_drive_the_state(translator):
    translator.index.value = 4
    assert translator.state["source"] == "A[4]" and translator.state["label"] == 4
    m = translator.models["with cycle"]
    with torch.no_grad():
        want = m.G_AB(translator.images["A"][4:5])
    assert torch.allclose(translator.state["rows"]["with cycle"]["translated"], want)
    translator.domain.value = "B"
    assert translator.state["domain"] == "B" and translator.index.max == 6
    translator.index.value = 6
    assert translator.state["source"] == "B[6]"
    with torch.no_grad():
        back = m.G_AB(m.G_BA(translator.images["B"][6:7]))
    assert torch.allclose(translator.state["rows"]["with cycle"]["reconstructed"], back)
    translator.domain.value = "A"  # 5 images: the index is pulled back into range
    assert translator.index.value == 4 and translator.state["source"] == "A[4]"


def test_out_of_range_values_are_refused(translator):
    with pytest.raises(ValueError, match=r"\[0, 4\]"):
        translator.translate("A", 5)
    with pytest.raises(ValueError, match="domain"):
        translator.translate("C", 0)


def test_upload_of_a_drawing_dark_on_light(translator):
    arr = np.full((100, 80), 255, np.uint8)
    arr[20:80, 35:45] = 0  # a black "1" on white paper
    s = translator.load_bytes(png(arr), domain="A")
    assert s["source"] == "upload" and s["domain"] == "A"
    x = s["input"]
    assert x.shape == (1, 3, 32, 32)
    assert x[0, 0, 0, 0] == -1 and x.max() > 0.9  # inverted to white ink on black, like MNIST
    ink = torch.nonzero(x[0, 0] > 0)                # the stroke: 20 px tall, centred (MNIST style)
    assert ink[:, 0].min() == 6 and ink[:, 0].max() == 25
    assert 14 <= ink[:, 1].float().mean() <= 17


def test_upload_through_the_file_widget_and_bad_files(translator):
    rgb = np.zeros((50, 50, 3), np.uint8)
    rgb[..., 2] = 200
    translator.domain.value = "B"
    translator.upload.value = ({"name": "x.png", "type": "image/png", "size": 1, "content": memoryview(png(rgb)),
                                "last_modified": datetime.datetime(2024, 1, 1)},)
    assert translator.state["source"] == "upload" and translator.state["domain"] == "B"
    assert torch.allclose(translator.state["input"][0, 2], torch.full((32, 32), 200 / 127.5 - 1), atol=1e-4)
    translator.upload.value = ({"name": "x.png", "type": "image/png", "size": 1, "content": memoryview(b"junk"),
                                "last_modified": datetime.datetime(2024, 1, 1)},)
    assert "could not read" in translator.message.value
    with pytest.raises(ValueError, match="no visible ink"):
        drawing_to_domain_A(png(np.full((10, 10), 255, np.uint8)))
    with pytest.raises(ValueError, match="bytes of an image"):
        photo_to_domain_B(b"")


def test_constructor_checks():
    m = CycleGAN(g_channels=4, n_blocks=1, d_channels=4, d_layers=2)
    with pytest.raises(ValueError, match="at least one model"):
        Translator({}, torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 32))
    with pytest.raises(ValueError, match="images_B"):
        Translator({"m": m}, torch.zeros(1, 3, 32, 32), torch.zeros(1, 1, 28, 28))


def test_a_huge_upload_is_refused_before_decoding(translator):
    big = Image.new("L", (8000, 8000), 0)          # 64 megapixels, a few kB as PNG
    buf = io.BytesIO()
    big.save(buf, format="PNG")
    with pytest.raises(ValueError, match="megapixels"):
        translator.load_bytes(buf.getvalue())
    assert translator.image.layout.width == "480px"   # drawn at its own size, not the cell's width


def test_translator_displays_its_controls(monkeypatch, translator):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    translator._ipython_display_()  # what Jupyter calls when the cell ends with `translator`
    assert shown == [translator.ui]


@pytest.fixture(scope="module")
def photo_translator():
    torch.manual_seed(0)
    model = CycleGAN(g_channels=4, n_down=2, n_blocks=1, d_channels=4, d_layers=2)
    horses, zebras = torch.rand(3, 3, 48, 48) * 2 - 1, torch.rand(4, 3, 48, 48) * 2 - 1
    return Translator({"h2z": model}, horses, zebras, photos=True)


def test_photo_translator_slider_and_toggle(photo_translator):
    t = photo_translator
    assert [label for label, _ in t.domain.options] == ["A: horses", "B: zebras"]
    assert t.state["rows"]["h2z"]["translated"].shape == (1, 3, 48, 48)
    t.domain.value = "B"
    t.index.value = 3
    with torch.no_grad():
        want = t.models["h2z"].G_BA(t.images["B"][3:4])
    assert t.state["source"] == "B[3]" and torch.allclose(t.state["rows"]["h2z"]["translated"], want)
    t.domain.value = "A"


def test_photo_upload_is_cropped_square_and_resized(photo_translator):
    wide = np.zeros((60, 120, 3), np.uint8)
    wide[:, 30:90] = 255  # a white centre square on black side bands
    s = photo_translator.load_bytes(png(wide), domain="A")
    assert s["source"] == "upload" and s["input"].shape == (1, 3, 48, 48)
    assert float(s["input"].min()) > 0.9  # only the centre square survives: all white


def test_photo_upload_of_a_text_file_says_so(photo_translator):
    photo_translator.upload.value = ({"name": "notes.txt", "type": "text/plain", "size": 5,
                                      "content": memoryview(b"hello"), "last_modified": datetime.datetime.now()},)
    assert "could not read the upload as an image" in photo_translator.message.value


def test_photo_translator_refuses_mismatched_sizes():
    m = CycleGAN(g_channels=4, n_down=2, n_blocks=1, d_channels=4, d_layers=2)
    with pytest.raises(ValueError, match="same size"):
        Translator({"m": m}, torch.zeros(1, 3, 48, 48), torch.zeros(1, 3, 64, 64), photos=True)
    with pytest.raises(ValueError, match=r"\(N, 3, S, S\)"):
        Translator({"m": m}, torch.zeros(1, 3, 48, 40), torch.zeros(1, 3, 48, 40), photos=True)
