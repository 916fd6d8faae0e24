"""Notebook 04 panels driven headlessly: the failure-mode gallery and latent arithmetic."""
import pytest
import torch

from gan_helpers.latent.arithmetic import analogy, jitter, mean_latent, parse_indices
from gan_helpers.models.dcgan import Generator
from gan_helpers.widgets.arithmetic import LatentArithmetic
from gan_helpers.widgets.dcgan import FailureGallery, failure_modes, results_table, run_mode, score_run, tail_means


@pytest.fixture
def x_real():
    torch.manual_seed(0)
    return torch.rand(64, 1, 28, 28) * 2 - 1


def test_failure_modes_differ_from_baseline():
    modes = {m.name: m for m in failure_modes()}
    base = modes["baseline"]
    assert not modes["no batch norm"].batch_norm and base.batch_norm
    assert modes["lr x25 (fast start)"].lr_G == 25 * base.lr_G == modes["lr x25 (fast start)"].lr_D
    assert modes["D much stronger"].d_channels_factor / modes["D much stronger"].g_channels_factor == 8
    collapse = modes["mode collapse"]   # G ten times faster than D, Adam beta1 0.9
    assert collapse.lr_G == 10 * collapse.lr_D == 10 * base.lr_D and collapse.beta1 == 0.9 and base.beta1 == 0.5
    assert all(m.description for m in modes.values()) and len(modes) == 5


def test_run_mode_few_steps(x_real):
    r = run_mode(failure_modes()[1], x_real, n_steps=3, base_channels=4, batch_size=16, n_samples=8)
    assert len(r["history"]["loss_D"]) == 3 and r["samples"].shape == (8, 1, 28, 28)
    with pytest.raises(ValueError):
        run_mode(failure_modes()[0], x_real[:, :, :20], n_steps=3)


def test_gallery_runs_and_shows(x_real):
    g = FailureGallery(x_real, n_steps=2, base_channels=4, batch_size=16)
    g.mode.value = "lr x25 (fast start)"
    assert g.image.value == b""  # not trained yet
    g.run_button.click()
    assert len(g.results["lr x25 (fast start)"]["history"]["loss_G"]) == 2
    assert g.image.value[:4] == b"\x89PNG" and "lr x25" in g.info.value and "D(x)" in g.info.value
    assert "scores" not in g.results["lr x25 (fast start)"]   # no classifier given: D's outputs only
    g.run("D much stronger", 3)
    assert len(g.results["D much stronger"]["history"]["D_x"]) == 3
    with pytest.raises(ValueError, match="unknown mode"):
        g.run("no such mode")


def test_arithmetic_helpers():
    z = torch.arange(12.0).reshape(4, 3)
    assert torch.equal(mean_latent(z, [0, 2]), torch.tensor([3.0, 4.0, 5.0]))
    assert torch.equal(analogy(z, [1], [0], [2]), z[1] - z[0] + z[2])
    assert parse_indices("3, 1 2", 4) == [3, 1, 2]
    for bad in ("", "a", "4"):
        with pytest.raises(ValueError):
            parse_indices(bad, 4)
    with pytest.raises(ValueError):
        mean_latent(z, [])
    j = jitter(z[0], 5, scale=0.25)
    assert torch.equal(j[0], z[0]) and (j - z[0]).abs().max() <= 0.25


def test_arithmetic_panel_headless():
    torch.manual_seed(0)
    G = Generator(8, 4)
    p = LatentArithmetic(G, n=12, n_variants=3)
    p.a_text.value = "1, 4"
    p.b_text.value = "2"
    p.c_text.value = "3 5"
    want = p.z[[1, 4]].mean(0) - p.z[2] + p.z[[3, 5]].mean(0)
    assert torch.allclose(p.result_z, want) and p.result_images.shape == (6, 1, 28, 28)
    p.a_text.value = "99"          # out of range: message shown, result kept
    assert p.error and "[0, 12)" in p.info.value and torch.allclose(p.result_z, want)
    with pytest.raises(ValueError):
        p.set_groups("0", "1", "12")


def test_a_repeated_run_says_it_reuses_the_earlier_result():
    from gan_helpers.widgets.dcgan import FailureGallery
    x_real = torch.rand(64, 1, 28, 28) * 2 - 1
    g = FailureGallery(x_real, n_steps=2, base_channels=4, batch_size=16)
    first = g.run("baseline")
    assert "earlier run" not in g.info.value
    assert g.run("baseline") is first and "earlier run with these settings" in g.info.value


def test_tail_means_and_table(x_real):
    assert tail_means({"a": [1.0, 2.0, 3.0], "b": []}, n=2) == {"a": 2.5}
    with pytest.raises(ValueError):
        tail_means({"a": [1.0]}, n=0)
    r = run_mode(failure_modes()[0], x_real, n_steps=2, base_channels=4, batch_size=16, n_samples=4)
    table = results_table({"baseline": r})
    assert "baseline" in table and "D(G(z))" in table and "MNIST-FID" in table


def test_runs_are_scored_beyond_D_outputs(x_real):
    """With the classifier, each run gets coverage, top-digit share, confident share and MNIST-FID on
    fresh samples; the gallery shows them and the table prints them with the floor."""
    from gan_helpers.metrics.mnist import load_classifier

    clf = load_classifier()
    r = run_mode(failure_modes()[0], x_real, n_steps=2, base_channels=4, batch_size=16, n_samples=4)
    sc = score_run(r, clf, n=200)
    assert r["scores"] is sc and sc["n"] == 200
    assert 0 <= sc["covered"] <= 10 and 0.1 <= sc["top_share"] <= 1 and 0 <= sc["confident"] <= 1
    assert sc["fid"] > sc["fid_floor"] > 0
    assert "floor at this n" in results_table({"baseline": r})
    g = FailureGallery(x_real, n_steps=2, base_channels=4, batch_size=16, clf=clf, n_score=200)
    g.run("mode collapse")
    assert "scores" in g.results["mode collapse"] and "digits covered" in g.info.value
    with pytest.raises(ValueError, match="n_score"):
        FailureGallery(x_real, clf=clf, n_score=1)


def test_arithmetic_static_picture():
    torch.manual_seed(0)
    p = LatentArithmetic(Generator(8, 4), n=12, n_variants=3, scale=2)
    png = p.static_png()
    assert png[:4] == b"\x89PNG" and p.static_image().data == png
    p.a_text.value = "99"          # an error in the boxes: no picture of a stale result
    with pytest.raises(ValueError, match="no result"):
        p.static_png()
    p.a_text.value = "1"
    with pytest.raises(ValueError, match="scale"):
        p.static_png(scale=0)
