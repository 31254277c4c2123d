"""Is a cluster one neuron? What its spike train says: inter-spike intervals
(ISI) and refractory-period violations, the autocorrelogram, the firing rate
and how steadily the unit fires over the recording (presence ratio).

Every function takes spike times in seconds from the start of the recording
(``WaveformTable.spike_times``), checked by
:mod:`~nnmf_core.spikes.spike_times`. Without them nothing here can be
computed: the public functions then raise an
:class:`~nnmf_core.errors.InputError` that says which column to add.

The numbers follow SpikeInterface's quality metrics (``isi_violation``,
``firing_rate``, ``presence_ratio``) and its correlograms, so a unit judged
here is judged as in a SpikeInterface pipeline. Given the sampling rate,
times are first put on the sample grid (``round(t · fs) / fs``), as
SpikeInterface holds them, so intervals at the threshold compare the same.

>>> times = np.array([0.0, 0.001, 0.1, 0.2, 0.3])      # one interval of 1 ms
>>> result = isi_violations(times, duration_s=10.0)
>>> int(result.count), round(float(result.ratio), 3)
(1, 133.333)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from nnmf_core.errors import InputError
from nnmf_core.spikes.spike_times import (
    _checked_duration,
    _checked_positive,
    _checked_rate,
    _checked_times,
    _on_sample_grid,
    recording_duration,
)
from nnmf_core.spikes.validation import _checked_whole_labels

#: Default refractory period, ms: an ISI shorter than this is a violation.
DEFAULT_REFRACTORY_MS = 1.5
#: Default censored period, ms (SpikeInterface's ``min_isi_ms``): intervals the
#: detector could not have produced (a dead time after each detection).
DEFAULT_CENSORED_MS = 0.0
#: ISI histograms span 0 … this many ms by default.
ISI_MAX_MS = 50.0
#: Autocorrelograms span −this … +this many ms by default.
ACG_WINDOW_MS = 50.0
#: Default width of an autocorrelogram bin, ms.
ACG_BIN_MS = 1.0
#: Default bin of the presence ratio, s (SpikeInterface's default).
PRESENCE_BIN_S = 60.0
#: Confidence of the contamination interval: a few violations in a short
#: recording move Hill's estimate from 0 to 100 %, the interval says so.
CONTAMINATION_LEVEL = 0.95


class Histogram(NamedTuple):
    """Counts in bins.

    Attributes
    ----------
    counts : ndarray of int64, shape (n_bins,)
    edges_ms : ndarray of float64, shape (n_bins + 1,)
        Bin edges, ms; bin i holds values in [edges_ms[i], edges_ms[i + 1]).
    """

    counts: np.ndarray
    edges_ms: np.ndarray


class IsiViolations(NamedTuple):
    """Refractory-period violations of one unit (see :func:`isi_violations`).

    Attributes
    ----------
    ratio : float
        SpikeInterface's ``isi_violations_ratio``: the rate of violations
        relative to what a unit of this rate firing at random would make,
        ``count · T / (2 · N² · (refractory − censored))``. 0 for a clean unit;
        can exceed 1. NaN without spikes.
    count : int
        SpikeInterface's ``isi_violations_count``: intervals between
        consecutive spikes shorter than the refractory period.
    contamination : float
        Hill et al. (2011)'s estimate of the fraction of spikes from other
        neurons, ``f`` with ``f · (1 − f) = ratio``: ``(1 − √(1 − 4·ratio)) / 2``;
        1.0 when ``ratio > 0.25`` (more violations than any mixture explains).
    """

    ratio: float
    count: int
    contamination: float


# ---------------------------------------------------------------- ISI


def _checked_periods(refractory_ms, censored_ms) -> tuple[float, float]:
    refractory_ms = _checked_positive(refractory_ms, "The refractory period", "ms")
    censored_ms = _checked_positive(censored_ms, "The censored period", "ms", allow_zero=True)
    if censored_ms >= refractory_ms:
        raise InputError(
            f"The censored period ({censored_ms:g} ms) must be shorter than the refractory period ({refractory_ms:g} ms)."
        )
    return refractory_ms, censored_ms



def isi_histogram(spike_times, *, max_ms: float = ISI_MAX_MS, n_bins: int = 100, log_bins: bool = False,
                  min_ms: float = 0.1) -> Histogram:
    """Histogram of the intervals between consecutive spikes of one unit.

    Parameters
    ----------
    spike_times : array_like of float, shape (n_spikes,)
        Seconds, any order.
    max_ms : float
        Longest interval shown, ms; longer ones are left out.
    n_bins : int
    log_bins : bool
        Bins of equal width on a log axis, from ``min_ms`` to ``max_ms``;
        shorter intervals are counted in the first bin. Linear bins start at 0.
    min_ms : float
        First edge of log bins, ms.

    Returns
    -------
    Histogram

    Examples
    --------
    >>> isi_histogram([0.0, 0.002, 0.0045], max_ms=5, n_bins=5).counts.tolist()
    [0, 0, 2, 0, 0]
    """
    times = _checked_times(spike_times, "The ISI histogram")
    max_ms = _checked_positive(max_ms, "The longest interval", "ms")
    min_ms = _checked_positive(min_ms, "The first log bin edge", "ms")
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or not 1 <= n_bins <= 10_000:
        raise InputError(f"The number of bins must be a whole number from 1 to 10,000; got {n_bins!r}.")
    if log_bins and min_ms >= max_ms:
        raise InputError(f"The first log bin edge ({min_ms:g} ms) must lie below the longest interval ({max_ms:g} ms).")
    isis_ms = np.diff(np.sort(times)) * 1000.0
    if log_bins:
        edges = np.geomspace(min_ms, max_ms, int(n_bins) + 1)
        isis_ms = np.maximum(isis_ms, min_ms)
    else:
        edges = np.linspace(0.0, max_ms, int(n_bins) + 1)
    counts = np.histogram(isis_ms[isis_ms < max_ms], bins=edges)[0]
    return Histogram(counts.astype(np.int64), edges)


def isi_violations(spike_times, duration_s: float, *, refractory_ms: float = DEFAULT_REFRACTORY_MS,
                   censored_ms: float = DEFAULT_CENSORED_MS, sampling_rate: float | None = None) -> IsiViolations:
    """Refractory-period violations of one unit, as SpikeInterface's ``isi_violation``.

    A violation is an interval between consecutive spikes shorter than
    ``refractory_ms`` (strictly). Intervals shorter than ``censored_ms`` are
    counted too, as in SpikeInterface: the censored period (its
    ``min_isi_ms``) only shortens the time in which violations could occur,
    ``2 · N · (refractory − censored)``.

    Parameters
    ----------
    spike_times : array_like of float, shape (n_spikes,)
        Seconds, any order.
    duration_s : float
        Length of the recording, s (see :func:`recording_duration`).
    refractory_ms, censored_ms : float
        ms; ``0 ≤ censored < refractory``.
    sampling_rate : float, optional
        Hz; times are put on the sample grid first.

    Returns
    -------
    IsiViolations
    """
    times = _checked_times(spike_times, "The refractory-period violations")
    refractory_ms, censored_ms = _checked_periods(refractory_ms, censored_ms)
    duration_s = _checked_duration(duration_s, times)
    times = np.sort(_on_sample_grid(times, _checked_rate(sampling_rate)))
    count = int(np.count_nonzero(np.diff(times) < refractory_ms / 1000))
    ratio = _violation_ratios(np.array([count]), np.array([times.size]), duration_s, refractory_ms, censored_ms)[0]
    return IsiViolations(float(ratio), count, float(_hill_contamination(np.array([ratio]))[0]))


def _violation_ratios(counts: np.ndarray, n_spikes: np.ndarray, duration_s: float, refractory_ms: float,
                      censored_ms: float) -> np.ndarray:
    """SpikeInterface's ``isi_violations_ratio``, its operations in its order; NaN for no spikes."""
    with np.errstate(divide="ignore", invalid="ignore"):
        violation_time = 2 * n_spikes * (refractory_ms / 1000 - censored_ms / 1000)
        total_rate = n_spikes / duration_s
        ratios = (counts / violation_time) / total_rate
    return np.where(n_spikes > 0, ratios, np.nan)


