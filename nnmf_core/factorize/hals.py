"""Hierarchical alternating least squares, accelerated as in Gillis & Glineur
(2012): each product of the data with a factor is reused for several cheap
coordinate sweeps over the components. :func:`_hals` runs one restart from
(W, H) and returns the fitted (W, H); the tracker holds the losses.
"""

from __future__ import annotations

import numpy as np

from nnmf_core.factorize.loss import _Float64Pair, _inner_product, _penalty_value

#: HALS: NumPy's overhead per component and sweep, in multiply-adds, and the
#: most sweeps one product of V with a factor is reused for.
SWEEP_OVERHEAD = 20_000
MAX_INNER_SWEEPS = 10


class _SweepBuffers:
    """Work arrays for ``_hals_sweeps`` over a k×p factor, made once per fit:
    arrays this size allocated anew every iteration would each be mapped and
    unmapped by the allocator of a server tuned to give memory back."""

    def __init__(self, X):
        self.scaled_numerator = np.empty_like(X, order="C")
        self.previous = np.empty_like(X, order="C")
        self.row = np.empty(X.shape[1], dtype=X.dtype)


def _hals_sweeps(X, numerator, gram, l1, l2, max_sweeps, buffers):
    """Coordinate-wise exact minimisation over the rows of X (k×p), in place.

    Solves min_X≥0 ½‖·‖² given ``numerator`` = (data·other factor)ᵀ (k×p) and
    ``gram`` = other factor's Gram matrix (k×k). Row j becomes
    max(0, (numerator_j − l1 − Σ_{r≠j} gram_jr X_r) / (gram_jj + l2)); rows
    with gram_jj + l2 = 0 are skipped.
    Repeats the sweep while it still moves X by more than a tenth of the first
    sweep's step (Gillis & Glineur 2012).
    ``buffers`` is ``_SweepBuffers(X)``, reused from call to call.
    """
    diag = np.diag(gram).astype(np.float64) + l2
    live = diag > 0
    inv = np.zeros_like(diag)
    inv[live] = 1.0 / diag[live]
    scaled_num, previous, scratch = buffers.scaled_numerator, buffers.previous, buffers.row
    np.copyto(scaled_num, numerator)  # a contiguous copy
    if l1:
        scaled_num -= X.dtype.type(l1)
    scaled_num *= inv.astype(X.dtype)[:, None]
    coupling = gram.astype(X.dtype, copy=True)
    np.fill_diagonal(coupling, 0)
    coupling *= inv.astype(X.dtype)[:, None]
    # A row whose Gram entry is zero belongs to a component whose other factor
    # is all zero; it is left as it is, so the component can come back.
    rows = np.flatnonzero(live).tolist()
    first_step = None
    if max_sweeps == 1:
        previous = None
    for _ in range(max_sweeps):
        if previous is not None:
            np.copyto(previous, X)
        for j in rows:
            np.dot(coupling[j], X, out=scratch)
            np.subtract(scaled_num[j], scratch, out=scratch)
            np.maximum(scratch, 0, out=X[j])
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
    The constants were tuned with ``bench/bench_factorize.py``."""
    product = n * m * k
    sweep_W = k * (k * n + SWEEP_OVERHEAD)
    sweep_H = k * (k * m + SWEEP_OVERHEAD)
    budget_W = 1 + int(0.5 * product / sweep_W)
    budget_H = 1 + int(0.5 * product / sweep_H)
    return min(budget_W, MAX_INNER_SWEEPS), min(budget_H, MAX_INNER_SWEEPS)


def _hals(V, W, H, max_iter, tracker, pen):
    """Accelerated HALS; W is kept transposed (k×n) so every update is a row."""
    n, m = V.shape
    k = H.shape[0]
    norm_sq = _inner_product(V, V)
    Wt = np.ascontiguousarray(W.T)
    sweeps_W, sweeps_H = _inner_sweep_budget(n, m, k)
    buffers_W, buffers_H = _SweepBuffers(Wt), _SweepBuffers(H)
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
