"""Figures of the Spike clustering page (``app_pages/spike_clustering.py``):
templates, the weights H, scatter and sizes of the clusters, the
non-negativity transform, and the rank scan. The waveforms by cluster
(:func:`spike_panels_figure`) are drawn in :mod:`nnmf_core.figures.waveforms`
and re-exported here.

Many waveforms in one panel are one ``go.Scattergl`` trace per group: float32
arrays, waveforms joined by NaN gaps (:func:`nan_joined`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnmf_core.figures.common import PALETTE, cluster_colour, marker_trace, styled
from nnmf_core.figures.waveforms import (  # noqa: F401 (spike_panels_figure and its constants are re-exported)
    MAX_DRAWN_WAVEFORMS,
    SPIKE_PANELS_PER_ROW,
    _evenly_spread,
    _rgba,
    amplitude_title,
    channel_grid,
    nan_joined,
    spike_panels_figure,
    time_axis,
)

#: Most waveforms (columns of H) drawn in the weights heatmap.
MAX_HEATMAP_WAVEFORMS = 2_000
_LEGEND_BELOW = dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0.0)


def spike_templates_figure(templates: np.ndarray, *, title: str | None = None,
                           y_title: str = "template (unit norm)", channels: int = 1,
                           sampling_rate: float | None = None) -> go.Figure:
    """The columns of W as waveforms, one line per template, in cluster colours.

    Parameters
    ----------
    templates : ndarray, shape (k, channels · n_samples)
    channels : int
        One sub-panel per channel, side by side (one legend entry per template).
    sampling_rate : float, optional
        Samples per second: the time axis in ms (else sample numbers).
    """
    T = np.asarray(templates, dtype=np.float32)
    samples = T.shape[1] // channels
    x, x_title, hover = time_axis(samples, sampling_rate)
    fig = go.Figure()
    suffixes = channel_grid(fig, 1, channels, panels_per_row=1, x_title=x_title, y_title=y_title)[0]
    for i, template in enumerate(T):
        for channel, suffix in enumerate(suffixes):
            where = f", ch {channel}" if channels > 1 else ""
            fig.add_trace(go.Scatter(
                x=x, y=template[channel * samples : (channel + 1) * samples], mode="lines", name=f"template {i}",
                legendgroup=f"template {i}", showlegend=channel == 0, line=dict(color=cluster_colour(i), width=2.5),
                xaxis=f"x{suffix}", yaxis=f"y{suffix}",
                hovertemplate=f"template {i}{where}<br>{hover}<br>%{{y:.3g}}<extra></extra>"))
    styled(fig, title, height=360)
    fig.update_layout(legend=_LEGEND_BELOW)
    # linked axes: a fixed x range would cost plotly.js the y autorange, so both are set from the data
    low, high = float(T.min()), float(T.max())
    fig.update_xaxes(range=[float(x[0]), float(x[-1])])
    fig.update_yaxes(range=[low - 0.05 * (high - low), high + 0.05 * (high - low)], zeroline=True,
                     zerolinecolor="#999999")
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
    order = order[_evenly_spread(order.size, max_columns)]
    sorted_labels = labels[order]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.07, 0.93], vertical_spacing=0.02)
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
    """Waveforms as points in two dimensions, one trace per cluster (SVG up to
    :data:`~nnmf_core.figures.common.SVG_MAX_MARKERS` waveforms, WebGL beyond).

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
    trace = marker_trace(labels.size)
    for c in range(k):
        members = np.flatnonzero(labels == c)
        text = None if hover_text is None else [hover_text[i] for i in members]
        fig.add_trace(trace(
            x=P[members, 0], y=P[members, 1], mode="markers", name=f"cluster {c} ({members.size:,})",
            marker=dict(color=cluster_colour(c), size=5, opacity=0.7), text=text,
            hovertemplate=("%{text}<br>" if text is not None else "") + f"cluster {c}<extra></extra>"))
    styled(fig, title, height=height)
    fig.update_layout(legend=_LEGEND_BELOW)
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
                           title: str | None = None, max_drawn: int = 40, channels: int = 1,
                           amplitude_unit: str | None = None) -> go.Figure:
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
    channels : int
        Channels per waveform (concatenated): their boundaries are marked.
    amplitude_unit : str, optional
        Unit of the waveforms' amplitude axis.
    """
    X = np.asarray(waveforms)
    V = np.asarray(V)
    picks = _evenly_spread(X.shape[0], max_drawn)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                          subplot_titles=["Before: the waveforms as read", "After: the same columns of V (≥ 0)"])
    for col, lines in ((1, X[picks]), (2, V[:, picks].T)):
        xs, ys = nan_joined(lines)
        fig.add_trace(go.Scattergl(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                   name="before" if col == 1 else "after",
                                   line=dict(color=_rgba(PALETTE[0], 0.35), width=1)), row=1, col=col)
        fig.add_hline(y=0, line=dict(color="#000000", width=1), row=1, col=col)
    samples = X.shape[1] // channels
    for boundary in range(1, channels):
        for col in (1, 2):
            for offset in ((0, X.shape[1]) if col == 2 and split else (0,)):
                fig.add_vline(x=offset + boundary * samples - 0.5, line=dict(color="#BBBBBB", width=1, dash="dot"),
                              row=1, col=col)
    if split:
        half = X.shape[1]
        fig.add_vline(x=half - 0.5, line=dict(color="#555555", width=1, dash="dot"), row=1, col=2)
        for x, text in ((0, "positive part"), (half, "negative part, flipped")):
            fig.add_annotation(x=x, y=1, xref="x2", yref="y2 domain", text=text, showarrow=False,
                               xanchor="left", yanchor="top", font=dict(size=11, color="#555555"))
    styled(fig, title, height=300)
    fig.update_layout(margin=dict(l=50, r=20, t=70 if title else 40, b=45))
    fig.update_annotations(selector=dict(xref="paper"), font=dict(size=13))
    fig.update_xaxes(title_text="sample #" + (f" ({channels} channels, one after another)" if channels > 1 else ""),
                     row=1, col=1)
    fig.update_yaxes(title_text=amplitude_title(amplitude_unit), row=1, col=1)
    fig.update_xaxes(title_text="row of V", row=1, col=2)
    return fig


def _runs_of(values: list) -> list:
    """Runs of consecutive integers in sorted ``values``, as (first, last) pairs."""
    runs = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def spike_rank_scan_figure(ks: Sequence[int], relative_error: Sequence[float], cophenetic: Sequence[float],
                           stability: Sequence[float], separation: Sequence[float], *, suggested: int,
                           threshold: float, prediction_strength: Sequence[float] | None = None,
                           strength_threshold: float | None = None, set_aside: Sequence[int] = (),
                           too_small: Sequence[int] = (), title: str | None = None) -> go.Figure:
    """The rank scan in three panels — fit, reproducibility, separation — with the
    suggested k marked in each, the separation threshold drawn, and the ks
    set aside shaded.

    Parameters
    ----------
    ks : sequence of int
    relative_error, cophenetic, stability, separation : sequence of float, one per k
    suggested : int
        The k to mark.
    threshold : float
        Separation (d′) a k must reach to be suggested.
    prediction_strength : sequence of float, optional
        One per k, drawn in the reproducibility panel, with
        ``strength_threshold`` as a dashed line when given.
    set_aside : sequence of int
        Ranks the suggestion left out as units cut by their spikes' timing:
        grey bands in every panel.
    too_small : sequence of int
        Ranks the suggestion left out because a cluster is too small for a
        unit: grey bands as well, labelled lower down.
    """
    ks = np.asarray(ks)
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.07, subplot_titles=[
        "Fit: relative error ‖V − WH‖ / ‖V‖", "Reproducibility" if prediction_strength is not None else
        "Reproducibility over random starts",
        "Separation d′ of the closest clusters"])
    point = dict(mode="lines+markers", marker=dict(size=8))
    fig.add_trace(go.Scatter(x=ks, y=np.asarray(relative_error, dtype=float), name="relative error",
                             line=dict(color=PALETTE[0], width=2.5), **point), row=1, col=1)
    fig.add_trace(go.Scatter(x=ks, y=np.asarray(cophenetic, dtype=float), name="cophenetic correlation",
                             line=dict(color=PALETTE[2], width=2.5), **point), row=1, col=2)
    fig.add_trace(go.Scatter(x=ks, y=np.asarray(stability, dtype=float), name="stability (mean pairwise ARI)",
                             line=dict(color=PALETTE[1], width=2.5, dash="dot"), **point), row=1, col=2)
    if prediction_strength is not None:
        fig.add_trace(go.Scatter(x=ks, y=np.asarray(prediction_strength, dtype=float),
                                 name="prediction strength (half to half)", line=dict(color=PALETTE[4], width=2.5),
                                 **point), row=1, col=2)
        if strength_threshold is not None:
            fig.add_hline(y=strength_threshold, line=dict(color="#555555", width=1.5, dash="dash"), row=1, col=2)
            fig.add_annotation(x=float(ks.min()), y=strength_threshold, xref="x2", yref="y2",  # under the line, where
                               text=f"{strength_threshold:g}", showarrow=False, xanchor="left", yanchor="top",  # small k
                               font=dict(size=11, color="#555555"))  # scores near 1 leave room
    fig.add_trace(go.Scatter(x=ks, y=np.asarray(separation, dtype=float), name="separation d′",
                             line=dict(color=PALETTE[3], width=2.5), **point), row=1, col=3)
    fig.add_hline(y=threshold, line=dict(color="#555555", width=1.5, dash="dash"), row=1, col=3)
    fig.add_annotation(x=float(ks.max()), y=threshold, xref="x3", yref="y3", text=f"d′ = {threshold:g}",
                       showarrow=False, xanchor="right", yanchor="bottom", font=dict(size=11, color="#555555"))
    # each label on two lines (a run may be one k wide), the two kinds on two rows (their runs may touch)
    for ranks, label, height in ((set_aside, "set aside:<br>timing splits", 0.99),
                                 (too_small, "set aside:<br>tiny clusters", 0.80)):
        for first, last in _runs_of(sorted(int(k) for k in ranks)):
            for col in (1, 2, 3):
                fig.add_vrect(x0=first - 0.5, x1=last + 0.5, fillcolor="#888888", opacity=0.15, line_width=0,
                              layer="below", row=1, col=col)
            fig.add_annotation(x=(first + last) / 2, y=height, xref="x3", yref="y3 domain", text=label,
                               showarrow=False, yanchor="top", font=dict(size=11, color="#555555"))  # d′ is low there
    for col in (1, 2, 3):
        fig.add_vline(x=suggested, line=dict(color="#D55E00", width=2, dash="dot"), row=1, col=col)
    fig.add_annotation(x=suggested, y=1, xref="x", yref="y domain", text=f" suggested k = {suggested}",
                       showarrow=False, xanchor="left", yanchor="top", font=dict(size=12, color="#D55E00"))
    styled(fig, title, height=360)
    fig.update_layout(margin=dict(l=50, r=20, t=80 if title else 50, b=45),
                      legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="center", x=0.5))
    fig.update_annotations(selector=dict(xref="paper"), font=dict(size=13))
    # every panel over the ks scanned: a label near the last k must not widen one panel's axis
    fig.update_xaxes(title_text="rank k", dtick=1, range=[float(ks.min()) - 0.5, float(ks.max()) + 0.5])
    return fig
