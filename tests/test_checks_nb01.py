"""Notebook 01's exercise checks: pass the solution, fail the stub and plausible wrong answers."""
import pytest
import torch
import torch.nn.functional as F

from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb01 import check_bce, check_discriminator_loss, check_optimal_discriminator


def stub(*args):
    raise NotImplementedError()


# ---------------------------------------------------------------- exercise 1: bce(p, y)
def bce_solution(p, y):
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


BCE_WRONG = {
    "sign is flipped": lambda p, y: (y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean(),
    "summed over the batch": lambda p, y: -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum(),
    "one per sample": lambda p, y: -(y * torch.log(p) + (1 - y) * torch.log(1 - p)),
    "terms are swapped": lambda p, y: -(y * torch.log(1 - p) + (1 - y) * torch.log(p)).mean(),
    "term is missing": lambda p, y: -(y * torch.log(p)).mean(),
    "expected": lambda p, y: -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean() + 0.1,
    "should return a torch.Tensor": lambda p, y: float(bce_solution(p, y)),
}


def test_check_bce_passes_solution(capsys):
    assert check_bce(bce_solution)
    assert "PASSED check_bce" in capsys.readouterr().out
    assert check_bce(lambda p, y: torch.nn.BCELoss()(p, y))


def test_check_bce_fails_stub():
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_bce(stub)


@pytest.mark.parametrize("msg", list(BCE_WRONG))
def test_check_bce_names_the_mistake(msg):
    with pytest.raises(CheckFailed, match=msg):
        check_bce(BCE_WRONG[msg])


# ---------------------------------------------------------------- exercise 2: d_loss(logits_real, logits_fake)
def d_loss_solution(logits_real, logits_fake):
    return (F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
            + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake)))


def _naive(lr, lf):  # right formula, but through probabilities: -inf/nan at extreme logits
    return -(torch.log(torch.sigmoid(lr)).mean() + torch.log(1 - torch.sigmoid(lf)).mean())


D_WRONG = {
    "labels are swapped": lambda lr, lf: d_loss_solution(lf, lr),
    "that is half": lambda lr, lf: d_loss_solution(lr, lf) / 2,
    "sign is flipped": lambda lr, lf: -d_loss_solution(lr, lf),
    "applied sigmoid before": lambda lr, lf: d_loss_solution(torch.sigmoid(lr), torch.sigmoid(lf)),
    "clamps at 100": lambda lr, lf: (F.binary_cross_entropy(torch.sigmoid(lr), torch.ones_like(lr))
                                     + F.binary_cross_entropy(torch.sigmoid(lf), torch.zeros_like(lf))),
    "sigmoid\\(40\\) is exactly 1.0": _naive,
    "not probabilities": lambda lr, lf: (F.binary_cross_entropy(lr, torch.ones_like(lr))
                                         + F.binary_cross_entropy(lf, torch.zeros_like(lf))),
    "shape": lambda lr, lf: torch.cat([F.binary_cross_entropy_with_logits(lr, torch.ones_like(lr), reduction="none"),
                                       F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf), reduction="none")]),
}


def test_check_discriminator_loss_passes_solution(capsys):
    assert check_discriminator_loss(d_loss_solution)
    assert "PASSED check_discriminator_loss" in capsys.readouterr().out
    # the stable by-hand formula from the notebook passes too
    from gan_helpers.losses import bce_with_logits_by_hand as b
    assert check_discriminator_loss(lambda lr, lf: b(lr, torch.ones_like(lr)) + b(lf, torch.zeros_like(lf)))


def test_check_discriminator_loss_fails_stub():
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_discriminator_loss(stub)


@pytest.mark.parametrize("msg", list(D_WRONG))
def test_check_discriminator_loss_names_the_mistake(msg):
    with pytest.raises(CheckFailed, match=msg):
        check_discriminator_loss(D_WRONG[msg])


