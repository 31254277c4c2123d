"""Losses and their bookkeeping: inner products accumulated in float64, the
KL divergence, the exact residual norm, the ``alpha`` penalties, and
:class:`_Tracker`, which records the loss of every iteration and decides when a
restart stops (``tol`` or the caller's ``on_iteration``)."""

from __future__ import annotations

import numpy as np

#: Iterations over which ``tol`` measures the relative decrease of the loss.
TOL_WINDOW = 10
#: Floor that keeps the KL ratio V / (W·H) finite.
KL_EPS = 1e-12


def _inner_product(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.vdot(a.astype(np.float64, copy=False), b.astype(np.float64, copy=False)))


#: Entries of V converted to float64 at a time when its squared norm is summed.
NORM_CHUNK = 4 * 1024 * 1024


def _squared_norm(V: np.ndarray) -> float:
    """‖V‖²_F accumulated in float64; a large V is converted a block of rows at
    a time (a V of at most :data:`NORM_CHUNK` entries in one piece)."""
    if V.size <= NORM_CHUNK:
        return _inner_product(V, V)
    rows = max(1, NORM_CHUNK // V.shape[1])
    total = 0.0
    for start in range(0, V.shape[0], rows):
        block = V[start : start + rows].astype(np.float64)
        total += float(np.vdot(block, block))
    return total


class _Float64Pair:
    """Two contiguous float64 arrays of one shape, made once: ``inner_product``
    gives the same value as ``_inner_product`` without allocating per call
    (``np.vdot`` copies a transposed view; float32 input needs converting)."""

    def __init__(self, shape):
        self.a, self.b = np.empty(shape), np.empty(shape)

    def inner_product(self, a: np.ndarray, b: np.ndarray) -> float:
        np.copyto(self.a, a)
        np.copyto(self.b, b)
        return float(np.vdot(self.a, self.b))


def _sum_of_products(a: np.ndarray, b: np.ndarray, scratch: np.ndarray) -> float:
    """⟨a, b⟩ with float64 accumulation and no allocation."""
    np.multiply(a, b, out=scratch)
    return float(scratch.sum(dtype=np.float64))


def _kl_divergence(V, WH, M=None) -> float:
    """Generalised KL divergence Σ V·log(V/WH) − V + WH, with 0·log 0 = 0."""
    V64, WH64 = V.astype(np.float64), np.maximum(WH.astype(np.float64), KL_EPS)
    terms = np.where(V64 > 0, V64 * np.log(np.where(V64 > 0, V64, 1.0) / WH64), 0.0) - V64 + WH64
    if M is not None:
        terms *= M
    return float(terms.sum())


#: Entries of V − WH formed (in float64) at a time when its norm is summed.
RESIDUAL_CHUNK = 1024 * 1024


def _residual_norm_sq(V, W, H, mask, rows_per_chunk=None) -> float:
    """Exact ‖V − WH‖² over observed entries, in float64, a block of rows at a
    time: at most 1,024 rows and :data:`RESIDUAL_CHUNK` entries, so a wide V
    (one column per waveform) never has a float64 copy of itself made."""
    if rows_per_chunk is None:
        rows_per_chunk = max(1, min(1024, RESIDUAL_CHUNK // max(V.shape[1], 1)))
    total = 0.0
    for start in range(0, V.shape[0], rows_per_chunk):
        block = slice(start, start + rows_per_chunk)
        residual = V[block].astype(np.float64) - W[block].astype(np.float64) @ H.astype(np.float64)
        if mask is not None:
            residual = np.where(mask[block], residual, 0.0)
        total += float(np.vdot(residual, residual))
    return total


def _penalties(n, m, alpha, l1_ratio):
    """scikit-learn's scaling of alpha_W = alpha_H = alpha (objective ½‖V−WH‖²)."""
    return {
        "l1_W": alpha * l1_ratio * m,
        "l2_W": alpha * (1 - l1_ratio) * m,
        "l1_H": alpha * l1_ratio * n,
        "l2_H": alpha * (1 - l1_ratio) * n,
    }


def _penalty_value(W, H, pen) -> float:
    """The penalties in the units of ‖V − WH‖² (twice scikit-learn's ½-scaled terms)."""
    if not any(pen.values()):
        return 0.0
    total = pen["l1_W"] * float(W.sum(dtype=np.float64)) + pen["l1_H"] * float(H.sum(dtype=np.float64))
    total *= 2.0
    total += pen["l2_W"] * _inner_product(W, W) + pen["l2_H"] * _inner_product(H, H)
    return total


class _Tracker:
    """Records losses, applies ``tol`` and the caller's ``on_iteration``."""

    def __init__(self, max_iter, tol, on_iteration):
        self.losses = np.empty(max_iter, dtype=np.float64)
        self.objectives = np.empty(max_iter, dtype=np.float64)
        self.count = 0
        self.tol = tol
        self.on_iteration = on_iteration
        self.converged = False
        self.stopped = False

    def done(self, loss: float, penalty: float = 0.0) -> bool:
        """Record one iteration's loss; ``penalty`` (in the same units) joins it
        in the objective that ``tol`` watches. True means stop."""
        loss = max(float(loss), 0.0)
        self.losses[self.count] = loss
        self.objectives[self.count] = objective = loss + penalty
        self.count += 1
        if self.on_iteration is not None and self.on_iteration(self.count, loss):
            self.stopped = True
        if objective == 0.0:
            self.converged = True
        elif self.tol > 0 and self.count > TOL_WINDOW:
            before = self.objectives[self.count - 1 - TOL_WINDOW]
            if before - objective <= self.tol * before:
                self.converged = True
        return self.converged or self.stopped

    @property
    def history(self) -> np.ndarray:
        """The losses recorded so far, a copy, shape (iterations,)."""
        return self.losses[: self.count].copy()
