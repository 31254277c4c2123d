"""Non-negative least squares with one factor held fixed: :func:`transform`.

Given templates H (k × m) and data V (n × m), find W ≥ 0 (n × k) minimising
‖V − W·H‖²_F. The problem splits into one small NNLS problem per row of V,
solved here all at once by exact coordinate descent (HALS sweeps) from the
clipped least-squares solution, each row stopping on its own — so a row's
result depends on nothing but that row and H, whether V is in memory, in
pieces, or a Dask array.
"""

from __future__ import annotations

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.factorize.dask_support import _dask, _is_dask_array

#: Rows of V solved together (bounds the work arrays: rows × k float64).
TRANSFORM_ROWS = 65536


def transform(V, H, *, max_iter: int = 500, tol: float = 1e-10):
    """Weights W ≥ 0 with V ≈ W·H for fixed templates H (non-negative least squares).

    H is held fixed; every row of V is fitted on its own:
    ``W[i] = argmin_{w ≥ 0} ‖V[i] − w·H‖²``. To hold W fixed instead and
    find H, transpose: ``transform(V.T, W.T).T``. Use it to apply the
    components of one fit (``result.H`` of :func:`~nnmf_core.factorize`, or
    ``NMF.components_``) to new data.

    Parameters
    ----------
    V : array_like or dask.array.Array, shape (n, m)
        Non-negative, finite data, one sample per row. A Dask array is solved
        a block of rows at a time on the active Dask scheduler.
    H : array_like, shape (k, m)
        Non-negative, finite templates (components), one per row.
    max_iter : int
        Most coordinate-descent sweeps per row.
    tol : float
        A row stops once a sweep changes it by at most ``tol`` relative to
        its size (‖Δw‖ ≤ tol·‖w‖). The default solves to about machine
        precision for well-conditioned H.

    Returns
    -------
    W : ndarray, shape (n, k), or dask.array.Array for a Dask V
        Non-negative weights, float32 when V and H are float32, else
        float64. Rows of V that are all zero get zero weights; a component
        whose template is all zero gets zero weight.

    Raises
    ------
    InputError
        For V or H that are not finite, non-negative 2-D matrices of numbers,
        shapes that do not match, or bad ``max_iter`` or ``tol``.

    Examples
    --------
    >>> H = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> W = transform(np.array([[2.0, 3.0, 5.0]]), H)
    >>> np.round(W, 6).tolist()
    [[2.0, 3.0]]
    """
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise InputError(f"max_iter must be a whole number ≥ 1; got {max_iter!r}.")
    if not np.isfinite(tol) or tol < 0:
        raise InputError(f"tol must be a number ≥ 0; got {tol!r}.")
    H = _checked_array(H, "H")
    if _is_dask_array(V):
        return _dask_transform(V, H, int(max_iter), float(tol))
    V = _checked_array(V, "V")
    _checked_shapes(V, H)
    return _nnls_rows(V, H, int(max_iter), float(tol))


def _checked_array(X, name: str) -> np.ndarray:
    try:
        X = np.asarray(X)
    except Exception as exc:  # ragged nested lists and the like
        raise InputError(f"{name} could not be read as a matrix of numbers ({exc}).") from None
    if X.dtype.kind not in "biuf":
        raise InputError(f"{name} must hold numbers; it holds {X.dtype} values.")
    if X.ndim != 2:
        raise InputError(f"{name} must be a 2-D matrix; it has {X.ndim} dimension(s), shape {X.shape}.")
    if not np.isfinite(X).all():
        raise InputError(f"{name} has {int((~np.isfinite(X)).sum())} entries that are NaN or infinite; it needs finite numbers.")
    if X.size and X.min() < 0:
        raise InputError(f"{name} has {int((X < 0).sum())} negative entries (smallest {X.min():.4g}); it must be ≥ 0.")
    return X


def _checked_shapes(V, H) -> None:
    if V.shape[1] != H.shape[1]:
        raise InputError(
            f"V has {V.shape[1]} columns but H has {H.shape[1]}; each template (row of H) needs one "
            "number per column of V."
        )
    if H.shape[0] < 1:
        raise InputError("H has no rows: there are no templates to fit.")


def _out_dtype(V, H):
    return np.dtype(np.float32) if V.dtype == np.float32 and H.dtype == np.float32 else np.dtype(np.float64)


