"""Exercise checks of notebook 09 (precision, recall, density, coverage; the truncation trick): each
check passes hand-written model solutions and fails the stub, each typical slip (with its teaching
message) and the library's answer (itself, bound to another name, wrapped in a lambda); the answer key
of exercise 4 is re-measured with the library's prdc on ``failure_cases``."""
import math

import pytest
import torch

from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb09 import (HIGH_AT_LEAST, check_coverage, check_failure_reading, check_knn_radii,
                                     check_precision_recall, check_truncate, failure_cases)
from gan_helpers.checks.nb09_cases import ANSWERS, truncated_moments
from gan_helpers.latent import truncation
from gan_helpers.latent.truncation import scale_towards_mean, truncated_normal
from gan_helpers.metrics import prdc as prdc_module
from gan_helpers.metrics.prdc import density_coverage, knn_radii, precision_recall, prdc


def stub(*_args, **_kw):
    raise NotImplementedError()


def notebook(source: str, **names) -> dict:
    """Run ``source`` in a fresh namespace, as a notebook's cells would (the checks read fn.__globals__)."""
    ns = dict(names, torch=torch)
    exec(source, ns)
    return ns


# --- model solutions, with the slips as switches ----------------------------------------------------
def dists(a, b, squared=False):
    d2 = (a.double()[:, None] - b.double()[None]).pow(2).sum(-1)
    return d2 if squared else d2.sqrt()


def make_radii(self_in=False, squared=False, largest=False, indices=False, all_k=False, no_copies=False):
    def my_knn_radii(feats, k):
        d = dists(feats, feats, squared)
        if no_copies:
            d[d == 0] = float("inf")                       # drops the copies along with the point itself
        elif not self_in:
            d.fill_diagonal_(float("-inf") if largest else float("inf"))
        top = d.topk(k, dim=1, largest=largest)
        if indices:
            return top.indices[:, -1]
        return top.values if all_k else top.values[:, -1]
    return my_knn_radii


def make_pr(swap=False, fake_balls_p=False, real_balls_r=False, strict=False, self_in=False):
    radii = make_radii(self_in=self_in)

    def my_precision_recall(real, fake, k):
        d, r_real, r_fake = dists(real, fake), radii(real, k), radii(fake, k)
        inside = (lambda a, b: a < b) if strict else (lambda a, b: a <= b)
        p = inside(d, r_fake[None]).any(0) if fake_balls_p else inside(d, r_real[:, None]).any(0)
        r = inside(d, r_real[:, None]).any(1) if real_balls_r else inside(d, r_fake[None]).any(1)
        p, r = p.double().mean().item(), r.double().mean().item()
        return (r, p) if swap else (p, r)
    return my_precision_recall


def make_dc(per_k=True, per_real=False, fake_balls=False, strict=False, self_in=False, swap=False):
    radii = make_radii(self_in=self_in)

    def my_density_coverage(real, fake, k):
        d, r_real = dists(real, fake), radii(real, k)
        inside = d < r_real[:, None] if strict else d <= r_real[:, None]
        density = inside.sum().item() / ((k if per_k else 1) * (len(real) if per_real else len(fake)))
        balls = d <= radii(fake, k)[None] if fake_balls else inside
        coverage = balls.any(1).double().mean().item()
        return (coverage, density) if swap else (density, coverage)
    return my_density_coverage


# --- exercise 1 ---------------------------------------------------------------------------------------
def test_knn_radii_solution_passes():
    assert check_knn_radii(make_radii())
    assert check_knn_radii(lambda x, k: torch.cdist(x, x).fill_diagonal_(float("inf")).sort(1).values[:, k - 1])


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_radii(self_in=True), "its own nearest neighbour"),
    (make_radii(squared=True), "squared distances"),
    (make_radii(largest=True), "farthest"),
    (make_radii(indices=True), "indices"),
    (make_radii(all_k=True), "keep only the k-th one"),
    (make_radii(no_copies=True), "wrong with copies"),
    (lambda x, k: [0.0] * len(x), "should return a tensor"),
])
def test_knn_radii_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_knn_radii(wrong)


LIB_RADII = [knn_radii, prdc_module.knn_radii, lambda x, k: knn_radii(x, k), lambda x, k: prdc_module._radii(
    x.double(), (k,), 64)[k], lambda x, k: make_radii()(x, k) + 0 * prdc_module._dist(x, x).sum(),
    notebook("from gan_helpers.metrics.prdc import knn_radii as kr\ndef mine(x, k):\n    return kr(x, k)")["mine"]]


@pytest.mark.parametrize("wrong", LIB_RADII)
def test_knn_radii_refuses_the_library(wrong):
    with pytest.raises(CheckFailed, match="gan_helpers.metrics.prdc"):
        check_knn_radii(wrong)
    assert knn_radii(torch.eye(3), 1).shape == (3,)             # restored afterwards


