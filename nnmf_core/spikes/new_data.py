"""Templates applied to new data: a later recording of the same electrodes
assigned to the clusters of a fit, with the fit's templates held fixed.

>>> from nnmf_core.datasets import synthetic_spikes
>>> from nnmf_core.spikes import cluster_waveforms
>>> waveforms, units = synthetic_spikes(n_per_unit=40, random_state=0)
>>> fit = cluster_waveforms(waveforms, 4, random_state=0)
>>> later, later_units = synthetic_spikes(n_per_unit=10, random_state=1)
>>> assigned = assign_new_waveforms(later, fit.W, fit.H, fit.labels, fit.transform)
>>> assigned.labels.shape, assigned.H.shape
((40,), (4, 40))
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.neighbors import NearestCentroid

from nnmf_core.errors import InputError
from nnmf_core.factorize.transform import transform
from nnmf_core.spikes.transforms import nonnegative
from nnmf_core.spikes.unassigned import UNASSIGNED
from nnmf_core.spikes.validation import _checked_waveforms


class NewAssignment(NamedTuple):
    """New waveforms' clusters and their weights on the fit's templates."""

    labels: np.ndarray
    """Cluster of each new waveform, shape (n_new,): one of the fit's labels."""
    H: np.ndarray
    """Weights of the templates in each new waveform, shape (k, n_new)."""


def assign_new_waveforms(waveforms, W: np.ndarray, H: np.ndarray, labels, transform_name: str) -> NewAssignment:
    """Assign waveforms of a later recording to the clusters of a fit.

    The new waveforms are made non-negative the way the fit's were
    (``transform_name``); their weights come from non-negative least squares
    with the fit's templates W held fixed (:func:`nnmf_core.transform`); each
    then joins the cluster whose mean weight vector, over its waveforms in
    the fit, is nearest (Euclidean). Unassigned waveforms of the fit (label
    −1) shape no cluster.

    Parameters
    ----------
    waveforms : array_like, shape (n_new, n_samples)
        One waveform per row, as many samples as the fitted ones.
    W : ndarray, shape (n_rows, k)
        The fit's templates (rows: samples, or twice them for ``"split"``).
    H : ndarray, shape (k, n_fitted)
        The fit's weights.
    labels : array_like of int, shape (n_fitted,)
        The fit's (possibly curated) clusters.
    transform_name : str
        The non-negativity transform the fit used.

    Returns
    -------
    NewAssignment
    """
    X = _checked_waveforms(waveforms)
    labels = np.asarray(labels)
    V = nonnegative(X, transform_name).V
    if V.shape[0] != W.shape[0]:
        raise InputError(
            f"The new waveforms have {X.shape[1]} samples each; the fit's templates were made from "
            f"{W.shape[0] if transform_name != 'split' else W.shape[0] // 2}. Use a recording of the same length."
        )
    if labels.shape != (H.shape[1],):
        raise InputError(f"Expected one label per fitted waveform ({H.shape[1]}); got {labels.size}.")
    kept = labels != UNASSIGNED
    if np.unique(labels[kept]).size < 1:
        raise InputError("Every fitted waveform is unassigned, so there is no cluster to join.")
    H_new = transform(V.T, W.T).T
    if np.unique(labels[kept]).size == 1:
        return NewAssignment(np.full(X.shape[0], labels[kept][0], dtype=np.int64), H_new)
    rule = NearestCentroid().fit(H.T[kept], labels[kept])
    return NewAssignment(rule.predict(H_new.T).astype(np.int64), H_new)
