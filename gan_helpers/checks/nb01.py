"""Checks for notebook 01's exercises (binary cross-entropy and the optimal discriminator,
Goodfellow et al. 2014): the learner's functions are run on cases with known answers from
torch (nn.BCELoss, F.binary_cross_entropy_with_logits) and from gan_helpers.theory, and the
most common mistakes are recognised and named.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..losses import discriminator_loss
from ..theory.optimal_d import Gaussian1D, optimal_discriminator
from ._core import CheckFailed, call, check, expect_tensor, passed


def _near(a: float, b: float, tol: float = 1e-5) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


def _scalar(value, name: str, n: int) -> float:
    """The learner's loss as a float; names the 'forgot the mean' mistake."""
    check(torch.is_tensor(value), f"{name} should return a torch.Tensor, got {type(value).__name__}.")
    if value.numel() == n and n > 1:
        raise CheckFailed(f"{name} returned {n} values (shape {tuple(value.shape)}), one per sample: "
                          "take the mean over the batch with .mean() to get one loss.")
    check(value.numel() == 1, f"{name} should return one number (a 0-dim tensor), got shape {tuple(value.shape)}.")
    v = float(value.detach())
    check(v == v and abs(v) != float("inf"), f"{name} returned {v}.")
    return v


# --------------------------------------------------------------------------- exercise 1
def _bce_cases():
    gen = torch.Generator().manual_seed(1)
    p = torch.rand(8, generator=gen) * 0.9 + 0.05                      # (8,) in [0.05, 0.95]
    y_hard = (torch.rand(8, generator=gen) > 0.5).float()
    y_hard[:2] = torch.tensor([1.0, 0.0])                               # both labels present
    y_soft = torch.rand(8, generator=gen)                               # soft labels in [0, 1]
    return [(p, y_hard, "hard labels 0/1"), (p, y_soft, "soft labels in [0, 1]"),
            (torch.tensor([0.9]), torch.tensor([1.0]), "one sample, p = 0.9, y = 1")]


def check_bce(bce) -> bool:
    """``bce(p, y)``: mean of -[y log p + (1 - y) log(1 - p)] for probabilities p (N,) and labels y (N,)."""
    for p, y, what in _bce_cases():
        n = p.numel()
        got = _scalar(call(bce, p.clone(), y.clone(), name="bce"), "bce(p, y)", n)
        want = float(torch.nn.BCELoss()(p, y))
        if _near(got, want):
            continue
        swapped = float(torch.nn.BCELoss()(1 - p, y))
        if _near(got, -want):
            raise CheckFailed(f"bce gave {got:.4f} on {what}, expected {want:.4f}: the sign is flipped. log p < 0, "
                              "so the loss needs a minus sign in front: -[y log p + (1 - y) log(1 - p)].")
        if _near(got, want * n):
            raise CheckFailed(f"bce gave {got:.4f} on {what} ({n} samples), expected {want:.4f}: you summed "
                              "over the batch; take the mean instead (nn.BCELoss does).")
        if _near(got, swapped):
            raise CheckFailed(f"bce gave {got:.4f} on {what}, expected {want:.4f}: the two terms are swapped. "
                              "y multiplies log p (label 1 means 'p should be high'); (1 - y) multiplies log(1 - p).")
        only_pos = float(-(y * p.log()).mean())
        if _near(got, only_pos):
            raise CheckFailed(f"bce gave {got:.4f} on {what}, expected {want:.4f}: the (1 - y) log(1 - p) term "
                              "is missing, so samples labelled 0 cost nothing.")
        raise CheckFailed(f"bce gave {got:.4f} on {what}, expected {want:.4f} (nn.BCELoss). "
                          "Write -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean().")
    return passed("check_bce", "matches nn.BCELoss on hard and soft labels")


# --------------------------------------------------------------------------- exercise 2
def _logit_cases():
    gen = torch.Generator().manual_seed(2)
    real, fake = torch.randn(6, generator=gen) * 2 + 1, torch.randn(5, generator=gen) * 2 - 1
    big = torch.tensor([-200.0, 0.5, 40.0]), torch.tensor([200.0, -0.5, -40.0])
    return [(real, fake, "typical logits"), (*big, "extreme logits (+-40, +-200)")]


