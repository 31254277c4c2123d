"""Hierarchical alternating least squares, accelerated as in Gillis & Glineur
(2012): each product of the data with a factor is reused for several cheap
coordinate sweeps over the components. :func:`_hals` runs one restart from
(W, H) and returns the fitted (W, H); the tracker holds the losses.

A factor longer than ``WHOLE_SWEEP_MAX`` columns (of Wᵀ or H) is swept in
blocks of :func:`_sweep_block` columns, each block with its own stopping
test: a block needs nothing but its own columns, so the Dask path
(:mod:`~nnmf_core.factorize.dask_solvers`) sweeps the blocks of each
partition of a tall factor where it lives, with the same result. Shorter
factors (every factor the pages fit) are swept as a whole with one test.
"""

from __future__ import annotations

import numpy as np

from nnmf_core.factorize.loss import _Float64Pair, _inner_product, _penalty_value, _squared_norm

#: HALS: NumPy's overhead per component and sweep, in multiply-adds, and the
#: most sweeps one product of V with a factor is reused for.
SWEEP_OVERHEAD = 20_000
MAX_INNER_SWEEPS = 10
#: HALS: a sweep's element-wise passes over each component's row (subtract,
#: clip, and the stopping test's copy, difference and sum), counted in the
#: multiply-adds of a large product that take as long.
SWEEP_PASSES = 7
#: Longest factor (columns of Wᵀ or H) swept as a whole, with one stopping
#: test; a longer one is swept in blocks of :func:`_sweep_block` columns.
WHOLE_SWEEP_MAX = 2048
#: Bytes of a long factor swept as one block (k rows × block columns).
SWEEP_BLOCK_BYTES = 512 * 1024


