"""Exercise checks for notebook 06 (Wasserstein GAN, gradient penalty, spectral norm).

* ``check_hinge_losses(critic_loss, generator_loss)``: the hinge game (a variation on section 2's losses).
* ``check_gradient_penalty(fn)``: the penalty alone, ``fn(D, x_real, x_fake, generator)``
  (Gulrajani et al.), with the norm taken per sample over all pixels, interpolates with one
  epsilon per sample, and a graph that trains D. The notebook grades the penalty inside exercise
  2's ``check_critic_loss_gp`` (in ``nb06_step``, with exercise 3's ``check_wgan_gp_step``); both
  share the diagnosis of a wrong penalty, ``_penalty_mistake``.
* ``check_power_iteration(fn)``: the largest singular value by power iteration (the estimate
  spectral normalisation divides each weight by; Miyato et al. 2018), compared step by step with
  power iteration from the stated start, so an exact SVD fails.

The learner's functions live in the notebook next to names the notebook imported from the library
(``gradient_penalty``, ``top_singular_value``). While a learner's function runs, the library's
versions of the piece being written (and, for power iteration, every SVD-like routine of torch and
numpy) raise a ``CheckFailed`` that says so: the exercise is to write the piece, not to call it.
"""
from __future__ import annotations


import torch
from torch import nn

from ..stabilizers import lipschitz
from ..stabilizers.lipschitz import interpolates
from ._core import CheckFailed, check, close, expect_tensor, passed
from ._refusals import _call, _library_off, _shadowed, call_refusing
# the power-iteration check lives in its own module; notebook 06 calls it as nb06.check_power_iteration
from .nb06_power import _slow_matrix, check_power_iteration  # noqa: F401


def check_hinge_losses(critic_loss, generator_loss) -> bool:
    """The hinge version of the game (Lim and Ye 2017; used by Miyato et al. 2018 with spectral norm):
    ``critic_loss(out_real, out_fake)`` = E[relu(1 - D(real))] + E[relu(1 + D(fake))],
    ``generator_loss(out_fake)`` = -E[D(fake)]."""
    relu = torch.relu
    # torch's hinge_embedding_loss computes the same hinge terms: the exercise is to write them
    hinge_ops = {torch.nn.functional.hinge_embedding_loss:
                 "torch's `hinge_embedding_loss` is refused: write the hinge with relu (or clamp) yourself."}
    out_real = torch.tensor([[2.0], [0.5], [-1.0]])
    out_fake = torch.tensor([[-3.0], [0.0], [0.5], [-0.5]])    # different counts: means, not sums
    got = expect_tensor(call_refusing(critic_loss, out_real, out_fake, name="critic_loss",
                                      torch_ops=hinge_ops), name="critic_loss(...)")
    check(got.numel() == 1, f"critic_loss should return a scalar, got shape {tuple(got.shape)}.")
    want = relu(1 - out_real).mean() + relu(1 + out_fake).mean()
    if not close(got, want):
        if close(got, (1 - out_real).mean() + (1 + out_fake).mean()):
            raise CheckFailed("The relu is missing: without it the loss is the Wasserstein one plus 2, and a real "
                              "sample scored 2 still pushes D. The hinge stops pushing once D(real) >= 1 and "
                              "D(fake) <= -1: relu(1 - D(real)), relu(1 + D(fake)).")
        if close(got, relu(1 + out_real).mean() + relu(1 - out_fake).mean()):
            raise CheckFailed("The margins are swapped: real samples should score at least +1 (relu(1 - D(real))), "
                              "fakes at most -1 (relu(1 + D(fake))).")
        if close(got, relu(1 - out_real).sum() + relu(1 + out_fake).sum()):
            raise CheckFailed("You summed over the batch; take means, so the loss does not grow with the batch size.")
        if close(got, out_fake.mean() - out_real.mean()):
            raise CheckFailed("That is the Wasserstein critic loss of section 2. The hinge loss clips each term: "
                              "relu(1 - D(real)) and relu(1 + D(fake)).")
        raise CheckFailed(f"critic_loss returned {got.item():.4f}, expected {want.item():.4f} = "
                          "mean(relu(1 - out_real)) + mean(relu(1 + out_fake)).")
    g = expect_tensor(call_refusing(generator_loss, out_fake, name="generator_loss", torch_ops=hinge_ops), name="generator_loss(...)")
    want_g = -out_fake.mean()
    if not close(g, want_g):
        if close(g, out_fake.mean()):
            raise CheckFailed("generator_loss has the wrong sign: G wants the critic to score its samples HIGH, "
                              "so it minimises -E[D(G(z))].")
        if close(g, relu(1 - out_fake).mean()):
            raise CheckFailed("G's loss in the hinge game has no hinge: it is -E[D(G(z))] (Miyato et al., eq. 17), "
                              "so G keeps being pulled up the critic's surface.")
        raise CheckFailed(f"generator_loss returned {g.item():.4f}, expected {want_g.item():.4f} = -mean(out_fake).")
    return passed("hinge critic_loss and generator_loss")