def check_discriminator_loss(d_loss) -> bool:
    """``d_loss(logits_real, logits_fake)``: BCE(D(x_real), 1) + BCE(D(x_fake), 0) from logits
    (shapes (N,) and (M,)), each term a mean over its batch."""
    for lr, lf, what in _logit_cases():
        try:
            got_t = call(d_loss, lr.clone(), lf.clone(), name="d_loss")
        except (RuntimeError, ValueError) as err:
            raise CheckFailed(f"d_loss raised an error on {what}: {err}. The inputs are logits (any real number), "
                              "not probabilities: use F.binary_cross_entropy_with_logits, not "
                              "F.binary_cross_entropy / nn.BCELoss.") from None
        check(torch.is_tensor(got_t), f"d_loss should return a torch.Tensor, got {type(got_t).__name__}.")
        check(got_t.numel() == 1, f"d_loss should return one number (the mean losses added), "
              f"got shape {tuple(got_t.shape)}: take .mean() of each term.")
        got = float(got_t.detach())
        want = float(discriminator_loss(lr, lf))
        if got != got or abs(got) == float("inf"):
            raise CheckFailed(f"d_loss gave {got} on {what}: in float32, sigmoid(40) is exactly 1.0 and "
                              "log(1 - 1.0) = -inf. Work with the logits: F.binary_cross_entropy_with_logits "
                              "is exact for any logit.")
        if _near(got, want, 1e-4):
            continue
        swapped = float(discriminator_loss(lf, lr))
        double_sig = float(F.binary_cross_entropy_with_logits(torch.sigmoid(lr), torch.ones_like(lr))
                           + F.binary_cross_entropy_with_logits(torch.sigmoid(lf), torch.zeros_like(lf)))
        clamped = float(F.binary_cross_entropy(torch.sigmoid(lr), torch.ones_like(lr))
                        + F.binary_cross_entropy(torch.sigmoid(lf), torch.zeros_like(lf)))
        if _near(got, swapped, 1e-4):
            raise CheckFailed(f"d_loss gave {got:.4f} on {what}, expected {want:.4f}: the labels are swapped. "
                              "D should call real samples real (label 1) and fakes fake (label 0).")
        if _near(got, want / 2, 1e-4):
            raise CheckFailed(f"d_loss gave {got:.4f} on {what}, expected {want:.4f}: that is half. Add the real "
                              "and the fake term (as gan_helpers.losses.discriminator_loss does), do not average them.")
        if _near(got, -want, 1e-4):
            raise CheckFailed(f"d_loss gave {got:.4f} on {what}, expected {want:.4f}: the sign is flipped; "
                              "D minimises BCE, which is -[log D(x_real) + log(1 - D(x_fake))].")
        if _near(got, double_sig, 1e-4):
            raise CheckFailed(f"d_loss gave {got:.4f} on {what}, expected {want:.4f}: you applied sigmoid before "
                              "binary_cross_entropy_with_logits, which applies it again. Pass the raw logits.")
        if _near(got, clamped, 1e-4):
            raise CheckFailed(f"d_loss gave {got:.4f} on {what}, expected {want:.4f}: this is BCE on sigmoid(logits), "
                              "which nn.BCELoss clamps at 100 where sigmoid rounds to 0 or 1. Use the logits "
                              "version, F.binary_cross_entropy_with_logits, which stays exact.")
        raise CheckFailed(f"d_loss gave {got:.4f} on {what}, expected {want:.4f} = "
                          "BCE_with_logits(logits_real, 1) + BCE_with_logits(logits_fake, 0).")
    return passed("check_discriminator_loss", "exact from logits, even at +-200")


