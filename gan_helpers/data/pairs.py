"""Paired data made from unpaired photos, for pix2pix (Isola et al. 2017; notebook 07).

No paired set can be downloaded here, so pairs are made the way the paper made several of
its own: from each photo, an input the network can see and the photo (or part of it) as
the target.

* Colourisation (the paper's section 4.2 on ImageNet): the photo in CIE Lab; the input is
  the lightness L (N, 1, H, W) and the target the two colour channels ab (N, 2, H, W).
  ``rgb_to_lab`` / ``lab_to_rgb`` are the standard sRGB (D65) formulas, written out.
* Edges -> photo (the paper's edges2shoes / edges2handbags used HED edges): here a Sobel
  edge map of the lightness, thresholded at a fixed share of each photo's pixels, drawn
  black on white (N, 1, H, W); the target is the photo (N, 3, H, W).

Every tensor is scaled to about [-1, 1] so that a tanh output can reach it: L / 50 - 1 and
ab / AB_SCALE. Photos come from the horse2zebra folders (``data.horse2zebra``): the training
pairs from trainA + trainB, the test pairs from testA + testB.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

AB_SCALE = 110.0  # |a|, |b| of sRGB colours stay below about 110, so ab / 110 lies in [-1, 1]
_RGB_TO_XYZ = torch.tensor([[0.412453, 0.357580, 0.180423],
                            [0.212671, 0.715160, 0.072169],
                            [0.019334, 0.119193, 0.950227]])  # sRGB primaries, D65 white
_WHITE = torch.tensor([0.950456, 1.0, 1.088754])  # D65 reference white in XYZ
_EPS = 216 / 24389  # CIE: below this, f(t) is the linear part
_KAPPA = 24389 / 27


def _check_rgb(x: torch.Tensor, who: str) -> None:
    if not torch.is_tensor(x) or x.ndim != 4 or x.shape[1] != 3:
        shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ValueError(f"{who} expects RGB photos (N, 3, H, W) in [-1, 1], got {shape}")


def rgb_to_lab(x: torch.Tensor) -> torch.Tensor:
    """Photos (N, 3, H, W) in [-1, 1] (sRGB) -> Lab (N, 3, H, W): L in [0, 100], a, b in about [-110, 110]."""
    _check_rgb(x, "rgb_to_lab")
    c = ((x + 1) / 2).clamp(0, 1)
    lin = torch.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)  # undo the sRGB gamma
    xyz = torch.einsum("ij,njhw->nihw", _RGB_TO_XYZ.to(x), lin) / _WHITE.to(x).view(1, 3, 1, 1)
    f = torch.where(xyz > _EPS, xyz.clamp_min(_EPS) ** (1 / 3), (_KAPPA * xyz + 16) / 116)
    L = 116 * f[:, 1] - 16
    a = 500 * (f[:, 0] - f[:, 1])
    b = 200 * (f[:, 1] - f[:, 2])
    return torch.stack([L, a, b], 1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Lab (N, 3, H, W) -> photos (N, 3, H, W) in [-1, 1]; colours outside sRGB are clipped."""
    if not torch.is_tensor(lab) or lab.ndim != 4 or lab.shape[1] != 3:
        raise ValueError(f"lab_to_rgb expects Lab images (N, 3, H, W), got "
                         f"{tuple(lab.shape) if torch.is_tensor(lab) else type(lab).__name__}")
    fy = (lab[:, 0] + 16) / 116
    f = torch.stack([fy + lab[:, 1] / 500, fy, fy - lab[:, 2] / 200], 1)
    xyz = torch.where(f > _EPS ** (1 / 3), f ** 3, (116 * f - 16) / _KAPPA) * _WHITE.to(lab).view(1, 3, 1, 1)
    lin = torch.einsum("ij,njhw->nihw", torch.linalg.inv(_RGB_TO_XYZ).to(lab), xyz).clamp(0, 1)
    c = torch.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin.clamp_min(1e-8) ** (1 / 2.4) - 0.055)
    return c.clamp(0, 1) * 2 - 1


def colour_pair(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Photos (N, 3, H, W) in [-1, 1] -> (L (N, 1, H, W), ab (N, 2, H, W)), both scaled to about [-1, 1]."""
    lab = rgb_to_lab(x)
    return lab[:, :1] / 50 - 1, lab[:, 1:] / AB_SCALE


def colour_to_rgb(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """The inverse of ``colour_pair``: scaled L (N, 1, H, W) and ab (N, 2, H, W) -> RGB (N, 3, H, W) in [-1, 1]."""
    if L.ndim != 4 or ab.ndim != 4 or L.shape[1] != 1 or ab.shape[1] != 2 or L.shape[2:] != ab.shape[2:] \
            or len(L) != len(ab):
        raise ValueError(f"colour_to_rgb expects L (N, 1, H, W) and ab (N, 2, H, W) of one size, "
                         f"got {tuple(L.shape)} and {tuple(ab.shape)}")
    return lab_to_rgb(torch.cat([(L + 1) * 50, ab * AB_SCALE], 1))


_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def edge_map(x: torch.Tensor, share: float = 0.12) -> torch.Tensor:
    """Photos (N, 3, H, W) in [-1, 1] -> edge drawings (N, 1, H, W): -1 (black) on the ``share``
    of each photo's pixels with the strongest Sobel gradient of the lightness, +1 (white) elsewhere."""
    _check_rgb(x, "edge_map")
    if not 0 < share < 1:
        raise ValueError(f"share must lie strictly between 0 and 1, got {share}")
    L = rgb_to_lab(x)[:, :1] / 100  # (N, 1, H, W) lightness in [0, 1]
    L = F.avg_pool2d(F.pad(L, (1, 1, 1, 1), mode="replicate"), 3, stride=1)  # a light blur against JPEG noise
    k = torch.stack([_SOBEL_X, _SOBEL_X.T]).unsqueeze(1).to(x)  # (2, 1, 3, 3)
    g = F.conv2d(F.pad(L, (1, 1, 1, 1), mode="replicate"), k)  # (N, 2, H, W)
    mag = g.pow(2).sum(1, keepdim=True).sqrt()  # (N, 1, H, W)
    cut = mag.flatten(1).quantile(1 - share, dim=1).view(-1, 1, 1, 1)
    return torch.where(mag > cut, -1.0, 1.0).to(x)


def edges_pair(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Photos (N, 3, H, W) in [-1, 1] -> (edges (N, 1, H, W), the photos themselves)."""
    return edge_map(x), x
