"""Are two clusters one neuron? The cross-correlogram (against every pair counted
by hand and against SpikeInterface's correlograms), the refractory check of a
merge (a neuron cut in two adds no violation, two neurons add what chance gives),
and the pair's waveforms along the line between their means."""

from __future__ import annotations

import numpy as np
import pytest
from spike_trains import on_samples, poisson_train, spikeinterface_analyzer

from nnmf_core.errors import InputError
from nnmf_core.spikes import (
    CUT_UNIT_SEPARATION,
    autocorrelogram,
    crosscorrelogram,
    merge_refractory_check,
    merge_suggestions,
    pair_projection,
)
from nnmf_core.spikes import pairs as pairs_module


def every_pair(a: np.ndarray, b: np.ndarray, half: int, size: float) -> np.ndarray:
    lags = (b[None, :] - a[:, None]).ravel()
    index = np.floor_divide(lags, size).astype(np.int64) + half
    return np.bincount(index[(index >= 0) & (index < 2 * half)], minlength=2 * half)


def test_the_cross_correlogram_counts_every_pair_of_lags_b_minus_a(monkeypatch):
    rng = np.random.default_rng(0)
    a = rng.choice(400_000, size=500, replace=False)  # samples at 20 kHz, any order
    b = rng.choice(400_000, size=300, replace=False)
    ccg = crosscorrelogram(a / 20_000, b / 20_000, window_ms=20, bin_ms=1, sampling_rate=20_000)
    assert np.array_equal(ccg.counts, every_pair(a, b, 20, 20))
    assert ccg.edges_ms[0] == -20 and ccg.edges_ms[-1] == 20
    # swapped, the lags change sign (bins are [edge, next edge): not a mere mirror of the counts)
    swapped = crosscorrelogram(b / 20_000, a / 20_000, window_ms=20, bin_ms=1, sampling_rate=20_000)
    assert np.array_equal(swapped.counts, every_pair(b, a, 20, 20))
    # without the sampling rate, seconds
    seconds = crosscorrelogram(a / 20_000, b / 20_000, window_ms=20, bin_ms=1)
    assert seconds.counts.sum() == ccg.counts.sum()
    # in passes of a few pairs each, the same counts
    monkeypatch.setattr(pairs_module, "PAIRS_PER_PASS", 7)
    assert np.array_equal(crosscorrelogram(a / 20_000, b / 20_000, window_ms=20, bin_ms=1,
                                           sampling_rate=20_000).counts, ccg.counts)


def test_a_unit_with_itself_is_its_autocorrelogram_plus_each_spike_with_itself():
    train = poisson_train(np.random.default_rng(1), 30, 60)
    ccg = crosscorrelogram(train, train, window_ms=10, bin_ms=1, sampling_rate=30_000)
    acg = autocorrelogram(train, window_ms=10, bin_ms=1, sampling_rate=30_000)
    difference = ccg.counts - acg.counts
    assert difference[10] == train.size and np.count_nonzero(difference) == 1  # lag 0: every spike once


def test_the_cross_correlogram_is_refused_when_it_cannot_be_made(monkeypatch):
    with pytest.raises(InputError, match="spike-time column"):
        crosscorrelogram(None, [0.1])
    with pytest.raises(InputError, match="The cross-correlogram's bin"):
        crosscorrelogram([0.1], [0.2], window_ms=1, bin_ms=2)
    monkeypatch.setattr(pairs_module, "MAX_PAIRS", 10)
    with pytest.raises(InputError, match="use a shorter window"):
        crosscorrelogram(np.linspace(0, 0.01, 20), np.linspace(0, 0.01, 20), window_ms=50)
    empty = crosscorrelogram([], [0.5], window_ms=5, bin_ms=1)
    assert empty.counts.sum() == 0 and empty.counts.size == 10


def test_a_neuron_cut_in_two_adds_no_violation_and_two_neurons_add_what_chance_gives():
    rng = np.random.default_rng(2)
    duration = 300.0
    one = poisson_train(rng, 20, duration, refractory_s=0.002)
    halves = rng.integers(3, 5, one.size)  # clusters 3 and 4
    cut = merge_refractory_check(one, halves, 3, 4, duration_s=duration, sampling_rate=30_000)
    assert cut.added == 0 and cut.expected > 50 and cut.ratio == 0
    assert cut.table["cluster"].tolist() == [3, 4, "a + b"]
    assert cut.table["n_spikes"].tolist() == [np.sum(halves == 3), np.sum(halves == 4), one.size]
    assert cut.table["isi_violations_count"].tolist() == [0, 0, 0]
    assert "one neuron cut in two" in cut.verdict

    other = poisson_train(rng, 20, duration, refractory_s=0.002)
    times, labels = np.concatenate([one, other]), np.repeat([7, 2], [one.size, other.size])
    two = merge_refractory_check(times, labels, 7, 2, duration_s=duration, sampling_rate=30_000)
    assert two.table["cluster"].tolist() == [7, 2, "a + b"]  # in the order asked
    assert 0.7 < two.ratio < 1.3  # Poisson coincidences: about 2 τ n_a n_b / T
    assert two.table["contamination"].iloc[2] > 0.3 > two.table["contamination"].iloc[0]
    assert "Likely two neurons" in two.verdict
    # a few seconds of spikes cannot tell
    early = times < 2.0
    short = merge_refractory_check(times[early], labels[early], 7, 2, duration_s=300.0)
    assert short.expected < 5 and short.verdict.startswith("Too few spikes to tell")
    # one neuron whose second half has another neuron's spikes mixed in: in between
    mixed = np.concatenate([one, poisson_train(rng, 4, duration)])
    mixed_labels = np.concatenate([halves, np.full(mixed.size - one.size, 4)])
    between = merge_refractory_check(mixed, mixed_labels, 3, 4, duration_s=duration, sampling_rate=30_000)
    assert 0.2 < between.ratio < 0.5 and between.verdict.startswith("In between")
    # other clusters in the labels do not count
    with_third = np.concatenate([labels, [9] * 50])
    third_times = np.concatenate([times, rng.uniform(0, duration, 50)])
    again = merge_refractory_check(third_times, with_third, 7, 2, duration_s=duration, sampling_rate=30_000)
    assert again.added == two.added and again.expected == pytest.approx(two.expected)


