"""Precision/recall and density/coverage (metrics/prdc.py) against a brute-force double loop,
on sets whose answer is known, and their input checks."""
import math

import pytest
import torch
from torch import nn

from gan_helpers.metrics.prdc import (density_coverage, format_prdc, knn_radii, mnist_prdc, precision_recall,
                                      prdc)


def brute_force(real: torch.Tensor, fake: torch.Tensor, k_pr: int = 3, k_dc: int = 5) -> dict:
    """The four numbers from their definitions, one pair of points at a time."""
    real, fake = real.double().tolist(), fake.double().tolist()

    def radius(points, i, k):  # distance to the k-th nearest *other* point
        return sorted(math.dist(points[i], q) for j, q in enumerate(points) if j != i)[k - 1]

    r_pr = [radius(real, i, k_pr) for i in range(len(real))]
    f_pr = [radius(fake, j, k_pr) for j in range(len(fake))]
    r_dc = [radius(real, i, k_dc) for i in range(len(real))]
    d = [[math.dist(r, f) for f in fake] for r in real]
    n, m = len(real), len(fake)
    precision = sum(any(d[i][j] <= r_pr[i] for i in range(n)) for j in range(m)) / m
    recall = sum(any(d[i][j] <= f_pr[j] for j in range(m)) for i in range(n)) / n
    density = sum(d[i][j] <= r_dc[i] for i in range(n) for j in range(m)) / (k_dc * m)
    coverage = sum(any(d[i][j] <= r_dc[i] for j in range(m)) for i in range(n)) / n
    return {"precision": precision, "recall": recall, "density": density, "coverage": coverage}


def sets(seed: int, n: int = 30, m: int = 25, f: int = 4, shift: float = 0.7):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, f, generator=g), shift + 1.3 * torch.randn(m, f, generator=g)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("chunk_size", [1, 7, 1024])
def test_all_four_match_the_double_loop(seed, chunk_size):
    real, fake = sets(seed)
    got, want = prdc(real, fake, chunk_size=chunk_size), brute_force(real, fake)
    assert got.keys() == want.keys()
    for name in want:
        assert got[name] == pytest.approx(want[name], abs=1e-12), name
    assert any(0 < got[name] < 1 for name in ("precision", "recall", "coverage"))  # not a trivial case


@pytest.mark.parametrize("k_pr, k_dc", [(1, 1), (2, 7), (5, 3)])
def test_other_k_match_the_double_loop(k_pr, k_dc):
    real, fake = sets(3, n=20, m=15)
    got, want = prdc(real, fake, k_pr=k_pr, k_dc=k_dc, chunk_size=6), brute_force(real, fake, k_pr, k_dc)
    for name in want:
        assert got[name] == pytest.approx(want[name], abs=1e-12), name


def test_the_pairs_apart_equal_prdc():
    real, fake = sets(4)
    both = prdc(real, fake, k_pr=2, k_dc=4)
    assert precision_recall(real, fake, k=2) == {k: both[k] for k in ("precision", "recall")}
    assert density_coverage(real, fake, k=4) == {k: both[k] for k in ("density", "coverage")}


def test_knn_radii_on_a_line():
    x = torch.arange(6.0)[:, None]  # points 0, 1, ..., 5 on a line
    assert knn_radii(x, 1).tolist() == [1.0] * 6
    assert knn_radii(x, 2).tolist() == [2.0, 1.0, 1.0, 1.0, 1.0, 2.0]
    assert knn_radii(x, 3, chunk_size=4).tolist() == [3.0, 2.0, 2.0, 2.0, 2.0, 3.0]


def test_identical_sets_give_one():
    real, _ = sets(5, n=40)
    r = prdc(real, real.clone())
    assert r["precision"] == r["recall"] == r["coverage"] == 1.0
    assert r["density"] > 0.5


def test_identical_sets_with_repeats_give_one_thanks_to_the_closed_ball():
    """Each point 4 times: with k = 3 every radius is 0, so only `<=` keeps a point in its ball."""
    base, _ = sets(6, n=10)
    real = base.repeat(4, 1)
    radii = knn_radii(real, 3)
    assert radii.eq(0).all()
    r = prdc(real, real.clone(), k_pr=3, k_dc=3)
    assert r["precision"] == r["recall"] == r["coverage"] == 1.0
    assert r["density"] == pytest.approx(4 / 3)  # each fake sits in the 4 balls of its copies
    strict = (torch.cdist(real.double(), real.double()) < radii[:, None]).any(0).double().mean()
    assert float(strict) == 0.0  # what a strict `<` would report as the precision


