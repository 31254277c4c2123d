"""Scale: HALS on tall matrices in memory, and out of core on Dask, beside their peers.

Run from the project root with ``python -m bench.bench_scale`` (about 15
minutes; ``--part 1`` or ``--part 2`` runs one part). Large files go to
``bench/results/`` (git-ignored) and are deleted at the end unless ``--keep``.

1. In memory, one BLAS thread: 100 HALS iterations from a given start against
   their two large products alone (VᵀW and VHᵀ, 100 times) and scikit-learn's
   coordinate descent (100 iterations), on 200,000 × 150 float32 at k = 5 (the
   spike shape) and 3000 × 4000 at k = 20. Paired repeats, medians of ratios.
2. Out of core: 2,000,000 × 150 float32 (1.2 GB) as ``.npy`` on disk, fitted
   by ``python -m nnmf_core fit --scheduler local`` with 2 workers of 1 GB:
   peak RSS of the driver process, seconds per iteration against the NumPy
   path on the same data in memory (same cores), 1 against 2 workers, bytes
   the workers send per iteration, and scikit-learn's MiniBatchNMF to the
   same relative error.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import NMF as SklearnNMF
from sklearn.decomposition import MiniBatchNMF
from threadpoolctl import threadpool_info, threadpool_limits

from nnmf_core import factorize, usable_cores

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]


def low_rank(n, m, k, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return (rng.random((n, k)) @ rng.random((k, m)) + 0.1 * rng.random((n, m))).astype(dtype)


def timed(fn):
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


# ------------------------------------------------------------------ part 1


def in_memory_ratios(n, m, k, repeats, with_sklearn):
    """Paired CPU seconds (products, HALS, sklearn cd) of 100 iterations, one
    BLAS thread. CPU time, not wall time: the machine is shared, and with one
    thread the two agree on an idle machine. The products are formed as the
    solver forms them (VᵀW with W kept transposed, and VHᵀ)."""
    V = low_rank(n, m, k)
    rng = np.random.default_rng(1)
    W0, H0 = rng.random((n, k)).astype(np.float32), rng.random((k, m)).astype(np.float32)
    Wt = np.ascontiguousarray(W0.T)
    VtW, VHt = np.empty((m, k), np.float32), np.empty((n, k), np.float32)

    def products():
        for _ in range(100):
            np.matmul(V.T, Wt.T, out=VtW)
            np.matmul(V, H0.T, out=VHt)

    def cpu(fn):
        started = time.process_time()
        out = fn()
        return time.process_time() - started, out

    rows = []
    with threadpool_limits(1):
        for _ in range(repeats):
            t_products, _ = cpu(products)
            t_hals, result = cpu(lambda: factorize(V, k, init=(W0, H0), max_iter=100, tol=0))
            t_peer = float("nan")
            if with_sklearn:
                peer = SklearnNMF(k, solver="cd", init="custom", max_iter=100, tol=0)
                t_peer, _ = cpu(lambda peer=peer: peer.fit_transform(V, W=W0.copy(), H=H0.copy()))
            rows.append((t_products, t_hals, t_peer, result.relative_error))
    return rows


# ------------------------------------------------------------------ part 2


def write_large_npy(path: Path, n: int, m: int, k: int) -> float:
    """A non-negative low-rank-plus-noise float32 matrix written a block at a
    time; returns its squared Frobenius norm."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, m))
    rng = np.random.default_rng(0)
    H = rng.random((k, m))
    norm_sq = 0.0
    for start in range(0, n, 100_000):
        stop = min(start + 100_000, n)
        block = (rng.random((stop - start, k)) @ H + 0.1 * rng.random((stop - start, m))).astype(np.float32)
        out[start:stop] = block
        norm_sq += float(np.sum(block.astype(np.float64) ** 2))
    out.flush()
    del out
    return norm_sq


_PROGRESS = re.compile(r"iteration (\d+)/\d+\s+loss (\S+)\s+(\S+) s/iteration")