def test_the_merge_check_names_what_is_wrong():
    with pytest.raises(InputError, match="spike-time column"):
        merge_refractory_check(None, [0, 1], 0, 1)
    with pytest.raises(InputError, match="two different clusters"):
        merge_refractory_check([0.1, 0.2], [0, 1], 0, 0)
    with pytest.raises(InputError, match="two different clusters"):
        merge_refractory_check([0.1, 0.2], [0, 1], 0, 5)


def test_the_cross_correlogram_is_spikeinterfaces_correlogram_of_b_against_a():
    si_core = pytest.importorskip("spikeinterface.core", reason="SpikeInterface (a dev dependency) is not installed")
    fs, duration = 30_000.0, 120.0
    rng = np.random.default_rng(11)
    trains = [poisson_train(rng, 15, duration, 0.002), poisson_train(rng, 25, duration, 0.0015)]
    trains.append(np.sort(np.concatenate([trains[0][::3] + 0.0005, poisson_train(rng, 5, duration - 1)])))  # follows 0
    samples = on_samples(trains, fs)
    analyzer = spikeinterface_analyzer(si_core, samples, fs, duration)
    theirs = analyzer.compute("correlograms", window_ms=40.0, bin_ms=0.5).get_data()[0]
    for a in range(3):
        for b in range(3):
            if a != b:
                ours = crosscorrelogram(samples[a] / fs, samples[b] / fs, window_ms=20.0, bin_ms=0.5, sampling_rate=fs)
                assert np.array_equal(ours.counts, theirs[b, a]), (a, b)
    assert crosscorrelogram(samples[0] / fs, samples[2] / fs, window_ms=20.0, bin_ms=0.5,
                            sampling_rate=fs).counts[41] > 0  # 2 follows 0 by 0.5 ms


# ---------------------------------------------------------------- what the waveforms say


def test_the_pair_projection_puts_the_means_at_0_and_their_distance_and_gives_the_suggestions_d_prime():
    rng = np.random.default_rng(4)
    shape = np.sin(np.linspace(0, 3, 30))
    X = np.vstack([shape + 0.2 * rng.standard_normal((200, 30)), 1.3 * shape + 0.2 * rng.standard_normal((120, 30)),
                   -shape + 0.2 * rng.standard_normal((50, 30))])
    labels = np.repeat([0, 1, 2], [200, 120, 50])
    found = pair_projection(X, labels, 0, 1, n_bins=25)
    assert found.counts_a.sum() == 200 and found.counts_b.sum() == 120 and found.edges.size == 26
    assert found.distance == pytest.approx(np.linalg.norm(X[200:320].mean(0) - X[:200].mean(0)))
    suggested = merge_suggestions(X, labels)
    assert found.d_prime == pytest.approx(suggested.d_prime[0, 1], rel=1e-9)  # the number the table shows
    # the histograms hold the projections: b's mean bin lies near the distance, a's near 0
    centres = (found.edges[:-1] + found.edges[1:]) / 2
    assert abs(centres @ found.counts_a / 200) < found.edges[1] - found.edges[0]
    assert abs(centres @ found.counts_b / 120 - found.distance) < found.edges[1] - found.edges[0]
    # one Gaussian cloud cut through its mean: d′ near the cut-unit value, which the page quotes
    cloud = rng.standard_normal((20_000, 5))
    assert pair_projection(cloud, (cloud[:, 0] > 0).astype(int), 0, 1).d_prime == pytest.approx(
        CUT_UNIT_SEPARATION, rel=0.03)


def test_the_pair_projection_names_what_is_wrong():
    X = np.arange(12.0).reshape(4, 3)
    for call, message in ((lambda: pair_projection(X, [0, 0, 1, 1], 0, 0), "two different clusters"),
                          (lambda: pair_projection(X, [0, 0, 1, 1], 0, 5), "two different clusters"),
                          (lambda: pair_projection(X, [0, 1, 1], 0, 1), "one label per waveform"),
                          (lambda: pair_projection(X, [0, 0, 1, 1], 0, 1, n_bins=0), "n_bins"),
                          (lambda: pair_projection(np.ones((4, 3)), [0, 0, 1, 1], 0, 1), "same mean waveform")):
        with pytest.raises(InputError, match=message):
            call()
