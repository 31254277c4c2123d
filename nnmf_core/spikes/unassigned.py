"""The unassigned cluster: waveforms the factorization explains badly, or
whose weights name no clear winner, take the label −1 instead of a cluster —
as wave_clus keeps its cluster 0 for spikes it could not place.

Quality metrics leave them out; exports keep them, under their own label.

Orientation as in :mod:`nnmf_core.spikes.transforms`: ``V`` has one column
per waveform, ``W`` (n_rows, k) the templates, ``H`` (k, n_waveforms) the
weights.

>>> V = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
>>> W, H = np.eye(2), np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]])
>>> found = unassigned_waveforms([0, 1, 0], V, W, H, residual_threshold=0.6, weight_ratio_threshold=1.5)
>>> found.labels.tolist(), found.residuals.round(3).tolist()
([0, 1, -1], [0.0, 0.0, 0.5])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.spikes.validation import _checked_whole_labels

#: The label of an unassigned waveform.
UNASSIGNED = -1
#: Robust z-score above the median residual beyond which
#: :func:`suggested_residual_threshold` calls a waveform badly explained.
RESIDUAL_OUTLIER_Z = 3.0


@dataclass(frozen=True, eq=False)
class Unassigned:
    """What :func:`unassigned_waveforms` found.

    Attributes
    ----------
    labels : ndarray of int64, shape (n_waveforms,)
        The clusters, with −1 (:data:`UNASSIGNED`) for the waveforms below.
    residuals : ndarray of float64, shape (n_waveforms,)
        Relative residual ``‖v − W h‖ / ‖v‖`` of every waveform (0 … ≥ 1).
    weight_ratios : ndarray of float64, shape (n_waveforms,)
        Largest weight over the second largest (``inf`` when only one
        template is used, 1 when no weight is positive).
    badly_explained : ndarray of bool, shape (n_waveforms,)
        ``residuals > residual_threshold``.
    no_clear_winner : ndarray of bool, shape (n_waveforms,)
        ``weight_ratios < weight_ratio_threshold``.
    residual_threshold, weight_ratio_threshold : float
    """

    labels: np.ndarray
    residuals: np.ndarray
    weight_ratios: np.ndarray
    badly_explained: np.ndarray
    no_clear_winner: np.ndarray
    residual_threshold: float
    weight_ratio_threshold: float

    @property
    def count(self) -> int:
        """How many waveforms are unassigned."""
        return int(np.count_nonzero(self.labels == UNASSIGNED))


def _checked_factors(V, W, H) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    V, W, H = (np.asarray(a) for a in (V, W, H))
    for name, a in (("V", V), ("W", W), ("H", H)):
        if a.ndim != 2 or a.dtype.kind not in "iuf":
            raise InputError(f"{name} must be a 2-D array of numbers; it has shape {a.shape} and type {a.dtype}.")
        if not np.isfinite(a).all():
            raise InputError(f"{name} holds NaN or infinite values.")
    if W.shape[0] != V.shape[0] or H.shape[1] != V.shape[1] or W.shape[1] != H.shape[0]:
        raise InputError(f"V {V.shape}, W {W.shape} and H {H.shape} do not fit V ≈ W·H.")
    return V.astype(np.float64, copy=False), W.astype(np.float64, copy=False), H.astype(np.float64, copy=False)


def relative_residuals(V, W, H) -> np.ndarray:
    """How badly the factorization explains every waveform: ``‖v − W h‖ / ‖v‖``.

    Computed from k × n products (‖v‖² − 2 hᵀWᵀv + hᵀWᵀW h per column),
    without forming the n_rows × n_waveforms product W·H. A zero column of V
    has residual 0 if its weights are zero too, else 1.

    Parameters
    ----------
    V : array_like, shape (n_rows, n_waveforms)
    W : array_like, shape (n_rows, k)
    H : array_like, shape (k, n_waveforms)

    Returns
    -------
    ndarray of float64, shape (n_waveforms,)
    """
    return _relative_residuals(*_checked_factors(V, W, H))


def _relative_residuals(V: np.ndarray, W: np.ndarray, H: np.ndarray) -> np.ndarray:
    norms2 = np.einsum("ij,ij->j", V, V)
    cross = np.einsum("ij,ij->j", W.T @ V, H)
    fitted2 = np.einsum("ij,ij->j", (W.T @ W) @ H, H)
    residual2 = np.maximum(norms2 - 2 * cross + fitted2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.sqrt(residual2 / norms2)
    return np.where(norms2 > 0, relative, np.where(fitted2 > 0, 1.0, 0.0))


def weight_ratios(H) -> np.ndarray:
    """Largest weight over the second largest, per waveform (column of H).

    Compare rows of H after :func:`~nnmf_core.spikes.unit_norm_columns`.

    Parameters
    ----------
    H : array_like, shape (k, n_waveforms)

    Returns
    -------
    ndarray of float64, shape (n_waveforms,)
        ≥ 1; ``inf`` when one weight alone is positive (or k = 1), 1 when
        none is.

    Examples
    --------
    >>> weight_ratios(np.array([[3.0, 1.0, 0.0], [1.0, 1.0, 0.0]])).tolist()
    [3.0, 1.0, 1.0]
    """
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] < 1 or not np.isfinite(H).all():
        raise InputError(f"H must be a finite k × n matrix; it has shape {H.shape}.")
    return _weight_ratios(H)


def _weight_ratios(H: np.ndarray) -> np.ndarray:
    if H.shape[0] == 1:
        return np.where(H[0] > 0, np.inf, 1.0)
    top2 = -np.partition(-H, 1, axis=0)[:2]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = top2[0] / top2[1]
    return np.where(top2[0] <= 0, 1.0, np.where(top2[1] <= 0, np.inf, ratios))


def suggested_residual_threshold(residuals) -> float:
    """A residual threshold that flags outliers: the median plus
    :data:`RESIDUAL_OUTLIER_Z` robust standard deviations (1.4826 · MAD).

    Parameters
    ----------
    residuals : array_like of float, shape (n_waveforms,)

    Returns
    -------
    float

    Examples
    --------
    >>> round(suggested_residual_threshold([0.1, 0.12, 0.11, 0.13, 0.9]), 4)
    0.1645
    """
    values = np.asarray(residuals, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
        raise InputError("Residuals must be a non-empty list of finite numbers.")
    median = float(np.median(values))
    return median + RESIDUAL_OUTLIER_Z * 1.4826 * float(np.median(np.abs(values - median)))


def unassigned_waveforms(labels, V, W, H, *, residual_threshold: float | None = None,
                         weight_ratio_threshold: float = 1.0) -> Unassigned:
    """Take waveforms out of their cluster (label −1) when the factorization
    explains them badly or their weights name no clear winner.

    Parameters
    ----------
    labels : array_like of int, shape (n_waveforms,)
        Clusters from the fit.
    V : array_like, shape (n_rows, n_waveforms)
        The non-negative data that was factored (``SpikeClustering.V``).
    W : array_like, shape (n_rows, k)
    H : array_like, shape (k, n_waveforms)
        Best with unit-norm columns of W (as ``SpikeClustering`` holds them).
    residual_threshold : float, optional
        A waveform whose relative residual ``‖v − W h‖ / ‖v‖`` exceeds this is
        unassigned; default :func:`suggested_residual_threshold`. 1 or more
        unassigns nothing the fit explains at all.
    weight_ratio_threshold : float
        A waveform whose largest weight is less than this many times its
        second largest is unassigned. The default, 1, unassigns none: with
        k-means on H a unit is a *mix* of templates, so close weights are
        normal there; use e.g. 1.5 with the argmax rule.

    Returns
    -------
    Unassigned
    """
    labels = _checked_whole_labels(labels)
    V, W, H = _checked_factors(V, W, H)
    if labels.size != V.shape[1]:
        raise InputError(f"Got {labels.size:,} labels for {V.shape[1]:,} waveforms (columns of V).")
    residuals = _relative_residuals(V, W, H)
    if residual_threshold is None:
        residual_threshold = suggested_residual_threshold(residuals)
    for name, value in (("The residual threshold", residual_threshold), ("The weight-ratio threshold", weight_ratio_threshold)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
            raise InputError(f"{name} must be a finite number; got {value!r}.")
    ratios = _weight_ratios(H)
    badly = residuals > residual_threshold
    unclear = ratios < weight_ratio_threshold
    out = labels.astype(np.int64, copy=True)
    out[badly | unclear] = UNASSIGNED
    return Unassigned(out, residuals, ratios, badly, unclear, float(residual_threshold), float(weight_ratio_threshold))
