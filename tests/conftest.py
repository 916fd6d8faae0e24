"""Shared fixtures: where the MNIST mirror is (CI: ../shared/data)."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def mirror_dir() -> Path | None:
    env = os.environ.get("GAN_DATA_MIRROR")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if (cand / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").exists():
            return cand.resolve()
    return None


@pytest.fixture
def mnist_mirror() -> Path:
    m = mirror_dir()
    if m is None:
        pytest.skip("no MNIST mirror (set GAN_DATA_MIRROR or put shared/data beside the repo)")
    return m


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Run every test with one intra-op thread. The tests use tiny tensors, and with
    ``pytest -n 2`` on a 2-core machine two threads per worker oversubscribe the cores:
    a DCGAN step on 8 images was measured ~100x slower (39 s vs 0.3 s for 3 steps)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under `make gpu-check` (``GAN_TEST_DEVICE`` set) a machine may lack the dataset cache and the
    internet: a test that needs MNIST or horse2zebra then skips, saying why, instead of failing."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("GAN_TEST_DEVICE") and call.excinfo is not None:
        from gan_helpers.data.cache import MissingDataError
        if call.excinfo.errisinstance(MissingDataError):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, "Skipped: the dataset is not in the cache here")


@pytest.fixture
def device():
    """The device a test runs its tensors on: "cpu", or ``$GAN_TEST_DEVICE`` (``make gpu-check``
    sets "cuda", so the tests that take this fixture run on the GPU)."""
    import torch

    name = os.environ.get("GAN_TEST_DEVICE", "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        pytest.skip(f"GAN_TEST_DEVICE={name} but no CUDA device is available")
    return torch.device(name)
