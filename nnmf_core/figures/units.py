"""Figures of "from clusters to units": is a cluster one neuron (ISI
histogram, autocorrelogram, amplitude over time), which waveforms the fit
leaves unassigned (residual histogram), and which clusters to merge
(similarity heatmap, suggestion table, cross-correlogram of a pair).

Arrays in, ``go.Figure`` out: the numbers come from
:mod:`nnmf_core.spikes.physiology`, :mod:`~nnmf_core.spikes.unit_quality`,
:mod:`~nnmf_core.spikes.unassigned`, :mod:`~nnmf_core.spikes.merge_suggestions`
and :mod:`~nnmf_core.spikes.pairs`. Arrays go out as float32 and binned, so
each figure's JSON stays small.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from nnmf_core.figures.common import PALETTE, cluster_colour, styled

#: Most spikes drawn as points in the amplitude-over-time figure; beyond that an evenly spread selection.
MAX_AMPLITUDE_POINTS = 5_000
#: Colour of thresholds and the refractory period.
THRESHOLD_COLOUR = "#D55E00"


def _f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def _refractory_band(fig: go.Figure, low_ms: float, high_ms: float, label: str) -> None:
    fig.add_vrect(x0=low_ms, x1=high_ms, fillcolor=THRESHOLD_COLOUR, opacity=0.15, line_width=0, layer="below",
                  annotation_text=label, annotation_position="top left",
                  annotation=dict(font=dict(color=THRESHOLD_COLOUR, size=11)))


def isi_histogram_figure(counts, edges_ms, *, refractory_ms: float | None = 1.5, log_x: bool = False,
                         cluster: int | None = None, violations: int | None = None, title: str | None = None,
                         height: int = 300) -> go.Figure:
    """The ISI histogram as a filled step line, the refractory period shaded.

    Parameters
    ----------
    counts : array_like of int, shape (n_bins,)
    edges_ms : array_like of float, shape (n_bins + 1,)
        ms (from :func:`~nnmf_core.spikes.physiology.isi_histogram`); log
        bins need ``log_x=True``.
    refractory_ms : float or None
        Shaded from 0 (or the first edge) to here; None for no band.
    log_x : bool
    cluster : int, optional
        Colours the line like the cluster.
    violations : int, optional
        Shown in the band's label.
    """
    counts = np.asarray(counts)
    edges = _f32(edges_ms)
    colour = PALETTE[0] if cluster is None else cluster_colour(cluster)
    fig = go.Figure(go.Scatter(
        x=edges, y=np.append(counts, counts[-1:]).astype(np.float32), mode="lines", line=dict(shape="hv", color=colour),
        fill="tozeroy", name="intervals", hovertemplate="from %{x:.3g} ms: %{y:,} intervals<extra></extra>"))
    if refractory_ms is not None:
        label = f"< {refractory_ms:g} ms" + ("" if violations is None else f": {violations:,} violations")
        _refractory_band(fig, float(edges[0]), float(refractory_ms), label)
    styled(fig, title, height=height)
    fig.update_xaxes(title_text="interval to the next spike (ms)", type="log" if log_x else "linear")
    fig.update_yaxes(title_text="intervals", rangemode="tozero")
    fig.update_layout(showlegend=False)
    return fig


def autocorrelogram_figure(counts, edges_ms, *, refractory_ms: float | None = 1.5, cluster: int | None = None,
                           title: str | None = None, height: int = 300) -> go.Figure:
    """The autocorrelogram as bars, ±refractory period shaded.

    Parameters
    ----------
    counts : array_like of int, shape (n_bins,)
    edges_ms : array_like of float, shape (n_bins + 1,)
        Symmetric around 0, ms (from :func:`~nnmf_core.spikes.physiology.autocorrelogram`).
    refractory_ms : float or None
    cluster : int, optional
    """
    colour = PALETTE[0] if cluster is None else cluster_colour(cluster)
    return _correlogram_figure(counts, edges_ms, refractory_ms, colour, "lag", title, height)


def crosscorrelogram_figure(counts, edges_ms, *, refractory_ms: float | None = 1.5, pair: tuple[int, int] | None = None,
                            chance_per_ms: float | None = None, title: str | None = None,
                            height: int = 300) -> go.Figure:
    """The cross-correlogram of two clusters as bars, ±refractory period
    shaded, and the level two independent neurons would give as a dashed line.

    Parameters
    ----------
    counts : array_like of int, shape (n_bins,)
    edges_ms : array_like of float, shape (n_bins + 1,)
        Symmetric around 0, ms (from :func:`~nnmf_core.spikes.pairs.crosscorrelogram`).
    refractory_ms : float or None
    pair : (int, int), optional
        Clusters a and b: the hover names the lag "b after a".
    chance_per_ms : float, optional
        Pairs per ms of lag of independent trains (``MergeCheck.chance_per_ms``);
        drawn per bin.
    """
    a, b = pair if pair is not None else ("a", "b")
    fig = _correlogram_figure(counts, edges_ms, refractory_ms, "#555555", f"{b} after {a} by", title, height)
    if chance_per_ms is not None:
        per_bin = chance_per_ms * float(np.median(np.diff(np.asarray(edges_ms, dtype=np.float64))))
        fig.add_hline(y=per_bin, line=dict(color=PALETTE[0], width=1.5, dash="dash"),
                      annotation_text="two independent neurons", annotation_position="top right",
                      annotation=dict(font=dict(color=PALETTE[0], size=11)))
    return fig


def pair_projection_figure(edges, counts_a, counts_b, *, pair: tuple[int, int], distance: float,
                           unit: str = "", title: str | None = None, height: int = 300) -> go.Figure:
    """Two clusters' waveforms along the line joining their means, as two
    overlaid histograms in the clusters' colours, each mean marked and named.

    Parameters
    ----------
    edges : array_like of float, shape (n_bins + 1,)
        From :func:`~nnmf_core.spikes.pairs.pair_projection`: the mean of a
        at 0, that of b at its distance.
    counts_a, counts_b : array_like of int, shape (n_bins,)
    pair : (int, int)
        Clusters a and b.
    distance : float
        Where the mean of b sits (``PairProjection.distance``).
    unit : str
        The waveforms' unit, for the x axis (e.g. "µV").
    """
    edges = np.asarray(edges, dtype=np.float64)
    centres, widths = _f32((edges[:-1] + edges[1:]) / 2), _f32(np.diff(edges))
    fig = go.Figure()
    for cluster, counts in zip(pair, (counts_a, counts_b)):
        fig.add_trace(go.Bar(x=centres, y=np.asarray(counts).astype(np.float32), width=widths, name=f"cluster {cluster}",
                             marker=dict(color=cluster_colour(cluster), line_width=0), opacity=0.6,
                             hovertemplate=f"cluster {cluster}, at %{{x:.3g}}: %{{y:,}} waveforms<extra></extra>"))
    for cluster, position, side in zip(pair, (0.0, float(distance)), ("left", "right")):
        fig.add_vline(x=position, line=dict(color=cluster_colour(cluster), width=1.5, dash="dot"),
                      annotation_text=f"mean {cluster}", annotation_position=f"top {side}",
                      annotation=dict(font=dict(color=cluster_colour(cluster), size=11)))
    styled(fig, title, height=height)
    fig.update_layout(barmode="overlay", bargap=0, showlegend=False)
    fig.update_xaxes(title_text=f"along the line from mean {pair[0]} to mean {pair[1]}" + (f" ({unit})" if unit else ""))
    fig.update_yaxes(title_text="waveforms", rangemode="tozero")
    return fig


def _correlogram_figure(counts, edges_ms, refractory_ms: float | None, colour: str, lag_name: str,
                        title: str | None, height: int) -> go.Figure:
    edges = np.asarray(edges_ms, dtype=np.float64)
    fig = go.Figure(go.Bar(x=_f32((edges[:-1] + edges[1:]) / 2), y=np.asarray(counts).astype(np.float32),
                           width=_f32(np.diff(edges)), marker=dict(color=colour, line_width=0), name="pairs",
                           hovertemplate=lag_name + " %{x:.3g} ms: %{y:,} pairs<extra></extra>"))
    if refractory_ms is not None:
        _refractory_band(fig, -float(refractory_ms), float(refractory_ms), f"±{refractory_ms:g} ms")
    styled(fig, title, height=height)
    fig.update_xaxes(title_text="lag (ms)")
    fig.update_yaxes(title_text="spike pairs", rangemode="tozero")
    fig.update_layout(showlegend=False, bargap=0)
    return fig


def _evenly_spread(count: int, limit: int) -> np.ndarray:
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))


def amplitude_time_figure(times_s, amplitudes, *, drift=None, cluster: int | None = None,
                          max_points: int = MAX_AMPLITUDE_POINTS, title: str | None = None,
                          height: int = 300) -> go.Figure:
    """Every spike's amplitude against its time (a drifting electrode shows as
    a slope), with the binned median and its 10–90 % band.

    Parameters
    ----------
    times_s : array_like of float, shape (n_spikes,)
        Seconds.
    amplitudes : array_like of float, shape (n_spikes,)
        µV.
    drift : AmplitudeDrift, optional
        From :func:`~nnmf_core.spikes.unit_quality.amplitude_drift`.
    max_points : int
        Most spikes drawn (evenly spread in time); the band uses them all.
    """
    times, values = np.asarray(times_s, dtype=np.float64), np.asarray(amplitudes, dtype=np.float64)
    order = np.argsort(times, kind="stable")
    shown = order[_evenly_spread(order.size, max_points)]
    colour = PALETTE[0] if cluster is None else cluster_colour(cluster)
    fig = go.Figure(go.Scattergl(x=_f32(times[shown]), y=_f32(values[shown]), mode="markers", name="spikes",
                                 marker=dict(color=colour, size=4, opacity=0.5),
                                 hovertemplate="%{x:.3f} s: %{y:.3g} µV<extra></extra>"))
    if drift is not None:
        centres = _f32(drift.centres_s)
        fig.add_trace(go.Scatter(x=np.concatenate([centres, centres[::-1]]),
                                 y=np.concatenate([_f32(drift.upper), _f32(drift.lower)[::-1]]), fill="toself",
                                 fillcolor="rgba(0, 0, 0, 0.10)", line=dict(width=0), name="10–90 %", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=centres, y=_f32(drift.median), mode="lines+markers", name="median",
                                 line=dict(color="#000000", width=2),
                                 hovertemplate="%{x:.1f} s: median %{y:.3g} µV<extra></extra>"))
    styled(fig, title, height=height)
    fig.update_xaxes(title_text="time (s)")
    fig.update_yaxes(title_text="amplitude (µV)")
    return fig


def residual_histogram_figure(residuals, threshold: float | None, *, n_bins: int = 60, title: str | None = None,
                              height: int = 300) -> go.Figure:
    """How well the fit explains each waveform (relative residual), with the
    threshold beyond which waveforms are unassigned.

    Parameters
    ----------
    residuals : array_like of float, shape (n_waveforms,)
        From :func:`~nnmf_core.spikes.unassigned.relative_residuals`.
    threshold : float or None
    n_bins : int
    """
    values = np.asarray(residuals, dtype=np.float64)
    high = max(float(values.max()) if values.size else 1.0, threshold or 0.0) * 1.02 or 1.0
    counts, edges = np.histogram(values, bins=n_bins, range=(0.0, high))
    fig = go.Figure(go.Bar(x=_f32((edges[:-1] + edges[1:]) / 2), y=counts.astype(np.float32),
                           width=float(edges[1] - edges[0]), marker=dict(color=PALETTE[0], line_width=0),
                           name="waveforms", hovertemplate="residual %{x:.3f}: %{y:,} waveforms<extra></extra>"))
    if threshold is not None:
        beyond = int(np.count_nonzero(values > threshold))
        fig.add_vline(x=float(threshold), line=dict(color=THRESHOLD_COLOUR, width=2, dash="dash"),
                      annotation_text=f"{beyond:,} unassigned", annotation_position="top right",
                      annotation=dict(font=dict(color=THRESHOLD_COLOUR)))
    styled(fig, title, height=height)
    fig.update_xaxes(title_text="relative residual ‖v − Wh‖ / ‖v‖")
    fig.update_yaxes(title_text="waveforms")
    fig.update_layout(showlegend=False, bargap=0)
    return fig


def similarity_heatmap(similarity, clusters: Sequence[int], *, d_prime=None, title: str | None = None,
                       height: int | None = None) -> go.Figure:
    """Cosine similarity of the clusters' mean waveforms, cluster × cluster
    (hover shows d′ too when given).

    Parameters
    ----------
    similarity : array_like of float, shape (k, k)
    clusters : sequence of int, length k
    d_prime : array_like of float, shape (k, k), optional
    """
    S = _f32(similarity)
    names = [f"{int(c)}" for c in clusters]
    custom = None if d_prime is None else _f32(np.where(np.isfinite(d_prime), d_prime, np.nan))
    fig = go.Figure(go.Heatmap(
        z=S, x=names, y=names, zmin=-1, zmax=1, colorscale="RdBu_r", customdata=custom,
        text=np.vectorize(lambda v: f"{v:.2f}")(S) if S.shape[0] <= 15 else None, texttemplate="%{text}",
        colorbar=dict(title=dict(text="cosine"), thickness=12),
        hovertemplate="clusters %{y} and %{x}<br>similarity %{z:.3f}"
                      + ("<br>d′ %{customdata:.2f}" if custom is not None else "") + "<extra></extra>"))
    styled(fig, title, height=height or max(260, 80 + 28 * S.shape[0]))
    fig.update_xaxes(title_text="cluster", type="category")
    fig.update_yaxes(title_text="cluster", type="category", autorange="reversed")
    return fig


def merge_table_figure(table, *, title: str | None = None, height: int | None = None) -> go.Figure:
    """The merge suggestions (``MergeSuggestions.table``) as a table figure.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``cluster_a``, ``cluster_b``, ``similarity``, ``d_prime``, ``n_a``, ``n_b``.
    """
    cells = [
        [f"{a} + {b}" for a, b in zip(table["cluster_a"], table["cluster_b"])],
        [f"{v:.3f}" for v in table["similarity"]],
        [f"{v:.2f}" for v in table["d_prime"]],
        [f"{a:,} + {b:,}" for a, b in zip(table["n_a"], table["n_b"])],
    ]
    fig = go.Figure(go.Table(
        header=dict(values=["clusters", "similarity", "d′", "waveforms"], align="left", fill_color="#F2F5F9"),
        cells=dict(values=cells, align="left")))
    styled(fig, title, height=height or 80 + 28 * (len(table) + 1))
    return fig
