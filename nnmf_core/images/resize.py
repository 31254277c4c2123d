"""The working copy: a picture shrunk so its longest side fits the working size."""

from __future__ import annotations

import numpy as np
from PIL import Image

from nnmf_core.images._checks import check_working_side, checked_pixels
from nnmf_core.images.limits import DEFAULT_MAX_SIDE, MIN_SIDE

__all__ = ["working_copy"]


def working_copy(pixels: np.ndarray, max_side: int = DEFAULT_MAX_SIDE) -> tuple[np.ndarray, str | None]:
    """Shrink a picture so its longest side is at most ``max_side`` pixels.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (height, width, 3) or (height, width)
        The picture.
    max_side : int, optional
        Longest allowed side, in pixels, from ``MIN_SIDE`` to
        ``MAX_WORKING_SIDE``.

    Returns
    -------
    pixels : ndarray of uint8
        The picture resized with Pillow's Lanczos filter, aspect ratio kept
        (each side rounded to whole pixels, never below ``MIN_SIDE``); the
        input itself when it already fits.
    note : str or None
        "Downscaled from 4000×3000 to 512×384 px for speed." when resized,
        else None.

    Raises
    ------
    InputError
        If ``max_side`` is out of range or ``pixels`` is not a uint8 picture.

    Examples
    --------
    >>> small, note = working_copy(np.zeros((300, 400, 3), np.uint8), 200)
    >>> small.shape, note
    ((150, 200, 3), 'Downscaled from 400×300 to 200×150 px for speed.')
    """
    pixels = checked_pixels(pixels)
    check_working_side(max_side)
    height, width = pixels.shape[:2]
    if max(height, width) <= max_side:
        return pixels, None
    scale = max_side / max(height, width)
    new_width = min(max_side, max(MIN_SIDE, round(width * scale)))
    new_height = min(max_side, max(MIN_SIDE, round(height * scale)))
    resized = Image.fromarray(pixels).resize((new_width, new_height), Image.Resampling.LANCZOS)
    note = f"Downscaled from {width}×{height} to {new_width}×{new_height} px for speed."
    return np.asarray(resized, dtype=np.uint8), note

