"""The common look of every NMF Studio figure: the colour palette and font,
:func:`styled`, the loss curve of one fit, and pictures as PNG ``data:`` URIs."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from nnmf_core.images import png_bytes

#: Okabe & Ito's eight colours (told apart with every common colour-vision deficiency), then wine and teal
#: from Paul Tol's muted scheme: one colour each for up to 10 clusters, the most the rank scan suggests.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#882255",
           "#44AA99"]
FONT = dict(family="Source Sans Pro, sans-serif", size=13)
#: Up to this many markers in one figure are SVG (``go.Scatter``), more are WebGL (``go.Scattergl``). A WebGL
#: context costs more to start than a couple of thousand SVG markers take to draw (1,000 markers in headless
#: Chromium without a GPU: 200–320 ms as WebGL, 60–130 ms as SVG), and a browser keeps only so many contexts alive.
SVG_MAX_MARKERS = 2_000


def marker_trace(n_markers: int):
    """The trace type for ``n_markers`` markers: ``go.Scatter`` up to :data:`SVG_MAX_MARKERS`, else ``go.Scattergl``."""
    return go.Scatter if n_markers <= SVG_MAX_MARKERS else go.Scattergl


def cluster_colour(index: int) -> str:
    """The palette colour of cluster/component ``index`` (cycles after 10)."""
    return PALETTE[index % len(PALETTE)]


def styled(fig: go.Figure, title: str | None = None, height: int | None = None) -> go.Figure:
    """Apply the app's common look: white background, compact margins, title."""
    fig.update_layout(
        template="plotly_white",
        font=FONT,
        margin=dict(l=50, r=20, t=50 if title else 20, b=45),
        title=dict(text=title, x=0.0, xanchor="left") if title else None,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1.0),
    )
    if height is not None:
        fig.update_layout(height=height)
    return fig


def loss_curve(
    loss_history: Sequence[float],
    *,
    log_y: bool = False,
    title: str = "Loss over iterations",
    y_label: str = "loss ‖V − WH‖²",
    max_iter: int | None = None,
) -> go.Figure:
    """Loss per iteration, the reference notebook's convergence plot.

    Parameters
    ----------
    loss_history : sequence of float, length n_iter
        Loss after iterations 1 … n_iter.
    log_y : bool
        Logarithmic loss axis (shows the slow tail of convergence).
    max_iter : int, optional
        Fix the x axis to 1 … max_iter, so a curve drawn live does not rescale
        with every new point.
    """
    losses = np.asarray(loss_history, dtype=np.float64)
    iterations = np.arange(1, losses.size + 1)
    fig = go.Figure(
        go.Scatter(x=iterations, y=losses, mode="lines", line=dict(color=PALETTE[0], width=3), name="loss",
                   hovertemplate="iteration %{x}<br>loss %{y:.4g}<extra></extra>")
    )
    styled(fig, title, height=320)
    fig.update_xaxes(title_text="iteration", range=[1, max_iter] if max_iter else None)
    fig.update_yaxes(title_text=y_label, type="log" if log_y else "linear")
    return fig


def png_data_uri(pixels: np.ndarray) -> str:
    """A uint8 picture ((n, m) gray or (n, m, 3) RGB) as a PNG ``data:`` URI —
    what ``px.imshow(..., binary_string=True)`` puts in a go.Image, lossless,
    but encoded with Pillow's fastest PNG level (about 25 ms less per picture)
    by :func:`~nnmf_core.images.png_bytes`."""
    png = png_bytes(np.ascontiguousarray(pixels, dtype=np.uint8), compress_level=1)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
