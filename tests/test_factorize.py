"""The factorizer against oracles: hand arithmetic, scikit-learn, the SVD bound."""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import NMF

from nnmf_core import InputError, factorize
from nnmf_core.factorize import restart_generators


def low_rank_data(n=60, m=45, k=6, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, k)) @ rng.random((k, m)) + noise * rng.random((n, m))


def svd_floor(V, k):
    """Eckart–Young: the smallest ‖V − X‖_F/‖V‖_F over all X of rank ≤ k."""
    s = np.linalg.svd(V, compute_uv=False)
    return np.sqrt(np.sum(s[k:] ** 2) / np.sum(s**2))


def start(V, k, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((V.shape[0], k)) + 0.1, rng.random((k, V.shape[1])) + 0.1


# ---------------------------------------------------------------- MU = the notebook


def test_one_mu_step_matches_hand_arithmetic():
    V = np.array([[1.0, 2.0, 0.0], [3.0, 1.0, 4.0], [0.5, 0.0, 2.0], [2.0, 2.0, 2.0]])
    W0 = np.array([[0.5, 1.0], [1.0, 0.2], [0.3, 0.7], [0.9, 0.4]])
    H0 = np.array([[1.0, 0.5, 0.2], [0.1, 0.8, 1.5]])
    n, m, k = 4, 3, 2
    # H[a, j] <- H[a, j] * (Wᵀ V)[a, j] / ((Wᵀ W H)[a, j] + 1e-10), entry by entry
    H1 = np.empty_like(H0)
    for a in range(k):
        for j in range(m):
            num = sum(W0[i, a] * V[i, j] for i in range(n))
            den = sum(W0[i, a] * W0[i, b] * H0[b, j] for i in range(n) for b in range(k)) + 1e-10
            H1[a, j] = H0[a, j] * num / den
    # W[i, a] <- W[i, a] * (V Hᵀ)[i, a] / ((W H Hᵀ)[i, a] + 1e-10), with the new H
    W1 = np.empty_like(W0)
    for i in range(n):
        for a in range(k):
            num = sum(V[i, j] * H1[a, j] for j in range(m))
            den = sum(W0[i, b] * H1[b, j] * H1[a, j] for b in range(k) for j in range(m)) + 1e-10
            W1[i, a] = W0[i, a] * num / den
    loss = sum((V[i, j] - sum(W1[i, a] * H1[a, j] for a in range(k))) ** 2 for i in range(n) for j in range(m))

    result = factorize(V, 2, solver="mu", init=(W0, H0), max_iter=1, tol=0, dtype=np.float64)
    np.testing.assert_allclose(result.H, H1, rtol=1e-12)
    np.testing.assert_allclose(result.W, W1, rtol=1e-12)
    assert result.loss_history[0] == pytest.approx(loss, rel=1e-12)
    # the start was copied, not updated in place
    assert W0[0, 0] == 0.5 and H0[0, 0] == 1.0


def notebook_path(V, W, H, iterations):
    """The reference notebook's code path: full W·H in the W denominator and the
    loss summed over the flattened residual."""
    losses = []
    for _ in range(iterations):
        H = H * ((W.T @ V) / ((W.T @ W) @ H + 1e-10))
        W = W * ((V @ H.T) / ((W @ H) @ H.T + 1e-10))
        losses.append(float(np.sum((V - W @ H).ravel() ** 2)))
    return W, H, np.array(losses)


def test_mu_follows_the_notebook_for_hundreds_of_iterations():
    V = low_rank_data(80, 70, 8)
    W0, H0 = start(V, 10)
    W_ref, H_ref, losses_ref = notebook_path(V, W0, H0, 300)
    result = factorize(V, 10, solver="mu", init=(W0, H0), max_iter=300, tol=0, dtype=np.float64)
    assert result.n_iter == 300
    np.testing.assert_allclose(result.loss_history, losses_ref, rtol=1e-9)
    np.testing.assert_allclose(result.W, W_ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.H, H_ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss", ["frobenius", "kullback-leibler"])
def test_mu_loss_never_increases(loss):
    V = low_rank_data()
    result = factorize(V, 5, solver="mu", loss=loss, init="random", random_state=3, max_iter=200, tol=0, dtype=np.float64)
    history = result.loss_history
    assert np.all(np.diff(history) <= 1e-12 * history[:-1])
    assert history[-1] < 0.5 * history[0]


# ---------------------------------------------------------------- loss bookkeeping


@pytest.mark.parametrize("solver", ["hals", "mu"])
@pytest.mark.parametrize("iterations", [1, 7, 40])
def test_loss_history_equals_the_directly_computed_loss(solver, iterations):
    V = low_rank_data()
    result = factorize(V, 5, solver=solver, max_iter=iterations, tol=0, dtype=np.float64)
    direct = np.sum((V - result.W @ result.H) ** 2)
    assert result.loss_history[-1] == pytest.approx(direct, rel=1e-9)
    assert result.relative_error == pytest.approx(np.linalg.norm(V - result.reconstruct()) / np.linalg.norm(V), rel=1e-9)


def test_kl_loss_is_the_generalised_divergence():
    V = low_rank_data()
    V[V < 0.3] = 0.0  # zeros exercise 0·log 0 = 0
    result = factorize(V, 4, solver="mu", loss="kullback-leibler", max_iter=25, tol=0, dtype=np.float64)
    WH = result.W @ result.H
    positive = V > 0
    direct = np.sum(V[positive] * np.log(V[positive] / WH[positive])) - V.sum() + WH.sum()
    assert result.loss_history[-1] == pytest.approx(direct, rel=1e-9)


# ---------------------------------------------------------------- quality against peers and bounds


@pytest.mark.parametrize("seed,k", [(0, 4), (1, 8), (2, 12)])
def test_hals_is_within_one_percent_of_scikit_learn(seed, k):
    V = low_rank_data(120, 90, 10, noise=0.2, seed=seed)
    peer = NMF(k, solver="cd", init="nndsvda", max_iter=1000, tol=1e-6)
    W = peer.fit_transform(V)
    peer_error = np.linalg.norm(V - W @ peer.components_) / np.linalg.norm(V)
    ours = factorize(V, k, max_iter=1000, tol=1e-7, dtype=np.float64)
    assert ours.relative_error <= 1.01 * peer_error


@pytest.mark.parametrize("solver", ["hals", "mu"])
@pytest.mark.parametrize("k", [1, 3, 10, 40])
def test_no_error_falls_below_the_svd_floor(solver, k):
    V = low_rank_data(50, 40, 8, noise=0.3)
    result = factorize(V, k, solver=solver, max_iter=300, dtype=np.float64)
    floor = svd_floor(V, k)
    assert result.relative_error >= floor - 1e-9
    if k < 40:
        assert result.relative_error <= floor + 0.15  # and it is a real fit, not a failure


def test_regularised_hals_matches_scikit_learns_objective():
    V = low_rank_data(70, 50, 6, noise=0.1)
    alpha, l1_ratio, k = 0.002, 0.5, 6

    def objective(W, H):
        n, m = V.shape
        pen = alpha * l1_ratio * (m * W.sum() + n * H.sum())
        pen += 0.5 * alpha * (1 - l1_ratio) * (m * np.sum(W**2) + n * np.sum(H**2))
        return 0.5 * np.sum((V - W @ H) ** 2) + pen

    peer = NMF(k, solver="cd", init="nndsvda", alpha_W=alpha, alpha_H="same", l1_ratio=l1_ratio, max_iter=2000, tol=1e-8)
    W = peer.fit_transform(V)
    ours = factorize(V, k, alpha=alpha, l1_ratio=l1_ratio, max_iter=2000, tol=1e-9, dtype=np.float64)
    assert objective(ours.W, ours.H) <= 1.01 * objective(W, peer.components_)
    plain = factorize(V, k, max_iter=2000, tol=1e-9, dtype=np.float64)
    assert ours.W.sum() + ours.H.sum() < plain.W.sum() + plain.H.sum()  # the penalty shrinks


def test_rank_above_min_dimension_is_allowed_and_fits_closely():
    V = low_rank_data(30, 20, 5, noise=0.3)
    result = factorize(V, 25, max_iter=500)
    assert result.W.shape == (30, 25) and result.H.shape == (25, 20)
    assert result.relative_error < 0.05


# ---------------------------------------------------------------- determinism, dtypes, options


@pytest.mark.parametrize("solver", ["hals", "mu"])
def test_seeded_runs_are_identical_and_seeds_matter(solver):
    V = low_rank_data()
    a = factorize(V, 5, solver=solver, init="random", n_restarts=3, random_state=7)
    b = factorize(V, 5, solver=solver, init="random", n_restarts=3, random_state=7)
    c = factorize(V, 5, solver=solver, init="random", n_restarts=3, random_state=8)
    assert np.array_equal(a.W, b.W) and np.array_equal(a.H, b.H)
    assert np.array_equal(a.loss_history, b.loss_history)
    assert not np.array_equal(a.W, c.W)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["hals", "mu"])
def test_dtype_is_kept_throughout(dtype, solver):
    V = low_rank_data()
    result = factorize(V, 5, solver=solver, dtype=dtype)
    assert result.W.dtype == dtype and result.H.dtype == dtype
    assert (result.W >= 0).all() and (result.H >= 0).all()
    assert result.relative_error < 0.1


def test_restarts_keep_the_best_and_record_all():
    V = low_rank_data(noise=0.5)
    result = factorize(V, 6, init="random", n_restarts=5, random_state=0, max_iter=40)
    assert result.restart_losses.shape == (5,)
    assert result.loss_history[-1] == result.restart_losses.min()
    assert len(set(np.round(result.restart_losses, 6))) > 1


def test_on_iteration_sees_every_loss_and_can_stop():
    V = low_rank_data()
    seen = []

    def watch(i, loss):
        seen.append((i, loss))
        return i == 5

    result = factorize(V, 5, max_iter=100, tol=0, on_iteration=watch)
    assert result.stopped_early and not result.converged
    assert result.n_iter == 5 and [i for i, _ in seen] == [1, 2, 3, 4, 5]
    np.testing.assert_allclose([loss for _, loss in seen], result.loss_history)


@pytest.mark.parametrize("solver, init", [("hals", "random"), ("hals", "nndsvda"), ("mu", "random"), ("mu", "nndsvda")])
def test_on_restart_sees_every_restart_and_changes_nothing(solver, init):
    V = low_rank_data(noise=0.5)
    options = dict(solver=solver, init=init, n_restarts=3, random_state=3, max_iter=30)
    plain = factorize(V, 6, **options)
    calls = []

    def watch(restart, W, H, loss_history):
        calls.append((restart, W.copy(), H.copy(), loss_history.copy()))

    watched = factorize(V, 6, on_restart=watch, **options)
    for name in ("W", "H", "loss_history", "restart_losses"):
        assert np.array_equal(getattr(watched, name), getattr(plain, name)), name
    assert (watched.n_iter, watched.converged, watched.stopped_early) == (plain.n_iter, plain.converged, False)
    assert [restart for restart, *_ in calls] == [0, 1, 2]
    assert [history[-1] for *_, history in calls] == list(plain.restart_losses)
    _, W, H, history = calls[int(np.argmin(plain.restart_losses))]
    assert np.array_equal(W, plain.W) and np.array_equal(H, plain.H) and np.array_equal(history, plain.loss_history)
    assert all(W.shape == (60, 6) and H.shape == (6, 45) and W.dtype == np.float32 for _, W, H, _ in calls)
    assert len({history[-1] for *_, history in calls}) == 3  # three different fits


def test_on_restart_returning_true_skips_the_remaining_restarts():
    V = low_rank_data(noise=0.5)
    options = dict(init="random", random_state=5, max_iter=30)
    calls = []
    result = factorize(V, 6, n_restarts=5, on_restart=lambda restart, *_: calls.append(restart) or restart == 1, **options)
    assert calls == [0, 1]
    assert result.restart_losses.shape == (2,) and not result.stopped_early
    # the restarts that ran are the first two of five, the same as those of a two-restart fit
    two = factorize(V, 6, n_restarts=2, **options)
    assert np.array_equal(result.restart_losses, two.restart_losses)
    assert np.array_equal(result.W, two.W) and np.array_equal(result.loss_history, two.loss_history)


def test_on_restart_also_sees_a_restart_that_on_iteration_stopped():
    V = low_rank_data()
    calls = []
    result = factorize(V, 5, n_restarts=3, max_iter=100, tol=0, random_state=0, on_iteration=lambda i, loss: i == 4,
                       on_restart=lambda restart, W, H, history: calls.append((restart, history.size)))
    assert calls == [(0, 4)]
    assert result.stopped_early and result.restart_losses.shape == (1,)


def test_restart_generators_are_reproducible_independent_and_checked():
    def draws(generators):
        return [generator.integers(0, 2**62, size=4).tolist() for generator in generators]

    assert len(restart_generators(7, 3)) == 3
    assert draws(restart_generators(7, 3)) == draws(restart_generators(7, 3))
    assert draws(restart_generators(7, 5))[:3] == draws(restart_generators(7, 3))
    assert len({tuple(d) for d in draws(restart_generators(7, 3))}) == 3
    assert draws(restart_generators(7, 3)) != draws(restart_generators(8, 3))
    assert draws(restart_generators(np.int64(7), 2)) == draws(restart_generators(7, 2))
    # a Generator is drawn from: the same state gives the same generators, and it advances
    source = np.random.default_rng(1)
    first = draws(restart_generators(source, 2))
    assert first == draws(restart_generators(np.random.default_rng(1), 2))
    assert draws(restart_generators(source, 2)) != first
    assert len(restart_generators(None, 4)) == 4
    for random_state, words in [("seed", "whole number, a numpy Generator or None"), (True, "whole number"),
                                (1.5, "whole number"), (-1, "random_state must be ≥ 0")]:
        with pytest.raises(InputError, match=words):
            restart_generators(random_state, 2)
    for n_restarts in (0, 1.0, True):
        with pytest.raises(InputError, match="n_restarts must be a whole number ≥ 1"):
            restart_generators(0, n_restarts)


def test_the_function_and_the_package_share_the_name_factorize():
    import importlib
    import inspect

    import nnmf_core
    from nnmf_core.factorize import factorize as reexported

    assert inspect.isfunction(factorize) and nnmf_core.factorize is factorize is reexported
    package = importlib.import_module("nnmf_core.factorize")
    assert inspect.ismodule(package) and package.factorize is factorize
    for name in ["AffordableWork", "INITS", "Init", "IterationCallback", "KL_EPS", "LOSSES", "MAX_ENTRY", "MAX_FIT_COST",
                 "MAX_INNER_SWEEPS", "MIN_LARGEST_ENTRY", "MU_EPS", "NMFResult", "RestartCallback", "SOLVERS",
                 "SOLVER_LABELS", "SWEEP_OVERHEAD", "TOL_WINDOW", "fit_cost", "iterations_within_budget",
                 "restart_generators", "work_within_budget"]:
        assert name in package.__all__ and hasattr(package, name), name


def test_tol_has_one_meaning_for_every_solver():
    V = low_rank_data()
    for solver in ("hals", "mu"):
        loose = factorize(V, 5, solver=solver, tol=1e-2, max_iter=2000)
        assert loose.converged and loose.n_iter < 2000
        h = loose.loss_history
        assert h[-11] - h[-1] <= 1e-2 * h[-11]
        assert h[-12] - h[-2] > 1e-2 * h[-12]  # and not a moment earlier
        exhaustive = factorize(V, 5, solver=solver, tol=0, max_iter=50)
        assert exhaustive.n_iter == 50 and not exhaustive.converged


def test_nndsvd_zeros_stay_zero_under_mu_and_nndsvda_fills_them():
    V = low_rank_data()
    with pytest.warns(UserWarning, match="nndsvda"):
        frozen = factorize(V, 5, solver="mu", init="nndsvd", max_iter=1, tol=0, dtype=np.float64)
    nndsvd_start = factorize(V, 5, solver="hals", init="nndsvd", max_iter=1, tol=0, dtype=np.float64)
    assert (frozen.W == 0).any()
    filled = factorize(V, 5, solver="mu", init="nndsvda", max_iter=1, tol=0, dtype=np.float64)
    assert not (filled.W == 0).any() and nndsvd_start.relative_error < 1


# ---------------------------------------------------------------- masks


def test_hidden_entries_do_not_influence_the_fit():
    V = low_rank_data()
    rng = np.random.default_rng(5)
    mask = rng.random(V.shape) > 0.3
    other = V.copy()
    other[~mask] = rng.random((~mask).sum()) * 100
    other[~mask & (rng.random(V.shape) > 0.5)] = np.nan
    a = factorize(V, 5, solver="mu", mask=mask, random_state=0, dtype=np.float64, max_iter=100)
    b = factorize(other, 5, solver="mu", mask=mask, random_state=0, dtype=np.float64, max_iter=100)
    np.testing.assert_array_equal(a.W, b.W)
    np.testing.assert_array_equal(a.H, b.H)
    residual = np.where(mask, V - a.W @ a.H, 0)
    assert a.loss_history[-1] == pytest.approx(np.sum(residual**2), rel=1e-9)
    # and the masked fit predicts the held-out entries of low-rank data
    held_out = np.linalg.norm((V - a.W @ a.H)[~mask]) / np.linalg.norm(V[~mask])
    assert held_out < 0.2


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "V, words",
    [
        (np.ones((2, 3, 4)), "2-D"),
        (np.array([["a", "b"], ["c", "d"]]), "numbers"),
        (np.zeros((0, 4)), "empty"),
        (np.array([[1.0, np.nan], [2.0, 3.0]]), "NaN or infinite"),
        (np.array([[1.0, np.inf], [2.0, 3.0]]), "NaN or infinite"),
        (np.array([[1.0, -0.43], [-2.0, 3.0]]), "2 negative entries (smallest -2)"),
        (np.zeros((3, 3)), "all zeros"),
        (np.array([[1 + 1j, 2], [3, 4]]), "numbers"),
    ],
)
def test_bad_matrices_are_refused_with_a_sentence(V, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        factorize(V, 2)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"rank": 0}, "at least 1"),
        ({"rank": 1.5}, "whole number"),
        ({"rank": True}, "whole number"),
        ({"solver": "als"}, "solver must be"),
        ({"loss": "itakura"}, "loss must be"),
        ({"loss": "kullback-leibler", "solver": "hals"}, 'needs solver="mu"'),
        ({"mask": np.ones((4, 5), bool)}, 'needs solver="mu"'),
        ({"init": "svd"}, "init must be"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": -1.0}, "tol"),
        ({"n_restarts": 0}, "n_restarts"),
        ({"dtype": np.int32}, "dtype"),
        ({"alpha": -0.1}, "alpha"),
        ({"l1_ratio": 2.0}, "l1_ratio"),
        ({"random_state": "seed"}, "random_state"),
        ({"init": (np.ones((4, 3)), np.ones((2, 5)))}, "W0 must have shape"),
        ({"init": (np.ones((4, 2)), -np.ones((2, 5)))}, "H0 has negative"),
        ({"solver": "mu", "mask": np.ones((3, 3), bool)}, "mask has shape"),
        ({"solver": "mu", "mask": np.zeros((4, 5), bool)}, "hides every entry"),
    ],
)
def test_bad_options_are_refused_with_a_sentence(kwargs, words):
    kwargs = {"rank": 2, **kwargs}
    with pytest.raises(InputError, match=words):
        factorize(np.ones((4, 5)), **kwargs)


