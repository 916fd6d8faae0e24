"""How far translated photos are from the target domain (notebook 08; CycleGAN, Zhu et al. 2017).

Photo-FID: the Frechet distance (Heusel et al. 2017) between Gaussians fitted to the
penultimate features of the project's horse-vs-zebra classifier
(``models.classifier_photos``, trained by ``recipes.photo_classifier``), computed on the
held-out test photos: 120 horses (testA) and 140 zebras (testB). With so few photos the
numbers carry a sizeable small-sample bias, so each is printed beside two references
measured the same way:

* the identity baseline: the untranslated input against the target (a translator that
  does nothing scores this);
* the floor: 120 real *training* photos of the target domain (the first 120 in file order)
  against the test photos (a perfect translator can be expected to score about this).

The kernel inception distance (``kid_*``, Binkowski et al. 2018, :mod:`gan_helpers.metrics.kid`)
is reported beside each photo-FID, x 10^3 as usual, with a bootstrap standard error: it is
unbiased at these sample sizes, so it is the number to compare across sets of different sizes.
"""
from __future__ import annotations

import torch
from torch import nn

from ..checkpoints import load_pretrained
from ..data.horse2zebra import load_horse2zebra
from .kid import KID_SCALE, kid
from .mnist import frechet_distance
from ..models.classifier_photos import PhotoClassifier

CLASSIFIER_FILE = "horse2zebra_classifier.safetensors"


def load_photo_classifier(device: str | torch.device = "cpu") -> nn.Module:
    """The shipped horse-vs-zebra classifier (sha256-verified), in eval mode."""
    return load_pretrained(CLASSIFIER_FILE, PhotoClassifier, map_location=device)


def _check_photos(x, name: str) -> torch.Tensor:
    if not torch.is_tensor(x) or x.ndim != 4 or x.shape[1] != 3:
        shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ValueError(f"{name} must be RGB photos (N, 3, H, W) in [-1, 1], got {shape}")
    if len(x) < 2:
        raise ValueError(f"{name} needs at least 2 photos to fit a Gaussian, got {len(x)}")
    return x


