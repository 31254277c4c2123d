"""How a picture becomes the matrices NMF fits, the largest rank they allow,
and the picture rebuilt from their products.

- one channel (``"luminance"``, ``"red"``, ``"green"``, ``"blue"``), as in the
  reference notebook: one matrix V of shape (n, m);
- ``"colour"`` with ``colour_layout="joint"`` (the default): one matrix
  V = [R | G | B] of shape (n, 3m), so one W is shared by the three colours;
- ``"colour"`` with ``colour_layout="per-channel"``: three matrices of shape
  (n, m), each with its own W and H.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.images import channel_matrices, image_from_channels, image_to_matrix, matrix_to_image

__all__ = ["COLOUR_LAYOUTS", "CHANNEL_NAMES", "fit_matrices", "largest_rank", "usable_rank"]

#: How a colour picture is split into matrices, see the module docstring.
COLOUR_LAYOUTS = ("joint", "per-channel")
#: The matrices of a per-channel fit, in order.
CHANNEL_NAMES = ("red", "green", "blue")


def fit_matrices(pixels: np.ndarray, mode: str, colour_layout: str = "joint") -> tuple[tuple[str, np.ndarray], ...]:
    """The matrices NMF factorizes for a picture, each with its name.

    Returns
    -------
    tuple of (name, V)
        ``(("colour", V),)`` with V of shape (n, 3m) for joint colour;
        ``(("red", R), ("green", G), ("blue", B))`` for per-channel colour;
        ``((mode, V),)`` with V of shape (n, m) for one channel. float32 in [0, 1].

    Raises
    ------
    InputError
        For an unknown layout or mode, or pixels that are not a uint8 picture.
    """
    _check_layout(colour_layout)
    return _matrices(pixels, mode, colour_layout)


def largest_rank(shape: Sequence[int], mode: str, colour_layout: str = "joint") -> int:
    """Largest rank worth asking for: the smaller side of the fitted matrix.

    Beyond it the truncated SVD (the baseline) does not exist and the factors
    only grow. ``shape`` is the picture's ``(height, width[, 3])``.
    """
    _check_layout(colour_layout)
    return _largest(shape, mode, colour_layout)


def usable_rank(rank: int, shape: Sequence[int], mode: str, colour_layout: str = "joint") -> tuple[int, str | None]:
    """``rank`` capped at :func:`largest_rank`, with a sentence when it was capped."""
    largest = largest_rank(shape, mode, colour_layout)
    if rank <= largest:
        return int(rank), None
    return largest, (
        f"Rank {rank} is more than this {shape[1]} × {shape[0]} px picture allows "
        f"(the fitted matrix has only {largest} rows or columns); using rank {largest}."
    )


def _check_layout(colour_layout: str) -> None:
    if colour_layout not in COLOUR_LAYOUTS:
        raise InputError(f"Unknown colour layout {colour_layout!r}; choose joint or per-channel.")


def _matrices(pixels: np.ndarray, mode: str, colour_layout: str) -> tuple[tuple[str, np.ndarray], ...]:
    """:func:`fit_matrices` for a known layout (the picture and mode are checked here)."""
    if mode == "colour" and colour_layout == "per-channel":
        return tuple(zip(CHANNEL_NAMES, channel_matrices(pixels)))
    return ((mode, image_to_matrix(pixels, mode)),)


def _largest(shape: Sequence[int], mode: str, colour_layout: str) -> int:
    """:func:`largest_rank` for a known layout."""
    n, m = int(shape[0]), int(shape[1])
    width = 3 * m if mode == "colour" and colour_layout == "joint" else m
    return min(n, width)


def _check_not_dark(matrices: Sequence[tuple[str, np.ndarray]], mode: str) -> None:
    """Refuse a matrix that is all zeros, saying which part of the picture is dark."""
    dark = [name for name, V in matrices if not V.any()]
    if not dark:
        return
    if len(dark) == len(matrices) and mode in ("colour", "luminance"):
        part, advice = "The picture is black everywhere (every pixel is 0)", "choose a picture with some light in it"
    elif len(matrices) == 3:
        part, advice = f"The {dark[0]} channel of this picture is 0 everywhere", (
            "use the joint layout, which fits the three colours together")
    else:
        part, advice = f"The {dark[0]} channel of this picture is 0 everywhere", "choose another channel or picture"
    raise InputError(
        f"{part}, so the matrix V is all zeros: NMF has nothing to factor, because W·H = 0 already "
        f"reproduces it exactly at every rank. Please {advice}."
    )


def _reference_pixels(pixels: np.ndarray, matrices: Sequence[tuple[str, np.ndarray]], mode: str) -> np.ndarray:
    """What a reconstruction is compared with: RGB for colour, the fitted channel else."""
    if mode == "colour":
        return pixels if pixels.ndim == 3 else np.repeat(pixels[:, :, None], 3, axis=2)
    return matrix_to_image(matrices[0][1], mode)


def _picture_from_products(products: Sequence[np.ndarray], mode: str) -> np.ndarray:
    """The picture of the products W·H (or SVD approximations) of the fitted matrices."""
    if len(products) == 3 and mode == "colour":
        return image_from_channels(*products)
    return matrix_to_image(products[0], mode)
