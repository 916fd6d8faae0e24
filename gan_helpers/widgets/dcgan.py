"""FailureGallery: ways a DCGAN (Radford et al. 2015) goes wrong, each trained briefly next to
a baseline and shown with its loss curves, D outputs and samples, and scored on what D's
numbers cannot show: how many digits the samples cover and how far they are from real ones
(notebook 04).

Modes: the baseline (the paper's guidelines), no batch norm in either network, a learning
rate 25 times the paper's (over a short run a *faster start*, not a failure: its name says
so), a discriminator much stronger than the generator (8x the channels of a 4x thinner G,
with a 5x learning rate), and a mode collapse (G's learning rate 10x D's with Adam beta1 0.9:
G draws a few shapes and covers fewer digits, while D's outputs look balanced). The collapse
setting was found by short runs (300 steps, seed 0): a 5x rate for both networks with beta1 0.9
gave noise that D rejects, and a latent of size 1 or 2 also collapsed but limits G's capacity
rather than showing a failure of the game. Headless use (tests): ``gallery.run("no
batch norm")`` or set ``gallery.mode.value`` and click ``gallery.run_button``; read
``gallery.results[name]`` (and ``["scores"]`` when the gallery has a classifier).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..train.mnist import GANSchedule, fit
from ..models.blocks import weights_init
from ..models.dcgan import Discriminator, Generator
from ..plotting import figure_png


@dataclass
class FailureMode:
    name: str
    description: str            # what to look for, shown above the plots
    batch_norm: bool = True     # guideline 2 on or off (both networks)
    g_channels_factor: float = 1.0   # G's base channels = base * factor
    d_channels_factor: float = 1.0   # D's base channels = base * factor
    lr_G: float = 2e-4
    lr_D: float = 2e-4
    beta1: float = 0.5          # Adam beta1 (beta2 is 0.999)


def failure_modes() -> list[FailureMode]:
    """The baseline and the four other settings of notebook 04's gallery."""
    return [
        FailureMode("baseline", "Radford et al.'s settings: batch norm, lr 2e-4, beta1 0.5, balanced G and D."),
        FailureMode("no batch norm", "Batch norm removed from G and D (guideline 2 broken).", batch_norm=False),
        FailureMode("lr x25 (fast start)", "Adam lr 5e-3 for both networks instead of 2e-4. Over a short run "
                    "this is a faster start, not a failure: compare the scores, not only D(G(z)).",
                    lr_G=5e-3, lr_D=5e-3),
        FailureMode("D much stronger", "D has 8x the channels of a 4x thinner G and a 5x learning rate.",
                    g_channels_factor=0.25, d_channels_factor=2.0, lr_D=1e-3),
        FailureMode("mode collapse", "G's learning rate 10x D's (2e-3) and Adam beta1 0.9 (the paper: 0.5): "
                    "G ends up drawing a few shapes, covering fewer digits, while D(x) and D(G(z)) stay "
                    "near 0.5.", lr_G=2e-3, beta1=0.9),
    ]


