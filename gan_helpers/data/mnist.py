"""MNIST for the notebooks (LeCun et al. 1998; used from notebook 03 on): the upstream
files in the cache of :mod:`gan_helpers.data.cache`, seeded from a mirror folder when one is
given, downloaded by torchvision otherwise, and served as one normalised tensor on the
device, batched by indexing.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterator

import torch

from .cache import (MIRROR_ENV, CorruptDataError, MissingDataError, cache_lock, copy_verified, data_root,
                    download_reason, file_digest, mirror_folder)


# The upstream files and their MD5 sums (the same as torchvision.datasets.MNIST.resources).
MNIST_URLS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def ensure_mnist(root: str | os.PathLike | None = None, mirror: str | os.PathLike | None = None,
                 download: bool = True) -> Path:
    """Make sure the four MNIST files are in ``<root>/MNIST/raw`` and return ``root``.

    Order: files already cached (checked), then the mirror folder, then torchvision's
    download from the upstream URLs. Raises MissingDataError (naming the files, the
    folder and the mirror variable) or CorruptDataError (naming the bad file).
    """
    root = Path(root) if root is not None else data_root()
    with cache_lock(root / "MNIST"):
        return _ensure_mnist_locked(root, mirror_folder(mirror), download)


def _ensure_mnist_locked(root: Path, src: Path | None, download: bool) -> Path:
    from torchvision.datasets import MNIST

    raw = root / "MNIST" / "raw"
    for name, md5 in MNIST_FILES.items():
        dst = raw / name
        if dst.exists():
            if file_digest(dst) != md5:
                raise CorruptDataError(f"Cached MNIST file {dst} is corrupt (MD5 mismatch). "
                                       f"Delete it and seed again from a mirror (${MIRROR_ENV}) or download it.")
            continue
        if src is not None and (src / "MNIST" / "raw" / name).exists():
            copy_verified(src / "MNIST" / "raw" / name, dst, md5)
    missing = [n for n in MNIST_FILES if not (raw / n).exists()]
    if missing and not download:
        raise MissingDataError(_missing_message(raw, missing, None))
    try:
        # With all .gz files present this only verifies the MD5 sums and extracts them;
        # otherwise it downloads what is missing from the upstream URLs.
        MNIST(str(root), train=True, download=True)
    except Exception as err:  # no network, or a download that failed
        raise MissingDataError(_missing_message(raw, missing or list(MNIST_FILES), err)) from err
    return root


def _missing_message(raw: Path, missing: list[str], err: Exception | None) -> str:
    msg = (f"MNIST is not available offline. Put these files in {raw}:\n  " + "\n  ".join(missing)
           + f"\n(upstream: {MNIST_URLS[0]}), or set {MIRROR_ENV} to a folder that holds "
           "MNIST/raw/<those files> (CI uses ../shared/data).")
    if err is not None:
        msg += " " + download_reason(err)
    return msg


# idx files (LeCun et al.): magic (0, 0, type 0x08 = uint8, ndim), ndim sizes, then the data.
MNIST_SPLITS = {True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
                False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000)}


def read_idx(path: Path, shape: tuple[int, ...]) -> torch.Tensor:
    """A gzipped idx file as a uint8 tensor of ``shape``; anything else raises CorruptDataError."""
    import gzip

    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:
        raise CorruptDataError(f"{path} cannot be decompressed ({err}): delete it and seed the cache again.") from err
    ndim = len(shape)
    head = 4 + 4 * ndim
    magic = raw[:4]
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) < head or magic != bytes([0, 0, 8, ndim]) or dims != shape or len(raw) != head + math.prod(shape):
        raise CorruptDataError(f"{path} is not the expected idx file (header {magic.hex()} {dims}, "
                               f"{len(raw)} bytes; expected shape {shape}): delete it and seed the cache again.")
    return torch.frombuffer(bytearray(raw[head:]), dtype=torch.uint8).view(shape)


def load_mnist(train: bool = True, device: str | torch.device = "cpu", limit: int | None = None,
               root: str | os.PathLike | None = None, mirror: str | os.PathLike | None = None,
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """One split as tensors on ``device``: images (N, 1, 28, 28) in [-1, 1], labels (N,) int64.

    Read straight from the cached ``.gz`` archives that ``ensure_mnist`` has just checked
    against their MD5 sums (what is verified is what is read), with no per-item PIL
    transform: the uint8 array is scaled in one go. ``limit`` keeps the first N images.
    """
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0):
        raise ValueError(f"limit must be a positive int or None, got {limit!r}")
    raw = ensure_mnist(root, mirror) / "MNIST" / "raw"
    images_gz, labels_gz, n = MNIST_SPLITS[bool(train)]
    x = read_idx(raw / images_gz, (n, 28, 28))
    y = read_idx(raw / labels_gz, (n,))
    if int(y.max()) > 9:
        raise CorruptDataError(f"{raw / labels_gz} holds label {int(y.max())}; MNIST labels are 0-9.")
    if limit is not None:
        x, y = x[:limit], y[:limit]
    x = x.to(device=device).unsqueeze(1).float().div_(127.5).sub_(1.0)  # (N, 1, 28, 28) in [-1, 1]
    return x, y.long().to(device)


def batches(x: torch.Tensor, *tensors: torch.Tensor, batch_size: int, shuffle: bool = True,
            drop_last: bool = True, generator: torch.Generator | None = None) -> Iterator:
    """One epoch of mini-batches by indexing tensors that already sit on the device.

    Yields ``x_batch`` or a tuple ``(x_batch, *other_batches)`` when more tensors are given.
    """
    n = x.shape[0]
    for t in tensors:
        if t.shape[0] != n:
            raise ValueError(f"all tensors need the same first dimension: {n} vs {t.shape[0]}")
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if shuffle:
        idx = torch.randperm(n, generator=generator).to(x.device)
    else:
        idx = torch.arange(n, device=x.device)
    stop = n - n % batch_size if drop_last else n
    for i in range(0, stop, batch_size):
        j = idx[i:i + batch_size]
        yield x[j] if not tensors else (x[j], *(t[j] for t in tensors))


def denormalize(x: torch.Tensor) -> torch.Tensor:
    """Map images from [-1, 1] back to [0, 1] for display."""
    return (x.clamp(-1, 1) + 1) / 2
