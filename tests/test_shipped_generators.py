"""The shipped MNIST generators still score what the README and the notebooks say they do.

Fresh samples (seed 3; the README's figures use seed 0), 5,000 of them: half the metric's usual
count, to keep `make test` short. MNIST-FID is biased upwards at smaller counts (seed 3, int8 files:
vanilla 20.34 at 10,000 and 21.22 at 5,000; DCGAN 8.60 and 9.48; conditional 7.17 and 7.50), so
the bounds are for 5,000. Each bound sits a little beyond the measured figure, for sampling
noise, and far from what a broken, swapped or untrained checkpoint scores. The issue's
targets are in the README; where a shipped model misses one, the bound follows the model
(and the README says the target was missed), so this test guards against regressions.
"""
import pytest
import torch

from gan_helpers.metrics import mnist as metrics
from gan_helpers.recipes import cgan, dcgan, vanilla

N = 5000

# recipe: (MNIST-FID at most, confident share at least). Measured with seed 0 (README):
# vanilla averaged 19.40 / 83.7%, DCGAN (InfoGAN-shaped) averaged 8.55 / 88.6% (int8 files).
UNCONDITIONAL = {"vanilla": (vanilla, 25.0, 0.80), "dcgan": (dcgan, 10.5, 0.87)}


@pytest.fixture(scope="module")
def clf():
    return metrics.load_classifier()


def _score(images, clf, labels=None):
    return metrics.evaluate_generator(images, labels, clf=clf, n=N)


@pytest.fixture(scope="module")
def shipped(clf):
    """Each shipped generator's report on fresh samples, scored once for every test here."""
    loaders = {"vanilla": (vanilla, vanilla.load_pretrained), "dcgan": (dcgan, dcgan.load_pretrained),
               "cgan": (cgan, cgan.load_pretrained)}
    out = {}
    for name, (recipe, load) in loaders.items():
        G = load()
        images, labels = recipe.generate(G, N, seed=3)
        out[name] = (G, _score(images, clf, labels if recipe is cgan else None))
    return out


@pytest.mark.parametrize("name", sorted(UNCONDITIONAL))
def test_unconditional_generators(name, shipped):
    _, fid_max, confident_min = UNCONDITIONAL[name]
    G, r = shipped[name]
    assert G.checkpoint_extra["averaged"] is True and "--ship" in G.checkpoint_extra["command"]
    assert r["covered"] == 10 and r["fid"] <= fid_max and r["confident"] >= confident_min, r


def test_averaging_helps_the_vanilla_gan(clf, shipped):
    """Notebook 04's lesson on weight averaging: the average scores far better than the last iterate."""
    raw = _score(vanilla.generate(vanilla.load_pretrained(raw=True), N, seed=3)[0], clf)["fid"]
    avg = shipped["vanilla"][1]["fid"]
    assert avg < 0.5 * raw, (avg, raw)


def test_conditional_generator_draws_the_requested_digit(shipped):
    # README (seed 0): MNIST-FID 7.26, label accuracy 99.6%, weakest digit (5) 98.1%
    # (seed 3, here: 7.19, 99.7%, 98.8%).
    r = shipped["cgan"][1]
    assert r["fid"] <= 8.0 and r["label_accuracy"] >= 0.99, r
    assert min(r["per_class"]) >= 0.97, r["per_class"]


def test_the_order_of_the_lessons_holds(shipped):
    """The README's order conditional < DCGAN < vanilla in MNIST-FID, on fresh samples."""
    fid = {name: r["fid"] for name, (_, r) in shipped.items()}
    assert fid["cgan"] < fid["dcgan"] < fid["vanilla"], fid


def test_a_noise_generator_fails_the_same_checks(clf):
    """The bounds above can fail: random images miss every one of them."""
    noise = torch.rand(N, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    labels = torch.arange(N) % 10
    r = _score(noise, clf, labels)
    for _, fid_max, confident_min in UNCONDITIONAL.values():   # each unconditional check fails
        assert not (r["covered"] == 10 and r["fid"] <= fid_max and r["confident"] >= confident_min), r
    assert r["fid"] > 8.0 and r["label_accuracy"] < 0.99, r     # and so does the conditional one
    assert r["covered"] < 10 and r["fid"] > 1000            # (the classifier reads noise as one digit)
