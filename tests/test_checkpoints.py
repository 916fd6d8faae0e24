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
