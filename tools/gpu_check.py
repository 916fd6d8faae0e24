"""The GPU check (issue 39): does the collection run on a CUDA device? ``make gpu-check`` runs it.

Written for a machine with CUDA and Python with torch, torchvision, torchmetrics, safetensors,
scipy, matplotlib and pytest, but no Jupyter and no internet. Three parts, one line each, then a
total; the exit status is 0 only when every part passed:

1. ``tests``: the package's tests that run without Jupyter (each test module is imported and
   run with the Jupyter family blocked; those that fail to import or use the notebooks' widgets
   are listed and left out), with
   ``GAN_TEST_DEVICE=cuda`` so the tests that take the ``device`` fixture run on the GPU. Tests
   that need the MNIST or horse2zebra cache skip where it is absent.
2. ``recipes``: one training step of every recipe in ``gan_helpers.recipes.RECIPES`` on the GPU,
   with tiny sizes, written to a temporary folder. Its data are made there: tensors of the real
   datasets' shapes and ranges (the datasets themselves do not travel: the check only asks whether
   the code runs on the device, not what it learns).
3. ``samples``: every shipped model (``data/pretrained``) run on the same inputs on the CPU and on
   the GPU, compared: outputs in [-1, 1] (classifiers: logits) must agree within ``ATOL``, with
   TF32 switched off so both sides compute in float32.

Tests whose dataset is not in the cache skip (``tests/conftest.py`` turns the missing-data error into
a skip when ``GAN_TEST_DEVICE`` is set). Without CUDA it says so and exits with status 2. On a CPU machine ``tests/test_gpu_check.py``
runs parts 2 and 3 with device "cpu" (and the selection of part 1), so the check cannot rot.
"""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import torch

REPO = Path(__file__).resolve().parents[1]
ATOL = 1e-3   # largest |CPU - GPU| allowed on an output in [-1, 1] (or a logit), float32 on both sides
JUPYTER = ("IPython", "ipykernel", "ipywidgets", "jupyter", "jupyter_client", "jupyter_core", "jupyterlab",
           "nbclient", "nbconvert", "nbformat", "nbgrader", "nbval", "notebook", "playwright")

# tiny sizes for one step of each recipe (fields of its Config)
TINY = {
    "classifier": dict(channels=4, feature_dim=8, epochs=1, batch_size=16, min_accuracy=0.0),
    "digits_classifier": dict(channels=4, steps=1, batch_size=16, test_n=32, min_accuracy=0.0),
    "vanilla": dict(steps=1, batch_size=16, latent_dim=4, g_hidden="8", d_hidden="8", eval_n=0, log_every=0),
    "dcgan": dict(steps=1, batch_size=16, latent_dim=4, fc_units=16, g_channels=4, d_channels=4, eval_n=0, log_every=0),
    "cgan": dict(steps=1, batch_size=16, latent_dim=4, fc_units=16, g_channels=4, d_channels=4, eval_n=0,
                 log_every=0, decay_from=None),
    "games": dict(steps=1, batch_size=16, latent_dim=4, g_hidden="8", d_hidden="8", eval_n=0, log_every=0,
                  cpu_minutes=None, game="WGAN-GP", wasserstein=True, gp_weight=10.0, n_critic=2),
    "cyclegan": dict(g_channels=4, n_blocks=1, d_channels=4, steps=1, batch_size=2, eval_n=16, log_every=1),
    "horse2zebra": dict(limit=2, epochs=1, snapshot_epochs="", g_channels=4, n_blocks=1, d_channels=4,
                        evaluate=False, log_every=1),
    "photo_classifier": dict(channels=4, feature_dim=8, epochs=1, batch_size=4, min_accuracy=0.0, limit=8),
    "pix2pix": dict(limit=2, steps=1, g_channels=4, d_channels=4, batch_size=2, evaluate=False, log_every=1),
    "ddpm": dict(steps=1, batch_size=16, base_channels=8, channel_mults="1,2", T=10, sample_steps=2, eval_n=0,
                 log_every=1),
}


def _made_mnist(train: bool = True, device="cpu", limit=None, **_):
    """Stand-in for ``load_mnist``: images (N, 1, 28, 28) in [-1, 1] with a bright stroke, labels 0-9."""
    g = torch.Generator().manual_seed(int(train))
    n = min(limit or 256, 256)
    x = torch.rand(n, 1, 28, 28, generator=g) * 0.2 - 1
    x[:, :, 6:22, 12:16] = 1.0                           # a vertical bar, as bright as ink
    y = torch.arange(n) % 10
    return x.to(device), y.to(device)


