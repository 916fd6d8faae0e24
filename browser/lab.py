"""Start and stop a private JupyterLab for the browser test (issue 12).

The server runs from the project's ``.venv`` on a free loopback port with a random token,
serves a *copy* of the notebooks with their outputs cleared (so Lab's autosave can never
touch the committed files and every prompt starts empty), and gets settings that keep the
page predictable: no news pop-up, no autosave, every cell in the DOM (no windowing, so
off-screen outputs can be queried). It is stopped by its own process id only.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"

# Lab settings for the test profile. Windowing off: Lab 4 otherwise keeps only the cells
# near the viewport in the DOM, and the test reads every output.
OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False,
                                                     "doNotDisturbMode": True},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cleared_copy(src: Path, dst: Path) -> Path:
    """``src`` notebook written to ``dst`` without outputs, execution counts or widget state."""
    nb = json.loads(src.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb["metadata"].pop("widgets", None)
    dst.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return dst


@dataclass
class Lab:
    """A running JupyterLab: ``url``, ``token``, the served folder ``root`` and the ``proc``."""
    proc: subprocess.Popen
    url: str
    token: str
    root: Path
    tmp: Path
    log_path: Path
    env: dict = field(default_factory=dict)

    def api(self, method: str, path: str):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Stop every kernel (frees the CPU between notebooks)."""
        for k in self.api("GET", "/api/kernels") or []:
            try:
                self.api("DELETE", f"/api/kernels/{k['id']}")
            except urllib.error.URLError:
                pass

    def stop(self) -> None:
        """SIGINT twice (Lab's own clean shutdown, kernels included), then SIGTERM, then SIGKILL,
        each to this server's process id only."""
        if self.proc.poll() is None:
            try:
                self.shutdown_kernels()
            except Exception:  # the server may already be going down
                pass
            for sig, wait in ((signal.SIGINT, 0.5), (signal.SIGINT, 10), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                if self.proc.poll() is not None:
                    break
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout=wait)
                except subprocess.TimeoutExpired:
                    pass
        shutil.rmtree(self.tmp, ignore_errors=True)


def start_lab(notebooks: list[Path], smoke: bool = True, cpus: str | None = None, timeout: float = 120) -> Lab:
    """Start JupyterLab serving cleared copies of ``notebooks``; kernels inherit GAN_SMOKE.

    ``cpus`` ("1" or "0,1") pins the server and so its kernels with ``taskset``.
    """
    tmp = Path(tempfile.mkdtemp(prefix="gan_browser_"))
    root = tmp / "notebooks"
    root.mkdir()
    for nb in notebooks:
        cleared_copy(nb, root / nb.name)
    settings = tmp / "settings"
    settings.mkdir()
    (settings / "overrides.json").write_text(json.dumps(OVERRIDES))
    app_settings = tmp / "app_settings"
    app_settings.mkdir()
    (app_settings / "overrides.json").write_text(json.dumps(OVERRIDES))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update({
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",  # inline figures even if CI exports agg
    })
    if smoke:
        env["GAN_SMOKE"] = "1"
    else:
        env.pop("GAN_SMOKE", None)
    cmd = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
           f"--ServerApp.token={token}", "--ServerApp.password=", f"--notebook-dir={root}",
           f"--LabServerApp.app_settings_dir={app_settings}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    if cpus:
        cmd = ["taskset", "-c", cpus, *cmd]
    log_path = tmp / "lab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(root))
    lab = Lab(proc=proc, url=f"http://127.0.0.1:{port}", token=token, root=root, tmp=tmp,
              log_path=log_path, env=env)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            lab.api("GET", "/api/status")
            return lab
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    lab.stop()
    raise RuntimeError(f"JupyterLab did not answer on {lab.url} within {timeout:.0f} s")


if __name__ == "__main__":  # manual use: python browser/lab.py  (serves the notebooks until Ctrl-C)
    lab = start_lab(sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    print(f"{lab.url}/lab?token={lab.token}", flush=True)
    try:
        lab.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        lab.stop()
    sys.exit(0)
