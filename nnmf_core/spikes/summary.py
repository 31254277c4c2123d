"""Per-cluster statistics: how many waveforms each cluster holds, their
mean waveform and its spread, and a table of where each mean's trough and
peak sit (on its strongest channel, in ms when the sampling rate is known).

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

    def table(self, channels: int = 1, sampling_rate: float | None = None) -> pd.DataFrame:
        """One row per cluster: count, share, trough and peak sample of the mean waveform.

        Parameters
        ----------
        channels : int
            Channels per waveform (concatenated). With several, the trough and
            peak are those of the channel where the mean swings most, named
            in a ``best_channel`` column, and samples count within it.
        sampling_rate : float, optional
            Samples per second: adds ``trough_ms`` (the trough's time) and
            ``trough_to_peak_ms`` (from the trough to the highest point after
            it, a common measure of spike width).

        Examples
        --------
        >>> means = np.array([[0.0, 0, 0, 0, -1, 2, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]])
        >>> summary = cluster_summary(means, [0, 1])
        >>> summary.table(channels=2, sampling_rate=1000.0)[["best_channel", "trough_ms", "trough_to_peak_ms"]]
           best_channel  trough_ms  trough_to_peak_ms
        0             1        0.0                1.0
        1             0        0.0                0.0
        """
        total = max(int(self.counts.sum()), 1)
        k = self.means.shape[0]
        per_channel = self.means.reshape(k, channels, -1)
        best = np.ptp(per_channel, axis=2).argmax(axis=1)
        means = per_channel[np.arange(k), best]
        trough = means.argmin(axis=1)
        table = pd.DataFrame(
            {
                "cluster": self.clusters,
                "count": self.counts,
                "share": self.counts / total,
                "trough_sample": trough,
                "trough": means.min(axis=1),
                "peak_sample": means.argmax(axis=1),
                "peak": means.max(axis=1),
            }
        )
        if channels > 1:
            table.insert(3, "best_channel", best)
        if sampling_rate:
            after = [int(np.argmax(mean[t:])) for mean, t in zip(means, trough)]
            table["trough_ms"] = trough * 1000.0 / sampling_rate
            table["trough_to_peak_ms"] = np.array(after) * 1000.0 / sampling_rate
        return table


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

