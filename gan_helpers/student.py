"""Learner versions of the notebooks, made with nbgrader's own preprocessors.

Solution regions (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) become nbgrader's
stub, outputs are cleared and graded cells are locked, exactly as ``nbgrader generate_assignment``
would do, but without a course folder or database.
"""
from __future__ import annotations

from pathlib import Path


def make_student_version(src: Path, dst: Path) -> Path:
    """Write the learner version of notebook ``src`` to ``dst``."""
    import nbformat
    from nbgrader.preprocessors import ClearOutput, ClearSolutions, LockCells

    nb = nbformat.read(str(src), as_version=4)
    resources: dict = {}
    for pp in (ClearSolutions(), LockCells(), ClearOutput()):
        nb, resources = pp.preprocess(nb, resources)
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dst))
    return dst


def make_student_versions(notebooks: Path, out: Path) -> list[Path]:
    """Learner versions of every ``NN_*.ipynb`` in ``notebooks``, written into ``out``."""
    srcs = sorted(p for p in Path(notebooks).glob("[0-9][0-9]_*.ipynb"))
    if not srcs:
        raise FileNotFoundError(f"no numbered notebooks (NN_name.ipynb) found in {notebooks}")
    return [make_student_version(p, Path(out) / p.name) for p in srcs]
