"""Notebook 01's exercise checks: for every graded exercise, the model solution passes, nbgrader's
stub and the typical wrong answers fail with their teaching message, the library's and torch's
version is refused, and a copy or wrapper of the worked cell next to it fails.

The learner's functions are defined by ``exec`` in a namespace that stands for the notebook's (with
section 1's ``bce_manual`` in it), because the refusals look names up there."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_helpers import losses
from gan_helpers.checks import CheckFailed
from gan_helpers.checks.nb01 import (check_bce_from_logits, check_d_loss_smoothed, check_d_star_from_logs,
                                     check_far_gradient_prediction, _far_gradients as far_gradients)
from gan_helpers.theory.optimal_d import optimal_discriminator

NOTEBOOK = '''
def bce_manual(p, y):  # section 1's worked cell
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def stub(*args):
    raise NotImplementedError()
'''


def notebook(source: str) -> dict:
    """A notebook-like namespace: the setup imports, section 1's bce_manual, then ``source``."""
    ns = {"torch": torch, "F": F, "nn": nn, "losses": losses, "optimal_discriminator": optimal_discriminator}
    exec(NOTEBOOK + source, ns)
    return ns


# ---------------------------------------------------------------- exercise 1: bce_from_logits(logits, y)
EX1 = notebook('''
def solution(logits, y):
    def softplus(t):
        return t.clamp_min(0) + torch.log1p(torch.exp(-t.abs()))
    return (y * softplus(-logits) + (1 - y) * softplus(logits)).mean()

def logsigmoid_route(l, y):
    return -(y * F.logsigmoid(l) + (1 - y) * F.logsigmoid(-l)).mean()

def softplus_route(l, y):
    return (y * F.softplus(-l) + (1 - y) * F.softplus(l)).mean()

def copy_of_section_1(l, y):           # the worked cell's formula on sigmoid(l): inf at +-40
    p = torch.sigmoid(l)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()

def wraps_bce_manual(l, y):
    return bce_manual(torch.sigmoid(l), y)

def naive_softplus(l, y):              # right identity, log(1 + exp(200)) overflows
    return (y * torch.log1p(torch.exp(-l)) + (1 - y) * torch.log1p(torch.exp(l))).mean()

def sigmoid_of_minus_l(l, y):          # 1 - sigmoid(l) = sigmoid(-l), still through probabilities
    return -(y * torch.log(torch.sigmoid(l)) + (1 - y) * torch.log(torch.sigmoid(-l))).mean()

def where_branches(l, y):              # right values, nan gradient from the unused branch
    sp = lambda t: torch.where(t > 0, t + torch.log1p(torch.exp(-t)), torch.log1p(torch.exp(t)))
    return (y * sp(-l) + (1 - y) * sp(l)).mean()

def clamped(l, y):
    p = torch.sigmoid(l).clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()

def via_library(l, y):
    return losses.bce_with_logits_by_hand(l, y)

def via_torch(l, y):
    return F.binary_cross_entropy_with_logits(l, y)

def via_module(l, y):
    return nn.BCEWithLogitsLoss()(l, y)

def via_bceloss(l, y):
    return nn.BCELoss()(torch.sigmoid(l), y)

def sign_flipped(l, y):
    return -solution(l, y)

def summed(l, y):
    return solution(l, y) * l.numel()

def sp(t):                             # a learner's own stable log(1 + e^t)
    return t.clamp_min(0) + torch.log1p(torch.exp(-t.abs()))

def per_sample(l, y):
    return y * sp(-l) + (1 - y) * sp(l)

def swapped(l, y):
    return solution(-l, y)

def missing_term(l, y):
    return (y * sp(-l)).mean()

def via_torch_builtin(l, y):
    return torch.binary_cross_entropy_with_logits(l, y, None, None, 1)

def via_aten(l, y):
    return torch.ops.aten.binary_cross_entropy_with_logits(l, y).mean()

def via_log_softmax(l, y):
    two = torch.stack([torch.zeros_like(l), l], dim=1)          # log sigmoid(l) = log_softmax([0, l])[1]
    ls = torch.log_softmax(two, dim=1)
    return -(y * ls[:, 1] + (1 - y) * ls[:, 0]).mean()

def via_logaddexp(l, y):
    z = torch.zeros_like(l)
    return (y * torch.logaddexp(z, -l) + (1 - y) * torch.logaddexp(z, l)).mean()

def sigmoid_first(l, y):
    return solution(torch.sigmoid(l), y)

def detached(l, y):
    return solution(l, y).detach()

def as_float(l, y):
    return float(solution(l, y))
''')

