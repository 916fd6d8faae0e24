"""The skeleton the three MNIST GAN recipes share (``vanilla``, ``dcgan``, ``cgan``; notebooks
03-05): their common Config fields, ``train_recipe`` (build, train with
:func:`gan_helpers.train.mnist.fit`, score the raw and the averaged G, write both checkpoints)
and the loader of a shipped generator.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..train.mnist import GANSchedule, averaged_generator, check_schedule, fit
from .contract import RecipeResult, output_path, prepare, run_info, save_model


def load_shipped_generator(cls: type, filename: str, raw_filename: str | None, device="cpu",
                           raw: bool = False) -> nn.Module:
    """A shipped generator (sha256 checked) in eval mode on ``device``: the averaged G, or with
    ``raw=True`` the last training iterate of the same run (shipped for the vanilla GAN only;
    ``raw_filename`` None means the recipe does not ship it)."""
    from ..checkpoints import load_pretrained
    if raw and raw_filename is None:
        raise ValueError(f"the last training iterate of {filename} is not shipped (only the averaged G is); "
                         "train the recipe without --ship to get both")
    return load_pretrained(raw_filename if raw else filename, cls, map_location=device)


@dataclass
class MNISTGANConfig(GANSchedule):
    """Fields every MNIST GAN recipe has besides the schedule (recipes subclass this)."""
    seed: int = 0              # seeds z, the batch order and the init
    limit: int | None = None   # use only the first N training images (None: all 60,000)
    device: str | None = None  # "cpu", "cuda", ... (None: the best available)
    threads: int | None = None  # torch CPU threads (None: torch's default)
    eval_n: int = 10000        # samples for MNIST-FID and the other scores (0: skip the evaluation)
    out: str | None = None     # checkpoint path (None: a new folder data/runs/<recipe>-<time>/)
    resume: str | None = None  # training-state file: saved every 500 steps, resumed from when present
    ship: bool = False         # write into data/pretrained and SHA256SUMS (the shipped files)


def train_recipe(cfg: MNISTGANConfig, recipe: str, filename: str, build, generate,
                 n_classes: int | None = None, ship_raw: bool = True):
    """The skeleton the three MNIST GAN recipes share: ``build(cfg) -> (G, D)`` from
    ``cfg.seed``, load MNIST, :func:`fit`, score the raw
    and the averaged G on ``cfg.eval_n`` samples (``generate(G, n, seed)``), write the main
    checkpoint (the averaged G when ``cfg.ema_decay`` is set) and the raw G beside it as
    ``<name>_raw.safetensors`` (with ``--ship``, only when ``ship_raw``: a notebook shows the
    last iterate of that recipe). Shipped files are stored in int8 (``checkpoint_storage``). Returns a :class:`~gan_helpers.recipes.contract.RecipeResult`."""
    from ..data.mnist import load_mnist

    check_schedule(cfg)
    if cfg.eval_n and cfg.eval_n < 2:
        raise ValueError(f"eval_n must be 0 (skip) or at least 2, got {cfg.eval_n}")
    path = output_path(cfg, recipe, filename)   # checked before any work is done
    torch.manual_seed(cfg.seed)                 # the initial weights
    G, D = build(cfg)
    device, rng = prepare(cfg)
    x_all, y_all = load_mnist(train=True, device=device, limit=cfg.limit)
    G.to(device), D.to(device)

    def score(model: nn.Module) -> dict:
        from ..metrics.mnist import evaluate_generator
        images, labels = generate(model, cfg.eval_n, 0, device)
        r = evaluate_generator(images, labels, n=cfg.eval_n)
        keep = ("n", "fid", "fid_floor", "covered", "confident", "label_accuracy", "per_class")
        return {k: r[k] for k in keep if k in r}

    def progress(step, G_now, ema):
        from ..metrics.mnist import format_report
        if not cfg.eval_n:
            return
        print(f"  eval at step {step}: raw G {format_report(score(G_now.eval()))}", flush=True)
        if ema is not None:
            avg = averaged_generator(ema, G_now, device, n_classes)
            print(f"  eval at step {step}: EMA G {format_report(score(avg))}", flush=True)

    hist, ema, seconds = fit(G, D, cfg, x_all, rng, y_all if n_classes else None, n_classes, evaluate=progress,
                             state_path=cfg.resume)
    G.eval()
    final = averaged_generator(ema, G, device, n_classes) if ema is not None else G
    info = run_info(cfg, recipe, device, seconds, steps=cfg.steps,
                    epochs=round(cfg.steps * cfg.batch_size / len(x_all), 2),
                    final_loss_D=hist.last("loss_D", 100), final_loss_G=hist.last("loss_G", 100),
                    averaged=ema is not None, ema_decay=cfg.ema_decay)
    raw_metrics = avg_metrics = None
    if cfg.eval_n:
        from ..metrics.mnist import format_report
        raw_metrics = score(G)
        print(f"raw G:      {format_report(raw_metrics)}")
        if ema is not None:
            avg_metrics = score(final)
            print(f"averaged G: {format_report(avg_metrics)}")
    files = {}
    if ema is not None:
        if ship_raw or not cfg.ship:
            raw_path = path.with_name(path.stem + "_raw" + path.suffix)
            save_model(G.cpu(), raw_path, {**info, "averaged": False, "metrics": raw_metrics}, torch.int8)
            files["raw"] = raw_path
        info.update(metrics=avg_metrics, raw_metrics=raw_metrics)
    else:
        info["metrics"] = raw_metrics
    final = final.cpu().eval()
    digest = save_model(final, path, info, torch.int8)
    files["main"] = path
    print(f"trained in {seconds:.0f} s on {device}")
    return RecipeResult(final, path, digest, info, files)
