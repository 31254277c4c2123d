"""Tests of the spike clustering methods on hand-made units: the default rule
(shape and log-amplitude, then nearest mean) against units that differ only
in amplitude or only in shape, its features, its single restart loop, the
channels it is told about, and the rank suggestion's words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from nnmf_core import factorize
from nnmf_core.errors import InputError
from nnmf_core.spikes import (
    CUT_UNIT_SEPARATION,
    DEFAULT_ASSIGNMENT,
    ari,
    cluster_waveforms,
    features,
    nonnegative,
    prediction_strength,
    rank_scan,
    rank_suggestion,
    separation,
    shape_amplitude_features,
    suggested_rank,
    suggestion_reason,
    timing_split_share,
)
from nnmf_core.spikes.features import (
    SPLIT_SEPARATION,
    _classification_likelihood,
    _cut_units_joined,
    _likelier_of_refined,
    _refined_by_nearest_mean,
    _tied_mixture_labels,
    _trimmed_kmeans,
)
from nnmf_core.spikes.metrics import _robust_separation


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def spike(n_samples: int, trough: float, width: float, peak_delay: float, peak: float) -> np.ndarray:
    """A trough at ``trough`` then a smaller, broader positive peak ``peak_delay`` samples later."""
    t = np.arange(n_samples, dtype=np.float64)
    return (-np.exp(-0.5 * ((t - trough) / width) ** 2)
            + peak * np.exp(-0.5 * ((t - trough - peak_delay) / (2 * width)) ** 2))


def units(templates: list, n_per_unit: int, noise: float, jitter: float, seed: int) -> tuple:
    """Waveforms of units = template × log-normal amplitude jitter + white noise; and the true unit of each."""
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    for unit, template in enumerate(templates):
        scale = np.exp(rng.normal(0.0, jitter, size=(n_per_unit, 1)))
        rows.append(scale * template + rng.normal(0.0, noise, size=(n_per_unit, template.size)))
        truth += [unit] * n_per_unit
    order = rng.permutation(len(truth))
    return np.vstack(rows)[order], np.array(truth)[order]


SHAPE = spike(60, 20, 2.0, 8, 0.4)


def test_units_that_differ_only_in_amplitude_are_separated():
    # one shape at 40, 80 and 160 µV: what a unit farther from the electrode looks like
    waveforms, truth = units([40 * SHAPE, 80 * SHAPE, 160 * SHAPE], 80, noise=4.0, jitter=0.08, seed=0)
    default = cluster_waveforms(waveforms, 3, random_state=0)
    assert default.assignment == DEFAULT_ASSIGNMENT == "shape+amplitude"
    assert ari(default.labels, truth) >= 0.95
    # the shape-only rule cannot: every unit has the same mix of templates
    shape_only = cluster_waveforms(waveforms, 3, random_state=0, assignment="kmeans")
    assert ari(shape_only.labels, truth) < 0.5


def test_units_that_differ_only_in_shape_are_separated():
    # the same trough depth, different widths and repolarisation peaks
    templates = [60 * spike(60, 20, 1.5, 6, 0.3), 60 * spike(60, 20, 3.0, 10, 0.6), 60 * spike(60, 20, 2.0, 16, 0.9)]
    waveforms, truth = units(templates, 80, noise=4.0, jitter=0.08, seed=1)
    assert ari(cluster_waveforms(waveforms, 3, random_state=0).labels, truth) >= 0.95


def test_shape_amplitude_features_are_direction_and_scaled_log_size():
    W = np.array([[0.6, 0.0], [0.8, 0.0], [0.0, 1.0]])
    H = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 4.0]])
    features = shape_amplitude_features(W, H, amplitude_weight=2.0)
    np.testing.assert_allclose(features[:, :2], [[1, 0], [1, 0], [0, 1]])
    np.testing.assert_allclose(features[:, 2], 2.0 * np.log([1.0, 2.0, 4.0]))
    # doubling every waveform moves only the amplitude, by λ·ln 2
    doubled = shape_amplitude_features(W, 2 * H, amplitude_weight=2.0)
    np.testing.assert_allclose(doubled - features, np.tile([0.0, 0.0, 2.0 * np.log(2)], (3, 1)), atol=1e-12)
    with pytest.raises(InputError, match="share k"):
        shape_amplitude_features(W, H.T)
    with pytest.raises(InputError, match="non-negative"):
        shape_amplitude_features(W, -H)


def test_nearest_mean_rounds_move_a_waveform_to_the_closer_mean():
    X = np.array([[0.0], [0.2], [0.9], [10.0], [10.2], [9.8]])
    labels = np.array([0, 0, 1, 1, 1, 1])  # 0.9 was put with the far cluster
    np.testing.assert_array_equal(_refined_by_nearest_mean(X, labels, 2), [0, 0, 0, 1, 1, 1])


def two_units_and_far_outliers(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two round units 5 noise widths apart (300 points each) and 15 widely
    spread points 25 widths away: what overlapping spikes look like beside
    two similar units. Their labels: 0, 1, and −1 for the outliers."""
    rng = np.random.default_rng(seed)
    truth = np.repeat([0, 1], 300)
    points = rng.normal(size=(600, 3))
    points[:, 0] += 5.0 * truth
    outliers = 3.0 * rng.normal(size=(15, 3)) + [25.0, 0.0, 0.0]
    return np.vstack([points, outliers]), np.concatenate([truth, -np.ones(15, dtype=int)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_outliers_do_not_claim_a_cluster_of_the_mixture(seed, monkeypatch):
    points, truth = two_units_and_far_outliers(seed)
    units_only = truth >= 0
    assert ari(_tied_mixture_labels(points, 2, 0)[units_only], truth[units_only]) >= 0.9
    # untrimmed, the outliers pull a centre to themselves and the two units merge
    monkeypatch.setattr(features, "TRIMMED_SHARE", 0.0)
    assert ari(_tied_mixture_labels(points, 2, 0)[units_only], truth[units_only]) < 0.1


def test_trimmed_kmeans_leaves_out_the_farthest_share_and_still_labels_them():
    points, truth = two_units_and_far_outliers(0)
    start = np.array([[2.5, 0.0, 0.0], [12.0, 0.0, 0.0]])  # between the units, and between them and the outliers
    fit = _trimmed_kmeans(points, start, 30)
    assert fit.kept.sum() == points.shape[0] - 30
    assert not fit.kept[truth < 0].any()  # every outlier is among the trimmed
    np.testing.assert_allclose(np.sort(fit.centres[:, 0]), [0.0, 5.0], atol=0.3)  # the means of the two units
    # untrimmed, the same start ends with one centre on both units and one on the outliers
    np.testing.assert_allclose(np.sort(_trimmed_kmeans(points, start, 0).centres[:, 0]), [2.5, 25.0], atol=0.5)
    assert fit.labels.shape == truth.shape and set(np.unique(fit.labels)) == {0, 1}
    assert fit.inertia == pytest.approx(((points[fit.kept] - fit.centres[fit.labels[fit.kept]]) ** 2).sum())


def two_alike_units_and_a_small_one(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two large units of one shape, 150 and 135 µV deep, and a small one 22 µV
    deep of another, in 5 µV noise and without amplitude jitter (the kind of
    recording where the mixture cut the small unit and joined the two large
    ones: SpikeInterface's generator at its own settings, 1 channel)."""
    small = 22 * spike(60, 20, 3.0, 12, 0.5)
    return units([150 * SHAPE, 135 * SHAPE, small], 200, noise=5.0, jitter=0.0, seed=seed)


def test_a_unit_cut_in_two_is_joined_while_another_cluster_holds_two_units():
    waveforms, truth = two_alike_units_and_a_small_one()
    rng = np.random.default_rng(0)
    wrong = np.where(truth == 1, 0, truth)  # the two large units in one cluster
    wrong[(truth == 2) & (rng.random(truth.size) < 0.5)] = 1  # the small one cut in two at random
    assert _robust_separation(waveforms[truth == 0], waveforms[truth == 1]) > SPLIT_SEPARATION
    joined = _cut_units_joined(waveforms, wrong, 3, random_state=0)
    assert ari(joined, truth) > 0.99
    assert ari(wrong, truth) < 0.6
    # a right partition is left as it is
    np.testing.assert_array_equal(_cut_units_joined(waveforms, truth, 3, random_state=0), truth)


def test_units_too_alike_to_tell_apart_are_left_as_the_rounds_made_them():
    # one shape at 40, 46 and 53 µV with 8 % amplitude jitter: neighbours d′ 1–2 apart, no cluster holds two far halves
    waveforms, truth = units([40 * SHAPE, 46 * SHAPE, 53 * SHAPE], 150, noise=4.0, jitter=0.08, seed=3)
    labels = _refined_by_nearest_mean(waveforms, truth, 3)
    np.testing.assert_array_equal(_cut_units_joined(waveforms, labels, 3, random_state=0), labels)


def test_the_robust_separation_is_not_moved_by_a_few_overlapping_spikes():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(300, 5)), rng.normal(size=(300, 5)) + [6.0, 0, 0, 0, 0]
    with_overlaps = np.vstack([a, 40.0 * rng.normal(size=(6, 5))])  # 2 % of waveforms holding two spikes
    assert _robust_separation(a, b) == pytest.approx(6.0, rel=0.1)
    assert _robust_separation(with_overlaps, b) == pytest.approx(6.0, rel=0.15)
    plain = separation(np.vstack([with_overlaps, b]), np.repeat([0, 1], [306, 300]))
    assert plain < 3.0  # the plain d′ reads two units as one cut in two
    assert CUT_UNIT_SEPARATION == pytest.approx(2.65, abs=0.01)
    assert _robust_separation(a, a) == 0.0


def two_slanted_units(n_per_unit: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two units in 40 dimensions whose shared noise is long along the first
    axis and thin along the second: their means (0, 0) and (4, 2) are 2
    noise widths apart along the second axis, but a nearest-mean border (the
    bisector of the means) cuts through the long direction."""
    rng = np.random.default_rng(seed)
    truth = np.repeat([0, 1], n_per_unit)
    X = rng.normal(scale=0.05, size=(2 * n_per_unit, 40))
    X[:, 0] += rng.normal(scale=5.0, size=2 * n_per_unit) + 4.0 * truth
    X[:, 1] += rng.normal(scale=0.5, size=2 * n_per_unit) + 2.0 * truth
    return X, truth


def test_the_mixtures_partition_is_kept_when_nearest_means_would_cut_the_units():
    X, truth = two_slanted_units()
    assert ari(truth, _refined_by_nearest_mean(X, truth, 2)) < 0.5  # the rounds leave the units
    np.testing.assert_array_equal(_likelier_of_refined(X, truth, 2), truth)


def test_the_refinement_is_kept_when_it_is_the_likelier_partition():
    rng = np.random.default_rng(1)
    truth = np.repeat([0, 1], 200)
    X = rng.normal(size=(400, 40)) + 6.0 * truth[:, None]  # round noise, far apart
    labels = truth.copy()
    labels[rng.choice(400, 40, replace=False)] ^= 1  # a tenth put with the wrong unit
    np.testing.assert_array_equal(_likelier_of_refined(X, labels, 2), truth)


def test_a_mixture_that_left_a_cluster_empty_gives_way_to_the_refinement():
    rng = np.random.default_rng(2)
    truth = np.repeat([0, 1], 200)
    X = rng.normal(size=(400, 5)) + 6.0 * truth[:, None]  # two units, asked for three clusters
    # two clusters and an empty third are the likelier classification (a unit cut in two costs more in
    # cluster shares than it gains in spread), but they are not three clusters
    assert _classification_likelihood(X, truth, 3) > _classification_likelihood(
        X, _refined_by_nearest_mean(X, truth, 3), 3)
    labels = _likelier_of_refined(X, truth, 3)
    assert np.bincount(labels, minlength=3).min() > 0
    assert ari(truth, labels) > 0.5  # one unit kept whole, the other cut


def test_the_fit_is_factorize_with_its_restarts():
    """One restart loop: cluster_waveforms keeps exactly what factorize keeps for the same seed."""
    waveforms, _ = units([40 * SHAPE, 120 * SHAPE], 40, noise=4.0, jitter=0.08, seed=2)
    result = cluster_waveforms(waveforms, 2, random_state=3, max_iter=100)
    fit = factorize(nonnegative(waveforms).V, 2, max_iter=100, n_restarts=2, random_state=3)
    np.testing.assert_array_equal(result.result.W, fit.W)
    np.testing.assert_array_equal(result.restart_losses, fit.restart_losses)
    assert len(result.restart_labels) == 2


def test_channels_are_checked_and_kept():
    waveforms, _ = units([40 * SHAPE, 120 * SHAPE], 20, noise=4.0, jitter=0.08, seed=3)
    assert cluster_waveforms(waveforms, 2, channels=4).channels == 4  # 60 samples = 4 channels × 15
    assert cluster_waveforms(waveforms, 2).channels == 1
    with pytest.raises(InputError, match="cannot be cut into 7 channels"):
        cluster_waveforms(waveforms, 2, channels=7)


def jittered(template_at, n: int, seed: int) -> np.ndarray:
    """``n`` spikes ``template_at(trough)`` with the trough anywhere within half a sample of 20, plus white noise
    of 4 µV; and their shifts."""
    rng = np.random.default_rng(seed)
    shifts = rng.uniform(-0.5, 0.5, n)
    return np.array([template_at(20 + shift) for shift in shifts]) + rng.normal(0.0, 4.0, (n, 60)), shifts


def test_a_unit_cut_by_its_timing_is_told_from_two_units():
    waveforms, shifts = jittered(lambda trough: 80 * spike(60, trough, 2.0, 8, 0.4), 200, seed=1)
    by_timing = (shifts > 0).astype(int)  # early and late halves of one unit
    assert timing_split_share(waveforms, by_timing) > 0.9
    by_chance = np.arange(200) % 2  # the same unit halved at random: what the halves' means differ by is noise
    assert timing_split_share(waveforms, by_chance) < 0.5
    # two real units, told apart by amplitude, by shape, or on a tetrode by footprint: near 0
    assert timing_split_share(np.vstack([waveforms, 2 * waveforms]), np.repeat([0, 1], 200)) < 0.01
    other, _ = jittered(lambda trough: 80 * spike(60, trough, 3.0, 12, 0.7), 200, seed=2)
    assert timing_split_share(np.vstack([waveforms, other]), np.repeat([0, 1], 200)) < 0.3
    footprint = np.hstack([waveforms, 0.3 * waveforms]), np.hstack([0.3 * waveforms, waveforms])
    assert timing_split_share(np.vstack(footprint), np.repeat([0, 1], 200), channels=2) < 0.01
    # on a tetrode-like row the derivative is taken channel by channel
    two_channels = np.hstack([waveforms, 0.5 * waveforms])
    assert timing_split_share(two_channels, by_timing, channels=2) > 0.9
    assert math.isnan(timing_split_share(waveforms[:8], np.repeat([0, 1], 4)))  # clusters too small to judge
    with pytest.raises(InputError, match="cannot be cut into 7 channels"):
        timing_split_share(waveforms, by_timing, channels=7)


def test_ranks_whose_clusters_cut_a_unit_by_its_timing_are_set_aside():
    # a one-channel recording of 3 units (c1_u3_n5_shape_s1 of the realistic benchmark): k = 6 halves every unit
    # into early and late spikes, a stable cut that prediction strength's fall would otherwise pick
    scan = pd.DataFrame({"k": [2, 3, 4, 5, 6, 7, 8], "separation": [5.8, 2.47, 2.36, 1.84, 2.0, 1.38, 1.53],
                         "prediction_strength": [0.994, 0.771, 0.541, 0.480, 0.663, 0.451, 0.424],
                         "timing_split": [0.10, 0.14, 0.72, 0.84, 0.97, 0.96, 0.97]})
    assert rank_suggestion(scan.drop(columns="timing_split")).k == 6
    suggestion = rank_suggestion(scan)
    assert suggestion.k == suggested_rank(scan) == 3 and suggestion.set_aside == (6, 7, 8)
    assert "(0.77 at k = 3, at most 0.54 at any larger k not set aside below:" in suggestion.reason
    assert suggestion.reason.endswith("Set aside as units cut in two: k = 6, 7, 8, where two clusters differ only by "
                                      "when their spikes were cut out (their mean waveforms differ along the spike's "
                                      "time derivative, 96% or more).")
    everywhere = scan.assign(timing_split=0.95)  # nothing else to suggest from: the scan is read as it is
    assert rank_suggestion(everywhere) == rank_suggestion(scan.drop(columns="timing_split"))


def test_when_every_larger_k_cuts_a_unit_by_its_timing_the_fall_after_the_last_k_kept_counts_as_seen():
    # the bundled synthetic set: 4 units, k = 5 … 7 each cut one by its timing
    scan = pd.DataFrame({"k": [2, 3, 4, 5, 6, 7], "separation": [4.6, 4.97, 5.21, 3.31, 2.74, 2.74],
                         "prediction_strength": [0.996, 0.986, 0.980, 0.650, 0.489, 0.493],
                         "timing_split": [0.05, 0.20, 0.20, 0.95, 0.97, 0.96]})
    suggestion = rank_suggestion(scan)
    assert suggestion.k == 4 and not suggestion.unsure  # k = 5 no longer "explains the data about as well"
    assert "(0.98 at k = 4, every larger k set aside below:" in suggestion.reason
    assert "the largest k scanned" not in suggestion.reason and "At k = 5" not in suggestion.reason
    assert rank_suggestion(scan.drop(columns="timing_split")).alternatives == (5,)


def test_ranks_with_a_cluster_too_small_for_a_unit_are_set_aside():
    # c8_u4_n5_s518 of SpikeInterface's own generator (8 channels, 4 units): past k = 5 the clustering spends
    # clusters on a waveform or two, which prediction strength does not see, and its fall picked 9
    scan = pd.DataFrame({"k": [2, 3, 4, 5, 6, 7, 8, 9, 10],
                         "separation": [10.6, 4.26, 15.3, 0.593, 1.67, 4.68, 1.80, 4.89, 1.76],
                         "timing_split": [0.0, 0.0, 0.001, 0.005, 0.002, 0.701, 0.015, 0.698, 0.007],
                         "smallest_cluster": [237, 237, 227, 101, 2, 1, 1, 1, 1],
                         "prediction_strength": [1.0, 1.0, 1.0, 0.760, 0.799, 0.889, 0.685, 0.676, 0.490]})
    assert rank_suggestion(scan.drop(columns="smallest_cluster")).k == 9
    suggestion = rank_suggestion(scan)
    assert suggestion.too_small == (6, 7, 8, 9, 10) and suggestion.set_aside == ()
    assert suggestion.k == 5 and suggestion.alternatives == (4,)  # d′ 0.59 at k = 5: no more than a cut unit
    assert suggestion.reason.endswith("Set aside as too few for a unit: k = 6, 7, 8, 9, 10, where the smallest "
                                      "cluster holds only 1–2 waveforms (fewer than 10: most often spikes caught "
                                      "in one window with another unit's).")
    one_size = rank_suggestion(scan.assign(smallest_cluster=[237, 237, 227, 101, 3, 3, 3, 3, 3]))
    assert "holds only 3 waveforms (fewer" in one_size.reason
    one_and_none = rank_suggestion(scan.assign(smallest_cluster=[237, 237, 227, 101, 1, 0, 1, 1, 1]))
    assert "holds only 0–1 waveforms (fewer" in one_and_none.reason
    everywhere = scan.assign(smallest_cluster=1)  # nothing else to suggest from: the scan is read as it is
    assert rank_suggestion(everywhere) == rank_suggestion(scan.drop(columns="smallest_cluster"))
    timed = scan.assign(timing_split=[0.0, 0.0, 0.0, 0.0, 0.95, 0.0, 0.0, 0.0, 0.0])  # one reason per k: timing first
    assert rank_suggestion(timed).set_aside == (6,) and rank_suggestion(timed).too_small == (7, 8, 9, 10)


def test_scan_runs_of_one_k_do_not_depend_on_the_other_ranks():
    waveforms, _ = units([40 * SHAPE, 120 * SHAPE], 30, noise=4.0, jitter=0.08, seed=4)
    alone = rank_scan(waveforms, [3], n_runs=2, max_iter=50, random_state=0).drop(columns="seconds")
    among = rank_scan(waveforms, [2, 3], n_runs=2, max_iter=50, random_state=0).drop(columns="seconds")
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), among.iloc[[1]].reset_index(drop=True))


def test_a_clear_suggestion_says_what_the_next_k_does():
    suggestion = rank_suggestion(pd.DataFrame({"k": [2, 3, 4, 5], "separation": [8.0, 7.5, 6.1, 2.2]}))
    assert suggestion.k == 4 and not suggestion.unsure
    assert suggestion.reason.startswith("k = 4 is the largest k whose two closest clusters are still d′ = 6.1 apart")
    assert f"no more than one unit cut in two ({CUT_UNIT_SEPARATION:.1f} for a Gaussian unit)" in suggestion.reason


@pytest.mark.parametrize("separation, alternatives", [
    ([8.0, 7.5, 4.3, 2.2], (3,)),        # k = 4 only just reaches the threshold
    ([8.0, 7.5, 6.1, 3.4], (5,)),        # k = 5 is still farther apart than a cut unit
    ([8.0, 3.1, 6.1, 2.2], (3,)),        # k = 3 falls below while k = 4 passes
    ([8.0, 7.5, 4.3, 3.4], (3, 5)),
])
def test_an_unsure_suggestion_says_so_first(separation, alternatives):
    scan = pd.DataFrame({"k": [2, 3, 4, 5], "separation": separation})
    suggestion = rank_suggestion(scan)
    assert suggestion.k == suggested_rank(scan) == 4 and suggestion.alternatives == alternatives
    others = " and ".join(map(str, alternatives))
    assert suggestion.reason.startswith(f"k = 4 (unsure: k = {others} explain")
    assert suggestion_reason(scan) == suggestion.reason


@pytest.mark.parametrize("strength, k, alternatives, sentence", [
    ([0.99, 0.95, 0.90, 0.30], 4, (), "Prediction strength: it falls the most after k = 4 and does not come back "
                                      "(0.90 at k = 4, at most 0.30 at any larger k"),
    ([0.99, 0.98, 0.75, 0.40], 4, (), "Separation d′ agrees: k = 4 is the largest k"),  # under 0.8, yet the fall
    ([0.99, 0.95, 0.60, 0.40], 3, (4,), "Separation d′ points to k = 4 instead: k = 4 is the largest k"),
    ([0.99, 0.50, 0.95, 0.45], 4, (), "Prediction strength: it falls the most after k = 4"),  # the dip at 3 comes back
    ([0.99, 0.60, 0.50, 0.45], 2, (4,), "Prediction strength: it falls the most after k = 2"),
    ([0.99, 0.95, 0.90, 0.85], 5, (4,), "Prediction strength: at k = 5, the largest k scanned, clusters found in one "
                                        "half of the waveforms still keep 0.85 of every cluster's pairs together in "
                                        "the other half, against about 0.5 once a unit is cut in two"),
    ([1.0, 1.0, 1.0, 1.0], 5, (4,), "the fall may lie beyond the scan, and there may be more units than it reached."),
    ([0.99, 0.90, 0.99, 0.45], 4, (), "it falls the most after k = 4"),  # a fall that comes back does not count
    ([0.45, 0.40, 0.35, 0.30], 2, (4,), "no k keeps more than 50% of every cluster's pairs together"),
    # a fall is counted down to 0.5 only: 0.65 → 0.15 after k = 4 is no larger a fall than 0.65 → 0.5
    ([0.99, 0.95, 0.65, 0.15], 3, (4,), "it falls the most after k = 3 and does not come back (0.95 at k = 3, at "
                                        "most 0.65 at any larger k"),
])
def test_prediction_strength_suggests_and_separation_doubts(strength, k, alternatives, sentence):
    scan = pd.DataFrame({"k": [2, 3, 4, 5], "separation": [8.0, 7.5, 6.1, 2.2], "prediction_strength": strength})
    suggestion = rank_suggestion(scan)
    assert suggestion.k == suggested_rank(scan) == k
    assert suggestion.alternatives == alternatives
    assert sentence in suggestion.reason
    if alternatives == (4,):  # two criteria that disagree: unsure, and said first
        assert suggestion.reason.startswith(f"k = {k} (unsure: k = 4 explains the data about as well). Prediction")


@pytest.mark.parametrize("strength_at_5, alternatives", [(0.77, (5,)), (0.68, (5,)), (0.60, ())])
def test_a_next_k_that_holds_more_than_a_cut_unit_is_left_open(strength_at_5, alternatives):
    # 0.68 is how 3 close 4-channel units, suggested as 2, held at k = 3: the suggestion must not sound sure
    scan = pd.DataFrame({"k": [2, 3, 4, 5, 6], "separation": [8.0, 7.5, 6.1, 2.2, 2.0],
                         "prediction_strength": [0.99, 0.99, 0.99, strength_at_5, 0.62]})
    suggestion = rank_suggestion(scan)
    assert suggestion.k == suggested_rank(scan) == 4 and suggestion.alternatives == alternatives
    left_open = (f"At k = 5 the prediction strength is still {strength_at_5:.2f}, clearly more than the 0.5 or so a "
                 "unit cut in two keeps: a further unit is possible.")
    assert (left_open in suggestion.reason) == bool(alternatives)
    assert suggestion.reason.startswith("k = 4 (unsure: k = 5 explains" if alternatives else "Prediction strength: it falls")


def test_a_scan_that_ends_while_its_clusters_hold_suggests_its_largest_k_and_leaves_the_fall_seen_open():
    scan = pd.DataFrame({"k": [2, 3, 4, 5, 6], "separation": [8.0, 7.5, 2.5, 6.0, 5.0],
                         "prediction_strength": [0.99, 0.95, 0.60, 0.97, 0.92]})
    suggestion = rank_suggestion(scan)
    assert suggestion.k == suggested_rank(scan) == 6 and suggestion.alternatives == (5,)  # 0.97 → 0.92 after 5
    assert suggestion.reason.startswith("k = 6 (unsure: k = 5 explains the data about as well). Prediction "
                                        "strength: at k = 6, the largest k scanned,")
    assert "Separation d′ agrees: k = 6 is the largest k" in suggestion.reason
    shorter = rank_suggestion(scan[scan["k"] <= 5])  # the same waveforms scanned to 5: the fall after 5 is not seen
    assert shorter.k == 5 and "the fall may lie beyond the scan" in shorter.reason


def test_without_a_separated_k_the_separation_still_reads_as_one_sentence():
    scan = pd.DataFrame({"k": [2, 3, 4], "separation": [2.5, 3.5, 3.1], "prediction_strength": [0.95, 0.7, 0.6]})
    suggestion = rank_suggestion(scan)
    assert suggestion.k == 2 and suggestion.alternatives == (3,)
    assert "Separation d′ points to k = 3 instead: no k keeps its two closest clusters d′ = 4 apart" in suggestion.reason


def test_halves_too_small_give_no_prediction_strength_and_the_separation_decides():
    waveforms, _ = units([40 * SHAPE, 120 * SHAPE], 12, noise=4.0, jitter=0.08, seed=4)  # 24 waveforms: halves of 12
    scan = rank_scan(waveforms, [2, 3, 6, 7], n_runs=2, max_iter=50, random_state=0).set_index("k")
    assert np.isfinite(scan.loc[[2, 3], "prediction_strength"]).all()  # a half of 12 holds 2k waveforms up to k = 6
    assert np.isnan(scan.loc[7, "prediction_strength"])
    only_separation = pd.DataFrame({"k": [2, 3, 4], "separation": [8.0, 6.1, 2.2]})
    unscored = only_separation.assign(prediction_strength=np.nan)
    assert rank_suggestion(unscored) == rank_suggestion(only_separation)


def test_prediction_strength_of_halves_that_keep_or_cut_the_clusters():
    assert prediction_strength([0, 0, 1, 1, 1], [3, 3, 8, 8, 8]) == 1.0
    # cluster 1 is cut 2 + 2 by the other half's clusters: 2 of its 6 pairs stay together
    assert prediction_strength([0, 0, 1, 1, 1, 1], [0, 0, 1, 1, 2, 2]) == pytest.approx(2 / 6)
    assert math.isnan(prediction_strength([0, 1, 2], [0, 0, 0]))  # no cluster has a pair
    with pytest.raises(InputError):
        prediction_strength([0, 0], [0])


def test_no_separated_k_is_unsure_about_its_neighbours():
    suggestion = rank_suggestion(pd.DataFrame({"k": [2, 3, 4], "separation": [2.5, 3.5, 3.1]}))
    assert suggestion.k == 3 and suggestion.alternatives == (2, 4)
    assert suggestion.reason.startswith("No k keeps its two closest clusters d′ = 4 apart")
