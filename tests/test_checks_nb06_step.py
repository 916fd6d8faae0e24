"""Notebook 06, exercises 2 and 3: the critic loss with its penalty and the WGAN-GP step pass the
model solutions and fail the stub, the typical wrong answers (each with its message), the library's
penalty, losses and steps, and calls to the notebook's worked 2-D cells."""
import pytest
import torch

from gan_helpers.checks import CheckFailed, nb06, nb06_step
from gan_helpers.checks.nb06 import check_critic_loss_gp, check_wgan_gp_step
from gan_helpers.losses import wasserstein_critic_loss
from gan_helpers.stabilizers.lipschitz import gradient_penalty
from gan_helpers.train.critic import critic_step, generator_step


def stub(*_args, **_kw):
    raise NotImplementedError()


def make_loss(sign=1, at="interp", per="sample", create_graph=True, use_weight=True, one_sided=False,
              penalty=True):
    def critic_loss_gp(D, x_real, x_fake, gp_weight, generator=None):
        eps = torch.rand(len(x_real), 1, 1, 1, generator=generator)
        x = {"interp": eps * x_real + (1 - eps) * x_fake, "real": x_real, "fake": x_fake}[at]
        x = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=create_graph)
        norms = g.flatten(1).norm(2, dim=1) if per == "sample" else g.norm(2, dim=1)
        weight = (gp_weight if use_weight else 1.0) if penalty else 0.0
        gap = (torch.relu(norms - 1) if one_sided else norms - 1) ** 2
        return sign * (D(x_fake).mean() - D(x_real).mean()) + weight * gap.mean()
    return critic_loss_gp


critic_loss_gp = make_loss()


def wgan_gp_step(G, D, opt_G, opt_D, x_real, z, gp_weight, generator=None):
    for k in range(len(x_real)):
        with torch.no_grad():
            x_fake = G(z[k])
        loss_D = critic_loss_gp(D, x_real[k], x_fake, gp_weight, generator)
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
    loss_G = -D(G(z[-1])).mean()
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G.item()


