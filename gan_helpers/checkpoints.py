"""Checkpoints that carry their own config and cannot run code.

Format: a safetensors file (tensors only, so loading never executes code) whose
metadata holds the model's class path and constructor arguments as JSON. Shipped
weights live in ``data/pretrained/`` with their sha256 in ``data/pretrained/SHA256SUMS``;
loading verifies the hash, the architecture and every tensor's shape. Used from
notebook 03 on.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from torch import nn

FORMAT = "gan-notebooks/1"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupt, or belongs to another model."""


PRETRAINED_DIR_ENV = "GAN_PRETRAINED_DIR"


def pretrained_dir() -> Path:
    """The folder of shipped weights (the ``.safetensors`` files and their ``SHA256SUMS``), first found of:

    1. ``$GAN_PRETRAINED_DIR``, when set (a class sharing one copy, or weights kept elsewhere);
    2. ``gan_helpers/shipped/pretrained`` inside the installed package: the student wheel that
       ``make student-dist`` builds carries the weights there (instructor/student_dist.py);
    3. ``<repository>/data/pretrained``: a clone of the repository.

    When none exists, the repository path is returned and loading says what to do.
    """
    env = os.environ.get(PRETRAINED_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    bundled = Path(__file__).resolve().parent / "shipped" / "pretrained"
    if bundled.is_dir():
        return bundled
    return Path(__file__).resolve().parents[1] / "data" / "pretrained"


def _where_weights_go() -> str:
    return (f"The shipped weights are looked for in ${PRETRAINED_DIR_ENV}, then in the installed package "
            "(the student wheel of `make student-dist` carries them), then in data/pretrained of a clone of "
            f"the repository. Set {PRETRAINED_DIR_ENV} to the folder holding SHA256SUMS and the .safetensors "
            "files, install the student wheel, or work in a clone.")


def class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_checkpoint(model: nn.Module, path: str | Path, config: dict, extra: dict | None = None,
                    storage: torch.dtype = torch.float32) -> str:
    """Write ``model``'s weights with its constructor ``config``; returns the file's sha256.

    ``config`` must be the keyword arguments that rebuild the model: ``type(model)(**config)``.
    ``extra`` is any JSON-serialisable information (training command, metrics). ``storage``
    (``torch.float32``, ``torch.float16`` or ``torch.int8``) is how the tensors are written
    (see :mod:`gan_helpers.checkpoint_storage`); loading gives float32 back.
    """
    from safetensors.torch import save_file
    from .checkpoint_storage import encode, storage_name

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rebuilt = type(model)(**config)  # fail now, not at load time, if config is incomplete
    if set(rebuilt.state_dict()) != set(model.state_dict()):
        raise CheckpointError("config does not rebuild the same architecture as the model")
    tensors = encode(model.state_dict(), storage)
    meta = {"format": FORMAT, "arch": class_path(type(model)), "config": json.dumps(config),
            "extra": json.dumps(extra or {}), "storage": storage_name(storage)}
    save_file(tensors, str(path), metadata=meta)
    from .data.cache import readable_by_all
    readable_by_all(path)  # safetensors writes 0600; a class sharing a checkout must read it
    return sha256_of(path)


def read_metadata(path: str | Path) -> dict:
    """The checkpoint's metadata: ``arch``, ``config`` (dict), ``extra`` (dict) and ``storage``
    (a torch dtype; float32 for files written before the compact forms existed)."""
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"Checkpoint {path} does not exist. Shipped weights live in "
                              f"{pretrained_dir()}; docs/results.md (section Shipped weights) gives the command that trains each.")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception as err:
        raise CheckpointError(f"{path} is not a readable safetensors checkpoint (corrupt or "
                              f"truncated?): {err}") from err
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a GAN Notebooks checkpoint (format {meta.get('format')!r}).")
    missing = [k for k in ("arch", "config", "extra") if k not in meta]
    if missing:
        raise CheckpointError(f"{path} lacks the metadata {missing}: it was not written by save_checkpoint.")
    try:
        config, extra = json.loads(meta["config"]), json.loads(meta["extra"])
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path} has metadata that is not valid JSON ({err.msg}): corrupt or hand-edited; "
                              "restore it with git or retrain it.") from None
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: the stored config is not a mapping of constructor arguments.")
    from .checkpoint_storage import StorageError, storage_from_name
    try:
        storage = storage_from_name(meta.get("storage", "float32"))
    except StorageError as err:
        raise CheckpointError(f"{path}: {err}") from None
    return {"arch": meta["arch"], "config": config, "extra": extra, "storage": storage}


