"""The classic spike-sorting baseline: PCA scores clustered by k-means."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA

from nnmf_core.spikes.clustering import KMEANS_INITS, _kmeans_labels, stable_order
from nnmf_core.spikes.validation import _checked_k, _checked_shapes, _checked_waveforms


@dataclass(frozen=True, eq=False)
class PcaKmeans:
    """What :func:`pca_kmeans` returns.

    Attributes
    ----------
    labels : ndarray of int, shape (n_waveforms,)
        Clusters in :func:`stable_order`.
    scores : ndarray of float64, shape (n_waveforms, n_components)
        Principal-component scores (for a scatter plot).
    explained_variance_ratio : ndarray, shape (n_components,)
    """

    labels: np.ndarray
    scores: np.ndarray
    explained_variance_ratio: np.ndarray


def pca_kmeans(waveforms, k: int, n_components: int = 3, random_state: int = 0) -> PcaKmeans:
    """The classic spike-sorting baseline: PCA scores clustered by k-means.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    k : int
        Number of clusters.
    n_components : int
        Principal components kept (at most min(n_waveforms, n_samples)).
    random_state : int
        Seed of k-means (:data:`KMEANS_INITS` starts, least inertia kept).

    Returns
    -------
    PcaKmeans
    """
    X = _checked_waveforms(waveforms)
    k = _checked_k(k, X.shape[0])
    _checked_shapes(X, k)
    return _pca_kmeans(X, k, n_components, random_state)


def _pca_kmeans(X: np.ndarray, k: int, n_components: int, random_state: int) -> PcaKmeans:
    """:func:`pca_kmeans` of checked waveforms (float64) and a checked ``k``."""
    n_components = int(min(n_components, *X.shape))
    pca = PCA(n_components=n_components)
    scores = pca.fit_transform(X)
    raw = _kmeans_labels(scores, k, random_state, KMEANS_INITS)
    labels = np.argsort(stable_order(X, raw, k))[raw]
    return PcaKmeans(labels=labels.astype(np.int64), scores=scores, explained_variance_ratio=pca.explained_variance_ratio_)

