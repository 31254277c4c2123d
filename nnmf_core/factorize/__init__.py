"""Non-negative matrix factorization: V ≈ W·H with W, H ≥ 0.

One entry point, :func:`factorize`, with two solvers written here in NumPy
(and run partitioned on Dask when V is a ``dask.array.Array``):

* ``solver="hals"`` — hierarchical alternating least squares, accelerated as in
  Gillis & Glineur (2012): each product of the data with a factor is reused for
  several cheap sweeps over the components. The fast default.
* ``solver="mu"`` — the multiplicative update rule of Lee & Seung (2001), the
  algorithm of the reference notebook: H first, then W with the new H, ``1e-10``
  added to each denominator. Also the solver for the Kullback–Leibler loss and
  for masked (weighted) fits.

The squared Frobenius loss is tracked after every iteration from the products
the update already made, ``‖V‖² − 2⟨WᵀV, H⟩ + ⟨WᵀW, HHᵀ⟩``, at a cost of
O(k²(n+m)); the n×m product W·H is never formed inside the loop, except where
it is inherent (the KL loss and masked fits).

Modules
-------
``core``        :func:`factorize`: validation, the restart loop, the result
``options``     accepted solver, loss and init names; :data:`SOLVER_LABELS`
``validation``  checks of V, its mask and the options (:data:`MAX_ENTRY`, …)
``init``        starting factors (random, NNDSVD, NNDSVDa, given) and
                :func:`restart_generators`, the seed of every restart
``mu``          multiplicative updates (Frobenius, masked, Kullback–Leibler)
``hals``        accelerated HALS
``loss``        loss tracking, float64 inner products, penalties
``budget``      cost of a fit and the work a server allows
``result``      :class:`NMFResult`
``transform``   :func:`transform`, non-negative least squares with H fixed
``dask_support``, ``dask_init``, ``dask_solvers``
                the same fit on a ``dask.array.Array`` (Dask imported only then):
                V and the tall factor stay partitioned on the workers, only
                k×m and k×k products travel

Every public name is re-exported here: import from ``nnmf_core.factorize``,
not from the modules inside.

The package and its main function share the name ``factorize``. After
``import nnmf_core``, the attribute ``nnmf_core.factorize`` is the *function*
(``nnmf_core/__init__.py`` imports it over the package's name), so
``from nnmf_core import factorize`` gives the function, and so does
``import nnmf_core.factorize as name`` (it reads that attribute), and a
dotted path through it (``nnmf_core.factorize.fit_cost``) fails. Statements
that name the package in a ``from`` clause go through ``sys.modules`` and see
the package: ``from nnmf_core.factorize import fit_cost`` and
``importlib.import_module("nnmf_core.factorize")`` work as expected.

Examples
--------
>>> import numpy as np
>>> from nnmf_core import factorize
>>> V = np.random.default_rng(0).random((60, 40))
>>> result = factorize(V, 5, random_state=0)
>>> result.W.shape, result.H.shape
((60, 5), (5, 40))
>>> bool(result.relative_error < 0.5)
True
"""

from nnmf_core.factorize.budget import (
    MAX_FIT_COST,
    AffordableWork,
    fit_cost,
    iterations_within_budget,
    work_within_budget,
)
from nnmf_core.factorize.core import factorize
from nnmf_core.factorize.hals import MAX_INNER_SWEEPS, SWEEP_OVERHEAD
from nnmf_core.factorize.init import restart_generators
from nnmf_core.factorize.loss import KL_EPS, TOL_WINDOW
from nnmf_core.factorize.mu import MU_EPS
from nnmf_core.factorize.options import (
    INITS,
    LOSSES,
    SOLVER_LABELS,
    SOLVERS,
    Init,
    IterationCallback,
    RestartCallback,
)
from nnmf_core.factorize.result import NMFResult
from nnmf_core.factorize.transform import transform
from nnmf_core.factorize.validation import MAX_ENTRY, MIN_LARGEST_ENTRY

__all__ = [
    "INITS",
    "KL_EPS",
    "LOSSES",
    "MAX_ENTRY",
    "MAX_FIT_COST",
    "MAX_INNER_SWEEPS",
    "MIN_LARGEST_ENTRY",
    "MU_EPS",
    "SOLVERS",
    "SOLVER_LABELS",
    "SWEEP_OVERHEAD",
    "TOL_WINDOW",
    "AffordableWork",
    "Init",
    "IterationCallback",
    "NMFResult",
    "RestartCallback",
    "factorize",
    "fit_cost",
    "iterations_within_budget",
    "restart_generators",
    "transform",
    "work_within_budget",
]
