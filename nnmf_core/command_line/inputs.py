"""Files the command line reads, as Dask arrays that are never read whole by
this process: ``.npy`` (memory-mapped a block of rows at a time, in the task
that needs it), ``.zarr`` (through zarr), and spike CSV files (a block of
lines at a time, each block checked by :func:`nnmf_core.spikes.read_waveforms`
with the page's messages, row numbers counted in the whole file).

Signed data (spike waveforms) is made non-negative by ``--transform``, with
the page's transforms laid out one waveform per row: ``split`` puts the
positive parts of the samples, then their negative parts, side by side.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from nnmf_core.errors import InputError

#: Transforms the command line offers (``none`` for data already ≥ 0).
CLI_TRANSFORMS = ("none", "split", "per-sample shift", "shift")
#: Most lines of a CSV file one task parses.
CSV_LINES_PER_BLOCK = 20_000
#: Bytes of CSV text one task parses, at most (well under the page's limit).
CSV_BLOCK_BYTES = 20 * 1024 * 1024
_ROW_NUMBERS = re.compile(r"\b([Rr]ows?) (\d+(?:, \d+)*)")


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".npy", ".zarr", ".csv", ".tsv", ".txt"):
        return {"npy": "npy", "zarr": "zarr"}.get(suffix[1:], "csv")
    raise InputError(f"{path.name}: the input must be a .npy file, a .zarr store or a spike CSV file.")


def matrix_shape(path) -> tuple[int, int]:
    """(rows, columns) of the data in a file, read from its header only."""
    path = Path(path)
    kind = _kind(path)
    if not path.exists():
        raise InputError(f"{path} does not exist.")
    if kind == "npy":
        shape, _, _ = _npy_header(path)
        return shape
    if kind == "zarr":
        return tuple(_zarr_array(path).shape)
    return _csv_layout(path)[2]


def _npy_header(path: Path):
    try:
        with open(path, "rb") as f:
            major, _ = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
    except (ValueError, OSError) as exc:
        raise InputError(f"{path.name} is not a NumPy .npy file ({exc}).") from None
    if len(shape) != 2:
        raise InputError(f"{path.name} holds an array of shape {shape}; a 2-D matrix is needed.")
    if dtype.kind not in "biuf":
        raise InputError(f"{path.name} holds {dtype} values; numbers are needed.")
    return shape, fortran, dtype


def _zarr_array(path: Path):
    import zarr

    try:
        node = zarr.open(str(path), mode="r")
    except Exception as exc:  # zarr raises several kinds for a non-store
        raise InputError(f"{path.name} is not a zarr store ({exc}).") from None
    if isinstance(node, zarr.hierarchy.Group):
        arrays = list(node.arrays())
        named = dict(arrays)
        if "V" in named:
            return named["V"]
        if len(arrays) != 1:
            raise InputError(f"{path.name} is a zarr group with {len(arrays)} arrays; name the matrix 'V'.")
        return arrays[0][1]
    return node


def _rows_of_npy(path: str, start: int, stop: int, along_columns: bool):
    V = np.load(path, mmap_mode="r")
    block = V[:, start:stop] if along_columns else V[start:stop]
    return np.array(block)


def open_matrix(path, rows_per_chunk: int, transform: str = "none"):
    """The data in ``path`` as a Dask array of row blocks (column blocks for a
    wider-than-tall ``.npy`` or ``.zarr``), non-negative by ``transform``.

    Parameters
    ----------
    path : str or Path
        A ``.npy`` file, a ``.zarr`` store (an array, or a group holding one
        array or an array named ``V``) or a spike CSV (one waveform per row).
    rows_per_chunk : int
        Rows (or columns) of the long axis per block.
    transform : {"none", "split", "per-sample shift", "shift"}
        How signed data is made non-negative; ``none`` leaves it as it is.

    Returns
    -------
    dask.array.Array, shape (n, m)
    """
    import dask
    import dask.array as da

    path = Path(path)
    if transform not in CLI_TRANSFORMS:
        raise InputError(f"Unknown transform {transform!r}; choose one of {', '.join(CLI_TRANSFORMS)}.")
    kind = _kind(path)
    n, m = matrix_shape(path)
    along_columns = m > n and kind != "csv"
    long = m if along_columns else n
    step = max(1, int(rows_per_chunk))
    if kind == "npy":
        _, _, dtype = _npy_header(path)
        blocks = []
        for start in range(0, long, step):
            stop = min(start + step, long)
            shape = (n, stop - start) if along_columns else (stop - start, m)
            task = dask.delayed(_rows_of_npy, pure=True)(str(path.resolve()), start, stop, along_columns)
            blocks.append(da.from_delayed(task, shape=shape, dtype=dtype))
        X = da.concatenate(blocks, axis=1 if along_columns else 0)
    elif kind == "zarr":
        array = _zarr_array(path)
        X = da.from_zarr(array, chunks=(n, step) if along_columns else (step, m))
    else:
        X = _csv_matrix(path, step)
    return _nonnegative(X, transform)


def _nonnegative(X, transform: str):
    """The page's transforms, one waveform per row (offsets computed once, here)."""
    import dask.array as da

    if transform == "none":
        return X
    X = X.astype(np.float64)
    if transform == "split":
        return da.concatenate([da.maximum(X, 0), da.maximum(-X, 0)], axis=1)
    if transform == "shift":
        return X + max(0.0, -float(X.min().compute()))
    floors = X.min(axis=0).compute()
    return X - floors[None, :]


