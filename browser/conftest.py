"""Fixtures of the browser test: one JupyterLab and one headless Chromium for the session.

Run with ``make browser`` (installs playwright from requirements-browser.txt and Debian's
chromium when missing). Not collected by ``make test``: that one collects tests/ and notebooks/.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lab import ROOT, start_lab

CHROMIUM = os.environ.get("GAN_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("GAN_BROWSER_SHOTS", ROOT / "browser" / "screenshots"))
# GAN_BROWSER_NOTEBOOKS: another folder of NN_*.ipynb (e.g. a few cells cut out to check a panel).
NOTEBOOKS = sorted(Path(os.environ.get("GAN_BROWSER_NOTEBOOKS", ROOT / "notebooks")).glob("[0-9][0-9]_*.ipynb"))
RESULTS: dict[str, dict] = {}


def pytest_configure(config):
    SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def lab():
    server = start_lab(NOTEBOOKS, smoke=True, cpus=os.environ.get("GAN_BROWSER_CPUS"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no browser at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium) "
                    "or point GAN_CHROMIUM at one; `make browser` does the install")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def results():
    yield RESULTS
    (SHOTS / "results.json").write_text(json.dumps(RESULTS, indent=1) + "\n")


def latency_table(results: dict, target_ms: float = 300, viewport_h: int = 768) -> str:
    """One row per panel: its height (controls and picture), its slowest slider (median of three
    steps to the redrawn picture) or its button's time to the first new picture, and the verdict."""
    rows = ["| notebook | panel (code cell) | height px | slowest slider | slider to picture | button | button to first new picture | verdict |",
            "|---|---|---|---|---|---|---|---|"]
    for name, r in sorted(results.items()):
        for p in r.get("panels", []):
            n, h = p["panel"], p.get("geometry", {}).get("areaH")
            timed = [s for s in r.get("sliders", []) if s["panel"] == n and not s.get("sets_next_run")]
            untimed = [s for s in r.get("sliders", []) if s["panel"] == n and s.get("sets_next_run")]
            worst = max(timed, key=lambda s: float("inf") if s["ms"] is None else s["ms"]) if timed else None
            btn = next((b for b in r.get("buttons", []) if b["panel"] == n), None)
            bad = []
            if worst and (worst["ms"] is None or worst["ms"] > target_ms):
                bad.append("slow" if worst["ms"] is not None else "no redraw")
            if btn and not btn["changed"]:
                bad.append("button changed nothing")
            if h is not None and h > viewport_h:
                bad.append("too tall")
            rows.append("| {} | {} ({}) | {} | {} | {} | {} | {} | {} |".format(
                name, n, p["cell"] + 1, f"{h:.0f}" if h is not None else "-",
                worst["label"] if worst else ("sets the next run" if untimed or "Run" in p["buttons"] else "-"),
                ("no new picture" if worst["ms"] is None else f"{worst['ms']:.0f} ms") if worst else "-",
                btn["label"] if btn else "-",
                f"{btn['ms']:.0f} ms" if btn and btn["ms"] is not None else "-",
                "**" + ", ".join(bad) + "**" if bad else "ok"))
    return "\n".join(rows)


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    terminalreporter.write_sep("=", "widget response times (headless Chromium, smoke mode)")
    from test_browser import MAX_MS, VIEWPORT
    for name, r in sorted(RESULTS.items()):
        if "run_all_s" in r:
            terminalreporter.write_line(f"{name}: Run All {r['run_all_s']:.0f} s")
    terminalreporter.write_line(latency_table(RESULTS, MAX_MS, VIEWPORT["height"]))
    terminalreporter.write_line("")
    for name, r in sorted(RESULTS.items()):
        for s in r.get("sliders", []):
            ms = ("sets the next run (no redraw)" if s.get("sets_next_run") else
                  "no new picture" if s["ms"] is None else f"{s['ms']:.0f} ms")
            terminalreporter.write_line(f"  {name} panel {s['panel']} slider {s['label']!r}: {ms}")
    terminalreporter.write_line(f"screenshots and results.json: {SHOTS}")