def test_far_apart_sets_give_zero():
    real, fake = sets(7)
    r = prdc(real, fake + 100.0)
    assert r == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_fakes_of_one_class_only_are_precise_but_not_diverse():
    """Real: 5 well-separated 2-D clusters; fake: as many points, all of cluster 0 (mode collapse).
    Quality is that of a good generator, diversity about 1/5 of it."""
    g = torch.Generator().manual_seed(8)
    angle = torch.arange(5) * 2 * math.pi / 5
    centres = 20.0 * torch.stack([angle.cos(), angle.sin()], 1)                     # (5, 2)
    real = torch.cat([c + torch.randn(40, 2, generator=g) for c in centres])       # (200, 2)
    collapsed = prdc(real, centres[0] + torch.randn(200, 2, generator=g))
    diverse = prdc(real, torch.cat([c + torch.randn(40, 2, generator=g) for c in centres]))
    assert collapsed["precision"] > 0.9 and collapsed["density"] > 0.8
    assert collapsed["recall"] < 0.25 and collapsed["coverage"] <= 0.2
    assert diverse["precision"] > 0.9 and diverse["density"] > 0.8
    assert diverse["recall"] > 0.8 and diverse["coverage"] > 0.9


def test_a_larger_k_never_lowers_precision_or_coverage():
    real, fake = sets(9, n=40, m=40)
    scores = [prdc(real, fake, k_pr=k, k_dc=k) for k in (1, 2, 3, 5, 8, 13)]
    for small, large in zip(scores, scores[1:]):  # bigger balls contain at least as much
        for name in ("precision", "recall", "coverage"):
            assert large[name] >= small[name], name


def test_k_must_leave_a_neighbour():
    real, fake = sets(10, n=6, m=4)
    assert 0 <= precision_recall(real, fake, k=3)["recall"] <= 1  # k = M - 1: allowed
    with pytest.raises(ValueError, match="at least 5 fake"):
        precision_recall(real, fake, k=4)  # k >= M: the fakes have no 4th other point
    with pytest.raises(ValueError, match="at least 7 real"):
        density_coverage(real, fake, k=6)
    assert 0 <= density_coverage(real, fake, k=5)["coverage"] <= 1  # fakes need no balls here
    for bad in (0, -1, 2.0, True, "3"):
        with pytest.raises(ValueError, match="k must be an int"):
            prdc(real, fake, k_pr=bad, k_dc=3)
    with pytest.raises(ValueError, match="at least 4 x features"):
        knn_radii(real[:3], 3)


def test_bad_inputs_are_refused_with_a_message():
    real, fake = sets(11)
    cases = [
        (real[0], fake, "2-D tensor"),
        (real, fake[None], "2-D tensor"),
        (real.numpy(), fake, "2-D tensor"),
        (real, fake[:, :3], "differ in size"),
        (real[:0], fake, "empty"),
        (real, fake > 0, "real numbers"),
    ]
    for a, b, msg in cases:
        with pytest.raises(ValueError, match=msg):
            prdc(a, b)
    for value in (float("nan"), float("inf")):
        poisoned = real.clone()
        poisoned[3, 1] = value
        with pytest.raises(ValueError, match="real contains nan or inf"):
            prdc(poisoned, fake)
        with pytest.raises(ValueError, match="fake contains nan or inf"):
            density_coverage(real, poisoned)
    for chunk in (0, -5, 1.5):
        with pytest.raises(ValueError, match="chunk_size"):
            prdc(real, fake, chunk_size=chunk)


def test_integer_and_float32_features_give_the_float64_answer():
    real, fake = sets(12)
    want = prdc(real.double(), fake.double())
    assert prdc(real.float(), fake.float()) == want
    assert prdc((10 * real).long(), (10 * fake).long()) == prdc((10 * real).long().double(), (10 * fake).long().double())


class TinyClassifier(nn.Module):
    """A stand-in for the MNIST classifier: 4x4 average-pooled pixels as features."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(16, 10)

    def features(self, x):
        return nn.functional.adaptive_avg_pool2d(x, 4).flatten(1)  # (N, 16)


def test_mnist_prdc_scores_the_classifier_features():
    g = torch.Generator().manual_seed(13)
    real = torch.rand(20, 1, 28, 28, generator=g) * 2 - 1
    fake = (torch.rand(15, 1, 28, 28, generator=g) * 2 - 1) * 0.8
    clf = TinyClassifier()
    want = prdc(clf.features(real).detach(), clf.features(fake).detach())
    assert mnist_prdc(real, fake, clf=clf, batch_size=6) == want
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        mnist_prdc(real[:, 0], fake, clf=clf)


def test_format_prdc():
    line = format_prdc({"precision": 0.91234, "recall": 0.5, "density": 1.25, "coverage": 0.75})
    assert line == "precision 0.912 | recall 0.500 | density 1.250 | coverage 0.750"
    assert format_prdc({"density": 1.0, "coverage": 0.5}) == "density 1.000 | coverage 0.500"