def test_input_error_is_a_value_error():
    with pytest.raises(ValueError):
        factorize(-np.ones((3, 3)), 1)


def test_iterations_are_capped_by_the_work_budget():
    from nnmf_core.factorize import MAX_FIT_COST, fit_cost, iterations_within_budget

    assert iterations_within_budget(100, 100, 5, 300) == 300
    capped = iterations_within_budget(4000, 4000, 200, 1000, n_restarts=3)
    assert 1 <= capped < 1000
    assert fit_cost(4000, 4000, 200, capped, 3) <= MAX_FIT_COST < fit_cost(4000, 4000, 200, capped + 1, 3)


def test_work_within_budget_caps_iterations_first_then_restarts():
    from nnmf_core.factorize import MAX_FIT_COST, fit_cost, iterations_within_budget, work_within_budget

    assert work_within_budget(100, 100, 5, 300, 2)[:2] == (300, 2)
    work = work_within_budget(2048, 2048, 500, 1000, 3)  # the brief's example: luminance at 2048 px
    assert (work.max_iter, work.n_restarts) == (7, 3) == (iterations_within_budget(2048, 2048, 500, 1000, 3), 3)
    assert work.asked_ratio == pytest.approx(fit_cost(2048, 2048, 500, 1000, 3) / MAX_FIT_COST)
    assert work.capped_ratio <= 1 < fit_cost(2048, 2048, 500, 8, 3) / MAX_FIT_COST
    # One iteration of ten restarts is 5× the budget: the restarts go too.
    assert fit_cost(2048, 6144, 2048, 1, 10) > MAX_FIT_COST
    work = work_within_budget(2048, 6144, 2048, 300, 10)
    assert (work.max_iter, work.n_restarts) == (1, 1) and work.capped_ratio <= 1
    # One iteration of one restart over the budget: capped at the floor, and the ratio says so.
    too_much = work_within_budget(2048, 6144, 12_000, 300, 1)
    assert too_much[:2] == (1, 1) and too_much.capped_ratio > 1


