"""Every Plotly figure NMF Studio shows: arrays in, ``go.Figure`` out.

No computation of factorizations here and no Streamlit: each builder takes the
numbers a page already has and returns a figure that a test can inspect.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

#: Okabe–Ito palette: distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
FONT = dict(family="Source Sans Pro, sans-serif", size=13)


def cluster_colour(index: int) -> str:
    """The palette colour of cluster/component ``index`` (cycles after 8)."""
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


# ---- compression page ----
# Figures of the Compression page (pages/compression.py). Pictures are lossless
# PNG data in go.Image traces, as px.imshow(..., binary_string=True) makes them,
# never re-encoded as JPEG; heatmaps are used only for the factors W and H.

import base64 as _base64
import io as _io
import math as _math
from collections.abc import Mapping as _Mapping

from PIL import Image as _PILImage
from plotly.subplots import make_subplots as _make_subplots

#: Line colours of per-channel fits (Okabe–Ito vermillion, bluish green, blue).
CHANNEL_COLOURS = {"red": "#D55E00", "green": "#009E73", "blue": "#0072B2"}
#: Most heatmap rows or columns sent to the browser; larger factors are strided.
MAX_HEATMAP_SIDE = 2000


def png_data_uri(pixels: np.ndarray) -> str:
    """A uint8 picture ((n, m) gray or (n, m, 3) RGB) as a PNG ``data:`` URI —
    what ``px.imshow(..., binary_string=True)`` puts in a go.Image, lossless,
    but encoded with Pillow's fastest PNG level (about 25 ms less per picture)."""
    buffer = _io.BytesIO()
    _PILImage.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + _base64.b64encode(buffer.getvalue()).decode("ascii")


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
    fig = _make_subplots(rows=1, cols=count, subplot_titles=list(titles), horizontal_spacing=0.012)
    for column, picture in enumerate(pictures, start=1):
        _add_picture(fig, picture, 1, column)
    styled(fig, title, height=(height or picture_row_height(np.shape(pictures[0]), count)) + (40 if title else 0))
    fig.update_layout(margin=dict(l=0, r=0, t=70 if title else 30, b=0))
    fig.update_annotations(font=dict(size=14))
    _bare_picture_axes(fig)
    fig.update_xaxes(matches="x")
    fig.update_yaxes(matches="y", autorange="reversed")
    fig.update_yaxes(scaleanchor="x", row=1, col=1)
    return fig


def error_picture(absolute_error: np.ndarray) -> tuple[np.ndarray, float]:
    """|original − reconstruction| (uint8 levels, 2-D) made visible: white is
    the 99.5th percentile of the error (at least 1 level). Returns the gray
    picture and that level."""
    error = np.asarray(absolute_error, dtype=np.float64)
    white = max(1.0, float(np.percentile(error, 99.5))) if error.size else 1.0
    return np.rint(np.clip(error / white, 0.0, 1.0) * 255).astype(np.uint8), white


def comparison_figure(original: np.ndarray, reconstruction: np.ndarray, absolute_error: np.ndarray, *,
                      original_title: str = "Original", reconstruction_title: str = "Reconstruction",
                      height: int | None = None) -> go.Figure:
    """Original, reconstruction and their absolute difference, zoom linked."""
    shown_error, white = error_picture(absolute_error)
    return pictures_figure(
        [original, reconstruction, shown_error],
        [original_title, reconstruction_title, f"Absolute error (white = {white:.0f} of 255)"],
        height=height,
    )


