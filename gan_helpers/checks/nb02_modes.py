"""Checks for notebook 02's exercises 3 and 4 (mode coverage, Srivastava et al. 2017): the
learner's coverage metric on crafted sample sets where the usual mistakes give different numbers,
and the share of 2-D Gaussian noise within k standard deviations, against a measurement on real
ring samples. The library's ``mode_coverage`` is refused while the learner's function runs
(``_refusals``); for the share, so are random numbers, numerical integration and the libraries
that hold the answer as a distribution function (``_shortcuts_off``). Imported by
:mod:`gan_helpers.checks.nb02`."""
from __future__ import annotations

import math
import numbers
import sys
from contextlib import contextmanager

import torch

from ..data.toy2d import grid, ring
from ..metrics.modes import mode_coverage
from ._core import CheckFailed, check, passed
from ._refusals import _captured, _globals_of, call_refusing, refuse_captured

_COVERAGE_LIBRARY = {mode_coverage: "mode_coverage is the library's version of this exercise: write the "
                                    "protocol yourself (distances to the modes, a threshold, a count)."}


def _coverage_cases():
    """Sample sets (N, 2) against the ring (std 0.02, high quality within 0.06) where the usual
    mistakes give numbers different from the protocol's."""
    data = ring()
    m, sd = data.modes, data.std
    gen = torch.Generator().manual_seed(3)
    # 40 samples: 20 sharp ones on modes 0 and 1 (within 1 std), 12 at 4 std from mode 2 (low
    # quality, but mode 2 is still their nearest), 8 halfway between modes 4 and 5 (far from all).
    sharp = m[torch.tensor([0] * 12 + [1] * 8)] + 0.5 * sd * torch.randn(20, 2, generator=gen).clamp(-1.5, 1.5)
    angle = torch.rand(12, generator=gen) * 6.283
    near = m[2] + 4 * sd * torch.stack([angle.cos(), angle.sin()], dim=1)
    between = (0.5 * (m[4] + m[5])).expand(8, 2) + 0.01 * torch.randn(8, 2, generator=gen)
    crafted = torch.cat([sharp, near, between])
    # Samples at 1.8 std of modes 3 and 6 (inside 3 std, outside 1 std): a threshold of 1 std misses
    # them; ONE sharp sample on mode 0: the protocol covers a mode with a single sample.
    angle2 = torch.rand(10, generator=gen) * 6.283
    ring2 = 1.8 * sd * torch.stack([angle2.cos(), angle2.sin()], dim=1)
    second = torch.cat([m[3] + ring2[:5], m[6] + ring2[5:], between[:2], m[:1] + 0.5 * sd])
    g = grid()
    real_grid = g.sample(500, torch.Generator().manual_seed(4))
    return [(crafted, m, sd, "40 crafted samples on the ring (sharp on modes 0, 1; loose around mode 2; "
                             "8 between modes 4 and 5)"),
            (second, m, sd, "13 samples on the ring: 10 at 1.8 std of modes 3 and 6, 2 between modes, and a "
                            "single one on mode 0"),
            (real_grid, g.modes, g.std, "500 real samples of the 5x5 grid")]


