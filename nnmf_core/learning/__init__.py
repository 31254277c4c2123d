"""NMF watched while it learns: a fit replayed iteration by iteration, the
solvers raced from one start, and how sparse the factors are.

Plain functions over NumPy arrays that return dataclasses, for the Learn NMF
pages and for anyone with a picture and a notebook::

    >>> from nnmf_core.compression import sample_working_image
    >>> from nnmf_core.learning import replay_fit
    >>> picture = sample_working_image("Coffee cup (colour)", 128)
    >>> replay = replay_fit(picture.pixels, rank=5, max_iter=30)
    >>> replay.iterations[:4], len(replay.loss_history)
    ((0, 1, 2, 3), 30)

Modules
-------
- ``replay``: :func:`replay_fit`, snapshots of one fit at log-spaced
  iterations, run in exact segments (:func:`segmented_fit`).
- ``race``: :func:`solver_race`, HALS, MU, KL-MU and scikit-learn's
  coordinate descent from one start, with a sentence on who won.
- ``sparseness``: :func:`hoyer_sparseness`.
"""

from nnmf_core.learning.race import RACER_LABELS, RACERS, Lap, SolverRace, race_steps, solver_race
from nnmf_core.learning.replay import (
    LEARNING_MODES,
    MAX_SNAPSHOTS,
    SNAPSHOT_BUDGET_BYTES,
    FitReplay,
    Snapshot,
    exact_loss,
    random_start,
    replay_fit,
    segmented_fit,
    snapshot_iterations,
)
from nnmf_core.learning.sparseness import hoyer_sparseness

__all__ = [
    "LEARNING_MODES",
    "MAX_SNAPSHOTS",
    "SNAPSHOT_BUDGET_BYTES",
    "RACERS",
    "RACER_LABELS",
    "FitReplay",
    "Snapshot",
    "Lap",
    "SolverRace",
    "exact_loss",
    "hoyer_sparseness",
    "race_steps",
    "random_start",
    "replay_fit",
    "segmented_fit",
    "snapshot_iterations",
    "solver_race",
]
