"""The loop the vanilla, DCGAN and conditional recipes share (gan_helpers.train.mnist) and the
recipe contract (gan_helpers.recipes.contract)."""

import pytest
import torch
from torch import nn

from gan_helpers.train import mnist as mnist_train
from gan_helpers.checkpoints import load_checkpoint, pretrained_dir, sha256_of
from gan_helpers.models.mlp import MLPGenerator
from gan_helpers.recipes import contract, vanilla


def Cfg(**kw):
    return mnist_train.GANSchedule(**{"steps": 3, "batch_size": 4, "lr_G": 1e-3, "lr_D": 1e-3,
                                     "ema_decay": None, "log_every": 0, **kw})


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
        self.latent_dim = 2

    def forward(self, z, *y):
        assert len(y) == int(self.conditional)
        return torch.tanh(self.lin(z)).view(-1, 1, 2, 2)


def test_unconditional_fit_calls_D_without_labels_and_trains_both():
    G, D = TinyG(False), SpyD()
    g0, d0 = G.lin.weight.clone(), D.w.detach().clone()
    hist, ema, seconds = mnist_train.fit(G, D, Cfg(), torch.rand(16, 1, 2, 2) * 2 - 1, torch.Generator().manual_seed(0))
    assert len(hist["loss_D"]) == 3 and len(hist["D_G_z"]) == 3 and ema is None and seconds > 0
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
    mnist_train.fit(G, D, Cfg(steps=1), x, torch.Generator().manual_seed(0), y_all=y, n_classes=3)
    assert seen == [True]
    assert all(len(lab) == 1 and int(lab[0].max()) < 3 for lab in D.labels)


def test_fit_keeps_an_average_of_G_that_differs_from_the_last_iterate():
    G, D = TinyG(False), SpyD()
    w0 = G.lin.weight.detach().clone()
    _, ema, _ = mnist_train.fit(G, D, Cfg(steps=20, ema_decay=0.9), torch.rand(16, 1, 2, 2) * 2 - 1,
                               torch.Generator().manual_seed(0))
    avg = ema.model.lin.weight
    assert ema.updates == 20
    assert not torch.equal(avg, G.lin.weight) and not torch.equal(avg, w0)
    with pytest.raises(ValueError, match="n_classes"):
        mnist_train.fit(G, D, Cfg(steps=1), torch.zeros(8, 1, 2, 2), torch.Generator(), y_all=torch.zeros(8).long())


def test_command_of_lists_only_changed_fields():
    cfg = vanilla.Config(steps=7, threads=1, ship=True, out=None)
    assert contract.command_of(cfg, "vanilla") == "python -m gan_helpers train vanilla --steps 7 --threads 1 --ship"
    assert contract.command_of(vanilla.Config(), "vanilla") == "python -m gan_helpers train vanilla"


def test_vanilla_recipe_train_tiny(tmp_path, mnist_mirror, monkeypatch):
    monkeypatch.setenv("GAN_DATA_MIRROR", str(mnist_mirror))
    sums = (pretrained_dir() / "SHA256SUMS").read_bytes()
    cfg = vanilla.Config(steps=2, batch_size=8, latent_dim=4, g_hidden="8", d_hidden="8", limit=64,
                         log_every=0, eval_n=0, out=str(tmp_path / "v.safetensors"))
    r = vanilla.train(cfg)
    assert r.info["steps"] == 2 and r.info["command"].startswith("python -m gan_helpers train vanilla --steps 2")
    assert r.info["averaged"] and r.path == tmp_path / "v.safetensors" and r.sha256 == sha256_of(r.path)
    G2 = load_checkpoint(tmp_path / "v.safetensors", MLPGenerator)
    for a, b in zip(r.model.state_dict().values(), G2.state_dict().values()):
        assert torch.equal(a, b)
    raw = load_checkpoint(r.files["raw"], MLPGenerator)    # the last iterate, beside the average
    assert r.files["raw"].name == "v_raw.safetensors" and raw.checkpoint_extra["averaged"] is False
    assert not torch.equal(raw.out.weight, G2.out.weight)
    assert (pretrained_dir() / "SHA256SUMS").read_bytes() == sums


