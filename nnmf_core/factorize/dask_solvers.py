"""HALS and Frobenius MU on a Dask array, iteration for iteration the
in-memory solvers of :mod:`~nnmf_core.factorize.hals` and
:mod:`~nnmf_core.factorize.mu`.

X (V or Vᵀ, see :mod:`~nnmf_core.factorize.dask_support`) and the tall
factor A (W, or Hᵀ) stay in partitions on the workers; the short factor B
(H, or Wᵀ; k × columns of X) lives in this process. Each iteration is one
task per partition, which updates its rows of A given B and returns only
small products — AᵀA (k × k), XᵀA (columns × k), the loss's cross term and
the sums the penalties need — summed by a reduction tree; then B is updated
here and broadcast to the next round. For a tall V that is H's update
followed by W's, for a wide one the same two steps in the other places, so
the losses equal the in-memory ones up to rounding.
"""

from __future__ import annotations

from operator import getitem

import numpy as np

from nnmf_core.factorize.dask_init import _dask_initial_factors
from nnmf_core.factorize.dask_support import _assembled, _dask, _partitioned, _tree_sum
from nnmf_core.factorize.hals import _factor_block, _hals_sweeps, _inner_sweep_budget, _SweepBuffers
from nnmf_core.factorize.loss import _residual_norm_sq, _sum_of_products
from nnmf_core.factorize.mu import MU_EPS, _mu_step


def _partition_step(X, A, B, BBt, options):
    """Update one partition's rows of the tall factor, A (rows × k), given the
    short factor B (k × cols) and B·Bᵀ; return (new A, its small products)."""
    dtype = A.dtype
    numerator = X @ B.T  # rows × k: V Hᵀ (tall V) or Vᵀ W (wide V)
    if options["solver"] == "hals":
        At = np.ascontiguousarray(A.T)
        buffers = _SweepBuffers(At.shape[0], At.shape[1], dtype, options["block"])
        _hals_sweeps(At, numerator.T, BBt, options["l1"], options["l2"], options["sweeps"], buffers)
        A = np.ascontiguousarray(At.T)
        cross = float(np.vdot(At.astype(np.float64), np.ascontiguousarray(numerator.T, dtype=np.float64)))
    else:
        denominator = A @ BBt.astype(dtype)
        A = A.copy()
        _mu_step(A, numerator, denominator, options["l1"], options["l2"], dtype.type(MU_EPS))
        cross = _sum_of_products(A, numerator, denominator)
    return A, _products(X, A) + (cross,)


def _products(X, A):
    """AᵀA and XᵀA in float64, ΣA and ⟨A, A⟩ of one partition."""
    A64 = A.astype(np.float64)
    return ((A.T @ A).astype(np.float64), (X.T @ A).astype(np.float64), float(A64.sum()), float(np.vdot(A64, A64)))


def _products_only(X, A):
    return _products(X, A) + (0.0,)


class _DaskProblem:
    """A Dask array V prepared for :func:`~nnmf_core.factorize.factorize`:
    partitioned, checked, with the starts and the solvers that fit it."""

    def __init__(self, V, rank, dtype, rows_per_partition=None):
        self.P = _partitioned(V, rank, dtype, rows_per_partition)
        self.rank, self.dtype = rank, dtype
        rows, cols = self.P.X.shape
        self.shape = (cols, rows) if self.P.transposed else (rows, cols)

    @property
    def mean(self) -> float:
        return self.P.mean

    def initial_factors(self, init, rng):
        """(A blocks, B) for one restart."""
        return _dask_initial_factors(self.P, self.rank, init, rng, self.dtype)

    def factors(self, state):
        """(W, H) of V from (A blocks, B): the tall one a persisted Dask
        array partitioned like V, the short one NumPy."""
        A, B = state
        if self.P.transposed:
            return np.ascontiguousarray(B.T), _assembled(A, self.P.bounds, self.rank, self.dtype, True).persist()
        return _assembled(A, self.P.bounds, self.rank, self.dtype, False).persist(), B

    def relative_error(self, state) -> float:
        """‖V − WH‖_F / ‖V‖_F, exactly, one partition at a time."""
        dask, _ = _dask()
        A, B = state
        parts = [dask.delayed(_residual_tuple, pure=True)(x, a, B) for x, a in zip(self.P.parts, A)]
        residual = dask.compute(_tree_sum(parts))[0][0]
        return float(np.sqrt(residual / self.P.norm_sq))

    def solve(self, solver, state, max_iter, tracker, pen):
        """Run one restart from ``state``; returns the final (A blocks, B)."""
        return _run(self.P, solver, state, max_iter, tracker, pen, self.shape, self.rank, self.dtype)


def _residual_tuple(X, A, B):
    return (_residual_norm_sq(X, A, B, None),)


