"""MNIST metrics with the shipped classifier: FID floor vs noise, coverage, shape errors."""
import numpy as np
import pytest
import torch

from gan_helpers.metrics import mnist as metrics
from gan_helpers.data.mnist import load_mnist

N = 2000  # small n keeps the file fast; scores are compared only at the same n


@pytest.fixture(scope="module")
def clf():
    return metrics.load_classifier()


@pytest.fixture(scope="module")
def real():
    x, y = load_mnist(train=True)
    # A random subset, drawn with another seed than the one fid_floor uses. (MNIST's file
    # order is not random: its last 2,000 images alone score several times the floor.)
    idx = torch.randperm(len(x), generator=torch.Generator().manual_seed(1))[:N]
    return x[idx], y[idx]


def test_frechet_distance_matches_the_formula_with_scipy():
    from scipy import linalg

    g = torch.Generator().manual_seed(0)
    a = torch.randn(500, 6, generator=g) @ torch.randn(6, 6, generator=g)
    b = torch.randn(400, 6, generator=g) * 2 + 1
    fa, fb = a.double().numpy(), b.double().numpy()
    s1, s2 = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    expected = ((fa.mean(0) - fb.mean(0)) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean)
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="feature sizes differ"):
        metrics.frechet_distance(a, b[:, :5])
    with pytest.raises(ValueError, match="at least 2 rows"):
        metrics.frechet_distance(a[:1], b)


def test_real_images_score_near_the_floor_and_noise_far_above(clf, real):
    floor = metrics.fid_floor(clf, n=N)
    fid_real = metrics.mnist_fid(real[0], clf, n=N)
    noise = torch.rand(N, 1, 28, 28) * 2 - 1
    fid_noise = metrics.mnist_fid(noise, clf, n=N)
    assert 0 < floor and fid_real < 2 * floor + 1.0
    assert fid_noise > 20 * max(floor, fid_real)
    assert metrics.fid_floor(clf, n=N) == floor              # cached, same value


def test_coverage_confidence_and_label_accuracy(clf, real):
    x, y = real
    cov = metrics.class_coverage(x, clf)
    assert cov["covered"] == 10 and len(cov["shares"]) == 10
    assert sum(cov["shares"]) == pytest.approx(1.0)
    one = x[(y == 3).nonzero()[0, 0]].expand(300, 1, 28, 28)   # a single digit, repeated
    cov1 = metrics.class_coverage(one, clf)
    assert cov1["covered"] == 1 and cov1["shares"][3] == 1.0
    assert metrics.confident_share(x, clf) > 0.9
    acc = metrics.label_accuracy(x, y, clf)
    assert acc["accuracy"] > 0.97 and len(acc["per_class"]) == 10
    wrong = metrics.label_accuracy(x, (y + 1) % 10, clf)
    assert wrong["accuracy"] < 0.05
    assert np.isnan(metrics.label_accuracy(x[:5], torch.zeros(5, dtype=torch.long), clf)["per_class"][7])


def test_evaluate_generator_reports_everything(clf, real):
    r = metrics.evaluate_generator(real[0], labels=real[1], clf=clf, n=N)
    for key in ("fid", "fid_floor", "covered", "confident", "label_accuracy", "per_class", "shares"):
        assert key in r
    assert "floor" in metrics.format_report(r)


def test_bad_inputs_raise_value_errors(clf, real):
    x = real[0]
    with pytest.raises(ValueError, match=r"unsqueeze\(1\)"):
        metrics.classifier_features(clf, x[:, 0])
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        metrics.class_coverage(x.expand(-1, 3, -1, -1), clf)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        metrics.confident_share((x + 1) * 127.5, clf)
    with pytest.raises(ValueError, match="exactly n=10000"):
        metrics.mnist_fid(x, clf)                           # 2000 images, default n 10000
    with pytest.raises(ValueError, match="reference"):
        metrics.mnist_fid(x, clf, n=N, reference="val")
    with pytest.raises(ValueError, match="labels"):
        metrics.label_accuracy(x, real[1][:10], clf)
    with pytest.raises(ValueError, match="nan"):
        metrics.confident_share(torch.full((4, 1, 28, 28), float("nan")), clf)
    with pytest.raises(ValueError, match="torch.Tensor"):
        metrics.class_coverage(x.numpy(), clf)
