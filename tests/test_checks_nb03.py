"""Notebook 03's exercise checks: for every graded exercise the model solution passes, the typical
wrong answers fail with their message, the library's shortcut is refused, and a copy or wrapper of
the neighbouring worked cell fails."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_helpers.checks import CheckFailed
from gan_helpers.checks import nb03
from gan_helpers.latent.space import jacobian_metric, principal_directions
from gan_helpers.losses import generator_loss_nonsaturating
from gan_helpers.metrics.mnist import frechet_distance


def stub(*args, **kwargs):
    raise NotImplementedError()


def learner(source: str) -> dict:
    """A notebook namespace: the learner's cell run with the notebook's imports."""
    ns = {"torch": torch, "np": np, "F": F}
    exec(source, ns)
    return ns


# -- exercise 1: sqrtm_psd -----------------------------------------------------------------
SQRTM = """
def sqrtm_psd(S):
    w, V = torch.linalg.eigh(S)
    return V @ torch.diag(w.clamp(min=0).sqrt()) @ V.T
"""


def test_sqrtm_solution_passes(capsys):
    assert nb03.check_sqrtm_psd(learner(SQRTM)["sqrtm_psd"])
    assert "PASSED sqrtm_psd" in capsys.readouterr().out


@pytest.mark.parametrize("body, message", [
    ("return torch.sqrt(S)", "elementwise"),                     # the worked cell's diagonal root, copied
    ("return torch.linalg.cholesky(S + 1e-12 * torch.eye(len(S), dtype=S.dtype))", "Cholesky"),
    ("w, V = torch.linalg.eigh(S)\n    return V @ torch.diag(w.sqrt()) @ V.T", "Clip them at 0"),
    ("w, V = torch.linalg.eigh(S)\n    return V.T @ torch.diag(w.clamp(min=0).sqrt()) @ V", "COLUMNS"),
    ("w, V = torch.linalg.eigh(S)\n    return V @ torch.diag(w.clamp(min=0).sqrt())", "not symmetric"),
    ("w, V = torch.linalg.eigh(S)\n    return -V @ torch.diag(w.clamp(min=0).sqrt()) @ V.T", "negative eigenvalue"),
    ("raise NotImplementedError()", "NotImplementedError"),
])
def test_sqrtm_mistakes_fail(body, message):
    fn = learner(f"def sqrtm_psd(S):\n    {body}\n")["sqrtm_psd"]
    with pytest.raises(CheckFailed, match=message):
        nb03.check_sqrtm_psd(fn)


@pytest.mark.parametrize("source", [
    "from scipy import linalg\ndef sqrtm_psd(S): return torch.from_numpy(linalg.sqrtm(S.numpy()).real)",
    "import scipy.linalg\ndef sqrtm_psd(S): return torch.from_numpy(scipy.linalg.sqrtm(S.numpy()).real)",
    "from scipy.linalg import sqrtm as root\ndef sqrtm_psd(S): return torch.from_numpy(root(S.numpy()).real)",
    "from scipy.linalg import fractional_matrix_power as p\ndef sqrtm_psd(S): return torch.from_numpy(p(S.numpy(), .5).real)",
    "from scipy.linalg import funm\ndef sqrtm_psd(S): return torch.from_numpy(funm(S.numpy(), np.sqrt).real)",
    "import scipy.linalg\ndef sqrtm_psd(S): return torch.from_numpy(scipy.linalg.funm(S.numpy(), np.sqrt).real)",
    "from scipy.linalg import _matfuncs as m\ndef sqrtm_psd(S): return torch.from_numpy(m.sqrtm(S.numpy()).real)",
    "import scipy.linalg\ndef sqrtm_psd(S, root=scipy.linalg.funm):\n    return torch.from_numpy(root(S.numpy(), np.sqrt).real)",
    "from gan_helpers.checks.nb03 import _sqrtm_psd\ndef sqrtm_psd(S): return torch.from_numpy(_sqrtm_psd(S.numpy()))",
])
def test_sqrtm_library_refused(source):
    with pytest.raises(CheckFailed, match="refused|reference"):
        nb03.check_sqrtm_psd(learner(source)["sqrtm_psd"])
    from scipy import linalg
    assert linalg.sqrtm.__name__ == "sqrtm" and linalg.funm.__name__ == "funm"   # restored afterwards
    from scipy.linalg import _matfuncs
    assert _matfuncs.sqrtm is linalg.sqrtm and _matfuncs.funm is linalg.funm
    with pytest.raises(CheckFailed, match="itself"):
        nb03.check_sqrtm_psd(linalg.sqrtm)


# -- exercise 2: FID from features ---------------------------------------------------------
FID = SQRTM + """
def fid_diagonal(f_a, f_b):      # section 5's worked cell: every feature its own 1-D Gaussian
    return float(((f_a.mean(0) - f_b.mean(0)) ** 2).sum() + ((f_a.std(0) - f_b.std(0)) ** 2).sum())

