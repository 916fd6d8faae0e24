"""The README's pictures, drawn by the course's own code (issue 35): ``python -m gan_helpers
figures`` (``make figures``) writes ``docs/img/*.png``.

Every picture but the first comes from the shipped weights in ``data/pretrained`` (loaded
with their sha256 check by the recipes' ``load_pretrained``) through the same samplers and
panels the notebooks use, with fixed seeds:

* ``toy_ring``: notebook 02's view (``widgets.toy.draw_toy_state``: samples over D's heat map,
  titled with the measured coverage) of two 2-D GANs on the ring of 8, equal learning rates
  against G ten times slower. Lesson 02 ships no weights: the two runs (3,000 steps, seed 0,
  one thread) are trained here, about 35 s on one core.
* ``vanilla_digits``, ``dcgan_digits``: 64 samples of the shipped generators of notebooks 03
  and 04 (``recipe.generate``, seed 0: what ``python -m gan_helpers sample NAME --grid`` draws).
* ``cgan_digits``: notebook 05's ``class_style_grid``, turned so that a column is one digit
  (0-9) and a row one z (Mirza and Osindero 2014).
* ``latent_panel``: notebook 04's ``LatentExplorer`` (seed 3) with its A -> B slider at 0.5:
  row 1 is what its ``static_png`` draws (the image the sliders point at, then the path from
  A to B); row 2 the image it redraws as slider "dir 1" goes from -3 to +3.
* ``cyclegan_digits``: notebook 08's digit CycleGAN (Zhu et al. 2017) on the first test image
  of each digit: MNIST, G_AB(MNIST) in the printed style, G_BA(G_AB(MNIST)).
* ``pix2pix``: notebook 07's colourisation (Isola et al. 2017) of the four test horses below:
  the grey input, the "L1 only" model, the shipped L1 + cGAN model, the real photo.
* ``horse2zebra``: four test horses (rows) and what G_AB makes of them after epochs 1, 2, 5,
  10 and 20 (the shipped snapshots notebook 08 shows, the last column the shipped model), saved
  with a 256-colour palette to stay small.

The horse2zebra test photos are not shipped: seed the cache first (``python -m gan_helpers
data --horse2zebra``, ``--mirror DIR`` offline). Without them the command stops before
drawing anything, saying which folders are missing; it never substitutes other pictures.

``smoke=True`` (or ``GAN_SMOKE=1``) draws small versions in seconds into a temporary folder
(the test's mode); nothing is written into ``docs/img`` unless ``out`` says so.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..data.cache import MissingDataError
from ..device import is_smoke
from ..plotting import figure_png, grid_png, image_grid, save_grid

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
MAX_BYTES = 150_000  # a README picture larger than this is a mistake (size or format), not detail
NAMES = ("toy_ring", "vanilla_digits", "dcgan_digits", "cgan_digits", "latent_panel",
         "pix2pix", "cyclegan_digits", "horse2zebra")
HORSE_ROWS = (0, 7, 14, 21)          # notebook 08's gallery starts with these test horses
SNAPSHOT_EPOCHS = (1, 2, 5, 10)      # shipped G_AB snapshots; epoch 20 is the shipped model
LATENT_SEED = 3                      # A and B of different digits (seed 0, notebook 04's, draws two nines)


def _toy_ring(smoke: bool) -> bytes:
    from matplotlib.figure import Figure

    from ..data.toy2d import ring
    from ..train.toy import ToyGAN, ToyGANConfig
    from .toy import draw_toy_state

    steps = 100 if smoke else 3000
    settings = [("equal learning rates (1e-3)", 1e-3), ("G ten times slower (1e-4)", 1e-4)]
    fig = Figure(figsize=(7.2, 3.9), layout="constrained")
    axes = fig.subplots(1, 2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same run, bit for bit, on every machine with this torch
    try:
        for ax, (label, lr_G) in zip(axes, settings):
            gan = ToyGAN(ring(), ToyGANConfig(steps=steps, lr_G=lr_G, seed=0)).train()
            unused = [fig.add_axes((0, 0, 0.01, 0.01)) for _ in range(2)]  # the z-grid and loss panels
            draw_toy_state([ax, *unused], gan)
            for extra in unused:
                fig.delaxes(extra)
            ax.set_title(f"{label}\n{ax.get_title().splitlines()[0]}", fontsize=9)
    finally:
        torch.set_num_threads(threads)
    return figure_png(fig, dpi=80)


def _digit_grid(name: str, smoke: bool, path: Path) -> None:
    from ..recipes import RECIPES

    recipe = RECIPES[name]
    n, nrow = (16, 4) if smoke else (64, 8)
    images, _ = recipe.generate(recipe.load_pretrained("cpu"), n, seed=0)
    save_grid(images.clamp(-1, 1), path, nrow=nrow, scale=2)


def _cgan_digits(smoke: bool, path: Path) -> None:
    from ..recipes import cgan
    from .cgan import class_style_grid

    n_styles = 2 if smoke else 8
    G = cgan.load_pretrained("cpu")
    grid = class_style_grid(G, n_styles=n_styles, seed=0)                  # row r: digit r
    per_z = grid.view(G.n_classes, n_styles, *grid.shape[1:]).transpose(0, 1).reshape(grid.shape)
    save_grid(per_z, path, nrow=G.n_classes, scale=2)                      # column d: digit d


def _latent_panel(smoke: bool) -> bytes:
    from ..recipes import dcgan
    from .latent import LatentExplorer

    explorer = LatentExplorer(dcgan.load_pretrained("cpu"), k=4, seed=LATENT_SEED, n_samples=2 if smoke else 16)
    explorer.set_t(0.5)
    view = [explorer.current_image[None], explorer.path_images]          # what static_png draws
    for amount in torch.linspace(-explorer.max_amount, explorer.max_amount, explorer.n_path + 1).tolist():
        explorer.set_direction(0, amount)                                 # slider "dir 1", redrawn by the panel
        view.append(explorer.current_image[None])
    return grid_png(torch.cat(view), nrow=explorer.n_path + 1, scale=2)


@torch.no_grad()
def _cyclegan_digits(smoke: bool, path: Path) -> None:
    from ..data.digits import mnist_to_rgb32
    from ..data.mnist import load_mnist
    from ..recipes import cyclegan

    model = cyclegan.load_pretrained("cpu")
    x, y = load_mnist(train=False)
    digits = range(3) if smoke else range(10)
    x_A = mnist_to_rgb32(torch.stack([x[(y == d).nonzero()[0, 0]] for d in digits]))
    to_B = model.G_AB(x_A)
    save_grid(torch.cat([x_A, to_B, model.G_BA(to_B)]).clamp(-1, 1), path, nrow=len(x_A), scale=2)


def _test_horses(smoke: bool) -> torch.Tensor:
    """The test horses the strip shows; a missing photo set stops the command with the files' places."""
    from ..data.horse2zebra import load_horse2zebra

    try:
        horses = load_horse2zebra("testA", size=64, download=False)
    except MissingDataError as err:
        raise MissingDataError(
            f"figures: horse2zebra.png and pix2pix.png need the horse2zebra test photos, and no other pictures will do. {err} "
            "Then run `python -m gan_helpers data --horse2zebra` (add `--mirror DIR` offline) and again "
            "`python -m gan_helpers figures`.") from None
    return horses[list(HORSE_ROWS[:2] if smoke else HORSE_ROWS)]


