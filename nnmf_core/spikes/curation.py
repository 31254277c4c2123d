"""Fixing what the algorithm got wrong: merge clusters, split one, mark
clusters as Phy does (good, mua, noise), and a :class:`CurationHistory` that
undoes and redoes any of it.

Everything is a pure function of label arrays: an action never changes the
labels it is given, and a history is never changed in place — each step
returns a new one, so a page can keep the old one for "undo".

>>> history = CurationHistory.start([0, 0, 1, 1, 2])
>>> history = history.apply(Merge((1, 2))).apply(Mark((0,), "good"))
>>> history.labels.tolist(), history.marks
([0, 0, 1, 1, 1], {0: 'good'})
>>> history.undo().undo().labels.tolist()
[0, 0, 1, 1, 2]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from nnmf_core.errors import InputError
from nnmf_core.spikes.clustering import cluster_waveforms
from nnmf_core.spikes.unassigned import UNASSIGNED
from nnmf_core.spikes.validation import _checked_waveforms

#: Phy's cluster groups a cluster can be marked with.
GROUPS = ("good", "mua", "noise")
#: The group of a cluster nobody marked (Phy's word); marking with it clears a mark.
UNSORTED = "unsorted"
#: Version of the JSON written by :meth:`CurationHistory.to_json`.
HISTORY_FORMAT = 1


@dataclass(frozen=True)
class Merge:
    """Merge two or more clusters into the one with the smallest number."""

    clusters: tuple

    def to_dict(self) -> dict:
        return {"merge": [int(c) for c in self.clusters]}


@dataclass(frozen=True)
class Split:
    """Move waveforms ``moved`` (positions in the label array) out of ``cluster``
    into the new cluster ``new_cluster``."""

    cluster: int
    moved: tuple
    new_cluster: int

    def to_dict(self) -> dict:
        return {"split": {"cluster": int(self.cluster), "moved": [int(i) for i in self.moved],
                          "new_cluster": int(self.new_cluster)}}


@dataclass(frozen=True)
class Mark:
    """Mark clusters with one of :data:`GROUPS`, or clear their mark with :data:`UNSORTED`."""

    clusters: tuple
    group: str

    def to_dict(self) -> dict:
        return {"mark": {"clusters": [int(c) for c in self.clusters], "group": self.group}}


# ---------------------------------------------------------------- checks


def _checked_labels(labels) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or labels.size == 0:
        raise InputError(f"Labels must be a non-empty list of whole numbers; got {labels.dtype} values of shape {labels.shape}.")
    if labels.min() < UNASSIGNED:
        raise InputError(f"Labels must be cluster numbers ≥ 0, or −1 for unassigned; got {int(labels.min())}.")
    return labels.astype(np.int64, copy=False)


def _cluster_list(clusters) -> tuple:
    values = np.atleast_1d(np.asarray(clusters))
    if values.ndim != 1 or values.dtype.kind not in "iu":
        raise InputError(f"Clusters must be whole numbers; got {clusters!r}.")
    return tuple(int(c) for c in dict.fromkeys(values.tolist()))


def _check_present(labels: np.ndarray, clusters: tuple, verb: str) -> None:
    present = set(np.unique(labels).tolist())
    missing = [c for c in clusters if c not in present]
    if missing:
        raise InputError(f"Cannot {verb} cluster {missing[0]}: no waveform has that label now.")


def _check_action(labels: np.ndarray, action) -> None:
    """Refuse an action that does not fit the current labels."""
    if isinstance(action, Merge):
        if len(set(action.clusters)) < 2:
            raise InputError("A merge needs at least two different clusters.")
        if UNASSIGNED in action.clusters:
            raise InputError("The unassigned waveforms (−1) are not a cluster and cannot be merged.")
        _check_present(labels, action.clusters, "merge")
    elif isinstance(action, Split):
        if action.cluster == UNASSIGNED:
            raise InputError("The unassigned waveforms (−1) are not a cluster and cannot be split.")
        _check_present(labels, (action.cluster,), "split")
        moved = np.asarray(action.moved, dtype=np.int64)
        size = int(np.count_nonzero(labels == action.cluster))
        if moved.size == 0 or moved.size >= size or np.unique(moved).size != moved.size:
            raise InputError(f"A split must move some but not all of the {size:,} waveforms of cluster {action.cluster}, "
                             "each once.")
        if moved.min() < 0 or moved.max() >= labels.size or (labels[moved] != action.cluster).any():
            raise InputError(f"A split of cluster {action.cluster} may only move waveforms of that cluster.")
        if action.new_cluster < 0 or (labels == action.new_cluster).any():
            raise InputError(f"The new cluster's number must be ≥ 0 and unused; {action.new_cluster} is not.")
    elif isinstance(action, Mark):
        if action.group not in GROUPS + (UNSORTED,):
            raise InputError(f"Unknown group {action.group!r}; choose one of {', '.join(GROUPS + (UNSORTED,))}.")
        if not action.clusters:
            raise InputError("Choose at least one cluster to mark.")
        if UNASSIGNED in action.clusters:
            raise InputError("The unassigned waveforms (−1) are not a cluster and cannot be marked.")
        _check_present(labels, action.clusters, "mark")
    else:
        raise InputError(f"Unknown curation action {action!r}.")


# ---------------------------------------------------------------- actions as functions


def _applied(labels: np.ndarray, marks: dict, action) -> tuple[np.ndarray, dict]:
    """The labels and marks after a checked action (new objects; the inputs are kept)."""
    marks = dict(marks)
    if isinstance(action, Mark):
        for c in action.clusters:
            if action.group == UNSORTED:
                marks.pop(c, None)
            else:
                marks[c] = action.group
        return labels, marks
    labels = labels.copy()
    if isinstance(action, Merge):
        into = min(action.clusters)
        labels[np.isin(labels, action.clusters)] = into
        for c in action.clusters:
            marks.pop(c, None)
    else:
        labels[np.asarray(action.moved, dtype=np.int64)] = action.new_cluster
        marks.pop(action.cluster, None)
    return labels, marks


def merge_clusters(labels, clusters) -> np.ndarray:
    """Labels with ``clusters`` merged into the smallest of them.

    Parameters
    ----------
    labels : array_like of int, shape (n_waveforms,)
    clusters : sequence of int
        At least two clusters present in ``labels`` (not −1).

    Returns
    -------
    ndarray of int64, shape (n_waveforms,)
        A new array.

    Examples
    --------
    >>> merge_clusters([0, 3, 1, 3, 2], [3, 1]).tolist()
    [0, 1, 1, 1, 2]
    """
    labels = _checked_labels(labels)
    action = Merge(_cluster_list(clusters))
    _check_action(labels, action)
    return _applied(labels, {}, action)[0]


def split_cluster(labels, cluster: int, moved, new_cluster: int | None = None) -> np.ndarray:
    """Labels with the waveforms ``moved`` taken out of ``cluster`` into a new cluster.

    Parameters
    ----------
    labels : array_like of int, shape (n_waveforms,)
    cluster : int
    moved : array_like of int
        Positions of waveforms of ``cluster``: some, not all.
    new_cluster : int, optional
        Default one more than the largest label.

    Returns
    -------
    ndarray of int64, shape (n_waveforms,)

    Examples
    --------
    >>> split_cluster([0, 1, 1, 1], 1, [3]).tolist()
    [0, 1, 1, 2]
    """
    labels = _checked_labels(labels)
    action = Split(int(cluster), tuple(int(i) for i in np.atleast_1d(moved)),
                   int(labels.max()) + 1 if new_cluster is None else int(new_cluster))
    _check_action(labels, action)
    return _applied(labels, {}, action)[0]


def mark_clusters(marks: dict, clusters, group: str) -> dict:
    """Marks with ``clusters`` set to ``group`` (:data:`GROUPS`), or cleared by :data:`UNSORTED`.

    >>> mark_clusters({1: "noise"}, [0, 1], "good")
    {1: 'good', 0: 'good'}
    """
    if group not in GROUPS + (UNSORTED,):
        raise InputError(f"Unknown group {group!r}; choose one of {', '.join(GROUPS + (UNSORTED,))}.")
    return _applied(np.empty(0, np.int64), marks, Mark(_cluster_list(clusters), group))[1]


# ---------------------------------------------------------------- split preview


@dataclass(frozen=True, eq=False)
class SplitPreview:
    """A proposed split of one cluster, to show before it is accepted.

    Attributes
    ----------
    action : Split
        What :meth:`CurationHistory.apply` takes to accept it.
    labels : ndarray of int64, shape (n_waveforms,)
        All labels as they would be after the split.
    member_labels : ndarray of int64, shape (n_members,)
        0 for the waveforms that stay, 1 for those that move, in the order
        of the cluster's waveforms.
    clustering : SpikeClustering
        The rank-2 fit of the cluster's waveforms.
    """

    action: Split
    labels: np.ndarray
    member_labels: np.ndarray
    clustering: object


def split_preview(waveforms, labels, cluster: int, *, random_state: int | None = 0, **options) -> SplitPreview:
    """Re-factor one cluster's waveforms at k = 2 and propose the split.

    The larger half keeps the cluster's number; the smaller one (the second
    on a tie) would become cluster ``max(labels) + 1``.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    labels : array_like of int, shape (n_waveforms,)
        Current labels.
    cluster : int
    random_state : int or None
        Seed of :func:`~nnmf_core.spikes.cluster_waveforms`.
    **options
        Passed to :func:`~nnmf_core.spikes.cluster_waveforms` (``transform``,
        ``assignment``, ``n_restarts``, …).

    Returns
    -------
    SplitPreview
    """
    X = _checked_waveforms(waveforms)
    labels = _checked_labels(labels)
    if labels.size != X.shape[0]:
        raise InputError(f"Got {labels.size:,} labels for {X.shape[0]:,} waveforms.")
    cluster = int(cluster)
    if cluster == UNASSIGNED:
        raise InputError("The unassigned waveforms (−1) are not a cluster and cannot be split.")
    members = np.flatnonzero(labels == cluster)
    if members.size < 2:
        raise InputError(f"Cluster {cluster} holds {members.size} waveform(s); a split needs at least 2.")
    fit = cluster_waveforms(X[members], 2, random_state=random_state, **options)
    halves = fit.labels
    sizes = np.bincount(halves, minlength=2)
    moving = 1 if sizes[1] <= sizes[0] else 0
    member_labels = (halves == moving).astype(np.int64)
    action = Split(cluster, tuple(members[member_labels == 1].tolist()), int(labels.max()) + 1)
    _check_action(labels, action)
    return SplitPreview(action, _applied(labels, {}, action)[0], member_labels, fit)


# ---------------------------------------------------------------- history


def _action_from_dict(entry) -> object:
    try:
        (kind, body), = entry.items()
        if kind == "merge":
            return Merge(tuple(int(c) for c in body))
        if kind == "split":
            return Split(int(body["cluster"]), tuple(int(i) for i in body["moved"]), int(body["new_cluster"]))
        if kind == "mark":
            return Mark(tuple(int(c) for c in body["clusters"]), str(body["group"]))
    except (AttributeError, KeyError, TypeError, ValueError):
        pass
    raise InputError(f"The curation history holds an entry that is not a merge, split or mark: {str(entry)[:60]}.")


@dataclass(frozen=True, eq=False)
class CurationHistory:
    """The curation of one fit: its labels, the actions taken, and how many of
    them are in effect (the rest can be redone).

    Start one with :meth:`start`; :meth:`apply`, :meth:`undo`, :meth:`redo`
    and :meth:`reset` return new histories.

    Attributes
    ----------
    fit_labels : ndarray of int64, shape (n_waveforms,)
        The labels of the fit (read-only).
    actions : tuple of Merge, Split or Mark
    position : int
        Actions in effect: ``actions[:position]``.
    """

    fit_labels: np.ndarray
    actions: tuple = ()
    position: int = 0

    @classmethod
    def start(cls, labels) -> CurationHistory:
        """A history without actions, from the fit's labels."""
        labels = _checked_labels(labels).copy()
        labels.setflags(write=False)
        return cls(labels)

    @cached_property
    def _state(self) -> tuple[np.ndarray, dict]:
        labels, marks = self.fit_labels, {}
        for action in self.actions[: self.position]:
            labels, marks = _applied(labels, marks, action)
        labels = labels.copy()
        labels.setflags(write=False)
        return labels, marks

    @property
    def labels(self) -> np.ndarray:
        """ndarray of int64, shape (n_waveforms,): the labels now (read-only)."""
        return self._state[0]

    @property
    def marks(self) -> dict:
        """dict of int -> str: the group of every marked cluster (a copy)."""
        return dict(self._state[1])

    def group_of(self, cluster: int) -> str:
        """The group of a cluster: its mark, or ``"unsorted"``."""
        return self._state[1].get(int(cluster), UNSORTED)

    def apply(self, action) -> CurationHistory:
        """A history with ``action`` taken now; actions that were undone are dropped."""
        _check_action(self.labels, action)
        return CurationHistory(self.fit_labels, self.actions[: self.position] + (action,), self.position + 1)

    def merge(self, clusters) -> CurationHistory:
        """:meth:`apply` of a :class:`Merge`."""
        return self.apply(Merge(_cluster_list(clusters)))

    def mark(self, clusters, group: str) -> CurationHistory:
        """:meth:`apply` of a :class:`Mark`."""
        return self.apply(Mark(_cluster_list(clusters), group))

    @property
    def can_undo(self) -> bool:
        return self.position > 0

    @property
    def can_redo(self) -> bool:
        return self.position < len(self.actions)

    def undo(self) -> CurationHistory:
        """One action back (the same history if there is none)."""
        return CurationHistory(self.fit_labels, self.actions, max(self.position - 1, 0))

    def redo(self) -> CurationHistory:
        """One undone action again (the same history if there is none)."""
        return CurationHistory(self.fit_labels, self.actions, min(self.position + 1, len(self.actions)))

    def reset(self) -> CurationHistory:
        """Back to the fit, with nothing to redo."""
        return CurationHistory(self.fit_labels)

    def to_json(self) -> str:
        """The actions and position as JSON (the fit's labels are saved beside it)."""
        return json.dumps({"format": HISTORY_FORMAT, "position": self.position,
                           "actions": [action.to_dict() for action in self.actions]})

    @classmethod
    def from_json(cls, text: str, fit_labels) -> CurationHistory:
        """The history :meth:`to_json` wrote, replayed on ``fit_labels`` to check every action fits."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as error:
            raise InputError(f"The curation history is not valid JSON ({error}).") from None
        if not isinstance(data, dict) or data.get("format") != HISTORY_FORMAT or not isinstance(data.get("actions"), list):
            raise InputError("The curation history was not written by this version of NMF Studio.")
        actions = tuple(_action_from_dict(entry) for entry in data["actions"])
        position = data.get("position")
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= len(actions):
            raise InputError(f"The curation history's position {position!r} lies outside its {len(actions)} actions.")
        history = cls.start(fit_labels)
        for action in actions:
            history = history.apply(action)
        return CurationHistory(history.fit_labels, actions, position)