def _stats(f_real, f_fake):
    return f_real.mean(0), f_fake.mean(0), torch.cov(f_real.T), torch.cov(f_fake.T)

def fid_from_features(f_real, f_fake):
    mu_r, mu_g, S_r, S_g = _stats(f_real, f_fake)
    root_r = sqrtm_psd(S_r)
    M = root_r @ S_g @ root_r
    return float(((mu_r - mu_g) ** 2).sum() + torch.trace(S_r + S_g) - 2 * torch.trace(sqrtm_psd((M + M.T) / 2)))
"""


def _fid_variant(cross: str, mean_term: str = "((mu_r - mu_g) ** 2).sum()", factor: str = "2") -> object:
    return learner(FID + f"""
def variant(f_real, f_fake):
    mu_r, mu_g, S_r, S_g = _stats(f_real, f_fake)
    return float({mean_term} + torch.trace(S_r + S_g) - {factor} * torch.trace({cross}))
""")["variant"]


def test_fid_solution_passes(capsys):
    ns = learner(FID)
    assert nb03.check_fid(ns["fid_from_features"])
    assert "PASSED FID" in capsys.readouterr().out
    biased = learner(FID.replace("torch.cov(f_real.T), torch.cov(f_fake.T)",
                                 "torch.cov(f_real.T, correction=0), torch.cov(f_fake.T, correction=0)"))
    assert nb03.check_fid(biased["fid_from_features"])          # dividing by N instead of N - 1 is fine
    assert nb03.check_fid(lambda a, b: torch.tensor(ns["fid_from_features"](a, b)))   # a 0-dim tensor too


@pytest.mark.parametrize("cross, extra, message", [
    ("torch.sqrt((S_r @ S_g).abs())", {}, "elementwise"),
    ("sqrtm_psd(S_r) @ sqrtm_psd(S_g)", {}, "product of the two square roots"),
    ("sqrtm_psd(S_r @ S_g)", {}, "not symmetric"),
    ("sqrtm_psd((S_r @ S_g + (S_r @ S_g).T) / 2)", {}, "other eigenvalues"),
    ("sqrtm_psd(sqrtm_psd(S_r) @ S_g @ sqrtm_psd(S_r))", {"factor": "1"}, "factor 2"),
    ("sqrtm_psd(sqrtm_psd(S_r) @ S_g @ sqrtm_psd(S_r))", {"mean_term": "(mu_r - mu_g).norm()"}, "SQUARED"),
    ("sqrtm_psd(sqrtm_psd(S_r) @ S_g @ sqrtm_psd(S_r))", {"mean_term": "0.0"}, "mean term"),
])
def test_fid_mistakes_fail(cross, extra, message):
    with pytest.raises(CheckFailed, match=message):
        nb03.check_fid(_fid_variant(cross, **extra))


def test_fid_more_mistakes_fail():
    ns = learner(FID)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb03.check_fid(stub)
    rows = learner(FID.replace("torch.cov(f_real.T), torch.cov(f_fake.T)", "torch.cov(f_real), torch.cov(f_fake)"))
    with pytest.raises(CheckFailed, match="ROWS as variables"):
        nb03.check_fid(rows["fid_from_features"])
    means_over_features = learner(FID.replace("f_real.mean(0), f_fake.mean(0)", "f_real.mean(1), f_fake.mean(1)"))
    with pytest.raises(CheckFailed, match="dim 0"):
        nb03.check_fid(means_over_features["fid_from_features"])
    eigvals = learner(FID + """
def variant(f_real, f_fake):
    mu_r, mu_g, S_r, S_g = _stats(f_real, f_fake)
    return ((mu_r - mu_g) ** 2).sum() + torch.trace(S_r + S_g) - 2 * torch.linalg.eigvals(S_r @ S_g).sqrt().sum()
