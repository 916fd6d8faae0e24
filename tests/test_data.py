"""MNIST cache: seeding from a mirror, offline errors, corrupt files, batching."""
import gzip
import shutil
from urllib.error import URLError

import pytest
import torch

from gan_helpers.data import cache, mnist
from gan_helpers.data.cache import CorruptDataError, MissingDataError


def test_mirror_seeds_cache_and_loads(tmp_path, mnist_mirror):
    x, y = mnist.load_mnist(train=False, root=tmp_path, mirror=mnist_mirror)
    assert x.shape == (10000, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (10000,) and y.dtype == torch.int64
    assert x.min() == -1 and x.max() == 1
    assert sorted(y.unique().tolist()) == list(range(10))
    for name in mnist.MNIST_FILES:
        assert (tmp_path / "MNIST" / "raw" / name).exists()
    # the second load uses the cache only: no mirror needed any more
    (tmp_path / "empty").mkdir()
    x2, _ = mnist.load_mnist(train=False, root=tmp_path, mirror=tmp_path / "empty", limit=100)
    assert torch.equal(x2, x[:100])
    # a mirror that is named but does not exist is an error, even with a full cache
    with pytest.raises(cache.MissingDataError, match="does not exist"):
        mnist.load_mnist(train=False, root=tmp_path, mirror=tmp_path / "nowhere", limit=100)


def test_cache_lock_makes_a_second_seeder_wait(tmp_path, mnist_mirror):
    """While one process fills the cache, another must not see (or write) half of it."""
    import threading

    done = threading.Event()
    worker = threading.Thread(target=lambda: (mnist.ensure_mnist(tmp_path, mirror=mnist_mirror), done.set()))
    with cache.cache_lock(tmp_path / "MNIST"):
        worker.start()
        assert not done.wait(1.0), "ensure_mnist ran while another holder had the cache lock"
        assert not list((tmp_path / "MNIST").glob("raw/*.gz"))
    worker.join(60)
    assert done.is_set()
    assert sorted(p.name for p in (tmp_path / "MNIST" / "raw").glob("*.gz")) == sorted(mnist.MNIST_FILES)


def test_parallel_processes_seed_one_cache(tmp_path, mnist_mirror):
    """pytest-xdist workers and open notebooks seed the same fresh cache at the same moment."""
    import subprocess
    import sys

    code = ("import sys; from gan_helpers.data import load_mnist; "
            "x, y = load_mnist(train=False, root=sys.argv[1], mirror=sys.argv[2]); assert len(y) == 10000")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(mnist_mirror)],
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), "\n".join(errors)
    assert not list(tmp_path.rglob("*.part")), "a temporary file was left behind"


def test_missing_data_names_files_folder_and_mirror(tmp_path, monkeypatch):
    import torchvision.datasets.mnist as tv_mnist

    def offline(*a, **k):
        raise URLError("network is unreachable")

    monkeypatch.setattr(tv_mnist, "download_and_extract_archive", offline)
    monkeypatch.delenv("GAN_DATA_MIRROR", raising=False)
    with pytest.raises(MissingDataError) as err:
        mnist.load_mnist(root=tmp_path)
    msg = str(err.value)
    assert "train-images-idx3-ubyte.gz" in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert str(tmp_path / "MNIST" / "raw") in msg
    assert "GAN_DATA_MIRROR" in msg


def test_no_download_means_no_network(tmp_path, monkeypatch):
    monkeypatch.delenv("GAN_DATA_MIRROR", raising=False)
    with pytest.raises(MissingDataError, match="GAN_DATA_MIRROR"):
        mnist.ensure_mnist(tmp_path, download=False)


def test_corrupt_cached_file_is_reported(tmp_path, mnist_mirror):
    mnist.ensure_mnist(tmp_path, mirror=mnist_mirror)
    bad = tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(b"not the real file")
    with pytest.raises(CorruptDataError, match="t10k-labels-idx1-ubyte.gz.*corrupt"):
        mnist.ensure_mnist(tmp_path, mirror=mnist_mirror)


