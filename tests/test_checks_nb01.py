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
