"""Classification Accuracy Score (Ravuri and Vinyals 2019) of the shipped conditional GAN and its
samples as data augmentation (issue 37; notebook 09 explains both).

For each seed, every classifier gets the same number of training steps (equal compute) and is
tested on the 10,000 real MNIST test digits:
  (a) CAS: trained on ``--n`` cGAN samples (balanced labels) vs on ``--n`` real training digits
      (a seeded random subset);
  (b) augmentation: trained on ``--few`` real digits (balanced, seeded) vs the same few plus the
      ``--n`` cGAN samples.
Prints the command, one markdown row per seed and the mean +- standard deviation over seeds.

    python tools/cas_table.py --seeds 3 --n 10000 --steps 1400 --few 300
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time

import torch

from gan_helpers.data.mnist import load_mnist
from gan_helpers.metrics.cas import classification_accuracy_score, conditional_samples, subset
from gan_helpers.recipes.cgan import load_pretrained

COLUMNS = ("cGAN samples (CAS)", "real digits", "few real", "few real + cGAN")


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..seeds-1 (samples, subsets, training)")
    p.add_argument("--n", type=int, default=10000, help="cGAN samples and real digits in (a)")
    p.add_argument("--steps", type=int, default=1400, help="training steps of every classifier")
    p.add_argument("--few", type=int, default=300, help="real digits in (b)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    print("command: python tools/cas_table.py " + shlex.join(argv), flush=True)
    G = load_pretrained()
    x_train, y_train = load_mnist(train=True)
    x_test, y_test = load_mnist(train=False)
    rows = []
    print(f"\n| seed | {' | '.join(COLUMNS)} | time |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for seed in range(args.seeds):
        t0 = time.perf_counter()
        x_fake, y_fake = conditional_samples(G, args.n, G.latent_dim, seed)
        real = subset(y_train, args.n, seed)
        few = subset(y_train, args.few, seed, balanced=True)
        sets = [(x_fake, y_fake), (x_train[real], y_train[real]), (x_train[few], y_train[few]),
                (torch.cat([x_train[few], x_fake]), torch.cat([y_train[few], y_fake]))]
        accs = [classification_accuracy_score(x, y, x_test, y_test, args.steps, seed=seed) for x, y in sets]
        rows.append(accs)
        cells = " | ".join(f"{100 * a:.2f}%" for a in accs)
        print(f"| {seed} | {cells} | {time.perf_counter() - t0:.0f} s |", flush=True)
    t = 100 * torch.tensor(rows, dtype=torch.float64)
    sd = t.std(0) if len(rows) > 1 else torch.zeros(len(COLUMNS), dtype=torch.float64)
    cells = " | ".join(f"{m:.2f} ± {s:.2f}%" for m, s in zip(t.mean(0), sd))
    print(f"| mean ± sd | {cells} | |")


if __name__ == "__main__":
    main(sys.argv[1:])
