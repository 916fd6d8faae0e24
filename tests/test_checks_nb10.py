"""Exercise checks of notebook 10 (the DDPM's loss, one reverse step, x0 from eps; reading the generators
table; interpolating DDIM's noise): each check passes hand-written model solutions and fails the stub,
each typical slip (with its teaching message), bad types and the library's answer (itself, bound to
another name, wrapped); the reverse step's reference agrees with the library's p_sample_step."""
import re

import pytest
import torch
import torch.nn.functional as F

from gan_helpers.checks import CheckFailed
from gan_helpers.checks import nb10
from gan_helpers.checks.nb10 import (INTERPOLATION_CHOICES, TABLE_CLAIMS, check_interpolation, check_noise_loss,
                                     check_predict_x0, check_reverse_step, check_table_claims, table_claim_truth)
from gan_helpers.train import diffusion
from gan_helpers.train.diffusion import Schedule, ddim_step, ddpm_loss, p_sample_step, q_sample


def stub(*_args, **_kw):
    raise NotImplementedError()


def notebook(source: str, **names) -> dict:
    """Run ``source`` in a fresh namespace, as a notebook's cells would (the checks read fn.__globals__)."""
    ns = dict(names, torch=torch, F=F)
    exec(source, ns)
    return ns


def schedule_of(alpha_bar):
    """The library's Schedule with this alpha_bar (the betas that give it)."""
    ab = alpha_bar.double()
    return Schedule(1 - ab / torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]]))


# --- exercise 1 -------------------------------------------------------------------------------------------
def make_loss(ab_sqrt=True, rest_sqrt=True, sign=1, target="eps", reduce="mean", one_t=False, on_x0=False,
              no_t=False, out="tensor"):
    def noise_loss(model, x0, t, eps, alpha_bar):
        ab = alpha_bar[t[0]] if one_t else alpha_bar[t].view(-1, 1, 1, 1)
        x_t = (ab.sqrt() if ab_sqrt else ab) * x0 + sign * ((1 - ab).sqrt() if rest_sqrt else 1 - ab) * eps
        inp = x0 if on_x0 else x_t
        eps_hat = model(inp) if no_t else model(inp, t)
        loss = F.mse_loss(eps_hat, x0 if target == "x0" else eps, reduction=reduce)
        return {"tensor": loss, "item": loss.item(), "detach": loss.detach(), "per_pixel": (eps_hat - eps) ** 2}[out]
    return noise_loss


def test_noise_loss_solutions_pass():
    assert check_noise_loss(make_loss())
    assert check_noise_loss(lambda model, x0, t, eps, ab: ((eps - model(ab[t][:, None, None, None] ** 0.5 * x0 + (
        1 - ab[t][:, None, None, None]) ** 0.5 * eps, t)) ** 2).mean())


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_loss(ab_sqrt=False), "x0's weight is alpha_bar"),
    (make_loss(rest_sqrt=False), "eps's weight is 1 - alpha_bar"),
    (make_loss(ab_sqrt=False, rest_sqrt=False), "those are the \\*variances\\*"),
    (make_loss(sign=-1), "subtracted the noise"),
    (make_loss(target="x0"), "target is eps"),
    (make_loss(reduce="sum"), "sum over all pixels"),
    (make_loss(one_t=True), "first image's step"),
    (make_loss(on_x0=True), "called on x0"),
    (make_loss(no_t=True), "called without t"),
    (make_loss(out="item"), "Python number"),
    (make_loss(out="detach"), "does not require grad"),
    (make_loss(out="per_pixel"), "reduce it to one number"),
    (lambda m, x0, t, eps, ab: make_loss()(lambda x, s: m(x, s.float()), x0, t, eps, ab), "one integer step"),
    (lambda m, x0, t, eps, ab: F.mse_loss(eps * 0, eps) + 0 * m.v.sum(), "no gradient to the model's weights"),
    (lambda m, x0, t, eps, ab: "0.5", "should return the loss"),
])
def test_noise_loss_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_noise_loss(wrong)


def test_checks_want_a_function():
    for chk, name in [(check_noise_loss, "noise_loss"), (check_reverse_step, "reverse_step"),
                      (check_predict_x0, "predict_x0")]:
        with pytest.raises(CheckFailed, match=f"takes your function itself.*{name}.*got int"):
            chk(3)


