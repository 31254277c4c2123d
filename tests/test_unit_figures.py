"""The "from clusters to units" figures (nnmf_core.figures.units): arrays in,
go.Figure out, with the traces, thresholds and sizes expected."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from nnmf_core import figures
from nnmf_core.figures.common import cluster_colour
from nnmf_core.spikes import (
    amplitude_drift,
    autocorrelogram,
    crosscorrelogram,
    isi_histogram,
    merge_refractory_check,
    merge_suggestions,
    pair_projection,
    synthetic_spikes,
)


@pytest.fixture(scope="module")
def train():
    rng = np.random.default_rng(0)
    return np.sort(rng.uniform(0, 300, 20_000))


def shapes_and_annotations(fig: go.Figure) -> tuple[list, list]:
    return list(fig.layout.shapes), [a.text for a in fig.layout.annotations]


def test_isi_histogram_figure_marks_the_refractory_period(train):
    hist = isi_histogram(train, log_bins=True)
    fig = figures.isi_histogram_figure(hist.counts, hist.edges_ms, refractory_ms=2.0, log_x=True, violations=17, cluster=3)
    (trace,) = fig.data
    assert trace.line.shape == "hv" and len(trace.x) == hist.edges_ms.size and trace.x.dtype == np.float32
    assert fig.layout.xaxis.type == "log" and trace.line.color == figures.cluster_colour(3)
    shapes, notes = shapes_and_annotations(fig)
    assert shapes[0].x1 == 2.0 and "17 violations" in notes[0]
    plain = figures.isi_histogram_figure(hist.counts, np.linspace(0, 50, 101)[: hist.counts.size + 1], refractory_ms=None)
    assert not plain.layout.shapes and plain.layout.xaxis.type == "linear"


def test_autocorrelogram_figure_has_one_bar_per_bin(train):
    acg = autocorrelogram(train, window_ms=30, bin_ms=0.5)
    fig = figures.autocorrelogram_figure(acg.counts, acg.edges_ms, refractory_ms=1.5)
    (bars,) = fig.data
    assert isinstance(bars, go.Bar) and len(bars.x) == 120 and bars.x[0] == pytest.approx(-29.75)
    assert np.array_equal(np.asarray(bars.y), acg.counts.astype(np.float32))
    shapes, _ = shapes_and_annotations(fig)
    assert (shapes[0].x0, shapes[0].x1) == (-1.5, 1.5)


def test_crosscorrelogram_figure_draws_the_chance_level_per_bin(train):
    other = np.sort(np.random.default_rng(1).uniform(0, 300, 5_000))
    ccg = crosscorrelogram(train, other, window_ms=20, bin_ms=0.5)
    check = merge_refractory_check(np.concatenate([train, other]), np.repeat([2, 5], [train.size, other.size]), 2, 5,
                                   duration_s=300.0)
    fig = figures.crosscorrelogram_figure(ccg.counts, ccg.edges_ms, refractory_ms=1.5, pair=(2, 5),
                                          chance_per_ms=check.chance_per_ms)
    (bars,) = fig.data
    assert len(bars.x) == 80 and np.array_equal(np.asarray(bars.y), ccg.counts.astype(np.float32))
    assert "5 after 2 by" in bars.hovertemplate
    shapes, texts = shapes_and_annotations(fig)
    band, chance = shapes
    assert (band.x0, band.x1) == (-1.5, 1.5)
    per_bin = train.size * other.size / 300_000 * 0.5
    assert chance.y0 == chance.y1 == pytest.approx(per_bin) and "two independent neurons" in texts
    assert abs(ccg.counts.mean() / per_bin - 1) < 0.05  # independent uniform trains sit on the line


def test_pair_projection_figure_overlays_both_clusters_in_their_colours_with_their_means():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(0, 1, (300, 4)), rng.normal(0, 1, (100, 4)) + [5, 0, 0, 0]])
    found = pair_projection(X, np.repeat([3, 7], [300, 100]), 3, 7, n_bins=30)
    fig = figures.pair_projection_figure(found.edges, found.counts_a, found.counts_b, pair=(3, 7),
                                         distance=found.distance, title="t")
    first, second = fig.data
    assert (first.name, second.name) == ("cluster 3", "cluster 7") and fig.layout.barmode == "overlay"
    assert (first.marker.color, second.marker.color) == (cluster_colour(3), cluster_colour(7))
    assert np.asarray(first.y).sum() == 300 and np.asarray(second.y).sum() == 100 and len(first.x) == 30
    shapes, texts = shapes_and_annotations(fig)
    assert [shape.x0 for shape in shapes] == [0.0, pytest.approx(found.distance)] and texts == ["mean 3", "mean 7"]


def test_amplitude_time_figure_thins_points_and_draws_the_drift(train):
    amplitudes = 80 - 0.05 * train
    drift = amplitude_drift(train, amplitudes, n_bins=15)
    fig = figures.amplitude_time_figure(train, amplitudes, drift=drift, max_points=1_000)
    points, band, median = fig.data
    assert isinstance(points, go.Scattergl) and len(points.x) == 1_000 and points.y.dtype == np.float32
    assert len(median.x) == 15 and len(band.x) == 30 and band.fill == "toself"
    assert len(fig.to_json()) < 60_000
    assert len(figures.amplitude_time_figure(train[:50], amplitudes[:50]).data) == 1


def test_residual_histogram_counts_every_waveform_and_marks_the_threshold():
    residuals = np.r_[np.linspace(0.05, 0.3, 990), np.full(10, 0.8)]
    fig = figures.residual_histogram_figure(residuals, 0.5, n_bins=40)
    (bars,) = fig.data
    assert len(bars.x) == 40 and float(np.sum(bars.y)) == 1000
    shapes, notes = shapes_and_annotations(fig)
    assert shapes[0].x0 == 0.5 and notes == ["10 unassigned"]
    assert not figures.residual_histogram_figure(residuals, None).layout.shapes


def test_similarity_heatmap_and_merge_table():
    waveforms, units = synthetic_spikes(n_per_unit=40, random_state=1)
    found = merge_suggestions(waveforms, units, top=4)
    heat = figures.similarity_heatmap(found.similarity, found.clusters, d_prime=found.d_prime)
    (trace,) = heat.data
    assert isinstance(trace, go.Heatmap) and np.asarray(trace.z).shape == (4, 4) and trace.zmin == -1
    assert list(trace.x) == ["0", "1", "2", "3"] and "d′" in trace.hovertemplate
    table = figures.merge_table_figure(found.table)
    (cells,) = table.data
    assert isinstance(cells, go.Table) and len(cells.cells.values[0]) == 4
    assert cells.cells.values[0][0] == f"{found.table.cluster_a[0]} + {found.table.cluster_b[0]}"
    empty = figures.merge_table_figure(pd.DataFrame(columns=found.table.columns))
    assert len(empty.data[0].cells.values[0]) == 0
