"""The plumbing of notebook 01's panels (:mod:`gan_helpers.widgets.bce`,
:mod:`gan_helpers.widgets.optimal_d`): sliders above one off-screen Matplotlib figure that is
redrawn fast enough to follow them.

Speed (issues 12 and 26: slider step to redrawn picture under 300 ms on 2 CPU cores): each
panel keeps one off-screen figure whose artists are made once and then only get new data;
the layout is computed once and then frozen; the picture is one PNG of about 900 x 280
pixels rendered by Agg and pushed to the cell's output by display id (no pyplot, no tight
bbox, no second draw).
"""
from __future__ import annotations

import io

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

STYLE = {"description_width": "150px"}


def slider_layout() -> W.Layout:
    """A fresh layout per slider: a shared Layout model would tie the sliders' sizes together."""
    return W.Layout(width="460px")


def agg_png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's current pixels as PNG bytes, fast: no redraw, lightest zlib level (the
    bytes stay in the kernel and the browser; the size matters less than the time)."""
    from PIL import Image

    buf = io.BytesIO()
    w, h = canvas.get_width_height()
    Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
        buf, format="PNG", compress_level=1)
    return buf.getvalue()


class Blitter:
    """Fast pictures of one off-screen figure whose ``dynamic`` artists change and the rest not.

    The first :meth:`png` draws everything once (running the layout engine, if any, then
    freezing it); from then on the static part (axes, ticks, labels: most of the text, which is
    most of the drawing time) is kept as a cached background, and each picture is that
    background plus the dynamic artists. The background is redrawn only when ``key`` (e.g.
    the axis limits) differs from the previous call's.
    """

    def __init__(self, fig: Figure, dynamic: list):
        if not isinstance(fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(fig)
        self.fig, self.dynamic = fig, list(dynamic)
        self._frozen = False
        self._background = self._key = None
        self.background_draws = 0  # how often the static part was redrawn (tests read it)

    def png(self, key=None) -> bytes:
        fig, canvas = self.fig, self.fig.canvas
        if not self._frozen:
            # One full draw lays the figure out with every artist in place; keep those axes
            # positions from now on, and leave the changing artists out of the background.
            canvas.draw()
            fig.set_layout_engine("none")
            for a in self.dynamic:
                a.set_animated(True)
            self._frozen = True
        if self._background is None or key != self._key:
            canvas.draw()  # not saving: animated artists are left out
            self._background, self._key = canvas.copy_from_bbox(fig.bbox), key
            self.background_draws += 1
        else:
            canvas.restore_region(self._background)
        for a in self.dynamic:
            fig.draw_artist(a)
        return agg_png(canvas)


class FigurePanel:
    """Shared plumbing: sliders in ``ui``, one off-screen figure (``fig``) drawn by ``refresh()``.

    The figure exists from the start (``figure=False``: none at all, for quick state-only use);
    displaying the panel (as a cell's last line) shows the sliders and, below them, the figure
    as a plain PNG image that every slider change replaces by display id. The image stays in
    the saved notebook, so the notebook reads well before it is run (and on GitHub).

    Rendering is blitted (:class:`Blitter`): the static part is drawn once into a cached
    background, and each picture is that background plus the panel's ``_art.dynamic``
    artists; the background is redrawn only when ``_art.background_key()`` changes (e.g. new
    axis limits).

    A subclass sets ``ui``, ``_art`` (an object with ``dynamic`` and ``background_key()``) and
    ``refresh()``, and calls :meth:`_init_figure` before making its artists.
    """
    _ncols, _figsize, _dpi = 2, (11, 3.4), 80

    def _init_figure(self, figure: bool) -> None:
        self._handle = None
        self._blit: Blitter | None = None  # made at the first png(), once the artists exist
        if figure:
            self._fig = Figure(figsize=self._figsize, dpi=self._dpi, layout="constrained")
            FigureCanvasAgg(self._fig)
            self._axes = list(self._fig.subplots(1, self._ncols))
        else:
            self._fig, self._axes = None, []

    @property
    def fig(self) -> Figure | None:
        return self._fig

    @property
    def background_draws(self) -> int:
        return self._blit.background_draws if self._blit else 0

    def png(self) -> bytes:
        """PNG bytes of the figure as it is now."""
        if self._fig is None:
            raise ValueError("this panel was made with figure=False: it has no picture")
        if self._blit is None:
            self._blit = Blitter(self._fig, self._art.dynamic)
        return self._blit.png(self._art.background_key())

    def _ipython_display_(self) -> None:
        """Display the sliders, then the figure below them as an image updated in place."""
        from IPython.display import Image, display

        display(self.ui)
        if self._fig is not None:
            self._handle = display(Image(data=self.png()), display_id=True)

    def _on_change(self, _change) -> None:
        self.refresh()

    def _redraw(self) -> None:
        """After the artists got new data: replace the shown image (if the panel is shown)."""
        if self._handle is not None:
            from IPython.display import Image

            self._handle.update(Image(data=self.png()))
