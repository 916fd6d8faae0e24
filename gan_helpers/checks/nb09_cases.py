"""Exercise checks for notebook 09 (measuring a generator: quality and diversity), exercises 4 and 5.

* ``failure_cases(n, seed)``: real MNIST test digits and the fakes of four failing "generators",
  built from training digits, for reading precision and recall (Kynkaanniemi et al. 2019):
  A draws only 0s, 1s and 7s; B every digit with heavy speckle noise; C real digits plus 5%
  pure-noise images; D repeats 20 memorised training digits.
* ``check_failure_reading(answers)``: ``answers = {"A": {"precision": "high" | "low", "recall": ...},
  ...}``, "high" meaning ``HIGH_AT_LEAST`` or more. The key below was measured with
  ``mnist_prdc(*failure_cases(2000, 0))`` (classifier features, k = 3):
  A P 0.90 R 0.30, B P 0.19 R 0.03, C P 0.83 R 0.89, D P 0.90 R 0.00 (seeds 1, 2 and n = 1000 agree:
  every "high" >= 0.75, every "low" <= 0.30); tests/test_checks_nb09.py re-measures it.
* ``check_truncate(fn)``: ``fn(n, latent_dim, threshold, generator) -> z (n, latent_dim)``, the
  truncation trick of Brock et al. 2019 (section 3.1): standard normal entries conditioned on
  |z| <= threshold, the entries outside redrawn. Compared with the exact moments of the truncated
  normal; clipping and scaling are recognised and explained.
"""
from __future__ import annotations

import math
from contextlib import contextmanager

import torch

from ..latent import truncation as _trunc
from ._core import CheckFailed, check, expect_tensor, passed
from ._refusals import _stand_in, call_refusing, refuse_identity

HIGH_AT_LEAST = 0.7  # "high" in exercise 4's question; the measured scores stay >= 0.75 or <= 0.30

ANSWERS = {"A": {"precision": "high", "recall": "low"}, "B": {"precision": "low", "recall": "low"},
           "C": {"precision": "high", "recall": "high"}, "D": {"precision": "high", "recall": "low"}}

_WHY = {
    ("A", "precision"): "A's samples are perfect 0s, 1s and 7s: each lies among real digits, inside the real balls, "
                        "so precision is high (measured 0.90). Missing classes do not lower precision.",
    ("A", "recall"): "A never draws 2-6, 8 or 9: real digits of those classes lie in no fake ball, so recall is low "
                     "(measured 0.30, about the share of 0s, 1s and 7s among real digits).",
    ("B", "precision"): "B's speckled samples lie far from every real digit in the classifier's feature space, "
                        "outside the real balls: precision is low (measured 0.19).",
    ("B", "recall"): "B draws every class, yet its recall is low too (measured 0.03): recall asks whether each real "
                     "digit lies inside some fake's ball, and the speckled samples sit in another region of feature "
                     "space, so their balls hold almost no real digit. Drawing every class is not enough; the "
                     "samples must land near real ones for recall to see their variety.",
    ("C", "precision"): "Only 5% of C's samples are noise: precision is the share of fakes inside the real manifold, "
                        "so it drops by about 5 points, from 0.88 (real digits against real digits) to 0.83. "
                        "A few bad samples dent precision; they do not sink it.",
    ("C", "recall"): "95% of C's samples are real digits of every class, so nearly every real digit lies in some "
                     "fake ball: recall stays high (measured 0.89).",
    ("D", "precision"): "D's 20 memorised digits are real training digits, each inside the real balls, so precision "
                        "is high (measured 0.90): precision cannot tell memorising from generalising.",
    ("D", "recall"): "D repeats 20 images: with k copies of each, every fake ball has radius 0 and holds no real "
                     "test digit, so recall is about 0 (measured 0.00; coverage, with the real balls, 0.05).",
}


