"""The DDPM recipe (recipes/ddpm.py; notebook 10): a tiny run on stand-in MNIST writes a loadable
averaged network, a run stopped by --minutes resumes to the same weights, --ship writes float16
with its SHA256SUMS line, ``generate`` samples with DDIM, and the config is checked before any work."""
import pytest
import torch

from gan_helpers.checkpoints import load_checkpoint, read_metadata
from gan_helpers.models.ddpm import DDPMUNet
from gan_helpers.recipes import ddpm as recipe

TINY = dict(steps=2, batch_size=8, base_channels=8, channel_mults="1,2", T=20, sample_steps=3, eval_n=0,
            log_every=1, threads=1)


def made_mnist(train=True, device="cpu", limit=None, **_):
    """Stand-in for ``load_mnist``: 32 images (N, 1, 28, 28) in [-1, 1] with a bright bar, labels 0-9."""
    g = torch.Generator().manual_seed(int(train))
    x = torch.rand(32, 1, 28, 28, generator=g) * 0.2 - 1
    x[:, :, 6:22, 12:16] = 1.0
    x = x[:limit]
    return x.to(device), (torch.arange(len(x)) % 10).to(device)


@pytest.fixture
def stand_in(monkeypatch):
    monkeypatch.setattr("gan_helpers.data.mnist.load_mnist", made_mnist)


def weights(path):
    from safetensors.torch import load_file
    return load_file(str(path))


def test_recipe_writes_the_averaged_network(stand_in, tmp_path):
    result = recipe.train(recipe.Config(**TINY, out=str(tmp_path / "d.safetensors")))
    assert result.info["finished"] and result.info["averaged"] and result.path == tmp_path / "d.safetensors"
    model = load_checkpoint(result.path, DDPMUNet)
    assert model.config == dict(base_channels=8, channel_mults=[1, 2], img_channels=1, n_steps=20)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), result.model.state_dict().values()))
    assert read_metadata(result.path)["storage"] == torch.float32          # a run folder or --out keeps float32
    assert [h["step"] for h in result.info["history"]] == [1, 2]
    assert result.files["state"].exists() and "--steps 2" in result.info["command"]


def test_recipe_stops_on_time_and_resumes_to_the_same_weights(stand_in, tmp_path, capsys):
    one = recipe.train(recipe.Config(**TINY, out=str(tmp_path / "one" / "d.safetensors")))
    chunk = dict(TINY, out=str(tmp_path / "two" / "d.safetensors"), state=str(tmp_path / "two" / "s.pt"))
    first = recipe.train(recipe.Config(**chunk, minutes=1e-9))   # stops after one step
    assert first.info == {"finished": False, "step": 1, "state": chunk["state"]}
    assert "--resume to continue" in capsys.readouterr().out
    second = recipe.train(recipe.Config(**chunk, resume=True))
    assert "resumed from" in capsys.readouterr().out and second.info["finished"]
    a, b = weights(one.path), weights(second.path)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)  # same batches, t, noise, updates
    assert "--resume" not in second.info["command"] and "--minutes" not in second.info["command"]
    with pytest.raises(ValueError, match="holds a network built with"):
        recipe.train(recipe.Config(**dict(chunk, base_channels=16), resume=True))


def test_ship_writes_float16_and_the_loader_and_generate_use_it(stand_in, tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_PRETRAINED_DIR", str(tmp_path / "pretrained"))
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "data"))        # the state goes to data/runs
    result = recipe.train(recipe.Config(**dict(TINY, steps=1), ship=True))
    assert result.path == tmp_path / "pretrained" / recipe.FILENAME
    assert read_metadata(result.path)["storage"] == torch.float16
    assert recipe.FILENAME in (tmp_path / "pretrained" / "SHA256SUMS").read_text()
    assert (tmp_path / "data" / "runs" / "ddpm_mnist-state.pt").exists()
    model = recipe.load_pretrained("cpu")
    images, labels = recipe.generate(model, 3, seed=5, steps=4)
    assert images.shape == (3, 1, 28, 28) and labels is None


def test_generate_is_seeded_bounded_and_independent_of_the_batch_size():
    torch.manual_seed(0)
    model = DDPMUNet(base_channels=8, channel_mults=(1, 2), n_steps=20)
    torch.nn.init.normal_(model.head[-1].weight, std=0.5)   # a loud network: samples leave [-1, 1] unclamped
    a, none = recipe.generate(model, 5, seed=1, steps=4)
    assert none is None and a.shape == (5, 1, 28, 28) and a.min() >= -1 and a.max() <= 1
    assert torch.allclose(a, recipe.generate(model, 5, seed=1, steps=4, batch_size=2)[0], atol=1e-4)
    assert not torch.allclose(a, recipe.generate(model, 5, seed=2, steps=4)[0])
    with pytest.raises(ValueError, match="n must be a positive int"):
        recipe.generate(model, 0)
    with pytest.raises(ValueError, match="steps must be"):
        recipe.generate(model, 2, steps=21)


def test_evaluate_scores_ddim_samples(mnist_mirror, monkeypatch):
    monkeypatch.setenv("GAN_DATA_MIRROR", str(mnist_mirror))
    torch.manual_seed(0)
    r = recipe.evaluate(DDPMUNet(base_channels=8, channel_mults=(1,), n_steps=10), n=20, sample_steps=2)
    assert set(r) == {"n", "fid", "fid_floor", "covered", "confident"} and r["n"] == 20 and r["fid"] > r["fid_floor"]


@pytest.mark.parametrize("change, match", [
    (dict(steps=0), "steps must be an int >= 1"),
    (dict(sample_steps=51, T=50), "sample_steps must be at most T=50"),
    (dict(lr=0.0), "lr must be in"),
    (dict(ema_decay=1.0), "ema_decay must be in"),
    (dict(eval_n=1), "eval_n must be 0"),
    (dict(minutes=0), "minutes must be positive"),
    (dict(resume=True), "--resume needs"),
    (dict(channel_mults="1,x"), "channel_mults must be ints"),
    (dict(channel_mults="1,2,2,2"), "1 to 3"),
    (dict(out="a.safetensors", ship=True), "not both"),
])
def test_recipe_config_is_checked_before_any_work(change, match):
    with pytest.raises(ValueError, match=match):
        recipe.train(recipe.Config(**{**dict(threads=1), **change}))


def test_recipe_is_on_the_command_line():
    from gan_helpers.__main__ import train_parser
    from gan_helpers.recipes import GENERATORS, RECIPES
    from gan_helpers.recipes.contract import command_of
    assert RECIPES["ddpm"] is recipe and GENERATORS["ddpm"] is recipe
    args = vars(train_parser("ddpm", recipe).parse_args(["--channel-mults", "1,2", "--resume", "--T", "50"]))
    cfg = recipe.Config(**args)
    assert cfg.channel_mults == "1,2" and cfg.resume and cfg.T == 50
    assert command_of(cfg, "ddpm") == "python -m gan_helpers train ddpm --T 50 --channel-mults 1,2 --resume"
