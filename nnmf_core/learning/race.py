"""The solvers raced: HALS, MU and KL-MU (our own) and scikit-learn's
coordinate descent, from one seeded start on one matrix, measured on one
yardstick (the relative error ‖V − WH‖ / ‖V‖), with a sentence on who won.

HALS and MU minimise ‖V − WH‖² and report it after every iteration, so their
curves are exact at every iteration. KL-MU minimises the Kullback–Leibler
divergence and scikit-learn reports nothing while it runs: both are run in
segments (:func:`~nnmf_core.learning.replay.segmented_fit`, and the same
continuation for scikit-learn, whose coordinate descent also keeps no state
but W and H), and their error is measured at the checkpoints of
:func:`~nnmf_core.learning.replay.snapshot_iterations`.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nnmf_core._text import times
from nnmf_core.errors import InputError
from nnmf_core.images import psnr
from nnmf_core.learning.replay import exact_loss, random_start, segmented_fit, snapshot_iterations

__all__ = ["RACERS", "RACER_LABELS", "Lap", "SolverRace", "solver_race", "race_steps"]

#: The solvers of a race, in the order they run.
RACERS = ("hals", "mu", "kl-mu", "sklearn-cd")
#: How the race names each solver.
RACER_LABELS = {
    "hals": "HALS",
    "mu": "MU (Lee–Seung)",
    "kl-mu": "KL-MU",
    "sklearn-cd": "scikit-learn cd",
}
#: What each solver minimises.
RACER_LOSSES = {
    "hals": "‖V − WH‖²",
    "mu": "‖V − WH‖²",
    "kl-mu": "KL divergence",
    "sklearn-cd": "‖V − WH‖²",
}
#: A solver "got there" once its error is within this share of the best final error.
WITHIN = 0.01
#: Final PSNRs closer than this (dB) are a tie.
LEVEL_DB = 0.05


@dataclass(frozen=True, eq=False)
class Lap:
    """One solver's run: its relative error where it is known, and when.

    ``iterations`` holds 0 (the start) then every iteration (HALS, MU) or the
    checkpoints (KL-MU, scikit-learn); ``seconds`` the time spent up to each.
    """

    name: str
    iterations: np.ndarray
    relative_error: np.ndarray
    seconds: np.ndarray
    psnr: float

    @property
    def label(self) -> str:
        return RACER_LABELS[self.name]

    @property
    def final_error(self) -> float:
        return float(self.relative_error[-1])

    @property
    def every_iteration(self) -> bool:
        return self.iterations.size == int(self.iterations[-1]) + 1

    def seconds_to(self, error: float) -> float | None:
        """Time when the error first was at most ``error`` (None: never)."""
        reached = np.flatnonzero(self.relative_error <= error)
        return float(self.seconds[reached[0]]) if reached.size else None


@dataclass(frozen=True, eq=False)
class SolverRace:
    """The laps of a race from one start, and what they show."""

    laps: tuple[Lap, ...]
    rank: int
    max_iter: int
    random_state: int

    @property
    def winner(self) -> Lap:
        """The lap that ends closest to V (lowest final relative error)."""
        return min(self.laps, key=lambda lap: lap.final_error)

    @property
    def rows(self) -> list[dict[str, object]]:
        """One row per solver for a table."""
        return [
            {
                "solver": lap.label,
                "minimises": RACER_LOSSES[lap.name],
                "iterations": int(lap.iterations[-1]),
                "seconds": round(float(lap.seconds[-1]), 3),
                "relative error": round(lap.final_error, 4),
                "PSNR (dB)": round(lap.psnr, 2),
                "error known at": "every iteration" if lap.every_iteration else f"{lap.iterations.size - 1} checkpoints",
            }
            for lap in self.laps
        ]

    @property
    def summary(self) -> str:
        """Who ended closest and by how much, who got there first, and what KL-MU aims at."""
        best = self.winner
        others = [lap for lap in self.laps if lap is not best]
        level = [lap for lap in others if best.psnr - lap.psnr < LEVEL_DB]
        behind = [lap for lap in others if lap not in level]
        ending = (f"After {self.max_iter:,} iterations from the same random start, {best.label} ends closest to the "
                  f"picture (relative error {best.final_error:.4f}, {best.psnr:.1f} dB PSNR)")
        if level:
            ending += f"; {_listed(lap.label for lap in level)} {'ends' if len(level) == 1 else 'end'} level with it"
        if behind:
            ending += "; " + _listed(f"{lap.label} {best.psnr - lap.psnr:.1f} dB behind" for lap in behind)
        target = best.final_error * (1 + WITHIN)
        arrivals = sorted(((lap.seconds_to(target), lap) for lap in self.laps if lap.seconds_to(target) is not None),
                          key=lambda pair: pair[0])
        first_seconds, first = arrivals[0]
        speed = f"First within {WITHIN:.0%} of that error: {first.label}, after {first_seconds:.2f} s"
        later = [f"{lap.label} took {times(seconds / first_seconds) if first_seconds > 0 else 'longer'}"
                 for seconds, lap in arrivals[1:]]
        never = [lap.label for lap in self.laps if lap.seconds_to(target) is None]
        if later:
            speed += "; " + _listed(later) + (" as long" if first_seconds > 0 else "")
        if never:
            speed += f"; {_listed(never)} never got there"
        sentences = [ending + ".", speed + "."]
        kl = next((lap for lap in self.laps if lap.name == "kl-mu"), None)
        if kl is best:
            sentences.append("KL-MU wins even on this yardstick, which is not the loss it minimises.")
        elif kl is not None:
            sentences.append("KL-MU minimises the Kullback–Leibler divergence, not this error, so it is expected "
                             "to trail here; it weighs relative misfits, which suits counts more than pixels.")
        return " ".join(sentences)


def _listed(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def race_steps(max_iter: int, racers: Sequence[str] = RACERS) -> int:
    """How many times a race calls ``on_iteration``: every iteration of HALS,
    MU and KL-MU, and each checkpoint of scikit-learn's run."""
    return sum(max_iter if name != "sklearn-cd" else len(snapshot_iterations(max_iter)) - 1 for name in racers)


