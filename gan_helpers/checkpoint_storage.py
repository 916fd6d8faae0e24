"""How a checkpoint's tensors are stored on disk: float32, float16, or int8 for the large weights.

The shipped generators are stored compactly so that a clone of the repository (and the student
wheel) stays small: a checkpoint of the InfoGAN-shaped generator (notebooks 04 and 05) holds a
1024 x 6272 fully connected layer, 26.6 MB in float32 and 6.8 MB in ``int8``. Loading always
gives float32 weights back. Whether the compact form changes what the notebooks print is
measured in docs/results.md (section "Shipped weights"), with the command.

* ``float32``: the tensors as trained.
* ``float16``: every floating-point tensor rounded to half precision.
* ``int8``: each floating-point tensor of at least ``INT8_MIN_NUMEL`` entries and two or more
  dimensions is stored as int8 with one float32 scale per slice along its first dimension (the
  output features of a Linear or Conv2d, the input channels of a ConvTranspose2d; symmetric: the
  slice's largest magnitude maps to 127), under the key ``name + SCALE_SUFFIX``; the smaller
  tensors (biases, batch-norm statistics) in float16. Per-slice scales keep a row of small
  weights from being rounded to zero by a large row elsewhere in the same matrix.

Integer tensors (batch norm's step counter) are stored unchanged in every form.
"""
from __future__ import annotations

import torch

STORAGES = (torch.float32, torch.float16, torch.int8)
INT8_MIN_NUMEL = 100_000   # below this a tensor is a rounding error of the file's size: keep float16
SCALE_SUFFIX = "::int8_scale"


class StorageError(ValueError):
    """The stored tensors do not match the storage the checkpoint's metadata names."""


def storage_name(dtype: torch.dtype) -> str:
    """``torch.int8`` -> ``"int8"`` (the form written into a checkpoint's metadata)."""
    if dtype not in STORAGES:
        raise ValueError(f"storage must be one of {[storage_name(d) for d in STORAGES]}, got {dtype!r}")
    return str(dtype).removeprefix("torch.")


def storage_from_name(name: str) -> torch.dtype:
    for d in STORAGES:
        if storage_name(d) == name:
            return d
    raise StorageError(f"unknown storage {name!r} (known: {[storage_name(d) for d in STORAGES]})")


def _quantised(v: torch.Tensor) -> bool:
    return v.is_floating_point() and v.ndim >= 2 and v.numel() >= INT8_MIN_NUMEL


def encode(state: dict[str, torch.Tensor], storage: torch.dtype) -> dict[str, torch.Tensor]:
    """The tensors to write for ``state`` (float32 tensors) in ``storage``."""
    storage_name(storage)  # validates
    out = {}
    for k, v in state.items():
        v = v.detach().cpu().contiguous()
        if v.is_floating_point():
            v = v.float()                      # float64 or bfloat16 weights are written from float32
        if not v.is_floating_point() or storage == torch.float32:
            out[k] = v
        elif storage == torch.int8 and _quantised(v):
            rows = v.float().reshape(v.shape[0], -1)                           # (out, in * kh * kw)
            scale = rows.abs().amax(1, keepdim=True).clamp_min(1e-12) / 127.0  # (out, 1)
            out[k] = torch.round(rows / scale).clamp(-127, 127).to(torch.int8).reshape(v.shape)
            out[k + SCALE_SUFFIX] = scale.contiguous()
        else:
            out[k] = v.to(torch.float16)
            if bool(torch.isfinite(v).all()) and not bool(torch.isfinite(out[k]).all()):
                raise ValueError(f"{k} holds values beyond float16's range (65504): store this model in "
                                 "float32 or int8")
    return out


def decode(tensors: dict[str, torch.Tensor], storage: torch.dtype, name: str) -> dict[str, torch.Tensor]:
    """float32 weights from the stored ``tensors``; raises :class:`StorageError` naming the file
    ``name`` when a tensor's dtype does not fit ``storage`` (a damaged or hand-edited file)."""
    scales = {k[: -len(SCALE_SUFFIX)]: v for k, v in tensors.items() if k.endswith(SCALE_SUFFIX)}
    if scales and storage != torch.int8:
        raise StorageError(f"{name} holds int8 scales but its metadata says {storage_name(storage)} storage")
    float_dtype = torch.float32 if storage == torch.float32 else torch.float16
    state = {}
    for k, v in tensors.items():
        if k.endswith(SCALE_SUFFIX):
            continue
        if v.dtype == torch.int8:
            if storage != torch.int8 or k not in scales:
                raise StorageError(f"{name}: tensor {k!r} is int8 without its scale (storage "
                                   f"{storage_name(storage)}): the file is damaged")
            s = scales[k]
            if s.dtype != torch.float32 or s.shape != (v.shape[0], 1):
                raise StorageError(f"{name}: the scale of {k!r} has shape {tuple(s.shape)} and dtype {s.dtype}, "
                                   f"expected ({v.shape[0]}, 1) float32")
            state[k] = (v.float().reshape(v.shape[0], -1) * s).reshape(v.shape)   # one scale per slice
        elif v.is_floating_point():
            if v.dtype != float_dtype:
                raise StorageError(f"{name}: tensor {k!r} is {v.dtype} but the file's storage is "
                                   f"{storage_name(storage)}: damaged or hand-edited")
            state[k] = v.float()
        else:
            state[k] = v
    orphans = [k for k in scales if k not in tensors or tensors[k].dtype != torch.int8]
    if orphans:
        raise StorageError(f"{name}: int8 scales without their int8 tensors {orphans[:3]}: the file is damaged")
    return state
