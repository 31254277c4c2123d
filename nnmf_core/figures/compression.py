"""Figures of the Compression page (``app_pages/compression.py``): pictures side
by side, the error map and its colour bar, the factors around their product,
the rank sweep, storage and quality against rank, and the gallery of parts.

Pictures are lossless PNG data in ``go.Image`` traces, as
``px.imshow(..., binary_string=True)`` makes them, never re-encoded as JPEG
(the page shows its main pictures with ``st.image`` instead, to keep the chart
data small); heatmaps are used only for the factors W and H.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, sample_colorscale
from plotly.subplots import make_subplots

from nnmf_core.figures.common import PALETTE, cluster_colour, png_data_uri, styled

#: Line colours of per-channel fits (Okabe–Ito vermillion, bluish green, blue).
CHANNEL_COLOURS = {"red": "#D55E00", "green": "#009E73", "blue": "#0072B2"}
#: Most heatmap rows or columns sent to the browser; larger factors are strided
#: (a panel is about 700 px wide, so more columns than this would not show).
MAX_HEATMAP_SIDE = 800
#: The error map's fixed scale: errors of this many pixel levels (of 255) or
#: more take the brightest colour, so maps of two fits compare directly.
ERROR_TOP_LEVELS = 64
#: Colour scale of the error map and its colour bar: Inferno (perceptually
#: uniform, dark = no error), as rgb() stops (plotly.js misreads its first hex stop).
ERROR_COLOURSCALE = [[float(position), colour] for position, colour in zip(
    np.linspace(0.0, 1.0, 9), sample_colorscale(get_colorscale("Inferno"), np.linspace(0.0, 1.0, 9)))]
#: Colour scale of the W and H heatmaps.
FACTOR_COLOURSCALE = "Viridis"
#: Room above the highest title, in px, so that Plotly's mode bar (drawn on
#: hover at the top right) never covers a title.
MODE_BAR_ROOM = 34
_ERROR_COLOURS = np.array(
    [[int(part) for part in colour[4:-1].split(",")]
     for colour in sample_colorscale(ERROR_COLOURSCALE, np.linspace(0.0, 1.0, 256))],
    dtype=np.uint8,
)


def _image_trace(pixels: np.ndarray, step_x: int = 1, step_y: int = 1) -> go.Image:
    """A go.Image trace of ``pixels`` (uint8), shown unchanged (no contrast
    stretch); ``step_*`` are the pixel spacing in plot coordinates."""
    return go.Image(source=png_data_uri(pixels), x0=0, y0=0, dx=step_x, dy=step_y,
                    hovertemplate="column %{x}, row %{y}<extra></extra>")


def _add_picture(fig: go.Figure, pixels: np.ndarray, row: int, col: int) -> None:
    """Add a picture to a subplot, with a thin frame hugging its edges (so a
    white picture on the white page still shows where it ends)."""
    rows, columns = np.shape(pixels)[:2]
    fig.add_trace(_image_trace(pixels), row=row, col=col)
    fig.add_shape(type="rect", x0=-0.5, y0=-0.5, x1=columns - 0.5, y1=rows - 0.5, layer="above",
                  line=dict(color="#c5ccd3", width=1), row=row, col=col)


def _bare_picture_axes(fig: go.Figure) -> go.Figure:
    """Hide ticks, grid and zero lines on every axis of a figure of pictures."""
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="")
    return fig


def picture_row_height(shape: Sequence[int], count: int = 3, panel_width: int = 330) -> int:
    """Height of a row of ``count`` pictures of ``shape`` for panels about
    ``panel_width`` px wide (a 1280 px window gives about 270, 1920 about 490)."""
    rows, columns = shape[0], shape[1]
    return int(min(max(panel_width * rows / columns, 150), 520)) + 34


def pictures_figure(pictures: Sequence[np.ndarray], titles: Sequence[str], *, title: str | None = None,
                    height: int | None = None) -> go.Figure:
    """Pictures of one shape side by side, each with its title, zoom linked:
    zooming into one zooms all (to compare the same detail).

    Parameters
    ----------
    pictures : sequence of ndarray of uint8, each (n, m) gray or (n, m, 3) RGB
    titles : sequence of str, one per picture
    """
    count = len(pictures)
    fig = make_subplots(rows=1, cols=count, subplot_titles=list(titles), horizontal_spacing=0.012)
    for column, picture in enumerate(pictures, start=1):
        _add_picture(fig, picture, 1, column)
    styled(fig, title, height=(height or picture_row_height(np.shape(pictures[0]), count)) + (40 if title else 0)
           + MODE_BAR_ROOM)
    fig.update_layout(margin=dict(l=0, r=0, t=(70 if title else 30) + MODE_BAR_ROOM, b=0))
    fig.update_annotations(font=dict(size=14))
    _bare_picture_axes(fig)
    fig.update_xaxes(matches="x")
    fig.update_yaxes(matches="y", autorange="reversed")
    fig.update_yaxes(scaleanchor="x", row=1, col=1)
    return fig


def error_picture(absolute_error: np.ndarray, top: float | None = ERROR_TOP_LEVELS) -> tuple[np.ndarray, float]:
    """|original − reconstruction| (uint8 levels, 2-D) as a colour picture.

    Parameters
    ----------
    absolute_error : ndarray, shape (n, m)
        Error in pixel levels (0-255).
    top : float or None
        Errors of ``top`` levels or more take the brightest colour of
        :data:`ERROR_COLOURSCALE` (a fixed scale: two maps compare directly).
        None stretches the scale to the error's own 99.5th percentile (at
        least 1 level), for detail.

    Returns
    -------
    picture : ndarray of uint8, shape (n, m, 3)
    top : float
        The level the brightest colour stands for.
    """
    error = np.asarray(absolute_error, dtype=np.float64)
    if top is None:
        top = max(1.0, float(np.percentile(error, 99.5))) if error.size else 1.0
    index = np.rint(np.clip(error / top, 0.0, 1.0) * 255).astype(np.uint8)
    return _ERROR_COLOURS[index], float(top)


def error_colour_bar(top: float, *, stretched: bool = False) -> go.Figure:
    """The error map's colour bar, 0 to ``top`` pixel levels: a short strip
    (a colour bar alone, drawn by Plotly, with no data)."""
    scale = "stretched to this fit's 99.5th percentile" if stretched else "fixed scale"
    bar = dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="top", len=1.0, lenmode="fraction",
               thickness=16, outlinewidth=0, ticks="outside", tickfont=dict(size=11),
               title=dict(text=f"absolute error, pixel levels of 255 ({scale}; {top:.0f} or more is brightest)",
                          side="bottom", font=dict(size=12)))
    fig = go.Figure(go.Scatter(x=[None], y=[None], mode="markers", hoverinfo="skip", showlegend=False,
                               marker=dict(color=[0.0], cmin=0.0, cmax=float(top), colorscale=ERROR_COLOURSCALE,
                                           showscale=True, colorbar=bar)))
    styled(fig, None, height=66)
    fig.update_layout(margin=dict(l=8, r=8, t=4, b=4))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def comparison_figure(original: np.ndarray, reconstruction: np.ndarray, absolute_error: np.ndarray, *,
                      original_title: str = "Original", reconstruction_title: str = "Reconstruction",
                      height: int | None = None, error_top: float | None = ERROR_TOP_LEVELS) -> go.Figure:
    """Original, reconstruction and their absolute difference, zoom linked
    (the error on the scale of :func:`error_picture`)."""
    shown_error, top = error_picture(absolute_error, error_top)
    return pictures_figure(
        [original, reconstruction, shown_error],
        [original_title, reconstruction_title, f"Absolute error (brightest = {top:.0f} of 255)"],
        height=height,
    )


def loss_curves(
    loss_histories: Mapping[str, Sequence[float]],
    *,
    log_y: bool = False,
    max_iter: int | None = None,
    title: str = "Loss over iterations",
) -> go.Figure:
    """Loss per iteration, one line per fitted matrix (three per channel)."""
    fig = go.Figure()
    for index, (name, history) in enumerate(loss_histories.items()):
        losses = np.asarray(history, dtype=np.float64)
        fig.add_trace(go.Scatter(
            x=np.arange(1, losses.size + 1), y=losses, mode="lines", name=name,
            line=dict(color=CHANNEL_COLOURS.get(name, cluster_colour(index)), width=3),
            hovertemplate=f"{name}<br>iteration %{{x}}<br>loss %{{y:.4g}}<extra></extra>",
        ))
    styled(fig, title, height=340 + MODE_BAR_ROOM)
    fig.update_layout(showlegend=len(loss_histories) > 1, margin=dict(l=50, r=20, t=50 + MODE_BAR_ROOM, b=45))
    fig.update_xaxes(title_text="iteration", range=[1, max_iter] if max_iter else None)
    fig.update_yaxes(title_text="loss ‖V − WH‖²", type="log" if log_y else "linear")
    return fig


def _stride(size: int, limit: int = MAX_HEATMAP_SIDE) -> int:
    """Step that shows at most ``limit`` of ``size`` rows or columns."""
    return max(1, math.ceil(size / limit))


def factor_figure(W: np.ndarray, H: np.ndarray, product: np.ndarray, *, title: str | None = None,
                  column_groups: Sequence[str] = (), plot_width: int = 820) -> go.Figure:
    """W and H as heatmaps around their product W × H — the notebook's third figure.

    Laid out as a matrix product: H above W × H (its columns line up with the
    product's), W to the left (its rows line up). Zoom is linked the same way.
    Shapes are in the panel titles. Factors with more than
    ``MAX_HEATMAP_SIDE`` rows or columns are shown 1 in s (the axis title says so).

    Parameters
    ----------
    W : ndarray, shape (n, k)
    H : ndarray, shape (k, m)
    product : ndarray of uint8, shape (n, m)
        W·H as a gray picture of the matrix.
    column_groups : sequence of str
        Names of equal blocks of columns (("R", "G", "B") for joint colour),
        marked with dotted lines and labels.
    plot_width : int
        Expected width in px, to give the product panel about its own aspect ratio.
    """
    W, H, product = np.asarray(W), np.asarray(H), np.asarray(product)
    (n, k), m = W.shape, H.shape[1]
    row_step, column_step = _stride(n), _stride(m)
    k_share = min(max(k / (k + m), 0.12), 0.25)
    product_height = min(max((1 - k_share) * plot_width * n / m, 170), 420)
    h_height = min(max(5 * k, 90), 180)
    thinned = [f"1 in {step} {what} shown" for step, what in ((row_step, "rows"), (column_step, "columns")) if step > 1]
    fig = make_subplots(
        rows=2, cols=2, specs=[[None, {}], [{}, {}]],
        column_widths=[k_share, 1 - k_share], row_heights=[h_height, product_height],
        horizontal_spacing=0.02, vertical_spacing=0.16,
        subplot_titles=(f"H ({k} × {m})", f"W<br>({n} × {k})", f"W × H ({n} × {m})"),  # W's column is narrow
    )
    (h_bar, w_bar) = _factor_colour_bars(fig)
    fig.add_trace(go.Heatmap(z=H[:, ::column_step], x=np.arange(0, m, column_step), y=np.arange(k),
                             colorscale=FACTOR_COLOURSCALE, colorbar=h_bar, zmin=0,
                             hovertemplate="H[%{y}, %{x}] = %{z:.3g}<extra></extra>"), row=1, col=2)
    fig.add_trace(go.Heatmap(z=W[::row_step], x=np.arange(k), y=np.arange(0, n, row_step),
                             colorscale=FACTOR_COLOURSCALE, colorbar=w_bar, zmin=0,
                             hovertemplate="W[%{y}, %{x}] = %{z:.3g}<extra></extra>"), row=2, col=1)
    fig.add_trace(_image_trace(product[::row_step, ::column_step], column_step, row_step), row=2, col=2)
    fig.data[-1].hovertemplate = "(W·H)[%{y}, %{x}]<extra></extra>"
    styled(fig, title, height=int(h_height + product_height + (130 if title else 100) + MODE_BAR_ROOM))
    fig.update_layout(margin=dict(l=10, r=70, t=(80 if title else 40) + MODE_BAR_ROOM, b=50))
    fig.update_annotations(font=dict(size=14))
    fig.update_xaxes(matches="x3", showticklabels=False, row=1, col=2)
    fig.update_yaxes(matches="y3", title_text="row of V", row=2, col=1)
    fig.update_yaxes(autorange="reversed", row=1, col=2)  # its rows are the components, as W's x axis says
    fig.update_yaxes(autorange="reversed", showticklabels=False, row=2, col=2)
    fig.update_xaxes(title_text="component", row=2, col=1)
    fig.update_xaxes(title_text="column of V" + (f" ({', '.join(thinned)})" if thinned else ""), row=2, col=2)
    fig.update_xaxes(showgrid=False, zeroline=False)
    fig.update_yaxes(showgrid=False, zeroline=False)
    if column_groups:
        width = m / len(column_groups)
        for index, name in enumerate(column_groups):
            if index:
                for row in (1, 2):
                    fig.add_vline(x=index * width - 0.5, line=dict(color="white", width=2, dash="dot"), row=row, col=2)
            fig.add_annotation(x=(index + 0.5) * width, y=0.98, xref="x3", yref="y3 domain", text=f"<b>{name}</b>",
                               showarrow=False, yanchor="top", font=dict(size=13, color="white"),
                               bgcolor="rgba(0, 0, 0, 0.55)", borderpad=3)
    return fig


def _factor_colour_bars(fig: go.Figure) -> tuple[dict, dict]:
    """Colour bars of :func:`factor_figure`: H's upright at the right of its
    panel, W's lying in the empty corner above W."""
    h_rows, w_columns = fig.layout.yaxis.domain, fig.layout.xaxis2.domain
    h_bar = dict(title=dict(text="H", side="top"), x=1.005, xanchor="left", y=sum(h_rows) / 2, yanchor="middle",
                 len=h_rows[1] - h_rows[0], lenmode="fraction", thickness=12, tickfont=dict(size=11))
    w_bar = dict(title=dict(text="W", side="top"), orientation="h", x=w_columns[0], xanchor="left",
                 y=h_rows[0] + 0.02, yanchor="bottom", len=0.7 * (w_columns[1] - w_columns[0]), lenmode="fraction",
                 thickness=10, tickfont=dict(size=11), nticks=4)
    return h_bar, w_bar


def rank_sweep_figure(original: np.ndarray, reconstructions: Sequence[np.ndarray],
                      loss_histories: Sequence[Sequence[float]], ranks: Sequence[int],
                      psnr: Sequence[float], *, log_y: bool = False, plot_width: int = 820) -> go.Figure:
    """The notebook's grid: the original and one reconstruction per rank on top
    (zoom linked), each rank's loss curve below it."""
    columns = len(ranks) + 1
    picture_height = min(max(plot_width / columns * original.shape[0] / original.shape[1], 110), 320)
    loss_height = 180
    titles = ["Original"] + [f"Rank {k}<br>{p:.1f} dB" for k, p in zip(ranks, psnr)] + [""] * len(ranks)
    fig = make_subplots(rows=2, cols=columns, specs=[[{}] * columns, [None] + [{}] * len(ranks)],
                         row_heights=[picture_height, loss_height], vertical_spacing=0.1,
                         horizontal_spacing=0.03, subplot_titles=titles)
    _add_picture(fig, original, 1, 1)
    for column, (k, picture, history) in enumerate(zip(ranks, reconstructions, loss_histories), start=2):
        _add_picture(fig, picture, 1, column)
        losses = np.asarray(history, dtype=np.float64)
        fig.add_trace(go.Scatter(x=np.arange(1, losses.size + 1), y=losses, mode="lines", name=f"rank {k}",
                                 line=dict(color=PALETTE[0], width=2),
                                 hovertemplate=f"rank {k}<br>iteration %{{x}}<br>loss %{{y:.4g}}<extra></extra>"),
                      row=2, col=column)
        fig.update_xaxes(title_text="iteration", row=2, col=column)
        # one loss scale for every rank, so the curves compare at a glance
        fig.update_yaxes(type="log" if log_y else "linear", row=2, col=column,
                         matches=None if column == 2 else fig.get_subplot(2, 2).yaxis.plotly_name.replace("axis", ""))
    styled(fig, "Reconstruction and loss per rank", height=int(picture_height + loss_height + 170 + MODE_BAR_ROOM))
    fig.update_layout(showlegend=False, margin=dict(l=60, r=10, t=80 + MODE_BAR_ROOM, b=50))
    fig.update_annotations(font=dict(size=13))
    fig.update_yaxes(title_text="loss (shared scale)", row=2, col=2)
    for column in range(3, columns + 1):
        fig.update_yaxes(showticklabels=False, row=2, col=column)
    for column in range(1, columns + 1):
        fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, matches="x", row=1, col=column)
        fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed",
                         matches="y" if column > 1 else None, row=1, col=column)
    fig.update_yaxes(scaleanchor="x", row=1, col=1)
    return fig


