"""Per-cluster statistics: how many waveforms each cluster holds, their
mean waveform and its spread, and a table of where each mean's trough and
peak sit.

>>> import numpy as np
>>> cluster_summary(np.array([[0.0, 1.0], [2.0, 3.0], [10.0, 10.0]]), [1, 1, 0]).counts.tolist()
[1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nnmf_core.errors import InputError
from nnmf_core.spikes.validation import _checked_waveforms


@dataclass(frozen=True, eq=False)
class ClusterSummary:
    """Per-cluster statistics from :func:`cluster_summary`.

    Attributes
    ----------
    clusters : ndarray of int, shape (n_clusters,)
    counts : ndarray of int, shape (n_clusters,)
    means, stds : ndarray of float64, shape (n_clusters, n_samples)
        Mean and standard deviation of the member waveforms, sample by sample.
    """

    clusters: np.ndarray
    counts: np.ndarray
    means: np.ndarray
    stds: np.ndarray

    def table(self) -> pd.DataFrame:
        """One row per cluster: count, share, trough and peak sample of the mean waveform."""
        total = max(int(self.counts.sum()), 1)
        return pd.DataFrame(
            {
                "cluster": self.clusters,
                "count": self.counts,
                "share": self.counts / total,
                "trough_sample": self.means.argmin(axis=1),
                "trough": self.means.min(axis=1),
                "peak_sample": self.means.argmax(axis=1),
                "peak": self.means.max(axis=1),
            }
        )


def cluster_summary(waveforms, labels) -> ClusterSummary:
    """Count, mean and spread of the waveforms in every cluster.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    labels : array_like of int, shape (n_waveforms,)

    Returns
    -------
    ClusterSummary
        Clusters that occur in ``labels``, sorted.
    """
    X = _checked_waveforms(waveforms)
    labels = np.asarray(labels)
    if labels.shape != (X.shape[0],):
        raise InputError(f"Got {labels.size} labels for {X.shape[0]} waveforms.")
    clusters = np.unique(labels)
    members = [X[labels == c] for c in clusters]
    return ClusterSummary(
        clusters=clusters,
        counts=np.array([m.shape[0] for m in members], dtype=np.int64),
        means=np.array([m.mean(axis=0) for m in members]),
        stds=np.array([m.std(axis=0) for m in members]),
    )

