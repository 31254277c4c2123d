"""Clustering spike waveforms with NMF: the assignment rules, a stable
numbering of clusters, and :func:`cluster_waveforms`, which transforms,
factors (with factorize's restarts), assigns and renumbers in one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from nnmf_core.errors import InputError
from nnmf_core.factorize import NMFResult, factorize
from nnmf_core.spikes.alignment import MAX_ALIGNMENT_SHIFT, _aligned, _shifted
from nnmf_core.spikes.channels import checked_channels
from nnmf_core.spikes.features import (
    AMPLITUDE_WEIGHT,
    _cut_units_joined,
    _likelier_of_refined,
    _principal_coordinates,
    _shape_amplitude_features,
    _tied_mixture_labels,
)
from nnmf_core.spikes.metrics import stability
from nnmf_core.spikes.options import (
    DEFAULT_ASSIGNMENT,
    DEFAULT_RESTARTS,
    DEFAULT_TRANSFORM,
    _checked_assignment,
    _checked_transform,
)
from nnmf_core.spikes.transforms import _nonnegative, templates_from_w, unit_norm_columns
from nnmf_core.spikes.validation import (
    _checked_count,
    _checked_k,
    _checked_random_state,
    _checked_shapes,
    _checked_waveforms,
    _seed_sequence,
)

#: k-means initialisations (k-means++) whenever k-means assigns clusters; the
#: one with the least inertia is kept.
KMEANS_INITS = 4


def clusters_from_h(H: np.ndarray) -> np.ndarray:
    """The article's rule: every waveform joins the template with its largest weight.

    Apply to H after :func:`unit_norm_columns`.

    Parameters
    ----------
    H : ndarray, shape (k, n_waveforms)

    Returns
    -------
    ndarray of int, shape (n_waveforms,)
        Row index of the largest entry of every column (the first on ties).

    Examples
    --------
    >>> clusters_from_h(np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]])).tolist()
    [0, 1, 0]
    """
    H = np.asarray(H)
    if H.ndim != 2 or H.shape[0] < 1:
        raise InputError(f"H must be a k × n matrix with k ≥ 1; it has shape {H.shape}.")
    return _clusters_from_h(H)


def _clusters_from_h(H: np.ndarray) -> np.ndarray:
    return np.argmax(H, axis=0).astype(np.int64)


def clusters_by_kmeans(H: np.ndarray, k: int, random_state: int = 0, n_init: int = KMEANS_INITS) -> np.ndarray:
    """k-means on the columns of H, each scaled to unit length first.

    Scaling makes the distance depend on the mix of templates, not on the
    amplitude of the spike (cosine-like), which is what a unit shares.

    Parameters
    ----------
    H : ndarray, shape (n_components, n_waveforms)
    k : int
        Number of clusters.
    random_state : int
        Seed of k-means.
    n_init : int
        k-means initialisations; the one with the least inertia is kept.

    Returns
    -------
    ndarray of int, shape (n_waveforms,)
    """
    points = _unit_length_points(H)
    k = _checked_k(k, points.shape[0])
    return _kmeans_labels(points, k, random_state, n_init)


def _clusters_by_kmeans(H: np.ndarray, k: int, random_state: int, n_init: int) -> np.ndarray:
    """:func:`clusters_by_kmeans` for a k that fits the number of waveforms."""
    return _kmeans_labels(_unit_length_points(H), k, random_state, n_init)


def _unit_length_points(H: np.ndarray) -> np.ndarray:
    """The columns of H as points (one per row), each scaled to unit length (zero columns left alone)."""
    points = np.asarray(H, dtype=np.float64).T
    lengths = np.linalg.norm(points, axis=1, keepdims=True)
    return points / np.where(lengths > 0, lengths, 1.0)


def _kmeans_labels(points: np.ndarray, k: int, random_state: int, n_init: int) -> np.ndarray:
    """scikit-learn's k-means on one OpenMP thread: the point sets here are
    small, and on a busy machine its per-iteration thread barrier can turn
    milliseconds into seconds."""
    with threadpool_limits(limits=1, user_api="openmp"):
        model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state)
        return model.fit_predict(points).astype(np.int64)


def _energy_centroid(mean_waveform: np.ndarray) -> float:
    """The time (in samples) around which a waveform's energy sits."""
    energy = mean_waveform**2
    total = energy.sum()
    if total <= 0:
        return math.inf
    return float(energy @ np.arange(energy.size) / total)


