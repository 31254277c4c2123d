"""The factors of a compression as an ``.npz`` file: the float16 W and H every
quality number is measured on, readable without pickle."""

from __future__ import annotations

import io

import numpy as np

from nnmf_core.compression.fit import Compression

__all__ = ["npz_bytes"]


def npz_bytes(compression: Compression) -> bytes:
    """The factors as an ``.npz`` file that ``np.load(..., allow_pickle=False)`` reads.

    Arrays: ``W`` and ``H`` in float16 (per channel: stacked, shapes
    (3, n, k) and (3, k, m)), ``shape`` of the picture, ``mode``, ``layout``
    ("joint", "per-channel" or "one channel"), ``dtype`` ("float16"),
    ``rank`` and ``channels``. Rebuild with ``np.clip(W.astype(float) @ H, 0, 1)``
    (per channel: one product per channel; joint colour: split the columns
    into R, G, B thirds).
    """
    W = np.stack([factors.W for factors in compression.factors]) if len(compression.factors) > 1 \
        else compression.factors[0].W
    H = np.stack([factors.H for factors in compression.factors]) if len(compression.factors) > 1 \
        else compression.factors[0].H
    buffer = io.BytesIO()
    np.savez(
        buffer,
        W=W.astype(np.float16),
        H=H.astype(np.float16),
        shape=np.array(compression.original.shape, dtype=np.int64),
        mode=np.array(compression.mode),
        layout=np.array(compression.colour_layout or "one channel"),
        dtype=np.array("float16"),
        rank=np.array(compression.rank, dtype=np.int64),
        channels=np.array([factors.name for factors in compression.factors]),
    )
    return buffer.getvalue()
