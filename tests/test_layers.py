"""The package's layering (tools/layers.py): no subpackage imports one above it."""
import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "layers.py"


def test_every_import_points_downwards():
    out = subprocess.run([sys.executable, str(TOOL)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "every import points downwards" in out.stdout


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    sys.path.insert(0, str(TOOL.parent))
    try:
        import layers
    finally:
        sys.path.pop(0)
    pkg = tmp_path / "gan_helpers"
    (pkg / "data").mkdir(parents=True)
    (pkg / "train").mkdir()
    (pkg / "data" / "__init__.py").write_text("")
    (pkg / "train" / "__init__.py").write_text("")
    (pkg / "train" / "step.py").write_text("")
    (pkg / "data" / "mnist.py").write_text("def f():\n    from ..train.step import d_step\n")
    monkeypatch.setattr(layers, "PACKAGE", pkg)
    assert layers.edges()["data"] == {"train"}
    assert layers.main() == 1
