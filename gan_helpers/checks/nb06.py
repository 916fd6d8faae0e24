"""Exercise checks for notebook 06 (Wasserstein GAN, gradient penalty, spectral norm).

* ``check_hinge_losses(critic_loss, generator_loss)``: the hinge game (a variation on section 2's losses).
* ``check_gradient_penalty(fn)``: Gulrajani et al.'s penalty, with the norm taken per sample
  over all pixels, interpolates with one epsilon per sample, and a graph that trains D.
* ``check_power_iteration(fn)``: the largest singular value by power iteration (the estimate
  spectral normalisation divides each weight by; Miyato et al. 2018).
"""
from __future__ import annotations

import torch
from torch import nn

from ..lipschitz import interpolates, top_singular_value
from ._core import CheckFailed, call, check, close, expect_tensor, passed


def check_hinge_losses(critic_loss, generator_loss) -> bool:
    """The hinge version of the game (Lim and Ye 2017; used by Miyato et al. 2018 with spectral norm):
    ``critic_loss(out_real, out_fake)`` = E[relu(1 - D(real))] + E[relu(1 + D(fake))],
    ``generator_loss(out_fake)`` = -E[D(fake)]."""
    relu = torch.relu
    out_real = torch.tensor([[2.0], [0.5], [-1.0]])
    out_fake = torch.tensor([[-3.0], [0.0], [0.5], [-0.5]])    # different counts: means, not sums
    got = expect_tensor(call(critic_loss, out_real, out_fake, name="critic_loss"), name="critic_loss(...)")
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
    g = expect_tensor(call(generator_loss, out_fake, name="generator_loss"), name="generator_loss(...)")
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


def _penalty_by_formula(D, x_hat, per: str) -> torch.Tensor:
    x_hat = x_hat.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    if per == "sample":
        norms = g.flatten(1).norm(dim=1)
    else:  # the bug: the norm over the channel axis only, one "norm" per pixel
        norms = g.norm(dim=1)
    return ((norms - 1) ** 2).mean()


def check_gradient_penalty(fn) -> bool:
    """``fn(D, x_real, x_fake, generator) -> scalar``: mean over samples of (||grad_x D(x_hat)||_2 - 1)^2,
    x_hat = eps x_real + (1 - eps) x_fake with one eps ~ U(0, 1) per sample drawn from ``generator``."""
    shape = (2, 4, 4)                     # (C, H, W): a norm per pixel would differ from one per sample
    D = _Quadratic(shape)
    g0 = torch.Generator().manual_seed(3)
    x_real, x_fake = torch.randn(6, *shape, generator=g0), torch.randn(6, *shape, generator=g0)
    got = expect_tensor(call(fn, D, x_real, x_fake, torch.Generator().manual_seed(7), name="gradient_penalty"),
                        name="gradient_penalty(...)")
    check(got.numel() == 1, f"gradient_penalty should return a scalar, got shape {tuple(got.shape)}.")
    x_hat = interpolates(x_real, x_fake, torch.Generator().manual_seed(7))
    want = _penalty_by_formula(D, x_hat, "sample")
    if not close(got, want, atol=1e-4):
        if close(got, _penalty_by_formula(D, x_hat, "pixel"), atol=1e-4):
            raise CheckFailed("You took the norm over the channel axis only (dim=1), i.e. one norm per pixel. "
                              "The penalty constrains the gradient of D with respect to the WHOLE input: "
                              "flatten each sample's gradient (grad.flatten(1)) and take one norm per sample.")
        eps_px = torch.rand(x_real.shape, generator=torch.Generator().manual_seed(7))
        if close(got, _penalty_by_formula(D, eps_px * x_real + (1 - eps_px) * x_fake, "sample"), atol=1e-4):
            raise CheckFailed("Your epsilon has one value per pixel. Draw ONE epsilon per sample, shape (N, 1, 1, 1), "
                              "so each x_hat lies on the straight line between a real and a fake sample.")
        for name, pts in (("real samples", x_real), ("fake samples", x_fake)):
            if close(got, _penalty_by_formula(D, pts, "sample"), atol=1e-4):
                raise CheckFailed(f"You penalised the gradient at the {name} only. Gulrajani et al. penalise it at "
                                  "random points between real and fake samples (x_hat).")
        grads = torch.autograd.grad(D(x_hat.requires_grad_(True)).sum(), x_hat)[0].flatten(1).norm(dim=1)
        if close(got, (grads - 1).abs().mean(), atol=1e-4):
            raise CheckFailed("Square the distance from 1: ((norm - 1) ** 2).mean(), not its absolute value.")
        if close(got, (grads ** 2).mean(), atol=1e-4) or close(got, grads.mean(), atol=1e-4):
            raise CheckFailed("The penalty pulls the norm towards 1, not towards 0: ((norm - 1) ** 2).mean().")
        raise CheckFailed(f"gradient_penalty returned {got.item():.5f}, expected {want.item():.5f}. Use "
                          "eps = torch.rand(N, 1, 1, 1, generator=generator) (the first random draw), x_hat = "
                          "eps * x_real + (1 - eps) * x_fake, torch.autograd.grad(..., create_graph=True).")
    check(got.requires_grad, "The penalty has no graph back to D's weights, so it cannot train D. Pass "
                             "create_graph=True to torch.autograd.grad.")
    got.backward()
    check(D.w.grad is not None and float(D.w.grad.abs().sum()) > 0,
          "No gradient reached D's weights: compute the gradient with create_graph=True and do not detach it.")
    return passed("gradient_penalty", "per-sample norm over all pixels, on interpolates, trains D")


def check_power_iteration(fn) -> bool:
    """``fn(W, n_iter) -> float``: the largest singular value of the matrix W (out, in) by power iteration."""
    g = torch.Generator().manual_seed(0)
    cases = [torch.diag(torch.tensor([3.0, 1.0, 0.5])), torch.randn(16, 9, generator=g),
             torch.randn(5, 40, generator=g) * 0.1]
    for W in cases:
        got = call(fn, W.clone(), 50, name="top_singular_value")
        check(isinstance(got, (int, float)) or (torch.is_tensor(got) and got.numel() == 1),
              f"the function should return one number, got {type(got).__name__}.")
        got, want = float(got), top_singular_value(W)
        if abs(got - want) > 1e-3 * max(1.0, want):
            if abs(got - float(W.norm())) < 1e-3 * max(1.0, want):
                raise CheckFailed("That is the Frobenius norm (all singular values together). Spectral norm is the "
                                  "largest one: repeat v = W^T u / ||W^T u||, u = W v / ||W v||, then sigma = u^T W v.")
            if abs(got - float(W.abs().max())) < 1e-6:
                raise CheckFailed("That is the largest entry of W, not its largest singular value (how much W can "
                                  "stretch a unit vector).")
            if abs(got - want ** 2) < 1e-2 * max(1.0, want ** 2):
                raise CheckFailed("You returned sigma squared (||W^T W v|| or similar). Return u^T W v with unit u, v.")
            raise CheckFailed(f"For a {tuple(W.shape)} matrix you returned {got:.4f}; its largest singular value is "
                              f"{want:.4f}. Normalise u and v after every multiplication.")
    return passed("top_singular_value", "power iteration matches torch.linalg.matrix_norm(W, 2)")
