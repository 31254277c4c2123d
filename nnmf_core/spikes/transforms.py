"""Making signed waveforms non-negative for NMF, and reading templates back.

Orientation follows the reference notebook: the data matrix ``V`` has one
**column per waveform** (shape ``(n_samples, n_waveforms)``, or twice the
samples for the ``"split"`` transform), so ``W`` (``(n_rows, k)``) holds k
templates and ``H`` (``(k, n_waveforms)``) the weight of every template in
every waveform. Arrays of waveforms handed to these functions are the other
way round, one waveform per row (``(n_waveforms, n_samples)``), as in the CSV.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnmf_core.spikes.options import DEFAULT_TRANSFORM, _checked_transform
from nnmf_core.spikes.validation import _checked_waveforms


class NonNegative(NamedTuple):
    """A non-negative data matrix for NMF and how it was made.

    Attributes
    ----------
    V : ndarray of float64, shape (n_rows, n_waveforms)
        One column per waveform, ≥ 0. ``n_rows`` is n_samples, or
        2·n_samples for ``"split"``.
    description : str
        One sentence saying what was done, with the numbers.
    """

    V: np.ndarray
    description: str


def nonnegative(waveforms, method: str = DEFAULT_TRANSFORM) -> NonNegative:
    """Turn signed waveforms into a non-negative matrix V for NMF.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
        One waveform per row.
    method : {"split", "per-sample shift", "shift"}
        ``"shift"``: add |min| of the whole matrix to every value (the
        article's way) — every waveform gains the same constant.
        ``"per-sample shift"``: subtract from every sample (time point) its
        minimum over the waveforms, so each row of V touches zero.
        ``"split"``: stack the positive part max(x, 0) above the negative part
        max(−x, 0); x = positive − negative, so nothing is lost and no offset
        is added.

    Returns
    -------
    NonNegative
        ``V`` of shape (n_samples, n_waveforms), or (2·n_samples,
        n_waveforms) for ``"split"``, and a description.

    Examples
    --------
    >>> V, _ = nonnegative([[1.0, -2.0, 0.5]], "split")
    >>> V[:, 0].tolist()
    [1.0, 0.0, 0.5, 0.0, 2.0, 0.0]
    """
    X = _checked_waveforms(waveforms)
    _checked_transform(method)
    return _nonnegative(X, method)


def _nonnegative(X: np.ndarray, method: str, dtype=np.float64) -> NonNegative:
    """:func:`nonnegative` of checked waveforms (float64, one per row) and a
    known ``method``; V is computed in float64 and written straight into an
    array of ``dtype`` (no float64 copy of V is ever held)."""
    X = X.T  # samples × waveforms
    n_samples, n_waveforms = X.shape
    if method == "shift":
        offset = max(0.0, -float(X.min()))
        V = np.add(X, offset, out=np.empty((n_samples, n_waveforms), dtype), casting="same_kind")
        return NonNegative(V, f"Added {offset:.4g} (the size of the smallest value) to every value, as in the article.")
    if method == "per-sample shift":
        floors = X.min(axis=1, keepdims=True)
        V = np.subtract(X, floors, out=np.empty((n_samples, n_waveforms), dtype), casting="same_kind")
        return NonNegative(
            V,
            f"Subtracted from every sample its minimum over the waveforms (from {floors.min():.4g} "
            f"to {floors.max():.4g}); each sample's row of V now touches zero.",
        )
    V = np.empty((2 * n_samples, n_waveforms), dtype)
    np.maximum(X, 0.0, out=V[:n_samples], casting="same_kind")
    np.maximum(-X, 0.0, out=V[n_samples:], casting="same_kind")
    return NonNegative(
        V,
        f"Stacked the positive parts ({n_samples} rows) above the negative parts (another "
        f"{n_samples}); positive − negative gives back every waveform exactly.",
    )


def templates_from_w(W: np.ndarray, method: str, n_samples: int) -> np.ndarray:
    """The templates in W as waveforms, one per row.

    Parameters
    ----------
    W : ndarray, shape (n_rows, k)
        NMF basis for data made by :func:`nonnegative` with ``method``.
    method : str
        The transform that made V.
    n_samples : int
        Samples per waveform.

    Returns
    -------
    ndarray of float64, shape (k, n_samples)
        For ``"split"`` the positive half minus the negative half (a signed
        waveform); for the shifts the columns of W themselves (in shifted
        units: the offset belongs to the data, not to any one template).
    """
    W = np.asarray(W, dtype=np.float64)
    if method == "split":
        return (W[:n_samples] - W[n_samples : 2 * n_samples]).T
    return W[:n_samples].T.copy()


def unit_norm_columns(W: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale W's columns to unit L2 norm and H's rows by the inverse.

    W·H is unchanged, and the rows of H become comparable: without this, a
    template drawn large and weighted little would lose every argmax to a
    template drawn small and weighted much. Zero columns are left alone.

    Parameters
    ----------
    W : ndarray, shape (n, k)
    H : ndarray, shape (k, m)

    Returns
    -------
    W_scaled : ndarray, shape (n, k)
    H_scaled : ndarray, shape (k, m)

    Examples
    --------
    >>> W, H = unit_norm_columns(np.array([[3.0], [4.0]]), np.array([[1.0, 2.0]]))
    >>> W.ravel().tolist(), H.ravel().tolist()
    ([0.6, 0.8], [5.0, 10.0])
    """
    W = np.asarray(W)
    H = np.asarray(H)
    norms = np.linalg.norm(W.astype(np.float64), axis=0)
    scale = np.where(norms > 0, norms, 1.0)
    return (W / scale.astype(W.dtype)), (H * scale.astype(H.dtype)[:, None])


def _rows_of_v(n_samples: int, transform: str) -> int:
    """Rows of the matrix V that :func:`nonnegative` makes."""
    return 2 * n_samples if transform == "split" else n_samples