def _coverage_mistake(samples, modes, sd, covered: float, hq: float, want: dict) -> str:
    """What the learner's (covered, hq) pair says went wrong, blaming only the number that is wrong."""
    dist, nearest = torch.cdist(samples, modes).min(dim=1)
    good, n_modes, w_cov, w_hq = dist < 3 * sd, len(modes), want["modes_covered"], want["high_quality"]
    per_mode = torch.bincount(nearest[good], minlength=n_modes)
    if abs(hq - w_hq) > 1e-6:                              # the share is wrong
        if abs(hq - int(good.sum())) < 1e-6:
            return "high_quality is a share of all samples (between 0 and 1), not a count: divide by the number " \
                   "of samples."
        if abs(hq - 100 * w_hq) < 1e-4:
            return "high_quality is a share between 0 and 1, not a percent."
        for k in (1.0, 2.0):
            if abs(hq - float((dist < k * sd).float().mean())) < 1e-6:
                return f"your threshold looks like {k:g} std; the protocol's is 3 standard deviations (dist < 3 * std)."
        if abs(hq - float((dist ** 2 < 3 * sd).float().mean())) < 1e-6 or \
                abs(hq - float((dist < 3 * sd ** 2).float().mean())) < 1e-6:
            return "compare the distance itself (not its square) with 3 * std (not 3 * std ** 2)."
        if covered == w_cov:
            return "modes_covered is right, high_quality is not: it is the share of ALL samples that lie within " \
                   "3 * std of their nearest mode."
    if covered != w_cov:                                   # the count is wrong
        if abs(covered - w_cov / n_modes) < 1e-6 or abs(covered - 100 * w_cov / n_modes) < 1e-4:
            return f"modes_covered is a count, not a share: how many of the {n_modes} modes are covered (an int)."
        if covered == int(torch.unique(nearest).numel()):
            return "you count every mode that is the nearest mode of SOME sample; a sample far from every mode " \
                   "(say halfway between two) covers nothing. Count only high-quality samples, those within 3 " \
                   "std of their nearest mode."
        if covered == int(good.sum()):
            return "modes_covered counts high-quality samples; count the modes that have at least one (e.g. " \
                   "torch.unique of their nearest-mode index)."
        if any(covered == int((per_mode >= n).sum()) for n in (2, 3, 5, 10)):
            return "a mode is covered by a single high-quality sample (the protocol's rule, however generous: " \
                   "section 9 shows why); your count asks for more than one."
        if abs(hq - w_hq) <= 1e-6:
            return "high_quality is right, modes_covered is not: count the distinct modes that receive at least " \
                   "one high-quality sample."
    return "take each sample's distance to its nearest mode (torch.cdist, then .min(dim=1)), call it high quality " \
           "below 3 * std, and count the modes that receive one."


def check_mode_coverage(coverage) -> bool:
    """``coverage(samples, modes, std)`` -> ``(modes_covered, high_quality)``: the VEEGAN protocol
    (a sample is high quality within 3 std of its nearest mode; a mode is covered by at least one
    high-quality sample; high_quality is the share of such samples, in [0, 1])."""
    if coverage is mode_coverage:
        raise CheckFailed("coverage is mode_coverage itself. " + _COVERAGE_LIBRARY[mode_coverage])
    for samples, modes, sd, what in _coverage_cases():
        got = call_refusing(coverage, samples.clone(), modes.clone(), sd, name="coverage", library=_COVERAGE_LIBRARY)
        check(isinstance(got, (tuple, list)) and len(got) == 2,
              f"coverage should return a pair (modes_covered, high_quality), got {type(got).__name__}"
              + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "") + ".")
        covered, hq = (float(v.detach()) if torch.is_tensor(v) and v.numel() == 1 else v for v in got)
        check(all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in (covered, hq)),
              "coverage should return two numbers (an int and a share).")
        want = mode_coverage(samples, modes, sd)
        if covered == want["modes_covered"] and abs(hq - want["high_quality"]) < 1e-6:
            continue
        raise CheckFailed(f"on {what}: got modes_covered = {covered:g}, high_quality = {hq:.4g}; expected "
                          f"{want['modes_covered']}, {want['high_quality']:.4g}. "
                          + _coverage_mistake(samples, modes, sd, covered, hq, want))
    return passed("check_mode_coverage", "matches the VEEGAN protocol on crafted ring samples and on the grid")


# --------------------------------------------------------------------------- exercise 4: the share within k std
_SIMULATE = "derive the share; do not simulate it (the check measures it on real samples for you)."
_INTEGRATE = "that is a numerical integral: do the integral by hand, in polar coordinates; it has a closed form."
_GAMMA = "an incomplete gamma function is a ready-made distribution function, a library's answer: derive the " \
         "share from the density of the noise."
_HQ_TORCH = {**{f: _SIMULATE for f in (
    torch.randn, torch.rand, torch.normal, torch.randint, torch.randn_like, torch.rand_like, torch.randint_like,
    torch.bernoulli, torch.multinomial, torch.poisson, torch.Tensor.normal_, torch.Tensor.uniform_,
    torch.Tensor.random_, torch.Tensor.exponential_, torch.Tensor.cauchy_, torch.Tensor.log_normal_,
    torch.Tensor.geometric_, torch.Tensor.bernoulli_)},
    **{f: _GAMMA for f in (torch.special.gammainc, torch.special.gammaincc, torch.igamma, torch.igammac,
                           torch.Tensor.igamma, torch.Tensor.igammac)},
    **{f: _INTEGRATE for f in (torch.trapezoid, torch.trapz, torch.cumulative_trapezoid)}}
