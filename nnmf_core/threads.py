"""Keep BLAS from using more threads than the process may run on."""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1.

    A cloud container often reports the host's core count through
    ``os.cpu_count()`` while the scheduler lets it use far fewer.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def pin_blas_threads(limit: int | None = None) -> int:
    """Limit every BLAS/OpenMP thread pool to ``limit`` threads (default: the
    usable cores) for the rest of the process; returns the limit applied."""
    limit = usable_cores() if limit is None else max(1, int(limit))
    threadpool_limits(limits=limit)
    return limit


def pin_blas_threads_for_sessions() -> int:
    """One BLAS thread per fit, for the app server.

    Streamlit runs every browser session in its own thread, so sessions use
    the cores side by side. A multi-threaded BLAS inside each would fight for
    the same cores: with one other busy process on a 2-core machine, the
    default compression fit took 6–15 s with two BLAS threads and 0.38 s with
    one (uncontended, one thread costs about 7 %).
    """
    return pin_blas_threads(1)
