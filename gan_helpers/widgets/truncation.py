"""TruncationExplorer: the truncation trick (Brock et al. 2019, "Large Scale GAN Training for
High Fidelity Natural Image Synthesis", section 3.1; notebook 09) trades diversity for quality,
and the panel shows it happen: a threshold slider (entries of z beyond it are redrawn; the
right end, "none", is the plain normal), a sample grid, and precision, recall, density and
coverage (:mod:`gan_helpers.metrics.prdc`) of ``n`` samples against ``n_real`` real digits in
the MNIST classifier's features. A toggle switches to the other form of the trick, z scaled
towards the mean by psi (Karras et al. 2019).

Works with the shipped DCGAN G (``G(z)``) and the shipped conditional G (``G(z, y)``, given
balanced labels 0..9). z is drawn from the same seed at every setting, so moving the slider
changes only the truncation. The real features and the real k-NN radii are computed once;
a move costs G and the classifier on ``n`` images plus an n x n_real distance matrix, so
``n`` (default 250) is what keeps a redraw under 300 ms on one CPU thread. Headless use
(tests): set ``panel.threshold.value`` (or ``panel.set_threshold(0.5)``) and read
``panel.scores``; :func:`truncation_curve` gives the whole curve for notebook 09's plot.
"""
from __future__ import annotations

import base64
import math
import numbers
import time

import torch

from ..latent.space import eval_mode, latent_dim_of
from ..latent.truncation import scale_towards_mean, truncated_normal
from ..metrics.mnist import classifier_features, load_classifier
from ..metrics.prdc import K_DC, K_PR, knn_radii
from ..plotting import grid_png
from .validate import count

DEFAULT_THRESHOLDS = tuple(round(0.1 * i, 1) for i in range(1, 31))   # 0.1 .. 3.0; "none" is added
DEFAULT_PSIS = tuple(round(0.05 * i, 2) for i in range(21))           # 0 .. 1 (1: no truncation)
METRICS = ("precision", "recall", "density", "coverage")
MODES = ("resample", "scale towards mean (psi)")


def _value_label(v: float) -> str:
    return "none" if v == math.inf else f"{v:g}"


def _grid_values(name: str, values, ok, what: str, end: float) -> tuple[float, ...]:
    """Sorted distinct slider values, each passing ``ok``; ``end`` (no truncation) added if absent."""
    try:
        vals = sorted({float(v) for v in values if not isinstance(v, bool)} | {end})
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers, got {values!r}") from None
    if not all(ok(v) for v in vals):
        raise ValueError(f"{name} must be numbers {what}, got {values!r}")
    return tuple(vals)


class TruncationScorer:
    """The computation behind the panel and the curve: fixed-seed latents, truncated or scaled,
    through G, scored against precomputed real features and radii."""

    def __init__(self, G, latent_dim: int | None, real_images: torch.Tensor, clf=None,
                 conditional: bool | None = None, n: int = 250, n_real: int = 2000, seed: int = 0,
                 device: str | torch.device = "cpu", batch_size: int = 500):
        self.G, self.latent_dim = G, latent_dim_of(G, latent_dim)
        self.n = count("n", n, K_PR + 1, 100_000)            # fake balls reach the k-th other fake
        n_real = count("n_real", n_real, K_DC + 1, 100_000)  # real balls reach the k-th other real
        self.batch_size = count("batch_size", batch_size, 1, 100_000)
        self.seed, self.device = seed, torch.device(device)
        n_classes = getattr(G, "n_classes", 0)
        self.conditional = bool(n_classes) if conditional is None else bool(conditional)
        if self.conditional and not (isinstance(n_classes, int) and n_classes > 0):
            raise ValueError("conditional=True needs G with an integer .n_classes > 0")
        # Balanced labels 0, 1, .., 9, 0, ..: the cGAN draws every digit equally often, like the reals.
        self.labels = torch.arange(self.n) % n_classes if self.conditional else None
        if not torch.is_tensor(real_images) or real_images.ndim != 4 or tuple(real_images.shape[1:]) != (1, 28, 28):
            shape = tuple(real_images.shape) if torch.is_tensor(real_images) else type(real_images).__name__
            raise ValueError(f"real_images must be a tensor (N, 1, 28, 28) in [-1, 1], got {shape}")
        if len(real_images) < n_real:
            raise ValueError(f"n_real={n_real} but real_images holds only {len(real_images)} images")
        # A seeded random subset: the first images of a split need not be a fair sample of it.
        idx = torch.randperm(len(real_images), generator=torch.Generator().manual_seed(seed))[:n_real]
        self.clf = load_classifier() if clf is None else clf
        self.real_features = classifier_features(self.clf, real_images[idx]).double()   # (n_real, F)
        self.r_pr = knn_radii(self.real_features, K_PR)                                 # (n_real,)
        self.r_dc = knn_radii(self.real_features, K_DC)

    def latents(self, threshold: float = math.inf, psi: float = 1.0) -> torch.Tensor:
        """(n, latent_dim): the same seed every time, so only the truncation differs."""
        z = truncated_normal(self.n, self.latent_dim, threshold, generator=torch.Generator().manual_seed(self.seed))
        return z if psi == 1 else scale_towards_mean(z, psi)

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        out = []
        with eval_mode(self.G):
            for i in range(0, len(z), self.batch_size):
                zb = z[i:i + self.batch_size].to(self.device)
                args = (zb, self.labels[i:i + self.batch_size].to(self.device)) if self.conditional else (zb,)
                out.append(self.G(*args).cpu())
        return torch.cat(out)

    def prdc(self, fake_features: torch.Tensor) -> dict[str, float]:
        """:func:`gan_helpers.metrics.prdc.prdc` of ``fake_features`` (M, F), reusing the real radii."""
        fake = fake_features.double()
        # Pairwise without the matrix-product shortcut, as metrics.prdc does: ties at a radius stay ties.
        d = torch.cdist(self.real_features, fake, compute_mode="donot_use_mm_for_euclid_dist")   # (N, M)
        r_fake = knn_radii(fake, K_PR)                                                           # (M,)
        in_dc = d <= self.r_dc[:, None]                                   # (N, M): fake j in real ball i
        return {"precision": float((d <= self.r_pr[:, None]).any(0).double().mean()),
                "recall": float((d <= r_fake[None, :]).any(1).double().mean()),
                "density": float(in_dc.sum()) / (K_DC * len(fake)),
                "coverage": float(in_dc.any(1).double().mean())}

    def score(self, threshold: float = math.inf, psi: float = 1.0) -> tuple[dict[str, float], torch.Tensor]:
        """(scores, images (n, 1, 28, 28)) of the fixed-seed samples at this truncation."""
        images = self.generate(self.latents(threshold, psi))
        return self.prdc(classifier_features(self.clf, images)), images