def gradient_penalty_2d(D, x_real, x_fake):           # the notebook's worked cell, by name
    eps = torch.rand(len(x_real), 1)
    x_hat = (eps * x_real + (1 - eps) * x_fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


def wgan_gp_step_2d(*args, **kw):                       # section 4's worked step, by name
    return 0.0


def test_model_solutions_pass():
    assert check_critic_loss_gp(critic_loss_gp)
    assert check_wgan_gp_step(wgan_gp_step)


@pytest.mark.parametrize("wrong, message", [
    (stub, "NotImplementedError"),
    (make_loss(sign=-1), "sign is flipped"),
    (make_loss(at="real"), "real samples only"),
    (make_loss(at="fake"), "fake samples only"),
    (make_loss(per="pixel"), "one norm per pixel"),
    (make_loss(create_graph=False), "create_graph=True"),
    (make_loss(use_weight=False), "multiply it by gp_weight"),
    (make_loss(one_sided=True), "penalty is one-sided"),
    (lambda D, r, f, w, g=None: (D(f).mean() - D(r).mean() + w * gradient_penalty(D, r, f, g)), "library's `gradient_penalty`"),
    (lambda D, r, f, w, g=None: (D(f).mean() - D(r).mean() + w * gradient_penalty_2d(D, r, f)), "gradient_penalty_2d"),
    (gradient_penalty, "gradient_penalty"),
    (lambda D, r, f, w, g=None: wasserstein_critic_loss(D(r), D(f)) + 0 * w, "wasserstein_critic_loss"),
    (lambda D, r, f, w, g=None: D(f).mean() - D(r).mean() + w * nb06_step._penalty(D, r, f, g),
     "check's own reference `_penalty`"),
    (lambda D, r, f, w, g=None: D(f).mean() - D(r).mean() + w * nb06._penalty_by_formula(
        D, nb06.interpolates(r, f, g)), "refused"),
])
def test_critic_loss_wrong_answers(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check_critic_loss_gp(wrong)


def _step_with(loss_fn):
    def step(G, D, opt_G, opt_D, x_real, z, gp_weight, generator=None):
        for k in range(len(x_real)):
            with torch.no_grad():
                x_fake = G(z[k])
            opt_D.zero_grad()
            loss_fn(D, x_real[k], x_fake, gp_weight, generator).backward()
            opt_D.step()
        loss_G = -D(G(z[-1])).mean()
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        return loss_G.item()
    return step


def g_each_step(G, D, opt_G, opt_D, x_real, z, gp_weight, generator=None):
    for k in range(len(x_real)):
        x_fake = G(z[k])
        opt_D.zero_grad()
        opt_G.zero_grad()
        critic_loss_gp(D, x_real[k], x_fake, gp_weight, generator).backward()
        opt_D.step()
        opt_G.step()                                       # G moves during the critic's steps
    loss_G = -D(G(z[-1])).mean()
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G.item()


def leaky_step(G, D, opt_G, opt_D, x_real, z, gp_weight, generator=None):
    for k in range(len(x_real)):
        x_fake = G(z[k])                                   # not detached, and G's gradients never zeroed
        opt_D.zero_grad()
        critic_loss_gp(D, x_real[k], x_fake, gp_weight, generator).backward()
        opt_D.step()
    loss_G = -D(G(z[-1])).mean()
    loss_G.backward()
    opt_G.step()
    return loss_G.item()


def no_zero_D(G, D, opt_G, opt_D, x_real, z, gp_weight, generator=None):
    for k in range(len(x_real)):
        with torch.no_grad():
            x_fake = G(z[k])
        critic_loss_gp(D, x_real[k], x_fake, gp_weight, generator).backward()
        opt_D.step()
    loss_G = -D(G(z[-1])).mean()
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G.item()


def g_sign_step(G, D, opt_G, opt_D, x_real, z, gp_weight, generator=None):
    for k in range(len(x_real)):
        with torch.no_grad():
            x_fake = G(z[k])
        opt_D.zero_grad()
        critic_loss_gp(D, x_real[k], x_fake, gp_weight, generator).backward()
        opt_D.step()
    loss_G = D(G(z[-1])).mean()
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    return loss_G.item()


def library_step(G, D, opt_G, opt_D, x_real, z, gp_weight, generator=None):
    from gan_helpers.stabilizers import wgan_gp
    game = wgan_gp(gp_weight=gp_weight)
    for k in range(len(x_real)):
        critic_step(D, opt_D, x_real[k], G(z[k]).detach(), game, generator)
    return float(generator_step(D, opt_G, G(z[-1]), game))


def reference_step(G, D, opt_G, opt_D, x_real, z, gp_weight, generator=None):
    return nb06_step._reference(G, D, opt_G, opt_D, x_real, z, gp_weight, generator)


def copy_of_worked_step(G, D, opt_G, opt_D, x_real, z, gp_weight, generator=None):
    return wgan_gp_step_2d(G, D, opt_G, opt_D, len(x_real))


@pytest.mark.parametrize("wrong, message", [
    (stub, "NotImplementedError"),
    (_step_with(make_loss(sign=-1)), "critic's loss has the wrong sign"),
    (_step_with(make_loss(at="real")), "real samples only"),
    (_step_with(make_loss(at="fake")), "fake samples only"),
    (_step_with(make_loss(per="pixel")), "per pixel"),
    (_step_with(make_loss(create_graph=False)), "penalty did not change D's update.*create_graph=True"),
    (_step_with(make_loss(penalty=False)), "either it is missing from the critic's loss"),
    (reference_step, "check's own reference `_reference`"),
    (g_each_step, "G was updated during the critic steps"),
    (leaky_step, "leaked into G's gradients"),
    (no_zero_D, "accumulate across critic steps"),
    (g_sign_step, "G's loss has the wrong sign"),
    (library_step, "library's `critic_step`"),
    (copy_of_worked_step, "wgan_gp_step_2d"),
])
def test_step_wrong_answers(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check_wgan_gp_step(wrong)
