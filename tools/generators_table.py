"""Lesson 10's table, measured in one run: every shipped MNIST generator and the DDPM (DDIM and the
full chain) on MNIST-FID, KID, precision, recall, density, coverage, CAS (the conditional G),
parameters, training time and milliseconds per sample (``gan_helpers.bench.generators``).
Writes data/tables/generators.json (which notebook 10 prints) and prints the table.

    python tools/generators_table.py --n 1000 --threads 1
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time

import torch

from gan_helpers.bench.generators import measure, save_table, table_text


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000, help="samples per generator (and real test digits)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cas-n", type=int, default=10000, help="samples (and real digits) that train a CAS classifier")
    p.add_argument("--cas-steps", type=int, default=1400, help="training steps of each CAS classifier (0: skip)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None, help="JSON path (default data/tables/generators.json)")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    command = "python tools/generators_table.py " + shlex.join(argv)
    print("command: " + command, flush=True)
    t0 = time.perf_counter()
    table = measure(a.n, a.seed, a.cas_n, a.cas_steps, log=lambda m: print(m, flush=True))
    table["command"] = command
    table["seconds"] = time.perf_counter() - t0
    print(f"wrote {save_table(table, a.out)} ({table['seconds']:.0f} s)\n")
    print(table_text(table))


if __name__ == "__main__":
    main(sys.argv[1:])
