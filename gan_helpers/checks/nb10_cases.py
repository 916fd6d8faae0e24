"""Exercise checks for notebook 10 ("10_diffusion.ipynb": a small DDPM beside the GANs), exercises 5 and 6:
reading the table of every shipped MNIST generator (gan_helpers.bench.generators) and choosing how to
interpolate between two starting noises of DDIM (Song et al. 2021: with eta = 0 the sampler is a fixed
map x_T -> x_0, like a GAN's z -> G(z)). The DDPM is Ho, Jain and Abbeel 2020.

* ``check_table_claims(answers, table=None)``: ``answers = {"a": True, ..., "f": False}``, one bool per
  statement of ``TABLE_CLAIMS``; the truth is computed from the table's numbers by
  ``table_claim_truth(table)`` (only the last statement is false whatever the numbers say).
  ``table=None`` reads the measured table (``load_table()``).
* ``check_interpolation(choice)``: one letter of ``INTERPOLATION_CHOICES``.
"""
from __future__ import annotations

from ._core import CheckFailed, check, passed

DDIM_ROW, FULL_ROW, DCGAN_ROW = "DDPM, DDIM", "DDPM, full chain", "04 DCGAN"   # row names start so

TABLE_CLAIMS = {
    "a": "The DDPM's full chain scores a lower (better) MNIST-FID than its 50-step DDIM chain.",
    "b": "Every GAN in the table draws a sample more than 10 times faster than the DDPM with DDIM.",
    "c": "The DDPM has fewer parameters than the DCGAN of notebook 04.",
    "d": ("With DDIM, the DDPM leans further towards diversity than any GAN: its recall minus its precision "
          "exceeds every GAN's recall minus precision by more than 0.1."),
    "e": "The DDPM took less training time than the DCGAN of notebook 04.",
    "f": "The table shows that diffusion models generate better digits than GANs.",
}

# Statement f is false whatever the numbers: the table holds one small DDPM, trained once at one budget,
# beside four GANs, each trained once at its own budget, all on MNIST and scored on one sample. It ranks
# these models on these scores; a claim about two families would need many models of each, at matched
# budgets and sizes, on more than one data set.


# --- the table's numbers --------------------------------------------------------------------------------
def _rows(table) -> list[dict]:
    if not isinstance(table, dict) or not isinstance(table.get("rows"), list) or not table["rows"]:
        raise ValueError("table must be the dict that gan_helpers.bench.generators.load_table() returns, "
                         "with a non-empty list under 'rows'")
    from ..bench.generators import TABLE_FORMAT                        # lazy: the bench imports every recipe
    if table.get("format") != TABLE_FORMAT:
        raise ValueError(f"table has format {table.get('format')!r}, expected {TABLE_FORMAT!r}: pass "
                         "load_table()'s dict")
    if not all(isinstance(r, dict) and isinstance(r.get("name"), str) for r in table["rows"]):
        raise ValueError("every row of the table must be a dict with a 'name'")
    return table["rows"]


def _row(table, prefix: str) -> dict:
    found = [r for r in _rows(table) if r["name"].startswith(prefix)]
    if not found:
        raise ValueError(f"the table has no row whose name starts with {prefix!r}: rows are "
                         f"{[r['name'] for r in _rows(table)]}")
    return found[0]


def _gans(table) -> list[dict]:
    found = [r for r in _rows(table) if r.get("family") == "GAN"]
    if not found:
        raise ValueError("the table has no row of family 'GAN'")
    return found


def _num(row: dict, key: str) -> float:
    v = row.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"row {row['name']!r} has no number under {key!r} (got {v!r}): the claims need it")
    return float(v)


