"""Is a cluster one neuron? What its waveforms say — spike amplitudes, their
drift over time, the amplitude cut-off and the signal-to-noise ratio — and
:func:`unit_quality_table`, every quality metric of every cluster in one
table (the spike-train half from :mod:`~nnmf_core.spikes.physiology`), and
:func:`waveform_quality_table`, the half that needs no spike times.

Waveforms are one per row, in µV, ``channels`` channels concatenated channel
after channel (C · T samples per row). A cluster's *template* is the mean of
its waveforms; its *main channel* is the channel where the template reaches
its largest magnitude, and its *peak sample* is where, on that channel
(SpikeInterface's ``peak_sign="both"``, ``peak_mode="extremum"``).

The unassigned waveforms (label −1) get amplitudes like any group but no row
in the quality table.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.ndimage import gaussian_filter1d

from nnmf_core.errors import InputError
from nnmf_core.spikes.channels import checked_channels
from nnmf_core.spikes.physiology import DEFAULT_CENSORED_MS, DEFAULT_REFRACTORY_MS, PRESENCE_BIN_S, spike_train_table
from nnmf_core.spikes.spike_times import _checked_times, recording_duration
from nnmf_core.spikes.unassigned import UNASSIGNED
from nnmf_core.spikes.validation import _checked_waveforms, _checked_whole_labels

#: How a spike's amplitude is read from its waveform, on its cluster's main channel (all in µV, positive
#: for the usual negative-going spike).
AMPLITUDE_METHODS = {
    "extremum": "the value at the sample where the cluster's template peaks, sign-flipped if that peak is negative "
                "(as SpikeInterface's spike_amplitudes)",
    "trough": "the depth of the waveform's own trough (minus its minimum)",
    "peak_to_trough": "the waveform's own peak minus its trough",
}
#: MAD of Gaussian noise divided by its standard deviation.
_MAD_PER_SD = 0.6744897501960817


class AmplitudeDrift(NamedTuple):
    """Spike amplitudes of one unit binned over time (see :func:`amplitude_drift`).

    Attributes
    ----------
    centres_s : ndarray of float64, shape (n_bins,)
        Middle of each time bin, s.
    median, lower, upper : ndarray of float64, shape (n_bins,)
        Median, 10th and 90th percentile of the amplitudes in the bin, µV
        (NaN for a bin without spikes).
    counts : ndarray of int64, shape (n_bins,)
    """

    centres_s: np.ndarray
    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    counts: np.ndarray


# ---------------------------------------------------------------- validation


def _checked_labels(labels, n_waveforms: int) -> np.ndarray:
    labels = _checked_whole_labels(labels)
    if labels.size != n_waveforms:
        raise InputError(f"Got {labels.size:,} labels for {n_waveforms:,} waveforms.")
    return labels


def _checked_method(method: str) -> str:
    if method not in AMPLITUDE_METHODS:
        raise InputError(f"Unknown amplitude {method!r}; choose one of {', '.join(AMPLITUDE_METHODS)}.")
    return method


# ---------------------------------------------------------------- templates


def _templates(X: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean waveform of every group code, shape (n_groups, n_samples)."""
    n = codes.size
    members = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_groups, n))
    counts = np.bincount(codes, minlength=n_groups)
    return np.asarray(members @ X) / np.maximum(counts, 1)[:, None]


