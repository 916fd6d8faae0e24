"""Checks for notebook 03 (vanilla MLP GAN on MNIST, Goodfellow et al. 2014): the Frechet
distance from features with a matrix square root (Heusel et al. 2017), spherical
interpolation (White 2016), the repaired G phase of a planted bug, and the detach in the
discriminator step."""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..losses import discriminator_loss, generator_loss_nonsaturating
from ._core import CheckFailed, call, check, close, expect_tensor, passed


# -- FID from features ---------------------------------------------------------------------
def _fid_parts(a: np.ndarray, b: np.ndarray):
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return mu_a, mu_b, s_a, s_b


def _sqrtm_psd(s: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((s + s.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def _tr_sqrt_product(s_a: np.ndarray, s_b: np.ndarray) -> float:
    """tr (S_a S_b)^1/2 as the sum of sqrt eigenvalues of S_a^1/2 S_b S_a^1/2."""
    r = _sqrtm_psd(s_a)
    m = r @ s_b @ r
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum())


def _fid_variants(a: np.ndarray, b: np.ndarray) -> dict:
    """The right value and the values of plausible mistakes, for the messages."""
    mu_a, mu_b, s_a, s_b = _fid_parts(a, b)
    d2 = float(((mu_a - mu_b) ** 2).sum())
    tr = float(np.trace(s_a) + np.trace(s_b))
    t = _tr_sqrt_product(s_a, s_b)
    return {
        "right": d2 + tr - 2 * t,
        "elementwise": d2 + tr - 2 * float(np.trace(np.sqrt(np.abs(s_a @ s_b)))),
        "product_of_roots": d2 + tr - 2 * float(np.trace(_sqrtm_psd(s_a) @ _sqrtm_psd(s_b))),
        "no_factor_2": d2 + tr - t,
        "norm_not_squared": math.sqrt(d2) + tr - 2 * t,
        "no_mean_term": tr - 2 * t,
        "diagonal": d2 + float(((np.sqrt(np.diag(s_a)) - np.sqrt(np.diag(s_b))) ** 2).sum()),
    }


def _feature_cases():
    """Feature sets whose covariances do not commute (so shortcuts give other numbers)."""
    g = np.random.default_rng(3)
    cases = []
    for n, f in ((3000, 5), (2500, 8)):
        A = g.normal(size=(f, f))
        B = g.normal(size=(f, f)) * 0.7
        a = g.normal(size=(n, f)) @ A + g.normal(size=f)
        b = g.normal(size=(n, f)) @ B + 0.5 * g.normal(size=f)
        cases.append((a, b))
    return cases


def _as_float(value, name: str) -> float:
    if torch.is_tensor(value):
        check(value.numel() == 1, f"{name} should be one number, got a tensor of shape {tuple(value.shape)}.")
        value = value.item()
    if isinstance(value, np.ndarray):
        check(value.size == 1, f"{name} should be one number, got an array of shape {value.shape}.")
        value = value.reshape(()).item()
    if isinstance(value, complex) or np.iscomplexobj(value):
        raise CheckFailed(f"{name} is a complex number: scipy.linalg.sqrtm can return tiny imaginary parts "
                          "from rounding; keep the real part (.real) of the matrix square root.")
    check(isinstance(value, (int, float, np.floating, np.integer)),
          f"{name} should be a number (float), got {type(value).__name__}.")
    value = float(value)
    check(math.isfinite(value), f"{name} is {value}: check the matrix square root (nan means a negative "
                                "number went into an elementwise square root).")
    return value


def check_fid(fn) -> bool:
    """``fn(f_real (N, F), f_fake (M, F)) -> float``: the Frechet distance between Gaussians
    fitted to two sets of features (torch tensors, float64)."""
    for a, b in _feature_cases():
        v = _fid_variants(a, b)
        got = _as_float(call(fn, torch.from_numpy(a.copy()), torch.from_numpy(b.copy()), name="fid_from_features"),
                        "fid_from_features(f_real, f_fake)")
        ok = lambda key: abs(got - v[key]) <= 1e-3 * max(1.0, abs(v[key]))
        if ok("right"):
            continue
        if ok("elementwise"):
            raise CheckFailed("you took an elementwise square root of the product S_r S_g (np.sqrt works entry by "
                              "entry). FID needs the MATRIX square root: the matrix M with M @ M = S_r S_g "
                              "(scipy.linalg.sqrtm).")
        if ok("product_of_roots"):
            raise CheckFailed("you used S_r^1/2 S_g^1/2, the product of the two square roots. (S_r S_g)^1/2 is "
                              "the square root of the product, and the two agree only when the covariances "
                              "commute (e.g. both diagonal): real feature covariances do not.")
        if ok("no_factor_2"):
            raise CheckFailed("the cross term needs a factor 2: tr(S_r + S_g - 2 (S_r S_g)^1/2). Check: with "
                              "S_r = S_g = S the trace term must vanish, tr(S + S - 2 S) = 0.")
        if ok("norm_not_squared"):
            raise CheckFailed("the mean term is the SQUARED distance ||mu_r - mu_g||^2 (sum of squared "
                              "differences), not the distance itself.")
        if ok("no_mean_term"):
            raise CheckFailed("the mean term ||mu_r - mu_g||^2 is missing: two sets with the same spread but "
                              "different centres must get a positive FID.")
        if ok("diagonal"):
            raise CheckFailed("you used only the variances (diagonal): FID fits a full Gaussian, so use the full "
                              "covariance matrices (np.cov(f, rowvar=False), F x F).")
        raise CheckFailed(f"fid_from_features gives {got:.4f} on a test case, expected {v['right']:.4f} = "
                          "||mu_r - mu_g||^2 + tr(S_r + S_g - 2 (S_r S_g)^1/2), with means over rows and "
                          "covariances of the columns (np.cov(f, rowvar=False)).")
    a, _ = _feature_cases()[0]
    same = _as_float(call(fn, torch.from_numpy(a.copy()), torch.from_numpy(a.copy()), name="fid_from_features"),
                     "fid_from_features(f, f)")
    check(abs(same) < 1e-4, f"the FID of a feature set with itself should be 0, got {same:.6f}.")
    return passed("FID from features", "||mu_r - mu_g||^2 + tr(S_r + S_g - 2 (S_r S_g)^1/2) with a matrix square root")


# -- slerp ---------------------------------------------------------------------------------
def _slerp_ref(z0, z1, t):
    omega = torch.arccos((z0 @ z1 / (z0.norm() * z1.norm())).clamp(-1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def _norm_lerped(z0, z1, t):
    """Great circle between the directions with the norm interpolated linearly (also accepted)."""
    u0, u1 = z0 / z0.norm(), z1 / z1.norm()
    return _slerp_ref(u0, u1, t) * ((1 - t) * z0.norm() + t * z1.norm())


def _finite(value, what: str):
    if torch.is_tensor(value) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise CheckFailed(f"{what} contains nan or inf: sin(Omega) was 0. Omega is the angle between z0 and z1, "
                          "cos Omega = z0 . z1 / (|z0| |z1|): normalise the dot product before torch.arccos "
                          "(a raw dot product of 64-D vectors is far outside [-1, 1]).")
    return value


def check_slerp(fn) -> bool:
    """``fn(z0 (D,), z1 (D,), t float) -> (D,)``: spherical interpolation (White 2016)."""
    e0, e1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    got = expect_tensor(_finite(call(fn, e0.clone(), e1.clone(), 0.5, name="my_slerp"), "my_slerp(e0, e1, 0.5)"), (2,), "my_slerp(e0, e1, 0.5)")
    if close(got, torch.tensor([0.5, 0.5]), atol=1e-4):
        raise CheckFailed("my_slerp(e0, e1, 0.5) gives (0.5, 0.5), the straight-line midpoint (lerp), whose norm "
                          "0.71 dips below 1. slerp follows the circle: the midpoint of e0 and e1 is (0.71, 0.71).")
    g = torch.Generator().manual_seed(4)
    z0 = torch.randn(64, generator=g)
    z1 = torch.randn(64, generator=g)
    z1 = z1 * (z0.norm() / z1.norm())                  # equal norms: the formula keeps |z| constant
    start = expect_tensor(_finite(call(fn, z0.clone(), z1.clone(), 0.0, name="my_slerp"), "my_slerp(z0, z1, 0.0)"), (64,), "my_slerp(z0, z1, 0.0)")
    if close(start, z1, atol=1e-4):
        raise CheckFailed("at t = 0 your slerp returns z1: the weights are swapped. The weight of z0 is "
                          "sin((1 - t) Omega) / sin(Omega), which is 1 at t = 0.")
    check(close(start, z0, atol=1e-4), "at t = 0 slerp must return z0 (and z1 at t = 1).")
    end = call(fn, z0.clone(), z1.clone(), 1.0, name="my_slerp")
    check(close(end, z1, atol=1e-4), "at t = 1 slerp must return z1.")
    for t in (0.25, 0.5, 0.8):
        got = expect_tensor(_finite(call(fn, z0.clone(), z1.clone(), t, name="my_slerp"), f"my_slerp(z0, z1, {t})"), (64,), f"my_slerp(z0, z1, {t})")
        want = _slerp_ref(z0, z1, torch.tensor(t))
        if close(got, (1 - t) * z0 + t * z1, atol=1e-4):
            raise CheckFailed(f"at t = {t} your result is the straight line (1 - t) z0 + t z1 (lerp): its norm "
                              f"{float(got.norm()):.2f} is below |z0| = {float(z0.norm()):.2f}. Use the sine weights.")
        if not close(got, want, atol=1e-3):
            raise CheckFailed(f"my_slerp(z0, z1, {t}) differs from sin((1-t) Omega)/sin(Omega) z0 + "
                              f"sin(t Omega)/sin(Omega) z1 (largest difference {float((got - want).abs().max()):.3g}). "
                              "Omega is the angle between z0 and z1: cos Omega = z0 . z1 / (|z0| |z1|), so "
                              "normalise the dot product before torch.arccos.")
    check(abs(float(got.norm()) - float(z0.norm())) < 1e-3,
          "between two vectors of the same norm slerp keeps that norm all along the path.")
    z2 = 2.0 * torch.randn(64, generator=g)
    got = expect_tensor(call(fn, z0.clone(), z2.clone(), 0.3, name="my_slerp"), (64,), "my_slerp(z0, z2, 0.3)")
    t = torch.tensor(0.3)
    check(close(got, _slerp_ref(z0, z2, t), atol=1e-3) or close(got, _norm_lerped(z0, z2, t), atol=1e-3),
          "for two vectors of different norms the result should be White's formula (or the great circle "
          "between their directions scaled by the linearly interpolated norm, as the library does).")
    return passed("slerp", "sine weights of the angle between z0 and z1; the norm stays typical")


# -- the planted bug: the G phase ------------------------------------------------------------
def _tiny_gan():
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(4, 12), nn.Tanh(), nn.Unflatten(1, (1, 3, 4)))
    D = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    return G, D


def check_g_phase(fn) -> bool:
    """``fn(D, opt_G, x_fake) -> loss_G``: one G update with the non-saturating loss through D."""
    G, D = _tiny_gan()
    opt_G = torch.optim.SGD(G.parameters(), lr=0.5)
    z = torch.randn(64, 4, generator=torch.Generator().manual_seed(1))
    d_before = [p.detach().clone() for p in D.parameters()]
    g_before = [p.detach().clone() for p in G.parameters()]
    x_fake = G(z)
    with torch.no_grad():
        logits = D(x_fake)
        p_before = float(torch.sigmoid(logits).mean())
    loss = expect_tensor(call(fn, D, opt_G, x_fake, name="g_phase"), (), "the returned loss_G")
    with torch.no_grad():
        p_after = float(torch.sigmoid(D(G(z))).mean())
    moved = any(not torch.equal(a, b) for a, b in zip(g_before, G.parameters()))
    if close(loss, F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits)), atol=1e-5):
        raise CheckFailed("this is the planted bug: the fakes are labelled 0, so G minimises D's own loss on "
                          f"them and HELPS D (D(G(z)) went from {p_before:.3f} to {p_after:.3f}). G wants D to "
                          "call its fakes real: label 1, i.e. generator_loss_nonsaturating(D(x_fake)).")
    if close(loss, -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits)), atol=1e-5):
        raise CheckFailed("this is the minimax loss log(1 - D(G(z))): it moves D(G(z)) the right way, but its "
                          "gradient vanishes when D rejects the fakes (notebook 01). Use the non-saturating "
                          "-log D(G(z)) = BCE(D(x_fake), 1), as the loop of section 4 does.")
    check(moved, "G's weights did not change: the G phase must backpropagate through D into G (do not detach "
                 "x_fake here) and then call opt_G.step() (after opt_G.zero_grad()).")
    check(close(loss, generator_loss_nonsaturating(logits), atol=1e-5),
          f"loss_G is {loss.item():.4f}, expected {generator_loss_nonsaturating(logits).item():.4f} = "
          "BCE(D(x_fake), 1) on the fakes before the update.")
    check(p_after > p_before, f"after your G step D(G(z)) went from {p_before:.3f} to {p_after:.3f}: "
                              "G's update should make D call the fakes more real.")
    check(all(torch.equal(a, b) for a, b in zip(d_before, D.parameters())),
          "the G phase changed D's weights: step only opt_G (it holds G's parameters).")
    return passed("G phase", "non-saturating loss, fakes labelled 1, only G updated")


