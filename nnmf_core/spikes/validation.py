"""Checks of what the spike functions are given: waveforms, a number of
clusters, counts and seeds. Each refuses bad input with an
:class:`~nnmf_core.errors.InputError` naming the problem.

Public functions run these once and hand the checked values to private
workers that trust them.
"""

from __future__ import annotations

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.factorize import MAX_ENTRY

#: Largest magnitude of a sample accepted: half the largest entry the
#: factorization takes in 32-bit floats (``MAX_ENTRY``), because a shift can
#: double the range (-5e11 … 5e11 becomes 0 … 1e12).
MAX_ABS_SAMPLE = MAX_ENTRY[np.dtype(np.float32)] / 2


def _checked_waveforms(waveforms, name: str = "waveforms") -> np.ndarray:
    """Waveforms (one per row) as a finite float64 array within :data:`MAX_ABS_SAMPLE`."""
    X = np.asarray(waveforms)
    if X.dtype.kind not in "biuf":
        raise InputError(f"{name} must hold numbers; it holds {X.dtype} values.")
    if X.ndim != 2:
        raise InputError(f"{name} must be 2-D (one waveform per row); it has shape {X.shape}.")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise InputError(f"{name} is empty (shape {X.shape}).")
    if not np.isfinite(X).all():
        raise InputError(f"{name} holds {int((~np.isfinite(X)).sum())} NaN or infinite values.")
    _checked_magnitude(X)
    return X.astype(np.float64, copy=False)


def _checked_whole_labels(labels) -> np.ndarray:
    """Cluster labels as a 1-D int64 array; anything else (text, fractions, a table) is refused."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise InputError(f"Labels must be a list of whole numbers; got {labels.dtype} values of shape {labels.shape}.")
    return labels.astype(np.int64, copy=False)


def _checked_magnitude(X: np.ndarray) -> None:
    largest = max(float(X.max()), -float(X.min())) if X.size else 0.0  # |X|'s largest, without a copy of X
    if largest > MAX_ABS_SAMPLE:
        raise InputError(
            f"Samples reach {largest:.3g} in size; the limit is {MAX_ABS_SAMPLE:.0e} (MAX_ABS_SAMPLE), as the "
            "factorization works in 32-bit floats. Rescale the waveforms (to µV or mV, say)."
        )


def _checked_k(k, n_waveforms: int) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"The number of clusters must be a whole number ≥ 1; got {k!r}.")
    if k > n_waveforms:
        raise InputError(f"Cannot form {k} clusters from {n_waveforms} waveforms.")
    return int(k)


def _checked_shapes(X: np.ndarray, k: int) -> None:
    """Refuse waveforms that hold fewer than ``k`` shapes to tell apart: all
    flat (every sample of each equal), or fewer than ``k`` distinct waveforms."""
    n_waveforms = X.shape[0]
    if not np.ptp(X, axis=1).any():
        raise InputError(
            f"All {n_waveforms:,} waveforms are flat (within each, every sample is equal): they have no shape "
            "for NMF's templates to tell apart. Check that the sample columns hold the spike waveforms."
        )
    distinct: set = set()
    for row in X:  # stops as soon as k different waveforms were seen
        distinct.add(row.tobytes())
        if len(distinct) >= k:
            return
    if len(distinct) == 1:
        raise InputError(f"All {n_waveforms:,} waveforms are copies of one waveform, so there is nothing to cluster.")
    raise InputError(
        f"The {n_waveforms:,} waveforms hold only {len(distinct)} distinct shapes (the others are copies), so "
        f"they cannot form {k} clusters. Choose k ≤ {len(distinct)} or a file with more waveforms."
    )


def _checked_count(count, name: str, least: int) -> None:
    """Refuse a count (restarts, runs) that is not a whole number ≥ ``least``."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < least:
        raise InputError(f"{name} must be a whole number ≥ {least}; got {count!r}.")


def _checked_random_state(random_state) -> None:
    if random_state is None:
        return
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer)) or random_state < 0:
        raise InputError(f"random_state must be a whole number ≥ 0 or None; got {random_state!r}.")


def _seed_sequence(random_state) -> np.random.SeedSequence:
    """The seed sequence of a checked ``random_state`` (fresh entropy for None)."""
    if random_state is None:
        return np.random.SeedSequence()
    return np.random.SeedSequence(int(random_state))
