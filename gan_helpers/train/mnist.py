"""The training loop behind the three shipped MNIST generators (vanilla, DCGAN, conditional
GAN): Goodfellow et al. (2014)'s alternating updates (``train.d_step`` / ``g_step``) on
batches drawn by indexing MNIST held as one tensor, with an optional exponential moving
average of G (Yazici et al. 2019). Notebooks 03-05 write the same loop out by hand; this
module only lets the three recipes (through :mod:`gan_helpers.recipes.mnist_gan`) share one copy of it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from ..data.mnist import batches
from .average import EMA, recalibrate_batchnorm
from .history import History, steps
from .step import d_step, g_step


@dataclass
class GANSchedule:
    """The knobs of :func:`fit` that every MNIST GAN recipe shares (the recipes' Configs carry them)."""
    steps: int = 10000         # optimiser steps for D and G (468 steps = one MNIST epoch at batch 128)
    batch_size: int = 128
    lr_G: float = 2e-4         # Adam learning rate of G (Radford et al. 2015)
    lr_D: float = 2e-4         # Adam learning rate of D (a different one: Heusel et al.'s two time scales)
    beta1: float = 0.5         # Adam beta1 (0.9 makes the game oscillate more)
    ema_decay: float | None = 0.999  # average of G's weights (None: no averaging)
    log_every: int = 1000      # print losses every N steps (0: never)
    eval_every: int = 0        # MNIST-FID of raw and averaged G every N steps (0: only at the end)
    decay_from: int | None = None  # from this step both learning rates fall linearly towards 0 at the last step (None: constant)


def check_schedule(sched: GANSchedule) -> None:
    """Raise a ValueError naming the first field of ``sched`` out of range (before any work)."""
    if sched.steps <= 0 or sched.batch_size <= 0:
        raise ValueError(f"steps and batch_size must be positive, got {sched.steps}, {sched.batch_size}")
    for name in ("lr_G", "lr_D"):
        if not 0 < getattr(sched, name) < 1:
            raise ValueError(f"{name} must be in (0, 1), got {getattr(sched, name)}")
    if not 0 <= sched.beta1 < 1:
        raise ValueError(f"beta1 must be in [0, 1), got {sched.beta1}")
    if sched.ema_decay is not None and not 0 < sched.ema_decay < 1:
        raise ValueError(f"ema_decay must be in (0, 1) or None (no averaging), got {sched.ema_decay}")
    if sched.log_every < 0 or sched.eval_every < 0:
        raise ValueError("log_every and eval_every must be >= 0 (0: never)")
    if sched.decay_from is not None and not 0 <= sched.decay_from < sched.steps:
        raise ValueError(f"decay_from must be None or a step in [0, steps={sched.steps}), got {sched.decay_from}: "
                         f"with fewer steps than the recipe's default also give --decay-from (a smaller step, "
                         f"or None for constant learning rates)")


def lr_factor(step: int, sched: GANSchedule) -> float:
    """The learning rates' multiplier at ``step`` (1-based): 1 up to ``sched.decay_from``, then
    falling linearly to 1 / (steps - decay_from) at the last step (the schedule of the CycleGAN
    paper, Zhu et al. 2017; stateless, so a resumed run follows it exactly)."""
    if sched.decay_from is None or step <= sched.decay_from:
        return 1.0
    return (sched.steps - step + 1) / (sched.steps - sched.decay_from)


def sample_inputs(G: nn.Module, n: int, device, n_classes: int | None, rng: torch.Generator | None = None):
    """A function returning one batch of G's inputs: ``(z,)`` or ``(z, y)`` with uniform labels."""
    def draw():
        z = torch.randn(n, G.latent_dim, generator=rng).to(device)
        if n_classes is None:
            return (z,)
        return z, torch.randint(0, n_classes, (n,), generator=rng).to(device)
    return draw


def save_state(path, step: int, seconds: float, G, D, opt_G, opt_D, ema, hist, rng) -> None:
    """Write everything :func:`fit` needs to go on from ``step`` (atomically: a crash while
    writing leaves the previous state intact)."""
    from pathlib import Path
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = dict(step=step, seconds=seconds, G=G.state_dict(), D=D.state_dict(),
                 opt_G=opt_G.state_dict(), opt_D=opt_D.state_dict(),
                 ema=None if ema is None else (ema.model.state_dict(), ema.updates),
                 hist=dict(hist.values), rng=rng.get_state(), torch_rng=torch.get_rng_state())
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def load_state(path, G, D, opt_G, opt_D, ema, hist, rng) -> tuple[int, float]:
    """Restore a state written by :func:`save_state`; returns (step, seconds so far)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
        G.load_state_dict(state["G"]), D.load_state_dict(state["D"])
    except Exception as err:  # a truncated file or a state from other networks
        raise ValueError(f"cannot resume from {path}: {err}. Delete it to start afresh.") from None
    opt_G.load_state_dict(state["opt_G"]), opt_D.load_state_dict(state["opt_D"])
    if ema is not None and state["ema"] is not None:
        ema.model.load_state_dict(state["ema"][0])
        ema.updates = state["ema"][1]
    for k, v in state["hist"].items():
        hist.values[k].extend(v)
    rng.set_state(state["rng"]), torch.set_rng_state(state["torch_rng"])
    return state["step"], state["seconds"]


def fit(G: nn.Module, D: nn.Module, sched: GANSchedule, x_all: torch.Tensor, rng: torch.Generator,
        y_all: torch.Tensor | None = None, n_classes: int | None = None, evaluate=None,
        log_window: int = 100, state_path=None, state_every: int = 500) -> tuple[History, EMA | None, float]:
    """Train G and D for ``sched.steps`` steps; returns (history, EMA of G or None, seconds).

    x_all: (N, 1, 28, 28) in [-1, 1] on the training device; ``rng`` orders the batches. With
    labels ``y_all`` (N,) and ``n_classes`` the game is conditional (Mirza and Osindero 2014).
    ``evaluate(step, G, ema)`` is called every ``sched.eval_every`` steps (for progress logs).
    With ``state_path`` the whole training state is saved there every ``state_every`` steps
    and a run finding the file goes on from it (the batch order after a resume differs
    from an uninterrupted run's: the data order restarts from the saved generator state).
    """
    check_schedule(sched)
    conditional = y_all is not None
    if conditional and not n_classes:
        raise ValueError("a conditional run (y_all given) needs n_classes")
    device = x_all.device
    opt_G = torch.optim.Adam(G.parameters(), lr=sched.lr_G, betas=(sched.beta1, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=sched.lr_D, betas=(sched.beta1, 0.999))
    ema = EMA(G, sched.ema_decay) if sched.ema_decay else None
    tensors = (x_all, y_all) if conditional else (x_all,)
    draw = sample_inputs(G, sched.batch_size, device, n_classes if conditional else None)
    hist = History()
    start, done_before = 0, 0.0
    if state_path is not None:
        from pathlib import Path
        if Path(state_path).exists():
            start, done_before = load_state(state_path, G, D, opt_G, opt_D, ema, hist, rng)
            print(f"resumed from {state_path} at step {start}", flush=True)
    t0 = time.perf_counter() - done_before
    G.train(), D.train()
    for step, batch in enumerate(steps(lambda: batches(*tensors, batch_size=sched.batch_size, generator=rng),
                                       max(sched.steps - start, 0)), start=start + 1):
        x_real, y_real = batch if conditional else (batch, None)
        if sched.decay_from is not None:
            for opt, base in ((opt_G, sched.lr_G), (opt_D, sched.lr_D)):
                for group in opt.param_groups:
                    group["lr"] = base * lr_factor(step, sched)
        z, *y = draw()
        y_fake = y[0] if conditional else None       # labels the fakes are asked to show
        x_fake = G(z, *y)                             # (N, 1, 28, 28)
        out = d_step(D, opt_D, x_real, x_fake, y_real, y_fake)
        loss_G = g_step(D, opt_G, x_fake, y_fake)
        if ema is not None:
            ema.update(G)
        hist.log(loss_G=loss_G, **out)
        if sched.log_every and (step % sched.log_every == 0 or step == sched.steps):
            w = log_window
            print(f"step {step:6d}/{sched.steps}  loss_D {hist.last('loss_D', w):.3f}  loss_G "
                  f"{hist.last('loss_G', w):.3f}  D(x) {hist.last('D_x', w):.2f}  D(G(z)) "
                  f"{hist.last('D_G_z', w):.2f}  {time.perf_counter() - t0:7.1f} s", flush=True)
        if evaluate is not None and sched.eval_every and step % sched.eval_every == 0 and step < sched.steps:
            evaluate(step, G, ema)
            G.train()
        if state_path is not None and state_every and step % state_every == 0 and step < sched.steps:
            save_state(state_path, step, time.perf_counter() - t0, G, D, opt_G, opt_D, ema, hist, rng)
    return hist, ema, time.perf_counter() - t0


def averaged_generator(ema: EMA, G: nn.Module, device, n_classes: int | None, seed: int = 0) -> nn.Module:
    """The EMA copy of G with batch-norm statistics re-estimated for its weights, in eval mode."""
    rng = torch.Generator().manual_seed(seed)
    return recalibrate_batchnorm(ema.model, sample_inputs(G, 500, device, n_classes, rng))


@torch.no_grad()
def generate_unconditional(G: nn.Module, n: int, seed: int = 0, device: str | torch.device = "cpu",
                           batch_size: int = 1000) -> tuple[torch.Tensor, None]:
    """``n`` images (n, C, H, W) in [-1, 1] from z ~ N(0, I) drawn with ``seed``; labels None."""
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}")
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed))
    G = G.to(device).eval()
    return torch.cat([G(zb.to(device)).cpu() for zb in z.split(batch_size)]), None
