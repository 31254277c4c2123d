"""From clusters to units: speed of the spike-train statistics and of curation.

1. Spike-train statistics of 100,000 spikes (20 units, 600 s, 30 kHz): the
   quality columns of every unit at once (``spike_train_table``: ISI
   violations, rate, presence ratio), against SpikeInterface's
   ``compute_quality_metrics`` for the same three metrics on the same spikes
   (when installed), which must agree; then the ISI histogram and the
   autocorrelogram (±50 ms, 1 ms bins) of a 100,000-spike unit, and the whole
   ``unit_quality_table`` (amplitudes, cut-off, SNR too) of 100,000
   waveforms × 75 samples.
2. Is a pair one neuron: the four correlograms of two units of 50,000 spikes
   (±25 ms, 0.5 ms bins: two autocorrelograms and two cross-correlograms)
   against SpikeInterface's ``compute_correlograms`` of the same two trains
   (when installed), which must agree; and ``merge_refractory_check``.
3. Curation of 10,000 waveforms (synthetic, 4 units × 2,500, 150 samples,
   fitted at k = 6 so that there is something to merge): every action —
   merge, split (accepting a preview), mark, undo, redo — followed by what a
   page redraws after it: the labels, ``cluster_summary``, the quality table
   and the merge suggestions. Also the split preview's k = 2 re-fit on its own.

Targets: spike-train statistics of 100,000 spikes ≤ 0.1 s; each curation
action with its redraw ≤ 0.5 s. Medians of 7 repeats.
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np

from nnmf_core import pin_blas_threads
from nnmf_core.spikes import (
    CurationHistory,
    autocorrelogram,
    cluster_summary,
    cluster_waveforms,
    crosscorrelogram,
    isi_histogram,
    merge_refractory_check,
    merge_suggestions,
    spike_train_table,
    split_preview,
    synthetic_spikes,
    unit_quality_table,
)

REPEATS = 7
FS = 30_000.0


def median_seconds(call, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def spike_trains(rng, n_units: int, n_spikes: int, duration_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Spike times (s, on the sample grid) and units: Poisson trains with a 1 ms dead time, 2 % contamination."""
    rates = rng.uniform(0.5, 1.5, n_units)
    counts = np.maximum(1, np.round(rates / rates.sum() * n_spikes).astype(int))
    times, labels = [], []
    for unit, count in enumerate(counts):
        gaps = rng.exponential(duration_s / count, count) + 0.001
        train = np.cumsum(gaps) * duration_s / np.sum(gaps) * 0.999
        extra = rng.uniform(0, duration_s, int(0.02 * count))
        train = np.unique(np.rint(np.r_[train, extra] * FS)) / FS
        times.append(train)
        labels.append(np.full(train.size, unit))
    times, labels = np.concatenate(times), np.concatenate(labels)
    order = np.argsort(times, kind="stable")  # in time order, as a recording's spikes are listed
    return times[order], labels[order]


def spikeinterface_table(times: np.ndarray, labels: np.ndarray, duration_s: float):
    """SpikeInterface's isi_violation, firing_rate and presence_ratio of the same spikes, and its time."""
    try:
        import spikeinterface.core as sc
    except ImportError:
        return None, None
    samples = np.rint(times * FS).astype(np.int64)
    order = np.argsort(samples, kind="stable")
    sorting = sc.NumpySorting.from_samples_and_labels([samples[order]], [labels[order]], FS)
    recording = sc.generate_recording(num_channels=1, sampling_frequency=FS, durations=[duration_s], seed=0)
    analyzer = sc.create_sorting_analyzer(sorting, recording, sparse=False, format="memory")

    def compute():
        analyzer.delete_extension("quality_metrics") if analyzer.has_extension("quality_metrics") else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return analyzer.compute("quality_metrics", metric_names=["firing_rate", "isi_violation", "presence_ratio"],
                                    verbose=False).get_data()

    return compute(), median_seconds(compute)


