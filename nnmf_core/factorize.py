"""Non-negative matrix factorization: V ≈ W·H with W, H ≥ 0.

One entry point, :func:`factorize`, with two solvers written here in NumPy:

* ``solver="hals"`` — hierarchical alternating least squares, accelerated as in
  Gillis & Glineur (2012): each product of the data with a factor is reused for
  several cheap sweeps over the components. The fast default.
* ``solver="mu"`` — the multiplicative update rule of Lee & Seung (2001), the
  algorithm of the reference notebook: H first, then W with the new H, ``1e-10``
  added to each denominator. Also the solver for the Kullback–Leibler loss and
  for masked (weighted) fits.

The squared Frobenius loss is tracked after every iteration from the products
the update already made, ``‖V‖² − 2⟨WᵀV, H⟩ + ⟨WᵀW, HHᵀ⟩``, at a cost of
O(k²(n+m)); the n×m product W·H is never formed inside the loop, except where
it is inherent (the KL loss and masked fits).

Examples
--------
>>> import numpy as np
>>> from nnmf_core import factorize
>>> V = np.random.default_rng(0).random((60, 40))
>>> result = factorize(V, 5, random_state=0)
>>> result.W.shape, result.H.shape
((60, 5), (5, 40))
>>> bool(result.relative_error < 0.5)
True
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, Union

import numpy as np

from nnmf_core.errors import InputError

SOLVERS = ("hals", "mu")
#: How every page and method name shows each solver.
SOLVER_LABELS = {"hals": "HALS (fast)", "mu": "MU (as in the article)"}
LOSSES = ("frobenius", "kullback-leibler")
INITS = ("random", "nndsvd", "nndsvda")

#: Added to every MU denominator, exactly as in the reference notebook.
MU_EPS = 1e-10
#: Iterations over which ``tol`` measures the relative decrease of the loss.
TOL_WINDOW = 10
#: Floor that keeps the KL ratio V / (W·H) finite.
KL_EPS = 1e-12
#: HALS: NumPy's overhead per component and sweep, in multiply-adds, and the
#: most sweeps one product of V with a factor is reused for.
SWEEP_OVERHEAD = 20_000
MAX_INNER_SWEEPS = 10

#: Multiply-adds one fit may cost on a shared server: about 10–30 s of one
#: cloud core. Pages cap the iterations of bigger requests (see
#: :func:`iterations_within_budget`) and say so.
MAX_FIT_COST = 1e11

#: Largest entry of V each precision can factor. The solvers multiply V by
#: factors of about its square root, and MU divides by sums padded with only
#: ``MU_EPS``, so intermediate products grow much faster than V: on random
#: matrices MU from NNDSVDa overflowed from 2e12 on in float32 and 1e120 in
#: float64, HALS near the square root of the largest float (1e18, 1e150).
MAX_ENTRY = {np.dtype(np.float32): 1e12, np.dtype(np.float64): 1e100}
#: Smallest accepted largest entry: below it the products underflow and the
#: fit returns zeros (HALS in float32 stops fitting below about 1e-19).
MIN_LARGEST_ENTRY = {np.dtype(np.float32): 1e-15, np.dtype(np.float64): 1e-100}

Init = Union[str, tuple]
IterationCallback = Callable[[int, float], bool | None]


@dataclass
class NMFResult:
    """What :func:`factorize` returns.

    Attributes
    ----------
    W : ndarray, shape (n, k)
        Non-negative basis (templates, columns), of the requested dtype.
    H : ndarray, shape (k, m)
        Non-negative weights (one column per column of V).
    loss_history : ndarray of float64, shape (n_iter,)
        The loss after every iteration of the kept restart: the squared
        Frobenius norm ‖V − WH‖² (over observed entries when masked), or the
        generalised Kullback–Leibler divergence D(V ‖ WH). Penalties from
        ``alpha`` are not included.
    relative_error : float
        ‖V − WH‖_F / ‖V‖_F over the observed entries, computed exactly once at
        the end.
    restart_losses : ndarray of float64, shape (n_restarts,)
        The final loss of every restart; the result holds the smallest.
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


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------


