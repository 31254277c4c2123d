"""What a fit costs, in multiply-adds, and how much work a shared server allows:
:func:`fit_cost`, :func:`iterations_within_budget`, :func:`work_within_budget`."""

from __future__ import annotations

from typing import NamedTuple

#: Multiply-adds one fit may cost on a shared server: about 10–30 s of one
#: cloud core. Pages cap the iterations of bigger requests (see
#: :func:`iterations_within_budget`) and say so.
MAX_FIT_COST = 1e11


def fit_cost(n: int, m: int, rank: int, max_iter: int, n_restarts: int = 1) -> float:
    """Multiply-adds a fit may spend: two n×m×k products per iteration (MU and
    HALS alike; the masked and KL variants cost about twice that)."""
    return 2.0 * n * m * rank * max_iter * n_restarts


def iterations_within_budget(n: int, m: int, rank: int, max_iter: int, n_restarts: int = 1,
                             budget: float = MAX_FIT_COST) -> int:
    """``max_iter``, or fewer (at least 1) so that :func:`fit_cost` stays within
    ``budget``.

    >>> iterations_within_budget(512, 512, 20, 300)
    300
    >>> iterations_within_budget(2048, 6144, 500, 1000)
    7
    """
    per_iteration = fit_cost(n, m, rank, 1, n_restarts)
    return int(max(1, min(max_iter, budget // per_iteration)))


class AffordableWork(NamedTuple):
    """What :func:`work_within_budget` allows.

    Attributes
    ----------
    max_iter, n_restarts : int
        The iterations (per restart) and restarts to run: the request's, or
        fewer so that :func:`fit_cost` stays within the budget.
    asked_ratio : float
        The request's :func:`fit_cost` over the budget (above 1: it was capped).
    capped_ratio : float
        The capped work's cost over the budget: at most 1, unless one
        iteration of one restart is already more than the budget.
    """

    max_iter: int
    n_restarts: int
    asked_ratio: float
    capped_ratio: float


def work_within_budget(n: int, m: int, rank: int, max_iter: int, n_restarts: int = 1,
                       budget: float = MAX_FIT_COST) -> AffordableWork:
    """Iterations and restarts that keep a fit of an n×m matrix at ``rank``
    within ``budget`` multiply-adds.

    Iterations are capped first (:func:`iterations_within_budget`); only when
    one iteration of every restart is already too much are restarts dropped
    too. ``rank`` may be a sum of ranks (a sweep fits each in turn, and the
    cost is linear in the rank).

    >>> work_within_budget(512, 512, 20, 300)[:2]
    (300, 1)
    >>> work_within_budget(2048, 6144, 500, 1000, 3)[:2]
    (2, 3)
    >>> work_within_budget(2048, 6144, 2048, 300, 10)[:2]
    (1, 1)
    """
    restarts = int(max(1, min(n_restarts, budget // fit_cost(n, m, rank, 1, 1))))
    iterations = iterations_within_budget(n, m, rank, max_iter, restarts, budget)
    return AffordableWork(iterations, restarts, fit_cost(n, m, rank, max_iter, n_restarts) / budget,
                          fit_cost(n, m, rank, iterations, restarts) / budget)
