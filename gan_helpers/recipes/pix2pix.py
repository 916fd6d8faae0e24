"""Recipe for the shipped pix2pix models (Isola et al. 2017; notebook 07): pairs made from the
horse2zebra photos (``data.pairs``), a U-Net G and a PatchGAN D on the (input, output) pair,
loss cGAN + lambda * L1, at 64 px so that it trains on a laptop CPU.

What follows the paper: lambda = 100, Adam lr 2e-4 with beta1 0.5, the learning rate
constant for the first half and then linear to zero, jitter (resize a little larger, random
crop, random flip), dropout as G's noise, D's loss halved. What is smaller, and why:

* 64 px instead of 256 (CPU time); so the U-Net has 6 downsamplings (64 -> 1) instead of 8,
  and D's default patch is 34 px (2 layers), about the share of the photo that the paper's
  70 px patch covers at 256 px;
* base width 24 and at most 4x that deep inside (paper: 64, up to 8x): the shipped files
  stay small and a step takes about 0.15 s on one core;
* batch 16 instead of 1: on a CPU one photo per step wastes most of each matrix product;
  with 16, batch norm's running statistics are usable at test time, so G is evaluated in
  eval mode (dropout off), where the paper kept dropout and batch statistics at test time.

    python -m gan_helpers train pix2pix --threads 1 --ship                       # the shipped colouriser
    python -m gan_helpers train pix2pix --threads 1 --minutes 30 --resume --ship  # one chunk at a time

``--lambda-gan 0`` is the paper's "L1 only" row, ``--lambda-l1 0`` its "cGAN only",
``--skips false`` the encoder-decoder, ``--d-layers 0`` the PixelGAN (1x1) and
``--d-layers 3`` a D whose 70 px field covers the whole 64 px photo; ``--tag`` names the file.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..checkpoints import load_pretrained as _load_shipped
from ..data.horse2zebra import load_horse2zebra
from ..metrics.paired import TASKS, make_pairs, paired_report
from ..models.cyclegan import PatchDiscriminator
from ..models.pix2pix import PixelDiscriminator, UNetGenerator
from ..train.cyclegan import lr_factor
from ..train.pix2pix import make_optimizers, train_step
from .contract import RecipeResult, output_path, prepare, read_state, run_info, save_model, state_path, write_state
from .horse2zebra import random_crop_flip

STATE_FORMAT = "gan-notebooks-pix2pix-state/1"


@dataclass
class Config:
    task: str = "colour"        # "colour" (L -> ab, the paper's colourisation) or "edges" (edge drawing -> photo)
    size: int = 64              # training and test resolution in pixels (paper: 256)
    load_size: int = 72         # photos are resized to this, then randomly cropped to ``size`` (paper: 286 -> 256)
    g_channels: int = 24        # U-Net base width (paper: 64)
    n_down: int = 6             # downsamplings: 64 px -> 1 (paper: 8 for 256 px)
    max_mult: int = 4           # widest layer = max_mult * g_channels (paper: 8)
    dropout: float = 0.5        # in the 3 innermost decoder layers (paper: 0.5)
    skips: bool = True          # the U-Net's skip connections (false: the paper's encoder-decoder)
    d_channels: int = 32        # D base width (paper: 64)
    d_layers: int = 2           # PatchGAN depth: 1 -> 16 px, 2 -> 34 px, 3 -> 70 px patches; 0 -> 1x1 (PixelGAN)
    lambda_l1: float = 100.0    # weight of the L1 term (paper: 100; 0 is the "cGAN only" row)
    lambda_gan: float = 1.0     # weight of the GAN term (0 is the "L1 only" row: no D at all)
    steps: int = 16000          # G updates; the learning rate decays linearly over the second half
    batch_size: int = 16        # paper: 1 (see the module docstring)
    lr: float = 2e-4            # Adam, as in the paper
    beta1: float = 0.5
    tag: str = ""               # appended to the file name: pix2pix_<task>[_<tag>].safetensors
    evaluate: bool = True       # L1, photo-KID and colourfulness on the 260 test photos at the end
    limit: int | None = None    # use only the first N photos of each folder (tests, smoke runs)
    minutes: float | None = None  # stop after this many minutes, saving the state (None: run to the end)
    resume: bool = False        # continue from the state file instead of starting afresh
    state: str | None = None    # training-state file (None: beside the checkpoint; with --ship in data/runs/)
    seed: int = 0
    device: str | None = None   # "cpu", "cuda", ... (None: the best available)
    log_every: int = 500
    threads: int | None = None  # torch CPU threads (None: torch's default)
    out: str | None = None      # checkpoint path (None: a new folder data/runs/pix2pix-<time>/)
    ship: bool = False          # write into data/pretrained and SHA256SUMS


def channels(task: str) -> tuple[int, int]:
    """(input, output) channels of a task."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    return (1, 2) if task == "colour" else (1, 3)


