"""Which rank? Evidence from entries the fit never saw.

A share of V's entries is hidden; NMF is fitted to the rest (a masked fit) at
each rank k, and the error is measured on both sets. The error on the seen
entries falls with every extra rank — more numbers fit more — but the error on
the hidden ones falls only while the extra parts describe structure, then
rises once they fit the noise of the seen entries (overfitting). The same
curve for V's entries shuffled (no structure left, same values) shows what
"nothing to learn" looks like.

Works on any non-negative matrix: a picture's, or spike waveforms'.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> V = rng.random((60, 4)) @ rng.random((4, 50)) + 0.3 * rng.random((60, 50))
>>> curve = heldout_curve(V, (1, 2, 4, 8, 16), 0.1, max_iter=400, tol=0)
>>> curve.best_k
4
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.factorize import factorize

__all__ = ["HeldoutCurve", "heldout_ranks", "heldout_curve"]

#: A held-out error within this share of its lowest value counts as level, not rising.
RISE = 0.02


def heldout_ranks(largest: int, count: int = 12) -> tuple[int, ...]:
    """About ``count`` ranks from 1 to ``largest``, closer together at the start.

    >>> heldout_ranks(64)
    (1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64)
    >>> heldout_ranks(5)
    (1, 2, 3, 4, 5)
    """
    if isinstance(largest, bool) or not isinstance(largest, (int, np.integer)) or largest < 1:
        raise InputError(f"The largest rank must be a whole number ≥ 1; got {largest!r}.")
    if largest <= count:
        return tuple(range(1, int(largest) + 1))
    best: tuple[int, ...] = (1, int(largest))
    for num in range(count, 20 * count):
        spaced = tuple(sorted({int(round(value)) for value in np.geomspace(1, largest, num)}))
        if len(spaced) > count:
            break
        best = spaced
    return best


@dataclass(frozen=True, eq=False)
class HeldoutCurve:
    """Seen and held-out error of masked fits at each rank.

    Errors are relative: ‖(V − WH) on the set‖ / ‖V on the set‖. The
    ``shuffled_*`` curves are those of V's entries in a random order (None
    when not asked for).
    """

    ks: tuple[int, ...]
    fraction: float
    seen_error: np.ndarray
    heldout_error: np.ndarray
    shuffled_seen_error: np.ndarray | None
    shuffled_heldout_error: np.ndarray | None

    @property
    def best_k(self) -> int:
        """The rank with the lowest held-out error."""
        return int(self.ks[int(np.argmin(self.heldout_error))])

    @property
    def summary(self) -> str:
        """Where the held-out error bottoms out, what happens past it, and what shuffling shows."""
        best, at = self.best_k, int(np.argmin(self.heldout_error))
        low = self.heldout_error[at]
        hidden = f"{self.fraction:.0%}"
        text = f"The error on the {hidden} of entries the fits never saw is lowest at k = {best} ({low:.3f})"
        if at == len(self.ks) - 1:
            text += (f", the largest rank tried: no sign of overfitting yet (the seen error is "
                     f"{self.seen_error[-1]:.3f} there); try larger ranks.")
        elif at == 0 and len(self.ks) > 1:
            text += ": no rank beyond the first pays off on entries the fit did not see."
        elif self.heldout_error[-1] - low < RISE * low:
            text += (f". Past it the seen error keeps falling (to {self.seen_error[-1]:.3f} at k = {self.ks[-1]}) "
                     f"while the held-out error stays about level ({self.heldout_error[-1]:.3f}): extra parts "
                     "neither help nor yet hurt on unseen entries.")
        else:
            text += (f". Past it the seen error keeps falling (to {self.seen_error[-1]:.3f} at k = {self.ks[-1]}) "
                     f"while the held-out error rises (to {self.heldout_error[-1]:.3f}): the extra parts fit the "
                     "noise of the seen entries.")
        if self.shuffled_heldout_error is not None:
            gap = self.shuffled_heldout_error - self.heldout_error
            shuffled_best = int(self.ks[int(np.argmin(self.shuffled_heldout_error))])
            if (gap > 0).all():
                text += (f" With the same numbers shuffled, held-out error is lowest at k = {shuffled_best} and higher "
                         "at every rank: the difference is the structure NMF finds.")
            else:
                text += (f" With the same numbers shuffled it does as well at k = "
                         f"{', '.join(str(k) for k, g in zip(self.ks, gap) if g <= 0)}: there the fit finds no "
                         "more structure than in noise.")
        return text


def heldout_curve(
    V: np.ndarray,
    ks: Sequence[int],
    fraction: float = 0.1,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    random_state: int = 0,
    shuffled: bool = True,
    on_iteration: Callable[[int, float], bool | None] | None = None,
) -> HeldoutCurve:
    """Fit V with a share of its entries hidden, at each rank, and measure both sets.

    Parameters
    ----------
    V : array_like, shape (n, m)
        Non-negative, finite.
    ks : sequence of int
        Ranks to fit, each ≥ 1 (sorted, duplicates dropped).
    fraction : float
        Share of entries hidden, above 0 and at most 0.5 (5–10 % is usual).
    max_iter, tol
        For each masked fit (:func:`~nnmf_core.factorize`, ``solver="mu"``, NNDSVDa start).
    random_state : int
        Seed of the hidden entries and the shuffle.
    shuffled : bool
        Also fit V's entries in a random order, the no-structure reference.
    on_iteration : callable(i, loss), optional
        Progress, from every fit in turn.

    Returns
    -------
    HeldoutCurve

    Raises
    ------
    InputError
        For a matrix factorize refuses, ranks that are not whole numbers ≥ 1,
        or a share out of range.
    """
    V = np.asarray(V, dtype=np.float32)
    if V.ndim != 2 or V.size < 4:
        raise InputError(f"Held-out evidence needs a matrix of at least 2 × 2 entries; got shape {V.shape}.")
    if not isinstance(fraction, (int, float)) or isinstance(fraction, bool) or not 0 < fraction <= 0.5:
        raise InputError(f"The share of held-out entries must lie above 0 and at most 0.5; got {fraction!r}.")
    ranks = sorted({int(k) for k in ks if not isinstance(k, bool) and isinstance(k, (int, np.integer)) and k >= 1})
    if not ranks or len(ranks) != len(set(ks)):
        raise InputError(f"Ranks must be whole numbers ≥ 1; got {list(ks)}.")
    rng = np.random.default_rng(random_state)
    hidden = rng.random(V.shape) < fraction
    if not hidden.any():
        hidden.flat[int(rng.integers(V.size))] = True
    if hidden.all():
        hidden.flat[0] = False
    curves = [_errors(V, hidden, ranks, max_iter, tol, random_state, on_iteration)]
    if shuffled:
        curves.append(_errors(rng.permutation(V.ravel()).reshape(V.shape), hidden, ranks, max_iter, tol,
                              random_state, on_iteration))
    (seen, held), shuffled_curve = curves[0], (curves[1] if shuffled else (None, None))
    return HeldoutCurve(tuple(ranks), float(fraction), seen, held, *shuffled_curve)


def _errors(V, hidden, ranks, max_iter, tol, random_state, on_iteration) -> tuple[np.ndarray, np.ndarray]:
    """Relative error on the seen and on the hidden entries, one masked fit per rank."""
    V64 = V.astype(np.float64)
    seen_norm = np.sqrt(np.sum(V64[~hidden] ** 2)) or 1.0
    held_norm = np.sqrt(np.sum(V64[hidden] ** 2)) or 1.0
    seen_errors, held_errors = [], []
    for k in ranks:
        result = factorize(V, k, solver="mu", mask=~hidden, max_iter=max_iter, tol=tol, random_state=random_state,
                           on_iteration=on_iteration)
        residual = V64 - result.W.astype(np.float64) @ result.H.astype(np.float64)
        seen_errors.append(np.sqrt(np.sum(residual[~hidden] ** 2)) / seen_norm)
        held_errors.append(np.sqrt(np.sum(residual[hidden] ** 2)) / held_norm)
    return np.array(seen_errors), np.array(held_errors)
