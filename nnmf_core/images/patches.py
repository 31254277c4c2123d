"""A picture cut into p × p patches, one patch per column of a matrix, and
put back together.

The picture is first extended to whole patches by repeating its last row and
column (edge padding); putting the patches back crops that padding off, so
:func:`picture_from_patches` undoes :func:`patch_matrix` exactly. A column
holds one patch in reading order: its rows top to bottom, in each row the
pixels left to right, in each pixel the channels (R, G, B).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnmf_core.errors import InputError

__all__ = ["PatchGrid", "patch_grid", "patch_matrix", "picture_from_patches", "patches_as_pictures"]


@dataclass(frozen=True)
class PatchGrid:
    """How a picture of ``rows × columns`` pixels (``channels`` per pixel) is
    cut into ``patch × patch`` patches: ``down`` patches top to bottom and
    ``across`` left to right, the last ones padded."""

    patch: int
    rows: int
    columns: int
    channels: int
    down: int
    across: int

    @property
    def count(self) -> int:
        """Number of patches (columns of the matrix)."""
        return self.down * self.across

    @property
    def length(self) -> int:
        """Numbers in one patch (rows of the matrix): patch² · channels."""
        return self.patch * self.patch * self.channels

    @property
    def patch_shape(self) -> tuple[int, ...]:
        return (self.patch, self.patch) if self.channels == 1 else (self.patch, self.patch, self.channels)


def patch_grid(shape: tuple[int, ...], patch: int) -> PatchGrid:
    """The :class:`PatchGrid` of a picture of ``shape`` (rows, columns[, channels]).

    Raises
    ------
    InputError
        For a patch side below 2 or larger than the picture, or a shape that is
        not a picture's.

    Examples
    --------
    >>> grid = patch_grid((341, 512, 3), 8)
    >>> grid.down, grid.across, grid.count, grid.length
    (43, 64, 2752, 192)
    """
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] not in (1, 3)):
        raise InputError(f"Patches are cut from an (n, m) or (n, m, 3) picture; got shape {tuple(shape)}.")
    if isinstance(patch, bool) or not isinstance(patch, (int, np.integer)) or patch < 2:
        raise InputError(f"The patch side must be a whole number of pixels ≥ 2; got {patch!r}.")
    rows, columns = int(shape[0]), int(shape[1])
    if patch > min(rows, columns):
        raise InputError(f"{patch} × {patch} patches do not fit in a {columns} × {rows} px picture.")
    channels = int(shape[2]) if len(shape) == 3 else 1
    return PatchGrid(int(patch), rows, columns, channels, -(-rows // patch), -(-columns // patch))


def patch_matrix(picture: np.ndarray, patch: int) -> tuple[np.ndarray, PatchGrid]:
    """The patches of ``picture`` as the columns of a matrix.

    Parameters
    ----------
    picture : ndarray, shape (n, m) or (n, m, 3)
        Any dtype; the matrix keeps it.
    patch : int
        Side p of the square patches, in pixels.

    Returns
    -------
    P : ndarray, shape (p² · channels, number of patches)
    grid : PatchGrid

    Examples
    --------
    >>> picture = np.arange(12).reshape(3, 4)
    >>> P, grid = patch_matrix(picture, 2)
    >>> P[:, 0].tolist(), P.shape
    ([0, 1, 4, 5], (4, 4))
    >>> np.array_equal(picture_from_patches(P, grid), picture)
    True
    """
    picture = np.asarray(picture)
    grid = patch_grid(picture.shape, patch)
    pixels = picture.reshape(grid.rows, grid.columns, grid.channels)
    padded = np.pad(pixels, ((0, grid.down * patch - grid.rows), (0, grid.across * patch - grid.columns), (0, 0)),
                    mode="edge")
    tiles = padded.reshape(grid.down, patch, grid.across, patch, grid.channels).transpose(1, 3, 4, 0, 2)
    return np.ascontiguousarray(tiles.reshape(grid.length, grid.count)), grid


def picture_from_patches(P: np.ndarray, grid: PatchGrid) -> np.ndarray:
    """The picture whose patches are the columns of ``P`` (padding cropped off).

    Returns
    -------
    ndarray, shape (rows, columns) or (rows, columns, 3), the dtype of ``P``
    """
    P = np.asarray(P)
    if P.shape != (grid.length, grid.count):
        raise InputError(f"A {grid.patch} × {grid.patch} patch matrix of this picture has shape "
                         f"{(grid.length, grid.count)}; got {P.shape}.")
    tiles = P.reshape(grid.patch, grid.patch, grid.channels, grid.down, grid.across).transpose(3, 0, 4, 1, 2)
    padded = tiles.reshape(grid.down * grid.patch, grid.across * grid.patch, grid.channels)
    picture = padded[: grid.rows, : grid.columns]
    return np.ascontiguousarray(picture[:, :, 0] if grid.channels == 1 else picture)


def patches_as_pictures(P: np.ndarray, grid: PatchGrid) -> np.ndarray:
    """The columns of ``P`` (patches, or dictionary atoms) as small pictures.

    Returns
    -------
    ndarray, shape (columns of P, p, p) or (columns of P, p, p, 3)
    """
    P = np.asarray(P)
    if P.ndim != 2 or P.shape[0] != grid.length:
        raise InputError(f"Patches of this grid have {grid.length} numbers each; got a matrix of shape {P.shape}.")
    return np.ascontiguousarray(P.T.reshape(P.shape[1], *grid.patch_shape))
