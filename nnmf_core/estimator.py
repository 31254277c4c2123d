"""A scikit-learn estimator over :func:`~nnmf_core.factorize`: :class:`NMF`.

Same conventions as :class:`sklearn.decomposition.NMF`: X has one sample per
row (n_samples × n_features), ``fit`` learns ``components_`` (H, k ×
n_features), ``transform`` returns the weights W (n_samples × k). The fit
itself is :func:`~nnmf_core.factorize`, and ``transform`` is
:func:`~nnmf_core.transform` (non-negative least squares with the
components held fixed). Dask arrays are accepted wherever NumPy arrays are.

Examples
--------
>>> import numpy as np
>>> X = np.random.default_rng(0).random((40, 12))
>>> model = NMF(3, random_state=0).fit(X)
>>> model.components_.shape, model.transform(X).shape
((3, 12), (40, 3))
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from nnmf_core.errors import InputError
from nnmf_core.factorize import factorize
from nnmf_core.factorize.dask_support import _is_dask_array
from nnmf_core.factorize.transform import transform as nnls_transform


class NMF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Non-negative matrix factorization X ≈ W·H, with nnmf_core's solvers.

    Parameters
    ----------
    n_components : int or None
        k, the number of components; None takes the number of features.
    solver : {"hals", "mu"}
        Accelerated HALS (fast) or Lee–Seung multiplicative updates.
    loss : {"frobenius", "kullback-leibler"}
        What is minimised; the KL loss needs ``solver="mu"`` (in memory only).
    init : {"nndsvda", "nndsvd", "random"}
        Start of the first restart (see :func:`~nnmf_core.factorize`).
    max_iter : int
        Iterations per restart.
    tol : float
        Relative decrease of the loss over 10 iterations below which a fit stops.
    alpha_W : float
        Strength of the elementwise penalties, applied to W and H alike (as
        scikit-learn's ``alpha_H="same"``), scaled as scikit-learn scales them.
    l1_ratio : float
        Share of the L1 penalty in ``alpha_W`` (0: L2 only, 1: L1 only).
    random_state : int, numpy Generator or None
        Seed of the random starts; an int reproduces a fit bit for bit.
    n_restarts : int
        Independent starts; the one with the smallest loss is kept.
    transform_max_iter : int
        Most coordinate-descent sweeps per sample in :meth:`transform`.

    Attributes
    ----------
    components_ : ndarray, shape (n_components, n_features)
        H, one component per row.
    n_components_ : int
        The number of components fitted.
    reconstruction_err_ : float
        ‖X − WH‖_F of the fit (the square root of the last loss for KL:
        scikit-learn's convention would be the divergence itself, see
        ``loss_history_``).
    n_iter_ : int
        Iterations run by the kept restart.
    loss_history_ : ndarray of float64, shape (n_iter_,)
        The loss after every iteration of the kept restart.
    result_ : NMFResult
        Everything :func:`~nnmf_core.factorize` returned (W included).
    n_features_in_ : int
        Features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit``, when X was a DataFrame with string names.
    """

    def __init__(self, n_components=None, *, solver="hals", loss="frobenius", init="nndsvda", max_iter=300,
                 tol=1e-4, alpha_W=0.0, l1_ratio=0.0, random_state=None, n_restarts=1, transform_max_iter=500):
        self.n_components = n_components
        self.solver = solver
        self.loss = loss
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_W = alpha_W
        self.l1_ratio = l1_ratio
        self.random_state = random_state
        self.n_restarts = n_restarts
        self.transform_max_iter = transform_max_iter

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _checked_X(self, X, reset: bool):
        """X as a float array (Dask arrays as they are), with scikit-learn's
        checks of shape, features and finiteness, then non-negativity."""
        if _is_dask_array(X):
            if X.ndim != 2:
                raise InputError(f"Expected a 2-D array of samples × features; got shape {X.shape}.")
            if reset:
                self.n_features_in_ = int(X.shape[1])
            elif X.shape[1] != self.n_features_in_:
                raise InputError(
                    f"X has {X.shape[1]} features, but NMF is expecting {self.n_features_in_} features as input."
                )
            return X
        try:
            X = validate_data(self, X, dtype=[np.float64, np.float32], reset=reset)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if X.size and X.min() < 0:
            raise InputError(
                f"Negative values in data passed to NMF: {int((X < 0).sum())} entries are below zero "
                f"(smallest {X.min():.4g}); NMF needs non-negative data — shift or split it first."
            )
        return X

    def fit(self, X, y=None):
        """Learn the components of X.

        Parameters
        ----------
        X : array_like or dask.array.Array, shape (n_samples, n_features)
            Non-negative data.
        y : ignored

        Returns
        -------
        self
        """
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Learn the components of X and return its weights.

        Returns
        -------
        W : ndarray, shape (n_samples, n_components), or a Dask array for a Dask X
            The fit's own W (for NumPy X the same as :meth:`transform` up to
            the fit's convergence).
        """
        return self._fit(X).W

    def _fit(self, X):
        X = self._checked_X(X, reset=True)
        k = X.shape[1] if self.n_components is None else self.n_components
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        result = factorize(
            X, k, solver=self.solver, loss=self.loss, init=self.init, max_iter=self.max_iter, tol=self.tol,
            n_restarts=self.n_restarts, random_state=self.random_state, dtype=dtype, alpha=self.alpha_W,
            l1_ratio=self.l1_ratio,
        )
        self.result_ = result
        self.components_ = result.H
        self.n_components_ = int(result.H.shape[0])
        self.loss_history_ = result.loss_history
        self.n_iter_ = result.n_iter
        final = float(result.loss_history[-1]) if result.n_iter else 0.0
        self.reconstruction_err_ = float(np.sqrt(max(final, 0.0)))
        return result

    def transform(self, X):
        """Weights W ≥ 0 of X on the fitted components (non-negative least squares).

        Parameters
        ----------
        X : array_like or dask.array.Array, shape (n_samples, n_features)

        Returns
        -------
        W : ndarray, shape (n_samples, n_components), or a Dask array for a Dask X
        """
        check_is_fitted(self)
        X = self._checked_X(X, reset=False)
        return nnls_transform(X, self.components_, max_iter=self.transform_max_iter)

    def inverse_transform(self, X):
        """Data from weights: W·components_.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_components)
            Weights W.

        Returns
        -------
        ndarray, shape (n_samples, n_features)
        """
        check_is_fitted(self)
        if _is_dask_array(X):
            return X @ self.components_
        try:
            W = np.asarray(X, dtype=self.components_.dtype)
        except (TypeError, ValueError) as exc:
            raise InputError(f"The weights could not be read as numbers ({exc}).") from None
        if W.ndim != 2 or W.shape[1] != self.n_components_:
            raise InputError(f"Expected weights of shape (n_samples, {self.n_components_}); got shape {W.shape}.")
        return W @ self.components_

    @property
    def _n_features_out(self):
        """Number of output features, for ``get_feature_names_out`` ("nmf0", "nmf1", …)."""
        return self.components_.shape[0]
