"""Recipe for a small DDPM on MNIST (Ho, Jain and Abbeel 2020; notebook 10 sets it beside the
GANs of notebooks 03-06): the U-Net noise predictor of ``models.ddpm``, trained with
``train.diffusion.ddpm_loss`` on MNIST held as one tensor on the device, an average of its
weights (the averaged network is the one written), sampled with DDIM (Song et al. 2021,
50 steps, eta 0) for the MNIST-FID and ``generate``.

What follows the paper: T = 1000 steps with betas linear from 1e-4 to 0.02, the "simple"
loss on eps, Adam at lr 2e-4, an exponential moving average of the weights (paper: 0.9999;
here 0.999, as the run is about 60 times shorter). What is smaller: the network (about 0.75M
parameters instead of 35.7M; see ``models.ddpm``) and the run (the shipped file: 14,000 steps of
128 images, not the paper's 800,000). A step takes about 0.35 s on two CPU threads and 0.6-0.7 s
on one thread beside other work, so the shipped run took about 2 hours (docs/results.md,
lesson 10).

    python -m gan_helpers train ddpm --threads 1 --ship --eval-n 0                  # the shipped model (14,000 steps)
    python -m gan_helpers train ddpm --threads 1 --minutes 30 --resume --ship --steps 14000 --eval-n 0  # in chunks
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..checkpoints import load_pretrained as _load_shipped
from ..models.ddpm import DDPMUNet
from ..train.average import EMA
from ..train.diffusion import Schedule, ddpm_loss, linear_betas, sample_ddim, sample_ddpm
from .contract import RecipeResult, output_path, prepare, read_state, run_info, save_model, state_path, write_state

FILENAME = "ddpm_mnist.safetensors"     # the averaged network
STATE_FORMAT = "gan-notebooks-ddpm-state/1"


@dataclass
class Config:
    steps: int = 14000          # optimiser steps (468 steps = one MNIST epoch at batch 128; the shipped run)
    batch_size: int = 128
    lr: float = 2e-4            # Adam, as in Ho et al.
    ema_decay: float = 0.999    # average of the weights; the averaged network is written (paper: 0.9999)
    T: int = 1000               # diffusion steps; betas linear from 1e-4 to 0.02 (Ho et al.)
    base_channels: int = 32     # U-Net base width (paper: 128)
    channel_mults: str = "1,2,2"  # width multipliers at 28x28, 14x14, 7x7 (1 to 3 levels)
    sample_steps: int = 50      # DDIM steps when sampling for the evaluation (generate uses 50 too)
    eval_n: int = 10000         # samples for MNIST-FID and the other scores (0: skip the evaluation)
    limit: int | None = None    # use only the first N training images (None: all 60,000)
    log_every: int = 500        # print the mean loss every N steps
    state_every: int = 1000     # write the training state every N steps (and when --minutes runs out)
    minutes: float | None = None  # stop after this many minutes, saving the state (None: run to the end)
    resume: bool = False        # continue from the state file instead of starting afresh
    state: str | None = None    # training-state file (None: beside the checkpoint; with --ship in data/runs/)
    seed: int = 0               # seeds the init, the batches, the steps t and the noise
    device: str | None = None   # "cpu", "cuda", ... (None: the best available)
    threads: int | None = None  # torch CPU threads (None: torch's default)
    out: str | None = None      # checkpoint path (None: a new folder data/runs/ddpm-<time>/)
    ship: bool = False          # write into data/pretrained and SHA256SUMS (the shipped files)


def mults(cfg: Config) -> list[int]:
    """``cfg.channel_mults`` "1,2,2" -> [1, 2, 2] (ValueError when it is not a list of ints)."""
    try:
        return [int(v) for v in cfg.channel_mults.split(",")]
    except (AttributeError, ValueError):
        raise ValueError(f"channel_mults must be ints joined by commas such as '1,2,2', "
                         f"got {cfg.channel_mults!r}") from None


def build(cfg: Config) -> DDPMUNet:
    return DDPMUNet(cfg.base_channels, mults(cfg), 1, cfg.T)


def _check(cfg: Config) -> None:
    for name in ("steps", "batch_size", "log_every", "state_every", "T", "sample_steps"):
        v = getattr(cfg, name)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be an int >= 1, got {v!r}")
    if cfg.sample_steps > cfg.T:
        raise ValueError(f"sample_steps must be at most T={cfg.T}, got {cfg.sample_steps}")
    if not 0 < cfg.lr < 1:
        raise ValueError(f"lr must be in (0, 1), got {cfg.lr}")
    if not 0 < cfg.ema_decay < 1:
        raise ValueError(f"ema_decay must be in (0, 1), got {cfg.ema_decay}")
    if cfg.eval_n and cfg.eval_n < 2:
        raise ValueError(f"eval_n must be 0 (skip) or at least 2, got {cfg.eval_n}")
    if cfg.minutes is not None and cfg.minutes <= 0:
        raise ValueError(f"minutes must be positive, got {cfg.minutes}")
    if cfg.resume and not (cfg.state or cfg.out or cfg.ship):
        raise ValueError("--resume needs --out PATH, --state PATH or --ship to know which run to continue")
    build(cfg)  # width and level checks of the model


def _save_state(path: Path, model, ema: EMA, opt, rng: torch.Generator, step: int, extra: dict) -> None:
    write_state(path, STATE_FORMAT, model.config, rng, step=step, model=model.state_dict(),
                ema=ema.model.state_dict(), ema_updates=ema.updates, opt=opt.state_dict(), extra=extra)


def _load_state(path: Path, model, ema: EMA, opt, rng: torch.Generator) -> tuple[int, dict]:
    state = read_state(path, STATE_FORMAT, model.config, rng, "DDPM")
    model.load_state_dict(state["model"])
    ema.model.load_state_dict(state["ema"])
    ema.updates = state["ema_updates"]
    opt.load_state_dict(state["opt"])
    return state["step"], state["extra"]


def train(cfg: Config) -> RecipeResult:
    """Train (or continue) a run, evaluate the averaged network and save it (see ``recipes.contract``)."""
    from ..data.mnist import load_mnist   # looked up at call time: the GPU check swaps in stand-in data

    _check(cfg)
    path = output_path(cfg, "ddpm", FILENAME)   # checked before any work is done
    device, rng = prepare(cfg)
    x_all, _ = load_mnist(train=True, device=device, limit=cfg.limit)  # (N, 1, 28, 28) in [-1, 1], one tensor
    model = build(cfg).to(device)
    ema = EMA(model, cfg.ema_decay)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    schedule = Schedule(linear_betas(cfg.T)).to(device)
    spath = state_path(cfg, path)
    spath.parent.mkdir(parents=True, exist_ok=True)
    step, extra = 0, {"seconds": 0.0, "history": []}
    if cfg.resume:
        step, extra = _load_state(spath, model, ema, opt, rng)
        print(f"resumed from {spath} at step {step}/{cfg.steps}", flush=True)
    model.train()
    t0, before, running = time.perf_counter(), extra["seconds"], 0.0
    while step < cfg.steps:
        idx = torch.randint(0, len(x_all), (cfg.batch_size,), generator=rng)
        loss = ddpm_loss(model, x_all[idx.to(device)], schedule, rng)   # t and eps drawn from rng too
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema.update(model)
        running += loss.item()
        step += 1
        seconds = before + time.perf_counter() - t0
        if step % cfg.log_every == 0 or step == cfg.steps:
            mean = round(running / ((step - 1) % cfg.log_every + 1), 5)
            extra["history"].append({"step": step, "loss": mean})
            print(f"step {step}/{cfg.steps} ({seconds:.0f} s): loss {mean:.4f}", flush=True)
            running = 0.0
        out_of_time = cfg.minutes is not None and time.perf_counter() - t0 > 60 * cfg.minutes
        if out_of_time or step % cfg.state_every == 0 or step == cfg.steps:
            extra["seconds"] = seconds
            _save_state(spath, model, ema, opt, rng, step, extra)
        if out_of_time and step < cfg.steps:
            print(f"stopped after {cfg.minutes} minutes at step {step}/{cfg.steps}; state in {spath}; "
                  "run the same command with --resume to continue", flush=True)
            return RecipeResult(ema.model, spath, "", {"finished": False, "step": step, "state": str(spath)},
                                {"state": spath})
    final = ema.model.eval()
    metrics = evaluate(final, cfg.eval_n, cfg.sample_steps, device) if cfg.eval_n else {}
    info = run_info(cfg, "ddpm", device, extra["seconds"], steps=cfg.steps, metrics=metrics,
                    history=extra["history"], averaged=True, ema_decay=cfg.ema_decay,
                    sampler=f"DDIM, {cfg.sample_steps} steps, eta 0", finished=True)
    # how the run was split into chunks is not part of what it is
    info["command"] = re.sub(r" --(resume|minutes \S+)", "", info["command"])
    digest = save_model(final.cpu(), path, info, torch.float16)
    print(f"trained in {extra['seconds']:.0f} s on {device}", flush=True)
    return RecipeResult(final, path, digest, info, {"main": path, "state": spath})


def evaluate(model: DDPMUNet, n: int = 10000, sample_steps: int = 50, device="cpu") -> dict:
    """MNIST-FID, coverage and confident share (``metrics.mnist``) of ``n`` DDIM samples (seed 0)."""
    from ..metrics.mnist import evaluate_generator, format_report

    images, _ = generate(model, n, 0, device, steps=sample_steps)
    r = evaluate_generator(images, None, n=n)
    print(f"averaged network, DDIM {sample_steps} steps: {format_report(r)}", flush=True)
    return {k: r[k] for k in ("n", "fid", "fid_floor", "covered", "confident")}


@torch.no_grad()
def generate(model: DDPMUNet, n: int, seed: int = 0, device: str | torch.device = "cpu", steps: int = 50,
             batch_size: int = 500, ancestral: bool = False) -> tuple[torch.Tensor, None]:
    """``n`` images (n, 1, 28, 28) in [-1, 1] from noise x_T drawn with ``seed``; labels None.

    By default DDIM (``steps`` steps, eta 0); ``ancestral=True``: Ho et al.'s full chain of T steps
    (``steps`` is then ignored), its step noise drawn from a generator seeded by ``seed`` and the
    batch's index. Either way x0_hat is clipped at every step, as the papers' samplers do, and the
    result clamped. x_T is drawn at once on the CPU, so DDIM's images do not depend on ``batch_size``
    (memory only) and agree across devices up to rounding."""
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}")
    schedule = Schedule(linear_betas(model.n_steps)).to(device)
    x_T = torch.randn(n, model.img_channels, 28, 28, generator=torch.Generator().manual_seed(seed))
    model = model.to(device).eval()
    out = []
    for i, x in enumerate(x_T.split(batch_size)):
        if ancestral:
            g = torch.Generator().manual_seed(seed * 1_000_003 + i + 1)
            x = sample_ddpm(model, len(x), schedule, g, device=device, x_T=x, clip_x0=True)
        else:
            x = sample_ddim(model, len(x), schedule, steps, device=device, x_T=x, clip_x0=True)
        out.append(x.clamp(-1, 1).cpu())
    return torch.cat(out), None


def load_pretrained(device: str | torch.device = "cpu") -> DDPMUNet:
    """The shipped noise predictor (the averaged network, sha256 checked), in eval mode on ``device``."""
    return _load_shipped(FILENAME, DDPMUNet, device)
