"""Waveforms by cluster, channel by channel: the notebook's clustering figure.

Thousands of waveforms are drawn as spike-sorting programs draw them: a
density image per panel (a 2-D histogram of amplitude × time, one uint8
``go.Heatmap`` per channel) with the mean and a few single waveforms on top,
which keeps the figure small (about 100 kB of JSON) whatever the number of
waveforms. Lines (one ``go.Scattergl`` per panel, waveforms joined by NaN
gaps, :func:`nan_joined`) remain for small sets.

Rows of C channels × T samples (tetrodes, probes) get one sub-panel per
channel, side by side (:func:`channel_grid`); times are in ms when the
sampling rate is known (:func:`time_axis`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from nnmf_core.figures.common import cluster_colour, styled

#: Most waveforms drawn per panel as lines; beyond that an evenly spread selection.
MAX_DRAWN_WAVEFORMS = 400
#: Panels per row of the waveforms-by-cluster figure for single-channel waveforms.
SPIKE_PANELS_PER_ROW = 5
#: How the waveforms-by-cluster figure draws the members of a panel.
PANEL_STYLES = {"density": "density image", "lines": "single lines"}
#: Cells of all the density images of one figure together (amplitude bins × samples × panels).
DENSITY_CELLS = 100_000
#: Fewest and most amplitude bins of a density image.
AMPLITUDE_BINS = (24, 80)
#: Single waveforms drawn over each density image.
EXAMPLE_WAVEFORMS = 3
_MEAN_LINE = dict(color="#000000", width=2, dash="dash")
#: The mean of a cluster drawn in a colour this dark (relative luminance, 0 … 1) is dashed white instead: a black
#: dashed line does not show on a black density image.
_DARK_LUMINANCE = 0.2
_ALL_COLOUR = "#5A5A5A"


def _mean_line(colour: str) -> dict:
    """The dashed mean line of a panel drawn in ``colour``: black, or white on a dark colour."""
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return _MEAN_LINE if luminance >= _DARK_LUMINANCE else dict(_MEAN_LINE, color="#FFFFFF")


def _rgba(colour: str, alpha: float, shade: float = 1.0) -> str:
    """``"#RRGGBB"`` darkened by ``shade`` (1 = as is) with opacity ``alpha`` as a CSS ``rgba(…)`` colour."""
    red, green, blue = (round(int(colour[i : i + 2], 16) * shade) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha:.3f})"


def _evenly_spread(count: int, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` of ``count`` items, evenly spread, in order."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))


def _line_alpha(drawn: int) -> float:
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


def time_axis(n_samples: int, sampling_rate: float | None = None) -> tuple[np.ndarray, str, str]:
    """Positions of ``n_samples`` samples, the axis title and a hover format.

    >>> x, title, hover = time_axis(3, 25_000)
    >>> x.tolist(), title, hover
    ([0.0, 0.03999999910593033, 0.07999999821186066], 'time (ms)', '%{x:.2f} ms')
    >>> time_axis(3)[1:]
    ('sample #', 'sample %{x}')
    """
    if sampling_rate:
        return (np.arange(n_samples) * (1000.0 / sampling_rate)).astype(np.float32), "time (ms)", "%{x:.2f} ms"
    return np.arange(n_samples, dtype=np.float32), "sample #", "sample %{x}"


def amplitude_title(unit: str | None = None, what: str = "amplitude") -> str:
    """``"amplitude (µV)"``, or just ``what`` without a unit."""
    return f"{what} ({unit})" if unit else what


def channel_grid(fig: go.Figure, n_panels: int, channels: int = 1, *, panels_per_row: int = SPIKE_PANELS_PER_ROW,
                 titles: Sequence[str] | None = None, x_title: str = "", y_title: str = "",
                 row_gap: float = 0.0) -> list[list[str]]:
    """Lay out ``n_panels`` panels in rows, each split into ``channels`` sub-panels side by side.

    Every x axis follows the first and every y axis follows the first (zoom
    one, all follow; one amplitude scale). Tick labels of y show on the first
    sub-panel of each row, of x under the lowest panel of each column, with
    the axis titles there; channel names (``ch 0`` …) sit in the corner of
    every sub-panel when there are several.

    Parameters
    ----------
    fig : go.Figure
        Gets the axes and the panel titles (annotations, in panel order).
    row_gap : float
        Space between rows as a fraction of the plot height (default: one
        that leaves room for a panel title).

    Returns
    -------
    list of list of str
        Axis suffix (``""``, ``"2"``, …) of every sub-panel, panel by panel,
        channel by channel: traces go on ``xaxis=f"x{suffix}"``.
    """
    columns = max(1, min(n_panels, panels_per_row))
    rows = -(-n_panels // columns)
    gap_x = 0.025 if channels == 1 else 0.04
    sub_gap = 0.008
    gap_y = row_gap or 0.14 / rows
    panel_width = (1 - gap_x * (columns - 1)) / columns
    sub_width = (panel_width - sub_gap * (channels - 1)) / channels
    row_height = (1 - gap_y * (rows - 1)) / rows
    suffixes, layout, number = [], {}, 0
    for panel in range(n_panels):
        row, column = divmod(panel, columns)
        x0, top = column * (panel_width + gap_x), 1 - row * (row_height + gap_y)
        lowest = panel + columns >= n_panels
        panel_suffixes = []
        for channel in range(channels):
            number += 1
            suffix = "" if number == 1 else str(number)
            left = x0 + channel * (sub_width + sub_gap)
            layout[f"xaxis{suffix}"] = dict(
                domain=_within([left, left + sub_width]), anchor=f"y{suffix}", matches=None if number == 1 else "x",
                showticklabels=lowest, title=dict(text=x_title if lowest and column == 0 and channel == 0 else "")
            )
            layout[f"yaxis{suffix}"] = dict(
                domain=_within([top - row_height, top]), anchor=f"x{suffix}", matches=None if number == 1 else "y",
                showticklabels=column == 0 and channel == 0,
                title=dict(text=y_title if column == 0 and channel == 0 else ""),
            )
            panel_suffixes.append(suffix)
            if channels > 1:
                fig.add_annotation(text=f"ch {channel}", x=0.03, y=0.99, xref=f"x{suffix} domain",
                                   yref=f"y{suffix} domain", xanchor="left", yanchor="top", showarrow=False,
                                   font=dict(size=10, color="#777777"))
        if titles is not None and titles[panel]:
            fig.add_annotation(text=titles[panel], x=x0 + panel_width / 2, y=top, xref="paper", yref="paper",
                               xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13))
        suffixes.append(panel_suffixes)
    fig.update_layout(layout)
    return suffixes


def _within(domain: list) -> list:
    """An axis domain rounded into [0, 1] (sums of fractions may stray by 1e-16)."""
    return [min(max(round(value, 6), 0.0), 1.0) for value in domain]


#: Sample values :func:`amplitude_bins` reads its percentiles from, at most.
PERCENTILE_VALUES = 2_000_000


def amplitude_bins(waveforms: np.ndarray, n_panels: int, cells: int = DENSITY_CELLS,
                   keep: np.ndarray | None = None) -> np.ndarray:
    """Edges of the amplitude bins shared by every density image of a figure.

    The range covers 99.6 % of all sample values (0.2 and 99.8 percentiles;
    past :data:`PERCENTILE_VALUES` values, those of an even stride of the waveforms)
    and every value of ``keep`` (the panels' means), widened by 5 %; the
    number of bins keeps the images within ``cells`` cells in all (between
    the limits of :data:`AMPLITUDE_BINS`). Whole-number samples (a file in
    integer µV or ADC counts) get bins a whole number wide, each centred on
    whole numbers: bins narrower than the data's step would alternate full
    and empty, and draw stripes.

    Returns
    -------
    ndarray of float64, shape (n_bins + 1,)

    Examples
    --------
    >>> edges = amplitude_bins(np.array([[-40.0, -3.0, 0.0, 2.0, 21.0]] * 10), 1, cells=400)
    >>> sorted(set(np.diff(edges).tolist())), float(edges[0] % 1)  # 1 wide, whole numbers in the middle
    ([1.0], 0.5)
    """
    X = np.asarray(waveforms, dtype=np.float64)
    # percentiles of at most PERCENTILE_VALUES values, every waveform's or an even stride of them (a partition
    # copies what it sorts)
    step = max(1, X.shape[0] * X.shape[1] // PERCENTILE_VALUES) if X.ndim == 2 else 1
    values = X[::step]
    low, high = np.percentile(values, [0.2, 99.8])
    if keep is not None and np.size(keep):
        low, high = min(low, float(np.min(keep))), max(high, float(np.max(keep)))
    if not high > low:
        low, high = low - 1.0, high + 1.0
    margin = 0.05 * (high - low)
    n_bins = int(np.clip(cells // max(n_panels * X.shape[1], 1), *AMPLITUDE_BINS))
    if np.array_equal(values, np.round(values)):  # whole numbers: whole-number bins, centred on them
        width = math.ceil((high - low + 2 * margin) / n_bins)
        start = math.floor(low - margin) - 0.5
        count = math.ceil((high + margin - start) / width)
        return start + width * np.arange(count + 1, dtype=np.float64)
    return np.linspace(low - margin, high + margin, n_bins + 1)


#: Sample values binned at a time by :func:`waveform_density`.
DENSITY_CHUNK = 262_144


def waveform_density(blocks: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """How many waveforms pass through each (amplitude bin, sample), per channel.

    Parameters
    ----------
    blocks : ndarray, shape (n_waveforms, channels, n_samples)
    edges : ndarray, shape (n_bins + 1,), evenly spaced
        Values outside the edges are not counted.

    Returns
    -------
    ndarray of int64, shape (channels, n_bins, n_samples)

    Examples
    --------
    >>> waveform_density(np.array([[[0.5, 1.5]], [[0.5, 0.5]]]), np.array([0.0, 1.0, 2.0]))[0].tolist()
    [[2, 1], [0, 1]]
    """
    n, channels, samples = blocks.shape
    n_bins = edges.size - 1
    counts = np.zeros(channels * n_bins * samples, dtype=np.int64)
    offsets = np.arange(channels)[None, :, None] * (n_bins * samples) + np.arange(samples)[None, None, :]
    rows = max(1, DENSITY_CHUNK // max(channels * samples, 1))
    for start in range(0, n, rows):  # a block of waveforms at a time: a few MB, whatever the recording's size
        index = np.floor((blocks[start : start + rows] - edges[0]) / (edges[1] - edges[0]))
        inside = (index >= 0) & (index < n_bins)
        cell = index.astype(np.int64) * samples + offsets
        counts += np.bincount(cell[inside], minlength=counts.size)
    return counts.reshape(channels, n_bins, samples)


def _density_image(counts: np.ndarray) -> np.ndarray:
    """Counts as uint8 intensities: the square root of the share of the panel's peak (faint tails stay visible)."""
    peak = counts.max()
    if peak == 0:
        return np.zeros(counts.shape, dtype=np.uint8)
    return np.rint(255 * np.sqrt(counts / peak)).astype(np.uint8)


def _panel_traces(members: np.ndarray, colour: str, name: str, *, x: np.ndarray, hover: str, unit: str,
                  edges: np.ndarray | None, max_drawn: int) -> list[list]:
    """Traces of one panel, per channel: density image or lines, examples, mean."""
    n, channels, samples = members.shape
    per_channel: list[list] = [[] for _ in range(channels)]
    # evenly spaced samples and bins: x0/dx and y0/dy instead of coordinate arrays
    step = float(x[1] - x[0]) if x.size > 1 else 1.0
    image = _density_image(waveform_density(members, edges)) if edges is not None and n else None
    drawn = members[_evenly_spread(n, EXAMPLE_WAVEFORMS if edges is not None else max_drawn)]
    mean = members.mean(axis=0).astype(np.float32) if n else None
    amplitude = f"%{{y:.4g}} {unit}".rstrip()
    mean_name = "mean of all" if name == "all waveforms" else f"mean of {name}"
    for channel, traces in enumerate(per_channel):
        where = f", ch {channel}" if channels > 1 else ""
        if image is not None:
            traces.append(go.Heatmap(
                z=image[channel], x0=float(x[0]), dx=step, y0=float(edges[:2].mean()), dy=float(edges[1] - edges[0]),
                zmin=0, zmax=255, showscale=False, hoverinfo="skip",
                name=f"density of {name}", colorscale=[[0, _rgba(colour, 0.0)], [1, _rgba(colour, 1.0)]]))
            xs, ys = nan_joined(drawn[:, channel], x)
            traces.append(go.Scatter(x=xs, y=ys, mode="lines", name=f"examples of {name}", hoverinfo="skip",
                                     line=dict(color=_rgba(colour, 0.75, shade=0.55), width=0.8)))
        elif edges is None:
            xs, ys = nan_joined(drawn[:, channel], x)
            traces.append(go.Scattergl(x=xs, y=ys, mode="lines", name=name, hoverinfo="skip",
                                       line=dict(color=_rgba(colour, _line_alpha(drawn.shape[0])), width=1)))
        if mean is not None:
            kind = go.Scatter if edges is not None else go.Scattergl  # WebGL draws above SVG: the mean stays on top
            traces.append(kind(x0=float(x[0]), dx=step, y=mean[channel], mode="lines", name=mean_name, line=_mean_line(colour),
                               hovertemplate=f"mean of {name}{where}<br>{hover}<br>{amplitude}<extra></extra>"))
    return per_channel


def spike_panels_figure(
    waveforms: np.ndarray,
    labels: np.ndarray,
    n_clusters: int | None = None,
    *,
    title: str | None = None,
    channels: int = 1,
    sampling_rate: float | None = None,
    amplitude_unit: str | None = None,
    style: str = "density",
    max_drawn: int = MAX_DRAWN_WAVEFORMS,
    panels_per_row: int | None = None,
) -> go.Figure:
    """The notebook's clustering figure: all waveforms, then one panel per cluster.

    ``style="density"`` draws each panel's members as a density image (a 2-D
    histogram of amplitude × time on bins shared by all panels, intensity
    the square root of the count relative to the panel's peak) in the
    cluster's colour, with :data:`EXAMPLE_WAVEFORMS` single waveforms and
    the mean (black dashed) on top; its JSON is about the same for 100 or
    100,000 waveforms. ``style="lines"`` draws at most ``max_drawn``
    waveforms per panel (evenly picked) as one translucent ``go.Scattergl``
    and the mean as another. The first panel shows every waveform in gray.

    Parameters
    ----------
    waveforms : ndarray, shape (n_waveforms, channels · n_samples)
        Channel after channel within a row.
    labels : ndarray of int, shape (n_waveforms,), values 0 … n_clusters − 1
    n_clusters : int, optional
        Panels after the first (default ``labels.max() + 1``); an empty
        cluster gets an empty panel.
    channels : int
        Sub-panels per panel, one per channel, side by side.
    sampling_rate : float, optional
        Samples per second: the time axis in ms (else sample numbers).
    amplitude_unit : str, optional
        Unit of the amplitude axis and its hover text (``"µV"``).
    panels_per_row : int, optional
        Default :data:`SPIKE_PANELS_PER_ROW` panels for one channel, fewer
        for several (8 sub-panels per row at most, at least one panel).

    Returns
    -------
    go.Figure
        Panel titles (annotations, in order) name the cluster and its size;
        trace names say what each trace is (``"density of cluster 2"``,
        ``"examples of cluster 2"``, ``"mean of cluster 2"``; lines are
        named ``"cluster 2"`` / ``"all waveforms"``).
    """
    if style not in PANEL_STYLES:
        raise ValueError(f"style must be one of {sorted(PANEL_STYLES)}; got {style!r}")
    X = np.asarray(waveforms)
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if n_clusters is None else int(n_clusters)
    samples = X.shape[1] // channels
    blocks = X.reshape(X.shape[0], channels, samples)
    counts = np.bincount(labels, minlength=k)
    panels = k + 1
    per_row = panels_per_row or max(1, min(SPIKE_PANELS_PER_ROW, 8 // channels))
    x, x_title, hover = time_axis(samples, sampling_rate)
    titles = [f"All waveforms ({X.shape[0]:,})"] + [f"Cluster {c} ({counts[c]:,})" for c in range(k)]
    fig = go.Figure()
    suffixes = channel_grid(fig, panels, channels, panels_per_row=per_row, titles=titles, x_title=x_title,
                            y_title=amplitude_title(amplitude_unit))
    means = np.array([X[labels == c].mean(axis=0) for c in range(k) if counts[c]])
    edges = amplitude_bins(X, panels, keep=means) if style == "density" else None
    for panel, suffix_row in enumerate(suffixes):
        members = blocks if panel == 0 else blocks[labels == panel - 1]
        colour = _ALL_COLOUR if panel == 0 else cluster_colour(panel - 1)
        name = "all waveforms" if panel == 0 else f"cluster {panel - 1}"
        traces = _panel_traces(members, colour, name, x=x, hover=hover, unit=amplitude_unit or "", edges=edges,
                               max_drawn=max_drawn)
        for suffix, channel_traces in zip(suffix_row, traces):
            for trace in channel_traces:
                fig.add_trace(trace.update(xaxis=f"x{suffix}", yaxis=f"y{suffix}", showlegend=False))
    rows = math.ceil(panels / min(panels, per_row))
    styled(fig, title, height=(230 if channels > 1 else 250) * rows + (70 if title else 40))
    fig.update_layout(showlegend=False, margin=dict(l=60, r=15, t=75 if title else 40, b=45))
    if edges is not None:
        fig.update_yaxes(range=[float(edges[0]), float(edges[-1])])
    return fig
