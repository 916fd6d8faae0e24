"""The judge of learner-version runs (instructor/learner_run.py), on hand-made notebooks: each
kind of fault is reported with its cell, and an unfinished learner's allowed failures are not.
(The real runs are judged in test_course.py, on what ``nbgrader autograde`` executed.)"""
from nbformat.v4 import new_code_cell, new_notebook, new_output

from instructor.learner_run import problems


def cell(src, nbg=None, err=None):
    c = new_code_cell(src, execution_count=1, metadata={"nbgrader": nbg} if nbg else {})
    if err:
        c.outputs = [new_output("error", ename=err[0], evalue=err[1], traceback=[])]
    return c


SOL, GRADE = {"solution": True, "grade_id": "ex1"}, {"grade": True, "grade_id": "ex1_check"}
OK = [cell("import torch"),
      cell("def f(x):\n    raise NotImplementedError()\nf(1)", SOL, ("NotImplementedError", "")),
      cell("check(f)", GRADE, ("CheckFailed", "f still raises NotImplementedError: replace it")),
      cell("check(p)", GRADE, ("CheckFailed", "p is still None: write your prediction")),
      cell("check(f)", GRADE, ("NotImplementedError", ""))]


def test_allowed_failures_of_an_unfinished_learner_pass():
    assert problems(new_notebook(cells=OK)) == []


def test_problems_name_the_cell_and_the_error():
    bad = OK + [cell("\n\nplot(f(x))\nmore", err=("NotImplementedError", "")),
                cell("y = g()", SOL, ("NameError", "name 'g' is not defined")),
                cell("check(g)", GRADE, ("CheckFailed", "g returns the wrong shape")),
                cell("check(h)", GRADE),
                new_code_cell("print(1)")]
    found = problems(new_notebook(cells=bad))
    assert len(found) == 5, found
    assert found[0].startswith("cell 5 ('plot(f(x))'), not an exercise cell, raised NotImplementedError")
    assert "cell 6" in found[1] and "solution cell ex1" in found[1] and "NameError" in found[1]
    assert "cell 7" in found[2] and "without saying it is unfinished" in found[2]
    assert "cell 8" in found[3] and "passed with the stub in place" in found[3]
    assert found[4] == "cell 9 ('print(1)') did not run"


def test_a_run_without_stubs_is_reported():
    solved = [cell("import torch"), cell("def f(x):\n    return x", SOL), cell("check(f)", GRADE)]
    found = problems(new_notebook(cells=solved))
    assert any("passed with the stub in place" in f for f in found)
    assert found[-1].startswith("no NotImplementedError")