def _sweep_block(k: int, itemsize: int) -> int:
    """Columns of a block of a long k×p factor: about
    :data:`SWEEP_BLOCK_BYTES` of it, a multiple of 256 (at least 256).

    >>> _sweep_block(5, 4), _sweep_block(20, 4), _sweep_block(50, 8)
    (26112, 6400, 1280)
    """
    return max(256, SWEEP_BLOCK_BYTES // (k * itemsize) // 256 * 256)


def _factor_block(k: int, p: int, dtype) -> int:
    """Columns per stopping test of a k×p factor: all p up to
    ``WHOLE_SWEEP_MAX``, else :func:`_sweep_block`."""
    return p if p <= WHOLE_SWEEP_MAX else _sweep_block(k, np.dtype(dtype).itemsize)


class _SweepBuffers:
    """Work arrays for ``_hals_sweeps`` over a k×p factor, made once per fit:
    arrays this size allocated anew every iteration would each be mapped and
    unmapped by the allocator of a server tuned to give memory back."""

    def __init__(self, k, p, dtype, block=None):
        if block is None:
            block = _factor_block(k, p, dtype)
        self.block = min(p, block)
        self.scaled_numerator = np.empty((k, self.block), dtype)
        self.previous = np.empty((k, self.block), dtype)
        self.row = np.empty(self.block, dtype)


def _sweep_coefficients(gram, l1, l2, dtype):
    """What every block's sweeps share: 1/(gram_jj + l2) (0 where that is 0),
    the off-diagonal coupling scaled by it, l1 in X's dtype, and the rows to update."""
    diag = np.diag(gram).astype(np.float64) + l2
    live = diag > 0
    inv = np.zeros_like(diag)
    inv[live] = 1.0 / diag[live]
    coupling = gram.astype(dtype, copy=True)
    np.fill_diagonal(coupling, 0)
    coupling *= inv.astype(dtype)[:, None]
    # A row whose Gram entry is zero belongs to a component whose other factor
    # is all zero; it is left as it is, so the component can come back.
    return inv.astype(dtype), coupling, dtype.type(l1), np.flatnonzero(live).tolist()


def _hals_sweeps(X, numerator, gram, l1, l2, max_sweeps, buffers):
    """Coordinate-wise exact minimisation over the rows of X (k×p), in place.

    Solves min_X≥0 ½‖·‖² given ``numerator`` = (data·other factor)ᵀ (k×p, any
    strides) and ``gram`` = other factor's Gram matrix (k×k). Row j becomes
    max(0, (numerator_j − l1 − Σ_{r≠j} gram_jr X_r) / (gram_jj + l2)); rows
    with gram_jj + l2 = 0 are skipped.

    Sweeps repeat while they still move X by more than a tenth of the first
    sweep's step (Gillis & Glineur 2012). A factor of at most
    ``WHOLE_SWEEP_MAX`` columns has one such test; a longer one is swept block
    by block (``buffers.block`` columns), each block with its own test, so a
    block needs nothing but its own columns: the Dask path sweeps the blocks
    of each partition where it lives (partitions start on block boundaries),
    with the same result. ``buffers`` is a ``_SweepBuffers`` for X, reused
    from call to call.
    """
    coefficients = _sweep_coefficients(gram, l1, l2, X.dtype)
    p = X.shape[1]
    block = buffers.block
    for start in range(0, p, block):
        stop = min(start + block, p)
        _block_sweeps(X[:, start:stop], numerator[:, start:stop], coefficients, max_sweeps, buffers)


def _block_sweeps(X, numerator, coefficients, max_sweeps, buffers):
    """The sweeps of one block of columns of X (a k×q view, updated in place)."""
    inv, coupling, l1, rows = coefficients
    width = X.shape[1]
    scaled = buffers.scaled_numerator[:, :width]
    previous = buffers.previous[:, :width] if max_sweeps > 1 else None
    scratch = buffers.row[:width]
    np.copyto(scaled, numerator)  # a contiguous copy
    if l1:
        scaled -= l1
    scaled *= inv[:, None]
    # the rows as views made once: a sweep is then three NumPy calls per component
    updates = [(coupling[j], scaled[j], X[j]) for j in rows]
    dot, subtract, maximum = np.dot, np.subtract, np.maximum
    first_step = None
    for _ in range(max_sweeps):
        if previous is not None:
            np.copyto(previous, X)
        for coupling_j, scaled_j, X_j in updates:
            dot(coupling_j, X, out=scratch)
            subtract(scaled_j, scratch, out=scratch)
            maximum(scratch, 0, out=X_j)
        if previous is None:
            break
        previous -= X
        step = float(np.vdot(previous, previous))
        if first_step is None:
            first_step = step
        elif step <= 0.01 * first_step:
            break


def _inner_sweep_budget(n, m, k):
    """How many sweeps one product pays for: its cost (n·m·k multiply-adds)
    against a sweep's (k² per column plus NumPy's per-call overhead, worth about
    20 000 multiply-adds per component), halved as Gillis & Glineur recommend.
    A factor longer than ``WHOLE_SWEEP_MAX`` columns also pays its
    element-wise passes, ``SWEEP_PASSES`` per column and component: over a
    long factor they, not the call overhead, are a sweep's cost (a tall
    factor at k = 5 swept 8–10 times per product otherwise, half the time of
    its products). The budget of shorter factors, and so the numbers the
    pages show, is as before. The constants were tuned with
    ``bench/bench_factorize.py`` and ``bench/bench_scale.py``."""
    product = n * m * k

    def sweep(p):
        passes = SWEEP_PASSES * p if p > WHOLE_SWEEP_MAX else 0
        return k * (k * p + passes + SWEEP_OVERHEAD)

    budget_W = 1 + int(0.5 * product / sweep(n))
    budget_H = 1 + int(0.5 * product / sweep(m))
    return min(budget_W, MAX_INNER_SWEEPS), min(budget_H, MAX_INNER_SWEEPS)


def _hals(V, W, H, max_iter, tracker, pen):
    """Accelerated HALS; W is kept transposed (k×n) so every update is a row."""
    n, m = V.shape
    k = H.shape[0]
    norm_sq = _squared_norm(V)
    Wt = np.ascontiguousarray(W.T)
    sweeps_W, sweeps_H = _inner_sweep_budget(n, m, k)
    buffers_W, buffers_H = _SweepBuffers(k, n, V.dtype), _SweepBuffers(k, m, V.dtype)
    loss_terms = _Float64Pair((k, n))
    WtW = Wt @ Wt.T
    # Both large products are formed tall-and-thin with V in its stored order
    # (VᵀW, m×k, and VHᵀ, n×k), the shape OpenBLAS runs fastest, and used
    # through their transposes.
    VtW, VHt = np.empty((m, k), V.dtype), np.empty((n, k), V.dtype)
    for _ in range(max_iter):
        np.matmul(V.T, Wt.T, out=VtW)
        _hals_sweeps(H, VtW.T, WtW, pen["l1_H"], pen["l2_H"], sweeps_H, buffers_H)
        np.matmul(V, H.T, out=VHt)
        HHt = H @ H.T
        _hals_sweeps(Wt, VHt.T, HHt, pen["l1_W"], pen["l2_W"], sweeps_W, buffers_W)
        WtW = Wt @ Wt.T
        loss = norm_sq - 2.0 * loss_terms.inner_product(Wt, VHt.T) + _inner_product(WtW, HHt)
        if tracker.done(loss, _penalty_value(Wt, H, pen)):
            break
    return np.ascontiguousarray(Wt.T), H