def _contamination_interval(counts: np.ndarray, n_spikes: np.ndarray, duration_s: float, refractory_ms: float,
                            censored_ms: float, level: float = CONTAMINATION_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Hill's contamination at the ends of the exact (Garwood) Poisson interval of each violation count, at
    confidence ``level``: the contaminations the count does not rule out. 0 violations give a lower end of 0;
    the upper end is 1 wherever the count cannot rule out more violations than any mixture explains."""
    tail = (1 - level) / 2
    counts = np.asarray(counts, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        low = np.where(counts > 0, stats.chi2.ppf(tail, 2 * counts) / 2, 0.0)
    high = stats.chi2.ppf(1 - tail, 2 * counts + 2) / 2
    return tuple(_hill_contamination(_violation_ratios(end, n_spikes, duration_s, refractory_ms, censored_ms))
                 for end in (low, high))


def _hill_contamination(ratios: np.ndarray) -> np.ndarray:
    """``f`` with ``f (1 − f) = ratio`` (Hill et al. 2011), 1.0 past ratio 1/4."""
    with np.errstate(invalid="ignore"):
        roots = (1 - np.sqrt(np.clip(1 - 4 * ratios, 0.0, None))) / 2
    return np.where(ratios > 0.25, 1.0, roots)


def firing_rate(spike_times, duration_s: float) -> float:
    """Spikes per second over the recording, Hz (SpikeInterface's ``firing_rate``).

    >>> firing_rate([0.1, 0.5, 0.9, 1.7], duration_s=2.0)
    2.0
    """
    times = _checked_times(spike_times, "The firing rate")
    return times.size / _checked_duration(duration_s, times)


# ---------------------------------------------------------------- presence


def presence_ratio(spike_times, duration_s: float, *, bin_s: float = PRESENCE_BIN_S,
                   sampling_rate: float | None = None) -> float:
    """Fraction of the recording's whole bins in which the unit fires at least once.

    As SpikeInterface's ``presence_ratio``: the recording is cut into
    ``floor(duration / bin_s)`` bins from 0 s (a partial last bin is
    dropped, and a spike in it ignored); NaN when the recording is shorter
    than one bin.

    Parameters
    ----------
    spike_times : array_like of float, shape (n_spikes,)
        Seconds.
    duration_s : float
        Length of the recording, s.
    bin_s : float
        Bin width, s.
    sampling_rate : float, optional
        Hz; bins are then counted in whole samples, as SpikeInterface does.

    Returns
    -------
    float
        0 … 1, or NaN.

    Examples
    --------
    >>> presence_ratio([1.0, 2.0, 130.0], duration_s=240.0)
    0.5
    """
    times = _checked_times(spike_times, "The presence ratio")
    duration_s = _checked_duration(duration_s, times)
    bin_s = _checked_positive(bin_s, "The presence bin", "seconds")
    return float(_presence_ratios(np.zeros(times.size, np.int64), times, 1, duration_s, bin_s, _checked_rate(sampling_rate))[0])


def _presence_ratios(codes: np.ndarray, times: np.ndarray, n_units: int, duration_s: float, bin_s: float,
                     sampling_rate: float | None) -> np.ndarray:
    """Presence ratio of every unit code 0 … n_units − 1 (NaN for a unit without spikes)."""
    if sampling_rate is None:
        ticks, bin_ticks, total = times, bin_s, duration_s
    else:
        ticks = np.rint(times * sampling_rate).astype(np.int64)
        bin_ticks, total = int(bin_s * sampling_rate), int(round(duration_s * sampling_rate))
    n_bins = int(total // bin_ticks) if bin_ticks > 0 else 0
    if n_bins < 1:
        return np.full(n_units, np.nan)
    index = (ticks // bin_ticks).astype(np.int64)
    index[ticks == n_bins * bin_ticks] = n_bins - 1  # the last edge belongs to the last bin
    kept = index < n_bins
    occupied = np.unique(codes[kept] * n_bins + index[kept])
    present = np.bincount(occupied // n_bins, minlength=n_units)
    n_spikes = np.bincount(codes, minlength=n_units)
    return np.where(n_spikes > 0, present / n_bins, np.nan)


# ---------------------------------------------------------------- autocorrelogram


def autocorrelogram(spike_times, *, window_ms: float = ACG_WINDOW_MS, bin_ms: float = ACG_BIN_MS,
                    sampling_rate: float | None = None) -> Histogram:
    """Counts of the time from each spike to every other spike of the unit.

    Lags run from −``window_ms`` to +``window_ms``; a pair of spikes counts
    once at +lag and once at −lag, a spike never with itself. A dip around
    0 is the refractory period; a unit mixed with others fills it in.
    Binned as SpikeInterface's correlograms (whose ``window_ms`` is the full
    width, twice this one): bin i holds lags in [edge i, edge i + 1); with
    the sampling rate, lags, window and bin are whole samples, as there.

    Parameters
    ----------
    spike_times : array_like of float, shape (n_spikes,)
        Seconds, any order.
    window_ms, bin_ms : float
        Half-width of the window and bin width, ms (the window is cut to a
        whole number of bins).
    sampling_rate : float, optional
        Hz.

    Returns
    -------
    Histogram
        ``edges_ms`` symmetric around 0.

    Examples
    --------
    >>> acg = autocorrelogram([0.0, 0.0025, 0.0105], window_ms=3, bin_ms=1)
    >>> acg.counts.tolist(), acg.edges_ms.tolist()
    ([1, 0, 0, 0, 0, 1], [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
    """
    times = _checked_times(spike_times, "The autocorrelogram")
    grid = _lag_grid(window_ms, bin_ms, sampling_rate, "The autocorrelogram")
    return Histogram(_lag_counts(grid.ticks(times), grid.half, grid.size), grid.edges_ms())


class _LagGrid(NamedTuple):
    """The bins of a correlogram: ``2 · half`` bins of ``size`` (seconds, or
    samples given the sampling rate), each ``step_ms`` wide."""

    half: int
    size: float | int
    step_ms: float
    sampling_rate: float | None

    def ticks(self, times: np.ndarray) -> np.ndarray:
        """Spike times, sorted, in the grid's unit (whole samples given the sampling rate)."""
        if self.sampling_rate is None:
            return np.sort(times)
        return np.sort(np.rint(times * self.sampling_rate).astype(np.int64))

    def edges_ms(self) -> np.ndarray:
        return np.arange(-self.half, self.half + 1) * self.step_ms


def _lag_grid(window_ms, bin_ms, sampling_rate, what: str) -> _LagGrid:
    """Checked window and bin of a correlogram (``what`` names it in messages),
    on the sample grid when the sampling rate is given, as SpikeInterface's."""
    window_ms = _checked_positive(window_ms, f"{what}'s window", "ms")
    bin_ms = _checked_positive(bin_ms, f"{what}'s bin", "ms")
    sampling_rate = _checked_rate(sampling_rate)
    if sampling_rate is None:
        window, size, step_ms = window_ms / 1000, bin_ms / 1000, bin_ms
    else:
        window, size = int(round(sampling_rate * window_ms / 1000)), int(round(sampling_rate * bin_ms / 1000))
        step_ms = size * 1000.0 / sampling_rate
    if size <= 0 or window < size:
        raise InputError(f"{what}'s bin ({bin_ms:g} ms) must be positive and fit in its window ({window_ms:g} ms).")
    half = int(np.floor(window / size + 1e-9))  # 0.03 / 0.0005 is 59.999… in floats
    if half > 5_000:
        raise InputError(f"{what} would have {2 * half:,} bins; use wider bins or a shorter window.")
    return _LagGrid(half, size, step_ms, sampling_rate)


def _lag_counts(ticks: np.ndarray, half: int, size) -> np.ndarray:
    """Both-signed lag counts of sorted ``ticks`` in 2·half bins of ``size``
    (SpikeInterface's rule: floor of lag / size, lags from −half·size to
    just under +half·size), one vectorised pass per neighbour distance."""
    counts = np.zeros(2 * half, dtype=np.int64)
    reach = half * size
    shift = 1
    while shift < ticks.size:
        lags = ticks[shift:] - ticks[:-shift]
        near = lags <= reach
        if not near.any():
            break
        lags = lags[near]
        forward = lags // size
        counts += np.bincount(half + forward[forward < half].astype(np.int64), minlength=2 * half)
        counts += np.bincount(half + (-lags // size).astype(np.int64), minlength=2 * half)
        shift += 1
    return counts


# ---------------------------------------------------------------- many units at once


def _codes_by_time(codes: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spikes ordered by unit, then by time (a stable sort by unit alone
    when the spikes come in time order, as files usually hold them)."""
    in_time_order = bool(np.all(times[1:] >= times[:-1]))
    if in_time_order:
        small = codes.astype(np.uint16) if codes.size and codes.max() < 2**16 else codes  # NumPy radix-sorts 16 bits
        order = np.argsort(small, kind="stable")
    else:
        order = np.lexsort((times, codes))
    return codes[order], times[order]


def _violation_counts(codes: np.ndarray, times: np.ndarray, n_units: int, refractory_ms: float) -> np.ndarray:
    """ISI violations of every unit code, from spikes ordered by :func:`_codes_by_time`."""
    same_unit = codes[1:] == codes[:-1]
    short = same_unit & (np.diff(times) < refractory_ms / 1000)
    return np.bincount(codes[1:][short], minlength=n_units)


def spike_train_table(spike_times, labels, *, duration_s: float | None = None, sampling_rate: float | None = None,
                      refractory_ms: float = DEFAULT_REFRACTORY_MS, censored_ms: float = DEFAULT_CENSORED_MS,
                      presence_bin_s: float = PRESENCE_BIN_S) -> pd.DataFrame:
    """Spike-train statistics of every cluster, all at once (vectorised).

    Parameters
    ----------
    spike_times : array_like of float, shape (n_spikes,)
        Seconds; None raises the error naming the missing column.
    labels : array_like of int, shape (n_spikes,)
    duration_s : float, optional
        Length of the recording, s; default :func:`recording_duration`.
    sampling_rate : float, optional
        Hz.
    refractory_ms, censored_ms, presence_bin_s : float
        As in :func:`isi_violations` and :func:`presence_ratio`.

    Returns
    -------
    pandas.DataFrame
        One row per cluster, sorted: ``cluster``, ``n_spikes``,
        ``firing_rate_hz`` (Hz), ``isi_violations_ratio``,
        ``isi_violations_count``, ``contamination``, ``contamination_low``
        and ``contamination_high`` (the contaminations the violation count
        does not rule out: Hill's estimate at the ends of its exact Poisson
        interval at :data:`CONTAMINATION_LEVEL`), ``presence_ratio``.
    """
    labels = _checked_whole_labels(labels)
    times = _checked_times(spike_times, "The spike-train statistics", labels.size)
    presence_bin_s = _checked_positive(presence_bin_s, "The presence bin", "seconds")
    times, sampling_rate, refractory_ms, censored_ms, duration_s = _checked_train(
        times, sampling_rate, refractory_ms, censored_ms, duration_s)
    return _spike_train_table(times, labels, duration_s, sampling_rate, refractory_ms, censored_ms, presence_bin_s)


def _checked_train(times: np.ndarray, sampling_rate, refractory_ms, censored_ms, duration_s) -> tuple:
    """Checked times' options — sampling rate, refractory and censored periods, the recording's duration
    (default :func:`recording_duration`) — and the times on the sample grid, in that order after the times."""
    sampling_rate = _checked_rate(sampling_rate)
    refractory_ms, censored_ms = _checked_periods(refractory_ms, censored_ms)
    if duration_s is None:
        duration_s = recording_duration(times, sampling_rate)
    duration_s = _checked_duration(duration_s, times)
    return _on_sample_grid(times, sampling_rate), sampling_rate, refractory_ms, censored_ms, duration_s


def _spike_train_table(times, labels, duration_s, sampling_rate, refractory_ms, censored_ms,
                       presence_bin_s) -> pd.DataFrame:
    clusters, codes = np.unique(labels, return_inverse=True)
    n_units = clusters.size
    n_spikes = np.bincount(codes, minlength=n_units)
    sorted_codes, sorted_times = _codes_by_time(codes, times)
    counts = _violation_counts(sorted_codes, sorted_times, n_units, refractory_ms)
    ratios = _violation_ratios(counts, n_spikes, duration_s, refractory_ms, censored_ms)
    low, high = _contamination_interval(counts, n_spikes, duration_s, refractory_ms, censored_ms)
    return pd.DataFrame({
        "cluster": clusters,
        "n_spikes": n_spikes,
        "firing_rate_hz": n_spikes / duration_s,
        "isi_violations_ratio": ratios,
        "isi_violations_count": counts,
        "contamination": _hill_contamination(ratios),
        "contamination_low": low,
        "contamination_high": high,
        "presence_ratio": _presence_ratios(codes, times, n_units, duration_s, presence_bin_s, sampling_rate),
    })