def _first_positions(flags: np.ndarray, count: int = 3) -> str:
    rows, cols = np.nonzero(flags)
    return ", ".join(f"(row {r}, column {c})" for r, c in zip(rows[:count], cols[:count]))


def _validated_matrix(V, mask, dtype=np.dtype(np.float32)) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        V = np.asarray(V)
    except Exception as exc:  # ragged nested lists and the like
        raise InputError(f"V could not be read as a matrix of numbers ({exc}).") from None
    if V.dtype.kind not in "biuf":
        raise InputError(f"V must hold numbers; it holds {V.dtype} values.")
    if V.ndim != 2:
        raise InputError(f"V must be a 2-D matrix; it has {V.ndim} dimension(s), shape {V.shape}.")
    if V.size == 0:
        raise InputError(f"V is empty (shape {V.shape}); there is nothing to factor.")
    V = V.astype(np.float64, copy=False) if V.dtype.kind in "biu" else V

    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != np.bool_:
            raise InputError(f"mask must be a boolean array (True where observed); it holds {mask.dtype}.")
        if mask.shape != V.shape:
            raise InputError(f"mask has shape {mask.shape} but V has shape {V.shape}; they must match.")
        if not mask.any():
            raise InputError("mask hides every entry of V; at least one entry must be observed.")
        observed = mask
    else:
        observed = None

    bad = ~np.isfinite(V)
    if observed is not None:
        bad &= observed
    if bad.any():
        raise InputError(
            f"V has {int(bad.sum())} entries that are NaN or infinite, first at "
            f"{_first_positions(bad)}; NMF needs finite numbers"
            + (" wherever the mask observes V." if observed is not None else " — pass mask= to leave entries out.")
        )
    values = V[observed] if observed is not None else V
    negative = values < 0
    if negative.any():
        raise InputError(
            f"V has {int(negative.sum())} negative entries (smallest {values.min():.4g}); "
            "NMF needs non-negative data — shift or split it first."
        )
    if not values.any():
        raise InputError(
            "V is all zeros: there is nothing to factor (W·H = 0 already fits it exactly)."
        )
    largest = float(values.max())
    if largest > MAX_ENTRY[dtype]:
        raise InputError(
            f"V's largest entry is {largest:.3g}, too large to factor in {dtype.name}: the solvers' "
            f"products of such numbers overflow, so entries may be at most {MAX_ENTRY[dtype]:.0e}. "
            "Divide V by a constant (its maximum, say) first."
        )
    if largest < MIN_LARGEST_ENTRY[dtype]:
        raise InputError(
            f"V's largest entry is {largest:.3g}, too small to factor in {dtype.name}: the solvers' "
            f"products of such numbers underflow to zero, so the largest entry must be at least "
            f"{MIN_LARGEST_ENTRY[dtype]:.0e}. Multiply V by a constant first."
        )
    return V, mask