def build_G(cfg: Config) -> UNetGenerator:
    c_in, c_out = channels(cfg.task)
    return UNetGenerator(c_in, c_out, cfg.g_channels, cfg.n_down, cfg.max_mult, cfg.dropout, cfg.skips)


def build_D(cfg: Config) -> torch.nn.Module | None:
    """D on (input, output) pairs; None for the L1-only row."""
    if cfg.lambda_gan == 0:
        return None
    c = sum(channels(cfg.task))
    if cfg.d_layers == 0:
        return PixelDiscriminator(c, cfg.d_channels)
    return PatchDiscriminator(c, cfg.d_channels, cfg.d_layers)


def filename(cfg: Config) -> str:
    return f"pix2pix_{cfg.task}{'_' + cfg.tag if cfg.tag else ''}.safetensors"


def _check(cfg: Config) -> None:
    channels(cfg.task)
    if cfg.load_size < cfg.size or cfg.size % 2 ** cfg.n_down:
        raise ValueError(f"need load_size >= size and size a multiple of 2 ** n_down, got "
                         f"size={cfg.size}, load_size={cfg.load_size}, n_down={cfg.n_down}")
    for name in ("steps", "batch_size", "log_every"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(cfg, name)}")
    if cfg.lambda_l1 < 0 or cfg.lambda_gan < 0 or cfg.lambda_l1 + cfg.lambda_gan == 0:
        raise ValueError("lambda_l1 and lambda_gan must be >= 0 and not both 0")
    if cfg.d_layers < 0:
        raise ValueError(f"d_layers must be >= 0, got {cfg.d_layers}")
    if cfg.minutes is not None and cfg.minutes <= 0:
        raise ValueError(f"minutes must be positive, got {cfg.minutes}")
    if not cfg.tag.replace("_", "").isalnum() and cfg.tag:
        raise ValueError(f"tag must be letters, digits and _, got {cfg.tag!r}")


def load_photos(split: str, size: int, limit: int | None = None, device="cpu") -> torch.Tensor:
    """"train": trainA + trainB (2,401 photos); "test": testA + testB (260): (N, 3, size, size)."""
    a, b = ("trainA", "trainB") if split == "train" else ("testA", "testB")
    return torch.cat([load_horse2zebra(a, size, limit, device), load_horse2zebra(b, size, limit, device)])


def _save_state(path: Path, G, D, opt_G, opt_D, rng: torch.Generator, step: int, extra: dict) -> None:
    write_state(path, STATE_FORMAT, G.config, rng, step=step, G=G.state_dict(),
                D=D.state_dict() if D is not None else {}, opt_G=opt_G.state_dict(),
                opt_D=opt_D.state_dict() if opt_D is not None else {}, extra=extra)


def _load_state(path: Path, G, D, opt_G, opt_D, rng: torch.Generator) -> tuple[int, dict]:
    state = read_state(path, STATE_FORMAT, G.config, rng, "pix2pix", network="G")
    G.load_state_dict(state["G"])
    opt_G.load_state_dict(state["opt_G"])
    if D is not None:
        D.load_state_dict(state["D"])
        opt_D.load_state_dict(state["opt_D"])
    return state["step"], state["extra"]


