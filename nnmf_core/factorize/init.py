"""Starting factors of a fit and the random generator of each restart.

Starts: ``"random"`` (scaled as scikit-learn does), ``"nndsvd"`` and
``"nndsvda"`` (Boutsidis & Gallopoulos 2008), or factors given by the caller.
:func:`restart_generators` turns a ``random_state`` into one independent
generator per restart, the one place seeds are handled.
"""

from __future__ import annotations

import numpy as np

from nnmf_core.errors import InputError


def restart_generators(random_state, n_restarts: int) -> list[np.random.Generator]:
    """One independent random generator per restart, derived from ``random_state``.

    Parameters
    ----------
    random_state : int ≥ 0, numpy Generator or None
        A whole number seeds a ``SeedSequence`` whose spawned children seed the
        generators, so a seed gives the same generators on every call. A
        Generator is drawn from (it advances) for one seed per restart. None
        takes fresh entropy from the operating system.
    n_restarts : int
        How many generators, ≥ 1.

    Returns
    -------
    list of numpy Generator, length n_restarts

    Raises
    ------
    InputError
        For a ``random_state`` or ``n_restarts`` of another kind.

    Examples
    --------
    >>> [int(rng.integers(100)) for rng in restart_generators(0, 3)]
    [80, 66, 65]
    >>> [int(rng.integers(100)) for rng in restart_generators(0, 3)]
    [80, 66, 65]
    """
    if isinstance(n_restarts, bool) or not isinstance(n_restarts, (int, np.integer)) or n_restarts < 1:
        raise InputError(f"n_restarts must be a whole number ≥ 1; got {n_restarts!r}.")
    if isinstance(random_state, np.random.Generator):
        return [np.random.default_rng(s) for s in random_state.integers(0, 2**63 - 1, size=n_restarts)]
    if random_state is not None and (
        isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer))
    ):
        raise InputError(f"random_state must be a whole number, a numpy Generator or None; got {random_state!r}.")
    if random_state is not None and random_state < 0:
        raise InputError(f"random_state must be ≥ 0; got {random_state}.")
    sequence = np.random.SeedSequence(None if random_state is None else int(random_state))
    return [np.random.default_rng(child) for child in sequence.spawn(n_restarts)]


def _random_factors(n, m, rank, mean, rng, dtype):
    """Random start scaled as scikit-learn does: entries ~ |N(0, 1)|·sqrt(mean/k)."""
    scale = np.sqrt(mean / rank)
    H = np.abs(rng.standard_normal((rank, m))).astype(dtype) * dtype.type(scale)
    W = np.abs(rng.standard_normal((n, rank))).astype(dtype) * dtype.type(scale)
    return W, H


def _top_singular_triplets(V, k):
    """Leading k singular triplets of V: exact SVD for small problems, else a
    seeded randomised range finder (Halko, Martinsson & Tropp 2011)."""
    n, m = V.shape
    if k + 10 >= min(n, m) // 2 or min(n, m) <= 200:
        U, S, Vt = np.linalg.svd(V, full_matrices=False)
        return U[:, :k], S[:k], Vt[:k]
    rng = np.random.default_rng(0)  # the init is deterministic, like the SVD it approximates
    power_iterations = 7 if k < 0.1 * min(n, m) else 4
    Q = V @ rng.standard_normal((m, k + 10)).astype(V.dtype)
    for _ in range(power_iterations):
        Q, _ = np.linalg.qr(Q)
        Q, _ = np.linalg.qr(V.T @ Q)
        Q = V @ Q
    Q, _ = np.linalg.qr(Q)
    U_small, S, Vt = np.linalg.svd(Q.T @ V, full_matrices=False)
    return (Q @ U_small)[:, :k], S[:k], Vt[:k]


def _nndsvd_factors(V, rank, fill_zeros, rng, dtype):
    """NNDSVD (Boutsidis & Gallopoulos 2008). Components beyond min(n, m) have
    no singular vector; they start from the scaled random values."""
    n, m = V.shape
    k_svd = min(rank, n, m)
    U, S, Vt = _top_singular_triplets(V, k_svd)
    W = np.zeros((n, rank), dtype=np.float64)
    H = np.zeros((rank, m), dtype=np.float64)
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0, :] = np.sqrt(S[0]) * np.abs(Vt[0, :])
    for j in range(1, k_svd):
        x, y = U[:, j].astype(np.float64), Vt[j, :].astype(np.float64)
        x_p, y_p = np.maximum(x, 0), np.maximum(y, 0)
        x_n, y_n = np.maximum(-x, 0), np.maximum(-y, 0)
        x_p_norm, y_p_norm = np.linalg.norm(x_p), np.linalg.norm(y_p)
        x_n_norm, y_n_norm = np.linalg.norm(x_n), np.linalg.norm(y_n)
        if x_p_norm * y_p_norm >= x_n_norm * y_n_norm:
            u, v, sigma = x_p / max(x_p_norm, 1e-300), y_p / max(y_p_norm, 1e-300), x_p_norm * y_p_norm
        else:
            u, v, sigma = x_n / max(x_n_norm, 1e-300), y_n / max(y_n_norm, 1e-300), x_n_norm * y_n_norm
        lbd = np.sqrt(S[j] * sigma)
        W[:, j], H[j, :] = lbd * u, lbd * v
    W[W < 1e-6] = 0
    H[H < 1e-6] = 0
    mean = float(V.mean())
    if fill_zeros:
        W[W == 0] = mean
        H[H == 0] = mean
    if rank > k_svd:
        W_extra, H_extra = _random_factors(n, m, rank - k_svd, mean, rng, np.dtype(np.float64))
        W[:, k_svd:], H[k_svd:, :] = W_extra * np.sqrt((rank - k_svd) / rank), H_extra * np.sqrt((rank - k_svd) / rank)
    return np.ascontiguousarray(W, dtype=dtype), np.ascontiguousarray(H, dtype=dtype)


def _given_factors(init, n, m, rank, dtype):
    """The caller's (W0, H0), checked against V's shape and copied into C-ordered ``dtype`` arrays."""
    if len(init) != 2:
        raise InputError("init as a tuple must be (W0, H0).")
    out = []
    for name, array, shape in (("W0", init[0], (n, rank)), ("H0", init[1], (rank, m))):
        array = np.asarray(array)
        if array.dtype.kind not in "biuf":
            raise InputError(f"{name} must hold numbers; it holds {array.dtype} values.")
        if array.shape != shape:
            raise InputError(f"{name} must have shape {shape}; it has shape {array.shape}.")
        if not np.isfinite(array).all():
            raise InputError(f"{name} has NaN or infinite entries.")
        if (array < 0).any():
            raise InputError(f"{name} has negative entries (smallest {array.min():.4g}); factors must be ≥ 0.")
        out.append(np.array(array, dtype=dtype, order="C", copy=True))
    return out[0], out[1]


def _initial_factors(V_filled, rank, init, rng, dtype):
    """W (n×k) and H (k×m) of ``dtype`` to start from: ``init`` is a name of
    :data:`~nnmf_core.factorize.INITS` or a tuple (W0, H0)."""
    n, m = V_filled.shape
    if isinstance(init, (tuple, list)):
        return _given_factors(init, n, m, rank, dtype)
    if init == "random":
        return _random_factors(n, m, rank, float(V_filled.mean()), rng, dtype)
    return _nndsvd_factors(V_filled, rank, init == "nndsvda", rng, dtype)
