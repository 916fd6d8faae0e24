"""The CycleGAN translator of notebook 08 (Zhu et al. 2017): pick an image from domain A
(MNIST, or horses) or B (printed digits, or zebras) with a slider, or upload a drawing or
photo, and see the translation and the round trip back, side by side, for one or more
models (e.g. with and without the cycle loss, on the same image).

``Translator(..., photos=True)`` is the horse2zebra version: images of any square size,
both domains photos, an upload cropped to its centre square and resized to that size.

Headless use (tests): ``Translator.translate(domain, index)`` and ``Translator.load_bytes(data)``
set ``state`` exactly as the slider and the upload button do.
"""
from __future__ import annotations

import io

import numpy as np
import torch

from ..data.digits import mnist_to_rgb32, rgb32_to_mnist
from ..plotting import figure_png

DOMAINS = ("A", "B")


def drawing_to_domain_A(data: bytes) -> torch.Tensor:
    """An uploaded image -> (1, 3, 32, 32) in MNIST style: grey, white ink on black, the ink
    fitted into 20x20 and centred in 28x28, then padded to 32 like ``mnist_to_rgb32``."""
    from PIL import Image

    im = _open(data).convert("L")
    arr = np.asarray(im, dtype=np.float32) / 255.0
    if arr.mean() > 0.5:  # dark ink on light paper: flip to MNIST's white on black
        arr = 1.0 - arr
    ink = np.argwhere(arr > 0.2)
    if len(ink) == 0:
        raise ValueError("the uploaded image has no visible ink (it is one flat colour)")
    (r0, c0), (r1, c1) = ink.min(0), ink.max(0) + 1
    crop = Image.fromarray((arr[r0:r1, c0:c1] * 255).astype(np.uint8))
    scale = 20.0 / max(crop.width, crop.height)
    crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.LANCZOS)
    canvas = Image.new("L", (28, 28), 0)
    canvas.paste(crop, ((28 - crop.width) // 2, (28 - crop.height) // 2))
    x = torch.from_numpy(np.asarray(canvas, dtype=np.float32) / 127.5 - 1.0).view(1, 1, 28, 28)
    return mnist_to_rgb32(x)


def photo_to_tensor(data: bytes, size: int) -> torch.Tensor:
    """An uploaded image -> (1, 3, size, size) in [-1, 1]: the centre square, resized to the model's size."""
    from PIL import Image

    im = _open(data).convert("RGB")
    side = min(im.width, im.height)  # crop the centre square: a wide photo is not squashed
    left, top = (im.width - side) // 2, (im.height - side) // 2
    im = im.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
    return torch.from_numpy(np.asarray(im, dtype=np.float32) / 127.5 - 1.0).permute(2, 0, 1).unsqueeze(0)


def photo_to_domain_B(data: bytes) -> torch.Tensor:
    """An uploaded image -> (1, 3, 32, 32) in [-1, 1], simply resized like a house-number crop."""
    return photo_to_tensor(data, 32)


MAX_UPLOAD_PIXELS = 40_000_000  # a 6000x6000 photo; larger is refused before decoding


def _open(data: bytes):
    from PIL import Image, UnidentifiedImageError

    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
        raise ValueError("expected the bytes of an image file (PNG, JPEG, ...), got nothing")
    try:
        im = Image.open(io.BytesIO(bytes(data)))   # reads the header only
        if im.width * im.height > MAX_UPLOAD_PIXELS:
            raise ValueError(f"the upload is {im.width}x{im.height} pixels; shrink it below "
                             f"{MAX_UPLOAD_PIXELS // 1_000_000} megapixels (the model sees 32x32 anyway)")
        im.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as err:
        raise ValueError(f"could not read the upload as an image: {err}") from err
    return im


class Translator:
    """Slider/upload -> input, G(input), F(G(input)) per model; classifiers (optional) name the digits.

    ``models``: {"name": CycleGAN}; ``images_A``/``images_B``: (N, 3, 32, 32) in [-1, 1]
    (with ``photos=True``: (N, 3, S, S), the size the models were trained at);
    ``clf_A`` reads (N, 1, 28, 28) MNIST digits, ``clf_B`` reads (N, 3, 32, 32) printed ones
    (digits only). ``names``: what the domain buttons say.
    """

    def __init__(self, models: dict, images_A: torch.Tensor, images_B: torch.Tensor,
                 labels_A: torch.Tensor | None = None, labels_B: torch.Tensor | None = None,
                 clf_A: torch.nn.Module | None = None, clf_B: torch.nn.Module | None = None,
                 photos: bool = False, names: tuple[str, str] | None = None):
        import ipywidgets as W

        if not models:
            raise ValueError("give at least one model, e.g. {'CycleGAN': model}")
        self.photos = photos
        want = "(N, 3, S, S)" if photos else "(N, 3, 32, 32)"
        for name, x in (("images_A", images_A), ("images_B", images_B)):
            if not torch.is_tensor(x) or x.ndim != 4 or x.shape[1] != 3 or len(x) == 0 or x.shape[2] != x.shape[3] \
                    or (not photos and tuple(x.shape[2:]) != (32, 32)):
                shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
                raise ValueError(f"{name} must be a non-empty batch {want}, got {shape}")
        if images_A.shape[2:] != images_B.shape[2:]:
            raise ValueError(f"images_A and images_B must have the same size, got {tuple(images_A.shape[2:])} "
                             f"and {tuple(images_B.shape[2:])}")
        self.size = int(images_A.shape[-1])
        names = names or (("horses", "zebras") if photos else ("MNIST", "printed"))
        self.models = {k: m.eval() for k, m in models.items()}
        self.device = next(iter(self.models.values())).G_AB.net[1].weight.device
        self.images = {"A": images_A, "B": images_B}
        self.labels = {"A": labels_A, "B": labels_B}
        self.clf = {"A": clf_A.eval() if clf_A is not None else None, "B": clf_B.eval() if clf_B is not None else None}
        self.domain = W.ToggleButtons(options=[(f"A: {names[0]}", "A"), (f"B: {names[1]}", "B")], value="A",
                                      description="domain")
        self.index = W.IntSlider(value=0, min=0, max=len(images_A) - 1, description="image", continuous_update=False)
        self.upload = W.FileUpload(accept="image/*", multiple=False, description="upload")
        # shown at its own pixel size (480 px wide), not stretched to the cell width
        self.image = W.Image(format="png", layout=W.Layout(width="480px", height="auto"))
        self.message = W.HTML()
        self.state: dict = {}
        self.domain.observe(self._on_domain, names="value")
        self.index.observe(lambda ch: self.translate(self.domain.value, ch["new"]), names="value")
        self.upload.observe(self._on_upload, names="value")
        self.ui = W.VBox([W.HBox([self.domain, self.index, self.upload]), self.message, self.image])
        self.translate("A", 0)

    # --- the logic, driven by the widgets or directly -------------------------------------
    def translate(self, domain: str, index: int) -> dict:
        """Translate image ``index`` of ``domain`` ("A" or "B")."""
        if domain not in DOMAINS:
            raise ValueError(f"domain must be 'A' or 'B', got {domain!r}")
        n = len(self.images[domain])
        if not isinstance(index, (int, np.integer)) or not 0 <= index < n:
            raise ValueError(f"index must be an int in [0, {n - 1}] for domain {domain}, got {index!r}")
        label = self.labels[domain]
        return self._translate(domain, self.images[domain][index:index + 1],
                               f"{domain}[{index}]", None if label is None else int(label[index]))

    def load_bytes(self, data: bytes, domain: str | None = None) -> dict:
        """Translate an uploaded image file, read as domain ``domain`` (default: the toggle's)."""
        domain = domain or self.domain.value
        if domain not in DOMAINS:
            raise ValueError(f"domain must be 'A' or 'B', got {domain!r}")
        if self.photos:
            x = photo_to_tensor(data, self.size)
        else:
            x = drawing_to_domain_A(data) if domain == "A" else photo_to_domain_B(data)
        return self._translate(domain, x, "upload", None)

    @torch.no_grad()
    def _translate(self, domain: str, x: torch.Tensor, source: str, label: int | None) -> dict:
        x = x.to(self.device)
        other = "B" if domain == "A" else "A"
        rows = {}
        for name, m in self.models.items():
            forward, backward = (m.G_AB, m.G_BA) if domain == "A" else (m.G_BA, m.G_AB)
            y = forward(x)
            rows[name] = {"translated": y.cpu(), "reconstructed": backward(y).cpu(),
                          "pred": self._predict(other, y), "cycle_error": float((backward(y) - x).abs().mean())}
        self.state = {"domain": domain, "source": source, "label": label, "input": x.cpu(),
                      "pred_input": self._predict(domain, x), "rows": rows}
        self._render()
        return self.state

    def _predict(self, domain: str, x: torch.Tensor) -> int | None:
        clf = self.clf[domain]
        if clf is None:
            return None
        return int(clf(rgb32_to_mnist(x) if domain == "A" else x).argmax(1))

    # --- the view ----------------------------------------------------------------------
    def _render(self) -> None:
        import matplotlib.pyplot as plt

        s, names = self.state, list(self.state["rows"])
        other = "B" if s["domain"] == "A" else "A"
        fig, axes = plt.subplots(len(names), 3, figsize=(6, 2.1 * len(names)), squeeze=False)
        interp = "bicubic" if self.photos else None  # small photos read better smoothed
        for r, name in enumerate(names):
            row = s["rows"][name]
            panels = [(s["input"], f"input ({s['domain']})" + _said(s["pred_input"])),
                      (row["translated"], f"to {other}" + _said(row["pred"])),
                      (row["reconstructed"], f"back to {s['domain']}, err {row['cycle_error']:.2f}")]
            for ax, (img, title) in zip(axes[r], panels):
                ax.imshow(((img[0].permute(1, 2, 0) + 1) / 2).clamp(0, 1).numpy(), interpolation=interp)
                ax.set_title(title, fontsize=8)
                ax.set_xticks([]), ax.set_yticks([])
            axes[r][0].set_ylabel(name, fontsize=9)
        fig.tight_layout()
        self.image.value = figure_png(fig)
        label = "" if s["label"] is None else f", true digit {s['label']}"
        self.message.value = f"<b>{s['source']}</b>{label}"

    def _on_domain(self, change) -> None:
        n = len(self.images[change["new"]])
        self.index.value = min(self.index.value, n - 1)
        self.index.max = n - 1
        self.translate(change["new"], self.index.value)

    def _ipython_display_(self):
        from IPython.display import display
        display(self.ui)

    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        try:
            self.load_bytes(bytes(files[0]["content"]))
        except ValueError as err:
            self.message.value = f"<span style='color:red'>{err}</span>"


def _said(pred: int | None) -> str:
    return "" if pred is None else f", reads {pred}"
