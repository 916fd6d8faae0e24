"""Building blocks the convolutional models share: argument checks, the normalisation
choice and the N(0, 0.02) initialisation of Radford et al. (2015, DCGAN; notebook 04),
which the CycleGAN reference code uses too (Zhu et al. 2017; notebook 08).
"""
from __future__ import annotations

from torch import nn


def check_int(name: str, value, low: int = 1) -> None:
    """Raise a clear ValueError unless ``value`` is an int (not a bool) >= ``low``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


def norm2d(channels: int, batch_norm: bool = True) -> nn.Module:
    """BatchNorm2d (DCGAN guideline 2) or, for the "no batch norm" failure mode, identity."""
    return nn.BatchNorm2d(channels) if batch_norm else nn.Identity()


def weights_init(m: nn.Module, std: float = 0.02) -> None:
    """Conv, transposed-conv and linear weights ~ N(0, std), biases 0 (Radford et al. 2015;
    the CycleGAN reference code does the same). Batch-norm scales ~ N(1, std), shifts 0:
    that is the PyTorch DCGAN example's habit, not the paper's, which specifies only the
    weights. Use as ``model.apply(weights_init)``.
    """
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, std)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
        nn.init.normal_(m.weight, 1.0, std)
        nn.init.zeros_(m.bias)