# --- exercise 2 ---------------------------------------------------------------------------------------
def test_precision_recall_solution_passes():
    assert check_precision_recall(make_pr())


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_pr(swap=True), "swapped"),
    (make_pr(fake_balls_p=True), "Precision used the fakes' balls"),
    (make_pr(real_balls_r=True), "Recall used the reals' balls"),
    (make_pr(strict=True), "use <=, not <"),
    (make_pr(self_in=True), "own neighbour"),
    (lambda r, f, k: make_pr()(r, f, k)[0], "should return two numbers"),
    (lambda r, f, k: {"precision": 1.0, "recall": 1.0}, "should return two numbers"),
])
def test_precision_recall_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_precision_recall(wrong)


@pytest.mark.parametrize("wrong", [
    precision_recall, lambda r, f, k: tuple(precision_recall(r, f, k).values()),
    lambda r, f, k: tuple(prdc_module.prdc(r, f, k, k).values())[:2],
    lambda r, f, k: make_pr()(r, f, k) if knn_radii(r, k) is not None else None,
    notebook("import gan_helpers.metrics.prdc as m\ndef mine(r, f, k):\n"
             "    return tuple(m.precision_recall(r, f, k).values())")["mine"],
])
def test_precision_recall_refuses_the_library(wrong):
    with pytest.raises(CheckFailed, match="gan_helpers.metrics.prdc"):
        check_precision_recall(wrong)


# --- exercise 3 ---------------------------------------------------------------------------------------
def test_coverage_solution_passes():
    assert check_coverage(make_dc())


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_dc(per_k=False), "not divided by k"),
    (make_dc(per_real=True), r"divided by k \* N"),
    (make_dc(fake_balls=True), "that is recall"),
    (make_dc(strict=True), "use <=, not <"),
    (make_dc(self_in=True), "own neighbour"),
    (make_dc(swap=True), "swapped"),
])
def test_coverage_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_coverage(wrong)


@pytest.mark.parametrize("wrong", [
    density_coverage, lambda r, f, k: tuple(density_coverage(r, f, k).values()),
    lambda r, f, k: (prdc(r, f, k, k)["density"], prdc(r, f, k, k)["coverage"]),
    notebook("from gan_helpers.metrics import prdc as P\ndef mine(r, f, k):\n"
             "    return tuple(P._scores(r.double(), f.double(), None, k, 64).values())")["mine"],
])
def test_coverage_refuses_the_library(wrong):
    with pytest.raises(CheckFailed, match="gan_helpers.metrics.prdc"):
        check_coverage(wrong)


# --- exercise 4 ---------------------------------------------------------------------------------------
def flip(letter, metric):
    answers = {k: dict(v) for k, v in ANSWERS.items()}
    answers[letter][metric] = {"high": "low", "low": "high"}[answers[letter][metric]]
    return answers


def test_failure_reading_key_passes():
    assert check_failure_reading({"A": {"precision": "high", "recall": "low"},
                                  "B": {"precision": "low", "recall": "Low"},
                                  "C": {"precision": "high", "recall": "high"},
                                  "D": {"precision": " HIGH", "recall": "low"}})


@pytest.mark.parametrize("letter, metric, match", [
    ("A", "precision", "Missing classes do not lower precision"), ("A", "recall", "never draws 2-6"),
    ("B", "precision", "speckled samples lie far"), ("B", "recall", "B draws every class, yet its recall is low"),
    ("C", "precision", "dent precision"), ("C", "recall", "95% of C's"),
    ("D", "precision", "cannot tell memorising"), ("D", "recall", "radius 0"),
])
def test_failure_reading_explains_each_wrong_cell(letter, metric, match):
    with pytest.raises(CheckFailed, match=f"1 of the 8 answers differs(.|\n)*{letter}'s {metric}(.|\n)*{match}"):
        check_failure_reading(flip(letter, metric))


@pytest.mark.parametrize("answers, match", [
    ([("A", "high")], "should be a dict"),
    ({"A": ANSWERS["A"], "B": ANSWERS["B"], "D": ANSWERS["D"]}, "no entry for C"),
    ({**ANSWERS, "E": ANSWERS["A"]}, "only the generators A, B, C and D"),
    ({**ANSWERS, "B": "low"}, r"answers\['B'\] should be a dict"),
    ({**ANSWERS, "C": {"precision": "high"}}, r"answers\['C'\] has no 'recall'"),
    ({**ANSWERS, "D": {"precision": "medium", "recall": "low"}}, "answer 'high'"),
    ({**ANSWERS, "D": {"precision": None, "recall": "low"}}, "is None"),
])
def test_failure_reading_refuses_malformed_answers(answers, match):
    with pytest.raises(CheckFailed, match=match):
        check_failure_reading(answers)


def test_failure_cases_measure_the_answer_key(mnist_mirror):
    """The key is what the library's prdc measures in the classifier's feature space, with a margin."""
    from gan_helpers.metrics.mnist import classifier_features
    x_real, fakes = failure_cases(1000, seed=0, mirror=mnist_mirror)
    assert x_real.shape == (1000, 1, 28, 28) and set(fakes) == set("ABCD")
    assert all(f.shape == x_real.shape and f.min() >= -1 and f.max() <= 1 for f in fakes.values())
    real = classifier_features(None, x_real)
    for letter, x_fake in fakes.items():
        r = prdc(real, classifier_features(None, x_fake))
        for metric in ("precision", "recall"):
            high = ANSWERS[letter][metric] == "high"
            assert (r[metric] >= HIGH_AT_LEAST + 0.05) if high else (r[metric] <= HIGH_AT_LEAST - 0.3), (letter, r)


