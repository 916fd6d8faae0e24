"""`python -m gan_helpers sample vanilla ...` with the shipped generator."""
import subprocess
import sys

import pytest
import torch
from PIL import Image

from gan_helpers.__main__ import main


def test_sample_writes_tensor_and_grid(tmp_path, capsys):
    out, grid = tmp_path / "s.pt", tmp_path / "g.png"
    assert main(["sample", "vanilla", "--n", "100", "--out", str(out), "--grid", str(grid), "--seed", "3"]) == 0
    data = torch.load(out)
    x = data["images"]
    assert x.shape == (100, 1, 28, 28) and x.min() >= -1 and x.max() <= 1 and "labels" not in data
    assert x.std() > 0.3                                  # images, not a constant
    im = Image.open(grid)
    assert im.size == (8 * 30 + 2, 8 * 30 + 2)
    assert "wrote (100, 1, 28, 28)" in capsys.readouterr().out
    main(["sample", "vanilla", "--n", "100", "--out", str(tmp_path / "t.pt"), "--seed", "3"])
    assert torch.equal(torch.load(tmp_path / "t.pt")["images"], x)    # same seed, same images
    main(["sample", "vanilla", "--n", "100", "--out", str(tmp_path / "u.pt"), "--seed", "4"])
    assert not torch.equal(torch.load(tmp_path / "u.pt")["images"], x)


def test_sample_rejects_bad_n(capsys):
    assert main(["sample", "vanilla", "--n", "0", "--out", "x.pt"]) == 2
    assert "--n must be between 1" in capsys.readouterr().err


def test_cli_entry_point(tmp_path):
    r = subprocess.run([sys.executable, "-m", "gan_helpers", "sample", "vanilla", "--n", "10",
                        "--out", str(tmp_path / "a.pt")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert torch.load(tmp_path / "a.pt")["images"].shape == (10, 1, 28, 28)
