"""One table of every shipped MNIST generator beside the DDPM (issue 37; notebook 10 prints it):
quality and diversity (MNIST-FID, KID, precision, recall, density, coverage, in the features of
the project's MNIST classifier: notebook 09), usefulness (classification accuracy score, Ravuri
and Vinyals 2019, for the conditional G) and cost (parameters, training time, network
evaluations and milliseconds per sample on this CPU).

Every row is scored the same way in one run: ``n`` samples drawn with ``seed`` against the first
``n`` real test digits; the reference row is ``n`` random real training digits. Generation time
is measured while the samples for the scores are drawn, on the threads torch has.

    python tools/generators_table.py --n 1000      # writes data/tables/generators.json
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from ..checkpoints import pretrained_dir, read_metadata
from ..data.cache import data_root
from ..data.mnist import load_mnist
from ..metrics.cas import classification_accuracy_score, conditional_samples, subset
from ..metrics.kid import KID_SCALE, kid_from_features
from ..metrics.mnist import classifier_features, frechet_distance, load_classifier
from ..metrics.prdc import prdc
from ..recipes import cgan, dcgan, ddpm, games, vanilla

TABLE_FORMAT = "gan-notebooks-generators-table/1"
COLUMNS = ("FID", "KID", "precision", "recall", "density", "coverage", "CAS",
           "params", "train_min", "threads", "evals", "ms_per_sample")


def table_path() -> Path:
    return data_root() / "tables" / "generators.json"


def _info(filename: str) -> dict:
    """The training record (``extra``) written into a shipped checkpoint."""
    return read_metadata(pretrained_dir() / filename)["extra"]


def _scores(x: torch.Tensor, clf, f_real: torch.Tensor) -> dict:
    f = classifier_features(clf, x)
    k, _ = kid_from_features(f, f_real)        # the mean over 10 disjoint parts (of n / 10 samples each)
    return {"FID": frechet_distance(f, f_real), "KID": k * KID_SCALE, **prdc(f_real, f)}


def _row(name: str, family: str, model, filename: str, draw, evals: int, clf, f_real, n: int) -> dict:
    t0 = time.perf_counter()
    x = draw()
    ms = 1000 * (time.perf_counter() - t0) / n
    info = _info(filename)
    secs = info.get("train_seconds")
    return {"name": name, "family": family, **_scores(x, clf, f_real), "CAS": None,
            "params": sum(p.numel() for p in model.parameters()),
            "train_min": None if secs is None else secs / 60, "threads": info.get("threads"),
            "evals": evals, "ms_per_sample": ms, "command": info.get("command")}


def measure(n: int = 1000, seed: int = 0, cas_n: int = 10000, cas_steps: int = 1400,
            ddpm_sample_steps: int = 50, log=print) -> dict:
    """Every row of the table (see the module docstring); ``cas_n`` samples (and as many real digits)
    train the CAS classifiers for ``cas_steps`` steps (0: skip CAS)."""
    if n < 20:
        raise ValueError(f"n must be at least 20 (KID's 10 disjoint parts need 2 points each), got {n}")
    clf = load_classifier()
    x_test, y_test = load_mnist(train=False)
    x_train, y_train = load_mnist(train=True)
    f_real = classifier_features(clf, x_test[:n])
    pick = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(seed))[:n]
    rows = [{"name": "real training digits", "family": "data", **_scores(x_train[pick], clf, f_real),
             "CAS": None, "params": None, "train_min": None, "threads": None, "evals": None,
             "ms_per_sample": None, "command": None}]
    log(f"reference done ({n} real digits)")
    gans = [("03 MLP GAN", vanilla, vanilla.FILENAME), ("04 DCGAN", dcgan, dcgan.FILENAME),
            ("05 conditional GAN", cgan, cgan.FILENAME),
            ("06 MLP NS GAN (6 CPU min)", games, "mnist_mlp_ns_gan_G.safetensors")]
    for name, recipe, filename in gans:
        G = recipe.load_pretrained()
        rows.append(_row(name, "GAN", G, filename, lambda: recipe.generate(G, n, seed=seed)[0], 1, clf, f_real, n))
        log(f"{name}: FID {rows[-1]['FID']:.2f}, {rows[-1]['ms_per_sample']:.3f} ms/sample")
    model = ddpm.load_pretrained()
    for name, kw, evals in [(f"DDPM, DDIM {ddpm_sample_steps} steps", dict(steps=ddpm_sample_steps), ddpm_sample_steps),
                            (f"DDPM, full chain ({model.n_steps} steps)", dict(ancestral=True), model.n_steps)]:
        rows.append(_row(name, "diffusion", model, ddpm.FILENAME, lambda: ddpm.generate(model, n, seed=seed, batch_size=100, **kw)[0],
                         evals, clf, f_real, n))
        rows[-1]["threads"] = "1-2"   # the run was resumed in chunks on 1 and on 2 threads (docs/results.md)
        log(f"{name}: FID {rows[-1]['FID']:.2f}, {rows[-1]['ms_per_sample']:.1f} ms/sample")
    if cas_steps:
        G = cgan.load_pretrained()
        x_fake, y_fake = conditional_samples(G, cas_n, G.latent_dim, seed)
        real = subset(y_train, cas_n, seed)
        rows[0]["CAS"] = classification_accuracy_score(x_train[real], y_train[real], x_test, y_test, cas_steps, seed=seed)
        rows[3]["CAS"] = classification_accuracy_score(x_fake, y_fake, x_test, y_test, cas_steps, seed=seed)
        log(f"CAS: real {rows[0]['CAS']:.4f}, conditional GAN {rows[3]['CAS']:.4f}")
    return {"format": TABLE_FORMAT, "n": n, "seed": seed, "cas_n": cas_n, "cas_steps": cas_steps,
            "threads": torch.get_num_threads(), "torch": torch.__version__, "rows": rows}


def save_table(table: dict, path: str | Path | None = None) -> Path:
    path = Path(path) if path is not None else table_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table, indent=1) + "\n")
    return path


def load_table(path: str | Path | None = None) -> dict:
    """The measured table (``save_table``'s JSON); a clear error when it is missing or not one."""
    path = Path(path) if path is not None else table_path()
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: it is written by `python tools/generators_table.py --n 1000` "
                                "(about an hour on one CPU core, most of it the DDPM's full chain)")
    try:
        table = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e}); rerun tools/generators_table.py") from None
    if not isinstance(table, dict) or table.get("format") != TABLE_FORMAT or not table.get("rows"):
        raise ValueError(f"{path} is not a generators table ({TABLE_FORMAT}); rerun tools/generators_table.py")
    return table


