"""Three ways to control a critic's Lipschitz constant, as the Wasserstein dual needs. They
differ in what they promise:

* weight clipping (Arjovsky, Chintala and Bottou 2017, "Wasserstein GAN") bounds the constant
  by some K that depends on the clipping value and the architecture and is not known, not by 1:
  the critic's gap E[D(real)] - E[D(fake)] then estimates (at most) K times W1, a distance up to
  an unknown scale, which is all G's gradient needs (the paper says so);
* the gradient penalty (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs") is a
  soft constraint: it pulls the gradient norm towards 1 at the sampled interpolates and
  guarantees no bound anywhere else;
* spectral normalisation (Miyato et al. 2018, "Spectral Normalization for GANs") divides each
  weight by an estimate of its largest singular value, which bounds a critic of Linear layers
  and 1-Lipschitz activations by about 1 (a convolution's own constant can be larger, see
  ``spectral_normalise``).

Explained and compared in notebook 06, which writes the gradient penalty out by hand first.
"""
from __future__ import annotations

import torch
from torch import nn


def interpolates(x_real: torch.Tensor, x_fake: torch.Tensor,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Points on straight lines between real and fake samples: eps x_real + (1 - eps) x_fake,
    one eps ~ U(0, 1) per sample (not per pixel). Shapes (N, ...) in, (N, ...) out."""
    if x_real.shape != x_fake.shape:
        raise ValueError(f"x_real and x_fake must have the same shape, got {tuple(x_real.shape)} "
                         f"and {tuple(x_fake.shape)}")
    eps = torch.rand(len(x_real), *([1] * (x_real.ndim - 1)), generator=generator).to(x_real.device)
    return eps * x_real.detach() + (1 - eps) * x_fake.detach()


def per_sample_gradient_norms(D: nn.Module, x: torch.Tensor, create_graph: bool = False) -> torch.Tensor:
    """||grad_x D(x)||_2 for each sample: the norm over ALL of a sample's entries (every pixel
    and channel), shape (N,). ``create_graph=True`` keeps the graph so the norms can be trained on."""
    x = x.detach().requires_grad_(True)
    out = D(x)
    # sum(): each sample's output depends only on its own input, so d(sum)/dx_i = dD(x_i)/dx_i
    # (true for critics without batch norm, which is why WGAN-GP critics have none).
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=create_graph)
    return grad.flatten(1).norm(2, dim=1)


def gradient_penalty(D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """E[(||grad D(x_hat)||_2 - 1)^2] over interpolates x_hat (Gulrajani et al. 2017, eq. 3);
    a scalar that back-propagates into D's weights. Multiply by lambda (10 in the paper).
    A soft constraint: it pulls the norm towards 1 where x_hat falls, not a bound everywhere."""
    norms = per_sample_gradient_norms(D, interpolates(x_real, x_fake, generator), create_graph=True)
    return ((norms - 1) ** 2).mean()


@torch.no_grad()
def clip_weights_(D: nn.Module, c: float) -> nn.Module:
    """Clamp every parameter of D into [-c, c] in place (Arjovsky et al. 2017 use c = 0.01).

    This does not make D 1-Lipschitz. Bounded entries bound each layer's norm (sigma(W) <=
    ||W||_F <= c sqrt(entries)), so D is K-Lipschitz for some K fixed by c and the architecture,
    whose actual value is not known: notebook 06's toy critic (2 -> 128 -> 128 -> 128 -> 1, leaky
    ReLU) at c = 0.01 has K <= 0.03 by that bound, far from 1. The critic's gap then estimates (at
    most) K times W1. Arjovsky et al. note that the scale does not matter for G's gradient
    direction; it does mean the printed estimate is not W1 itself and cannot be compared across
    critics or values of c."""
    if not c > 0:
        raise ValueError(f"the clipping bound must be positive, got {c!r}")
    for p in D.parameters():
        p.clamp_(-c, c)
    return D


def spectral_normalise(D: nn.Module) -> nn.Module:
    """Wrap every Linear and Conv layer of D with ``torch.nn.utils.parametrizations.spectral_norm``:
    each weight is divided by its largest singular value (estimated by one power iteration per
    forward pass, so the bound holds once the estimate has converged over a few passes). A Linear
    layer is then 1-Lipschitz, and a D of Linear layers with 1-Lipschitz activations is at most
    1-Lipschitz (a product of per-layer bounds, usually loose). For a convolution torch
    normalises the weight reshaped to (out, in*k*k), which is not the convolution's own operator
    norm: that can be larger (about 2 for random 3x3 and 5x5 kernels), so a convolutional
    critic's bound is some K above 1, not 1."""
    from torch.nn.utils.parametrizations import spectral_norm
    layers = [m for m in D.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    if not layers:
        raise ValueError(f"{type(D).__name__} has no Linear or Conv layer to normalise")
    for m in layers:
        if not hasattr(m, "parametrizations"):  # not normalised twice
            spectral_norm(m)
    return D


def top_singular_value(W: torch.Tensor) -> float:
    """The largest singular value of a weight, exactly (an SVD; a conv weight is read as
    out x (in*k*k), as spectral normalisation reads it). Power iteration estimates this number."""
    return float(torch.linalg.matrix_norm(W.detach().flatten(1), ord=2))
