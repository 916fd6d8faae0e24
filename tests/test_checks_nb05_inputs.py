"""Notebook 05's build exercises (G's input, D's label planes, the projection term): the right
answer passes, the usual wrong answers fail with their message, the library's versions and
wrappers or copies of the single-sample worked cells are refused."""
import pytest
import torch
import torch.nn.functional as F

import gan_helpers.models.cgan as cgan
from gan_helpers.checks import CheckFailed
from gan_helpers.checks import nb05
from gan_helpers.models.cgan import label_maps, one_hot
from gan_helpers.models.cgan import one_hot as oh
from gan_helpers.models.infogan import ConditionalDiscriminator, ConditionalGenerator
from gan_helpers.models.projection import ProjectionDiscriminator


def stub(*args, **kwargs):
    raise NotImplementedError()


# -- the worked cells of the notebook (single sample), as the notebook defines them ------------
def g_input_one(z_i, y_i, n_classes):
    onehot = torch.zeros(n_classes)
    onehot[y_i] = 1.0
    return torch.cat([z_i, onehot])


def d_input_one(x_i, y_i, n_classes):
    C, H, W = x_i.shape
    planes = torch.zeros(n_classes, H, W)
    planes[y_i] = 1.0
    return torch.cat([x_i, planes])


def projection_one(phi_i, y_i, psi, embed):
    return psi(phi_i) + embed.weight[y_i] @ phi_i


# -- G's input ---------------------------------------------------------------------------------
def g_input(z, y, n_classes):
    onehot = (y[:, None] == torch.arange(n_classes)).float()
    return torch.cat([z, onehot], dim=1)


def g_input_eye(z, y, n_classes):
    return torch.cat([z, torch.eye(n_classes)[y]], dim=1)


def g_input_scatter(z, y, n_classes):
    return torch.cat([z, torch.zeros(len(y), n_classes).scatter_(1, y[:, None], 1.0)], 1)


@pytest.mark.parametrize("fn", [g_input, g_input_eye, g_input_scatter])
def test_g_input_right_answers_pass(fn, capsys):
    assert nb05.check_g_input(fn)
    assert "PASSED G's input" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (lambda z, y, k: torch.cat([z, y[:, None].float()], 1), "ONE number"),                 # label not one-hot
    (lambda z, y, k: torch.cat([z, torch.eye(int(y.max()) + 1)[y]], 1), "largest label"),   # width from the batch
    (lambda z, y, k: torch.cat([z, torch.eye(k)[y]], 0), "dim=1, the feature axis"),        # wrong concat dim
    (lambda z, y, k: torch.cat([torch.eye(k)[y], z], 1), "z first"),                        # order swapped
    (lambda z, y, k: torch.cat([z, torch.eye(k)[y] * y[:, None]], 1), "label's value"),      # y-scaled one-hot
    (lambda z, y, k: torch.cat([z, torch.eye(k)[(y + 1) % k]], 1), "wrong place"),          # off by one
    (lambda z, y, k: torch.cat([z * 0.5, torch.eye(k)[y]], 1), "z itself"),                 # z changed
    (lambda z, y, k: torch.cat([z, torch.eye(k)[y] - 0.5], 1), "exactly one 1"),            # not 0/1
    (lambda z, y, k: torch.cat([z, torch.zeros(len(y), k, dtype=torch.bool)], 1), None),     # anything fails
])
def test_g_input_wrong_answers_fail(wrong, match):
    with pytest.raises((CheckFailed, RuntimeError), match=match):
        nb05.check_g_input(wrong)


def test_g_input_copy_of_the_worked_cell_fails():
    def copied(z, y, n_classes):          # the single-sample cell pasted with a batch
        onehot = torch.zeros(n_classes)
        onehot[y] = 1.0
        return torch.cat([z, onehot])
    with pytest.raises(CheckFailed, match="single-sample cell"):
        nb05.check_g_input(copied)


def test_g_input_wrapper_of_the_worked_cell_is_refused():
    def looped(z, y, n_classes):
        return torch.stack([g_input_one(z[i], int(y[i]), n_classes) for i in range(len(y))])
    with pytest.raises(CheckFailed, match="g_input_one, the single-sample worked cell"):
        nb05.check_g_input(looped)