EX1_WRONG = {
    "stub": "NotImplementedError",
    "copy_of_section_1": "sigmoid\\(l\\) is exactly 1.0",
    "wraps_bce_manual": "bce_manual is section 1's BCE",
    "bce_manual": "bce_from_logits is bce_manual itself",
    "naive_softplus": "exp\\(200\\) overflows",
    "sigmoid_of_minus_l": "sigmoid\\(-200\\) underflows",
    "where_branches": "torch.where keeps one branch",
    "clamped": "a clamp or an eps",
    "via_library": "course's own answer",
    "via_torch": "BCE on logits .* is refused",
    "via_module": "BCE on logits .* is refused",
    "via_bceloss": "BCE on probabilities .* is refused",
    "sign_flipped": "the sign is flipped",
    "summed": "summed over the batch",
    "per_sample": "one per sample",
    "swapped": "terms are swapped",
    "missing_term": "samples labelled 0 cost nothing",
    "logsigmoid_route": "F.logsigmoid is torch's ready-made",
    "softplus_route": "F.softplus is torch's ready-made",
    "via_torch_builtin": "BCE on logits .* is refused",
    "via_aten": "BCE on logits .* is refused",
    "via_log_softmax": "log_softmax is torch's ready-made",
    "via_logaddexp": "torch.logaddexp is torch's ready-made",
    "sigmoid_first": "applied sigmoid to the logits",
    "detached": "without a gradient",
    "as_float": "should return a torch.Tensor",
}


@pytest.mark.parametrize("name", ["solution"])
def test_ex1_passes_stable_solutions(name, capsys):
    assert check_bce_from_logits(EX1[name])
    assert "PASSED check_bce_from_logits" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")  # as_float's float(tensor)
@pytest.mark.parametrize("name", list(EX1_WRONG))
def test_ex1_fails_wrong_answers_with_their_message(name):
    with pytest.raises(CheckFailed, match=EX1_WRONG[name]):
        check_bce_from_logits(EX1[name])


@pytest.mark.parametrize("fn,msg", [(F.binary_cross_entropy_with_logits, "itself"),
                                    (losses.bce_with_logits_by_hand, "itself"),
                                    (nn.BCEWithLogitsLoss(), "is refused")])
def test_ex1_refuses_the_library_passed_directly(fn, msg):
    with pytest.raises(CheckFailed, match=msg):
        check_bce_from_logits(fn)


def test_ex1_refusals_are_undone_after_the_check():
    with pytest.raises(CheckFailed):
        check_bce_from_logits(EX1["wraps_bce_manual"])
    p, y = torch.tensor([0.3, 0.8]), torch.tensor([1.0, 0.0])
    assert torch.allclose(EX1["bce_manual"](p, y), F.binary_cross_entropy(p, y))
    assert torch.allclose(losses.bce_with_logits_by_hand(p, y), F.binary_cross_entropy_with_logits(p, y))


