"""Choosing the rank: score every candidate k by fit, reproducibility
(consensus of random starts, Brunet et al. 2004), separation and prediction
strength (Tibshirani & Walther 2005), and cap a scan's iterations to what one
request may cost. Reading a scan into a suggestion is
:mod:`~nnmf_core.spikes.rank_rule`'s.
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
from sklearn.neighbors import NearestCentroid

from nnmf_core._text import counted, times
from nnmf_core.errors import InputError
from nnmf_core.factorize import MAX_FIT_COST, factorize, fit_cost, iterations_within_budget
from nnmf_core.spikes.alignment import _aligned
from nnmf_core.spikes.channels import checked_channels
from nnmf_core.spikes.clustering import (
    _aligns,
    _assigned,
    _checked_align,
    _cluster_waveforms,
    _coordinates_for,
)
from nnmf_core.spikes.metrics import _separation, _timing_split_share, stability
from nnmf_core.spikes.options import (
    DEFAULT_ASSIGNMENT,
    DEFAULT_RESTARTS,
    DEFAULT_TRANSFORM,
    _checked_assignment,
    _checked_transform,
)
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


#: Random halvings of the waveforms behind each k's prediction strength
#: (each scored both ways: first half predicts the second, and back).
PREDICTION_SPLITS = 2
#: The ranks a scan tries unless told otherwise (and the page's rank tab):
#: the suggestion is read from how the scores fall after a k, so the scan
#: goes two past the 8 units of a busy tetrode.
SCAN_RANKS = range(2, 11)


def prediction_strength(test_labels, predicted_labels) -> float:
    """How well clusters made on other waveforms keep these waveforms'
    clusters together (Tibshirani & Walther 2005).

    For every cluster of ``test_labels`` with at least two members, the share
    of its pairs of waveforms that ``predicted_labels`` (the same waveforms,
    each put with the nearest cluster of a clustering made without them)
    also puts together; the smallest share. 1.0 when every cluster stays
    whole; low when one is cut, as a cluster that is really half a unit is by
    a clustering that did not make the same cut.

    Examples
    --------
    >>> prediction_strength([0, 0, 1, 1], [5, 5, 7, 7])
    1.0
    >>> prediction_strength([0, 0, 0, 1, 1], [0, 0, 1, 2, 2])  # cluster 0 keeps 1 of its 3 pairs
    0.3333333333333333
    """
    test_labels, predicted_labels = np.asarray(test_labels), np.asarray(predicted_labels)
    if test_labels.shape != predicted_labels.shape:
        raise InputError("prediction_strength needs as many predicted labels as test labels.")
    shares = []
    for cluster in np.unique(test_labels):
        members = predicted_labels[test_labels == cluster]
        if members.size < 2:
            continue
        _, counts = np.unique(members, return_counts=True)
        shares.append(float((counts * (counts - 1)).sum()) / (members.size * (members.size - 1)))
    return min(shares) if shares else math.nan


def _halves_hold(n_waveforms: int, k: int) -> bool:
    """Whether each half of n_waveforms holds 2k waveforms: enough for prediction strength at k."""
    return n_waveforms // 2 >= 2 * k


def _halvings(X: np.ndarray, assignment: str, entropy: int) -> list:
    """:data:`PREDICTION_SPLITS` seeded halvings of X's rows, each half as
    (its rows, their :func:`_coordinates_for` ``assignment``): made once per
    scan, the same halves for every k."""
    n_waveforms = X.shape[0]
    halvings = []
    for split in range(PREDICTION_SPLITS):
        order = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(3, split))).permutation(n_waveforms)
        halves = (np.sort(order[: n_waveforms // 2]), np.sort(order[n_waveforms // 2:]))
        halvings.append([(rows, _coordinates_for(X[rows], assignment)) for rows in halves])
    return halvings


def _prediction_strength(X: np.ndarray, k: int, halvings: list, *, transform: str, assignment: str, solver: str,
                         max_iter: int, tol: float, entropy: int, dtype) -> float:
    """Mean :func:`prediction_strength` over the :func:`_halvings` of X, each
    half clustered at k as :func:`cluster_waveforms` would (the scan's
    method, NNDSVDa start, its restarts), each half's waveforms predicted by
    the other half's cluster means. NaN when a half has fewer than 2k
    waveforms."""
    if not _halves_hold(X.shape[0], k):
        return math.nan
    scores = []
    for split, halves in enumerate(halvings):
        seed = int(np.random.SeedSequence(entropy, spawn_key=(4, k, split)).generate_state(1)[0] % 2**31)
        labels = [_cluster_waveforms(X[rows], k, transform=transform, assignment=assignment, solver=solver,
                                     init="nndsvda", max_iter=max_iter, tol=tol, n_restarts=DEFAULT_RESTARTS,
                                     random_state=seed, dtype=dtype, on_iteration=None,
                                     coordinates=coordinates).labels for rows, coordinates in halves]
        for train, test in ((0, 1), (1, 0)):
            rows_train, rows_test = halves[train][0], halves[test][0]
            predicted = NearestCentroid().fit(X[rows_train], labels[train]).predict(X[rows_test])
            scores.append(prediction_strength(labels[test], predicted))
    return float(np.nanmean(scores)) if np.isfinite(scores).any() else math.nan


def rank_scan(
    waveforms,
    ks: Sequence[int] = SCAN_RANKS,
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
    channels: int = 1,
    align: bool | None = None,
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
    channels, align
        As for :func:`cluster_waveforms`: the waveforms are aligned once,
        before every fit of the scan, when :func:`cluster_waveforms` would
        align them (by default, rows of several channels), so the scan
        scores the clusterings the page makes.

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
        ``timing_split``: :func:`timing_split_share` of the best run's
        clusters: near 1 when two of them are one unit cut by the
        sub-sample timing of its spikes;
        ``smallest_cluster``: waveforms in the best run's smallest cluster
        (a handful is no unit: see :data:`~nnmf_core.spikes.MIN_UNIT_WAVEFORMS`);
        ``prediction_strength``: :func:`prediction_strength` of the method's
        clusters on two seeded halvings of the waveforms, each half predicted
        by the other's cluster means, averaged (NaN when a half holds fewer
        than 2k waveforms);
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
    channels = checked_channels(X.shape[1], channels)
    if _aligns(_checked_align(align), channels):
        X = _aligned(X, channels).waveforms
    return _rank_scan(X, ks, n_runs=n_runs, transform=transform, assignment=assignment, solver=solver,
                      max_iter=max_iter, tol=tol, random_state=random_state, dtype=dtype, on_rank=on_rank,
                      channels=channels)


def _rank_scan(
    X: np.ndarray, ks: list, *, n_runs: int, transform: str, assignment: str, solver: str, max_iter: int, tol: float,
    random_state: int | None, dtype, on_rank, channels: int = 1,
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
    halvings = _halvings(X, assignment, entropy) if _halves_hold(n_waveforms, min(ks)) else []
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
                "timing_split": _timing_split_share(X, label_sets[best], channels),
                "smallest_cluster": int(np.bincount(label_sets[best], minlength=k).min()),
                "prediction_strength": _prediction_strength(
                    X, k, halvings, transform=transform, assignment=assignment, solver=solver, max_iter=max_iter, tol=tol,
                    entropy=entropy, dtype=dtype),
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


class AffordableScan(NamedTuple):
    """Iterations one :func:`rank_scan` request may run, see :func:`affordable_scan`."""

    max_iter: int
    note: str | None


def affordable_scan(
    n_waveforms: int,
    n_samples: int,
    ks: Sequence[int] = SCAN_RANKS,
    *,
    transform: str = DEFAULT_TRANSFORM,
    n_runs: int = 8,
    max_iter: int = 200,
    budget: float = MAX_FIT_COST,
) -> AffordableScan:
    """The iterations a :func:`rank_scan` call may run within ``budget``
    multiply-adds: ``n_runs`` fits at every k of ``ks``, and the fits of its
    prediction strength (:data:`PREDICTION_SPLITS` halvings, each half with
    :data:`DEFAULT_RESTARTS` restarts: as many multiply-adds as that many
    fits of all the waveforms), with a sentence when they were capped.

    Raises
    ------
    InputError
        When even one iteration of every fit is more than ``budget``.

    Examples
    --------
    >>> affordable_scan(1_000, 150)
    AffordableScan(max_iter=200, note=None)
    >>> affordable_scan(20_000, 500).max_iter
    3
    """
    ks = [int(k) for k in ks]
    if not ks:
        raise InputError("Give at least one rank to scan.")
    rows = _rows_of_v(n_samples, transform)
    fits = n_runs + PREDICTION_SPLITS * DEFAULT_RESTARTS  # each halving: both halves, each with its restarts
    asked = fit_cost(rows, n_waveforms, sum(ks), max_iter, fits)
    where = (f"For {counted(n_waveforms, 'waveform')} of {counted(n_samples, 'sample')}, scanning "
             f"k = {min(ks)} … {max(ks)} with {n_runs} fits each and {PREDICTION_SPLITS} halvings")
    one_iteration = fit_cost(rows, n_waveforms, sum(ks), 1, fits)
    if one_iteration > budget:
        raise InputError(
            f"{where} would take about {times(one_iteration / budget)} what one request may use here even at one "
            "iteration per fit. Scan a part of the file (fewer waveforms or samples)."
        )
    if asked <= budget:
        return AffordableScan(max_iter, None)
    capped = iterations_within_budget(rows, n_waveforms, sum(ks), max_iter, fits, budget)
    return AffordableScan(capped, (
        f"{where}, {max_iter:,} iterations would take about {times(asked / budget)} what one request may use "
        f"here; capped at {counted(capped, 'iteration')}."))