_A = torch.ops.aten
_HQ_ATEN = {**{op: _SIMULATE for op in (_A.normal, _A.normal_, _A.uniform_, _A.random_, _A.exponential_, _A.cauchy_,
                                        _A.log_normal_, _A.geometric_, _A.bernoulli, _A.bernoulli_, _A.multinomial,
                                        _A.poisson, _A.randn, _A.rand, _A.randint, _A.randperm)},
            **{op: _GAMMA for op in (_A.igamma, _A.igammac, _A.special_gammainc, _A.special_gammaincc)}}
# Python modules whose code may not run inside hq_share: they hold the answer as a distribution
# function (scipy.stats, torch.distributions), integrate for the learner (scipy.integrate, sympy,
# mpmath) or draw random numbers (random, numpy.random).
_HQ_MODULES = {"scipy": "scipy holds ready-made distributions and integrators: derive the share yourself.",
               "torch.distributions": "torch.distributions holds the answer as a distribution's CDF or samples it: "
                                      "derive the share yourself.",
               "sympy": "sympy integrates for you: do the integral by hand (polar coordinates).",
               "mpmath": "mpmath integrates for you: do the integral by hand (polar coordinates).",
               "random": _SIMULATE, "numpy.random": _SIMULATE}
_HQ_NUMPY_INTEGRALS = ("trapz", "trapezoid")
_GAMMA_NAMES = ("gammainc", "gammaincc", "gdtr", "gdtrc", "chdtr", "chdtrc", "pdtr", "pdtrc", "chndtr")


def _refused_module(name: str | None) -> str | None:
    for prefix, message in _HQ_MODULES.items():
        if name and (name == prefix or name.startswith(prefix + ".")):
            return message
    return None


@contextmanager
def _shortcuts_off(fn):
    """While the block runs, a call from the learner's code into ``_HQ_MODULES`` (or numpy's
    trapezoid rule) raises CheckFailed (a profile hook sees every Python-level call, whatever name
    it was imported under);
    scipy.special's incomplete-gamma and chi-squared functions, compiled ufuncs that no hook sees,
    are swapped for stand-ins in scipy.special and in the learner's namespace."""
    for obj in (fn, *_captured(fn)):               # hq_share = functools.partial(scipy.stats.rayleigh.cdf), ...
        module = getattr(obj, "__module__", None) or type(obj).__module__
        if _refused_module(module):
            raise CheckFailed(_refused_module(module))
    learner = _globals_of(fn)

    def hook(frame, event, arg):
        # Only calls made by the learner's own code: torch itself may use sympy or random inside.
        caller = frame.f_back if event == "call" else frame
        if caller is not None and caller.f_globals is learner and event in ("call", "c_call"):
            if event == "call":
                mod, fname = frame.f_globals.get("__name__"), frame.f_code.co_name
                if (mod or "").startswith("numpy") and fname in _HQ_NUMPY_INTEGRALS:
                    raise CheckFailed(_INTEGRATE)
            else:
                mod = getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__module__
            message = _refused_module(mod)
            if message:
                raise CheckFailed(message)
        if previous is not None:
            previous(frame, event, arg)

    def raiser(*_a, **_k):
        raise CheckFailed(_GAMMA)
    special = sys.modules.get("scipy.special")
    gamma = [getattr(special, n) for n in _GAMMA_NAMES if special is not None and hasattr(special, n)]
    refuse_captured(fn, {f: _GAMMA for f in gamma}, "hq_share")
    targets = {id(f) for f in gamma}
    namespaces = [vars(m) for m in (special, sys.modules.get("scipy.special._ufuncs")) if m is not None]
    if _globals_of(fn) is not None:
        namespaces.append(_globals_of(fn))
    swapped = [(ns, k, v) for ns in namespaces for k, v in list(ns.items()) if id(v) in targets]
    previous = sys.getprofile()
    try:
        for ns, k, _v in swapped:
            ns[k] = raiser
        sys.setprofile(hook)
        yield
    finally:
        sys.setprofile(previous)
        for ns, k, v in swapped:
            ns[k] = v


_HQ_KS = (1.0, 1.5, 2.0, 3.0)


def _hq_reference(k: float) -> float:
    """The exact share: ||noise||^2 / std^2 follows the chi-squared law with 2 degrees of freedom."""
    return float(torch.special.gammainc(torch.tensor(1.0, dtype=torch.float64), torch.tensor(k * k / 2.0,
                                                                                              dtype=torch.float64)))


def _measured_share(k: float, n: int = 100_000) -> float:
    data = ring()
    x = data.sample(n, torch.Generator().manual_seed(0))
    return mode_coverage(x, data.modes, data.std, n_sigma=k)["high_quality"]