def solver_race(
    V: np.ndarray,
    rank: int,
    *,
    max_iter: int = 200,
    random_state: int = 0,
    racers: Sequence[str] = RACERS,
    on_iteration: Callable[[int, float], bool | None] | None = None,
) -> SolverRace:
    """Race the solvers on ``V`` from one seeded random start.

    Parameters
    ----------
    V : ndarray, shape (n, m)
        Non-negative, entries in [0, 1] (a picture's matrix: PSNR takes 1 as the peak).
    rank : int
    max_iter : int
        Iterations for every solver (all run every one: ``tol=0``).
    random_state : int
        Seed of the start (:func:`~nnmf_core.learning.replay.random_start`).
    racers : sequence of str
        Names from :data:`RACERS`.
    on_iteration : callable(i, loss), optional
        Progress: each solver's iterations counted from 1 (each checkpoint for
        scikit-learn); :func:`race_steps` says how many calls in all.

    Returns
    -------
    SolverRace
        Seeded runs give the same errors every time; the seconds are measured.
    """
    unknown = [name for name in racers if name not in RACERS]
    if unknown or not racers:
        raise InputError(f"Race solvers must come from {', '.join(RACERS)}; got {list(racers)}.")
    V = np.ascontiguousarray(V, dtype=np.float32)
    if V.ndim != 2 or not np.isfinite(V).all() or (V < 0).any() or not V.any():
        raise InputError("A race needs a finite, non-negative 2-D matrix that is not all zero.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise InputError(f"max_iter must be a whole number ≥ 1; got {max_iter!r}.")
    start = random_start(V, rank, random_state)
    norm = math.sqrt(exact_loss(V, np.zeros((V.shape[0], 1), np.float32), np.zeros((1, V.shape[1]), np.float32)))
    laps = [_lap(name, V, rank, start, int(max_iter), norm, on_iteration) for name in racers]
    return SolverRace(tuple(laps), int(rank), int(max_iter), random_state)


def _lap(name, V, rank, start, max_iter, norm, on_iteration) -> Lap:
    """Run one solver from ``start`` and measure it."""
    start_error = math.sqrt(exact_loss(V, *start)) / norm
    checked: list[tuple[int, float, float]] = []
    final: list[np.ndarray] = []

    def at_checkpoint(iteration, W, H, seconds):
        if iteration:
            checked.append((iteration, math.sqrt(exact_loss(V, W, H)) / norm, seconds))
        final[:] = [W, H]

    if name == "sklearn-cd":
        _sklearn_segments(V, rank, start, snapshot_iterations(max_iter), at_checkpoint, on_iteration)
        iterations, errors, seconds = (np.array(column) for column in zip(*checked))
    elif name == "kl-mu":
        segmented_fit(V, rank, start, snapshot_iterations(max_iter), at_checkpoint, on_iteration=on_iteration,
                      solver="mu", loss="kullback-leibler")
        iterations, errors, seconds = (np.array(column) for column in zip(*checked))
    else:
        history, seconds = segmented_fit(V, rank, start, (0, max_iter), at_checkpoint, on_iteration=on_iteration,
                                         solver=name)
        iterations = np.arange(1, history.size + 1)
        errors = np.sqrt(np.maximum(history, 0.0)) / norm
    W, H = final
    return Lap(
        name=name,
        iterations=np.concatenate([[0], iterations]).astype(np.int64),
        relative_error=np.concatenate([[start_error], errors]).astype(np.float64),
        seconds=np.concatenate([[0.0], seconds]).astype(np.float64),
        psnr=psnr(V, np.clip(W @ H, 0.0, 1.0)),
    )


def _sklearn_segments(V, rank, start, checkpoints, at_checkpoint, on_iteration) -> None:
    """scikit-learn's coordinate descent continued from checkpoint to checkpoint
    (``init="custom"``, ``tol=0``); its time is the sum of its calls.
    scikit-learn is imported here, on a race's first use, so that the pages
    that only import this package do not wait for it."""
    from sklearn.decomposition import non_negative_factorization

    W, H = (array.copy() for array in start)
    done, elapsed = 0, 0.0
    at_checkpoint(0, W, H, 0.0)
    for target in checkpoints[1:]:
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "maximum number of iterations reached": wanted here
            W, H, n_iter = non_negative_factorization(V, W=W, H=H, n_components=rank, init="custom", solver="cd",
                                                      tol=0.0, max_iter=int(target) - done)
        elapsed += time.perf_counter() - began
        done += n_iter
        at_checkpoint(done, W, H, elapsed)
        if on_iteration is not None and on_iteration(done, exact_loss(V, W, H)):
            break
