"""Is a cluster one neuron: ISI violations, firing rate, presence ratio,
autocorrelogram, amplitudes, amplitude cut-off and SNR (nnmf_core.spikes
physiology and unit_quality). Checked on hand-made spike trains whose answer
is known, against brute force, and against SpikeInterface's quality metrics
on the same spikes."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from spike_trains import on_samples, poisson_train, spikeinterface_analyzer

from nnmf_core.errors import InputError
from nnmf_core.spikes import (
    ALLEN_FILTER,
    CONTAMINATION_FILTER,
    UNASSIGNED,
    Threshold,
    amplitude_cutoff,
    amplitude_drift,
    autocorrelogram,
    export_quality_csv,
    firing_rate,
    isi_histogram,
    isi_violations,
    missing_spike_times,
    noise_levels,
    presence_ratio,
    quality_filter,
    recording_duration,
    spike_amplitudes,
    spike_train_table,
    unit_quality_table,
    unit_spike_times,
    waveform_quality_table,
)

# ---------------------------------------------------------------- hand-made trains


def test_isi_violations_count_ratio_and_contamination_by_hand():
    times = np.array([0.0, 0.001, 0.1, 0.2, 0.2005, 0.3, 0.4])  # two intervals under 1.5 ms
    result = isi_violations(times, duration_s=10.0)
    n = times.size
    assert result.count == 2
    assert result.ratio == pytest.approx((2 / (2 * n * 0.0015)) / (n / 10.0))
    f = result.contamination
    assert f * (1 - f) == pytest.approx(result.ratio) or (result.ratio > 0.25 and f == 1.0)
    # a censored period shortens the window in which violations could occur, and counts them still
    censored = isi_violations(times, duration_s=10.0, censored_ms=0.5)
    assert censored.count == 2 and censored.ratio == pytest.approx(result.ratio * 1.5 / 1.0)
    # a longer refractory period catches more; none for a clean train
    assert isi_violations(times, 10.0, refractory_ms=0.4).count == 0
    assert isi_violations(np.arange(0, 1, 0.01), 1.0).count == 0


def test_hill_contamination_solves_f_times_one_minus_f():
    # 100 spikes in 100 s, refractory 1.5 ms: ratio = count · 100 / (2 · 100² · 0.0015) = count / 3
    times = np.arange(100) * 1.0
    times[1::20] = times[0::20] + 0.001  # 5 violations → ratio 5/3 > 0.25: more than any mixture explains
    assert isi_violations(times, 100.0).contamination == 1.0
    times = np.arange(1000) * 0.1  # 1000 spikes in 100 s: ratio = count · 100 / (2e6 · 0.0015) = count / 30
    times[1::200] = times[0::200] + 0.001  # 5 violations → ratio 1/6, f = (1 − √(1 − 4/6)) / 2
    result = isi_violations(times, 100.0)
    assert result.ratio == pytest.approx(1 / 6)
    assert result.contamination == pytest.approx((1 - np.sqrt(1 - 4 / 6)) / 2)


def test_the_contamination_interval_is_hills_estimate_at_the_ends_of_the_exact_poisson_interval():
    # 131 spikes in 30 s at 4.4 Hz, one violation: Hill's estimate is 100 %, and so little evidence rules out
    # neither a clean unit nor a mixture. Garwood's 95 % interval of a count of 1 is 0.0253 … 5.572.
    rng = np.random.default_rng(2)
    times = np.sort(rng.uniform(0, 30, 131))
    times = times[np.diff(times, prepend=-1) > 0.002]
    times[40] = times[39] + 0.001
    one = spike_train_table(times, np.zeros(times.size, dtype=int), duration_s=30.0).iloc[0]
    assert one["isi_violations_count"] == 1 and one["contamination"] == 1.0
    expected = 2 * times.size * 0.0015 * times.size / 30.0  # violations a ratio of 1 would give
    for end, count in (("contamination_low", 0.0253178), ("contamination_high", 5.5716434)):
        ratio = count / expected
        assert one[end] == pytest.approx(1.0 if ratio > 0.25 else (1 - np.sqrt(1 - 4 * ratio)) / 2, rel=1e-5)
    assert one["contamination_low"] < 0.05 and one["contamination_high"] == 1.0
    # a long clean train: 0 violations, the lower end 0, the upper end small and shrinking with more spikes
    clean = [np.arange(0, duration, 0.05) for duration in (100.0, 1000.0)]
    highs = []
    for train in clean:
        row = spike_train_table(train, np.zeros(train.size, dtype=int), duration_s=train[-1] + 0.05).iloc[0]
        assert row["contamination"] == row["contamination_low"] == 0.0
        highs.append(row["contamination_high"])
    assert 0 < highs[1] < highs[0] < 0.2
    # the estimate always lies in its interval
    table = spike_train_table(np.concatenate([times, times[:60] + 0.0007]), np.zeros(times.size + 60, dtype=int),
                              duration_s=30.0)
    assert (table["contamination_low"] <= table["contamination"]).all()
    assert (table["contamination"] <= table["contamination_high"]).all()


def test_isi_at_the_threshold_on_the_sample_grid_is_not_a_violation():
    fs = 30_000.0
    times = np.array([1000, 1045, 2000, 2044]) / fs  # 1.5 ms exactly, then 1.4667 ms
    assert isi_violations(times + 1e-9, 1.0, sampling_rate=fs).count == 1


def test_firing_rate_and_recording_duration():
    assert firing_rate([0.1, 0.5, 0.9, 1.7], duration_s=2.0) == 2.0
    assert recording_duration([3.0, 1.0]) == 3.0
    assert recording_duration([3.0, 1.0], sampling_rate=1000) == pytest.approx(3.001)
    with pytest.raises(InputError, match="after the end of the recording"):
        firing_rate([0.1, 5.0], duration_s=2.0)


def test_presence_ratio_counts_whole_bins_only():
    assert presence_ratio([1.0, 2.0, 130.0], duration_s=240.0) == 0.5  # bins 0 and 2 of 4
    assert presence_ratio([1.0, 130.0], duration_s=150.0) == 0.5  # the partial last bin (120–150 s) is dropped
    assert np.isnan(presence_ratio([1.0], duration_s=30.0))  # shorter than one bin
    assert presence_ratio([1.0, 130.0], duration_s=240.0, bin_s=10.0) == pytest.approx(2 / 24)


def test_isi_histogram_linear_and_log():
    times = np.cumsum([0.0, 0.002, 0.0025, 0.010, 0.060])  # intervals 2, 2.5, 10, 60 ms
    linear = isi_histogram(times, max_ms=50, n_bins=50)
    assert linear.counts.sum() == 3 and linear.counts[2] == 2 and linear.counts[10] == 1
    assert linear.edges_ms[0] == 0 and linear.edges_ms[-1] == 50
    log = isi_histogram(np.array([0.0, 0.00001, 0.002]), log_bins=True, n_bins=10)  # 0.01 ms goes in the first bin
    assert log.counts[0] == 1 and log.counts.sum() == 2
    assert np.allclose(np.diff(np.log(log.edges_ms)), np.log(500) / 10)


def brute_force_acg(times: np.ndarray, half: int, size: float) -> np.ndarray:
    lags = (times[None, :] - times[:, None])[~np.eye(times.size, dtype=bool)]
    index = np.floor_divide(lags, size).astype(np.int64) + half
    return np.bincount(index[(index >= 0) & (index < 2 * half)], minlength=2 * half)


def test_autocorrelogram_matches_all_pairs_and_is_symmetric():
    rng = np.random.default_rng(3)
    ticks = np.sort(rng.choice(200_000, size=400, replace=False))  # samples at 20 kHz
    acg = autocorrelogram(ticks / 20_000, window_ms=20, bin_ms=1, sampling_rate=20_000)
    assert np.array_equal(acg.counts, brute_force_acg(ticks, 20, 20))
    assert acg.edges_ms[0] == -20 and acg.edges_ms[-1] == 20
    # a refractory unit leaves the bins next to zero empty
    clean = autocorrelogram(poisson_train(rng, 20, 50, refractory_s=0.002), window_ms=10, bin_ms=1)
    assert clean.counts[8:12].sum() == 0 and clean.counts.sum() > 0


def test_spike_train_table_agrees_with_the_one_unit_functions():
    rng = np.random.default_rng(0)
    trains = [poisson_train(rng, 8, 200.0), poisson_train(rng, 30, 120.0), poisson_train(rng, 3, 200.0)]
    times = np.concatenate(trains)
    labels = np.repeat([4, 1, 7], [t.size for t in trains])
    order = rng.permutation(times.size)
    table = spike_train_table(times[order], labels[order], duration_s=200.0, sampling_rate=30_000)
    assert table["cluster"].tolist() == [1, 4, 7]
    for row, train in zip(table.itertuples(), [trains[1], trains[0], trains[2]]):
        one = isi_violations(train, 200.0, sampling_rate=30_000)
        assert (row.n_spikes, row.isi_violations_count) == (train.size, one.count)
        assert row.isi_violations_ratio == pytest.approx(one.ratio, nan_ok=True)
        assert row.firing_rate_hz == pytest.approx(train.size / 200.0)
        assert row.presence_ratio == presence_ratio(train, 200.0, sampling_rate=30_000)
    assert table.loc[table.cluster == 1, "presence_ratio"].item() == pytest.approx(2 / 3)  # silent after 120 s


def test_without_spike_times_every_function_names_the_column_to_add():
    message = "Add a spike-time column named time, t, spike_time or timestamp"
    for call in (lambda: isi_histogram(None), lambda: isi_violations(None, 1.0), lambda: autocorrelogram(None),
                 lambda: firing_rate(None, 1.0), lambda: presence_ratio(None, 60.0),
                 lambda: unit_spike_times(None, [0, 1], 0), lambda: spike_train_table(None, [0, 1]),
                 lambda: unit_quality_table([0, 1], None, np.eye(2, 3)), lambda: amplitude_drift(None, [1.0])):
        with pytest.raises(InputError, match=message):
            call()
    assert "ISI" in str(missing_spike_times("The ISI histogram"))


@pytest.mark.parametrize("times, message", [
    ([0.1, np.nan], "empty or infinite"),
    ([-0.5, 1.0], "start of the recording"),
    (np.ones((2, 2)), "list of numbers"),
    (["a", "b"], "list of numbers"),
])
def test_bad_spike_times_are_refused(times, message):
    with pytest.raises(InputError, match=message):
        isi_histogram(times)


def test_bad_parameters_are_refused():
    with pytest.raises(InputError, match="shorter than the refractory"):
        isi_violations([0.0, 1.0], 2.0, refractory_ms=1.0, censored_ms=1.0)
    with pytest.raises(InputError, match="more than 0"):
        isi_violations([0.0, 1.0], 2.0, refractory_ms=0)
    with pytest.raises(InputError, match="one per waveform"):
        spike_train_table([0.0, 1.0], [0, 1, 1])
    with pytest.raises(InputError, match="whole numbers"):
        spike_train_table([0.0, 1.0], [0.5, 1.0])
    with pytest.raises(InputError, match="sampling rate"):
        autocorrelogram([0.0, 1.0], sampling_rate=-1)


# ---------------------------------------------------------------- waveforms: amplitudes, cut-off, SNR


def test_spike_amplitudes_on_the_main_channel():
    # two channels of 4 samples; the cluster's template is largest on channel 1, sample 2
    X = np.array([[0, 1, 0, 0, 0, -2, -9, 3], [0, 0, 1, 0, 1, -1, -7, 2], [5, 0, 0, 0, 0, 0, 0, 0.0]])
    labels = np.array([0, 0, UNASSIGNED])
    assert spike_amplitudes(X, labels, channels=2).tolist() == [9.0, 7.0, 5.0]
    assert spike_amplitudes(X, labels, channels=2, method="peak_to_trough").tolist() == [12.0, 9.0, 5.0]
    assert spike_amplitudes(X, labels, channels=2, method="trough").tolist() == [9.0, 7.0, 0.0]
    with pytest.raises(InputError, match="channels"):
        spike_amplitudes(X, labels, channels=3)
    with pytest.raises(InputError, match="Unknown amplitude"):
        spike_amplitudes(X, labels, method="rms")


def test_amplitude_cutoff_is_zero_for_a_full_distribution_and_grows_with_a_cut():
    rng = np.random.default_rng(1)
    full = rng.normal(100, 10, 5_000)
    assert amplitude_cutoff(full) < 0.01
    cut = full[full > 95]
    assert amplitude_cutoff(cut) > 0.2
    assert np.isnan(amplitude_cutoff(full[:400]))  # fewer than 100 bins × 5


def test_amplitude_drift_bins_medians_over_time():
    times = np.linspace(0, 100, 1001)
    drift = amplitude_drift(times, 50 + 0.1 * times, n_bins=10)
    assert drift.counts.sum() == 1001
    assert np.allclose(np.diff(drift.median), 1.0, atol=0.02)
    assert np.all(drift.lower <= drift.median) and np.all(drift.median <= drift.upper)


def test_noise_estimate_reads_the_standard_deviation_of_the_baseline():
    rng = np.random.default_rng(2)
    X = rng.normal(0, 7.0, size=(3_000, 2, 60))
    X[:, 0, 25:35] -= 80  # a spike after the baseline, on channel 0
    noise = noise_levels(X.reshape(3_000, -1), channels=2)
    assert noise == pytest.approx([7.0, 7.0], rel=0.03)


def test_unit_quality_table_leaves_the_unassigned_out_and_takes_known_noise():
    rng = np.random.default_rng(4)
    n = 600
    labels = rng.integers(0, 2, n)
    labels[:50] = UNASSIGNED
    X = rng.normal(0, 2.0, (n, 30))
    X[:, 10] -= np.where(labels == 0, 40.0, 20.0)
    times = np.sort(rng.uniform(0, 120, n))
    table = unit_quality_table(labels, times, X, 30_000, channels=1, noise=[2.0])
    assert table["cluster"].tolist() == [0, 1]
    assert table["n_spikes"].sum() == n - 50
    members = labels == 0
    assert table["snr"].iloc[0] == pytest.approx(abs(X[members, 10].mean()) / 2.0)
    assert table["amplitude_median"].iloc[0] == pytest.approx(np.median(-X[members, 10]))
    with pytest.raises(InputError, match="noise level per channel"):
        unit_quality_table(labels, times, X, noise=[1.0, 2.0])
    with pytest.raises(InputError, match="Every waveform is unassigned"):
        unit_quality_table(np.full(n, UNASSIGNED), times, X)
    # without spike times, the waveforms' half of the table
    shapes = waveform_quality_table(labels, X, channels=1, noise=[2.0])
    pd.testing.assert_frame_equal(shapes, table[list(shapes.columns)])
    with pytest.raises(InputError, match="Every waveform is unassigned"):
        waveform_quality_table(np.full(n, UNASSIGNED), X)


# ---------------------------------------------------------------- against SpikeInterface


@pytest.fixture(scope="module")
def si_core():
    return pytest.importorskip("spikeinterface.core", reason="SpikeInterface (a dev dependency) is not installed")


def quality_metrics(analyzer, names):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # amplitude_cutoff from spike_amplitudes is deprecated there, not wrong
        return analyzer.compute("quality_metrics", metric_names=names).get_data()


def test_quality_table_matches_spikeinterface_on_its_ground_truth_recording(si_core):
    recording, sorting = si_core.generate_ground_truth_recording(
        durations=[120.0], sampling_frequency=25_000.0, num_channels=4, num_units=5, seed=7)
    analyzer = si_core.create_sorting_analyzer(sorting, recording, sparse=False, format="memory")
    analyzer.compute(["random_spikes", "waveforms", "templates", "noise_levels", "spike_amplitudes"],
                     extension_params={"random_spikes": {"method": "all"},
                                       "waveforms": {"ms_before": 1.0, "ms_after": 2.0}}, verbose=False)
    theirs = quality_metrics(analyzer, ["num_spikes", "firing_rate", "isi_violation", "snr", "amplitude_cutoff",
                                        "presence_ratio"])
    fs = sorting.sampling_frequency
    extension = analyzer.get_extension("waveforms")
    cut = [extension.get_waveforms_one_unit(unit) for unit in sorting.unit_ids]  # (spikes, samples, channels)
    X = np.concatenate([w.transpose(0, 2, 1).reshape(len(w), -1) for w in cut])
    labels = np.repeat(np.arange(len(cut)), [len(w) for w in cut])
    times = np.concatenate([sorting.get_unit_spike_train(unit) / fs for unit in sorting.unit_ids])
    noise = analyzer.get_extension("noise_levels").get_data()
    duration = recording.get_total_duration()

    ours = unit_quality_table(labels, times, X, fs, duration_s=duration, channels=4, noise=noise)
    assert ours["n_spikes"].tolist() == theirs["num_spikes"].tolist()
    assert np.allclose(ours["firing_rate_hz"], theirs["firing_rate"], rtol=1e-12)
    assert np.allclose(ours["isi_violations_ratio"], theirs["isi_violations_ratio"], rtol=1e-12)
    assert ours["isi_violations_count"].tolist() == theirs["isi_violations_count"].tolist()
    assert np.allclose(ours["presence_ratio"], theirs["presence_ratio"])
    assert np.allclose(ours["amplitude_cutoff"], theirs["amplitude_cutoff"], atol=1e-12)
    assert theirs["amplitude_cutoff"].max() > 0  # one unit's cut-off is not trivially zero
    assert np.allclose(ours["snr"], theirs["snr"], rtol=1e-5)
    # the exported table names every one of these metrics as SpikeInterface does, and holds its values
    exported = pd.read_csv(io.BytesIO(export_quality_csv(ours)))
    assert set(theirs.columns) <= set(exported.columns)
    for metric in theirs.columns:
        assert np.allclose(exported[metric], theirs[metric], rtol=1e-5), metric
    # without the raw trace: noise from the waveforms' first samples, within 5 % of SpikeInterface's SNR here
    estimated = unit_quality_table(labels, times, X, fs, duration_s=duration, channels=4)
    assert np.allclose(estimated["snr"], theirs["snr"], rtol=0.05)


def test_violations_presence_and_autocorrelogram_match_spikeinterface_on_contaminated_trains(si_core):
    fs, duration = 30_000.0, 300.0
    rng = np.random.default_rng(11)
    clean = poisson_train(rng, 12, duration, refractory_s=0.002)
    contaminated = np.union1d(clean, poisson_train(rng, 3, duration))  # another neuron's spikes mixed in
    early = poisson_train(rng, 20, 150.0, refractory_s=0.0015)  # silent for the second half
    bursty = np.sort(np.concatenate([s + np.array([0, 0.0015, 0.0030]) for s in poisson_train(rng, 2, duration - 1)]))
    trains = [clean, contaminated, early, bursty]
    samples = on_samples(trains, fs)
    all_samples = np.concatenate(samples)
    labels = np.repeat(np.arange(4), [s.size for s in samples])
    analyzer = spikeinterface_analyzer(si_core, samples, fs, duration)
    theirs = quality_metrics(analyzer, ["num_spikes", "firing_rate", "isi_violation", "presence_ratio"])

    times = all_samples / fs
    for censored in (0.0, 0.5):
        ours = spike_train_table(times, labels, duration_s=duration, sampling_rate=fs, censored_ms=censored)
        if censored:
            analyzer.delete_extension("quality_metrics")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = analyzer.compute("quality_metrics", metric_names=["isi_violation"],
                                          metric_params={"isi_violation": {"min_isi_ms": 0.5}}).get_data()
        assert ours["isi_violations_count"].tolist() == theirs["isi_violations_count"].tolist()
        assert np.allclose(ours["isi_violations_ratio"], theirs["isi_violations_ratio"], rtol=1e-12)
    assert ours["isi_violations_count"].iloc[0] == 0 and ours["isi_violations_count"].iloc[1] > 0
    ours = spike_train_table(times, labels, duration_s=duration, sampling_rate=fs)
    theirs = quality_metrics(analyzer, ["num_spikes", "firing_rate", "presence_ratio"])
    assert np.allclose(ours["firing_rate_hz"], theirs["firing_rate"], rtol=1e-12)
    assert np.allclose(ours["presence_ratio"], theirs["presence_ratio"])
    assert ours["presence_ratio"].iloc[2] == pytest.approx(0.6)  # 150 s of five 60-s bins: 3 bins, the third partly

    correlograms = analyzer.compute("correlograms", window_ms=100.0, bin_ms=1.0).get_data()[0]
    for unit, train in enumerate(samples):
        acg = autocorrelogram(train / fs, window_ms=50.0, bin_ms=1.0, sampling_rate=fs)
        assert np.array_equal(acg.counts, correlograms[unit, unit])


def test_amplitude_cutoff_matches_spikeinterface_on_cut_distributions():
    misc = pytest.importorskip("spikeinterface.metrics.quality.misc_metrics",
                               reason="SpikeInterface (a dev dependency) is not installed")
    rng = np.random.default_rng(5)
    for cut in (None, 80.0, 95.0, 105.0):
        amplitudes = rng.normal(100, 12, 3_000)
        if cut is not None:
            amplitudes = amplitudes[amplitudes > cut]
        assert amplitude_cutoff(amplitudes) == pytest.approx(misc.amplitude_cutoff(amplitudes), abs=1e-12)
        assert amplitude_cutoff(-amplitudes) == pytest.approx(misc.amplitude_cutoff(amplitudes), abs=1e-12)


# ---------------------------------------------------------------- a quality filter


def test_the_allen_filter_passes_a_unit_on_the_metrics_it_has_and_names_the_rest():
    quality = pd.DataFrame({"cluster": [0, 1, 2, 3], "isi_violations_ratio": [0.1, 0.9, 0.2, np.nan],
                            "amplitude_cutoff": [np.nan, 0.02, 0.3, np.nan], "presence_ratio": [1.0, 0.5, 0.95, np.nan],
                            "snr": [9.0, 2.0, 5.0, 1.0]})
    verdict = quality_filter(quality)
    assert verdict["passes"].tolist() == [True, False, False, False]  # 3: nothing measured, so no pass
    assert verdict["fails"].tolist() == ["", "isi_violations_ratio < 0.5; presence_ratio > 0.9",
                                         "amplitude_cutoff < 0.1", ""]
    assert verdict["not_measured"].tolist() == ["amplitude_cutoff", "", "",
                                                "isi_violations_ratio, amplitude_cutoff, presence_ratio"]
    # the same as SpikeInterface's query where every metric is measured; that query fails every unit lacking one
    measured = quality.dropna()
    assert measured.query(" and ".join(map(str, ALLEN_FILTER)))["cluster"].tolist() == \
        verdict.loc[verdict["cluster"].isin(measured["cluster"]) & verdict["passes"], "cluster"].tolist()
    # own thresholds; a threshold holds strictly
    snr = quality_filter(quality, [Threshold("snr", True, 5.0)])
    assert snr["passes"].tolist() == [True, False, False, False] and snr["fails"][2] == "snr > 5"
    for thresholds, message in (([Threshold("firing_rate_hz", True, 1.0)], "no 'firing_rate_hz' column"),
                                ([], "at least one threshold"), ([("snr", True, float("nan"))], "finite number")):
        with pytest.raises(InputError, match=message):
            quality_filter(quality, thresholds)
    with pytest.raises(InputError, match="cluster column"):
        quality_filter(quality.drop(columns="cluster"))


def test_the_contamination_filter_refuses_two_neurons_that_allens_ratio_lets_through():
    rng = np.random.default_rng(8)
    one, two = (poisson_train(rng, 10, 600.0, refractory_s=0.002) for _ in range(2))  # two independent neurons
    times = np.concatenate([one, two])
    alone = spike_train_table(times, np.repeat([0, 1], [one.size, two.size]), duration_s=600.0)
    merged = spike_train_table(times, np.zeros(times.size, dtype=int), duration_s=600.0)  # joined in one cluster
    assert merged["isi_violations_ratio"].iloc[0] < 0.5  # about 2 n_a n_b / (n_a + n_b)² = 0.25
    assert quality_filter(merged, ALLEN_FILTER[:1])["passes"].all()  # Allen's ratio lets the two through
    both = [ALLEN_FILTER[0], CONTAMINATION_FILTER]
    verdict = quality_filter(merged, both)
    assert not verdict["passes"].any() and verdict["fails"].iloc[0] == "contamination_low < 0.05"
    assert quality_filter(alone, both)["passes"].all()  # each neuron alone passes