def test_a_run_without_out_or_ship_goes_to_a_fresh_run_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))
    path = contract.output_path(vanilla.Config(), "vanilla", "vanilla_G.safetensors")
    assert path.parent.parent == tmp_path / "runs" and path.parent.name.startswith("vanilla-")
    shipped = contract.output_path(vanilla.Config(ship=True), "vanilla", "vanilla_G.safetensors")
    assert shipped == pretrained_dir() / "vanilla_G.safetensors"
    with pytest.raises(ValueError, match="either --ship"):
        contract.output_path(vanilla.Config(ship=True, out=str(tmp_path / "x.safetensors")), "vanilla", "x")
    with pytest.raises(ValueError, match="is a folder"):
        contract.output_path(vanilla.Config(out=str(tmp_path)), "vanilla", "x.safetensors")


def test_generate_unconditional_rejects_bad_n():
    G = MLPGenerator(latent_dim=4, hidden=[8])
    with pytest.raises(ValueError, match="positive"):
        mnist_train.generate_unconditional(G, 0)
    x, labels = mnist_train.generate_unconditional(G, 3, seed=1)
    assert x.shape == (3, 1, 28, 28) and labels is None


def test_fit_resumes_from_its_saved_state(tmp_path):
    """A run stopped after its state was saved goes on from there: the step count, the
    history and the weight average continue instead of starting afresh."""
    from gan_helpers.train.mnist import GANSchedule, fit
    from gan_helpers.models import infogan

    def run(steps):
        torch.manual_seed(0)
        G, D = infogan.Generator(8, 4, 16), infogan.Discriminator(4, 16)
        x = torch.rand(64, 1, 28, 28) * 2 - 1
        hist, ema, _ = fit(G, D, GANSchedule(steps=steps, batch_size=16, log_every=0), x,
                           torch.Generator().manual_seed(0), state_path=tmp_path / "state.pt", state_every=3)
        return G, hist, ema

    G1, h1, e1 = run(7)                       # saves at steps 3 and 6
    assert (tmp_path / "state.pt").exists() and len(h1) == 7
    G2, h2, e2 = run(10)                      # resumes at step 6, runs 7..10
    assert len(h2) == 10 and e2.updates == 10
    assert h2["loss_D"][:6] == h1["loss_D"][:6]
    (tmp_path / "state.pt").write_bytes(b"not a state")
    with pytest.raises(ValueError, match="cannot resume"):
        run(12)


def test_learning_rates_decay_linearly_from_decay_from(monkeypatch):
    """Constant up to decay_from, then a straight line down to 1/(steps - decay_from) at the
    last step; fit applies it to both optimisers (checked through the Adam groups it leaves)."""
    sched = mnist_train.GANSchedule(steps=10, decay_from=6)
    factors = [mnist_train.lr_factor(s, sched) for s in range(1, 11)]
    assert factors[:6] == [1.0] * 6
    assert factors[6:] == pytest.approx([1.0, 0.75, 0.5, 0.25])
    assert mnist_train.lr_factor(3, mnist_train.GANSchedule(steps=10)) == 1.0   # no decay

    seen = []

    class Watch(SpyD):
        def forward(self, x, *y):
            seen.append(self.opt.param_groups[0]["lr"])
            return super().forward(x, *y)

    G, D = TinyG(False), Watch()
    real_adam = torch.optim.Adam

    def adam(params, **kw):           # keep a handle on D's optimiser to read its rate
        opt = real_adam(params, **kw)
        if any(p is D.w for p in opt.param_groups[0]["params"]):
            D.opt = opt
        return opt

    monkeypatch.setattr(torch.optim, "Adam", adam)
    mnist_train.fit(G, D, Cfg(steps=4, decay_from=2), torch.rand(16, 1, 2, 2) * 2 - 1,
                    torch.Generator().manual_seed(0))
    per_step = seen[::3]              # D is called three times a step (real, fake, G's turn)
    assert per_step == pytest.approx([1e-3, 1e-3, 1e-3, 5e-4])


def test_decay_from_out_of_range_is_refused():
    with pytest.raises(ValueError, match="decay_from"):
        mnist_train.check_schedule(mnist_train.GANSchedule(steps=10, decay_from=10))
    with pytest.raises(ValueError, match="decay_from"):
        mnist_train.check_schedule(mnist_train.GANSchedule(steps=10, decay_from=-1))
