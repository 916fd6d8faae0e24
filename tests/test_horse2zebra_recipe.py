"""The horse2zebra CycleGAN recipe (Zhu et al. 2017; notebook 08): augmentation, training in
resumable chunks (bitwise the same as one run), the training-state file's checks, and the
photo classifier and photo-FID behind its metrics."""
import dataclasses

import pytest
import torch

from gan_helpers.train.cyclegan import load_state, make_optimizers, save_state
from gan_helpers.metrics.mnist import frechet_distance
from gan_helpers.models.classifier_photos import PhotoClassifier
from gan_helpers.models.cyclegan import CycleGAN
from gan_helpers.metrics.photo import photo_features, photo_fid
from gan_helpers.train.pool import ImagePool
from gan_helpers.recipes import horse2zebra as recipe

TINY = dict(limit=3, epochs=2, snapshot_epochs="1", g_channels=4, n_blocks=1, d_channels=4, log_every=1,
            threads=1, evaluate=False)


def test_random_crop_flip_shapes_and_error():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    out = recipe.random_crop_flip(x, 6, torch.Generator().manual_seed(0))
    assert out.shape == (2, 3, 6, 6)
    for crop, img in zip(out, x):  # each crop is a window of its own photo, maybe mirrored
        windows = [img[:, i:i + 6, j:j + 6] for i in range(3) for j in range(3)]
        assert any(torch.equal(crop, w) or torch.equal(crop, w.flip(-1)) for w in windows)
    with pytest.raises(ValueError, match="cannot crop 9 px"):
        recipe.random_crop_flip(x, 9, torch.Generator())


def test_config_checks():
    with pytest.raises(ValueError, match="snapshot_epochs"):
        recipe.snapshot_epochs(recipe.Config(epochs=4, snapshot_epochs="1,5"))
    with pytest.raises(ValueError, match="comma-separated"):
        recipe.snapshot_epochs(recipe.Config(snapshot_epochs="one"))
    with pytest.raises(ValueError, match="--resume needs to know which run"):
        recipe.train(recipe.Config(resume=True, threads=1))
    with pytest.raises(ValueError, match="load_size"):
        recipe.train(recipe.Config(size=64, load_size=60, threads=1))


def weights(path):
    from safetensors.torch import load_file
    return load_file(str(path))


def test_chunks_resume_to_the_same_weights_as_one_run(tmp_path, capsys):
    one = recipe.train(recipe.Config(**TINY, out=str(tmp_path / "one" / "m.safetensors"),
                                     state=str(tmp_path / "one" / "s.pt")))
    assert one.info["finished"] and one.path.exists()
    assert (tmp_path / "one" / "horse2zebra_G_AB_e01.safetensors").exists()  # the snapshot of epoch 1
    chunk = dict(TINY, out=str(tmp_path / "two" / "m.safetensors"), state=str(tmp_path / "two" / "s.pt"))
    first = recipe.train(recipe.Config(**chunk, minutes=1e-9))  # stops after one step
    assert first.info == {"finished": False, "step": 1, "state": chunk["state"]}
    assert "--resume to continue" in capsys.readouterr().out
    second = recipe.train(recipe.Config(**chunk, resume=True))
    a, b = weights(one.path), weights(second.path)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert "--resume" not in second.info["command"] and "--minutes" not in one.info["command"]


def test_state_refuses_another_architecture_and_foreign_files(tmp_path):
    def parts(k):
        m = CycleGAN(g_channels=k, n_blocks=1, d_channels=4, d_layers=1)
        opt_G, opt_D = make_optimizers(m)
        return m, opt_G, opt_D, [], (ImagePool(2), ImagePool(2)), torch.Generator()

    save_state(tmp_path / "s.pt", *parts(4)[:4], parts(4)[4], torch.Generator(), step=3)
    m, oG, oD, sch, pools, g = parts(4)
    assert load_state(tmp_path / "s.pt", m, oG, oD, sch, pools, g)[0] == 3
    with pytest.raises(ValueError, match="resume with the same sizes"):
        load_state(tmp_path / "s.pt", *parts(8))
    (tmp_path / "junk.pt").write_bytes(b"not a state")
    with pytest.raises(ValueError, match="not a readable training state"):
        load_state(tmp_path / "junk.pt", *parts(4))
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a CycleGAN training state"):
        load_state(tmp_path / "other.pt", *parts(4))
    with pytest.raises(FileNotFoundError, match="no training state"):
        load_state(tmp_path / "missing.pt", *parts(4))


def test_photo_classifier_shapes_and_errors():
    clf = PhotoClassifier(channels=4, feature_dim=6).eval()
    x = torch.rand(5, 3, 64, 64) * 2 - 1
    assert clf(x).shape == (5, 2) and clf.features(x).shape == (5, 6)
    feats, p = photo_features(clf, x, batch_size=2)
    assert feats.shape == (5, 6) and p.shape == (5,) and ((0 <= p) & (p <= 1)).all()
    with pytest.raises(ValueError, match="RGB photos"):
        clf(torch.rand(5, 1, 64, 64))
    with pytest.raises(ValueError, match="at least 2 photos"):
        photo_fid(x[:1], x, clf)


def test_photo_fid_is_zero_for_the_same_set_and_grows_with_a_shift():
    torch.manual_seed(0)
    clf = PhotoClassifier(channels=4, feature_dim=4).eval()
    x = torch.rand(40, 3, 32, 32) * 2 - 1
    assert photo_fid(x, x, clf) == pytest.approx(0, abs=1e-6)
    darker = (x - 0.8).clamp(-1, 1)
    assert photo_fid(x, darker, clf) > 10 * photo_fid(x, x[torch.randperm(40)], clf) + 1e-9
    f = photo_features(clf, x)[0]
    assert photo_fid(x, darker, clf) == pytest.approx(frechet_distance(f, photo_features(clf, darker)[0]))


def test_recipe_is_on_the_command_line_table():
    from gan_helpers.recipes import GENERATORS, RECIPES
    assert RECIPES["horse2zebra"] is recipe and GENERATORS["horse2zebra"] is recipe
    assert "photo_classifier" in RECIPES
    assert {f.name for f in dataclasses.fields(recipe.Config)} >= {"seed", "device", "threads", "out", "ship"}
