"""Check of notebook 04's exercise 5 (DCGAN, Radford et al. 2015): fix a training step with a
planted bug, compared with the correct step (the library's ``gan_helpers.train.d_step`` /
``g_step`` order) after one update. The library's step and the notebook's own ``train_step``
(section 2, the worked step) are refused while the learner's step runs, and so is a copy of
``train_step``: the planted bug sits in a step written differently, so its fix is not that cell."""
from __future__ import annotations

import copy

import torch
from torch import nn

from ..losses import discriminator_loss, generator_loss_nonsaturating, generator_loss_saturating
from ..models.dcgan import Discriminator, Generator
from ..train.step import d_step, g_step
from ._core import CheckFailed, check, passed
from ._refusals import refuse_copies, refuse_identity, refusing

_STEP_MSG = ("write the fixed step out line by line (the two halves of train_step_with_bug, with the bug "
             "removed); the library's d_step / g_step are that step already written, so calling them skips the "
             "diagnosis the exercise is about.")
_WORKED_MSG = ("section 2's train_step is the correct step already written, not a fix: start from "
               "train_step_with_bug's lines (printed under the run), find the line that stops G from learning, "
               "and write that step, corrected, in your cell.")

_BUG_MSG = ("fixed_train_step calls train_step_with_bug, the step with the planted bug: write the corrected step "
            "in your cell instead of wrapping the broken one.")


# --- Exercise 5: fix a planted bug -------------------------------------------------------------

def train_step_with_bug(G, D, opt_G, opt_D, x_real, latent_dim):
    """Notebook 04's training step, written another way, with one planted bug (the learner
    diagnoses it from the run's symptoms, then finds the line and fixes it)."""
    n = x_real.shape[0]
    x_fake = G(torch.randn(n, latent_dim, device=x_real.device))
    # D's half: real images labelled 1, G's samples labelled 0
    opt_D.zero_grad(set_to_none=True)
    logits_real, logits_fake = D(x_real), D(x_fake.detach())
    loss_D = discriminator_loss(logits_real, logits_fake)
    loss_D.backward()
    opt_D.step()
    # G's half: -log D(G(z)) through the updated D
    opt_G.zero_grad(set_to_none=True)
    loss_G = generator_loss_nonsaturating(D(x_fake.detach()))
    loss_G.backward()
    opt_G.step()
    with torch.no_grad():
        D_x, D_G_z = torch.sigmoid(logits_real).mean(), torch.sigmoid(logits_fake).mean()
    return {"loss_D": loss_D, "loss_G": loss_G, "D_x": D_x, "D_G_z": D_G_z}


def _reference_step(G, D, opt_G, opt_D, x_real, latent_dim, variant: str = "right"):
    """The correct step and the plausible wrong fixes, for comparing parameters after one step."""
    z = torch.randn(x_real.shape[0], latent_dim, device=x_real.device)
    x_fake = G(z)
    if variant == "G before D":        # G's loss through D before D's update
        loss_G = generator_loss_nonsaturating(D(x_fake))
        opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        opt_G.step()
    logits_real, logits_fake = D(x_real), D(x_fake.detach())
    loss_D = discriminator_loss(logits_real, logits_fake)
    opt_D.zero_grad(set_to_none=True)
    loss_D.backward()
    opt_D.step()
    if variant == "G before D":
        return
    logits_G = D(x_fake)
    loss_G = generator_loss_saturating(logits_G) if variant == "saturating" else generator_loss_nonsaturating(logits_G)
    opt_G.zero_grad(set_to_none=True)
    loss_G.backward()
    opt_G.step()


def _flat(m: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().ravel() for p in m.parameters()])


def _one_step(step_fn, G, D, x_real, latent_dim, **kw):
    G, D = copy.deepcopy(G), copy.deepcopy(D)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    torch.manual_seed(123)   # the same z inside every step function
    out = step_fn(G, D, opt_G, opt_D, x_real, latent_dim, **kw)
    return G, D, out


def check_fixed_step(fixed_train_step) -> bool:
    """``fixed_train_step(G, D, opt_G, opt_D, x_real, latent_dim)``: ``train_step_with_bug`` with
    the bug fixed; after one step G and D must equal those of the library's step."""
    latent_dim = 8
    torch.manual_seed(0)
    G0, D0 = Generator(latent_dim, 4), Discriminator(4)
    x_real = torch.rand(16, 1, 28, 28) * 2 - 1
    G_ref, D_ref, _ = _one_step(_reference_step, G0, D0, x_real, latent_dim)
    refuse_identity(fixed_train_step, {d_step: _STEP_MSG, g_step: _STEP_MSG, train_step_with_bug: _BUG_MSG},
                    "fixed_train_step")
    refuse_copies(fixed_train_step, {"train_step": _WORKED_MSG}, "fixed_train_step")
    try:
        with refusing(fixed_train_step, library={d_step: _STEP_MSG, g_step: _STEP_MSG,
                                                 train_step_with_bug: _BUG_MSG},
                      notebook={"train_step": _WORKED_MSG}):
            G_you, D_you, out = _one_step(fixed_train_step, G0, D0, x_real, latent_dim)
    except NotImplementedError:
        raise CheckFailed("fixed_train_step still raises NotImplementedError: replace the "
                          "`raise NotImplementedError()` line with your code.") from None
    check(isinstance(out, dict) and {"loss_D", "loss_G", "D_x", "D_G_z"} <= set(out),
          "fixed_train_step should return the dict the notebook's train_step returns "
          "(loss_D, loss_G, D_x, D_G_z): the training loop logs it.")
    same = lambda a, b: bool(torch.allclose(_flat(a), _flat(b), atol=1e-6, rtol=1e-5))
    check(same(D_you, D_ref), "D's weights after one step differ from the correct step's. The bug is not in D's "
                              "update: keep D's half of train_step_with_bug as it is (real labelled 1, fakes "
                              "detached, zero_grad, backward, step).")
    if same(G_you, G0):
        raise CheckFailed("G's weights did not change at all: that is the symptom of the run above (the same "
                          "samples before and after). Look at what loss_G is computed from: D(x_fake.detach()) "
                          "cuts the graph between D and G, so loss_G.backward() fills D's gradients and leaves G's "
                          "empty, and opt_G.step() has nothing to apply. G's loss needs D(x_fake), not detached.")
    for variant, message in (
            ("G before D", "G's weights differ from the correct step's: G's update went through D *before* D's "
                           "step. The library's step (and section 2's train_step) computes G's loss through the "
                           "updated D: call D(x_fake) after opt_D.step()."),
            ("saturating", "G's weights match the saturating loss log(1 - D(G(z))): use the non-saturating "
                           "-log D(G(z)) (generator_loss_nonsaturating), whose gradient does not vanish while D "
                           "still rejects the fakes.")):
        G_w, _, _ = _one_step(_reference_step, G0, D0, x_real, latent_dim, variant=variant)
        if same(G_you, G_w):
            raise CheckFailed(message)
    check(same(G_you, G_ref), "G's weights after one step differ from the correct step's: its loss should be "
                              "generator_loss_nonsaturating(D(x_fake)) on the same x_fake D was trained on, "
                              "through the updated D, then zero_grad, backward, step.")
    return passed("fixed_train_step", "G now learns: its loss goes through D(x_fake) without detach; "
                                      "G and D equal the library step after one update")
