"""What a class receives: ``make student-dist`` (issue 38).

Writes ``dist/student/`` (or ``--out``):

* ``notebooks/NN_name.ipynb``: nbgrader's release of every notebook (``generate_assignment``:
  solutions replaced by the stub, outputs cleared); no instructor source, no rubric;
* ``gan_helpers-<version>-py3-none-any.whl``: the helper package, installable on its own, carrying
  the shipped weights and stored results inside it (``gan_helpers/shipped/``, found by
  ``checkpoints.pretrained_dir``), so nothing needs the repository;
* ``README.md``: how a student installs it and opens the notebooks.

Datasets are not in it: the package downloads MNIST and horse2zebra into its cache on first use
(``$GAN_DATA_DIR``, else ``~/.cache/gan-notebooks``), or seeds the cache from a folder
(``python -m gan_helpers data --mirror FOLDER``) on a machine without internet.

Usage: ``python -m instructor.student_dist [--out dist/student]``.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from instructor.build_course import ROOT, build

STUDENT_README = """\
# GAN Notebooks: the student copy

This folder holds the course notebooks (`notebooks/`) and the helper package they import (the
`.whl` file, with the trained models inside it). You need Python 3.10 or newer and no GPU. Disk:
the default PyTorch carries GPU libraries (an environment with it measured 5.6 GB on Linux); the
CPU-only build below is far smaller (torch alone measured 0.9 GB). The datasets are downloaded
on first use (about 130 MB).

## Install (Linux, macOS, Windows)

```bash
python -m venv gan-env
# Linux / macOS:                 source gan-env/bin/activate
# Windows (PowerShell):          gan-env\\Scripts\\Activate.ps1
# Optional, on a machine without an NVIDIA GPU (Linux, Windows): a CPU-only PyTorch, much smaller
pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu
pip install {wheel} jupyterlab
jupyter lab notebooks
```

Open `01_bce_loss.ipynb` and run it top to bottom. Each notebook has a `USE_PRETRAINED` switch:
with `True` it loads the trained model from the package instead of training for minutes.

## Offline

The notebooks download MNIST (and, for the CycleGAN lesson, horse2zebra) the first time. Without
internet, ask for the data folder and run `python -m gan_helpers data --mirror FOLDER` once.

## Handing in

Write your answers in the cells marked `# YOUR CODE HERE` and the answer cells; run the check
cell under each exercise. Hand in the notebook as your instructor says (nbgrader's `submit`, or
the JupyterHub's Assignments tab).
"""


def build_wheel(out: Path, pretrained: Path = ROOT / "data" / "pretrained", games: Path = ROOT / "data" / "games") -> Path:
    """A wheel of ``gan_helpers`` with the shipped weights (and the stored stabiliser results of lesson
    06) under ``gan_helpers/shipped/``; built from a staging copy, so the repository is untouched."""
    if not (pretrained / "SHA256SUMS").exists():
        raise FileNotFoundError(f"no shipped weights in {pretrained} (SHA256SUMS missing): run this in a clone "
                                "of the repository, whose data/pretrained holds them")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp)
        shutil.copytree(ROOT / "gan_helpers", stage / "gan_helpers",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "shipped"))
        shipped = stage / "gan_helpers" / "shipped"
        shutil.copytree(pretrained, shipped / "pretrained")
        if games.is_dir():
            shutil.copytree(games, shipped / "games", ignore=shutil.ignore_patterns("*.png"))
        toml = (ROOT / "pyproject.toml").read_text()
        toml = toml.replace('gan_helpers = ["data/horse2zebra.sha256"]',
                            'gan_helpers = ["data/horse2zebra.sha256", "shipped/pretrained/*", '
                            '"shipped/games/*.json", "shipped/games/*/*.json"]')
        if "shipped/pretrained" not in toml:
            raise RuntimeError("pyproject.toml's package-data line changed: update instructor/student_dist.py")
        (stage / "pyproject.toml").write_text(toml)
        (stage / "README.md").write_text(STUDENT_README.format(wheel="gan_helpers-*.whl"))
        proc = subprocess.run([sys.executable, "-m", "uv", "build", "--wheel", "--out-dir", str(out), str(stage)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"building the wheel failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    wheels = sorted(out.glob("gan_helpers-*.whl"))
    if not wheels:
        raise RuntimeError(f"no wheel written to {out}")
    return wheels[-1]


def build_dist(out: Path, only: list[str] | None = None) -> dict:
    """Write the student distribution into ``out`` (emptied first), every notebook or ``only`` those
    assignments; returns what it holds."""
    out = Path(out).resolve()
    if out.exists():
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        names = build(course, only=only)
        for name in names:
            shutil.copy2(course / "release" / name / f"{name}.ipynb", out / "notebooks" / f"{name}.ipynb")
    wheel = build_wheel(out)
    (out / "README.md").write_text(STUDENT_README.format(wheel=wheel.name))
    return {"notebooks": names, "wheel": wheel}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "dist" / "student", help="folder to write (emptied first)")
    args = ap.parse_args(argv)
    t0 = time.time()
    got = build_dist(args.out)
    size = got["wheel"].stat().st_size / 2**20
    print(f"student distribution in {args.out.resolve()} ({time.time() - t0:.0f} s):")
    print(f"  notebooks/: {len(got['notebooks'])} released notebooks (no solutions)")
    print(f"  {got['wheel'].name}: {size:.0f} MB, the helper package with the shipped weights")
    print("  README.md: how students install it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
