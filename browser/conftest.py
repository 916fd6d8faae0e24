"""Fixtures of the browser test: one JupyterLab and one headless Chromium for the session.

Run with ``make browser`` (installs playwright from requirements-browser.txt and Debian's
chromium when missing). Not collected by ``make test``: that one collects tests/ and notebooks/.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from lab import ROOT, start_lab

CHROMIUM = os.environ.get("GAN_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("GAN_BROWSER_SHOTS", ROOT / "browser" / "screenshots"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
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


def latency_table(results: dict) -> str:
    rows = ["| notebook | heaviest widget (slider) | slider to redrawn picture | target 300 ms | button clicked | button to first new picture |",
            "|---|---|---|---|---|---|"]
    for name, r in sorted(results.items()):
        lat = r.get("sliders", [])
        timed = [s for s in lat if s["ms"] is not None]
        worst = max(timed, key=lambda s: s["ms"]) if timed else None
        btn = r.get("buttons", [])
        b = btn[0] if btn else None
        rows.append("| {} | {} | {} | {} | {} | {} |".format(
            name, worst["label"] if worst else "-", f"{worst['ms']:.0f} ms" if worst else "-",
            ("met" if worst["ms"] < 300 else "**missed**") if worst else "-",
            b["label"] if b else "-", f"{b['ms']:.0f} ms" if b and b["ms"] is not None else "-"))
    return "\n".join(rows)


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    terminalreporter.write_sep("=", "widget response times (headless Chromium, smoke mode)")
    terminalreporter.write_line(latency_table(RESULTS))
    terminalreporter.write_line("")
    for name, r in sorted(RESULTS.items()):
        for s in r.get("sliders", []):
            ms = "no new picture" if s["ms"] is None else f"{s['ms']:.0f} ms"
            terminalreporter.write_line(f"  {name} panel {s['panel']} slider {s['label']!r}: {ms}")
    terminalreporter.write_line(f"screenshots and results.json: {SHOTS}")