def loss_curves(
    loss_histories: _Mapping[str, Sequence[float]],
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
    styled(fig, title, height=340)
    fig.update_layout(showlegend=len(loss_histories) > 1)
    fig.update_xaxes(title_text="iteration", range=[1, max_iter] if max_iter else None)
    fig.update_yaxes(title_text="loss ‖V − WH‖²", type="log" if log_y else "linear")
    return fig


def _stride(size: int, limit: int = MAX_HEATMAP_SIDE) -> int:
    return max(1, _math.ceil(size / limit))


def factor_figure(W: np.ndarray, H: np.ndarray, product: np.ndarray, *, title: str | None = None,
                  column_groups: Sequence[str] = (), plot_width: int = 820) -> go.Figure:
    """W and H as heatmaps around their product W × H — the notebook's third figure.

    Laid out as a matrix product: H above W × H (its columns line up with the
    product's), W to the left (its rows line up). Zoom is linked the same way.
    Shapes are in the panel titles. Factors with more than
    ``MAX_HEATMAP_SIDE`` rows or columns are shown 1 in s (the title says so).

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
    fig = _make_subplots(
        rows=2, cols=2, specs=[[None, {}], [{}, {}]],
        column_widths=[k_share, 1 - k_share], row_heights=[h_height, product_height],
        horizontal_spacing=0.02, vertical_spacing=0.1,
        subplot_titles=(f"H ({k} × {m})", f"W ({n} × {k})",
                        f"W × H ({n} × {m})" + (f" — {', '.join(thinned)}" if thinned else "")),
    )
    heat = dict(colorscale="Viridis", showscale=False)
    fig.add_trace(go.Heatmap(z=H[:, ::column_step], x=np.arange(0, m, column_step), y=np.arange(k), **heat,
                             hovertemplate="H[%{y}, %{x}] = %{z:.3g}<extra></extra>"), row=1, col=2)
    fig.add_trace(go.Heatmap(z=W[::row_step], x=np.arange(k), y=np.arange(0, n, row_step), **heat,
                             hovertemplate="W[%{y}, %{x}] = %{z:.3g}<extra></extra>"), row=2, col=1)
    fig.add_trace(_image_trace(product[::row_step, ::column_step], column_step, row_step), row=2, col=2)
    fig.data[-1].hovertemplate = "(W·H)[%{y}, %{x}]<extra></extra>"
    styled(fig, title, height=int(h_height + product_height + (130 if title else 100)))
    fig.update_layout(margin=dict(l=10, r=10, t=80 if title else 40, b=50))
    fig.update_annotations(font=dict(size=14))
    fig.update_xaxes(matches="x3", showticklabels=False, row=1, col=2)
    fig.update_yaxes(matches="y3", title_text="row of V", row=2, col=1)
    fig.update_yaxes(autorange="reversed", title_text="component", row=1, col=2)
    fig.update_yaxes(autorange="reversed", showticklabels=False, row=2, col=2)
    fig.update_xaxes(title_text="component", row=2, col=1)
    fig.update_xaxes(title_text="column of V", row=2, col=2)
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


def rank_sweep_figure(original: np.ndarray, reconstructions: Sequence[np.ndarray],
                      loss_histories: Sequence[Sequence[float]], ranks: Sequence[int],
                      psnr: Sequence[float], *, log_y: bool = False, plot_width: int = 820) -> go.Figure:
    """The notebook's grid: the original and one reconstruction per rank on top
    (zoom linked), each rank's loss curve below it."""
    columns = len(ranks) + 1
    picture_height = min(max(plot_width / columns * original.shape[0] / original.shape[1], 110), 320)
    loss_height = 180
    titles = ["Original"] + [f"Rank {k}: {p:.1f} dB" for k, p in zip(ranks, psnr)] + [""] * len(ranks)
    fig = _make_subplots(rows=2, cols=columns, specs=[[{}] * columns, [None] + [{}] * len(ranks)],
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
        fig.update_yaxes(type="log" if log_y else "linear", row=2, col=column)
    styled(fig, "Reconstruction and loss per rank", height=int(picture_height + loss_height + 170))
    fig.update_layout(showlegend=False, margin=dict(l=50, r=10, t=80, b=50))
    fig.update_annotations(font=dict(size=13))
    fig.update_yaxes(title_text="loss", row=2, col=2)
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
    fig = _make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
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
    styled(fig, None, height=430)
    fig.update_layout(margin=dict(l=60, r=20, t=60, b=50),
                      legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="center", x=0.5))
    fig.update_yaxes(title_text="numbers stored", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="PSNR (dB)", row=1, col=2)
    return fig


def parts_gallery_figure(pictures: Sequence[np.ndarray], titles: Sequence[str], *, columns: int = 4,
                         title: str | None = None, plot_width: int = 820) -> go.Figure:
    """Small pictures of NMF parts (uint8, gray or RGB) in a grid, one title each;
    ``plot_width`` (expected width in px) sets the height."""
    count = len(pictures)
    columns = max(1, min(columns, count))
    rows = max(1, _math.ceil(count / columns))
    fig = _make_subplots(rows=rows, cols=columns, subplot_titles=list(titles),
                         horizontal_spacing=0.015, vertical_spacing=0.12 / rows)
    for index, picture in enumerate(pictures):
        _add_picture(fig, picture, index // columns + 1, index % columns + 1)
    aspect = pictures[0].shape[0] / pictures[0].shape[1] if count else 1.0
    styled(fig, title, height=int(rows * (40 + plot_width / columns * aspect)) + (60 if title else 20))
    fig.update_layout(margin=dict(l=5, r=5, t=60 if title else 30, b=5))
    fig.update_annotations(font=dict(size=12))
    _bare_picture_axes(fig)
    fig.update_yaxes(autorange="reversed")
    return fig


# ---- spike clustering page ----
# The figures of pages/spike_clustering.py. Many waveforms in one panel are one
# go.Scattergl trace per group: float32 arrays, waveforms joined by NaN gaps.

from plotly.subplots import make_subplots as _spike_subplots  # noqa: E402

#: Most waveforms drawn per panel; beyond that an evenly spread selection.
MAX_DRAWN_WAVEFORMS = 400
#: Most waveforms (columns of H) drawn in the weights heatmap.
MAX_HEATMAP_WAVEFORMS = 2_000
#: Panels per row of the waveforms-by-cluster figure.
SPIKE_PANELS_PER_ROW = 5
_MEAN_LINE = dict(color="#000000", width=2.5, dash="dash")
_SPIKE_LEGEND_BELOW = dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0.0)


def _spike_rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha:.3f})"