def _hq_value(v, k: float) -> float:
    if torch.is_tensor(v):
        check(v.numel() == 1, f"hq_share({k:g}) should be one number, got a tensor of shape {tuple(v.shape)}.")
        v = float(v)
    check(isinstance(v, numbers.Real) and not isinstance(v, bool),
          f"hq_share({k:g}) should return a number, got {type(v).__name__}.")
    return float(v)


def check_hq_share(hq_share) -> bool:
    """``hq_share(k)``: the share of 2-D isotropic Gaussian noise within k standard deviations of
    its centre, exact (to 1e-6) at several k, then compared with a measurement on 100,000 real ring
    samples (where the modes are far apart, so the nearest mode is the sample's own)."""
    for f in (mode_coverage, _hq_reference):
        if hq_share is f:
            raise CheckFailed("hq_share is a library function itself: derive the share as a function of k.")
    refused = {mode_coverage: "derive the share; mode_coverage measures it on samples.",
               _hq_reference: "that is the check's own reference: derive the share yourself."}
    got = {}
    with _shortcuts_off(hq_share):
        for k in _HQ_KS + (2.0,):                        # 2 twice: a function of k gives the same value twice
            v = _hq_value(call_refusing(hq_share, k, name="hq_share", library=refused, torch_ops=_HQ_TORCH,
                                        aten_ops=_HQ_ATEN), k)
            if k in got and v != got[k]:
                raise CheckFailed(f"hq_share(2) gave {got[k]:.6f}, then {v:.6f}: random numbers. {_SIMULATE}")
            got[k] = v
    right = {k: _hq_reference(k) for k in _HQ_KS}
    table = ", ".join(f"hq_share({k:g}) = {got[k]:.4g}" for k in _HQ_KS)
    if all(abs(got[k] - right[k]) < 1e-6 for k in _HQ_KS):
        measured = _measured_share(3.0), _measured_share(2.0)
        return passed("check_hq_share", f"hq_share(3) = {got[3.0]:.4f} (measured on 100,000 real ring samples: "
                                        f"{measured[0]:.4f}), hq_share(2) = {got[2.0]:.4f} (measured {measured[1]:.4f})")
    # Known slips, written through the reference so that no message or line here spells the answer.
    wrong = [
        (lambda k: math.erf(k / math.sqrt(2)), "that is the one-dimensional rule P(|x - mu| < k std). In 2-D the "
         "noise has two independent coordinates and the distance is the length of the pair: integrate the 2-D "
         "density over a disc of radius k std (polar coordinates)."),
        (lambda k: _hq_reference(k * math.sqrt(2)), "close: check the constant in your exponent. In units of std, "
         "a 2-D Gaussian's density falls as e^(-r^2/2)."),
        (lambda k: 1 - _hq_reference(k), "your share falls as k grows. The share within k std must grow with k, "
         "from 0 at k = 0 towards 1."),
        (lambda k: 100 * _hq_reference(k), "give a share between 0 and 1, not a percentage."),
        (lambda k: math.erf(k / math.sqrt(2)) ** 2, "that is the share inside a SQUARE of half-width k std "
         "(each coordinate within k std); the protocol's region is a disc: the distance must be below k std."),
        (lambda k: _hq_reference(math.sqrt(k)), "check how your exponent depends on k: a 2-D Gaussian's density "
         "falls as e^(-r^2/2) in units of std, with r the distance from the centre."),
    ]
    for f, message in wrong:
        if all(abs(got[k] - f(k)) < 1e-4 for k in _HQ_KS):
            raise CheckFailed(f"{table}: {message}")
    if any(not 0.0 <= got[k] <= 1.0 for k in _HQ_KS):
        raise CheckFailed(f"{table}: a share lies between 0 and 1.")
    if all(abs(got[k] - right[k]) < 0.02 for k in _HQ_KS):
        raise CheckFailed(f"{table}: close, but not exact (the check wants 6 decimals). That is what a simulation "
                          "or a numerical integral gives: derive the share as a formula in k.")
    measured = {k: _measured_share(k) for k in _HQ_KS}
    raise CheckFailed(f"{table}; measured on 100,000 real ring samples: "
                      + ", ".join(f"{measured[k]:.4f}" for k in _HQ_KS)
                      + ". Write the 2-D Gaussian density of the noise in polar coordinates and integrate it "
                        "over the disc of radius k std.")
