"""How close pix2pix outputs are to the truth and to real photos (Isola et al. 2017; notebook 07).

With pairs there is a right answer, so the first number is the L1 error to the real target
(what the L1 term minimises; lower is closer, but a blurry average scores well on it). The
paper's own worry is the opposite failure, outputs that are plausible as a whole but dull,
so two more are reported:

* photo-KID (Binkowski et al. 2018) between the outputs and the real test photos, in the
  features of the project's horse-vs-zebra classifier (``metrics.photo``). That classifier
  was trained to tell horses from zebras, not colourful from grey photos: read KID beside
  its two references (the inputs as they are, and real training photos), not alone.
* for colourisation, how colourful the outputs are: the mean chroma sqrt(a^2 + b^2) in Lab,
  and the intersection of the ab histograms of outputs and real photos (1 = the same
  distribution of colours; the paper's Fig. 7 compares these histograms).
"""
from __future__ import annotations

import torch
from torch import nn

from ..data.pairs import AB_SCALE, colour_pair, colour_to_rgb, edges_pair, rgb_to_lab
from .kid import kid

TASKS = ("colour", "edges")


def make_pairs(task: str, photos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets) of ``task`` ("colour": L -> ab; "edges": edge drawing -> photo)."""
    if task == "colour":
        return colour_pair(photos)
    if task == "edges":
        return edges_pair(photos)
    raise ValueError(f"task must be one of {TASKS}, got {task!r}")


def to_rgb(task: str, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """An input and an output (or target) of ``task`` -> the RGB photo (N, 3, H, W) they make."""
    return colour_to_rgb(x, y) if task == "colour" else y.clamp(-1, 1)


def chroma(rgb: torch.Tensor) -> torch.Tensor:
    """Per-pixel colourfulness sqrt(a^2 + b^2) in Lab units: (N, H, W)."""
    lab = rgb_to_lab(rgb)
    return lab[:, 1:].pow(2).sum(1).sqrt()


def ab_histogram(rgb: torch.Tensor, bins: int = 22) -> torch.Tensor:
    """The joint histogram of (a, b) over every pixel, normalised to sum 1: (bins, bins)."""
    ab = rgb_to_lab(rgb)[:, 1:].permute(1, 0, 2, 3).reshape(2, -1) / AB_SCALE  # in about [-1, 1]
    idx = ((ab.clamp(-1, 1 - 1e-6) + 1) / 2 * bins).long()
    h = torch.bincount(idx[0] * bins + idx[1], minlength=bins * bins).float()
    return (h / h.sum()).view(bins, bins)


def histogram_intersection(p: torch.Tensor, q: torch.Tensor) -> float:
    """sum(min(p, q)) of two normalised histograms: 1 when equal, 0 when disjoint."""
    return float(torch.minimum(p, q).sum())


@torch.no_grad()
def paired_report(G: nn.Module, task: str, x: torch.Tensor, y: torch.Tensor, clf: nn.Module | None = None,
                  reference: torch.Tensor | None = None, batch_size: int = 100) -> dict[str, float]:
    """Scores of ``G`` on test pairs (x, y): ``l1`` (mean |G(x) - y|, target units), ``kid`` and
    ``kid_sd`` (outputs vs the real photos, raw units, bootstrap standard error), ``kid_input``
    (the inputs rendered as photos vs the real ones: a translator that adds nothing),
    ``kid_floor`` (``reference`` real photos vs the test ones, when given); for colourisation
    also ``chroma`` / ``chroma_real`` and ``ab_overlap`` (histogram intersection with the real photos).
    ``clf`` is the photo classifier (None: the shipped one)."""
    from .photo import load_photo_classifier

    G.eval()
    dev = next(G.parameters()).device
    out = torch.cat([G(x[i:i + batch_size].to(dev)).cpu() for i in range(0, len(x), batch_size)])
    x, y = x.cpu(), y.cpu()
    real, fake = to_rgb(task, x, y), to_rgb(task, x, out)
    clf = load_photo_classifier() if clf is None else clf
    k, k_sd = kid(fake, real, clf)
    plain = to_rgb(task, x, torch.zeros_like(y)) if task == "colour" else x.expand(-1, 3, -1, -1)
    r = {"l1": float((out - y).abs().mean()), "kid": k, "kid_sd": k_sd, "kid_input": kid(plain, real, clf)[0]}
    if reference is not None:
        r["kid_floor"] = kid(reference.cpu(), real, clf)[0]
    if task == "colour":
        r["chroma"] = float(chroma(fake).mean())
        r["chroma_real"] = float(chroma(real).mean())
        r["ab_overlap"] = histogram_intersection(ab_histogram(fake), ab_histogram(real))
    return r