def _nnls_rows(V, H, max_iter, tol):
    """W ≥ 0 (n × k) minimising ‖V − WH‖², rows independent, float64 inside."""
    dtype = _out_dtype(V, H)
    H64 = H.astype(np.float64)
    gram = H64 @ H64.T
    diag = np.diag(gram).copy()
    live = diag > 0
    inv = np.where(live, 1.0 / np.where(live, diag, 1.0), 0.0)
    coupling = gram * inv[:, None]
    np.fill_diagonal(coupling, 0.0)
    start_map = np.linalg.pinv(gram) * live[None, :] * live[:, None]
    W = np.empty((V.shape[0], H.shape[0]), dtype)
    for begin in range(0, V.shape[0], TRANSFORM_ROWS):
        rows = slice(begin, begin + TRANSFORM_ROWS)
        numerator = V[rows].astype(np.float64) @ H64.T  # rows × k
        Wt = _row_sweeps(numerator, start_map, inv, coupling, np.flatnonzero(live), max_iter, tol)
        W[rows] = _polished(Wt.T, numerator, gram, live)
    return W


def _polished(W, numerator, gram, live):
    """Rows of W (rows × k) replaced by the exact least-squares solution on
    their support where it satisfies the optimality (KKT) conditions: the
    support's values positive, the gradient elsewhere ≥ 0. Coordinate
    descent finds the support quickly but creeps along ill-conditioned
    directions; this finishes such rows exactly."""
    support = (W > 0) & live[None, :]
    codes = support @ (1 << np.arange(W.shape[1], dtype=np.int64)) if W.shape[1] < 63 else None
    if codes is None:
        return W
    scale = max(float(np.abs(gram).max()), 1e-300)
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        columns = np.flatnonzero(support[rows[0]])
        if columns.size == 0:
            continue
        try:
            exact = np.linalg.solve(gram[np.ix_(columns, columns)], numerator[np.ix_(rows, columns)].T).T
        except np.linalg.LinAlgError:
            continue
        candidate = np.zeros((rows.size, W.shape[1]))
        candidate[:, columns] = exact
        gradient = candidate @ gram - numerator[rows]
        slack = 1e-9 * scale * np.maximum(1.0, np.abs(candidate).max(axis=1, keepdims=True))
        off_support = ~support[rows[0]]
        good = (exact > 0).all(axis=1) & (gradient[:, off_support] >= -slack).all(axis=1)
        W[rows[good]] = candidate[good]
    return W


def _row_sweeps(numerator, start_map, inv, coupling, live, max_iter, tol):
    """Coordinate descent on Wᵀ (k × rows) from the clipped least squares,
    each column (row of W) stopping on its own; the columns still moving are
    gathered and swept on."""
    Wt = np.ascontiguousarray(np.maximum(numerator @ start_map, 0.0).T)
    scaled = np.ascontiguousarray(numerator.T) * inv[:, None]
    active = np.arange(Wt.shape[1])
    for _ in range(max_iter):
        block, block_scaled = Wt[:, active], scaled[:, active]
        previous = block.copy()
        for j in live:
            block[j] = np.maximum(block_scaled[j] - coupling[j] @ block, 0.0)
        Wt[:, active] = block
        previous -= block
        step = np.einsum("ij,ij->j", previous, previous)
        size = np.einsum("ij,ij->j", block, block)
        moving = step > (tol * tol) * size
        if not moving.any():
            break
        active = active[moving]
    return Wt


def _dask_transform(V, H, max_iter, tol):
    """:func:`transform` of a Dask array, a block of rows per task."""
    _, da = _dask()
    if V.dtype.kind not in "biuf":
        raise InputError(f"V must hold numbers; it holds {V.dtype} values.")
    if V.ndim != 2:
        raise InputError(f"V must be a 2-D matrix; it has {V.ndim} dimension(s), shape {V.shape}.")
    _checked_shapes(V, H)
    dtype = _out_dtype(V, H)
    V = V.rechunk({0: "auto", 1: -1}) if V.numblocks[1] > 1 else V
    return da.map_blocks(_checked_block, V, H, max_iter, tol, dtype=dtype, chunks=(V.chunks[0], (H.shape[0],)))


def _checked_block(block, H, max_iter, tol):
    """One Dask block: checked like an in-memory V (a bad entry is reported
    with its position in the block), then solved."""
    return _nnls_rows(_checked_array(block, "V"), H, max_iter, tol)