# --- exercise 2 -------------------------------------------------------------------------------------------
def make_step(noise_at_0=False, noise="sqrt", div="alpha", sign=1, coef_sqrt=True, fresh=False, int_t=False):
    def reverse_step(model, x_t, t, betas, alpha_bar, z):
        beta, ab = betas[t], alpha_bar[t]
        eps = model(x_t, t if int_t else torch.full((len(x_t),), t, dtype=torch.long))
        coef = beta / (1 - ab).sqrt() if coef_sqrt else beta / (1 - ab)
        mean = x_t - sign * coef * eps
        mean = mean / {"alpha": (1 - beta).sqrt(), "alpha_bar": ab.sqrt(), "none": 1}[div]
        if t == 0 and not noise_at_0:
            return mean
        noise_ = torch.randn_like(x_t) if fresh else z
        return mean + {"sqrt": beta.sqrt(), "beta": beta, "none": 0}[noise] * noise_
    return reverse_step


def test_reverse_step_solution_passes():
    assert check_reverse_step(make_step())


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_step(noise_at_0=True), "noise was added on the last step"),
    (make_step(noise="beta"), "scaled by beta_t"),
    (make_step(noise="none"), "No noise was added at t > 0"),
    (make_step(div="alpha_bar"), "divided by sqrt\\(alpha_bar\\[t\\]\\)"),
    (make_step(div="none"), "not divided by sqrt\\(alpha_t\\)"),
    (make_step(sign=-1), "The eps term was added"),
    (make_step(coef_sqrt=False), "betas\\[t\\] / \\(1 - alpha_bar\\[t\\]\\)"),
    (make_step(fresh=True), "same z gave different"),
    (make_step(int_t=True), "one integer step per image"),
    (lambda m, x, t, b, ab, z: make_step()(m, x, t, b, ab, torch.randn(z.shape, generator=torch.Generator()
                                                                       .manual_seed(0))), "not the z you were given"),
    (lambda m, x, t, b, ab, z: make_step()(m, x, max(t - 1, 0), b, ab, z), "model was called with steps"),
    (lambda m, x, t, b, ab, z: make_step()(m, x, t, b, ab, z).double(), "float64"),
    (lambda m, x, t, b, ab, z: make_step()(m, x, t, b, ab, z)[0], "has shape"),
    (lambda m, x, t, b, ab, z: make_step()(m, x, t, b, ab, z).tolist(), "should return x_\\(t-1\\)"),
])
def test_reverse_step_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_reverse_step(wrong)


def test_reverse_reference_agrees_with_the_library():
    betas, alpha_bar = nb10._schedule(10)
    s = Schedule(betas.double())
    model = nb10._EpsNet(10, 0)
    for t in (0, 1, 5, 9):
        x_t = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(t))
        z = torch.randn(x_t.shape, generator=torch.Generator().manual_seed(100 + t))
        lib = p_sample_step(model, x_t, t, s, torch.Generator().manual_seed(100 + t), clip_x0=False)
        assert torch.allclose(nb10._reverse(model, x_t, t, s.betas, s.alpha_bar, z).float(), lib, atol=1e-5)
        assert torch.allclose(make_step()(model, x_t, t, s.betas, s.alpha_bar, z).detach(), lib, atol=1e-5)


# --- exercise 3 -------------------------------------------------------------------------------------------
def make_x0(root=True, sign=1, multiply=False, clamp=False):
    def predict_x0(x_t, eps_hat, t, alpha_bar):
        ab = alpha_bar[t]
        a, b = (ab.sqrt(), (1 - ab).sqrt()) if root else (ab, 1 - ab)
        top = x_t - sign * b * eps_hat
        x0 = top * a if multiply else top / a
        return x0.clamp(-1, 1) if clamp else x0
    return predict_x0


def test_predict_x0_solution_passes():
    assert check_predict_x0(make_x0())
    assert check_predict_x0(lambda x_t, e, t, ab: (x_t - (1 - float(ab[t])) ** 0.5 * e) / float(ab[t]) ** 0.5)


