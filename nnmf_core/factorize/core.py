"""The entry point, :func:`factorize`: validate once, then run the chosen
solver from each restart's start and keep the restart with the smallest loss.

The data is held by a "problem": :class:`_InMemoryProblem` for NumPy input,
:class:`~nnmf_core.factorize.dask_solvers._DaskProblem` for a Dask array
(imported only then). Both give the starts, run a solver, and measure the
result; the restart loop is the same for both."""

from __future__ import annotations

import time
import warnings

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.factorize.dask_support import _is_dask_array
from nnmf_core.factorize.hals import _hals
from nnmf_core.factorize.init import _initial_factors, restart_generators
from nnmf_core.factorize.loss import _penalties, _residual_norm_sq, _squared_norm, _Tracker
from nnmf_core.factorize.mu import _mu_frobenius, _mu_masked_or_kl
from nnmf_core.factorize.options import Init, IterationCallback, RestartCallback
from nnmf_core.factorize.result import NMFResult
from nnmf_core.factorize.validation import _validated_matrix, _validated_options


def factorize(
    V,
    rank: int,
    *,
    solver: str = "hals",
    loss: str = "frobenius",
    init: Init = "nndsvda",
    max_iter: int = 300,
    tol: float = 1e-4,
    n_restarts: int = 1,
    random_state=None,
    dtype=np.float32,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    mask=None,
    on_iteration: IterationCallback | None = None,
    on_restart: RestartCallback | None = None,
) -> NMFResult:
    """Factor a non-negative matrix V (n×m) into W (n×k) and H (k×m), V ≈ W·H.

    Parameters
    ----------
    V : array_like or dask.array.Array, shape (n, m)
        Non-negative, finite data, not all zero. With ``mask``, entries that the
        mask hides may hold anything, NaN included. A Dask array (float32 or
        float64, any chunking) is fitted where its data lives, on the active
        Dask scheduler (a ``dask.distributed.Client`` if one exists, else
        Dask's threads), with ``solver="hals"`` or ``"mu"`` and the Frobenius
        loss (no mask): see Notes.
    rank : int
        k, the number of components, ≥ 1. It may exceed min(n, m) (the factors
        then hold more numbers than V — allowed, to show that it stops paying).
    solver : {"hals", "mu"}
        ``"hals"``: accelerated hierarchical alternating least squares (fast).
        ``"mu"``: Lee–Seung multiplicative updates as in the reference
        notebook; the only solver for ``loss="kullback-leibler"`` and ``mask``.
    loss : {"frobenius", "kullback-leibler"}
        What is minimised: ‖V − WH‖²_F, or the generalised KL divergence.
    init : {"nndsvda", "nndsvd", "random"} or tuple (W0, H0)
        Start. ``"random"``: |N(0,1)| scaled by sqrt(mean(V)/k), as in
        scikit-learn. ``"nndsvd"``: non-negative double SVD, whose zeros can
        never move under the multiplicative rule (a zero times anything stays
        zero) — so ``"nndsvda"``, the default, fills those zeros with mean(V),
        as scikit-learn does. Components beyond min(n, m) have no singular
        vector and start random. A tuple is copied and used as given.
    max_iter : int
        Iterations per restart; one iteration updates H, then W.
    tol : float
        Stop once the loss fell by no more than ``tol`` (relative) over the last
        ``TOL_WINDOW`` = 10 iterations: L[i−10] − L[i] ≤ tol·L[i−10]. The same
        meaning for every solver; 0 runs all ``max_iter`` iterations.
    n_restarts : int
        Independent starts; the one with the smallest final loss is kept. The
        first uses ``init``; when ``init`` is deterministic (NNDSVD or a tuple)
        the others start from seeded random factors.
    random_state : int, numpy Generator or None
        Seed for the random starts, turned into one generator per restart by
        :func:`~nnmf_core.factorize.restart_generators`; a given seed
        reproduces a run bit for bit on one machine.
    dtype : float32 or float64
        Precision of all the arithmetic and of the returned factors.
    alpha, l1_ratio : float
        Elementwise L1/L2 penalties on W and H with scikit-learn's meaning of
        ``alpha_W = alpha_H = alpha`` and ``l1_ratio`` (scaled by the other
        dimension of V, on the objective ½‖V − WH‖²).
    mask : array_like of bool, shape (n, m), optional
        True where V is observed; hidden entries have no influence on the fit.
        Needs ``solver="mu"``.
    on_iteration : callable(i, loss) -> bool or None, optional
        Called after every iteration, with i counting from 1 within the current
        restart; returning True stops the whole fit (the best restart so far
        is kept and ``stopped_early`` is set).
    on_restart : callable(restart, W, H, loss_history) -> bool or None, optional
        Called once after every restart that ran (also one that
        ``on_iteration`` stopped), with ``restart`` counting from 0 (the
        restart's position in ``restart_losses``), its factors W (n×k) and
        H (k×m) of ``dtype``, and its losses, ndarray of float64, shape
        (iterations,). These are the restart's own arrays, not copies (the
        kept restart's become the result's): copy them to change them.
        Returning True skips the remaining restarts (the best so far is kept;
        ``restart_losses`` is then shorter than ``n_restarts``). Lets a caller
        see every restart's fit — to assign clusters per restart, say —
        without running the restarts itself.

    Returns
    -------
    NMFResult
        For a Dask array V, the factor along V's long side (W for n ≥ m) is a
        persisted Dask array partitioned like V, the other one NumPy.

    Notes
    -----
    On a Dask array the fit follows MPI-FAUN (Kannan, Ballard & Park 2016):
    V is cut into partitions of its long side (rechunked to whole HALS sweep
    blocks), kept in the workers' memory when it fits in half of it (else
    read from its source each iteration); the tall factor stays beside its
    partitions; each iteration reduces only k×m and k×k products and
    broadcasts the short factor, so no n×m intermediate is formed. The starts
    and iterations are the in-memory ones, so the same seed gives the same
    losses up to rounding (1e-10 relative in float64 in the tests).

    Raises
    ------
    InputError
        For data or parameters the factorization cannot use, with a sentence
        naming the problem.
    """
    started = time.perf_counter()
    dtype = _validated_options(rank, solver, loss, init, max_iter, tol, n_restarts, dtype, alpha, l1_ratio, mask)
    rank = int(rank)
    if _is_dask_array(V):
        if mask is not None or loss != "frobenius":
            what = "A mask" if mask is not None else "The Kullback–Leibler loss"
            raise InputError(f"{what} works in memory only; a Dask array is fitted with the Frobenius loss, unmasked.")
        from nnmf_core.factorize.dask_solvers import _dask_problem

        problem = _dask_problem(V, rank, dtype)
    else:
        V, mask = _validated_matrix(V, mask, dtype)
        problem = _InMemoryProblem(V, mask, rank, dtype, loss)
    n, m = problem.shape
    rngs = restart_generators(random_state, n_restarts)
    if isinstance(init, str) and init == "nndsvd" and solver == "mu":
        warnings.warn(
            'init="nndsvd" leaves zeros that the multiplicative rule can never move; '
            'init="nndsvda" fills them with the mean of V.',
            UserWarning,
            stacklevel=2,
        )
    pen = _penalties(n, m, alpha, l1_ratio)
    deterministic_init = not (isinstance(init, str) and init == "random")

    best = None
    stopped = False
    restart_losses = []
    for restart, rng in enumerate(rngs):
        start = init if (restart == 0 or not deterministic_init) else "random"
        state = problem.initial_factors(start, rng)
        tracker = _Tracker(max_iter, tol, on_iteration)
        state = problem.solve(solver, state, max_iter, tracker, pen)
        history = tracker.history
        final = history[-1] if history.size else np.inf
        restart_losses.append(final)
        if best is None or final < best[2][-1]:
            best = (state, None, history, tracker)
        stopped = tracker.stopped
        if (on_restart is not None and on_restart(restart, *problem.factors(state), history)) or stopped:
            break

    state, _, history, tracker = best
    W, H = problem.factors(state)
    return NMFResult(
        W=W,
        H=H,
        loss_history=history,
        relative_error=problem.relative_error(state),
        restart_losses=np.asarray(restart_losses, dtype=np.float64),
        n_iter=int(history.size),
        converged=bool(tracker.converged),
        stopped_early=stopped,
        seconds=time.perf_counter() - started,
        solver=solver,
        loss=loss,
        init=init if isinstance(init, str) else "given",
    )


