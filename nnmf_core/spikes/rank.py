"""Choosing the rank: score every candidate k by fit, reproducibility
(consensus of random starts, Brunet et al. 2004) and separation, suggest one
in a sentence, and cap a scan's iterations to what one request may cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import cophenet, linkage
from scipy.spatial.distance import squareform

from nnmf_core._text import counted, times
from nnmf_core.errors import InputError
from nnmf_core.factorize import MAX_FIT_COST, factorize, fit_cost, iterations_within_budget
from nnmf_core.spikes.clustering import _assigned, _coordinates_for
from nnmf_core.spikes.metrics import _separation, stability
from nnmf_core.spikes.options import DEFAULT_ASSIGNMENT, DEFAULT_TRANSFORM, _checked_assignment, _checked_transform
from nnmf_core.spikes.transforms import _nonnegative, _rows_of_v, unit_norm_columns
from nnmf_core.spikes.validation import (
    _checked_count,
    _checked_k,
    _checked_random_state,
    _checked_shapes,
    _checked_waveforms,
    _seed_sequence,
)

#: Most waveforms whose pairwise consensus :func:`rank_scan` builds; larger
#: sets are scored on a seeded random subset of this size (the fits use all).
MAX_CONSENSUS_WAVEFORMS = 2_000


def consensus_matrix(label_sets: Sequence) -> np.ndarray:
    """Fraction of runs in which every pair of waveforms shares a cluster.

    Parameters
    ----------
    label_sets : sequence of array_like, each shape (n_waveforms,)

    Returns
    -------
    ndarray of float64, shape (n_waveforms, n_waveforms)
        Symmetric, ones on the diagonal (Brunet et al. 2004).
    """
    label_sets = [np.asarray(labels) for labels in label_sets]
    if not label_sets:
        raise InputError("A consensus needs at least one run.")
    n = label_sets[0].size
    C = np.zeros((n, n), dtype=np.float64)
    for labels in label_sets:
        _, codes = np.unique(labels, return_inverse=True)
        onehot = np.zeros((n, codes.max() + 1), dtype=np.float64)
        onehot[np.arange(n), codes] = 1.0
        C += onehot @ onehot.T
    return C / len(label_sets)


def cophenetic_correlation(consensus: np.ndarray) -> float:
    """How cleanly a consensus matrix splits into blocks (Brunet et al. 2004).

    The correlation between the distances 1 − C and the cophenetic distances
    of their average-linkage dendrogram: 1.0 when every run agreed, lower as
    runs disagree. A consensus with all distances equal (every pair always
    together, or never) is perfectly consistent and scores 1.0.

    Parameters
    ----------
    consensus : ndarray, shape (n, n)

    Returns
    -------
    float
    """
    distances = squareform(1.0 - np.asarray(consensus, dtype=np.float64), checks=False)
    if distances.size == 0 or np.ptp(distances) == 0:
        return 1.0
    tree = linkage(distances, method="average")
    correlation, _ = cophenet(tree, distances)
    return float(correlation)


#: :func:`suggested_rank` prefers the largest k whose closest clusters are
#: at least this far apart (d′, see :func:`separation`).
SEPARATION_THRESHOLD = 4.0


def rank_scan(
    waveforms,
    ks: Sequence[int] = range(2, 9),
    *,
    n_runs: int = 8,
    transform: str = DEFAULT_TRANSFORM,
    assignment: str = DEFAULT_ASSIGNMENT,
    solver: str = "hals",
    max_iter: int = 200,
    tol: float = 1e-4,
    random_state: int | None = 0,
    dtype=np.float32,
    on_rank=None,
) -> pd.DataFrame:
    """Score every candidate rank by fit, reproducibility and separation.

    For each k, ``n_runs`` fits start from different seeded random factors
    (the restarts of one :func:`~nnmf_core.factorize.factorize` call, every
    one kept, the way Brunet et al. 2004 build a consensus) and are assigned
    to clusters as :func:`cluster_waveforms` would.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    ks : sequence of int
        Ranks to try.
    n_runs : int
        Random starts per rank (≥ 2).
    transform, assignment, solver, max_iter, tol, dtype
        As for :func:`cluster_waveforms`.
    random_state : int or None
        Seed of all runs; the runs for a given k do not depend on which
        other ranks are scanned.
    on_rank : callable(done, total) or None
        Progress callback, called after each rank with the number of ranks
        scored so far and the number to score.

    Returns
    -------
    DataFrame, one row per k, columns
        ``k``;
        ``relative_error``: ‖V − WH‖/‖V‖ of the run with the smallest loss;
        ``cophenetic``: :func:`cophenetic_correlation` of the runs'
        :func:`consensus_matrix` (on at most :data:`MAX_CONSENSUS_WAVEFORMS`
        waveforms drawn with the seed);
        ``stability``: mean pairwise ARI of the runs' clusters;
        ``separation``: :func:`separation` (smallest d′) of the best run's
        clusters, measured on the waveforms;
        ``seconds``: time spent on this k.
    """
    X = _checked_waveforms(waveforms)
    _checked_count(n_runs, "n_runs", 2)
    ks = [_checked_k(k, X.shape[0]) for k in ks]
    if not ks:
        raise InputError("Give at least one rank to scan.")
    _checked_shapes(X, max(ks))
    _checked_assignment(assignment)
    _checked_transform(transform)
    _checked_random_state(random_state)
    return _rank_scan(X, ks, n_runs=n_runs, transform=transform, assignment=assignment, solver=solver,
                      max_iter=max_iter, tol=tol, random_state=random_state, dtype=dtype, on_rank=on_rank)


def _rank_scan(
    X: np.ndarray, ks: list, *, n_runs: int, transform: str, assignment: str, solver: str, max_iter: int, tol: float,
    random_state: int | None, dtype, on_rank,
) -> pd.DataFrame:
    """:func:`rank_scan` of checked waveforms (float64), ranks and options."""
    n_waveforms = X.shape[0]
    V, _ = _nonnegative(X, transform, dtype)
    entropy = _seed_sequence(random_state).entropy
    subset = np.arange(n_waveforms)
    if n_waveforms > MAX_CONSENSUS_WAVEFORMS:
        subset_rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(0,)))
        subset = np.sort(subset_rng.choice(n_waveforms, MAX_CONSENSUS_WAVEFORMS, replace=False))
    coordinates = _coordinates_for(X, assignment)
    rows = []
    for k in ks:
        started = time.perf_counter()
        fit, label_sets = _runs(X, V, k, n_runs=n_runs, assignment=assignment, solver=solver, max_iter=max_iter,
                                tol=tol, entropy=entropy, dtype=dtype, coordinates=coordinates)
        best = int(np.argmin(fit.restart_losses))
        rows.append(
            {
                "k": k,
                "relative_error": float(fit.relative_error),
                "cophenetic": cophenetic_correlation(consensus_matrix([labels[subset] for labels in label_sets])),
                "stability": stability(label_sets),
                "separation": _separation(X, label_sets[best]),
                "seconds": time.perf_counter() - started,
            }
        )
        if on_rank is not None:
            on_rank(len(rows), len(ks))
    return pd.DataFrame(rows)


def _runs(X: np.ndarray, V: np.ndarray, k: int, *, n_runs: int, assignment: str, solver: str, max_iter: int, tol: float,
          entropy: int, dtype, coordinates: np.ndarray | None = None) -> tuple:
    """The ``n_runs`` fits of one k — factorize's restarts, every one from its
    own random start, seeded by ``entropy`` and k alone — and every run's
    clusters. Returns the kept fit (smallest loss) and the list of labels."""
    label_sets = []

    def assign_run(run, W, H, history) -> None:
        W_unit, H_unit = unit_norm_columns(W, H)
        seed = int(np.random.SeedSequence(entropy, spawn_key=(2, k, run)).generate_state(1)[0] % 2**31)
        label_sets.append(_assigned(X, W_unit, H_unit, k, assignment, seed, coordinates))

    fit = factorize(
        V, k, solver=solver, init="random", max_iter=max_iter, tol=tol, n_restarts=n_runs,
        random_state=np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(1, k))), dtype=dtype,
        on_restart=assign_run,
    )
    return fit, label_sets


class RankSuggestion(NamedTuple):
    """What :func:`rank_suggestion` makes of a scan.

    Attributes
    ----------
    k : int
        The suggested rank (:func:`suggested_rank`).
    alternatives : tuple of int
        Neighbouring ranks the evidence does not rule out; empty when the
        suggestion is clear.
    reason : str
        The evidence in a sentence or two (:func:`suggestion_reason`).
    """

    k: int
    alternatives: tuple
    reason: str

    @property
    def unsure(self) -> bool:
        return bool(self.alternatives)


def suggested_rank(scan: pd.DataFrame) -> int:
    """The rank to suggest from a :func:`rank_scan`.

    Rule: the **largest k whose two closest clusters are still at least
    :data:`SEPARATION_THRESHOLD` = 4 d′ apart** (``separation`` column); if
    no k reaches it, the k with the largest separation (ties: the smaller k).
    Two Gaussian clusters of equal spread d′ = 4 apart are confused for about
    2 % of their waveforms (Φ(−d′/2)); one Gaussian unit cut in two by a
    straight border gives d′ ≈ 2.6 (:data:`CUT_UNIT_SEPARATION`), so a k
    whose closest pair is that close may have cut a unit.

    Why separation rather than the consensus scores: when k exceeds the
    number of units, the clustering cuts one unit in two — and cuts it the
    same way from every random start, so ``stability`` and ``cophenetic``
    stay near 1 (on the bundled synthetic set both are ≥ 0.98 at k = 5 with
    4 true units). The cut runs through the densest part of that unit, which
    d′ sees at once. The consensus columns stay in the scan to show how
    reproducible every k is. See :func:`rank_suggestion` for when the
    suggestion is unsure.

    Parameters
    ----------
    scan : DataFrame
        Output of :func:`rank_scan` (columns ``k`` and ``separation``).

    Returns
    -------
    int
    """
    return rank_suggestion(scan).k


def suggestion_reason(scan: pd.DataFrame) -> str:
    """Why :func:`suggested_rank` picked its k, and how sure it is, in words made from the scan.

    Examples
    --------
    >>> reason = suggestion_reason(pd.DataFrame({"k": [2, 3, 4], "separation": [5.0, 5.4, 2.1]}))
    >>> for sentence in reason.split(". "):
    ...     print(sentence[:64])
    k = 3 is the largest k whose two closest clusters are still d′ =
    At k = 4 the closest two are only d′ = 2.1 apart, no more than o
    >>> suggestion_reason(pd.DataFrame({"k": [2, 3, 4], "separation": [5.0, 4.4, 3.2]}))[:75]
    'k = 3 (unsure: k = 2 and 4 explain the data about as well). k = 3 is the la'
    """
    return rank_suggestion(scan).reason


#: d′ of the two halves of one Gaussian cut through its mean: the halves'
#: means lie 2·√(2/π) standard deviations apart and each spreads √(1 − 2/π).
CUT_UNIT_SEPARATION = 2 * math.sqrt(2 / math.pi) / math.sqrt(1 - 2 / math.pi)
#: A separation within this many d′ of :data:`SEPARATION_THRESHOLD` is
#: called close: from d′ = 3 to 5, two clusters share 7 % to 0.6 % of their
#: waveforms.
UNSURE_MARGIN = 1.0


def rank_suggestion(scan: pd.DataFrame) -> RankSuggestion:
    """The suggested rank of a :func:`rank_scan`, the ranks the evidence does
    not rule out, and a sentence that says both.

    The suggestion is :func:`suggested_rank`'s. It is called unsure, naming
    k − 1 and/or k + 1, when the separations leave room for them:

    - k + 1 when its two closest clusters are still at least
      :data:`SEPARATION_THRESHOLD` − :data:`UNSURE_MARGIN` = 3 d′ apart;
    - k − 1 when the suggestion's own separation is below
      :data:`SEPARATION_THRESHOLD` + :data:`UNSURE_MARGIN` = 5, or a smaller
      k falls below the threshold (the separations do not fall steadily);
    - both when no k reaches the threshold.

    Parameters
    ----------
    scan : DataFrame
        Output of :func:`rank_scan` (columns ``k`` and ``separation``).

    Returns
    -------
    RankSuggestion
    """
    if scan.empty or not {"k", "separation"} <= set(scan.columns):
        raise InputError("The rank scan is empty or lacks the columns 'k' and 'separation'.")
    scan = scan.sort_values("k")
    ks = [int(k) for k in scan["k"]]
    d = dict(zip(ks, scan["separation"].astype(float).fillna(-math.inf)))
    threshold, margin = SEPARATION_THRESHOLD, UNSURE_MARGIN
    separated = [k for k in ks if d[k] >= threshold]
    if not separated:
        k = ks[int(np.argmax([d[k] for k in ks]))]
        alternatives = tuple(j for j in (k - 1, k + 1) if j in d)
        reason = (f"No k keeps its two closest clusters d′ = {threshold:g} apart; k = {k} separates them best "
                  f"(d′ = {d[k]:.2g}). The waveforms may not fall into clean groups: take the suggestion with care.")
        return RankSuggestion(k, alternatives, reason)
    k = separated[-1]
    below = [j for j in ks if j < k and d[j] < threshold]
    alternatives = []
    if k - 1 in d and (d[k] < threshold + margin or below):
        alternatives.append(k - 1)
    if k + 1 in d and d[k + 1] >= threshold - margin:
        alternatives.append(k + 1)
    evidence = f"k = {k} is the largest k whose two closest clusters are still d′ = {d[k]:.2g} apart (at least {threshold:g})."
    notes = []
    if k + 1 in d:
        cut = f"one unit cut in two ({CUT_UNIT_SEPARATION:.1f} for a Gaussian unit)"
        if d[k + 1] >= threshold - margin:
            notes.append(f"At k = {k + 1} the closest two are still d′ = {d[k + 1]:.2g} apart, short of "
                         f"{threshold:g} but more than {cut}: a further unit is possible.")
        else:
            closeness = "no more than" if d[k + 1] <= CUT_UNIT_SEPARATION else "close to"
            notes.append(f"At k = {k + 1} the closest two are only d′ = {d[k + 1]:.2g} apart, {closeness} {cut}: "
                         "either a unit was cut, or units too alike to tell apart.")
    if d[k] < threshold + margin and k - 1 in d:
        notes.append(f"d′ = {d[k]:.2g} is close to the threshold: two of the {k} clusters may be one unit.")
    if below:
        notes.append(f"The separations do not fall steadily with k (k = {', '.join(map(str, below))} stays below "
                     f"{threshold:g}).")
    if alternatives:
        others = " and ".join(map(str, alternatives))
        head = f"k = {k} (unsure: k = {others} explain{'s' if len(alternatives) == 1 else ''} the data about as well). "
        return RankSuggestion(k, tuple(alternatives), head + " ".join([evidence, *notes]))
    return RankSuggestion(k, (), " ".join([evidence, *notes]))


class AffordableScan(NamedTuple):
    """Iterations one :func:`rank_scan` request may run, see :func:`affordable_scan`."""

    max_iter: int
    note: str | None


def affordable_scan(
    n_waveforms: int,
    n_samples: int,
    ks: Sequence[int] = range(2, 9),
    *,
    transform: str = DEFAULT_TRANSFORM,
    n_runs: int = 8,
    max_iter: int = 200,
    budget: float = MAX_FIT_COST,
) -> AffordableScan:
    """The iterations a :func:`rank_scan` call may run within ``budget``
    multiply-adds: ``n_runs`` fits at every k of ``ks``, with a sentence when
    they were capped.

    Raises
    ------
    InputError
        When even one iteration of every fit is more than ``budget``.

    Examples
    --------
    >>> affordable_scan(1_000, 150)
    AffordableScan(max_iter=200, note=None)
    >>> affordable_scan(20_000, 500).max_iter
    8
    """
    ks = [int(k) for k in ks]
    if not ks:
        raise InputError("Give at least one rank to scan.")
    rows = _rows_of_v(n_samples, transform)
    asked = fit_cost(rows, n_waveforms, sum(ks), max_iter, n_runs)
    where = (f"For {counted(n_waveforms, 'waveform')} of {counted(n_samples, 'sample')}, scanning "
             f"k = {min(ks)} … {max(ks)} with {n_runs} fits each")
    one_iteration = fit_cost(rows, n_waveforms, sum(ks), 1, n_runs)
    if one_iteration > budget:
        raise InputError(
            f"{where} would take about {times(one_iteration / budget)} what one request may use here even at one "
            "iteration per fit. Scan a part of the file (fewer waveforms or samples)."
        )
    if asked <= budget:
        return AffordableScan(max_iter, None)
    capped = iterations_within_budget(rows, n_waveforms, sum(ks), max_iter, n_runs, budget)
    return AffordableScan(capped, (
        f"{where}, {max_iter:,} iterations would take about {times(asked / budget)} what one request may use "
        f"here; capped at {counted(capped, 'iteration')}."))