def tail_means(history: dict, n: int = 50) -> dict:
    """Mean of the last ``n`` logged values of every curve in ``history`` (a dict of lists)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return {k: sum(v[-n:]) / len(v[-n:]) for k, v in history.items() if v}


def run_mode(mode: FailureMode, x_real_all: torch.Tensor, n_steps: int = 300, base_channels: int = 16,
             latent_dim: int = 64, batch_size: int = 64, seed: int = 0, n_samples: int = 32,
             device: str | torch.device = "cpu") -> dict:
    """Train a fresh G and D under ``mode`` for ``n_steps`` on images (N, 1, 28, 28) in [-1, 1].

    Returns ``{"history": {loss_D, loss_G, D_x, D_G_z: lists}, "samples": (n_samples, 1, 28, 28),
    "seconds": float, "G": the trained G in eval mode}``; the same seed gives every mode the
    same init noise, batches and z.
    """
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    if x_real_all.ndim != 4 or tuple(x_real_all.shape[1:]) != (1, 28, 28):
        raise ValueError(f"x_real_all must be (N, 1, 28, 28), got {tuple(x_real_all.shape)}")
    device = torch.device(device)
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    G = Generator(latent_dim, max(1, round(base_channels * mode.g_channels_factor)), batch_norm=mode.batch_norm).to(device)
    D = Discriminator(max(1, round(base_channels * mode.d_channels_factor)), batch_norm=mode.batch_norm).to(device)
    G.apply(weights_init)
    D.apply(weights_init)
    z_fixed = torch.randn(n_samples, latent_dim, generator=rng).to(device)
    sched = GANSchedule(steps=n_steps, batch_size=batch_size, lr_G=mode.lr_G, lr_D=mode.lr_D,
                        beta1=mode.beta1, ema_decay=None, log_every=0)
    hist, _, seconds = fit(G, D, sched, x_real_all.to(device), rng)  # the recipes' loop and step
    G.eval()
    with torch.no_grad():
        samples = G(z_fixed).cpu()
    return {"history": hist.as_dict(), "samples": samples, "seconds": seconds, "G": G}


@torch.no_grad()
def score_run(result: dict, clf, n: int = 1000, seed: int = 1) -> dict:
    """What D's outputs cannot show, measured on ``n`` fresh samples of the run's G with the
    MNIST classifier ``clf`` (``gan_helpers.metrics``): ``covered`` digits (share >= 2%),
    ``top_share`` (the most frequent digit's share: 0.1 for an even spread, 1.0 for a total
    collapse), ``confident`` share, ``fid`` (MNIST-FID at this n; compare only runs with the same
    n) and ``fid_floor`` (real images at the same n). Stored in ``result["scores"]``."""
    from ..metrics.mnist import evaluate_generator

    G = result["G"]
    device = next(G.parameters()).device
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    images = torch.cat([G(zb).cpu() for zb in z.split(500)])
    r = evaluate_generator(images, clf=clf, n=n)
    result["scores"] = {"covered": r["covered"], "top_share": max(r["shares"]), "confident": r["confident"],
                        "fid": r["fid"], "fid_floor": r["fid_floor"], "n": n}
    return result["scores"]


def results_table(results: dict[str, dict], n_tail: int = 50) -> str:
    """One line per run: D's outputs over the last ``n_tail`` steps, then the scores (if any)."""
    lines = [f"{'':22s}{'D(x)':>6s}{'D(G(z))':>9s}{'covered':>9s}{'top digit':>11s}{'confident':>11s}"
             f"{'MNIST-FID':>11s}{'time':>7s}"]
    for name, r in results.items():
        t = tail_means(r["history"], n_tail)
        line = f"{name:22s}{t['D_x']:6.2f}{t['D_G_z']:9.2f}"
        if "scores" in r:
            sc = r["scores"]
            line += f"{sc['covered']:>6d}/10{sc['top_share']:10.0%}{sc['confident']:11.0%}{sc['fid']:11.1f}"
        lines.append(line + f"{r['seconds']:6.0f}s")
    first = next((r["scores"] for r in results.values() if "scores" in r), None)
    if first is not None:
        lines.append(f"(D(x), D(G(z)): mean of the last {n_tail} steps; scores on n = {first['n']} samples of each G, "
                     f"MNIST-FID floor at this n {first['fid_floor']:.1f})")
    return "\n".join(lines)


def plot_result(name: str, result: dict, smooth: int = 10):
    """A figure with losses, D outputs and samples of one run; returns the figure."""
    import matplotlib.pyplot as plt

    from ..plotting import plot_curves, show_images

    fig, axes = plt.subplots(1, 3, figsize=(12, 3), gridspec_kw={"width_ratios": [1, 1, 1.2]})
    h = result["history"]
    sm = min(smooth, len(h["loss_D"]))
    plot_curves(h, ["loss_D", "loss_G"], ax=axes[0], title=f"{name}: losses", smooth=sm)
    plot_curves(h, ["D_x", "D_G_z"], ax=axes[1], title="D(x) and D(G(z))", smooth=sm)
    axes[1].set_ylim(0, 1)
    show_images(result["samples"], nrow=8, ax=axes[2], title=f"samples after {len(h['loss_D'])} steps")
    fig.tight_layout()
    return fig