def cli_fit(path, out, workers, worker_memory, max_iter):
    """Run the command line; returns (wall seconds, peak driver RSS in MB,
    [(seconds since start, iteration, loss)], stderr)."""
    command = [sys.executable, "-m", "nnmf_core", "fit", str(path), "--rank", "5", "--max-iter", str(max_iter),
               "--tol", "0", "--seed", "0", "--scheduler", "local", "--workers", str(workers),
               "--worker-memory", worker_memory, "--out", str(out)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def watch():
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    progress, lines = [], []
    for line in process.stderr:
        lines.append(line)
        match = _PROGRESS.search(line)
        if match:
            progress.append((time.perf_counter() - started, int(match.group(1)), float(match.group(2))))
    process.wait()
    watcher.join(timeout=1)
    if process.returncode != 0:
        raise RuntimeError("".join(lines[-20:]))
    return time.perf_counter() - started, peak[0] / 1024, progress, "".join(lines)


def seconds_per_iteration(progress, skip=3):
    """Marginal seconds per iteration from the progress lines after ``skip``."""
    late = [(t, i) for t, i, _ in progress if i > skip]
    if len(late) < 2:
        return float("nan")
    return (late[-1][0] - late[0][0]) / (late[-1][1] - late[0][1])


def time_to_error(progress, norm_sq, target):
    for seconds, _, loss in progress:
        if np.sqrt(max(loss, 0.0) / norm_sq) <= target:
            return seconds
    return float("nan")


def bytes_per_iteration(rows, m, k, iterations=10):
    """Bytes the workers send per iteration (distributed's own count, between
    iterations 3 and 3 + ``iterations``) for an in-memory Dask array on a
    2-worker LocalCluster, and its number of partitions."""
    import warnings

    import dask.array as da
    from distributed import Client, LocalCluster

    V = low_rank(rows, m, k)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster, Client(cluster) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the array is sent once, with the graph
            X = da.from_array(V, chunks=(rows // 4, m)).persist()

        def sent():
            return sum(client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total).values())

        marks = {}

        def mark(i, loss):
            if i in (3, 3 + iterations):
                marks[i] = sent()

        factorize(X, k, max_iter=3 + iterations, tol=0, init="random", random_state=0, on_iteration=mark)
        return (marks[3 + iterations] - marks[3]) / iterations, X.numblocks[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="paired repeats in part 1")
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of the out-of-core matrix")
    parser.add_argument("--iterations", type=int, default=30, help="iterations of the out-of-core fits")
    parser.add_argument("--part", choices=("1", "2", "all"), default="all", help="run part 1, part 2 or both")
    parser.add_argument("--keep", action="store_true", help="keep the large .npy file")
    args = parser.parse_args()
    blas = ", ".join(f"{i['internal_api']} {i.get('version', '')} {i.get('architecture', '')}".strip()
                     for i in threadpool_info() if i["user_api"] == "blas")
    print(f"bench_scale — {time.strftime('%Y-%m-%d')}, {platform.machine()}, {usable_cores()} cores ({blas}), "
          f"numpy {np.__version__}, Python {platform.python_version()}\n")

    print("| case, 100 iterations, 1 BLAS thread, CPU s | two products | HALS | HALS/products | sklearn cd |")
    print("|---|---:|---:|---:|---:|")
    for n, m, k, target in ((200_000, 150, 5, 1.5), (3000, 4000, 20, 1.3)) if args.part != "2" else ():
        rows = in_memory_ratios(n, m, k, args.repeats, with_sklearn=True)
        ratio = statistics.median(h / p for p, h, _, _ in rows)
        print(f"| {n:,} × {m:,}, k={k}, float32 | {statistics.median(r[0] for r in rows):.2f} | "
              f"{statistics.median(r[1] for r in rows):.2f} | {ratio:.2f}× (target ≤ {target}×) | "
              f"{statistics.median(r[2] for r in rows):.2f} |", flush=True)
    if args.part == "1":
        return

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "scale_2M.npy"
    n, m, k = args.rows, 150, 5
    t_write, norm_sq = timed(lambda: write_large_npy(path, n, m, k))
    print(f"\nwrote {path.name}: {n:,} × {m} float32, {path.stat().st_size / 1e9:.2f} GB, in {t_write:.0f} s", flush=True)
    try:
        runs = {}
        for workers, memory in ((2, "1GB"), (1, "2GB")):
            out = RESULTS / f"scale_fit_{workers}.npz"
            runs[workers] = cli_fit(path, out, workers, memory, args.iterations)
            out.unlink(missing_ok=True)
            wall, peak, progress, _ = runs[workers]
            print(f"CLI, {workers} worker(s) of {memory}: {wall:.0f} s, driver peak RSS {peak:.0f} MB, "
                  f"{seconds_per_iteration(progress):.2f} s/iteration", flush=True)

        V = np.load(path)  # the NumPy path on the same data, in memory, all cores
        rng_start = {}

        def stamp(i, loss):
            rng_start.setdefault("t", []).append((time.perf_counter(), i, loss))

        with threadpool_limits(usable_cores()):
            started = time.perf_counter()
            numpy_fit = factorize(V, k, max_iter=args.iterations, tol=0, random_state=0, on_iteration=stamp)
            numpy_progress = [(t - started, i, loss) for t, i, loss in rng_start["t"]]
            numpy_rate = seconds_per_iteration(numpy_progress)
            batch = MiniBatchNMF(k, init="nndsvda", batch_size=16_384, max_iter=10, random_state=0, tol=0,
                                 max_no_improvement=None)
            t_batch, W_batch = timed(lambda V=V: batch.fit_transform(V))
        batch_error = float(np.sqrt(np.sum((V - W_batch @ batch.components_).astype(np.float64) ** 2) / norm_sq))
        dask_two = runs[2]
        dask_rate = seconds_per_iteration(dask_two[2])
        print("\n| out of core, 2,000,000 × 150 float32, k = 5 | value |")
        print("|---|---:|")
        print(f"| driver peak RSS, CLI, 2 workers × 1 GB (target ≤ 400 MB) | {dask_two[1]:.0f} MB |")
        print(f"| s/iteration, Dask 2 workers × 1 thread | {dask_rate:.2f} |")
        print(f"| s/iteration, NumPy in memory, {usable_cores()} BLAS threads | {numpy_rate:.2f} |")
        print(f"| Dask / NumPy per iteration (target ≤ 2×) | {dask_rate / numpy_rate:.2f}× |")
        print(f"| s/iteration, Dask 1 worker (2 GB) | {seconds_per_iteration(runs[1][2]):.2f} |")
        print(f"| speed-up 2 workers / 1 worker | {seconds_per_iteration(runs[1][2]) / dask_rate:.2f}× |")
        print(f"| whole CLI run, {args.iterations} iterations (start, checks and writing included) | "
              f"{dask_two[0]:.0f} s |")
        print(f"| relative error after {args.iterations} iterations: NumPy / Dask | "
              f"{numpy_fit.relative_error:.5f} / {np.sqrt(dask_two[2][-1][2] / norm_sq):.5f} |")
        print(f"| MiniBatchNMF (10 epochs, batch 16,384, {usable_cores()} threads): s, relative error | "
              f"{t_batch:.0f} s, {batch_error:.5f} |")
        print(f"| time to MiniBatchNMF's error: ours in memory / ours on Dask (from process start) | "
              f"{time_to_error(numpy_progress, norm_sq, batch_error):.0f} s / "
              f"{time_to_error(dask_two[2], norm_sq, batch_error):.0f} s |", flush=True)
        del V
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)

    sent, partitions = bytes_per_iteration(200_000, m, k)
    analytic = partitions * (m * k * 8 + k * k * 8 + 3 * 8)
    print(f"\nbytes sent by the workers per iteration (200,000 × 150, k = 5, {partitions} partitions, 2 workers): "
          f"{sent:,.0f} measured; small products alone {analytic:,} (O(k·m) per partition); "
          f"the short factor broadcast: {k * m * 4 + k * k * 4:,} bytes per worker")


if __name__ == "__main__":
    main()
