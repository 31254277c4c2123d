"""Starting factors for a Dask array, equal (up to rounding) to the in-memory
starts of :mod:`~nnmf_core.factorize.init` for the same seed.

Factors are held as the solvers of :mod:`~nnmf_core.factorize.dask_solvers`
use them: the tall factor A (W for a tall V, Hᵀ for a wide one) as one
Delayed block (rows × k) per partition of X, the short factor B (H, or Wᵀ) as
a NumPy array (k × columns of X). "Long" matrices below are lists of Delayed
blocks aligned with the partitions.
"""

from __future__ import annotations

from operator import getitem

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.factorize.dask_support import _dask, _Partitioned, _tree_sum


def _long_from_numpy(array: np.ndarray, P: _Partitioned) -> list:
    """A long NumPy matrix (rows of X × r) cut into persisted partition blocks."""
    dask, _ = _dask()
    blocks = [dask.delayed(np.ascontiguousarray(array[a:b])) for a, b in P.bounds]
    return list(dask.persist(*blocks))


def _long_map(function, *longs, **small):
    """``function(block, …, **small)`` for each partition: a new long matrix."""
    dask, _ = _dask()
    return [dask.delayed(function, pure=True)(*blocks, **small) for blocks in zip(*longs)]


def _xt_times(P: _Partitioned, L: list) -> np.ndarray:
    """Xᵀ·L (columns of X × r), reduced over the partitions."""
    dask, _ = _dask()
    parts = [dask.delayed(_transposed_product, pure=True)(x, y) for x, y in zip(P.parts, L)]
    return dask.compute(_tree_sum(parts))[0][0]


def _transposed_product(x, y):
    return (x.T @ y,)


def _x_times(block, M):
    return block @ M


def _x_times_float64(block, M):
    return block.astype(np.float64) @ M


def _r_factor(block):
    """R of the QR decomposition of one partition, in float64."""
    return np.linalg.qr(block.astype(np.float64), mode="r")


def _q_times(qr, M):
    return qr[0] @ M


def _tsqr(L: list) -> tuple[list, np.ndarray]:
    """QR of a tall long matrix: Q long (persisted), R small (Demmel et al. 2012)."""
    dask, _ = _dask()
    local = list(dask.persist(*[dask.delayed(np.linalg.qr, pure=True)(b) for b in L]))
    Rs = dask.compute(*[dask.delayed(getitem, pure=True)(q, 1) for q in local])
    Q2, R = np.linalg.qr(np.vstack(Rs))
    offsets = np.cumsum([0] + [r.shape[0] for r in Rs])
    Q = [dask.delayed(_q_times, pure=True)(q, Q2[offsets[i] : offsets[i + 1]]) for i, q in enumerate(local)]
    return list(dask.persist(*Q)), R


def _top_singular_triplets(P: _Partitioned, k: int, dtype):
    """Leading k singular triplets of V as (U, S, Vt) where the long side (U
    for a tall V, Vt for a wide one) is a long matrix of X's rows × k (Vt
    transposed), the other side NumPy. Exact SVD or the seeded randomised
    range finder exactly when :func:`~nnmf_core.factorize.init._top_singular_triplets` uses it."""
    dask, _ = _dask()
    n, m = P.X.shape[::-1] if P.transposed else P.X.shape
    if k + 10 >= min(n, m) // 2 or min(n, m) <= 200:
        # X = Q R and R = Ur S Vr, so X's singular vectors are Q Ur = X Vrᵀ S⁻¹: only
        # R (columns² numbers per partition) is gathered, Q is never formed
        Rs = dask.compute(*[dask.delayed(_r_factor, pure=True)(x) for x in P.parts])
        R = np.linalg.qr(np.vstack(Rs), mode="r")
        _, S, Vr = np.linalg.svd(R, full_matrices=False)
        long = _long_map(_x_times_float64, P.parts, M=Vr[:k].T / np.where(S[:k] > 0, S[:k], 1.0))
        short = Vr[:k].T  # columns of X × k
    else:
        rng = np.random.default_rng(0)  # as the in-memory start: the same Ω
        r = k + 10
        power_iterations = 7 if k < 0.1 * min(n, m) else 4
        if not P.transposed:  # V = X: the range finder's Q is long
            omega = rng.standard_normal((m, r)).astype(dtype)
            Q = _long_map(_x_times, P.parts, M=omega)
            for _ in range(power_iterations):
                Q, _ = _tsqr(Q)
                Qs, _ = np.linalg.qr(_xt_times(P, Q))
                Q = _long_map(_x_times, P.parts, M=Qs)
            Q, _ = _tsqr(Q)
            U_small, S, Vt = np.linalg.svd(_xt_times(P, Q).T, full_matrices=False)
            long = _long_map(_x_times, Q, M=U_small[:, :k])
            short = Vt[:k].T
        else:  # V = Xᵀ: the range finder's Q is short, Ω and VᵀQ long
            omega = _long_from_numpy(rng.standard_normal((m, r)).astype(dtype), P)
            Q = _xt_times(P, omega)
            for _ in range(power_iterations):
                Q, _ = np.linalg.qr(Q)
                Ql, _ = _tsqr(_long_map(_x_times, P.parts, M=Q))
                Q = _xt_times(P, Ql)
            Q, _ = np.linalg.qr(Q)
            Z, R = _tsqr(_long_map(_x_times, P.parts, M=Q))  # (QᵀV)ᵀ = X Q = Z R
            Ur, S, Vr = np.linalg.svd(R, full_matrices=False)
            long = _long_map(_x_times, Z, M=Ur[:, :k])
            short = Q @ Vr.T[:, :k]
    return long, S[:k], short


