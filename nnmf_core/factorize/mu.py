"""Multiplicative updates (Lee & Seung 2001), the algorithm of the reference
notebook: H first, then W with the new H, ``MU_EPS`` added to each denominator.

:func:`_mu_frobenius` is the plain Frobenius fit, which never forms W·H;
:func:`_mu_masked_or_kl` handles masked fits and the Kullback–Leibler loss,
which need W·H every step. Each runs one restart from (W, H) and returns the
fitted (W, H); the tracker holds the losses.
"""

from __future__ import annotations

import numpy as np

from nnmf_core.factorize.loss import KL_EPS, _inner_product, _kl_divergence, _penalty_value, _sum_of_products

#: Added to every MU denominator, exactly as in the reference notebook.
MU_EPS = 1e-10


def _mu_step(X, numerator, denominator, l1, l2, eps):
    """X ← X ⊙ numerator / (denominator + l1 + l2·X + eps), in place. The
    denominator buffer is overwritten (it ends holding the ratio); the
    numerator is kept."""
    if l2:
        denominator += l2 * X
    if l1:
        denominator += l1
    denominator += eps
    np.divide(numerator, denominator, out=denominator)
    X *= denominator


def _mu_frobenius(V, W, H, max_iter, tracker, pen):
    """Lee–Seung multiplicative updates, H then W, as in the reference notebook.

    H is kept transposed (m×k) so that both large products are tall-and-thin
    with V in its stored order, VᵀW and VHᵀ: OpenBLAS runs that shape about
    1.5× faster than WᵀV. Per iteration: those two products, k×k Gram
    matrices, and a few passes over the factors into preallocated buffers.
    """
    n, m = V.shape
    k = H.shape[0]
    norm_sq = _inner_product(V, V)
    eps = V.dtype.type(MU_EPS)
    l1_H, l2_H, l1_W, l2_W = pen["l1_H"], pen["l2_H"], pen["l1_W"], pen["l2_W"]
    penalized = any(pen.values())
    Ht = np.ascontiguousarray(H.T)
    VtW, denominator_H = np.empty((m, k), V.dtype), np.empty((m, k), V.dtype)
    VHt, denominator_W = np.empty((n, k), V.dtype), np.empty((n, k), V.dtype)
    WtW = W.T @ W
    for _ in range(max_iter):
        np.matmul(V.T, W, out=VtW)                       # (WᵀV)ᵀ: the first large product
        np.matmul(Ht, WtW, out=denominator_H)            # (WᵀW H)ᵀ
        _mu_step(Ht, VtW, denominator_H, l1_H, l2_H, eps)
        np.matmul(V, Ht, out=VHt)                        # VHᵀ: the second large product
        HHt = Ht.T @ Ht
        np.matmul(W, HHt, out=denominator_W)
        _mu_step(W, VHt, denominator_W, l1_W, l2_W, eps)
        WtW = W.T @ W
        loss = norm_sq - 2.0 * _sum_of_products(W, VHt, denominator_W) + _inner_product(WtW, HHt)
        if tracker.done(loss, _penalty_value(W, Ht, pen) if penalized else 0.0):
            break
    return W, np.ascontiguousarray(Ht.T)


def _mu_masked_or_kl(V, W, H, max_iter, tracker, pen, mask, kl):
    """Multiplicative updates that need W·H: masked Frobenius and KL (masked or not)."""
    M = None if mask is None else mask.astype(V.dtype)
    V0 = V if M is None else np.where(mask, V, 0).astype(V.dtype)
    eps = V.dtype.type(MU_EPS)
    tiny = V.dtype.type(KL_EPS)
    for _ in range(max_iter):
        for side in ("H", "W"):
            WH = W @ H
            if kl:
                ratio = V0 / np.maximum(WH, tiny)
                if M is not None:
                    ratio *= M
                if side == "H":
                    numerator = W.T @ ratio
                    denominator = (W.T @ M) if M is not None else np.broadcast_to(W.sum(axis=0)[:, None], H.shape).copy()
                else:
                    numerator = ratio @ H.T
                    denominator = (M @ H.T) if M is not None else np.broadcast_to(H.sum(axis=1)[None, :], W.shape).copy()
            else:
                fitted = WH if M is None else WH * M
                if side == "H":
                    numerator, denominator = W.T @ V0, W.T @ fitted
                else:
                    numerator, denominator = V0 @ H.T, fitted @ H.T
            _mu_step(H if side == "H" else W, numerator, denominator, pen["l1_" + side], pen["l2_" + side], eps)
        WH = W @ H
        if kl:
            loss = _kl_divergence(V0, WH, M)
        else:
            residual = V0 - WH
            if M is not None:
                residual *= M
            loss = _inner_product(residual, residual)
        # KL's objective carries the penalties unscaled: half of the Frobenius units
        if tracker.done(loss, _penalty_value(W, H, pen) / (2.0 if kl else 1.0)):
            break
    return W, H
