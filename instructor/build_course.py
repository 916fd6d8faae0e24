"""Build a real nbgrader course folder from the notebooks: ``make course`` (issue 12).

One nbgrader assignment per notebook (``01_bce_loss`` ... ``10_diffusion``), so each notebook
can be released, collected and graded on its own week. The folder gets:

* ``nbgrader_config.py``: course id, the config's own folder as root (no absolute path of this
  machine), the exchange folder (``--exchange``), smoke mode for autograding, the late-submission
  policy, per-cell execution timeout;
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
# No path of the machine that built it: the course root is this file's folder (or
# $GAN_COURSE_ROOT), so the folder can be copied to a JupyterHub and used there as it is.
import os
from pathlib import Path

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = os.environ.get("GAN_COURSE_ID", {course_id!r})
c.CourseDirectory.root = os.environ.get("GAN_COURSE_ROOT", str(Path(__file__).resolve().parent))
c.CourseDirectory.db_url = "sqlite:///" + str(Path(c.CourseDirectory.root) / "gradebook.db")
# The exchange where release_assignment puts assignments and students submit: on a hub, a folder
# every user can write to (nbgrader's default is /srv/nbgrader/exchange).
{exchange_line}
# Autograde in smoke mode, from the command line and from formgrader alike: this file runs in
# the process that starts the kernels, which inherit GAN_SMOKE=1, so every notebook shrinks its
# training to seconds. The checks test the learner's functions on fixed cases either way.
os.environ.setdefault("GAN_SMOKE", "1")
# The limit below only stops a cell that hangs.
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
# Late submissions: nbgrader records how late each one is (the due dates come from
# instructor/due_dates.json through `make course`); 'none' grades them like the others and
# leaves the policy to you, 'zero' scores a late notebook 0.
c.LateSubmissionPlugin.penalty_method = {late!r}
# Same stub as gan_helpers.student (nbgrader's default), so learner versions match.
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
'''
DUE_DATES = Path(__file__).resolve().parent / "due_dates.json"


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


def write_config(out: Path, timeout: int = 900, exchange: str | None = None, late: str = "none") -> Path:
    """The course folder ``out`` with its nbgrader_config.py; returns the folder. ``exchange``, when
    given, is written as ``c.Exchange.root`` (else $GAN_EXCHANGE_ROOT is read when set, and
    nbgrader's default applies otherwise)."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if exchange:
        line = f"c.Exchange.root = os.environ.get(\"GAN_EXCHANGE_ROOT\", {str(exchange)!r})"
    else:
        line = ("if os.environ.get(\"GAN_EXCHANGE_ROOT\"):\n"
                "    c.Exchange.root = os.environ[\"GAN_EXCHANGE_ROOT\"]")
    if late not in ("none", "zero"):
        raise ValueError(f"late must be 'none' or 'zero' (nbgrader's LateSubmissionPlugin), got {late!r}")
    (out / "nbgrader_config.py").write_text(CONFIG.format(
        course_id=COURSE_ID, exchange_line=line, timeout=timeout, late=late))
    return out


def due_dates(path: Path = DUE_DATES) -> dict[str, str]:
    """Assignment name -> due date ("YYYY-MM-DD HH:MM:SS TZ"), from one JSON file; names that are
    not assignments are an error, so a renamed notebook cannot silently lose its date."""
    path = Path(path)
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    dates = {k: v for k, v in data.items() if not k.startswith("_")}
    unknown = set(dates) - {p.stem for p in assignments()}
    if unknown:
        raise ValueError(f"{path}: {sorted(unknown)} are not assignments; have {[p.stem for p in assignments()]}")
    return dates


def db_url(course: Path) -> str:
    return f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"


def build(out: Path, only: list[str] | None = None, timeout: int = 900, force: bool = True,
          exchange: str | None = None, dates: Path = DUE_DATES, late: str = "none") -> list[str]:
    """Write the course folder ``out`` and generate every assignment (with its due date from
    ``dates``, when it has one); returns their names."""
    out = write_config(out, timeout, exchange, late)
    when = due_dates(dates)
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
        if name in when:
            nbgrader(["db", "assignment", "add", name, f"--duedate={when[name]}"], out, env=env)
        nbgrader(["generate_assignment", name, *(["--force"] if force else [])], out, env=env)
    return names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "course", help="course folder (default: course/)")
    ap.add_argument("--only", nargs="*", help="assignment names (notebook stems) to build; default all")
    ap.add_argument("--timeout", type=int, default=900, help="per-cell execution limit for autograding, seconds")
    ap.add_argument("--exchange", help="nbgrader exchange folder written into the config (on a hub: a folder "
                                       "every user can write to); default $GAN_EXCHANGE_ROOT or nbgrader's")
    ap.add_argument("--due-dates", type=Path, default=DUE_DATES, help="JSON file: assignment -> due date")
    ap.add_argument("--late", choices=("none", "zero"), default="none",
                    help="late submissions: graded as usual (none) or scored 0 (zero)")
    args = ap.parse_args(argv)
    t0 = time.time()
    names = build(args.out, args.only, args.timeout, exchange=args.exchange, dates=args.due_dates, late=args.late)
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
    nb = Path(sys.executable).parent / "nbgrader"
    print(f"due dates: {due_dates(args.due_dates) or 'none set'} (from {args.due_dates})")
    print("next: add students, collect submissions into submitted/ID/ASSIGNMENT/, then, in the course folder\n"
          f"  {nb} db student add ID\n  {nb} autograde ASSIGNMENT      # smoke mode: the config sets GAN_SMOKE=1\n"
          f"  {nb} generate_feedback ASSIGNMENT\n(or activate the environment first: source .venv/bin/activate)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
