"""The rank-one parts ``W[:, i] ⊗ H[i, :]`` whose sum is ``W @ H``, as matrices
ready to show."""

from __future__ import annotations

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.images._checks import check_rank

__all__ = ["component_images"]


def component_images(W: np.ndarray, H: np.ndarray, count: int) -> np.ndarray:
    """The first rank-one parts ``W[:, i] ⊗ H[i, :]`` of a factorization.

    ``W @ H`` is the sum of these ``k`` parts. Each part is divided by its own
    maximum so it can be shown on a 0-1 scale (a part that is all zeros stays
    zero); pass a part through :func:`~nnmf_core.images.matrix_to_image` with the mode of ``V``
    to get a picture (in ``"colour"`` mode each part is n × 3m).

    Parameters
    ----------
    W : ndarray, shape (n, k)
        Non-negative basis.
    H : ndarray, shape (k, m)
        Non-negative weights.
    count : int
        How many parts; at most ``k`` are returned.

    Returns
    -------
    ndarray of float32, shape (min(count, k), n, m)
        Parts in the factorization's own order, each scaled to max 1.
        Memory: ``count · n · m · 4`` bytes.

    Raises
    ------
    InputError
        If the shapes of ``W`` and ``H`` do not chain or ``count`` is negative.
    """
    W = np.asarray(W, dtype=np.float32)
    H = np.asarray(H, dtype=np.float32)
    if W.ndim != 2 or H.ndim != 2 or W.shape[1] != H.shape[0]:
        raise InputError(
            f"W (n × k) and H (k × m) must share k; got W of shape {W.shape} and H of shape {H.shape}."
        )
    check_rank(count)
    count = min(count, W.shape[1])
    parts = W.T[:count, :, None] * H[:count, None, :]
    peaks = parts.reshape(count, -1).max(axis=1) if parts.size else np.zeros(count, np.float32)
    scale = np.where(peaks > 0, peaks, 1.0).astype(np.float32)
    return parts / scale[:, None, None]
