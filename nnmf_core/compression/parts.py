"""What a fit's factors look like: W, H and their product as a picture of the
matrix, and the largest rank-one parts W[:, i]·H[i, :] as pictures."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnmf_core.compression.fit import Compression
from nnmf_core.compression.picture import _smaller
from nnmf_core.errors import InputError
from nnmf_core.images import component_images, matrix_to_image

__all__ = ["FactorView", "factor_view", "PartsGallery", "parts_gallery"]

#: Longest side of the part pictures a gallery keeps.
PART_PICTURE_SIDE = 256


@dataclass(frozen=True, eq=False)
class FactorView:
    """W, H and their product W·H as a picture of the matrix (not of the photo).

    ``product`` is uint8 of shape (n, m) — or (n, 3m), [R | G | B] side by
    side, for joint colour — so its rows line up with W's and its columns with H's.
    """

    name: str
    W: np.ndarray
    H: np.ndarray
    product: np.ndarray


def factor_view(compression: Compression, index: int = 0) -> FactorView:
    """The factors of fitted matrix ``index`` (0-2 per channel, else 0) with W·H."""
    if not 0 <= index < len(compression.factors):
        raise InputError(f"There are {len(compression.factors)} fitted matrices; no number {index}.")
    factors = compression.factors[index]
    picture = compression.reconstruction
    if compression.colour_layout == "joint":
        product = np.concatenate([picture[:, :, channel] for channel in range(3)], axis=1)
    elif compression.colour_layout == "per-channel":
        product = picture[:, :, index]
    else:
        product = picture
    return FactorView(factors.name, factors.W, factors.H, np.ascontiguousarray(product))


@dataclass(frozen=True, eq=False)
class PartsGallery:
    """The largest rank-one parts W[:, i]·H[i, :] of a fit, as pictures.

    ``pictures[j]`` is part ``components[j]`` (its column in W), scaled so
    its 99.5th percentile is white; ``shares[j]`` is its size ‖W[:, i]‖·‖H[i, :]‖ as a fraction
    of the sum over all parts. Largest first.
    """

    name: str
    pictures: tuple[np.ndarray, ...]
    components: tuple[int, ...]
    shares: tuple[float, ...]


def parts_gallery(compression: Compression, count: int = 12, index: int = 0) -> PartsGallery:
    """The ``count`` largest parts of fitted matrix ``index``, largest first.

    In joint colour mode a part is a colour picture (one column of W with its
    R, G and B weights); per channel and for one channel it is grayscale.
    """
    view = factor_view(compression, index)
    sizes = np.linalg.norm(view.W, axis=0) * np.linalg.norm(view.H, axis=1)
    order = np.argsort(-sizes, kind="stable")[:count]
    total = float(sizes.sum()) or 1.0
    parts = component_images(view.W[:, order], view.H[order], len(order))
    part_mode = "colour" if compression.colour_layout == "joint" else "luminance"
    pictures = tuple(_smaller(matrix_to_image(_brightened(part), part_mode), PART_PICTURE_SIDE) for part in parts)
    return PartsGallery(
        name=view.name,
        pictures=pictures,
        components=tuple(int(i) for i in order),
        shares=tuple(float(sizes[i]) / total for i in order),
    )


def _brightened(part: np.ndarray) -> np.ndarray:
    """A part scaled so its 99.5th percentile is white (a few peaks clip), else
    most parts would be too dark to see."""
    level = float(np.percentile(part, 99.5))
    return part / level if level > 0 else part
