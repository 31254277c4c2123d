"""Spike times: the checks every spike-train statistic runs, the error that
names the column to add when a file has none, the recording's duration, and
one cluster's spike times.

Spike times are seconds from the start of the recording, one per waveform
(``WaveformTable.spike_times``). Given the sampling rate, they are put on the
sample grid (``round(t · fs) / fs``), as SpikeInterface holds them.

>>> unit_spike_times([0.5, 1.0, 2.0, 3.5], [1, 0, 1, 1], 1).tolist()
[0.5, 2.0, 3.5]
"""

from __future__ import annotations

import numpy as np

from nnmf_core.errors import InputError

#: Column names a spike-time column goes by in a CSV file.
SPIKE_TIME_COLUMNS = ("time", "t", "spike_time", "timestamp")


def missing_spike_times(what: str) -> InputError:
    """The error that says which column would make ``what`` computable.

    Examples
    --------
    >>> print(missing_spike_times("The ISI histogram"))  # doctest: +ELLIPSIS
    The ISI histogram cannot be computed without spike times, and these waveforms have none. Add a spike-time ...
    """
    return InputError(
        f"{what} cannot be computed without spike times, and these waveforms have none. Add a spike-time column named "
        f"{', '.join(SPIKE_TIME_COLUMNS[:-1])} or {SPIKE_TIME_COLUMNS[-1]} (seconds from the start of the "
        "recording) to the CSV file, or an array named spike_times to an .npz file."
    )


def _checked_times(spike_times, what: str, n_waveforms: int | None = None) -> np.ndarray:
    """Spike times (s) as a finite, non-negative float64 vector."""
    if spike_times is None:
        raise missing_spike_times(what)
    times = np.asarray(spike_times)
    if times.dtype.kind not in "iuf" or times.ndim != 1:
        raise InputError(f"Spike times must be a list of numbers (seconds); got {times.dtype} values of shape {times.shape}.")
    if n_waveforms is not None and times.size != n_waveforms:
        raise InputError(f"Got {times.size:,} spike times for {n_waveforms:,} waveforms; there must be one per waveform.")
    times = times.astype(np.float64, copy=False)
    bad = np.flatnonzero(~np.isfinite(times))
    if bad.size:
        raise InputError(f"{bad.size:,} spike times are empty or infinite (waveform {bad[0] + 1:,} first).")
    if times.size and times.min() < 0:
        raise InputError(
            f"Spike times must count seconds from the start of the recording; the earliest is {times.min():.6g} s."
        )
    return times


def _checked_positive(value, name: str, unit: str, *, allow_zero: bool = False) -> float:
    """A finite number > 0 (≥ 0 with ``allow_zero``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{name} must be a number of {unit}; got {value!r}.")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise InputError(f"{name} must be {'≥ 0' if allow_zero else 'more than 0'} {unit}; got {value:g}.")
    return value


def _checked_rate(sampling_rate) -> float | None:
    return None if sampling_rate is None else _checked_positive(sampling_rate, "The sampling rate", "Hz")


def _checked_duration(duration_s, times: np.ndarray) -> float:
    """A recording length (s) that holds every spike."""
    duration_s = _checked_positive(duration_s, "The recording's duration", "seconds")
    if times.size and times.max() > duration_s:
        raise InputError(
            f"A spike at {times.max():.6g} s lies after the end of the recording ({duration_s:.6g} s); "
            "give the recording's full duration."
        )
    return duration_s


def _on_sample_grid(times: np.ndarray, sampling_rate: float | None) -> np.ndarray:
    """Times moved to the nearest sample, as SpikeInterface stores them (sample / fs)."""
    return times if sampling_rate is None else np.rint(times * sampling_rate) / sampling_rate


def recording_duration(spike_times, sampling_rate: float | None = None) -> float:
    """The shortest recording that holds every spike, s: the last spike time,
    plus one sample when the sampling rate is known.

    The length of the recording is not in a waveform file; rates and the
    presence ratio computed with this estimate are slightly high if the
    recording went on after its last spike.

    Parameters
    ----------
    spike_times : array_like of float, shape (n_spikes,)
        Seconds from the start of the recording, all units together.
    sampling_rate : float, optional
        Hz.

    Returns
    -------
    float
        Seconds.

    Examples
    --------
    >>> recording_duration([0.5, 2.0, 1.0]), recording_duration([0.5, 2.0], sampling_rate=1000)
    (2.0, 2.001)
    """
    times = _checked_times(spike_times, "The recording's duration")
    sampling_rate = _checked_rate(sampling_rate)
    if times.size == 0 or times.max() == 0:
        raise InputError("Every spike time is 0 s, so the recording's duration is unknown; give it explicitly.")
    return _recording_duration(_on_sample_grid(times, sampling_rate), sampling_rate)


def _recording_duration(times: np.ndarray, sampling_rate: float | None) -> float:
    last = float(times.max())
    return last if sampling_rate is None else (round(last * sampling_rate) + 1) / sampling_rate


def unit_spike_times(spike_times, labels, cluster: int) -> np.ndarray:
    """The spike times of one cluster, in the order of the waveforms.

    Parameters
    ----------
    spike_times : array_like of float, shape (n_waveforms,) or None
        Seconds; None raises the error that names the missing column.
    labels : array_like of int, shape (n_waveforms,)
    cluster : int

    Returns
    -------
    ndarray of float64, shape (n_in_cluster,)
    """
    labels = np.asarray(labels)
    times = _checked_times(spike_times, "The spike-train statistics", labels.size)
    return times[labels == cluster]
