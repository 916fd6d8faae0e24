"""MNIST-FID of DDPM checkpoints against the shipped DCGAN, the same protocol for each (notebook 10
and docs/results.md, lesson 10): ``--n`` samples drawn with seed 0 (the DDPM by DDIM, 50 steps,
x0_hat clipped: ``recipes.ddpm.generate``), scored by ``metrics.mnist.evaluate_generator``.

    python tools/ddpm_scores.py data/runs/ddpm/trial.safetensors data/pretrained/ddpm_mnist.safetensors --n 2000
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time

import torch

from gan_helpers.checkpoints import load_checkpoint, read_metadata
from gan_helpers.metrics.mnist import evaluate_generator, format_report
from gan_helpers.models.ddpm import DDPMUNet
from gan_helpers.recipes import dcgan, ddpm


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoints", nargs="+", help="DDPM checkpoint files (safetensors)")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--steps", type=int, default=50, help="DDIM steps")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    print("command: python tools/ddpm_scores.py " + shlex.join(argv), flush=True)
    x, _ = dcgan.generate(dcgan.load_pretrained(), a.n, seed=0)
    print(f"| shipped DCGAN | - | {format_report(evaluate_generator(x, None, n=a.n))} |", flush=True)
    for path in a.checkpoints:
        steps = read_metadata(path)["extra"].get("steps")
        t0 = time.perf_counter()
        x, _ = ddpm.generate(load_checkpoint(path, DDPMUNet), a.n, seed=0, steps=a.steps)
        r = evaluate_generator(x, None, n=a.n)
        print(f"| {path} | {steps} | {format_report(r)} | {time.perf_counter() - t0:.0f} s |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