def _part_norms(block):
    """Per column: squared norms of the positive and of the negative part."""
    x = block.astype(np.float64)
    positive, negative = np.maximum(x, 0), np.maximum(-x, 0)
    return (np.einsum("ij,ij->j", positive, positive), np.einsum("ij,ij->j", negative, negative))


def _nndsvd_long_block(block, S, use_negative, norms, fill, k_svd):
    """The long factor's NNDSVD columns for one partition (float64, rows × k_svd)."""
    out = np.zeros((block.shape[0], k_svd))
    out[:, 0] = np.sqrt(S[0]) * np.abs(block[:, 0])
    for j in range(1, k_svd):
        x = block[:, j].astype(np.float64)
        part = np.maximum(-x, 0) if use_negative[j] else np.maximum(x, 0)
        out[:, j] = fill[j] * (part / max(norms[j], 1e-300))
    return out


def _finish_long_block(block, extra, mean, fill_zeros, extra_scale, dtype):
    out = block
    out[out < 1e-6] = 0
    if fill_zeros:
        out[out == 0] = mean
    if extra is not None:
        out = np.hstack([out, extra * extra_scale])
    return np.ascontiguousarray(out, dtype=dtype)


def _nndsvd(P: _Partitioned, rank: int, fill_zeros: bool, rng, dtype):
    """NNDSVD(a) of :func:`~nnmf_core.factorize.init._nndsvd_factors`, the long side blockwise."""
    dask, _ = _dask()
    rows, cols = P.X.shape
    k_svd = min(rank, rows, cols)
    long, S, short = _top_singular_triplets(P, k_svd, dtype)
    long = list(dask.persist(*long))
    sums = dask.compute(_tree_sum([dask.delayed(_part_norms, pure=True)(b) for b in long]))[0]
    long_pos, long_neg = np.sqrt(sums[0]), np.sqrt(sums[1])
    short_out = np.zeros((cols, k_svd))
    short_out[:, 0] = np.sqrt(S[0]) * np.abs(short[:, 0])
    use_negative, fill = np.zeros(k_svd, bool), np.zeros(k_svd)
    long_norms = np.ones(k_svd)
    for j in range(1, k_svd):
        y = short[:, j].astype(np.float64)
        y_p, y_n = np.maximum(y, 0), np.maximum(-y, 0)
        y_p_norm, y_n_norm = np.linalg.norm(y_p), np.linalg.norm(y_n)
        if long_pos[j] * y_p_norm >= long_neg[j] * y_n_norm:
            v, sigma, long_norms[j] = y_p / max(y_p_norm, 1e-300), long_pos[j] * y_p_norm, long_pos[j]
        else:
            v, sigma, long_norms[j], use_negative[j] = y_n / max(y_n_norm, 1e-300), long_neg[j] * y_n_norm, long_neg[j], True
        fill[j] = np.sqrt(S[j] * sigma)
        short_out[:, j] = fill[j] * v
    short_out[short_out < 1e-6] = 0
    if fill_zeros:
        short_out[short_out == 0] = P.mean
    extra_long, extra_scale = [None] * len(long), 1.0
    if rank > k_svd:
        extra = rank - k_svd
        extra_scale = np.sqrt(extra / rank)
        scale = np.sqrt(P.mean / extra)
        short_extra, extra_long = _random_blocks(P, extra, scale, rng, np.dtype(np.float64))
        short_out = np.hstack([short_out, short_extra * extra_scale])
    A = [dask.delayed(_nndsvd_long_block, pure=True)(b, S, use_negative, long_norms, fill, k_svd) for b in long]
    A = [dask.delayed(_finish_long_block, pure=True)(a, e, P.mean, fill_zeros, extra_scale, dtype)
         for a, e in zip(A, extra_long)]
    return list(dask.persist(*A)), np.ascontiguousarray(short_out.T, dtype=dtype)


