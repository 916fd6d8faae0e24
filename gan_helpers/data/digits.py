"""Printed digits in the style of house-number photos: the project's own domain B for
CycleGAN (Zhu et al. 2017) in notebook 08, standing in for SVHN (Netzer et al. 2011),
which is not shipped. Domain A is MNIST, brought to the same 3x32x32 format by
``mnist_to_rgb32``.

Each image is a digit glyph from a font that ships with matplotlib (DejaVu, STIX,
Computer Modern), rendered once per font and size with PIL, then composited with torch
in one vectorised pass: random foreground and background colours with enough contrast,
a colour gradient and noise in the background, a small rotation, scale and shift, and
sometimes parts of neighbouring digits at the left and right edges (as in a cropped
house number). Deterministic for a given seed.
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F

# Fonts with clearly different digit shapes; all ship in matplotlib's mpl-data/fonts/ttf.
DEFAULT_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
                 "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "STIXGeneral.ttf", "STIXGeneralBol.ttf",
                 "cmr10.ttf", "DejaVuSans-Oblique.ttf")
DEFAULT_SIZES = (22, 25, 28)  # font sizes in pixels: digit heights of about 16 to 21 px in 32


def font_dir() -> Path:
    """matplotlib's folder of bundled TrueType fonts."""
    import matplotlib
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@lru_cache(maxsize=8)
def glyph_masks(fonts: tuple[str, ...] = DEFAULT_FONTS, sizes: tuple[int, ...] = DEFAULT_SIZES,
                size: int = 32) -> torch.Tensor:
    """Coverage masks of the ten digits, centred: (len(fonts) * len(sizes), 10, size, size) in [0, 1].

    Rendered once with PIL (cached); every image is then composited from these masks.
    """
    from PIL import Image, ImageDraw, ImageFont

    masks = []
    for name in fonts:
        path = font_dir() / name
        if not path.exists():
            raise FileNotFoundError(f"font {name!r} is not in {font_dir()} (fonts that ship with matplotlib only)")
        for pts in sizes:
            font = ImageFont.truetype(str(path), pts)
            per_digit = []
            for d in range(10):
                im = Image.new("L", (size, size), 0)
                # anchor "mm": the glyph's middle (horizontal and vertical) at the centre
                ImageDraw.Draw(im).text((size / 2, size / 2), str(d), fill=255, font=font, anchor="mm")
                per_digit.append(torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).view(size, size))
            masks.append(torch.stack(per_digit))
    return torch.stack(masks).float().div_(255)  # (F*S, 10, size, size)


def _luminance(c: torch.Tensor) -> torch.Tensor:
    return 0.299 * c[:, 0] + 0.587 * c[:, 1] + 0.114 * c[:, 2]


