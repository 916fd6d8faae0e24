"""The environment the collection needs: torch + torchvision that import together, and a
package whose import has no side effects (tests/test_cli.py imports every submodule)."""
from pathlib import Path


def test_torchvision_imports_with_torch():
    import torch
    import torchvision
    from torchvision.ops import nms  # fails with a mismatched local CPU torch wheel

    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
    keep = nms(boxes, torch.tensor([0.9, 0.8]), 0.5)
    assert keep.tolist() == [0]
    # the pair pinned in requirements.txt is the pair installed
    pins = dict(l.split("==") for l in (Path(__file__).resolve().parents[1] / "requirements.txt").read_text().splitlines()
                if l.startswith(("torch==", "torchvision==")))
    assert torch.__version__.split("+")[0] == pins["torch"] and torchvision.__version__.split("+")[0] == pins["torchvision"]


def test_setup_prints_device_and_mode(capsys, monkeypatch):
    from gan_helpers.device import setup

    monkeypatch.setenv("GAN_SMOKE", "1")
    s = setup(seed=3)
    out = capsys.readouterr().out
    assert "device: cpu" in out and "SMOKE" in out
    assert s.smoke and s.pick(100, 2) == 2
    monkeypatch.setenv("GAN_SMOKE", "0")
    assert not setup(seed=3, verbose=False).smoke


def test_seed_makes_runs_repeatable():
    import torch
    from gan_helpers.device import seed_everything

    seed_everything(7)
    a = torch.randn(5)
    seed_everything(7)
    assert torch.equal(a, torch.randn(5))


def test_bad_device_and_seed_are_clear():
    import pytest
    import torch
    from gan_helpers.device import pick_device, seed_everything

    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            pick_device("cuda")
    with pytest.raises(ValueError, match="non-negative"):
        seed_everything(-1)
