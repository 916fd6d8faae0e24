"""Notebook 09 panel driven headlessly: the truncation trick's sample grid and precision, recall,
density and coverage, with tiny stand-in generators (and the shipped DCGAN for the trade itself)."""
import math

import pytest
import torch

from gan_helpers.metrics.mnist import classifier_features, load_classifier
from gan_helpers.metrics.prdc import prdc
from gan_helpers.models.cgan import ConditionalGenerator
from gan_helpers.models.dcgan import Generator
from gan_helpers.widgets.truncation import (MODES, TruncationExplorer, TruncationScorer, plot_truncation_curve,
                                            truncation_curve)

SMALL = dict(n=20, n_real=40)


@pytest.fixture(scope="module")
def clf():
    return load_classifier()


@pytest.fixture(scope="module")
def x_real():
    """Samples of the stand-in G (other z): fakes land among them, so the scores are not all 0."""
    torch.manual_seed(0)
    with torch.no_grad():
        return Generator(8, 4).eval()(torch.randn(60, 8, generator=torch.Generator().manual_seed(1)))


@pytest.fixture
def G():
    torch.manual_seed(0)
    return Generator(8, 4).eval()


@pytest.fixture
def cG():
    torch.manual_seed(0)
    return ConditionalGenerator(latent_dim=6, n_classes=10, base_channels=4).eval()


def test_scores_match_prdc_with_precomputed_real_radii(G, x_real, clf):
    s = TruncationScorer(G, None, x_real, clf, **SMALL)
    fake = classifier_features(clf, s.generate(s.latents(0.7)))
    assert s.prdc(fake) == prdc(s.real_features, fake)   # the reference recomputes the real radii
    assert s.real_features.shape == (40, 128) and s.r_pr.shape == s.r_dc.shape == (40,)


def test_fixed_seed_changes_only_the_truncation(G, x_real, clf):
    s = TruncationScorer(G, 8, x_real, clf, **SMALL)
    z, z_half = s.latents(), s.latents(0.5)
    inside = z.abs() <= 0.5
    assert torch.equal(z[inside], z_half[inside]) and z_half.abs().max() <= 0.5
    assert torch.equal(s.latents(psi=0.5), 0.5 * z)
    first, images = s.score(0.5)
    again, images2 = s.score(0.5)
    assert first == again and torch.equal(images, images2)


def test_conditional_G_gets_balanced_labels(cG, x_real, clf):
    s = TruncationScorer(cG, None, x_real, clf, **SMALL)
    assert s.conditional and torch.equal(s.labels, torch.arange(20) % 10)
    z = s.latents(1.0)
    with torch.no_grad():
        assert torch.allclose(s.generate(z), cG(z, torch.arange(20) % 10), atol=1e-6)
    p = TruncationExplorer(cG, None, x_real, clf, **SMALL, n_grid=10)
    p.set_threshold(0.5)
    assert set(p.scores) == {"precision", "recall", "density", "coverage"}


def test_slider_move_updates_scores_and_picture(G, x_real, clf):
    p = TruncationExplorer(G, None, x_real, clf, **SMALL, n_grid=16)
    assert p.threshold.value == math.inf and p.scores == p.reference and "none" in p.info.value
    before, grid = dict(p.scores), p.grid
    p.threshold.value = 0.2
    assert p.scores != before and p.grid != grid and p.grid[:4] == b"\x89PNG"
    assert p.update_ms > 0 and "threshold 0.2" in p.info.value and "ms" in p.info.value
    html = p.html()
    assert "data:image/png;base64," in html and "precision" in html and "(none: " in html
    p.threshold.value = math.inf                     # revisited: from the cache, same numbers
    assert p.scores == before and "cached" in p.info.value
    other = TruncationExplorer(G, None, x_real, clf, **SMALL, n_grid=16)
    other.set_threshold(0.2)
    p.set_threshold(0.2)
    assert other.scores == p.scores                  # same seed, same threshold: identical numbers