""")
    with pytest.raises(CheckFailed, match="complex"):
        nb03.check_fid(eigvals["variant"])
    float32 = learner(FID.replace("mu_r, mu_g, S_r, S_g = _stats(f_real, f_fake)",
                                  "mu_r, mu_g, S_r, S_g = _stats(f_real.float(), f_fake.float())"))
    with pytest.raises(CheckFailed, match="Keep float64"):
        nb03.check_fid(float32["fid_from_features"])
    no_clip = learner(FID.replace("w.clamp(min=0).sqrt()", "w.sqrt()"))
    with pytest.raises(CheckFailed, match="nan|clip"):
        nb03.check_fid(no_clip["fid_from_features"])


def test_fid_worked_cell_refused():
    ns = learner(FID + "def wraps(f_real, f_fake): return fid_diagonal(f_real, f_fake)\n")
    with pytest.raises(CheckFailed, match="diagonal FID"):
        nb03.check_fid(ns["wraps"])                               # a wrapper of section 5's cell
    copy = learner(FID + """
def copied(f_real, f_fake):
    return float(((f_real.mean(0) - f_fake.mean(0)) ** 2).sum() + ((f_real.std(0) - f_fake.std(0)) ** 2).sum())
""")
    with pytest.raises(CheckFailed, match="diagonal FID"):
        nb03.check_fid(copy["copied"])                            # a copy of it


@pytest.mark.parametrize("source", [
    "from gan_helpers.metrics import frechet_distance\ndef fid(a, b): return frechet_distance(a, b)",
    "from gan_helpers.metrics import mnist\ndef fid(a, b): return mnist.frechet_distance(a, b)",
    "from gan_helpers.metrics.mnist import _frechet\ndef fid(a, b):\n    a, b = a.numpy(), b.numpy()\n"
    "    return _frechet(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))",
    "from torchmetrics.image.fid import _compute_fid\ndef fid(a, b):\n"
    "    return float(_compute_fid(a.mean(0), torch.cov(a.T), b.mean(0), torch.cov(b.T)))",
    "from scipy import linalg\ndef fid(a, b):\n    a, b = a.numpy(), b.numpy()\n"
    "    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)\n"
    "    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(s_a + s_b - 2 * linalg.sqrtm(s_a @ s_b).real))",
])
def test_fid_library_refused(source):
    with pytest.raises(CheckFailed, match="library's FID|torchmetrics|refused"):
        nb03.check_fid(learner(source)["fid"])
    with pytest.raises(CheckFailed, match="itself"):
        nb03.check_fid(frechet_distance)
    a = torch.randn(50, 3, dtype=torch.float64)
    assert frechet_distance(a, a + 1) > 0                          # the library is back afterwards


# -- exercise 4: feature matching ------------------------------------------------------------
FM = """
def g_phase_feature_matching(features, opt_G, x_real, x_fake):
    with torch.no_grad():
        target = features(x_real).mean(0)
    loss_G = ((target - features(x_fake).mean(0)) ** 2).sum()
    opt_G.zero_grad(set_to_none=True)
    loss_G.backward()
    opt_G.step()
    return loss_G.detach()
