"""Sub-sample alignment: every spike moved by a fraction of a sample so that
it best matches the mean of all spikes.

A spike is cut out of the recording at the sample where it was detected, so
its trough may sit anywhere within half a sample of the window's centre, and
a detector adds its own jitter on top. A shift of a fraction of a sample
changes a sharp spike by as much as the difference between two neighbouring
units on a probe, whose spikes share one shape and differ only in how large
they are on each channel: the clustering then cuts a unit in two along its
time derivative and merges two units to pay for it. Aligning first removes
that jitter. On several channels at once the shift is well defined (all the
channels move together, and their spikes all vote); on one channel, units
differ by the timing of their own features, which one shared reference
would blur, so :func:`cluster_waveforms` aligns by default only rows of
several channels.

>>> import numpy as np
>>> t = np.arange(60.0)
>>> spike = -np.exp(-0.5 * ((t - 30) / 2.0) ** 2)
>>> late = -np.exp(-0.5 * ((t - 30.4) / 2.0) ** 2)
>>> alignment = aligned_waveforms(np.stack([spike, late, spike]), channels=1)
>>> alignment.shifts.round(1).tolist()
[0.1, -0.3, 0.1]
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.spikes.channels import checked_channels
from nnmf_core.spikes.validation import _checked_waveforms

#: Largest shift tried, in samples, either way: a detector's half sample and
#: as much again. Larger ones let the noise of a small spike pick its shift.
MAX_ALIGNMENT_SHIFT = 1.0
#: Step of the shifts tried, in samples.
ALIGNMENT_STEP = 0.1
#: Rows aligned at a time: bounds the spectra held in memory.
ALIGNMENT_CHUNK_ROWS = 2_048


class Alignment(NamedTuple):
    """What :func:`aligned_waveforms` returns."""

    waveforms: np.ndarray
    """The aligned waveforms, shape (n_waveforms, n_samples), float64."""
    shifts: np.ndarray
    """Shift of every waveform, in samples (positive: moved later)."""


def aligned_waveforms(waveforms, channels: int = 1, *, max_shift: float = MAX_ALIGNMENT_SHIFT,
                      step: float = ALIGNMENT_STEP, reference=None) -> Alignment:
    """Every waveform shifted by the fraction of a sample that best matches
    it to the mean of all of them (or to ``reference``).

    The shift that maximises the waveform's cross-correlation with the mean
    waveform, summed over its channels (all channels of a row move by the
    same shift), is searched on a grid of ``step`` samples within
    ``±max_shift``; the waveform is then moved by that shift through its
    Fourier transform (each channel zero-padded to twice its length, so
    nothing wraps around from one end to the other).

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    channels : int
        Channels in every row (C channels × T samples, one after another).
    max_shift : float
        Largest shift tried, in samples (0 leaves every waveform as it is).
    step : float
        Step of the shifts tried, in samples.
    reference : array_like, shape (n_samples,), optional
        The waveform to match instead of the mean: e.g. the mean of a fit's
        aligned waveforms, to align a later recording the same way.

    Returns
    -------
    Alignment
    """
    X = _checked_waveforms(waveforms)
    channels = checked_channels(X.shape[1], channels)
    if not (isinstance(max_shift, (int, float)) and math.isfinite(max_shift) and max_shift >= 0):
        raise InputError(f"max_shift must be a number of samples ≥ 0, not {max_shift!r}.")
    if not (isinstance(step, (int, float)) and math.isfinite(step) and step > 0):
        raise InputError(f"step must be a number of samples > 0, not {step!r}.")
    if reference is not None:
        reference = np.asarray(reference, dtype=np.float64)
        if reference.shape != (X.shape[1],) or not np.isfinite(reference).all():
            raise InputError(f"The reference must be one finite waveform of {X.shape[1]:,} samples, like every row.")
    return _aligned(X, channels, float(max_shift), float(step), reference)


def _aligned(X: np.ndarray, channels: int, max_shift: float = MAX_ALIGNMENT_SHIFT,
             step: float = ALIGNMENT_STEP, reference: np.ndarray | None = None) -> Alignment:
    """:func:`aligned_waveforms` of checked arguments (X float64)."""
    n_waveforms, n_samples = X.shape
    length = n_samples // channels
    frequencies = np.fft.rfftfreq(2 * length)
    # a real signal's spectrum counts its inner bins twice (their mirror images)
    weights = np.full(frequencies.size, 2.0)
    weights[0] = weights[-1] = 1.0
    target = X.mean(axis=0) if reference is None else reference
    target_spectrum = np.conj(np.fft.rfft(target.reshape(channels, length), n=2 * length, axis=1))
    steps = int(math.floor(max_shift / step + 1e-9))
    candidates = step * np.arange(-steps, steps + 1)
    phases = np.exp(-2j * np.pi * np.outer(frequencies, candidates))  # (frequencies, candidates)
    shifts = np.zeros(n_waveforms)
    out = np.empty_like(X)
    for rows, spectra in _spectra(X, channels):
        cross = np.einsum("ncf,cf->nf", spectra, target_spectrum) * weights
        chosen = candidates[np.argmax((cross @ phases).real, axis=1)]
        shifts[rows] = chosen
        out[rows] = _moved(spectra, chosen, frequencies, length).reshape(-1, n_samples)
    return Alignment(out, shifts)


def _spectra(X: np.ndarray, channels: int):
    """X's rows, :data:`ALIGNMENT_CHUNK_ROWS` at a time: (their slice, the
    spectra of their channels zero-padded to twice their length, shape
    (rows, channels, frequencies))."""
    length = X.shape[1] // channels
    for start in range(0, X.shape[0], ALIGNMENT_CHUNK_ROWS):
        rows = slice(start, min(start + ALIGNMENT_CHUNK_ROWS, X.shape[0]))
        yield rows, np.fft.rfft(X[rows].reshape(-1, channels, length), n=2 * length, axis=2)


def _moved(spectra: np.ndarray, shifts: np.ndarray, frequencies: np.ndarray, length: int) -> np.ndarray:
    """Waveforms (their zero-padded spectra, shape (n, channels, frequencies))
    moved later by ``shifts`` samples, cut back to ``length`` samples per channel."""
    moved = spectra * np.exp(-2j * np.pi * shifts[:, None, None] * frequencies[None, None, :])
    return np.fft.irfft(moved, n=2 * length, axis=2)[:, :, :length]


def shifted_waveforms(waveforms, shifts, channels: int = 1) -> np.ndarray:
    """Waveforms moved by given shifts (in samples), as :func:`aligned_waveforms`
    moves them: to make a fit's aligned waveforms again from the originals.

    >>> X = np.random.default_rng(0).normal(size=(5, 40))
    >>> alignment = aligned_waveforms(X, channels=2)
    >>> bool(np.allclose(shifted_waveforms(X, alignment.shifts, channels=2), alignment.waveforms))
    True
    """
    X = _checked_waveforms(waveforms)
    channels = checked_channels(X.shape[1], channels)
    shifts = np.asarray(shifts, dtype=np.float64)
    if shifts.shape != (X.shape[0],) or not np.isfinite(shifts).all():
        raise InputError(f"Give one finite shift per waveform ({X.shape[0]:,}), not an array of shape {shifts.shape}.")
    return _shifted(X, shifts, channels)


def _shifted(X: np.ndarray, shifts: np.ndarray, channels: int) -> np.ndarray:
    """:func:`shifted_waveforms` of checked arguments."""
    n_samples = X.shape[1]
    length = n_samples // channels
    frequencies = np.fft.rfftfreq(2 * length)
    out = np.empty_like(X)
    for rows, spectra in _spectra(X, channels):
        out[rows] = _moved(spectra, shifts[rows], frequencies, length).reshape(-1, n_samples)
    return out


def aligned_as_fitted(new_waveforms, fitted_waveforms, shifts, channels: int = 1) -> np.ndarray:
    """A later recording's waveforms aligned as a fit's were: to the mean of
    the fit's aligned waveforms (``fitted_waveforms`` moved by the fit's
    ``shifts``), so the fit's templates meet them as they met its own. As
    they are when the fit did not align (``shifts`` None).

    >>> X = np.random.default_rng(0).normal(size=(6, 40))
    >>> fit = aligned_waveforms(X, channels=2)
    >>> bool(np.allclose(aligned_as_fitted(X, X, fit.shifts, channels=2), fit.waveforms, atol=0.5))
    True
    """
    new = _checked_waveforms(new_waveforms)
    if shifts is None:
        return new
    reference = shifted_waveforms(fitted_waveforms, shifts, channels).mean(axis=0)
    return aligned_waveforms(new, channels, reference=reference).waveforms

