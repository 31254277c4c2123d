"""Input checks the image functions share.

Each check raises :class:`~nnmf_core.errors.InputError` with the sentence a
person sees, or returns the input as the workers expect it.
"""

from __future__ import annotations

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.images.limits import MAX_WORKING_SIDE, MIN_SIDE


def checked_pixels(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` as a uint8 array of shape (height, width, 3) or (height, width)."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or not (
        pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3)
    ):
        raise InputError(
            "Pixels must be a uint8 array of shape (height, width, 3) or (height, width); "
            f"got {pixels.dtype} of shape {pixels.shape}."
        )
    return pixels


def check_working_side(max_side) -> None:
    """Refuse a working size outside ``MIN_SIDE`` … ``MAX_WORKING_SIDE`` pixels."""
    if not (isinstance(max_side, (int, np.integer)) and MIN_SIDE <= max_side <= MAX_WORKING_SIDE):
        raise InputError(
            f"The working size must be a whole number of pixels from {MIN_SIDE} to "
            f"{MAX_WORKING_SIDE}; got {max_side!r}."
        )


def check_counts(**values: int) -> None:
    """Refuse any value that is not a whole number of at least 1, naming it."""
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise InputError(f"{name} must be a whole number of at least 1; got {value!r}.")


def check_rank(k: int) -> None:
    """Refuse a rank that is not a whole number of at least 0."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
        raise InputError(f"The rank k must be a whole number of at least 0; got {k!r}.")


def checked_matrix(V: np.ndarray) -> np.ndarray:
    """``V`` as a finite, non-empty 2-D float array (float64 unless already floating)."""
    V = np.asarray(V)
    if V.ndim != 2 or V.size == 0:
        raise InputError(f"V must be a non-empty 2-D matrix; got shape {V.shape}.")
    if not np.issubdtype(V.dtype, np.floating):
        V = V.astype(np.float64)
    if not np.all(np.isfinite(V)):
        raise InputError("V contains NaN or infinite values.")
    return V


def check_rank_for(V: np.ndarray, k: int) -> None:
    """Refuse a rank that is not from 0 to the smaller side of ``V``."""
    check_rank(k)
    if k > min(V.shape):
        raise InputError(
            f"The rank k = {k} is larger than the smaller side of V {V.shape}; "
            f"the most it can be is {min(V.shape)}."
        )