def _validated_options(rank, solver, loss, init, max_iter, tol, n_restarts, dtype, alpha, l1_ratio, mask):
    if isinstance(rank, (bool, np.bool_)) or not isinstance(rank, (int, np.integer)):
        raise InputError(f"rank must be a whole number ≥ 1; got {rank!r}.")
    if rank < 1:
        raise InputError(f"rank must be at least 1; got {rank}.")
    if solver not in SOLVERS:
        raise InputError(f"solver must be one of {', '.join(SOLVERS)}; got {solver!r}.")
    if loss not in LOSSES:
        raise InputError(f"loss must be one of {', '.join(LOSSES)}; got {loss!r}.")
    if loss == "kullback-leibler" and solver != "mu":
        raise InputError('The Kullback–Leibler loss needs solver="mu" (the multiplicative rule).')
    if mask is not None and solver != "mu":
        raise InputError('A mask (weighted NMF) needs solver="mu".')
    if isinstance(init, str) and init not in INITS:
        raise InputError(f"init must be one of {', '.join(INITS)} or a tuple (W0, H0); got {init!r}.")
    if not isinstance(init, (str, tuple, list)):
        raise InputError(f"init must be one of {', '.join(INITS)} or a tuple (W0, H0); got {type(init).__name__}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise InputError(f"max_iter must be a whole number ≥ 1; got {max_iter!r}.")
    if not np.isfinite(tol) or tol < 0:
        raise InputError(f"tol must be a number ≥ 0; got {tol!r}.")
    if isinstance(n_restarts, bool) or not isinstance(n_restarts, (int, np.integer)) or n_restarts < 1:
        raise InputError(f"n_restarts must be a whole number ≥ 1; got {n_restarts!r}.")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise InputError(f"dtype must be float32 or float64; got {dtype}.")
    if not np.isfinite(alpha) or alpha < 0:
        raise InputError(f"alpha must be a number ≥ 0; got {alpha!r}.")
    if not 0 <= l1_ratio <= 1:
        raise InputError(f"l1_ratio must lie between 0 and 1; got {l1_ratio!r}.")
    return dtype


def _given_factors(init, n, m, rank, dtype):
    if len(init) != 2:
        raise InputError("init as a tuple must be (W0, H0).")
    out = []
    for name, array, shape in (("W0", init[0], (n, rank)), ("H0", init[1], (rank, m))):
        array = np.asarray(array)
        if array.dtype.kind not in "biuf":
            raise InputError(f"{name} must hold numbers; it holds {array.dtype} values.")
        if array.shape != shape:
            raise InputError(f"{name} must have shape {shape}; it has shape {array.shape}.")
        if not np.isfinite(array).all():
            raise InputError(f"{name} has NaN or infinite entries.")
        if (array < 0).any():
            raise InputError(f"{name} has negative entries (smallest {array.min():.4g}); factors must be ≥ 0.")
        out.append(np.array(array, dtype=dtype, order="C", copy=True))
    return out[0], out[1]


# --------------------------------------------------------------------------
# initialisation
# --------------------------------------------------------------------------


def _random_factors(n, m, rank, mean, rng, dtype):
    """Random start scaled as scikit-learn does: entries ~ |N(0, 1)|·sqrt(mean/k)."""
    scale = np.sqrt(mean / rank)
    H = np.abs(rng.standard_normal((rank, m))).astype(dtype) * dtype.type(scale)
    W = np.abs(rng.standard_normal((n, rank))).astype(dtype) * dtype.type(scale)
    return W, H


def _top_singular_triplets(V, k):
    """Leading k singular triplets of V: exact SVD for small problems, else a
    seeded randomised range finder (Halko, Martinsson & Tropp 2011)."""
    n, m = V.shape
    if k + 10 >= min(n, m) // 2 or min(n, m) <= 200:
        U, S, Vt = np.linalg.svd(V, full_matrices=False)
        return U[:, :k], S[:k], Vt[:k]
    rng = np.random.default_rng(0)  # the init is deterministic, like the SVD it approximates
    power_iterations = 7 if k < 0.1 * min(n, m) else 4
    Q = V @ rng.standard_normal((m, k + 10)).astype(V.dtype)
    for _ in range(power_iterations):
        Q, _ = np.linalg.qr(Q)
        Q, _ = np.linalg.qr(V.T @ Q)
        Q = V @ Q
    Q, _ = np.linalg.qr(Q)
    U_small, S, Vt = np.linalg.svd(Q.T @ V, full_matrices=False)
    return (Q @ U_small)[:, :k], S[:k], Vt[:k]


def _nndsvd_factors(V, rank, fill_zeros, rng, dtype):
    """NNDSVD (Boutsidis & Gallopoulos 2008). Components beyond min(n, m) have
    no singular vector; they start from the scaled random values."""
    n, m = V.shape
    k_svd = min(rank, n, m)
    U, S, Vt = _top_singular_triplets(V, k_svd)
    W = np.zeros((n, rank), dtype=np.float64)
    H = np.zeros((rank, m), dtype=np.float64)
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0, :] = np.sqrt(S[0]) * np.abs(Vt[0, :])
    for j in range(1, k_svd):
        x, y = U[:, j].astype(np.float64), Vt[j, :].astype(np.float64)
        x_p, y_p = np.maximum(x, 0), np.maximum(y, 0)
        x_n, y_n = np.maximum(-x, 0), np.maximum(-y, 0)
        x_p_norm, y_p_norm = np.linalg.norm(x_p), np.linalg.norm(y_p)
        x_n_norm, y_n_norm = np.linalg.norm(x_n), np.linalg.norm(y_n)
        if x_p_norm * y_p_norm >= x_n_norm * y_n_norm:
            u, v, sigma = x_p / max(x_p_norm, 1e-300), y_p / max(y_p_norm, 1e-300), x_p_norm * y_p_norm
        else:
            u, v, sigma = x_n / max(x_n_norm, 1e-300), y_n / max(y_n_norm, 1e-300), x_n_norm * y_n_norm
        lbd = np.sqrt(S[j] * sigma)
        W[:, j], H[j, :] = lbd * u, lbd * v
    W[W < 1e-6] = 0
    H[H < 1e-6] = 0
    mean = float(V.mean())
    if fill_zeros:
        W[W == 0] = mean
        H[H == 0] = mean
    if rank > k_svd:
        W_extra, H_extra = _random_factors(n, m, rank - k_svd, mean, rng, np.dtype(np.float64))
        W[:, k_svd:], H[k_svd:, :] = W_extra * np.sqrt((rank - k_svd) / rank), H_extra * np.sqrt((rank - k_svd) / rank)
    return np.ascontiguousarray(W, dtype=dtype), np.ascontiguousarray(H, dtype=dtype)


