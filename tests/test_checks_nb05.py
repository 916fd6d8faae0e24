"""Notebook 05 exercise checks: pass the solution, fail the stub and plausible wrong answers."""
import pytest
import torch
import torch.nn.functional as F

from gan_helpers.checks import CheckFailed
from gan_helpers.checks import nb05


def condition_z(z, y, n_classes):
    return torch.cat([z, F.one_hot(y, n_classes).to(z.dtype)], dim=1)


def d_input(x, y, n_classes):
    maps = F.one_hot(y, n_classes).to(x.dtype)[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
    return torch.cat([x, maps], dim=1)


def label_match(logits, requested):
    hit = (logits.argmax(dim=1) == requested).float()
    per_class = torch.stack([hit[requested == k].mean() for k in range(logits.shape[1])])
    return hit.mean().item(), per_class


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_solutions_pass(capsys):
    assert nb05.check_condition_z(condition_z) and nb05.check_discriminator_input(d_input)
    assert nb05.check_label_match(label_match)
    assert capsys.readouterr().out.count("PASSED") == 3


@pytest.mark.parametrize("check", [nb05.check_condition_z, nb05.check_discriminator_input, nb05.check_label_match])
def test_stub_fails(check):
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        check(stub)


def test_wrong_condition_fails():
    with pytest.raises(CheckFailed, match="one number"):   # raw label as a column
        nb05.check_condition_z(lambda z, y, k: torch.cat([z, y[:, None].float()], dim=1))
    with pytest.raises(CheckFailed, match="first 8 columns"):  # one-hot first
        nb05.check_condition_z(lambda z, y, k: torch.cat([F.one_hot(y, k).float(), z], dim=1))


def test_wrong_d_input_fails():
    with pytest.raises(CheckFailed, match="plane y all ones"):   # labels of the wrong samples (transposed)
        nb05.check_discriminator_input(lambda x, y, k: torch.cat(
            [x, F.one_hot(y.flip(0), k).float()[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])], 1))
    with pytest.raises(CheckFailed, match="shape"):              # one plane holding the label value
        nb05.check_discriminator_input(lambda x, y, k: torch.cat(
            [x, y.float()[:, None, None, None].expand(-1, 1, x.shape[2], x.shape[3])], 1))


def test_wrong_label_match_fails():
    def per_class_over_n(logits, requested):
        hit = (logits.argmax(1) == requested).float()
        return hit.mean().item(), torch.stack([hit[requested == k].sum() / len(hit) for k in range(logits.shape[1])])
    with pytest.raises(CheckFailed, match="not by N"):
        nb05.check_label_match(per_class_over_n)
    with pytest.raises(CheckFailed, match="dim=1"):
        # compares the top probability (a value) with the label instead of the top class (an index)
        nb05.check_label_match(lambda lg, r: ((lg.max(1).values == r).float().mean().item(), torch.zeros(3)))
