"""Every notebook's exercises are valid nbgrader coursework: consistent metadata, and a
learner version (gan_helpers.student) whose solutions are stubs and whose graded checks
are kept unchanged. Notebook 01's version is examined in detail in test_student.py."""
from pathlib import Path

import nbformat
import pytest

from gan_helpers.student import make_student_version

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_all_eight_notebooks_exist():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.name[:2])
def pair(request, tmp_path_factory):
    teacher = nbformat.read(str(request.param), as_version=4)
    out = make_student_version(request.param, tmp_path_factory.mktemp("student") / request.param.name)
    return teacher, nbformat.read(str(out), as_version=4)


def _nbg(cell):
    return cell.metadata.get("nbgrader", {})


def test_nbgrader_metadata_is_consistent(pair):
    teacher, _ = pair
    ids = [_nbg(c)["grade_id"] for c in teacher.cells if _nbg(c)]
    assert len(ids) == len(set(ids)), f"duplicate grade_id: {ids}"
    solutions = [c for c in teacher.cells if _nbg(c).get("solution")]
    graded = [c for c in teacher.cells if _nbg(c).get("grade")]
    assert solutions, "every notebook has exercises"
    assert graded, "every notebook has graded checks"
    for c in teacher.cells:
        md = _nbg(c)
        if md.get("grade"):
            assert md.get("points", 0) > 0, f"graded cell {md['grade_id']} has no points"
        if md.get("solution"):
            assert "BEGIN SOLUTION" in c.source and "END SOLUTION" in c.source, md["grade_id"]
        if not md.get("solution"):
            assert "BEGIN SOLUTION" not in c.source, "solution markup outside a solution cell"


def test_student_version_stubs_solutions_and_keeps_checks(pair):
    teacher, student = pair
    assert len(student.cells) == len(teacher.cells)
    for t, s in zip(teacher.cells, student.cells):
        if s.cell_type == "code":
            assert not s.outputs and s.execution_count is None
        md = _nbg(s)
        if md.get("solution"):
            assert "BEGIN SOLUTION" not in s.source
            expected = "raise NotImplementedError()" if s.cell_type == "code" else "YOUR ANSWER HERE"
            assert expected in s.source, md["grade_id"]
            assert s.source != t.source
        elif md.get("grade") or md.get("locked"):
            assert s.source == t.source
            assert md.get("locked") is True
