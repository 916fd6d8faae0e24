"""Denoising diffusion (notebook 10): the noise schedule, the forward process, the training loss
and two samplers.

* DDPM (Ho, Jain and Abbeel 2020, "Denoising Diffusion Probabilistic Models"): the forward
  process adds Gaussian noise in T steps, q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),
  whose closed form is q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I) (eq. 4); a
  network eps_theta(x_t, t) learns the noise with the "simple" loss ||eps - eps_theta||^2 (eq. 14),
  and sampling runs the chain back with eq. 11 and sigma_t^2 = beta_t.
* DDIM (Song, Meng and Ermon 2021, "Denoising Diffusion Implicit Models"): the same network,
  sampled on a sub-sequence of the steps (eq. 12); with eta = 0 the sampler is deterministic
  (a fixed noise gives a fixed image) and 50 steps do the work of 1000.

Steps are 0-based here: the paper's t = 1..T is ``t = 0..T-1``, so ``alpha_bar[0] = 1 - beta_1``.
Noise is drawn on the CPU from a ``torch.Generator`` and then moved to the device, so a seed
gives the same noise on every device.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def linear_betas(T: int = 1000, start: float = 1e-4, end: float = 0.02) -> torch.Tensor:
    """Ho et al.'s schedule: beta_t rising linearly from ``start`` to ``end`` over ``T`` steps (T,)."""
    if not isinstance(T, int) or isinstance(T, bool) or T < 1:
        raise ValueError(f"T must be an int >= 1, got {T!r}")
    if not 0 < start <= end < 1:
        raise ValueError(f"need 0 < start <= end < 1, got start={start}, end={end}")
    return torch.linspace(start, end, T, dtype=torch.float64)


class Schedule:
    """betas (T,), alphas = 1 - betas and alpha_bar = cumprod(alphas), float32 on one device.

    ``Schedule(linear_betas())`` is the paper's; ``schedule.to(device)`` returns a copy there.
    The product is taken in float64: alpha_bar at the last step is ~4e-5, a product of 1000 factors.
    """

    def __init__(self, betas: torch.Tensor):
        betas = torch.as_tensor(betas)
        if betas.ndim != 1 or len(betas) < 1:
            raise ValueError(f"betas must be a 1-D tensor of T >= 1 values, got shape {tuple(betas.shape)}")
        if not bool(((betas > 0) & (betas < 1)).all()):
            raise ValueError("every beta must lie in (0, 1)")
        b = betas.detach().double().cpu()
        self.betas = b.float()
        self.alphas = (1 - b).float()
        self.alpha_bar = torch.cumprod(1 - b, 0).float()

    @property
    def T(self) -> int:
        return len(self.betas)

    @property
    def device(self) -> torch.device:
        return self.betas.device

    def to(self, device) -> "Schedule":
        new = Schedule.__new__(Schedule)
        new.betas, new.alphas, new.alpha_bar = (v.to(device) for v in (self.betas, self.alphas, self.alpha_bar))
        return new

    def __repr__(self) -> str:
        return f"Schedule(T={self.T}, beta {self.betas[0]:.2e}..{self.betas[-1]:.2e}, device={self.device})"


def _steps(t, n: int, schedule: Schedule, device) -> torch.Tensor:
    """``t`` as a long tensor (n,) on ``device``: an int is one step for the whole batch."""
    t = torch.full((n,), t, dtype=torch.long) if isinstance(t, int) and not isinstance(t, bool) else torch.as_tensor(t)
    if t.is_floating_point() or t.shape != (n,):
        raise ValueError(f"t must be an int or an integer tensor of shape ({n},), got {t.dtype} {tuple(t.shape)}")
    if n and (int(t.min()) < 0 or int(t.max()) >= schedule.T):
        raise ValueError(f"steps t must lie in [0, T={schedule.T}), got {int(t.min())}..{int(t.max())}")
    return t.to(device)


