"""nnmf_core: non-negative matrix factorization and the NMF Studio toolkit.

>>> import numpy as np
>>> from nnmf_core import factorize
>>> result = factorize(np.random.default_rng(0).random((50, 30)), 4, random_state=0)
>>> result.W.shape, result.H.shape
((50, 4), (4, 30))
"""

from nnmf_core.errors import InputError
from nnmf_core.factorize import NMFResult, factorize, transform
from nnmf_core.threads import pin_blas_threads, pin_blas_threads_for_sessions, usable_cores

__all__ = [
    "NMF",
    "InputError",
    "NMFResult",
    "factorize",
    "pin_blas_threads",
    "pin_blas_threads_for_sessions",
    "transform",
    "usable_cores",
]


def __getattr__(name: str):
    """``NMF`` on first use: the estimator needs scikit-learn, about a second
    to import, which the app's home and compression pages never use."""
    if name == "NMF":
        from nnmf_core.estimator import NMF

        return NMF
    raise AttributeError(f"module 'nnmf_core' has no attribute {name!r}")
