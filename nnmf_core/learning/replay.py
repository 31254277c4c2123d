"""A fit you can replay: W, H and the picture they make, kept at a few
log-spaced iterations of one factorization.

:func:`~nnmf_core.factorize` reports only ``(iteration, loss)`` while it runs,
so the fit is run in segments: each segment starts from the factors the last
one ended with (``init=(W, H)``) and runs to the next snapshot, with ``tol=0``.
The solvers keep no state between iterations besides W and H, so the loss
histories of the segments join into exactly the history of one uninterrupted
fit (checked in the tests, bit for bit), and each snapshot is the fit's own
state at that iteration.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nnmf_core.compression.matrices import fit_matrices, largest_rank
from nnmf_core.compression.picture import _smaller
from nnmf_core.errors import InputError
from nnmf_core.factorize import KL_EPS, factorize
from nnmf_core.images import matrix_to_image
from nnmf_core.learning.sparseness import hoyer_sparseness

__all__ = [
    "LEARNING_MODES",
    "MAX_SNAPSHOTS",
    "SNAPSHOT_BUDGET_BYTES",
    "snapshot_iterations",
    "random_start",
    "exact_loss",
    "segmented_fit",
    "Snapshot",
    "FitReplay",
    "replay_fit",
]

#: How a picture becomes the matrix of a learning view: luminance, or the
#: three colours side by side ([R | G | B], one W shared).
LEARNING_MODES = ("luminance", "colour")
#: Most snapshots one replay keeps (the start included).
MAX_SNAPSHOTS = 24
#: Most bytes the snapshots of one replay may hold.
SNAPSHOT_BUDGET_BYTES = 50_000_000
#: Longest side of the pictures a snapshot keeps.
PREVIEW_SIDE = 512
#: Most rows of W and columns of H a snapshot keeps for its heatmaps (1 in s beyond).
SHOWN_ROWS, SHOWN_COLUMNS = 400, 800


def snapshot_iterations(max_iter: int, count: int = MAX_SNAPSHOTS) -> tuple[int, ...]:
    """0 (the start), then roughly log-spaced iterations ending at ``max_iter``:
    at most ``count`` in all, dense at first where the picture changes fast.

    Examples
    --------
    >>> snapshot_iterations(5)
    (0, 1, 2, 3, 4, 5)
    >>> snapshot_iterations(300, 8)
    (0, 1, 3, 7, 17, 45, 116, 300)
    """
    if max_iter < 1 or count < 2:
        raise InputError(f"A replay needs at least 1 iteration and 2 snapshots; got {max_iter} and {count}.")
    if max_iter < count:
        return tuple(range(max_iter + 1))
    best = (1, max_iter)
    for num in range(count - 1, 20 * count):
        spaced = tuple(sorted({int(round(value)) for value in np.geomspace(1, max_iter, num)}))
        if len(spaced) > count - 1:
            break
        best = spaced
    return (0, *best)


def random_start(V: np.ndarray, rank: int, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random start, as factorize's ``init="random"`` makes it:
    entries |N(0, 1)| · sqrt(mean(V) / k), float32.

    Returns
    -------
    W0 : ndarray, shape (n, k)
    H0 : ndarray, shape (k, m)
    """
    V = np.asarray(V)
    if V.ndim != 2 or isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1:
        raise InputError(f"A start needs a 2-D V and a whole rank ≥ 1; got shape {V.shape} and rank {rank!r}.")
    rng = np.random.default_rng(random_state)
    scale = np.float32(math.sqrt(max(float(np.nanmean(V)), 0.0) / rank))
    H = np.abs(rng.standard_normal((rank, V.shape[1]))).astype(np.float32) * scale
    W = np.abs(rng.standard_normal((V.shape[0], rank))).astype(np.float32) * scale
    return W, H


