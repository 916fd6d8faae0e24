"""The formulas behind notebook 01, computed exactly or numerically (Goodfellow et al. 2014,
"Generative Adversarial Nets", Proposition 1 and Theorem 1; Goodfellow 2016, "NIPS 2016
Tutorial: Generative Adversarial Networks", section 3.2.3 on the non-saturating loss).

* :func:`bce_point`: binary cross-entropy at one prediction ``p`` and label ``y``, its two
  terms and its gradients (closed form) with respect to ``p`` and to the logit.
* :func:`generator_loss_curves`: the saturating loss log(1 - D(G(z))) and the non-saturating
  loss -log D(G(z)) over a range of D's logits, with gradients from autograd and in closed form.
* :class:`Gaussian1D`, :func:`optimal_discriminator`, :func:`js_divergence`,
  :func:`value_function` and :func:`optimal_d_state`: for two 1-D Gaussians p_data and p_g,
  D*(x) = p_data / (p_data + p_g) and V(D*, G) = -log 4 + 2 JSD(p_data || p_g), both integrated
  numerically on a grid (float64, trapezoid rule).
* :func:`silverman_bandwidth`, :func:`kde_1d` and :func:`estimate_from_samples`: the same
  quantities when p_g is known only through samples of G (notebook 02's 1-D warm-up): p_g is
  estimated by a Gaussian kernel density estimate (Silverman 1986, rule of thumb for the
  bandwidth), then D* and JSD are computed on a grid as above.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..losses import generator_loss_nonsaturating, generator_loss_saturating

LOG4 = math.log(4.0)


# --------------------------------------------------------------------------- BCE at a point
@dataclass(frozen=True)
class BCEPoint:
    """BCE of one prediction: loss = term_1 + term_0 with term_1 = -y log p, term_0 = -(1-y) log(1-p)."""
    p: float           # predicted probability D(x), in (0, 1)
    y: float           # label (1 = real, 0 = fake; soft labels in between)
    term_1: float      # -y log p: the "this is real" term
    term_0: float      # -(1 - y) log(1 - p): the "this is fake" term
    loss: float        # term_1 + term_0
    grad_p: float      # dL/dp = (p - y) / (p (1 - p)): blows up near 0 and 1
    grad_logit: float  # dL/dl = p - y for p = sigmoid(l): always in [-1, 1]
    logit: float       # l = log(p / (1 - p))


def bce_point(p: float, y: float) -> BCEPoint:
    """BCE and its gradients at probability ``p`` in (0, 1) and label ``y`` in [0, 1]."""
    p, y = float(p), float(y)
    if not (0.0 < p < 1.0):
        raise ValueError(f"p must be a probability strictly between 0 and 1 (log 0 is -inf), got {p}")
    if not (0.0 <= y <= 1.0):
        raise ValueError(f"the label y must lie in [0, 1], got {y}")
    t1, t0 = -y * math.log(p), -(1.0 - y) * math.log1p(-p)
    return BCEPoint(p=p, y=y, term_1=t1, term_0=t0, loss=t1 + t0, grad_p=(p - y) / (p * (1.0 - p)),
                    grad_logit=p - y, logit=math.log(p) - math.log1p(-p))


# --------------------------------------------------------------------------- generator losses
def generator_loss_curves(logits: torch.Tensor) -> dict[str, torch.Tensor]:
    """Both generator losses per fake sample, as functions of D's logit ``l`` (shape (N,)).

    Returns tensors of shape (N,): ``d`` = D(G(z)) = sigmoid(l); ``saturating`` = log(1 - d);
    ``nonsaturating`` = -log d; their gradients with respect to the logit from autograd
    (``grad_sat``, ``grad_nonsat``) and in closed form (``grad_sat_closed`` = -d,
    ``grad_nonsat_closed`` = d - 1); and the gradients with respect to d itself
    (``grad_sat_d`` = -1 / (1 - d), ``grad_nonsat_d`` = -1 / d).
    """
    if logits.ndim != 1:
        raise ValueError(f"logits must have shape (N,), got {tuple(logits.shape)}")
    l = logits.detach().double().requires_grad_(True)
    n = l.numel()
    # The library losses return means; times N gives the per-sample losses' sum, whose
    # gradient with respect to l[i] is the derivative of sample i's loss alone.
    sat = generator_loss_saturating(l) * n
    (grad_sat,) = torch.autograd.grad(sat, l)
    nonsat = generator_loss_nonsaturating(l) * n
    (grad_nonsat,) = torch.autograd.grad(nonsat, l)
    with torch.no_grad():
        d = torch.sigmoid(l)
        return {"logit": l.detach(), "d": d,
                "saturating": -torch.nn.functional.softplus(l),       # log(1 - sigmoid(l)), stable
                "nonsaturating": torch.nn.functional.softplus(-l),    # -log sigmoid(l), stable
                "grad_sat": grad_sat, "grad_nonsat": grad_nonsat,
                "grad_sat_closed": -d, "grad_nonsat_closed": d - 1,
                "grad_sat_d": -1 / (1 - d), "grad_nonsat_d": -1 / d}


# --------------------------------------------------------------------------- optimal D for 1-D Gaussians
@dataclass(frozen=True)
class Gaussian1D:
    """N(mean, std^2) on the real line."""
    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self):
        if not (math.isfinite(self.mean) and math.isfinite(self.std)):
            raise ValueError(f"mean and std must be finite numbers, got mean={self.mean}, std={self.std}")
        if self.std <= 0:
            raise ValueError(f"std must be positive (a Gaussian needs some spread), got {self.std}")

    def log_pdf(self, x: torch.Tensor) -> torch.Tensor:
        """Log-density at ``x`` (any shape, float64 recommended)."""
        z = (x - self.mean) / self.std
        return -0.5 * z * z - math.log(self.std * math.sqrt(2 * math.pi))

    def pdf(self, x: torch.Tensor) -> torch.Tensor:
        """Density at ``x`` (any shape, float64 recommended)."""
        return torch.exp(self.log_pdf(x))


def grid_for(*dists: Gaussian1D, n_sigma: float = 10.0, points_per_sigma: int = 40,
             max_points: int = 200_001) -> torch.Tensor:
    """A float64 grid (n,) covering every distribution to ``n_sigma`` standard deviations,
    fine enough for the narrowest one (``points_per_sigma``)."""
    if not dists:
        raise ValueError("grid_for needs at least one Gaussian1D")
    lo = min(d.mean - n_sigma * d.std for d in dists)
    hi = max(d.mean + n_sigma * d.std for d in dists)
    n = int(min(max_points, max(1001, math.ceil((hi - lo) / min(d.std for d in dists) * points_per_sigma) + 1)))
    return torch.linspace(lo, hi, n, dtype=torch.float64)


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) (Goodfellow et al. 2014, Prop. 1), same shape
    as the inputs; 1/2 where both densities are 0 (D* is free there: it weighs nothing)."""
    if p_data.shape != p_g.shape:
        raise ValueError(f"p_data and p_g must have the same shape, got {tuple(p_data.shape)} and {tuple(p_g.shape)}")
    if bool((p_data < 0).any()) or bool((p_g < 0).any()):
        raise ValueError("densities cannot be negative")
    s = p_data + p_g
    return torch.where(s > 0, p_data / torch.where(s > 0, s, torch.ones_like(s)), torch.full_like(s, 0.5))


