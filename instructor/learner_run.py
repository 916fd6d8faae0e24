"""Judge of an executed learner version (issue 26; moved from tests/test_student_run.py).

The learner version of a notebook (``make student``, or nbgrader's release: solutions replaced
by the stub ``raise NotImplementedError()``) must run top to bottom with the stubs in place. An
unfinished exercise may only fail in its own cells: the solution cell (the stub raises
``NotImplementedError``) and its graded check cell (the check raises ``CheckFailed`` saying the
function still raises ``NotImplementedError`` or that a prediction is still ``None``, or lets the
``NotImplementedError`` through). Every graded check must fail on its stub, and every other code
cell must run, so no later cell depends on a name only the solution defines; such a cell uses
the library's version instead and says so.

``make course-test`` (instructor/test_course.py) applies :func:`problems` to the notebook
``nbgrader autograde`` executed for the learner who handed in the untouched release: that run
is the learner-version run, so the unit run (``make test``) no longer repeats it.
"""
from __future__ import annotations

import re

# What an unfinished exercise may raise, by the kind of cell (nbgrader metadata).
STUB_ERRORS = {"NotImplementedError"}
CHECK_ERRORS = {"NotImplementedError", "CheckFailed"}
# A check that fails on the stub says the exercise is unfinished: the function still raises
# NotImplementedError (checks._core.call), or a predicted value is still the stub's None.
UNFINISHED = re.compile(r"NotImplementedError|still None")


def _nbg(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _first_line(cell) -> str:
    lines = [ln for ln in cell.source.splitlines() if ln.strip()]
    return lines[0][:80] if lines else "<empty>"


def problems(nb) -> list[str]:
    """What is wrong with an executed learner version (an nbformat notebook): one line per
    offending cell; empty when it ran as an unfinished learner's copy should."""
    out = []
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    for i, c in code:
        where = f"cell {i} ({_first_line(c)!r})"
        if c.execution_count is None:
            out.append(f"{where} did not run")
            continue
        md = _nbg(c)
        if md.get("grade") and not any(o.output_type == "error" for o in c.outputs):
            out.append(f"{where}, graded check {md.get('grade_id')}, passed with the stub in place")
        allowed = STUB_ERRORS if md.get("solution") else CHECK_ERRORS if md.get("grade") else set()
        for o in c.outputs:
            if o.output_type != "error":
                continue
            err = f"{o.ename}: {o.evalue}"[:300]
            if not md.get("solution") and not md.get("grade"):
                out.append(f"{where}, not an exercise cell, raised {err}; it depends on an unsolved "
                           "exercise: use the library's version there and say so")
            elif o.ename not in allowed:
                kind = "solution" if md.get("solution") else "graded check"
                out.append(f"{where}, {kind} cell {md.get('grade_id')}, raised {err}; an unsolved "
                           f"exercise may only raise {sorted(allowed)}")
            elif o.ename == "CheckFailed" and not UNFINISHED.search(o.evalue):
                out.append(f"{where}, graded check {md.get('grade_id')}, failed on the stub without "
                           f"saying it is unfinished: {err}")
    if not any(o.output_type == "error" and "NotImplementedError" in o.ename + o.evalue
               for c in nb.cells if _nbg(c).get("grade") or _nbg(c).get("solution")
               for o in c.get("outputs", [])):
        out.append("no NotImplementedError in any exercise cell: were the stubs run?")
    return out


def code_sources(nb) -> list[str]:
    """The code cells' sources, to compare two learner versions (``make student`` and nbgrader's release)."""
    return [c.source for c in nb.cells if c.cell_type == "code"]