def test_corrupt_mirror_file_is_reported(tmp_path, mnist_mirror):
    fake = tmp_path / "mirror" / "MNIST" / "raw"
    fake.mkdir(parents=True)
    for name in mnist.MNIST_FILES:
        shutil.copyfile(mnist_mirror / "MNIST" / "raw" / name, fake / name)
    with gzip.open(fake / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"\x00" * 100)
    with pytest.raises(CorruptDataError, match="corrupt"):
        mnist.ensure_mnist(tmp_path / "cache", mirror=tmp_path / "mirror")


def test_data_root_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))
    assert cache.data_root() == tmp_path.resolve()
    monkeypatch.delenv("GAN_DATA_DIR")
    assert cache.data_root().name == "data"


def test_batches_cover_epoch_once():
    x = torch.arange(10).float().view(10, 1)
    y = torch.arange(10)
    seen = []
    for xb, yb in mnist.batches(x, y, batch_size=3, generator=torch.Generator().manual_seed(0)):
        assert xb.shape == (3, 1) and torch.equal(xb[:, 0].long(), yb)
        seen += yb.tolist()
    assert len(seen) == 9 and len(set(seen)) == 9  # drop_last drops one item
    all_items = torch.cat(list(mnist.batches(x, batch_size=4, shuffle=False, drop_last=False)))
    assert torch.equal(all_items, x)


def test_batches_reject_bad_input():
    with pytest.raises(ValueError, match="same first dimension"):
        list(mnist.batches(torch.zeros(4, 2), torch.zeros(3), batch_size=2))
    with pytest.raises(ValueError, match="batch_size"):
        list(mnist.batches(torch.zeros(4, 2), batch_size=0))


def test_what_is_read_is_the_verified_archive(tmp_path, mnist_mirror):
    """A damaged *extracted* file (label 200, random bytes, truncation) changes nothing: the
    loader reads the MD5-checked .gz archives."""
    x0, y0 = mnist.load_mnist(train=False, root=tmp_path, mirror=mnist_mirror)
    raw = tmp_path / "MNIST" / "raw"
    for name in ("t10k-labels-idx1-ubyte", "t10k-images-idx3-ubyte"):
        if (raw / name).exists():
            (raw / name).write_bytes((raw / name).read_bytes()[:100])
    x1, y1 = mnist.load_mnist(train=False, root=tmp_path)
    assert torch.equal(x0, x1) and torch.equal(y0, y1)


def test_read_idx_names_a_damaged_archive(tmp_path):
    good = bytes([0, 0, 8, 1]) + (3).to_bytes(4, "big") + bytes([1, 2, 3])
    p = tmp_path / "labels.gz"
    p.write_bytes(gzip.compress(good))
    assert mnist.read_idx(p, (3,)).tolist() == [1, 2, 3]
    p.write_bytes(gzip.compress(good[:-1]))                      # truncated
    with pytest.raises(CorruptDataError, match="labels.gz is not the expected idx file"):
        mnist.read_idx(p, (3,))
    p.write_bytes(gzip.compress(bytes([0, 0, 9, 1]) + good[4:]))  # wrong type code
    with pytest.raises(CorruptDataError, match="not the expected idx"):
        mnist.read_idx(p, (3,))
    p.write_bytes(b"not gzip at all")
    with pytest.raises(CorruptDataError, match="cannot be decompressed"):
        mnist.read_idx(p, (3,))


def test_cached_files_are_readable_by_others(tmp_path, mnist_mirror):
    import os
    old = os.umask(0o022)
    try:
        mnist.ensure_mnist(root=tmp_path, mirror=mnist_mirror)
    finally:
        os.umask(old)
    for name in mnist.MNIST_FILES:
        assert (tmp_path / "MNIST" / "raw" / name).stat().st_mode & 0o777 == 0o644


def test_limit_must_be_a_positive_int(tmp_path, mnist_mirror):
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="limit must be a positive int"):
            mnist.load_mnist(train=False, root=tmp_path, mirror=mnist_mirror, limit=bad)


def test_download_reason_keeps_every_line_and_the_cause():
    try:
        try:
            raise OSError("[Errno -3] Temporary failure in name resolution")
        except OSError as inner:
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried https://x, got:\n<urlopen error>") from inner
    except RuntimeError as err:
        text = cache.download_reason(err)
    assert "Tried https://x" in text and "name resolution" in text and "\n" not in text
