"""Fixing clusters: merge, split, mark, the curation history (undo, redo,
reset, JSON), merge suggestions, and the unassigned cluster (nnmf_core.spikes
curation, merge_suggestions, unassigned). Pure functions on label arrays,
checked by hand, by property (hypothesis) and on synthetic ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

from nnmf_core.errors import InputError
from nnmf_core.spikes import (
    UNASSIGNED,
    CurationHistory,
    Merge,
    Split,
    cluster_waveforms,
    mark_clusters,
    merge_clusters,
    merge_suggestions,
    relative_residuals,
    split_cluster,
    split_preview,
    suggested_residual_threshold,
    synthetic_spikes,
    unassigned_waveforms,
    weight_ratios,
)


@pytest.fixture(scope="module")
def two_units():
    """120 waveforms of two units (60 each), with the truth."""
    return synthetic_spikes(n_per_unit=60, n_units=2, random_state=3)


# ---------------------------------------------------------------- actions


def test_merge_takes_the_smallest_number_and_leaves_the_input_alone():
    labels = np.array([0, 3, 1, 3, 2])
    assert merge_clusters(labels, [3, 1]).tolist() == [0, 1, 1, 1, 2]
    assert merge_clusters(labels, (2, 0, 3)).tolist() == [0, 0, 1, 0, 0]
    assert labels.tolist() == [0, 3, 1, 3, 2]


@pytest.mark.parametrize("clusters, message", [
    ([1], "at least two different"),
    ([1, 1], "at least two different"),
    ([1, 9], "cluster 9"),
    ([UNASSIGNED, 1], "unassigned"),
])
def test_bad_merges_are_refused(clusters, message):
    with pytest.raises(InputError, match=message):
        merge_clusters([0, 1, 1, -1], clusters)


def test_split_moves_some_waveforms_to_a_new_cluster():
    assert split_cluster([0, 1, 1, 1], 1, [3]).tolist() == [0, 1, 1, 2]
    assert split_cluster([0, 1, 1, 1], 1, [1, 2], new_cluster=7).tolist() == [0, 7, 7, 1]
    for moved, message in (([], "some but not all"), ([1, 2, 3], "some but not all"), ([0], "only move"),
                           ([1, 1], "each once"), ([9], "only move")):
        with pytest.raises(InputError, match=message):
            split_cluster([0, 1, 1, 1], 1, moved)
    with pytest.raises(InputError, match="unused"):
        split_cluster([0, 1, 1, 1], 1, [3], new_cluster=0)


def test_marks_are_phy_groups_and_unsorted_clears():
    marks = mark_clusters({}, [0, 2], "good")
    assert mark_clusters(marks, [2], "noise") == {0: "good", 2: "noise"}
    assert mark_clusters(marks, [0], "unsorted") == {2: "good"}
    assert marks == {0: "good", 2: "good"}
    with pytest.raises(InputError, match="Unknown group"):
        mark_clusters({}, [0], "excellent")


# ---------------------------------------------------------------- history


def test_history_applies_undoes_redoes_and_resets():
    start = CurationHistory.start([0, 0, 1, 1, 2, 2])
    h = start.merge([1, 2]).mark([0], "good").apply(Split(0, (1,), 5)).mark([1], "mua")
    assert h.labels.tolist() == [0, 5, 1, 1, 1, 1] and h.marks == {1: "mua"}  # a split clears its cluster's mark
    assert h.group_of(5) == "unsorted"
    back = h.undo().undo()
    assert back.labels.tolist() == [0, 0, 1, 1, 1, 1] and back.marks == {0: "good"}
    assert back.can_undo and back.can_redo
    assert back.redo().redo().labels.tolist() == h.labels.tolist()
    branched = back.mark([1], "noise")  # a new action drops what was undone
    assert not branched.can_redo and len(branched.actions) == 3
    assert h.reset().labels.tolist() == [0, 0, 1, 1, 2, 2] and not h.reset().can_redo
    assert start.undo().position == 0 and h.redo() .position == h.position
    assert start.labels.tolist() == [0, 0, 1, 1, 2, 2]  # nothing changed in place
    with pytest.raises(ValueError):
        h.labels[0] = 3  # read-only


def test_history_refuses_actions_that_do_not_fit_now():
    h = CurationHistory.start([0, 1, 2]).merge([1, 2])
    with pytest.raises(InputError, match="cluster 2"):
        h.merge([0, 2])
    with pytest.raises(InputError, match="cannot be marked"):
        CurationHistory.start([0, -1]).mark([-1], "noise")
    with pytest.raises(InputError, match="Unknown curation action"):
        h.apply("merge everything")
    with pytest.raises(InputError, match="−1 for unassigned"):
        CurationHistory.start([0, -2])


def test_history_json_round_trip_and_refusals():
    h = CurationHistory.start([0, 0, 1, 2]).merge([1, 2]).mark([0], "noise").apply(Split(0, (0,), 3)).undo()
    back = CurationHistory.from_json(h.to_json(), [0, 0, 1, 2])
    assert back.actions == h.actions and back.position == h.position
    assert back.labels.tolist() == h.labels.tolist() and back.marks == h.marks
    for text, message in (("{", "not valid JSON"), ('{"format": 9, "actions": []}', "not written by this version"),
                          ('{"format": 1, "actions": [{"drop": 1}], "position": 0}', "not a merge, split or mark"),
                          ('{"format": 1, "actions": [], "position": 4}', "outside")):
        with pytest.raises(InputError, match=message):
            CurationHistory.from_json(text, [0, 1])
    with pytest.raises(InputError, match="cluster 2"):  # the actions do not fit these labels
        CurationHistory.from_json(h.to_json(), [0, 0, 1, 1])


@st.composite
def labels_and_actions(draw):
    n = draw(st.integers(2, 30))
    labels = draw(st.lists(st.integers(-1, 4), min_size=n, max_size=n))
    steps = draw(st.lists(st.tuples(st.sampled_from(["merge", "split", "mark", "undo", "redo"]),
                                    st.integers(0, 10**6)), max_size=12))
    return np.array(labels), steps


def next_history(history: CurationHistory, kind: str, seed: int) -> CurationHistory:
    """One valid action of ``kind`` chosen by ``seed``, or the same history if none fits."""
    rng = np.random.default_rng(seed)
    labels = history.labels
    clusters = [c for c in np.unique(labels).tolist() if c != UNASSIGNED]
    if kind == "undo":
        return history.undo()
    if kind == "redo":
        return history.redo()
    if kind == "merge" and len(clusters) >= 2:
        return history.apply(Merge(tuple(rng.choice(clusters, size=rng.integers(2, len(clusters) + 1), replace=False))))
    if kind == "mark" and clusters:
        return history.mark([int(rng.choice(clusters))], str(rng.choice(["good", "mua", "noise", "unsorted"])))
    big = [c for c in clusters if np.count_nonzero(labels == c) >= 2]
    if kind == "split" and big:
        cluster = int(rng.choice(big))
        members = np.flatnonzero(labels == cluster)
        moved = rng.choice(members, size=rng.integers(1, members.size), replace=False)
        return history.apply(Split(cluster, tuple(sorted(moved.tolist())), int(labels.max()) + 1))
    return history


@settings(max_examples=150, deadline=None)
@given(labels_and_actions())
def test_any_actions_then_undo_all_give_back_the_fit(case):
    fit, steps = case
    history = CurationHistory.start(fit)
    for kind, seed in steps:
        history = next_history(history, kind, seed)
        assert set(history.marks) <= set(history.labels.tolist())  # marks belong to clusters that exist
        assert np.array_equal(history.labels == UNASSIGNED, fit == UNASSIGNED)  # the unassigned stay so
    done = history
    while history.can_undo:
        history = history.undo()
    assert np.array_equal(history.labels, fit) and history.marks == {}
    while history.can_redo:
        history = history.redo()
    everything = CurationHistory(done.fit_labels, done.actions, len(done.actions))
    assert np.array_equal(history.labels, everything.labels) and history.marks == everything.marks
    assert np.array_equal(CurationHistory.from_json(done.to_json(), fit).labels, done.labels)


# ---------------------------------------------------------------- split preview and merge suggestions


def test_split_preview_separates_two_merged_units(two_units):
    waveforms, truth = two_units
    labels = np.zeros(truth.size, dtype=np.int64)
    labels[:10] = 1  # a small other cluster, untouched by the split
    preview = split_preview(waveforms, labels, 0, random_state=0)
    members = labels == 0
    assert adjusted_rand_score(truth[members], preview.member_labels) > 0.95
    assert preview.action.new_cluster == 2 and (preview.labels[:10] == 1).all()
    assert np.count_nonzero(preview.member_labels) <= np.count_nonzero(preview.member_labels == 0)
    accepted = CurationHistory.start(labels).apply(preview.action)
    assert np.array_equal(accepted.labels, preview.labels)
    with pytest.raises(InputError, match="at least 2"):
        split_preview(waveforms, np.r_[1, np.zeros(truth.size - 1, np.int64)], 1)
    with pytest.raises(InputError, match="cannot be split"):
        split_preview(waveforms, labels, UNASSIGNED)


def test_merge_suggestions_find_a_unit_cut_in_two():
    waveforms, truth = synthetic_spikes(n_per_unit=80, n_units=4, random_state=2)
    labels = truth.copy()
    labels[(truth == 2) & (np.arange(truth.size) % 2 == 0)] = 7  # unit 2 cut in halves: 2 and 7
    labels[:5] = UNASSIGNED
    found = merge_suggestions(waveforms, labels, top=3)
    assert found.clusters.tolist() == [0, 1, 2, 3, 7]
    assert found.table[["cluster_a", "cluster_b"]].iloc[0].tolist() == [2, 7]
    by_separation = merge_suggestions(waveforms, labels, order="d_prime")
    assert by_separation.table[["cluster_a", "cluster_b"]].iloc[0].tolist() == [2, 7]
    assert np.allclose(found.similarity, found.similarity.T) and np.allclose(np.diag(found.similarity), 1)
    assert by_separation.table["d_prime"].is_monotonic_increasing
    assert len(merge_suggestions(waveforms, labels, top=100).table) == 10  # all 5·4/2 pairs
    with pytest.raises(InputError, match="two clusters"):
        merge_suggestions(waveforms, labels, exclude=[UNASSIGNED, 0, 1, 2, 3])


# ---------------------------------------------------------------- unassigned


def test_relative_residuals_match_the_explicit_product():
    rng = np.random.default_rng(0)
    W, H = rng.random((20, 3)), rng.random((3, 50))
    V = W @ H + 0.05 * rng.random((20, 50))
    V[:, 0] = 0.0
    H[:, 0] = 0.0
    expected = np.linalg.norm(V - W @ H, axis=0) / np.where(np.linalg.norm(V, axis=0) > 0, np.linalg.norm(V, axis=0), 1)
    assert np.allclose(relative_residuals(V, W, H), expected, atol=1e-7)
    with pytest.raises(InputError, match="do not fit"):
        relative_residuals(V, W, H[:, 1:])


def test_weight_ratios_and_the_suggested_threshold():
    assert weight_ratios(np.array([[3.0, 1.0, 0.0, 2.0], [1.0, 1.0, 0.0, 0.0]])).tolist() == [3.0, 1.0, 1.0, np.inf]
    assert weight_ratios(np.array([[2.0, 0.0]])).tolist() == [np.inf, 1.0]
    rng = np.random.default_rng(1)
    residuals = np.r_[rng.normal(0.2, 0.01, 500), [0.9, 0.95]]
    assert 0.2 < suggested_residual_threshold(residuals) < 0.9


def test_badly_explained_waveforms_become_unassigned(two_units):
    waveforms, truth = two_units
    odd = waveforms.copy()
    odd[:3] = np.random.default_rng(0).normal(0, 0.5, (3, waveforms.shape[1]))  # noise, no unit's shape
    fit = cluster_waveforms(odd, 2, random_state=0)
    found = unassigned_waveforms(fit.labels, fit.V, fit.W, fit.H)
    assert set(np.flatnonzero(found.labels == UNASSIGNED)) >= {0, 1, 2}
    assert found.count <= 8 and found.residuals[:3].min() > np.median(found.residuals)
    assert np.array_equal(found.labels[found.labels != UNASSIGNED], fit.labels[found.labels != UNASSIGNED])
    nothing = unassigned_waveforms(fit.labels, fit.V, fit.W, fit.H, residual_threshold=10.0)
    assert nothing.count == 0
    unclear = unassigned_waveforms(fit.labels, fit.V, fit.W, fit.H, residual_threshold=10.0, weight_ratio_threshold=1e9)
    assert np.array_equal(unclear.no_clear_winner, unclear.weight_ratios < 1e9) and unclear.count > 0
    with pytest.raises(InputError, match="finite number"):
        unassigned_waveforms(fit.labels, fit.V, fit.W, fit.H, residual_threshold=float("nan"))


def test_a_later_recording_of_the_same_units_joins_the_right_clusters():
    from nnmf_core.datasets import synthetic_spikes
    from nnmf_core.spikes import ari, assign_new_waveforms, cluster_waveforms

    waveforms, _ = synthetic_spikes(n_per_unit=60, random_state=0)
    fit = cluster_waveforms(waveforms, 4, random_state=0)
    later, later_units = synthetic_spikes(n_per_unit=30, random_state=5)
    assigned = assign_new_waveforms(later, fit.W, fit.H, fit.labels, fit.transform)
    assert ari(assigned.labels, later_units) > 0.9
    assert np.all(assigned.H >= 0) and assigned.H.shape == (4, later.shape[0])
    merged = np.where(fit.labels == 1, 0, fit.labels)  # a curated merge: nothing joins cluster 1 any more
    assert 1 not in assign_new_waveforms(later, fit.W, fit.H, merged, fit.transform).labels


def test_a_later_recording_of_another_length_is_refused():
    from nnmf_core.datasets import synthetic_spikes
    from nnmf_core.spikes import assign_new_waveforms, cluster_waveforms

    waveforms, _ = synthetic_spikes(n_per_unit=20, random_state=0)
    fit = cluster_waveforms(waveforms, 3, random_state=0)
    with pytest.raises(InputError, match="same length"):
        assign_new_waveforms(waveforms[:, :100], fit.W, fit.H, fit.labels, fit.transform)
