"""What NMF is measured against: the truncated SVD (the best any matrix of the
same rank can do, by the Eckart-Young theorem) and JPEG at the same bytes."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from nnmf_core.errors import InputError
from nnmf_core.images._checks import check_counts, check_rank_for, checked_matrix, checked_pixels
from nnmf_core.images.storage import float16_rounded

__all__ = [
    "svd_reconstruction",
    "svd_reconstructions",
    "svd_error_floors",
    "svd_error_floor",
    "JpegAtSize",
    "jpeg_at_size",
]


def svd_reconstruction(V: np.ndarray, k: int, *, float16_factors: bool = False) -> np.ndarray:
    """The best rank-``k`` approximation of ``V`` (truncated SVD).

    By the Eckart-Young theorem no rank-``k`` matrix is closer to ``V`` in
    Frobenius norm, so its error is a floor for NMF of the same rank. Unlike
    NMF its entries may be negative; clip before display
    (:func:`~nnmf_core.images.matrix_to_image` does).

    Parameters
    ----------
    V : ndarray, shape (n, m)
        Finite matrix.
    k : int
        Rank, 0 ≤ k ≤ min(n, m).
    float16_factors : bool, optional
        Multiply ``U_k · diag(s_k)`` (n × k) and ``Vt_k`` (k × m) as they come
        back from float16 storage (:func:`~nnmf_core.images.float16_rounded`),
        the same ``k · (n + m)`` numbers and bytes as NMF's float16 factors.

    Returns
    -------
    ndarray, shape (n, m)
        ``U_k · diag(s_k) · Vt_k``, float32 for float32 input or with
        ``float16_factors``, else float64.

    Raises
    ------
    InputError
        If ``V`` is not a finite 2-D matrix or ``k`` is out of range.

    Examples
    --------
    >>> V = np.outer([1.0, 2.0, 3.0], [1.0, 0.5])
    >>> np.allclose(svd_reconstruction(V, 1), V)
    True
    """
    V = checked_matrix(V)
    check_rank_for(V, k)
    return next(_truncations(V, (k,), float16_factors))


def svd_reconstructions(V: np.ndarray, ranks: Sequence[int], *, float16_factors: bool = False) -> Iterator[np.ndarray]:
    """The truncated SVD of ``V`` at each of ``ranks``, from one decomposition.

    :func:`svd_reconstruction` for many ranks: the SVD is computed once, and
    each approximation is made only when the iterator reaches it, so a long
    list of ranks of a large matrix holds one approximation at a time.

    Parameters
    ----------
    V : ndarray, shape (n, m)
        Finite matrix.
    ranks : sequence of int
        Each 0 ≤ k ≤ min(n, m).
    float16_factors : bool, optional
        As for :func:`svd_reconstruction`.

    Returns
    -------
    iterator of ndarray, shape (n, m)
        One approximation per rank, in the order of ``ranks``.

    Raises
    ------
    InputError
        If ``V`` is not a finite 2-D matrix or a rank is out of range (at
        once, before anything is computed).
    """
    V = checked_matrix(V)
    ranks = tuple(ranks)
    for k in ranks:
        check_rank_for(V, k)
    return _truncations(V, ranks, float16_factors)


def _truncations(V: np.ndarray, ranks: tuple[int, ...], float16_factors: bool) -> Iterator[np.ndarray]:
    """Yield ``U_k · diag(s_k) · Vt_k`` for each checked rank of a checked matrix."""
    U, s, Vt = np.linalg.svd(V, full_matrices=False)
    for k in ranks:
        if float16_factors:
            yield float16_rounded(U[:, :k] * s[:k]) @ float16_rounded(Vt[:k])
        else:
            yield (U[:, :k] * s[:k]) @ Vt[:k]


def svd_error_floors(V: np.ndarray) -> np.ndarray:
    """Smallest possible relative error at every rank (Eckart-Young).

    Parameters
    ----------
    V : ndarray, shape (n, m)
        Finite matrix, not all zeros.

    Returns
    -------
    ndarray of float64, shape (min(n, m) + 1,)
        Entry ``k`` is ``sqrt(sum_{i > k} s_i²) / ||V||_F`` with singular
        values ``s_1 ≥ s_2 ≥ …``: the relative error of the best rank-``k``
        matrix. Entry 0 is 1 and the last is 0.

    Raises
    ------
    InputError
        If ``V`` is not a finite 2-D matrix or is all zeros.
    """
    return _error_floors(checked_matrix(V))


def svd_error_floor(V: np.ndarray, k: int) -> float:
    """Smallest possible relative error of a rank-``k`` approximation of ``V``.

    Entry ``k`` of :func:`svd_error_floors`; call that once instead when you
    need many ranks.
    """
    V = checked_matrix(V)
    check_rank_for(V, k)
    return float(_error_floors(V)[k])


def _error_floors(V: np.ndarray) -> np.ndarray:
    s = np.linalg.svd(V.astype(np.float64), compute_uv=False)
    energy = s**2
    total = energy.sum()
    if total == 0:
        raise InputError("The error floor is undefined because V is all zeros.")
    tails = np.concatenate([np.cumsum(energy[::-1])[::-1], [0.0]])
    return np.sqrt(np.maximum(tails, 0.0) / total)


@dataclass(frozen=True, eq=False)
class JpegAtSize:
    """A picture as JPEG would store it in a given number of bytes.

    Attributes
    ----------
    pixels : ndarray of uint8
        The decoded JPEG, same shape as the input picture.
    n_bytes : int
        Size of the encoded JPEG file, in bytes (headers included).
    quality : int
        Pillow JPEG quality used, 1-95.
    fits_budget : bool
        False when even quality 1 is larger than the budget; the quality-1
        result is returned anyway so it can be shown, labelled as over
        budget.
    """

    pixels: np.ndarray
    n_bytes: int
    quality: int
    fits_budget: bool


def jpeg_at_size(pixels: np.ndarray, max_bytes: int) -> JpegAtSize:
    """The best-quality JPEG of ``pixels`` whose file fits in ``max_bytes``.

    Binary search over Pillow's quality 1-95 (Huffman tables optimised,
    Pillow's default 4:2:0 chroma subsampling for colour) for the largest
    quality whose encoded size is at most ``max_bytes``; the size is measured,
    never estimated, so a result marked ``fits_budget`` is within budget.
    A 2-D picture is encoded as a grayscale (``L``) JPEG.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m) or (n, m, 3)
        The picture to compress.
    max_bytes : int
        Budget in bytes, e.g. :func:`~nnmf_core.images.factor_bytes` of an NMF of the picture.

    Returns
    -------
    JpegAtSize
        Decoded pixels, encoded size, quality, and whether it fits.

    Raises
    ------
    InputError
        If ``pixels`` is not a uint8 picture or ``max_bytes`` is not a
        positive whole number.
    """
    pixels = checked_pixels(pixels)
    check_counts(max_bytes=max_bytes)
    picture = Image.fromarray(pixels)
    encoded: dict[int, bytes] = {}

    def size_at(quality: int) -> int:
        if quality not in encoded:
            buffer = io.BytesIO()
            picture.save(buffer, format="JPEG", quality=quality, optimize=True)
            encoded[quality] = buffer.getvalue()
        return len(encoded[quality])

    low, high = 1, 95
    fits = size_at(low) <= max_bytes
    if fits:
        while low < high:  # invariant: quality `low` fits
            middle = (low + high + 1) // 2
            if size_at(middle) <= max_bytes:
                low = middle
            else:
                high = middle - 1
    with Image.open(io.BytesIO(encoded[low])) as decoded:
        decoded_pixels = np.asarray(decoded.convert(picture.mode), dtype=np.uint8)
    return JpegAtSize(pixels=decoded_pixels, n_bytes=len(encoded[low]), quality=low, fits_budget=fits)

