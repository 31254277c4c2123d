"""Image compression with NMF: what the Compression page computes.

Plain functions over NumPy arrays that return dataclasses; Pillow encodes and
resizes, scikit-image measures (through :mod:`nnmf_core.images`). No Streamlit
and no Plotly here, so a script or a test can run every step::

    >>> from nnmf_core.compression import compress, sample_working_image
    >>> picture = sample_working_image("Coffee cup (colour)", 128)
    >>> result = compress(picture.pixels, mode="colour", rank=10, random_state=0)
    >>> result.reconstruction.shape == picture.pixels.shape
    True

How a picture becomes matrices (``mode`` and ``colour_layout``):

- one channel (``"luminance"``, ``"red"``, ``"green"``, ``"blue"``), as in the
  reference notebook: one matrix V of shape (n, m);
- ``"colour"`` with ``colour_layout="joint"`` (the default): one matrix
  V = [R | G | B] of shape (n, 3m), so one W is shared by the three colours;
- ``"colour"`` with ``colour_layout="per-channel"``: three matrices of shape
  (n, m), each with its own W and H.

Sizes count what is stored: the factors hold ``k (n + m)`` numbers per fitted
matrix, kept as float16 (2 bytes each). Every quality number (PSNR, SSIM,
relative error) is measured on the picture rebuilt from the float16-rounded
factors — what the ``.npz`` download holds — not on the float32 fit.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import NamedTuple

import numpy as np
from PIL import Image

from nnmf_core.errors import InputError
from nnmf_core.factorize import INITS, MAX_FIT_COST, SOLVERS, factorize, work_within_budget
from nnmf_core.images import (
    DEFAULT_MAX_SIDE,
    DEFAULT_SAMPLE_IMAGE,
    MATRIX_MODES,
    SAMPLE_IMAGES,
    WORKING_SIDE_CHOICES,
    break_even_rank,
    channel_matrices,
    image_from_channels,
    image_to_matrix,
    jpeg_at_size,
    load_image,
    load_sample_image,
    matrix_to_image,
    psnr,
    ssim,
    working_copy,
)
from nnmf_core.images import component_images as _component_images

__all__ = [
    "COLOUR_LAYOUTS",
    "CHANNEL_NAMES",
    "DEFAULT_SWEEP_RANKS",
    "MAX_SWEEP_RANKS",
    "TOLERANCES",
    "CompressionSettings",
    "settings_from_query",
    "WorkingImage",
    "working_image",
    "sample_working_image",
    "fit_matrices",
    "largest_rank",
    "usable_rank",
    "AffordableFit",
    "affordable_fit",
    "FittedFactors",
    "Compression",
    "compress",
    "FactorView",
    "factor_view",
    "Baseline",
    "Baselines",
    "baselines",
    "RankChoice",
    "parsed_ranks",
    "RankSweep",
    "rank_sweep",
    "PartsGallery",
    "parts_gallery",
    "npz_bytes",
    "png_bytes",
    "loss_csv_bytes",
    "readable_bytes",
]

#: How a colour picture is split into matrices, see the module docstring.
COLOUR_LAYOUTS = ("joint", "per-channel")
#: The matrices of a per-channel fit, in order.
CHANNEL_NAMES = ("red", "green", "blue")
#: Stopping tolerances offered (0 runs every iteration).
TOLERANCES = (0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
#: The ranks the reference notebook compares.
DEFAULT_SWEEP_RANKS = (5, 10, 50, 100)
#: Most ranks one sweep compares (each is a full fit).
MAX_SWEEP_RANKS = 6
#: Longest side of the pictures a rank sweep and a parts gallery keep.
SWEEP_PICTURE_SIDE = 512
PART_PICTURE_SIDE = 256
#: Bytes per stored factor entry (float16).
FACTOR_BYTES_PER_NUMBER = 2

# --------------------------------------------------------------------------
# Settings, and reading them from a link
# --------------------------------------------------------------------------

#: Whole-number settings and their allowed ranges (inclusive).
INTEGER_LIMITS = {
    "rank": (1, 1024),
    "max_iter": (1, 5000),
    "n_restarts": (1, 10),
    "random_state": (0, 2**31 - 1),
}
#: Setting name -> query parameter name in a shareable link.
QUERY_NAMES = {
    "sample": "sample",
    "mode": "mode",
    "colour_layout": "layout",
    "max_side": "size",
    "rank": "rank",
    "max_iter": "iter",
    "solver": "solver",
    "init": "init",
    "n_restarts": "restarts",
    "random_state": "seed",
    "tol": "tol",
}


@dataclass(frozen=True)
class CompressionSettings:
    """Everything that decides what the page computes (bar the picture itself).

    The defaults are the reference notebook's rank 20 and 300 iterations, on
    the bundled colour photo, with the fast HALS solver.
    """

    sample: str = DEFAULT_SAMPLE_IMAGE
    mode: str = "colour"
    colour_layout: str = "joint"
    max_side: int = DEFAULT_MAX_SIDE
    rank: int = 20
    max_iter: int = 300
    solver: str = "hals"
    init: str = "nndsvda"
    n_restarts: int = 1
    random_state: int = 0
    tol: float = 1e-4

    def as_query(self) -> dict[str, str]:
        """The settings as query parameters (short names, text values)."""
        values = {
            name: (_sample_slug(value) if name == "sample" else f"{value:g}" if name == "tol" else str(value))
            for name, value in ((item.name, getattr(self, item.name)) for item in fields(self))
        }
        return {QUERY_NAMES[name]: value for name, value in values.items()}

    def fit_key(self) -> str:
        """A short text naming every fit parameter, for cache keys."""
        return "|".join(f"{item.name}={getattr(self, item.name)!r}" for item in fields(self) if item.name != "sample")


def _sample_slug(name: str) -> str:
    """'Coffee cup (colour)' -> 'coffee-cup': a sample's name in a link."""
    words = re.findall(r"[a-z0-9]+", name.split("(")[0].lower())
    return "-".join(words)


