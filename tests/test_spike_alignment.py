"""Sub-sample alignment of spikes, and the default clustering of multichannel rows that aligns them first."""

import numpy as np
import pytest

from nnmf_core import InputError
from nnmf_core.spikes import (
    MAX_ALIGNMENT_SHIFT,
    aligned_as_fitted,
    aligned_waveforms,
    ari,
    cluster_waveforms,
    compare_methods,
    rank_scan,
    shifted_waveforms,
)

T = np.arange(40.0)
SHAPE = -np.exp(-0.5 * ((T - 15) / 1.2) ** 2) + 0.35 * np.exp(-0.5 * ((T - 20) / 2.5) ** 2)


def jittered_units(footprints, n_per_unit=150, jitter=0.5, noise=0.03, seed=0):
    """Units of one spike shape that differ only in their size on each of the
    channels (a probe's neighbouring cells), every spike detected up to
    ``jitter`` samples early or late."""
    rng = np.random.default_rng(seed)
    rows, units = [], []
    for unit, footprint in enumerate(footprints):
        spike = np.concatenate([size * SHAPE for size in footprint])
        spikes = shifted_waveforms(np.repeat(spike[None], n_per_unit, axis=0),
                                   rng.uniform(-jitter, jitter, n_per_unit), channels=len(footprint))
        rows.append(spikes + noise * rng.normal(size=spikes.shape))
        units += [unit] * n_per_unit
    return np.vstack(rows), np.array(units)


def test_known_sub_sample_shifts_are_undone():
    spike = np.concatenate([SHAPE, 0.6 * SHAPE, 0.2 * SHAPE])  # 3 channels
    moved_by = np.array([-0.8, -0.35, 0.0, 0.25, 0.6])
    X = shifted_waveforms(np.repeat(spike[None], moved_by.size, axis=0), moved_by, channels=3)
    alignment = aligned_waveforms(X, channels=3)
    # every spike lands on one time: what it was moved by, undone, up to the grid's 0.1 sample
    landed = moved_by + alignment.shifts
    assert np.ptp(landed) <= 0.1 + 1e-9
    assert np.abs(alignment.waveforms - alignment.waveforms[2]).max() < 0.05 * np.abs(spike).max()
    assert np.abs(X - X[2]).max() > 0.3 * np.abs(spike).max()  # they did differ before


def test_shifts_stay_within_the_limit_and_zero_leaves_the_waveforms():
    X = np.random.default_rng(1).normal(size=(30, 80))
    assert np.abs(aligned_waveforms(X, channels=2, max_shift=0.5).shifts).max() <= 0.5 + 1e-9
    assert np.abs(aligned_waveforms(X, channels=2).shifts).max() <= MAX_ALIGNMENT_SHIFT + 1e-9
    still = aligned_waveforms(X, channels=2, max_shift=0)
    assert not still.shifts.any()
    np.testing.assert_allclose(still.waveforms, X, atol=1e-12)


@pytest.mark.parametrize("call, words", [
    (lambda X: aligned_waveforms(X, channels=7), "cannot be cut into 7 channels"),
    (lambda X: aligned_waveforms(X, channels=2, max_shift=-1), "max_shift"),
    (lambda X: aligned_waveforms(X, channels=2, step=0), "step"),
    (lambda X: shifted_waveforms(X, [0.1, 0.2], channels=2), "one finite shift per waveform"),
    (lambda X: cluster_waveforms(X, 2, channels=2, align="yes"), "align must be True, False or None"),
])
def test_bad_arguments_are_refused_with_a_sentence(call, words):
    X = np.random.default_rng(2).normal(size=(20, 40))
    with pytest.raises(InputError, match=words):
        call(X)


def test_units_that_differ_only_across_channels_are_told_apart_despite_jitter():
    X, units = jittered_units([[1.0, 0.8, 0.5, 0.3], [0.8, 1.0, 0.5, 0.3]])
    aligned = cluster_waveforms(X, 2, random_state=0, channels=4)
    assert aligned.shifts is not None and "Aligned first" in aligned.description
    assert ari(units, aligned.labels) > 0.95
    # without the alignment the jitter is the larger difference, and each cluster takes half of both units
    assert ari(units, cluster_waveforms(X, 2, random_state=0, channels=4, align=False).labels) < 0.3


def test_one_channel_is_not_aligned_unless_asked():
    X, _ = jittered_units([[1.0], [0.7]], n_per_unit=60)
    plain = cluster_waveforms(X, 2, random_state=0)
    assert plain.shifts is None
    np.testing.assert_array_equal(plain.labels, cluster_waveforms(X, 2, random_state=0, align=False).labels)
    assert cluster_waveforms(X, 2, random_state=0, align=True).shifts is not None


def test_a_lean_aligned_fit_makes_its_data_again_from_the_originals():
    X, _ = jittered_units([[1.0, 0.8, 0.5, 0.3], [0.8, 1.0, 0.5, 0.3]], n_per_unit=40)
    fit = cluster_waveforms(X, 2, random_state=0, channels=4)
    np.testing.assert_allclose(fit.lean().factored(X), fit.V, rtol=1e-5, atol=1e-6)


def test_the_comparison_aligns_the_chosen_method_only():
    X, units = jittered_units([[1.0, 0.8, 0.5, 0.3], [0.8, 1.0, 0.5, 0.3]], n_per_unit=60)
    comparison = compare_methods(X, 2, random_state=0, channels=4)
    assert comparison.chosen.shifts is not None and comparison.article.shifts is None
    assert ari(units, comparison.chosen.labels) > 0.95


def test_the_rank_scan_scores_the_aligned_clusterings():
    X, _ = jittered_units([[1.0, 0.8, 0.5, 0.3], [0.8, 1.0, 0.5, 0.3]], n_per_unit=80)
    aligned = rank_scan(X, [2], n_runs=2, max_iter=100, random_state=0, channels=4).iloc[0]
    raw = rank_scan(X, [2], n_runs=2, max_iter=100, random_state=0, channels=4, align=False).iloc[0]
    assert aligned.separation > 2 * raw.separation


def test_a_later_recording_aligned_to_a_fits_reference_lands_where_the_fit_did():
    X, _ = jittered_units([[1.0, 0.8, 0.5, 0.3]], n_per_unit=50, noise=0.0)
    fit = aligned_waveforms(X, channels=4)
    later, _ = jittered_units([[1.0, 0.8, 0.5, 0.3]], n_per_unit=20, noise=0.0, seed=5)
    again = aligned_waveforms(later, channels=4, reference=fit.waveforms.mean(axis=0))
    assert np.abs(again.waveforms - fit.waveforms.mean(axis=0)).max() < 0.05
    np.testing.assert_allclose(aligned_as_fitted(later, X, fit.shifts, channels=4), again.waveforms)
    np.testing.assert_array_equal(aligned_as_fitted(later, X, None, channels=4), later)  # a fit that did not align
    with pytest.raises(InputError, match="one finite waveform of 160 samples"):
        aligned_waveforms(later, channels=4, reference=np.zeros(7))
