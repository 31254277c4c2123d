"""How sparse a factor is: Hoyer's sparseness of its columns, from 0 (every
entry equal) to 1 (a single non-zero entry)."""

from __future__ import annotations

import numpy as np

from nnmf_core.errors import InputError

__all__ = ["hoyer_sparseness"]


def hoyer_sparseness(X: np.ndarray, axis: int = 0) -> float:
    """Mean Hoyer sparseness of the columns (``axis=0``) or rows (``axis=1``) of ``X``.

    For a vector x of length d (Hoyer 2004)::

        sparseness(x) = (√d − ‖x‖₁ / ‖x‖₂) / (√d − 1)

    0 when every entry is equal, 1 when only one entry is non-zero. All-zero
    vectors are left out of the mean (they have no shape); a factor whose
    vectors are all zero scores 0.

    Parameters
    ----------
    X : ndarray, shape (d, count) for ``axis=0`` or (count, d) for ``axis=1``
        A factor: W (n × k) with ``axis=0`` scores each part, H (k × m) with
        ``axis=0`` scores how many parts each column of V uses.
    axis : {0, 1}
        Along which axis a vector runs.

    Returns
    -------
    float
        Mean sparseness, in [0, 1].

    Raises
    ------
    InputError
        If ``X`` is not 2-D or its vectors have fewer than 2 entries.

    Examples
    --------
    >>> hoyer_sparseness(np.ones((4, 3)))
    0.0
    >>> hoyer_sparseness(np.eye(4))
    1.0
    >>> round(hoyer_sparseness(np.array([[1.0], [1.0], [0.0], [0.0]])), 3)
    0.586
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or axis not in (0, 1):
        raise InputError(f"Sparseness needs a 2-D factor and axis 0 or 1; got shape {X.shape}, axis {axis}.")
    vectors = X if axis == 0 else X.T
    d = vectors.shape[0]
    if d < 2:
        raise InputError(f"Sparseness needs vectors of at least 2 entries; these have {d}.")
    l1 = np.abs(vectors).sum(axis=0)
    l2 = np.sqrt((vectors**2).sum(axis=0))
    alive = l2 > 0
    if not alive.any():
        return 0.0
    root = np.sqrt(d)
    scores = (root - l1[alive] / l2[alive]) / (root - 1)
    return float(np.clip(scores, 0.0, 1.0).mean())