def _initial_factors(V_filled, rank, init, rng, dtype):
    n, m = V_filled.shape
    if isinstance(init, (tuple, list)):
        return _given_factors(init, n, m, rank, dtype)
    if init == "random":
        return _random_factors(n, m, rank, float(V_filled.mean()), rng, dtype)
    return _nndsvd_factors(V_filled, rank, init == "nndsvda", rng, dtype)


# --------------------------------------------------------------------------
# solvers: each runs one restart from (W, H) and returns (W, H, losses, converged, stopped)
# --------------------------------------------------------------------------


def _penalties(n, m, alpha, l1_ratio):
    """scikit-learn's scaling of alpha_W = alpha_H = alpha (objective ½‖V−WH‖²)."""
    return {
        "l1_W": alpha * l1_ratio * m,
        "l2_W": alpha * (1 - l1_ratio) * m,
        "l1_H": alpha * l1_ratio * n,
        "l2_H": alpha * (1 - l1_ratio) * n,
    }


def _penalty_value(W, H, pen) -> float:
    """The penalties in the units of ‖V − WH‖² (twice scikit-learn's ½-scaled terms)."""
    if not any(pen.values()):
        return 0.0
    total = pen["l1_W"] * float(W.sum(dtype=np.float64)) + pen["l1_H"] * float(H.sum(dtype=np.float64))
    total *= 2.0
    total += pen["l2_W"] * _inner_product(W, W) + pen["l2_H"] * _inner_product(H, H)
    return total


class _Tracker:
    """Records losses, applies ``tol`` and the caller's ``on_iteration``."""

    def __init__(self, max_iter, tol, on_iteration):
        self.losses = np.empty(max_iter, dtype=np.float64)
        self.objectives = np.empty(max_iter, dtype=np.float64)
        self.count = 0
        self.tol = tol
        self.on_iteration = on_iteration
        self.converged = False
        self.stopped = False

    def done(self, loss: float, penalty: float = 0.0) -> bool:
        """Record one iteration's loss; ``penalty`` (in the same units) joins it
        in the objective that ``tol`` watches. True means stop."""
        loss = max(float(loss), 0.0)
        self.losses[self.count] = loss
        self.objectives[self.count] = objective = loss + penalty
        self.count += 1
        if self.on_iteration is not None and self.on_iteration(self.count, loss):
            self.stopped = True
        if objective == 0.0:
            self.converged = True
        elif self.tol > 0 and self.count > TOL_WINDOW:
            before = self.objectives[self.count - 1 - TOL_WINDOW]
            if before - objective <= self.tol * before:
                self.converged = True
        return self.converged or self.stopped

    @property
    def history(self) -> np.ndarray:
        return self.losses[: self.count].copy()


