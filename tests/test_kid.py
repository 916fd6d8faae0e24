"""KID (metrics/kid.py) checked against the unbiased MMD^2 written out here."""
import pytest
import torch
from torch import nn

from gan_helpers.metrics.kid import ClassifierFeatures, kid


class Flat(nn.Module):
    """A stand-in classifier whose features are the flattened image."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Linear(1, 1)  # kid() reads the device from the parameters

    def features(self, x):
        return x.flatten(1)


def mmd2_unbiased(a: torch.Tensor, b: torch.Tensor) -> float:
    """Binkowski et al. (2018), eq. (2) with k(x, y) = (x.y / d + 1)^3."""
    a, b = a.double(), b.double()
    d = a.shape[1]
    k = lambda u, v: (u @ v.T / d + 1) ** 3  # noqa: E731
    m, n = len(a), len(b)
    kaa, kbb, kab = k(a, a), k(b, b), k(a, b)
    return float((kaa.sum() - kaa.diag().sum()) / (m * (m - 1)) + (kbb.sum() - kbb.diag().sum()) / (n * (n - 1))
                 - 2 * kab.mean())


def test_kid_with_whole_sets_is_the_unbiased_mmd():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(12, 1, 3, 3, generator=g), 0.5 + torch.randn(12, 1, 3, 3, generator=g)
    mean, se = kid(x, y, Flat(), bootstraps=50)
    assert mean == pytest.approx(mmd2_unbiased(x.flatten(1), y.flatten(1)), rel=1e-9)
    assert se > 0  # a bootstrap over images: resampled sets give other values


def test_the_bootstrap_error_shrinks_with_more_images():
    g = torch.Generator().manual_seed(2)
    big_x, big_y = torch.randn(400, 1, 2, 2, generator=g), 0.3 + torch.randn(400, 1, 2, 2, generator=g)
    se_small = kid(big_x[:25], big_y[:25], Flat())[1]
    se_big = kid(big_x, big_y, Flat())[1]
    assert se_big < 0.5 * se_small  # about 1/sqrt(n): an uncertainty, unlike a spread over subsets


def test_kid_separates_and_is_reproducible_and_leaves_the_rng_alone():
    g = torch.Generator().manual_seed(1)
    x, same, far = (torch.randn(60, 1, 2, 2, generator=g), torch.randn(60, 1, 2, 2, generator=g),
                    2 + torch.randn(60, 1, 2, 2, generator=g))
    clf = Flat()  # built before the state is read: its Linear draws from the global generator
    torch.manual_seed(123)
    before = torch.get_rng_state()
    near_0, _ = kid(x, same, clf)
    assert torch.equal(torch.get_rng_state(), before)
    assert abs(near_0) < 0.2 < kid(x, far, Flat())[0]
    assert kid(x, far, Flat(), seed=3) == kid(x, far, Flat(), seed=3)


@pytest.mark.parametrize("x, y, size, match", [
    (torch.zeros(4, 3, 8), torch.zeros(4, 1, 3, 8), None, "batch of images"),
    (torch.zeros(1, 1, 2, 2), torch.zeros(4, 1, 2, 2), None, "at least 2"),
    (torch.zeros(4, 1, 2, 2), torch.zeros(4, 1, 3, 3), None, "same image shape"),
    (torch.zeros(4, 1, 2, 2), torch.zeros(5, 1, 2, 2), 1, "bootstraps"),
])
def test_kid_refuses_bad_input_clearly(x, y, size, match):
    with pytest.raises(ValueError, match=match):
        kid(x, y, Flat(), **({} if size is None else {"bootstraps": size}))


def test_a_classifier_without_features_is_refused():
    with pytest.raises(TypeError, match="features"):
        ClassifierFeatures(nn.Linear(2, 2))


def test_kid_agrees_with_torchmetrics_on_whole_sets():
    """The hand-written estimate is torchmetrics' KID (same cubic kernel, unbiased MMD^2) when
    torchmetrics' one subset is the whole of both sets."""
    from torchmetrics.image.kid import KernelInceptionDistance
    g = torch.Generator().manual_seed(5)
    x, y = torch.randn(20, 1, 3, 3, generator=g), 0.3 + torch.randn(20, 1, 3, 3, generator=g)

    class FlatF(torch.nn.Module):
        def forward(self, t):
            return t.flatten(1).double()

    metric = KernelInceptionDistance(feature=FlatF(), subsets=1, subset_size=20, normalize=True)
    metric.update(x, real=True)
    metric.update(y, real=False)
    theirs, _ = metric.compute()
    mine, _ = kid(x, y, Flat(), bootstraps=10)
    assert mine == pytest.approx(float(theirs), rel=1e-6)


def test_kid_from_features_is_the_mean_over_disjoint_parts():
    from gan_helpers.metrics.kid import kid_from_features
    g = torch.Generator().manual_seed(0)
    fx, fy = torch.randn(40, 6, generator=g), torch.randn(60, 6, generator=g) + 0.5

    def mmd(a, b):   # brute force, the unbiased estimator written out pair by pair
        d = a.shape[1]
        k = lambda u, v: (u @ v / d + 1) ** 3
        m, n = len(a), len(b)
        xx = sum(k(a[i], a[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
        yy = sum(k(b[i], b[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
        xy = sum(k(a[i], b[j]) for i in range(m) for j in range(n)) / (m * n)
        return float(xx + yy - 2 * xy)

    value, se = kid_from_features(fx, fy, subsets=4, seed=3)
    g = torch.Generator().manual_seed(3)
    px, py = torch.randperm(40, generator=g).tensor_split(4), torch.randperm(60, generator=g).tensor_split(4)
    parts = torch.tensor([mmd(fx[i].double(), fy[j].double()) for i, j in zip(px, py)], dtype=torch.float64)
    assert value == pytest.approx(float(parts.mean()), rel=1e-9)
    assert se == pytest.approx(float(parts.std() / 2), rel=1e-9)
    assert kid_from_features(fx, fy, subsets=4, seed=3) == (value, se)        # reproducible
    same, _ = kid_from_features(fx, fx[torch.randperm(40)], subsets=4)
    assert abs(same) < value                                                   # shifted sets score higher


@pytest.mark.parametrize("fx, fy, subsets, match", [
    (torch.zeros(10, 3, 1), torch.zeros(10, 3), 2, "feature matrix"),
    (torch.zeros(10, 3), torch.zeros(10, 4), 2, "same feature size"),
    (torch.zeros(10, 3), torch.zeros(10, 3), 1, "subsets must be"),
    (torch.zeros(10, 3), torch.zeros(5, 3), 4, "at least 8"),
])
def test_kid_from_features_refuses_bad_input(fx, fy, subsets, match):
    from gan_helpers.metrics.kid import kid_from_features
    with pytest.raises(ValueError, match=match):
        kid_from_features(fx, fy, subsets=subsets)
