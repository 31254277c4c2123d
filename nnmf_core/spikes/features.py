"""What a waveform looks like to the clustering: its shape and its amplitude
as NMF sees them, the Gaussian mixture that groups waveforms by both, the
refinement that settles the borders on the waveforms themselves, the
likelihood that says which of the two partitions to keep, and the
split-and-merge move that joins a unit cut in two while another cluster
holds two units. Both the mixture's
start and the refinement are trimmed k-means: the few waveforms that belong
to no unit (two spikes in one window) are left out of every mean.

A unit's spikes share a shape (the mix of templates in H) *and* a size: a
neuron farther from the electrode looks the same, only smaller. Scaling every
column of H to unit length keeps the shape and throws the size away, so units
that differ only in amplitude fall into one cluster.
:func:`shape_amplitude_features` keeps both, each as a relative change.

>>> W = np.eye(2)
>>> H = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
>>> shape_amplitude_features(W, H, amplitude_weight=1.0).round(3).tolist()
[[1.0, 0.0, 0.0], [1.0, 0.0, 0.693], [0.0, 1.0, 1.099]]
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import kmeans_plusplus
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from nnmf_core.errors import InputError
from nnmf_core.spikes.metrics import CUT_UNIT_SEPARATION, _robust_separation

#: λ in :func:`shape_amplitude_features`: how much a relative change of
#: amplitude weighs against a change of mix (a 10 % larger spike moves as far
#: as a mix turned by 0.3 radian). Chosen on the realistic benchmark's tuning
#: seeds (``bench/bench_spikes_realistic.py``, seed offset 0).
AMPLITUDE_WEIGHT = 3.0
#: Trimmed k-means starts (k-means++) that seed the Gaussian mixture; the
#: least trimmed inertia wins. 10 starts left the partition of some
#: 8-unit recordings to the seed (stability 0.948 on the realistic tuning
#: set); 20 made it 0.953 (with the screening of :data:`TRIM_FIRST_STEPS`).
MIXTURE_KMEANS_INITS = 20
#: Share of the waveforms left out while cluster means are estimated: those
#: farthest from every mean (trimmed k-means, :func:`_trimmed_kmeans`). Two
#: units firing within one waveform's window, or a spike cut by the window,
#: make waveforms that belong to no unit, a few percent of a recording;
#: untrimmed, k-means gives them a cluster of their own and pays for it by
#: merging two units. On the realistic benchmark's tuning set 0.02 still
#: left such clusters and 0.10 cost accuracy on 5- and 8-unit recordings.
TRIMMED_SHARE = 0.05
#: Most steps of trimmed k-means (it stops once no waveform changes cluster or kept set).
TRIM_MAX_STEPS = 100
#: Every start of the mixture's trimmed k-means runs this many steps; the
#: :data:`TRIM_KEPT_STARTS` with the least trimmed inertia then run to the
#: end (the strategy of García-Escudero et al.'s TCLUST): most of the
#: starts' steps went to starts that lose anyway.
TRIM_FIRST_STEPS = 3
TRIM_KEPT_STARTS = 5
#: The mixture's covariance is regularised by this fraction of the features'
#: mean variance, so that a tight cluster cannot shrink the shared covariance
#: to nothing.
MIXTURE_REGULARISATION = 1e-2
#: EM iterations of the mixture.
MIXTURE_MAX_ITER = 200
#: Principal components of the waveforms in which a partition's likelihood
#: is measured (:func:`_classification_likelihood`): enough to hold every
#: unit's mean and the noise around it, few enough that one covariance is
#: estimated well from a few hundred waveforms. On the realistic benchmark
#: any number from 15 to 50 chose the same partitions; 5 and 10 were too few.
LIKELIHOOD_COMPONENTS = 30
#: d′ (:func:`~nnmf_core.spikes.metrics._robust_separation`) from which the two
#: halves of a cluster are taken for two units (:func:`_cut_units_joined`):
#: above what cutting one unit in two gives, 2.7 for a Gaussian cloud and 3.5
#: for a uniform one, and the separation the rank suggestion asks of two units.
SPLIT_SEPARATION = 4.0
#: Waveforms each half needs to count as a unit there (fewer: a handful of overlapping spikes).
SPLIT_MIN_SIZE = 20
#: Trimmed 2-means starts (k-means++) that cut a cluster in two; the least trimmed inertia wins.
SPLIT_STARTS = 5


def shape_amplitude_features(W, H, amplitude_weight: float = AMPLITUDE_WEIGHT) -> np.ndarray:
    """Every waveform's shape and amplitude as NMF sees them, on one relative scale.

    ``[h / ‖h‖, λ · ln ‖W h‖]`` for every column h of H: the direction of the
    weights (which templates in which mix — a unit's shape, and on several
    channels its spatial pattern) and the log of the size of the waveform W h
    that NMF rebuilt (its amplitude). A 10 % change of amplitude moves
    ln ‖W h‖ by about 0.1, and a change of mix by 0.1 radian moves the
    direction by about 0.1: both are relative errors, weighed by λ. The log
    makes a unit's spread from spike to spike (which is multiplicative) the
    same at every amplitude.

    Parameters
    ----------
    W : array_like, shape (n_rows, k)
        Templates, best with unit-norm columns (:func:`unit_norm_columns`) so
        that the weights of different templates are comparable.
    H : array_like, shape (k, n_waveforms)
        Non-negative weights.
    amplitude_weight : float
        λ, > 0.

    Returns
    -------
    ndarray of float64, shape (n_waveforms, k + 1)
        One row per waveform. A waveform with no weight at all gets a zero
        direction and the smallest amplitude of the others.
    """
    W = np.asarray(W, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    if W.ndim != 2 or H.ndim != 2 or W.shape[1] != H.shape[0] or H.shape[0] < 1:
        raise InputError(f"W (n × k) and H (k × m) must share k ≥ 1; they have shapes {W.shape} and {H.shape}.")
    if not (np.isfinite(W).all() and np.isfinite(H).all()) or W.min() < 0 or H.min() < 0:
        raise InputError("W and H must hold finite, non-negative numbers.")
    if not amplitude_weight > 0:
        raise InputError(f"amplitude_weight must be > 0; got {amplitude_weight!r}.")
    return _shape_amplitude_features(W, H, float(amplitude_weight))


def _shape_amplitude_features(W: np.ndarray, H: np.ndarray, amplitude_weight: float) -> np.ndarray:
    """:func:`shape_amplitude_features` of checked factors (float64)."""
    weights = np.asarray(H, dtype=np.float64).T
    lengths = np.linalg.norm(weights, axis=1, keepdims=True)
    direction = weights / np.where(lengths > 0, lengths, 1.0)
    W = np.asarray(W, dtype=np.float64)
    # ‖W h‖ through the k × k Gram matrix: never the n_waveforms × n_rows product W·H
    size = np.sqrt(np.maximum(np.einsum("ij,ij->i", weights @ (W.T @ W), weights), 0.0))[:, None]
    positive = size[size > 0]
    floor = float(positive.min()) if positive.size else 1.0
    return np.hstack([direction, amplitude_weight * np.log(np.maximum(size, floor))])


def _trimmed_count(n: int, k: int) -> int:
    """How many of n waveforms trimmed k-means leaves out (:data:`TRIMMED_SHARE`), keeping at least k."""
    return max(0, min(int(TRIMMED_SHARE * n), n - k))


@dataclass(frozen=True)
class _TrimmedFit:
    labels: np.ndarray  # nearest centre of every point, the trimmed ones included
    kept: np.ndarray  # the points the centres are the means of
    centres: np.ndarray
    inertia: float  # squared distances of the kept points to their centres


def _trimmed_kmeans(points: np.ndarray, centres: np.ndarray, n_trimmed: int,
                    max_steps: int = TRIM_MAX_STEPS) -> _TrimmedFit:
    """Trimmed k-means from ``centres`` (Cuesta-Albertos, Gordaliza & Matrán
    1997): the centres are the means of the points nearest to them, all but
    the ``n_trimmed`` farthest from every centre.

    Each step puts every point with its nearest centre, keeps the
    n − n_trimmed nearest to theirs (the concentration step) and moves each
    centre to the mean of its kept points; a centre left with none moves to
    the kept point farthest from its own. It stops when no point changes
    cluster or kept set, or after ``max_steps`` moves of the centres. The
    trimmed points still get the nearest centre's label: nothing is left
    unassigned. (scikit-learn's k-means has no trimming.)
    """
    n, k = points.shape[0], centres.shape[0]
    squared_norms = np.einsum("ij,ij->i", points, points)[:, None]
    centres = np.array(centres, dtype=np.float64)
    labels = kept = None
    for step in range(max_steps + 1):
        distances = np.maximum(squared_norms - 2.0 * points @ centres.T + np.einsum("ij,ij->i", centres, centres), 0.0)
        now_labels = distances.argmin(axis=1)
        nearest = distances[np.arange(n), now_labels]
        now_kept = np.ones(n, dtype=bool)
        if n_trimmed:
            now_kept[np.argpartition(nearest, n - n_trimmed)[n - n_trimmed:]] = False
        settled = labels is not None and np.array_equal(now_labels, labels) and np.array_equal(now_kept, kept)
        labels, kept = now_labels, now_kept
        if settled or step == max_steps:
            break
        centres, counts = _cluster_means(points[kept], labels[kept], k)
        spare = nearest.copy()
        for empty in np.flatnonzero(counts == 0):
            farthest = np.flatnonzero(kept)[np.argmax(spare[kept])]
            centres[empty] = points[farthest]
            spare[farthest] = -np.inf
    return _TrimmedFit(labels.astype(np.int64), kept, centres, float(nearest[kept].sum()))


def _best_trimmed_kmeans(points: np.ndarray, k: int, seeds: np.random.RandomState, n_starts: int,
                         kept_starts: int | None = None) -> _TrimmedFit:
    """The trimmed k-means fit (:func:`_trimmed_kmeans`) of least trimmed inertia
    from ``n_starts`` k-means++ starts drawn from ``seeds``; with
    ``kept_starts``, every start first runs :data:`TRIM_FIRST_STEPS` steps and
    only the ``kept_starts`` best of them run to the end."""
    n_trimmed = _trimmed_count(points.shape[0], k)
    starts = [kmeans_plusplus(points, k, random_state=seeds.randint(2**31 - 1))[0] for _ in range(n_starts)]
    if kept_starts is not None:
        short = [_trimmed_kmeans(points, start, n_trimmed, TRIM_FIRST_STEPS) for start in starts]
        starts = [short[i].centres for i in sorted(range(len(short)), key=lambda i: short[i].inertia)[:kept_starts]]
    return min((_trimmed_kmeans(points, start, n_trimmed) for start in starts), key=lambda fit: fit.inertia)


def _tied_mixture_labels(points: np.ndarray, k: int, random_state: int) -> np.ndarray:
    """Clusters of a Gaussian mixture with one shared (tied) full covariance.

    The noise that spreads a unit's spikes is the recording's, the same for
    every unit, hence one covariance for all. EM starts from the centres of
    the best of :data:`MIXTURE_KMEANS_INITS` trimmed k-means runs (from
    k-means++ starts), so that it starts near a good partition and the
    result depends little on the seed, and it is fitted to the waveforms
    trimmed k-means kept: overlapping spikes neither pull a unit's mean nor
    claim a component. Every waveform then goes to its likeliest component.
    """
    points = np.asarray(points, dtype=np.float64)
    if k == 1:
        return np.zeros(points.shape[0], dtype=np.int64)
    best = _best_trimmed_kmeans(points, k, np.random.RandomState(random_state), MIXTURE_KMEANS_INITS, TRIM_KEPT_STARTS)
    regularisation = MIXTURE_REGULARISATION * float(points.var(axis=0).mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # an EM short of tol still improved on k-means
        mixture = GaussianMixture(
            k, covariance_type="tied", means_init=best.centres, random_state=random_state,
            reg_covar=max(regularisation, 1e-12), max_iter=MIXTURE_MAX_ITER,
        ).fit(points[best.kept])
    return mixture.predict(points).astype(np.int64)


def _cluster_means(X: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean row of each of k clusters (zeros for an empty one) and the clusters' sizes."""
    members = (np.asarray(labels)[:, None] == np.arange(k)).astype(np.float64)
    counts = members.sum(axis=0).astype(np.int64)
    return members.T @ X / np.maximum(counts, 1)[:, None], counts


def _refined_by_nearest_mean(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Clusters moved until every waveform is nearest to its own cluster's mean
    (trimmed k-means rounds, :func:`_trimmed_kmeans`, from the clusters' means).

    A unit is a mean waveform plus the recording's noise, so a waveform
    belongs to the unit whose mean it is closest to. The mixture on the NMF
    features finds the units; these rounds, on the full waveforms (every
    sample and channel, not the k + 1 features), settle who is on which side
    of a border. The means leave out the :data:`TRIMMED_SHARE` of waveforms
    farthest from every mean. A cluster the mixture left empty starts from
    the waveform farthest from its own cluster's mean.
    """
    X = np.asarray(X, dtype=np.float64)
    means, counts = _cluster_means(X, labels, k)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        distances = ((X - means[labels]) ** 2).sum(axis=1)
        means[empty] = X[np.argsort(distances)[::-1][: empty.size]]
    return _trimmed_kmeans(X, means, _trimmed_count(X.shape[0], k)).labels


def _classification_likelihood(Z: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Log-likelihood per waveform of a partition read as a classification
    into Gaussian clusters that share one covariance (the recording's noise),
    their means and that covariance estimated from the partition itself.

    ``Z`` holds the waveforms' coordinates on their first principal
    components. Up to constants the same for every partition of the same
    waveforms, it is ``−½ ln det Σ + Σ_j (n_j / n) ln(n_j / n)``: tighter
    clusters and the same noise everywhere score higher. −inf when the
    residuals span no volume (fewer waveforms than dimensions).
    """
    n, d = Z.shape
    means, counts = _cluster_means(Z, labels, k)
    residuals = Z - means[labels]
    covariance = residuals.T @ residuals / n
    covariance += 1e-6 * np.trace(covariance) / d * np.eye(d)  # a floor for directions with no noise at all
    sign, log_det = np.linalg.slogdet(covariance)
    if sign <= 0 or not np.isfinite(log_det):
        return -np.inf
    shares = counts[counts > 0] / n
    return float(-0.5 * log_det + np.sum(shares * np.log(shares)))


def _principal_coordinates(X: np.ndarray) -> np.ndarray:
    """The waveforms on their first :data:`LIKELIHOOD_COMPONENTS` principal
    components (fewer when the table has fewer samples or waveforms): where
    :func:`_likelier_of_refined` compares partitions. Computed once per table
    by its callers, not once per restart or rank."""
    components = min(LIKELIHOOD_COMPONENTS, X.shape[1], X.shape[0] - 1)
    if components < 1:
        return np.zeros((X.shape[0], 0))
    return PCA(n_components=components, random_state=0).fit_transform(np.asarray(X, dtype=np.float64))


def _likelier_of_refined(X: np.ndarray, labels: np.ndarray, k: int, coordinates: np.ndarray | None = None) -> np.ndarray:
    """The mixture's clusters or their nearest-mean refinement
    (:func:`_refined_by_nearest_mean`), whichever is the likelier
    classification of the waveforms (:func:`_classification_likelihood` on
    ``coordinates``, the waveforms' :func:`_principal_coordinates`, made here
    when not given).

    The rounds settle borders on the full waveforms and mostly help; where
    units share one size and differ only in where on the probe they are
    large, a nearest-mean border can cut a unit and join two others, and the
    mixture's partition is the likelier one. A tie keeps the refinement, and
    so does a mixture that left a cluster empty (it made fewer than k
    clusters, whose likelihood is not comparable; the refinement starts the
    empty one from the farthest waveform).
    """
    refined = _refined_by_nearest_mean(X, labels, k)
    if k == 1 or np.array_equal(refined, labels) or not np.bincount(labels, minlength=k).all():
        return refined
    Z = _principal_coordinates(X) if coordinates is None else coordinates
    if Z.shape[1] == 0:
        return refined
    kept = _classification_likelihood(Z, labels, k) > _classification_likelihood(Z, refined, k)
    return labels if kept else refined


def _cut_units_joined(X: np.ndarray, labels: np.ndarray, k: int, random_state: int) -> np.ndarray:
    """The clusters with every unit cut in two joined again, while another
    cluster holds two units: the moves of split-and-merge, taken only when the
    d′ of both says so.

    A unit far smaller than the others spreads widely in the mixture's
    relative features (the noise is a larger share of it), so the mixture
    can cut it in two and pay with two large units of one shape in one
    cluster; the nearest-mean rounds keep that. Here the two closest
    clusters (:func:`~nnmf_core.spikes.metrics._robust_separation` on the
    waveforms) are joined when they are no farther apart than one unit cut in
    two (:data:`~nnmf_core.spikes.metrics.CUT_UNIT_SEPARATION`), and the
    other cluster whose two halves (trimmed 2-means) lie farthest apart is
    cut, when they are at least :data:`SPLIT_SEPARATION` apart; then the
    nearest-mean rounds settle the borders, up to k times. Units too alike to
    tell apart (on one channel, d′ 0.7–3.5 between neighbours) are left as
    the rounds made them: no cluster holds two halves that far apart.
    """
    X = np.asarray(X, dtype=np.float64)
    seeds = np.random.RandomState(random_state)
    for _ in range(k):
        members = [np.flatnonzero(labels == cluster) for cluster in range(k)]
        pairs = [(_robust_separation(X[members[a]], X[members[b]]), a, b)
                 for a in range(k) for b in range(a + 1, k) if members[a].size > 1 and members[b].size > 1]
        if not pairs:
            break
        closest, a, b = min(pairs)
        if closest > CUT_UNIT_SEPARATION:
            break
        best = None
        for cluster in (c for c in range(k) if c not in (a, b) and members[c].size >= 2 * SPLIT_MIN_SIZE):
            points = X[members[cluster]]
            halves = _best_trimmed_kmeans(points, 2, seeds, SPLIT_STARTS).labels
            if np.bincount(halves, minlength=2).min() < SPLIT_MIN_SIZE:
                continue
            apart = _robust_separation(points[halves == 0], points[halves == 1])
            if best is None or apart > best[0]:
                best = (apart, cluster, halves)
        if best is None or best[0] < SPLIT_SEPARATION:
            break
        _, cluster, halves = best
        moved = labels.copy()
        moved[members[b]] = a
        moved[members[cluster][halves == 1]] = b
        moved = _refined_by_nearest_mean(X, moved, k)
        if np.array_equal(moved, labels):
            break
        labels = moved
    return labels