def bench_spike_trains() -> list[tuple[str, str, str]]:
    rng = np.random.default_rng(0)
    duration = 600.0
    times, labels = spike_trains(rng, 20, 100_000, duration)
    ours = spike_train_table(times, labels, duration_s=duration, sampling_rate=FS)
    seconds = median_seconds(lambda: spike_train_table(times, labels, duration_s=duration, sampling_rate=FS))
    theirs, their_seconds = spikeinterface_table(times, labels, duration)
    rows = [(f"spike_train_table, {times.size:,} spikes, 20 units", f"{seconds:.4f}", "target ≤ 0.1 s")]
    if theirs is not None:
        agree = (np.array_equal(ours["isi_violations_count"], theirs["isi_violations_count"])
                 and np.allclose(ours["isi_violations_ratio"], theirs["isi_violations_ratio"], rtol=1e-12)
                 and np.allclose(ours["presence_ratio"], theirs["presence_ratio"])
                 and np.allclose(ours["firing_rate_hz"], theirs["firing_rate"], rtol=1e-12))
        rows.append(("SpikeInterface compute_quality_metrics, same 3 metrics", f"{their_seconds:.4f}",
                     f"ours / SpikeInterface = {seconds / their_seconds:.2f}×; "
                     f"{'identical' if agree else 'DIFFERENT'} numbers"))
    one = np.sort(rng.uniform(0, duration, 100_000))
    rows.append(("isi_histogram, one unit of 100,000 spikes, log bins",
                 f"{median_seconds(lambda: isi_histogram(one, log_bins=True)):.4f}", ""))
    rows.append(("autocorrelogram ±50 ms / 1 ms, one unit of 100,000 spikes (167 Hz)",
                 f"{median_seconds(lambda: autocorrelogram(one, sampling_rate=FS)):.4f}", ""))
    waveforms = rng.normal(0, 5, (times.size, 75)).astype(np.float32)
    waveforms[:, 25] -= 60
    rows.append((f"unit_quality_table, {times.size:,} waveforms × 75 samples",
                 f"{median_seconds(lambda: unit_quality_table(labels, times, waveforms, FS, duration_s=duration), 3):.4f}",
                 "amplitudes, cut-off and SNR included"))
    return rows


def spikeinterface_correlograms(samples: list[np.ndarray], window_ms: float, bin_ms: float):
    """SpikeInterface's correlograms (every pair of units, its NumPy method unless numba is installed) of
    spike trains given as sample indices, and their time; (None, None) without SpikeInterface."""
    try:
        import spikeinterface.core as sc
        from spikeinterface.postprocessing import compute_correlograms
    except ImportError:
        return None, None
    all_samples = np.concatenate(samples)
    labels = np.repeat(np.arange(len(samples)), [s.size for s in samples])
    order = np.argsort(all_samples, kind="stable")
    sorting = sc.NumpySorting.from_samples_and_labels([all_samples[order]], [labels[order]], FS)
    compute = lambda: compute_correlograms(sorting, window_ms=2 * window_ms, bin_ms=bin_ms)[0]  # noqa: E731
    return compute(), median_seconds(compute)


