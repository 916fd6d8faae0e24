"""Plotting and training-loop plumbing."""
import numpy as np
import pytest
import torch

from gan_helpers.plotting import image_grid
from gan_helpers.train.history import GridRecorder, History, steps


def test_image_grid_layout_and_range():
    x = torch.full((5, 1, 4, 4), -1.0)
    x[1] = 1.0
    g = image_grid(x, nrow=3, pad=1)
    assert g.shape == (2 * 5 + 1, 3 * 5 + 1)
    assert g[1:5, 6:10].min() == 1.0 and g[1:5, 1:5].max() == 0.0
    rgb = image_grid(torch.zeros(2, 3, 4, 4), nrow=2)
    assert rgb.shape[-1] == 3 and np.allclose(rgb[2:6, 2:6], 0.5)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        image_grid(torch.zeros(4, 4))


def test_history_logs_tensors_and_numbers():
    h = History()
    h.log(loss_D=torch.tensor(1.5), loss_G=2)
    h.log(loss_D=0.5, loss_G=torch.tensor(4.0, requires_grad=True) * 1)
    assert h["loss_D"] == [1.5, 0.5] and len(h) == 2
    assert h.last("loss_G", 2) == 3.0


def test_steps_restarts_epochs():
    got = list(steps(lambda: iter([1, 2, 3]), 7))
    assert got == [1, 2, 3, 1, 2, 3, 1]
    with pytest.raises(ValueError, match="no batch"):
        list(steps(lambda: iter([]), 2))


def test_grid_recorder_writes_gif(tmp_path):
    from PIL import Image

    rec = GridRecorder(nrow=2)
    for s in range(3):
        rec.add(torch.rand(4, 1, 8, 8) * 2 - 1, step=s)
    p = rec.save_gif(tmp_path / "a.gif")
    im = Image.open(p)
    assert im.n_frames == 3
    with pytest.raises(ValueError, match="no frames"):
        GridRecorder().save_gif(tmp_path / "b.gif")


def test_cli_help_and_data(mnist_mirror, tmp_path, monkeypatch, capsys):
    from gan_helpers.__main__ import main

    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))
    assert main(["data", "--mirror", str(mnist_mirror)]) == 0
    assert "MNIST ready" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["sample", "nosuchmodel"])
