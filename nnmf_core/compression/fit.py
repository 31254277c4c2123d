"""Compression at one rank: fit W and H to every matrix of a picture, rebuild
the picture from the float16-rounded factors, and measure it.

Sizes count what is stored: the factors hold ``k (n + m)`` numbers per fitted
matrix, kept as float16 (2 bytes each). Every quality number (PSNR, SSIM,
relative error) is measured on the picture rebuilt from the float16-rounded
factors — what the ``.npz`` download holds — not on the float32 fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nnmf_core.compression.matrices import (
    _check_layout,
    _check_not_dark,
    _largest,
    _matrices,
    _picture_from_products,
    _reference_pixels,
)
from nnmf_core.errors import InputError
from nnmf_core.factorize import factorize
from nnmf_core.images import (
    break_even_rank,
    factor_bytes,
    float16_rounded,
    numbers_stored,
    original_bytes,
    original_numbers,
    psnr,
    ssim,
)

__all__ = ["FittedFactors", "Compression", "compress"]


@dataclass(frozen=True, eq=False)
class FittedFactors:
    """The factors of one fitted matrix.

    Attributes
    ----------
    name : str
        "colour" (joint [R | G | B]), "red", "green", "blue" or "luminance".
    W : ndarray of float32, shape (n, k)
    H : ndarray of float32, shape (k, m), or (k, 3m) for joint colour
    loss_history : ndarray of float64
        ‖V − WH‖² after every iteration of the kept restart.
    n_iter : int
    converged : bool
    """

    name: str
    W: np.ndarray
    H: np.ndarray
    loss_history: np.ndarray
    n_iter: int
    converged: bool


@dataclass(frozen=True, eq=False)
class Compression:
    """One picture compressed by NMF at one rank, measured.

    Attributes
    ----------
    mode, colour_layout : str
        How the picture became matrices; ``colour_layout`` is None for one channel.
    rank, solver, init, max_iter, tol, n_restarts, random_state
        The fit's parameters.
    factors : tuple of FittedFactors
        One for joint colour and one channel, three (red, green, blue) per channel.
    original : ndarray of uint8, shape (n, m, 3) or (n, m)
        What the reconstruction is compared with: the picture in colour mode,
        the chosen channel as a grayscale picture otherwise.
    reconstruction : ndarray of uint8, same shape as ``original``
        W·H from the float16-rounded factors, clipped to [0, 1], as a picture.
    absolute_error : ndarray of uint8, shape (n, m)
        |original − reconstruction| in pixel levels (0-255), averaged over
        the colour channels.
    relative_error : float
        ‖V − WH‖_F / ‖V‖_F over all fitted matrices (float16 factors, unclipped).
    psnr, ssim : float
        Of ``reconstruction`` against ``original``.
    numbers_stored, original_numbers : int
        Numbers in the factors, k(n + m) per fitted matrix, and in the matrices.
    factor_bytes : int
        Bytes of the factors as float16 (2 per number).
    raw_pixel_bytes : int
        Bytes of the uncompressed 8-bit pixels fitted (= original_numbers).
    file_bytes : int or None
        Size of the file the picture came from, when known.
    break_even_rank : int
        Smallest rank at which the factors hold as many numbers as the matrix.
    seconds : float
        Time spent factorizing.
    """

    mode: str
    colour_layout: str | None
    rank: int
    solver: str
    init: str
    max_iter: int
    tol: float
    n_restarts: int
    random_state: int | None
    factors: tuple[FittedFactors, ...]
    original: np.ndarray
    reconstruction: np.ndarray
    absolute_error: np.ndarray
    relative_error: float
    psnr: float
    ssim: float
    numbers_stored: int
    original_numbers: int
    factor_bytes: int
    raw_pixel_bytes: int
    file_bytes: int | None
    break_even_rank: int
    seconds: float

    @property
    def loss_histories(self) -> dict[str, np.ndarray]:
        """Loss per iteration of each fitted matrix, by name."""
        return {factors.name: factors.loss_history for factors in self.factors}

    @property
    def n_iter(self) -> int:
        """Iterations run (the most over the fitted matrices)."""
        return max(factors.n_iter for factors in self.factors)

    @property
    def converged(self) -> bool:
        return all(factors.converged for factors in self.factors)

    @property
    def layout_description(self) -> str:
        """Which matrices were factorized, in words."""
        n, m = self.original.shape[:2]
        if self.colour_layout == "joint":
            return f"Full colour, joint: V = [R | G | B] is {n} × {3 * m}, one W shared by the three colours."
        if self.colour_layout == "per-channel":
            return f"Full colour, per channel: three {n} × {m} matrices, each with its own W and H."
        return f"One channel ({self.mode}), as in the notebook: V is {n} × {m}."


def compress(
    pixels: np.ndarray,
    *,
    mode: str = "colour",
    colour_layout: str = "joint",
    rank: int = 20,
    solver: str = "hals",
    init: str = "nndsvda",
    max_iter: int = 300,
    tol: float = 1e-4,
    n_restarts: int = 1,
    random_state: int | None = 0,
    file_bytes: int | None = None,
    on_iteration: Callable[[int, float], bool | None] | None = None,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
) -> Compression:
    """Compress a picture with NMF at one rank and measure the result.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m, 3) or (n, m)
        The picture (a working copy; see :func:`~nnmf_core.compression.working_image`).
    mode : {"colour", "luminance", "red", "green", "blue"}
    colour_layout : {"joint", "per-channel"}
        Only used in colour mode, see :mod:`nnmf_core.compression.matrices`.
    rank : int
        k, from 1 to :func:`~nnmf_core.compression.largest_rank`.
    solver, init, max_iter, tol, n_restarts, random_state
        Passed to :func:`nnmf_core.factorize` (per-channel: to each of the three fits).
    file_bytes : int, optional
        Size of the picture's file, carried into the result for comparison.
    on_iteration : callable(i, loss), optional
        Progress callback, called by every fit (three in a row per channel).
    alpha, l1_ratio : float
        Sparsity penalties, passed to :func:`nnmf_core.factorize` (0: none).

    Returns
    -------
    Compression

    Raises
    ------
    InputError
        For a picture or parameters that cannot be used (an all-black picture,
        a rank above :func:`~nnmf_core.compression.largest_rank`, …).
    """
    _check_layout(colour_layout)
    matrices = _matrices(pixels, mode, colour_layout)
    _check_not_dark(matrices, mode)
    largest = _largest(pixels.shape, mode, colour_layout)
    if isinstance(rank, (int, np.integer)) and not isinstance(rank, bool) and rank > largest:
        raise InputError(f"Rank {rank} is more than the fitted matrix allows; the most is {largest}.")
    fitted, products = _fitted(
        matrices, rank, solver=solver, init=init, max_iter=max_iter, tol=tol,
        n_restarts=n_restarts, random_state=random_state, on_iteration=on_iteration, alpha=alpha, l1_ratio=l1_ratio,
    )
    original = _reference_pixels(pixels, matrices, mode)
    reconstruction = _picture_from_products(products, mode)
    difference = np.abs(original.astype(np.int16) - reconstruction.astype(np.int16))
    absolute_error = np.rint(difference.mean(axis=2)) if difference.ndim == 3 else difference
    n, sides = matrices[0][1].shape[0], [V.shape[1] for _, V in matrices]
    return Compression(
        mode=mode,
        colour_layout=colour_layout if mode == "colour" else None,
        rank=int(rank),
        solver=solver,
        init=init,
        max_iter=max_iter,
        tol=tol,
        n_restarts=n_restarts,
        random_state=random_state,
        factors=tuple(item for item, _ in fitted),
        original=original,
        reconstruction=reconstruction,
        absolute_error=absolute_error.astype(np.uint8),
        relative_error=_combined_relative_error([V for _, V in matrices], products),
        psnr=psnr(original, reconstruction),
        ssim=ssim(original, reconstruction),
        numbers_stored=sum(numbers_stored(n, m, rank) for m in sides),
        original_numbers=sum(original_numbers(n, m) for m in sides),
        factor_bytes=sum(factor_bytes(n, m, rank) for m in sides),
        raw_pixel_bytes=sum(original_bytes(n, m) for m in sides),
        file_bytes=file_bytes,
        break_even_rank=break_even_rank(n, sides[0]),
        seconds=sum(seconds for _, seconds in fitted),
    )


def _fitted(
    matrices: Sequence[tuple[str, np.ndarray]],
    rank: int,
    *,
    on_iteration: Callable[[int, float], bool | None] | None,
    **options,
) -> tuple[list[tuple[FittedFactors, float]], list[np.ndarray]]:
    """Factorize every matrix; return ((FittedFactors, seconds), …) and the float16 products."""
    fitted, products = [], []
    for name, V in matrices:
        result = factorize(V, rank, on_iteration=on_iteration, **options)
        products.append(float16_rounded(result.W) @ float16_rounded(result.H))
        factors = FittedFactors(name, result.W, result.H, result.loss_history, result.n_iter, result.converged)
        fitted.append((factors, result.seconds))
    return fitted, products


def _combined_relative_error(matrices: Sequence[np.ndarray], products: Sequence[np.ndarray]) -> float:
    """‖V − P‖_F / ‖V‖_F over all fitted matrices V and their products P together."""
    residual = sum(float(np.sum((V.astype(np.float64) - P) ** 2)) for V, P in zip(matrices, products))
    total = sum(float(np.sum(V.astype(np.float64) ** 2)) for V in matrices)
    return math.sqrt(residual / total)
