"""The CPU-side parts of `make gpu-check` (tools/gpu_check.py), so the check cannot rot between GPU
loans: one step of every recipe, the CPU-against-device comparison machinery, the choice of the tests
that import without Jupyter, and the refusal to run without CUDA."""
import importlib.util
import tempfile
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", REPO / "tools" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_step_of_every_recipe_runs(gpu_check, tmp_path):
    from gan_helpers.recipes import RECIPES
    assert gpu_check.recipe_steps("cpu", tmp_path) == list(RECIPES)
    assert len(list(tmp_path.glob("*.safetensors"))) >= len(RECIPES)


def test_every_shipped_model_has_inputs_and_the_comparison_catches_a_difference(gpu_check, monkeypatch):
    from gan_helpers.checkpoints import pretrained_dir, read_metadata
    for path in pretrained_dir().glob("*.safetensors"):  # a generator of z, or images of a known shape
        meta = read_metadata(path)
        assert "latent_dim" in meta["config"] or meta["arch"].rsplit(".", 1)[1] in gpu_check.IMAGE_INPUTS, path.name
    # one file of every kind _run builds inputs for: z, z and labels, images, a CycleGAN, each classifier
    small = {"vanilla_G.safetensors", "cgan_G.safetensors", "horse2zebra_G_AB_e01.safetensors",
             "cyclegan_digits_d1.safetensors", "mnist_classifier.safetensors", "digits_classifier.safetensors",
             "horse2zebra_classifier.safetensors"}
    rows = gpu_check.sample_parity("cpu", only=small)
    assert {n for n, _ in rows} == small and all(e == 0.0 for _, e in rows)
    real_run = gpu_check._run
    monkeypatch.setattr(gpu_check, "_run", lambda m, d: real_run(m, "cpu") + (0.01 if d == "fake" else 0))
    with pytest.raises(RuntimeError, match="disagree"):
        gpu_check.sample_parity("fake", only={"vanilla_G.safetensors"})


def test_the_test_selection_leaves_out_what_needs_jupyter(gpu_check):
    files, left_out = gpu_check.jupyter_free_tests()
    names = {f.stem for f in files}
    assert "test_gpu_check" in names and "test_checkpoint_storage" in names
    assert "test_widgets_bce" in left_out and not names & set(left_out)     # uses widgets (regex)
    assert {"test_student", "test_notebook_tags"} <= set(left_out)         # import nbformat (probe)


def test_without_cuda_it_says_so_and_fails(gpu_check, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_check.main() == 2
    assert "no CUDA device" in capsys.readouterr().out