def bench_pairs() -> list[tuple[str, str, str]]:
    """Is a pair one neuron: the four correlograms of two units of 50,000 spikes (±25 ms, 0.5 ms bins) against
    SpikeInterface's, and the refractory check of their merge."""
    rng = np.random.default_rng(2)
    duration, window, width = 600.0, 25.0, 0.5
    trains = [np.unique(np.rint(np.sort(rng.uniform(0, duration, 50_000)) * FS)).astype(np.int64) for _ in range(2)]
    seconds = [train / FS for train in trains]

    def ours():
        return [[autocorrelogram(seconds[a], window_ms=window, bin_ms=width, sampling_rate=FS).counts if a == b else
                 crosscorrelogram(seconds[b], seconds[a], window_ms=window, bin_ms=width, sampling_rate=FS).counts
                 for b in range(2)] for a in range(2)]

    time_ours = median_seconds(ours)
    rows = [("the 4 correlograms of 2 units × 50,000 spikes (83 Hz), ±25 ms / 0.5 ms: autocorrelogram ×2 + "
             "crosscorrelogram ×2", f"{time_ours:.4f}", "")]
    theirs, time_theirs = spikeinterface_correlograms(trains, window, width)
    if theirs is not None:
        agree = np.array_equal(np.array(ours()), theirs)
        rows.append(("SpikeInterface compute_correlograms, the same 4", f"{time_theirs:.4f}",
                     f"ours / SpikeInterface = {time_ours / time_theirs:.2f}×; "
                     f"{'identical' if agree else 'DIFFERENT'} counts"))
    times = np.concatenate(seconds)
    labels = np.repeat([0, 1], [t.size for t in seconds])
    rows.append(("merge_refractory_check of the pair (100,000 spikes)",
                 f"{median_seconds(lambda: merge_refractory_check(times, labels, 0, 1, sampling_rate=FS)):.4f}", ""))
    return rows


def redraw(history: CurationHistory, waveforms: np.ndarray, times: np.ndarray):
    """What the page recomputes after an action."""
    labels = history.labels
    return (cluster_summary(waveforms, labels), unit_quality_table(labels, times, waveforms, FS),
            merge_suggestions(waveforms, labels))


def bench_curation() -> list[tuple[str, str, str]]:
    waveforms, _ = synthetic_spikes(n_per_unit=2_500, n_units=4, random_state=0)
    rng = np.random.default_rng(1)
    times = np.sort(rng.uniform(0, 600, waveforms.shape[0]))
    fit = cluster_waveforms(waveforms, 6, random_state=0)
    start = CurationHistory.start(fit.labels)
    pair = merge_suggestions(waveforms, fit.labels).table.iloc[0]
    merged = start.merge([int(pair.cluster_a), int(pair.cluster_b)])
    biggest = int(np.bincount(merged.labels).argmax())
    preview = split_preview(waveforms, merged.labels, biggest, random_state=0)
    marked = merged.apply(preview.action).mark([0], "good")

    actions = {
        "merge 2 clusters": lambda: start.merge([int(pair.cluster_a), int(pair.cluster_b)]),
        "split (accept a preview)": lambda: merged.apply(preview.action),
        "mark as good": lambda: merged.mark([0], "good"),
        "undo": lambda: marked.undo(),
        "redo": lambda: marked.undo().redo(),
    }
    redraw_alone = median_seconds(lambda: redraw(start, waveforms, times))
    rows = [("redraw alone (labels, cluster_summary, quality table, merge suggestions)", f"{redraw_alone:.4f}", "")]
    for name, action in actions.items():
        seconds = median_seconds(lambda action=action: redraw(action(), waveforms, times))
        rows.append((f"{name} + redraw", f"{seconds:.4f}", "target ≤ 0.5 s"))
    members = int(np.count_nonzero(merged.labels == biggest))
    rows.append((f"split preview: k = 2 re-fit of {members:,} waveforms",
                 f"{median_seconds(lambda: split_preview(waveforms, merged.labels, biggest, random_state=0), 3):.4f}",
                 "once, before the preview is shown"))
    return rows


def main() -> None:
    threads = pin_blas_threads()
    print(f"from clusters to units — {time.strftime('%Y-%m-%d')}, {threads} BLAS threads, medians of {REPEATS}\n")
    for title, rows in (("Spike-train statistics", bench_spike_trains()), ("Is a pair one neuron?", bench_pairs()),
                        ("Curation of 10,000 waveforms", bench_curation())):
        print(f"#### {title}\n\n| case | s | note |\n|---|---:|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        print()


if __name__ == "__main__":
    main()
