"""The dataset cache shared by every loader (used from notebook 03 on): where the cache
lives, how a mirror folder seeds it, verified and atomic copies, a lock so parallel test
workers fill it once, and the errors that say which files go where.

Environment variables:
    GAN_DATA_DIR     where the cache lives (default: ``<repository>/data``)
    GAN_DATA_MIRROR  a folder that seeds the cache (``<mirror>/MNIST/raw/*.gz``, ``<mirror>/horse2zebra/``)
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator


DATA_DIR_ENV = "GAN_DATA_DIR"


MIRROR_ENV = "GAN_DATA_MIRROR"


class MissingDataError(FileNotFoundError):
    """A dataset is neither cached, nor in a mirror, nor downloadable."""


class CorruptDataError(RuntimeError):
    """A dataset file exists but its checksum is wrong."""


def data_root() -> Path:
    """The cache folder: ``$GAN_DATA_DIR``, else ``data/`` at the repository root."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").exists():
        return repo / "data"
    return Path.home() / ".cache" / "gan-notebooks"


def file_digest(path: Path, algo: str = "md5") -> str:
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def copy_verified(src: Path, dst: Path, digest: str, algo: str = "md5") -> None:
    """Copy ``src`` to ``dst`` after checking its digest; a wrong digest raises CorruptDataError."""
    got = file_digest(src, algo)
    if got != digest:
        raise CorruptDataError(f"{src} is corrupt: {algo} {got}, expected {digest}. "
                               "Replace it with a fresh copy of the upstream file.")
    atomic_copy(src, dst)


def atomic_copy(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` through a temporary file of our own and an atomic rename:
    a reader never sees half a file, and two writers never share a temporary file."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dst.name + ".", suffix=".part", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)  # copyfile: the mirror may be read-only, the cache must not be
        readable_by_all(tmp)  # mkstemp makes 0600: a cache shared by a class must be readable
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def readable_by_all(path: str | os.PathLike) -> None:
    """Give ``path`` the mode a plain new file gets (0666 minus the umask, usually 0644)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


@contextlib.contextmanager
def cache_lock(folder: Path, name: str = ".lock") -> Iterator[None]:
    """Hold an exclusive lock (the file ``folder/name``) while the cache is filled.

    Several processes (pytest-xdist workers, two notebooks) may seed the same cache at
    once; with the lock the second one waits and then finds the files in place.
    Where ``fcntl`` does not exist (Windows) there is no lock.
    """
    try:
        import fcntl
        folder.mkdir(parents=True, exist_ok=True)
        f = open(folder / name, "a")
    except (ImportError, OSError):  # Windows, or a read-only cache that nobody can be filling
        yield
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def mirror_folder(mirror: str | os.PathLike | None = None) -> Path | None:
    """The mirror folder to seed the cache from: ``mirror``, else ``$GAN_DATA_MIRROR``, else None.

    A mirror that is named but is not an existing folder raises MissingDataError: a typo in
    the path must not fall through to a download or to "ready" from an old cache.
    """
    source = "the mirror argument"
    if mirror is None:
        mirror, source = os.environ.get(MIRROR_ENV) or None, f"${MIRROR_ENV}"
        if mirror is None:
            return None
    if str(mirror).strip() == "":
        raise MissingDataError(f"The data mirror given by {source} is an empty path: give the folder "
                               "that holds MNIST/raw/*.gz (CI uses ../shared/data), or leave it out.")
    path = Path(mirror).expanduser().resolve()
    if not path.is_dir():
        what = "is a file, not a folder" if path.exists() else "does not exist"
        raise MissingDataError(f"The data mirror {path} (from {source}) {what}: give the folder that "
                               "holds MNIST/raw/*.gz and horse2zebra/ (CI uses ../shared/data).")
    return path


def download_reason(err: BaseException) -> str:
    """'Download failed with ...': the whole error (torchvision puts the network reason on
    later lines) and its cause, on one line."""
    parts = [f"{type(err).__name__}: " + " / ".join(l.strip() for l in str(err).splitlines() if l.strip())]
    if err.__cause__ is not None:
        parts.append(f"{type(err.__cause__).__name__}: {err.__cause__}")
    return "Download failed with " + "; caused by ".join(parts)[:600]