def _mapped(P, A, B, options):
    """One round: every partition's step; returns (new A blocks, summed small products)."""
    dask, _ = _dask()
    B_key, BBt_key = dask.delayed(B), dask.delayed(B @ B.T)  # broadcast once per round
    outs = dask.persist(*[dask.delayed(_partition_step, pure=False)(x, a, B_key, BBt_key, options)
                          for x, a in zip(P.parts, A)])
    A_new = [dask.delayed(getitem, pure=True)(o, 0) for o in outs]
    small = dask.compute(_tree_sum([dask.delayed(getitem, pure=True)(o, 1) for o in outs]))[0]
    return A_new, small


def _short_update(solver, B, numerator, gram, l1, l2, sweeps, buffers):
    """Update the short factor B (k × cols) in place, given numerator (k × cols) and gram (k × k)."""
    dtype = B.dtype
    if solver == "hals":
        _hals_sweeps(B, numerator, gram, l1, l2, sweeps, buffers)
        return B
    Bt = np.ascontiguousarray(B.T)
    denominator = Bt @ gram.astype(dtype)
    _mu_step(Bt, np.ascontiguousarray(numerator.T, dtype=dtype), denominator, l1, l2, dtype.type(MU_EPS))
    return np.ascontiguousarray(Bt.T)


def _penalty(pen, sum_W, sq_W, sum_H, sq_H):
    if not any(pen.values()):
        return 0.0
    return 2.0 * (pen["l1_W"] * sum_W + pen["l1_H"] * sum_H) + pen["l2_W"] * sq_W + pen["l2_H"] * sq_H


def _run(P, solver, state, max_iter, tracker, pen, shape, rank, dtype):
    """The iterations of :func:`~nnmf_core.factorize.hals._hals` or
    :func:`~nnmf_core.factorize.mu._mu_frobenius`, partitioned."""
    dask, _ = _dask()
    A, B = state
    n, m = shape
    rows, cols = P.X.shape
    sweeps_W, sweeps_H = _inner_sweep_budget(n, m, rank)
    tall_side, short_side = ("H", "W") if P.transposed else ("W", "H")
    sweeps = {"W": sweeps_W, "H": sweeps_H}
    options = {"solver": solver, "l1": pen["l1_" + tall_side], "l2": pen["l2_" + tall_side],
               "sweeps": sweeps[tall_side], "block": _factor_block(rank, rows, dtype)}
    buffers = _SweepBuffers(rank, cols, dtype)
    l1, l2 = pen["l1_" + short_side], pen["l2_" + short_side]
    eps = dtype.type(MU_EPS)
    if not P.transposed:
        small = dask.compute(_tree_sum([dask.delayed(_products_only, pure=True)(x, a) for x, a in zip(P.parts, A)]))[0]
    for _ in range(max_iter):
        if not P.transposed:  # V tall: H (= B) first, then W (= A) on the workers
            AtA, XtA = small[0], small[1]
            B = _short_update(solver, B, XtA.T.astype(dtype), AtA, l1, l2, sweeps[short_side], buffers)
            A, small = _mapped(P, A, B, options)
            AtA, _, sum_A, sq_A, cross = small
            BBt = B @ B.T
            loss = P.norm_sq - 2.0 * cross + float(np.vdot(AtA, BBt.astype(np.float64)))
            penalty = _penalty(pen, sum_A, sq_A, float(B.sum(dtype=np.float64)), _sq(B))
        else:  # V wide: H (= Aᵀ) first on the workers, then W (= Bᵀ) here
            A, small = _mapped(P, A, B, options)
            AtA, XtA, sum_A, sq_A, _ = small
            numerator = np.ascontiguousarray(XtA.T, dtype=dtype)  # (V Hᵀ)ᵀ
            if solver == "hals":
                B = _short_update(solver, B, numerator, AtA, l1, l2, sweeps[short_side], buffers)
                cross = float(np.vdot(B.astype(np.float64), numerator.astype(np.float64)))
            else:
                W = np.ascontiguousarray(B.T)
                denominator = W @ AtA.astype(dtype)
                _mu_step(W, numerator.T.copy(), denominator, l1, l2, eps)
                cross = _sum_of_products(W, np.ascontiguousarray(numerator.T), denominator)
                B = np.ascontiguousarray(W.T)
            BBt = B @ B.T
            loss = P.norm_sq - 2.0 * cross + float(np.vdot(BBt.astype(np.float64), AtA))
            penalty = _penalty(pen, float(B.sum(dtype=np.float64)), _sq(B), sum_A, sq_A)
        if tracker.done(loss, penalty):
            break
    return A, B


def _sq(X) -> float:
    X64 = X.astype(np.float64)
    return float(np.vdot(X64, X64))


def _dask_problem(V, rank, dtype, rows_per_partition=None) -> _DaskProblem:
    """Check and partition a Dask array V for a fit (see :class:`_DaskProblem`)."""
    return _DaskProblem(V, rank, dtype, rows_per_partition)
