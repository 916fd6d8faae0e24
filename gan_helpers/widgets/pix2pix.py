"""The colouriser of notebook 07 (pix2pix, Isola et al. 2017): pick a test photo with a
slider, or upload one, and see its lightness L (what G is given), each model's colours
(e.g. "L1 + cGAN", "L1 only", "cGAN only", "no skips") and the real photo, side by side.

The picture is one small PNG put together with PIL, not a matplotlib figure: a redraw is a
64 px forward pass per model (a few ms) plus this PNG, so the slider keeps up with a drag.

Headless use (tests): ``Colouriser.show(index, model_name)`` and ``Colouriser.load_bytes(data)``
set ``state`` exactly as the slider, the model buttons and the upload button do.
"""
from __future__ import annotations

import io
import time

import numpy as np
import torch

from ..data.pairs import AB_SCALE, colour_pair, colour_to_rgb
from .cyclegan import photo_to_tensor
from .validate import count

ALL = "all"        # the model button that shows every model side by side
PANEL = 128        # px per panel: a 64 px photo drawn at twice its size (bicubic, like the translator)
CAPTION = 30       # px above each panel: two short lines of text
GAP = 4            # px between panels


class Colouriser:
    """Slider/upload -> L, G(L) per model, truth.

    ``models``: {"name": UNetGenerator} mapping L (N, 1, S, S) to ab (N, 2, S, S), all scaled
    as in ``data.pairs.colour_pair``; ``photos``: the test photos (N, 3, S, S) in [-1, 1], at
    the size the models were trained at. The models are put in eval mode (dropout off, batch
    norm's running statistics), as the recipe evaluates them.
    """

    def __init__(self, models: dict, photos: torch.Tensor):
        import ipywidgets as W

        if not isinstance(models, dict) or not models:
            raise ValueError("give at least one model, e.g. {'L1 + cGAN': G}")
        if not torch.is_tensor(photos) or photos.ndim != 4 or photos.shape[1] != 3 or len(photos) == 0 \
                or photos.shape[2] != photos.shape[3]:
            shape = tuple(photos.shape) if torch.is_tensor(photos) else type(photos).__name__
            raise ValueError(f"photos must be a non-empty batch of square RGB photos (N, 3, S, S), got {shape}")
        if photos.min() < -1.001 or photos.max() > 1.001:
            raise ValueError(f"photos must lie in [-1, 1], got values in [{float(photos.min()):.3g}, "
                             f"{float(photos.max()):.3g}] (photos in [0, 1]? use x * 2 - 1)")
        self.size = int(photos.shape[-1])
        for name, m in models.items():
            cfg = getattr(m, "config", {})
            if not isinstance(name, str) or name == ALL:
                raise ValueError(f"model names must be strings other than {ALL!r}, got {name!r}")
            if not isinstance(m, torch.nn.Module) or cfg.get("in_channels") != 1 or cfg.get("out_channels") != 2:
                raise ValueError(f"model {name!r} must be a colouriser, L (N, 1, S, S) -> ab (N, 2, S, S): "
                                 f"a UNetGenerator(in_channels=1, out_channels=2), got {type(m).__name__} {cfg}")
            if self.size % 2 ** cfg.get("n_down", 0):
                raise ValueError(f"model {name!r} needs photos whose size is a multiple of "
                                 f"{2 ** cfg['n_down']}, got {self.size} px")
        self.models = {k: m.eval() for k, m in models.items()}
        self.photos = photos.detach().cpu()
        self.L, self.ab = colour_pair(self.photos)  # (N, 1, S, S), (N, 2, S, S), once for all redraws
        options = list(self.models) + ([ALL] if len(self.models) > 1 else [])
        self.index = W.IntSlider(value=0, min=0, max=len(photos) - 1, description="test photo",
                                 continuous_update=True)  # fast enough to follow a drag
        self.model = W.ToggleButtons(options=options, value=options[-1], description="model")
        self.upload = W.FileUpload(accept="image/*", multiple=False, description="upload")
        self.image = W.Image(format="png", layout=W.Layout(width="auto", height="auto"))
        self.message = W.HTML()
        self.state: dict = {}
        self._source: tuple = ("test", 0)   # what a click on the model buttons redraws
        self._syncing = False               # True while show() moves the widgets itself
        self.index.observe(self._on_index, names="value")
        self.model.observe(self._on_model, names="value")
        self.upload.observe(self._on_upload, names="value")
        self.ui = W.VBox([W.HBox([self.index, self.upload]), self.model, self.message, self.image])
        self.show(0, options[-1])

    # --- the logic, driven by the widgets or directly -------------------------------------
    def show(self, index: int, model_name: str | None = None) -> dict:
        """Colourise test photo ``index`` with ``model_name`` (a model's name, or "all"; None:
        the buttons' choice)."""
        n = len(self.photos)
        if isinstance(index, np.integer):
            index = int(index)
        index = count("index", index, 0, n - 1)
        model_name = self._check_model(model_name)
        self._sync(index, model_name)
        self._source = ("test", index)
        return self._colourise(self.L[index:index + 1], self.ab[index:index + 1], self.photos[index:index + 1],
                               f"test photo {index}", model_name)

    def load_bytes(self, data: bytes, model_name: str | None = None) -> dict:
        """Colourise an uploaded image file: its centre square, resized to the models' size,
        reduced to its lightness. There is no truth to show: the upload's own colours are
        not what G was given."""
        model_name = self._check_model(model_name)
        L, _ = colour_pair(photo_to_tensor(data, self.size))  # (1, 1, S, S)
        self._sync(None, model_name)
        self._source = ("upload", L)
        return self._colourise(L, None, None, "upload", model_name)

    def _check_model(self, model_name: str | None) -> str:
        model_name = self.model.value if model_name is None else model_name
        if model_name not in self.model.options:
            raise ValueError(f"model_name must be one of {list(self.model.options)}, got {model_name!r}")
        return model_name

    @torch.no_grad()
    def _colourise(self, L: torch.Tensor, ab_true: torch.Tensor | None, truth: torch.Tensor | None,
                   source: str, model_name: str) -> dict:
        t0 = time.perf_counter()
        names = list(self.models) if model_name == ALL else [model_name]
        ab = {}
        for name in names:
            m = self.models[name]
            dev = next(m.parameters()).device
            ab[name] = m(L.to(dev)).cpu()  # (1, 2, S, S)
        grey = colour_to_rgb(L, torch.zeros(1, 2, *L.shape[2:]))  # the input as a photo: no colour at all
        self.state = {
            "source": source, "model": model_name, "input": L, "grey": grey, "ab": ab,
            "outputs": {name: colour_to_rgb(L, y) for name, y in ab.items()},   # (1, 3, S, S) each
            "truth": truth,
            "l1": {name: float((y - ab_true).abs().mean()) for name, y in ab.items()} if ab_true is not None else {},
            "chroma": {name: _chroma(y) for name, y in ab.items()},
        }
        if ab_true is not None:
            self.state["chroma"]["truth"] = _chroma(ab_true)
        self._render()
        self.state["ms"] = 1000 * (time.perf_counter() - t0)
        return self.state

    # --- the view ----------------------------------------------------------------------
    def _render(self) -> None:
        s = self.state
        panels = [(s["grey"], "input: L only", "what G sees")]
        for name, img in s["outputs"].items():
            numbers = f"chroma {s['chroma'][name]:.0f}"
            if name in s["l1"]:
                numbers = f"L1 = {s['l1'][name]:.3f}, " + numbers
            panels.append((img, name, numbers))
        if s["truth"] is not None:
            panels.append((s["truth"], "truth", f"chroma {s['chroma']['truth']:.0f}"))
        self.image.value = panels_png(panels)
        self.image.layout.width = f"{len(panels) * (PANEL + GAP) - GAP}px"  # its own size, not the cell's
        what = "the real photo on the right" if s["truth"] is not None else "no truth for an upload"
        self.message.value = (f"<b>{s['source']}</b>: L1 is the mean |ab - true ab| (scaled units), "
                              f"chroma the mean colourfulness sqrt(a&sup2; + b&sup2;); {what}")

    def _sync(self, index: int | None, model_name: str) -> None:
        """Move the widgets to what ``show``/``load_bytes`` draws, without their callbacks drawing it again."""
        self._syncing = True
        try:
            if index is not None:
                self.index.value = index
            self.model.value = model_name
        finally:
            self._syncing = False

    def _on_index(self, change) -> None:
        if not self._syncing:
            self.show(change["new"])

    def _on_model(self, change) -> None:
        if self._syncing:
            return
        kind, what = self._source
        if kind == "test":
            self.show(what, change["new"])
        else:
            self._colourise(what, None, None, "upload", change["new"])

    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        try:
            self.load_bytes(bytes(files[0]["content"]))
        except ValueError as err:
            self.message.value = f"<span style='color:red'>{err}</span>"

    def _ipython_display_(self):
        from IPython.display import display
        display(self.ui)


