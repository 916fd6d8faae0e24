"""The command line (``python -m gan_helpers``): every recipe trains from it on a tiny config,
expected errors are one line and exit status 2, and nothing shipped is touched."""
import subprocess
import sys

import pytest

from gan_helpers.__main__ import main
from gan_helpers.checkpoints import pretrained_dir, read_metadata

TINY = {
    "vanilla": ["--steps", "2", "--batch-size", "8", "--latent-dim", "4", "--g-hidden", "8", "--d-hidden", "8",
                "--limit", "64", "--eval-n", "0", "--log-every", "0"],
    "dcgan": ["--steps", "2", "--fc-units", "16", "--batch-size", "8", "--latent-dim", "4", "--g-channels", "2", "--d-channels", "2",
              "--limit", "64", "--eval-n", "0", "--log-every", "0"],
    "cgan": ["--steps", "2", "--decay-from", "1", "--fc-units", "16", "--batch-size", "8", "--latent-dim", "4", "--g-channels", "2",
             "--d-channels", "2", "--limit", "64", "--eval-n", "0", "--log-every", "0"],
    "games": ["--steps", "2", "--cpu-minutes", "none", "--batch-size", "8", "--latent-dim", "4", "--g-hidden", "8",
              "--d-hidden", "8", "--limit", "64", "--eval-n", "0", "--log-every", "0", "--wasserstein", "true",
              "--gp-weight", "10", "--n-critic", "2", "--game", "WGAN-GP"],
    "classifier": ["--epochs", "1", "--channels", "2", "--feature-dim", "4", "--min-accuracy", "0"],
    "digits_classifier": ["--steps", "2", "--batch-size", "8", "--channels", "2", "--test-n", "20",
                          "--min-accuracy", "0"],
    "cyclegan": ["--steps", "2", "--batch-size", "2", "--g-channels", "2", "--n-blocks", "1", "--d-channels", "2",
                 "--eval-n", "4", "--log-every", "1"],
    "horse2zebra": ["--limit", "3", "--epochs", "1", "--snapshot-epochs", "", "--g-channels", "2", "--n-blocks", "1",
                    "--d-channels", "2", "--evaluate", "false"],
    "photo_classifier": ["--limit", "8", "--epochs", "1", "--channels", "2", "--feature-dim", "4",
                         "--batch-size", "4", "--min-accuracy", "0"],
}


def _shipped_bytes():
    return {p.name: p.read_bytes() for p in pretrained_dir().iterdir()}


@pytest.mark.parametrize("name", sorted(TINY))
def test_train_every_recipe_from_the_command_line(name, tmp_path, mnist_mirror, monkeypatch, capsys):
    monkeypatch.setenv("GAN_DATA_MIRROR", str(mnist_mirror))
    before = _shipped_bytes()
    out = tmp_path / f"{name}.safetensors"
    assert main(["train", name, *TINY[name], "--out", str(out)]) == 0
    meta = read_metadata(out)
    assert meta["extra"]["command"].startswith(f"python -m gan_helpers train {name} ")
    assert meta["extra"]["recipe"] == f"gan_helpers.recipes.{name}"
    assert _shipped_bytes() == before          # nothing shipped was rewritten
    assert f"wrote {out}" in capsys.readouterr().out


def test_train_without_out_writes_a_run_folder_and_not_the_shipped_file(tmp_path, mnist_mirror, monkeypatch, capsys):
    monkeypatch.setenv("GAN_DATA_MIRROR", str(mnist_mirror))
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))
    before = _shipped_bytes()
    assert main(["train", "vanilla", *TINY["vanilla"]]) == 0
    written = sorted((tmp_path / "runs").glob("vanilla-*/*.safetensors"))
    assert [p.name for p in written] == ["vanilla_G.safetensors", "vanilla_G_raw.safetensors"]
    assert _shipped_bytes() == before
    assert str(written[0].parent) in capsys.readouterr().out


def test_train_help_lists_the_recipe_fields(capsys):
    assert main(["train", "dcgan", "--help"]) == 0
    text = capsys.readouterr().out
    for flag in ("--steps", "--g-channels", "--ema-decay", "--out", "--ship"):
        assert flag in text


