"""tools/h2z_compare.py (issue 34): the table rows and the before/after gallery that compare
horse2zebra CycleGAN checkpoints with notebook 08's protocol; a file holding only G_AB gets the
horse -> zebra columns only."""
import sys
from pathlib import Path

import pytest
import torch

from gan_helpers.checkpoints import pretrained_dir, save_checkpoint
from gan_helpers.data.cache import MissingDataError
from gan_helpers.data.horse2zebra import ensure_horse2zebra
from gan_helpers.metrics.photo import load_photo_classifier
from gan_helpers.models.cyclegan import CycleGAN, ResnetGenerator

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
try:
    import h2z_compare as tool
finally:
    sys.path.pop(0)

TINY_G = {"in_channels": 3, "out_channels": 3, "base_channels": 4, "n_down": 2, "n_blocks": 1}
# raw KID units (notebook 08 prints them x 10^3: 64,271 ± 22,444)
AB = {"fid_AB": 46.08, "kid_AB": 64.271, "kid_AB_sd": 22.444, "zebra_share_AB": 0.925}
BA = {"fid_BA": 2.23, "kid_BA": 0.493, "kid_BA_sd": 0.211, "horse_share_BA": 0.95}


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _photos(n: int, seed: int) -> torch.Tensor:
    return torch.rand(n, 3, 64, 64, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.fixture(scope="module")
def clf():
    return load_photo_classifier()


def test_a_full_row_fills_every_column_as_notebook_08_prints_it():
    cells = _cells(tool.table_row("shipped", {"epochs": 20, "steps": 26680}, {**AB, **BA}))
    assert cells == ["shipped", "20", "26,680", "46.1", "64,271 ± 22,444", "92%", "2.2", "493 ± 211", "95%"]
    assert len(cells) == len(tool.COLUMNS) == len(_cells(tool.table_header().splitlines()[0]))


def test_a_G_AB_only_row_leaves_the_zebra_to_horse_columns_empty():
    cells = _cells(tool.table_row("snapshot", {"epoch": 20, "step": 26680}, AB))
    assert cells[:6] == ["snapshot", "20", "26,680", "46.1", "64,271 ± 22,444", "92%"]
    assert cells[6:] == [tool.MISSING] * 3
    assert _cells(tool.table_row("no record", {}, AB))[1:3] == [tool.MISSING] * 2
    with pytest.raises(ValueError, match="horse -> zebra"):
        tool.table_row("empty", {}, BA)


def test_labels_must_match_the_checkpoints():
    assert tool.parse_labels(None, ["a/x.safetensors", "y.safetensors"]) == ["x", "y"]
    assert tool.parse_labels("shipped 20 epochs, e100", ["a", "b"]) == ["shipped 20 epochs", "e100"]
    with pytest.raises(ValueError, match="2 labels for 1"):
        tool.parse_labels("a,b", ["x"])


def test_a_tiny_G_AB_only_checkpoint_is_scored_one_way(tmp_path, clf):
    torch.manual_seed(0)
    path = tmp_path / "g_ab.safetensors"
    save_checkpoint(ResnetGenerator(**TINY_G), path, TINY_G, {"epoch": 3, "step": 30})
    G = tool.load_translator(path)
    assert isinstance(G, ResnetGenerator) and tool.generator_AB(G) is G
    r = tool.horse_to_zebra_scores(G, _photos(6, 0), _photos(7, 1), clf)
    assert set(r) == set(AB) and 0 <= r["zebra_share_AB"] <= 1 and r["kid_AB_sd"] > 0
    cells = _cells(tool.table_row("tiny", G.checkpoint_extra, r))
    assert cells[1:3] == ["3", "30"] and cells[6:] == [tool.MISSING] * 3


def test_a_tiny_cyclegan_checkpoint_loads_as_one(tmp_path):
    config = {"g_channels": 4, "n_down": 2, "n_blocks": 1, "d_channels": 4, "d_layers": 1}
    path = tmp_path / "cyclegan.safetensors"
    save_checkpoint(CycleGAN(**config), path, config)
    model = tool.load_translator(path)
    assert isinstance(model, CycleGAN) and tool.generator_AB(model) is model.G_AB
    with pytest.raises(ValueError, match="expected a horse2zebra CycleGAN"):
        tool.load_translator(pretrained_dir() / "horse2zebra_classifier.safetensors")


def test_the_gallery_is_a_small_png(tmp_path):
    from PIL import Image

    horses = _photos(8, 0)
    path = tool.gallery(horses, [("a", _photos(8, 1)), ("b", horses.flip(-1))], tmp_path / "g" / "gallery.png")
    assert Image.open(path).format == "PNG" and path.stat().st_size < 150_000
    with pytest.raises(ValueError, match="shape"):
        tool.gallery(horses, [("a", horses[:4])], tmp_path / "bad.png")


def test_the_shipped_G_AB_alone_reproduces_the_recorded_horse_to_zebra_scores(clf):
    try:
        ensure_horse2zebra(download=False)
    except MissingDataError as err:
        pytest.skip(f"horse2zebra is not cached: {err}")
    shipped = tool.load_translator(pretrained_dir() / "horse2zebra_cyclegan.safetensors")
    r = tool.scores(shipped.G_AB, clf)  # the G_AB-only path, on the 120 + 140 test photos
    assert set(r) == set(AB)
    stored = shipped.checkpoint_extra["metrics"]  # recorded by translation_report in float32 (see test_shipped_horse2zebra)
    assert r["fid_AB"] == pytest.approx(stored["fid_AB"], rel=5e-3)
    assert r["zebra_share_AB"] == pytest.approx(stored["zebra_share_AB"], abs=0.01)
