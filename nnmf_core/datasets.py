"""Seeded synthetic data with ground truth.

:func:`synthetic_spikes` makes extracellular spike waveforms of units with
known shapes, for tests, benchmarks and the app's bundled sample
(``data/make_spikes.py``); the same seed always gives the same arrays.

Examples
--------
>>> waveforms, units = synthetic_spikes(n_per_unit=5, n_units=3, n_samples=40, random_state=0)
>>> waveforms.shape, sorted(set(units.tolist()))
((15, 40), [0, 1, 2])
"""

from __future__ import annotations

import math

import numpy as np

from nnmf_core.errors import InputError

#: Shapes of the synthetic units, in milliseconds (Gaussian widths are
#: standard deviations). A pre-trough bump, the trough, and the
#: repolarisation peak; amplitudes relative to the trough depth.
UNIT_SHAPES = (
    # narrow, fast-spiking: short trough, quick tall peak
    dict(trough_ms=0.10, peak_delay_ms=0.30, peak_ms=0.12, peak_ratio=0.45, bump_ratio=0.00),
    # broad, regular-spiking: wide trough, late low broad peak
    dict(trough_ms=0.17, peak_delay_ms=0.65, peak_ms=0.35, peak_ratio=0.22, bump_ratio=0.00),
    # intermediate, with a small positive bump before the trough
    dict(trough_ms=0.13, peak_delay_ms=0.45, peak_ms=0.22, peak_ratio=0.30, bump_ratio=0.12),
    # broad trough, almost no repolarisation peak
    dict(trough_ms=0.20, peak_delay_ms=0.55, peak_ms=0.30, peak_ratio=0.08, bump_ratio=0.05),
    # narrow trough, late broad peak
    dict(trough_ms=0.09, peak_delay_ms=0.55, peak_ms=0.30, peak_ratio=0.30, bump_ratio=0.00),
    # large pre-trough bump (axonal-like)
    dict(trough_ms=0.12, peak_delay_ms=0.40, peak_ms=0.18, peak_ratio=0.15, bump_ratio=0.35),
)
#: Where the trough sits, as a fraction of the window.
TROUGH_AT = 1 / 3


def _unit_waveform(shape: dict, times_ms: np.ndarray, trough_ms: float) -> np.ndarray:
    t = times_ms - trough_ms
    trough = -np.exp(-0.5 * (t / shape["trough_ms"]) ** 2)
    peak = shape["peak_ratio"] * np.exp(-0.5 * ((t - shape["peak_delay_ms"]) / shape["peak_ms"]) ** 2)
    bump = shape["bump_ratio"] * np.exp(-0.5 * ((t + 2.2 * shape["trough_ms"]) / shape["trough_ms"]) ** 2)
    return trough + peak + bump


def synthetic_spikes(
    n_per_unit: int = 250,
    n_units: int = 4,
    n_samples: int = 150,
    sampling_rate: float = 30_000,
    jitter: float = 1.0,
    amplitude_jitter: float = 0.12,
    noise: float = 0.06,
    random_state: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Extracellular spike waveforms from units of known shape.

    Every unit has its own shape (:data:`UNIT_SHAPES`: a Gaussian trough, a
    repolarisation peak of its own delay, width and height, sometimes a
    small bump before the trough). Each spike is that shape, trough-aligned
    at a third of the window and shifted by a uniform sub-sample jitter of
    ±``jitter`` samples, scaled by a log-normal amplitude (spread
    ``amplitude_jitter``), plus coloured noise (white noise smoothed by a
    3-sample kernel, standard deviation ``noise`` relative to a trough of 1).

    Parameters
    ----------
    n_per_unit : int
        Spikes per unit.
    n_units : int
        Number of units, 1 … len(UNIT_SHAPES).
    n_samples : int
        Samples per waveform (≥ 3).
    sampling_rate : float
        Samples per second (the shapes are defined in milliseconds).
    jitter : float
        Alignment jitter, in samples.
    amplitude_jitter : float
        Standard deviation of the log of the amplitude (0.12 ≈ ±12 %).
    noise : float
        Noise standard deviation, relative to the trough depth.
    random_state : int
        Seed; the same seed gives the same arrays.

    Returns
    -------
    waveforms : ndarray of float64, shape (n_units·n_per_unit, n_samples)
        In a random order.
    units : ndarray of int, shape (n_units·n_per_unit,)
        The true unit of every waveform, 0 … n_units−1.
    """
    if not 1 <= n_units <= len(UNIT_SHAPES):
        raise InputError(f"n_units must lie between 1 and {len(UNIT_SHAPES)}; got {n_units}.")
    if n_per_unit < 1 or n_samples < 3:
        raise InputError("Need at least one spike per unit and three samples.")
    rng = np.random.default_rng(random_state)
    n = n_units * n_per_unit
    units = rng.permutation(np.repeat(np.arange(n_units), n_per_unit))
    sample_ms = 1000.0 / sampling_rate
    times = np.arange(n_samples) * sample_ms
    trough_ms = round(TROUGH_AT * n_samples) * sample_ms
    shifts = rng.uniform(-jitter, jitter, size=n) * sample_ms
    amplitudes = np.exp(rng.normal(0.0, amplitude_jitter, size=n))
    waveforms = np.empty((n, n_samples))
    for i in range(n):
        waveforms[i] = amplitudes[i] * _unit_waveform(UNIT_SHAPES[units[i]], times, trough_ms + shifts[i])
    white = rng.normal(size=(n, n_samples + 2))
    coloured = (white[:, :-2] + 2 * white[:, 1:-1] + white[:, 2:]) / math.sqrt(6.0)
    waveforms += noise * coloured
    return waveforms, units.astype(np.int64)