def _int(v, name: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ValueError(f"{name} must be an int in [{lo}, {hi}], got {v!r}")
    return v


def failure_cases(n: int = 2000, seed: int = 0, speckle: float = 0.1, noise_share: float = 0.05,
                  n_memorised: int = 20, classes: tuple[int, ...] = (0, 1, 7), mirror=None
                  ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """``(x_real, {"A": x_fake, "B": ..., "C": ..., "D": ...})``: ``n`` random MNIST test digits and four
    fake sets of ``n`` images (N, 1, 28, 28) in [-1, 1], built from training digits (never the same images
    as x_real, as a generator's samples would not be): A only ``classes``; B every digit with a share
    ``speckle`` of its pixels set to random black or white; C real digits with a share ``noise_share``
    of uniform-noise images; D ``n_memorised`` digits repeated. Nothing is cached on disk."""
    from ..data.mnist import load_mnist

    n, seed = _int(n, "n", 100, 10000), _int(seed, "seed", 0, 2 ** 62)
    n_memorised = _int(n_memorised, "n_memorised", 1, n - 1)
    for v, what in ((speckle, "speckle"), (noise_share, "noise_share")):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise ValueError(f"{what} must be a share in [0, 1], got {v!r}")
    g = torch.Generator().manual_seed(seed)
    x_test, _ = load_mnist(train=False, mirror=mirror)
    x_real = x_test[torch.randperm(len(x_test), generator=g)[:n]]
    # Enough training digits that ``classes`` alone fill n images (3 of 10 classes: ~3n of 10n).
    x_train, y_train = load_mnist(train=True, mirror=mirror, limit=min(60000, 10 * n))
    perm = torch.randperm(len(x_train), generator=g)
    pool, labels = x_train[perm], y_train[perm]
    only = pool[torch.isin(labels, torch.tensor(list(classes)))][:n]
    if len(only) < n:
        raise ValueError(f"only {len(only)} training digits of classes {classes}: ask for n <= {len(only)}")
    speckled = pool[:n].clone()
    hit = torch.rand(speckled.shape, generator=g) < speckle
    speckled[hit] = (torch.randint(0, 2, speckled.shape, generator=g).float() * 2 - 1)[hit]
    n_noise = round(noise_share * n)
    noisy = torch.cat([pool[:n - n_noise], torch.rand(n_noise, 1, 28, 28, generator=g) * 2 - 1])
    memorised = pool[:n_memorised].repeat(n // n_memorised + 1, 1, 1, 1)[:n]
    return x_real, {"A": only, "B": speckled, "C": noisy, "D": memorised}


def check_failure_reading(answers) -> bool:
    """``answers``: {"A".."D": {"precision": "high"/"low", "recall": "high"/"low"}}; one teaching line per
    wrong cell."""
    example = "{'A': {'precision': 'high', 'recall': 'low'}, 'B': {...}, 'C': {...}, 'D': {...}}"
    check(isinstance(answers, dict), f"answers should be a dict like {example}, got {type(answers).__name__}.")
    missing = [k for k in ANSWERS if k not in answers]
    check(not missing, f"answers has no entry for {', '.join(missing)}: give one for each of A, B, C and D.")
    extra = [k for k in answers if k not in ANSWERS]
    check(not extra, f"answers has entries for {extra}: only the generators A, B, C and D are described.")
    wrong = []
    for letter, key in ANSWERS.items():
        cell = answers[letter]
        check(isinstance(cell, dict), f"answers['{letter}'] should be a dict like {{'precision': 'high', "
                                      f"'recall': 'low'}}, got {type(cell).__name__}.")
        for metric in ("precision", "recall"):
            check(metric in cell, f"answers['{letter}'] has no '{metric}': give both 'precision' and 'recall'.")
            value = cell[metric]
            word = value.strip().lower() if isinstance(value, str) else None
            check(word in ("high", "low"), f"answers['{letter}']['{metric}'] is {value!r}: answer 'high' "
                                           f"({HIGH_AT_LEAST:g} or more) or 'low'.")
            if word != key[metric]:
                wrong.append(f"{letter}'s {metric} is {key[metric]}, not {word}: {_WHY[(letter, metric)]}")
    if wrong:
        verb = "differs" if len(wrong) == 1 else "differ"
        raise CheckFailed(f"{len(wrong)} of the 8 answers {verb} from the measurement:\n- " + "\n- ".join(wrong))
    return passed("failure_reading", "A drops modes, B is off the manifold, C has a few outliers, D memorised")


# --- exercise 5: the truncation trick ---------------------------------------------------------------
_TRUNC_MSG = ("Exercise 5 asks you to resample yourself: gan_helpers.latent.truncation.truncated_normal is its "
              "answer (and scale_towards_mean another trick). Draw torch.randn(..., generator=generator), then "
              "redraw the entries with |z| > threshold until none is left.")
_LIBRARY = {_trunc.truncated_normal: _TRUNC_MSG, _trunc.scale_towards_mean: _TRUNC_MSG,
            torch.nn.init.trunc_normal_: "Exercise 5 asks you to resample yourself: torch.nn.init.trunc_normal_ is "
                                         "torch's answer. Draw torch.randn(..., generator=generator), then redraw "
                                         "the entries with |z| > threshold until none is left."}
_TORCH_MSG = _LIBRARY[torch.nn.init.trunc_normal_]


@contextmanager
def _torch_init_off():
    """torch.nn.init.trunc_normal_ reached as a module attribute (``nn.init.trunc_normal_``): the name
    swapping of ``call_refusing`` covers the learner's namespace and gan_helpers, not torch's modules."""
    init = vars(torch.nn.init)
    saved = init["trunc_normal_"]
    init["trunc_normal_"] = _stand_in(_TORCH_MSG)
    try:
        yield
    finally:
        init["trunc_normal_"] = saved


def truncated_moments(threshold: float) -> dict[str, float]:
    """Exact E z^2, E z^4 and E|z| of a standard normal conditioned on |z| <= threshold (from erf)."""
    a = float(threshold)
    inside = math.erf(a / math.sqrt(2))
    phi_a, phi_0 = math.exp(-a * a / 2) / math.sqrt(2 * math.pi), 1 / math.sqrt(2 * math.pi)
    m2 = 1 - 2 * a * phi_a / inside                       # integrate z^2 phi by parts
    m4 = (3 * (inside - 2 * a * phi_a) - 2 * a ** 3 * phi_a) / inside
    return {"m2": m2, "m4": m4, "abs": 2 * (phi_0 - phi_a) / inside}


def _draw(fn, name, n, dim, threshold, seed):
    g = torch.Generator().manual_seed(seed)
    with _torch_init_off():
        z = call_refusing(fn, n, dim, threshold, g, name=name, library=_LIBRARY)
    check(torch.is_tensor(z), f"{name} should return a tensor (n, latent_dim), got {type(z).__name__}.")
    if tuple(z.shape) == (dim, n):
        raise CheckFailed(f"{name} returned shape {(dim, n)}: one latent per row, (n, latent_dim) = {(n, dim)}.")
    expect_tensor(z, (n, dim), name=f"{name}({n}, {dim}, {threshold}, generator)")
    check(z.dtype == torch.float32, f"{name} returned {z.dtype}: G takes float32 latents (torch.randn's default).")
    return z.detach()


def _entries(fn, name, n, dim, threshold, seed) -> None:
    z = _draw(fn, name, n, dim, threshold, seed).double().flatten()
    outside = int((z.abs() > threshold).sum())
    check(outside == 0, f"{outside} of {z.numel()} entries lie outside [-{threshold:g}, {threshold:g}]: redraw them "
                        "in a loop until none is left (a single redraw leaves some of them outside again).")
    on_edge = float((z.abs() >= threshold * (1 - 1e-6)).double().mean())
    check(on_edge < 0.01, f"{on_edge:.0%} of the entries sit exactly on +-{threshold:g}: clipping (clamp) piles the "
                          "mass from outside onto the boundary. Resample instead: redraw each entry outside until "
                          "it lands inside.")
    m, k = truncated_moments(threshold), z.numel()
    mean, m2, mabs = float(z.mean()), float(z.pow(2).mean()), float(z.abs().mean())
    check(abs(mean) < 5 * math.sqrt(m["m2"] / k), f"The entries have mean {mean:.3f}, not about 0: the truncated "
                                                 "normal is symmetric (did an abs() or a one-sided test slip in?).")
    kurt = float(z.pow(4).mean()) / m2 ** 2
    want_kurt = m["m4"] / m["m2"] ** 2
    if kurt > (want_kurt + 3) / 2:
        raise CheckFailed(f"The entries are shaped like a whole normal squeezed inside (kurtosis {kurt:.2f}, a "
                          f"normal's is 3; the truncated normal's {want_kurt:.2f}): scaling z, as scale_towards_mean "
                          "does, keeps the normal's shape and only narrows it. Keep each entry inside as it is "
                          "and redraw the others.")
    se_m2, se_abs = math.sqrt((m["m4"] - m["m2"] ** 2) / k), math.sqrt((m["m2"] - m["abs"] ** 2) / k)
    if abs(m2 - m["m2"]) < 5 * se_m2 and abs(mabs - m["abs"]) < 5 * se_abs:
        return
    if abs(m2 - threshold ** 2 / 3) < 5 * se_m2 and abs(kurt - 1.8) < 0.05:   # the moments of a uniform
        raise CheckFailed("The entries look uniform on [-threshold, threshold]: draw them from torch.randn and "
                          "redraw those outside, so values near 0 stay more likely than values near the edge.")
    raise CheckFailed(f"With threshold {threshold:g} the entries have std {math.sqrt(m2):.4f} and mean |z| "
                      f"{mabs:.4f}; a standard normal conditioned on |z| <= {threshold:g} has "
                      f"{math.sqrt(m['m2']):.4f} and {m['abs']:.4f}. Draw with torch.randn and redraw only the "
                      "entries outside.")


def check_truncate(fn) -> bool:
    """``fn(n, latent_dim, threshold, generator) -> (n, latent_dim)`` float32: standard normal entries
    conditioned on |z| <= threshold (resampled), the same for the same seeded generator."""
    name = getattr(fn, "__name__", "truncate")
    refuse_identity(fn, _LIBRARY, name)
    _entries(fn, name, 4000, 5, 1.0, seed=0)              # 20,000 entries: std 0.5396 +- 0.001
    _entries(fn, name, 10000, 2, 0.5, seed=1)
    a, b = _draw(fn, name, 16, 3, 1.0, 7), _draw(fn, name, 16, 3, 1.0, 7)
    check(torch.equal(a, b), f"Two calls with generators seeded alike gave different z: draw every random number, "
                             "the redraws too, with generator=generator (torch.randn(..., generator=generator)).")
    check(not torch.equal(a, _draw(fn, name, 16, 3, 1.0, 8)),
          f"{name} gave the same z for generators with different seeds: draw from the generator you are given.")
    return passed("truncate", "normal entries conditioned on |z| <= threshold, resampled, seeded by the generator")
