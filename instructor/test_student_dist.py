"""What a class receives, installed with no repository beside it (issue 38; ``make course-test``).

``instructor.student_dist`` writes the released notebook (no solution regions) and the helper
wheel with the shipped weights inside; a fresh virtual environment gets only the wheel (plus the
kernel and nbconvert to run a notebook) from the package cache, pinned by requirements.txt; then,
from an empty folder: a shipped generator loads with its checksum verified, the missing-weights
error names the environment variable, and the released notebook 01 runs top to bottom in smoke
mode with only its unsolved exercises failing (the judge of instructor/learner_run.py).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat

from instructor.build_course import ROOT
from instructor.learner_run import problems
from instructor.student_dist import build_dist

NAME = "01_bce_loss"
PROBE = """
import os, sys
import gan_helpers
from gan_helpers.recipes import vanilla
from gan_helpers.checkpoints import CheckpointError, load_pretrained
assert "site-packages" in gan_helpers.__file__, gan_helpers.__file__
G = vanilla.load_pretrained()
print("loaded", type(G).__name__, sum(p.numel() for p in G.parameters()))
os.environ["GAN_PRETRAINED_DIR"] = os.path.join(os.getcwd(), "nowhere")
try:
    vanilla.load_pretrained()
except CheckpointError as err:
    print("error:", err)
"""


def test_student_distribution_in_a_fresh_environment(tmp_path):
    dist = tmp_path / "dist"
    got = build_dist(dist, only=[NAME])
    nb_text = (dist / "notebooks" / f"{NAME}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in nb_text and "END SOLUTION" not in nb_text
    names = zipfile.ZipFile(got["wheel"]).namelist()
    assert "gan_helpers/shipped/pretrained/SHA256SUMS" in names
    assert "gan_helpers/shipped/pretrained/vanilla_G.safetensors" in names
    assert not any(n.startswith(("notebooks/", "docs/", "instructor/", "tests/")) for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "uv", "pip", "install", "-q", "--python", str(py), str(got["wheel"]),
                    "ipykernel", "nbconvert", "nbformat", "-c", str(ROOT / "requirements.txt")], check=True)

    room = tmp_path / "learner"                      # no repository here, nor on the path
    room.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GAN_PRETRAINED_DIR", "VIRTUAL_ENV")}
    env.update(GAN_SMOKE="1", HOME=str(room), GAN_DATA_DIR=str(room / "cache"),
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    out = subprocess.run([str(py), "-c", PROBE], cwd=room, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "loaded MLPGenerator" in out.stdout, out.stdout
    assert "GAN_PRETRAINED_DIR" in out.stdout and "does not exist" in out.stdout, out.stdout

    (room / f"{NAME}.ipynb").write_text(nb_text)
    run = subprocess.run([str(venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                          "--allow-errors", "--ExecutePreprocessor.timeout=600", "--output", "ran.ipynb",
                          f"{NAME}.ipynb"], cwd=room, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    ran = nbformat.read(str(room / "ran.ipynb"), as_version=4)
    found = problems(ran)
    assert not found, "\n".join(found)
    assert json.loads((room / "ran.ipynb").read_text())["cells"], "nothing ran"
