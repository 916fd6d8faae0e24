"""Which paired task a 64 px CPU pix2pix learns to a recognisable result (issue 36; notebook 07).

Draws the same eight test photos through the two 3,000-step models the recipe trained:

    python -m gan_helpers train pix2pix --threads 1 --steps 3000 --task edges --out data/runs/p2p/pix2pix_edges_short.safetensors
    python -m gan_helpers train pix2pix --threads 1 --steps 3000 --tag short --ship

and writes docs/img/results/pix2pix_task_choice.png (edges in, edges -> photo, grey in, colourised, real).
    python tools/pix2pix_task_choice.py
"""
from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from gan_helpers.checkpoints import load_checkpoint
from gan_helpers.metrics.paired import make_pairs, to_rgb
from gan_helpers.models.pix2pix import UNetGenerator
from gan_helpers.plotting import show_images
from gan_helpers.recipes import pix2pix as recipe


def main(edges_file: str = "data/runs/p2p/pix2pix_edges_short.safetensors",
         out: str = "docs/img/results/pix2pix_task_choice.png") -> None:
    test = recipe.load_photos("test", 64)
    pick = torch.tensor([3, 25, 40, 77, 100, 140, 190, 230])
    G_edges = load_checkpoint(edges_file, UNetGenerator)
    G_colour = recipe.load_pretrained(filename="pix2pix_colour_short.safetensors")
    with torch.no_grad():
        xe, _ = make_pairs("edges", test[pick])
        xc, yc = make_pairs("colour", test[pick])
        rows = [(xe.expand(-1, 3, -1, -1), "edges input"), (to_rgb("edges", xe, G_edges(xe)), "edges -> photo, 3,000 steps"),
                (to_rgb("colour", xc, torch.zeros_like(yc)), "grey input"),
                (to_rgb("colour", xc, G_colour(xc)), "colourised, 3,000 steps"), (test[pick], "real")]
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 6))
    for ax, (img, title) in zip(axes, rows):
        show_images(img, nrow=8, ax=ax, title=title)
    plt.tight_layout()
    import io

    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    # a 256-colour palette, as the README's photo strips: a third of the size, no visible difference
    Image.open(buf).convert("RGB").quantize(256).save(out, optimize=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
