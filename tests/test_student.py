"""Learner versions (gan_helpers.student) of notebook 01: solutions replaced by nbgrader's stub,
outputs cleared, graded cells kept."""
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gan_helpers.student import make_student_version

REPO = Path(__file__).resolve().parents[1]
NB01 = REPO / "notebooks" / "01_bce_loss.ipynb"


def _grade_ids(nb, key):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get(key)}


@pytest.fixture(scope="module")
def student_nb(tmp_path_factory):
    out = make_student_version(NB01, tmp_path_factory.mktemp("student") / NB01.name)
    return nbformat.read(str(out), as_version=4)


def test_solutions_become_stubs(student_nb):
    teacher = nbformat.read(str(NB01), as_version=4)
    sols = _grade_ids(student_nb, "solution")
    assert {"ex1_bce", "ex2_d_loss", "ex3_d_star", "ex4_written"} <= set(sols)
    for gid, cell in sols.items():
        assert "BEGIN SOLUTION" not in cell.source and "END SOLUTION" not in cell.source
        if cell.cell_type == "code":
            assert "raise NotImplementedError()" in cell.source
            # the signature the checks call stays, the answer is gone
            assert cell.source.splitlines()[0] == _grade_ids(teacher, "solution")[gid].source.splitlines()[0]
        else:
            assert "YOUR ANSWER HERE" in cell.source
    assert "torch.log(1 - p)).mean()" not in sols["ex1_bce"].source
    assert "binary_cross_entropy_with_logits" not in sols["ex2_d_loss"].source


def test_outputs_cleared_and_graded_cells_kept(student_nb):
    teacher = nbformat.read(str(NB01), as_version=4)
    assert any(c.get("outputs") for c in teacher.cells if c.cell_type == "code")  # committed run
    assert all(not c.outputs and c.execution_count is None for c in student_nb.cells if c.cell_type == "code")
    t_graded, s_graded = _grade_ids(teacher, "grade"), _grade_ids(student_nb, "grade")
    assert {"ex1_bce_check", "ex2_d_loss_check", "ex3_d_star_check"} <= set(s_graded)
    for gid in ["ex1_bce_check", "ex2_d_loss_check", "ex3_d_star_check"]:
        assert s_graded[gid].source == t_graded[gid].source and "nb01.check_" in s_graded[gid].source
        assert s_graded[gid].metadata["nbgrader"]["locked"] is True
    assert len(student_nb.cells) == len(teacher.cells)


def test_stubbed_exercise_fails_its_check(student_nb):
    from gan_helpers.checks import CheckFailed

    ns = {}
    exec("import torch\nimport torch.nn.functional as F\nfrom gan_helpers.checks import nb01", ns)
    sols, graded = _grade_ids(student_nb, "solution"), _grade_ids(student_nb, "grade")
    for sol, check in [("ex1_bce", "ex1_bce_check"), ("ex2_d_loss", "ex2_d_loss_check"),
                       ("ex3_d_star", "ex3_d_star_check")]:
        exec(sols[sol].source, ns)
        with pytest.raises(CheckFailed, match="NotImplementedError"):
            exec(graded[check].source, ns)


def test_cli_writes_the_student_notebooks(tmp_path):
    r = subprocess.run([sys.executable, "-m", "gan_helpers", "student", "--out", str(tmp_path)],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = tmp_path / NB01.name
    assert out.exists() and f"wrote {out}" in r.stdout
    nb = nbformat.read(str(out), as_version=4)
    assert "raise NotImplementedError()" in _grade_ids(nb, "solution")["ex1_bce"].source