def train(cfg: Config) -> RecipeResult:
    """Train (or continue) a run, evaluate it and save G (see ``recipes.contract``)."""
    _check(cfg)
    if cfg.resume and not (cfg.state or cfg.out or cfg.ship):
        raise ValueError("--resume needs --out PATH, --state PATH or --ship to know which run to continue")
    path = output_path(cfg, "pix2pix", filename(cfg))
    device, rng = prepare(cfg)
    photos = load_photos("train", cfg.load_size, cfg.limit, device)  # (2401, 3, L, L), one tensor, batched by indexing
    G, D = build_G(cfg).to(device), build_D(cfg)
    D = D.to(device) if D is not None else None
    opt_G, opt_D = make_optimizers(G, D, cfg.lr, cfg.beta1)
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, lambda s: lr_factor(s, cfg.steps)) for o in (opt_G, opt_D) if o]
    spath = state_path(cfg, path)
    spath.parent.mkdir(parents=True, exist_ok=True)
    step, extra = 0, {"seconds": 0.0, "history": []}
    if cfg.resume:
        step, extra = _load_state(spath, G, D, opt_G, opt_D, rng)
        for s in scheds:  # the optimisers' state already holds the learning rate of step ``step``
            s.last_epoch = step
        print(f"resumed from {spath} at step {step}/{cfg.steps}", flush=True)
    G.train()
    t0, before, running = time.perf_counter(), extra["seconds"], {}
    while step < cfg.steps:
        idx = torch.randint(0, len(photos), (cfg.batch_size,), generator=rng)
        x_photo = random_crop_flip(photos[idx.to(device)], cfg.size, rng)  # (B, 3, size, size)
        x, y = make_pairs(cfg.task, x_photo)  # the pair is made after the jitter, so both see the same crop
        for k, v in train_step(G, D, opt_G, opt_D, x, y, cfg.lambda_l1, cfg.lambda_gan).items():
            running[k] = running.get(k, 0.0) + v
        for s in scheds:
            s.step()
        step += 1
        seconds = before + time.perf_counter() - t0
        if step % cfg.log_every == 0 or step == cfg.steps:
            n = (step - 1) % cfg.log_every + 1
            mean = {k: round(v / n, 4) for k, v in running.items()}
            extra["history"].append({"step": step, **mean})
            print(f"step {step}/{cfg.steps} ({seconds:.0f} s): " + ", ".join(f"{k} {v:.3f}" for k, v in mean.items()),
                  flush=True)
            running = {}
        out_of_time = cfg.minutes is not None and time.perf_counter() - t0 > 60 * cfg.minutes
        if out_of_time or step % 2000 == 0 or step == cfg.steps:
            extra["seconds"] = seconds
            _save_state(spath, G, D, opt_G, opt_D, rng, step, extra)
        if out_of_time and step < cfg.steps:
            print(f"stopped after {cfg.minutes} minutes at step {step}/{cfg.steps}; state in {spath}; "
                  "run the same command with --resume to continue", flush=True)
            return RecipeResult(G, spath, "", {"finished": False, "step": step, "state": str(spath)}, {"state": spath})
    metrics = evaluate(G, cfg, device) if cfg.evaluate else {}
    info = run_info(cfg, "pix2pix", device, extra["seconds"], steps=cfg.steps, metrics=metrics,
                    history=extra["history"], finished=True)
    # how the run was split into chunks is not part of what it is
    info["command"] = re.sub(r" --(resume|minutes \S+)", "", info["command"])
    digest = save_model(G.cpu().eval(), path, info, torch.float16 if not cfg.tag else torch.int8)
    print(f"trained in {extra['seconds']:.0f} s; " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()), flush=True)
    return RecipeResult(G, path, digest, info, {"main": path, "state": spath})


def evaluate(G: UNetGenerator, cfg: Config, device="cpu") -> dict:
    """``metrics.paired.paired_report`` on the 260 test photos, with 260 training photos as the floor."""
    from ..checkpoints import CheckpointError

    test = load_photos("test", cfg.size, cfg.limit, device)
    x, y = make_pairs(cfg.task, test)
    floor = load_photos("train", cfg.size, 130 if cfg.limit is None else cfg.limit, device)
    try:
        return paired_report(G.eval(), cfg.task, x, y, reference=floor)
    except (FileNotFoundError, CheckpointError) as err:  # the photo classifier is not available
        print(f"not evaluated: {err}", flush=True)
        return {}


def load_pretrained(device: str | torch.device = "cpu", filename: str = "pix2pix_colour.safetensors") -> UNetGenerator:
    """A shipped pix2pix G (sha256 checked), in eval mode on ``device``."""
    return _load_shipped(filename, UNetGenerator, device)
