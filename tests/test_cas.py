"""Classification Accuracy Score (Ravuri and Vinyals 2019; notebook 09): ``gan_helpers.metrics.cas``."""
import pytest
import torch

from gan_helpers.data.mnist import load_mnist
from gan_helpers.metrics.cas import (check_digits, classification_accuracy_score, conditional_samples, subset,
                                     train_classifier)
from gan_helpers.models.cgan import ConditionalGenerator
from gan_helpers.metrics.accuracy import accuracy


@pytest.fixture(scope="module")
def mnist():
    torch.set_num_threads(1)
    x, y = load_mnist(train=True, limit=2000)
    x_test, y_test = load_mnist(train=False, limit=1000)
    return x, y, x_test, y_test


def _digits(n=8):
    return torch.rand(n, 1, 28, 28) * 2 - 1, torch.arange(n) % 10


@pytest.mark.parametrize("x, y, match", [
    (torch.zeros(4, 28, 28), torch.zeros(4, dtype=torch.long), "N, 1, 28, 28"),
    (torch.zeros(4, 1, 32, 32), torch.zeros(4, dtype=torch.long), "N, 1, 28, 28"),
    (torch.zeros(0, 1, 28, 28), torch.zeros(0, dtype=torch.long), "N >= 1"),
    (torch.full((4, 1, 28, 28), 255.0), torch.zeros(4, dtype=torch.long), r"\[-1, 1\]"),
    (torch.zeros(4, 1, 28, 28, dtype=torch.uint8), torch.zeros(4, dtype=torch.long), "floats"),
    (torch.zeros(4, 1, 28, 28), torch.zeros(4), "integer"),
    (torch.zeros(4, 1, 28, 28), torch.zeros(3, dtype=torch.long), "4 images but 3 labels"),
    (torch.zeros(4, 1, 28, 28), torch.full((4,), 10), r"0\.\.9"),
    (torch.zeros(4, 1, 28, 28), torch.full((4,), -1), r"0\.\.9"),
])
def test_bad_digits(x, y, match):
    with pytest.raises(ValueError, match=match):
        check_digits(x, y)
    with pytest.raises(ValueError, match=match):
        train_classifier(x, y, steps=1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=0), "steps"), (dict(steps=1.5), "steps"), (dict(steps=1, batch_size=0), "batch_size"),
    (dict(steps=1, lr=0.0), "lr"), (dict(steps=1, jitter=-1.0), "jitter"), (dict(steps=1, seed=-1), "seed"),
])
def test_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_classifier(*_digits(), **kwargs)


def test_cas_checks_test_set():
    x, y = _digits()
    with pytest.raises(ValueError, match="x_test"):
        classification_accuracy_score(x, y, x[:, :, :14], y, steps=1)


def test_train_classifier_beats_chance(mnist):
    x, y, x_test, y_test = mnist
    clf = train_classifier(x[:500], y[:500], steps=60, batch_size=64)
    assert not clf.training
    assert accuracy(clf, x_test, y_test) > 0.5          # chance is 0.1


def test_cas_on_real_equals_training_on_real(mnist):
    """CAS is accuracy on real test data of a classifier trained on (x_gen, y_gen): with the real
    subset as 'generated' data it must give the very same number, seed for seed."""
    x, y, x_test, y_test = mnist
    for seed in (0, 1):
        cas = classification_accuracy_score(x[:300], y[:300], x_test, y_test, steps=15, seed=seed)
        direct = accuracy(train_classifier(x[:300], y[:300], steps=15, seed=seed), x_test, y_test)
        assert cas == direct


def test_seeded_and_caller_rng_untouched(mnist):
    x, y, _, _ = mnist
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = train_classifier(x[:200], y[:200], steps=3, seed=5, batch_size=32)
    assert torch.equal(torch.get_rng_state(), state)
    b = train_classifier(x[:200], y[:200], steps=3, seed=5, batch_size=32)
    c = train_classifier(x[:200], y[:200], steps=3, seed=6, batch_size=32)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_fewer_digits_than_a_batch():
    x, y = _digits(5)
    clf = train_classifier(x, y, steps=2, batch_size=128)
    assert clf(x).shape == (5, 10)


def test_conditional_samples_balanced_and_seeded():
    torch.manual_seed(0)
    G = ConditionalGenerator(latent_dim=8, n_classes=10, base_channels=4)
    x, y = conditional_samples(G, 23, 8, seed=3, batch_size=10)
    assert x.shape == (23, 1, 28, 28) and y.shape == (23,)
    assert float(x.abs().max()) <= 1
    assert torch.bincount(y, minlength=10).tolist() == [3, 3, 3] + [2] * 7
    x2, y2 = conditional_samples(G, 23, 8, seed=3)            # batch size does not change the result
    assert torch.equal(y, y2) and torch.allclose(x, x2, atol=1e-6)
    x3, _ = conditional_samples(G, 23, 8, seed=4)
    assert not torch.allclose(x, x3)
    with pytest.raises(ValueError, match="latent_dim"):
        conditional_samples(G, 23, 16, seed=3)
    with pytest.raises(ValueError, match="n must"):
        conditional_samples(G, 0, 8, seed=3)


def test_subset():
    y = torch.arange(1000) % 10
    a, b = subset(y, 55, seed=1, balanced=True), subset(y, 55, seed=1, balanced=True)
    assert torch.equal(a, b) and len(set(a.tolist())) == 55
    assert torch.bincount(y[a], minlength=10).tolist() == [6] * 5 + [5] * 5
    assert not torch.equal(subset(y, 50, seed=1), subset(y, 50, seed=2))
    with pytest.raises(ValueError, match="cannot pick"):
        subset(y, 1001, seed=0)
    with pytest.raises(ValueError, match="class 0"):
        subset(torch.ones(100, dtype=torch.long), 10, seed=0, balanced=True)