def _at(values: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """values[t] shaped (N, 1, 1, 1) to broadcast over images like ``x``."""
    return values.to(x.device)[t].view(-1, *([1] * (x.ndim - 1)))


def _check_model(model, schedule: Schedule) -> None:
    T = getattr(model, "n_steps", schedule.T)   # a plain function (a test's oracle) has no n_steps
    if T != schedule.T:
        raise ValueError(f"the model was built for T={T} steps, the schedule has T={schedule.T}")


def q_sample(x0: torch.Tensor, t, eps: torch.Tensor, schedule: Schedule) -> torch.Tensor:
    """x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps: a draw from q(x_t | x_0) (eq. 4)."""
    if x0.shape != eps.shape:
        raise ValueError(f"x0 and eps must have one shape, got {tuple(x0.shape)} and {tuple(eps.shape)}")
    t = _steps(t, len(x0), schedule, x0.device)
    ab = _at(schedule.alpha_bar, t, x0)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


def ddpm_loss(model: nn.Module, x0: torch.Tensor, schedule: Schedule,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """Ho et al.'s L_simple (eq. 14): t ~ U{0..T-1}, eps ~ N(0, I), mean squared error between
    eps and eps_theta(x_t, t). ``generator`` (CPU) draws t and eps."""
    if x0.ndim != 4 or len(x0) == 0:
        raise ValueError(f"x0 must be a batch of images (N >= 1, C, H, W), got {tuple(x0.shape)}")
    _check_model(model, schedule)
    t = torch.randint(0, schedule.T, (len(x0),), generator=generator).to(x0.device)
    eps = torch.randn(x0.shape, generator=generator).to(x0.device)
    return F.mse_loss(model(q_sample(x0, t, eps, schedule), t), eps)


@torch.no_grad()
def p_sample_step(model, x_t: torch.Tensor, t: int, schedule: Schedule,
                  generator: torch.Generator | None = None, clip_x0: bool = False) -> torch.Tensor:
    """One step back, x_t -> x_{t-1} (eq. 11, with sigma_t^2 = beta_t):
    x_{t-1} = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_theta) / sqrt(alpha_t) + sigma_t z,
    with no noise at the last step (t = 0, the paper's t = 1).

    ``clip_x0``: as in :func:`ddim_step`, clamp the x0_hat that eps implies to [-1, 1] and use the eps
    of the clamped x0_hat; the mean is then the posterior mean of q(x_{t-1} | x_t, x0_hat), which is
    what Ho et al.'s sampler computes with ``clip_denoised``."""
    if not isinstance(t, int) or isinstance(t, bool):
        raise ValueError(f"t must be an int step in [0, {schedule.T}), got {t!r}")
    steps = _steps(t, len(x_t), schedule, x_t.device)
    eps = model(x_t, steps)
    beta, alpha, ab = (float(v[t]) for v in (schedule.betas, schedule.alphas, schedule.alpha_bar))
    if clip_x0:
        x0_hat = ((x_t - (1 - ab) ** 0.5 * eps) / ab ** 0.5).clamp(-1, 1)
        eps = (x_t - ab ** 0.5 * x0_hat) / (1 - ab) ** 0.5
    mean = (x_t - beta / (1 - ab) ** 0.5 * eps) / alpha ** 0.5
    if t == 0:
        return mean
    return mean + beta ** 0.5 * torch.randn(x_t.shape, generator=generator).to(x_t.device)


def _start(model, n: int, schedule: Schedule, generator, device, shape, x_T) -> torch.Tensor:
    """x_T ~ N(0, I) of shape (n, *shape), or the given ``x_T`` (checked) moved to ``device``."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    _check_model(model, schedule)
    shape = tuple(shape) if shape is not None else (getattr(model, "img_channels", 1), 28, 28)
    if x_T is not None:
        if tuple(x_T.shape) != (n, *shape):
            raise ValueError(f"x_T must have shape {(n, *shape)}, got {tuple(x_T.shape)}")
        return x_T.to(device)
    return torch.randn((n, *shape), generator=generator).to(device)


@torch.no_grad()
def sample_ddpm(model, n: int, schedule: Schedule, generator: torch.Generator | None = None,
                device: str | torch.device = "cpu", shape: tuple[int, ...] | None = None,
                x_T: torch.Tensor | None = None, clip_x0: bool = False) -> torch.Tensor:
    """n images by the full chain of T steps (Ho et al.'s Algorithm 2): (n, C, 28, 28), not clipped.
    ``shape`` (C, H, W) defaults to the model's (C, 28, 28); ``x_T`` is the starting noise
    (None: drawn from ``generator``); ``clip_x0`` as in :func:`p_sample_step`."""
    x = _start(model, n, schedule, generator, device, shape, x_T)
    for t in reversed(range(schedule.T)):
        x = p_sample_step(model, x, t, schedule, generator, clip_x0)
    return x


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """The sub-sequence DDIM walks, from T-1 down to 0 in ``steps`` roughly even strides."""
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= T:
        raise ValueError(f"steps must be an int in [1, T={T}], got {steps!r}")
    return [int(round(v)) for v in torch.linspace(T - 1, 0, steps).tolist()]


@torch.no_grad()
def ddim_step(model, x_t: torch.Tensor, t: int, t_prev: int, schedule: Schedule, eta: float = 0.0,
              generator: torch.Generator | None = None, clip_x0: bool = False) -> torch.Tensor:
    """One DDIM step x_t -> x_{t_prev} (Song et al. 2021, eq. 12); ``t_prev = -1`` ends at x_0
    (alpha_bar_{-1} = 1). With eta = 0 it is deterministic; eta = 1 gives DDPM's posterior noise.

    x0_hat = (x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t);
    x_prev = sqrt(ab_prev) x0_hat + sqrt(1 - ab_prev - sigma^2) eps + sigma z,
    sigma = eta sqrt((1 - ab_prev) / (1 - ab_t)) sqrt(1 - ab_t / ab_prev).

    ``clip_x0``: clamp x0_hat to the data range [-1, 1] and recompute eps from it, as the
    reference samplers of both papers do (Ho et al.'s ``clip_denoised``). Early in the chain an
    imperfect eps gives an x0_hat far outside the range, which leaves speckle in the sample; on
    this project's DDPM after 3,000 steps it halved the MNIST-FID of DDIM-50 samples (262 -> 131,
    n = 2,000)."""
    for name, v in (("t", t), ("t_prev", t_prev)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise ValueError(f"{name} must be an int, got {v!r}")
    if not -1 <= t_prev < t < schedule.T:
        raise ValueError(f"need -1 <= t_prev < t < T={schedule.T}, got t={t}, t_prev={t_prev}")
    if eta < 0:
        raise ValueError(f"eta must be >= 0, got {eta}")
    eps = model(x_t, _steps(t, len(x_t), schedule, x_t.device))
    ab = float(schedule.alpha_bar[t])
    ab_prev = float(schedule.alpha_bar[t_prev]) if t_prev >= 0 else 1.0
    x0_hat = (x_t - (1 - ab) ** 0.5 * eps) / ab ** 0.5
    if clip_x0:
        x0_hat = x0_hat.clamp(-1, 1)
        eps = (x_t - ab ** 0.5 * x0_hat) / (1 - ab) ** 0.5
    sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)) ** 0.5
    x = ab_prev ** 0.5 * x0_hat + max(1 - ab_prev - sigma ** 2, 0.0) ** 0.5 * eps
    if sigma > 0:
        x = x + sigma * torch.randn(x_t.shape, generator=generator).to(x_t.device)
    return x


@torch.no_grad()
def sample_ddim(model, n: int, schedule: Schedule, steps: int = 50, eta: float = 0.0,
                generator: torch.Generator | None = None, device: str | torch.device = "cpu",
                shape: tuple[int, ...] | None = None, x_T: torch.Tensor | None = None,
                clip_x0: bool = False) -> torch.Tensor:
    """n images by DDIM on ``steps`` of the T steps (:func:`ddim_timesteps`): (n, C, 28, 28), not
    clipped; ``shape`` and ``x_T`` as in :func:`sample_ddpm`; ``clip_x0`` as in :func:`ddim_step`."""
    ts = ddim_timesteps(schedule.T, steps)
    x = _start(model, n, schedule, generator, device, shape, x_T)
    for t, t_prev in zip(ts, ts[1:] + [-1]):
        x = ddim_step(model, x, t, t_prev, schedule, eta, generator, clip_x0)
    return x