@pytest.mark.parametrize("shortcut", [
    lambda z, y, k: torch.cat([z, F.one_hot(y, k).float()], 1),
    lambda z, y, k: torch.cat([z, torch.nn.functional.one_hot(y, k).float()], 1),
    lambda z, y, k: torch.cat([z, one_hot(y, k)], 1),
    lambda z, y, k: torch.cat([z, oh(y, k)], 1),
    lambda z, y, k: torch.cat([z, cgan.one_hot(y, k)], 1),
    lambda z, y, k: torch.cat([z, label_maps(y, k, 1)[:, :, 0, 0]], 1),
    lambda z, y, k: torch.cat([z, torch.ops.aten.one_hot(y, k).float()], 1),
    lambda z, y, k: torch.cat([z, torch.ops.aten.one_hot.default(y, k).float()], 1),
])
def test_g_input_refuses_one_hot_shortcuts(shortcut):
    with pytest.raises(CheckFailed, match="build the one-hot yourself"):
        nb05.check_g_input(shortcut)


def test_g_input_refuses_the_library_generator():
    def via_library(z, y, k):
        G = ConditionalGenerator(z.shape[1], k, 4, 8)
        captured = []
        G.fc[0].register_forward_hook(lambda m, i, o: captured.append(i[0]))
        G(z, y)
        return captured[0]
    with pytest.raises(CheckFailed, match="library's conditional generators"):
        nb05.check_g_input(via_library)
    with pytest.raises(CheckFailed, match="one_hot itself"):
        nb05.check_g_input(one_hot)


# -- D's input: label planes ---------------------------------------------------------------------
def d_input(x, y, n_classes):
    N, C, H, W = x.shape
    planes = F.one_hot(y, n_classes).float()[:, :, None, None].expand(-1, -1, H, W)
    return torch.cat([x, planes], dim=1)


def d_input_eye(x, y, n_classes):
    planes = torch.eye(n_classes)[y].view(len(y), n_classes, 1, 1) * torch.ones(1, 1, *x.shape[2:])
    return torch.cat([x, planes], 1)


@pytest.mark.parametrize("fn", [d_input, d_input_eye])
def test_d_planes_right_answers_pass(fn, capsys):
    assert nb05.check_d_planes(fn)
    assert "PASSED D's input" in capsys.readouterr().out


def _planes(y, k, h, w):
    return F.one_hot(y, k).float()[:, :, None, None].expand(-1, -1, h, w)