def _entries_up_to(largest: float) -> np.ndarray:
    V = np.random.default_rng(3).random((60, 80))
    return V / V.max() * largest


@pytest.mark.parametrize(
    "largest, dtype, words",
    [
        (1e300, np.float32, r"V's largest entry is 1e\+300, too large to factor in float32.* at most 1e\+12"),
        (1e300, np.float64, r"too large to factor in float64.* at most 1e\+100"),
        (2e12, np.float32, r"largest entry is 2e\+12, too large"),
        (1e-50, np.float32, r"largest entry is 1e-50, too small to factor in float32.* at least 1e-15"),
        (1e-30, np.float32, "underflow to zero"),
        (1e-120, np.float64, "too small to factor in float64"),
    ],
    ids=["1e300 float32", "1e300 float64", "2e12 float32", "1e-50 float32", "1e-30 float32", "1e-120 float64"],
)
def test_magnitudes_the_dtype_cannot_carry_are_refused_with_a_sentence(largest, dtype, words):
    with pytest.raises(InputError, match=words):
        factorize(_entries_up_to(largest), 4, dtype=dtype)


@pytest.mark.parametrize("solver", ["hals", "mu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_largest_accepted_entries_fit_without_overflow(solver, dtype):
    """At MAX_ENTRY the fit does not overflow (a RuntimeWarning fails the test)
    and fits as well as on V / V.max(): from a random start, which scales with V,
    NMF is scale-equivariant (NNDSVD's absolute 1e-6 threshold is not, so the
    default start is only checked for finite factors)."""
    from nnmf_core.factorize import MAX_ENTRY

    largest = MAX_ENTRY[np.dtype(dtype)]
    options = dict(solver=solver, max_iter=300, tol=0, dtype=dtype, random_state=0)
    default_start = factorize(_entries_up_to(largest), 8, **options)
    assert np.isfinite(default_start.W).all() and np.isfinite(default_start.H).all()
    assert default_start.relative_error < 0.6
    scaled = factorize(_entries_up_to(largest), 8, init="random", **options)
    unscaled = factorize(_entries_up_to(1.0), 8, init="random", **options)
    assert scaled.relative_error == pytest.approx(unscaled.relative_error, rel=1e-3)


# ---------------------------------------------------------------- long factors, transform


def test_a_tall_fit_stays_within_one_percent_of_scikit_learn():
    """W longer than one sweep block (swept block by block, each with its own stopping test)."""
    V = low_rank_data(6000, 40, 5, seed=3).astype(np.float32)
    ours = factorize(V, 5, max_iter=400, tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's "maximum number of iterations reached"
        peer = NMF(5, init="nndsvda", solver="cd", max_iter=400, tol=1e-6).fit(V)
    peer_error = np.linalg.norm(V - peer.transform(V) @ peer.components_) / np.linalg.norm(V)
    assert ours.relative_error <= peer_error * 1.01


def test_a_long_factor_is_swept_the_same_in_one_piece_or_in_its_blocks():
    """What the Dask path relies on: each block of a long factor needs only its own columns."""
    import importlib

    hals = importlib.import_module("nnmf_core.factorize.hals")
    rng = np.random.default_rng(0)
    k, p = 5, 3 * hals._sweep_block(5, 4) + 777
    X = rng.random((k, p)).astype(np.float32)
    numerator = rng.random((p, k)).astype(np.float32).T
    gram = (lambda A: A @ A.T)(rng.random((k, 50)).astype(np.float32))
    whole = X.copy()
    hals._hals_sweeps(whole, numerator, gram, 0.0, 0.0, 10, hals._SweepBuffers(k, p, np.float32))
    block = hals._sweep_block(k, 4)
    pieces = X.copy()
    for start in range(0, p, 2 * block):  # pieces of two blocks, as Dask partitions would be
        stop = min(start + 2 * block, p)
        part = pieces[:, start:stop]
        hals._hals_sweeps(part, numerator[:, start:stop], gram, 0.0, 0.0, 10,
                          hals._SweepBuffers(k, stop - start, np.float32, block))
    np.testing.assert_array_equal(pieces, whole)
    assert not np.array_equal(whole, X)


def test_transform_is_nonnegative_least_squares_row_by_row():
    from scipy.optimize import nnls

    from nnmf_core import transform

    rng = np.random.default_rng(1)
    H = rng.random((6, 40))
    H[2] = 0.9 * H[1] + 0.1 * H[2]  # two nearly parallel templates: coordinate descent alone creeps
    H[4] = 0  # a dead template gets weight 0
    V = rng.random((300, 6)) @ H + 0.3 * rng.random((300, 40))
    V[5] = 0
    W = transform(V, H)
    expected = np.array([nnls(H.T, v)[0] for v in V])
    assert W.shape == (300, 6) and (W >= 0).all()
    np.testing.assert_allclose(W, expected, atol=1e-8)
    assert not W[:, 4].any() and not W[5].any()
    np.testing.assert_allclose(transform(V[::7], H), W[::7], atol=1e-12)  # rows are independent


def test_transform_keeps_float32_and_recovers_a_fit():
    from nnmf_core import transform

    V = low_rank_data(200, 30, 4).astype(np.float32)
    result = factorize(V, 4, max_iter=500, tol=1e-8, random_state=0)
    W = transform(V, result.H)
    assert W.dtype == np.float32
    assert np.linalg.norm(V - W @ result.H) <= np.linalg.norm(V - result.W @ result.H) * (1 + 1e-4)


@pytest.mark.parametrize("V, H, words", [
    (np.ones((3, 4)), np.ones((2, 5)), "V has 4 columns but H has 5"),
    (-np.ones((3, 4)), np.ones((2, 4)), "V has 12 negative entries"),
    (np.ones((3, 4)), np.full((2, 4), np.nan), "H has 8 entries that are NaN or infinite"),
    (np.ones(4), np.ones((2, 4)), "V must be a 2-D matrix"),
])
def test_transform_refuses_bad_input_with_a_sentence(V, H, words):
    from nnmf_core import transform

    with pytest.raises(InputError, match=words):
        transform(V, H)


def test_the_squared_norm_of_a_large_matrix_is_summed_in_pieces_exactly_enough():
    import importlib

    loss = importlib.import_module("nnmf_core.factorize.loss")
    V = np.random.default_rng(0).random((loss.NORM_CHUNK // 100 + 3000, 100)).astype(np.float32)
    assert loss._squared_norm(V) == pytest.approx(float(np.sum(V.astype(np.float64) ** 2)), rel=1e-12)