def kl_divergence(p: torch.Tensor, q: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """KL(p || q) = integral of p log(p / q) dx on grid ``x`` (nats); 0 log 0 counts as 0."""
    _check_grid(p, q, x)
    return torch.trapezoid(torch.xlogy(p, p) - torch.xlogy(p, q), x)


def js_divergence(p: torch.Tensor, q: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2, in nats (0 <= JSD <= log 2)."""
    _check_grid(p, q, x)
    # p log(p / m) = p (log 2 + log p - log(p + q)): written with logs, because where p is a
    # subnormal number (far tails, or a density estimate far from its samples) m = (p + q) / 2
    # can round to exactly 0 and log(p / m) would be +inf.
    s = p + q
    tiny = torch.finfo(p.dtype).tiny

    def term(a):
        return torch.where(a > 0, a * (math.log(2.0) + a.clamp_min(tiny).log() - s.clamp_min(tiny).log()),
                           torch.zeros_like(a))
    return 0.5 * torch.trapezoid(term(p), x) + 0.5 * torch.trapezoid(term(q), x)


def value_function(d: torch.Tensor, p_data: torch.Tensor, p_g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """V(D, G) = E_{p_data}[log D(x)] + E_{p_g}[log(1 - D(x))] for D's values ``d`` on grid ``x``.

    D and 1 - D are floored at 1e-300 before the log: where D rounds to exactly 0 or 1 in the
    far tails, a density of 1e-50 times log 0 would otherwise turn the whole integral into -inf.
    """
    _check_grid(p_data, p_g, x)
    if d.shape != x.shape:
        raise ValueError(f"d must hold D(x) on the grid, shape {tuple(x.shape)}, got {tuple(d.shape)}")
    if bool((d < 0).any()) or bool((d > 1).any()):
        raise ValueError("d must hold probabilities in [0, 1]")
    tiny = 1e-300
    return torch.trapezoid(torch.xlogy(p_data, d.clamp_min(tiny)) + torch.xlogy(p_g, (1 - d).clamp_min(tiny)), x)


@dataclass
class OptimalDState:
    """Everything the optimal-discriminator figure shows (tensors of shape (n,) on grid ``x``)."""
    data: Gaussian1D
    gen: Gaussian1D
    x: torch.Tensor
    p_data: torch.Tensor
    p_g: torch.Tensor
    d_star: torch.Tensor
    jsd: float            # JSD(p_data || p_g) in nats
    value: float          # V(D*, G) integrated directly
    value_from_jsd: float  # -log 4 + 2 JSD (Theorem 1): equals ``value``


def optimal_d_state(data: Gaussian1D, gen: Gaussian1D) -> OptimalDState:
    """D*, JSD and V(D*, G) for p_data = ``data`` and p_g = ``gen``."""
    x = grid_for(data, gen)
    lp_data, lp_g = data.log_pdf(x), gen.log_pdf(x)
    p_data, p_g = lp_data.exp(), lp_g.exp()
    d_star = optimal_discriminator(p_data, p_g)
    jsd = float(js_divergence(p_data, p_g, x))
    # V(D*, G) with log D* and log(1 - D*) taken from the log-densities: where one density
    # dwarfs the other, D* rounds to exactly 0 or 1 and log would give -inf times a tiny weight.
    lse = torch.logaddexp(lp_data, lp_g)
    value = float(torch.trapezoid(p_data * (lp_data - lse) + p_g * (lp_g - lse), x))
    return OptimalDState(data=data, gen=gen, x=x, p_data=p_data, p_g=p_g, d_star=d_star, jsd=jsd,
                         value=value, value_from_jsd=-LOG4 + 2 * jsd)


def _check_grid(p: torch.Tensor, q: torch.Tensor, x: torch.Tensor) -> None:
    if x.ndim != 1 or x.numel() < 2:
        raise ValueError(f"x must be a 1-D grid of at least 2 points, got shape {tuple(x.shape)}")
    if p.shape != x.shape or q.shape != x.shape:
        raise ValueError(f"densities must be given on the grid, shape {tuple(x.shape)}; "
                         f"got {tuple(p.shape)} and {tuple(q.shape)}")


# --------------------------------------------------------------------------- p_g known only through samples
def silverman_bandwidth(samples: torch.Tensor) -> float:
    """Silverman's rule of thumb, h = 0.9 min(std, IQR / 1.34) n^(-1/5), for samples (n,) or (n, 1).

    The robust spread (IQR) keeps h small when G puts a sharp spike among its samples; if
    every sample is (nearly) the same point, h falls back to 1e-3 so the estimate stays a density.
    """
    v = _samples_1d(samples)
    n = v.numel()
    iqr = float(torch.quantile(v, 0.75) - torch.quantile(v, 0.25))
    spread = min(float(v.std()) if n > 1 else 0.0, iqr / 1.34) or float(v.std() if n > 1 else 0.0)
    return max(0.9 * spread * n ** (-0.2), 1e-3)


def kde_1d(samples: torch.Tensor, x: torch.Tensor, bandwidth: float | None = None) -> torch.Tensor:
    """Gaussian kernel density estimate at points ``x`` (m,): the mean over samples s_i of
    N(x; s_i, h^2), float64. ``bandwidth`` h defaults to :func:`silverman_bandwidth`."""
    v = _samples_1d(samples)
    h = silverman_bandwidth(v) if bandwidth is None else float(bandwidth)
    if not (h > 0 and math.isfinite(h)):
        raise ValueError(f"bandwidth must be a positive number, got {bandwidth!r}")
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D tensor of points, got shape {tuple(x.shape)}")
    u = (x.double()[:, None] - v[None, :]) / h                       # (m, n)
    return torch.exp(-0.5 * u * u).mean(dim=1) / (h * math.sqrt(2 * math.pi))


@dataclass
class SampleEstimate:
    """D* and JSD with p_g estimated from G's samples (tensors of shape (n,) on grid ``x``)."""
    x: torch.Tensor
    p_data: torch.Tensor   # the data density, exact
    p_g: torch.Tensor      # kernel density estimate from G's samples
    d_star: torch.Tensor   # p_data / (p_data + p_g)
    jsd: float             # JSD(p_data || p_g estimate), nats
    bandwidth: float       # the kernel width h used


def estimate_from_samples(data: Gaussian1D, samples_g: torch.Tensor, x: torch.Tensor | None = None,
                          bandwidth: float | None = None, points: int = 801) -> SampleEstimate:
    """Estimate D* and JSD(p_data || p_g) when p_data = ``data`` is known and p_g only through
    ``samples_g`` (n,) or (n, 1). The default grid covers the data to 10 std and the samples
    to 6 kernel widths, so (almost) no mass of either density falls outside it, with at least
    ``points`` points and at least 4 per kernel width and per data std (the trapezoid rule
    needs that to integrate a narrow spike of G's samples correctly)."""
    v = _samples_1d(samples_g)
    h = silverman_bandwidth(v) if bandwidth is None else float(bandwidth)
    if x is None:
        lo = min(data.mean - 10 * data.std, float(v.min()) - 6 * h)
        hi = max(data.mean + 10 * data.std, float(v.max()) + 6 * h)
        n = max(points, math.ceil((hi - lo) / (min(h, data.std) / 4)) + 1)
        x = torch.linspace(lo, hi, min(n, 200_001), dtype=torch.float64)
    x = x.double()
    p_data, p_g = data.pdf(x), kde_1d(v, x, h)
    return SampleEstimate(x=x, p_data=p_data, p_g=p_g, d_star=optimal_discriminator(p_data, p_g),
                          jsd=float(js_divergence(p_data, p_g, x)), bandwidth=h)


def _samples_1d(samples: torch.Tensor) -> torch.Tensor:
    if not torch.is_tensor(samples):
        raise ValueError(f"samples must be a torch.Tensor, got {type(samples).__name__}")
    if samples.ndim == 2 and samples.shape[1] == 1:
        samples = samples[:, 0]
    if samples.ndim != 1 or samples.numel() == 0:
        raise ValueError(f"samples must have shape (n,) or (n, 1) with n >= 1, got {tuple(samples.shape)}")
    v = samples.detach().double().cpu()
    if not torch.isfinite(v).all():
        raise ValueError("samples contain nan or inf (did training diverge?)")
    return v