# ---------------------------------------------------------------- exercise 2: d_loss_smoothed(lr, lf, alpha)
EX2 = notebook('''
def solution(logits_real, logits_fake, alpha):
    real = alpha * F.softplus(-logits_real) + (1 - alpha) * F.softplus(logits_real)
    return real.mean() + F.softplus(logits_fake).mean()

def bce_from_logits(logits, y):        # the learner's own exercise 1: may be reused
    return (y * F.softplus(-logits) + (1 - y) * F.softplus(logits)).mean()

def with_exercise_1(lr, lf, alpha):
    return bce_from_logits(lr, torch.full_like(lr, alpha)) + bce_from_logits(lf, torch.zeros_like(lf))

def copy_of_section_4(lr, lf, alpha):  # the worked cell: torch's BCE with logits, real labelled 1
    return (F.binary_cross_entropy_with_logits(lr, torch.ones_like(lr))
            + F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)))

def via_library(lr, lf, alpha):
    return losses.discriminator_loss(lr, lf)

def via_torch_smoothed(lr, lf, alpha):
    return nn.BCEWithLogitsLoss()(lr, torch.full_like(lr, alpha)) + nn.BCEWithLogitsLoss()(lf, torch.zeros_like(lf))

def via_bce_manual(lr, lf, alpha):
    return bce_manual(torch.sigmoid(lr), torch.full_like(lr, alpha)) + bce_manual(torch.sigmoid(lf), torch.zeros_like(lf))

def unsmoothed(lr, lf, alpha):
    return with_exercise_1(lr, lf, 1.0)

def hard_coded(lr, lf, alpha):
    return with_exercise_1(lr, lf, 0.9)

def scaled_real_term(lr, lf, alpha):
    return alpha * F.softplus(-lr).mean() + F.softplus(lf).mean()

def two_sided(lr, lf, alpha):
    return bce_from_logits(lr, torch.full_like(lr, alpha)) + bce_from_logits(lf, torch.full_like(lf, 1 - alpha))

def real_target_one_minus_alpha(lr, lf, alpha):
    return with_exercise_1(lr, lf, 1 - alpha)

def pooled_mean(lr, lf, alpha):
    return bce_from_logits(torch.cat([lr, lf]), torch.cat([torch.full_like(lr, alpha), torch.zeros_like(lf)]))

def via_aten_smoothed(lr, lf, alpha):
    bce = torch.ops.aten.binary_cross_entropy_with_logits
    return bce(lr, torch.full_like(lr, alpha)).mean() + bce(lf, torch.zeros_like(lf)).mean()

def real_fake_swapped(lr, lf, alpha):
    return bce_from_logits(lf, torch.full_like(lf, alpha)) + bce_from_logits(lr, torch.zeros_like(lr))

def averaged(lr, lf, alpha):
    return solution(lr, lf, alpha) / 2

def sign_flipped(lr, lf, alpha):
    return -solution(lr, lf, alpha)

def through_probabilities(lr, lf, alpha):
    p_r, p_f = torch.sigmoid(lr), torch.sigmoid(lf)
    return (-(alpha * torch.log(p_r) + (1 - alpha) * torch.log(1 - p_r)).mean() - torch.log(1 - p_f).mean())

def concatenated(lr, lf, alpha):
    return torch.cat([alpha * F.softplus(-lr) + (1 - alpha) * F.softplus(lr), F.softplus(lf)])

def where_branches(lr, lf, alpha):
    sp = lambda t: torch.where(t > 0, t + torch.log1p(torch.exp(-t)), torch.log1p(torch.exp(t)))
    return (alpha * sp(-lr) + (1 - alpha) * sp(lr)).mean() + sp(lf).mean()
''')

EX2_WRONG = {
    "stub": "NotImplementedError",
    "copy_of_section_4": "BCE on logits .* is refused",
    "via_library": "course's own answer",
    "via_torch_smoothed": "BCE on logits .* is refused",
    "via_bce_manual": "bce_manual is section 1's BCE",
    "unsmoothed": "does not change with alpha",
    "hard_coded": "alpha = 0.9 whatever alpha is",
    "scaled_real_term": "multiplied the real term",
    "two_sided": "smoothed the fakes too",
    "real_target_one_minus_alpha": "real target is 1 - alpha",
    "real_fake_swapped": "real and fake are swapped",
    "averaged": "that is half",
    "sign_flipped": "sign is flipped",
    "through_probabilities": "sigmoid\\(-200\\) underflows",
    "concatenated": "shape",
    "where_branches": "torch.where keeps one branch",
    "pooled_mean": "one mean over the real and fake logits together",
    "via_aten_smoothed": "BCE on logits .* is refused",
}


@pytest.mark.parametrize("name", ["solution", "with_exercise_1"])
def test_ex2_passes_solutions(name, capsys):
    assert check_d_loss_smoothed(EX2[name])
    assert "PASSED check_d_loss_smoothed" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(EX2_WRONG))
def test_ex2_fails_wrong_answers_with_their_message(name):
    with pytest.raises(CheckFailed, match=EX2_WRONG[name]):
        check_d_loss_smoothed(EX2[name])


def test_ex2_refuses_the_library_passed_directly():
    with pytest.raises(CheckFailed, match="itself"):
        check_d_loss_smoothed(losses.discriminator_loss)


# ---------------------------------------------------------------- exercise 3: d_star_from_log(log_p_data, log_p_g)
EX3 = notebook('''
def solution(a, b):
    return torch.sigmoid(a - b)

def logaddexp_route(a, b):
    return torch.exp(a - torch.logaddexp(a, b))

def ratio_route(a, b):
    return 1 / (1 + torch.exp(b - a))

def copy_of_section_6(a, b):           # the worked formula on the densities: 0 / 0 in the tails
    p_data, p_g = a.exp(), b.exp()
    return p_data / (p_data + p_g)

def via_library(a, b):
    return optimal_discriminator(a.exp(), b.exp())

def with_eps(a, b):
    return (a.exp() + 1e-300) / (a.exp() + b.exp() + 2e-300)

def one_minus(a, b):
    return torch.sigmoid(b - a)

def log_of_it(a, b):
    return F.logsigmoid(a - b)

def ratio(a, b):
    return (a - b).exp()

def logs_as_densities(a, b):
    return a / (a + b)

def off(a, b):
    return torch.sigmoid(a - b) + 0.01

def short(a, b):
    return torch.sigmoid(a - b)[:-1]

def as_list(a, b):
    return torch.sigmoid(a - b).tolist()
''')

