"""Speed figures printed by ``python -m gan_helpers bench`` (``make bench``).

``recipes``: training steps/s of the three shipped MNIST GAN recipes at 1 and 2 threads,
which explains the training time of each shipped file.
``data``: one pass over the 60k MNIST training images as one tensor batched by indexing,
against a plain DataLoader over torchvision's dataset with ToTensor/Normalize. Both are
timed in the same run, since timing on a shared machine is noisy.
"""
from __future__ import annotations

import time

import torch


def bench_data(batch_size: int = 128, device: str = "cpu") -> dict:
    """Seconds for one epoch of batches: indexed tensor vs DataLoader with per-item transforms."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    from ..data.mnist import batches, ensure_mnist, load_mnist
    from ..data.cache import data_root

    ensure_mnist()
    t0 = time.perf_counter()
    x, _ = load_mnist(train=True, device=device)
    t_load = time.perf_counter() - t0

    t0 = time.perf_counter()
    total = 0.0
    for xb in batches(x, batch_size=batch_size):
        total += float(xb[0, 0, 0, 0])  # touch each batch so the work is real
    t_tensor = time.perf_counter() - t0

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    ds = datasets.MNIST(str(data_root()), train=True, download=False, transform=tf)
    t0 = time.perf_counter()
    for xb, _ in DataLoader(ds, batch_size=batch_size, shuffle=True, drop_last=True):
        total += float(xb[0, 0, 0, 0])
    t_loader = time.perf_counter() - t0
    return {"load_s": t_load, "tensor_epoch_s": t_tensor, "dataloader_epoch_s": t_loader,
            "speedup": t_loader / t_tensor}


def bench_recipe(name: str, threads: int, n_steps: int = 40, warmup: int = 10) -> float:
    """Training steps/s of a shipped MNIST GAN recipe (its own ``build``, sizes and loop with the
    weight average) on the CPU with ``threads`` torch threads, on random images (the data
    path is timed by ``bench_data``)."""
    from ..train import mnist as mnist_train
    from ..recipes import RECIPES

    recipe = RECIPES[name]
    cfg = recipe.Config(log_every=0)
    cfg.decay_from = None           # the runs below are a few steps long; the rates do not change the time
    n_classes = getattr(cfg, "n_classes", None)
    torch.manual_seed(0)
    G, D = recipe.build(cfg)
    x = torch.rand(cfg.batch_size * 4, 1, 28, 28) * 2 - 1
    y = torch.randint(0, 10, (len(x),)) if n_classes else None
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        rng = torch.Generator().manual_seed(0)
        cfg.steps = warmup          # first batches, allocator, Adam state
        mnist_train.fit(G, D, cfg, x, rng, y, n_classes)
        cfg.steps = n_steps
        t0 = time.perf_counter()
        mnist_train.fit(G, D, cfg, x, rng, y, n_classes)
        return n_steps / (time.perf_counter() - t0)
    finally:
        torch.set_num_threads(before)


def main(what: str = "all") -> int:
    if what not in {"data", "train", "recipes", "all"}:
        raise ValueError(f"unknown benchmark {what!r}: choose data, train, recipes or all")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if what in {"data", "all"}:
        # Both thread counts: on a busy 2-core machine, 2 intra-op threads wait on each
        # other at every small indexing op, which can cost far more than the work itself.
        default = torch.get_num_threads()
        for threads in sorted({1, default}):
            torch.set_num_threads(threads)
            r = bench_data()
            print(f"MNIST, one pass over 60,000 training images, batch 128, {threads} thread(s):")
            print(f"  load once into one tensor          {r['load_s']:8.2f} s")
            print(f"  indexed batches from that tensor   {r['tensor_epoch_s']:8.3f} s")
            print(f"  DataLoader + ToTensor/Normalize    {r['dataloader_epoch_s']:8.2f} s")
            print(f"  speed-up of the tensor path        {r['speedup']:8.1f} x")
        torch.set_num_threads(default)
    if what in {"train", "all"}:
        try:
            from .train_step import main as train_main
        except ModuleNotFoundError:
            print("training benchmark: not available yet")
        else:
            train_main()
    if what in {"recipes", "all"}:
        print("Training steps/s of the shipped MNIST GAN recipes (their own models and loop with the "
              "weight average, batch 128, CPU):")
        from ..recipes import RECIPES
        for name in ("vanilla", "dcgan", "cgan"):
            rates = {t: bench_recipe(name, t) for t in (1, 2)}
            n = RECIPES[name].Config().steps
            print(f"  {name:8s} 1 thread {rates[1]:6.1f} steps/s | 2 threads {rates[2]:6.1f} steps/s | "
                  f"default {n} steps: {n / max(rates.values()) / 60:5.1f} min at the faster count")
    return 0
