"""The result of one factorization, :class:`NMFResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class NMFResult:
    """What :func:`~nnmf_core.factorize.factorize` returns.

    Attributes
    ----------
    W : ndarray, shape (n, k)
        Non-negative basis (templates, columns), of the requested dtype. For
        a Dask V with n ≥ m, a persisted ``dask.array.Array`` partitioned
        along its rows like V.
    H : ndarray, shape (k, m)
        Non-negative weights (one column per column of V). For a Dask V with
        m > n, a persisted ``dask.array.Array`` partitioned along its columns.
    loss_history : ndarray of float64, shape (n_iter,)
        The loss after every iteration of the kept restart: the squared
        Frobenius norm ‖V − WH‖² (over observed entries when masked), or the
        generalised Kullback–Leibler divergence D(V ‖ WH). Penalties from
        ``alpha`` are not included.
    relative_error : float
        ‖V − WH‖_F / ‖V‖_F over the observed entries, computed exactly once at
        the end.
    restart_losses : ndarray of float64, shape (n_restarts,)
        The final loss of every restart that ran; the result holds the
        smallest. Shorter than ``n_restarts`` when a callback stopped the fit.
    n_iter : int
        Iterations run by the kept restart.
    converged : bool
        Whether the kept restart met ``tol`` before ``max_iter``.
    stopped_early : bool
        Whether ``on_iteration`` asked to stop.
    seconds : float
        Wall-clock time of the whole call (all restarts).
    solver, loss, init : str
        What was run (``init`` is ``"given"`` for a tuple).
    """

    W: np.ndarray
    H: np.ndarray
    loss_history: np.ndarray
    relative_error: float
    restart_losses: np.ndarray
    n_iter: int
    converged: bool
    stopped_early: bool
    seconds: float
    solver: str
    loss: str
    init: str
    rank: int = field(init=False)

    def __post_init__(self) -> None:
        self.rank = self.W.shape[1]

    def reconstruct(self) -> np.ndarray:
        """Return W @ H, the approximation of V, shape (n, m)."""
        return self.W @ self.H
