"""Prints the autograde times of the class test (instructor/test_course.py) at the end."""
from __future__ import annotations

import json
from pathlib import Path


def pytest_terminal_summary(terminalreporter):
    from instructor.test_course import AUTOGRADE_TARGET_S, TIMES
    if not TIMES:
        return
    terminalreporter.write_sep("=", "nbgrader times, smoke mode (seconds)")
    cols = ["generate_assignment", "autograde sol", "autograde stub", "autograde wrong", "generate_feedback"]
    terminalreporter.write_line("| assignment | " + " | ".join(cols) + f" | autograde under {AUTOGRADE_TARGET_S} s |")
    terminalreporter.write_line("|---" * (len(cols) + 2) + "|")
    for name, t in sorted(TIMES.items()):
        ag = [v for k, v in t.items() if k.startswith("autograde")]
        ok = "yes" if ag and max(ag) < AUTOGRADE_TARGET_S else ("**no**" if ag else "-")
        terminalreporter.write_line(f"| {name} | " + " | ".join(f"{t[c]:.0f}" if c in t else "-" for c in cols) + f" | {ok} |")
    out = Path(__file__).resolve().parent / "last_times.json"
    out.write_text(json.dumps(TIMES, indent=1) + "\n")
    terminalreporter.write_line(f"(also in {out})")