@pytest.mark.parametrize("wrong, match", [
    (stub, "NotImplementedError"),
    (make_x0(root=False), "No square roots"),
    (make_x0(sign=-1), "The noise was added"),
    (make_x0(multiply=True), "divide by it on the way back"),
    (make_x0(clamp=True), "clipped to \\[-1, 1\\]"),
    (lambda x, e, t, ab: make_x0()(x.double(), e, t, ab), "float64"),
    (lambda x, e, t, ab: None, "should return x0_hat"),
])
def test_predict_x0_wrong_answers(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_predict_x0(wrong)


# --- the library's answers and the checks' own references, refused under any name --------------------
LOSS, STEP, X0 = check_noise_loss, check_reverse_step, check_predict_x0
REFUSED = [
    (LOSS, ddpm_loss), (LOSS, q_sample), (STEP, p_sample_step), (X0, ddim_step),
    (LOSS, lambda m, x0, t, eps, ab: F.mse_loss(m(q_sample(x0, t, eps, schedule_of(ab)), t), eps)),
    (LOSS, lambda m, x0, t, eps, ab: ddpm_loss(m, x0, schedule_of(ab))),
    (LOSS, lambda m, x0, t, eps, ab: F.mse_loss(m(diffusion._at(ab, t, x0).sqrt() * x0 + eps, t), eps)),
    (LOSS, notebook("from gan_helpers.train.diffusion import q_sample as qs, Schedule\n"
                    "def noise_loss(model, x0, t, eps, alpha_bar):\n"
                    "    s = Schedule(alpha_bar * 0 + 0.1)\n"
                    "    return F.mse_loss(model(qs(x0, t, eps, s), t), eps)")["noise_loss"]),
    (STEP, lambda m, x, t, b, ab, z: p_sample_step(m, x, t, Schedule(b.double()))),
    (STEP, lambda m, x, t, b, ab, z: diffusion.sample_ddpm(m, len(x), Schedule(b.double()), x_T=x)),
    (STEP, notebook("from gan_helpers.train.diffusion import p_sample_step as step, Schedule\n"
                    "def reverse_step(model, x_t, t, betas, alpha_bar, z):\n"
                    "    return step(model, x_t, t, Schedule(betas))")["reverse_step"]),
    (X0, lambda x, e, t, ab: ddim_step(lambda x_, s: e, x, t, -1, schedule_of(ab))),
    (X0, notebook("from gan_helpers.train import diffusion as D\ndef predict_x0(x_t, eps_hat, t, alpha_bar):\n"
                  "    return D.ddim_step(lambda x, s: eps_hat, x_t, t, -1, D.Schedule(1 - alpha_bar))")["predict_x0"]),
    (LOSS, lambda m, x0, t, eps, ab: torch.tensor(nb10._loss(m, x0, t, eps, ab))),
    (STEP, lambda m, x, t, b, ab, z: nb10._reverse(m, x, t, b, ab, z).float()),
    (X0, lambda x, e, t, ab: nb10._x0(x, e, t, ab).float()),
]


@pytest.mark.parametrize("chk, wrong", REFUSED)
def test_the_library_and_the_references_are_refused(chk, wrong):
    with pytest.raises(CheckFailed, match="write the formula yourself: gan_helpers.train.diffusion"):
        chk(wrong)
    assert q_sample(torch.zeros(1, 1, 2, 2), 0, torch.ones(1, 1, 2, 2), Schedule(torch.tensor([0.5]))).shape == (
        1, 1, 2, 2)                                                              # restored afterwards


# --- exercise 4 -------------------------------------------------------------------------------------------
def fake_table(**changes):
    """A small table in load_table()'s format; ``changes``: {"row prefix": {column: value}}."""
    from gan_helpers.bench.generators import TABLE_FORMAT

    def row(name, family, FID, recall, params, train_min, ms, threads=1, CAS=None):
        return dict(name=name, family=family, FID=FID, KID=1.0, precision=0.8, recall=recall, density=0.9,
                    coverage=0.8, CAS=CAS, params=params, train_min=train_min, threads=threads,
                    evals=1, ms_per_sample=ms)
    rows = [row("real training digits", "data", 3.8, 0.95, None, None, None, None, CAS=0.99),
            row("03 MLP GAN", "GAN", 19.4, 0.55, 1_500_000, 40, 0.05),
            row("04 DCGAN", "GAN", 8.6, 0.60, 6_600_000, 94, 0.30),
            row("05 conditional GAN", "GAN", 7.3, 0.65, 3_000_000, 64, 0.20, 2, CAS=0.98),
            row("06 MLP NS GAN (6 CPU min)", "GAN", 111.9, 0.10, 1_500_000, 6, 0.05),
            row("DDPM, DDIM 50 steps", "diffusion", 12.5, 0.95, 2_000_000, 300, 30.0, "1-2"),
            row("DDPM, full chain (1000 steps)", "diffusion", 9.5, 0.72, 2_000_000, 300, 600.0, "1-2")]
    for r in rows:
        for prefix, cols in changes.items():
            if r["name"].startswith(prefix):
                r.update(cols)
    return {"format": TABLE_FORMAT, "n": 1000, "rows": rows}


TRUTH = {"a": True, "b": True, "c": True, "d": True, "e": False, "f": False}


def test_table_claim_truth_comes_from_the_numbers():
    assert table_claim_truth(fake_table()) == TRUTH
    flips = {"a": {"DDPM, full": {"FID": 13.0}}, "b": {"05 cond": {"ms_per_sample": 5.0}},
             "c": {"DDPM": {"params": 7_000_000}}, "d": {"DDPM, DDIM": {"recall": 0.70}},
             "e": {"DDPM": {"train_min": 60}}}
    for letter, change in flips.items():
        truth = table_claim_truth(fake_table(**change))
        assert truth == {**TRUTH, letter: not TRUTH[letter]}, letter
    assert table_claim_truth(fake_table(**{"DDPM": {"FID": 1.0, "recall": 0.99}}))["f"] is False


def test_table_claims_right_answers_pass(monkeypatch):
    assert check_table_claims(dict(TRUTH), fake_table())
    assert check_table_claims({" A": True, "b": True, "C": True, "d": True, "e": False, "f": False}, fake_table())
    import gan_helpers.bench.generators as generators
    monkeypatch.setattr(generators, "load_table", lambda: fake_table(**{"DDPM": {"train_min": 60}}))
    assert check_table_claims({**TRUTH, "e": True})                            # table=None reads load_table()


@pytest.mark.parametrize("letter, match", [
    ("a", "FID column.*DDPM, full chain \\(1000 steps\\) 9.50, DDPM, DDIM 50 steps 12.50"),
    ("b", "ms/sample column: DDPM, DDIM 50 steps 30; 03 MLP GAN 0.05, 04 DCGAN 0.3"),
    ("c", "params column: the DDPM 2,000,000, 04 DCGAN 6,600,000"),
    ("d", "Precision / recall: DDPM, DDIM 50 steps 0.800 / 0.950; 03 MLP GAN 0.800 / 0.550"),
    ("e", "train min column: the DDPM 300 min \\(on 1-2 threads\\), 04 DCGAN 94 min"),
    ("f", "how many diffusion models and how many GANs"),
])
def test_table_claims_say_neither_which_nor_how_many_answers_are_wrong(letter, match):
    answers = {**TRUTH, letter: not TRUTH[letter]}
    with pytest.raises(CheckFailed, match="At least one answer does not match") as err:
        check_table_claims(answers, fake_table())
    msg = str(err.value)
    assert re.search(match, msg, re.S)                     # the numbers of every statement are given ...
    assert all(f"({k})" in msg for k in TABLE_CLAIMS)
    assert "You answered" not in msg and all(TABLE_CLAIMS[k] not in msg for k in TABLE_CLAIMS)   # ... not which is wrong
    with pytest.raises(CheckFailed) as err_all:            # all wrong: the very same message
        check_table_claims({k: not v for k, v in TRUTH.items()}, fake_table())
    assert str(err_all.value) == msg


@pytest.mark.parametrize("answers, match", [
    ([True] * 6, "should be a dict"),
    ({k: v for k, v in TRUTH.items() if k != "c"}, "no entry for c"),
    ({**TRUTH, "g": True}, "entries for \\['g'\\]"),
    ({**TRUTH, "a": "True"}, "the string 'True'.*without quotes"),
    ({**TRUTH, "b": 1}, "answer True or False"),
    ({**TRUTH, "A": True}, "same letter twice"),
])
def test_table_claims_refuse_malformed_answers(answers, match):
    with pytest.raises(CheckFailed, match=match):
        check_table_claims(answers, fake_table())


@pytest.mark.parametrize("table, match", [
    ({"rows": []}, "non-empty list"), ({**fake_table(), "format": "other"}, "format"),
    (fake_table(**{"04 DCGAN": {"name": "DCGAN"}}), "no row whose name starts with '04 DCGAN'"),
    (fake_table(**{"DDPM": {"train_min": None}}), "no number under 'train_min'"),
])
def test_table_claims_bad_tables(table, match):
    with pytest.raises(ValueError, match=match):
        check_table_claims(dict(TRUTH), table)


# --- exercise 5 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("choice", ["C", " c", "c\n"])
def test_interpolation_right_choice_passes(choice):
    assert check_interpolation(choice)


@pytest.mark.parametrize("choice, match", [("A", "12 standard deviations"), ("b", "cross-fade"),
                                           ("D ", "eta = 0 DDIM adds no noise")])
def test_interpolation_wrong_choices_teach(choice, match):
    with pytest.raises(CheckFailed, match=match) as err:
        check_interpolation(choice)
    msg = str(err.value)
    assert "((x_a + x_b) / 2).norm()" in msg                                  # a quantity to compute
    assert INTERPOLATION_CHOICES["C"] not in msg and not re.search(r"\bC\b", msg)


@pytest.mark.parametrize("choice, match", [("E", "not one of the choices: answer one letter, 'A', 'B', 'C', 'D'"),
                                           ("slerp", "not one of the choices"), ("", "not one of the choices"),
                                           (3, "one letter as a string"), (["C"], "one letter as a string")])
def test_interpolation_refuses_other_answers(choice, match):
    with pytest.raises(CheckFailed, match=match):
        check_interpolation(choice)


def test_exactly_one_interpolation_choice_is_right():
    def right(letter):
        try:
            return bool(check_interpolation(letter))
        except CheckFailed:
            return False
    assert [k for k in INTERPOLATION_CHOICES if right(k)] == ["C"] and len(INTERPOLATION_CHOICES) == 4


# --- exercise 1: the forward jump ---------------------------------------------------------------------------
def noisy_ok(x0, t, eps, alpha_bar):
    ab = alpha_bar[t].view(-1, 1, 1, 1)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


def test_noisy_passes_and_refuses_the_library():
    from gan_helpers.checks.nb10 import check_noisy
    from gan_helpers.train.diffusion import Schedule, q_sample
    assert check_noisy(noisy_ok)

    def noisy(x0, t, eps, alpha_bar):
        betas = 1 - alpha_bar / torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])
        return q_sample(x0, t, eps, Schedule(betas))
    with pytest.raises(CheckFailed, match="q_sample"):
        check_noisy(noisy)


