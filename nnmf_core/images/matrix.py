"""Pictures as the non-negative matrices NMF factorizes, and back.

``pixels`` is a ``uint8`` picture, ``(n, m, 3)`` RGB or ``(n, m)`` gray;
``V`` is a ``float32`` matrix with entries in ``[0, 1]`` (pixel value / 255),
``(n, m)`` in a single-channel mode and ``(n, 3m)`` in ``"colour"`` mode.
"""

from __future__ import annotations

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.images._checks import checked_pixels

__all__ = ["MATRIX_MODES", "image_to_matrix", "matrix_to_image", "channel_matrices", "image_from_channels"]

#: How a picture becomes a matrix, see :func:`image_to_matrix`.
MATRIX_MODES = ("luminance", "red", "green", "blue", "colour")

# ITU-R BT.601 luma weights, the ones Pillow's ``convert("L")`` uses.
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_CHANNEL_INDEX = {"red": 0, "green": 1, "blue": 2}


def image_to_matrix(pixels: np.ndarray, mode: str) -> np.ndarray:
    """Turn a picture into the non-negative matrix ``V`` that NMF factorizes.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m, 3) or (n, m)
        The picture, ``n`` rows by ``m`` columns. A 2-D array is a grayscale
        picture (all three channels equal).
    mode : {"luminance", "red", "green", "blue", "colour"}
        - ``"luminance"``: brightness with the ITU-R BT.601 weights
          0.299 R + 0.587 G + 0.114 B (the ones Pillow's ``convert("L")``
          uses), shape (n, m).
        - ``"red"``, ``"green"``, ``"blue"``: one channel, shape (n, m), as in
          the reference notebook (which took green).
        - ``"colour"``: the three channels side by side, ``[R | G | B]``,
          shape (n, 3m), so one ``W`` is shared by all colours.

    Returns
    -------
    V : ndarray of float32
        Entries in [0, 1] (pixel value / 255).

    Raises
    ------
    InputError
        If ``mode`` is unknown or ``pixels`` is not a uint8 picture.

    See Also
    --------
    matrix_to_image : the inverse.
    channel_matrices : three separate matrices, one per channel.

    Examples
    --------
    >>> pixels = np.zeros((2, 3, 3), np.uint8); pixels[..., 0] = 255
    >>> image_to_matrix(pixels, "colour").shape
    (2, 9)
    >>> float(image_to_matrix(pixels, "red").max())
    1.0
    """
    pixels = checked_pixels(pixels)
    _check_mode(mode)
    return _matrix(pixels, mode)


def matrix_to_image(V: np.ndarray, mode: str) -> np.ndarray:
    """Turn a matrix back into a displayable 8-bit picture.

    Values are clipped to [0, 1], multiplied by 255 and rounded, so any
    reconstruction (``W @ H``, an SVD approximation, a rank-one part) can be
    shown. NaN becomes 0.

    Parameters
    ----------
    V : ndarray, shape (n, m), or (n, 3m) in ``"colour"`` mode
        Matrix with the layout :func:`image_to_matrix` produces.
    mode : {"luminance", "red", "green", "blue", "colour"}
        The mode ``V`` was made with.

    Returns
    -------
    pixels : ndarray of uint8
        Shape (n, m) for single-channel modes (show it as grayscale), or
        (n, m, 3) RGB for ``"colour"``.

    Raises
    ------
    InputError
        If ``V`` is not 2-D, or in ``"colour"`` mode its width is not a
        multiple of 3.

    Examples
    --------
    >>> pixels = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    >>> np.array_equal(matrix_to_image(image_to_matrix(pixels, "colour"), "colour"), pixels)
    True
    """
    _check_mode(mode)
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 2:
        raise InputError(f"A picture matrix must be 2-D; got shape {V.shape}.")
    pixels = _levels(V)
    if mode != "colour":
        return pixels
    if V.shape[1] % 3:
        raise InputError(
            f"A colour matrix holds [R | G | B] side by side, so its width must be a "
            f"multiple of 3; got {V.shape[1]} columns."
        )
    return np.ascontiguousarray(np.stack(np.split(pixels, 3, axis=1), axis=2))


def channel_matrices(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split a picture into three matrices, one per colour channel.

    For "per-channel" colour compression: each matrix is factorized on its
    own (three ``W`` and three ``H``), unlike ``"colour"`` mode of
    :func:`image_to_matrix`, which shares one ``W``.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m, 3) or (n, m)
        The picture.

    Returns
    -------
    red, green, blue : ndarray of float32, shape (n, m)
        Entries in [0, 1].
    """
    pixels = checked_pixels(pixels)
    return _matrix(pixels, "red"), _matrix(pixels, "green"), _matrix(pixels, "blue")


def image_from_channels(red: np.ndarray, green: np.ndarray, blue: np.ndarray) -> np.ndarray:
    """Join three channel matrices back into an RGB picture.

    Parameters
    ----------
    red, green, blue : ndarray, shape (n, m)
        Values in [0, 1] (clipped), e.g. three reconstructions ``W @ H``.

    Returns
    -------
    pixels : ndarray of uint8, shape (n, m, 3)

    Raises
    ------
    InputError
        If the three matrices are not 2-D arrays of one shape.
    """
    channels = [np.asarray(channel) for channel in (red, green, blue)]
    shapes = {channel.shape for channel in channels}
    if len(shapes) != 1 or channels[0].ndim != 2:
        raise InputError(
            "The red, green and blue matrices must be 2-D and of one shape; got "
            f"{', '.join(str(channel.shape) for channel in channels)}."
        )
    return np.stack([_levels(np.asarray(channel, dtype=np.float64)) for channel in channels], axis=2)


def _check_mode(mode: str) -> None:
    if mode not in MATRIX_MODES:
        raise InputError(f"Unknown colour mode {mode!r}; choose one of {', '.join(MATRIX_MODES)}.")


def _matrix(pixels: np.ndarray, mode: str) -> np.ndarray:
    """The matrix of a checked uint8 picture in a known mode."""
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    if mode == "colour":
        V = np.concatenate([pixels[:, :, 0], pixels[:, :, 1], pixels[:, :, 2]], axis=1)
        return V.astype(np.float32) / np.float32(255.0)
    if mode == "luminance":
        luma = pixels.astype(np.float32) @ _LUMA_WEIGHTS / np.float32(255.0)
        return np.clip(luma, 0.0, 1.0).astype(np.float32)
    return pixels[:, :, _CHANNEL_INDEX[mode]].astype(np.float32) / np.float32(255.0)


def _levels(V: np.ndarray) -> np.ndarray:
    """A float64 matrix as 8-bit levels: clipped to [0, 1], times 255, rounded; NaN becomes 0."""
    return np.rint(np.clip(np.nan_to_num(V, nan=0.0), 0.0, 1.0) * 255.0).astype(np.uint8)