def _made_photos(split: str = "trainA", size: int = 64, limit=None, device="cpu", **_):
    """Stand-in for ``load_horse2zebra``: photos (N, 3, size, size) in [-1, 1]."""
    g = torch.Generator().manual_seed(len(split))
    n = min(limit or 8, 8)
    return (torch.rand(n, 3, size, size, generator=g) * 2 - 1).to(device)


def recipe_steps(device: str, out_dir: Path) -> list[str]:
    """One step of every recipe on ``device``; returns the recipe names run (raises on failure)."""
    from gan_helpers import recipes
    from gan_helpers.recipes import classifier, cyclegan, digits_classifier, horse2zebra, photo_classifier, pix2pix

    missing = set(recipes.RECIPES) - set(TINY)
    if missing:
        raise RuntimeError(f"the GPU check has no tiny config for the recipes {sorted(missing)}: add them to TINY")
    done = []
    with ExitStack() as stack:
        stack.enter_context(mock.patch("gan_helpers.data.mnist.load_mnist", _made_mnist))
        for module in (classifier, cyclegan, digits_classifier):
            stack.enter_context(mock.patch.object(module, "load_mnist", _made_mnist))
        for module in (horse2zebra, photo_classifier, pix2pix):  # pix2pix pairs are made from these photos
            stack.enter_context(mock.patch.object(module, "load_horse2zebra", _made_photos))
        for name, module in recipes.RECIPES.items():
            fields = {f.name for f in dataclasses.fields(module.Config)}
            extra = {"threads": 1} if "threads" in fields and device == "cpu" else {}
            cfg = module.Config(**TINY[name], device=device, out=str(out_dir / f"{name}.safetensors"), **extra)
            result = module.train(cfg)
            ran_on = torch.device(result.info.get("device", "cpu")).type
            if ran_on != torch.device(device).type:
                raise RuntimeError(f"{name}: asked for {device}, the run recorded {ran_on}")
            params = next(result.model.parameters())
            if not torch.isfinite(params).all():
                raise RuntimeError(f"{name}: one step on {device} gave non-finite weights")
            done.append(name)
    return done


# input shape of each shipped model that takes images (generators of z need none)
IMAGE_INPUTS = {"MNISTClassifier": (1, 28, 28), "DigitClassifier32": (3, 32, 32), "PhotoClassifier": (3, 64, 64),
                "ResnetGenerator": (3, 32, 32), "CycleGAN": (3, 32, 32),
                "UNetGenerator": (1, 64, 64),  # pix2pix: L (colourisation) or an edge map, 64 = 2 ** n_down
                "DDPMUNet": (1, 28, 28)}       # a diffusion model's noise predictor: (x_t, t)


def _shipped_models(only=None):
    """(file name, model) for every shipped checkpoint (or those named in ``only``), sha256 checked."""
    import importlib
    from gan_helpers.checkpoints import load_pretrained, pretrained_dir, read_metadata

    for path in sorted(pretrained_dir().glob("*.safetensors")):
        if only is not None and path.name not in only:
            continue
        module, _, cls_name = read_metadata(path)["arch"].rpartition(".")
        yield path.name, load_pretrained(path.name, getattr(importlib.import_module(module), cls_name))


def _run(model, device: str) -> torch.Tensor:
    """The model's output on fixed inputs (z and labels, or images) built from seed 0."""
    g = torch.Generator().manual_seed(0)
    cfg = getattr(model, "config", {})
    model = model.to(device).eval()
    with torch.no_grad():
        if "latent_dim" in cfg:
            z = torch.randn(16, cfg["latent_dim"], generator=g).to(device)
            if cfg.get("n_classes"):
                return model(z, (torch.arange(16) % cfg["n_classes"]).to(device)).cpu()
            return model(z).cpu()
        x = (torch.rand(4, *IMAGE_INPUTS[type(model).__name__], generator=g) * 2 - 1).to(device)
        if "n_steps" in cfg:                                     # a noise predictor: also the step t
            return model(x, torch.linspace(0, cfg["n_steps"] - 1, len(x)).long().to(device)).cpu()
        if hasattr(model, "G_AB"):                               # a CycleGAN: translate both ways
            return torch.cat([model.G_AB(x).flatten(1), model.G_BA(x).flatten(1)], 1).cpu()
        return model(x).cpu()


