"""Build a real nbgrader course folder from the notebooks: ``make course`` (issue 12).

One nbgrader assignment per notebook (``01_bce_loss`` ... ``07_cyclegan``), so each notebook
can be released, collected and graded on its own week. The folder gets:

* ``nbgrader_config.py``: course id, this folder as root, the project's Python kernel,
  per-cell execution timeout for autograding;
* ``source/<assignment>/<notebook>.ipynb``: the instructor's notebooks (solutions inside);
* ``release/<assignment>/...``: what learners get, written by ``nbgrader generate_assignment``
  (solutions replaced by nbgrader's stub, outputs cleared, checksums stored);
* ``gradebook.db``: nbgrader's database with every assignment, notebook and graded cell.

Usage: ``python -m instructor.build_course [--out course] [--only 01_bce_loss ...]``.
Autograde later with ``GAN_SMOKE=1`` in the environment so no notebook trains for long:
see docs/instructor.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
COURSE_ID = "gan-notebooks"

CONFIG = '''\
# nbgrader configuration of the GAN Notebooks course, written by instructor/build_course.py.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db_url!r}
# The notebooks train small models: a cell may run for minutes in full mode. Autograde in
# smoke mode (GAN_SMOKE=1 in the environment, inherited by the kernel) so cells take seconds;
# the limit below only stops a cell that hangs.
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
# Same stub as gan_helpers.student (nbgrader's default), so learner versions match.
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
'''


@dataclass
class Exercise:
    """One graded cell of a notebook, read from its nbgrader metadata."""
    assignment: str
    notebook: str
    grade_id: str
    points: float
    kind: str            # "autograded" (a check cell), "manual" (a written answer)
    solution_id: str | None = None  # the solution cell the check grades (the one above it)


def assignments(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """The numbered notebooks, one assignment each."""
    paths = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no numbered notebooks (NN_name.ipynb) in {notebooks}")
    return paths


def exercises(nb_path: Path) -> list[Exercise]:
    """Every graded cell of ``nb_path`` with its points, in notebook order.

    A check cell (code, grade: true) grades the nearest solution cell above it.
    """
    nb = json.loads(Path(nb_path).read_text())
    out, last_solution = [], None
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta:
            continue
        if meta.get("solution") and cell["cell_type"] == "code":
            last_solution = meta["grade_id"]
        if meta.get("grade"):
            manual = cell["cell_type"] == "markdown" or bool(meta.get("solution"))
            out.append(Exercise(nb_path.stem, nb_path.name, meta["grade_id"], float(meta.get("points", 0)),
                                "manual" if manual else "autograded", None if manual else last_solution))
    return out


def nbgrader(args: list[str], course: Path, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the nbgrader command line of this Python in ``course``.

    This Python's bin folder goes first on PATH: nbgrader calls ``alembic`` by name, and the
    kernel must be the project's environment.
    """
    env = dict(os.environ if env is None else env)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def write_config(out: Path, timeout: int = 900) -> Path:
    """The course folder ``out`` with its nbgrader_config.py; returns the folder."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(CONFIG.format(
        course_id=COURSE_ID, root=str(out), db_url=db_url(out), timeout=timeout))
    return out


def db_url(course: Path) -> str:
    return f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"


def build(out: Path, only: list[str] | None = None, timeout: int = 900, force: bool = True) -> list[str]:
    """Write the course folder ``out`` and generate every assignment; returns their names."""
    out = write_config(out, timeout)
    names = []
    for nb in assignments():
        if only and nb.stem not in only:
            continue
        src = out / "source" / nb.stem
        if src.exists():
            shutil.rmtree(src)
        src.mkdir(parents=True)
        shutil.copy2(nb, src / nb.name)
        names.append(nb.stem)
    if only and set(only) - set(names):
        raise ValueError(f"unknown assignment(s) {sorted(set(only) - set(names))}; "
                         f"have {[p.stem for p in assignments()]}")
    env = dict(os.environ, GAN_SMOKE="1")
    for name in names:
        nbgrader(["generate_assignment", name, *(["--force"] if force else [])], out, env=env)
    return names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "course", help="course folder (default: course/)")
    ap.add_argument("--only", nargs="*", help="assignment names (notebook stems) to build; default all")
    ap.add_argument("--timeout", type=int, default=900, help="per-cell execution limit for autograding, seconds")
    args = ap.parse_args(argv)
    t0 = time.time()
    names = build(args.out, args.only, args.timeout)
    print(f"nbgrader course {COURSE_ID!r} in {args.out.resolve()} ({time.time() - t0:.0f} s)")
    total = 0.0
    for name in names:
        exs = exercises(args.out / "source" / name / f"{name}.ipynb")
        auto = sum(e.points for e in exs if e.kind == "autograded")
        manual = sum(e.points for e in exs if e.kind == "manual")
        total += auto + manual
        print(f"  {name}: {len(exs)} graded cells, {auto:g} autograded + {manual:g} manual points "
              f"-> release/{name}/{name}.ipynb")
        for e in exs:
            print(f"      {e.grade_id:34s} {e.points:g} pt  {e.kind}")
    print(f"  total {total:g} points; gradebook {args.out.resolve() / 'gradebook.db'}")
    print("next: add students (nbgrader db student add ID), collect submissions into submitted/ID/ASSIGNMENT/, then\n"
          "  cd course && GAN_SMOKE=1 nbgrader autograde ASSIGNMENT && nbgrader generate_feedback ASSIGNMENT")
    return 0


if __name__ == "__main__":
    sys.exit(main())
