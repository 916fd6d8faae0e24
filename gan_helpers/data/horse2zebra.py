"""horse2zebra, the unpaired photo set of CycleGAN (Zhu et al. 2017; notebook 08):
trainA 1067 horses, trainB 1334 zebras, testA 120, testB 140, 256x256 JPEG (ImageNet
photos; non-commercial research and education only).

The cache lives in ``data_root()/horse2zebra`` with the layout of the official zip
(trainA, trainB, testA, testB). It is filled, in order, from files already there,
from a mirror folder (``$GAN_DATA_MIRROR/horse2zebra``), or by downloading and unpacking
the official zip. Every image is checked against a sha256 list: the mirror's
``<mirror>/horse2zebra.sha256`` when it has one, else the list shipped with this package
(``gan_helpers/horse2zebra.sha256``, the 2,661 files of the official zip); a set with fewer
images than the official counts is reported as incomplete, and every file read is checked
again when it is loaded.
"""
from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import torch

from .cache import (MIRROR_ENV, CorruptDataError, MissingDataError, atomic_copy, cache_lock,
                    data_root, download_reason, file_digest, mirror_folder)

URL = "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/horse2zebra.zip"
SPLITS = ("trainA", "trainB", "testA", "testB")
COUNTS = {"trainA": 1067, "trainB": 1334, "testA": 120, "testB": 140}  # files in the official zip
EXTENSIONS = (".jpg", ".jpeg", ".png")
REFERENCE_SUMS = Path(__file__).with_name("horse2zebra.sha256")  # sha256 of every file of the official zip


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS) if folder.is_dir() else []


def _read_sums(path: Path) -> dict[str, str]:
    """``<sha256>  ./trainA/x.jpg`` lines -> {"trainA/x.jpg": sha256}."""
    sums = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            sums[parts[1].lstrip("*").removeprefix("./")] = parts[0]
    return sums


def _check_file(f: Path, rel: str, sums: dict[str, str], sums_file: Path) -> None:
    if rel not in sums:
        raise CorruptDataError(f"{f} is not listed in {sums_file}: a foreign file, not part of horse2zebra.")
    if file_digest(f, "sha256") != sums[rel]:
        raise CorruptDataError(f"{f} is corrupt: its sha256 differs from {sums_file}. "
                               "Replace it with a fresh copy from the official zip.")


def _seed_from_mirror(src: Path, dst: Path) -> None:
    """Copy the mirror's images into the cache, each checked against the mirror's sha256 list
    (or, without one, the list shipped with the package)."""
    sums_file = src.parent / "horse2zebra.sha256"
    if not sums_file.exists():
        sums_file = REFERENCE_SUMS
    sums = _read_sums(sums_file)
    for split in SPLITS:
        for f in _images(src / split):
            target = dst / split / f.name
            if target.exists():
                continue
            _check_file(f, f"{split}/{f.name}", sums, sums_file)
            atomic_copy(f, target)


def _download(dst: Path) -> None:
    """Download the official zip and unpack it into ``dst`` (which gets trainA, ... directly)."""
    import urllib.request

    dst.mkdir(parents=True, exist_ok=True)
    zpath = dst.parent / "horse2zebra.zip"
    tmp = zpath.with_suffix(".zip.part")  # only one process downloads: the caller holds the cache lock
    with urllib.request.urlopen(URL, timeout=60) as r, open(tmp, "wb") as f:
        shutil.copyfileobj(r, f)
    os.replace(tmp, zpath)
    with zipfile.ZipFile(zpath) as z:
        z.extractall(dst.parent)  # the zip holds a top-level horse2zebra/ folder
    zpath.unlink()
    # No checksum of the zip itself is published; every file it held is checked instead.
    sums = _read_sums(REFERENCE_SUMS)
    for split in SPLITS:
        for f in _images(dst / split):
            _check_file(f, f"{split}/{f.name}", sums, REFERENCE_SUMS)


def ensure_horse2zebra(root: str | os.PathLike | None = None, mirror: str | os.PathLike | None = None,
                       download: bool = True) -> Path:
    """Make sure the four folders are in ``<root>/horse2zebra`` and return that folder.

    Raises MissingDataError (naming the missing folders, the URL and ``$GAN_DATA_MIRROR``)
    or CorruptDataError (naming a mirror file whose sha256 is wrong).
    """
    dst = (Path(root) if root is not None else data_root()) / "horse2zebra"
    with cache_lock(dst.parent, ".horse2zebra.lock"):  # beside the folder: its layout stays the zip's
        return _ensure_locked(dst, mirror_folder(mirror), download)


def _ensure_locked(dst: Path, src: Path | None, download: bool) -> Path:
    if src is not None and (src / "horse2zebra").is_dir():
        _seed_from_mirror(src / "horse2zebra", dst)
    missing = [s for s in SPLITS if not _images(dst / s)]
    if missing and download:
        try:
            _download(dst)
        except Exception as err:  # no network, a dead link, a broken zip
            raise MissingDataError(_missing_message(dst, missing, err)) from err
        missing = [s for s in SPLITS if not _images(dst / s)]
    if missing:
        raise MissingDataError(_missing_message(dst, missing, None))
    short = {s: len(_images(dst / s)) for s in SPLITS if len(_images(dst / s)) < COUNTS[s]}
    if short:
        raise MissingDataError("horse2zebra is incomplete: " + ", ".join(
            f"{dst / s} has {n} of {COUNTS[s]} images" for s, n in short.items())
            + f". Copy the missing files from the official zip ({URL}) or a complete mirror.")
    return dst


def _missing_message(dst: Path, missing: list[str], err: Exception | None) -> str:
    msg = (f"horse2zebra is not available: no images in {', '.join(str(dst / m) for m in missing)}. "
           f"Download {URL} and unzip it into {dst.parent}, or set {MIRROR_ENV} to a folder that holds "
           "horse2zebra/{trainA,trainB,testA,testB} (CI uses ../shared/data).")
    if err is not None:
        msg += " " + download_reason(err)
    return msg


def load_image(path: str | os.PathLike, size: int) -> torch.Tensor:
    """One image file -> (3, size, size) in [-1, 1]; greyscale and RGBA become RGB."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = im.convert("RGB").resize((size, size), Image.BICUBIC)
            arr = np.asarray(im, dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError) as err:
        raise CorruptDataError(f"{path} is not a readable image ({err}); replace it with a fresh copy.") from err
    return torch.from_numpy(arr).permute(2, 0, 1).float().div_(127.5).sub_(1.0)


def load_horse2zebra(split: str = "trainA", size: int = 64, limit: int | None = None,
                     device: str | torch.device = "cpu", mirror: str | os.PathLike | None = None,
                     root: str | os.PathLike | None = None, download: bool = True) -> torch.Tensor:
    """One folder (trainA, trainB, testA, testB) as one tensor (N, 3, size, size) in [-1, 1].

    Files are read in sorted order; ``limit`` keeps the first N (smoke mode).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an int >= 8 pixels, got {size!r}")
    if limit is not None and limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    folder = ensure_horse2zebra(root, mirror, download) / split
    files = _images(folder)[:limit]
    sums = _read_sums(REFERENCE_SUMS)
    for f in files:  # what is read is what was verified (a damaged JPEG may still decode)
        _check_file(f, f"{split}/{f.name}", sums, REFERENCE_SUMS)
    return torch.stack([load_image(f, size) for f in files]).to(device)
