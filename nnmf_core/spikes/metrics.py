"""How good a clustering is: agreement with a reference or between runs
(adjusted Rand index, confusion tables with clusters matched to the reference
labels), and how tight and apart the clusters are (silhouette, d′ separation).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn import config_context
from sklearn.metrics import adjusted_rand_score, silhouette_score

from nnmf_core.errors import InputError
from nnmf_core.spikes.channels import checked_channels


def ari(labels, reference) -> float:
    """Adjusted Rand index between two labellings (1 = same partition, ≈0 = chance).

    Examples
    --------
    >>> ari([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    """
    return _ari(*_checked_pair(labels, reference))


def _ari(labels: np.ndarray, reference: np.ndarray) -> float:
    return float(adjusted_rand_score(reference, labels))


#: Megabytes of pairwise distances :func:`silhouette` holds at once (scikit-learn's
#: ``working_memory``; its default, 1 GB, would hold 4,000 waveforms' 128 MB in one piece).
SILHOUETTE_WORKING_MB = 16


def silhouette(X, labels) -> float:
    """Mean silhouette of the points X (one per row) under ``labels``.

    Returns NaN when there are fewer than 2 clusters or no cluster has two
    members (the score is undefined there).

    Parameters
    ----------
    X : array_like, shape (n_points, n_features)
    labels : array_like, shape (n_points,)
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    n_clusters = np.unique(labels).size
    if n_clusters < 2 or n_clusters > X.shape[0] - 1:
        return math.nan
    with config_context(working_memory=SILHOUETTE_WORKING_MB):  # distances a block of rows at a time
        return float(silhouette_score(X, labels))


def stability(label_sets: Sequence) -> float:
    """Mean adjusted Rand index over all pairs of labellings (NaN for fewer than two).

    Examples
    --------
    >>> stability([[0, 0, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1]])
    1.0
    """
    label_sets = [np.asarray(labels) for labels in label_sets]
    if len(label_sets) < 2:
        return math.nan
    return float(np.mean([adjusted_rand_score(a, b) for a, b in itertools.combinations(label_sets, 2)]))


def confusion_table(labels, reference) -> pd.DataFrame:
    """Counts of waveforms per (cluster, reference label).

    Returns
    -------
    DataFrame
        Rows: clusters (index name ``"cluster"``); columns: reference labels
        (columns name ``"reference"``), both sorted.
    """
    return _confusion_table(*_checked_pair(labels, reference))


def _confusion_table(labels: np.ndarray, reference: np.ndarray) -> pd.DataFrame:
    return pd.crosstab(pd.Series(labels, name="cluster"), pd.Series(reference, name="reference"))


def _natural_key(label) -> tuple:
    """Sort key that puts numbers in numeric order (``"2"`` before ``"10"``) and text after them."""
    try:
        return (0, float(label), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(label))


def matched_clusters(labels, reference) -> dict:
    """Which reference label each cluster stands for: the one-to-one matching
    of clusters to reference labels that keeps the most waveforms on matched
    pairs (the Hungarian assignment, :func:`scipy.optimize.linear_sum_assignment`).

    With more clusters than reference labels some clusters match nothing,
    with fewer some labels are left over.

    Returns
    -------
    dict
        ``{cluster: reference label}`` for every matched cluster.

    Examples
    --------
    >>> matched_clusters([0, 0, 1, 1, 2], ["b", "b", "a", "a", "a"])
    {0: 'b', 1: 'a'}
    """
    counts = _confusion_table(*_checked_pair(labels, reference))
    return _matched(counts)


def _matched(counts: pd.DataFrame) -> dict:
    """``{cluster: label}`` of the Hungarian assignment on a confusion table (pairs with no waveform left out)."""
    rows, columns = linear_sum_assignment(-counts.to_numpy())
    index, labels = counts.index.tolist(), counts.columns.tolist()  # plain Python values
    return {index[r]: labels[c] for r, c in zip(rows, columns) if counts.iat[r, c] > 0}


def matched_accuracy(labels, reference) -> float:
    """Share of waveforms whose cluster is matched (:func:`matched_clusters`) to their own reference label.

    >>> matched_accuracy([0, 0, 1, 1, 2], ["b", "b", "a", "a", "a"])
    0.8
    """
    labels, reference = _checked_pair(labels, reference)
    return _matched_accuracy(labels, reference)


def _matched_accuracy(labels: np.ndarray, reference: np.ndarray) -> float:
    if labels.size == 0:
        return math.nan
    counts = _confusion_table(labels, reference)
    matched = _matched(counts)
    return float(sum(counts.at[cluster, label] for cluster, label in matched.items()) / labels.size)


def matched_confusion_table(labels, reference, reference_name: str = "reference") -> pd.DataFrame:
    """Waveforms per cluster (rows) and reference label (columns), the clusters
    matched to the labels so that a perfect clustering reads as a diagonal.

    Columns are the reference labels in natural order (numbers by value),
    headed ``"{reference_name} {label}"``; rows are the clusters, headed
    ``"cluster {c}"``, in the order of the label each is matched to
    (:func:`matched_clusters`), then the unmatched clusters by size. The
    matching is in ``table.attrs["matched"]`` as ``{row header: column header}``.

    Examples
    --------
    >>> table = matched_confusion_table([1, 1, 0, 0, 0], ["a", "a", "b", "b", "a"], "unit")
    >>> table
               unit a  unit b
    cluster 1       2       0
    cluster 0       1       2
    >>> table.attrs["matched"]
    {'cluster 1': 'unit a', 'cluster 0': 'unit b'}
    """
    labels, reference = _checked_pair(labels, reference)
    counts = _confusion_table(labels, reference)
    counts = counts[sorted(counts.columns, key=_natural_key)]
    matched = _matched(counts)
    position = {label: i for i, label in enumerate(counts.columns)}
    unmatched = sorted((c for c in counts.index if c not in matched), key=lambda c: -int(counts.loc[c].sum()))
    rows = sorted(matched, key=lambda c: position[matched[c]]) + unmatched
    table = counts.loc[rows]
    table.index = [f"cluster {c}" for c in rows]
    table.columns = [f"{reference_name} {label}" for label in table.columns]
    table.attrs["matched"] = {f"cluster {c}": f"{reference_name} {matched[c]}" for c in rows if c in matched}
    return table


def _checked_pair(labels, reference) -> tuple[np.ndarray, np.ndarray]:
    """Two labellings of the same waveforms, as arrays."""
    labels, reference = np.asarray(labels), np.asarray(reference)
    if labels.shape != reference.shape:
        raise InputError(f"Cannot compare {labels.size} labels with {reference.size} reference labels.")
    return labels, reference


#: d′ of the two halves of one Gaussian cut through its mean: the halves'
#: means lie 2·√(2/π) standard deviations apart and each spreads √(1 − 2/π).
CUT_UNIT_SEPARATION = 2 * math.sqrt(2 / math.pi) / math.sqrt(1 - 2 / math.pi)


def separation(X, labels) -> float:
    """How well the two closest clusters are told apart: the smallest d′ over all pairs.

    For a pair of clusters, the members are projected on the line joining
    the two mean points; d′ is the distance between the two projected means
    in units of their pooled standard deviation,
    |μ_a − μ_b| / √((σ_a² + σ_b²) / 2) — the discriminability index of
    signal-detection theory. Cutting one Gaussian cloud in two gives d′ ≈
    2.7 (a uniform one ≈ 3.5), so a value well above that means every
    boundary runs through a gap between real groups.

    Parameters
    ----------
    X : array_like, shape (n_points, n_features)
        E.g. the waveforms, one per row.
    labels : array_like, shape (n_points,)

    Returns
    -------
    float
        The smallest pairwise d′; NaN with fewer than two clusters, inf when
        two clusters have no spread at all.

    Examples
    --------
    >>> round(separation([[0.0], [0.2], [5.0], [5.2]], [0, 0, 1, 1]), 6)
    50.0
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim == 1:
        X = X[:, None]
    if labels.shape != (X.shape[0],):
        raise InputError(f"Got {labels.size} labels for {X.shape[0]} points.")
    return _separation(X, labels)


def _separation(X: np.ndarray, labels: np.ndarray) -> float:
    """:func:`separation` of points (float64, one per row) and as many labels."""
    clusters = np.unique(labels)
    if clusters.size < 2:
        return math.nan
    members = [X[labels == c] for c in clusters]
    means = np.array([m.mean(axis=0) for m in members])
    smallest = math.inf
    for a, b in itertools.combinations(range(clusters.size), 2):
        direction = means[b] - means[a]
        length = float(np.linalg.norm(direction))
        if length == 0:
            return 0.0
        direction /= length
        spread = math.sqrt((float((members[a] @ direction).var()) + float((members[b] @ direction).var())) / 2)
        smallest = min(smallest, length / spread if spread > 0 else math.inf)
    return smallest



def _robust_separation(A: np.ndarray, B: np.ndarray) -> float:
    """d′ of two groups of points (rows) on the line joining their means, each
    group's centre its median there and its spread 1.4826 × its median absolute
    deviation (the standard deviation of a Gaussian): :func:`separation`'s d′
    for one pair, but a few waveforms that hold two spikes move neither. inf
    when neither group spreads; 0 when the means coincide."""
    direction = B.mean(axis=0) - A.mean(axis=0)
    if not np.any(direction):
        return 0.0
    a, b = A @ direction, B @ direction
    centre_a, centre_b = np.median(a), np.median(b)
    spread = math.sqrt((_mad_sd(a, centre_a) ** 2 + _mad_sd(b, centre_b) ** 2) / 2)
    return abs(centre_b - centre_a) / spread if spread > 0 else math.inf


def _mad_sd(values: np.ndarray, centre: float) -> float:
    """1.4826 × the median absolute deviation from ``centre``: a Gaussian's standard deviation, robustly."""
    return 1.4826 * float(np.median(np.abs(values - centre)))


#: Clusters smaller than this are left out of :func:`timing_split_share`: the
#: mean of a handful of noisy waveforms has no clear derivative.
TIMING_SPLIT_MIN_SIZE = 5


def timing_split_share(X, labels, channels: int = 1) -> float:
    """How much of some pair of clusters' difference a sub-sample time shift explains.

    A spike is cut out of the recording wherever it was detected, up to half
    a sample early or late. Past the number of units, a clustering can cut
    one unit in two along that jitter: the two halves' mean waveforms then
    differ along the spike's time derivative, since a waveform moved by a
    fraction δ of a sample changes by about δ times it. For every pair of
    clusters this is the squared cosine between the difference of their
    mean waveforms and the time derivative of their average (each channel
    differentiated on its own); the largest over all pairs is returned.
    Units that differ in amplitude, shape or footprint score near 0 (the
    true units of the 98 realistic benchmark recordings: 0.57 at most,
    median 0.002); a unit cut by its timing near 1.

    Parameters
    ----------
    X : array_like, shape (n_waveforms, n_samples)
        The waveforms, ``channels`` channels of equal length one after another.
    labels : array_like, shape (n_waveforms,)
    channels : int

    Returns
    -------
    float
        0 … 1; NaN with fewer than two clusters of at least
        :data:`TIMING_SPLIT_MIN_SIZE` waveforms.

    Examples
    --------
    >>> t = np.arange(40.0)
    >>> spike = lambda centre: -np.exp(-0.5 * ((t - centre) / 2.0) ** 2)
    >>> early, late = [spike(19.8)] * 5, [spike(20.2)] * 5
    >>> round(timing_split_share(early + late, [0] * 5 + [1] * 5), 2)
    1.0
    >>> round(timing_split_share([spike(20)] * 5 + [2 * spike(20)] * 5, [0] * 5 + [1] * 5), 3)
    0.0
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2 or labels.shape != (X.shape[0],):
        raise InputError("Give one label per waveform (one waveform per row).")
    return _timing_split_share(X, labels, checked_channels(X.shape[1], channels))


def _timing_split_share(X: np.ndarray, labels: np.ndarray, channels: int) -> float:
    """:func:`timing_split_share` of checked waveforms (float64), labels and channel count."""
    clusters, counts = np.unique(labels, return_counts=True)
    means = np.array([X[labels == c].mean(axis=0) for c in clusters[counts >= TIMING_SPLIT_MIN_SIZE]])
    if len(means) < 2:
        return math.nan
    largest = 0.0
    for a, b in itertools.combinations(range(len(means)), 2):
        difference = means[a] - means[b]
        average = (means[a] + means[b]).reshape(channels, -1) / 2
        derivative = np.gradient(average, axis=1).ravel() if average.shape[1] > 1 else np.zeros(X.shape[1])
        scale = float(difference @ difference) * float(derivative @ derivative)
        if scale > 0:
            largest = max(largest, float(difference @ derivative) ** 2 / scale)
    return largest