"""


def test_feature_matching_solution_passes(capsys):
    assert nb03.check_feature_matching(learner(FM)["g_phase_feature_matching"])
    detached = learner(FM.replace("    with torch.no_grad():\n        target = features(x_real).mean(0)",
                                  "    target = features(x_real).mean(0).detach()"))
    assert nb03.check_feature_matching(detached["g_phase_feature_matching"])     # no graph kept either
    assert "PASSED feature matching" in capsys.readouterr().out


@pytest.mark.parametrize("old, new, message", [
    ("loss_G = ((target - features(x_fake).mean(0)) ** 2).sum()",
     "loss_G = ((features(x_real).detach() - features(x_fake)) ** 2).sum(1).mean()", "no pairing"),
    ("((target - features(x_fake).mean(0)) ** 2).sum()", "F.mse_loss(features(x_fake).mean(0), target)", "SUM over"),
    ("((target - features(x_fake).mean(0)) ** 2).sum()", "(target - features(x_fake).mean(0)).norm()", "SQUARED norm"),
    ("mean(0)", "mean(1)", "dim 1"),
    ("features(x_fake).mean(0)", "features(x_fake.detach()).mean(0)", "did not change"),
    ("    opt_G.zero_grad(set_to_none=True)\n", "", "left over"),
    ("    opt_G.step()\n", "", "call opt_G.step"),
    ("    opt_G.zero_grad(set_to_none=True)\n    loss_G.backward()\n",
     "    loss_G.backward()\n    opt_G.zero_grad()\n", "zero_grad BEFORE backward"),
    ("    opt_G.zero_grad(set_to_none=True)\n    loss_G.backward()\n",
     "    loss_G.backward()\n    opt_G.zero_grad(set_to_none=False)\n", "zero_grad BEFORE backward"),
    ("    with torch.no_grad():\n        target", "    if True:\n        target", "REAL batch"),
    ("    opt_G.step()\n", "    opt_G.step()\n    opt_G.step()\n", "once"),
])
def test_feature_matching_mistakes_fail(old, new, message):
    assert old in FM
    with pytest.raises(CheckFailed, match=message):
        nb03.check_feature_matching(learner(FM.replace(old, new))["g_phase_feature_matching"])


@pytest.mark.parametrize("source", [
    # a copy of section 4's G phase (the neighbouring worked cell) with the logit loss
    "from gan_helpers.losses import generator_loss_nonsaturating\n"
    "def g(features, opt_G, x_real, x_fake):\n    loss_G = generator_loss_nonsaturating(features(x_fake))\n"
    "    opt_G.zero_grad(); loss_G.backward(); opt_G.step(); return loss_G",
    "def g(features, opt_G, x_real, x_fake):\n    l = features(x_fake)\n"
    "    loss_G = F.binary_cross_entropy_with_logits(l, torch.ones_like(l))\n"
    "    opt_G.zero_grad(); loss_G.backward(); opt_G.step(); return loss_G",
    "from gan_helpers.train import g_step\ndef g(features, opt_G, x_real, x_fake): return g_step(None, features, opt_G, x_fake)",
])
def test_feature_matching_library_and_worked_cell_refused(source):
    with pytest.raises(CheckFailed, match="logit"):
        nb03.check_feature_matching(learner(source)["g"])
    ns = learner(FM + "def train_step(G, D, opt_G, opt_D, x_real): return {}\n"
                      "def g(features, opt_G, x_real, x_fake): return train_step(None, None, opt_G, None, x_real)\n")
    with pytest.raises(CheckFailed, match="train_step"):
        nb03.check_feature_matching(ns["g"])
    with pytest.raises(CheckFailed, match="itself"):
        nb03.check_feature_matching(generator_loss_nonsaturating)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb03.check_feature_matching(stub)


# -- exercise 5: principal directions averaged over z -----------------------------------------
TOP = """
def directions_at(G, z, k):       # section 6's worked cell: the top directions at ONE z
    J = torch.autograd.functional.jacobian(lambda v: G(v[None]).flatten(), z)
    U, s, Vh = torch.linalg.svd(J, full_matrices=False)
    return Vh[:k], s[:k]

def top_directions(G, z, k):
    M = 0
    for z_i in z:
        J = torch.autograd.functional.jacobian(lambda v: G(v[None]).flatten(), z_i)
        M = M + J.T @ J
    w, V = torch.linalg.eigh(M / len(z))
    return V[:, -k:].flip(1).T, w[-k:].flip(0).clamp(min=0).sqrt()