def storage_and_quality_figure(ranks: Sequence[int], numbers_stored: Sequence[int], original_numbers: int,
                               storage_line: tuple[np.ndarray, np.ndarray], break_even_rank: int,
                               nmf_psnr: Sequence[float], svd_psnr: Sequence[float]) -> go.Figure:
    """Numbers stored against rank, with the picture's own count dashed (the
    notebook's chart), beside PSNR against rank for NMF and for the optimal
    SVD; a dotted line marks the break-even rank on both."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                         subplot_titles=("Numbers stored vs rank", "Quality vs rank"))
    line_ranks, line_numbers = storage_line
    fig.add_trace(go.Scatter(x=line_ranks, y=line_numbers, mode="lines", name="k (n + m)",
                             line=dict(color=PALETTE[0], width=2), hoverinfo="skip", showlegend=False), row=1, col=1)
    fig.add_trace(go.Scatter(x=list(ranks), y=list(numbers_stored), mode="markers", name="factors W and H",
                             marker=dict(color=PALETTE[0], size=11),
                             hovertemplate="rank %{x}<br>%{y:,} numbers<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=[0, line_ranks[-1]], y=[original_numbers] * 2, mode="lines",
                             name="numbers in the picture", line=dict(color=PALETTE[5], width=3, dash="dash"),
                             hovertemplate="picture: %{y:,} numbers<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=list(ranks), y=list(nmf_psnr), mode="lines+markers", name="NMF",
                             line=dict(color=PALETTE[0], width=3), marker=dict(size=10),
                             hovertemplate="NMF rank %{x}<br>%{y:.1f} dB<extra></extra>"), row=1, col=2)
    fig.add_trace(go.Scatter(x=list(ranks), y=list(svd_psnr), mode="lines+markers", name="truncated SVD (optimal)",
                             line=dict(color=PALETTE[1], width=3, dash="dot"), marker=dict(size=10, symbol="diamond"),
                             hovertemplate="SVD rank %{x}<br>%{y:.1f} dB<extra></extra>"), row=1, col=2)
    fig.add_vline(x=break_even_rank, line=dict(color="#555555", width=1.5, dash="dot"), row=1, col=1)
    fig.add_annotation(x=break_even_rank, y=0.02, yref="y domain", xref="x", text=f"break-even k = {break_even_rank} ",
                       showarrow=False, xanchor="right", yanchor="bottom", font=dict(size=12, color="#555555"))
    fig.update_xaxes(title_text="rank k", rangemode="tozero")
    styled(fig, None, height=430 + MODE_BAR_ROOM)
    fig.update_layout(margin=dict(l=60, r=20, t=60 + MODE_BAR_ROOM, b=50),
                      legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="center", x=0.5))
    fig.update_yaxes(title_text="numbers stored", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="PSNR (dB)", row=1, col=2)
    return fig


def storage_by_rank_figure(n: int, m: int) -> go.Figure:
    """What the factors of an ``n × m`` picture store against rank: k(n + m)
    numbers as a share of the picture's n·m, a line from k = 0 to a quarter
    past the break-even rank, the smallest k whose factors hold as many
    numbers as the picture (:func:`nnmf_core.images.break_even_rank`, not
    imported here: the home page draws this figure and needs nothing else of it).

    >>> from nnmf_core.images import break_even_rank
    >>> fig = storage_by_rank_figure(341, 512)
    >>> round(float(fig.data[0].y[20]), 1), fig.layout.annotations[0].text, break_even_rank(341, 512)
    (9.8, 'break-even k = 205', 205)
    """
    break_even = -(-(n * m) // (n + m))
    ranks = np.arange(0, math.ceil(1.25 * break_even) + 1)
    shares = 100.0 * ranks * (n + m) / (n * m)
    fig = go.Figure(go.Scatter(x=ranks, y=shares, mode="lines", line=dict(color=PALETTE[0], width=3),
                               hovertemplate="rank %{x}: %{y:.1f} % of the picture<extra></extra>", showlegend=False))
    fig.add_hline(y=100, line=dict(color=PALETTE[5], width=2, dash="dash"))
    fig.add_vline(x=break_even, line=dict(color="#555555", width=1.5, dash="dot"))
    fig.add_annotation(x=break_even, y=100, text=f"break-even k = {break_even}", showarrow=False,
                       xanchor="right", yanchor="bottom", font=dict(size=12, color="#555555"))
    fig.update_xaxes(title_text="rank k", rangemode="tozero")
    fig.update_yaxes(title_text="stored, % of picture", rangemode="tozero", ticksuffix=" %")
    return styled(fig, None, height=260)


def parts_gallery_figure(pictures: Sequence[np.ndarray], titles: Sequence[str], *, columns: int = 4,
                         title: str | None = None, plot_width: int = 820) -> go.Figure:
    """Small pictures of NMF parts (uint8, gray or RGB) in a grid, one title each;
    ``plot_width`` (expected width in px) sets the height."""
    count = len(pictures)
    columns = max(1, min(columns, count))
    rows = max(1, math.ceil(count / columns))
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=list(titles),
                         horizontal_spacing=0.015, vertical_spacing=0.12 / rows)
    for index, picture in enumerate(pictures):
        _add_picture(fig, picture, index // columns + 1, index % columns + 1)
    aspect = pictures[0].shape[0] / pictures[0].shape[1] if count else 1.0
    styled(fig, title, height=int(rows * (40 + plot_width / columns * aspect)) + (60 if title else 20) + MODE_BAR_ROOM)
    fig.update_layout(margin=dict(l=5, r=5, t=(60 if title else 30) + MODE_BAR_ROOM, b=5))
    fig.update_annotations(font=dict(size=12))
    _bare_picture_axes(fig)
    fig.update_yaxes(autorange="reversed")
    return fig
