"""nnmf_core.NMF as a scikit-learn estimator: every check of
``check_estimator``, a Pipeline, a grid search, Dask arrays, and the same
numbers as the functions underneath."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer
from sklearn.utils.estimator_checks import check_estimator

from nnmf_core import NMF, InputError, factorize, transform


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    """These tests never touch Streamlit (overrides the suite's autouse fixture)."""
    yield


def data(n=80, m=20, k=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, k)) @ rng.random((k, m)) + 0.05 * rng.random((n, m))


def test_check_estimator_passes_every_check():
    """No expected failures: every check applies and passes (negative data is
    refused with "Negative values in data", the positive-only tag is set)."""
    results = check_estimator(NMF(), on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] != "passed"}
    assert not failed
    assert len(results) > 40


def test_fit_is_factorize_and_transform_is_nnls():
    X = data()
    model = NMF(4, random_state=0, max_iter=200).fit(X)
    reference = factorize(X, 4, random_state=0, max_iter=200, dtype=np.float64)
    np.testing.assert_array_equal(model.components_, reference.H)
    np.testing.assert_array_equal(model.loss_history_, reference.loss_history)
    assert model.n_iter_ == reference.n_iter
    assert model.reconstruction_err_ == pytest.approx(np.linalg.norm(X - reference.W @ reference.H), rel=1e-6)
    np.testing.assert_array_equal(model.transform(X), transform(X, reference.H))
    np.testing.assert_allclose(model.inverse_transform(model.transform(X)), X, atol=0.1)
    assert model.get_feature_names_out().tolist() == ["nmf0", "nmf1", "nmf2", "nmf3"]


def test_parameters_round_trip_and_reach_the_fit():
    model = NMF(3, solver="mu", alpha_W=0.01, l1_ratio=0.5, n_restarts=2, random_state=1)
    assert model.get_params()["alpha_W"] == 0.01
    model.set_params(n_components=2, max_iter=50)
    model.fit(data())
    assert model.components_.shape == (2, 20) and model.result_.solver == "mu"
    assert len(model.result_.restart_losses) == 2


def test_in_a_pipeline_and_a_grid_search():
    X = data(120)
    pipeline = make_pipeline(Normalizer(), NMF(random_state=0, max_iter=100))

    def reconstruction_score(pipeline, X, y=None):
        scaled = pipeline[0].transform(X)
        return -np.linalg.norm(scaled - pipeline[-1].inverse_transform(pipeline.transform(X)))

    search = GridSearchCV(pipeline, {"nmf__n_components": [2, 4, 6]}, cv=3, scoring=reconstruction_score)
    search.fit(X)
    assert search.best_params_["nmf__n_components"] == 6
    assert search.best_estimator_.transform(X).shape == (120, 6)


def test_negative_data_is_refused_with_a_sentence():
    with pytest.raises(InputError, match="Negative values in data passed to NMF: 1 entries are below zero"):
        NMF(2).fit(np.array([[1.0, -1.0], [2.0, 3.0], [0.5, 0.1]]))


def test_dask_arrays_are_accepted_the_same_way():
    da = pytest.importorskip("dask.array", reason="dask is not installed (pip install -r requirements-dev.txt)")
    import dask

    X = data(3000, 20)
    with dask.config.set(scheduler="threads"):
        model = NMF(4, random_state=0, max_iter=30, tol=0).fit(da.from_array(X, chunks=(700, 20)))
        reference = NMF(4, random_state=0, max_iter=30, tol=0).fit(X)
        np.testing.assert_allclose(model.loss_history_, reference.loss_history_, rtol=1e-5)
        W = model.transform(da.from_array(X, chunks=(1000, 20)))
        assert isinstance(W, da.Array)
        np.testing.assert_allclose(W.compute(), model.transform(X), rtol=1e-8, atol=1e-12)
        with pytest.raises(InputError, match="X has 19 features, but NMF is expecting 20"):
            model.transform(da.from_array(X[:, :19]))
