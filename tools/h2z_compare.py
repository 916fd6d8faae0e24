"""Compare horse2zebra CycleGAN checkpoints (Zhu et al. 2017) with notebook 08's protocol
(issue 34): for each checkpoint one markdown row of horse -> zebra photo-FID, KID x 10^3 with its
bootstrap standard error (Binkowski et al. 2018) and the share of translated test horses the
shipped photo classifier reads as zebras, and the same for zebra -> horse; plus a gallery of the
8 test horses notebook 08 shows (test indices 0, 7, ..., 49) before and after, one row per checkpoint.

    python tools/h2z_compare.py data/pretrained/horse2zebra_cyclegan.safetensors \\
        data/runs/h2z_e100/horse2zebra_G_AB_e20.safetensors --labels "shipped,e100 at 20" \\
        --gallery docs/measured/h2z_before_after.png --threads 1

A full CycleGAN checkpoint is scored by ``metrics.photo.translation_report``, the call notebook 08
makes (64 px test photos, the shipped classifier), so the shipped file reproduces its printed
numbers. A file that holds only G_AB (the recipe's epoch snapshots) gets the horse -> zebra
columns only, computed from the same features and the same KID call (seed 0).
"""
from __future__ import annotations

import argparse
import io
import shlex
import sys
import time
from pathlib import Path

import torch

from gan_helpers.checkpoints import load_checkpoint, pretrained_dir, read_metadata, shipped_sha256
from gan_helpers.data.horse2zebra import load_horse2zebra
from gan_helpers.metrics.kid import KID_SCALE, kid
from gan_helpers.metrics.mnist import frechet_distance
from gan_helpers.metrics.photo import load_photo_classifier, photo_features, translate, translation_report
from gan_helpers.models.cyclegan import CycleGAN, ResnetGenerator

GALLERY = [0, 7, 14, 21, 28, 35, 42, 49]  # notebook 08's gallery of test horses
SIZE = 64                                  # the recipe's evaluation resolution
CLASSES = {"gan_helpers.models.cyclegan.CycleGAN": CycleGAN,
           "gan_helpers.models.cyclegan.ResnetGenerator": ResnetGenerator}
COLUMNS = ("checkpoint", "epochs", "steps", "h→z photo-FID", "h→z KID ×10³ ± s.e.", "read as zebra",
           "z→h photo-FID", "z→h KID ×10³ ± s.e.", "read as horse")
MISSING = "—"  # a cell a G_AB-only file cannot fill


def load_translator(path: str | Path) -> torch.nn.Module:
    """A CycleGAN or a lone G_AB (``ResnetGenerator``) from ``path``, in eval mode, with its metadata
    extra as ``.checkpoint_extra``; a file in data/pretrained is checked against its recorded sha256."""
    path = Path(path)
    arch = read_metadata(path)["arch"]
    if arch not in CLASSES:
        raise ValueError(f"{path} holds a {arch}; expected a horse2zebra CycleGAN or its G_AB "
                         f"({', '.join(CLASSES)})")
    shipped = path.resolve().parent == pretrained_dir().resolve()
    return load_checkpoint(path, CLASSES[arch], shipped_sha256(path.name) if shipped else None)


def generator_AB(model: torch.nn.Module) -> torch.nn.Module:
    """The horse -> zebra generator of a CycleGAN, or the model itself when it is a lone G_AB."""
    return model.G_AB if isinstance(model, CycleGAN) else model


@torch.no_grad()
def horse_to_zebra_scores(G_AB: torch.nn.Module, horses: torch.Tensor, zebras: torch.Tensor,
                          clf: torch.nn.Module) -> dict[str, float]:
    """``translation_report``'s horse -> zebra entries (``fid_AB``, ``kid_AB``, ``kid_AB_sd``,
    ``zebra_share_AB``) for a lone G_AB: the same features, threshold and KID call."""
    fake_B = translate(G_AB.eval(), horses)
    feats_fake, p_zebra = photo_features(clf, fake_B)
    kid_AB, kid_AB_sd = kid(fake_B, zebras, clf)
    return {"fid_AB": frechet_distance(feats_fake, photo_features(clf, zebras)[0]),
            "kid_AB": kid_AB, "kid_AB_sd": kid_AB_sd, "zebra_share_AB": float((p_zebra > 0.5).float().mean())}


def scores(model: torch.nn.Module, clf: torch.nn.Module, size: int = SIZE,
           device: str | torch.device = "cpu") -> dict[str, float]:
    """Notebook 08's translation report for a CycleGAN; the horse -> zebra part only for a lone G_AB."""
    if isinstance(model, CycleGAN):
        return translation_report(model, size=size, device=device, clf=clf)
    horses = load_horse2zebra("testA", size, device=device)
    zebras = load_horse2zebra("testB", size, device=device)
    return horse_to_zebra_scores(model.to(device), horses, zebras, clf)