class _InMemoryProblem:
    """A checked NumPy V prepared for the fit: V in the fit's dtype (hidden
    entries filled with the observed mean), its mask and loss. A restart's
    state is (W, H)."""

    def __init__(self, V, mask, rank, dtype, loss):
        V_fit = np.ascontiguousarray(V, dtype=dtype)
        if mask is not None:
            observed_mean = float(V[mask].mean())
            V_fit = np.where(mask, V_fit, dtype.type(observed_mean))
        self.V, self.mask, self.rank, self.dtype, self.loss = V_fit, mask, rank, dtype, loss
        self.shape = V_fit.shape

    def initial_factors(self, init, rng):
        return _initial_factors(self.V, self.rank, init, rng, self.dtype)

    def solve(self, solver, state, max_iter, tracker, pen):
        W, H = state
        if solver == "hals":
            return _hals(self.V, W, H, max_iter, tracker, pen)
        if self.loss == "frobenius" and self.mask is None:
            return _mu_frobenius(self.V, W, H, max_iter, tracker, pen)
        return _mu_masked_or_kl(self.V, W, H, max_iter, tracker, pen, self.mask, self.loss == "kullback-leibler")

    @staticmethod
    def factors(state):
        return state

    def relative_error(self, state) -> float:
        W, H = state
        observed = self.V if self.mask is None else np.where(self.mask, self.V, 0)
        return float(np.sqrt(_residual_norm_sq(self.V, W, H, self.mask) / _squared_norm(observed)))
