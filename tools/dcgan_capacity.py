"""Lesson 04's capacity factorial: one hidden fully connected layer in G (yes/no) crossed with
one in D (yes/no), everything else the DCGAN recipe's settings (``gan_helpers.recipes.dcgan``:
Radford et al. 2015's Adam and init, batch 128, z of 64, non-saturating loss, G's weights
averaged as in Yazici et al. 2019). Writes one JSON line per evaluation; docs/results.md
(lesson 04) holds the table and the reading.

    python tools/dcgan_capacity.py --g fc --d conv --seed 0 --steps 1000 --cpu-budget 900 --threads 2

``--g fc`` is the InfoGAN-shaped G (z -> FC 1024 -> FC 128x7x7 -> 64@14 -> 1@28), ``--g conv``
the all-convolutional G of width 32 (z -> 7x7 transposed conv to 128x7x7 -> 64@14 -> 1@28):
the same conv stack. ``--d fc``: 64@14 -> 128@7 -> FC 1024 -> 1; ``--d conv``: 64@14 -> 128@7
-> 7x7 conv -> 1. Scores (MNIST-FID of the raw and the averaged G, confident share) are taken
at ``--steps`` (equal steps) and, when ``--cpu-budget`` is larger than the CPU seconds those
steps took, again once training has used that many CPU seconds (equal CPU time). CPU seconds
are the process's CPU time spent in training steps only (all threads; evaluations excluded).
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from gan_helpers.data.mnist import batches, load_mnist
from gan_helpers.device import seed_everything
from gan_helpers.metrics.mnist import evaluate_generator
from gan_helpers.recipes import dcgan
from gan_helpers.train.average import EMA
from gan_helpers.train.history import steps as endless
from gan_helpers.train.mnist import averaged_generator, generate_unconditional
from gan_helpers.train.step import d_step, g_step


def config(g: str, d: str, seed: int) -> dcgan.Config:
    """The recipe's Config for one cell of the factorial (G width 32 without its FC layer, so
    both Gs have 128 maps at 7x7 and 64 at 14x14)."""
    return dcgan.Config(seed=seed, g_fc_units=1024 if g == "fc" else 0, d_fc_units=1024 if d == "fc" else 0,
                        g_channels=64 if g == "fc" else 32, d_channels=64)


def score(G, n: int) -> dict:
    images, _ = generate_unconditional(G, n, seed=0)
    r = evaluate_generator(images, n=n)
    return {"fid": round(r["fid"], 2), "confident": round(r["confident"], 4), "covered": r["covered"]}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--g", choices=("fc", "conv"), required=True)
    ap.add_argument("--d", choices=("fc", "conv"), required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=1000, help="the equal-steps reading")
    ap.add_argument("--cpu-budget", type=float, default=0.0, help="CPU seconds for the equal-time reading")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-n", type=int, default=5000)
    ap.add_argument("--max-steps", type=int, default=20000, help="stop here even if the budget is not spent")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = config(args.g, args.d, args.seed)
    torch.manual_seed(cfg.seed)                       # the initial weights, as the recipe does
    G, D = dcgan.build(cfg)
    rng = seed_everything(cfg.seed)
    x_all, _ = load_mnist(train=True)
    opt_G = torch.optim.Adam(G.parameters(), lr=cfg.lr_G, betas=(cfg.beta1, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=cfg.lr_D, betas=(cfg.beta1, 0.999))
    ema = EMA(G, cfg.ema_decay)
    params = {"G": sum(p.numel() for p in G.parameters()), "D": sum(p.numel() for p in D.parameters())}
    cpu = wall = 0.0
    d_x = d_gz = 0.0
    G.train(), D.train()

    def report(step: int, reading: str) -> None:
        G.eval()
        row = {"g": args.g, "d": args.d, "seed": args.seed, "step": step, "reading": reading,
               "cpu_s": round(cpu, 1), "wall_s": round(wall, 1), "threads": args.threads, **params,
               "D_x": round(d_x, 3), "D_G_z": round(d_gz, 3),
               "raw": score(G, args.eval_n), "ema": score(averaged_generator(ema, G, "cpu", None), args.eval_n)}
        print(json.dumps(row), flush=True)
        G.train()

    data = endless(lambda: batches(x_all, batch_size=cfg.batch_size, generator=rng), args.max_steps)
    for step, x_real in enumerate(data, start=1):
        c0, w0 = time.process_time(), time.perf_counter()
        z = torch.randn(cfg.batch_size, cfg.latent_dim)
        x_fake = G(z)
        out = d_step(D, opt_D, x_real, x_fake)
        g_step(D, opt_G, x_fake)
        ema.update(G)
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        d_x = 0.99 * d_x + 0.01 * float(out["D_x"]) if step > 1 else float(out["D_x"])
        d_gz = 0.99 * d_gz + 0.01 * float(out["D_G_z"]) if step > 1 else float(out["D_G_z"])
        if step % 100 == 0:
            print(f"step {step} cpu {cpu:.0f} s wall {wall:.0f} s D(x) {d_x:.2f} D(G(z)) {d_gz:.2f}", flush=True)
        if step == args.steps:
            report(step, "equal steps")
            if cpu >= args.cpu_budget:
                break
        elif step > args.steps and cpu >= args.cpu_budget:
            report(step, "equal CPU time")
            break


if __name__ == "__main__":
    main()