def _inner_product(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.vdot(a.astype(np.float64, copy=False), b.astype(np.float64, copy=False)))


class _Float64Pair:
    """Two contiguous float64 arrays of one shape, made once: ``inner_product``
    gives the same value as ``_inner_product`` without allocating per call
    (``np.vdot`` copies a transposed view; float32 input needs converting)."""

    def __init__(self, shape):
        self.a, self.b = np.empty(shape), np.empty(shape)

    def inner_product(self, a: np.ndarray, b: np.ndarray) -> float:
        np.copyto(self.a, a)
        np.copyto(self.b, b)
        return float(np.vdot(self.a, self.b))


def _sum_of_products(a: np.ndarray, b: np.ndarray, scratch: np.ndarray) -> float:
    """⟨a, b⟩ with float64 accumulation and no allocation."""
    np.multiply(a, b, out=scratch)
    return float(scratch.sum(dtype=np.float64))


def _mu_step(X, numerator, denominator, l1, l2, eps):
    """X ← X ⊙ numerator / (denominator + l1 + l2·X + eps), in place. The
    denominator buffer is overwritten (it ends holding the ratio); the
    numerator is kept."""
    if l2:
        denominator += l2 * X
    if l1:
        denominator += l1
    denominator += eps
    np.divide(numerator, denominator, out=denominator)
    X *= denominator


def _mu_frobenius(V, W, H, max_iter, tracker, pen):
    """Lee–Seung multiplicative updates, H then W, as in the reference notebook.

    H is kept transposed (m×k) so that both large products are tall-and-thin
    with V in its stored order, VᵀW and VHᵀ: OpenBLAS runs that shape about
    1.5× faster than WᵀV. Per iteration: those two products, k×k Gram
    matrices, and a few passes over the factors into preallocated buffers.
    """
    n, m = V.shape
    k = H.shape[0]
    norm_sq = _inner_product(V, V)
    eps = V.dtype.type(MU_EPS)
    l1_H, l2_H, l1_W, l2_W = pen["l1_H"], pen["l2_H"], pen["l1_W"], pen["l2_W"]
    penalized = any(pen.values())
    Ht = np.ascontiguousarray(H.T)
    VtW, denominator_H = np.empty((m, k), V.dtype), np.empty((m, k), V.dtype)
    VHt, denominator_W = np.empty((n, k), V.dtype), np.empty((n, k), V.dtype)
    WtW = W.T @ W
    for _ in range(max_iter):
        np.matmul(V.T, W, out=VtW)                       # (WᵀV)ᵀ: the first large product
        np.matmul(Ht, WtW, out=denominator_H)            # (WᵀW H)ᵀ
        _mu_step(Ht, VtW, denominator_H, l1_H, l2_H, eps)
        np.matmul(V, Ht, out=VHt)                        # VHᵀ: the second large product
        HHt = Ht.T @ Ht
        np.matmul(W, HHt, out=denominator_W)
        _mu_step(W, VHt, denominator_W, l1_W, l2_W, eps)
        WtW = W.T @ W
        loss = norm_sq - 2.0 * _sum_of_products(W, VHt, denominator_W) + _inner_product(WtW, HHt)
        if tracker.done(loss, _penalty_value(W, Ht, pen) if penalized else 0.0):
            break
    return W, np.ascontiguousarray(Ht.T)


