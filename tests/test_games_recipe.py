"""The MNIST recipe of notebook 06 (recipes/games.py): a budgeted run repeats exactly by its
recorded step count, the shipped model is the best row of the stored table."""
import pytest
import torch

from gan_helpers.checkpoints import load_checkpoint, read_metadata
from gan_helpers.stabilizers.games import standard_games, wgan_gp
from gan_helpers.bench.games import best_mnist, load_results
from gan_helpers.models.mlp import MLPGenerator
from gan_helpers.recipes import games as recipe

TINY = dict(batch_size=8, latent_dim=4, g_hidden="8", d_hidden="8", limit=64, eval_n=0, log_every=0, threads=1)


def test_config_round_trip_for_every_game():
    for fix in standard_games():
        assert recipe.fix_of(recipe.config_for(fix)) == fix


def test_a_run_repeats_bitwise_from_its_recorded_steps(tmp_path, mnist_mirror, monkeypatch):
    monkeypatch.setenv("GAN_DATA_MIRROR", str(mnist_mirror))
    a = recipe.train(recipe.config_for(wgan_gp(), steps=3, cpu_minutes=None, out=str(tmp_path / "a" / "G.safetensors"), **TINY))
    assert a.info["steps_run"] == 3 and a.info["critic_steps"] == 15
    assert "--steps 3" in a.info["repeat"] and "--cpu-minutes None" in a.info["repeat"]
    b = recipe.train(recipe.config_for(wgan_gp(), steps=3, cpu_minutes=None, out=str(tmp_path / "b" / "G.safetensors"), **TINY))
    for k, v in a.model.state_dict().items():
        assert torch.equal(v, b.model.state_dict()[k]), k
    with pytest.raises(ValueError, match="cpu_minutes"):
        recipe.train(recipe.config_for(wgan_gp(), cpu_minutes=0.0, **TINY))


def test_every_game_trains_the_same_plain_critic():
    """No dropout and no batch norm in any game's critic (the papers' critics have neither):
    only the loss, the Lipschitz control and the optimiser differ between the games."""
    for fix in standard_games():
        _, D = recipe.build(recipe.config_for(fix))
        assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in D.modules()), fix.name
        assert all(m.p == 0 for m in D.modules() if isinstance(m, torch.nn.Dropout)), fix.name


def test_shipped_model_is_the_best_row_of_the_table():
    results = load_results()
    games = {f.name for f in standard_games()}
    for regime in ("steps", "cpu"):                               # equal G steps, equal CPU time
        runs = [r for r in results["mnist"] if r["regime"] == regime]
        assert {r["fix"] for r in runs} == games
        assert all(len({r["seed"] for r in runs if r["fix"] == g}) >= 2 for g in games)
    steps_rows = [r for r in results["mnist"] if r["regime"] == "steps"]
    assert len({r["steps"] for r in steps_rows}) == 1            # the same G steps for every game
    assert len(results["toy"]) == 4 * 2 * 3                      # 4 games x ring and grid x 3 seeds
    row, which = best_mnist(results)
    shipped = results["shipped"]
    assert (shipped["fix"], shipped["G"], shipped["regime"], shipped["seed"]) == (row["fix"], which, row["regime"], row["seed"])
    assert shipped["file"] == recipe.shipped_filename(row["fix"]) and "fixes" not in shipped["file"]
    G = recipe.load_pretrained(raw=which == "raw")               # sha256 checked on load
    meta = G.checkpoint_extra
    assert meta["game"] == row["fix"] and meta["steps_run"] == row["steps"]
    assert meta["metrics"]["fid"] == pytest.approx(row[which]["fid"])
    images, _ = recipe.generate(G, 16, seed=0)
    assert images.shape == (16, 1, 28, 28) and torch.isfinite(images).all()