def _main_peaks(templates: np.ndarray, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Main channel and peak sample of every template (largest magnitude; first on ties)."""
    k = templates.shape[0]
    magnitudes = np.abs(templates.reshape(k, channels, -1))
    main = magnitudes.max(axis=2).argmax(axis=1)
    peak = magnitudes[np.arange(k), main].argmax(axis=1)
    return main, peak


def _amplitudes(X: np.ndarray, codes: np.ndarray, templates: np.ndarray, channels: int, method: str) -> np.ndarray:
    n, k = X.shape[0], templates.shape[0]
    main, peak = _main_peaks(templates, channels)
    length = X.shape[1] // channels
    if method == "extremum":
        signs = np.sign(templates.reshape(k, channels, length)[np.arange(k), main, peak])
        values = X[np.arange(n), main[codes] * length + peak[codes]]
        return values * np.where(signs < 0, -1.0, 1.0)[codes]
    on_main = X.reshape(n, channels, length)[np.arange(n), main[codes]]
    if method == "trough":
        return -on_main.min(axis=1)
    return on_main.max(axis=1) - on_main.min(axis=1)


def spike_amplitudes(waveforms, labels, *, channels: int = 1, method: str = "extremum") -> np.ndarray:
    """The amplitude of every spike, read on its cluster's main channel.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, channels · n_times)
        µV.
    labels : array_like of int, shape (n_waveforms,)
        Clusters (−1 for unassigned, treated as one more group).
    channels : int
    method : {"extremum", "trough", "peak_to_trough"}
        See :data:`AMPLITUDE_METHODS`.

    Returns
    -------
    ndarray of float64, shape (n_waveforms,)
        µV, positive for a typical spike.

    Examples
    --------
    >>> X = np.array([[0.0, -5.0, 2.0], [0.0, -3.0, 1.0], [1.0, 4.0, 0.0]])
    >>> spike_amplitudes(X, [0, 0, 1]).tolist()
    [5.0, 3.0, 4.0]
    >>> spike_amplitudes(X, [0, 0, 1], method="peak_to_trough").tolist()
    [7.0, 4.0, 4.0]
    """
    X = _checked_waveforms(waveforms)
    labels = _checked_labels(labels, X.shape[0])
    channels = checked_channels(X.shape[1], channels)
    method = _checked_method(method)
    groups, codes = np.unique(labels, return_inverse=True)
    return _amplitudes(X, codes, _templates(X, codes, groups.size), channels, method)


#: :func:`amplitude_cutoff`'s histogram: bins, Gaussian smoothing (in bins), and the spikes it needs per bin.
AMPLITUDE_CUTOFF_BINS, AMPLITUDE_CUTOFF_SMOOTHING, AMPLITUDE_CUTOFF_SPIKES_PER_BIN = 100, 3.0, 5.0
#: The fewest spikes from which :func:`amplitude_cutoff` gives an estimate (NaN below).
AMPLITUDE_CUTOFF_MIN_SPIKES = int(AMPLITUDE_CUTOFF_BINS * AMPLITUDE_CUTOFF_SPIKES_PER_BIN)


def amplitude_cutoff(amplitudes, *, n_bins: int = AMPLITUDE_CUTOFF_BINS, smoothing_bins: float = AMPLITUDE_CUTOFF_SMOOTHING,
                     min_spikes_per_bin: float = AMPLITUDE_CUTOFF_SPIKES_PER_BIN) -> float:
    """Estimated fraction of a unit's spikes missed because they were too small
    to detect, from the shape of its amplitude histogram (Hill et al. 2011),
    computed exactly as SpikeInterface's ``amplitude_cutoff``.

    The histogram is smoothed by a Gaussian of ``smoothing_bins`` bins
    (keeping the counts' integer type, as there); the spikes "missing" are the
    smoothed counts above the last bin as high as the smallest-amplitude bin,
    mirrored below it. Capped at 0.5. Amplitudes whose median is negative are
    negated first.

    Parameters
    ----------
    amplitudes : array_like of float, shape (n_spikes,)
        µV, of one unit.
    n_bins : int
    smoothing_bins : float
    min_spikes_per_bin : float
        With fewer than ``n_bins · min_spikes_per_bin`` spikes (500 by
        default) the estimate is NaN.

    Returns
    -------
    float
        0 … 0.5, or NaN.
    """
    values = np.asarray(amplitudes, dtype=np.float64)
    if values.ndim != 1 or not np.isfinite(values).all():
        raise InputError("Amplitudes must be a list of finite numbers.")
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 2:
        raise InputError(f"The number of amplitude bins must be a whole number ≥ 2; got {n_bins!r}.")
    return _amplitude_cutoff(values, int(n_bins), float(smoothing_bins), float(min_spikes_per_bin))


def _amplitude_cutoff(values: np.ndarray, n_bins: int, smoothing: float, min_ratio: float) -> float:
    if values.size / n_bins < min_ratio:
        return float("nan")
    if np.median(values) < 0:
        values = -values
    pdf = gaussian_filter1d(np.histogram(values, n_bins)[0], smoothing, mode="nearest")
    last_high = np.flatnonzero(pdf >= pdf[0])[-1]
    missed = np.sum(pdf[last_high + 1 :])
    return float(min(missed / (values.size + missed), 0.5))


def amplitude_drift(spike_times, amplitudes, *, n_bins: int = 20) -> AmplitudeDrift:
    """A unit's amplitudes over the recording, in ``n_bins`` equal time bins
    between its first and last spike: a drifting electrode shows as a slope.

    Parameters
    ----------
    spike_times : array_like of float, shape (n_spikes,)
        Seconds (None raises the error naming the missing column).
    amplitudes : array_like of float, shape (n_spikes,)
        µV, in the order of ``spike_times``.
    n_bins : int

    Returns
    -------
    AmplitudeDrift

    Examples
    --------
    >>> drift = amplitude_drift([0.0, 1.0, 9.0, 10.0], [50.0, 52.0, 40.0, 42.0], n_bins=2)
    >>> drift.centres_s.tolist(), drift.median.tolist()
    ([2.5, 7.5], [51.0, 41.0])
    """
    values = np.asarray(amplitudes, dtype=np.float64)
    times = _checked_times(spike_times, "The amplitude over time", values.size)
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or not 1 <= n_bins <= 1_000:
        raise InputError(f"The number of time bins must be a whole number from 1 to 1,000; got {n_bins!r}.")
    if times.size == 0:
        raise InputError("The cluster has no spikes.")
    first, last = float(times.min()), float(times.max())
    edges = np.linspace(first, last if last > first else first + 1.0, int(n_bins) + 1)
    index = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, n_bins - 1)
    order = np.argsort(index, kind="stable")
    groups = np.split(values[order], np.cumsum(np.bincount(index, minlength=n_bins))[:-1])
    stats = np.array([np.percentile(g, [50, 10, 90]) if g.size else [np.nan] * 3 for g in groups])
    return AmplitudeDrift((edges[:-1] + edges[1:]) / 2, stats[:, 0], stats[:, 1], stats[:, 2],
                          np.array([g.size for g in groups], dtype=np.int64))


# ---------------------------------------------------------------- noise and SNR


def noise_levels(waveforms, *, channels: int = 1, baseline_samples: int | None = None) -> np.ndarray:
    """The noise of every channel, µV, estimated from the waveforms alone.

    SpikeInterface measures noise on the raw recording (the median absolute
    deviation, MAD, of random stretches, divided by 0.6745 to read as a
    standard deviation). A waveform file has no raw recording, so this takes
    the MAD / 0.6745 of the first ``baseline_samples`` samples of every
    waveform on the channel — the stretch before the spike, pooled over all
    waveforms. It reads high if the spike's own slope reaches that far, and
    low on a recording whose detector required a quiet baseline; pass known
    noise levels to :func:`unit_quality_table` to avoid the estimate.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, channels · n_times)
        µV.
    channels : int
    baseline_samples : int, optional
        Samples per channel taken from the start; default a tenth of the
        channel's samples, at least 3.

    Returns
    -------
    ndarray of float64, shape (channels,)
        µV.
    """
    X = _checked_waveforms(waveforms)
    channels = checked_channels(X.shape[1], channels)
    return _noise_levels(X, channels, _checked_baseline(baseline_samples, X.shape[1] // channels))


def _checked_baseline(baseline_samples, length: int) -> int:
    if baseline_samples is None:
        return min(length, max(3, length // 10))
    if isinstance(baseline_samples, bool) or not isinstance(baseline_samples, (int, np.integer)) \
            or not 1 <= baseline_samples <= length:
        raise InputError(f"The baseline must be a whole number of samples from 1 to {length}; got {baseline_samples!r}.")
    return int(baseline_samples)


def _noise_levels(X: np.ndarray, channels: int, baseline: int) -> np.ndarray:
    stretch = X.reshape(X.shape[0], channels, -1)[:, :, :baseline]
    pooled = stretch.transpose(1, 0, 2).reshape(channels, -1)
    centred = np.abs(pooled - np.median(pooled, axis=1, keepdims=True))
    return np.median(centred, axis=1) / _MAD_PER_SD


def _snrs(templates: np.ndarray, channels: int, noise: np.ndarray) -> np.ndarray:
    """SpikeInterface's SNR: |template| at its peak on the main channel / that channel's noise."""
    k = templates.shape[0]
    main, peak = _main_peaks(templates, channels)
    signal = np.abs(templates.reshape(k, channels, -1)[np.arange(k), main, peak])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(noise[main] > 0, signal / noise[main], np.nan)


# ---------------------------------------------------------------- the table


def waveform_quality_table(labels, waveforms, *, channels: int = 1, amplitude: str = "extremum",
                           noise=None, baseline_samples: int | None = None) -> pd.DataFrame:
    """The quality metrics of every cluster that its waveforms alone give:
    no spike times needed (the half of :func:`unit_quality_table` a table of
    waveforms without times still has).

    The unassigned waveforms (label −1) are left out.

    Parameters
    ----------
    labels : array_like of int, shape (n_waveforms,)
    waveforms : array_like, shape (n_waveforms, channels · n_times)
        µV.
    channels : int
    amplitude : {"extremum", "trough", "peak_to_trough"}
        Spike amplitude for the median and the cut-off (see :data:`AMPLITUDE_METHODS`).
    noise : array_like of float, shape (channels,), optional
        Noise level of every channel, µV (e.g. SpikeInterface's
        ``noise_levels``); default estimated by :func:`noise_levels`.
    baseline_samples : int, optional
        For the noise estimate.

    Returns
    -------
    pandas.DataFrame
        One row per cluster, sorted: ``cluster``, ``n_spikes``,
        ``amplitude_median`` (µV), ``amplitude_cutoff``, ``snr`` (the
        template's peak magnitude on its main channel over that channel's
        noise: ``noise`` if given, else the estimate of :func:`noise_levels`).

    Examples
    --------
    >>> X = np.zeros((4, 20)); X[:, 8] = [-40, -44, -10, -12]
    >>> waveform_quality_table([0, 0, 1, 1], X, noise=[2.0])[["cluster", "n_spikes", "amplitude_median", "snr"]]
       cluster  n_spikes  amplitude_median   snr
    0        0         2              42.0  21.0
    1        1         2              11.0   5.5
    """
    X = _checked_waveforms(waveforms)
    labels = _checked_labels(labels, X.shape[0])
    return _waveform_quality_table(X, labels, checked_channels(X.shape[1], channels), _checked_method(amplitude),
                                   noise, baseline_samples)


def _waveform_quality_table(X: np.ndarray, labels: np.ndarray, channels: int, method: str, noise,
                            baseline_samples: int | None) -> pd.DataFrame:
    """:func:`waveform_quality_table` of checked waveforms, labels, channels and amplitude method."""
    baseline = _checked_baseline(baseline_samples, X.shape[1] // channels)
    if noise is None:
        noise = _noise_levels(X, channels, baseline)
    else:
        noise = np.asarray(noise, dtype=np.float64).reshape(-1)
        if noise.size != channels or not (np.isfinite(noise) & (noise >= 0)).all():
            raise InputError(f"Give one finite, non-negative noise level per channel ({channels}); got {noise.size}.")
    kept = labels != UNASSIGNED
    if not kept.any():
        raise InputError("Every waveform is unassigned; there is no cluster to measure.")
    X, labels = X[kept], labels[kept]
    clusters, codes = np.unique(labels, return_inverse=True)
    counts = np.bincount(codes, minlength=clusters.size)
    templates = _templates(X, codes, clusters.size)
    values = _amplitudes(X, codes, templates, channels, method)
    per_cluster = np.split(values[np.argsort(codes, kind="stable")], np.cumsum(counts)[:-1])
    return pd.DataFrame({
        "cluster": clusters.astype(np.int64),
        "n_spikes": counts.astype(np.int64),
        "amplitude_median": [float(np.median(v)) for v in per_cluster],
        "amplitude_cutoff": [_amplitude_cutoff(v, AMPLITUDE_CUTOFF_BINS, AMPLITUDE_CUTOFF_SMOOTHING,
                                               AMPLITUDE_CUTOFF_SPIKES_PER_BIN) for v in per_cluster],
        "snr": _snrs(templates, channels, noise),
    })


def unit_quality_table(labels, spike_times, waveforms, sampling_rate: float | None = None, *,
                       duration_s: float | None = None, channels: int = 1,
                       refractory_ms: float = DEFAULT_REFRACTORY_MS, censored_ms: float = DEFAULT_CENSORED_MS,
                       presence_bin_s: float = PRESENCE_BIN_S, amplitude: str = "extremum",
                       noise=None, baseline_samples: int | None = None) -> pd.DataFrame:
    """Every quality metric of every cluster, as SpikeInterface computes them:
    the spike train's (:func:`~nnmf_core.spikes.physiology.spike_train_table`)
    beside the waveforms' (:func:`waveform_quality_table`).

    The unassigned waveforms (label −1) are left out.

    Parameters
    ----------
    labels : array_like of int, shape (n_waveforms,)
    spike_times : array_like of float, shape (n_waveforms,)
        Seconds from the start of the recording; None raises an
        :class:`~nnmf_core.errors.InputError` naming the column to add.
    waveforms : array_like, shape (n_waveforms, channels · n_times)
        µV.
    sampling_rate : float, optional
        Hz; spike times are put on the sample grid.
    duration_s : float, optional
        Length of the recording, s; default the last spike (see
        :func:`~nnmf_core.spikes.spike_times.recording_duration`).
    channels : int
    refractory_ms, censored_ms : float
        ISI violations (see :func:`~nnmf_core.spikes.physiology.isi_violations`).
    presence_bin_s : float
        Bin of the presence ratio, s.
    amplitude, noise, baseline_samples
        As for :func:`waveform_quality_table`.

    Returns
    -------
    pandas.DataFrame
        One row per cluster, sorted: ``cluster``, ``n_spikes``,
        ``firing_rate_hz``, ``isi_violations_ratio``,
        ``isi_violations_count``, ``contamination``, ``contamination_low``,
        ``contamination_high``, ``presence_ratio``,
        then :func:`waveform_quality_table`'s ``amplitude_median`` (µV),
        ``amplitude_cutoff`` and ``snr``.
    """
    X = _checked_waveforms(waveforms)
    labels = _checked_labels(labels, X.shape[0])
    _checked_times(spike_times, "The quality metrics", X.shape[0])
    channels = checked_channels(X.shape[1], channels)
    shapes = _waveform_quality_table(X, labels, channels, _checked_method(amplitude), noise, baseline_samples)
    kept = labels != UNASSIGNED
    times = np.asarray(spike_times, dtype=np.float64)
    table = spike_train_table(times[kept], labels[kept], sampling_rate=sampling_rate, refractory_ms=refractory_ms,
                              censored_ms=censored_ms, presence_bin_s=presence_bin_s,
                              duration_s=recording_duration(times, sampling_rate) if duration_s is None else duration_s)
    return table.merge(shapes.drop(columns="n_spikes"), on="cluster", how="left", validate="one_to_one")
