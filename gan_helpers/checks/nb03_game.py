"""Checks for notebook 03, exercises 4 and 5 (the exercises 1-2 on FID are in ``nb03``):

* ``check_feature_matching``: a G phase with the feature-matching loss of Salimans et al. (2016,
  "Improved Techniques for Training GANs", section 3.1), ||E f(x_real) - E f(G(z))||^2 on D's
  features, the next case after the notebook's G phase on D's logit;
* ``check_top_directions``: the principal latent directions from G's exact Jacobian averaged over
  many z (the metric of Wang and Ponce 2021), the next case after the notebook's one-z version.

The library's losses, training steps and latent directions, and the notebook's worked functions
(``train_step``, ``directions_at``), are refused while the learner's function runs
(``checks/_refusals.py``)."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ._core import CheckFailed, check, close, expect_tensor, passed
from ._refusals import call_refusing, refuse_identity


# -- exercise 4: feature matching ----------------------------------------------------------
def _fm_refusals():
    from .. import losses, train
    msg = ("{} is a loss on D's logit, the G phase section 4 already wrote. Feature matching compares D's "
           "FEATURES of the two batches: ||mean f(x_real) - mean f(x_fake)||^2.")
    library = {f: msg.format(n) for f, n in (
        (losses.generator_loss_nonsaturating, "generator_loss_nonsaturating"),
        (losses.generator_loss_saturating, "generator_loss_saturating"),
        (losses.discriminator_loss, "discriminator_loss"), (train.g_step, "gan_helpers.train.g_step"),
        (train.d_step, "gan_helpers.train.d_step"))}
    torch_ops = {F.binary_cross_entropy_with_logits: msg.format("binary_cross_entropy_with_logits"),
                 F.binary_cross_entropy: msg.format("binary_cross_entropy")}
    notebook = {"train_step": "section 4's train_step is the worked G phase on D's logit; this exercise is a new "
                              "loss: write the G phase yourself."}
    return library, torch_ops, notebook


def _fm_variants(f_real: torch.Tensor, f_fake: torch.Tensor) -> dict:
    diff = f_real.mean(0) - f_fake.mean(0)
    return {"right": (diff ** 2).sum(), "mse": (diff ** 2).mean(), "norm": diff.norm(),
            "per_pair": ((f_real - f_fake) ** 2).sum(1).mean(),
            "feature_axis": ((f_real.mean(1) - f_fake.mean(1)) ** 2).sum()}


_FM_HINTS = {
    "per_pair": "you compared image i of the real batch with image i of the fake batch. The two batches are "
                "independent draws: there is no pairing. Feature matching compares the batch MEANS, "
                "||mean_i f(x_real_i) - mean_j f(x_fake_j)||^2, a statistic of each batch.",
    "mse": "you averaged the squared differences over the F features (F.mse_loss does): the loss is the squared "
           "norm, the SUM over features of (mean f(x_real) - mean f(x_fake))^2.",
    "norm": "that is the norm; the loss is the SQUARED norm ||mean f(x_real) - mean f(x_fake)||^2.",
    "feature_axis": "you averaged over the features (dim 1). The mean is over the batch (dim 0): one F-vector "
                    "per batch, then the squared distance between the two vectors.",
}


def check_feature_matching(fn) -> bool:
    """``fn(features, opt_G, x_real, x_fake) -> loss_G``: one G update with the loss
    ||mean f(x_real) - mean f(x_fake)||^2, f = ``features`` (images (N, ...) -> (N, F))."""
    library, torch_ops, notebook = _fm_refusals()
    refuse_identity(fn, library, "g_phase_feature_matching")
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(4, 12), nn.Tanh(), nn.Unflatten(1, (1, 3, 4)))
    features = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.LeakyReLU(0.2))
    lr = 0.1
    opt_G = torch.optim.SGD(G.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(1)
    x_real = torch.rand(32, 1, 3, 4, generator=gen) * 2 - 1
    z = torch.randn(32, 4, generator=gen)
    for p in G.parameters():                                  # gradients left over from an earlier step
        p.grad = torch.full_like(p, 0.5)
    G_ref, f_ref = copy.deepcopy(G), copy.deepcopy(features)
    x_ref = G_ref(z)
    v = _fm_variants(f_ref(x_real).detach(), f_ref(x_ref))
    grads = torch.autograd.grad(v["right"], list(G_ref.parameters()))
    # D's feature layers get gradients from the fake branch only when the real features are a constant
    both = ((f_ref(x_real).mean(0) - f_ref(x_ref).mean(0)) ** 2).sum()
    f_grads_both = torch.autograd.grad(both, list(f_ref.parameters()))
    want = [p.detach() - lr * g for p, g in zip(G_ref.parameters(), grads)]
    stale = [p.detach() - lr * (g + 0.5) for p, g in zip(G_ref.parameters(), grads)]
    g_before = [p.detach().clone() for p in G.parameters()]
    f_before = [p.detach().clone() for p in features.parameters()]

    loss = call_refusing(fn, features, opt_G, x_real, G(z), name="g_phase_feature_matching", library=library,
                         torch_ops=torch_ops, notebook=notebook)
    loss = expect_tensor(loss, (), "the returned loss_G")
    if not close(loss, v["right"], atol=1e-6):
        for key, hint in _FM_HINTS.items():
            if close(loss, v[key], atol=1e-6):
                raise CheckFailed(hint)
        raise CheckFailed(f"loss_G is {loss.item():.5f}, expected {v['right'].item():.5f} = ||mean f(x_real) - "
                          "mean f(x_fake)||^2 on the batches before the update (means over dim 0, sum over features).")
    if all(torch.equal(a, b) for a, b in zip(g_before, G.parameters())):
        if any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in G.parameters()):
            raise CheckFailed("G's weights did not change although G holds gradients: call opt_G.step() after "
                              "loss_G.backward().")
        raise CheckFailed("G's weights did not change, and G holds no gradient. Either x_fake was detached "
                          "(backpropagate through f(x_fake) into G), or opt_G.zero_grad() came after "
                          "loss_G.backward() and erased the gradients just computed: zero_grad BEFORE backward, "
                          "then step.")
    after = [p.detach() for p in G.parameters()]
    if all(torch.allclose(a, b, atol=1e-6) for a, b in zip(after, stale)):
        raise CheckFailed("G's update contains gradients left over from before your function ran: call "
                          "opt_G.zero_grad() before loss_G.backward(), or the old .grad is added to the new one.")
    check(all(torch.allclose(a, b, atol=1e-6) for a, b in zip(after, want)),
          "G's update is not one optimizer step on the gradient of your loss_G (zero_grad, backward, step, once).")
    check(all(torch.equal(a, b) for a, b in zip(f_before, features.parameters())),
          "the G phase changed D's feature layers: step only opt_G.")
    f_grads = [p.grad for p in features.parameters()]
    if all(g is not None and torch.allclose(g, w, atol=1e-6) for g, w in zip(f_grads, f_grads_both)):
        raise CheckFailed("G's update is right, but loss_G also backpropagated into D through the REAL batch: D's "
                          "feature layers got gradients from f(x_real). The real features are a target for G, a "
                          "constant: compute them under torch.no_grad() (or .detach() them), which saves the graph "
                          "and leaves no gradient on D from a batch G cannot change.")
    return passed("feature matching", "||mean f(x_real) - mean f(x_fake)||^2, one clean step of G")


# -- exercise 5: principal directions averaged over z ---------------------------------------
def _jacobian_metric(G, z: torch.Tensor) -> torch.Tensor:
    Js = [torch.autograd.functional.jacobian(lambda v: G(v[None]).flatten(), zi) for zi in z]   # (P, d) each
    return sum(J.T @ J for J in Js) / len(Js)


def _top(M: torch.Tensor, k: int, bottom: bool = False):
    w, V = torch.linalg.eigh(M)
    idx = torch.arange(k) if bottom else torch.arange(len(w) - 1, len(w) - 1 - k, -1)
    return V[:, idx].T, w[idx]


def _same_dirs(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-4) -> bool:
    return bool(((a * b).sum(1).abs() > 1 - tol).all())


def _test_generators():
    g = torch.Generator().manual_seed(7)
    U, _ = torch.linalg.qr(torch.randn(12, 12, generator=g, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(5, 5, generator=g, dtype=torch.float64))
    s = torch.tensor([3.0, 2.0, 1.5, 0.7, 0.2], dtype=torch.float64)
    W = U[:, :5] @ torch.diag(s) @ V.T                                     # J = W at every z
    A = 1.5 * torch.randn(12, 5, generator=g, dtype=torch.float64)
    c = torch.randn(12, generator=g, dtype=torch.float64)
    linear = lambda z: (z @ W.T).view(-1, 1, 3, 4)
    curved = lambda z: torch.tanh(z @ A.T + c).view(-1, 1, 3, 4)           # J changes with z
    z = torch.randn(8, 5, generator=g, dtype=torch.float64)
    return [("a linear G", linear, z), ("a tanh G", curved, z)]


def check_top_directions(fn) -> bool:
    """``fn(G, z (N, d), k) -> (directions (k, d), gains (k,))``: the top-k eigenvectors (as rows, largest
    first) of the average over z of J^T J, and gains = sqrt of their eigenvalues."""
    from ..latent import space
    msg = "{} is the library's version (finite differences); write the exact-Jacobian average yourself."
    library = {space.principal_directions: msg.format("principal_directions"),
               space.jacobian_metric: msg.format("jacobian_metric")}
    notebook = {"directions_at": "directions_at is section 6's worked case at ONE z; this exercise averages "
                                 "J^T J over all the z first. Compute the Jacobians yourself."}
    refuse_identity(fn, library, "top_directions")
    k = 2
    for what, G, z in _test_generators():
        out = call_refusing(fn, G, z.clone(), k, name="top_directions", library=library, notebook=notebook)
        check(isinstance(out, (tuple, list)) and len(out) == 2, "top_directions returns a pair (directions, gains).")
        dirs, gains = (expect_tensor(t, None, n) for t, n in zip(out, ("directions", "gains")))
        d = z.shape[1]
        if tuple(dirs.shape) == (d, k):
            raise CheckFailed(f"directions has shape {(d, k)}: eigh returns the eigenvectors as COLUMNS of V; the "
                              f"exercise wants one direction per row, shape {(k, d)} (take V[:, ...].T).")
        expect_tensor(dirs, (k, d), "directions")
        expect_tensor(gains, (k,), "gains")
        dirs, gains = dirs.detach().double(), gains.detach().double()
        M = _jacobian_metric(G, z)
        top, w = _top(M, k)
        if _same_dirs(dirs, _top(M, k, bottom=True)[0]):
            raise CheckFailed("those are the directions that change G(z) LEAST: torch.linalg.eigh sorts eigenvalues "
                              "in ascending order, so the top k are the last k columns (largest first).")
        if what == "a tanh G":
            if _same_dirs(dirs, _top(_jacobian_metric(G, z[:1]), k)[0], 1e-6):
                raise CheckFailed("your directions are those of the first z alone (section 6's one-z case). "
                                  "Average J^T J over every row of z, then take the eigenvectors.")
            J_mean = sum(torch.autograd.functional.jacobian(lambda v: G(v[None]).flatten(), zi) for zi in z) / len(z)
            if _same_dirs(dirs, _top(J_mean.T @ J_mean, k)[0], 1e-6):
                raise CheckFailed("you averaged the Jacobians (or the images) before squaring: moves that change "
                                  "different samples in opposite ways cancel out. Average J^T J, the squared change.")
        if not _same_dirs(dirs, top) and _same_dirs(dirs, top.flip(0)):
            raise CheckFailed(f"your directions are the top {k} in ascending order; the exercise wants the largest "
                              "first: eigh is ascending, flip (V[:, -k:].flip(1)).")
        check(_same_dirs(dirs, top), f"for {what} your directions are not the top-{k} eigenvectors of the average "
                                     "of J^T J (J: pixels x d, the Jacobian of the flattened G(z) at each z).")
        if torch.allclose(gains, w.clamp_min(0).sqrt().flip(0), rtol=1e-4):
            raise CheckFailed("your gains are in ascending order; the exercise wants the largest first: eigh is "
                              "ascending, flip (w[-k:].flip(0)).")
        if torch.allclose(gains, w, rtol=1e-4):
            raise CheckFailed("gains are the eigenvalues themselves; a gain is the root-mean-square pixel change per "
                              "unit step, the SQUARE ROOT of the eigenvalue.")
        check(torch.allclose(gains, w.clamp_min(0).sqrt(), rtol=1e-4),
              f"for {what} the gains should be {[round(x, 4) for x in w.sqrt().tolist()]} (sqrt of the top "
              f"eigenvalues, largest first), got {[round(x, 4) for x in gains.tolist()]}.")
    return passed("top directions", "eigenvectors of the average J^T J, largest first, gains sqrt(eigenvalue)")
