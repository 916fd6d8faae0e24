"""Tables for docs/instructor.md, read from the notebooks themselves (issue 12).

``python -m instructor.report`` prints two markdown tables:

* the full-mode run time of each notebook, from the execution timestamps nbconvert stored
  in its cells (first cell started to last cell replied) - the committed outputs come from a
  full-mode run, so this is that run's wall clock;
* every graded cell: grade_id, points, auto-graded or written, read from nbgrader metadata.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from instructor.build_course import assignments, exercises


def _ts(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def full_mode_seconds(nb_path: Path) -> float | None:
    """Wall clock of the stored run, or None when the cells carry no execution metadata."""
    nb = json.loads(Path(nb_path).read_text())
    starts, ends = [], []
    for cell in nb["cells"]:
        ex = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in ex:
            starts.append(_ts(ex["iopub.execute_input"]))
        if "shell.execute_reply" in ex:
            ends.append(_ts(ex["shell.execute_reply"]))
    if not starts or not ends:
        return None
    return (max(ends) - min(starts)).total_seconds()


def stored_mode(nb_path: Path) -> str:
    """'full' or 'smoke' as printed by the setup cell of the stored run ('?' if not found)."""
    nb = json.loads(Path(nb_path).read_text())
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            text = "".join(o.get("text", ""))
            if "mode: " in text:
                return text.split("mode: ", 1)[1].split()[0].strip("|,")
    return "?"


def times_table() -> str:
    rows = ["| notebook | stored run | full-mode time (stored execution metadata) |", "|---|---|---|"]
    for p in assignments():
        s = full_mode_seconds(p)
        t = "-" if s is None else f"{int(s // 60)}:{int(s % 60):02d}"
        rows.append(f"| `{p.name}` | {stored_mode(p)} | {t} |")
    return "\n".join(rows)


def exercises_table() -> str:
    rows = ["| notebook | grade_id | points | graded |", "|---|---|---|---|"]
    for p in assignments():
        exs = exercises(p)
        for e in exs:
            rows.append(f"| {p.stem[:2]} | `{e.grade_id}` | {e.points:g} | "
                        f"{'autograded check' if e.kind == 'autograded' else 'written, by hand'} |")
        auto = sum(e.points for e in exs if e.kind == "autograded")
        manual = sum(e.points for e in exs if e.kind == "manual")
        rows.append(f"| {p.stem[:2]} | **total** | **{auto + manual:g}** | {auto:g} auto + {manual:g} by hand |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(times_table())
    print()
    print(exercises_table())
    sys.exit(0)
