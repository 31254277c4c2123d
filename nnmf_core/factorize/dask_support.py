"""A Dask array as the solvers see it: checked once, cut into partitions along
its long axis, and held where the work happens.

Dask is imported only here and only when a Dask array arrives, so the app
never needs it. :class:`_Partitioned` holds X — V itself when V is tall
(n ≥ m), else Vᵀ — cut into row partitions of whole sweep blocks (see
:mod:`~nnmf_core.factorize.hals`), kept in the workers' memory when it fits
in half of it, else read from its source at every pass. The functions below
run one task per partition and reduce only small products (k × m, k × k), in
the spirit of MPI-FAUN (Kannan, Ballard & Park 2016): the tall factor stays
partitioned beside X, the short factor is broadcast, and no n × m
intermediate is ever formed.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.factorize.hals import WHOLE_SWEEP_MAX, _sweep_block
from nnmf_core.factorize.validation import _checked_range

#: Bytes of V aimed at per partition (before rounding to whole sweep blocks).
PARTITION_BYTES = 64 * 1024 * 1024
#: X is kept in the workers' memory when it takes at most this share of it.
PERSIST_SHARE = 0.5
#: Partial results summed per task of the reduction tree.
REDUCTION_FAN_IN = 16


def _is_dask_array(V) -> bool:
    """Whether V is a ``dask.array.Array``, without importing Dask."""
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(V, module.Array)


def _dask():
    """The Dask modules the solvers use, imported on first need."""
    try:
        import dask
        import dask.array as da
    except ImportError:  # pragma: no cover - only without the optional extra
        raise InputError(
            "Factorizing a Dask array needs Dask: pip install 'nnmf-studio[large]'."
        ) from None
    return dask, da


def _memory_for_data() -> float:
    """Bytes the scheduler in use can hold: the workers' memory limits under a
    distributed client, else this machine's available memory."""
    try:
        from distributed import get_client

        client = get_client()
    except (ImportError, ValueError):
        client = None
    if client is not None:
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
        limits = [w.get("memory_limit") or 0 for w in workers.values()]
        if limits and all(limits):
            return float(sum(limits))
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # not Linux
        return 0.0


