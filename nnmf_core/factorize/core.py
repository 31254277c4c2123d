"""The entry point, :func:`factorize`: validate once, then run the chosen
solver from each restart's start and keep the restart with the smallest loss."""

from __future__ import annotations

import time
import warnings

import numpy as np

from nnmf_core.factorize.hals import _hals
from nnmf_core.factorize.init import _initial_factors, restart_generators
from nnmf_core.factorize.loss import _inner_product, _penalties, _residual_norm_sq, _Tracker
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
    V : array_like, shape (n, m)
        Non-negative, finite data, not all zero. With ``mask``, entries that the
        mask hides may hold anything, NaN included.
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

    Raises
    ------
    InputError
        For data or parameters the factorization cannot use, with a sentence
        naming the problem.
    """
    started = time.perf_counter()
    dtype = _validated_options(rank, solver, loss, init, max_iter, tol, n_restarts, dtype, alpha, l1_ratio, mask)
    V, mask = _validated_matrix(V, mask, dtype)
    rank = int(rank)
    n, m = V.shape
    rngs = restart_generators(random_state, n_restarts)

    V_fit = np.ascontiguousarray(V, dtype=dtype)
    if mask is not None:
        observed_mean = float(V[mask].mean())
        V_fit = np.where(mask, V_fit, dtype.type(observed_mean))
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
        W, H = _initial_factors(V_fit, rank, start, rng, dtype)
        tracker = _Tracker(max_iter, tol, on_iteration)
        if solver == "hals":
            W, H = _hals(V_fit, W, H, max_iter, tracker, pen)
        elif loss == "frobenius" and mask is None:
            W, H = _mu_frobenius(V_fit, W, H, max_iter, tracker, pen)
        else:
            W, H = _mu_masked_or_kl(V_fit, W, H, max_iter, tracker, pen, mask, loss == "kullback-leibler")
        history = tracker.history
        final = history[-1] if history.size else np.inf
        restart_losses.append(final)
        if best is None or final < best[2][-1]:
            best = (W, H, history, tracker)
        stopped = tracker.stopped
        if (on_restart is not None and on_restart(restart, W, H, history)) or stopped:
            break

    W, H, history, tracker = best
    observed = V_fit if mask is None else np.where(mask, V_fit, 0)
    relative_error = float(np.sqrt(_residual_norm_sq(V_fit, W, H, mask) / _inner_product(observed, observed)))
    return NMFResult(
        W=W,
        H=H,
        loss_history=history,
        relative_error=relative_error,
        restart_losses=np.asarray(restart_losses, dtype=np.float64),
        n_iter=int(history.size),
        converged=bool(tracker.converged),
        stopped_early=stopped,
        seconds=time.perf_counter() - started,
        solver=solver,
        loss=loss,
        init=init if isinstance(init, str) else "given",
    )