def _random_blocks(P: _Partitioned, rank: int, scale: float, rng, dtype):
    """Random start drawn in the in-memory order (H, then W), split into the
    short factor (columns of X × rank, NumPy) and the long one (a NumPy block
    per partition): |N(0, 1)|·scale."""
    rows, cols = P.X.shape
    if not P.transposed:  # H (rank × m) first, then W (n × rank) a partition at a time
        H = np.abs(rng.standard_normal((rank, cols))).astype(dtype) * dtype.type(scale)
        W = [np.abs(rng.standard_normal((b - a, rank))).astype(dtype) * dtype.type(scale) for a, b in P.bounds]
        return H.T, W
    H = np.abs(rng.standard_normal((rank, rows))).astype(dtype) * dtype.type(scale)
    W = np.abs(rng.standard_normal((cols, rank))).astype(dtype) * dtype.type(scale)
    return W, [np.ascontiguousarray(H[:, a:b].T) for a, b in P.bounds]


def _given(init, P: _Partitioned, rank: int, dtype):
    """The caller's (W0, H0), NumPy or Dask, checked and placed."""
    dask, da = _dask()
    if len(init) != 2:
        raise InputError("init as a tuple must be (W0, H0).")
    n, m = P.X.shape[::-1] if P.transposed else P.X.shape
    checked = []
    for name, array, shape in (("W0", init[0], (n, rank)), ("H0", init[1], (rank, m))):
        if not isinstance(array, da.Array):
            array = np.asarray(array)
        if array.dtype.kind not in "biuf":
            raise InputError(f"{name} must hold numbers; it holds {array.dtype} values.")
        if tuple(array.shape) != shape:
            raise InputError(f"{name} must have shape {shape}; it has shape {tuple(array.shape)}.")
        finite, smallest = dask.compute(da.isfinite(array).all(), array.min())
        if not finite:
            raise InputError(f"{name} has NaN or infinite entries.")
        if smallest < 0:
            raise InputError(f"{name} has negative entries (smallest {float(smallest):.4g}); factors must be ≥ 0.")
        checked.append(array)
    W0, H0 = checked
    long, short = (H0.T, W0) if P.transposed else (W0, H0.T)
    short = np.array(short.compute() if isinstance(short, da.Array) else short, dtype=dtype)
    if isinstance(long, da.Array):
        long = long.astype(dtype).rechunk((P.X.chunks[0], rank))
        blocks = [dask.delayed(np.ascontiguousarray, pure=True)(b) for b in long.to_delayed().ravel()]
        return list(dask.persist(*blocks)), np.ascontiguousarray(short.T)
    return _long_from_numpy(np.asarray(long, dtype=dtype), P), np.ascontiguousarray(short.T)


def _dask_initial_factors(P: _Partitioned, rank: int, init, rng, dtype):
    """(A blocks, B): the tall factor as persisted Delayed blocks (rows × k)
    and the short one as NumPy (k × columns of X), for ``init`` as in
    :func:`~nnmf_core.factorize.init._initial_factors`."""
    dask, _ = _dask()
    if isinstance(init, (tuple, list)):
        return _given(init, P, rank, dtype)
    if init == "random":
        short, long = _random_blocks(P, rank, np.sqrt(P.mean / rank), rng, dtype)
        return list(dask.persist(*[dask.delayed(b) for b in long])), np.ascontiguousarray(short.T)
    return _nndsvd(P, rank, init == "nndsvda", rng, dtype)