# -- detach --------------------------------------------------------------------------------
def check_d_step(fn) -> bool:
    """``fn(G, D, opt_D, x_real, z)`` -> loss_D: one D update that leaves G's gradients untouched."""
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(4, 12), nn.Tanh(), nn.Unflatten(1, (1, 3, 4)))
    D = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    opt_D = torch.optim.SGD(D.parameters(), lr=0.1)
    x_real, z = torch.rand(6, 1, 3, 4) * 2 - 1, torch.randn(6, 4)
    d_before = [p.detach().clone() for p in D.parameters()]
    g_before = [p.detach().clone() for p in G.parameters()]
    with torch.no_grad():
        want = discriminator_loss(D(x_real), D(G(z)))
    loss = call(fn, G, D, opt_D, x_real, z, name="d_step")
    loss = expect_tensor(loss, (), "the returned loss_D")
    check(close(loss, want, atol=1e-5), f"loss_D is {loss.item():.4f}, expected {want.item():.4f} "
                                        "(the D loss on this real batch and G(z), before the update).")
    check(all(p.grad is None or float(p.grad.abs().sum()) == 0 for p in G.parameters()),
          "G's parameters received gradients from D's loss: the fake batch must be detached "
          "(D(x_fake.detach())) so D's backward pass stops at the fake images. Otherwise backward "
          "also runs through G, D's gradients pile up in G's .grad, and G's graph is freed, so the "
          "G phase on the same x_fake fails with 'Trying to backward through the graph a second time'.")
    check(all(torch.equal(a, b) for a, b in zip(g_before, G.parameters())), "d_step must not change G's weights.")
    check(any(not torch.equal(a, b) for a, b in zip(d_before, D.parameters())),
          "D's weights did not change: call loss_D.backward() and opt_D.step() (after opt_D.zero_grad()).")
    return passed("detach", "D's step leaves G alone")