def exact_loss(V: np.ndarray, W: np.ndarray, H: np.ndarray, loss: str = "frobenius", mask=None,
               rows_per_block: int = 256) -> float:
    """The loss of (W, H) computed directly, in float64, a block of rows at a time:
    ‖V − WH‖² (over the observed entries with ``mask``), or the generalised
    Kullback–Leibler divergence Σ V log(V / WH) − V + WH."""
    total = 0.0
    for start in range(0, V.shape[0], rows_per_block):
        block = slice(start, start + rows_per_block)
        data = V[block].astype(np.float64)
        product = W[block].astype(np.float64) @ H.astype(np.float64)
        if loss == "frobenius":
            terms = (data - product) ** 2
        else:
            product = np.maximum(product, KL_EPS)
            positive = data > 0
            terms = np.where(positive, data * np.log(np.where(positive, data, 1.0) / product), 0.0) - data + product
        if mask is not None:
            terms = np.where(mask[block], terms, 0.0)
        total += float(terms.sum())
    return total


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The fit at one iteration (0 is the start).

    ``picture`` is W·H as a picture (at most ``PREVIEW_SIDE`` px on its
    longest side); ``W`` and ``H`` keep 1 in ``row_step`` rows and 1 in
    ``column_step`` columns of the replay. ``loss`` is the fit's own loss,
    computed exactly from the full factors; ``relative_error`` is
    ‖V − WH‖ / ‖V‖ whatever the loss; ``seconds`` the fit's time so far.
    """

    iteration: int
    loss: float
    relative_error: float
    seconds: float
    picture: np.ndarray
    W: np.ndarray
    H: np.ndarray
    sparseness_W: float
    sparseness_H: float

    @property
    def nbytes(self) -> int:
        return self.picture.nbytes + self.W.nbytes + self.H.nbytes


@dataclass(frozen=True, eq=False)
class FitReplay:
    """One fit, replayable: its snapshots and its whole loss history.

    Attributes
    ----------
    mode, solver, loss : str
    rank, max_iter, random_state : int
    alpha, l1_ratio : float
    original : ndarray of uint8
        The fitted picture at the snapshots' size.
    snapshots : tuple of Snapshot
        Iteration 0 and the iterations of :func:`snapshot_iterations`.
    loss_history : ndarray of float64, shape (iterations,)
        The loss after every iteration, as one uninterrupted fit records it.
    seconds : ndarray of float64, shape (iterations,)
        Time spent iterating up to the end of each iteration.
    shape : tuple of int
        (n, m) of the fitted matrix V.
    row_step, column_step : int
        Snapshots keep W[::row_step] and H[:, ::column_step].
    """

    mode: str
    solver: str
    loss: str
    rank: int
    max_iter: int
    random_state: int
    alpha: float
    l1_ratio: float
    original: np.ndarray
    snapshots: tuple[Snapshot, ...]
    loss_history: np.ndarray
    seconds: np.ndarray
    shape: tuple[int, int]
    row_step: int
    column_step: int

    @property
    def iterations(self) -> tuple[int, ...]:
        return tuple(snapshot.iteration for snapshot in self.snapshots)

    @property
    def nbytes(self) -> int:
        """Bytes held by the snapshots (pictures and factors)."""
        return sum(snapshot.nbytes for snapshot in self.snapshots)

    @property
    def factor_ranges(self) -> tuple[float, float]:
        """Largest entry of W and of H over all snapshots: one colour scale for the whole replay."""
        return (max(float(s.W.max(initial=0.0)) for s in self.snapshots),
                max(float(s.H.max(initial=0.0)) for s in self.snapshots))


def replay_fit(
    pixels: np.ndarray,
    *,
    mode: str = "luminance",
    rank: int = 20,
    solver: str = "hals",
    loss: str = "frobenius",
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    max_iter: int = 200,
    random_state: int = 0,
    snapshots: int = MAX_SNAPSHOTS,
    budget_bytes: int = SNAPSHOT_BUDGET_BYTES,
    on_iteration: Callable[[int, float], bool | None] | None = None,
) -> FitReplay:
    """Fit W·H to a picture from a seeded random start, keeping snapshots.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m, 3) or (n, m)
    mode : {"luminance", "colour"}
        One gray matrix (n × m), or the colours side by side (n × 3m).
    rank, solver, loss, alpha, l1_ratio, max_iter
        As for :func:`~nnmf_core.factorize`; every iteration runs (``tol=0``).
    random_state : int
        Seed of the start (:func:`random_start`).
    snapshots : int
        Most snapshots to keep, start included (at most :data:`MAX_SNAPSHOTS`);
        fewer when ``budget_bytes`` could not hold them.
    on_iteration : callable(i, loss), optional
        Progress, with i counting the whole fit's iterations from 1.

    Returns
    -------
    FitReplay

    Raises
    ------
    InputError
        For an unknown mode, a rank beyond the picture, or options
        :func:`~nnmf_core.factorize` refuses.
    """
    if mode not in LEARNING_MODES:
        raise InputError(f"Unknown mode {mode!r} for a replay; choose luminance or colour.")
    largest = largest_rank(np.shape(pixels), mode)
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 1 <= rank <= largest:
        raise InputError(f"The rank must be a whole number from 1 to {largest} for this picture; got {rank!r}.")
    (_, V), = fit_matrices(pixels, mode)
    n, m = V.shape
    row_step, column_step = math.ceil(n / SHOWN_ROWS), math.ceil(m / SHOWN_COLUMNS)
    preview = _smaller(matrix_to_image(V, mode), PREVIEW_SIDE)
    per_snapshot = preview.nbytes + 4 * rank * (len(range(0, n, row_step)) + len(range(0, m, column_step)))
    count = int(max(2, min(snapshots, MAX_SNAPSHOTS, budget_bytes // per_snapshot)))
    norm_sq = float(np.vdot(V.astype(np.float64), V.astype(np.float64)))
    kept: list[Snapshot] = []

    def keep(iteration: int, W: np.ndarray, H: np.ndarray, seconds: float) -> None:
        frobenius = exact_loss(V, W, H)
        own = frobenius if loss == "frobenius" else exact_loss(V, W, H, loss)
        kept.append(Snapshot(
            iteration=iteration, loss=own, relative_error=math.sqrt(frobenius / norm_sq), seconds=seconds,
            picture=_smaller(matrix_to_image(W @ H, mode), PREVIEW_SIDE),
            W=np.ascontiguousarray(W[::row_step]), H=np.ascontiguousarray(H[:, ::column_step]),
            sparseness_W=hoyer_sparseness(W) if n > 1 else 0.0,
            sparseness_H=hoyer_sparseness(H) if rank > 1 else 0.0,
        ))

    history, seconds = segmented_fit(
        V, rank, random_start(V, rank, random_state), snapshot_iterations(max_iter, count), keep,
        on_iteration=on_iteration, solver=solver, loss=loss, alpha=alpha, l1_ratio=l1_ratio,
    )
    return FitReplay(
        mode=mode, solver=solver, loss=loss, rank=int(rank), max_iter=int(max_iter), random_state=random_state,
        alpha=float(alpha), l1_ratio=float(l1_ratio), original=preview, snapshots=tuple(kept),
        loss_history=history, seconds=seconds, shape=(n, m), row_step=row_step, column_step=column_step,
    )


def segmented_fit(
    V: np.ndarray,
    rank: int,
    start: tuple[np.ndarray, np.ndarray],
    checkpoints: Sequence[int],
    at_checkpoint: Callable[[int, np.ndarray, np.ndarray, float], None],
    *,
    on_iteration: Callable[[int, float], bool | None] | None = None,
    **options,
) -> tuple[np.ndarray, np.ndarray]:
    """Run :func:`~nnmf_core.factorize` from ``start`` through each of
    ``checkpoints`` (0 first, increasing), calling
    ``at_checkpoint(iteration, W, H, seconds)`` at each, the start included.

    ``options`` go to every segment (``tol`` is 0: a segment runs to its
    checkpoint). Time is measured per iteration, from the start of a segment's
    call to its first iteration and between iterations after that, so the
    final error each call computes after its last iteration is not counted.

    Returns
    -------
    loss_history : ndarray of float64, shape (iterations,)
    seconds : ndarray of float64, shape (iterations,)
        Cumulative time at the end of each iteration.
    """
    W, H = start
    histories, times = [np.empty(0)], [np.empty(0)]
    done, elapsed = 0, 0.0
    at_checkpoint(0, W, H, 0.0)
    for target in checkpoints[1:]:
        stamps: list[float] = []

        def step(i: int, loss: float, offset: int = done, stamps: list[float] = stamps) -> bool | None:
            stamps.append(time.perf_counter())
            return on_iteration(offset + i, loss) if on_iteration is not None else None

        began = time.perf_counter()
        result = factorize(V, rank, init=(W, H), max_iter=int(target) - done, tol=0.0, on_iteration=step, **options)
        times.append(elapsed + np.cumsum(np.diff([began, *stamps])))
        elapsed = float(times[-1][-1]) if stamps else elapsed
        W, H = result.W, result.H
        histories.append(result.loss_history)
        done += result.n_iter
        at_checkpoint(done, W, H, elapsed)
        if result.stopped_early:
            break
    return np.concatenate(histories), np.concatenate(times)