def _check_config(path: Path, cls: type, config: dict) -> None:
    """The stored constructor arguments must be ones ``cls`` takes, with none required missing."""
    import inspect

    params = inspect.signature(cls.__init__).parameters
    unknown = [k for k in config if k not in params]
    required = [n for n, p in params.items() if n != "self" and p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    absent = [n for n in required if n not in config]
    if unknown or absent:
        raise CheckpointError(f"{path.name}: its config does not fit {cls.__name__} (unknown {unknown}, "
                              f"missing {absent}); it was saved by another version of the class.")


def load_checkpoint(path: str | Path, cls: type, expected_sha256: str | None = None,
                    map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuild a ``cls`` model from ``path`` and load its weights (in eval mode).

    Checks, in order: the file exists, its sha256 (when given), that it was saved from
    ``cls``, that every tensor's dtype fits the storage its metadata names, and that every
    tensor's name and shape fit.
    """
    from safetensors.torch import load_file
    from .checkpoint_storage import StorageError, decode

    path = Path(path)
    if not path.exists():
        read_metadata(path)  # raises the "does not exist" message
    if expected_sha256 is not None:
        got = sha256_of(path)
        if got != expected_sha256.lower():
            raise CheckpointError(f"{path} is corrupt or was replaced: sha256 {got[:12]}..., "
                                  f"expected {expected_sha256[:12]}.... Restore it with git or retrain it.")
    meta = read_metadata(path)
    if meta["arch"] != class_path(cls):
        raise CheckpointError(f"{path.name} holds a {meta['arch']}, not a {class_path(cls)}: "
                              "load it with the class it was saved from.")
    _check_config(path, cls, meta["config"])
    try:
        state = decode(load_file(str(path), device="cpu"), meta["storage"], path.name)
    except StorageError as err:
        raise CheckpointError(str(err)) from None
    try:
        with torch.device("meta"):  # shapes only: a crafted config allocates nothing
            own = {k: v.shape for k, v in cls(**meta["config"]).state_dict().items()}
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{path.name}: its config does not build a {cls.__name__}: {err}") from None
    bad = [k for k in own if k not in state or state[k].shape != own[k]]
    extra_keys = [k for k in state if k not in own]
    if bad or extra_keys:
        raise CheckpointError(f"{path.name} does not fit {cls.__name__}: mismatched {bad[:3]}, "
                              f"unexpected {extra_keys[:3]}.")
    broken = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if broken:
        raise CheckpointError(f"{path.name} holds weights that are NaN or infinite ({broken[:3]}): "
                              "the training run diverged or the file was damaged.")
    model = cls(**meta["config"])
    model.load_state_dict(state)
    model.checkpoint_extra = meta["extra"]
    return model.to(map_location).eval()


def shipped_sha256(filename: str) -> str:
    """The sha256 recorded for a shipped checkpoint in ``data/pretrained/SHA256SUMS``."""
    sums = pretrained_dir() / "SHA256SUMS"
    if sums.exists():
        for line in sums.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].lstrip("*") == filename:
                return parts[0].lower()  # sha256sum writes lower case; accept either
    if not sums.exists():
        raise CheckpointError(f"No shipped weights found: {sums} does not exist. {_where_weights_go()}")
    raise CheckpointError(f"No sha256 recorded for {filename} in {sums}.")


def record_sha256(filename: str, digest: str) -> None:
    """Add or replace ``filename``'s line in ``data/pretrained/SHA256SUMS``."""
    sums = pretrained_dir() / "SHA256SUMS"
    lines = [l for l in (sums.read_text().splitlines() if sums.exists() else [])
             if l.split()[-1:] != [filename]]
    lines.append(f"{digest}  {filename}")
    sums.parent.mkdir(parents=True, exist_ok=True)
    sums.write_text("\n".join(sorted(lines, key=lambda l: l.split()[-1])) + "\n")


def load_pretrained(filename: str, cls: type, map_location: str | torch.device = "cpu") -> nn.Module:
    """Load a shipped checkpoint by file name, verifying its recorded sha256."""
    return load_checkpoint(pretrained_dir() / filename, cls, shipped_sha256(filename), map_location)


def compact_checkpoint(path: str | Path, storage: torch.dtype) -> str:
    """Rewrite the checkpoint at ``path`` in ``storage`` (e.g. ``torch.int8``) in place, keeping its
    config and record (plus the sha256 of the file it was made from); returns the new sha256,
    also recorded in SHA256SUMS when the file is a shipped one. Only classes of this package load."""
    import importlib

    from .checkpoint_storage import STORAGES

    path = Path(path)
    meta = read_metadata(path)
    if STORAGES.index(storage) < STORAGES.index(meta["storage"]):
        raise CheckpointError(f"{path.name} is stored in {meta['storage']}; rewriting it in {storage} would "
                              "label decoded weights as the trained ones. Retrain it to get the wider form.")
    shipped = path.resolve().parent == pretrained_dir().resolve()
    module, _, name = meta["arch"].rpartition(".")
    if not module.startswith("gan_helpers."):
        raise CheckpointError(f"{path.name} names the class {meta['arch']}, which is not part of gan_helpers")
    cls = getattr(importlib.import_module(module), name)
    model = load_checkpoint(path, cls, shipped_sha256(path.name) if shipped else None)  # a damaged file stays refused
    extra = {**meta["extra"], "compacted_from_sha256": sha256_of(path)}
    digest = save_checkpoint(model, path, meta["config"], extra, storage=storage)
    if shipped:
        record_sha256(path.name, digest)
    return digest
