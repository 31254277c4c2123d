"""Storage accounting: how many numbers and bytes a matrix and its factors take.

The factors ``W`` (n × k) and ``H`` (k × m) hold ``k · (n + m)`` numbers,
stored as float16 (2 bytes each); :func:`float16_rounded` gives them back as
such a file holds them, so quality can be measured on what is stored.
"""

from __future__ import annotations

import numpy as np

from nnmf_core.images._checks import check_counts, check_rank

__all__ = [
    "original_numbers",
    "numbers_stored",
    "original_bytes",
    "factor_bytes",
    "break_even_rank",
    "float16_rounded",
]

_FLOAT16_MAX = np.finfo(np.float16).max


def original_numbers(n: int, m: int) -> int:
    """Numbers in an ``n × m`` matrix: ``n · m``.

    For ``"colour"`` mode pass the matrix shape ``(n, 3m)``; for per-channel
    colour add up the three channels.
    """
    check_counts(n=n, m=m)
    return n * m


def numbers_stored(n: int, m: int, k: int) -> int:
    """Numbers in the factors ``W`` (n × k) and ``H`` (k × m): ``k · (n + m)``.

    Examples
    --------
    >>> numbers_stored(67, 100, 20), original_numbers(67, 100)
    (3340, 6700)
    """
    check_counts(n=n, m=m)
    check_rank(k)
    return k * (n + m)


def original_bytes(n: int, m: int, bytes_per_number: int = 1) -> int:
    """Bytes of the uncompressed matrix: ``n · m`` 8-bit pixel values by default."""
    check_counts(n=n, m=m, bytes_per_number=bytes_per_number)
    return n * m * bytes_per_number


def factor_bytes(n: int, m: int, k: int, bytes_per_number: int = 2) -> int:
    """Bytes to store ``W`` and ``H``: ``k · (n + m) · bytes_per_number``.

    The default of 2 bytes per number is float16 storage.
    """
    check_counts(n=n, m=m, bytes_per_number=bytes_per_number)
    check_rank(k)
    return k * (n + m) * bytes_per_number


def break_even_rank(n: int, m: int) -> int:
    """Smallest rank ``k`` at which the factors hold as many numbers as the matrix.

    The smallest ``k`` with ``k · (n + m) ≥ n · m``, that is
    ``ceil(n · m / (n + m))``. Every rank below it stores fewer numbers than
    the ``n × m`` matrix; from it on, "compression" makes things bigger.

    Examples
    --------
    >>> break_even_rank(67, 100)
    41
    """
    check_counts(n=n, m=m)
    return -(-(n * m) // (n + m))


def float16_rounded(array: np.ndarray) -> np.ndarray:
    """``array`` as it comes back from float16 storage, as float32.

    Values beyond float16's range (±65,504) are clipped to it rather than
    stored as infinity.

    Parameters
    ----------
    array : ndarray
        Factor entries, e.g. ``W`` or ``U_k · diag(s_k)``.

    Returns
    -------
    ndarray of float32, same shape

    Examples
    --------
    >>> float16_rounded(np.array([0.1, 1e6])).tolist()
    [0.0999755859375, 65504.0]
    """
    return np.clip(array, -_FLOAT16_MAX, _FLOAT16_MAX).astype(np.float16).astype(np.float32)
