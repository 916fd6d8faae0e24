"""The learner version of every notebook (``make student``: solutions replaced by nbgrader's
stub ``raise NotImplementedError()``) runs top to bottom in smoke mode with the stubs in place.

An unfinished exercise may only fail in its own cells: the solution cell (the stub raises
``NotImplementedError``) and its graded check cell (the check raises ``CheckFailed`` saying the
function still raises ``NotImplementedError`` or that a prediction is still ``None``, or lets the
``NotImplementedError`` through).
Every graded check must fail on its stub, and every other code cell must run, so no later cell depends on a name only the solution defines;
such a cell uses the library's version instead and says so.

One test class per notebook, so ``pytest -n 2 --dist loadscope`` (``make test``) spreads the
notebooks over the workers. The notebooks are found by glob: a new notebook is tested as it lands.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

from gan_helpers.student import make_student_version

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))

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


def _current_env_kernel():
    """A kernel manager that runs ipykernel with this very interpreter (the venv under test),
    whatever kernelspecs the machine has installed."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    class CurrentEnv(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="current env", language="python", resource_dir="")

    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=CurrentEnv())


def problems(nb) -> list[str]:
    """What is wrong with an executed learner version: one line per offending cell."""
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
    return out


@pytest.mark.slow
class _LearnerVersion:
    src: Path

    def test_runs_top_to_bottom_in_smoke_mode(self, tmp_path, monkeypatch):
        from nbclient import NotebookClient

        out = make_student_version(self.src, tmp_path / self.src.name)
        nb = nbformat.read(str(out), as_version=4)
        assert any(_nbg(c).get("solution") and c.cell_type == "code" for c in nb.cells), \
            f"{self.src.name}: no code exercise to stub"
        monkeypatch.setenv("GAN_SMOKE", "1")
        monkeypatch.setenv("MPLBACKEND", "agg")
        monkeypatch.setenv("OMP_NUM_THREADS", "1")   # two workers share the cores (make test: -n 2)
        # Run where the notebook lives, as the learner's copy would (student/ sits beside notebooks/).
        NotebookClient(nb, km=_current_env_kernel(), timeout=900, startup_timeout=120, allow_errors=True,
                       resources={"metadata": {"path": str(self.src.parent)}}).execute()
        found = problems(nb)
        assert not found, f"learner version of {self.src.name} in smoke mode:\n  " + "\n  ".join(found)
        last = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()][-1]
        assert last.execution_count is not None, f"{self.src.name}: the last code cell did not run"
        stubbed = [c for c in nb.cells if c.cell_type == "code" and _nbg(c).get("solution")]
        assert any(o.output_type == "error" and "NotImplementedError" in o.ename + o.evalue
                   for c in nb.cells if _nbg(c).get("grade") or _nbg(c).get("solution")
                   for o in c.get("outputs", [])), \
            f"{self.src.name}: {len(stubbed)} stubs but no NotImplementedError anywhere: were the stubs run?"


def test_notebooks_found():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"


for _src in NOTEBOOKS:
    globals()["TestLearner_" + _src.stem] = type("TestLearner_" + _src.stem, (_LearnerVersion,), {"src": _src})


def test_problems_name_the_cell_and_the_error():
    """The judge itself: a later cell that needs the solution, a stub that raises something else and
    a check that fails without saying the exercise is unfinished are each reported; the allowed
    failures of an unfinished exercise are not."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    def cell(src, nbg=None, err=None):
        c = new_code_cell(src, execution_count=1, metadata={"nbgrader": nbg} if nbg else {})
        if err:
            c.outputs = [new_output("error", ename=err[0], evalue=err[1], traceback=[])]
        return c

    sol, grade = {"solution": True, "grade_id": "ex1"}, {"grade": True, "grade_id": "ex1_check"}
    ok = [cell("import torch"),
          cell("def f(x):\n    raise NotImplementedError()\nf(1)", sol, ("NotImplementedError", "")),
          cell("check(f)", grade, ("CheckFailed", "f still raises NotImplementedError: replace it")),
          cell("check(p)", grade, ("CheckFailed", "p is still None: write your prediction")),
          cell("check(f)", grade, ("NotImplementedError", ""))]
    assert problems(new_notebook(cells=ok)) == []
    bad = ok + [cell("\n\nplot(f(x))\nmore", err=("NotImplementedError", "")),
                cell("y = g()", sol, ("NameError", "name 'g' is not defined")),
                cell("check(g)", grade, ("CheckFailed", "g returns the wrong shape")),
                cell("check(h)", grade),
                new_code_cell("print(1)")]
    found = problems(new_notebook(cells=bad))
    assert len(found) == 5, found
    assert found[0].startswith("cell 5 ('plot(f(x))'), not an exercise cell, raised NotImplementedError")
    assert "cell 6" in found[1] and "solution cell ex1" in found[1] and "NameError" in found[1]
    assert "cell 7" in found[2] and "without saying it is unfinished" in found[2]
    assert "cell 8" in found[3] and "passed with the stub in place" in found[3]
    assert found[4] == "cell 9 ('print(1)') did not run"
