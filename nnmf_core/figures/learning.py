"""Figures of the Learn NMF pages (``app_pages/learn.py``,
``app_pages/learn_parts.py``): a fit replayed (loss so far, W and H at one
iteration), the solver race, dictionaries of patch parts against the SVD's
signed components, and held-out error against rank.

Arrays in, ``go.Figure`` out; pictures the pages show with ``st.image`` are
prepared here too (:func:`enlarged`, :func:`atom_mosaic`), never re-encoded
as JPEG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnmf_core.figures.common import PALETTE, png_data_uri, styled
from nnmf_core.figures.compression import FACTOR_COLOURSCALE, MODE_BAR_ROOM

#: Line colour of each solver in a race.
RACER_COLOURS = {"hals": PALETTE[0], "mu": PALETTE[1], "kl-mu": PALETTE[2], "sklearn-cd": PALETTE[7]}
#: Diverging scale for signed components: blue below zero, white at zero, red above.
SIGNED_COLOURSCALE = "RdBu_r"


def enlarged(pixels: np.ndarray, factor: int) -> np.ndarray:
    """A small picture with every pixel repeated ``factor`` × ``factor`` times
    (nearest neighbour: no pixel is invented).

    >>> enlarged(np.array([[0, 255]], np.uint8), 2).tolist()
    [[0, 0, 255, 255], [0, 0, 255, 255]]
    """
    pixels = np.asarray(pixels)
    return np.repeat(np.repeat(pixels, factor, axis=0), factor, axis=1)


def atom_mosaic(atoms: np.ndarray, columns: int = 8, gap: float = np.nan) -> np.ndarray:
    """Small pictures (count, p, p[, 3]) tiled in a grid with ``columns`` per
    row, one ``gap`` line between them (NaN: drawn blank)."""
    atoms = np.asarray(atoms, dtype=np.float64)
    count, p = atoms.shape[0], atoms.shape[1]
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    shape = (rows * (p + 1) - 1, columns * (p + 1) - 1) + atoms.shape[3:]
    mosaic = np.full(shape, gap)
    for index, atom in enumerate(atoms):
        top, left = index // columns * (p + 1), index % columns * (p + 1)
        mosaic[top : top + p, left : left + p] = atom
    return mosaic


def _readable_log_ticks(fig: go.Figure, values: np.ndarray, **where) -> None:
    """Ticks at 1, 2, 5 × 10ⁿ (finer when the range is short), labelled in
    full: on a log axis of less than a few decades Plotly labels 2, 3, … 9
    as bare digits."""
    positive = np.asarray(values, dtype=np.float64)
    positive = positive[np.isfinite(positive) & (positive > 0)]
    if not positive.size:
        return
    low, high = positive.min() / 1.02, positive.max() * 1.02
    powers = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    for mantissas in ((1, 2, 5), (1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9)):
        ticks = [m * 10.0**p for p in powers for m in mantissas if low <= m * 10.0**p <= high]
        if len(ticks) >= 3:
            fig.update_yaxes(tickvals=ticks, ticktext=[f"{tick:g}" for tick in ticks], **where)
            return


def replay_loss_figure(loss_history: Sequence[float], iteration: int, snapshot_iterations: Sequence[int], *,
                       loss_label: str = "loss ‖V − WH‖²", log_y: bool = True) -> go.Figure:
    """The loss of a whole fit (faint), the part up to ``iteration`` drawn
    over it, and a dot at ``iteration``; small ticks mark the snapshots."""
    losses = np.asarray(loss_history, dtype=np.float64)
    steps = np.arange(1, losses.size + 1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=losses, mode="lines", name="whole fit", line=dict(color="#c5ccd3", width=2),
                             hoverinfo="skip"))
    shown = max(0, min(int(iteration), losses.size))
    fig.add_trace(go.Scatter(x=steps[:shown], y=losses[:shown], mode="lines", name="so far",
                             line=dict(color=PALETTE[0], width=3),
                             hovertemplate="iteration %{x}<br>loss %{y:.4g}<extra></extra>"))
    if shown:
        fig.add_trace(go.Scatter(x=[shown], y=[losses[shown - 1]], mode="markers", name=f"iteration {shown}",
                                 marker=dict(color=PALETTE[5], size=11),
                                 hovertemplate="iteration %{x}<br>loss %{y:.4g}<extra></extra>"))
    marks = [i for i in snapshot_iterations if 1 <= i <= losses.size]
    fig.add_trace(go.Scatter(x=marks, y=[losses[i - 1] for i in marks], mode="markers", name="snapshots",
                             marker=dict(color="#8a949e", size=5, symbol="line-ns-open"), hoverinfo="skip"))
    styled(fig, f"Loss so far: iteration {shown} of {losses.size}", height=300 + MODE_BAR_ROOM)
    fig.update_layout(showlegend=False, margin=dict(l=60, r=20, t=50 + MODE_BAR_ROOM, b=45))
    fig.update_xaxes(title_text="iteration", range=[0, losses.size + 1])
    fig.update_yaxes(title_text=loss_label, type="log" if log_y else "linear")
    if log_y:
        _readable_log_ticks(fig, losses)
    return fig


def factor_heatmaps(W: np.ndarray, H: np.ndarray, *, W_max: float, H_max: float, row_step: int = 1,
                    column_step: int = 1, title: str | None = None) -> go.Figure:
    """W (n × k) and H (k × m) side by side as heatmaps, each with its colour
    bar on a fixed range (0 to ``W_max``, 0 to ``H_max``), so that a replay's
    frames compare. ``row_step`` and ``column_step`` say which rows of W and
    columns of H the arrays hold (1 in s)."""
    W, H = np.asarray(W), np.asarray(H)
    k = W.shape[1]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.22, 0.78], horizontal_spacing=0.14,
                        subplot_titles=(f"W: {W.shape[0] * row_step:,} rows × {k}",
                                        f"H: {k} × {H.shape[1] * column_step:,} columns"))
    fig.add_trace(go.Heatmap(z=W, x=np.arange(k), y=np.arange(W.shape[0]) * row_step, zmin=0, zmax=W_max or 1.0,
                             colorscale=FACTOR_COLOURSCALE,
                             colorbar=dict(x=fig.layout.xaxis.domain[1] + 0.01, xanchor="left", thickness=10, len=0.9,
                                           title=dict(text="W", side="top")),
                             hovertemplate="W[%{y}, %{x}] = %{z:.3g}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=H, x=np.arange(H.shape[1]) * column_step, y=np.arange(k), zmin=0, zmax=H_max or 1.0,
                             colorscale=FACTOR_COLOURSCALE,
                             colorbar=dict(x=1.01, thickness=10, len=0.9, title=dict(text="H", side="top")),
                             hovertemplate="H[%{y}, %{x}] = %{z:.3g}<extra></extra>"), row=1, col=2)
    styled(fig, title, height=330 + MODE_BAR_ROOM)
    fig.update_layout(margin=dict(l=50, r=50, t=(70 if title else 40) + MODE_BAR_ROOM, b=45))
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False)
    fig.update_xaxes(showgrid=False, zeroline=False)
    fig.update_xaxes(title_text="component", row=1, col=1)
    fig.update_yaxes(title_text="row of V", row=1, col=1)
    fig.update_xaxes(title_text="column of V", row=1, col=2)  # H's rows are the components, as W's x axis says
    return fig


def race_figure(laps: Sequence, *, log_y: bool = True) -> go.Figure:
    """Relative error against iterations (left) and against seconds (right),
    one line per solver; solvers measured at checkpoints get markers.

    ``laps`` are :class:`~nnmf_core.learning.Lap` (name, label, iterations,
    seconds, relative_error, every_iteration)."""
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=("against iterations", "against seconds"))
    for lap in laps:
        colour = RACER_COLOURS.get(lap.name, PALETTE[3])
        mode = "lines" if lap.every_iteration else "lines+markers"
        for column, x, unit in ((1, lap.iterations, "iteration %{x}"), (2, lap.seconds, "%{x:.3f} s")):
            fig.add_trace(go.Scatter(x=x, y=lap.relative_error, mode=mode, name=lap.label, legendgroup=lap.name,
                                     showlegend=column == 1, line=dict(color=colour, width=2.5),
                                     marker=dict(size=6),
                                     hovertemplate=f"{lap.label}<br>{unit}<br>error %{{y:.4f}}<extra></extra>"),
                          row=1, col=column)
    styled(fig, "The race: ‖V − WH‖ / ‖V‖ from one start", height=400 + MODE_BAR_ROOM)
    fig.update_layout(margin=dict(l=60, r=20, t=90 + MODE_BAR_ROOM, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.1, xanchor="left", x=0.0))
    fig.update_xaxes(title_text="iteration (log scale)", type="log", row=1, col=1)
    fig.update_xaxes(title_text="seconds (log scale)", type="log", row=1, col=2)
    fig.update_yaxes(title_text="relative error", type="log" if log_y else "linear", row=1, col=1)
    if log_y:
        _readable_log_ticks(fig, np.concatenate([np.asarray(lap.relative_error, float) for lap in laps]))
    return fig


def atoms_figure(nmf_atoms: np.ndarray, svd_atoms: np.ndarray, *, columns: int | None = None) -> go.Figure:
    """NMF's dictionary (non-negative parts) beside the truncated SVD's
    components (signed), as two mosaics of patch pictures.

    Gray atoms (count, p, p) are heatmaps: NMF's from black (0) to white (its
    peak), the SVD's from blue (negative) through white (0) to red. Colour
    atoms (count, p, p, 3) are pictures; the SVD's are shown around mid-gray (0).
    ``columns`` per row of a mosaic: by default about a square, at most 8.
    """
    nmf, svd = np.asarray(nmf_atoms), np.asarray(svd_atoms)
    count = nmf.shape[0]
    columns = columns or min(8, math.ceil(math.sqrt(count)))
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                        subplot_titles=(f"NMF: {count} parts, all ≥ 0", f"SVD: {count} components, signed"))
    if nmf.ndim == 3:
        fig.add_trace(go.Heatmap(z=atom_mosaic(nmf, columns), zmin=0, zmax=1, colorscale="Greys_r", showscale=False,
                                 hovertemplate="%{z:.2f}<extra></extra>"), row=1, col=1)
        fig.add_trace(go.Heatmap(z=atom_mosaic(svd, columns), zmin=-1, zmax=1, colorscale=SIGNED_COLOURSCALE,
                                 colorbar=dict(thickness=10, len=0.8, title=dict(text="sign", side="top"),
                                               tickvals=[-1, 0, 1], ticktext=["−", "0", "+"]),
                                 hovertemplate="%{z:.2f}<extra></extra>"), row=1, col=2)
    else:
        for column, atoms in ((1, nmf), (2, 0.5 + 0.5 * svd)):
            pixels = np.rint(np.clip(np.nan_to_num(atom_mosaic(atoms, columns, 1.0), nan=1.0), 0, 1) * 255)
            fig.add_trace(go.Image(source=png_data_uri(pixels.astype(np.uint8)), hoverinfo="skip"), row=1, col=column)
    rows = math.ceil(count / max(1, min(columns, count)))
    styled(fig, None, height=int(120 + 330 * rows / max(1, min(columns, count))) + MODE_BAR_ROOM)
    fig.update_layout(margin=dict(l=10, r=10, t=40 + MODE_BAR_ROOM, b=10))
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, scaleanchor=None)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    fig.update_yaxes(scaleanchor="x", row=1, col=1)
    fig.update_yaxes(scaleanchor="x2", row=1, col=2)
    return fig


def heldout_figure(ks: Sequence[int], seen: Sequence[float], heldout: Sequence[float],
                   shuffled_seen: Sequence[float] | None = None, shuffled_heldout: Sequence[float] | None = None,
                   *, best_k: int | None = None) -> go.Figure:
    """Seen and held-out relative error against rank (log axis), with the same
    for shuffled data dashed, and a dotted line at the best held-out rank."""
    fig = go.Figure()
    lines = [("seen entries", seen, PALETTE[0], "solid"), ("held-out entries", heldout, PALETTE[5], "solid")]
    if shuffled_seen is not None and shuffled_heldout is not None:
        lines += [("seen, shuffled data", shuffled_seen, PALETTE[0], "dash"),
                  ("held-out, shuffled data", shuffled_heldout, PALETTE[5], "dash")]
    for name, values, colour, dash in lines:
        fig.add_trace(go.Scatter(x=list(ks), y=list(values), mode="lines+markers", name=name,
                                 line=dict(color=colour, width=2.5, dash=dash), marker=dict(size=7),
                                 hovertemplate=f"{name}<br>k = %{{x}}<br>error %{{y:.4f}}<extra></extra>"))
    if best_k is not None:
        fig.add_vline(x=best_k, line=dict(color="#555555", width=1.5, dash="dot"))
        fig.add_annotation(x=math.log10(best_k), y=1.0, yref="paper", text=f" lowest held-out error: k = {best_k}",
                           showarrow=False, xanchor="left", yanchor="top", font=dict(size=12, color="#555555"))
    styled(fig, "Error on seen and held-out entries, by rank", height=420 + MODE_BAR_ROOM)
    fig.update_layout(margin=dict(l=60, r=20, t=90 + MODE_BAR_ROOM, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0.0))
    fig.update_xaxes(title_text="rank k (log scale)", type="log",
                     range=[math.log10(0.85 * min(ks)), math.log10(1.15 * max(ks))])
    fig.update_yaxes(title_text="relative error", type="log")
    _readable_log_ticks(fig, np.concatenate([np.asarray(values, float) for _, values, _, _ in lines]))
    return fig
