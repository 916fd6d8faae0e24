"""Checkpoint errors and round trips (gan_helpers.checkpoints) with the models of notebook 03."""
import shutil

import pytest
import torch

from gan_helpers import checkpoints
from gan_helpers.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from gan_helpers.models.classifier import MNISTClassifier
from gan_helpers.models.mlp import MLPDiscriminator, MLPGenerator


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    G = MLPGenerator(latent_dim=8, hidden=[16, 32]).eval()
    path = tmp_path / "g.safetensors"
    digest = save_checkpoint(G, path, G.config, {"note": "test"})
    return G, path, digest


def test_round_trip_restores_weights_config_and_extra(saved):
    G, path, digest = saved
    G2 = load_checkpoint(path, MLPGenerator, expected_sha256=digest)
    z = torch.randn(4, 8)
    assert torch.equal(G(z), G2(z)) and G2.config == G.config
    assert G2.checkpoint_extra == {"note": "test"} and not G2.training
    clf = MNISTClassifier(channels=4, feature_dim=8)
    d = save_checkpoint(clf, path.with_name("c.safetensors"), clf.config)
    clf2 = load_checkpoint(path.with_name("c.safetensors"), MNISTClassifier, d)
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    assert torch.equal(clf.eval()(x), clf2(x))


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.safetensors", MLPGenerator)


def test_corrupt_file_flipped_bytes(saved):
    _, path, digest = saved
    data = bytearray(path.read_bytes())
    for i in range(8, 40):             # inside the JSON header
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt or"):
        load_checkpoint(path, MLPGenerator)
    with pytest.raises(CheckpointError, match="sha256"):
        load_checkpoint(path, MLPGenerator, expected_sha256=digest)


def test_sha_mismatch_when_weights_change(saved):
    _, path, digest = saved
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01                   # one weight bit: still a readable file
    path.write_bytes(bytes(data))
    load_checkpoint(path, MLPGenerator)  # readable without a hash to check against...
    with pytest.raises(CheckpointError, match="corrupt or was replaced"):
        load_checkpoint(path, MLPGenerator, expected_sha256=digest)  # ...but not with one


def test_checkpoint_of_another_model_class(saved, tmp_path):
    _, path, _ = saved
    with pytest.raises(CheckpointError, match="holds a gan_helpers.models.mlp.MLPGenerator"):
        load_checkpoint(path, MLPDiscriminator)
    with pytest.raises(CheckpointError, match="not a gan_helpers.models.classifier.MNISTClassifier"):
        load_checkpoint(path, MNISTClassifier)


def test_shipped_weights_are_verified(tmp_path, monkeypatch):
    shipped = checkpoints.pretrained_dir()
    for name in ("mnist_classifier.safetensors", "vanilla_G.safetensors"):
        assert (shipped / name).stat().st_size < 10 * 2**20
        checkpoints.shipped_sha256(name)
    shutil.copy(shipped / "SHA256SUMS", tmp_path / "SHA256SUMS")
    data = bytearray((shipped / "vanilla_G.safetensors").read_bytes())
    data[-1] ^= 0x01
    (tmp_path / "vanilla_G.safetensors").write_bytes(bytes(data))
    monkeypatch.setattr(checkpoints, "pretrained_dir", lambda: tmp_path)
    with pytest.raises(CheckpointError, match="corrupt or was replaced"):
        checkpoints.load_pretrained("vanilla_G.safetensors", MLPGenerator)
    with pytest.raises(CheckpointError, match="No sha256 recorded"):
        checkpoints.load_pretrained("other.safetensors", MLPGenerator)


def _rewrite(path, tensors=None, **meta_changes):
    """Write a copy of ``path`` with changed metadata or tensors (as a tamperer would)."""
    from safetensors import safe_open
    from safetensors.torch import save_file
    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata())
        state = {k: f.get_tensor(k) for k in f.keys()}
    meta.update(meta_changes)
    meta = {k: v for k, v in meta.items() if v is not None}
    out = path.with_name("tampered.safetensors")
    save_file(tensors if tensors is not None else state, str(out), metadata=meta)
    return out, state


@pytest.mark.parametrize("change, message", [
    (dict(config='{"latent_dim": 8, "hidden": [16, 32], "colour": 1}'), r"unknown \['colour'\]"),
    (dict(config="{not json"), "not valid JSON"),
    (dict(extra=None), "lacks the metadata"),
    (dict(config='[1, 2]'), "not a mapping"),
    (dict(config='{"latent_dim": 8, "hidden": [4096, 4096, 4096]}'), "does not fit MLPGenerator: mismatched"),
])
def test_tampered_metadata_gives_a_checkpoint_error(saved, change, message):
    _, path, _ = saved
    bad, _ = _rewrite(path, **change)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(bad, MLPGenerator)


def test_nan_weights_are_refused_even_without_a_hash(saved):
    _, path, _ = saved
    _, state = _rewrite(path)
    state = dict(state)
    k = next(k for k, v in state.items() if v.is_floating_point())
    state[k] = state[k].clone()
    state[k].view(-1)[0] = float("nan")
    bad, _ = _rewrite(path, tensors=state)
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_checkpoint(bad, MLPGenerator)


def test_upper_case_sha256_sums_are_accepted(saved, tmp_path, monkeypatch):
    G, path, digest = saved
    assert load_checkpoint(path, MLPGenerator, expected_sha256=digest.upper()).config == G.config
    (tmp_path / "SHA256SUMS").write_text(f"{digest.upper()}  g.safetensors\n")
    monkeypatch.setattr(checkpoints, "pretrained_dir", lambda: tmp_path)
    assert checkpoints.shipped_sha256("g.safetensors") == digest
