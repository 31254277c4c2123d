"""The picture to compress: decoded, then shrunk to the working size the page
factorizes (and, for display, to smaller sizes still)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnmf_core.images import DEFAULT_MAX_SIDE, DEFAULT_SAMPLE_IMAGE, LoadedImage, load_image, load_sample_image, working_copy

__all__ = ["WorkingImage", "working_image", "sample_working_image"]


@dataclass(frozen=True, eq=False)
class WorkingImage:
    """A decoded picture, shrunk to the working size the page factorizes.

    Attributes
    ----------
    pixels : ndarray of uint8, shape (height, width, 3)
        The working copy.
    original_size, working_size : tuple of int
        ``(width, height)`` of the file and of the working copy, in pixels.
    format : str
        Pillow's name for the file format ("PNG", "JPEG", …).
    file_bytes : int
        Size of the file, in bytes (of the full-size picture).
    notes : tuple of str
        What decoding changed ("Transparency flattened onto white."), if anything.
    is_grayscale : bool
        True when the three channels are identical.
    """

    pixels: np.ndarray
    original_size: tuple[int, int]
    working_size: tuple[int, int]
    format: str
    file_bytes: int
    notes: tuple[str, ...]
    is_grayscale: bool

    @property
    def size_note(self) -> str:
        """'Original 4000 × 3000 px, working copy 512 × 384 px (downscaled).'"""
        (ow, oh), (ww, wh) = self.original_size, self.working_size
        if (ow, oh) == (ww, wh):
            return f"Original {ow} × {oh} px, used at full size."
        return f"Original {ow} × {oh} px, working copy {ww} × {wh} px (downscaled for speed)."


def working_image(data: bytes, max_side: int = DEFAULT_MAX_SIDE) -> WorkingImage:
    """Decode an uploaded file and shrink it to ``max_side`` pixels at most.

    Raises
    ------
    InputError
        If the file is not a readable picture (see :func:`~nnmf_core.images.load_image`)
        or ``max_side`` is out of range.
    """
    return _working(load_image(data, max_side=max_side), max_side)


def sample_working_image(name: str = DEFAULT_SAMPLE_IMAGE, max_side: int = DEFAULT_MAX_SIDE) -> WorkingImage:
    """A bundled picture (a key of ``SAMPLE_IMAGES``) at the working size."""
    return _working(load_sample_image(name), max_side)


def _working(loaded: LoadedImage, max_side: int) -> WorkingImage:
    pixels, _ = working_copy(loaded.pixels, max_side)
    pixels = np.ascontiguousarray(pixels)
    return WorkingImage(
        pixels=pixels,
        original_size=loaded.original_size,
        working_size=(pixels.shape[1], pixels.shape[0]),
        format=loaded.format,
        file_bytes=loaded.n_bytes,
        notes=loaded.notes,
        is_grayscale=loaded.is_grayscale,
    )


def _smaller(pixels: np.ndarray, max_side: int) -> np.ndarray:
    """``pixels`` shrunk (Lanczos) so the longest side is at most ``max_side``."""
    if max(pixels.shape[:2]) <= max_side:
        return pixels
    return working_copy(pixels, max_side)[0]