# ---------------------------------------------------------------- exercise 3: d_star(p_data, p_g)
D_STAR_WRONG = {
    "1 - D\\*": lambda p, q: q / (p + q),
    "ratio p_data / p_g": lambda p, q: p / q,
    "expected": lambda p, q: p / (p + q + 0.1),
    "shape": lambda p, q: (p / (p + q))[:-1],
}


def test_check_optimal_discriminator(capsys):
    assert check_optimal_discriminator(lambda p, q: p / (p + q))
    assert "PASSED" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_optimal_discriminator(stub)


@pytest.mark.parametrize("msg", list(D_STAR_WRONG))
def test_check_optimal_discriminator_names_the_mistake(msg):
    with pytest.raises(CheckFailed, match=msg):
        check_optimal_discriminator(D_STAR_WRONG[msg])


# ---------------------------------------------------------------- exercise 3: d_star_from_log(log_p_data, log_p_g)
from gan_helpers.checks.nb01 import check_d_star_from_logs, check_equilibrium_prediction  # noqa: E402

D_STAR_LOG_WRONG = {
    "0 / 0": lambda a, b: a.exp() / (a.exp() + b.exp()),                 # right formula, densities underflow
    "1 - D\\*": lambda a, b: torch.sigmoid(b - a),
    "log D\\*": lambda a, b: F.logsigmoid(a - b),
    "ratio p_data / p_g": lambda a, b: (a - b).exp(),
    "as if they were densities": lambda a, b: a / (a + b),
    "expected": lambda a, b: torch.sigmoid(a - b) + 0.01,
    "shape": lambda a, b: torch.sigmoid(a - b)[:-1],
    "should return a torch.Tensor": lambda a, b: torch.sigmoid(a - b).tolist(),
}


def test_check_d_star_from_logs_passes_solutions(capsys):
    assert check_d_star_from_logs(lambda a, b: torch.sigmoid(a - b))
    assert "PASSED check_d_star_from_logs" in capsys.readouterr().out
    assert check_d_star_from_logs(lambda a, b: torch.exp(a - torch.logaddexp(a, b)))  # another exact route
    assert check_d_star_from_logs(lambda a, b: 1 / (1 + torch.exp(b - a)))


def test_check_d_star_from_logs_fails_stub():
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check_d_star_from_logs(stub)


@pytest.mark.parametrize("msg", list(D_STAR_LOG_WRONG))
def test_check_d_star_from_logs_names_the_mistake(msg):
    with pytest.raises(CheckFailed, match=msg):
        check_d_star_from_logs(D_STAR_LOG_WRONG[msg])


# ---------------------------------------------------------------- exercise 5: predicted losses at the equilibrium
def test_check_equilibrium_prediction_passes_the_answer(capsys):
    import math
    assert check_equilibrium_prediction(1.386, 0.693)
    assert check_equilibrium_prediction(2 * math.log(2), math.log(2))
    out = capsys.readouterr().out
    assert "PASSED check_equilibrium_prediction" in out and "loss_D = 1.3863" in out


@pytest.mark.parametrize("loss_D,loss_G,msg", [
    (None, None, "still None"),                       # the learner version before a prediction
    ("1.386", 0.693, "plain number"),
    (0.0, 0.693, "certain and right"),                 # "D is perfect"
    (-1.386, 0.693, "V\\(D\\*, G\\) = -log 4"),        # the value, not the loss
    (0.693, 0.693, "one of the two terms"),
    (0.5, 0.693, "D's output"),
    (1.386, -0.693, "saturating loss"),
    (1.386, 1.386, "only the fake term"),
    (1.386, 0.5, "not G's loss"),
    (1.0, 0.693, "does not match the run"),
])
def test_check_equilibrium_prediction_names_the_mistake(loss_D, loss_G, msg):
    with pytest.raises(CheckFailed, match=msg):
        check_equilibrium_prediction(loss_D, loss_G)
