"""The loop the vanilla, DCGAN and conditional recipes share (gan_helpers.recipes.mnist_gan)."""
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from gan_helpers.checkpoints import load_checkpoint
from gan_helpers.models.mlp import MLPGenerator
from gan_helpers.recipes import mnist_gan
from gan_helpers.recipes import vanilla


@dataclass
class Cfg:
    steps: int = 3
    batch_size: int = 4
    latent_dim: int = 2
    n_classes: int = 3
    lr: float = 1e-3
    beta1: float = 0.5
    log_every: int = 0


class SpyD(nn.Module):
    """Records the labels it is called with; logit = mean pixel times a weight."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(()))
        self.labels = []

    def forward(self, x, *y):
        self.labels.append(y)
        return self.w * x.flatten(1).mean(1, keepdim=True)


class TinyG(nn.Module):
    def __init__(self, conditional):
        super().__init__()
        self.lin, self.conditional = nn.Linear(2, 4), conditional

    def forward(self, z, *y):
        assert len(y) == int(self.conditional)
        return torch.tanh(self.lin(z)).view(-1, 1, 2, 2)


def test_unconditional_fit_calls_D_without_labels_and_trains_both():
    G, D = TinyG(False), SpyD()
    g0, d0 = G.lin.weight.clone(), D.w.detach().clone()
    hist, seconds = mnist_gan.fit(G, D, Cfg(), torch.rand(16, 1, 2, 2) * 2 - 1, torch.Generator().manual_seed(0))
    assert len(hist["loss_D"]) == 3 and seconds >= 0
    assert all(y == () for y in D.labels)
    assert not torch.equal(G.lin.weight, g0) and not torch.equal(D.w.detach(), d0)


def test_conditional_fit_pairs_real_images_with_their_labels():
    G = TinyG(True)
    x = torch.zeros(12, 1, 2, 2)
    y = torch.arange(12) % 3
    x[:, 0, 0, 0] = y.float()  # the label is written into the image, so D can check the pairing
    seen = []

    class CheckD(SpyD):
        def forward(self, x_in, *lab):
            if x_in.requires_grad is False and not seen:  # first call of the step: the real batch
                seen.append(torch.equal(x_in[:, 0, 0, 0].long(), lab[0]))
            return super().forward(x_in, *lab)

    D = CheckD()
    mnist_gan.fit(G, D, Cfg(steps=1), x, torch.Generator().manual_seed(0), y_all=y)
    assert seen == [True]
    assert all(len(lab) == 1 and int(lab[0].max()) < 3 for lab in D.labels)


def test_command_of_lists_only_changed_fields():
    cfg = vanilla.Config(steps=7, threads=1)
    assert mnist_gan.command_of(cfg, "vanilla") == "python -m gan_helpers train vanilla --steps 7 --threads 1"
    assert mnist_gan.command_of(vanilla.Config(), "vanilla") == "python -m gan_helpers train vanilla"


def test_vanilla_recipe_train_tiny(tmp_path, mnist_mirror, monkeypatch):
    monkeypatch.setenv("GAN_DATA_MIRROR", str(mnist_mirror))
    cfg = vanilla.Config(steps=2, batch_size=8, latent_dim=4, g_hidden="8", d_hidden="8", limit=64,
                         log_every=0, eval_n=0, out=str(tmp_path / "v.safetensors"))
    G, extra = vanilla.train(cfg)
    assert extra["steps"] == 2 and extra["command"].startswith("python -m gan_helpers train vanilla --steps 2")
    G2 = load_checkpoint(tmp_path / "v.safetensors", MLPGenerator)
    for a, b in zip(G.state_dict().values(), G2.state_dict().values()):
        assert torch.equal(a, b)
    assert not (mnist_gan.pretrained_dir() / "v.safetensors").exists()


def test_generate_unconditional_rejects_bad_n():
    G = MLPGenerator(latent_dim=4, hidden=[8])
    with pytest.raises(ValueError, match="positive"):
        mnist_gan.generate_unconditional(G, 0)
    x, labels = mnist_gan.generate_unconditional(G, 3, seed=1)
    assert x.shape == (3, 1, 28, 28) and labels is None
