"""Unit tests for nnmf_core.learning (the replay, the race, sparseness) and
the Learn NMF figures: snapshots are the fit's own states, segments join into
the uninterrupted fit exactly, races reproduce with their seed, and every
sentence says what its numbers show.

Small synthetic pictures keep every fit to milliseconds.
"""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import plotly.graph_objects as go
import pytest
from sklearn.decomposition import non_negative_factorization

from nnmf_core import factorize, figures
from nnmf_core.errors import InputError
from nnmf_core.images import image_to_matrix
from nnmf_core.learning import (
    MAX_SNAPSHOTS,
    Lap,
    SolverRace,
    exact_loss,
    hoyer_sparseness,
    random_start,
    replay_fit,
    segmented_fit,
    snapshot_iterations,
    solver_race,
)

N, M = 30, 44


def synthetic_picture(n: int = N, m: int = M) -> np.ndarray:
    """Gradients, a disc and seeded noise: no channel exactly of low rank."""
    y, x = np.mgrid[0:n, 0:m].astype(np.float64)
    disc = ((y - n / 2) ** 2 + (x - m / 3) ** 2 < (n / 4) ** 2) * 90.0
    channels = [40 + 150 * x / m + disc, 60 + 100 * np.sin(y / 5) ** 2 + 0.5 * disc, 200 - 150 * y / n]
    noise = np.random.default_rng(7).normal(0, 6, (n, m, 3))
    return np.clip(np.stack(channels, axis=2) + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    return synthetic_picture()


@pytest.fixture(scope="module")
def V(picture) -> np.ndarray:
    return image_to_matrix(picture, "luminance")


@pytest.mark.parametrize("name", ["nnmf_core.learning.replay", "nnmf_core.learning.sparseness", "nnmf_core.learning",
                                  "nnmf_core.figures.learning"])
def test_docstring_examples(name):
    failures, _ = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert failures == 0


# ---- segments and snapshots -------------------------------------------------------


@pytest.mark.parametrize("options", [
    dict(solver="hals"), dict(solver="mu"), dict(solver="mu", loss="kullback-leibler"),
    dict(solver="hals", alpha=0.01, l1_ratio=0.5),
], ids=["hals", "mu", "kl-mu", "hals-sparse"])
def test_segments_join_into_the_uninterrupted_fit_exactly(V, options):
    start = random_start(V, 5, 3)
    whole = factorize(V, 5, init=start, max_iter=40, tol=0, **options)
    ends = {}
    history, seconds = segmented_fit(V, 5, start, (0, 1, 3, 8, 20, 40),
                                     lambda i, W, H, s: ends.update({i: (W.copy(), H.copy())}), **options)
    np.testing.assert_array_equal(history, whole.loss_history)  # bit for bit, not approximately
    np.testing.assert_array_equal(ends[40][0], whole.W)
    assert seconds.shape == history.shape and (np.diff(seconds) >= 0).all()


def test_snapshots_are_the_fits_own_states(picture, V):
    replay = replay_fit(picture, rank=4, max_iter=30, random_state=1)
    history = replay.loss_history
    assert history.size == 30 and replay.iterations == snapshot_iterations(30)
    # The history's loss comes from float32 products (‖V‖² − 2⟨WᵀV, H⟩ + ⟨WᵀW, HHᵀ⟩), exact to about
    # 1e-7 of ‖V‖²; the snapshot's is computed directly in float64.
    rounding = 1e-6 * float(np.sum(V.astype(np.float64) ** 2))
    for snapshot in replay.snapshots[1:]:
        i = snapshot.iteration
        assert snapshot.loss == pytest.approx(history[i - 1], abs=rounding)
        if i < history.size and history[i - 1] - history[i] > 10 * rounding:  # not the next iteration's
            assert abs(snapshot.loss - history[i - 1]) < abs(history[i] - history[i - 1]) / 10
    for snapshot in replay.snapshots[3::7]:  # an independent fit stopped there holds the same factors
        alone = factorize(V, 4, init=random_start(V, 4, 1), max_iter=snapshot.iteration, tol=0)
        np.testing.assert_array_equal(snapshot.W, alone.W)
        np.testing.assert_array_equal(snapshot.H, alone.H)
    start = replay.snapshots[0]
    assert start.iteration == 0 and np.array_equal(start.W, random_start(V, 4, 1)[0])
    assert start.relative_error > replay.snapshots[-1].relative_error


def test_replay_of_a_kl_fit_keeps_kl_losses(picture, V):
    replay = replay_fit(picture, rank=3, max_iter=12, solver="mu", loss="kullback-leibler")
    last = replay.snapshots[-1]
    assert last.loss == pytest.approx(replay.loss_history[-1], rel=1e-5)
    assert last.loss != pytest.approx(exact_loss(V, last.W, last.H), rel=1e-3)  # not the squared error


def test_snapshot_iterations_are_few_log_spaced_and_end_at_the_fit():
    for max_iter in (1, 5, 23, 24, 200, 5000):
        iterations = snapshot_iterations(max_iter)
        assert iterations[0] == 0 and iterations[-1] == max_iter and len(iterations) <= MAX_SNAPSHOTS
        assert list(iterations) == sorted(set(iterations))
    gaps = np.diff(snapshot_iterations(1000))
    assert gaps[0] == 1 and gaps[-1] > 100  # dense at first, sparse late
    with pytest.raises(InputError):
        snapshot_iterations(0)


def test_snapshots_stay_within_their_memory_budget(picture):
    full = replay_fit(picture, rank=4, max_iter=40)
    per_snapshot = full.snapshots[1].nbytes
    small = replay_fit(picture, rank=4, max_iter=40, budget_bytes=5 * per_snapshot)
    assert len(full.snapshots) == MAX_SNAPSHOTS and len(small.snapshots) == 5
    assert small.nbytes <= 5 * per_snapshot
    np.testing.assert_array_equal(small.loss_history, full.loss_history)  # fewer snapshots, the same fit


def test_replay_of_a_colour_picture_and_bad_settings(picture):
    replay = replay_fit(picture, mode="colour", rank=3, max_iter=6)
    assert replay.shape == (N, 3 * M) and replay.snapshots[-1].picture.shape == (N, M, 3)
    with pytest.raises(InputError, match="from 1 to 30"):
        replay_fit(picture, rank=31)
    with pytest.raises(InputError, match="Unknown mode"):
        replay_fit(picture, mode="red")
    with pytest.raises(InputError, match="Kullback"):
        replay_fit(picture, rank=2, loss="kullback-leibler", solver="hals")


def test_hoyer_sparseness_from_flat_to_one_hot():
    assert hoyer_sparseness(np.ones((5, 3))) == 0.0
    assert hoyer_sparseness(np.eye(5)) == 1.0
    assert hoyer_sparseness(np.eye(5), axis=1) == 1.0
    assert hoyer_sparseness(np.zeros((4, 2))) == 0.0
    halves = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])  # columns: two of four, one of four
    assert hoyer_sparseness(halves) == pytest.approx(((2 - np.sqrt(2)) / 1 + 1.0) / 2)
    with pytest.raises(InputError):
        hoyer_sparseness(np.ones(4))


