"""The Dask path against the NumPy path, on a real two-process LocalCluster.

Same seed, same start, same iterations: the losses must agree to 1e-5
(float64), whatever the chunking; a worker killed mid-fit must not hang it.
"""

import concurrent.futures
import os
import signal
import sys
import time
import types

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install -r requirements-dev.txt)")
distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")

from nnmf_core import InputError, factorize, transform  # noqa: E402


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    """These tests never touch Streamlit (overrides the suite's autouse fixture)."""
    yield


@pytest.fixture(scope="module")
def client():
    """Two worker processes on loopback. Worker processes are spawned, and a
    spawned process first re-runs the parent's ``__main__``: after an AppTest
    that is a page script, so a plain module stands in while the cluster
    lives (the nanny also spawns the replacement of a killed worker). The
    environment is restored afterwards: later tests start processes too."""
    main, environ = sys.modules["__main__"], dict(os.environ)
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                           dashboard_address=None, memory_limit="1GB")
        with distributed.Client(cluster) as client:
            yield client
        cluster.close()
    finally:
        sys.modules["__main__"] = main
        os.environ.clear()  # the nanny sets its workers' variables (MALLOC_TRIM_THRESHOLD_, …) in this process
        os.environ.update(environ)


@pytest.fixture(scope="module")
def V():
    rng = np.random.default_rng(0)
    return rng.random((10_000, 8)) @ rng.random((8, 60)) + 0.05 * rng.random((10_000, 60))


def both(V_numpy, V_dask, **options):
    options = {"max_iter": 12, "tol": 0, "dtype": np.float64, "random_state": 0, **options}
    return factorize(V_numpy, 20, **options), factorize(V_dask, 20, **options)


def assert_same_fit(ours, theirs):
    np.testing.assert_allclose(theirs.loss_history, ours.loss_history, rtol=1e-5)
    assert theirs.n_iter == ours.n_iter
    assert theirs.relative_error == pytest.approx(ours.relative_error, rel=1e-5)


@pytest.mark.parametrize("solver", ["hals", "mu"])
@pytest.mark.parametrize("init", ["nndsvda", "random"])
def test_dask_fit_equals_numpy_fit_in_seven_chunks(client, V, solver, init):
    V_dask = da.from_array(V, chunks=(10_000 // 7 + 1, 60))
    assert V_dask.numblocks == (7, 1)
    ours, theirs = both(V, V_dask, solver=solver, init=init)
    assert_same_fit(ours, theirs)
    assert isinstance(theirs.H, np.ndarray) and isinstance(theirs.W, da.Array)
    assert theirs.W.shape == (10_000, 20) and theirs.W.numblocks[0] > 1  # partitioned, on both workers
    np.testing.assert_allclose(theirs.W.compute(), ours.W, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(theirs.H, ours.H, rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("chunks", [((1000, 3000, 500, 5500), 60), (10_000, (20, 40)), ((2500, 7500), (7, 53))],
                         ids=["uneven rows", "columns", "both axes"])
def test_any_chunking_gives_the_numpy_fit(client, V, chunks):
    ours, theirs = both(V, da.from_array(V, chunks=chunks), solver="hals")
    assert_same_fit(ours, theirs)


@pytest.mark.parametrize("solver", ["hals", "mu"])
def test_a_wide_matrix_keeps_its_long_side_partitioned(client, V, solver):
    wide = np.ascontiguousarray(V.T)
    ours, theirs = both(wide, da.from_array(wide, chunks=(60, 1500)), solver=solver)
    assert_same_fit(ours, theirs)
    assert isinstance(theirs.W, np.ndarray) and isinstance(theirs.H, da.Array)


def test_float32_and_penalties_follow_the_numpy_path(client, V):
    ours, theirs = both(V.astype(np.float32), da.from_array(V.astype(np.float32), chunks=(3000, 60)),
                        dtype=np.float32, alpha=0.01, l1_ratio=0.5)
    np.testing.assert_allclose(theirs.loss_history, ours.loss_history, rtol=1e-3)
    assert theirs.W.dtype == np.float32 and theirs.H.dtype == np.float32


def test_on_iteration_sees_every_loss_and_can_stop(client, V):
    seen = []
    result = factorize(da.from_array(V, chunks=(2500, 60)), 5, on_iteration=lambda i, loss: seen.append(loss) or i == 4)
    assert result.n_iter == 4 and result.stopped_early
    np.testing.assert_array_equal(seen, result.loss_history)


def test_transform_of_a_dask_array_equals_the_in_memory_one(client, V):
    H = factorize(V, 6, random_state=0).H
    ours = transform(V, H)
    theirs = transform(da.from_array(V, chunks=(1234, 25)), H)
    assert isinstance(theirs, da.Array)
    np.testing.assert_allclose(theirs.compute(), ours, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kwargs, words", [
    ({"mask": np.ones((10_000, 60), bool), "solver": "mu"}, "in memory only"),
    ({"loss": "kullback-leibler", "solver": "mu"}, "in memory only"),
])
def test_mask_and_kl_are_refused_for_dask(client, V, kwargs, words):
    with pytest.raises(InputError, match=words):
        factorize(da.from_array(V, chunks=(5000, 60)), 3, **kwargs)


@pytest.mark.parametrize("bad, words", [
    (np.nan, "1 entries that are NaN or infinite, first at \\(row 17, column 3\\)"),
    (-2.0, "1 negative entries \\(smallest -2\\)"),
])
def test_bad_dask_data_is_refused_with_the_in_memory_sentence(client, V, bad, words):
    broken = V.copy()
    broken[17, 3] = bad
    with pytest.raises(InputError, match=words):
        factorize(da.from_array(broken, chunks=(3000, 60)), 3)


def test_a_worker_killed_mid_fit_neither_hangs_nor_fails_silently(client, V):
    """Dask recomputes the lost partitions from their lineage; the fit then
    finishes, or fails with one error naming the lost worker — within a minute."""
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]

    def kill_once(i, loss):
        if i == 5:
            os.kill(pids[victim], signal.SIGKILL)
            time.sleep(0.5)

    def fit():
        return factorize(da.from_array(V, chunks=(2500, 60)), 5, max_iter=30, tol=0, random_state=0,
                         dtype=np.float64, on_iteration=kill_once)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        job = pool.submit(fit)
        try:
            result = job.result(timeout=120)
        except concurrent.futures.TimeoutError:
            pytest.fail("the fit hung after a worker was killed")
        except Exception as exc:  # one clear error is acceptable
            assert "worker" in str(exc).lower() or type(exc).__name__ in {"KilledWorker", "FutureCancelledError"}
        else:
            reference = factorize(V, 5, max_iter=30, tol=0, random_state=0, dtype=np.float64)
            np.testing.assert_allclose(result.loss_history, reference.loss_history, rtol=1e-5)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the worker for the next tests