class FailureGallery:
    """Dropdown of failure modes + Run button; each run is cached and drawn with ``plot_result``."""

    def __init__(self, x_real_all: torch.Tensor, n_steps: int = 300, base_channels: int = 16,
                 batch_size: int = 64, seed: int = 0, device: str | torch.device = "cpu",
                 clf=None, n_score: int = 1000):
        """``clf``: the MNIST classifier (``gan_helpers.metrics.load_classifier``); with it every
        run is also scored on ``n_score`` samples (``score_run``), without it only D's outputs."""
        import ipywidgets as W

        if n_score < 2:
            raise ValueError(f"n_score must be >= 2, got {n_score}")
        self.clf, self.n_score = clf, n_score

        self.modes = {m.name: m for m in failure_modes()}
        self.x_real_all, self.n_steps, self.base_channels = x_real_all, n_steps, base_channels
        self.batch_size, self.seed, self.device = batch_size, seed, device
        self.results: dict[str, dict] = {}
        self.mode = W.Dropdown(options=list(self.modes), value="baseline", description="mode")
        self.steps_slider = W.IntSlider(value=n_steps, min=1, max=max(2000, n_steps), step=1, description="steps")
        self.run_button = W.Button(description="train and show")
        self.info = W.HTML()
        self.image = W.Image(format="png")
        self.run_button.on_click(lambda _: self.run(self.mode.value, self.steps_slider.value))
        self.mode.observe(lambda _c: self.select(self.mode.value), names="value")
        self.ui = W.VBox([W.HBox([self.mode, self.steps_slider, self.run_button]), self.info, self.image])

    def run(self, name: str, n_steps: int | None = None) -> dict:
        """Train mode ``name`` (if not done with this many steps yet) and show it."""
        if name not in self.modes:
            raise ValueError(f"unknown mode {name!r}; choose one of {list(self.modes)}")
        n_steps = self.n_steps if n_steps is None else n_steps
        cached = self.results.get(name)
        reused = cached is not None and len(cached["history"]["loss_D"]) == n_steps
        if not reused:
            self.info.value = f"training {name!r} for {n_steps} steps..."
            self.results[name] = run_mode(self.modes[name], self.x_real_all, n_steps, self.base_channels,
                                          batch_size=self.batch_size, seed=self.seed, device=self.device)
            if self.clf is not None:
                score_run(self.results[name], self.clf, n=self.n_score)
        self.select(name)
        if reused:  # same mode, same steps, same seed: the run would repeat exactly, so it is not redone
            self.info.value += (" <i>(the result of the earlier run with these settings: the same seed gives the "
                                "same run; change the steps to train again)</i>")
        return self.results[name]

    def run_all(self, n_steps: int | None = None) -> dict[str, dict]:
        for name in self.modes:
            self.run(name, n_steps)
        return self.results

    def select(self, name: str) -> None:
        """Show the curves and samples of failure mode ``name`` (trained or not yet)."""
        m = self.modes[name]
        if name not in self.results:
            self.info.value = f"<b>{name}</b>: {m.description} Not trained yet: press the button."
            self.image.value = b""
            return
        r = self.results[name]
        t = tail_means(r["history"])
        self.info.value = (f"<b>{name}</b>: {m.description} Last 50 steps: loss_D {t['loss_D']:.2f}, D(x) {t['D_x']:.2f},"
                           f" D(G(z)) {t['D_G_z']:.2f} ({r['seconds']:.0f} s)")
        if "scores" in r:
            sc = r["scores"]
            self.info.value += (f"<br>On {sc['n']} samples: {sc['covered']}/10 digits covered, the most frequent "
                                f"digit {sc['top_share']:.0%} of them, {sc['confident']:.0%} read with confidence, "
                                f"MNIST-FID {sc['fid']:.1f} (real images at this n: {sc['fid_floor']:.1f})")
        fig = plot_result(name, r)
        self.image.value = figure_png(fig)

    def _ipython_display_(self):
        from IPython.display import display
        display(self.ui)