def test_train_rejects_a_bad_value_before_loading_data(capsys):
    assert main(["train", "dcgan", "--steps", "ten"]) == 2
    assert "expected int" in capsys.readouterr().err
    assert main(["train", "dcgan", "--steps", "0"]) == 2
    assert "steps and batch_size must be positive" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--n", "0", "--out", "{tmp}/a.pt"], "--n must be between 1"),
    (["--n", "1000000000", "--out", "{tmp}/a.pt"], "--n must be between 1"),
    (["--n", "4"], "needs --out"),
    (["--n", "4", "--out", "{tmp}"], "is a folder"),
    (["--n", "4", "--grid", "{tmp}/g.xyz"], "use one of"),
    (["--n", "4", "--out", "{tmp}/a.pt", "--device", "foo"], "--device foo"),
])
def test_sample_errors_are_one_line(args, message, tmp_path, capsys):
    before = _shipped_bytes()
    assert main(["sample", "vanilla", *[a.format(tmp=tmp_path) for a in args]]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert _shipped_bytes() == before and not (tmp_path / "a.pt").exists()


def test_sample_creates_a_missing_output_folder(tmp_path):
    out = tmp_path / "new" / "folder" / "s.pt"
    assert main(["sample", "dcgan", "--n", "3", "--out", str(out)]) == 0
    assert out.exists()


def test_data_with_a_mirror_that_does_not_exist_is_an_error(tmp_path, capsys):
    assert main(["data", "--mirror", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["data", "--mirror", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["data", "--mirror", ""]) == 2
    assert "empty path" in capsys.readouterr().err


def test_bench_rejects_an_unknown_figure():
    with pytest.raises(SystemExit):
        main(["bench", "nosuch"])


def test_every_submodule_imports_without_side_effects(tmp_path):
    code = (
        "import os, pkgutil, importlib, gan_helpers\n"
        "names = [m.name for m in pkgutil.walk_packages(gan_helpers.__path__, 'gan_helpers.')]\n"
        "for n in names: importlib.import_module(n)\n"
        "print(len(names)); print(sorted(os.listdir(os.environ['GAN_DATA_DIR'])))"
    )
    (tmp_path / "data").mkdir()
    env = {"GAN_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "MPLCONFIGDIR": str(tmp_path / "mpl")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    count, listing = out.stdout.strip().splitlines()
    assert int(count) >= 40            # every module of the package was imported
    assert listing == "[]"             # nothing downloaded or created in the data folder


@pytest.mark.parametrize("flag, value, message", [
    ("--lr-G", "-1", "lr_G must be in"), ("--beta1", "1.5", "beta1 must be in"),
    ("--ema-decay", "1", "ema_decay must be in"), ("--eval-every", "-2", "eval_every must be"),
])
def test_train_checks_the_schedule_before_loading_mnist(flag, value, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))          # an empty cache: loading would fail
    monkeypatch.delenv("GAN_DATA_MIRROR", raising=False)
    before = _shipped_bytes()
    assert main(["train", "vanilla", flag, value, "--ship"]) == 2
    err = capsys.readouterr().err
    assert message in err and "MNIST" not in err
    assert _shipped_bytes() == before           # a failed --ship run leaves the shipped files alone


def test_cgan_generate_refuses_fractional_or_out_of_range_labels():
    from gan_helpers.models.cgan import ConditionalGenerator
    from gan_helpers.recipes import cgan
    G = ConditionalGenerator(latent_dim=4, n_classes=10, base_channels=2)
    for labels, message in (([0.5, 1.7, 2.9, 9.99], "whole numbers"), ([-0.5, 3], "whole numbers"),
                            ([-1, 3], r"lie in \[0, 10\)"), ([1, 10], r"lie in \[0, 10\)")):
        with pytest.raises(ValueError, match=message):
            cgan.generate(G, len(labels), labels=labels)
    x, y = cgan.generate(G, 3, labels=[1.0, 2.0, 3.0])        # whole floats are fine
    assert y.tolist() == [1, 2, 3] and y.dtype.is_floating_point is False