def _partition_rows(rows: int, cols: int, k: int, itemsize: int, wanted: int | None = None) -> int:
    """Rows of X per partition: about :data:`PARTITION_BYTES` (or ``wanted``
    rows), a whole number of sweep blocks, or all rows of a short X."""
    if rows <= WHOLE_SWEEP_MAX:
        return rows
    block = _sweep_block(k, itemsize)
    target = wanted if wanted else max(1, PARTITION_BYTES // max(1, cols * itemsize))
    return min(rows, block * max(1, round(target / block)))


def _aligned(X, k: int, itemsize: int) -> bool:
    """Whether X's chunks can serve as partitions as they are: one chunk of
    columns, and rows cut only on sweep-block boundaries (or one chunk)."""
    if X.numblocks[1] != 1:
        return False
    if X.numblocks[0] == 1:
        return True
    if X.shape[0] <= WHOLE_SWEEP_MAX:
        return False
    block = _sweep_block(k, itemsize)
    return all(size % block == 0 for size in X.chunks[0][:-1])


@dataclass
class _Partitioned:
    """X (rows × cols) in row partitions, and what the fit needs to know of V.

    Attributes
    ----------
    X : dask.array.Array, shape (rows, cols)
        V (``transposed`` False) or Vᵀ, of the fit's dtype, one chunk of
        columns, rows in ``bounds``.
    parts : list of Delayed
        One per partition, in order.
    bounds : list of (start, stop)
        The rows of X each partition holds.
    transposed : bool
        True when X is Vᵀ (V wider than tall): the tall factor is then Hᵀ.
    norm_sq : float
        ‖V‖² of V in the fit's dtype, accumulated in float64.
    mean : float
        Mean of V in the fit's dtype.
    persisted : bool
        Whether X is held in the workers' memory.
    """

    X: object
    parts: list
    bounds: list
    transposed: bool
    norm_sq: float
    mean: float
    persisted: bool


def _partitioned(V, rank: int, dtype: np.dtype, rows_per_partition: int | None = None) -> _Partitioned:
    """Check a Dask array V like :func:`~nnmf_core.factorize.validation._validated_matrix`
    (one pass over the data) and cut it for the fit."""
    dask, da = _dask()
    if V.dtype.kind not in "biuf":
        raise InputError(f"V must hold numbers; it holds {V.dtype} values.")
    if V.ndim != 2:
        raise InputError(f"V must be a 2-D matrix; it has {V.ndim} dimension(s), shape {V.shape}.")
    if any(np.isnan(s) for s in V.shape):
        raise InputError("V has chunks of unknown size; call V.compute_chunk_sizes() first.")
    if V.size == 0:
        raise InputError(f"V is empty (shape {V.shape}); there is nothing to factor.")
    n, m = V.shape
    transposed = m > n
    X = V.T if transposed else V
    rows, cols = X.shape
    if not _aligned(X, rank, dtype.itemsize):
        # the caller's row chunks, rounded to whole sweep blocks, or about PARTITION_BYTES
        wanted = rows_per_partition or (int(np.median(X.chunks[0])) if X.numblocks[0] > 1 else None)
        X = X.rechunk({0: _partition_rows(rows, cols, rank, dtype.itemsize, wanted), 1: -1})
    raw = X.astype(np.float64) if X.dtype.kind in "biu" else X
    fit = raw.astype(dtype)
    stats = dask.compute(
        (~da.isfinite(raw)).sum(),
        (raw < 0).sum(),
        da.nanmax(raw),
        (raw != 0).any(),
        (fit.astype(np.float64) ** 2).sum(),
        fit.mean(),
        optimize_graph=False,  # the same keys as the persist below, so the same tasks
    )
    nonfinite, negative, largest, _, norm_sq, mean = stats
    if nonfinite:
        first = _first_positions(~da.isfinite(raw))
        if transposed:
            first = [(c, r) for r, c in first]
        where = ", ".join(f"(row {r}, column {c})" for r, c in first)
        raise InputError(
            f"V has {int(nonfinite)} entries that are NaN or infinite, first at {where}; NMF needs finite "
            "numbers (a mask of missing entries works in memory only)."
        )
    if negative:
        smallest = float(raw.min().compute())
        raise InputError(
            f"V has {int(negative)} negative entries (smallest {smallest:.4g}); "
            "NMF needs non-negative data — shift or split it first."
        )
    _checked_range(float(largest), dtype, None, None)  # the in-memory sentences: zero, overflow, underflow
    persisted = fit.nbytes <= PERSIST_SHARE * _memory_for_data()
    if persisted:
        fit = fit.persist(optimize_graph=False)
    parts = list(fit.to_delayed().ravel())
    starts = np.cumsum((0,) + fit.chunks[0])
    bounds = [(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]
    return _Partitioned(fit, parts, bounds, transposed, float(norm_sq), float(mean), persisted)


def _first_positions(flags, count: int = 3) -> list:
    """(row, column) of the first ``count`` True entries of a 2-D Dask array
    of booleans, reading only the blocks that hold them."""
    counts = flags.map_blocks(lambda b: np.array([[int(b.sum())]]), chunks=(1, 1), dtype=np.int64).compute()
    starts = [np.cumsum((0,) + c)[:-1] for c in flags.chunks]
    found = []
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            if counts[i, j] and len(found) < count:
                rows, cols = np.nonzero(flags.blocks[i, j].compute())
                found += [(int(r + starts[0][i]), int(c + starts[1][j])) for r, c in zip(rows, cols)]
    return sorted(found)[:count]


def _tree_sum(parts: list):
    """A Delayed sum of Delayed partial results (tuples of arrays and numbers),
    :data:`REDUCTION_FAN_IN` at a time."""
    dask, _ = _dask()
    while len(parts) > 1:
        parts = [
            dask.delayed(_sum_of_parts, pure=True)(*parts[i : i + REDUCTION_FAN_IN])
            for i in range(0, len(parts), REDUCTION_FAN_IN)
        ]
    return parts[0]


def _sum_of_parts(*parts):
    """Element-wise sum of tuples of arrays and numbers."""
    total = list(parts[0])
    for part in parts[1:]:
        for i, value in enumerate(part):
            total[i] = total[i] + value
    return tuple(total)


def _assembled(blocks: list, bounds: list, k: int, dtype: np.dtype, transposed: bool):
    """A Dask array from one Delayed (rows × k) block per partition: the
    blocks stacked (n × k), or, ``transposed``, their transposes side by side
    (k × m)."""
    dask, da = _dask()
    if transposed:
        blocks = [dask.delayed(_transposed_copy, pure=True)(b) for b in blocks]
    pieces = [
        da.from_delayed(b, shape=(k, stop - start) if transposed else (stop - start, k), dtype=dtype)
        for b, (start, stop) in zip(blocks, bounds)
    ]
    return da.concatenate(pieces, axis=1 if transposed else 0)


def _transposed_copy(block):
    return np.ascontiguousarray(block.T)