# ---- the race ----------------------------------------------------------------------


def test_race_reproduces_with_its_seed_from_one_start(V):
    first = solver_race(V, 4, max_iter=25, random_state=5)
    again = solver_race(V, 4, max_iter=25, random_state=5)
    assert [lap.name for lap in first.laps] == ["hals", "mu", "kl-mu", "sklearn-cd"]
    for lap, same in zip(first.laps, again.laps):
        np.testing.assert_array_equal(lap.relative_error, same.relative_error)
        np.testing.assert_array_equal(lap.iterations, same.iterations)
    starts = {lap.relative_error[0] for lap in first.laps}
    assert len(starts) == 1  # one start for all
    other = solver_race(V, 4, max_iter=25, random_state=6)
    assert other.laps[0].relative_error[0] != first.laps[0].relative_error[0]


def test_race_curves_match_each_solver_run_alone(V):
    race = solver_race(V, 4, max_iter=25, random_state=2)
    hals, mu, kl, cd = race.laps
    start = random_start(V, 4, 2)
    norm = np.linalg.norm(V.astype(np.float64))
    alone = factorize(V, 4, init=start, max_iter=25, tol=0, solver="hals")
    np.testing.assert_allclose(hals.relative_error[1:], np.sqrt(alone.loss_history) / norm, rtol=1e-12)
    assert hals.every_iteration and not kl.every_iteration and kl.iterations[-1] == 25
    W, H, _ = non_negative_factorization(V, W=start[0].copy(), H=start[1].copy(), n_components=4, init="custom",
                                         solver="cd", tol=0.0, max_iter=25)
    assert cd.final_error == pytest.approx(np.linalg.norm(V - W @ H) / norm, rel=1e-6)  # segments = one run
    rows = race.rows
    assert [row["solver"] for row in rows] == ["HALS", "MU (Lee–Seung)", "KL-MU", "scikit-learn cd"]
    assert rows[2]["minimises"] == "KL divergence" and rows[3]["error known at"].endswith("checkpoints")


