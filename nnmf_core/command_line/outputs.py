"""Results written by the command line, all or nothing: everything goes to a
temporary name beside the output and is renamed at the end, so an
interrupted run leaves no partial file. Large arrays (Dask) are written a
block at a time: into the ``.npz`` by this process, one block in memory at a
time, or into a ``.zarr`` store by the workers themselves.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np


def _is_dask(array) -> bool:
    return hasattr(array, "dask") and hasattr(array, "to_delayed")


@contextlib.contextmanager
def atomic_path(out):
    """Yield a temporary path beside ``out``; rename it to ``out`` when the
    block finishes, delete it when the block fails (Ctrl-C included)."""
    out = Path(out)
    temporary = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        yield temporary
        os.replace(temporary, out) if not out.is_dir() else _replace_directory(temporary, out)
    finally:
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        elif temporary.exists():
            temporary.unlink()


def _replace_directory(temporary: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.replace(out, old)
    os.replace(temporary, out)
    shutil.rmtree(old, ignore_errors=True)


def write_results(out, arrays: dict) -> None:
    """Write named arrays (NumPy or Dask) to ``out``: a ``.npz`` unless the
    name ends in ``.zarr``. Atomic (see :func:`atomic_path`)."""
    with atomic_path(out) as temporary:
        if str(out).lower().endswith(".zarr"):
            _write_zarr(temporary, arrays)
        else:
            _write_npz(temporary, arrays)


def _write_npz(path: Path, arrays: dict) -> None:
    """An uncompressed ``.npz`` as ``numpy.savez`` writes it, each Dask array
    streamed one block of rows at a time."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                if not _is_dask(array):
                    np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
                    continue
                header = {"descr": np.lib.format.dtype_to_descr(array.dtype), "fortran_order": False,
                          "shape": tuple(int(s) for s in array.shape)}
                np.lib.format.write_array_header_2_0(member, header)
                for block in _blocks_in_c_order(array):
                    member.write(np.ascontiguousarray(block.compute()).tobytes())


def _blocks_in_c_order(array):
    """The blocks of a 1-D or 2-D Dask array whose bytes, one after another,
    are the array in C order: whole rows (one row per block for a wide array)."""
    if array.ndim == 1:
        return [array.blocks[i] for i in range(array.numblocks[0])]
    rows = array.rechunk({0: 1 if array.shape[0] < array.shape[1] else array.chunks[0], 1: -1})
    return [rows.blocks[i, 0] for i in range(rows.numblocks[0])]


def _write_zarr(path: Path, arrays: dict) -> None:
    """A zarr group, one array per name; Dask arrays are written by the workers."""
    import zarr

    group = zarr.open_group(str(path), mode="w")
    for name, array in arrays.items():
        if _is_dask(array):
            array.to_zarr(str(path), component=name, overwrite=True)
        else:
            group.array(name, np.asarray(array), overwrite=True)