@pytest.mark.parametrize("body, match", [
    (lambda x0, ab, eps: ab * x0 + (1 - ab) * eps, "variances"),
    (lambda x0, ab, eps: ab * x0 + (1 - ab).sqrt() * eps, "x0's weight should be the square root"),
    (lambda x0, ab, eps: ab.sqrt() * x0 + (1 - ab) * eps, "eps's weight should be the square root"),
    (lambda x0, ab, eps: ab.sqrt() * x0 - (1 - ab).sqrt() * eps, "subtracted"),
])
def test_noisy_names_each_slip(body, match):
    from gan_helpers.checks.nb10 import check_noisy

    def noisy(x0, t, eps, alpha_bar):
        return body(x0, alpha_bar[t].view(-1, 1, 1, 1), eps)
    with pytest.raises(CheckFailed, match=match):
        check_noisy(noisy)


def test_noisy_one_step_for_all_and_wrong_shapes():
    from gan_helpers.checks.nb10 import check_noisy

    def noisy(x0, t, eps, alpha_bar):
        ab = alpha_bar[t[0]]
        return ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    with pytest.raises(CheckFailed, match="first image's step"):
        check_noisy(noisy)
    with pytest.raises(CheckFailed, match="shape"):
        check_noisy(lambda x0, t, eps, alpha_bar: noisy_ok(x0, t, eps, alpha_bar).flatten(1))
