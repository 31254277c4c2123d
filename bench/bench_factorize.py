"""Speed of nnmf_core's solvers beside their peers, in one process, as ratios.

Run with ``make bench`` (or ``python -m bench.bench_factorize``). Every row is
the median of paired repeats: the peer and ours run back to back in each
repeat, so a noisy machine slows both alike, and the ratio is taken per pair.

1. MU against the reference notebook's naive code path (bench/naive_reference.py),
   same start, 300 iterations, 512×512 grayscale photo, rank 20, float64.
2. HALS against scikit-learn NMF(solver="cd", init="nndsvda", max_iter=300):
   time until our relative error is at most scikit-learn's final one,
   float32, the same BLAS threads, ranks 20 and 50.
3. MU per iteration against its two large products WᵀV and VHᵀ alone (formed
   as the solver forms them), with one BLAS thread (the app's setting) and
   with all usable cores.
4. A 150×512 spike-like matrix at rank 3, fit to convergence.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings
from functools import partial

import numpy as np
from skimage import data as skimage_data
from sklearn.decomposition import NMF
from threadpoolctl import threadpool_info, threadpool_limits

from bench.naive_reference import naive_mu
from nnmf_core import factorize, pin_blas_threads
from nnmf_core.spikes import nonnegative, synthetic_spikes


def timed(fn):
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def photo(dtype):
    return (skimage_data.camera().astype(np.float64) / 255.0).astype(dtype)


def mu_against_notebook(repeats):
    V = photo(np.float64)
    rng = np.random.default_rng(0)
    W0, H0 = np.abs(rng.standard_normal((512, 20))), np.abs(rng.standard_normal((20, 512)))
    pairs, differences = [], []
    for _ in range(repeats):
        t_naive, (_, _, naive_losses) = timed(lambda: naive_mu(V, W0, H0, 300))
        t_ours, ours = timed(
            lambda: factorize(V, 20, solver="mu", init=(W0, H0), max_iter=300, tol=0, dtype=np.float64)
        )
        pairs.append((t_naive, t_ours))
        naive_losses = np.asarray(naive_losses)
        differences.append(float(np.max(np.abs(ours.loss_history - naive_losses) / naive_losses)))
    return pairs, max(differences)


def hals_against_scikit_learn(rank, repeats):
    V = photo(np.float32)
    norm = float(np.linalg.norm(V.astype(np.float64)))
    pairs, iterations = [], []
    for _ in range(repeats):
        peer = NMF(rank, solver="cd", init="nndsvda", max_iter=300)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_peer, W = timed(partial(peer.fit_transform, V))
        target = float(np.linalg.norm(V - W @ peer.components_) / norm)
        def reached(i, loss, target=target):
            return np.sqrt(loss) / norm <= target

        t_ours, ours = timed(partial(factorize, V, rank, max_iter=3000, tol=0, on_iteration=reached))
        if ours.relative_error > target * (1 + 1e-4):
            raise RuntimeError(f"HALS stopped at {ours.relative_error:.5f}, above scikit-learn's {target:.5f}")
        pairs.append((t_peer, t_ours))
        iterations.append((peer.n_iter_, ours.n_iter))
    return pairs, iterations[-1], target


def mu_against_its_products(repeats, threads):
    """Marginal MU time per iteration, (t(600 it) − t(100 it)) / 500, so the
    fixed costs (validation, start, final error) drop out, against the two
    large products alone in the layout the solver uses (VᵀW and VHᵀ)."""
    V = photo(np.float32)
    rng = np.random.default_rng(1)
    W0 = np.abs(rng.standard_normal((512, 20))).astype(np.float32)
    H0 = np.abs(rng.standard_normal((20, 512))).astype(np.float32)
    VtW, VHt = np.empty((512, 20), np.float32), np.empty((512, 20), np.float32)

    def products(iterations=500):
        for _ in range(iterations):
            np.matmul(V.T, W0, out=VtW)
            np.matmul(V, H0.T, out=VHt)

    def mu(iterations):
        return factorize(V, 20, solver="mu", init=(W0, H0), max_iter=iterations, tol=0)

    pairs = []
    with threadpool_limits(threads):
        for _ in range(repeats):
            t_products, _ = timed(products)
            t_short, _ = timed(lambda: mu(100))
            t_long, _ = timed(lambda: mu(600))
            pairs.append((t_products / 500, (t_long - t_short) / 500))
    return pairs


def spike_fit(repeats):
    waveforms, _ = synthetic_spikes(n_per_unit=128, n_units=4, random_state=0)
    V = nonnegative(waveforms, "shift").V
    times, iterations = [], []
    for _ in range(repeats):
        t, result = timed(lambda: factorize(V, 3))
        times.append(t)
        iterations.append(result.n_iter)
    return V.shape, statistics.median(times), iterations[-1]


def median_ratio(pairs):
    return statistics.median(b / a for a, b in pairs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="paired repeats per row (≥ 5 for reported numbers)")
    args = parser.parse_args()
    threads = pin_blas_threads()
    blas = ", ".join(f"{i['internal_api']} {i.get('version', '')} {i.get('architecture', '')}".strip() for i in threadpool_info())
    print(f"nnmf_core benchmarks — {time.strftime('%Y-%m-%d')}, {platform.machine()}, {threads} BLAS threads ({blas}), "
          f"numpy {np.__version__}, Python {platform.python_version()}, {args.repeats} paired repeats, medians\n")

    rows = []
    pairs, difference = mu_against_notebook(args.repeats)
    rows.append(("MU 300 it, 512×512 photo, k=20, float64", "notebook code path", pairs,
                 f"speed-up {1 / median_ratio(pairs):.0f}× (target ≥ 40×); "
                 f"loss histories differ by ≤ {difference:.1e} (target ≤ 1e-9)"))
    for rank in (20, 50):
        pairs, (peer_iter, our_iter), target = hals_against_scikit_learn(rank, args.repeats)
        rows.append((f"HALS to sklearn's error {target:.4f}, k={rank}, float32", f"sklearn cd ({peer_iter} it)", pairs,
                     f"ours/sklearn = {median_ratio(pairs):.2f}× in {our_iter} it (target ≤ 0.5×)"))
    for threads_used in sorted({1, threads}):
        pairs = mu_against_its_products(args.repeats, threads_used)
        rows.append((f"MU iteration, 512×512, k=20, float32, {threads_used} BLAS thread(s)", "VᵀW + VHᵀ alone", pairs,
                     f"MU/products = {median_ratio(pairs):.2f}× (target ≤ 1.3×)"))

    print("| case | peer | peer s | ours s | result |")
    print("|---|---|---:|---:|---|")
    for case, peer, pairs, verdict in rows:
        peer_s = statistics.median(a for a, _ in pairs)
        ours_s = statistics.median(b for _, b in pairs)
        print(f"| {case} | {peer} | {peer_s:.4g} | {ours_s:.4g} | {verdict} |")
    shape, seconds, n_iter = spike_fit(max(args.repeats, 5))
    print(f"| spike-like {shape[0]}×{shape[1]}, k=3, HALS to tol 1e-4 | — | — | {seconds:.4f} | {n_iter} iterations |")


if __name__ == "__main__":
    main()