# --------------------------------------------------------------------------- exercise 3
def check_optimal_discriminator(d_star) -> bool:
    """``d_star(p_data, p_g)``: p_data / (p_data + p_g), elementwise, same shape as the inputs."""
    x = torch.linspace(-4, 4, 9, dtype=torch.float64)
    cases = [(Gaussian1D(0, 1), Gaussian1D(1.5, 0.7), "p_data = N(0, 1), p_g = N(1.5, 0.7^2)"),
             (Gaussian1D(0, 1), Gaussian1D(0, 1), "p_g = p_data")]
    for data, gen, what in cases:
        p_data, p_g = data.pdf(x), gen.pdf(x)
        got = expect_tensor(call(d_star, p_data.clone(), p_g.clone(), name="d_star"), tuple(x.shape),
                            f"d_star(p_data, p_g) on {what}")
        want = optimal_discriminator(p_data, p_g)
        if torch.allclose(got.double(), want, atol=1e-6):
            continue
        if torch.allclose(got.double(), 1 - want, atol=1e-6):
            raise CheckFailed(f"on {what} you returned p_g / (p_data + p_g): that is 1 - D*. D(x) is the "
                              "probability that x is REAL, so the data density goes on top.")
        if torch.allclose(got.double(), p_data / p_g, atol=1e-6):
            raise CheckFailed(f"on {what} you returned the ratio p_data / p_g, which is not a probability "
                              "(it can exceed 1). Divide by the sum p_data + p_g.")
        i = int((got.double() - want).abs().argmax())
        raise CheckFailed(f"on {what} at x = {x[i]:.1f}: got {float(got[i]):.4f}, expected "
                          f"{float(want[i]):.4f} = p_data / (p_data + p_g).")
    return passed("check_optimal_discriminator", "D* = p_data / (p_data + p_g), and 1/2 where p_g = p_data")


# --------------------------------------------------------------------------- exercise 3: D* from log-densities
def _log_cases():
    """(log p_data, log p_g, what) in float64: ordinary values, then tails where exp underflows."""
    x = torch.linspace(-4, 4, 9, dtype=torch.float64)
    data, gen = Gaussian1D(0, 1), Gaussian1D(1.5, 0.7)
    # 40 to 60 std out both densities underflow to exactly 0.0 in float64, yet D* is 0.05 to 0.12 there.
    far = torch.linspace(40.0, 60.0, 5, dtype=torch.float64)
    return [(data.log_pdf(x), gen.log_pdf(x), "p_data = N(0, 1), p_g = N(1.5, 0.7^2) at x = -4 ... 4"),
            (data.log_pdf(x), data.log_pdf(x), "p_g = p_data"),
            (data.log_pdf(far), Gaussian1D(0.05, 1).log_pdf(far), "far tails: p_data = N(0, 1), p_g = N(0.05, 1) "
                                                                  "at x = 40 ... 60 (log-densities -800 to -1800)")]


def check_d_star_from_logs(d_star_from_log) -> bool:
    """``d_star_from_log(log_p_data, log_p_g)``: D* = p_data / (p_data + p_g) from the LOG-densities,
    exact even where the densities themselves underflow to 0 (answer: sigmoid(log_p_data - log_p_g))."""
    for a, b, what in _log_cases():
        name = f"d_star_from_log on {what}"
        got = call(d_star_from_log, a.clone(), b.clone(), name="d_star_from_log")
        check(torch.is_tensor(got), f"{name} should return a torch.Tensor, got {type(got).__name__}.")
        check(tuple(got.shape) == tuple(a.shape), f"{name} has shape {tuple(got.shape)}, expected {tuple(a.shape)}.")
        got = got.detach().double()
        want = torch.sigmoid(a - b)
        if bool(torch.isfinite(got).all()) and torch.allclose(got, want, rtol=1e-6, atol=1e-12):
            continue
        if not bool(torch.isfinite(got).all()):
            raise CheckFailed(f"{name}: got nan or inf. exp(-1000) is exactly 0.0 even in float64, so "
                              "exp(a) / (exp(a) + exp(b)) becomes 0 / 0. Divide the top and the bottom by "
                              "p_data: D* = 1 / (1 + p_g / p_data) = 1 / (1 + exp(b - a)), which is sigmoid(a - b).")
        if torch.allclose(got, 1 - want, rtol=1e-6, atol=1e-12):
            raise CheckFailed(f"{name}: you returned 1 - D* (sigmoid(log_p_g - log_p_data)). D(x) is the "
                              "probability that x is REAL: the data density goes on top.")
        if torch.allclose(got, F.logsigmoid(a - b), rtol=1e-6, atol=1e-12):
            raise CheckFailed(f"{name}: you returned log D* (values below 0); the exercise asks for D* itself, "
                              "a probability in [0, 1].")
        if torch.allclose(got, torch.exp(a - b), rtol=1e-6, atol=1e-12):
            raise CheckFailed(f"{name}: you returned the ratio p_data / p_g = exp(a - b), which is not a "
                              "probability (it can exceed 1). D* divides by the sum p_data + p_g.")
        if torch.allclose(got, a / (a + b), rtol=1e-6, atol=1e-12):
            raise CheckFailed(f"{name}: you plugged the log-densities into p_data / (p_data + p_g) as if they "
                              "were densities. Rewrite D* in terms of log p_data - log p_g.")
        i = int((got - want).abs().argmax())
        raise CheckFailed(f"{name}: at point {i} got {float(got[i]):.6g}, expected {float(want[i]):.6g} "
                          "= p_data / (p_data + p_g).")
    return passed("check_d_star_from_logs", "D* = sigmoid(log p_data - log p_g), exact in the far tails")


