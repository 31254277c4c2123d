"""Pictures as PNG files: lossless, so what is shown or downloaded is exactly
the pixels computed."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from nnmf_core.errors import InputError

__all__ = ["png_bytes"]


def png_bytes(pixels: np.ndarray, *, compress_level: int | None = None) -> bytes:
    """A uint8 picture, (n, m) grayscale or (n, m, 3) RGB, as a PNG file.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m) or (n, m, 3)
        The picture.
    compress_level : int, optional
        zlib level from 0 (none) to 9 (smallest file); 1 is the fastest that
        still compresses, for pictures drawn in a browser on every rerun.
        Pillow's default (6) when not given.

    Returns
    -------
    bytes
        The PNG file; decoding it gives ``pixels`` back exactly.

    Raises
    ------
    InputError
        If ``pixels`` is not a uint8 array of one of those shapes.

    Examples
    --------
    >>> png_bytes(np.zeros((2, 3), np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or not (pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3)):
        raise InputError(f"A PNG needs uint8 pixels of shape (n, m) or (n, m, 3); got {pixels.dtype} {pixels.shape}.")
    options = {} if compress_level is None else {"compress_level": compress_level}
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", **options)
    return buffer.getvalue()
