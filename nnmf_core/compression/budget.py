"""What one request may cost: the iterations and restarts a fit (or a rank
sweep) of a picture may run, with a sentence when they were capped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from nnmf_core._text import counted, joined, times
from nnmf_core.compression.matrices import _check_layout
from nnmf_core.errors import InputError
from nnmf_core.factorize import MAX_FIT_COST, work_within_budget

__all__ = ["AffordableFit", "affordable_fit"]


class AffordableFit(NamedTuple):
    """Iterations and restarts one request may run, see :func:`affordable_fit`."""

    max_iter: int
    n_restarts: int
    note: str | None


def affordable_fit(shape: Sequence[int], mode: str, colour_layout: str, ranks: Sequence[int], max_iter: int,
                   n_restarts: int = 1, *, budget: float = MAX_FIT_COST) -> AffordableFit:
    """The iterations (and, if need be, restarts) one request may run on a
    picture of ``shape`` (height, width[, 3]), with a sentence when they were capped.

    ``ranks`` holds one rank for :func:`~nnmf_core.compression.compress`, or
    every rank of a :func:`~nnmf_core.compression.rank_sweep` (fitted in turn:
    the costs add up). The cost is
    :func:`~nnmf_core.factorize.fit_cost`, capped at ``budget``
    (:data:`~nnmf_core.factorize.MAX_FIT_COST`) by
    :func:`~nnmf_core.factorize.work_within_budget`. Per-channel colour costs
    what joint colour does: three n × m fits instead of one n × 3m.

    Raises
    ------
    InputError
        When even one iteration of one restart is more than ``budget`` (a
        sweep over many large ranks of a big picture).

    Examples
    --------
    >>> affordable_fit((341, 512, 3), "colour", "joint", [20], 300)
    AffordableFit(max_iter=300, n_restarts=1, note=None)
    >>> work = affordable_fit((2048, 2048, 3), "colour", "joint", [500], 1000, 3)
    >>> work.max_iter, work.n_restarts
    (2, 3)
    >>> print(work.note)  # doctest: +NORMALIZE_WHITESPACE
    At 2048 × 2048 px, rank 500 and 3 restarts, 1,000 iterations would take about 377× what one
    request may use here; capped at 2 iterations.
    """
    _check_layout(colour_layout)
    n, width = int(shape[0]), int(shape[1])
    columns = 3 * width if mode == "colour" else width
    ranks = tuple(int(rank) for rank in ranks)
    work = work_within_budget(n, columns, sum(ranks), max_iter, n_restarts, budget)
    if len(ranks) == 1:
        where = f"At {width} × {n} px, rank {ranks[0]} and {counted(n_restarts, 'restart')}"
    else:
        where = f"At {width} × {n} px, ranks {joined(ranks)} with {counted(n_restarts, 'restart')} each"
    if work.capped_ratio > 1:
        raise InputError(
            f"{where}, even one iteration would take about {times(work.capped_ratio)} what one request may use "
            "here. Compare fewer or smaller ranks, or choose a smaller working size."
        )
    if (work.max_iter, work.n_restarts) == (max_iter, n_restarts):
        return AffordableFit(max_iter, n_restarts, None)
    capped = counted(work.max_iter, "iteration")
    if work.n_restarts < n_restarts:
        capped = f"{counted(work.n_restarts, 'restart')} of {capped}"
    return AffordableFit(work.max_iter, work.n_restarts, (
        f"{where}, {max_iter:,} iterations would take about {times(work.asked_ratio)} what one request may use "
        f"here; capped at {capped}."))