# --------------------------------------------------------------------------- exercise 5: predict, then verify
def check_equilibrium_prediction(predicted_loss_D, predicted_loss_G) -> bool:
    """Predictions of loss_D (BCE, real 1 / fake 0) and the non-saturating loss_G at the game's
    equilibrium (p_g = p_data, so D = D* = 1/2 everywhere), compared with the library's losses
    evaluated there on a batch of 1,000 real and 1,000 fake samples."""
    for value, name in [(predicted_loss_D, "predicted_loss_D"), (predicted_loss_G, "predicted_loss_G")]:
        check(value is not None, f"{name} is still None: write your prediction as a number (e.g. 0.25) "
              "before running the check.")
        check(isinstance(value, (int, float)) and not isinstance(value, bool) and value == value,
              f"{name} should be a plain number, got {value!r}.")
    # The run: p_g = p_data, so D* = p_data / (p_data + p_g) = 1/2, i.e. logit 0 on every sample.
    data = Gaussian1D(0.0, 1.0)
    gen = torch.Generator().manual_seed(0)
    x_real, x_fake = torch.randn(1000, generator=gen, dtype=torch.float64), torch.randn(1000, generator=gen, dtype=torch.float64)
    d_real = optimal_discriminator(data.pdf(x_real), data.pdf(x_real))
    d_fake = optimal_discriminator(data.pdf(x_fake), data.pdf(x_fake))
    logits_real, logits_fake = torch.logit(d_real), torch.logit(d_fake)
    loss_D = float(discriminator_loss(logits_real, logits_fake))
    loss_G = float(F.binary_cross_entropy_with_logits(logits_fake, torch.ones_like(logits_fake)))
    tol = 0.01
    D_hints = {0.0: "a loss of 0 would need D to be certain and right on every sample, but at the equilibrium "
                    "D cannot tell real from fake at all.",
               -loss_D: "that is V(D*, G) = -log 4, the value D maximises; the loss D minimises is -V.",
               loss_D / 2: "that is one of the two terms: L_D adds BCE on the real batch and BCE on the fake batch.",
               0.5: "0.5 is D's output at the equilibrium, not its loss; plug D = 1/2 into both BCE terms."}
    G_hints = {-loss_G: "that is the saturating loss log(1 - D) at D = 1/2; the non-saturating loss is -log D.",
               loss_D: "that is L_D (two terms); G's loss has only the fake term, -log D(G(z)).",
               0.0: "a loss of 0 would need D(G(z)) = 1, D fully fooled; at the equilibrium D(G(z)) = 1/2.",
               0.5: "0.5 is D(G(z)) at the equilibrium, not G's loss; take -log of it."}
    for value, want, name, hints in [(predicted_loss_D, loss_D, "predicted_loss_D", D_hints),
                                     (predicted_loss_G, loss_G, "predicted_loss_G", G_hints)]:
        if abs(value - want) <= tol:
            continue
        for wrong, hint in hints.items():
            if abs(value - wrong) <= tol:
                raise CheckFailed(f"{name} = {value:g}: {hint}")
        raise CheckFailed(f"{name} = {value:g} does not match the run. At the equilibrium D(x) = 1/2 on every "
                          "real and every fake sample: evaluate each BCE term at p = 1/2.")
    return passed("check_equilibrium_prediction",
                  f"measured at D = D* = 1/2: loss_D = {loss_D:.4f} (2 log 2), loss_G = {loss_G:.4f} (log 2)")