def test_psi_mode_swaps_sliders(G, x_real, clf):
    p = TruncationExplorer(G, None, x_real, clf, **SMALL, n_grid=8)
    assert p.psi.layout.display == "none"
    p.set_psi(0.0)                                   # every z at the mean: one image n times
    assert p.mode.value == MODES[1] and p.setting == ("psi", 0.0)
    assert p.threshold.layout.display == "none" and p.psi.layout.display is None
    assert p.scores["recall"] <= 1 / 40 + 1e-12      # identical fakes have radius 0: at most a tie
    p.set_threshold(1.0)
    assert p.mode.value == MODES[0] and p.setting == ("threshold", 1.0)


def test_display_updates_by_display_id(G, x_real, clf):
    class Handle:
        def __init__(self):
            self.shown = []

        def update(self, obj):
            self.shown.append(obj.data)

    p = TruncationExplorer(G, None, x_real, clf, **SMALL, n_grid=8)
    p._handle = Handle()
    p.set_threshold(0.3)
    assert len(p._handle.shown) == 1 and "threshold 0.3" in p._handle.shown[0]


def test_bad_values_are_refused(G, cG, x_real, clf):
    p = TruncationExplorer(G, None, x_real, clf, **SMALL, n_grid=8)
    for bad in (5.0, 0.0, -1, 0.35, float("nan"), True, "1"):
        with pytest.raises(ValueError, match="threshold must be one of"):
            p.set_threshold(bad)
    for bad in (1.5, -0.1, 0.33):
        with pytest.raises(ValueError, match="psi must be one of"):
            p.set_psi(bad)
    cases = [(dict(real_images=x_real[:, 0]), "real_images must be a tensor"),
             (dict(n=3), "n must be an int in \\[4"),
             (dict(n_real=5), "n_real must be an int in \\[6"),
             (dict(n_real=61), "holds only 60"),
             (dict(thresholds=(0.5, -1.0)), "thresholds must be numbers > 0"),
             (dict(psis=(0.5, 2.0)), "psis must be numbers in"),
             (dict(conditional=True), "n_classes"),
             (dict(n_grid=21), "n_grid")]
    for kw, msg in cases:
        args = {**dict(real_images=x_real, clf=clf), **SMALL, **kw}
        with pytest.raises(ValueError, match=msg):
            TruncationExplorer(G, None, **args)


def test_curve_and_its_plot(G, x_real, clf):
    curve = truncation_curve(G, None, x_real, [0.5, math.inf], n=20, clf=clf, n_real=40)
    assert [c["threshold"] for c in curve] == [0.5, math.inf]
    assert set(curve[0]) == {"threshold", "precision", "recall", "density", "coverage"}
    fig = plot_truncation_curve(curve)
    assert len(fig.axes) == 2 and "none" in [t.get_text() for t in fig.axes[0].texts]
    psi = truncation_curve(G, None, x_real, [0.5, 1.0], n=20, clf=clf, n_real=40, mode="psi")
    assert psi[1]["psi"] == 1.0 and {k: v for k, v in psi[1].items() if k != "psi"} == \
        {k: v for k, v in curve[1].items() if k != "threshold"}      # psi 1 and no threshold: the same z
    with pytest.raises(ValueError, match="mode"):
        truncation_curve(G, None, x_real, [1.0], n=20, clf=clf, n_real=40, mode="clip")
    with pytest.raises(ValueError, match="empty"):
        truncation_curve(G, None, x_real, [], n=20, clf=clf, n_real=40)
    with pytest.raises(ValueError, match="curve"):
        plot_truncation_curve([{"threshold": 1.0}])


def test_truncation_trades_recall_for_precision_in_the_shipped_dcgan(clf):
    """Measured (seed 0, n = n_real = 2000): threshold 0.25 precision 1.000 recall 0.000,
    1.0: 0.914 / 0.501, none: 0.821 / 0.856. Here at n = 500, n_real = 1000 to stay quick."""
    from gan_helpers.data.mnist import load_mnist
    from gan_helpers.recipes import dcgan

    x, _ = load_mnist(train=False)
    low, none = truncation_curve(dcgan.load_pretrained(), None, x, [0.25, math.inf], n=500, clf=clf, n_real=1000)
    assert low["recall"] < none["recall"] - 0.5 and low["precision"] > none["precision"]
    assert low["coverage"] < none["coverage"] and low["density"] > none["density"]