def stable_order(waveforms: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """A renumbering of clusters that does not depend on how a run numbered them.

    Clusters are ordered by the energy centroid of their mean waveform (the
    sample around which the squared mean waveform is balanced): narrow
    spikes come before broad ones with a late repolarisation peak. Empty
    clusters come last. The same members always give the same number, so
    colours do not jump between reruns.

    Parameters
    ----------
    waveforms : ndarray, shape (n_waveforms, n_samples)
    labels : ndarray of int, shape (n_waveforms,), values in 0..n_clusters-1
    n_clusters : int

    Returns
    -------
    ndarray of int, shape (n_clusters,)
        ``order[new] = old``; relabel with ``np.argsort(order)[labels]``.
    """
    keys = []
    for c in range(n_clusters):
        members = labels == c
        if members.any():
            keys.append((0, _energy_centroid(waveforms[members].mean(axis=0)), -int(members.sum()), c))
        else:
            keys.append((1, 0.0, 0, c))
    return np.array([key[-1] for key in sorted(keys)], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class SpikeClustering:
    """What :func:`cluster_waveforms` returns.

    Attributes
    ----------
    labels : ndarray of int, shape (n_waveforms,)
        Cluster of every waveform, 0..k−1, in :func:`stable_order`.
    W : ndarray, shape (n_rows, k)
        Templates, unit-norm columns, ordered like the clusters the argmax
        rule would form from them: column c *is* cluster c's template for
        ``assignment="argmax"``; for the other rules a cluster mixes
        templates (use :func:`cluster_summary` for its mean waveform).
    H : ndarray, shape (k, n_waveforms)
        Weights, scaled and ordered to match W, so that W·H is the fit.
    templates : ndarray of float64, shape (k, n_samples)
        The columns of W as waveforms (see :func:`templates_from_w`).
    V : ndarray of the fit's dtype, shape (n_rows, n_waveforms), or None
        The non-negative data that was factored; None in a :meth:`lean`
        copy (:meth:`factored` rebuilds it from the waveforms).
    transform, assignment : str
    description : str
        What the transform did.
    result : NMFResult
        The kept fit (smallest final loss over the restarts) as
        :func:`~nnmf_core.factorize.factorize` returned it: its W and H are
        neither scaled nor reordered.
    loss_history : ndarray, shape (n_iter,)
        Loss per iteration of the kept fit.
    restart_losses : ndarray, shape (n_restarts,)
        Final loss of every restart.
    restart_labels : list of ndarray
        The clusters every restart on its own would have given.
    channels : int
        Channels in every row (C channels × T samples, one after another).
    shifts : ndarray of float64, shape (n_waveforms,), or None
        How far every waveform was moved (in samples) before it was
        clustered (:func:`~nnmf_core.spikes.aligned_waveforms`); None when
        the waveforms were not aligned. W, H, V and the labels are those of
        the moved waveforms.
    """

    labels: np.ndarray
    W: np.ndarray
    H: np.ndarray
    templates: np.ndarray
    V: np.ndarray
    transform: str
    assignment: str
    description: str
    result: NMFResult
    loss_history: np.ndarray
    restart_losses: np.ndarray
    restart_labels: list
    channels: int = 1
    shifts: np.ndarray | None = None

    @property
    def k(self) -> int:
        return self.W.shape[1]

    @property
    def restart_agreement(self) -> float:
        """Mean pairwise ARI of the restarts' clusters (NaN for one restart)."""
        return stability(self.restart_labels)

    def lean(self) -> SpikeClustering:
        """This clustering without ``V``, the one array as large as the data
        (or twice, split): what a cache should keep of it."""
        return replace(self, V=None)

    def factored(self, waveforms) -> np.ndarray:
        """V, the data that was factored: the one kept, or, in a :meth:`lean`
        copy, made again from ``waveforms`` (the ones that were clustered).

        >>> from nnmf_core.datasets import synthetic_spikes
        >>> waveforms, _ = synthetic_spikes(n_per_unit=10, random_state=0)
        >>> full = cluster_waveforms(waveforms, 4, random_state=0)
        >>> bool((full.lean().factored(waveforms) == full.V).all())
        True
        """
        if self.V is not None:
            return self.V
        X = _checked_waveforms(waveforms)
        if X.shape[0] != self.H.shape[1]:
            raise InputError(f"{X.shape[0]:,} waveforms were given; {self.H.shape[1]:,} were clustered.")
        if self.shifts is not None:
            X = _shifted(X, self.shifts, self.channels)
        return _nonnegative(X, self.transform, self.result.W.dtype).V


def _assigned(X: np.ndarray, W: np.ndarray, H: np.ndarray, k: int, assignment: str, random_state: int,
              coordinates: np.ndarray | None = None) -> np.ndarray:
    """The clusters of a known ``assignment`` rule (a key of :data:`ASSIGNMENTS`)
    of waveforms X (one per row) for factors whose W has unit-norm columns;
    ``coordinates``: X's :func:`~nnmf_core.spikes.features._principal_coordinates`
    (``"shape+amplitude"`` only; made when needed if not given)."""
    if assignment == "argmax":
        return _clusters_from_h(H)
    if assignment == "kmeans":
        return _clusters_by_kmeans(H, k, random_state, KMEANS_INITS)
    points = _shape_amplitude_features(W, H, AMPLITUDE_WEIGHT)
    labels = _likelier_of_refined(X, _tied_mixture_labels(points, k, random_state), k, coordinates)
    return _cut_units_joined(X, labels, k, random_state)


def _coordinates_for(X: np.ndarray, assignment: str) -> np.ndarray | None:
    """X's principal coordinates, made once per table, when ``assignment``
    compares partitions in them (``"shape+amplitude"``); else None."""
    return _principal_coordinates(X) if assignment == "shape+amplitude" else None


def cluster_waveforms(
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
    dtype=np.float32,
    on_iteration=None,
    channels: int = 1,
    align: bool | None = None,
) -> SpikeClustering:
    """Cluster spike waveforms with NMF: align, transform, factor, assign, renumber.

    Runs :func:`~nnmf_core.factorize.factorize` with ``n_restarts`` restarts —
    the first from ``init``, the others from seeded random starts (all random
    if ``init="random"``) — keeps the fit with the smallest final loss, scales
    W's columns to unit norm (:func:`unit_norm_columns`), assigns clusters,
    and numbers them in :func:`stable_order`. Every restart's fit is also
    assigned on its own, for :attr:`SpikeClustering.restart_agreement`.

    The defaults — rows of several channels aligned to the mean waveform
    first (``align``), split, HALS at rank k, 2 restarts, then a Gaussian mixture
    with one shared covariance on every waveform's mix of templates and log
    amplitude (:func:`~nnmf_core.spikes.shape_amplitude_features`), started
    from trimmed k-means, then rounds of nearest mean waveform (trimmed
    k-means on the waveforms, from those clusters), kept where they make the
    likelier partition (Gaussian clusters sharing one covariance, on the
    waveforms' first 30 principal components); last, a unit cut in two is
    joined again while another cluster holds two units that lie at least
    d′ = 4 apart (one split-and-merge move at a time, settled by the same
    rounds). Trimmed: every mean leaves
    out the 5 % of waveforms farthest from every mean (overlapping spikes,
    which otherwise claim a cluster of their own and merge two units to pay
    for it); they are still assigned. These defaults find the units of
    SpikeInterface's simulated recordings with mean ARI 0.85 over five draws
    of 14 recordings (0.83–0.88 per draw; PCA + k-means: 0.79, 0.75–0.80;
    ``bench/README.md``) and those of the bundled sample with ARI 0.997. k-means on the unit-length columns of H
    (``"kmeans"``) is as good on the bundled sample but merges units that
    differ only in amplitude (0.43 there). The article's argmax rule reaches
    only about 0.4–0.5: NMF learns *parts* (a trough, a peak) that several
    units share, so the strongest part does not name the unit; the mix of
    parts does.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
        One waveform per row.
    k : int
        Rank of the factorization = number of clusters.
    transform : {"split", "per-sample shift", "shift"}
        See :func:`nonnegative`.
    assignment : {"shape+amplitude", "kmeans", "argmax"}
        ``"shape+amplitude"``: a tied Gaussian mixture on the mix of
        templates and the log amplitude, then nearest mean waveform where
        that is the likelier partition, and a unit cut in two joined again
        where another cluster holds two units;
        ``"kmeans"``: k-means on the
        unit-length columns of H (shape only); ``"argmax"``: the strongest
        template (the article's rule).
    solver : {"hals", "mu"}
        ``"mu"`` is the article's multiplicative rule.
    init : {"nndsvda", "nndsvd", "random"} or tuple (W0, H0)
        Start of the first restart.
    max_iter, tol : int, float
        Passed to :func:`~nnmf_core.factorize.factorize` (per restart).
    n_restarts : int
        Independent fits; the smallest final loss wins.
    random_state : int or None
        Seed of all the random starts and of the assignment.
    dtype : float32 or float64
        Precision of the factorization.
    on_iteration : callable(i, loss) -> bool or None
        Progress callback, passed to every restart (``i`` counts from 1
        again in each); returning True stops the fit and skips the
        remaining restarts.
    channels : int
        Channels in every row (C channels × T samples, one after another);
        n_samples must split into ``channels`` equal parts. Kept on the
        result; the method treats a row as one waveform whatever its
        channels, once it is aligned.
    align : bool or None
        Move every waveform by the fraction of a sample that best matches it
        to the mean waveform first (:func:`~nnmf_core.spikes.aligned_waveforms`,
        all channels of a row together, at most 1 sample either way). None
        (the default) aligns rows of several channels: there the units share
        one shape and differ by their size on each channel, and a spike's
        sub-sample jitter would otherwise cut a unit in two (on the
        4-channel recordings of the realistic benchmark, ``bench/README.md``).
        On one channel the units differ by the timing of their own features,
        which one shared reference would blur.

    Returns
    -------
    SpikeClustering

    Examples
    --------
    >>> from nnmf_core.datasets import synthetic_spikes
    >>> waveforms, units = synthetic_spikes(n_per_unit=40, random_state=2)
    >>> result = cluster_waveforms(waveforms, 4, random_state=0)
    >>> result.assignment, result.labels.shape, result.templates.shape
    ('shape+amplitude', (160,), (4, 150))
    """
    X, k = _checked_clustering(waveforms, k, transform, assignment, n_restarts, random_state)
    channels = checked_channels(X.shape[1], channels)
    return _cluster_waveforms(
        X, k, transform=transform, assignment=assignment, solver=solver, init=init, max_iter=max_iter, tol=tol,
        n_restarts=n_restarts, random_state=random_state, dtype=dtype, on_iteration=on_iteration, channels=channels,
        align=_checked_align(align),
    )


def _checked_align(align) -> bool | None:
    """``align`` when it is True, False or None; else an InputError."""
    if align is None or isinstance(align, (bool, np.bool_)):
        return None if align is None else bool(align)
    raise InputError(f"align must be True, False or None (align rows of several channels), not {align!r}.")


def _aligns(align: bool | None, channels: int) -> bool:
    """Whether waveforms of ``channels`` channels are aligned: ``align``, or when it is None, several channels."""
    return channels > 1 if align is None else bool(align)


def _checked_clustering(waveforms, k, transform: str, assignment: str, n_restarts, random_state) -> tuple[np.ndarray, int]:
    """The checks of :func:`cluster_waveforms`' arguments, in the order they are
    reported; returns the waveforms as float64 and ``k`` as an int."""
    X = _checked_waveforms(waveforms)
    k = _checked_k(k, X.shape[0])
    _checked_shapes(X, k)
    _checked_assignment(assignment)
    _checked_count(n_restarts, "n_restarts", 1)
    _checked_transform(transform)
    _checked_random_state(random_state)
    return X, k


def _cluster_waveforms(
    X: np.ndarray, k: int, *, transform: str, assignment: str, solver: str, init, max_iter: int, tol: float,
    n_restarts: int, random_state: int | None, dtype, on_iteration, channels: int = 1,
    coordinates: np.ndarray | None = None, align: bool | None = None,
) -> SpikeClustering:
    """:func:`cluster_waveforms` of checked arguments (see :func:`_checked_clustering`);
    ``coordinates``: X's :func:`_coordinates_for` ``assignment``, made here when not given
    (of the aligned waveforms, when they are aligned)."""
    n_samples = X.shape[1]
    shifts = None
    if _aligns(align, channels):
        X, shifts = _aligned(X, channels)
    V, description = _nonnegative(X, transform, dtype)
    if shifts is not None:
        description = (f"Aligned first: every waveform moved by the fraction of a sample (at most "
                       f"{MAX_ALIGNMENT_SHIFT:g}, all its channels together) that best matches it to the mean waveform; "
                       f"half of them moved by more than {np.median(np.abs(shifts)):.2f} sample. Then: {description}")
    entropy = _seed_sequence(random_state).entropy
    seed = int(entropy % 2**31)
    restart_labels = []
    coordinates = _coordinates_for(X, assignment) if coordinates is None else coordinates

    def assign_restart(restart, W, H, history) -> None:
        W_unit, H_unit = unit_norm_columns(W, H)
        restart_labels.append(_assigned(X, W_unit, H_unit, k, assignment, seed, coordinates))

    # one restart loop, factorize's: the same seed gives the same starts as factorize(V, k, random_state=seed)
    fit = factorize(
        V, k, solver=solver, init=init, max_iter=max_iter, tol=tol, n_restarts=n_restarts, random_state=entropy,
        dtype=dtype, on_iteration=on_iteration, on_restart=assign_restart,
    )
    kept = int(np.argmin(fit.restart_losses))
    W, H = unit_norm_columns(fit.W, fit.H)

    # components in the order of their argmax clusters; labels in their own order
    component_labels = _clusters_from_h(H)
    component_order = stable_order(X, component_labels, k)
    W, H = W[:, component_order], H[component_order]
    if assignment == "argmax":
        labels = np.argsort(component_order)[component_labels]
    else:
        raw = restart_labels[kept]
        labels = np.argsort(stable_order(X, raw, k))[raw]
    restart_labels = [np.argsort(stable_order(X, raw, k))[raw] for raw in restart_labels]

    return SpikeClustering(
        labels=labels.astype(np.int64),
        W=W,
        H=H,
        templates=templates_from_w(W, transform, n_samples),
        V=V,
        transform=transform,
        assignment=assignment,
        description=description,
        result=fit,
        loss_history=fit.loss_history,
        restart_losses=np.asarray(fit.restart_losses),
        restart_labels=restart_labels,
        channels=channels,
        shifts=shifts,
    )
