"""Lesson 09's table over several sample seeds: every shipped MNIST generator against real test
digits, MNIST-FID, KID (x 10^3, disjoint parts), precision, recall, density and coverage, as mean
+- standard deviation over ``--seeds`` draws of samples (the generators are fixed: this is the
sampling noise of the scores, not the spread over training runs).

    python tools/prdc_table.py --seeds 3 --n 10000
"""
from __future__ import annotations

import argparse
import statistics
import sys

import torch

from gan_helpers.data.mnist import load_mnist
from gan_helpers.metrics.kid import KID_SCALE, kid_from_features
from gan_helpers.metrics.mnist import classifier_features, frechet_distance, load_classifier
from gan_helpers.metrics.prdc import prdc
from gan_helpers.recipes import cgan, dcgan, games, vanilla

GENERATORS = {"03 MLP GAN": vanilla, "04 DCGAN": dcgan, "05 conditional GAN": cgan, "06 MLP NS GAN (short run)": games}
COLUMNS = ("FID", "KID", "precision", "recall", "density", "coverage")


def scores(f: torch.Tensor, f_real: torch.Tensor) -> dict:
    k, _ = kid_from_features(f, f_real)
    return {"FID": frechet_distance(f, f_real), "KID": k * KID_SCALE, **prdc(f_real, f)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    print("command: python tools/prdc_table.py " + " ".join(sys.argv[1:] if argv is None else argv))
    clf = load_classifier()
    x_test, _ = load_mnist(train=False)
    x_train, _ = load_mnist(train=True)
    f_real = classifier_features(clf, x_test[:a.n])
    rows: dict[str, list[dict]] = {"real training digits": []}
    for seed in range(a.seeds):
        pick = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(seed))[:a.n]
        rows["real training digits"].append(scores(classifier_features(clf, x_train[pick]), f_real))
        for name, recipe in GENERATORS.items():
            x = recipe.generate(recipe.load_pretrained(), a.n, seed=seed)[0]
            rows.setdefault(name, []).append(scores(classifier_features(clf, x), f_real))
        print(f"seed {seed} done", flush=True)
    print(f"\n| N = {a.n:,}, {a.seeds} sample seeds | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for name, rs in rows.items():
        cells = []
        for c in COLUMNS:
            v = [r[c] for r in rs]
            fmt = "{:.2f}" if c == "FID" else "{:.0f}" if c == "KID" else "{:.3f}"
            sd = statistics.stdev(v) if len(v) > 1 else 0.0
            cells.append(f"{fmt.format(statistics.mean(v))} ± {fmt.format(sd)}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