@torch.no_grad()
def photo_features(clf: nn.Module, x: torch.Tensor, batch_size: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (N, F) and zebra probabilities (N,) of photos ``x`` (N, 3, H, W), on the CPU."""
    x = _check_photos(x, "photos")
    dev = next(clf.parameters()).device
    clf.eval()
    feats = torch.cat([clf.features(x[i:i + batch_size].to(dev)).cpu() for i in range(0, len(x), batch_size)])
    p_zebra = torch.softmax(clf.head(feats.to(dev)), 1)[:, 1].cpu()
    return feats, p_zebra


def photo_fid(x: torch.Tensor, y: torch.Tensor, clf: nn.Module | None = None) -> float:
    """Photo-FID between two sets of photos (N, 3, H, W) and (M, 3, H, W) in [-1, 1]."""
    clf = load_photo_classifier() if clf is None else clf
    return frechet_distance(photo_features(clf, _check_photos(x, "x"))[0], photo_features(clf, _check_photos(y, "y"))[0])


def photo_kid(x: torch.Tensor, y: torch.Tensor, clf: nn.Module | None = None, seed: int = 0) -> tuple[float, float]:
    """KID (raw units) and its bootstrap standard error between two sets of photos (N, 3, H, W) and
    (M, 3, H, W) in [-1, 1], in the horse-vs-zebra classifier's features."""
    clf = load_photo_classifier() if clf is None else clf
    return kid(_check_photos(x, "x"), _check_photos(y, "y"), clf, seed=seed)


@torch.no_grad()
def translate(G: nn.Module, x: torch.Tensor, batch_size: int = 50) -> torch.Tensor:
    """Run a generator over photos (N, 3, H, W) in batches: (N, 3, H, W) on x's device."""
    dev = next(G.parameters()).device
    return torch.cat([G(x[i:i + batch_size].to(dev)).to(x.device) for i in range(0, len(x), batch_size)])


@torch.no_grad()
def translation_report(model: nn.Module, size: int = 64, device: str | torch.device = "cpu",
                       clf: nn.Module | None = None, n_floor: int = 120) -> dict[str, float]:
    """Photo-FID both ways on the test photos, with the identity baseline and the floor.

    Keys: ``fid_AB`` (G_AB(test horses) vs test zebras), ``fid_BA`` (G_BA(test zebras) vs
    test horses), ``fid_identity`` (test horses vs test zebras, untranslated; the same both
    ways), ``floor_B`` / ``floor_A`` (120 training zebras / horses vs the test ones),
    ``zebra_share_AB`` / ``horse_share_BA`` (how many translations the classifier reads as
    the target), ``change_AB`` / ``change_BA`` (mean |G(x) - x|: how much of the photo changed)
    and ``cycle_A`` / ``cycle_B`` (mean |x - G(F(x))|), all in [-1, 1] units. The same
    comparisons in KID: ``kid_AB``, ``kid_BA``, ``kid_identity``, ``kid_floor_B``, ``kid_floor_A``
    (raw units, on the whole sets) and ``kid_AB_sd`` / ``kid_BA_sd`` (their bootstrap standard errors).
    """
    device = torch.device(device)
    clf = load_photo_classifier(device) if clf is None else clf
    model = model.to(device).eval()
    a, b = load_horse2zebra("testA", size, device=device), load_horse2zebra("testB", size, device=device)
    fake_B, fake_A = translate(model.G_AB, a), translate(model.G_BA, b)
    f = {name: photo_features(clf, x) for name, x in (("a", a), ("b", b), ("fake_B", fake_B), ("fake_A", fake_A))}
    floors, kid_floors = {}, {}
    for split, test, key in (("trainA", a, "a"), ("trainB", b, "b")):  # real training photos, as many as test horses
        train = load_horse2zebra(split, size, limit=n_floor, device=device)  # the first n_floor in file order
        floors[split] = frechet_distance(photo_features(clf, train)[0], f[key][0])
        kid_floors[split] = kid(train, test, clf)[0]
    kid_AB, kid_BA = kid(fake_B, b, clf), kid(fake_A, a, clf)
    return {
        "fid_AB": frechet_distance(f["fake_B"][0], f["b"][0]),
        "fid_BA": frechet_distance(f["fake_A"][0], f["a"][0]),
        "fid_identity": frechet_distance(f["a"][0], f["b"][0]),
        "floor_B": floors["trainB"], "floor_A": floors["trainA"],
        "zebra_share_AB": float((f["fake_B"][1] > 0.5).float().mean()),
        "horse_share_BA": float((f["fake_A"][1] < 0.5).float().mean()),
        "zebra_share_test_horses": float((f["a"][1] > 0.5).float().mean()),
        "change_AB": float((fake_B - a).abs().mean()), "change_BA": float((fake_A - b).abs().mean()),
        "cycle_A": float((translate(model.G_BA, fake_B) - a).abs().mean()),
        "cycle_B": float((translate(model.G_AB, fake_A) - b).abs().mean()),
        "kid_AB": kid_AB[0], "kid_AB_sd": kid_AB[1], "kid_BA": kid_BA[0], "kid_BA_sd": kid_BA[1],
        "kid_identity": kid(a, b, clf)[0], "kid_floor_B": kid_floors["trainB"], "kid_floor_A": kid_floors["trainA"],
    }


def format_translation_report(r: dict) -> str:
    """The report as a few readable lines (KID x 10^3)."""
    def k(v: float) -> str:
        return f"{v * KID_SCALE:,.0f}"
    return (f"horse -> zebra: photo-FID {r['fid_AB']:.1f} (untranslated horses {r['fid_identity']:.1f}, "
            f"real zebras {r['floor_B']:.1f}); read as zebra {r['zebra_share_AB']:.0%}\n"
            f"zebra -> horse: photo-FID {r['fid_BA']:.1f} (untranslated zebras {r['fid_identity']:.1f}, "
            f"real horses {r['floor_A']:.1f}); read as horse {r['horse_share_BA']:.0%}\n"
            f"changed |G(x) - x|: {r['change_AB']:.3f} / {r['change_BA']:.3f}; "
            f"cycle |x - F(G(x))|: {r['cycle_A']:.3f} / {r['cycle_B']:.3f}"
            + (f"\nKID x 10^3 (± bootstrap standard error): horse -> zebra {k(r['kid_AB'])} ± {k(r['kid_AB_sd'])} "
               f"(untranslated {k(r['kid_identity'])}, real zebras {k(r['kid_floor_B'])}); zebra -> horse "
               f"{k(r['kid_BA'])} ± {k(r['kid_BA_sd'])} (untranslated {k(r['kid_identity'])}, "
               f"real horses {k(r['kid_floor_A'])})" if "kid_AB" in r else ""))