@pytest.mark.parametrize("kw", [dict(n=5), dict(n=2000.0), dict(speckle=2.0), dict(n=200, n_memorised=200)])
def test_failure_cases_bad_input(kw):
    with pytest.raises(ValueError):
        failure_cases(**kw)


# --- exercise 5 ---------------------------------------------------------------------------------------
def make_truncate(how="resample", once=False, no_gen=False):
    def my_truncate(n, latent_dim, threshold, generator):
        gen = None if no_gen else generator
        z = torch.randn(n, latent_dim, generator=gen)
        if how == "clip":
            return z.clamp(-threshold, threshold)
        if how == "scale":
            return z * threshold / z.abs().max()
        if how == "uniform":
            return (torch.rand(n, latent_dim, generator=gen) * 2 - 1) * threshold
        if how == "abs":
            z = z.abs()
        if how == "double":
            z = z.double()
        while True:
            bad = z.abs() > threshold
            if not bad.any():
                return z
            z[bad] = torch.randn(int(bad.sum()), generator=gen, dtype=z.dtype).abs() if how == "abs" else \
                torch.randn(int(bad.sum()), generator=gen, dtype=z.dtype)
            if once:
                return z
    return my_truncate


def by_rows(n, latent_dim, threshold, generator):
    """Whole latents redrawn while any entry is outside: the same distribution (entries are independent)."""
    z = torch.randn(n, latent_dim, generator=generator)
    while (bad := (z.abs() > threshold).any(1)).any():
        z[bad] = torch.randn(int(bad.sum()), latent_dim, generator=generator)
    return z


def test_truncated_moments_match_a_large_sample():
    z = torch.randn(2_000_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for a in (0.5, 1.0, 2.0):
        zt, m = z[z.abs() <= a], truncated_moments(a)
        assert math.isclose(float(zt.pow(2).mean()), m["m2"], rel_tol=5e-3)
        assert math.isclose(float(zt.pow(4).mean()), m["m4"], rel_tol=1e-2)
        assert math.isclose(float(zt.abs().mean()), m["abs"], rel_tol=5e-3)
    assert abs(math.sqrt(truncated_moments(1.0)["m2"]) - 0.5396) < 1e-4


@pytest.mark.parametrize("good", [make_truncate(), by_rows])
def test_truncate_solutions_pass(good):
    assert check_truncate(good)


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_truncate("clip"), "clipping"),
    (make_truncate("scale"), "scale_towards_mean"),
    (make_truncate("uniform"), "uniform"),
    (make_truncate("abs"), "symmetric"),
    (make_truncate("double"), "float32"),
    (make_truncate(once=True), "entries lie outside"),
    (make_truncate(no_gen=True), "seeded alike gave different z"),
    (lambda n, d, t, g: make_truncate()(d, n, t, g), r"one latent per row"),
    (lambda n, d, t, g: make_truncate()(n, d, t, torch.Generator().manual_seed(0)), "different seeds"),
    (lambda n, d, t, g: make_truncate()(n, d, 2 * t, g), "outside"),
])
def test_truncate_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_truncate(wrong)


@pytest.mark.parametrize("wrong", [
    truncated_normal, truncation.truncated_normal,
    lambda n, d, t, g: truncated_normal(n, d, t, g),
    lambda n, d, t, g: truncation.truncated_normal(n, d, t, generator=g),
    lambda n, d, t, g: scale_towards_mean(torch.randn(n, d, generator=g), 0.3).clamp(-t, t),
    notebook("from gan_helpers.latent import truncated_normal as tn\n"
             "def mine(n, d, t, g):\n    return tn(n, d, t, g)")["mine"],
    lambda n, d, t, g: torch.nn.init.trunc_normal_(torch.empty(n, d), a=-t, b=t, generator=g),
    notebook("from torch.nn.init import trunc_normal_ as tn\ndef mine(n, d, t, g):\n"
             "    return tn(torch.empty(n, d), a=-t, b=t, generator=g)")["mine"],
    torch.nn.init.trunc_normal_,
])
def test_truncate_refuses_the_library(wrong):
    with pytest.raises(CheckFailed, match="trunc|resampl"):
        check_truncate(wrong)
    assert truncated_normal(2, 2, 1.0).shape == (2, 2)          # restored afterwards


def test_the_checks_own_references_are_refused():
    from gan_helpers.checks import nb09 as checks
    with pytest.raises(checks.CheckFailed, match="build the k-NN balls yourself"):
        checks.check_knn_radii(lambda feats, k: checks._radii(feats, k))
    with pytest.raises(checks.CheckFailed, match="build the k-NN balls yourself"):
        checks.check_precision_recall(lambda real, fake, k=3: checks._pr(real, fake, k))
    with pytest.raises(checks.CheckFailed, match="build the k-NN balls yourself"):
        checks.check_coverage(lambda real, fake, k=5: checks._dc(real, fake, k))