class _Quadratic(nn.Module):
    """D(x) = 0.5 * sum(w * x^2) per sample: grad = w * x, a norm we can compute by hand."""

    def __init__(self, shape):
        super().__init__()
        self.w = nn.Parameter(torch.linspace(0.5, 1.5, int(torch.tensor(shape).prod())).reshape(shape))

    def forward(self, x):
        return 0.5 * (self.w * x ** 2).flatten(1).sum(1, keepdim=True)


def _images(x: torch.Tensor) -> torch.Tensor:
    """Scale the second half of a batch by 0.1, so that some samples' gradient norms are below 1
    (a one-sided penalty, relu(norm - 1) ** 2, then differs from the two-sided one)."""
    scale = torch.ones(len(x), *([1] * (x.dim() - 1)))
    scale[len(x) // 2:] = 0.1
    return x * scale


def _penalty_by_formula(D, x_hat, per: str = "sample", reduce: str = "mean") -> torch.Tensor:
    """The penalty at ``x_hat`` with the norm taken ``per`` sample (right) or per pixel, per channel
    or once for the whole batch (the wrong answers the check names), ``reduce`` by mean or sum."""
    x_hat = x_hat.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    norms = {"sample": lambda: g.flatten(1).norm(dim=1),
             "pixel": lambda: g.norm(dim=1),              # over the channel axis only: (N, H, W)
             "channel": lambda: g.flatten(2).norm(dim=2),  # over each channel's pixels: (N, C)
             "batch": lambda: g.norm()}[per]()             # one norm for all samples together
    sq = (norms - 1) ** 2
    return sq.mean() if reduce == "mean" else sq.sum()


_GP_LIBRARY_MESSAGE = ("{fn} calls the library's `{lib}` (gan_helpers.stabilizers.lipschitz): the exercise is to write "
                       "the penalty yourself, from torch.rand, torch.autograd.grad and a norm.")


def _penalty_mistake(got, D, x_real, x_fake, x_hat) -> str | None:
    """The message for a known wrong penalty (``got``, a scalar) on this case, or None."""
    for per, what in (("pixel", "over the channel axis only (dim=1), i.e. one norm per pixel"),
                      ("channel", "over each channel's pixels, i.e. one norm per channel"),
                      ("batch", "once over the whole batch")):
        if close(got, _penalty_by_formula(D, x_hat, per), atol=1e-4):
            return (f"You took the norm {what}. The penalty constrains the gradient of D with "
                  "respect to each sample's WHOLE input: flatten each sample's gradient "
                  "(grad.flatten(1)) and take one norm per sample, norm(2, dim=1).")
    eps_px = torch.rand(x_real.shape, generator=torch.Generator().manual_seed(7))
    if close(got, _penalty_by_formula(D, eps_px * x_real + (1 - eps_px) * x_fake), atol=1e-4):
        return ("Your epsilon has one value per pixel. Draw ONE epsilon per sample, shape (N, 1, 1, 1), "
                "so each x_hat lies on the straight line between a real and a fake sample.")
    eps_1 = torch.rand(1, generator=torch.Generator().manual_seed(7))
    if close(got, _penalty_by_formula(D, eps_1 * x_real + (1 - eps_1) * x_fake), atol=1e-4):
        return ("Your epsilon is one number for the whole batch, so every x_hat sits at the same "
                "fraction of the way from fake to real and the penalty only sees one slice of the "
                "space between them. Draw one epsilon PER SAMPLE: torch.rand(N, 1, 1, 1, "
                "generator=generator).")
    for what, pts in (("real samples", x_real), ("fake samples", x_fake)):
        if close(got, _penalty_by_formula(D, pts), atol=1e-4):
            return (f"You penalised the gradient at the {what} only. Gulrajani et al. penalise it at "
                  "random points between real and fake samples (x_hat).")
    if close(got, _penalty_by_formula(D, x_hat, reduce="sum"), atol=1e-4):
        return ("You summed over the batch: take the mean, so the penalty's weight (lambda = 10) "
                "does not depend on the batch size.")
    grads = torch.autograd.grad(D(x_hat.requires_grad_(True)).sum(), x_hat)[0].flatten(1).norm(dim=1)
    if close(got, (torch.relu(grads - 1) ** 2).mean(), atol=1e-4):
        return ("Your penalty is one-sided: it only pushes gradient norms above 1 down (relu(norm - 1) ** 2). "
                "Gulrajani et al.'s penalty is two-sided, ((norm - 1) ** 2).mean(): it also pulls norms below "
                "1 up, since the optimal critic has norm 1 on the lines between real and fake samples.")
    if close(got, (grads - 1).abs().mean(), atol=1e-4):
        return ("Square the distance from 1: ((norm - 1) ** 2).mean(), not its absolute value.")
    if close(got, (grads ** 2).mean(), atol=1e-4) or close(got, grads.mean(), atol=1e-4):
        return ("The penalty pulls the norm towards 1, not towards 0: ((norm - 1) ** 2).mean().")
    return None


def check_gradient_penalty(fn) -> bool:
    """``fn(D, x_real, x_fake, generator) -> scalar``: mean over samples of (||grad_x D(x_hat)||_2 - 1)^2,
    x_hat = eps x_real + (1 - eps) x_fake with one eps ~ U(0, 1) per sample drawn from ``generator``."""
    name = getattr(fn, "__name__", "your penalty")
    check(callable(fn), "Pass the function itself: nb06.check_gradient_penalty(my_penalty), without calling it.")
    library = (lipschitz.gradient_penalty, lipschitz.per_sample_gradient_norms, lipschitz.interpolates)
    check(not any(fn is f for f in library),
          f"That is the library's `{getattr(fn, '__name__', '')}` itself. Write your own penalty "
          "(the library's version is the one imported earlier to compare with).")
    shadow = None
    if _shadowed(fn, "gradient_penalty", lipschitz.gradient_penalty):
        shadow = ("You defined a function named `gradient_penalty`, which replaced the library's "
                  "gradient_penalty imported earlier in the notebook (re-running that cell now runs yours), while "
                  f"{name} still raises NotImplementedError. Put your code in {name}, then restore the "
                  "library's with `from gan_helpers.stabilizers.lipschitz import gradient_penalty`.")
    messages = {f: _GP_LIBRARY_MESSAGE.format(fn=name, lib=f.__name__) for f in library}

    shape = (2, 4, 4)                     # (C, H, W): a norm per pixel would differ from one per sample
    D = _Quadratic(shape)
    g0 = torch.Generator().manual_seed(3)
    x_real, x_fake = _images(torch.randn(6, *shape, generator=g0)), _images(torch.randn(6, *shape, generator=g0))

    def run():
        with _library_off(fn, messages):
            return _call(fn, D, x_real, x_fake, torch.Generator().manual_seed(7), name=name,
                         shadow_message=shadow)

    got = expect_tensor(run(), name=f"{name}(...)")
    check(got.numel() == 1, f"{name} should return a scalar (the mean over the batch), got shape "
                            f"{tuple(got.shape)}.")
    again = expect_tensor(run(), name=f"{name}(...)")
    check(close(got, again.reshape(got.shape), atol=1e-6),
          f"Two calls with generators seeded alike gave {got.item():.5f} and {again.item():.5f}: your epsilon "
          "does not come from `generator`. Draw it with torch.rand(..., generator=generator) as your first "
          "random draw, so a run can be repeated.")
    x_hat = interpolates(x_real, x_fake, torch.Generator().manual_seed(7))
    want = _penalty_by_formula(D, x_hat)
    if not close(got, want, atol=1e-4):
        raise CheckFailed(_penalty_mistake(got, D, x_real, x_fake, x_hat) or
                          f"{name} returned {got.item():.5f}, expected {want.item():.5f}. Use "
                          "eps = torch.rand(N, 1, 1, 1, generator=generator) (the first random draw), x_hat = "
                          "eps * x_real + (1 - eps) * x_fake, torch.autograd.grad(..., create_graph=True).")
    check(got.requires_grad, "The penalty has no graph back to D's weights, so it cannot train D. Pass "
                             "create_graph=True to torch.autograd.grad.")
    got.backward()
    check(D.w.grad is not None and float(D.w.grad.abs().sum()) > 0,
          "No gradient reached D's weights: compute the gradient with create_graph=True and do not detach it.")
    return passed(name, "per-sample norm over all pixels, one epsilon per sample, trains D")


# -- power iteration ---------------------------------------------------------------------------------
# Each routine that returns singular values (or the eigenvalues of W^T W, their squares) from a full
# decomposition. Power iteration exists to avoid them: spectral normalisation runs one cheap step of
# it per forward pass instead of an SVD per step.


# exercises 2 and 3 (the critic loss with its penalty, the whole step) live in their own module
from .nb06_step import check_critic_loss_gp, check_wgan_gp_step  # noqa: E402,F401
