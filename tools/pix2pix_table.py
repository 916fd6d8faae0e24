"""The pix2pix ablation table of docs/results.md (issue 36; notebook 07 prints the same rows).

Scores every shipped pix2pix colouriser on the 260 horse2zebra test photos with
``metrics.paired.paired_report`` and prints a markdown table: L1 to the true ab, photo-KID x 10^3
(+- bootstrap standard error) against the real test photos, mean chroma, ab-histogram overlap,
training steps and CPU time as recorded in each file, and the command stored in the file.
Extra checkpoints (e.g. other seeds) can be given as paths: they are scored the same way.

    python tools/pix2pix_table.py [extra.safetensors ...]
"""
from __future__ import annotations

import sys

import torch

from gan_helpers.checkpoints import load_checkpoint
from gan_helpers.data.pairs import colour_pair
from gan_helpers.metrics.kid import KID_SCALE
from gan_helpers.metrics.paired import paired_report
from gan_helpers.models.pix2pix import UNetGenerator
from gan_helpers.recipes import pix2pix as recipe

SHIPPED = {"L1 + cGAN (shipped, 16,000 steps)": "pix2pix_colour.safetensors",
           "L1 + cGAN": "pix2pix_colour_short.safetensors", "L1 only": "pix2pix_colour_l1only.safetensors",
           "cGAN only": "pix2pix_colour_ganonly.safetensors", "no skips": "pix2pix_colour_noskip.safetensors",
           "1x1 D": "pix2pix_colour_pixel.safetensors", "16 px D": "pix2pix_colour_patch16.safetensors",
           "whole-image D": "pix2pix_colour_whole.safetensors"}


def main(extra: list[str]) -> None:
    torch.set_num_threads(1)
    test = recipe.load_photos("test", 64)
    x, y = colour_pair(test)
    floor = recipe.load_photos("train", 64, limit=130)
    models = {name: recipe.load_pretrained(filename=f) for name, f in SHIPPED.items()}
    models.update({p: load_checkpoint(p, UNetGenerator) for p in extra})
    print("| model | L1 | photo-KID x 10^3 | chroma | ab overlap | steps | CPU time | command |")
    print("|---|---|---|---|---|---|---|---|")
    ref = None
    for name, G in models.items():
        r = paired_report(G, "colour", x, y, reference=floor)
        ref = ref or r
        rec = G.checkpoint_extra
        print(f"| {name} | {r['l1']:.4f} | {r['kid'] * KID_SCALE:,.0f} ± {r['kid_sd'] * KID_SCALE:,.0f} | "
              f"{r['chroma']:.1f} | {r['ab_overlap']:.3f} | {rec['steps']:,} | {rec['train_seconds'] / 60:.1f} min | "
              f"`{rec['command']}` |")
    print(f"| grey inputs (ab = 0) | - | {ref['kid_input'] * KID_SCALE:,.0f} | 0.0 | - | - | - | - |")
    print(f"| real training photos (130 + 130) | - | {ref['kid_floor'] * KID_SCALE:,.0f} | - | - | - | - | - |")
    print(f"| real test photos | 0 | - | {ref['chroma_real']:.1f} | 1.000 | - | - | - |")


if __name__ == "__main__":
    main(sys.argv[1:])
