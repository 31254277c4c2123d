"""Which clusters might be one neuron? Pairs of clusters ranked for merging
by how alike their mean waveforms are (cosine similarity) and how little
their waveforms separate (d′ along the line joining the two means).

>>> rng = np.random.default_rng(0)
>>> shape = np.sin(np.linspace(0, 3, 20))
>>> X = np.vstack([shape + 0.1 * rng.standard_normal((30, 20)),          # cluster 0
...                1.1 * shape + 0.1 * rng.standard_normal((30, 20)),    # cluster 1: cluster 0, a little larger
...                -shape + 0.1 * rng.standard_normal((30, 20))])        # cluster 2: the opposite
>>> found = merge_suggestions(X, np.repeat([0, 1, 2], 30))
>>> found.table[["cluster_a", "cluster_b"]].iloc[0].tolist()
[0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nnmf_core.errors import InputError
from nnmf_core.spikes.features import _cluster_means
from nnmf_core.spikes.unassigned import UNASSIGNED
from nnmf_core.spikes.validation import _checked_waveforms

#: How the table of :func:`merge_suggestions` can be ordered.
MERGE_ORDERS = {
    "similarity": "most alike mean waveforms first (cosine similarity, high to low)",
    "d_prime": "least separated first (d′, low to high)",
}


@dataclass(frozen=True, eq=False)
class MergeSuggestions:
    """What :func:`merge_suggestions` returns.

    Attributes
    ----------
    clusters : ndarray of int64, shape (k,)
        The clusters compared, sorted.
    similarity : ndarray of float64, shape (k, k)
        Cosine similarity of the clusters' mean waveforms (1 on the diagonal).
    d_prime : ndarray of float64, shape (k, k)
        Separation of every pair: distance between the means over the
        root-mean-square spread of both clusters along that line (0 on the
        diagonal; ``inf`` for two clusters without spread).
    table : pandas.DataFrame
        The best pairs, one row each: ``cluster_a``, ``cluster_b``,
        ``similarity``, ``d_prime``, ``n_a``, ``n_b``.
    """

    clusters: np.ndarray
    similarity: np.ndarray
    d_prime: np.ndarray
    table: pd.DataFrame


def merge_suggestions(waveforms, labels, *, top: int = 10, order: str = "similarity",
                      exclude=(UNASSIGNED,)) -> MergeSuggestions:
    """Pairs of clusters worth merging, best first.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    labels : array_like of int, shape (n_waveforms,)
    top : int
        Rows of the table (all pairs if fewer).
    order : {"similarity", "d_prime"}
        See :data:`MERGE_ORDERS`; ties go to the other measure.
    exclude : sequence of int
        Clusters left out (by default the unassigned, −1; add those marked
        noise, say).

    Returns
    -------
    MergeSuggestions
    """
    X = _checked_waveforms(waveforms)
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or labels.size != X.shape[0]:
        raise InputError(f"Give one whole-number label per waveform; got {labels.size:,} labels for {X.shape[0]:,} waveforms.")
    if order not in MERGE_ORDERS:
        raise InputError(f"Unknown order {order!r}; choose one of {', '.join(MERGE_ORDERS)}.")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise InputError(f"top must be a whole number ≥ 1; got {top!r}.")
    kept = ~np.isin(labels, np.asarray(list(exclude), dtype=np.int64))
    clusters, codes = np.unique(labels[kept], return_inverse=True)
    if clusters.size < 2:
        raise InputError("Merge suggestions need at least two clusters.")
    return _merge_suggestions(X[kept], codes, clusters, int(top), order)


def _merge_suggestions(X: np.ndarray, codes: np.ndarray, clusters: np.ndarray, top: int, order: str) -> MergeSuggestions:
    k = clusters.size
    means, counts = _cluster_means(X, codes, k)  # every cluster has members: codes come from np.unique
    norms = np.linalg.norm(means, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        similarity = (means @ means.T) / np.outer(norms, norms)
    similarity = np.nan_to_num(similarity, nan=0.0)
    np.fill_diagonal(similarity, 1.0)

    # spread of every cluster along the line from its mean to every other mean
    spread = np.zeros((k, k))
    for a in range(k):
        directions = means - means[a]
        lengths = np.linalg.norm(directions, axis=1)
        directions /= np.where(lengths > 0, lengths, 1.0)[:, None]
        spread[a] = (X[codes == a] @ directions.T).var(axis=0)
    distance = np.linalg.norm(means[:, None, :] - means[None, :, :], axis=2)
    pooled = np.sqrt((spread + spread.T) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_prime = np.where(pooled > 0, distance / pooled, np.where(distance > 0, np.inf, 0.0))
    np.fill_diagonal(d_prime, 0.0)

    a, b = np.triu_indices(k, 1)
    keys = (d_prime[a, b], -similarity[a, b]) if order == "similarity" else (-similarity[a, b], d_prime[a, b])
    best = np.lexsort(keys)[:top]
    a, b = a[best], b[best]
    table = pd.DataFrame({
        "cluster_a": clusters[a], "cluster_b": clusters[b], "similarity": similarity[a, b],
        "d_prime": d_prime[a, b], "n_a": counts[a], "n_b": counts[b],
    })
    return MergeSuggestions(clusters.astype(np.int64), similarity, d_prime, table)
