"""The same picture compressed at several ranks, each beside the truncated SVD
of its rank — the reference notebook's comparison — and the list of ranks to
compare, read from what a person typed."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nnmf_core.compression.fit import _fitted
from nnmf_core.compression.matrices import (
    _check_layout,
    _check_not_dark,
    _largest,
    _matrices,
    _picture_from_products,
    _reference_pixels,
)
from nnmf_core.compression.picture import _smaller
from nnmf_core.errors import InputError
from nnmf_core.images import break_even_rank, numbers_stored, original_numbers, psnr, svd_reconstructions

__all__ = ["DEFAULT_SWEEP_RANKS", "MAX_SWEEP_RANKS", "RankChoice", "parsed_ranks", "RankSweep", "rank_sweep"]

#: The ranks the reference notebook compares.
DEFAULT_SWEEP_RANKS = (5, 10, 50, 100)
#: Most ranks one sweep compares (each is a full fit).
MAX_SWEEP_RANKS = 6
#: Longest side of the pictures a rank sweep keeps.
SWEEP_PICTURE_SIDE = 512


@dataclass(frozen=True)
class RankChoice:
    """Ranks to compare, and a sentence on what was changed from the request."""

    ranks: tuple[int, ...]
    note: str | None


def parsed_ranks(text: str, largest: int, limit: int = MAX_SWEEP_RANKS) -> RankChoice:
    """Read a list of ranks such as ``"5, 10, 50, 100"``.

    Ranks above ``largest`` are lowered to it; duplicates are dropped; the
    result is sorted and at most ``limit`` long. Anything that is not a
    positive whole number is left out, and the note says so.

    Raises
    ------
    InputError
        If no usable rank remains.
    """
    tokens = [token for token in re.split(r"[,;\s]+", str(text)) if token]
    ranks, skipped, lowered = set(), [], []
    for token in tokens:
        if re.fullmatch(r"\d{1,6}", token) and int(token) >= 1:
            value = int(token)
            if value > largest:
                lowered.append(value)
                value = largest
            ranks.add(value)
        else:
            skipped.append(token[:20])
    if not ranks:
        raise InputError(
            f"No rank to compare in {str(text)[:60]!r}: type whole numbers from 1 to {largest}, such as 5, 10, 50."
        )
    ordered = sorted(ranks)
    dropped = ordered[limit:]
    ordered = ordered[:limit]
    notes = []
    if lowered:
        notes.append(f"{', '.join(map(str, lowered))} lowered to {largest}, the most this picture allows")
    if skipped:
        notes.append(f"left out {', '.join(repr(token) for token in skipped)} (not a whole number ≥ 1)")
    if dropped:
        notes.append(f"compared the {limit} smallest; dropped {', '.join(map(str, dropped))}")
    return RankChoice(tuple(ordered), ("Ranks: " + "; ".join(notes) + ".") if notes else None)


@dataclass(frozen=True, eq=False)
class RankSweep:
    """The same picture compressed at several ranks — the notebook's comparison.

    Attributes
    ----------
    ranks : tuple of int
    original : ndarray of uint8
        The reference picture (at most ``SWEEP_PICTURE_SIDE`` on its longest side).
    reconstructions : tuple of ndarray of uint8
        One picture per rank, same size as ``original``.
    loss_histories : tuple of ndarray
        Loss per iteration for each rank (per channel: summed over the channels).
    psnr, svd_psnr : tuple of float
        PSNR of the NMF picture and of the truncated SVD of the same rank.
    numbers_stored : tuple of int
        k(n + m) per fitted matrix, summed, at each rank.
    original_numbers : int
        Numbers in the fitted matrices.
    break_even_rank : int
        Smallest rank whose factors are no smaller than the matrix.
    numbers_per_rank : int
        How many numbers each extra rank stores (n + m per fitted matrix).
    """

    ranks: tuple[int, ...]
    original: np.ndarray
    reconstructions: tuple[np.ndarray, ...]
    loss_histories: tuple[np.ndarray, ...]
    psnr: tuple[float, ...]
    svd_psnr: tuple[float, ...]
    numbers_stored: tuple[int, ...]
    original_numbers: int
    break_even_rank: int
    numbers_per_rank: int

    @property
    def storage_line(self) -> tuple[np.ndarray, np.ndarray]:
        """(ranks, numbers stored) from 0 to past both the last rank and the break-even rank."""
        end = max(max(self.ranks), math.ceil(1.15 * self.break_even_rank))
        ranks = np.arange(0, end + 1)
        return ranks, ranks * self.numbers_per_rank


def rank_sweep(
    pixels: np.ndarray,
    ranks: Sequence[int],
    *,
    mode: str = "colour",
    colour_layout: str = "joint",
    solver: str = "hals",
    init: str = "nndsvda",
    max_iter: int = 300,
    tol: float = 1e-4,
    n_restarts: int = 1,
    random_state: int | None = 0,
    on_iteration: Callable[[int, float], bool | None] | None = None,
) -> RankSweep:
    """Compress ``pixels`` at each rank (one full fit each) and against the SVD.

    Parameters are those of :func:`~nnmf_core.compression.compress`; ``ranks``
    come from :func:`parsed_ranks` (each at most
    :func:`~nnmf_core.compression.largest_rank`).

    Returns
    -------
    RankSweep
    """
    if not ranks:
        raise InputError("Give at least one rank to compare.")
    _check_layout(colour_layout)
    matrices = _matrices(pixels, mode, colour_layout)
    _check_not_dark(matrices, mode)
    largest = _largest(pixels.shape, mode, colour_layout)
    if max(ranks) > largest or min(ranks) < 1:
        raise InputError(f"Ranks must lie between 1 and {largest} for this picture; got {list(ranks)}.")
    original = _reference_pixels(pixels, matrices, mode)
    svd_products = zip(*(svd_reconstructions(V, ranks, float16_factors=True) for _, V in matrices))
    pictures, histories, scores, svd_scores = [], [], [], []
    for k, svd_product in zip(ranks, svd_products):
        fitted, products = _fitted(
            matrices, int(k), solver=solver, init=init, max_iter=max_iter, tol=tol,
            n_restarts=n_restarts, random_state=random_state, on_iteration=on_iteration,
        )
        picture = _picture_from_products(products, mode)
        scores.append(psnr(original, picture))
        svd_scores.append(psnr(original, _picture_from_products(svd_product, mode)))
        pictures.append(_smaller(picture, SWEEP_PICTURE_SIDE))
        histories.append(_summed_histories([factors.loss_history for factors, _ in fitted]))
    n, sides = matrices[0][1].shape[0], [V.shape[1] for _, V in matrices]
    return RankSweep(
        ranks=tuple(int(k) for k in ranks),
        original=_smaller(original, SWEEP_PICTURE_SIDE),
        reconstructions=tuple(pictures),
        loss_histories=tuple(histories),
        psnr=tuple(scores),
        svd_psnr=tuple(svd_scores),
        numbers_stored=tuple(sum(numbers_stored(n, m, int(k)) for m in sides) for k in ranks),
        original_numbers=sum(original_numbers(n, m) for m in sides),
        break_even_rank=break_even_rank(n, sides[0]),
        numbers_per_rank=sum(numbers_stored(n, m, 1) for m in sides),
    )


def _summed_histories(histories: Sequence[np.ndarray]) -> np.ndarray:
    """Loss per iteration summed over fits; a fit that stopped early keeps its last loss."""
    length = max(history.size for history in histories)
    padded = [np.pad(history, (0, length - history.size), mode="edge") for history in histories]
    return np.sum(padded, axis=0)