def table_claim_truth(table) -> dict[str, bool]:
    """Each statement of ``TABLE_CLAIMS`` judged on ``table``'s numbers (``f``: always False, see the comment above)."""
    ddim, full, dcgan, gans = (_row(table, DDIM_ROW), _row(table, FULL_ROW), _row(table, DCGAN_ROW),
                               _gans(table))
    return {
        "a": _num(full, "FID") < _num(ddim, "FID"),
        "b": all(_num(ddim, "ms_per_sample") > 10 * _num(g, "ms_per_sample") for g in gans),
        "c": _num(ddim, "params") < _num(dcgan, "params"),
        "d": _lean(ddim) - max(_lean(g) for g in gans) > 0.1,   # a margin beyond one draw's noise
        "e": _num(ddim, "train_min") < _num(dcgan, "train_min"),
        "f": False,
    }


def _lean(row: dict) -> float:
    """Recall minus precision: how far a generator trades quality for diversity."""
    return _num(row, "recall") - _num(row, "precision")


def _threads(row: dict) -> str:
    return f" (on {row['threads']} threads)" if row.get("threads") not in (None, "") else ""


def _evidence(letter: str, table) -> str:
    """The numbers that decide statement ``letter``, from the table."""
    ddim, full, dcgan, gans = (_row(table, DDIM_ROW), _row(table, FULL_ROW), _row(table, DCGAN_ROW),
                               _gans(table))
    if letter == "a":
        return f"The FID column (lower is better): {full['name']} {_num(full, 'FID'):.2f}, {ddim['name']} {_num(ddim, 'FID'):.2f}."
    if letter == "b":
        each = ", ".join(f"{g['name']} {_num(g, 'ms_per_sample'):.3g}" for g in gans)
        return f"The ms/sample column: {ddim['name']} {_num(ddim, 'ms_per_sample'):.3g}; {each}."
    if letter == "c":
        return f"The params column: the DDPM {_num(ddim, 'params'):,.0f}, {dcgan['name']} {_num(dcgan, 'params'):,.0f}."
    if letter == "d":
        each = ", ".join(f"{g['name']} {_num(g, 'precision'):.3f} / {_num(g, 'recall'):.3f}" for g in gans)
        return f"Precision / recall: {ddim['name']} {_num(ddim, 'precision'):.3f} / {_num(ddim, 'recall'):.3f}; {each}."
    if letter == "e":
        return (f"The train min column: the DDPM {_num(ddim, 'train_min'):.0f} min{_threads(ddim)}, {dcgan['name']} "
                f"{_num(dcgan, 'train_min'):.0f} min{_threads(dcgan)}.")
    return ("Count what stands behind the statement: how many diffusion models and how many GANs, trained "
            "at how many budgets, on how many data sets?")


def _bool_message(letter: str, value) -> str:
    if isinstance(value, str):
        return (f"answers['{letter}'] is the string {value!r}: write True or False without quotes (a string is "
                "not a bool, and any non-empty string, 'False' too, counts as true).")
    return f"answers['{letter}'] is {value!r} ({type(value).__name__}): answer True or False."


def check_table_claims(answers, table: dict | None = None) -> bool:
    """``answers``: {"a": bool, ..., "f": bool}, one per statement of ``TABLE_CLAIMS``, judged on ``table``
    (default: the measured table, ``load_table()``). A failure says neither which answers are wrong nor
    how many, and gives for every statement the raw numbers it turns on."""
    letters = list(TABLE_CLAIMS)
    example = "{" + ", ".join(f"'{k}': True" for k in letters[:2]) + ", ...}"
    check(isinstance(answers, dict), f"answers should be a dict like {example}, one True or False for each "
                                     f"of {', '.join(letters)}; got {type(answers).__name__}.")
    keys = {k.strip().lower() if isinstance(k, str) else k: k for k in answers}
    check(len(keys) == len(answers), f"answers has the same letter twice ({list(answers)}): give each once.")
    missing = [k for k in letters if k not in keys]
    check(not missing, f"answers has no entry for {', '.join(missing)}: give one for each of {', '.join(letters)}.")
    extra = [keys[k] for k in keys if k not in TABLE_CLAIMS]
    check(not extra, f"answers has entries for {extra}: the statements are {', '.join(letters)}.")
    for k in letters:
        check(isinstance(answers[keys[k]], bool), _bool_message(k, answers[keys[k]]))
    if table is None:
        from ..bench.generators import load_table                     # lazy: the bench imports every recipe
        table = load_table()
    truth = table_claim_truth(table)
    if any(answers[keys[k]] != truth[k] for k in letters):
        # Neither which answers are wrong nor how many, so that flipping letters one at a time is no way
        # through; the raw numbers each statement turns on are given for every statement.
        hints = "\n".join(f"- ({k}) {_evidence(k, table)}" for k in letters)
        raise CheckFailed("At least one answer does not match the table. Check each statement against the "
                          f"numbers it turns on:\n{hints}")
    return passed("table_claims", "each statement read from the table's numbers, and no family verdict from it")