def settings_from_query(params: Mapping[str, object]) -> tuple[CompressionSettings, tuple[str, ...]]:
    """Settings from a link's query parameters; anything invalid is ignored.

    Parameters
    ----------
    params : mapping of str to str (or list of str)
        Query parameters, as ``st.query_params.to_dict()`` gives them. Unknown
        names are left alone (other parts of the page may own them).

    Returns
    -------
    settings : CompressionSettings
        Defaults, overridden by every valid parameter.
    problems : tuple of str
        One sentence per parameter that was ignored, for showing to the person.
    """
    choices = {
        "sample": {_sample_slug(name): name for name in SAMPLE_IMAGES},
        "mode": {name: name for name in MATRIX_MODES},
        "colour_layout": {name: name for name in COLOUR_LAYOUTS},
        "solver": {name: name for name in SOLVERS},
        "init": {name: name for name in INITS},
        "max_side": {str(side): side for side in WORKING_SIDE_CHOICES},
    }
    values: dict[str, object] = {}
    problems: list[str] = []
    for name, query_name in QUERY_NAMES.items():
        if query_name not in params:
            continue
        raw = params[query_name]
        text = str(raw[-1] if isinstance(raw, (list, tuple)) and raw else raw).strip()
        if name in choices:
            if text in choices[name]:
                values[name] = choices[name][text]
            else:
                allowed = ", ".join(choices[name])
                problems.append(f"Ignored {query_name}={text[:40]!r} from the link: expected one of {allowed}.")
        elif name in INTEGER_LIMITS:
            low, high = INTEGER_LIMITS[name]
            if re.fullmatch(r"\d{1,10}", text) and low <= int(text) <= high:
                values[name] = int(text)
            else:
                problems.append(
                    f"Ignored {query_name}={text[:40]!r} from the link: expected a whole number from {low} to {high}."
                )
        else:  # tol
            tolerance = _float_or_none(text)
            matching = [value for value in TOLERANCES if tolerance is not None and math.isclose(value, tolerance)]
            if matching:
                values[name] = matching[0]
            else:
                allowed = ", ".join(f"{value:g}" for value in TOLERANCES)
                problems.append(f"Ignored {query_name}={text[:40]!r} from the link: expected one of {allowed}.")
    return replace(CompressionSettings(), **values), tuple(problems)