def _chroma(ab: torch.Tensor) -> float:
    """Mean sqrt(a^2 + b^2) in Lab units of scaled ab (N, 2, H, W): 0 for grey."""
    return float((ab * AB_SCALE).pow(2).sum(1).sqrt().mean())


def panels_png(panels: list[tuple[torch.Tensor, str, str]]) -> bytes:
    """[(image (1, 3, S, S) in [-1, 1], title, subtitle), ...] -> PNG bytes of the panels in a row,
    each PANEL px wide under its two caption lines."""
    from PIL import Image, ImageDraw, ImageFont

    width = len(panels) * (PANEL + GAP) - GAP
    canvas = Image.new("RGB", (width, CAPTION + PANEL), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=11)
    for i, (img, title, sub) in enumerate(panels):
        arr = ((img[0].permute(1, 2, 0).clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
        x = i * (PANEL + GAP)
        canvas.paste(Image.fromarray(arr).resize((PANEL, PANEL), Image.BICUBIC), (x, CAPTION))
        for j, text in enumerate((title, sub)):
            draw.text((x + 2, 2 + 13 * j), _fit(draw, text, font), fill=(0, 0, 0) if j == 0 else (90, 90, 90),
                      font=font)
    buf = io.BytesIO()
    canvas.save(buf, format="PNG")  # about 10 ms and 30 kB for six photo panels
    return buf.getvalue()


def _fit(draw, text: str, font) -> str:
    """``text`` shortened with an ellipsis until it fits one panel's width."""
    if draw.textlength(text, font=font) <= PANEL - 4:
        return text
    while text and draw.textlength(text + "...", font=font) > PANEL - 4:
        text = text[:-1]
    return text + "..."