# --- exercise 5: interpolating between two starting noises ---------------------------------------------
INTERPOLATION_CHOICES = {
    "A": "A straight line, (1 - s) x_a + s x_b for s from 0 to 1: every point on it is as likely a draw of "
         "N(0, I) as x_a and x_b, so every point starts DDIM like a fresh noise.",
    "B": "Interpolate the final images instead: run DDIM on x_a and x_b to get their digits x0_a and x0_b, then "
         "show (1 - s) x0_a + s x0_b.",
    "C": "Spherical interpolation (slerp): walk along the arc from x_a to x_b in the plane they span, "
         "splitting the angle between them into equal steps.",
    "D": "No interpolation can work: DDIM is random, so one x_T gives a different digit each time and a path "
         "between two noises shows nothing about the model.",
}
RIGHT = "C"

_NORM_HINT = ("Compute it: x_a, x_b = torch.randn(2, 784); print(x_a.norm(), x_b.norm(), ((x_a + x_b) / 2).norm()).")
_WHY_NOT = {
    "A": "A straight line leaves the place where N(0, I) puts its draws. In 784 dimensions a draw's norm is "
         "almost always sqrt(784) = 28, give or take about 0.7; the midpoint of two independent draws has norm "
         "about 28 / sqrt(2) = 19.8, some 12 standard deviations inside that shell. The density is even higher "
         "there, yet draws practically never land there: DDIM never starts from such an x_T (the DDPM was "
         "trained on noise of norm about 28), and the middle images can come out faint or smeared. ",
    "B": "Blending the two final images is a cross-fade: the middle frames are two digits drawn over each other, "
         "the same for any model, so it shows nothing of what the DDPM has learned. The model's own path runs "
         "through its input: interpolate x_T and run DDIM on each point, and make each point a start the model "
         "knows. ",
    "D": "With eta = 0 DDIM adds no noise on the way: x_T -> x_0 is a fixed map, like a GAN's z -> G(z) (run "
         "sample_ddim twice on one x_T and compare). So a path between two noises is a path through the model's "
         "images; what matters is that each point on it is a start the model knows. ",
}


def check_interpolation(choice) -> bool:
    """``choice``: one letter of ``INTERPOLATION_CHOICES`` (either case, spaces around allowed)."""
    valid = ", ".join(f"'{k}'" for k in INTERPOLATION_CHOICES)
    check(isinstance(choice, str), f"choice should be one letter as a string, one of {valid}; got "
                                   f"{type(choice).__name__} {choice!r:.40}.")
    letter = choice.strip().upper()
    check(letter in INTERPOLATION_CHOICES, f"{choice!r} is not one of the choices: answer one letter, {valid}.")
    if letter != RIGHT:
        raise CheckFailed(f"{letter}: \"{INTERPOLATION_CHOICES[letter]}\" {_WHY_NOT[letter]}{_NORM_HINT}")
    return passed("interpolation", "slerp keeps every point at the norm of a draw of N(0, I), about 28")