# ------------------------------------------------------------------ spike CSV


def _csv_layout(path: Path):
    """(header line, [(byte offset, first line number, line count)], (waveforms, samples))
    of a CSV file, from one pass over it that holds one line at a time; the
    sample count comes from parsing the header and the first rows."""
    from nnmf_core.spikes import read_waveforms

    offsets, header, count, position = [], None, 0, 0
    head_lines, per_block = [], CSV_LINES_PER_BLOCK
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            if header is None:
                if line.strip():
                    header = line
                position += len(line)
                continue
            if line.strip():
                if count == 0:  # blocks stay well under the reader's byte limit
                    per_block = int(max(2, min(CSV_LINES_PER_BLOCK, CSV_BLOCK_BYTES // (2 * len(line)))))
                if count % per_block == 0:
                    offsets.append([position, number, 0])
                offsets[-1][2] += 1
                count += 1
                if len(head_lines) < 3:
                    head_lines.append(line)
            position += len(line)
    if header is None:
        raise InputError("The file holds no text (only blank lines).")
    if count < 2:
        raise InputError("The file has a header row but no data rows." if count == 0
                         else "The file holds 1 waveform; clustering needs at least 2.")
    if len(offsets) > 1 and offsets[-1][2] < 2:  # read_waveforms needs two waveforms per block
        last = offsets.pop()
        offsets[-1][2] += last[2]
    samples = _read_block(header + b"".join(head_lines), offsets[0][1], read_waveforms).shape[1]
    return header, [tuple(o) for o in offsets], (count, samples)


def _read_block(data: bytes, first_line: int, reader):
    """Waveforms of one block of a CSV file, messages renumbered to the file's rows."""
    try:
        return reader(data).waveforms
    except InputError as exc:
        shift = first_line - 2  # block row 2 is the file's first_line

        def renumbered(match):
            numbers = ", ".join(str(int(n) + shift) for n in match.group(2).split(", "))
            return f"{match.group(1)} {numbers}"

        raise InputError(_ROW_NUMBERS.sub(renumbered, str(exc))) from None


def _csv_block(path: str, header: bytes, offset: int, first_line: int, lines: int):
    """Read ``lines`` non-blank lines from ``offset`` and parse them under the header."""
    from nnmf_core.spikes import read_waveforms

    chunk, kept = [], 0
    with open(path, "rb") as f:
        f.seek(offset)
        for line in f:
            chunk.append(line)
            if line.strip():
                kept += 1
                if kept == lines:
                    break
    data = header + b"".join(chunk)
    return _read_block(data, first_line, read_waveforms)


def _csv_matrix(path: Path, lines_per_block: int):
    import dask
    import dask.array as da

    header, offsets, (_, samples) = _csv_layout(path)
    blocks = []
    for offset, first_line, lines in offsets:
        task = dask.delayed(_csv_block, pure=True)(str(path.resolve()), header, offset, first_line, lines)
        blocks.append(da.from_delayed(task, shape=(lines, samples), dtype=np.float64))
    X = da.concatenate(blocks, axis=0)
    return X.rechunk({0: lines_per_block}) if lines_per_block != CSV_LINES_PER_BLOCK else X
