"""Is a pair one neuron? The Curation tab's pair check on ground truth.

Measured on SpikeInterface's ground-truth recordings (``realistic_recordings``,
draws 0 … N − 1), which nobody here designed. Two kinds of pair:

- two neurons: every pair of true units of a recording;
- one neuron cut in two: every true unit split by 2-means on its own
  waveforms (scikit-learn's ``KMeans``, seeded), the error of a clustering
  that over-splits a unit; reported by the size of the smaller part.

For each, what the pair check shows: the waveforms' d′ along the line
between the two means (``pair_projection``) and the verdict of the
refractory check of a merge (``merge_refractory_check``, 1.5 ms): one
refractory period, two neurons, in between, or too few spikes to tell.

Run ``python -m bench.bench_pair_check [--draws N]`` (default 8: the 112
recordings of ``bench/README.md``).
"""

from __future__ import annotations

import argparse
import itertools
from types import SimpleNamespace

import numpy as np
from sklearn.cluster import KMeans

from bench.realistic_recordings import realistic_recordings_of_draws
from nnmf_core.spikes import CUT_UNIT_SEPARATION, SEPARATION_THRESHOLD, merge_refractory_check, pair_projection
from nnmf_core.spikes.pairs import MERGE_VERDICTS as VERDICTS


def judged(recording, labels: np.ndarray, a: int, b: int) -> tuple[float, str]:
    d_prime = pair_projection(recording.waveforms, labels, a, b).d_prime
    check = merge_refractory_check(recording.spike_times, labels, a, b, sampling_rate=recording.sampling_rate)
    return d_prime, check.kind


#: Cut units are reported by the share of the unit in the smaller part: 2-means either cuts a unit near its
#: middle or splits off a handful of far waveforms (spikes overlapping another unit's, noise).
CUT_SHARES = ((0.2, 0.51, "one neuron cut near its middle (smaller part ≥ 20 %)"),
              (0.05, 0.2, "one neuron, a part of 5–20 % cut off"),
              (0.0, 0.05, "one neuron, a handful (< 5 %) of far waveforms cut off"))


def pairs_of(recordings) -> dict[str, list]:
    found = {"two neurons (every pair of true units)": [], **{name: [] for *_, name in CUT_SHARES}}
    for recording in recordings:
        labels = recording.labels.astype(np.int64)
        for a, b in itertools.combinations(np.unique(labels), 2):
            found["two neurons (every pair of true units)"].append(judged(recording, labels, a, b))
        for unit in np.unique(labels):
            members = np.flatnonzero(labels == unit)
            halves = KMeans(2, n_init=4, random_state=0).fit_predict(recording.waveforms[members])
            cut = np.full(labels.size, -1, dtype=np.int64)
            cut[members] = halves
            kept = cut >= 0
            smaller = min(np.mean(halves == 0), np.mean(halves == 1))
            name = next(name for low, high, name in CUT_SHARES if low <= smaller < high)
            found[name].append(judged(_subset(recording, kept), cut[kept], 0, 1))
    return found


def _subset(recording, kept: np.ndarray) -> SimpleNamespace:
    """The recording's waveforms and spike times of ``kept`` only (the spike times keep the recording's span)."""
    return SimpleNamespace(waveforms=recording.waveforms[kept], spike_times=recording.spike_times[kept],
                           sampling_rate=recording.sampling_rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=8)
    args = parser.parse_args()
    recordings = realistic_recordings_of_draws(args.draws)
    found = pairs_of(recordings)
    print(f"{len(recordings)} recordings\n")
    print(f"| pair | n | d′ median (10–90 %) | d′ < {CUT_UNIT_SEPARATION:.2f} | d′ ≥ {SEPARATION_THRESHOLD:g} | "
          + " | ".join(VERDICTS) + " |")
    print("|---|---:|---:|---:|---:|" + "---:|" * len(VERDICTS))
    for name, rows in found.items():
        if not rows:
            continue
        d = np.array([row[0] for row in rows])
        said = [row[1] for row in rows]
        low, mid, high = np.percentile(d, [10, 50, 90])
        print(f"| {name} | {len(rows)} | {mid:.2f} ({low:.2f}–{high:.2f}) | {np.mean(d < CUT_UNIT_SEPARATION):.1%} | "
              f"{np.mean(d >= SEPARATION_THRESHOLD):.1%} | "
              + " | ".join(f"{said.count(v) / len(said):.1%}" for v in VERDICTS) + " |")


if __name__ == "__main__":
    main()
