"""Recipe for the digit reader of domain B (notebook 08's CycleGAN, Zhu et al. 2017): a
small CNN trained on printed digits freshly rendered by ``gan_helpers.data.digits`` at every
step and, for a share of each batch, MNIST training digits painted in domain B's colours
(``paint_mnist``). Why both: a translation A -> B that keeps the handwritten strokes and
changes only colours is a *correct* translation, and a reader that only ever saw fonts
misreads many of them (measured: 71% of 2,000 painted MNIST test digits read right by the print-only
reader). Tested on held-out renders and on painted MNIST *test* digits.

    python -m gan_helpers train digits_classifier --threads 1 --ship

Writes ``data/pretrained/digits_classifier.safetensors`` and records its sha256.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .classifier import accuracy  # share of (N, C, H, W) images read as their labels
from .contract import RecipeResult, output_path, prepare, run_info, save_model
from ..data.mnist import load_mnist
from ..data.digits import paint_mnist, render_digits
from ..models.classifier_digits import FILENAME, DigitClassifier32


@dataclass
class Config:
    channels: int = 32          # conv widths c, 2c, 4c
    dropout: float = 0.3
    steps: int = 1500           # each step sees a fresh batch of rendered digits
    batch_size: int = 128
    lr: float = 2e-3            # Adam peak rate, one-cycle schedule
    neighbours: float = 0.3     # as in the CycleGAN's domain B
    mnist_share: float = 0.5    # share of each batch that is MNIST handwriting painted like domain B
    test_n: int = 5000          # held-out rendered digits (another seed)
    seed: int = 0
    device: str | None = None   # "cpu", "cuda", ... (None: the best available)
    threads: int | None = None  # torch CPU threads (None: torch's default)
    min_accuracy: float = 0.98  # refuse to save a weaker classifier
    out: str | None = None      # checkpoint path (None: a new folder data/runs/digits_classifier-<time>/)
    ship: bool = False          # write into data/pretrained and SHA256SUMS


def train(cfg: Config) -> RecipeResult:
    """Train on fresh renders, test on held-out renders, save the checkpoint (see ``recipes.contract``)."""
    if not 0.0 <= cfg.mnist_share < 1.0:
        raise ValueError(f"mnist_share is a fraction in [0, 1), got {cfg.mnist_share}")
    path = output_path(cfg, "digits_classifier", FILENAME)
    device, _ = prepare(cfg)
    x_test, y_test = render_digits(cfg.test_n, seed=999_999, neighbours=cfg.neighbours, device=device)
    x_m, y_m = load_mnist(train=True)
    x_mt, y_mt = load_mnist(train=False)
    x_mt, y_mt = paint_mnist(x_mt[:cfg.test_n], seed=999_998).to(device), y_mt[:cfg.test_n].to(device)
    n_m = round(cfg.batch_size * cfg.mnist_share)
    rng = torch.Generator().manual_seed(cfg.seed)
    clf = DigitClassifier32(channels=cfg.channels, dropout=cfg.dropout).to(device)
    opt = torch.optim.Adam(clf.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps)
    t0 = time.perf_counter()
    clf.train()
    for step in range(cfg.steps):
        xb, yb = render_digits(cfg.batch_size - n_m, seed=cfg.seed * 1_000_003 + step, neighbours=cfg.neighbours,
                               device=device)
        if n_m:
            idx = torch.randint(0, len(x_m), (n_m,), generator=rng)
            xb = torch.cat([xb, paint_mnist(x_m[idx], seed=cfg.seed * 1_000_003 + step).to(device)])
            yb = torch.cat([yb, y_m[idx].to(device)])
        loss = F.cross_entropy(clf(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % 250 == 0:
            print(f"step {step + 1}/{cfg.steps}: loss {loss.item():.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    clf.eval()
    acc = accuracy(clf, x_test, y_test)
    acc_m = accuracy(clf, x_mt, y_mt)
    print(f"held-out accuracy: printed {acc:.4f}, painted MNIST test digits {acc_m:.4f}")
    if min(acc, acc_m) < cfg.min_accuracy:
        raise RuntimeError(f"held-out accuracy {min(acc, acc_m):.4f} is below {cfg.min_accuracy}: not saving")
    info = run_info(cfg, "digits_classifier", device, time.perf_counter() - t0, test_accuracy=acc,
                    test_accuracy_painted_mnist=acc_m)
    digest = save_model(clf.cpu(), path, info)
    return RecipeResult(clf, path, digest, info, {"main": path})
