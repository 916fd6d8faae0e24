"""Training-speed figures for notebook 03's MLP GAN (Goodfellow et al. 2014), printed by
``python -m gan_helpers bench train``.

1. Steps/s of notebook 03's loop (all of MNIST as one tensor on the device, batches by
   indexing) against a plain reference loop (torchvision's MNIST in a DataLoader with the
   per-item ToTensor/Normalize transform), with the same G, D and step, in one run and
   interleaved in rounds, since timing on a shared machine is noisy.
2. The effective GFLOP/s of the GAN step (the linear layers' multiply-adds, forward and
   backward, counted exactly) against a large matmul's GFLOP/s measured in the same run.
"""
from __future__ import annotations

import time
from typing import Callable, Iterator

import torch
from torch import nn

from ..train.step import d_step, g_step
from ..models.mlp import MLPDiscriminator, MLPGenerator


def gan_step(G, D, opt_G, opt_D, x_real: torch.Tensor, latent_dim: int) -> None:
    """One D step and one G step of the library (``training.d_step``, ``training.g_step``)."""
    x_fake = G(torch.randn(x_real.shape[0], latent_dim, device=x_real.device))
    d_step(D, opt_D, x_real, x_fake)
    g_step(D, opt_G, x_fake)


def _linears(model: nn.Module) -> list[tuple[int, int]]:
    return [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)]


def gan_step_flops(G: nn.Module, D: nn.Module, batch_size: int) -> int:
    """FLOPs (2 per multiply-add) of the linear layers in one ``gan_step``.

    Per linear layer (in, out) and pass over a batch B: forward 2*B*in*out, weight gradient
    2*B*in*out, input gradient 2*B*in*out (skipped by autograd where the input needs no
    gradient: G's first layer (z) and D's first layer in the D phase, whose inputs are
    x_real and the detached fake). D runs three times (real, detached fake, fake for G).
    Elementwise work (BatchNorm, activations, Adam) is not counted.
    """
    g, d = _linears(G), _linears(D)
    mac = lambda layers: sum(i * o for i, o in layers)  # noqa: E731
    B = batch_size
    fwd = 2 * B * (mac(g) + 3 * mac(d))
    d_phase_bwd = 2 * (2 * B * mac(d) + 2 * B * mac(d[1:]))          # real and detached fake
    g_phase_bwd = 2 * B * mac(d) * 2 + 2 * B * mac(g) + 2 * B * mac(g[1:])
    return fwd + d_phase_bwd + g_phase_bwd


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of a (size x size) @ (size x size) fp32 matmul (best of ``repeats``)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * size ** 3 / best / 1e9


def _tensor_batches(batch_size: int, device) -> Callable[[], Iterator[torch.Tensor]]:
    from ..data.mnist import batches, load_mnist
    x, _ = load_mnist(train=True, device=device)
    return lambda: batches(x, batch_size=batch_size)


def _loader_batches(batch_size: int, device) -> Callable[[], Iterator[torch.Tensor]]:
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    from ..data.cache import data_root
    from ..data.mnist import ensure_mnist
    ensure_mnist()
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    ds = datasets.MNIST(str(data_root()), train=True, download=False, transform=tf)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=True, drop_last=True)
    return lambda: (xb.to(device) for xb, _ in loader)


def bench_train(steps_per_round: int = 50, rounds: int = 3, batch_size: int = 128, latent_dim: int = 64,
                device: str = "cpu") -> dict:
    """Steps/s of both data paths (same models, alternating rounds) and the GFLOP/s figures."""
    from ..train.history import steps as run_steps

    torch.manual_seed(0)
    device = torch.device(device)
    G = MLPGenerator(latent_dim=latent_dim).to(device)
    D = MLPDiscriminator().to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    paths = {"tensor": _tensor_batches(batch_size, device), "loader": _loader_batches(batch_size, device)}
    iters = {k: run_steps(fn, 10 ** 9) for k, fn in paths.items()}
    for k in paths:                          # warm-up: first batches, allocator, Adam state
        for _ in range(5):
            gan_step(G, D, opt_G, opt_D, next(iters[k]), latent_dim)
    seconds = {k: 0.0 for k in paths}
    matmul = []
    for _ in range(rounds):
        matmul.append(matmul_gflops())
        for k in paths:
            t0 = time.perf_counter()
            for _ in range(steps_per_round):
                gan_step(G, D, opt_G, opt_D, next(iters[k]), latent_dim)
            seconds[k] += time.perf_counter() - t0
    n = steps_per_round * rounds
    flops = gan_step_flops(G, D, batch_size)
    sps = {k: n / s for k, s in seconds.items()}
    return {"threads": torch.get_num_threads(), "batch_size": batch_size, "steps": n,
            "tensor_steps_per_s": sps["tensor"], "loader_steps_per_s": sps["loader"],
            "speedup": sps["tensor"] / sps["loader"], "step_gflop": flops / 1e9,
            "step_gflops": flops * sps["tensor"] / 1e9, "matmul_gflops": max(matmul)}


def main(steps_per_round: int = 50, rounds: int = 3) -> dict:
    r = bench_train(steps_per_round, rounds)
    print(f"Notebook 03 MLP GAN step (G 64-256-512-1024-784 with BatchNorm, D 784-512-256-1), "
          f"batch {r['batch_size']}, {r['steps']} steps per path in {rounds} alternating rounds, "
          f"{r['threads']} threads:")
    print(f"  MNIST as one tensor, indexed batches   {r['tensor_steps_per_s']:8.1f} steps/s")
    print(f"  DataLoader + ToTensor/Normalize        {r['loader_steps_per_s']:8.1f} steps/s")
    print(f"  speed-up of the tensor path            {r['speedup']:8.2f} x")
    print(f"  linear-layer work per step             {r['step_gflop']:8.2f} GFLOP (forward + backward)")
    print(f"  effective rate of the GAN step         {r['step_gflops']:8.1f} GFLOP/s")
    print(f"  2048x2048 matmul in the same run       {r['matmul_gflops']:8.1f} GFLOP/s "
          f"(the step reaches {r['step_gflops'] / r['matmul_gflops']:.0%} of it)")
    return r