EX3_WRONG = {
    "stub": "NotImplementedError",
    "copy_of_section_6": "0 / 0",
    "via_library": "library's D\\* from the densities",
    "with_eps": "1/2 where both densities underflow",
    "one_minus": "1 - D\\*",
    "log_of_it": "log D\\*",
    "ratio": "ratio p_data / p_g",
    "logs_as_densities": "as if they were densities",
    "off": "expected",
    "short": "shape",
    "as_list": "should return a torch.Tensor",
}


@pytest.mark.parametrize("name", ["solution", "logaddexp_route", "ratio_route"])
def test_ex3_passes_exact_routes(name, capsys):
    assert check_d_star_from_logs(EX3[name])
    assert "PASSED check_d_star_from_logs" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(EX3_WRONG))
def test_ex3_fails_wrong_answers_with_their_message(name):
    with pytest.raises(CheckFailed, match=EX3_WRONG[name]):
        check_d_star_from_logs(EX3[name])


def test_ex3_refuses_the_library_passed_directly():
    with pytest.raises(CheckFailed, match="itself"):
        check_d_star_from_logs(optimal_discriminator)


# ---------------------------------------------------------------- exercise 5: predicted gradients far from the data
def test_far_gradients_measure_what_the_notebook_says():
    g_mm, g_ns = far_gradients(8.0)
    assert 0 < g_mm < 1e-3 and abs(g_ns - 8.0) < 1e-3
    assert abs(g_mm + g_ns - 8.0) < 1e-6          # per fake 8 D* + 8 (1 - D*) = 8, the slope of KL = mu^2 / 2
    g_mm4, g_ns4 = far_gradients(4.0)
    assert g_mm4 > 100 * g_mm and abs(g_mm4 + g_ns4 - 4.0) < 1e-6


def test_ex5_passes_the_answer(capsys):
    assert check_far_gradient_prediction(0.0, 8.0)
    assert check_far_gradient_prediction(0.0004, 7.9)
    out = capsys.readouterr().out
    assert "PASSED check_far_gradient_prediction" in out and "non-saturating 7.9996" in out


@pytest.mark.parametrize("minimax,nonsat,msg", [
    (None, None, "still None"),
    ("0", 8.0, "plain number"),
    (0.0, True, "plain number"),
    (0.0, 0.0, "minimax story"),
    (0.0, 1.0, "gradient with respect to D's LOGIT"),
    (0.0, -1.0, "gradient with respect to D's logit"),
    (0.0, 32.0, "the loss itself"),
    (0.0, -8.0, "the sign"),
    (0.0, 5.0, "off by more than 5%"),
    (8.0, 8.0, "that is the non-saturating loss"),
    (-1.0, 8.0, "non-saturating gradient with respect to the logit"),
    (0.5, 8.0, "off by more than 0.01"),
])
def test_ex5_names_the_mistake(minimax, nonsat, msg):
    with pytest.raises(CheckFailed, match=msg):
        check_far_gradient_prediction(minimax, nonsat)


def test_ex5_answer_is_not_a_restatement():
    """The tautology the old exercise 5 had (losses at D* = 1/2) is gone: the measured slopes differ from
    what section 5's per-logit bound (at most 1 in size) or V(D*, G) alone would suggest."""
    g_mm, g_ns = far_gradients(8.0)
    assert g_ns > 1 and not math.isclose(g_mm, g_ns)


def test_ex5_messages_point_without_giving_the_answer():
    """A wrong guess gets a pointer (the logit is linear in x), not the derivation, and the oracle that
    measures the answer is not a public name of the check module (nb01 is imported in the notebook)."""
    import gan_helpers.checks.nb01 as nb01
    assert not hasattr(nb01, "far_gradients")
    for minimax, nonsat in [(0.0, 5.0), (0.5, 8.0), (0.0, 1.0)]:
        with pytest.raises(CheckFailed) as err:
            check_far_gradient_prediction(minimax, nonsat)
        assert "-8x + 32" not in str(err.value) and "times -8" not in str(err.value)