def _float_or_none(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------
# The picture to compress
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WorkingImage:
    """A decoded picture, shrunk to the working size the page factorizes.

    Attributes
    ----------
    pixels : ndarray of uint8, shape (height, width, 3)
        The working copy.
    original_size, working_size : tuple of int
        ``(width, height)`` of the file and of the working copy, in pixels.
    format : str
        Pillow's name for the file format ("PNG", "JPEG", …).
    file_bytes : int
        Size of the file, in bytes (of the full-size picture).
    notes : tuple of str
        What decoding changed ("Transparency flattened onto white."), if anything.
    is_grayscale : bool
        True when the three channels are identical.
    """

    pixels: np.ndarray
    original_size: tuple[int, int]
    working_size: tuple[int, int]
    format: str
    file_bytes: int
    notes: tuple[str, ...]
    is_grayscale: bool

    @property
    def size_note(self) -> str:
        """'Original 4000 × 3000 px, working copy 512 × 384 px (downscaled).'"""
        (ow, oh), (ww, wh) = self.original_size, self.working_size
        if (ow, oh) == (ww, wh):
            return f"Original {ow} × {oh} px, used at full size."
        return f"Original {ow} × {oh} px, working copy {ww} × {wh} px (downscaled for speed)."


def working_image(data: bytes, max_side: int = DEFAULT_MAX_SIDE) -> WorkingImage:
    """Decode an uploaded file and shrink it to ``max_side`` pixels at most.

    Raises
    ------
    InputError
        If the file is not a readable picture (see :func:`images.load_image`)
        or ``max_side`` is out of range.
    """
    return _working(load_image(data), max_side)


def sample_working_image(name: str = DEFAULT_SAMPLE_IMAGE, max_side: int = DEFAULT_MAX_SIDE) -> WorkingImage:
    """A bundled picture (a key of ``SAMPLE_IMAGES``) at the working size."""
    return _working(load_sample_image(name), max_side)


def _working(loaded, max_side: int) -> WorkingImage:
    pixels, _ = working_copy(loaded.pixels, max_side)
    pixels = np.ascontiguousarray(pixels)
    return WorkingImage(
        pixels=pixels,
        original_size=loaded.original_size,
        working_size=(pixels.shape[1], pixels.shape[0]),
        format=loaded.format,
        file_bytes=loaded.n_bytes,
        notes=loaded.notes,
        is_grayscale=loaded.is_grayscale,
    )


# --------------------------------------------------------------------------
# Matrices and ranks
# --------------------------------------------------------------------------


def fit_matrices(pixels: np.ndarray, mode: str, colour_layout: str = "joint") -> tuple[tuple[str, np.ndarray], ...]:
    """The matrices NMF factorizes for a picture, each with its name.

    Returns
    -------
    tuple of (name, V)
        ``(("colour", V),)`` with V of shape (n, 3m) for joint colour;
        ``(("red", R), ("green", G), ("blue", B))`` for per-channel colour;
        ``((mode, V),)`` with V of shape (n, m) for one channel. float32 in [0, 1].
    """
    _check_layout(colour_layout)
    if mode == "colour" and colour_layout == "per-channel":
        return tuple(zip(CHANNEL_NAMES, channel_matrices(pixels)))
    return ((mode, image_to_matrix(pixels, mode)),)


def largest_rank(shape: Sequence[int], mode: str, colour_layout: str = "joint") -> int:
    """Largest rank worth asking for: the smaller side of the fitted matrix.

    Beyond it the truncated SVD (the baseline) does not exist and the factors
    only grow. ``shape`` is the picture's ``(height, width[, 3])``.
    """
    _check_layout(colour_layout)
    n, m = int(shape[0]), int(shape[1])
    width = 3 * m if mode == "colour" and colour_layout == "joint" else m
    return min(n, width)


def usable_rank(rank: int, shape: Sequence[int], mode: str, colour_layout: str = "joint") -> tuple[int, str | None]:
    """``rank`` capped at :func:`largest_rank`, with a sentence when it was capped."""
    largest = largest_rank(shape, mode, colour_layout)
    if rank <= largest:
        return int(rank), None
    return largest, (
        f"Rank {rank} is more than this {shape[1]} × {shape[0]} px picture allows "
        f"(the fitted matrix has only {largest} rows or columns); using rank {largest}."
    )


class AffordableFit(NamedTuple):
    """Iterations and restarts one request may run, see :func:`affordable_fit`."""

    max_iter: int
    n_restarts: int
    note: str | None


def affordable_fit(shape: Sequence[int], mode: str, colour_layout: str, ranks: Sequence[int], max_iter: int,
                   n_restarts: int = 1, *, budget: float = MAX_FIT_COST) -> AffordableFit:
    """The iterations (and, if need be, restarts) one request may run on a
    picture of ``shape`` (height, width[, 3]), with a sentence when they were capped.

    ``ranks`` holds one rank for :func:`compress`, or every rank of a
    :func:`rank_sweep` (fitted in turn: the costs add up). The cost is
    :func:`~nnmf_core.factorize.fit_cost`, capped at ``budget``
    (:data:`~nnmf_core.factorize.MAX_FIT_COST`) by
    :func:`~nnmf_core.factorize.work_within_budget`. Per-channel colour costs
    what joint colour does: three n × m fits instead of one n × 3m.

    Raises
    ------
    InputError
        When even one iteration of one restart is more than ``budget`` (a
        sweep over many large ranks of a big picture).

    Examples
    --------
    >>> affordable_fit((341, 512, 3), "colour", "joint", [20], 300)
    AffordableFit(max_iter=300, n_restarts=1, note=None)
    >>> work = affordable_fit((2048, 2048, 3), "colour", "joint", [500], 1000, 3)
    >>> work.max_iter, work.n_restarts
    (2, 3)
    >>> print(work.note)  # doctest: +NORMALIZE_WHITESPACE
    At 2048 × 2048 px, rank 500 and 3 restarts, 1,000 iterations would take about 377× what one
    request may use here; capped at 2 iterations.
    """
    _check_layout(colour_layout)
    n, width = int(shape[0]), int(shape[1])
    columns = 3 * width if mode == "colour" else width
    ranks = tuple(int(rank) for rank in ranks)
    work = work_within_budget(n, columns, sum(ranks), max_iter, n_restarts, budget)
    if len(ranks) == 1:
        where = f"At {width} × {n} px, rank {ranks[0]} and {_counted(n_restarts, 'restart')}"
    else:
        where = f"At {width} × {n} px, ranks {_joined(ranks)} with {_counted(n_restarts, 'restart')} each"
    if work.capped_ratio > 1:
        raise InputError(
            f"{where}, even one iteration would take about {_times(work.capped_ratio)} what one request may use "
            "here. Compare fewer or smaller ranks, or choose a smaller working size."
        )
    if (work.max_iter, work.n_restarts) == (max_iter, n_restarts):
        return AffordableFit(max_iter, n_restarts, None)
    capped = _counted(work.max_iter, "iteration")
    if work.n_restarts < n_restarts:
        capped = f"{_counted(work.n_restarts, 'restart')} of {capped}"
    return AffordableFit(work.max_iter, work.n_restarts, (
        f"{where}, {max_iter:,} iterations would take about {_times(work.asked_ratio)} what one request may use "
        f"here; capped at {capped}."))


def _counted(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _joined(numbers: Sequence[int]) -> str:
    """'5, 10, 50 and 100'."""
    words = [f"{number:,}" for number in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _times(ratio: float) -> str:
    """'377×', '2.5×'."""
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.1f}×"


def _checked_not_dark(matrices: Sequence[tuple[str, np.ndarray]], mode: str) -> None:
    """Refuse a matrix that is all zeros, saying which part of the picture is dark."""
    dark = [name for name, V in matrices if not V.any()]
    if not dark:
        return
    if len(dark) == len(matrices) and mode in ("colour", "luminance"):
        part, advice = "The picture is black everywhere (every pixel is 0)", "choose a picture with some light in it"
    elif len(matrices) == 3:
        part, advice = f"The {dark[0]} channel of this picture is 0 everywhere", (
            "use the joint layout, which fits the three colours together")
    else:
        part, advice = f"The {dark[0]} channel of this picture is 0 everywhere", "choose another channel or picture"
    raise InputError(
        f"{part}, so the matrix V is all zeros: NMF has nothing to factor, because W·H = 0 already "
        f"reproduces it exactly at every rank. Please {advice}."
    )


def _check_layout(colour_layout: str) -> None:
    if colour_layout not in COLOUR_LAYOUTS:
        raise InputError(f"Unknown colour layout {colour_layout!r}; choose joint or per-channel.")


def _reference_pixels(pixels: np.ndarray, mode: str) -> np.ndarray:
    """What a reconstruction is compared with: RGB for colour, one channel else."""
    if mode == "colour":
        return pixels if pixels.ndim == 3 else np.repeat(pixels[:, :, None], 3, axis=2)
    return matrix_to_image(image_to_matrix(pixels, mode), mode)


def _float16_rounded(array: np.ndarray) -> np.ndarray:
    """``array`` as it comes back from float16 storage (as float32)."""
    limit = np.finfo(np.float16).max
    return np.clip(array, -limit, limit).astype(np.float16).astype(np.float32)


def _picture_from_products(products: Sequence[np.ndarray], mode: str) -> np.ndarray:
    if len(products) == 3 and mode == "colour":
        return image_from_channels(*products)
    return matrix_to_image(products[0], mode)


def _combined_relative_error(matrices: Sequence[np.ndarray], products: Sequence[np.ndarray]) -> float:
    residual = sum(float(np.sum((V.astype(np.float64) - P) ** 2)) for V, P in zip(matrices, products))
    total = sum(float(np.sum(V.astype(np.float64) ** 2)) for V in matrices)
    return math.sqrt(residual / total)


def _summed_histories(histories: Sequence[np.ndarray]) -> np.ndarray:
    """Loss per iteration summed over fits; a fit that stopped early keeps its last loss."""
    length = max(history.size for history in histories)
    padded = [np.pad(history, (0, length - history.size), mode="edge") for history in histories]
    return np.sum(padded, axis=0)


# --------------------------------------------------------------------------
# Compression at one rank
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FittedFactors:
    """The factors of one fitted matrix.

    Attributes
    ----------
    name : str
        "colour" (joint [R | G | B]), "red", "green", "blue" or "luminance".
    W : ndarray of float32, shape (n, k)
    H : ndarray of float32, shape (k, m), or (k, 3m) for joint colour
    loss_history : ndarray of float64
        ‖V − WH‖² after every iteration of the kept restart.
    n_iter : int
    converged : bool
    """

    name: str
    W: np.ndarray
    H: np.ndarray
    loss_history: np.ndarray
    n_iter: int
    converged: bool


@dataclass(frozen=True, eq=False)
class Compression:
    """One picture compressed by NMF at one rank, measured.

    Attributes
    ----------
    mode, colour_layout : str
        How the picture became matrices; ``colour_layout`` is None for one channel.
    rank, solver, init, max_iter, tol, n_restarts, random_state
        The fit's parameters.
    factors : tuple of FittedFactors
        One for joint colour and one channel, three (red, green, blue) per channel.
    original : ndarray of uint8, shape (n, m, 3) or (n, m)
        What the reconstruction is compared with: the picture in colour mode,
        the chosen channel as a grayscale picture otherwise.
    reconstruction : ndarray of uint8, same shape as ``original``
        W·H from the float16-rounded factors, clipped to [0, 1], as a picture.
    absolute_error : ndarray of uint8, shape (n, m)
        |original − reconstruction| in pixel levels (0-255), averaged over
        the colour channels.
    relative_error : float
        ‖V − WH‖_F / ‖V‖_F over all fitted matrices (float16 factors, unclipped).
    psnr, ssim : float
        Of ``reconstruction`` against ``original``.
    numbers_stored, original_numbers : int
        Numbers in the factors, k(n + m) per fitted matrix, and in the matrices.
    factor_bytes : int
        Bytes of the factors as float16 (2 per number).
    raw_pixel_bytes : int
        Bytes of the uncompressed 8-bit pixels fitted (= original_numbers).
    file_bytes : int or None
        Size of the file the picture came from, when known.
    break_even_rank : int
        Smallest rank at which the factors hold as many numbers as the matrix.
    seconds : float
        Time spent factorizing.
    """

    mode: str
    colour_layout: str | None
    rank: int
    solver: str
    init: str
    max_iter: int
    tol: float
    n_restarts: int
    random_state: int | None
    factors: tuple[FittedFactors, ...]
    original: np.ndarray
    reconstruction: np.ndarray
    absolute_error: np.ndarray
    relative_error: float
    psnr: float
    ssim: float
    numbers_stored: int
    original_numbers: int
    factor_bytes: int
    raw_pixel_bytes: int
    file_bytes: int | None
    break_even_rank: int
    seconds: float

    @property
    def loss_histories(self) -> dict[str, np.ndarray]:
        """Loss per iteration of each fitted matrix, by name."""
        return {factors.name: factors.loss_history for factors in self.factors}

    @property
    def n_iter(self) -> int:
        """Iterations run (the most over the fitted matrices)."""
        return max(factors.n_iter for factors in self.factors)

    @property
    def converged(self) -> bool:
        return all(factors.converged for factors in self.factors)

    @property
    def layout_description(self) -> str:
        """Which matrices were factorized, in words."""
        n, m = self.original.shape[:2]
        if self.colour_layout == "joint":
            return f"Full colour, joint: V = [R | G | B] is {n} × {3 * m}, one W shared by the three colours."
        if self.colour_layout == "per-channel":
            return f"Full colour, per channel: three {n} × {m} matrices, each with its own W and H."
        return f"One channel ({self.mode}), as in the notebook: V is {n} × {m}."


def compress(
    pixels: np.ndarray,
    *,
    mode: str = "colour",
    colour_layout: str = "joint",
    rank: int = 20,
    solver: str = "hals",
    init: str = "nndsvda",
    max_iter: int = 300,
    tol: float = 1e-4,
    n_restarts: int = 1,
    random_state: int | None = 0,
    file_bytes: int | None = None,
    on_iteration: Callable[[int, float], bool | None] | None = None,
) -> Compression:
    """Compress a picture with NMF at one rank and measure the result.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m, 3) or (n, m)
        The picture (a working copy; see :func:`working_image`).
    mode : {"colour", "luminance", "red", "green", "blue"}
    colour_layout : {"joint", "per-channel"}
        Only used in colour mode, see the module docstring.
    rank : int
        k, from 1 to :func:`largest_rank`.
    solver, init, max_iter, tol, n_restarts, random_state
        Passed to :func:`nnmf_core.factorize` (per-channel: to each of the three fits).
    file_bytes : int, optional
        Size of the picture's file, carried into the result for comparison.
    on_iteration : callable(i, loss), optional
        Progress callback, called by every fit (three in a row per channel).

    Returns
    -------
    Compression

    Raises
    ------
    InputError
        For a picture or parameters that cannot be used (an all-black picture,
        a rank above :func:`largest_rank`, …).
    """
    matrices = fit_matrices(pixels, mode, colour_layout)
    _checked_not_dark(matrices, mode)
    largest = largest_rank(pixels.shape, mode, colour_layout)
    if isinstance(rank, (int, np.integer)) and not isinstance(rank, bool) and rank > largest:
        raise InputError(f"Rank {rank} is more than the fitted matrix allows; the most is {largest}.")
    fitted, products = _fitted(
        matrices, rank, solver=solver, init=init, max_iter=max_iter, tol=tol,
        n_restarts=n_restarts, random_state=random_state, on_iteration=on_iteration,
    )
    original = _reference_pixels(pixels, mode)
    reconstruction = _picture_from_products(products, mode)
    difference = np.abs(original.astype(np.int16) - reconstruction.astype(np.int16))
    absolute_error = np.rint(difference.mean(axis=2)) if difference.ndim == 3 else difference
    n = matrices[0][1].shape[0]
    numbers_stored = sum(rank * (n + V.shape[1]) for _, V in matrices)
    original_numbers = sum(V.size for _, V in matrices)
    return Compression(
        mode=mode,
        colour_layout=colour_layout if mode == "colour" else None,
        rank=int(rank),
        solver=solver,
        init=init,
        max_iter=max_iter,
        tol=tol,
        n_restarts=n_restarts,
        random_state=random_state,
        factors=tuple(item for item, _ in fitted),
        original=original,
        reconstruction=reconstruction,
        absolute_error=absolute_error.astype(np.uint8),
        relative_error=_combined_relative_error([V for _, V in matrices], products),
        psnr=psnr(original, reconstruction),
        ssim=ssim(original, reconstruction),
        numbers_stored=numbers_stored,
        original_numbers=original_numbers,
        factor_bytes=numbers_stored * FACTOR_BYTES_PER_NUMBER,
        raw_pixel_bytes=original_numbers,
        file_bytes=file_bytes,
        break_even_rank=break_even_rank(n, matrices[0][1].shape[1]),
        seconds=sum(seconds for _, seconds in fitted),
    )


def _fitted(matrices, rank, *, on_iteration, **options):
    """Factorize every matrix; return ((FittedFactors, seconds), …) and the float16 products."""
    fitted, products = [], []
    for name, V in matrices:
        result = factorize(V, rank, on_iteration=on_iteration, **options)
        W16, H16 = _float16_rounded(result.W), _float16_rounded(result.H)
        products.append(W16 @ H16)
        factors = FittedFactors(name, result.W, result.H, result.loss_history, result.n_iter, result.converged)
        fitted.append((factors, result.seconds))
    return fitted, products


@dataclass(frozen=True, eq=False)
class FactorView:
    """W, H and their product W·H as a picture of the matrix (not of the photo).

    ``product`` is uint8 of shape (n, m) — or (n, 3m), [R | G | B] side by
    side, for joint colour — so its rows line up with W's and its columns with H's.
    """

    name: str
    W: np.ndarray
    H: np.ndarray
    product: np.ndarray


def factor_view(compression: Compression, index: int = 0) -> FactorView:
    """The factors of fitted matrix ``index`` (0-2 per channel, else 0) with W·H."""
    if not 0 <= index < len(compression.factors):
        raise InputError(f"There are {len(compression.factors)} fitted matrices; no number {index}.")
    factors = compression.factors[index]
    picture = compression.reconstruction
    if compression.colour_layout == "joint":
        product = np.concatenate([picture[:, :, channel] for channel in range(3)], axis=1)
    elif compression.colour_layout == "per-channel":
        product = picture[:, :, index]
    else:
        product = picture
    return FactorView(factors.name, factors.W, factors.H, np.ascontiguousarray(product))


# --------------------------------------------------------------------------
# Baselines: the optimal SVD at the same rank, JPEG at the same bytes
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Baseline:
    """One way of storing the picture, measured.

    ``name`` is "NMF", "Truncated SVD" or "JPEG"; ``detail`` says how it was
    stored ("rank 20, float16 factors", "quality 94").
    """

    name: str
    pixels: np.ndarray
    n_bytes: int
    psnr: float
    ssim: float
    detail: str


@dataclass(frozen=True, eq=False)
class Baselines:
    """NMF against the truncated SVD of the same rank and JPEG at the same bytes."""

    nmf: Baseline
    svd: Baseline
    jpeg: Baseline
    budget_bytes: int
    jpeg_fits_budget: bool
    rank: int

    @property
    def rows(self) -> list[dict[str, object]]:
        """One row per method for a table: method, how stored, bytes, PSNR, SSIM."""
        return [
            {
                "method": item.name,
                "stored as": item.detail,
                "bytes": item.n_bytes,
                "PSNR (dB)": round(item.psnr, 2),
                "SSIM": round(item.ssim, 3),
            }
            for item in (self.nmf, self.svd, self.jpeg)
        ]

    @property
    def summary(self) -> str:
        """What the numbers show, in two plain sentences."""
        k, budget = self.rank, readable_bytes(self.budget_bytes)
        jpeg_gain = self.jpeg.psnr - self.nmf.psnr
        if not self.jpeg_fits_budget:
            jpeg_sentence = (
                f"Even at its lowest quality JPEG needs {readable_bytes(self.jpeg.n_bytes)}, more than the "
                f"factors' {budget}; here NMF's small budget is out of JPEG's reach."
            )
        elif jpeg_gain > 0.5:
            jpeg_sentence = (
                f"JPEG at the same {budget} scores {jpeg_gain:.1f} dB higher PSNR (SSIM {self.jpeg.ssim:.2f} "
                f"against {self.nmf.ssim:.2f}): NMF is a teaching tool here, not a codec."
            )
        elif jpeg_gain >= -0.5:
            jpeg_sentence = f"JPEG at the same {budget} is about as good as NMF (within 0.5 dB PSNR)."
        else:
            jpeg_sentence = (
                f"NMF beats JPEG at the same {budget} by {-jpeg_gain:.1f} dB PSNR: so few bytes force "
                f"JPEG down to quality {self.jpeg.detail.split()[-1]}."
            )
        svd_gain = self.svd.psnr - self.nmf.psnr
        if svd_gain > 0.05:
            svd_sentence = (
                f"The truncated SVD of rank {k} stores as many numbers and scores {svd_gain:.1f} dB higher: "
                f"no rank-{k} matrix is closer to the picture (Eckart–Young); NMF gives up the rest "
                "to keep every number non-negative."
            )
        else:
            svd_sentence = (
                f"NMF comes within {max(svd_gain, 0.0):.2f} dB of the truncated SVD of rank {k}, "
                f"the best any rank-{k} matrix can do (Eckart–Young)."
            )
        return f"{jpeg_sentence} {svd_sentence}"


def baselines(pixels: np.ndarray, compression: Compression) -> Baselines:
    """Measure the truncated SVD of the same rank and JPEG at the factors' bytes.

    The SVD is stored the way NMF is: ``U_k·diag(s_k)`` (n × k) and ``V_kᵀ``
    (k × m) in float16, the same k(n + m) numbers and bytes as the NMF
    factors. JPEG gets the float16 factors' byte budget
    (:func:`images.jpeg_at_size`, grayscale for one channel).

    Parameters
    ----------
    pixels : ndarray of uint8
        The picture ``compression`` was made from.
    compression : Compression

    Returns
    -------
    Baselines
    """
    k = compression.rank
    products = []
    for _, V in fit_matrices(pixels, compression.mode, compression.colour_layout or "joint"):
        U, s, Vt = np.linalg.svd(V, full_matrices=False)
        products.append(_float16_rounded(U[:, :k] * s[:k]) @ _float16_rounded(Vt[:k]))
    svd_pixels = _picture_from_products(products, compression.mode)
    original = compression.original
    jpeg = jpeg_at_size(original, compression.factor_bytes)
    layout = {"joint": ", colour joint", "per-channel": ", per channel"}.get(compression.colour_layout or "", "")
    return Baselines(
        nmf=Baseline("NMF", compression.reconstruction, compression.factor_bytes, compression.psnr,
                     compression.ssim, f"rank {k}, float16 W and H{layout}"),
        svd=Baseline("Truncated SVD", svd_pixels, compression.factor_bytes, psnr(original, svd_pixels),
                     ssim(original, svd_pixels), f"rank {k}, float16 U·S and Vᵀ{layout}"),
        jpeg=Baseline("JPEG", jpeg.pixels, jpeg.n_bytes, psnr(original, jpeg.pixels), ssim(original, jpeg.pixels),
                      f"quality {jpeg.quality}" + ("" if jpeg.fits_budget else " (over budget)")),
        budget_bytes=compression.factor_bytes,
        jpeg_fits_budget=jpeg.fits_budget,
        rank=k,
    )


# --------------------------------------------------------------------------
# Rank sweep
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class RankChoice:
    """Ranks to compare, and a sentence on what was changed from the request."""

    ranks: tuple[int, ...]
    note: str | None


def parsed_ranks(text: str, largest: int, limit: int = MAX_SWEEP_RANKS) -> RankChoice:
    """Read a list of ranks such as ``"5, 10, 50, 100"``.

    Ranks above ``largest`` are lowered to it; duplicates are dropped; the
    result is sorted and at most ``limit`` long. Anything that is not a
    positive whole number is left out, and the note says so.

    Raises
    ------
    InputError
        If no usable rank remains.
    """
    tokens = [token for token in re.split(r"[,;\s]+", str(text)) if token]
    ranks, skipped, lowered = set(), [], []
    for token in tokens:
        if re.fullmatch(r"\d{1,6}", token) and int(token) >= 1:
            value = int(token)
            if value > largest:
                lowered.append(value)
                value = largest
            ranks.add(value)
        else:
            skipped.append(token[:20])
    if not ranks:
        raise InputError(
            f"No rank to compare in {str(text)[:60]!r}: type whole numbers from 1 to {largest}, such as 5, 10, 50."
        )
    ordered = sorted(ranks)
    dropped = ordered[limit:]
    ordered = ordered[:limit]
    notes = []
    if lowered:
        notes.append(f"{', '.join(map(str, lowered))} lowered to {largest}, the most this picture allows")
    if skipped:
        notes.append(f"left out {', '.join(repr(token) for token in skipped)} (not a whole number ≥ 1)")
    if dropped:
        notes.append(f"compared the {limit} smallest; dropped {', '.join(map(str, dropped))}")
    return RankChoice(tuple(ordered), ("Ranks: " + "; ".join(notes) + ".") if notes else None)


@dataclass(frozen=True, eq=False)
class RankSweep:
    """The same picture compressed at several ranks — the notebook's comparison.

    Attributes
    ----------
    ranks : tuple of int
    original : ndarray of uint8
        The reference picture (at most ``SWEEP_PICTURE_SIDE`` on its longest side).
    reconstructions : tuple of ndarray of uint8
        One picture per rank, same size as ``original``.
    loss_histories : tuple of ndarray
        Loss per iteration for each rank (per channel: summed over the channels).
    psnr, svd_psnr : tuple of float
        PSNR of the NMF picture and of the truncated SVD of the same rank.
    numbers_stored : tuple of int
        k(n + m) per fitted matrix, summed, at each rank.
    original_numbers : int
        Numbers in the fitted matrices.
    break_even_rank : int
        Smallest rank whose factors are no smaller than the matrix.
    numbers_per_rank : int
        How many numbers each extra rank stores (n + m per fitted matrix).
    """

    ranks: tuple[int, ...]
    original: np.ndarray
    reconstructions: tuple[np.ndarray, ...]
    loss_histories: tuple[np.ndarray, ...]
    psnr: tuple[float, ...]
    svd_psnr: tuple[float, ...]
    numbers_stored: tuple[int, ...]
    original_numbers: int
    break_even_rank: int
    numbers_per_rank: int

    @property
    def storage_line(self) -> tuple[np.ndarray, np.ndarray]:
        """(ranks, numbers stored) from 0 to past both the last rank and the break-even rank."""
        end = max(max(self.ranks), math.ceil(1.15 * self.break_even_rank))
        ranks = np.arange(0, end + 1)
        return ranks, ranks * self.numbers_per_rank


def rank_sweep(
    pixels: np.ndarray,
    ranks: Sequence[int],
    *,
    mode: str = "colour",
    colour_layout: str = "joint",
    solver: str = "hals",
    init: str = "nndsvda",
    max_iter: int = 300,
    tol: float = 1e-4,
    n_restarts: int = 1,
    random_state: int | None = 0,
    on_iteration: Callable[[int, float], bool | None] | None = None,
) -> RankSweep:
    """Compress ``pixels`` at each rank (one full fit each) and against the SVD.

    Parameters are those of :func:`compress`; ``ranks`` come from
    :func:`parsed_ranks` (each at most :func:`largest_rank`).

    Returns
    -------
    RankSweep
    """
    if not ranks:
        raise InputError("Give at least one rank to compare.")
    matrices = fit_matrices(pixels, mode, colour_layout)
    _checked_not_dark(matrices, mode)
    largest = largest_rank(pixels.shape, mode, colour_layout)
    if max(ranks) > largest or min(ranks) < 1:
        raise InputError(f"Ranks must lie between 1 and {largest} for this picture; got {list(ranks)}.")
    original = _reference_pixels(pixels, mode)
    svds = [np.linalg.svd(V, full_matrices=False) for _, V in matrices]
    pictures, histories, scores, svd_scores = [], [], [], []
    for k in ranks:
        fitted, products = _fitted(
            matrices, int(k), solver=solver, init=init, max_iter=max_iter, tol=tol,
            n_restarts=n_restarts, random_state=random_state, on_iteration=on_iteration,
        )
        picture = _picture_from_products(products, mode)
        svd_products = [_float16_rounded(U[:, :k] * s[:k]) @ _float16_rounded(Vt[:k]) for U, s, Vt in svds]
        scores.append(psnr(original, picture))
        svd_scores.append(psnr(original, _picture_from_products(svd_products, mode)))
        pictures.append(_smaller(picture, SWEEP_PICTURE_SIDE))
        histories.append(_summed_histories([factors.loss_history for factors, _ in fitted]))
    n = matrices[0][1].shape[0]
    per_rank = sum(n + V.shape[1] for _, V in matrices)
    return RankSweep(
        ranks=tuple(int(k) for k in ranks),
        original=_smaller(original, SWEEP_PICTURE_SIDE),
        reconstructions=tuple(pictures),
        loss_histories=tuple(histories),
        psnr=tuple(scores),
        svd_psnr=tuple(svd_scores),
        numbers_stored=tuple(int(k) * per_rank for k in ranks),
        original_numbers=sum(V.size for _, V in matrices),
        break_even_rank=break_even_rank(n, matrices[0][1].shape[1]),
        numbers_per_rank=per_rank,
    )


def _smaller(pixels: np.ndarray, max_side: int) -> np.ndarray:
    """``pixels`` shrunk (Lanczos) so the longest side is at most ``max_side``."""
    if max(pixels.shape[:2]) <= max_side:
        return pixels
    return working_copy(pixels, max_side)[0]


# --------------------------------------------------------------------------
# Parts
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PartsGallery:
    """The largest rank-one parts W[:, i]·H[i, :] of a fit, as pictures.

    ``pictures[j]`` is part ``components[j]`` (its column in W), scaled so
    its 99.5th percentile is white; ``shares[j]`` is its size ‖W[:, i]‖·‖H[i, :]‖ as a fraction
    of the sum over all parts. Largest first.
    """

    name: str
    pictures: tuple[np.ndarray, ...]
    components: tuple[int, ...]
    shares: tuple[float, ...]


def parts_gallery(compression: Compression, count: int = 12, index: int = 0) -> PartsGallery:
    """The ``count`` largest parts of fitted matrix ``index``, largest first.

    In joint colour mode a part is a colour picture (one column of W with its
    R, G and B weights); per channel and for one channel it is grayscale.
    """
    view = factor_view(compression, index)
    sizes = np.linalg.norm(view.W, axis=0) * np.linalg.norm(view.H, axis=1)
    order = np.argsort(-sizes, kind="stable")[:count]
    total = float(sizes.sum()) or 1.0
    parts = _component_images(view.W[:, order], view.H[order], len(order))
    part_mode = "colour" if compression.colour_layout == "joint" else "luminance"
    pictures = tuple(_smaller(matrix_to_image(_brightened(part), part_mode), PART_PICTURE_SIDE) for part in parts)
    return PartsGallery(
        name=view.name,
        pictures=pictures,
        components=tuple(int(i) for i in order),
        shares=tuple(float(sizes[i]) / total for i in order),
    )


def _brightened(part: np.ndarray) -> np.ndarray:
    """A part scaled so its 99.5th percentile is white (a few peaks clip), else
    most parts would be too dark to see."""
    level = float(np.percentile(part, 99.5))
    return part / level if level > 0 else part


# --------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------


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


def png_bytes(pixels: np.ndarray) -> bytes:
    """A uint8 picture, (n, m) grayscale or (n, m, 3) RGB, as a PNG file."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or not (pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3)):
        raise InputError(f"A PNG needs uint8 pixels of shape (n, m) or (n, m, 3); got {pixels.dtype} {pixels.shape}.")
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def loss_csv_bytes(histories: Mapping[str, Sequence[float]] | Sequence[float]) -> bytes:
    """Loss per iteration as CSV: ``iteration,loss`` (or one column per channel).

    A channel that stopped earlier leaves its later cells empty.
    """
    if not isinstance(histories, Mapping):
        histories = {"": histories}
    columns = {("loss" if not name else f"loss_{name}"): np.asarray(values, dtype=np.float64)
               for name, values in histories.items()}
    length = max((values.size for values in columns.values()), default=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["iteration", *columns])
    for i in range(length):
        writer.writerow([i + 1, *(f"{values[i]:.9g}" if i < values.size else "" for values in columns.values())])
    return buffer.getvalue().encode("utf-8")


def readable_bytes(n_bytes: int) -> str:
    """A byte count for people: '812 B', '54.9 kB', '3.2 MB' (powers of 1000)."""
    if n_bytes < 1000:
        return f"{n_bytes} B"
    if n_bytes < 1_000_000:
        return f"{n_bytes / 1000:.1f} kB"
    return f"{n_bytes / 1_000_000:.1f} MB"