def _spike_picks(count: int, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` of ``count`` items, evenly spread, in order."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))


def _spike_line_alpha(drawn: int) -> float:
    """Opacity of one waveform among ``drawn``: denser panels get fainter lines."""
    return float(np.clip(30.0 / max(drawn, 1), 0.08, 0.6))


def nan_joined(waveforms: np.ndarray, x: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Many waveforms as one polyline for a single trace.

    Parameters
    ----------
    waveforms : ndarray, shape (n_waveforms, n_samples)
    x : ndarray, shape (n_samples,), optional
        Sample positions (default 0 … n_samples − 1).

    Returns
    -------
    xs, ys : ndarray of float32, shape (n_waveforms · (n_samples + 1),)
        Every waveform followed by one NaN, so the lines are not joined.
    """
    Y = np.asarray(waveforms, dtype=np.float32)
    if Y.ndim != 2:
        raise ValueError(f"waveforms must be 2-D; got shape {Y.shape}")
    n, samples = Y.shape
    x = np.arange(samples, dtype=np.float32) if x is None else np.asarray(x, dtype=np.float32)
    ys = np.full((n, samples + 1), np.nan, dtype=np.float32)
    ys[:, :samples] = Y
    xs = np.full((n, samples + 1), np.nan, dtype=np.float32)
    xs[:, :samples] = x
    return xs.ravel(), ys.ravel()


def _spike_lines(waveforms: np.ndarray, colour: str, name: str, max_drawn: int) -> go.Scattergl:
    drawn = waveforms[_spike_picks(waveforms.shape[0], max_drawn)]
    xs, ys = nan_joined(drawn)
    return go.Scattergl(x=xs, y=ys, mode="lines", name=name, hoverinfo="skip", showlegend=False,
                        line=dict(color=_spike_rgba(colour, _spike_line_alpha(drawn.shape[0])), width=1))


def _spike_mean(waveforms: np.ndarray, name: str) -> go.Scattergl:
    # WebGL traces are drawn above SVG ones: the mean is a Scattergl too, so it stays on top
    mean = waveforms.mean(axis=0).astype(np.float32)
    return go.Scattergl(x=np.arange(mean.size, dtype=np.float32), y=mean, mode="lines", name=name, line=_MEAN_LINE,
                        showlegend=False, hovertemplate=f"{name}<br>sample %{{x}}<br>%{{y:.4g}}<extra></extra>")


def spike_panels_figure(
    waveforms: np.ndarray,
    labels: np.ndarray,
    n_clusters: int | None = None,
    *,
    title: str | None = None,
    y_title: str = "amplitude",
    max_drawn: int = MAX_DRAWN_WAVEFORMS,
    panels_per_row: int = SPIKE_PANELS_PER_ROW,
) -> go.Figure:
    """The notebook's clustering figure: all waveforms, then one panel per cluster.

    Each panel draws its waveforms translucent (one ``go.Scattergl`` trace, at
    most ``max_drawn`` waveforms, evenly picked) and the mean of *all* its
    members as a black dashed line. The first panel shows every waveform in
    gray; cluster panels use :func:`cluster_colour`. The y axes are shared.

    Parameters
    ----------
    waveforms : ndarray, shape (n_waveforms, n_samples)
    labels : ndarray of int, shape (n_waveforms,), values 0 … n_clusters − 1
    n_clusters : int, optional
        Panels after the first (default ``labels.max() + 1``); an empty
        cluster gets an empty panel.

    Returns
    -------
    go.Figure
        Traces: per panel one Scattergl of lines, then (if not empty) one
        Scattergl of the mean; panel titles name the cluster and its size.
        The x axes are linked (zoom one, all follow) and left to autorange:
        plotly.js loses the y autorange of Scattergl traces on linked x
        axes that have a fixed range.
    """
    X = np.asarray(waveforms)
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if n_clusters is None else int(n_clusters)
    counts = np.bincount(labels, minlength=k)
    panels = k + 1
    columns = max(1, min(panels, panels_per_row))
    rows = -(-panels // columns)
    titles = [f"All waveforms ({X.shape[0]:,})"] + [f"Cluster {c} ({counts[c]:,})" for c in range(k)]
    fig = _spike_subplots(rows=rows, cols=columns, subplot_titles=titles, shared_xaxes="all", shared_yaxes="all",
                          horizontal_spacing=0.025, vertical_spacing=0.14 / rows)
    fig.add_trace(_spike_lines(X, "#6E6E6E", "all waveforms", max_drawn), row=1, col=1)
    fig.add_trace(_spike_mean(X, "mean of all"), row=1, col=1)
    for c in range(k):
        row, col = (c + 1) // columns + 1, (c + 1) % columns + 1
        members = X[labels == c]
        fig.add_trace(_spike_lines(members, cluster_colour(c), f"cluster {c}", max_drawn), row=row, col=col)
        if members.shape[0]:
            fig.add_trace(_spike_mean(members, f"mean of cluster {c}"), row=row, col=col)
    styled(fig, title, height=250 * rows + (70 if title else 40))
    fig.update_layout(showlegend=False, margin=dict(l=55, r=15, t=75 if title else 40, b=45))
    fig.update_annotations(font=dict(size=13))
    fig.update_xaxes(title_text="sample #", row=rows)
    fig.update_yaxes(title_text=y_title, col=1)
    return fig


def spike_templates_figure(templates: np.ndarray, *, title: str | None = None,
                           y_title: str = "template (unit norm)") -> go.Figure:
    """The columns of W as waveforms, one line per template, in cluster colours.

    Parameters
    ----------
    templates : ndarray, shape (k, n_samples)
    """
    T = np.asarray(templates, dtype=np.float32)
    fig = go.Figure()
    for i, template in enumerate(T):
        fig.add_trace(go.Scatter(x=np.arange(T.shape[1], dtype=np.float32), y=template, mode="lines",
                                 name=f"template {i}", line=dict(color=cluster_colour(i), width=2.5),
                                 hovertemplate=f"template {i}<br>sample %{{x}}<br>%{{y:.3g}}<extra></extra>"))
    styled(fig, title, height=360)
    fig.update_layout(legend=_SPIKE_LEGEND_BELOW)
    fig.update_xaxes(title_text="sample #", range=[0, T.shape[1] - 1])
    fig.update_yaxes(title_text=y_title, zeroline=True, zerolinecolor="#999999")
    return fig


def _cluster_colourscale(k: int) -> list:
    """A stepped colour scale that paints the integers 0 … k−1 in cluster colours."""
    scale = []
    for c in range(k):
        scale += [[c / k, cluster_colour(c)], [(c + 1) / k, cluster_colour(c)]]
    return scale


def spike_weights_heatmap(H: np.ndarray, labels: np.ndarray, n_clusters: int | None = None, *,
                          title: str | None = None, max_columns: int = MAX_HEATMAP_WAVEFORMS) -> go.Figure:
    """H as a heatmap, templates × waveforms, the waveforms sorted by cluster.

    Within a cluster, waveforms are ordered by their strongest template and
    then by its weight. A strip above the heatmap shows the cluster of every
    column; thin lines separate the clusters. More than ``max_columns``
    waveforms are thinned to an evenly spread selection after sorting.

    Parameters
    ----------
    H : ndarray, shape (k, n_waveforms)
    labels : ndarray of int, shape (n_waveforms,)
    """
    H = np.asarray(H, dtype=np.float32)
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if n_clusters is None else int(n_clusters)
    order = np.lexsort((-H.max(axis=0), H.argmax(axis=0), labels))
    order = order[_spike_picks(order.size, max_columns)]
    sorted_labels = labels[order]
    fig = _spike_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.07, 0.93], vertical_spacing=0.02)
    fig.add_trace(go.Heatmap(z=sorted_labels[None, :].astype(np.float32), colorscale=_cluster_colourscale(k),
                             zmin=-0.5, zmax=k - 0.5, showscale=False, name="cluster",
                             hovertemplate="cluster %{z}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=H[:, order], y=[f"template {i}" for i in range(H.shape[0])], colorscale="Blues",
                             name="H", colorbar=dict(title=dict(text="weight"), thickness=12),
                             hovertemplate="%{y}<br>column %{x}<br>weight %{z:.3g}<extra></extra>"), row=2, col=1)
    for boundary in np.flatnonzero(np.diff(sorted_labels)) + 0.5:
        fig.add_vline(x=float(boundary), line=dict(color="#333333", width=1), row=2, col=1)
    styled(fig, title, height=max(260, 60 + 40 * H.shape[0]) + (50 if title else 20))
    fig.update_yaxes(showticklabels=False, row=1, col=1)
    fig.update_yaxes(autorange="reversed", row=2, col=1)
    fig.update_xaxes(showticklabels=False, row=1, col=1)
    fig.update_xaxes(title_text="waveforms, sorted by cluster", showticklabels=False, row=2, col=1)
    return fig


def spike_scatter_figure(points: np.ndarray, labels: np.ndarray, n_clusters: int | None = None, *,
                         axis_titles: Sequence[str] = ("x", "y"), title: str | None = None,
                         hover_text: Sequence[str] | None = None, height: int = 400) -> go.Figure:
    """Waveforms as points in two dimensions, one ``go.Scattergl`` trace per cluster.

    Parameters
    ----------
    points : ndarray, shape (n_waveforms, 2)
        E.g. two principal-component scores, or two rows of H.
    labels : ndarray of int, shape (n_waveforms,)
    hover_text : sequence of str, optional
        Shown on hover, as plain text (pass ids escaped for HTML).
    """
    P = np.asarray(points, dtype=np.float32)
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if n_clusters is None else int(n_clusters)
    fig = go.Figure()
    for c in range(k):
        members = np.flatnonzero(labels == c)
        text = None if hover_text is None else [hover_text[i] for i in members]
        fig.add_trace(go.Scattergl(
            x=P[members, 0], y=P[members, 1], mode="markers", name=f"cluster {c} ({members.size:,})",
            marker=dict(color=cluster_colour(c), size=5, opacity=0.7), text=text,
            hovertemplate=("%{text}<br>" if text is not None else "") + f"cluster {c}<extra></extra>"))
    styled(fig, title, height=height)
    fig.update_layout(legend=_SPIKE_LEGEND_BELOW)
    fig.update_xaxes(title_text=axis_titles[0])
    fig.update_yaxes(title_text=axis_titles[1])
    return fig


def spike_sizes_figure(labels: np.ndarray, n_clusters: int | None = None, *,
                       title: str | None = None) -> go.Figure:
    """Waveforms per cluster as bars in cluster colours."""
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if n_clusters is None else int(n_clusters)
    counts = np.bincount(labels, minlength=k)
    names = [str(c) for c in range(k)]
    fig = go.Figure(go.Bar(x=names, y=counts, marker_color=[cluster_colour(c) for c in range(k)], text=counts,
                           textposition="outside", cliponaxis=False,
                           hovertemplate="cluster %{x}: %{y} waveforms<extra></extra>"))
    styled(fig, title, height=360)
    fig.update_xaxes(title_text="cluster", type="category")
    fig.update_yaxes(title_text="waveforms", rangemode="tozero")
    return fig


def spike_transform_figure(waveforms: np.ndarray, V: np.ndarray, *, split: bool = False,
                           title: str | None = None, max_drawn: int = 40) -> go.Figure:
    """What the non-negativity transform did: some waveforms before, the same
    columns of V after, with the zero line marked.

    Parameters
    ----------
    waveforms : ndarray, shape (n_waveforms, n_samples)
        The waveforms as read.
    V : ndarray, shape (n_rows, n_waveforms)
        The non-negative matrix (one column per waveform).
    split : bool
        V stacks a positive half above a negative half: mark the two halves.
    """
    X = np.asarray(waveforms)
    V = np.asarray(V)
    picks = _spike_picks(X.shape[0], max_drawn)
    fig = _spike_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                          subplot_titles=["Before: the waveforms as read", "After: the same columns of V (≥ 0)"])
    for col, lines in ((1, X[picks]), (2, V[:, picks].T)):
        xs, ys = nan_joined(lines)
        fig.add_trace(go.Scattergl(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                   name="before" if col == 1 else "after",
                                   line=dict(color=_spike_rgba(PALETTE[0], 0.35), width=1)), row=1, col=col)
        fig.add_hline(y=0, line=dict(color="#000000", width=1), row=1, col=col)
    if split:
        half = X.shape[1]
        fig.add_vline(x=half - 0.5, line=dict(color="#555555", width=1, dash="dot"), row=1, col=2)
        for x, text in ((0, "positive part"), (half, "negative part, flipped")):
            fig.add_annotation(x=x, y=1, xref="x2", yref="y2 domain", text=text, showarrow=False,
                               xanchor="left", yanchor="top", font=dict(size=11, color="#555555"))
    styled(fig, title, height=300)
    fig.update_layout(margin=dict(l=50, r=20, t=70 if title else 40, b=45))
    fig.update_annotations(selector=dict(xref="paper"), font=dict(size=13))
    fig.update_xaxes(title_text="sample #", row=1, col=1)
    fig.update_xaxes(title_text="row of V", row=1, col=2)
    return fig


def spike_rank_scan_figure(ks: Sequence[int], relative_error: Sequence[float], cophenetic: Sequence[float],
                           stability: Sequence[float], separation: Sequence[float], *, suggested: int,
                           threshold: float, title: str | None = None) -> go.Figure:
    """The rank scan in three panels — fit, reproducibility, separation — with the
    suggested k marked in each and the separation threshold drawn.

    Parameters
    ----------
    ks : sequence of int
    relative_error, cophenetic, stability, separation : sequence of float, one per k
    suggested : int
        The k to mark.
    threshold : float
        Separation (d′) a k must reach to be suggested.
    """
    ks = np.asarray(ks)
    fig = _spike_subplots(rows=1, cols=3, horizontal_spacing=0.07, subplot_titles=[
        "Fit: relative error ‖V − WH‖ / ‖V‖", "Reproducibility over random starts",
        "Separation d′ of the closest clusters"])
    point = dict(mode="lines+markers", marker=dict(size=8))
    fig.add_trace(go.Scatter(x=ks, y=np.asarray(relative_error, dtype=float), name="relative error",
                             line=dict(color=PALETTE[0], width=2.5), **point), row=1, col=1)
    fig.add_trace(go.Scatter(x=ks, y=np.asarray(cophenetic, dtype=float), name="cophenetic correlation",
                             line=dict(color=PALETTE[2], width=2.5), **point), row=1, col=2)
    fig.add_trace(go.Scatter(x=ks, y=np.asarray(stability, dtype=float), name="stability (mean pairwise ARI)",
                             line=dict(color=PALETTE[1], width=2.5, dash="dot"), **point), row=1, col=2)
    fig.add_trace(go.Scatter(x=ks, y=np.asarray(separation, dtype=float), name="separation d′",
                             line=dict(color=PALETTE[3], width=2.5), **point), row=1, col=3)
    fig.add_hline(y=threshold, line=dict(color="#555555", width=1.5, dash="dash"), row=1, col=3)
    fig.add_annotation(x=float(ks.max()), y=threshold, xref="x3", yref="y3", text=f"d′ = {threshold:g}",
                       showarrow=False, xanchor="right", yanchor="bottom", font=dict(size=11, color="#555555"))
    for col in (1, 2, 3):
        fig.add_vline(x=suggested, line=dict(color="#D55E00", width=2, dash="dot"), row=1, col=col)
    fig.add_annotation(x=suggested, y=1, xref="x", yref="y domain", text=f" suggested k = {suggested}",
                       showarrow=False, xanchor="left", yanchor="top", font=dict(size=12, color="#D55E00"))
    styled(fig, title, height=360)
    fig.update_layout(margin=dict(l=50, r=20, t=80 if title else 50, b=45),
                      legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="center", x=0.5))
    fig.update_annotations(selector=dict(xref="paper"), font=dict(size=13))
    fig.update_xaxes(title_text="rank k", dtick=1)
    return fig
