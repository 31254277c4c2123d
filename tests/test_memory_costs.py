"""The spike page's memory estimates (what the server's work gate admits jobs
by) stay above what the jobs take, and what the page caches stays small."""

from __future__ import annotations

import io
import pickle
import tracemalloc

import numpy as np
import pytest

from nnmf_core import InputError, spikes


def _waveforms(n_waveforms: int, n_samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy waveforms of 4 units (two shapes, two amplitudes each)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, n_samples)
    shapes = np.array([-np.exp(-((t - 0.3) / w) ** 2) + 0.3 * np.exp(-((t - 0.5) / (2 * w)) ** 2)
                       for w in (0.03, 0.03, 0.08, 0.08)]) * np.array([[60], [120], [60], [120]])
    units = rng.integers(0, 4, n_waveforms)
    return shapes[units] + rng.normal(0, 5, (n_waveforms, n_samples)), units


def _traced_peak(compute) -> int:
    """Bytes Python and NumPy allocated at the peak of ``compute()`` beyond what was held before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        compute()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("transform, channels", [("split", 1), ("shift", 1), ("split", 4)])
def test_a_comparison_takes_less_than_its_estimate(transform, channels):
    X, _ = _waveforms(12_000, 120)  # 4 channels: rows of 4 × 30 samples, aligned first
    peak = _traced_peak(lambda: spikes.compare_methods(X, 4, transform=transform, max_iter=20, article_max_iter=20,
                                                       random_state=0, channels=channels))
    estimate = spikes.job_memory_bytes("comparison", *X.shape)
    assert peak < estimate
    # and the estimate is not so loose that the gate would keep the server idle
    assert estimate < 4 * peak


@pytest.mark.parametrize("channels", [1, 3])  # 3 channels of 30 samples: aligned first
def test_a_rank_scan_takes_less_than_its_estimate(channels):
    X, _ = _waveforms(5_000, 90)
    peak = _traced_peak(lambda: spikes.rank_scan(X, [2, 3, 4], max_iter=10, random_state=0, channels=channels))
    assert peak < spikes.job_memory_bytes("rank scan", *X.shape)


def test_residual_and_per_cluster_jobs_take_less_than_their_estimates():
    X, _ = _waveforms(20_000, 120)
    fit = spikes.cluster_waveforms(X, 4, max_iter=20, random_state=0).lean()
    residuals = spikes.job_memory_bytes("residuals", *X.shape)
    assert _traced_peak(lambda: spikes.relative_residuals(fit.factored(X), fit.W, fit.H)) < residuals
    assert _traced_peak(lambda: spikes.unassigned_waveforms(fit.labels, fit.factored(X), fit.W, fit.H)) < residuals
    per_cluster = spikes.job_memory_bytes("per cluster", *X.shape)
    for job in (lambda: spikes.spike_amplitudes(X, fit.labels), lambda: spikes.merge_suggestions(X, fit.labels),
                lambda: spikes.split_preview(X, fit.labels, 0, random_state=0), lambda: spikes.waveforms_digest(X)):
        assert _traced_peak(job) < per_cluster


def test_what_the_page_caches_of_a_comparison_is_a_few_values_per_waveform():
    X, units = _waveforms(20_000, 120)
    full = spikes.compare_methods(X, 4, max_iter=20, article_max_iter=20, random_state=0)
    lean = full.lean()
    assert len(pickle.dumps(full)) > 1.5 * X.nbytes  # the split's V and the article's V, in float32
    assert len(pickle.dumps(lean)) < X.nbytes / 4
    assert lean.chosen.V is None and lean.article.V is None
    assert np.array_equal(lean.chosen.factored(X), full.chosen.V)
    assert np.array_equal(lean.article.factored(X), full.article.V)
    assert lean.chosen.factored(X).dtype == np.float32
    np.testing.assert_array_equal(spikes.quality_report(lean, units).table["ari"],
                                  spikes.quality_report(full, units).table["ari"])
    with pytest.raises(InputError, match="were clustered"):
        lean.chosen.factored(X[:-1])


def test_the_article_recipe_compared_with_itself_stays_one_clustering_when_lean():
    X, _ = _waveforms(300, 60)
    lean = spikes.compare_methods(X, 3, max_iter=10, random_state=0, **{
        key: spikes.ARTICLE_RECIPE[key] for key in ("transform", "solver", "assignment", "init")}).lean()
    assert lean.article is lean.chosen


def test_reading_a_plain_csv_costs_less_than_the_page_charges():
    X, units = _waveforms(20_000, 120)
    text = io.StringIO()
    text.write("uid," + ",".join(map(str, range(120))) + ",unit\n")
    for i, (row, unit) in enumerate(zip(X, units)):
        text.write(f"s{i}," + ",".join(f"{v:.3f}" for v in row) + f",{unit}\n")
    data = text.getvalue().encode()
    peak = _traced_peak(lambda: spikes.read_waveforms(data))
    assert peak < spikes.READ_COST_PER_BYTE * len(data)
    # the upload's own bytes go to the parser: no second copy of the file, no float64 copy of its values twice
    assert peak < 2 * len(data) + 2.2 * X.nbytes


def test_an_unknown_job_is_named():
    with pytest.raises(InputError, match="Unknown job 'fit'"):
        spikes.job_memory_bytes("fit", 10, 10)
