"""Spike clustering: accuracy, stability and speed of the methods side by side.

On the bundled synthetic set (ground truth in its ``unit`` column):
ARI of the article's recipe (global shift + MU + argmax of H), of the app's
default NMF method, and of PCA(3) + k-means; the mean pairwise ARI of the
default method over 10 random starts (``init="random"``, seeds 0–9); the rank
the scan suggests. On ``../shared/data/TC_waveforms.csv`` (when present): the
suggested rank and the stability there. Speed: 512 waveforms × 150 samples at
rank 3, fit to convergence plus assignment, median of 20.

Targets: best NMF ≥ PCA + k-means − 0.02; stability ≥ 0.95; speed ≤ 0.1 s.
Recordings nobody here designed are in ``bench_spikes_realistic.py``.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from nnmf_core import pin_blas_threads
from nnmf_core.spikes import (
    ari,
    cluster_waveforms,
    load_sample_spikes,
    method_name,
    pca_kmeans,
    rank_scan,
    read_waveforms,
    stability,
    suggested_rank,
    synthetic_spikes,
)

ROOT = Path(__file__).resolve().parents[1]

TC = ROOT.parent / "shared" / "data" / "TC_waveforms.csv"


def stability_over_random_starts(waveforms, k, seeds=range(10)):
    labels = [cluster_waveforms(waveforms, k, init="random", random_state=seed).labels for seed in seeds]
    return stability(labels)


def main() -> None:
    threads = pin_blas_threads()
    table = load_sample_spikes()
    waveforms, truth = table.waveforms, np.asarray(table.label_columns["unit"])
    k = len(set(truth))
    print(f"spike clustering — {time.strftime('%Y-%m-%d')}, {threads} BLAS threads; bundled set "
          f"{waveforms.shape[0]} waveforms × {waveforms.shape[1]} samples, {k} units\n")

    article = cluster_waveforms(waveforms, k, transform="shift", solver="mu", assignment="argmax", init="random",
                                max_iter=1000, tol=0, n_restarts=1, random_state=0)
    default = cluster_waveforms(waveforms, k)
    shape_only = cluster_waveforms(waveforms, k, assignment="kmeans")
    baseline = pca_kmeans(waveforms, k)
    rows = [
        ("article: global shift + MU (1000 it) + argmax of H", ari(article.labels, truth)),
        (f"default {method_name(default.transform, 'hals', default.assignment)}", ari(default.labels, truth)),
        ("PCA (3 components) + k-means", ari(baseline.labels, truth)),
        (f"{method_name(shape_only.transform, 'hals', shape_only.assignment)} (the default until 2026-11)",
         ari(shape_only.labels, truth)),
    ]
    print("| method | ARI vs truth |")
    print("|---|---:|")
    for name, score in rows:
        print(f"| {name} | {score:.3f} |")
    margin = rows[1][1] - rows[2][1]
    print(f"\nbest NMF − PCA + k-means = {margin:+.3f} (target ≥ −0.02)")
    print(f"stability, default method, init=random seeds 0–9, k={k}: "
          f"{stability_over_random_starts(waveforms, k):.3f} (target ≥ 0.95)")
    print(f"suggested rank, bundled set: {suggested_rank(rank_scan(waveforms))} (truth: {k})")
    if TC.exists():
        tc = read_waveforms(TC.read_bytes()).waveforms
        k_tc = suggested_rank(rank_scan(tc))
        print(f"TC_waveforms.csv ({tc.shape[0]} × {tc.shape[1]}): suggested rank {k_tc}, stability there "
              f"{stability_over_random_starts(tc, k_tc):.3f}")
    else:
        print(f"{TC} not found: the TC figures are skipped")

    speed_set, _ = synthetic_spikes(n_per_unit=128, n_units=4, random_state=1)
    times = []
    for _ in range(20):
        started = time.perf_counter()
        result = cluster_waveforms(speed_set, 3)
        times.append(time.perf_counter() - started)
    print(f"speed, {speed_set.shape[0]} × {speed_set.shape[1]} at rank 3 (fit to convergence + assignment, "
          f"{result.result.n_iter} iterations): median {statistics.median(times) * 1000:.1f} ms (target ≤ 100 ms)")


if __name__ == "__main__":
    main()