def truncation_curve(G, latent_dim: int | None, real_images: torch.Tensor, thresholds, n: int = 2000,
                     clf=None, conditional: bool | None = None, seed: int = 0, n_real: int = 2000,
                     mode: str = "resample") -> list[dict]:
    """Precision, recall, density and coverage of ``n`` fixed-seed samples at each threshold
    (``math.inf``: no truncation): a list of dicts with "threshold" and the four scores. With
    ``mode="psi"`` the values are psi in [0, 1] and the key is "psi"."""
    if mode not in ("resample", "psi"):
        raise ValueError(f"mode must be 'resample' or 'psi', got {mode!r}")
    values = list(thresholds)
    if not values:
        raise ValueError("thresholds is empty")
    scorer = TruncationScorer(G, latent_dim, real_images, clf, conditional, n, n_real, seed)
    key = "threshold" if mode == "resample" else "psi"
    return [{key: v, **scorer.score(**{key: v})[0]} for v in values]


def plot_truncation_curve(curve: list[dict], ax=None):
    """Precision against recall, each point labelled with its threshold (or psi); with ``ax``
    None (a new figure) or a pair of axes, also density against coverage. Returns the figure."""
    if not curve or not all(isinstance(c, dict) and set(METRICS) <= set(c) for c in curve):
        raise ValueError("curve must be a non-empty list of dicts from truncation_curve")
    key = "threshold" if "threshold" in curve[0] else "psi"
    if ax is None:
        from matplotlib.figure import Figure
        axes = list(Figure(figsize=(10, 4), layout="constrained").subplots(1, 2))
    else:
        axes = list(ax) if isinstance(ax, (list, tuple)) else [ax]
    pairs = [("recall", "precision"), ("coverage", "density")]
    for a, (xname, yname) in zip(axes, pairs):
        xs, ys = [c[xname] for c in curve], [c[yname] for c in curve]
        a.plot(xs, ys, "o-", color="tab:blue")
        for c, x, y in zip(curve, xs, ys):
            a.annotate(_value_label(c[key]), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        a.set_xlabel(f"{xname} (diversity)")
        a.set_ylabel(f"{yname} (quality)")
        a.set_title(f"{yname} vs {xname}, labelled by {key}")
    return axes[0].figure


def _bar(value: float, top: float, width: int = 24) -> str:
    filled = max(0, min(width, round(width * value / top)))
    return "\u2588" * filled + "\u00b7" * (width - filled)


class TruncationExplorer:
    """Mode toggle + threshold (or psi) slider above a sample grid and the four scores, each
    beside its value without truncation."""

    def __init__(self, G, latent_dim: int | None, real_images: torch.Tensor, clf=None,
                 conditional: bool | None = None, n: int = 250, n_real: int = 2000,
                 thresholds=DEFAULT_THRESHOLDS, psis=DEFAULT_PSIS, seed: int = 0, n_grid: int = 64,
                 scale: int = 2, device: str | torch.device = "cpu"):
        import ipywidgets as W

        self.thresholds = _grid_values("thresholds", thresholds, lambda t: t > 0, "> 0", math.inf)
        self.psis = _grid_values("psis", psis, lambda p: 0 <= p <= 1, "in [0, 1]", 1.0)  # 0: all at the mean
        self.scorer = TruncationScorer(G, latent_dim, real_images, clf, conditional, n, n_real, seed, device)
        self.n_grid, self.scale = count("n_grid", n_grid, 1, self.scorer.n), count("scale", scale, 1, 16)
        self._cache: dict[tuple[str, float], tuple[dict, bytes]] = {}   # a revisited setting is instant
        self._handle = None
        # Updates on release only: a redraw takes ~0.2 s, and a drag would queue one per step.
        self.mode = W.ToggleButtons(options=MODES, value=MODES[0], description="truncation")
        self.threshold = W.SelectionSlider(options=[(_value_label(t), t) for t in self.thresholds], value=math.inf,
                                           description="threshold", continuous_update=False)
        self.psi = W.SelectionSlider(options=[(_value_label(p), p) for p in self.psis], value=1.0,
                                     description="psi", continuous_update=False, layout=W.Layout(display="none"))
        self.info = W.HTML()
        for w in (self.mode, self.threshold, self.psi):
            w.observe(lambda _c: self.refresh(), names="value")
        self.ui = W.VBox([self.mode, self.threshold, self.psi, self.info])
        self.reference = self._compute("threshold", math.inf)[0]   # the untruncated scores, shown beside
        self.refresh()

    @property
    def setting(self) -> tuple[str, float]:
        """("threshold", value) or ("psi", value): what the samples use now."""
        return ("threshold", self.threshold.value) if self.mode.value == MODES[0] else ("psi", self.psi.value)

    def _compute(self, key: str, value: float) -> tuple[dict, bytes]:
        if (key, value) not in self._cache:
            scores, images = self.scorer.score(**{key: value})
            self._cache[(key, value)] = (scores, grid_png(images[:self.n_grid], nrow=8, scale=self.scale))
        return self._cache[(key, value)]

    def set_threshold(self, threshold: float) -> None:
        """Resample mode at ``threshold`` (``math.inf``: none); only the slider's values are accepted."""
        ok = isinstance(threshold, numbers.Real) and not isinstance(threshold, bool)
        if not ok or float(threshold) not in self.thresholds:
            finite = [_value_label(t) for t in self.thresholds[:-1]]
            span = f"{finite[0]} .. {finite[-1]} (in the slider's steps) or " if finite else ""
            raise ValueError(f"threshold must be one of the slider's values: {span}math.inf (none), got {threshold!r}")
        self.mode.value = MODES[0]
        self.threshold.value = float(threshold)

    def set_psi(self, psi: float) -> None:
        """Scale-towards-mean mode at ``psi``; only the slider's values are accepted."""
        if isinstance(psi, bool) or not isinstance(psi, numbers.Real) or float(psi) not in self.psis:
            raise ValueError(f"psi must be one of the slider's values {_value_label(self.psis[0])} .. 1 "
                             f"in steps of the slider, got {psi!r}")
        self.mode.value = MODES[1]
        self.psi.value = float(psi)

    def refresh(self) -> None:
        """Recompute (or fetch) the current setting and redraw; ``update_ms`` is the time taken."""
        t0 = time.perf_counter()
        psi_mode = self.mode.value == MODES[1]
        self.threshold.layout.display = "none" if psi_mode else None
        self.psi.layout.display = None if psi_mode else "none"
        key, value = self.setting
        cached = (key, value) in self._cache
        self.scores, self.grid = self._compute(key, value)
        self.update_ms = 1000 * (time.perf_counter() - t0)
        self.info.value = (f"{key} {_value_label(value)} · {self.scorer.n} samples against "
                           f"{len(self.scorer.real_features)} real digits · "
                           f"{'cached' if cached else f'{self.update_ms:.0f} ms'}")
        if self._handle is not None:
            from IPython.display import HTML
            self._handle.update(HTML(self.html()))

    def html(self) -> str:
        """The sample grid beside a text bar chart of the scores (dots: the untruncated value)."""
        rows = []
        for name in METRICS:
            top = 2.0 if name == "density" else 1.0     # density is not capped at 1 (crowded fakes)
            v, ref = self.scores[name], self.reference[name]
            rows.append(f"{name:9s} {v:5.3f} {_bar(v, top)}  (none: {ref:.3f})")
        key, value = self.setting
        img = base64.b64encode(self.grid).decode()
        return (f'<div style="display:flex;gap:16px;align-items:flex-start"><img src="data:image/png;base64,{img}"/>'
                f"<pre>{key} {_value_label(value)}\n\n" + "\n".join(rows) +
                "\n\nprecision, density: quality\nrecall, coverage: diversity\n"
                "density bar: 0 .. 2</pre></div>")

    def _ipython_display_(self) -> None:
        """The controls, then the grid and scores as HTML updated in place by display id (kept in
        the saved notebook, so it reads well before it is run)."""
        from IPython.display import HTML, display
        display(self.ui)
        self._handle = display(HTML(self.html()), display_id=True)