@torch.no_grad()
def _horse2zebra(horses: torch.Tensor, path: Path) -> None:
    from ..checkpoints import load_pretrained
    from ..models.cyclegan import ResnetGenerator
    from ..recipes import horse2zebra

    generators = [load_pretrained(f"horse2zebra_G_AB_e{e:02d}.safetensors", ResnetGenerator).eval()
                  for e in SNAPSHOT_EPOCHS] + [horse2zebra.load_pretrained("cpu").G_AB]
    columns = [horses] + [G(horses) for G in generators]                  # each (rows, 3, 64, 64)
    tiles = torch.stack(columns, dim=1).flatten(0, 1)                       # row by row
    grid = (image_grid(tiles, nrow=len(columns)).clip(0, 1) * 255).astype(np.uint8)
    # Photos compress badly as PNG (about 220 KB here); a 256-colour palette keeps them near
    # 85 KB with no difference visible at this size.
    Image.fromarray(grid).quantize(256).save(path, optimize=True)


@torch.no_grad()
def _pix2pix(horses: torch.Tensor, path: Path) -> None:
    from ..data.pairs import colour_pair, colour_to_rgb
    from ..recipes import pix2pix

    L, ab = colour_pair(horses)                                             # (rows, 1, 64, 64), (rows, 2, 64, 64)
    l1_only = pix2pix.load_pretrained(filename="pix2pix_colour_l1only.safetensors")
    columns = [colour_to_rgb(L, torch.zeros_like(ab)), colour_to_rgb(L, l1_only(L)),
               colour_to_rgb(L, pix2pix.load_pretrained()(L)), horses]
    tiles = torch.stack(columns, dim=1).flatten(0, 1)                       # row by row
    grid = (image_grid(tiles, nrow=len(columns)).clip(0, 1) * 255).astype(np.uint8)
    Image.fromarray(grid).quantize(256).save(path, optimize=True)         # a palette, as horse2zebra's


def make_figures(out: str | Path | None = None, smoke: bool | None = None,
                 only: list[str] | tuple[str, ...] | None = None) -> list[Path]:
    """Draw the pictures named in ``only`` (default all of :data:`NAMES`) into ``out`` (default
    ``docs/img``, or a new temporary folder in smoke mode) and return their paths."""
    smoke = is_smoke() if smoke is None else bool(smoke)
    names = list(NAMES if only is None else only)
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    if out is None and not smoke and not DOCS_IMG.parent.is_dir():
        raise ValueError(f"no docs/ folder at {DOCS_IMG.parent} (the package runs outside its repository): "
                         "give --out DIR")
    if out is None:
        out = tempfile.mkdtemp(prefix="gan-figures-") if smoke else DOCS_IMG
    out = Path(out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    needs_photos = "horse2zebra" in names or "pix2pix" in names
    horses = _test_horses(smoke) if needs_photos else None  # before any work: fail early
    print(f"drawing {len(names)} figure(s) into {out} ({'smoke' if smoke else 'full'} mode)", flush=True)
    written = []
    for name in names:
        t0 = time.perf_counter()
        path = out / f"{name}.png"
        if name == "toy_ring":
            path.write_bytes(_toy_ring(smoke))
        elif name in ("vanilla_digits", "dcgan_digits"):
            _digit_grid(name.split("_")[0], smoke, path)
        elif name == "cgan_digits":
            _cgan_digits(smoke, path)
        elif name == "latent_panel":
            path.write_bytes(_latent_panel(smoke))
        elif name == "cyclegan_digits":
            _cyclegan_digits(smoke, path)
        elif name == "pix2pix":
            _pix2pix(horses, path)
        else:
            _horse2zebra(horses, path)
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValueError(f"{path} is {size:,} bytes, over the {MAX_BYTES:,} a README picture may take")
        print(f"wrote {path} ({size / 1000:.0f} KB, {time.perf_counter() - t0:.1f} s)", flush=True)
        written.append(path)
    return written
