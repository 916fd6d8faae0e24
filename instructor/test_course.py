"""Issue 12: a class played through a real nbgrader course (``make course-test``).

For every notebook: the assignment is generated with ``nbgrader generate_assignment`` into a
fresh course folder, then three learners hand in
  * ``sol``   - the instructor's notebook (model solutions): full auto-graded marks;
  * ``stub``  - the released notebook untouched (nbgrader's stubs): zero auto-graded points;
  * ``wrong`` - only for the notebook of WRONG_ANSWERS: the solutions with one known wrong
    answer: that exercise's check scores zero, the others full, and the feedback nbgrader
    writes carries the check's teaching message.
``nbgrader autograde`` runs with GAN_SMOKE=1 (no long training). The ``stub`` learner's autograded
notebook is also the learner-version run (instructor/learner_run.py): every non-exercise cell
ran cleanly with the stubs in place, and nbgrader's release has the same code as ``make student``'s
learner version. The exercises and their
points are read from the notebooks' nbgrader metadata, never hard-coded, so exercises added
to the notebooks are graded too. Each autograde is timed (target under 2 minutes).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from instructor.build_course import ROOT, assignments, db_url, exercises, nbgrader, write_config
from instructor.learner_run import code_sources
from instructor.learner_run import problems as learner_problems

AUTOGRADE_TARGET_S = 120
# A wrong answer each check is known to catch: solution cell grade_id -> (body that replaces
# the model solution, a phrase of the check's message). Notebook 01, exercise 1:
# BCE from logits with the sign flipped (gan_helpers.checks.nb01.check_bce_from_logits names it).
WRONG_ANSWERS = {
    "ex1_bce": ("    sp = lambda t: t.clamp_min(0) + torch.log1p(torch.exp(-t.abs()))\n"
                "    return -(y * sp(-logits) + (1 - y) * sp(logits)).mean()\n", "the sign is flipped"),
}
STUB_MESSAGE = "still raises NotImplementedError"
TIMES: dict[str, dict[str, float]] = {}


def _env() -> dict:
    env = dict(os.environ, GAN_SMOKE="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    keep = os.environ.get("GAN_COURSE_TEST_DIR")
    root = Path(keep) if keep else tmp_path_factory.mktemp("course")
    if root.exists() and keep:
        shutil.rmtree(root)
    write_config(root)
    os.environ["PATH"] = _env()["PATH"]  # Gradebook calls alembic by name
    from nbgrader.api import Gradebook
    with Gradebook(db_url(root)) as gb:
        for student in ("sol", "stub", "wrong"):
            gb.update_or_create_student(student)
    return root


def with_wrong_answer(nb: dict, grade_id: str, body: str) -> dict:
    """``nb`` with the solution region of cell ``grade_id`` replaced by ``body`` (markers removed,
    as a learner's file has none)."""
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            src = "".join(cell["source"])
            new, n = re.subn(r"[ \t]*### BEGIN SOLUTION\n.*?### END SOLUTION\n?", lambda _m: body, src, flags=re.S)
            assert n == 1, f"cell {grade_id} has no solution region"
            cell["source"] = new
            cell["outputs"] = []
            return nb
    raise KeyError(grade_id)


def submit(course: Path, student: str, name: str, nb: dict) -> None:
    dst = course / "submitted" / student / name
    dst.mkdir(parents=True, exist_ok=True)
    (dst / f"{name}.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    (dst / "timestamp.txt").write_text("2026-12-02 12:00:00.000000 UTC")


def grades(course: Path, name: str, student: str, exs) -> dict:
    from nbgrader.api import Gradebook
    with Gradebook(db_url(course)) as gb:
        out = {}
        for e in exs:
            g = gb.find_grade(e.grade_id, name, name, student)
            out[e.grade_id] = (g.auto_score, g.max_score, g.needs_manual_grade)
        sub = gb.find_submission_notebook(name, name, student)
        out["__total__"] = (sub.score, sub.max_score, sub.needs_manual_grade)
    return out


@pytest.mark.parametrize("src", assignments(), ids=lambda p: p.stem)
def test_class_autograded(src, course):
    name = src.stem
    exs = exercises(src)
    auto = [e for e in exs if e.kind == "autograded"]
    assert auto, f"{src.name} has no auto-graded check cell (nbgrader grade: true, code)"
    (course / "source" / name).mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, course / "source" / name / src.name)
    env = _env()
    t0 = time.time()
    nbgrader(["generate_assignment", name, "--force"], course, env=env)
    TIMES.setdefault(name, {})["generate_assignment"] = time.time() - t0

    source_nb = json.loads(src.read_text())
    release_nb = json.loads((course / "release" / name / src.name).read_text())
    students = {"sol": source_nb, "stub": release_nb}
    wrong = {gid: v for gid, v in WRONG_ANSWERS.items() if any(e.solution_id == gid for e in auto)}
    for gid, (body, _msg) in wrong.items():
        students["wrong"] = with_wrong_answer(json.loads(src.read_text()), gid, body)
    for student, nb in students.items():
        submit(course, student, name, nb)

    for student in students:
        t0 = time.time()
        proc = nbgrader(["autograde", name, "--student", student, "--force"], course, env=env)
        TIMES[name][f"autograde {student}"] = time.time() - t0
        assert "[AutogradeApp | ERROR]" not in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-4000:]

    problems = []
    g = grades(course, name, "sol", exs)
    for e in auto:
        score, max_score, _ = g[e.grade_id]
        if score != max_score or max_score != e.points:
            problems.append(f"sol: {e.grade_id} scored {score} of {max_score} (metadata says {e.points:g})")
    for e in exs:
        if e.kind == "manual" and not g[e.grade_id][2]:
            problems.append(f"sol: written answer {e.grade_id} is not flagged for manual grading")

    # The learner version run top to bottom with the stubs (what tests/test_student_run.py did
    # in the unit run until issue 26): judged on the notebook autograde executed.
    import nbformat

    from gan_helpers.student import make_student_version
    ran = nbformat.read(str(course / "autograded" / "stub" / name / src.name), as_version=4)
    problems += [f"stub run: {p}" for p in learner_problems(ran)]
    mine = nbformat.read(str(make_student_version(src, course / "make_student" / src.name)), as_version=4)
    released = nbformat.read(str(course / "release" / name / src.name), as_version=4)
    if code_sources(mine) != code_sources(released):
        problems.append("make student's learner version and nbgrader's release differ in their code cells")

    g = grades(course, name, "stub", exs)
    for e in auto:
        if g[e.grade_id][0] != 0:
            problems.append(f"stub: {e.grade_id} scored {g[e.grade_id][0]} with the untouched stub (expected 0)")
    if g["__total__"][0] != 0:
        problems.append(f"stub: total {g['__total__'][0]} (expected 0)")

    if "wrong" in students:
        g = grades(course, name, "wrong", exs)
        for e in auto:
            score, max_score, _ = g[e.grade_id]
            expected = 0 if e.solution_id in wrong else e.points
            if score != expected:
                problems.append(f"wrong: {e.grade_id} scored {score} (expected {expected:g})")
        total, max_total, _ = g["__total__"]
        if not 0 < total < max_total:
            problems.append(f"wrong: total {total} of {max_total} is not partial")

    t0 = time.time()
    nbgrader(["generate_feedback", name, "--force"], course, env=env)
    TIMES[name]["generate_feedback"] = time.time() - t0
    stub_html = (course / "feedback" / "stub" / name / f"{name}.html").read_text()
    if STUB_MESSAGE not in stub_html:
        problems.append(f"stub feedback does not say {STUB_MESSAGE!r}")
    if "wrong" in students:
        html = (course / "feedback" / "wrong" / name / f"{name}.html").read_text()
        for gid, (_body, msg) in wrong.items():
            if msg not in html:
                problems.append(f"wrong feedback lacks the check's message {msg!r} for {gid}")
    slow = {k: v for k, v in TIMES[name].items() if k.startswith("autograde") and v > AUTOGRADE_TARGET_S}
    if slow:
        print(f"\n{name}: autograde slower than {AUTOGRADE_TARGET_S} s: {slow}")
    assert not problems, f"{name}:\n- " + "\n- ".join(problems)


def test_wrong_answers_still_exist():
    """Every WRONG_ANSWERS entry names a solution cell some notebook still has (renames caught)."""
    ids = {e.solution_id for p in assignments() for e in exercises(p)}
    missing = set(WRONG_ANSWERS) - ids
    assert not missing, f"WRONG_ANSWERS names solution cells no notebook has: {sorted(missing)}"