def _cell(key: str, v) -> str:
    if v is None:
        return "-"
    if key == "FID":
        return f"{v:.1f}"
    if key == "KID":
        return f"{v:,.0f}"
    if key == "CAS":
        return f"{100 * v:.1f}%"
    if key == "params":
        return f"{v / 1e6:.2f}M"
    if key == "train_min":
        return f"{v:.0f}"
    if key == "ms_per_sample":
        return f"{v:.3f}" if v < 1 else f"{v:.1f}" if v < 100 else f"{v:.0f}"
    if key in ("threads", "evals"):
        return str(v)
    return f"{v:.3f}"


HEADERS = {"FID": "FID", "KID": "KID x1e3", "precision": "P", "recall": "R", "density": "D", "coverage": "C",
           "CAS": "CAS", "params": "params", "train_min": "train min", "threads": "thr", "evals": "evals",
           "ms_per_sample": "ms/sample"}


def table_text(table: dict) -> str:
    """The table as aligned plain text, one row per generator."""
    names = [r["name"] for r in table["rows"]]
    w = max(map(len, names))
    cols = [[HEADERS[k]] + [_cell(k, r.get(k)) for r in table["rows"]] for k in COLUMNS]
    widths = [max(map(len, c)) for c in cols]
    lines = []
    for i in range(len(names) + 1):
        head = "" if i == 0 else names[i - 1]
        lines.append(head.ljust(w) + "  " + "  ".join(c[i].rjust(wd) for c, wd in zip(cols, widths)))
        if i == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)
