"""Inpainting: hide pixels of a picture, fit W·H to the rest only (a masked
fit, which never reads a hidden pixel), and read the hidden pixels off W·H —
measured on the hidden pixels alone, against scikit-image's biharmonic
inpainting, which fills each gap smoothly from its edges.

NMF fills a pixel from what its row shares with other rows and its column
with other columns (through W and H): it needs the hidden pixels' rows and
columns to be seen elsewhere. Biharmonic inpainting needs only the pixels
around each gap.

>>> import numpy as np
>>> hidden = hidden_pixels((40, 60), "block", 0.25)
>>> round(float(hidden.mean()), 2)
0.25
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage.restoration import inpaint_biharmonic

from nnmf_core.compression.matrices import fit_matrices, largest_rank
from nnmf_core.errors import InputError
from nnmf_core.factorize import factorize

__all__ = ["HIDDEN_PATTERNS", "INPAINTING_MODES", "hidden_pixels", "hidden_psnr", "Inpainting", "inpaint"]

#: How pixels are hidden: scattered at random, one block in the middle, or text written over the picture.
HIDDEN_PATTERNS = ("random", "block", "text")
#: What is fitted: the gray picture, or the three colours side by side.
INPAINTING_MODES = ("luminance", "colour")
#: The colour hidden pixels are shown in (magenta: rare in photos).
HIDDEN_COLOUR = (255, 0, 255)
#: PSNRs closer than this (dB) are "about as good".
LEVEL_DB = 0.1
_TEXT = "NMF fills gaps"


def hidden_pixels(shape: Sequence[int], pattern: str = "random", fraction: float = 0.2,
                  random_state: int = 0) -> np.ndarray:
    """Which pixels of a picture of ``shape`` (rows, columns[, 3]) to hide.

    Parameters
    ----------
    pattern : {"random", "block", "text"}
        ``"random"``: each pixel hidden with probability ``fraction``;
        ``"block"``: one centred rectangle of the picture's proportions
        covering ``fraction`` of it; ``"text"``: lines of text scribbled across
        the picture, their strokes about ``fraction`` of it (thicker for more).
    fraction : float
        Share of pixels to hide, above 0 and at most 0.9.

    Returns
    -------
    ndarray of bool, shape (rows, columns)
        True where hidden; at least one pixel is hidden and one is not.
    """
    if pattern not in HIDDEN_PATTERNS:
        raise InputError(f"Unknown way of hiding pixels {pattern!r}; choose {', '.join(HIDDEN_PATTERNS)}.")
    if not isinstance(fraction, (int, float)) or isinstance(fraction, bool) or not 0 < fraction <= 0.9:
        raise InputError(f"The share of hidden pixels must lie above 0 and at most 0.9; got {fraction!r}.")
    rows, columns = int(shape[0]), int(shape[1])
    if rows < 2 or columns < 2:
        raise InputError(f"Pixels are hidden in a picture of at least 2 × 2 px; got {columns} × {rows}.")
    if pattern == "random":
        hidden = np.random.default_rng(random_state).random((rows, columns)) < fraction
    elif pattern == "block":
        side = math.sqrt(fraction)
        height, width = max(1, round(rows * side)), max(1, round(columns * side))
        top, left = (rows - height) // 2, (columns - width) // 2
        hidden = np.zeros((rows, columns), dtype=bool)
        hidden[top : top + height, left : left + width] = True
    else:
        hidden = _scribbled(rows, columns, fraction)
    if hidden.all():
        hidden[0, 0] = False
    if not hidden.any():
        hidden[rows // 2, columns // 2] = True
    return hidden


def _scribbled(rows: int, columns: int, fraction: float) -> np.ndarray:
    """Lines of text over the picture, stroked thicker until about ``fraction`` is covered."""
    size = max(8, rows // 6)
    font = ImageFont.load_default(size=size)
    best = None
    for stroke in range(0, max(2, size // 3), max(1, size // 24)):
        canvas = Image.new("L", (columns, rows), 0)
        draw = ImageDraw.Draw(canvas)
        for line, top in enumerate(range(size // 3, rows, int(size * 1.6))):
            draw.text((size // 3 - (line % 2) * size, top), (_TEXT + " ") * 4, fill=255, font=font,
                      stroke_width=stroke, stroke_fill=255)
        hidden = np.asarray(canvas) > 127
        best = hidden
        if hidden.mean() >= fraction:
            break
    return best


def hidden_psnr(original: np.ndarray, filled: np.ndarray, hidden: np.ndarray) -> float:
    """PSNR (dB, peak 255) of ``filled`` against ``original`` over the hidden pixels only (every channel)."""
    difference = original[hidden].astype(np.float64) - filled[hidden].astype(np.float64)
    mse = float(np.mean(difference**2)) / 255.0**2
    return math.inf if mse == 0 else 10 * math.log10(1.0 / mse)


@dataclass(frozen=True, eq=False)
class Inpainting:
    """Hidden pixels filled in by a masked NMF fit and by biharmonic inpainting.

    Attributes
    ----------
    mode : {"luminance", "colour"}
    rank : int
    hidden : ndarray of bool, shape (n, m)
    original : ndarray of uint8
        The picture (gray for luminance).
    shown : ndarray of uint8, shape (n, m, 3)
        The picture with its hidden pixels painted ``HIDDEN_COLOUR``: what the fit sees.
    nmf, biharmonic : ndarray of uint8, like ``original``
        Seen pixels kept, hidden ones filled in.
    nmf_psnr, biharmonic_psnr : float
        On the hidden pixels only.
    nmf_seconds, biharmonic_seconds : float
    n_iter : int
    """

    mode: str
    rank: int
    hidden: np.ndarray
    original: np.ndarray
    shown: np.ndarray
    nmf: np.ndarray
    biharmonic: np.ndarray
    nmf_psnr: float
    biharmonic_psnr: float
    nmf_seconds: float
    biharmonic_seconds: float
    n_iter: int

    @property
    def hidden_share(self) -> float:
        return float(self.hidden.mean())

    @property
    def summary(self) -> str:
        """Who fills the hidden pixels better, and by how much."""
        share = f"{self.hidden_share:.0%}"
        scores = (f"On the {share} of pixels hidden, NMF (rank {self.rank}, fitted to the seen pixels only) fills in "
                  f"at {self.nmf_psnr:.1f} dB PSNR, biharmonic inpainting at {self.biharmonic_psnr:.1f} dB")
        gain = self.nmf_psnr - self.biharmonic_psnr
        if abs(gain) < LEVEL_DB:
            verdict = "about as good (within 0.1 dB)"
        elif gain > 0:
            verdict = f"NMF wins by {gain:.1f} dB: the rows and columns the gaps cross hold enough of the picture"
        else:
            verdict = (f"biharmonic wins by {-gain:.1f} dB: smoothing from a gap's edges beats guessing from "
                       "its row and column")
        return f"{scores}: {verdict}."


def inpaint(
    pixels: np.ndarray,
    hidden: np.ndarray,
    *,
    mode: str = "luminance",
    rank: int = 10,
    max_iter: int = 300,
    tol: float = 1e-4,
    random_state: int | None = 0,
    on_iteration: Callable[[int, float], bool | None] | None = None,
) -> Inpainting:
    """Fill the ``hidden`` pixels of a picture by a masked NMF fit and by biharmonic inpainting.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m, 3) or (n, m)
    hidden : ndarray of bool, shape (n, m)
        True where hidden (see :func:`hidden_pixels`); the values there are never read.
    mode : {"luminance", "colour"}
        Fit the gray picture (n × m), or the colours side by side (n × 3m).
    rank, max_iter, tol, random_state
        For :func:`~nnmf_core.factorize` with ``solver="mu"`` (the solver that takes a mask).
    on_iteration : callable(i, loss), optional

    Returns
    -------
    Inpainting
    """
    if mode not in INPAINTING_MODES:
        raise InputError(f"Unknown mode {mode!r} for inpainting; choose luminance or colour.")
    hidden = np.asarray(hidden)
    if hidden.dtype != bool or hidden.shape != np.shape(pixels)[:2]:
        raise InputError(f"The hidden pixels must be a boolean array of shape {np.shape(pixels)[:2]}; "
                         f"got {hidden.dtype} of shape {hidden.shape}.")
    if hidden.all() or not hidden.any():
        raise InputError("Hide some pixels, and keep some: the fit learns from the seen ones.")
    largest = largest_rank(np.shape(pixels), mode)
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 1 <= rank <= largest:
        raise InputError(f"The rank must be a whole number from 1 to {largest} for this picture; got {rank!r}.")
    (_, V_full), = fit_matrices(pixels, mode)
    seen = np.tile(~hidden, (1, 3)) if mode == "colour" else ~hidden
    V = np.where(seen, V_full, np.float32(0.0))  # hidden values are never passed on, so never read
    started = time.perf_counter()
    result = factorize(V, int(rank), solver="mu", mask=seen, max_iter=max_iter, tol=tol, random_state=random_state,
                       on_iteration=on_iteration)
    nmf_seconds = time.perf_counter() - started
    filled = np.where(seen, V, np.clip(result.W @ result.H, 0.0, 1.0))
    picture = _picture(V, mode)
    started = time.perf_counter()
    smooth = inpaint_biharmonic(picture, hidden, channel_axis=-1 if mode == "colour" else None)
    biharmonic_seconds = time.perf_counter() - started
    original = _levels(_picture(V_full, mode))
    nmf, biharmonic = _levels(_picture(filled, mode)), _levels(smooth)
    shown = np.repeat(original[:, :, None], 3, axis=2) if original.ndim == 2 else original.copy()
    shown[hidden] = HIDDEN_COLOUR
    return Inpainting(
        mode=mode, rank=int(rank), hidden=hidden, original=original, shown=shown, nmf=nmf, biharmonic=biharmonic,
        nmf_psnr=hidden_psnr(original, nmf, hidden), biharmonic_psnr=hidden_psnr(original, biharmonic, hidden),
        nmf_seconds=nmf_seconds, biharmonic_seconds=biharmonic_seconds, n_iter=result.n_iter,
    )


def _picture(V: np.ndarray, mode: str) -> np.ndarray:
    """The matrix as a float picture: (n, m) gray, or (n, m, 3) from [R | G | B]."""
    return V if mode == "luminance" else np.stack(np.split(V, 3, axis=1), axis=2)


def _levels(values: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)