def _contrasting_colours(n: int, min_contrast: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Background and foreground RGB colours (N, 3) in [0, 1] whose luminances differ by >= min_contrast."""
    bg = torch.rand(n, 3, generator=g)
    fg = torch.rand(n, 3, generator=g)
    for _ in range(20):  # resample the pairs that are too close (vectorised rejection)
        bad = (_luminance(fg) - _luminance(bg)).abs() < min_contrast
        if not bad.any():
            break
        fg[bad] = torch.rand(int(bad.sum()), 3, generator=g)
    bad = (_luminance(fg) - _luminance(bg)).abs() < min_contrast
    # Whatever is left: push the foreground to the far end of the luminance scale.
    fg[bad] = (_luminance(bg[bad]) < 0.5).float().unsqueeze(1).expand(-1, 3).clone()
    return bg, fg


def _affine(masks: torch.Tensor, max_shift: float, max_degrees: float, scale_range: tuple[float, float],
            g: torch.Generator, extra_dx: torch.Tensor | None = None) -> torch.Tensor:
    """Random rotation, scale and shift (pixels) of masks (N, 1, H, W); zeros come in at the edges."""
    n, _, h, w = masks.shape
    ang = (torch.rand(n, generator=g) * 2 - 1) * max_degrees * math.pi / 180
    scale = scale_range[0] + torch.rand(n, generator=g) * (scale_range[1] - scale_range[0])
    shift = (torch.rand(n, 2, generator=g) * 2 - 1) * max_shift
    if extra_dx is not None:
        shift[:, 0] += extra_dx
    shift = shift * 2 / torch.tensor([w, h])  # pixels -> normalised coordinates
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.stack([torch.stack([cos, -sin, -shift[:, 0]], 1),
                         torch.stack([sin, cos, -shift[:, 1]], 1)], 1)  # (N, 2, 3) output -> input
    grid = F.affine_grid(theta, list(masks.shape), align_corners=False)
    return F.grid_sample(masks, grid, align_corners=False, padding_mode="zeros")


def render_digits(n: int, seed: int = 0, labels: torch.Tensor | None = None, size: int = 32,
                  fonts: tuple[str, ...] = DEFAULT_FONTS, sizes: tuple[int, ...] = DEFAULT_SIZES,
                  max_shift: float = 2.0, max_degrees: float = 8.0, neighbours: float = 0.3,
                  noise: float = 0.03, gradient: float = 0.15, scale_range: tuple[float, float] = (0.9, 1.1),
                  min_contrast: float = 0.35,
                  device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Render ``n`` printed digits: images (N, 3, size, size) in [-1, 1], labels (N,) int64.

    ``labels`` fixes the digits (else uniform over 0-9); ``neighbours`` is the chance of
    parts of other digits at the left and right edges; ``gradient`` the largest change of
    the background colour across the image. The same seed gives the same images.
    """
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not 0.0 <= neighbours <= 1.0:
        raise ValueError(f"neighbours is a probability in [0, 1], got {neighbours}")
    g = torch.Generator().manual_seed(seed)
    bank = glyph_masks(tuple(fonts), tuple(sizes), size)  # (F*S, 10, size, size)
    if labels is None:
        labels = torch.randint(0, 10, (n,), generator=g)
    else:
        labels = torch.as_tensor(labels, dtype=torch.int64).cpu()
        if labels.shape != (n,) or labels.min() < 0 or labels.max() > 9:
            raise ValueError(f"labels must be n={n} digits in 0..9, got shape {tuple(labels.shape)}")
    style = torch.randint(0, bank.shape[0], (n,), generator=g)  # font and size per image
    alpha = _affine(bank[style, labels].unsqueeze(1), max_shift, max_degrees, scale_range, g)  # (N, 1, s, s)

    # Neighbouring digits, same style, about one glyph width to the left and right.
    has_nb = torch.rand(n, generator=g) < neighbours
    for side in (-1.0, 1.0):
        nb_digit = torch.randint(0, 10, (n,), generator=g)
        dx = side * (0.62 + 0.1 * torch.rand(n, generator=g)) * size
        nb = _affine(bank[style, nb_digit].unsqueeze(1), 1.0, 4.0, scale_range, g, extra_dx=dx)
        alpha = torch.maximum(alpha, nb * has_nb.view(n, 1, 1, 1).float())

    return paint(alpha, g, noise, gradient, min_contrast).to(device), labels.to(device)


def paint(alpha: torch.Tensor, g: torch.Generator, noise: float = 0.03, gradient: float = 0.15,
          min_contrast: float = 0.35) -> torch.Tensor:
    """Ink masks (N, 1, s, s) in [0, 1] -> house-number-style images (N, 3, s, s) in [-1, 1].

    Random foreground and background colours with enough contrast, a background gradient
    in a random direction (uneven light) and pixel noise, all drawn from ``g``.
    """
    n, size = alpha.shape[0], alpha.shape[-1]
    bg, fg = _contrasting_colours(n, min_contrast, g)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    direction = torch.rand(n, generator=g) * 2 * math.pi
    ramp = torch.cos(direction).view(n, 1, 1) * xx + torch.sin(direction).view(n, 1, 1) * yy  # (N, s, s)
    strength = gradient * torch.rand(n, 1, 1, 1, generator=g)
    background = bg.view(n, 3, 1, 1) + strength * ramp.unsqueeze(1)
    img = background * (1 - alpha) + fg.view(n, 3, 1, 1) * alpha  # (N, 3, s, s)
    img = img + noise * torch.randn(img.shape, generator=g)
    return img.clamp(0, 1).mul(2).sub(1)


def paint_mnist(x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """MNIST digits (N, 1, 28, 28) in [-1, 1] -> the same handwriting painted in domain B's colours,
    background and noise: (N, 3, 32, 32) in [-1, 1]. What a perfect A -> B translation that keeps
    the pen strokes would look like; the digit reader of notebook 08 learns from these too."""
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"expected MNIST images (N, 1, 28, 28), got {tuple(x.shape)}")
    alpha = (F.pad(x.detach().cpu(), (2, 2, 2, 2), value=-1.0) + 1) / 2  # ink in [0, 1], (N, 1, 32, 32)
    return paint(alpha, torch.Generator().manual_seed(seed)).to(x.device)


def mnist_to_rgb32(x: torch.Tensor) -> torch.Tensor:
    """MNIST (N, 1, 28, 28) in [-1, 1] -> (N, 3, 32, 32): pad 2 px of background (-1), repeat grey in RGB."""
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"expected MNIST images (N, 1, 28, 28), got {tuple(x.shape)}")
    return F.pad(x, (2, 2, 2, 2), value=-1.0).expand(-1, 3, -1, -1).contiguous()


def rgb32_to_mnist(x: torch.Tensor) -> torch.Tensor:
    """The inverse view for the MNIST classifier: (N, 3, 32, 32) -> mean of RGB, centre crop (N, 1, 28, 28)."""
    if x.ndim != 4 or tuple(x.shape[1:]) != (3, 32, 32):
        raise ValueError(f"expected images (N, 3, 32, 32), got {tuple(x.shape)}")
    return x.mean(1, keepdim=True)[:, :, 2:30, 2:30]
