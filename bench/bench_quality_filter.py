"""Does a quality filter keep single neurons and refuse two neurons in one cluster?

Measured on SpikeInterface's ground-truth recordings (``realistic_recordings``:
112 recordings of 3–8 units, 60 s each, 2–6 Hz, a 4 ms refractory period),
which nobody here designed. Two kinds of cluster are judged:

- every true unit alone: a single neuron, which a filter should pass;
- every pair of true units of a recording merged into one cluster: two
  neurons, the error a clustering makes when it joins two units, which a
  filter should refuse.

Each is judged by the unit quality table (``spike_train_table``, refractory
period 1.5 ms) and ``quality_filter``: the Allen Institute's default filter
(its spike-train half: ``isi_violations_ratio < 0.5``; the amplitude cut-off
and presence ratio are not measured on 60 s of a few hundred spikes), the
contamination the violations show for sure (``contamination_low <
x``: the lower end of the 95 % interval), and both.

Merged, two independent neurons of similar rates break the refractory period
at a ratio of about 2 n_a n_b / (n_a + n_b)² ≤ 0.5 — Allen's threshold — so
that filter passes nearly every merge: it was made for units contaminated by
many others, not for two joined.

Run ``python -m bench.bench_quality_filter [--draws N]`` (draws 0 … N − 1 of
the recordings' seeds; default 8, the 112 recordings of ``bench/README.md``;
draws not cached yet are simulated first, which takes minutes each).
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from bench.realistic_recordings import realistic_recordings_of_draws
from nnmf_core.spikes import ALLEN_FILTER, CONTAMINATION_FILTER, Threshold, quality_filter, spike_train_table

LOWER_ENDS = (0.01, 0.05, 0.1)


def judged(recordings) -> tuple[list, list]:
    """The quality tables of every true unit alone, and of every merged pair of true units (one row each)."""
    alone, merged = [], []
    for recording in recordings:
        times, labels = recording.spike_times, recording.labels.astype(np.int64)
        alone.append(spike_train_table(times, labels, sampling_rate=recording.sampling_rate))
        for a, b in itertools.combinations(np.unique(labels), 2):
            joined = np.where(labels == b, a, labels)
            table = spike_train_table(times, joined, sampling_rate=recording.sampling_rate)
            merged.append(table[table["cluster"] == a])
    return alone, merged


def passed(tables, thresholds) -> float:
    """Share of the rows of ``tables`` that pass ``thresholds``."""
    verdicts = [quality_filter(table, thresholds)["passes"] for table in tables]
    return float(np.concatenate([v.to_numpy() for v in verdicts]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=8)
    args = parser.parse_args()
    recordings = realistic_recordings_of_draws(args.draws)
    alone, merged = judged(recordings)
    n_alone, n_merged = sum(len(t) for t in alone), len(merged)
    isi = Threshold(*ALLEN_FILTER[0])
    rows = [("Allen: isi_violations_ratio < 0.5", [isi])]
    rows += [(f"contamination_low < {x:g}", [Threshold("contamination_low", False, x)]) for x in LOWER_ENDS]
    rows += [(f"both (the page's default: {CONTAMINATION_FILTER})", [isi, CONTAMINATION_FILTER])]
    print(f"{len(recordings)} recordings: {n_alone} true units, {n_merged} merged pairs of true units\n")
    print("| filter | true units passed | merged pairs passed |")
    print("|---|---:|---:|")
    for name, thresholds in rows:
        print(f"| {name} | {passed(alone, thresholds):.1%} | {passed(merged, thresholds):.1%} |")


if __name__ == "__main__":
    main()