def _lap(name, errors, seconds, psnr):
    iterations = np.arange(len(errors))
    return Lap(name, iterations, np.asarray(errors, float), np.asarray(seconds, float), psnr)


def test_race_summary_names_the_winner_and_flips_with_the_numbers():
    race = SolverRace((
        _lap("hals", [0.5, 0.2, 0.100], [0, 0.01, 0.02], 26.0),
        _lap("mu", [0.5, 0.3, 0.150], [0, 0.01, 0.02], 24.0),
        _lap("kl-mu", [0.5, 0.3, 0.160], [0, 0.05, 0.10], 23.5),
        _lap("sklearn-cd", [0.5, 0.25, 0.1005], [0, 0.02, 0.04], 25.98),
    ), rank=4, max_iter=2, random_state=0)
    text = race.summary
    assert "HALS ends closest" in text and "scikit-learn cd ends level with it" in text
    assert "MU (Lee–Seung) 2.0 dB behind" in text and "KL-MU 2.5 dB behind" in text
    assert "First within 1% of that error: HALS, after 0.02 s; scikit-learn cd took 2.0× as long" in text
    assert "MU (Lee–Seung) and KL-MU never got there" in text and "expected to trail" in text
    flipped = SolverRace((
        _lap("hals", [0.5, 0.2, 0.150], [0, 0.01, 0.02], 24.0),
        _lap("kl-mu", [0.5, 0.3, 0.100], [0, 0.05, 0.10], 26.0),
    ), rank=4, max_iter=2, random_state=0)
    assert flipped.winner.name == "kl-mu"
    assert "KL-MU ends closest" in flipped.summary and "KL-MU wins even on this yardstick" in flipped.summary
    assert "HALS 2.0 dB behind" in flipped.summary and "level" not in flipped.summary


def test_race_refuses_what_it_cannot_run(V):
    with pytest.raises(InputError, match="Race solvers"):
        solver_race(V, 3, racers=("hals", "adam"))
    with pytest.raises(InputError, match="non-negative"):
        solver_race(-V, 3)


# ---- figures -------------------------------------------------------------------------


def test_replay_figures_mark_the_iteration_and_keep_one_colour_scale(picture):
    replay = replay_fit(picture, rank=4, max_iter=20)
    loss = figures.replay_loss_figure(replay.loss_history, 8, replay.iterations)
    assert len(loss.data[1].x) == 8 and list(loss.data[2].x) == [8]
    assert loss.layout.yaxis.type == "log" and "iteration 8 of 20" in loss.layout.title.text
    W_max, H_max = replay.factor_ranges
    early = figures.factor_heatmaps(replay.snapshots[1].W, replay.snapshots[1].H, W_max=W_max, H_max=H_max)
    assert (early.data[0].zmax, early.data[1].zmax) == (W_max, H_max)
    assert early.data[0].colorbar.title.text == "W" and early.data[1].colorbar.title.text == "H"


def test_race_figure_has_iterations_and_seconds_side_by_side(V):
    race = solver_race(V, 3, max_iter=10)
    fig = figures.race_figure(race.laps)
    scatter = [trace for trace in fig.data if isinstance(trace, go.Scatter)]
    assert len(scatter) == 8 and sum(trace.showlegend for trace in scatter) == 4
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis2.title.text.startswith("seconds")
    assert list(scatter[1].x) == list(race.laps[0].seconds)
