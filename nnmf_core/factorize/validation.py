"""Checks of what :func:`~nnmf_core.factorize.factorize` is given: the matrix V
(with its mask) and the options. Each raises :class:`~nnmf_core.errors.InputError`
with a sentence naming the problem; the solvers then trust their input."""

from __future__ import annotations

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.factorize.options import INITS, LOSSES, SOLVERS

#: Largest entry of V each precision can factor. The solvers multiply V by
#: factors of about its square root, and MU divides by sums padded with only
#: ``MU_EPS``, so intermediate products grow much faster than V: on random
#: matrices MU from NNDSVDa overflowed from 2e12 on in float32 and 1e120 in
#: float64, HALS near the square root of the largest float (1e18, 1e150).
MAX_ENTRY = {np.dtype(np.float32): 1e12, np.dtype(np.float64): 1e100}
#: Smallest accepted largest entry: below it the products underflow and the
#: fit returns zeros (HALS in float32 stops fitting below about 1e-19).
MIN_LARGEST_ENTRY = {np.dtype(np.float32): 1e-15, np.dtype(np.float64): 1e-100}


def _first_positions(flags: np.ndarray, count: int = 3) -> str:
    """Where the first ``count`` True entries of a 2-D array are, in words."""
    rows, cols = np.nonzero(flags)
    return ", ".join(f"(row {r}, column {c})" for r, c in zip(rows[:count], cols[:count]))


def _validated_matrix(V, mask, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray | None]:
    """V as a float array (integers become float64) and the mask as a NumPy array, after
    every check; ``dtype`` is the precision the fit will run in."""
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

    if observed is None:  # the common case in two passes without temporaries: min and max
        smallest, largest = float(V.min()), float(V.max())  # NaN and ±inf show in one of them
        if np.isfinite(smallest) and np.isfinite(largest) and smallest >= 0:
            return _checked_range(largest, dtype, V, mask)
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
    return _checked_range(float(values.max()), dtype, V, mask)


def _checked_range(largest: float, dtype: np.dtype, V, mask):
    """Refuse a V (finite, ≥ 0) whose largest entry is 0 or beyond what ``dtype`` can factor."""
    if largest == 0:
        raise InputError(
            "V is all zeros: there is nothing to factor (W·H = 0 already fits it exactly)."
        )
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
    """Check every option of a fit; return ``dtype`` as a NumPy dtype."""
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
