"""nbval reads a cell's tags only in its own spelling (``nbval-check-output``, lower case with
hyphens); a tag in any other spelling is silently ignored and the cell's output never compared."""
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import metadata_tags

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_nbval_tag_is_one_nbval_reads(path):
    nb = nbformat.read(path, 4)
    tags = [(i, t) for i, c in enumerate(nb.cells) for t in c.get("metadata", {}).get("tags", [])
            if t.lower().replace("_", "-").startswith(("nbval", "raises-exception"))]
    wrong = [(i, t) for i, t in tags if t not in metadata_tags]
    assert not wrong, f"cells {wrong}: nbval ignores these tags; use one of {sorted(metadata_tags)}"


def test_output_checks_are_switched_on():
    checked = sum(t == "nbval-check-output" for p in NOTEBOOKS for c in nbformat.read(p, 4).cells
                  for t in c.get("metadata", {}).get("tags", []))
    assert checked > 0
