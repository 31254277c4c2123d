"""The spike-clustering figures: arrays in, go.Figure out (nnmf_core.figures,
spikes and waveforms). Checked on hand-made arrays whose answer is known."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from nnmf_core import figures
from nnmf_core.figures import (
    PALETTE,
    nan_joined,
    spike_panels_figure,
    spike_rank_scan_figure,
    spike_scatter_figure,
    spike_sizes_figure,
    spike_templates_figure,
    spike_transform_figure,
    spike_weights_heatmap,
    waveform_density,
)
from nnmf_core.figures.common import SVG_MAX_MARKERS


@pytest.fixture
def clustered():
    """30 waveforms of 12 samples in 3 clusters of 8, 10 and 12: cluster c is c + 1 everywhere plus noise."""
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], [8, 10, 12])
    rng.shuffle(labels)
    waveforms = labels[:, None] + 1.0 + 0.01 * rng.standard_normal((labels.size, 12))
    return waveforms, labels


def rgb(colour: str) -> tuple[int, int, int]:
    """'#RRGGBB' or 'rgba(r, g, b, a)' to (r, g, b)."""
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return tuple(int(part) for part in colour[colour.index("(") + 1 :].split(",")[:3])


def test_nan_joined_puts_one_nan_after_every_waveform():
    xs, ys = nan_joined(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert xs.dtype == np.float32 and ys.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(ys), [False, False, False, True] * 2)
    np.testing.assert_array_equal(np.isnan(xs), np.isnan(ys))
    np.testing.assert_array_equal(ys[~np.isnan(ys)], [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(xs[~np.isnan(xs)], [0, 1, 2, 0, 1, 2])
    xs, _ = nan_joined(np.ones((1, 3)), x=np.array([0.5, 1.0, 1.5]))
    np.testing.assert_array_equal(xs[:3], [0.5, 1.0, 1.5])


def test_panels_as_lines_have_one_webgl_trace_per_cluster_with_nan_separators(clustered):
    waveforms, labels = clustered
    fig = spike_panels_figure(waveforms, labels, 3, title="Clusters", style="lines")
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["All waveforms (30)", "Cluster 0 (8)", "Cluster 1 (10)", "Cluster 2 (12)"]
    assert fig.layout.title.text == "Clusters"
    lines = [trace for trace in fig.data if trace.name == "all waveforms" or trace.name.startswith("cluster ")]
    assert [trace.name for trace in lines] == ["all waveforms", "cluster 0", "cluster 1", "cluster 2"]
    for trace, count in zip(lines, [30, 8, 10, 12]):
        assert isinstance(trace, go.Scattergl) and trace.mode == "lines"
        assert trace.y.dtype == np.float32 and trace.x.dtype == np.float32
        assert np.isnan(trace.y).sum() == count  # one separator per waveform drawn
        assert trace.y.size == count * (12 + 1)
    # cluster c's lines are its own members (values near c + 1) in its palette colour
    for c, trace in enumerate(lines[1:]):
        values = trace.y[~np.isnan(trace.y)]
        assert np.all(np.abs(values - (c + 1)) < 0.1)
        assert rgb(trace.line.color) == rgb(PALETTE[c])
    # each panel's mean: black dashed, the mean of all its members
    means = {trace.name: trace for trace in fig.data if trace.name.startswith("mean of")}
    assert set(means) == {"mean of all", "mean of cluster 0", "mean of cluster 1", "mean of cluster 2"}
    np.testing.assert_allclose(means["mean of cluster 2"].y, waveforms[labels == 2].mean(axis=0), rtol=1e-6)
    assert means["mean of all"].line.dash == "dash" and means["mean of all"].line.color == "#000000"


def test_a_cluster_drawn_in_black_gets_a_white_mean_line():
    labels = np.arange(40) % 8  # cluster 7 takes the palette's black
    waveforms = np.sin(np.linspace(0, 3, 12))[None, :] * (1 + labels[:, None]).astype(float)
    assert PALETTE[7] == "#000000"
    fig = spike_panels_figure(waveforms, labels, 8)
    colours = {trace.name: trace.line.color for trace in fig.data if trace.name.startswith("mean of")}
    assert colours.pop("mean of cluster 7") == "#FFFFFF"
    assert set(colours.values()) == {"#000000"}  # the grey 'all' panel and the seven lighter clusters


def test_panels_share_the_y_axis_and_wrap_into_rows(clustered):
    waveforms, labels = clustered
    fig = spike_panels_figure(waveforms, labels, 3, panels_per_row=2)
    # 4 panels in 2 rows, all on one amplitude scale: every y axis but one follows that one
    matches = [fig.layout[f"yaxis{i}"].matches for i in ("", "2", "3", "4")]
    assert matches.count(None) == 1 and len(set(matches) - {None}) == 1
    assert fig.layout.xaxis3.title.text == "sample #" and fig.layout.yaxis.title.text == "amplitude"
    assert not fig.layout.xaxis4.title.text  # the axis title once, under the first column
    assert not fig.layout.xaxis.showticklabels and fig.layout.xaxis3.showticklabels  # ticks under the lowest panels
    domains = {tuple(fig.layout[f"yaxis{i}"].domain) for i in ("", "2", "3", "4")}
    assert len(domains) == 2


def test_panels_as_lines_thin_large_clusters_and_keep_empty_ones(clustered):
    waveforms, labels = clustered
    fig = spike_panels_figure(waveforms, labels, 4, max_drawn=5, style="lines")
    lines = {trace.name: trace for trace in fig.data if isinstance(trace, go.Scattergl) and trace.mode == "lines"
             and not trace.name.startswith("mean")}
    assert np.isnan(lines["all waveforms"].y).sum() == 5
    assert np.isnan(lines["cluster 2"].y).sum() == 5
    assert lines["cluster 3"].y.size == 0  # the empty cluster has a panel but no lines and no mean
    assert [a.text for a in fig.layout.annotations][-1] == "Cluster 3 (0)"
    assert "mean of cluster 3" not in [trace.name for trace in fig.data]


def test_density_counts_every_waveform_once_per_sample():
    rng = np.random.default_rng(1)
    blocks = rng.normal(size=(200, 2, 7))
    edges = np.linspace(-10, 10, 41)
    counts = waveform_density(blocks, edges)
    assert counts.shape == (2, 40, 7) and counts.dtype == np.int64
    np.testing.assert_array_equal(counts.sum(axis=1), 200)  # every waveform in one bin per sample
    for channel, sample in ((0, 0), (1, 6)):  # against NumPy's own histogram
        np.testing.assert_array_equal(counts[channel, :, sample], np.histogram(blocks[:, channel, sample], edges)[0])
    assert waveform_density(blocks + 100.0, edges).sum() == 0  # values outside the edges are not counted


def test_density_panels_are_one_uint8_image_per_panel_with_examples_and_the_mean(clustered):
    waveforms, labels = clustered
    fig = spike_panels_figure(waveforms, labels, 3, sampling_rate=10_000, amplitude_unit="µV")
    images = [trace for trace in fig.data if isinstance(trace, go.Heatmap)]
    names = ["density of all waveforms"] + [f"density of cluster {c}" for c in range(3)]
    assert [trace.name for trace in images] == names
    for trace in images:
        assert trace.z.dtype == np.uint8 and trace.z.shape[1] == 12 and trace.z.max() == 255
        assert trace.x0 == 0 and trace.dx == pytest.approx(0.1)  # 10 kHz: 0.1 ms per sample
        assert trace.colorscale[0][1].endswith("0.000)")  # no waveform: transparent
    assert rgb(images[2].colorscale[-1][1]) == rgb(PALETTE[1])  # cluster 1 in its colour
    # cluster 1's image is lit only near 2: where its members are
    y = images[2].y0 + images[2].dy * np.arange(images[2].z.shape[0])
    assert np.all(np.abs(y[images[2].z.max(axis=1) > 0] - 2.0) < 0.2)
    examples = [trace for trace in fig.data if trace.name.startswith("examples of")]
    assert [np.isnan(trace.y).sum() for trace in examples] == [figures.EXAMPLE_WAVEFORMS] * 4
    mean = next(trace for trace in fig.data if trace.name == "mean of cluster 2")
    np.testing.assert_allclose(mean.y, waveforms[labels == 2].mean(axis=0), rtol=1e-6)
    assert "ms" in mean.hovertemplate and "µV" in mean.hovertemplate
    low, high = fig.layout.yaxis.range  # one amplitude scale that holds every waveform here
    assert low < waveforms.min() and high > waveforms.max()
    assert fig.layout.xaxis.title.text == "time (ms)" and fig.layout.yaxis.title.text == "amplitude (µV)"


def test_density_panels_cost_the_same_for_many_waveforms():
    rng = np.random.default_rng(2)
    few, many = rng.normal(size=(500, 60)), rng.normal(size=(20_000, 60))
    sizes = [len(spike_panels_figure(X, rng.integers(0, 4, len(X)), 4).to_json()) for X in (few, many)]
    lines = len(spike_panels_figure(many, rng.integers(0, 4, len(many)), 4, style="lines").to_json())
    assert sizes[1] < 1.1 * sizes[0] and sizes[1] < lines / 5


def test_channels_get_a_sub_panel_each_side_by_side(clustered):
    waveforms, labels = clustered  # 12 samples = 3 channels × 4
    fig = spike_panels_figure(waveforms, labels, 3, channels=3, panels_per_row=2)
    x_axes = [name for name in fig.layout if name.startswith("xaxis")]
    assert len(x_axes) == 4 * 3
    titles = [a.text for a in fig.layout.annotations if "(" in a.text]
    channel_names = [a.text for a in fig.layout.annotations if a.text.startswith("ch ")]
    assert len(titles) == 4 and channel_names == ["ch 0", "ch 1", "ch 2"] * 4
    first = [fig.layout[name].domain for name in ("xaxis", "xaxis2", "xaxis3")]  # one panel's channels, left to right
    assert first[0][1] < first[1][0] and first[1][1] < first[2][0]
    # cluster 1 is the third panel (axes 7, 8, 9): its second channel's image
    image = next(trace for trace in fig.data if trace.name == "density of cluster 1" and trace.xaxis == "x8")
    assert image.z.shape[1] == 4
    with pytest.raises(ValueError, match="style"):
        spike_panels_figure(waveforms, labels, 3, style="dots")


def test_templates_are_one_line_each_in_cluster_colours():
    templates = np.array([[0.0, -1.0, 0.5, 0.0], [0.0, -0.5, -0.5, 0.2]])
    fig = spike_templates_figure(templates, title="W")
    assert [trace.name for trace in fig.data] == ["template 0", "template 1"]
    np.testing.assert_array_equal(fig.data[1].y, templates[1].astype(np.float32))
    assert [trace.line.color for trace in fig.data] == PALETTE[:2]
    assert fig.layout.title.text == "W" and fig.layout.xaxis.title.text == "sample #"
    low, high = fig.layout.yaxis.range
    assert low < -1.0 and high > 0.5


def test_templates_per_channel_in_ms():
    templates = np.arange(12.0).reshape(2, 6)
    fig = spike_templates_figure(templates, channels=2, sampling_rate=1000.0)
    assert [(trace.name, trace.xaxis) for trace in fig.data] == [
        ("template 0", "x"), ("template 0", "x2"), ("template 1", "x"), ("template 1", "x2")]
    np.testing.assert_array_equal(fig.data[3].y, [9.0, 10.0, 11.0])
    np.testing.assert_array_equal(fig.data[0].x, [0.0, 1.0, 2.0])  # 1 kHz: 1 ms per sample
    assert [trace.showlegend for trace in fig.data] == [True, False, True, False]
    assert fig.layout.xaxis.title.text == "time (ms)"


def test_weights_heatmap_sorts_the_waveforms_by_cluster():
    H = np.array([[5.0, 0.0, 4.0, 1.0, 0.0], [0.0, 3.0, 1.0, 0.0, 2.0]])
    labels = np.array([1, 0, 1, 1, 0])
    fig = spike_weights_heatmap(H, labels, 2, title="H")
    strip, heatmap = fig.data
    np.testing.assert_array_equal(strip.z[0], [0, 0, 1, 1, 1])
    # cluster 0 (columns 1, 4), strongest template 1, larger weight first; then cluster 1 (0, 2, 3)
    np.testing.assert_array_equal(heatmap.z, H[:, [1, 4, 0, 2, 3]].astype(np.float32))
    assert list(heatmap.y) == ["template 0", "template 1"]
    boundaries = [shape.x0 for shape in fig.layout.shapes]
    assert boundaries == [1.5]
    assert fig.layout.title.text == "H"


def test_weights_heatmap_thins_wide_matrices_evenly():
    labels = np.repeat([0, 1], 500)
    H = np.vstack([labels == 0, labels == 1]).astype(float)
    fig = spike_weights_heatmap(H, labels, 2, max_columns=100)
    strip, heatmap = fig.data
    assert heatmap.z.shape == (2, 100)
    assert 45 <= (strip.z[0] == 0).sum() <= 55


def test_scatter_has_one_trace_per_cluster_with_hover_text_svg_for_few_webgl_for_many(clustered):
    waveforms, labels = clustered
    ids = [f"w{i}" for i in range(labels.size)]
    fig = spike_scatter_figure(waveforms[:, :2], labels, 3, axis_titles=("PC1", "PC2"), title="S", hover_text=ids)
    assert len(fig.data) == 3 and all(type(trace) is go.Scatter for trace in fig.data)  # 30 markers: SVG
    many = np.arange(SVG_MAX_MARKERS + 1) % 3
    assert all(type(trace) is go.Scattergl for trace in spike_scatter_figure(np.ones((many.size, 2)), many, 3).data)
    assert [trace.name for trace in fig.data] == ["cluster 0 (8)", "cluster 1 (10)", "cluster 2 (12)"]
    members = np.flatnonzero(labels == 1)
    assert list(fig.data[1].text) == [ids[i] for i in members]
    np.testing.assert_array_equal(fig.data[1].x, waveforms[members, 0].astype(np.float32))
    assert [trace.marker.color for trace in fig.data] == PALETTE[:3]
    assert fig.layout.xaxis.title.text == "PC1" and fig.layout.yaxis.title.text == "PC2"


def test_sizes_count_every_cluster_including_empty_ones():
    fig = spike_sizes_figure(np.array([0, 2, 2, 0, 2]), 4, title="Sizes")
    bar = fig.data[0]
    assert list(bar.x) == ["0", "1", "2", "3"]
    assert list(bar.y) == [2, 0, 3, 0]
    assert list(bar.marker.color) == PALETTE[:4]
    assert fig.layout.title.text == "Sizes"


def test_transform_figure_shows_before_and_after_and_marks_the_split():
    waveforms = np.array([[1.0, -2.0, 0.5], [0.0, -1.0, 1.0]])
    V = np.vstack([np.maximum(waveforms.T, 0), np.maximum(-waveforms.T, 0)])
    fig = spike_transform_figure(waveforms, V, split=True, title="T")
    before, after = fig.data
    np.testing.assert_array_equal(before.y[~np.isnan(before.y)], waveforms.ravel().astype(np.float32))
    assert after.y.size == 2 * (6 + 1) and np.nanmin(after.y) >= 0
    texts = [a.text for a in fig.layout.annotations]
    assert "positive part" in texts and "negative part, flipped" in texts
    assert any(shape.x0 == 2.5 for shape in fig.layout.shapes)  # the boundary between the halves
    unsplit = spike_transform_figure(waveforms, waveforms.T + 2.0, split=False)
    assert "positive part" not in [a.text for a in unsplit.layout.annotations]


def test_rank_scan_figure_marks_the_suggested_rank_and_the_threshold():
    ks = [2, 3, 4, 5]
    fig = spike_rank_scan_figure(ks, [0.3, 0.25, 0.2, 0.19], [1.0, 0.99, 0.99, 0.95], [1.0, 0.98, 0.97, 0.8],
                                 [5.0, 4.5, 4.2, 3.0], suggested=4, threshold=4.0, title="Which k?")
    assert [trace.name for trace in fig.data] == ["relative error", "cophenetic correlation",
                                                  "stability (mean pairwise ARI)", "separation d′"]
    np.testing.assert_array_equal(fig.data[3].y, [5.0, 4.5, 4.2, 3.0])
    vertical = [shape for shape in fig.layout.shapes if shape.x0 == shape.x1 == 4]
    assert len(vertical) == 3  # the suggestion in every panel
    assert any(shape.y0 == shape.y1 == 4.0 for shape in fig.layout.shapes)
    assert any(a.text.strip() == "suggested k = 4" for a in fig.layout.annotations)
    assert fig.layout.title.text == "Which k?"
    with_strength = spike_rank_scan_figure(ks, [0.3, 0.25, 0.2, 0.19], [1.0, 0.99, 0.99, 0.95], [1.0, 0.98, 0.97, 0.8],
                                           [5.0, 4.5, 4.2, 3.0], suggested=4, threshold=4.0,
                                           prediction_strength=[0.99, 0.9, 0.85, 0.4], strength_threshold=0.8)
    strength = with_strength.data[3]
    assert strength.name.startswith("prediction strength") and strength.xaxis == "x2"
    np.testing.assert_array_equal(strength.y, [0.99, 0.9, 0.85, 0.4])
    assert any(shape.y0 == shape.y1 == 0.8 and shape.yref == "y2" for shape in with_strength.layout.shapes)


def test_rank_scan_figure_shades_the_ranks_set_aside():
    ks = [2, 3, 4, 5, 6, 7, 8]
    fig = spike_rank_scan_figure(ks, np.linspace(0.3, 0.2, 7), [1.0] * 7, [1.0] * 7, [5.8, 2.5, 2.4, 1.8, 2.0, 1.4, 1.5],
                                 suggested=3, threshold=4.0, set_aside=[8, 6, 7])
    bands = [shape for shape in fig.layout.shapes if shape.type == "rect"]
    assert len(bands) == 3 and {(band.x0, band.x1) for band in bands} == {(5.5, 8.5)}  # one run, in every panel
    assert [a.text for a in fig.layout.annotations].count("set aside:<br>timing splits") == 1
    # every panel spans the ks scanned, whatever labels sit near the last k
    assert {tuple(axis.range) for axis in (fig.layout.xaxis, fig.layout.xaxis2, fig.layout.xaxis3)} == {(1.5, 8.5)}
    apart = spike_rank_scan_figure(ks, np.linspace(0.3, 0.2, 7), [1.0] * 7, [1.0] * 7, [5.0] * 7, suggested=3,
                                   threshold=4.0, set_aside=[4, 7])
    assert sorted({(s.x0, s.x1) for s in apart.layout.shapes if s.type == "rect"}) == [(3.5, 4.5), (6.5, 7.5)]
    assert not [s for s in spike_rank_scan_figure(ks, np.linspace(0.3, 0.2, 7), [1.0] * 7, [1.0] * 7, [5.0] * 7,
                                                  suggested=3, threshold=4.0).layout.shapes if s.type == "rect"]
    both = spike_rank_scan_figure(ks, np.linspace(0.3, 0.2, 7), [1.0] * 7, [1.0] * 7, [5.0] * 7, suggested=3,
                                  threshold=4.0, set_aside=[5], too_small=[6, 7, 8])
    assert sorted({(s.x0, s.x1) for s in both.layout.shapes if s.type == "rect"}) == [(4.5, 5.5), (5.5, 8.5)]
    labels = {a.text: a.y for a in both.layout.annotations if a.text.startswith("set aside")}
    # touching runs, two rows
    assert labels == {"set aside:<br>timing splits": 0.99, "set aside:<br>tiny clusters": 0.80}


def test_spike_figures_use_no_streamlit():
    assert "streamlit" not in vars(figures)


def test_no_figures_module_uses_streamlit_or_fits():
    from nnmf_core.figures import common, compression, spikes, waveforms

    for module in (figures, common, compression, spikes, waveforms):
        assert "streamlit" not in vars(module) and "factorize" not in vars(module), module.__name__
    assert figures.spike_panels_figure is spikes.spike_panels_figure and figures.styled is common.styled


def test_whole_number_samples_get_whole_number_bins_without_empty_stripes():
    from nnmf_core.figures.waveforms import amplitude_bins, waveform_density

    rng = np.random.default_rng(0)
    X = np.round(rng.normal(0.0, 8.0, size=(200, 60)))  # a file in integer µV: 50 µV across, 80 bins would be 0.6 wide
    edges = amplitude_bins(X, n_panels=1)
    assert np.allclose(np.diff(edges), np.round(np.diff(edges))) and np.allclose(edges % 1, 0.5)
    rows = waveform_density(X[:, None, :], edges)[0].sum(axis=1)
    occupied = np.flatnonzero(rows)
    assert (rows[occupied[0]:occupied[-1] + 1] > 0).all()  # no empty row between two full ones
    fractional = np.diff(amplitude_bins(X + 0.25, n_panels=1))  # other samples: the range split evenly, as before
    assert np.allclose(fractional, fractional[0]) and not np.isclose(fractional[0] % 1, 0)