def sample_parity(device: str, only=None) -> list[tuple[str, float]]:
    """Largest |CPU - device| output difference of every shipped model (or those named in
    ``only``); raises above ``ATOL``."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    rows = []
    for name, model in _shipped_models(only):
        ref = _run(model, "cpu")
        got = _run(model, device)
        err = float((ref - got).abs().max())
        rows.append((name, err))
    bad = [f"{n} ({e:.2e})" for n, e in rows if not e <= ATOL]
    if bad:
        raise RuntimeError(f"CPU and {device} disagree by more than {ATOL}: {', '.join(bad)}")
    return rows


BLOCK = """
import importlib, sys
BLOCKED = {blocked!r}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in BLOCKED:
            raise ImportError(f'{{name}} is not installed on the GPU machine')
sys.meta_path.insert(0, Block())
"""
PROBE = BLOCK + """
sys.path.insert(0, {tests!r})
for mod in sys.argv[1:]:
    try:
        importlib.import_module(mod)
        print('ok', mod)
    except BaseException as err:   # a module-level skip is a BaseException
        print('no', mod, type(err).__name__)
"""


# a test file that uses the notebooks' widgets needs ipywidgets when it runs, not when it is imported
NEEDS_WIDGETS = re.compile(r"gan_helpers\.widgets|from gan_helpers import[^\n]*\bwidgets\b")


def jupyter_free_tests() -> tuple[list[Path], list[str]]:
    """The test files that import with the Jupyter family absent and use no widgets, and those left out."""
    tests = [t for t in sorted((REPO / "tests").glob("test_*.py")) if not NEEDS_WIDGETS.search(t.read_text())]
    widget_tests = [t.stem for t in sorted((REPO / "tests").glob("test_*.py")) if NEEDS_WIDGETS.search(t.read_text())]
    code = PROBE.format(blocked=JUPYTER, tests=str(REPO / "tests"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code, *[t.stem for t in tests]], capture_output=True, text=True,
                         cwd=REPO, env=env, check=True).stdout.split("\n")
    ok = {line.split()[1] for line in out if line.startswith("ok ")}
    return [t for t in tests if t.stem in ok], sorted(widget_tests + [t.stem for t in tests if t.stem not in ok])


def run_tests(device: str) -> tuple[int, str]:
    """pytest over :func:`jupyter_free_tests` in a process where the Jupyter family cannot be
    imported (as on the GPU machine), with ``GAN_TEST_DEVICE=device``."""
    files, left_out = jupyter_free_tests()
    env = {**os.environ, "GAN_TEST_DEVICE": device, "GAN_SMOKE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    args = ["-q", "-o", "addopts=", "-p", "no:cacheprovider", "-m", "not slow", *map(str, files)]
    code = BLOCK.format(blocked=JUPYTER) + f"import pytest\nsys.exit(pytest.main({args!r}))\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    tail = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
    if proc.returncode != 0:
        print(proc.stdout[-6000:], proc.stderr[-2000:], file=sys.stderr)
    return proc.returncode, f"{len(files)} files ({len(left_out)} need Jupyter: {', '.join(left_out)}): {tail}"


def main() -> int:
    if not torch.cuda.is_available():
        print("gpu-check: no CUDA device here (torch.cuda.is_available() is False). Run it on a machine "
              "with an NVIDIA GPU; on a CPU machine `make test` runs its CPU-side parts.")
        return 2
    device = "cuda"
    print(f"gpu-check on {torch.cuda.get_device_name(0)}, torch {torch.__version__}", flush=True)
    t_all, failed = time.perf_counter(), 0
    t = time.perf_counter()
    try:
        rc, line = run_tests(device)
    except Exception as err:  # one FAIL line, like the other parts
        rc, line = 1, f"{type(err).__name__}: {err}"
    failed += rc != 0
    print(f"[{'PASS' if rc == 0 else 'FAIL'}] tests    {time.perf_counter() - t:6.1f} s  {line}", flush=True)
    for name, part in (("recipes", lambda: ", ".join(recipe_steps(device, Path(tempfile.mkdtemp()))) + ": one step each"),
                       ("samples", lambda: "max |CPU - GPU| " + ", ".join(f"{n.removesuffix('.safetensors')} {e:.1e}"
                                                                          for n, e in sample_parity(device)))):
        t = time.perf_counter()
        try:
            line, ok = part(), True
        except Exception as err:  # report and go on: one line per part
            line, ok = f"{type(err).__name__}: {err}", False
        failed += not ok
        print(f"[{'PASS' if ok else 'FAIL'}] {name:8s} {time.perf_counter() - t:6.1f} s  {line}", flush=True)
    print(f"gpu-check: {3 - failed}/3 parts passed in {time.perf_counter() - t_all:.0f} s")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
