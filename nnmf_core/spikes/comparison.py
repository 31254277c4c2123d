"""Comparing methods, everything the spike page shows in one call: NMF
with the chosen settings, the reference notebook's recipe, and PCA + k-means,
scored without labels (silhouette, stability) and, given reference labels,
judged in a sentence; plus the iterations one such request may afford.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from nnmf_core._text import counted, times
from nnmf_core.factorize import MAX_FIT_COST, fit_cost, iterations_within_budget
from nnmf_core.spikes.baseline import PcaKmeans, _pca_kmeans
from nnmf_core.spikes.channels import checked_channels
from nnmf_core.spikes.clustering import SpikeClustering, _aligns, _checked_align, _checked_clustering, _cluster_waveforms
from nnmf_core.spikes.metrics import _ari, _checked_pair, _matched_accuracy, matched_confusion_table, silhouette, stability
from nnmf_core.spikes.options import DEFAULT_ASSIGNMENT, DEFAULT_RESTARTS, DEFAULT_TRANSFORM, method_name
from nnmf_core.spikes.transforms import _rows_of_v
from nnmf_core.spikes.validation import _seed_sequence

#: The reference notebook's recipe, for an honest comparison: every value
#: shifted by the global minimum, Lee–Seung multiplicative updates from a
#: random start for 1000 iterations, each waveform to its strongest template.
ARTICLE_RECIPE = dict(transform="shift", solver="mu", init="random", max_iter=1000, assignment="argmax", align=False)
#: Silhouettes are computed on at most this many waveforms (a seeded random
#: subset, the same for every method): the score costs O(n²).
MAX_SILHOUETTE_WAVEFORMS = 4_000
#: ARI differences smaller than this are called "about the same".
ARI_TIE = 0.02
#: Principal components of the PCA + k-means baseline.
BASELINE_COMPONENTS = 3


@dataclass(frozen=True, eq=False)
class MethodComparison:
    """What :func:`compare_methods` returns.

    Attributes
    ----------
    chosen : SpikeClustering
        NMF with the settings asked for.
    article : SpikeClustering
        NMF with :data:`ARTICLE_RECIPE` at the same k, restarts and seed
        (the same object as ``chosen`` when the settings are the recipe).
    baseline : PcaKmeans
        PCA (3 components) + k-means.
    baseline_restart_labels : list of ndarray
        The baseline's clusters from as many k-means seeds as NMF restarts
        (for its stability).
    names : dict of str -> str
        A label for a person for each of ``"chosen"``, ``"article"``,
        ``"baseline"``.
    silhouettes : dict of str -> float
        Mean silhouette of each method's clusters, on the waveforms
        (Euclidean), over at most :data:`MAX_SILHOUETTE_WAVEFORMS` of them.
    """

    chosen: SpikeClustering
    article: SpikeClustering
    baseline: PcaKmeans
    baseline_restart_labels: list
    names: dict
    silhouettes: dict

    @property
    def labels(self) -> dict:
        """Clusters of every method, keyed like ``names``."""
        return {"chosen": self.chosen.labels, "article": self.article.labels, "baseline": self.baseline.labels}

    @property
    def stabilities(self) -> dict:
        """Mean pairwise ARI over the restarts (k-means seeds for the baseline); NaN for one."""
        return {
            "chosen": self.chosen.restart_agreement,
            "article": self.article.restart_agreement,
            "baseline": stability(self.baseline_restart_labels),
        }

    def lean(self) -> MethodComparison:
        """This comparison with :meth:`SpikeClustering.lean` clusterings: a few
        arrays of one value per waveform instead of two copies of the data,
        what a cache should keep."""
        chosen = self.chosen.lean()
        article = chosen if self.article is self.chosen else self.article.lean()
        return replace(self, chosen=chosen, article=article)


def compare_methods(
    waveforms,
    k: int,
    *,
    transform: str = DEFAULT_TRANSFORM,
    assignment: str = DEFAULT_ASSIGNMENT,
    solver: str = "hals",
    init="nndsvda",
    max_iter: int = 500,
    tol: float = 1e-4,
    n_restarts: int = DEFAULT_RESTARTS,
    random_state: int | None = 0,
    on_iteration=None,
    article_max_iter: int | None = None,
    channels: int = 1,
    align: bool | None = None,
) -> MethodComparison:
    """Cluster with the chosen NMF settings, with the article's recipe and with
    PCA + k-means, and score all three without reference labels.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    k : int
        Number of clusters (the NMF rank).
    transform, assignment, solver, init, max_iter, tol, n_restarts, random_state
        The chosen settings, as for :func:`cluster_waveforms`. The article's
        recipe uses the same ``k``, ``tol``, ``n_restarts`` and
        ``random_state``.
    on_iteration : callable(i, loss) or None
        Progress of the chosen fit only (see :func:`cluster_waveforms`).
    article_max_iter : int, optional
        Iterations of the article's recipe instead of its 1000, for a request
        capped by :func:`affordable_comparison`.
    channels : int
        Channels in every row (C channels × T samples, one after another),
        passed to both NMF clusterings (see :func:`cluster_waveforms`).
    align : bool or None
        Whether the chosen clustering aligns the waveforms first (see
        :func:`cluster_waveforms`; None: when there are several channels).
        The article's recipe never does, and PCA + k-means sees the
        waveforms as they are.

    Returns
    -------
    MethodComparison

    Examples
    --------
    >>> from nnmf_core.datasets import synthetic_spikes
    >>> waveforms, units = synthetic_spikes(n_per_unit=40, random_state=2)
    >>> comparison = compare_methods(waveforms, 4, random_state=0)
    >>> sorted(comparison.silhouettes)
    ['article', 'baseline', 'chosen']
    """
    X, k = _checked_clustering(waveforms, k, transform, assignment, n_restarts, random_state)
    channels = checked_channels(X.shape[1], channels)
    align = _checked_align(align)
    chosen = _cluster_waveforms(
        X, k, transform=transform, assignment=assignment, solver=solver, init=init, max_iter=max_iter,
        tol=tol, n_restarts=n_restarts, random_state=random_state, dtype=np.float32, on_iteration=on_iteration,
        channels=channels, align=align,
    )
    recipe = dict(ARTICLE_RECIPE, max_iter=article_max_iter or ARTICLE_RECIPE["max_iter"])
    if _is_article_recipe(transform, solver, assignment, init) and not _aligns(align, channels):
        article = chosen
    else:
        article = _cluster_waveforms(X, k, tol=tol, n_restarts=n_restarts, random_state=random_state,
                                     dtype=np.float32, on_iteration=None, channels=channels, **recipe)
    seeds = [int(s.generate_state(1)[0] % 2**31) for s in _seed_sequence(random_state).spawn(max(int(n_restarts), 1))]
    baseline_runs = [_pca_kmeans(X, k, BASELINE_COMPONENTS, seed) for seed in seeds]
    names = {
        "chosen": method_name(transform, solver, assignment, aligned=chosen.shifts is not None),
        "article": method_name(recipe["transform"], recipe["solver"], recipe["assignment"]) + " (the article)",
        "baseline": f"PCA ({BASELINE_COMPONENTS} components) + k-means",
    }
    subset = np.arange(X.shape[0])
    if X.shape[0] > MAX_SILHOUETTE_WAVEFORMS:
        rng = np.random.default_rng(0)
        subset = np.sort(rng.choice(X.shape[0], MAX_SILHOUETTE_WAVEFORMS, replace=False))
    labels = {"chosen": chosen.labels, "article": article.labels, "baseline": baseline_runs[0].labels}
    return MethodComparison(
        chosen=chosen,
        article=article,
        baseline=baseline_runs[0],
        baseline_restart_labels=[run.labels for run in baseline_runs],
        names=names,
        silhouettes={role: silhouette(X[subset], found[subset]) for role, found in labels.items()},
    )


def _is_article_recipe(transform: str, solver: str, assignment: str, init) -> bool:
    """Whether these settings are :data:`ARTICLE_RECIPE` (then it is fitted only once)."""
    return (transform, solver, assignment, init) == tuple(
        ARTICLE_RECIPE[key] for key in ("transform", "solver", "assignment", "init"))


class AffordableComparison(NamedTuple):
    """Iterations one :func:`compare_methods` request may run, see :func:`affordable_comparison`."""

    max_iter: int
    article_max_iter: int
    note: str | None


def affordable_comparison(
    n_waveforms: int,
    n_samples: int,
    k: int,
    *,
    transform: str = DEFAULT_TRANSFORM,
    solver: str = "hals",
    assignment: str = DEFAULT_ASSIGNMENT,
    init="nndsvda",
    max_iter: int = 500,
    n_restarts: int = DEFAULT_RESTARTS,
    budget: float = MAX_FIT_COST,
) -> AffordableComparison:
    """The iterations a :func:`compare_methods` call may run within ``budget``
    multiply-adds (:func:`~nnmf_core.factorize.fit_cost`), with a sentence
    when they were capped.

    The request fits the chosen settings and, unless they are the recipe,
    :data:`ARTICLE_RECIPE` (1000 iterations) with the same restarts; when the
    two together cost more than ``budget``, both are cut by the same factor
    (each to at least 1 iteration) with
    :func:`~nnmf_core.factorize.iterations_within_budget`.

    Examples
    --------
    >>> affordable_comparison(1_000, 150, 4)
    AffordableComparison(max_iter=500, article_max_iter=1000, note=None)
    >>> affordable_comparison(20_000, 150, 8, max_iter=5_000, n_restarts=10)[:2]
    (94, 18)
    """
    rows = _rows_of_v(n_samples, transform)
    chosen = fit_cost(rows, n_waveforms, k, max_iter, n_restarts)
    separate = not _is_article_recipe(transform, solver, assignment, init)
    article_iter = ARTICLE_RECIPE["max_iter"]
    article = fit_cost(n_samples, n_waveforms, k, article_iter, n_restarts) if separate else 0.0
    if chosen + article <= budget:
        return AffordableComparison(max_iter, article_iter, None)
    share = budget / (chosen + article)
    capped = iterations_within_budget(rows, n_waveforms, k, max_iter, n_restarts, budget=share * chosen)
    capped_article = (iterations_within_budget(n_samples, n_waveforms, k, article_iter, n_restarts,
                                               budget=share * article) if separate else article_iter)
    asked = f"{max_iter:,} iterations" + (f" (and {article_iter:,} for the article's recipe, fitted for comparison)"
                                         if separate else "")
    result = f"{counted(capped, 'iteration')}" + (f" (the article's recipe at {capped_article:,})" if separate else "")
    note = (
        f"For {counted(n_waveforms, 'waveform')} of {counted(n_samples, 'sample')} at k = {k} with "
        f"{counted(n_restarts, 'restart')}, {asked} would take about {times((chosen + article) / budget)} what one "
        f"request may use here; capped at {result}."
    )
    return AffordableComparison(capped, capped_article, note)


@dataclass(frozen=True, eq=False)
class QualityReport:
    """What :func:`quality_report` returns.

    Attributes
    ----------
    table : DataFrame
        One row per method (chosen, article, baseline): ``method``,
        ``silhouette``, ``stability``, ``ari`` and ``accuracy`` (the share
        of waveforms in the cluster matched to their reference label; both
        NaN without reference labels).
    confusion : dict of str -> DataFrame
        :func:`~nnmf_core.spikes.metrics.matched_confusion_table` of every
        method (``"chosen"``, ``"article"``, ``"baseline"``) against the
        reference (empty without one).
    sentence : str
        The comparison in words, made from the numbers.
    """

    table: pd.DataFrame
    confusion: dict
    sentence: str


def _compared(difference: float, above: str, below: str, close: str) -> str:
    """Words for a difference of ARIs: ``above`` if it exceeds :data:`ARI_TIE`,
    ``below`` if it is under −ARI_TIE, else ``close``."""
    if difference > ARI_TIE:
        return above
    if difference < -ARI_TIE:
        return below
    return close


def quality_report(comparison: MethodComparison, reference=None, reference_name: str = "reference") -> QualityReport:
    """The numbers that judge the clusters, and a sentence saying what they mean.

    Parameters
    ----------
    comparison : MethodComparison
    reference : sequence of str or int, shape (n_waveforms,), optional
        Reference labels (ground truth, or any grouping to compare with).
    reference_name : str
        What the reference labels are called (the column's header): it heads
        the confusion tables' columns (``"unit 0"``, ``"unit 1"``, …).

    Returns
    -------
    QualityReport

    Examples
    --------
    >>> from nnmf_core.datasets import synthetic_spikes
    >>> waveforms, units = synthetic_spikes(n_per_unit=40, random_state=2)
    >>> report = quality_report(compare_methods(waveforms, 4, random_state=0), units)
    >>> list(report.table.columns)
    ['method', 'silhouette', 'stability', 'ari', 'accuracy']
    """
    roles = ("chosen", "article", "baseline")
    labels, stabilities = comparison.labels, comparison.stabilities
    aris = {role: math.nan for role in roles}
    accuracies = dict(aris)
    confusion = {}
    if reference is not None:
        _, reference = _checked_pair(labels["chosen"], reference)
        aris = {role: _ari(labels[role], reference) for role in roles}
        accuracies = {role: _matched_accuracy(labels[role], reference) for role in roles}
        confusion = {role: matched_confusion_table(labels[role], reference, reference_name) for role in roles}
    table = pd.DataFrame(
        {
            "method": [comparison.names[role] for role in roles],
            "silhouette": [comparison.silhouettes[role] for role in roles],
            "stability": [stabilities[role] for role in roles],
            "ari": [aris[role] for role in roles],
            "accuracy": [accuracies[role] for role in roles],
        }
    )
    if reference is None:
        sentence = (
            "Without reference labels only the silhouette (how tight and apart the clusters are, −1 … 1) and "
            "the stability (how alike the restarts' clusters are, 1 = identical) can be compared; pick a label "
            "column as reference to see the adjusted Rand index (ARI)."
        )
        return QualityReport(table, confusion, sentence)
    chosen, article, baseline = (aris[role] for role in roles)
    if comparison.article is comparison.chosen:
        first = f"These settings are the article's recipe: ARI {chosen:.3f} against the reference labels."
    else:
        gap = chosen - article
        how = _compared(gap, "far below" if gap >= 0.2 else "below", "above", "close to")
        first = (
            f"The article's recipe (global shift, multiplicative updates, argmax of H) matches the reference "
            f"labels with ARI {article:.3f}, {how} the {chosen:.3f} of the settings here."
        )
    versus = _compared(chosen - baseline, "beat", "fall behind", "are on a par with")
    second = f" These settings {versus} PCA + k-means (ARI {baseline:.3f})."
    return QualityReport(table, confusion, first + second)