def _only_corner(x, y, k):
    p = torch.zeros(len(y), k, *x.shape[2:])
    p[torch.arange(len(y)), y, 0, 0] = 1.0
    return torch.cat([x, p], 1)


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (lambda x, y, k: torch.cat([x, F.one_hot(y, k).float()[:, :, None, None]], 1), "expand"),   # not broadcast
    (lambda x, y, k: torch.cat([x, _planes(y, k, 28, 28)], 1), "not a fixed 28"),              # hard-coded size
    (lambda x, y, k: torch.cat([x, y.float()[:, None, None, None].expand(-1, 1, *x.shape[2:])], 1), "ONE plane"),
    (lambda x, y, k: torch.cat([x, _planes(y, k, *x.shape[2:])], 0), "dim=1"),                 # wrong concat dim
    (lambda x, y, k: torch.cat([_planes(y, k, *x.shape[2:]), x], 1), "image channels first"),   # order swapped
    (_only_corner, "whole"),                                                                  # one pixel only
    (lambda x, y, k: torch.cat([x, _planes(y, k, *x.shape[2:]) * y[:, None, None, None]], 1), "label's value"),
    (lambda x, y, k: torch.cat([x, _planes((y + 1) % k, k, *x.shape[2:])], 1), "plane y\\[i\\]"),
    (lambda x, y, k: torch.cat([x.detach(), _planes(y, k, *x.shape[2:])], 1), "gradient"),     # x detached
    (lambda x, y, k: torch.cat([x, _planes(y, k, x.shape[3], x.shape[2]).transpose(2, 3) * 0], 1), "one-hot"),
])
def test_d_planes_wrong_answers_fail(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        nb05.check_d_planes(wrong)


def test_d_planes_copy_of_the_worked_cell_fails():
    def copied(x, y, n_classes):          # the single-sample cell pasted with a batch
        C, H, W = x.shape
        planes = torch.zeros(n_classes, H, W)
        planes[y] = 1.0
        return torch.cat([x, planes])
    with pytest.raises(CheckFailed, match="four axes"):
        nb05.check_d_planes(copied)


def test_d_planes_wrapper_of_the_worked_cell_is_refused():
    def looped(x, y, n_classes):
        return torch.stack([d_input_one(x[i], int(y[i]), n_classes) for i in range(len(y))])
    with pytest.raises(CheckFailed, match="d_input_one, the single-sample worked cell"):
        nb05.check_d_planes(looped)


def test_d_planes_refuses_the_library():
    with pytest.raises(CheckFailed, match="label_maps and the library's"):
        nb05.check_d_planes(lambda x, y, k: torch.cat([x, label_maps(y, k, x.shape[2])], 1))
    with pytest.raises(CheckFailed, match="label_maps and the library's"):
        nb05.check_d_planes(lambda x, y, k: torch.cat([x, cgan.label_maps(y, k, x.shape[2])], 1))

    def via_library_d(x, y, k):
        D = ConditionalDiscriminator(k, 4, 8, img_channels=x.shape[1])
        return D(x, y)
    with pytest.raises(CheckFailed, match="label_maps and the library's"):
        nb05.check_d_planes(via_library_d)
    with pytest.raises(CheckFailed, match="label_maps itself"):
        nb05.check_d_planes(label_maps)


def test_d_planes_allows_one_hot():
    """The one-hot was exercise 1; here the planes are the exercise, so one_hot is fine."""
    assert nb05.check_d_planes(lambda x, y, k: torch.cat([x, one_hot(y, k)[:, :, None, None].expand(
        -1, -1, *x.shape[2:])], 1))


# -- the projection term: the batch after the worked single image -----------------------------
def test_projection_copy_and_wrapper_of_the_worked_cell_fail():
    with pytest.raises(CheckFailed, match="single-image case"):
        nb05.check_projection_logits(lambda f, y, psi, e: psi(f) + e.weight[y] @ f)
    with pytest.raises(CheckFailed, match="projection_one, the single-image worked cell"):
        nb05.check_projection_logits(
            lambda f, y, psi, e: torch.stack([projection_one(f[i], int(y[i]), psi, e) for i in range(len(y))]))


@pytest.mark.parametrize("wrong, match", [
    (lambda f, y, psi, e: psi(f) - (e(y) * f).sum(1, keepdim=True), "sign"),
    (lambda f, y, psi, e: (e(y) * f).sum(1, keepdim=True) - psi(f), "sign"),
    (lambda f, y, psi, e: psi(f) + (e(y) * f).mean(1, keepdim=True), "averaged"),
    (lambda f, y, psi, e: psi(f) + (e(y) * f).sum(0, keepdim=True), "batch axis"),
    (lambda f, y, psi, e: psi(f) + (e(y) * f).sum(), "whole batch"),
])
def test_projection_sign_and_sum_mistakes_fail(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        nb05.check_projection_logits(wrong)


def test_projection_refuses_the_library_forward_as_answer():
    with pytest.raises(CheckFailed, match="library's version"):
        nb05.check_projection_logits(ProjectionDiscriminator.forward)



# -- per-sample loops over a copy or an alias of a worked cell (each exercise asks for the batch) ---
def my_g_one(z_i, y_i, n_classes):          # section 2's g_input_one, pasted under another name
    """my own"""
    onehot = torch.zeros(n_classes)
    onehot[y_i] = 1.0
    return torch.cat([z_i, onehot])


def my_d_one(x_i, y_i, n_classes):
    C, H, W = x_i.shape
    planes = torch.zeros(n_classes, H, W)
    planes[y_i] = 1.0
    return torch.cat([x_i, planes])


def my_proj_one(phi_i, y_i, psi, embed):
    return psi(phi_i) + embed.weight[y_i] @ phi_i


g_one_alias = g_input_one


@pytest.mark.parametrize("one", ["my_g_one", "g_one_alias"])
def test_g_input_loop_over_a_copy_or_alias_of_the_worked_cell_is_refused(one):
    def looped(z, y, n_classes):
        return torch.stack([globals()[one](z[i], int(y[i]), n_classes) for i in range(len(y))])
    with pytest.raises(CheckFailed, match="g_input_one, the single-sample worked cell"):
        nb05.check_g_input(looped)
    assert globals()[one] is not None and my_g_one.__name__ == "my_g_one"     # restored


def test_d_planes_and_projection_loops_over_copies_are_refused():
    with pytest.raises(CheckFailed, match="d_input_one, the single-sample worked cell"):
        nb05.check_d_planes(lambda x, y, k: torch.stack([my_d_one(x[i], int(y[i]), k) for i in range(len(y))]))
    with pytest.raises(CheckFailed, match="projection_one, the single-image worked cell"):
        nb05.check_projection_logits(
            lambda f, y, psi, e: torch.stack([my_proj_one(f[i], int(y[i]), psi, e) for i in range(len(y))]))