def _mu_masked_or_kl(V, W, H, max_iter, tracker, pen, mask, kl):
    """Multiplicative updates that need W·H: masked Frobenius and KL (masked or not)."""
    M = None if mask is None else mask.astype(V.dtype)
    V0 = V if M is None else np.where(mask, V, 0).astype(V.dtype)
    eps = V.dtype.type(MU_EPS)
    tiny = V.dtype.type(KL_EPS)
    for _ in range(max_iter):
        for side in ("H", "W"):
            WH = W @ H
            if kl:
                ratio = V0 / np.maximum(WH, tiny)
                if M is not None:
                    ratio *= M
                if side == "H":
                    numerator = W.T @ ratio
                    denominator = (W.T @ M) if M is not None else np.broadcast_to(W.sum(axis=0)[:, None], H.shape).copy()
                else:
                    numerator = ratio @ H.T
                    denominator = (M @ H.T) if M is not None else np.broadcast_to(H.sum(axis=1)[None, :], W.shape).copy()
            else:
                fitted = WH if M is None else WH * M
                if side == "H":
                    numerator, denominator = W.T @ V0, W.T @ fitted
                else:
                    numerator, denominator = V0 @ H.T, fitted @ H.T
            _mu_step(H if side == "H" else W, numerator, denominator, pen["l1_" + side], pen["l2_" + side], eps)
        WH = W @ H
        if kl:
            loss = _kl_divergence(V0, WH, M)
        else:
            residual = V0 - WH
            if M is not None:
                residual *= M
            loss = _inner_product(residual, residual)
        # KL's objective carries the penalties unscaled: half of the Frobenius units
        if tracker.done(loss, _penalty_value(W, H, pen) / (2.0 if kl else 1.0)):
            break
    return W, H


def _kl_divergence(V, WH, M=None) -> float:
    """Generalised KL divergence Σ V·log(V/WH) − V + WH, with 0·log 0 = 0."""
    V64, WH64 = V.astype(np.float64), np.maximum(WH.astype(np.float64), KL_EPS)
    terms = np.where(V64 > 0, V64 * np.log(np.where(V64 > 0, V64, 1.0) / WH64), 0.0) - V64 + WH64
    if M is not None:
        terms *= M
    return float(terms.sum())


class _SweepBuffers:
    """Work arrays for ``_hals_sweeps`` over a k×p factor, made once per fit:
    arrays this size allocated anew every iteration would each be mapped and
    unmapped by the allocator of a server tuned to give memory back."""

    def __init__(self, X):
        self.scaled_numerator = np.empty_like(X, order="C")
        self.previous = np.empty_like(X, order="C")
        self.row = np.empty(X.shape[1], dtype=X.dtype)


def _hals_sweeps(X, numerator, gram, l1, l2, max_sweeps, buffers):
    """Coordinate-wise exact minimisation over the rows of X (k×p), in place.

    Solves min_X≥0 ½‖·‖² given ``numerator`` = (data·other factor)ᵀ (k×p) and
    ``gram`` = other factor's Gram matrix (k×k). Row j becomes
    max(0, (numerator_j − l1 − Σ_{r≠j} gram_jr X_r) / (gram_jj + l2)); rows
    with gram_jj + l2 = 0 are skipped.
    Repeats the sweep while it still moves X by more than a tenth of the first
    sweep's step (Gillis & Glineur 2012).
    ``buffers`` is ``_SweepBuffers(X)``, reused from call to call.
    """
    diag = np.diag(gram).astype(np.float64) + l2
    live = diag > 0
    inv = np.zeros_like(diag)
    inv[live] = 1.0 / diag[live]
    scaled_num, previous, scratch = buffers.scaled_numerator, buffers.previous, buffers.row
    np.copyto(scaled_num, numerator)  # a contiguous copy
    if l1:
        scaled_num -= X.dtype.type(l1)
    scaled_num *= inv.astype(X.dtype)[:, None]
    coupling = gram.astype(X.dtype, copy=True)
    np.fill_diagonal(coupling, 0)
    coupling *= inv.astype(X.dtype)[:, None]
    # A row whose Gram entry is zero belongs to a component whose other factor
    # is all zero; it is left as it is, so the component can come back.
    rows = np.flatnonzero(live).tolist()
    first_step = None
    if max_sweeps == 1:
        previous = None
    for sweep in range(max_sweeps):
        if previous is not None:
            np.copyto(previous, X)
        for j in rows:
            np.dot(coupling[j], X, out=scratch)
            np.subtract(scaled_num[j], scratch, out=scratch)
            np.maximum(scratch, 0, out=X[j])
        if previous is None:
            break
        previous -= X
        step = float(np.vdot(previous, previous))
        if first_step is None:
            first_step = step
        elif step <= 0.01 * first_step:
            break


