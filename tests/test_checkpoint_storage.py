"""Compact checkpoint storage (gan_helpers.checkpoint_storage): float16 and int8 files load back as
float32 close to the trained weights, a file whose tensors do not fit its stated storage is
refused, and the shipped files are stored compactly and the tracked tree stays small."""
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from gan_helpers.checkpoint_storage import INT8_MIN_NUMEL, SCALE_SUFFIX, decode, encode
from gan_helpers.checkpoints import (CheckpointError, compact_checkpoint, load_checkpoint, pretrained_dir,
                                     read_metadata, save_checkpoint)
from gan_helpers.models.mlp import MLPGenerator

REPO = Path(__file__).resolve().parents[1]
TREE_LIMIT = 60 * 2**20   # issue 39: a clone (and the device tool's copy) must stay under 60 MiB


@pytest.fixture
def G():
    torch.manual_seed(0)
    return MLPGenerator(latent_dim=16, hidden=[128, 1024]).eval()  # the 1024 x 784 output layer is quantised


@pytest.mark.parametrize("storage", [torch.float32, torch.float16, torch.int8])
def test_round_trip_gives_float32_close_to_the_original(G, tmp_path, storage):
    path = tmp_path / "g.safetensors"
    save_checkpoint(G, path, G.config, storage=storage)
    G2 = load_checkpoint(path, MLPGenerator)
    assert read_metadata(path)["storage"] == storage
    for (k, a), b in zip(G.state_dict().items(), G2.state_dict().values()):
        assert b.dtype == a.dtype, k
        if a.is_floating_point():
            # int8: half a step of the row's scale at most; float16: its rounding
            tol = (a.abs().amax() / 127 / 2 + 1e-6) if storage == torch.int8 else (a.abs().amax() * 2**-10 + 1e-6)
            assert (a - b).abs().max() <= (0 if storage == torch.float32 else tol), k
    z = torch.randn(8, 16)
    err = (G(z) - G2(z)).abs().max()
    assert err == 0 if storage == torch.float32 else err < 0.05


def test_int8_quantises_only_large_matrices_with_a_scale_per_row(G):
    out = encode(G.state_dict(), torch.int8)
    for k, v in G.state_dict().items():
        if v.is_floating_point() and v.ndim >= 2 and v.numel() >= INT8_MIN_NUMEL:
            assert out[k].dtype == torch.int8 and out[k + SCALE_SUFFIX].shape == (v.shape[0], 1)
            assert out[k].abs().amax(1).eq(127).all()  # each row's largest weight uses the full range
        elif v.is_floating_point():
            assert out[k].dtype == torch.float16 and k + SCALE_SUFFIX not in out
        else:
            assert out[k].dtype == v.dtype
    assert any(v.dtype == torch.int8 for v in out.values())


def test_a_row_of_small_weights_keeps_its_precision():
    w = torch.randn(300, 400)
    w[0] *= 1e-4                      # a per-matrix scale would round this row to zero
    back = decode(encode({"w": w}, torch.int8), torch.int8, "test")["w"]
    assert (back[0] - w[0]).abs().max() <= w[0].abs().max() / 127


def _rewrite(path, tensors=None, storage=None):
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    t = load_file(str(path)) if tensors is None else tensors
    if storage is not None:
        meta["storage"] = storage
    save_file(t, str(path), metadata=meta)


def test_tensors_that_do_not_fit_the_stated_storage_are_refused(G, tmp_path):
    path = tmp_path / "g.safetensors"
    save_checkpoint(G, path, G.config, storage=torch.int8)
    bad = tmp_path / "bad.safetensors"
    shutil.copy(path, bad)
    _rewrite(bad, storage="float32")                        # int8 tensors under a float32 label
    with pytest.raises(CheckpointError, match="int8"):
        load_checkpoint(bad, MLPGenerator)
    t = load_file(str(path))
    scale_key = next(k for k in t if k.endswith(SCALE_SUFFIX))
    shutil.copy(path, bad)
    _rewrite(bad, {k: v for k, v in t.items() if k != scale_key})  # a scale lost
    with pytest.raises(CheckpointError, match="without its scale"):
        load_checkpoint(bad, MLPGenerator)
    shutil.copy(path, bad)
    _rewrite(bad, {**t, scale_key: t[scale_key].half()})     # a scale of the wrong dtype
    with pytest.raises(CheckpointError, match="float32"):
        load_checkpoint(bad, MLPGenerator)
    shutil.copy(path, bad)
    q = next(k for k in t if t[k].dtype == torch.int8)
    _rewrite(bad, {**t, q: t[q].half()})                     # a scale beside a float16 tensor
    with pytest.raises(CheckpointError, match="scales without their int8 tensors"):
        load_checkpoint(bad, MLPGenerator)
    shutil.copy(path, bad)
    _rewrite(bad, storage="bfloat8")
    with pytest.raises(CheckpointError, match="unknown storage"):
        load_checkpoint(bad, MLPGenerator)
    fp32 = tmp_path / "fp32.safetensors"
    save_checkpoint(G, fp32, G.config)
    t = load_file(str(fp32))
    k = next(iter(t))
    _rewrite(fp32, {**t, k: t[k].half()})                  # one tensor hand-edited to float16
    with pytest.raises(CheckpointError, match="float16"):
        load_checkpoint(fp32, MLPGenerator)


def test_compacting_keeps_config_and_record_and_names_the_source(G, tmp_path):
    path = tmp_path / "g.safetensors"
    save_checkpoint(G, path, G.config, {"command": "python -m gan_helpers train vanilla"})
    size = path.stat().st_size
    compact_checkpoint(path, torch.int8)
    meta = read_metadata(path)
    assert meta["config"] == G.config and meta["extra"]["command"].endswith("train vanilla")
    assert len(meta["extra"]["compacted_from_sha256"]) == 64 and path.stat().st_size < size / 2.5


def test_compacting_refuses_to_widen_and_float16_overflow_is_refused(G, tmp_path):
    path = tmp_path / "g.safetensors"
    save_checkpoint(G, path, G.config, storage=torch.int8)
    with pytest.raises(CheckpointError, match="decoded weights"):
        compact_checkpoint(path, torch.float32)
    with torch.no_grad():
        next(G.parameters()).view(-1)[0] = 1e6
    with pytest.raises(ValueError, match="float16's range"):
        save_checkpoint(G, tmp_path / "big.safetensors", G.config, storage=torch.float16)


def test_shipped_generators_are_compact_and_classifiers_exact():
    for path in sorted(pretrained_dir().glob("*.safetensors")):
        storage = read_metadata(path)["storage"]
        if "classifier" in path.name:  # the metrics' feature space stays as trained
            assert storage == torch.float32, path.name
        else:
            assert storage in (torch.int8, torch.float16), path.name


def test_tracked_tree_stays_under_60_mib():
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    total = sum((REPO / f).stat().st_size for f in files.decode().split("\0") if f and (REPO / f).is_file())
    assert total <= TREE_LIMIT, (f"the tracked files take {total / 2**20:.1f} MiB, over the 60 MiB a clone and the "
                                 "GPU check's copy may take: store new weights compactly, keep notebook figures small")
