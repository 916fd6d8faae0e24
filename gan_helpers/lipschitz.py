"""Three ways to keep a critic (roughly) 1-Lipschitz, as the Wasserstein dual needs:
weight clipping (Arjovsky, Chintala and Bottou 2017, "Wasserstein GAN"), the gradient
penalty (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs") and spectral
normalisation (Miyato et al. 2018, "Spectral Normalization for GANs"). Explained and
compared in notebook 06, which writes the gradient penalty out by hand first.
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
    a scalar that back-propagates into D's weights. Multiply by lambda (10 in the paper)."""
    norms = per_sample_gradient_norms(D, interpolates(x_real, x_fake, generator), create_graph=True)
    return ((norms - 1) ** 2).mean()


@torch.no_grad()
def clip_weights_(D: nn.Module, c: float) -> nn.Module:
    """Clamp every parameter of D into [-c, c] in place (Arjovsky et al. 2017 use c = 0.01)."""
    if not c > 0:
        raise ValueError(f"the clipping bound must be positive, got {c!r}")
    for p in D.parameters():
        p.clamp_(-c, c)
    return D


def spectral_normalise(D: nn.Module) -> nn.Module:
    """Wrap every Linear and Conv layer of D with ``torch.nn.utils.parametrizations.spectral_norm``:
    each weight is divided by its largest singular value (estimated by one power iteration per
    forward pass), so each layer is 1-Lipschitz and, with 1-Lipschitz activations, so is D."""
    from torch.nn.utils.parametrizations import spectral_norm
    layers = [m for m in D.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    if not layers:
        raise ValueError(f"{type(D).__name__} has no Linear or Conv layer to normalise")
    for m in layers:
        if not hasattr(m, "parametrizations"):  # not normalised twice
            spectral_norm(m)
    return D


def top_singular_value(W: torch.Tensor) -> float:
    """The largest singular value of a weight (a conv weight is read as out x (in*k*k))."""
    return float(torch.linalg.matrix_norm(W.detach().flatten(1), ord=2))