def epochs_and_steps(extra: dict) -> tuple[str, str]:
    """Epochs and updates from a checkpoint's record: ``epochs``/``steps`` in a finished run's,
    ``epoch``/``step`` in an epoch snapshot's; a dash when neither is there."""
    epochs, steps = extra.get("epochs", extra.get("epoch")), extra.get("steps", extra.get("step"))
    return (MISSING if epochs is None else str(epochs)), (MISSING if steps is None else f"{steps:,}")


def table_header() -> str:
    return "| " + " | ".join(COLUMNS) + " |\n" + "|---" * len(COLUMNS) + "|"


def table_row(label: str, extra: dict, r: dict) -> str:
    """One markdown row from a label, a checkpoint record and ``scores``' dict (KID printed x 10^3)."""
    def direction(fid: str, kid_key: str, share: str) -> list[str]:
        if fid not in r:
            return [MISSING] * 3
        return [f"{r[fid]:.1f}", f"{r[kid_key] * KID_SCALE:,.0f} ± {r[kid_key + '_sd'] * KID_SCALE:,.0f}",
                f"{r[share]:.0%}"]
    if "fid_AB" not in r:
        raise ValueError(f"scores for {label!r} lack the horse -> zebra entries; got keys {sorted(r)}")
    cells = [label, *epochs_and_steps(extra), *direction("fid_AB", "kid_AB", "zebra_share_AB"),
             *direction("fid_BA", "kid_BA", "horse_share_BA")]
    return "| " + " | ".join(cells) + " |"


@torch.no_grad()
def gallery(horses: torch.Tensor, translations: list[tuple[str, torch.Tensor]], path: str | Path,
            dpi: int = 80) -> Path:
    """Save a PNG: the input horses (N, 3, H, W) in one row, below them each labelled row of
    translations (N, 3, H, W), all in [-1, 1]."""
    from matplotlib.figure import Figure  # not pyplot: no backend, no window, no global figure list
    from PIL import Image

    from gan_helpers.plotting import show_images

    for label, x in translations:
        if x.shape != horses.shape:
            raise ValueError(f"translations {label!r} have shape {tuple(x.shape)}, the horses {tuple(horses.shape)}")
    rows = [("test horses (input)", horses)] + [(f"{label}: G_AB (to zebra)", x) for label, x in translations]
    fig = Figure(figsize=(7.2, 1.12 * len(rows)))
    axes = fig.subplots(len(rows), 1, squeeze=False)
    for ax, (title, x) in zip(axes[:, 0], rows):
        show_images(x.cpu(), nrow=len(x), ax=ax, title=title)
        ax.title.set_fontsize(9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.05)
    # The PNG goes into the repo: a 256-colour palette keeps it about 3x smaller (~20 KB a row
    # of 8 photos) with no visible change at 64 px.
    Image.open(buf).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def parse_labels(labels: str | None, paths: list[str]) -> list[str]:
    if labels is None:
        return [Path(p).stem for p in paths]
    out = [s.strip() for s in labels.split(",")]
    if len(out) != len(paths):
        raise ValueError(f"--labels gives {len(out)} labels for {len(paths)} checkpoints: {labels!r}")
    return out


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoints", nargs="+", help="CycleGAN checkpoints, or G_AB-only snapshots")
    p.add_argument("--labels", help="comma-separated labels, one per checkpoint (default: file names)")
    p.add_argument("--gallery", help="write the before/after gallery PNG here")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    try:
        labels = parse_labels(args.labels, args.checkpoints)
    except ValueError as err:
        p.error(str(err))
    if args.threads < 1:
        p.error(f"--threads must be >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    print("command: python tools/h2z_compare.py " + shlex.join(argv), flush=True)
    t0 = time.perf_counter()
    clf = load_photo_classifier(args.device)
    horses = load_horse2zebra("testA", SIZE, device=args.device)[GALLERY]  # (8, 3, 64, 64)
    print("\n" + table_header(), flush=True)
    translations = []
    for label, path in zip(labels, args.checkpoints):
        model = load_translator(path).to(args.device)
        print(table_row(label, model.checkpoint_extra, scores(model, clf, SIZE, args.device)), flush=True)
        translations.append((label, translate(generator_AB(model), horses)))
    if args.gallery:
        print(f"\ngallery: {gallery(horses, translations, args.gallery)}")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