"""


def test_top_directions_solution_passes(capsys):
    assert nb03.check_top_directions(learner(TOP)["top_directions"])
    flipped = learner(TOP.replace("return V[:, -k:].flip(1).T,", "return -V[:, -k:].flip(1).T,"))
    assert nb03.check_top_directions(flipped["top_directions"])   # a direction's sign is free
    assert "PASSED top directions" in capsys.readouterr().out


@pytest.mark.parametrize("old, new, message", [
    ("V[:, -k:].flip(1).T, w[-k:].flip(0)", "V[:, :k].T, w[:k]", "LEAST"),
    ("V[:, -k:].flip(1).T,", "V[:, -k:].flip(1),", "COLUMNS"),
    ("V[:, -k:].flip(1).T, w[-k:].flip(0)", "V[:, -k:].T, w[-k:]", "eigh is ascending, flip"),
    ("w[-k:].flip(0).clamp(min=0).sqrt()", "w[-k:].clamp(min=0).sqrt()", "gains are in ascending order"),
    ("w[-k:].flip(0).clamp(min=0).sqrt()", "w[-k:].flip(0)", "SQUARE ROOT"),
    ("    M = 0\n", "    z = z[:1]\n    M = 0\n", "first z alone"),
    ("M = M + J.T @ J\n    w, V = torch.linalg.eigh(M / len(z))", "M = M + J / len(z)\n    w, V = torch.linalg.eigh(M.T @ M)",
     "before squaring"),
])
def test_top_directions_mistakes_fail(old, new, message):
    assert old in TOP
    with pytest.raises(CheckFailed, match=message):
        nb03.check_top_directions(learner(TOP.replace(old, new))["top_directions"])


def test_top_directions_worked_cell_and_library_refused():
    ns = learner(TOP + "def wraps(G, z, k): return directions_at(G, z[0], k)\n"
                       "def copied(G, z, k):\n"
                       "    J = torch.autograd.functional.jacobian(lambda v: G(v[None]).flatten(), z[0])\n"
                       "    U, s, Vh = torch.linalg.svd(J, full_matrices=False)\n    return Vh[:k], s[:k]\n")
    with pytest.raises(CheckFailed, match="ONE z"):
        nb03.check_top_directions(ns["wraps"])
    with pytest.raises(CheckFailed, match="first z alone"):
        nb03.check_top_directions(ns["copied"])
    lib = learner("from gan_helpers.latent import principal_directions, jacobian_metric\n"
                  "def by_lib(G, z, k): return principal_directions(G, k=k, latent_dim=z.shape[1])\n"
                  "def by_metric(G, z, k):\n    w, V = torch.linalg.eigh(jacobian_metric(G, z))\n"
                  "    return V[:, -k:].flip(1).T, w[-k:].flip(0).sqrt()\n")
    for name in ("by_lib", "by_metric"):
        with pytest.raises(CheckFailed, match="library's version"):
            nb03.check_top_directions(lib[name])
    with pytest.raises(CheckFailed, match="itself"):
        nb03.check_top_directions(principal_directions)
    with pytest.raises(CheckFailed, match="NotImplementedError"):
        nb03.check_top_directions(stub)
    assert jacobian_metric.__name__ == "jacobian_metric"


def test_top_directions_may_reuse_the_jacobian_of_section_6():
    ns = learner(TOP + """
def jacobian_at(G, z):
    n_pixels = G(z[None]).numel()
    Z = z.detach().repeat(n_pixels, 1).requires_grad_(True)
    (J,) = torch.autograd.grad(G(Z).flatten(1).diagonal().sum(), Z)
    return J

def reusing(G, z, k):
    Js = [jacobian_at(G, z_i) for z_i in z]
    w, V = torch.linalg.eigh(sum(J.T @ J for J in Js) / len(Js))
    return V[:, -k:].flip(1).T, w[-k:].flip(0).clamp(min=0).sqrt()
""")
    assert nb03.check_top_directions(ns["reusing"])


# -- the notebook's graded cells and their rubric ------------------------------------------------
def test_notebook_exercises_match_the_rubric():
    import re
    from pathlib import Path

    import json
    repo = Path(__file__).resolve().parents[1]
    nb = json.loads((repo / "notebooks" / "03_vanilla_gan_mnist.ipynb").read_text())  # no nbformat: runs in make gpu-check
    nbg = [c.get("metadata", {}).get("nbgrader", {}) for c in nb["cells"]]
    graded = {m["grade_id"]: m["points"] for m in nbg if m.get("grade")}
    doc = (repo / "docs" / "exercises" / "nb03.md").read_text()
    for gid in graded:
        assert f"`{gid}`" in doc, f"{gid} is not described in docs/exercises/nb03.md"
    assert f"Total: {sum(graded.values())} points" in doc
    cells = nb["cells"]
    assert any(c["cell_type"] == "markdown" and c.get("metadata", {}).get("nbgrader", {}).get("grade") for c in cells)
    checks = ["".join(c["source"]) for c in cells
              if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c["cell_type"] == "code"]
    assert {re.search(r"nb03\.(check_\w+)", s).group(1) for s in checks} == {
        "check_sqrtm_psd", "check_fid", "check_feature_matching", "check_top_directions"}
