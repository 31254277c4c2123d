"""How close a picture or matrix is to the original: PSNR, SSIM, relative error.

PSNR and SSIM are scikit-image's, on intensities scaled to [0, 1]; uint8
pictures are divided by 255 first.
"""

from __future__ import annotations

import math

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from nnmf_core.errors import InputError

__all__ = ["psnr", "ssim", "relative_error"]


def psnr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Peak signal-to-noise ratio of ``estimate`` against ``reference``, in dB.

    ``10 · log10(1 / MSE)`` with intensities on a 0-1 scale (scikit-image's
    ``peak_signal_noise_ratio`` with ``data_range=1``). Higher is better;
    identical pictures give ``inf``.

    Parameters
    ----------
    reference, estimate : ndarray, shape (n, m) or (n, m, 3)
        Pictures of one shape: floats in [0, 1], or uint8 (divided by 255).

    Returns
    -------
    float
        PSNR in decibels.

    Examples
    --------
    >>> round(psnr(np.full((4, 4), 0.5), np.full((4, 4), 0.6)), 6)
    20.0
    """
    reference, estimate = _unit_pair(reference, estimate)
    if np.array_equal(reference, estimate):
        return math.inf
    return float(peak_signal_noise_ratio(reference, estimate, data_range=1.0))


def ssim(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Structural similarity of ``estimate`` to ``reference`` (1 = identical).

    scikit-image's ``structural_similarity`` with ``data_range=1``, its
    default uniform 7 × 7 window (smaller, odd, for pictures under 7 pixels
    on a side), and for colour the mean over channels.

    Parameters
    ----------
    reference, estimate : ndarray, shape (n, m) or (n, m, 3)
        Pictures of one shape: floats in [0, 1], or uint8 (divided by 255).

    Returns
    -------
    float
        Mean SSIM, at most 1; ``nan`` when a side is under 3 pixels (no
        window fits).
    """
    reference, estimate = _unit_pair(reference, estimate)
    smallest_side = min(reference.shape[:2])
    if smallest_side < 3:
        return math.nan
    window = min(7, smallest_side if smallest_side % 2 else smallest_side - 1)
    channel_axis = 2 if reference.ndim == 3 else None
    return float(
        structural_similarity(
            reference, estimate, data_range=1.0, win_size=window, channel_axis=channel_axis
        )
    )


def relative_error(V: np.ndarray, V_hat: np.ndarray) -> float:
    """Relative Frobenius error ``||V - V_hat||_F / ||V||_F``.

    Parameters
    ----------
    V, V_hat : ndarray, one shape
        The matrix and its approximation.

    Returns
    -------
    float
        0 for a perfect fit; 1 for ``V_hat = 0``.

    Raises
    ------
    InputError
        If the shapes differ or ``V`` is all zeros (the ratio is undefined).
    """
    V = np.asarray(V, dtype=np.float64)
    V_hat = np.asarray(V_hat, dtype=np.float64)
    if V.shape != V_hat.shape:
        raise InputError(f"Cannot compare a matrix of shape {V.shape} with one of shape {V_hat.shape}.")
    norm = np.linalg.norm(V)
    if norm == 0:
        raise InputError("The relative error is undefined because V is all zeros.")
    return float(np.linalg.norm(V - V_hat) / norm)


def _unit_pair(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference, estimate = _unit_scale(reference), _unit_scale(estimate)
    if reference.shape != estimate.shape:
        raise InputError(
            f"Cannot compare a picture of shape {reference.shape} with one of shape {estimate.shape}."
        )
    if reference.ndim not in (2, 3) or (reference.ndim == 3 and reference.shape[2] != 3):
        raise InputError(f"A picture must have shape (n, m) or (n, m, 3); got {reference.shape}.")
    return reference, estimate


def _unit_scale(picture: np.ndarray) -> np.ndarray:
    picture = np.asarray(picture)
    if picture.dtype == np.uint8:
        return picture.astype(np.float64) / 255.0
    return picture.astype(np.float64)

