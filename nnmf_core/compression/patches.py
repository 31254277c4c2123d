"""Compression with patches: the picture cut into p × p patches, one patch per
column of V, so each column of W is itself a small picture — a dictionary of
parts — and every patch is rebuilt as a non-negative mix of them.

Stored and measured like the whole-picture modes (float16 factors, quality
measured on the picture rebuilt from them), and set against them: the
whole-picture matrix at the same bytes, and the truncated SVD of the patch
matrix, whose signed components are what NMF's parts are not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnmf_core._text import readable_bytes
from nnmf_core.compression.fit import compress
from nnmf_core.compression.matrices import fit_matrices, largest_rank
from nnmf_core.errors import InputError
from nnmf_core.factorize import factorize
from nnmf_core.images import (
    PatchGrid,
    factor_bytes,
    float16_rounded,
    numbers_stored,
    original_numbers,
    patch_matrix,
    patches_as_pictures,
    picture_from_patches,
    psnr,
    ssim,
    svd_reconstruction,
)
from nnmf_core.learning.sparseness import hoyer_sparseness

__all__ = ["PATCH_SIZES", "PATCH_MODES", "WholePicture", "PatchCompression", "patch_compress", "PatchRebuild",
           "patch_rebuild"]

#: Patch sides offered, in pixels.
PATCH_SIZES = (8, 16)
#: What a patch holds: gray values (p² numbers) or the three colours (3p²).
PATCH_MODES = ("luminance", "colour")
#: PSNRs closer than this (dB) are "about as good".
LEVEL_DB = 0.1


@dataclass(frozen=True, eq=False)
class WholePicture:
    """The whole-picture matrix fitted at the rank whose float16 factors come
    closest to a byte budget without passing it."""

    rank: int
    factor_bytes: int
    psnr: float
    ssim: float
    reconstruction: np.ndarray
    note: str | None


@dataclass(frozen=True, eq=False)
class PatchCompression:
    """A picture compressed as a dictionary of patches, measured.

    Attributes
    ----------
    mode : {"luminance", "colour"}
    grid : PatchGrid
        How the picture was cut (``grid.length`` rows × ``grid.count`` columns).
    rank : int
    W : ndarray of float32, shape (grid.length, rank)
        The dictionary: one patch-shaped part per column.
    H : ndarray of float32, shape (rank, grid.count)
        How much of each part every patch takes.
    original, reconstruction : ndarray of uint8
        The picture (gray for luminance) and the picture rebuilt from the float16 factors.
    psnr, ssim, relative_error : float
    numbers_stored, original_numbers, factor_bytes : int
        k (p²c + patches), the pixels' numbers, and the factors' float16 bytes.
    atoms : ndarray of float32, shape (rank, p, p) or (rank, p, p, 3)
        The dictionary's parts, largest first, each scaled to a peak of 1.
    atom_order : tuple of int
        Column of W of each shown atom.
    svd_atoms : ndarray of float32, same shape as ``atoms``
        The truncated SVD's components (columns of U), signed, each scaled to a peak |value| of 1
        (a component's sign is arbitrary; each is turned so its entries sum to ≥ 0).
    svd_psnr : float
        PSNR of the truncated SVD of the patch matrix at the same rank and bytes.
    whole : WholePicture
        The whole-picture matrix at the same bytes.
    sparseness_W, sparseness_H : float
        Hoyer sparseness of the parts and of each patch's weights.
    seconds : float
    n_iter : int
    """

    mode: str
    grid: PatchGrid
    rank: int
    W: np.ndarray
    H: np.ndarray
    original: np.ndarray
    reconstruction: np.ndarray
    psnr: float
    ssim: float
    relative_error: float
    numbers_stored: int
    original_numbers: int
    factor_bytes: int
    atoms: np.ndarray
    atom_order: tuple[int, ...]
    svd_atoms: np.ndarray
    svd_psnr: float
    whole: WholePicture
    sparseness_W: float
    sparseness_H: float
    seconds: float
    n_iter: int

    @property
    def summary(self) -> str:
        """Which wins at the same bytes, patches or the whole picture, and by how much."""
        p, whole = self.grid.patch, self.whole
        patches = (f"The {p} × {p} patch dictionary (k = {self.rank}) stores {readable_bytes(self.factor_bytes)} of "
                   f"float16 factors and scores {self.psnr:.1f} dB PSNR (SSIM {self.ssim:.2f})")
        against = (f"the whole-picture matrix at rank {whole.rank} stores {readable_bytes(whole.factor_bytes)} and "
                   f"scores {whole.psnr:.1f} dB (SSIM {whole.ssim:.2f})")
        gain = self.psnr - whole.psnr
        if abs(gain) < LEVEL_DB:
            verdict = "at the same bytes the two are about as good (within 0.1 dB)"
        elif gain > 0:
            verdict = f"at the same bytes the patches win by {gain:.1f} dB"
        else:
            verdict = f"at the same bytes the whole picture wins by {-gain:.1f} dB"
        ssim_gain = self.ssim - whole.ssim
        if abs(gain) >= LEVEL_DB and ssim_gain * gain < 0 and abs(ssim_gain) >= 0.01:
            verdict += f", though SSIM prefers the {'patches' if ssim_gain > 0 else 'whole picture'}"
        text = f"{patches}; {against}: {verdict}."
        return f"{text} {whole.note}" if whole.note else text


def patch_compress(
    pixels: np.ndarray,
    *,
    mode: str = "luminance",
    patch: int = 8,
    rank: int = 16,
    solver: str = "hals",
    max_iter: int = 300,
    tol: float = 1e-4,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    random_state: int | None = 0,
    on_iteration: Callable[[int, float], bool | None] | None = None,
) -> PatchCompression:
    """Compress a picture as a dictionary of ``patch`` × ``patch`` parts and measure it.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (n, m, 3) or (n, m)
    mode : {"luminance", "colour"}
        Gray patches (p² numbers each) or colour patches (3p²).
    patch : int
        Side p of the patches, from :data:`PATCH_SIZES` or any whole number ≥ 2.
    rank : int
        Parts in the dictionary, from 1 to min(p²c, number of patches).
    solver, max_iter, tol, alpha, l1_ratio, random_state
        Passed to :func:`~nnmf_core.factorize` (and to the whole-picture fit it is compared with).
    on_iteration : callable(i, loss), optional
        Progress of both fits, the patches first.

    Returns
    -------
    PatchCompression

    Raises
    ------
    InputError
        For an unknown mode, a patch that does not fit, or a rank out of range.
    """
    if mode not in PATCH_MODES:
        raise InputError(f"Unknown mode {mode!r} for patches; choose luminance or colour.")
    (_, V_whole), = fit_matrices(pixels, mode)
    picture = V_whole if mode == "luminance" else np.stack(np.split(V_whole, 3, axis=1), axis=2)
    P, grid = patch_matrix(picture, patch)
    largest = min(grid.length, grid.count)
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 1 <= rank <= largest:
        raise InputError(f"A dictionary of {patch} × {patch} patches here holds 1 to {largest} parts; got {rank!r}.")
    started = time.perf_counter()
    result = factorize(P, int(rank), solver=solver, max_iter=max_iter, tol=tol, alpha=alpha, l1_ratio=l1_ratio,
                       random_state=random_state, on_iteration=on_iteration)
    seconds = time.perf_counter() - started
    W16, H16 = float16_rounded(result.W), float16_rounded(result.H)
    original = _levels(picture)
    reconstruction = _levels(picture_from_patches(W16 @ H16, grid))
    stored = numbers_stored(grid.length, grid.count, int(rank))
    budget = factor_bytes(grid.length, grid.count, int(rank))
    sizes = np.linalg.norm(result.W, axis=0) * np.linalg.norm(result.H, axis=1)
    order = np.argsort(-sizes, kind="stable")
    U, _, _ = np.linalg.svd(P.astype(np.float64), full_matrices=False)
    U = U[:, : int(rank)] * np.where(U[:, : int(rank)].sum(axis=0) < 0, -1.0, 1.0)  # signs are arbitrary: sum ≥ 0
    svd_product = svd_reconstruction(P, int(rank), float16_factors=True)
    return PatchCompression(
        mode=mode, grid=grid, rank=int(rank), W=result.W, H=result.H, original=original,
        reconstruction=reconstruction, psnr=psnr(original, reconstruction), ssim=ssim(original, reconstruction),
        relative_error=float(np.linalg.norm(P - W16 @ H16) / np.linalg.norm(P)),
        numbers_stored=stored, original_numbers=original_numbers(*V_whole.shape), factor_bytes=budget,
        atoms=_peak_scaled(patches_as_pictures(result.W[:, order], grid)), atom_order=tuple(int(i) for i in order),
        svd_atoms=_peak_scaled(patches_as_pictures(U.astype(np.float32), grid)),
        svd_psnr=psnr(original, _levels(picture_from_patches(svd_product, grid))),
        whole=_whole_at(pixels, mode, budget, solver=solver, max_iter=max_iter, tol=tol, alpha=alpha,
                        l1_ratio=l1_ratio, random_state=random_state, on_iteration=on_iteration),
        sparseness_W=hoyer_sparseness(result.W), sparseness_H=hoyer_sparseness(result.H) if rank > 1 else 0.0,
        seconds=seconds, n_iter=result.n_iter,
    )


def _whole_at(pixels, mode, budget, **options) -> WholePicture:
    """The whole-picture fit whose factors take the most bytes within ``budget`` (rank 1 at least)."""
    n, width = np.shape(pixels)[0], np.shape(pixels)[1] * (3 if mode == "colour" else 1)
    per_rank = factor_bytes(n, width, 1)
    largest = largest_rank(np.shape(pixels), mode)
    rank = min(max(budget // per_rank, 1), largest)
    note = None
    if budget < per_rank:
        note = f"(Even rank 1 of the whole picture takes {readable_bytes(per_rank)}, more than the patches.)"
    elif rank == largest and budget // per_rank > largest:
        note = f"(The whole picture allows rank {largest} at most, {readable_bytes(rank * per_rank)}.)"
    fitted = compress(pixels, mode=mode, colour_layout="joint", rank=int(rank), init="nndsvda", **options)
    return WholePicture(int(rank), fitted.factor_bytes, fitted.psnr, fitted.ssim, fitted.reconstruction, note)


@dataclass(frozen=True, eq=False)
class PatchRebuild:
    """One patch rebuilt from its largest parts.

    ``weights[j]`` is H of part ``parts[j]`` (a column of W) for this patch,
    ``numbers[j]`` that part's place in ``atoms`` (from 1, largest first);
    ``pieces[j]`` is that part times its weight, ``sums[j]`` the sum of the
    first j + 1 pieces, and ``rebuilt`` the patch from all k parts (uint8
    pictures of the patch's shape). ``share`` is the part of the patch's
    rebuilt brightness the shown pieces carry.
    """

    index: int
    top_left: tuple[int, int]
    original: np.ndarray
    parts: tuple[int, ...]
    numbers: tuple[int, ...]
    weights: tuple[float, ...]
    pieces: tuple[np.ndarray, ...]
    sums: tuple[np.ndarray, ...]
    rebuilt: np.ndarray
    share: float
    used: int


def patch_rebuild(result: PatchCompression, index: int | None = None, count: int = 4) -> PatchRebuild:
    """Patch ``index`` (reading order; the most detailed one by default) as a
    sum of its ``count`` largest parts.

    ``used`` counts the parts that carry at least 1 % of the patch's brightness.
    """
    grid = result.grid
    P, _ = patch_matrix(result.original, grid.patch)
    P = P.astype(np.float32) / 255.0
    if index is None:
        index = int(np.argmax(P.var(axis=0)))
    if not 0 <= index < grid.count:
        raise InputError(f"This picture has {grid.count} patches; there is no patch {index}.")
    column = result.H[:, index]
    contributions = result.W.sum(axis=0) * column  # brightness each part adds to the patch
    total = float(contributions.sum()) or 1.0
    order = np.argsort(-contributions, kind="stable")[: max(1, min(count, result.rank))]
    pieces = [result.W[:, i] * column[i] for i in order]
    sums = np.cumsum(pieces, axis=0)
    as_picture = lambda values: _levels(patches_as_pictures(values[:, None], grid)[0])  # noqa: E731
    return PatchRebuild(
        index=index, top_left=(index // grid.across * grid.patch, index % grid.across * grid.patch),
        original=as_picture(P[:, index]), parts=tuple(int(i) for i in order),
        numbers=tuple(result.atom_order.index(int(i)) + 1 for i in order),
        weights=tuple(float(column[i]) for i in order), pieces=tuple(as_picture(piece) for piece in pieces),
        sums=tuple(as_picture(partial) for partial in sums), rebuilt=as_picture(result.W @ column),
        share=float(contributions[order].sum()) / total, used=int((contributions >= 0.01 * total).sum()),
    )


def _levels(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] as 8-bit levels (clipped, rounded)."""
    return np.rint(np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)


def _peak_scaled(atoms: np.ndarray) -> np.ndarray:
    """Each atom divided by its largest |value| (all-zero atoms stay zero)."""
    peaks = np.abs(atoms).reshape(atoms.shape[0], -1).max(axis=1)
    peaks = np.where(peaks > 0, peaks, 1.0)
    return (atoms / peaks.reshape(-1, *([1] * (atoms.ndim - 1)))).astype(np.float32)
