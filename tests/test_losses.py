"""gan_helpers.losses checked against torch's own losses (notebooks 01 and 08)."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_helpers import losses as L


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("shape", [(7,), (5, 1), (3, 1, 4, 4)])
def test_bce_by_hand_matches_bceloss(shape):
    p = torch.rand(shape, generator=gen(1)) * 0.98 + 0.01
    for y in [(torch.rand(shape, generator=gen(2)) > 0.5).float(), torch.rand(shape, generator=gen(3))]:
        assert torch.allclose(L.bce_by_hand(p, y), nn.BCELoss()(p, y), atol=1e-6)
        assert torch.allclose(L.bce_by_hand(p, y), F.binary_cross_entropy(p, y), atol=1e-6)


def test_bce_by_hand_gradient_matches_bceloss():
    p1 = (torch.rand(9, generator=gen(4)) * 0.9 + 0.05).requires_grad_(True)
    p2 = p1.detach().clone().requires_grad_(True)
    y = torch.rand(9, generator=gen(5))
    L.bce_by_hand(p1, y).backward()
    nn.BCELoss()(p2, y).backward()
    assert torch.allclose(p1.grad, p2.grad, atol=1e-6)
    # closed form: dL/dp_i = (p - y) / (p (1 - p)) / N
    pd = p2.detach()
    assert torch.allclose(p1.grad, (pd - y) / (pd * (1 - pd)) / 9, atol=1e-6)


def test_bce_by_hand_stays_finite_at_0_and_1():
    p, y = torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0])
    v = L.bce_by_hand(p, y)
    assert torch.isfinite(v) and v > 20  # log(1e-12) ~ -27.6; nn.BCELoss clamps the log at -100 instead
    assert nn.BCELoss()(p, y) == 100.0


@pytest.mark.parametrize("shape", [(7,), (5, 1), (3, 1, 4, 4)])
def test_bce_with_logits_by_hand_matches_torch(shape):
    logits = torch.randn(shape, generator=gen(6)) * 5
    y = torch.rand(shape, generator=gen(7))
    want = nn.BCEWithLogitsLoss()(logits, y)
    assert torch.allclose(L.bce_with_logits_by_hand(logits, y), want, atol=1e-6)
    assert torch.allclose(want, F.binary_cross_entropy_with_logits(logits, y))


def test_bce_with_logits_by_hand_is_exact_for_huge_logits():
    logits = torch.tensor([-200.0, 200.0, 40.0, -40.0])
    y = torch.tensor([1.0, 0.0, 0.0, 1.0])
    got = L.bce_with_logits_by_hand(logits, y)
    assert torch.allclose(got, torch.tensor(120.0)) and torch.allclose(got, F.binary_cross_entropy_with_logits(logits, y))
    # the probability route saturates: sigmoid(40) == 1 in float32, BCELoss clamps at 100
    assert torch.sigmoid(torch.tensor(40.0)) == 1.0
    # sigmoid(-40) = 4.2e-18 is still representable (log = -40); the other three clamp at 100
    assert torch.allclose(nn.BCELoss()(torch.sigmoid(logits), y), torch.tensor((3 * 100.0 + 40.0) / 4))


def test_gan_losses_match_bce_with_logits():
    lr, lf = torch.randn(6, 1, generator=gen(8)), torch.randn(4, 1, generator=gen(9))
    want_d = F.binary_cross_entropy_with_logits(lr, torch.ones_like(lr)) + \
        F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf))
    assert torch.allclose(L.discriminator_loss(lr, lf), want_d)
    # by definition: -[mean log D(x_real) + mean log(1 - D(x_fake))]
    d_r, d_f = torch.sigmoid(lr), torch.sigmoid(lf)
    assert torch.allclose(L.discriminator_loss(lr, lf), -(d_r.log().mean() + (1 - d_f).log().mean()), atol=1e-6)
    assert torch.allclose(L.generator_loss_saturating(lf), (1 - d_f).log().mean(), atol=1e-6)
    assert torch.allclose(L.generator_loss_nonsaturating(lf), -d_f.log().mean(), atol=1e-6)
    assert torch.allclose(L.generator_loss_nonsaturating(lf), nn.BCEWithLogitsLoss()(lf, torch.ones_like(lf)))


def test_generator_loss_gradients_closed_form():
    lf = torch.randn(8, generator=gen(10)).requires_grad_(True)
    L.generator_loss_saturating(lf).backward()
    d = torch.sigmoid(lf.detach())
    assert torch.allclose(lf.grad, -d / 8, atol=1e-7)
    lf.grad = None
    L.generator_loss_nonsaturating(lf).backward()
    assert torch.allclose(lf.grad, (d - 1) / 8, atol=1e-7)


def test_patchgan_shaped_logits():
    lr, lf = torch.randn(2, 1, 6, 6, generator=gen(11)), torch.randn(2, 1, 6, 6, generator=gen(12))
    assert L.discriminator_loss(lr, lf).shape == ()
    assert torch.allclose(L.discriminator_loss(lr, lf), L.discriminator_loss(lr.flatten(), lf.flatten()))


def test_lsgan_losses_match_mse():
    out_r, out_f = torch.randn(5, 1, 3, 3, generator=gen(13)), torch.randn(5, 1, 3, 3, generator=gen(14))
    want_d = 0.5 * (F.mse_loss(out_r, torch.ones_like(out_r)) + F.mse_loss(out_f, torch.zeros_like(out_f)))
    assert torch.allclose(L.lsgan_discriminator_loss(out_r, out_f), want_d)
    assert torch.allclose(L.lsgan_generator_loss(out_f), nn.MSELoss()(out_f, torch.ones_like(out_f)))


def test_cycle_and_identity_match_l1():
    x, y = torch.randn(2, 3, 8, 8, generator=gen(15)), torch.randn(2, 3, 8, 8, generator=gen(16))
    assert torch.allclose(L.cycle_loss(x, y), nn.L1Loss()(y, x))
    assert torch.allclose(L.identity_loss(x, y), F.l1_loss(y, x))
    assert L.cycle_loss(x, x) == 0


@pytest.mark.parametrize("fn, names", [(L.bce_by_hand, "p and y"), (L.bce_with_logits_by_hand, "logits and y"),
                                       (L.cycle_loss, "x and x_reconstructed"), (L.identity_loss, "x and x_mapped")])
def test_shape_mismatch_raises_clear_error(fn, names):
    with pytest.raises(ValueError, match=f"{names} must have the same shape, got \\(4,\\) and \\(4, 1\\)"):
        fn(torch.rand(4), torch.rand(4, 1))