def _inner_sweep_budget(n, m, k):
    """How many sweeps one product pays for: its cost (n·m·k multiply-adds)
    against a sweep's (k² per column plus NumPy's per-call overhead, worth about
    20 000 multiply-adds per component), halved as Gillis & Glineur recommend.
    The constants were tuned with ``bench/bench_factorize.py``."""
    product = n * m * k
    sweep_W = k * (k * n + SWEEP_OVERHEAD)
    sweep_H = k * (k * m + SWEEP_OVERHEAD)
    budget_W = 1 + int(0.5 * product / sweep_W)
    budget_H = 1 + int(0.5 * product / sweep_H)
    return min(budget_W, MAX_INNER_SWEEPS), min(budget_H, MAX_INNER_SWEEPS)


def _hals(V, W, H, max_iter, tracker, pen):
    """Accelerated HALS; W is kept transposed (k×n) so every update is a row."""
    n, m = V.shape
    k = H.shape[0]
    norm_sq = _inner_product(V, V)
    Wt = np.ascontiguousarray(W.T)
    sweeps_W, sweeps_H = _inner_sweep_budget(n, m, k)
    buffers_W, buffers_H = _SweepBuffers(Wt), _SweepBuffers(H)
    loss_terms = _Float64Pair((k, n))
    WtW = Wt @ Wt.T
    # Both large products are formed tall-and-thin with V in its stored order
    # (VᵀW, m×k, and VHᵀ, n×k), the shape OpenBLAS runs fastest, and used
    # through their transposes.
    VtW, VHt = np.empty((m, k), V.dtype), np.empty((n, k), V.dtype)
    for _ in range(max_iter):
        np.matmul(V.T, Wt.T, out=VtW)
        _hals_sweeps(H, VtW.T, WtW, pen["l1_H"], pen["l2_H"], sweeps_H, buffers_H)
        np.matmul(V, H.T, out=VHt)
        HHt = H @ H.T
        _hals_sweeps(Wt, VHt.T, HHt, pen["l1_W"], pen["l2_W"], sweeps_W, buffers_W)
        WtW = Wt @ Wt.T
        loss = norm_sq - 2.0 * loss_terms.inner_product(Wt, VHt.T) + _inner_product(WtW, HHt)
        if tracker.done(loss, _penalty_value(Wt, H, pen)):
            break
    return np.ascontiguousarray(Wt.T), H


# --------------------------------------------------------------------------
# cost of a request
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# the entry point
# --------------------------------------------------------------------------


def _residual_norm_sq(V, W, H, mask, rows_per_chunk=1024) -> float:
    """Exact ‖V − WH‖² over observed entries, in float64, a block of rows at a time."""
    total = 0.0
    for start in range(0, V.shape[0], rows_per_chunk):
        block = slice(start, start + rows_per_chunk)
        residual = V[block].astype(np.float64) - W[block].astype(np.float64) @ H.astype(np.float64)
        if mask is not None:
            residual = np.where(mask[block], residual, 0.0)
        total += float(np.vdot(residual, residual))
    return total


def _restart_seeds(random_state, n_restarts):
    if isinstance(random_state, np.random.Generator):
        return [np.random.default_rng(s) for s in random_state.integers(0, 2**63 - 1, size=n_restarts)]
    if random_state is not None and (
        isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer))
    ):
        raise InputError(f"random_state must be a whole number, a numpy Generator or None; got {random_state!r}.")
    if random_state is not None and random_state < 0:
        raise InputError(f"random_state must be ≥ 0; got {random_state}.")
    sequence = np.random.SeedSequence(None if random_state is None else int(random_state))
    return [np.random.default_rng(child) for child in sequence.spawn(n_restarts)]


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
        Seed for the random starts; a given seed reproduces a run bit for bit
        on one machine.
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
    rngs = _restart_seeds(random_state, n_restarts)

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
        if tracker.stopped:
            stopped = True
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
