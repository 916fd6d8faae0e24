"""The latency table's verdicts (conftest.latency_table), on made-up results: a slow slider, a
panel taller than the viewport, a slider that redraws nothing and a button that changed
nothing are each marked; a panel within the limits is "ok"."""
from conftest import latency_table


def panel(n, cell, h, buttons=()):
    return {"panel": n, "cell": cell, "sliders": ["s"], "buttons": list(buttons), "geometry": {"areaH": h}}


def test_verdicts():
    results = {"01_x": {"panels": [panel(0, 5, 500), panel(1, 9, 800)],
                        "sliders": [{"panel": 0, "label": "a", "ms": 120.0}, {"panel": 0, "label": "b", "ms": 301.0},
                                    {"panel": 1, "label": "c", "ms": 80.0}]},
               "02_y": {"panels": [panel(0, 3, 400, ["Run"]), panel(1, 4, 300)],
                        "sliders": [{"panel": 1, "label": "d", "ms": None}],
                        "buttons": [{"panel": 0, "label": "Run", "ms": 900.0, "changed": False}]},
               "03_z": {"panels": [panel(0, 2, 700)], "sliders": [{"panel": 0, "label": "e", "ms": 300.0}]}}
    rows = latency_table(results, 300, 768).splitlines()[2:]
    assert len(rows) == 5
    assert "| b | 301 ms |" in rows[0] and rows[0].endswith("**slow** |")
    assert rows[1].endswith("**too tall** |") and "| 800 |" in rows[1]
    assert "sets the next run" in rows[2] and rows[2].endswith("**button changed nothing** |")
    assert "no new picture" in rows[3] and rows[3].endswith("**no redraw** |")
    assert rows[4].endswith("| ok |")                       # exactly 300 ms meets "at most 300 ms"
