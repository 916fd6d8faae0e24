"""The README's pictures (issue 35; gan_helpers/widgets/figures.py): `python -m gan_helpers
figures --smoke` draws every one from the shipped weights; without the horse2zebra photos it
stops and says where they go; the committed docs/img holds exactly the pictures the command
draws and the README shows, each small; `make figures` is wired."""
import re
from pathlib import Path

import pytest
from PIL import Image

from gan_helpers.__main__ import main
from gan_helpers.widgets import figures

REPO = Path(__file__).resolve().parents[1]
DOCS_IMG = REPO / "docs" / "img"


def _horse2zebra_available(mirror) -> bool:
    from gan_helpers.data.cache import data_root
    return any((root / "horse2zebra" / "testA").is_dir() for root in (data_root(), mirror))


def test_smoke_run_draws_every_picture(tmp_path, mnist_mirror, monkeypatch, capsys):
    monkeypatch.setenv("GAN_DATA_MIRROR", str(mnist_mirror))
    if not _horse2zebra_available(mnist_mirror):
        pytest.skip("no horse2zebra photos in the cache or the mirror")
    assert main(["figures", "--smoke", "--out", str(tmp_path)]) == 0
    written = sorted(p.stem for p in tmp_path.glob("*.png"))
    assert written == sorted(figures.NAMES)
    for name in figures.NAMES:
        path = tmp_path / f"{name}.png"
        with Image.open(path) as im:
            assert im.format == "PNG" and min(im.size) >= 32, (name, im.size)
        assert path.stat().st_size <= figures.MAX_BYTES
    out = capsys.readouterr().out
    assert "smoke mode" in out and out.count("wrote ") == len(figures.NAMES)


def test_smoke_mode_never_writes_into_docs_img(monkeypatch, capsys):
    monkeypatch.setenv("GAN_SMOKE", "1")
    before = {p.name: p.stat().st_mtime_ns for p in DOCS_IMG.glob("*.png")}
    [path] = figures.make_figures(only=["vanilla_digits"])
    assert path.parent != DOCS_IMG and path.exists()
    assert {p.name: p.stat().st_mtime_ns for p in DOCS_IMG.glob("*.png")} == before


def test_missing_photos_stop_the_command_and_say_where_they_go(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "cache"))   # an empty cache
    monkeypatch.delenv("GAN_DATA_MIRROR", raising=False)           # and no mirror
    out = tmp_path / "img"
    assert main(["figures", "--smoke", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "horse2zebra" in err and "testA" in err and "gan_helpers data --horse2zebra" in err
    assert not list(out.glob("*.png")), "nothing is drawn, and nothing is substituted, without the photos"


def test_unknown_figure_is_a_usage_error(tmp_path, capsys):
    assert main(["figures", "--smoke", "--out", str(tmp_path), "--only", "mona_lisa"]) == 2
    assert "toy_ring" in capsys.readouterr().err


def test_docs_img_holds_what_the_command_draws_and_the_readme_shows():
    committed = sorted(p.stem for p in DOCS_IMG.glob("*.png"))
    assert committed == sorted(figures.NAMES), "run `make figures` (and remove pictures it no longer draws)"
    for p in DOCS_IMG.glob("*.png"):
        assert p.stat().st_size <= figures.MAX_BYTES, f"{p} is too large for a README picture"
    readme = (REPO / "README.md").read_text()
    shown = re.findall(r'src="docs/img/([\w-]+)\.png"', readme) + re.findall(r"\(docs/img/([\w-]+)\.png\)", readme)
    assert sorted(shown) == sorted(figures.NAMES), "the README shows every picture the command draws, once"
    first_command = readme.index("make lab")
    assert readme.index("docs/img/") < first_command < readme.index("## The lessons"), \
        "README order: what the course is, the pictures, the two commands"


def test_make_figures_target():
    makefile = (REPO / "Makefile").read_text()
    assert makefile.splitlines()[0] == "# Two commands do all set-up on a fresh machine:  make lab   and   make test"
    phony = next(line for line in makefile.splitlines() if line.startswith(".PHONY:"))
    assert "figures" in phony.split()
    assert re.search(r"^figures: setup\n\t\$\(PY\) -m gan_helpers figures", makefile, flags=re.M)
