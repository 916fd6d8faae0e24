"""pix2pix training (train/pix2pix.py, recipes/pix2pix.py) and its scores (metrics/paired.py):
the losses against hand computations, one step, the recipe in resumable chunks on stand-in
photos, its config checks, and the colour metrics (Isola et al. 2017; notebook 07)."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_helpers.checkpoints import load_checkpoint
from gan_helpers.data.pairs import colour_pair, colour_to_rgb
from gan_helpers.metrics.paired import (ab_histogram, chroma, histogram_intersection, make_pairs, paired_report,
                                        to_rgb)
from gan_helpers.models.classifier_photos import PhotoClassifier
from gan_helpers.models.cyclegan import PatchDiscriminator
from gan_helpers.models.pix2pix import PixelDiscriminator, UNetGenerator
from gan_helpers.recipes import pix2pix as recipe
from gan_helpers.train.pix2pix import d_loss, g_loss, make_optimizers, pair, train_step

TINY = dict(limit=2, steps=2, g_channels=4, d_channels=4, batch_size=2, evaluate=False, threads=1, log_every=1)


def photos(n=4, size=16, seed=0):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.fixture
def batch():
    torch.manual_seed(0)
    x, y = colour_pair(photos())
    return x, y, torch.tanh(torch.randn_like(y))  # input L, real ab, a "fake" ab


def test_d_loss_is_half_the_bce_of_real_and_fake_pairs(batch):
    x, y_real, y_fake = batch
    D = PixelDiscriminator(3, base_channels=4)
    by_hand = 0.5 * (F.softplus(-D(torch.cat([x, y_real], 1))).mean()   # -log sigmoid(l): target 1
                     + F.softplus(D(torch.cat([x, y_fake], 1))).mean())  # -log(1 - sigmoid(l)): target 0
    assert d_loss(D, x, y_real, y_fake).item() == pytest.approx(by_hand.item(), rel=1e-6)


@pytest.mark.parametrize("lambda_l1, lambda_gan", [(100.0, 1.0), (0.0, 1.0), (10.0, 0.5)])
def test_g_loss_is_the_gan_term_plus_lambda_l1(batch, lambda_l1, lambda_gan):
    x, y_real, y_fake = batch
    D = PatchDiscriminator(3, base_channels=4, n_layers=1)
    adv = F.softplus(-D(torch.cat([x, y_fake], 1))).mean()
    l1 = (y_real - y_fake).abs().mean()
    loss, parts = g_loss(D, x, y_real, y_fake, lambda_l1, lambda_gan)
    assert loss.item() == pytest.approx((lambda_gan * adv + lambda_l1 * l1).item(), rel=1e-6)
    assert parts == pytest.approx({"L1": l1.item(), "G_gan": adv.item()})


def test_l1_only_needs_no_discriminator(batch):
    x, y_real, y_fake = batch
    loss, parts = g_loss(None, x, y_real, y_fake, lambda_l1=100.0, lambda_gan=0.0)
    assert set(parts) == {"L1"} and loss.item() == pytest.approx(100 * (y_real - y_fake).abs().mean().item())
    with pytest.raises(ValueError, match="needs a discriminator"):
        g_loss(None, x, y_real, y_fake, lambda_gan=1.0)


def test_d_loss_does_not_reach_G():
    G, D = UNetGenerator(1, 2, base_channels=4, n_down=3), PixelDiscriminator(3, base_channels=4)
    x, y = colour_pair(photos(2, 8))
    d_loss(D, x, y, G(x)).backward()
    assert all(p.grad is None for p in G.parameters())          # y_fake was detached
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in D.parameters())


def test_pair_stacks_input_and_output_and_refuses_mismatches():
    x, y = torch.zeros(2, 1, 8, 8), torch.ones(2, 2, 8, 8)
    assert torch.equal(pair(x, y), torch.cat([x, y], 1))
    with pytest.raises(ValueError, match="one batch and size"):
        pair(x, torch.ones(2, 2, 4, 4))
    with pytest.raises(ValueError, match="one batch and size"):
        pair(x, torch.ones(3, 2, 8, 8))


@pytest.mark.parametrize("lambda_gan", [1.0, 0.0])
def test_one_train_step_moves_G_and_D(lambda_gan, device):
    torch.manual_seed(0)
    G = UNetGenerator(1, 2, base_channels=4, n_down=3).to(device)
    D = PatchDiscriminator(3, base_channels=4, n_layers=1).to(device) if lambda_gan else None
    opt_G, opt_D = make_optimizers(G, D)
    assert (opt_D is None) == (D is None) and opt_G.param_groups[0]["betas"] == (0.5, 0.999)
    before_G = [p.detach().clone() for p in G.parameters()]
    before_D = [p.detach().clone() for p in D.parameters()] if D else []
    x, y = colour_pair(photos(4, 16).to(device))  # on the GPU under `make gpu-check`
    out = train_step(G, D, opt_G, opt_D, x, y, lambda_l1=100.0, lambda_gan=lambda_gan)
    assert set(out) == ({"D", "L1", "G_gan"} if D else {"L1"})
    assert all(torch.isfinite(torch.tensor(v)) for v in out.values())
    assert any(not torch.equal(a, p) for a, p in zip(before_G, G.parameters()))
    assert all(not torch.equal(a, p) for a, p in zip(before_D, D.parameters())) if D else True


# --- the recipe, on stand-in photos (the real ones need the horse2zebra cache) ----------------
def made_photos(split="trainA", size=64, limit=None, device="cpu", **_):
    """Stand-in for ``load_horse2zebra`` (as in tools/gpu_check.py): (N, 3, size, size) in [-1, 1]."""
    g = torch.Generator().manual_seed(len(split))
    n = min(limit or 4, 4)
    return (torch.rand(n, 3, size, size, generator=g) * 2 - 1).to(device)


@pytest.fixture
def stand_in(monkeypatch):
    monkeypatch.setattr(recipe, "load_horse2zebra", made_photos)


def weights(path):
    from safetensors.torch import load_file
    return load_file(str(path))


def test_recipe_writes_a_loadable_colouriser(stand_in, tmp_path):
    result = recipe.train(recipe.Config(**TINY, out=str(tmp_path / "p.safetensors")))
    assert result.info["finished"] and result.path == tmp_path / "p.safetensors"
    G = load_checkpoint(result.path, UNetGenerator)
    assert G.config == result.model.config and G.config["in_channels"] == 1 and G.config["out_channels"] == 2
    L = colour_pair(photos(2, 64))[0]
    with torch.no_grad():
        assert torch.allclose(G(L), result.model.eval()(L))
    assert [h["step"] for h in result.info["history"]] == [1, 2]
    assert result.files["state"].exists() and "--steps 2" in result.info["command"]


def test_recipe_stops_on_time_and_resumes_to_the_same_weights(stand_in, tmp_path, capsys, device):
    tiny = dict(TINY, device=str(device))  # under `make gpu-check` on the GPU: dropout draws from CUDA's generator
    one = recipe.train(recipe.Config(**tiny, out=str(tmp_path / "one" / "p.safetensors")))
    chunk = dict(tiny, out=str(tmp_path / "two" / "p.safetensors"), state=str(tmp_path / "two" / "s.pt"))
    first = recipe.train(recipe.Config(**chunk, minutes=1e-9))  # stops after one step
    assert first.info == {"finished": False, "step": 1, "state": chunk["state"]}
    assert "--resume to continue" in capsys.readouterr().out
    second = recipe.train(recipe.Config(**chunk, resume=True))
    assert "resumed from" in capsys.readouterr().out and second.info["finished"]
    assert [h["step"] for h in second.info["history"]] == [1, 2]
    a, b = weights(one.path), weights(second.path)
    assert a.keys() == b.keys()
    if device.type == "cpu":
        assert all(torch.equal(a[k], b[k]) for k in a)  # bitwise: the same batches, dropout masks and updates
    else:  # GPU kernels may sum in another order; other dropout masks would differ far more
        assert all(torch.allclose(a[k], b[k], atol=1e-4) for k in a)
    assert "--resume" not in second.info["command"]
    with pytest.raises(ValueError, match="holds a G built with"):
        recipe.train(recipe.Config(**dict(chunk, g_channels=8), resume=True))


@pytest.mark.parametrize("change", [dict(task="edges", d_layers=0), dict(lambda_gan=0.0),
                                    dict(skips=False, d_layers=1)])
def test_recipe_variants_run(stand_in, tmp_path, change):
    cfg = recipe.Config(**dict(TINY, steps=1, **change), out=str(tmp_path / "v.safetensors"))
    assert (recipe.build_D(cfg) is None) == (cfg.lambda_gan == 0)
    if cfg.d_layers == 0:
        assert isinstance(recipe.build_D(cfg), PixelDiscriminator) and recipe.build_D(cfg).config["in_channels"] == 4
    G = recipe.train(cfg).model
    assert G.config["out_channels"] == (3 if cfg.task == "edges" else 2) and G.config["skips"] == cfg.skips


@pytest.mark.parametrize("change, match", [
    (dict(task="zebras"), "task must be one of"),
    (dict(lambda_l1=0.0, lambda_gan=0.0), "not both 0"),
    (dict(lambda_l1=-1.0), "must be >= 0"),
    (dict(size=60), "multiple of 2 \\*\\* n_down"),
    (dict(size=64, load_size=60), "load_size >= size"),
    (dict(steps=0), "steps must be >= 1"),
    (dict(d_layers=-1), "d_layers"),
    (dict(minutes=0), "minutes must be positive"),
    (dict(tag="a b"), "tag must be"),
    (dict(resume=True), "--resume needs"),
])
def test_recipe_config_is_checked_before_any_work(change, match):
    with pytest.raises(ValueError, match=match):
        recipe.train(recipe.Config(**{**dict(threads=1), **change}))


def test_recipe_file_names_and_command_line_table():
    from gan_helpers.recipes import RECIPES
    assert RECIPES["pix2pix"] is recipe
    assert recipe.filename(recipe.Config()) == "pix2pix_colour.safetensors"
    assert recipe.filename(recipe.Config(task="edges", tag="l1")) == "pix2pix_edges_l1.safetensors"
    assert recipe.channels("colour") == (1, 2) and recipe.channels("edges") == (1, 3)


# --- metrics.paired -------------------------------------------------------------------------
def test_histograms_and_chroma():
    x = photos(3, 16)
    p = ab_histogram(x)
    assert p.shape == (22, 22) and p.sum().item() == pytest.approx(1.0)
    assert histogram_intersection(p, p) == pytest.approx(1.0)
    grey = colour_to_rgb(colour_pair(x)[0], torch.zeros(3, 2, 16, 16))
    assert chroma(grey).shape == (3, 16, 16) and chroma(grey).max() < 0.05
    assert chroma(x).mean() > 10
    q = ab_histogram(grey)   # every grey pixel in the centre bin(s)
    assert histogram_intersection(p, q) < 0.5
    red = -torch.ones(1, 3, 2, 2)
    red[:, 0] = 1
    assert chroma(red).mean().item() == pytest.approx(104.55, abs=0.05)  # sqrt(80.09^2 + 67.20^2)


def test_make_pairs_and_to_rgb_per_task():
    x = photos(2, 8)
    L, ab = make_pairs("colour", x)
    assert (to_rgb("colour", L, ab) - x).abs().max() < 1e-4
    edges, target = make_pairs("edges", x)
    assert edges.shape == (2, 1, 8, 8) and torch.equal(to_rgb("edges", edges, target), x)
    with pytest.raises(ValueError, match="task must be one of"):
        make_pairs("depth", x)


class Oracle(nn.Module):
    """A stand-in G that answers the truth it was given (or grey, with ``grey=True``)."""

    def __init__(self, y, grey=False):
        super().__init__()
        self.y, self.grey = y, grey
        self.unused = nn.Parameter(torch.zeros(1))  # paired_report reads the device from the parameters

    def forward(self, x):
        return torch.zeros_like(self.y[:len(x)]) if self.grey else self.y[:len(x)]


def test_paired_report_keys_and_values():
    torch.manual_seed(0)
    clf = PhotoClassifier(channels=4, feature_dim=6).eval()
    test, ref = photos(6, 32, seed=1), photos(6, 32, seed=2)
    x, y = make_pairs("colour", test)
    r = paired_report(UNetGenerator(1, 2, base_channels=4, n_down=5), "colour", x, y, clf=clf, reference=ref)
    assert set(r) == {"l1", "kid", "kid_sd", "kid_input", "kid_floor", "chroma", "chroma_real", "ab_overlap"}
    assert all(isinstance(v, float) and v == v for v in r.values())
    truth = paired_report(Oracle(y), "colour", x, y, clf=clf)
    assert truth["l1"] == 0 and truth["ab_overlap"] == pytest.approx(1.0) and "kid_floor" not in truth
    assert truth["chroma"] == pytest.approx(truth["chroma_real"])
    grey = paired_report(Oracle(y, grey=True), "colour", x, y, clf=clf)
    assert grey["chroma"] < 0.05 < grey["chroma_real"] and grey["ab_overlap"] < truth["ab_overlap"]
    assert truth["kid"] < grey["kid"]  # the truth against itself: the unbiased KID is about 0 (may dip below)
    assert grey["kid"] == pytest.approx(grey["kid_input"])  # adding no colour is the input itself
    e, target = make_pairs("edges", test)
    r = paired_report(UNetGenerator(1, 3, base_channels=4, n_down=5), "edges", e, target, clf=clf)
    assert set(r) == {"l1", "kid", "kid_sd", "kid_input"}
