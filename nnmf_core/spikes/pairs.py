"""Are two clusters one neuron? What their spike trains say together: the
cross-correlogram (a neuron cut in two leaves the same refractory gap
around 0 that its own autocorrelogram has) and the refractory check of the
merge (how many violations merging the two adds, against how many two
independent neurons would add by chance). And what their waveforms say,
with or without spike times: their spread along the line joining the two
mean waveforms (:func:`pair_projection`), one hump cut in two or two humps.

Spike times are seconds from the start of the recording, as everywhere in
:mod:`~nnmf_core.spikes.physiology`; binning follows SpikeInterface's
correlograms, so ``crosscorrelogram(a, b)`` is SpikeInterface's
``correlograms[b, a]``: lags are ``t_b − t_a``.

>>> ccg = crosscorrelogram([0.010, 0.500], [0.0125, 0.507], window_ms=10, bin_ms=2.5)
>>> ccg.counts.tolist()  # b fires 2.5 ms after one spike of a and 7 ms after the other
[0, 0, 0, 0, 0, 1, 1, 0]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from nnmf_core.errors import InputError
from nnmf_core.spikes.physiology import (
    ACG_BIN_MS,
    ACG_WINDOW_MS,
    DEFAULT_CENSORED_MS,
    DEFAULT_REFRACTORY_MS,
    PRESENCE_BIN_S,
    Histogram,
    _checked_train,
    _lag_grid,
    _spike_train_table,
)
from nnmf_core.spikes.spike_times import _checked_times
from nnmf_core.spikes.validation import _checked_waveforms, _checked_whole_labels

#: Below this many violations expected by chance, :attr:`MergeCheck.verdict`
#: does not tell one neuron from two (a Poisson count of mean 5 is 0 or 1
#: one time in 25).
MIN_EXPECTED_VIOLATIONS = 5.0
#: A merge that adds at most this share of the violations chance would add
#: keeps one refractory period across the pair: one neuron, cut in two.
ONE_NEURON_SHARE = 0.2
#: A merge that adds at least this share behaves like two neurons.
TWO_NEURONS_SHARE = 0.5
#: What :attr:`MergeCheck.kind` can be.
MERGE_VERDICTS = ("one refractory period", "in between", "two neurons", "too few spikes to tell")
#: Bins of :func:`pair_projection`'s histograms.
PROJECTION_BINS = 60
#: At most this many spike pairs are binned in one pass of :func:`crosscorrelogram`.
PAIRS_PER_PASS = 4_000_000
#: A cross-correlogram of more spike pairs than this is refused (a burst that
#: puts every spike within the window of every other).
MAX_PAIRS = 200_000_000


def crosscorrelogram(spike_times_a, spike_times_b, *, window_ms: float = ACG_WINDOW_MS, bin_ms: float = ACG_BIN_MS,
                     sampling_rate: float | None = None) -> Histogram:
    """Counts of the time from each spike of a to every spike of b (``t_b − t_a``).

    Two neurons that fire independently give a flat cross-correlogram; one
    neuron cut into a and b gives a gap around 0 as wide as its refractory
    period, as its autocorrelogram does. Binned as
    :func:`~nnmf_core.spikes.physiology.autocorrelogram` (bin i holds lags in
    [edge i, edge i + 1); with the sampling rate, whole samples).

    Parameters
    ----------
    spike_times_a, spike_times_b : array_like of float
        Seconds, any order; None raises the error naming the missing column.
    window_ms, bin_ms : float
        Half-width of the window and bin width, ms.
    sampling_rate : float, optional
        Hz.

    Returns
    -------
    Histogram
        ``edges_ms`` symmetric around 0; positive lags: b after a.
    """
    times_a = _checked_times(spike_times_a, "The cross-correlogram")
    times_b = _checked_times(spike_times_b, "The cross-correlogram")
    grid = _lag_grid(window_ms, bin_ms, sampling_rate, "The cross-correlogram")
    a, b = grid.ticks(times_a), grid.ticks(times_b)
    reach = grid.half * grid.size
    first = np.searchsorted(b, a - reach, side="left")  # b − a ≥ −reach
    stop = np.searchsorted(b, a + reach, side="left")  # b − a < reach
    per_spike = stop - first
    total = int(per_spike.sum())
    if total > MAX_PAIRS:
        raise InputError(f"The cross-correlogram would bin {total:,} spike pairs; use a shorter window.")
    counts = np.zeros(2 * grid.half, dtype=np.int64)
    ends = np.cumsum(per_spike)
    start = 0
    while start < a.size:  # passes of at most PAIRS_PER_PASS pairs (at least one spike of a each)
        done = int(ends[start - 1]) if start else 0
        end = max(start + 1, int(np.searchsorted(ends, done + PAIRS_PER_PASS, side="right")))
        lengths = per_spike[start:end]
        owner = np.repeat(np.arange(start, end), lengths)
        offset = np.arange(owner.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        lags = b[first[owner] + offset] - a[owner]
        counts += np.bincount((lags // grid.size).astype(np.int64) + grid.half, minlength=2 * grid.half)
        start = end
    return Histogram(counts, grid.edges_ms())


class MergeCheck(NamedTuple):
    """What :func:`merge_refractory_check` finds for two clusters.

    Attributes
    ----------
    table : pandas.DataFrame
        Three rows, cluster a, cluster b and the two merged (``cluster`` is
        a, b and the string "a + b"): ``n_spikes``, ``isi_violations_count``,
        ``contamination``, as :func:`~nnmf_core.spikes.physiology.spike_train_table`.
    added : int
        Violations the merge adds: those of the merged train less those of a
        and b alone, i.e. spikes of a and b closer than the refractory period.
    expected : float
        How many two independent neurons of these rates would add by chance:
        ``2 (τ − c) n_a n_b / T`` (τ refractory, c censored period, T the
        recording's duration).
    chance_per_ms : float
        Pairs of a spike of a and one of b per ms of lag that two independent
        neurons of these rates give: ``n_a n_b / T`` (T in ms), the level of
        a flat cross-correlogram.
    """

    table: pd.DataFrame
    added: int
    expected: float
    chance_per_ms: float

    @property
    def ratio(self) -> float:
        """Added violations over those expected by chance: near 1 for two
        independent neurons, near 0 for one neuron cut in two; NaN when none
        are expected."""
        return self.added / self.expected if self.expected > 0 else float("nan")

    @property
    def kind(self) -> str:
        """Which of :data:`MERGE_VERDICTS` the check gives: one refractory period
        (at most :data:`ONE_NEURON_SHARE` of the chance violations), two
        neurons (at least :data:`TWO_NEURONS_SHARE`), in between, or too few
        spikes to tell (fewer than :data:`MIN_EXPECTED_VIOLATIONS` expected)."""
        if self.expected < MIN_EXPECTED_VIOLATIONS:
            return "too few spikes to tell"
        if self.ratio <= ONE_NEURON_SHARE:
            return "one refractory period"
        return "two neurons" if self.ratio >= TWO_NEURONS_SHARE else "in between"

    @property
    def verdict(self) -> str:
        """What the check says (:attr:`kind`), in a sentence or two, with its numbers."""
        added = f"{self.added:,} violation{'s' if self.added != 1 else ''}"
        chance = f"about {self.expected:.3g}"
        return {
            "too few spikes to tell": f"Too few spikes to tell: two independent neurons of these rates would add "
                                      f"only {chance} violations when merged (the merge adds {added}).",
            "one refractory period": f"Merged, the two keep one refractory period: the merge adds {added}, where "
                                     f"two independent neurons would add {chance}. That is what one neuron cut in "
                                     "two looks like.",
            "two neurons": f"Merged, they break the refractory period as two independent neurons do: the merge adds "
                           f"{added}, chance alone {chance}. Likely two neurons: merging would contaminate the unit.",
            "in between": f"In between: the merge adds {added}, two independent neurons {chance}. Perhaps one neuron "
                          "with spikes of another in one of the clusters; look at the waveforms before merging.",
        }[self.kind]


def merge_refractory_check(spike_times, labels, a: int, b: int, *, duration_s: float | None = None,
                           sampling_rate: float | None = None, refractory_ms: float = DEFAULT_REFRACTORY_MS,
                           censored_ms: float = DEFAULT_CENSORED_MS) -> MergeCheck:
    """Would merging clusters a and b break the refractory period?

    One neuron cut in two keeps its refractory period across the cut: the
    merged train has (almost) no violations beyond those of a and b alone.
    Two neurons fire independently: merged, their spikes fall closer than
    the refractory period about ``2 (τ − c) n_a n_b / T`` times (Poisson
    trains), and the merge adds that many violations.

    Parameters
    ----------
    spike_times : array_like of float, shape (n_spikes,)
    labels : array_like of int, shape (n_spikes,)
    a, b : int
        Two different clusters of ``labels``.
    duration_s : float, optional
        Length of the recording, s; default its last spike (of any cluster).
    sampling_rate : float, optional
        Hz; times are put on the sample grid.
    refractory_ms, censored_ms : float
        As in :func:`~nnmf_core.spikes.physiology.isi_violations`.

    Returns
    -------
    MergeCheck

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> one = np.cumsum(rng.exponential(0.05, 4_000) + 0.002)  # one neuron, 2 ms dead time, about 19 Hz
    >>> halves = rng.integers(0, 2, one.size)                   # cut in two at random
    >>> check = merge_refractory_check(one, halves, 0, 1)
    >>> check.added, round(check.expected, 1)
    (0, 56.6)
    >>> other = np.cumsum(rng.exponential(0.05, 4_000) + 0.002)  # a second neuron, independent of the first
    >>> check = merge_refractory_check(np.concatenate([one, other]), np.repeat([0, 1], 4_000), 0, 1)
    >>> check.added, round(check.expected, 1), round(check.ratio, 2)
    (211, 226.6, 0.93)
    """
    labels = _checked_whole_labels(labels)
    times = _checked_times(spike_times, "The refractory check of a merge", labels.size)
    a, b = _checked_pair(labels, a, b, "spikes")
    times, sampling_rate, refractory_ms, censored_ms, duration_s = _checked_train(
        times, sampling_rate, refractory_ms, censored_ms, duration_s)
    pair = (labels == a) | (labels == b)
    alone = _spike_train_table(times[pair], labels[pair], duration_s, sampling_rate, refractory_ms, censored_ms,
                               PRESENCE_BIN_S)
    merged = _spike_train_table(times[pair], np.zeros(int(pair.sum()), dtype=np.int64), duration_s, sampling_rate,
                                refractory_ms, censored_ms, PRESENCE_BIN_S)
    columns = ["n_spikes", "isi_violations_count", "contamination"]
    table = pd.concat([alone.set_index("cluster").loc[[a, b], columns], merged[columns].set_axis(["a + b"])])
    table = table.rename_axis("cluster").reset_index()
    added = int(merged["isi_violations_count"].iloc[0] - alone["isi_violations_count"].sum())
    n_a, n_b = table["n_spikes"].iloc[:2]
    chance_per_ms = float(n_a) * float(n_b) / (duration_s * 1000.0)
    return MergeCheck(table, added, 2.0 * (refractory_ms - censored_ms) * chance_per_ms, chance_per_ms)


def _checked_pair(labels: np.ndarray, a, b, members: str) -> tuple[int, int]:
    """Clusters a and b as ints, once they are two different clusters of ``labels``."""
    a, b = int(a), int(b)
    present = set(np.unique(labels).tolist())
    if a == b or a not in present or b not in present:
        raise InputError(f"Give two different clusters that have {members}; got {a} and {b}.")
    return a, b


class PairProjection(NamedTuple):
    """Two clusters' waveforms on the line joining their means (:func:`pair_projection`).

    Attributes
    ----------
    edges : ndarray of float64, shape (n_bins + 1,)
        Positions along the line, in the waveforms' unit: the mean waveform of
        a sits at 0, that of b at ``distance``.
    counts_a, counts_b : ndarray of int64, shape (n_bins,)
        Waveforms of a and of b in each bin.
    distance : float
        Distance between the two mean waveforms (Euclidean, all samples).
    d_prime : float
        ``distance`` over the two clusters' pooled spread along the line,
        √((σ_a² + σ_b²) / 2): the d′ of the merge suggestions.
    """

    edges: np.ndarray
    counts_a: np.ndarray
    counts_b: np.ndarray
    distance: float
    d_prime: float


def pair_projection(waveforms, labels, a: int, b: int, *, n_bins: int = PROJECTION_BINS) -> PairProjection:
    """Where the waveforms of clusters a and b fall on the line joining their mean waveforms.

    No spike times needed. Along that line one neuron cut in two is one hump
    cut in the middle (a Gaussian cut at its mean gives d′ ≈ 2.7), two
    neurons are two humps with a valley between: what a pair's merge turns
    on when the cross-correlogram has too few spikes to tell.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    labels : array_like of int, shape (n_waveforms,)
    a, b : int
        Two different clusters of ``labels``, with different mean waveforms.
    n_bins : int
        Bins of the histograms, shared by both clusters.

    Returns
    -------
    PairProjection

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (500, 2)), rng.normal(0, 1, (500, 2)) + [6, 0]])
    >>> found = pair_projection(X, np.repeat([0, 1], 500), 0, 1, n_bins=12)
    >>> round(found.distance, 1), round(found.d_prime, 1), int(found.counts_a.sum()), int(found.counts_b.sum())
    (6.1, 6.0, 500, 500)
    """
    X = _checked_waveforms(waveforms)
    labels = _checked_whole_labels(labels)
    if labels.size != X.shape[0]:
        raise InputError(f"Give one label per waveform; got {labels.size:,} labels for {X.shape[0]:,} waveforms.")
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise InputError(f"n_bins must be a whole number ≥ 1; got {n_bins!r}.")
    a, b = _checked_pair(labels, a, b, "waveforms")
    A, B = X[labels == a], X[labels == b]
    mean_a = A.mean(axis=0)
    direction = B.mean(axis=0) - mean_a
    distance = float(np.linalg.norm(direction))
    if distance == 0:
        raise InputError(f"Clusters {a} and {b} have the same mean waveform: no line joins them.")
    direction /= distance
    on_a, on_b = (A - mean_a) @ direction, (B - mean_a) @ direction
    pooled = float(np.sqrt((on_a.var() + on_b.var()) / 2))
    edges = np.histogram_bin_edges(np.concatenate([on_a, on_b]), bins=int(n_bins))
    return PairProjection(edges, np.histogram(on_a, edges)[0].astype(np.int64), np.histogram(on_b, edges)[0].astype(np.int64),
                          distance, distance / pooled if pooled > 0 else float("inf"))
