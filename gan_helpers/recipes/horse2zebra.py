"""Recipe for the shipped horse2zebra CycleGAN (Zhu et al. 2017; notebook 08): the photo
set of the paper, at 64 px so that it trains on a laptop CPU in about an hour.

The game is the digit model's, through the same ``train.cyclegan.train_step``: least-squares
GAN loss, cycle weight lambda = 10, identity weight 0.5 * lambda, a pool of 50 past fakes
per discriminator, Adam (lr 2e-4, beta1 0.5), batch 1, the learning rate constant for the
first half and then linear to zero, and the paper's augmentation (resize a little larger,
random crop, random horizontal flip). Only the sizes are small:

    python -m gan_helpers train horse2zebra --threads 1 --ship              # the shipped file
    python -m gan_helpers train horse2zebra --threads 1 --minutes 9 --resume  # one chunk at a time

One epoch is ``max(1067, 1334)`` updates (every zebra once, a random horse each time, as the
reference code's unaligned loader). The full training state (weights, optimisers,
schedulers, pools, random generators) is written after every epoch and when ``--minutes``
runs out; ``--resume`` continues from it, so a run can be split into chunks that each fit
a command-time limit. Snapshots of G_AB at ``snapshot_epochs`` show the stripes appear.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..checkpoints import load_pretrained as _load_shipped
from ..train.cyclegan import load_state, lr_factor, make_optimizers, save_state, train_step
from ..data.cache import data_root
from ..data.horse2zebra import load_horse2zebra
from ..models.cyclegan import CycleGAN
from ..train.pool import ImagePool
from .contract import RecipeResult, output_path, prepare, run_info, save_model

FILENAME = "horse2zebra_cyclegan.safetensors"


@dataclass
class Config:
    size: int = 64              # training and test resolution in pixels (paper: 256)
    load_size: int = 72         # photos are resized to this, then randomly cropped to ``size`` (paper: 286 -> 256)
    g_channels: int = 16        # generator base width k (paper: 64)
    n_down: int = 2             # stride-2 downsamplings, as the paper: 64 -> 16 px inside
    n_blocks: int = 3           # residual blocks (paper: 9 at 256 px, 6 at 128 px)
    d_channels: int = 32        # PatchGAN base width (paper: 64)
    d_layers: int = 2           # PatchGAN depth: 34x34 patches of a 64 px photo (paper: 70x70 of 256)
    epochs: int = 16            # the learning rate decays linearly over the second half (paper: 100 + 100)
    batch_size: int = 1         # paper: 1 (instance norm: each photo is normalised alone)
    lr: float = 2e-4            # Adam, as in the paper
    beta1: float = 0.5
    lambda_cycle: float = 10.0  # weight of the cycle terms (paper: 10)
    lambda_identity: float = 0.5  # identity weight as a fraction of lambda_cycle (paper: 0.5)
    pool_size: int = 50         # history of fakes shown to D (paper: 50)
    snapshot_epochs: str = "1,2,5,10"  # epochs after which G_AB is saved as well (the progression in notebook 08)
    evaluate: bool = True       # photo-FID on the test photos at the end (gan_helpers.metrics.photo)
    limit: int | None = None    # use only the first N photos of each folder (tests, smoke runs)
    minutes: float | None = None  # stop after this many minutes, saving the state (None: run to the end)
    resume: bool = False        # continue from the state file instead of starting afresh
    state: str | None = None    # training-state file (None: beside the checkpoint; with --ship data/runs/horse2zebra-state.pt)
    seed: int = 0
    device: str | None = None   # "cpu", "cuda", ... (None: the best available)
    log_every: int = 200
    threads: int | None = None  # torch CPU threads (None: torch's default; 1 is fastest on a busy shared CPU)
    out: str | None = None      # checkpoint path (None: a new folder data/runs/horse2zebra-<time>/)
    ship: bool = False          # write into data/pretrained and SHA256SUMS


def build(cfg: Config) -> CycleGAN:
    return CycleGAN(g_channels=cfg.g_channels, n_down=cfg.n_down, n_blocks=cfg.n_blocks,
                    d_channels=cfg.d_channels, d_layers=cfg.d_layers)


def random_crop_flip(x: torch.Tensor, size: int, rng: torch.Generator) -> torch.Tensor:
    """Photos (N, 3, L, L) -> one random ``size`` crop of each, flipped left-right half the time."""
    n, _, h, w = x.shape
    if h < size or w < size:
        raise ValueError(f"cannot crop {size} px out of {h}x{w} photos")
    out = []
    for img in x:
        i = int(torch.randint(0, h - size + 1, (), generator=rng))
        j = int(torch.randint(0, w - size + 1, (), generator=rng))
        crop = img[:, i:i + size, j:j + size]
        out.append(crop.flip(-1) if torch.rand((), generator=rng) < 0.5 else crop)
    return torch.stack(out)  # (N, 3, size, size)


def snapshot_epochs(cfg: Config) -> set[int]:
    try:
        epochs = {int(e) for e in cfg.snapshot_epochs.split(",") if e.strip()}
    except ValueError:
        raise ValueError(f"snapshot_epochs must be comma-separated epoch numbers, got {cfg.snapshot_epochs!r}") from None
    if any(e < 1 or e > cfg.epochs for e in epochs):
        raise ValueError(f"snapshot_epochs must lie between 1 and epochs={cfg.epochs}, got {cfg.snapshot_epochs!r}")
    return epochs


def _check(cfg: Config) -> None:
    if cfg.load_size < cfg.size:
        raise ValueError(f"load_size ({cfg.load_size}) must be at least size ({cfg.size})")
    if cfg.size % 2 ** cfg.n_down:
        raise ValueError(f"size ({cfg.size}) must be a multiple of 2 ** n_down = {2 ** cfg.n_down}")
    for name in ("epochs", "batch_size", "log_every"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(cfg, name)}")
    if cfg.minutes is not None and cfg.minutes <= 0:
        raise ValueError(f"minutes must be positive, got {cfg.minutes}")


def state_path(cfg: Config, checkpoint: Path) -> Path:
    """Where the training state goes: ``--state``, else beside the checkpoint (``--out``), else
    (``--ship``) ``data/runs/horse2zebra-state.pt``; never into data/pretrained."""
    if cfg.state:
        return Path(cfg.state).expanduser()
    if cfg.ship:
        return data_root() / "runs" / "horse2zebra-state.pt"
    return checkpoint.with_name("horse2zebra_state.pt")


def train(cfg: Config) -> RecipeResult:
    """Train (or continue) a run, evaluate and save the checkpoint (see ``recipes.contract``).

    When ``cfg.minutes`` runs out first, the state is saved and ``.info["finished"]`` is False.
    """
    _check(cfg)
    if cfg.resume and not (cfg.state or cfg.out or cfg.ship):
        raise ValueError("--resume needs to know which run to continue: give --out PATH (or --state PATH, or "
                         "--ship); without them every run starts in a fresh folder")
    snaps = snapshot_epochs(cfg)
    path = output_path(cfg, "horse2zebra", FILENAME)
    device, rng = prepare(cfg)
    # Each folder as one tensor on the device; batches are drawn by indexing (no DataLoader).
    x_A = load_horse2zebra("trainA", cfg.load_size, cfg.limit, device)  # (1067, 3, L, L) horses
    x_B = load_horse2zebra("trainB", cfg.load_size, cfg.limit, device)  # (1334, 3, L, L) zebras
    per_epoch = -(-max(len(x_A), len(x_B)) // cfg.batch_size)
    total = cfg.epochs * per_epoch
    model = build(cfg).to(device)
    opt_G, opt_D = make_optimizers(model, cfg.lr, cfg.beta1)
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, lambda s: lr_factor(s, total)) for o in (opt_G, opt_D)]
    pools = (ImagePool(cfg.pool_size, rng), ImagePool(cfg.pool_size, rng))
    spath = state_path(cfg, path)
    spath.parent.mkdir(parents=True, exist_ok=True)
    step, extra = 0, {"seconds": 0.0, "history": []}
    if cfg.resume:
        step, extra = load_state(spath, model, opt_G, opt_D, scheds, pools, rng)
        print(f"resumed from {spath} at step {step}/{total} (epoch {step / per_epoch:.2f})", flush=True)
    t0, done_before = time.perf_counter(), extra["seconds"]
    running: dict[str, float] = {}
    def zebra_order(epoch: int) -> torch.Tensor:
        # A fresh order of the zebras each epoch, seeded by the epoch, so a resumed run draws the same one.
        return torch.randperm(len(x_B), generator=torch.Generator().manual_seed(cfg.seed * 100_003 + epoch))

    order = zebra_order(step // per_epoch)
    while step < total:
        k = step % per_epoch
        if k == 0:
            order = zebra_order(step // per_epoch)
        idx_B = order[(k * cfg.batch_size + torch.arange(cfg.batch_size)) % len(x_B)]
        idx_A = torch.randint(0, len(x_A), (cfg.batch_size,), generator=rng)
        real_A = random_crop_flip(x_A[idx_A.to(device)], cfg.size, rng)  # (batch, 3, size, size)
        real_B = random_crop_flip(x_B[idx_B.to(device)], cfg.size, rng)
        losses = train_step(model, opt_G, opt_D, real_A, real_B, *pools, cfg.lambda_cycle, cfg.lambda_identity)
        for s in scheds:
            s.step()
        step += 1
        for name, v in losses.items():
            running[name] = running.get(name, 0.0) + v
        seconds = done_before + time.perf_counter() - t0
        if step % cfg.log_every == 0 or step == total:
            m = (step - 1) % cfg.log_every + 1
            mean = {name: v / m for name, v in running.items()}
            extra["history"].append({"step": step, **{n: round(v, 4) for n, v in mean.items()}})
            print(f"step {step}/{total} epoch {step / per_epoch:.2f} ({seconds:.0f} s, lr x{lr_factor(step, total):.2f}): "
                  + ", ".join(f"{n} {v:.3f}" for n, v in mean.items()), flush=True)
            running = {}
        epoch_end = step % per_epoch == 0
        if epoch_end and step // per_epoch in snaps:
            snap = path.with_name(f"horse2zebra_G_AB_e{step // per_epoch:02d}.safetensors")
            save_model(model.G_AB.cpu().eval(), snap, {"recipe": "gan_helpers.recipes.horse2zebra",
                                                       "epoch": step // per_epoch, "step": step}, torch.float16)
            model.to(device).train()
        out_of_time = cfg.minutes is not None and time.perf_counter() - t0 > 60 * cfg.minutes
        if epoch_end or out_of_time or step == total:
            extra["seconds"] = seconds
            save_state(spath, model, opt_G, opt_D, scheds, pools, rng, step, extra)
        if out_of_time and step < total:
            print(f"stopped after {cfg.minutes} minutes at step {step}/{total}; state in {spath}; "
                  "run the same command with --resume to continue", flush=True)
            info = {"finished": False, "step": step, "state": str(spath)}
            return RecipeResult(model, spath, "", info, {"state": spath})
    metrics = evaluate(model, cfg.size, device) if cfg.evaluate else {}
    info = run_info(cfg, "horse2zebra", device, extra["seconds"], steps=total, epochs=cfg.epochs,
                    metrics=metrics, history=extra["history"], finished=True)
    info["command"] = info["command"].replace(" --resume", "")  # the state is how it ran, not what it is
    digest = save_model(model.cpu().eval(), path, info, torch.float16)
    print(f"trained in {extra['seconds']:.0f} s")
    return RecipeResult(model, path, digest, info, {"main": path, "state": spath})


def evaluate(model: CycleGAN, size: int = 64, device: str | torch.device = "cpu") -> dict:
    """Photo-FID of translated vs real test photos, with the untranslated baseline (``metrics.photo``);
    empty when the photo classifier is not available."""
    from ..checkpoints import CheckpointError
    from ..metrics.photo import translation_report

    try:
        return translation_report(model, size=size, device=device)
    except (FileNotFoundError, CheckpointError) as err:  # the metric's classifier is not trained yet
        print(f"not evaluated: {err}", flush=True)
        return {}


def load_pretrained(device: str | torch.device = "cpu", filename: str = FILENAME) -> CycleGAN:
    """The shipped horse2zebra CycleGAN (sha256 checked), in eval mode on ``device``."""
    return _load_shipped(filename, CycleGAN, device)


@torch.no_grad()
def generate(G: CycleGAN, n: int, seed: int = 0, device: str | torch.device = "cpu", size: int = 64):
    """Translate ``n`` test horses (in file order, from ``seed``) to zebras: (images (N, 3, size, size), None)."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    x = load_horse2zebra("testA", size, device=device)
    idx = (torch.arange(n) + seed) % len(x)
    G = G.to(device).eval()
    return torch.cat([G.G_AB(x[idx[i:i + 50].to(x.device)]) for i in range(0, n, 50)]), None
