"""The one contract every recipe follows (used by ``python -m gan_helpers train``).

A recipe module holds a ``Config`` dataclass (commented defaults; ``None`` means "not set")
with at least ``seed``, ``device``, ``threads``, ``out`` and ``ship``, and ``train(cfg)``
returning a :class:`RecipeResult`. Where a result is written:

* ``--ship``: into ``data/pretrained/`` with its line in ``SHA256SUMS`` (the shipped files);
* ``--out PATH``: exactly there;
* neither: a fresh run folder ``data/runs/<recipe>-<time>/`` (printed), so a trial run
  never touches the shipped weights.
"""
from __future__ import annotations

import dataclasses
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..checkpoints import pretrained_dir, record_sha256, save_checkpoint
from ..data.cache import data_root
from ..device import pick_device, seed_everything


@dataclass
class RecipeResult:
    """What ``train(cfg)`` returns: the trained model, where it was written, and what it recorded."""
    model: nn.Module
    path: Path
    sha256: str
    info: dict = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)  # every file written, by role


def command_of(cfg, recipe: str) -> str:
    """The CLI command that reproduces ``cfg`` (only the fields that differ from the defaults)."""
    default = type(cfg)()
    flags = []
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if v == getattr(default, f.name) or f.name == "out":
            continue
        flag = f"--{f.name.replace('_', '-')}"
        # quoted as a shell would need it: --game 'WGAN (clip)' must stay one argument
        flags.append(flag if isinstance(v, bool) and v else f"{flag} {shlex.quote(str(v))}")
    return " ".join([f"python -m gan_helpers train {recipe}", *flags])


def output_path(cfg, recipe: str, filename: str) -> Path:
    """Where the main checkpoint goes (see the module docstring); its folder is created."""
    if cfg.ship and cfg.out:
        raise ValueError("give either --ship (write the shipped files) or --out PATH, not both")
    if cfg.out:
        path = Path(cfg.out).expanduser()
        if path.is_dir():
            raise ValueError(f"--out {path} is a folder; give a file name such as {path / filename}")
    elif cfg.ship:
        path = pretrained_dir() / filename
    else:
        path = data_root() / "runs" / f"{recipe}-{time.strftime('%Y%m%d-%H%M%S')}" / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def save_model(model: nn.Module, path: Path, extra: dict, shipped_storage: torch.dtype = torch.float32) -> str:
    """Write ``model``'s checkpoint; a file in ``data/pretrained`` also gets its SHA256SUMS line and
    is written in ``shipped_storage`` (the generators: ``torch.int8`` or ``torch.float16``, see
    :mod:`gan_helpers.checkpoint_storage`); a run folder or ``--out`` file keeps float32."""
    shipped = path.resolve().parent == pretrained_dir().resolve()
    digest = save_checkpoint(model, path, model.config, extra,
                             storage=shipped_storage if shipped else torch.float32)
    if shipped:
        record_sha256(path.name, digest)
    print(f"wrote {path} (sha256 {digest})", flush=True)
    return digest


def prepare(cfg) -> tuple[torch.device, torch.Generator]:
    """Apply ``cfg.threads``, pick ``cfg.device`` (None: the best available) and seed everything."""
    if cfg.threads is not None:
        if not isinstance(cfg.threads, int) or cfg.threads < 1:
            raise ValueError(f"threads must be a positive int or None, got {cfg.threads!r}")
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    return device, seed_everything(cfg.seed)


def run_info(cfg, recipe: str, device: torch.device, seconds: float, **more) -> dict:
    """What every checkpoint records about the run that made it."""
    info = {"recipe": f"gan_helpers.recipes.{recipe}", "command": command_of(cfg, recipe),
            "config": {k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("out", "ship")},
            "train_seconds": round(seconds, 1), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "device": str(device)}
    if device.type == "cuda":
        info["device_name"] = torch.cuda.get_device_name(device)
    info.update(more)
    return info


def state_path(cfg, checkpoint: Path) -> Path:
    """Where a resumable recipe keeps its training state: ``--state``, else (``--ship``)
    ``data/runs/<file>-state.pt``, never data/pretrained; else beside the checkpoint."""
    if cfg.state:
        return Path(cfg.state).expanduser()
    if cfg.ship:
        return data_root() / "runs" / f"{checkpoint.stem}-state.pt"
    return checkpoint.with_name(f"{checkpoint.stem}-state.pt")


def write_state(path: Path, fmt: str, config: dict, rng: torch.Generator, **parts) -> None:
    """Save a training state (``parts``: state dicts, numbers) with the random generators, atomically."""
    state = {"format": fmt, "config": dict(config), "rng": rng.get_state(), "torch_rng": torch.get_rng_state(),
             # dropout and noise on a GPU draw from the CUDA generator: without it a resumed GPU run would differ
             "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None, **parts}
    tmp = Path(path).with_suffix(".part")
    torch.save(state, tmp)
    tmp.replace(path)  # a killed process never leaves half a state


def read_state(path: Path, fmt: str, config: dict, rng: torch.Generator, what: str, network: str = "network") -> dict:
    """Load what ``write_state`` wrote, refusing another format (``what``: the recipe, named in the
    message) or another architecture (``network``: what it builds), and restore the random
    generators; returns the state."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no training state at {path}: run once without --resume first")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)  # tensors and numbers: no code runs
    except Exception as err:
        raise ValueError(f"{path} is not a readable training state ({type(err).__name__}: {err})") from err
    if not isinstance(state, dict) or state.get("format") != fmt:
        raise ValueError(f"{path} is not a {what} training state")
    if state["config"] != dict(config):
        raise ValueError(f"{path} holds a {network} built with {state['config']}, this run builds {dict(config)}")
    rng.set_state(state["rng"])
    torch.set_rng_state(state["torch_rng"])
    cuda_rng = state.get("cuda_rng")  # absent in states written before it was saved
    if cuda_rng is not None and torch.cuda.is_available() and len(cuda_rng) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda_rng)
    return state
