"""horse2zebra loader (CycleGAN, Zhu et al. 2017) on the offline paths: mirror seeding
with sha256 checks, greyscale to RGB, missing and corrupt data, and the zip download
code run against a local file:// URL."""
import hashlib
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

import gan_helpers.data.horse2zebra as h2z
from gan_helpers.data.cache import CorruptDataError, MissingDataError


def make_set(root, grey_in="trainB"):
    """A tiny horse2zebra folder: two 40x40 JPEGs per split, one of them greyscale."""
    rng = np.random.default_rng(0)
    for split in h2z.SPLITS:
        (root / split).mkdir(parents=True)
        for i in range(2):
            arr = rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)
            im = Image.fromarray(arr)
            if split == grey_in and i == 0:
                im = im.convert("L")
            im.save(root / split / f"img_{i}.jpg")
    return root


def write_sums(mirror):
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  ./{p.parent.name}/{p.name}"
             for p in sorted((mirror / "horse2zebra").glob("*/*.jpg"))]
    (mirror / "horse2zebra.sha256").write_text("\n".join(lines) + "\n")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache; the tiny set of ``make_set`` plays the official zip (its counts and sums)."""
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GAN_DATA_MIRROR", raising=False)
    ref = tmp_path / "reference"
    make_set(ref / "horse2zebra")
    write_sums(ref)
    monkeypatch.setattr(h2z, "REFERENCE_SUMS", ref / "horse2zebra.sha256")
    monkeypatch.setattr(h2z, "COUNTS", {s: 2 for s in h2z.SPLITS})
    return tmp_path / "cache"


def test_seeds_from_a_checked_mirror_and_loads_rgb(tmp_path, cache):
    mirror = tmp_path / "mirror"
    make_set(mirror / "horse2zebra")
    write_sums(mirror)
    root = h2z.ensure_horse2zebra(mirror=mirror, download=False)
    assert root == cache / "horse2zebra"
    assert sorted(p.name for p in root.iterdir()) == sorted(h2z.SPLITS)
    x = h2z.load_horse2zebra("trainB", size=16, mirror=mirror, download=False)
    assert x.shape == (2, 3, 16, 16) and x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1
    grey = x[0]  # img_0 was saved as greyscale: three equal channels
    assert torch.allclose(grey[0], grey[1]) and torch.allclose(grey[1], grey[2])
    assert h2z.load_horse2zebra("testA", size=8, limit=1, download=False).shape == (1, 3, 8, 8)


def test_mirror_from_environment_variable(tmp_path, cache, monkeypatch):
    mirror = tmp_path / "mirror"
    make_set(mirror / "horse2zebra")
    monkeypatch.setenv("GAN_DATA_MIRROR", str(mirror))  # no sha256 list: checked against the shipped one
    assert h2z.load_horse2zebra("testB", size=8, download=False).shape == (2, 3, 8, 8)


def test_missing_data_names_folders_url_and_mirror_variable(tmp_path, cache):
    with pytest.raises(MissingDataError) as err:
        (tmp_path / "empty").mkdir()
        h2z.ensure_horse2zebra(mirror=tmp_path / "empty", download=False)
    msg = str(err.value)
    for part in ("trainA", "testB", h2z.URL, "GAN_DATA_MIRROR"):
        assert part in msg


def test_failed_download_is_a_missing_data_error(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(h2z, "URL", (tmp_path / "no.zip").as_uri())
    with pytest.raises(MissingDataError, match="Download failed"):
        h2z.ensure_horse2zebra()


def test_download_unpacks_the_official_zip_layout(tmp_path, cache, monkeypatch):
    src = make_set(tmp_path / "zipsrc" / "horse2zebra")
    zpath = tmp_path / "horse2zebra.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for p in src.glob("*/*.jpg"):
            z.write(p, f"horse2zebra/{p.parent.name}/{p.name}")
    monkeypatch.setattr(h2z, "URL", zpath.as_uri())
    root = h2z.ensure_horse2zebra()
    assert len(list((root / "trainA").glob("*.jpg"))) == 2
    assert not (cache / "horse2zebra.zip").exists()


def test_corrupt_mirror_file_is_refused(tmp_path, cache):
    mirror = tmp_path / "mirror"
    make_set(mirror / "horse2zebra")
    write_sums(mirror)
    bad = mirror / "horse2zebra" / "trainA" / "img_1.jpg"
    bad.write_bytes(bad.read_bytes()[:100])
    with pytest.raises(CorruptDataError, match="img_1.jpg"):
        h2z.ensure_horse2zebra(mirror=mirror, download=False)


def test_unreadable_cached_image_is_a_clear_error(tmp_path, cache):
    mirror = tmp_path / "mirror"
    make_set(mirror / "horse2zebra")
    h2z.ensure_horse2zebra(mirror=mirror, download=False)
    (cache / "horse2zebra" / "testA" / "img_0.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(CorruptDataError, match="img_0.jpg"):
        h2z.load_horse2zebra("testA", size=8, download=False)


def test_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        h2z.load_horse2zebra("trainC")
    with pytest.raises(ValueError, match="size"):
        h2z.load_horse2zebra("trainA", size=2)


def test_shipped_reference_list_covers_the_official_counts():
    sums = h2z._read_sums(h2z.REFERENCE_SUMS)
    for split, n in h2z.COUNTS.items():
        assert sum(k.startswith(split + "/") for k in sums) == n


def test_an_incomplete_set_is_reported(tmp_path, cache):
    mirror = tmp_path / "mirror"
    make_set(mirror / "horse2zebra")
    (mirror / "horse2zebra" / "testB" / "img_1.jpg").unlink()
    with pytest.raises(MissingDataError, match=r"incomplete: .*testB has 1 of 2 images"):
        h2z.ensure_horse2zebra(mirror=mirror, download=False)


def test_without_a_mirror_list_files_are_checked_against_the_shipped_list(tmp_path, cache):
    mirror = tmp_path / "mirror"
    make_set(mirror / "horse2zebra")
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(mirror / "horse2zebra" / "trainA" / "img_0.jpg")
    with pytest.raises(CorruptDataError, match="img_0.jpg is corrupt"):   # decodes fine, wrong bytes
        h2z.ensure_horse2zebra(mirror=mirror, download=False)


def test_a_cached_file_damaged_later_is_caught_when_loaded(tmp_path, cache):
    mirror = tmp_path / "mirror"
    make_set(mirror / "horse2zebra")
    h2z.ensure_horse2zebra(mirror=mirror, download=False)
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(cache / "horse2zebra" / "testA" / "img_1.jpg")
    with pytest.raises(CorruptDataError, match="img_1.jpg is corrupt"):
        h2z.load_horse2zebra("testA", size=8, download=False)
