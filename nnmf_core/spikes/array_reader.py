"""Reading spike waveforms from NumPy files (``.npy``, ``.npz``), and
:func:`read_spike_file`, which picks the reader for an upload.

Arrays are read with ``allow_pickle=False`` and checked from their header
before any data is decoded, so an object array, a pickle or an array that
declares a huge shape is refused without running code or using memory.
Every problem is an :class:`~nnmf_core.errors.InputError` that says what to
change, as for CSV files (:mod:`~nnmf_core.spikes.csv_reader`).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

import numpy as np
import pandas as pd

from nnmf_core._text import counted, listed, shown
from nnmf_core.errors import InputError, TooLarge
from nnmf_core.spikes.channels import checked_channels
from nnmf_core.spikes.csv_reader import MAX_CSV_BYTES, MAX_SAMPLES, MAX_WAVEFORMS, WaveformTable, read_waveforms
from nnmf_core.spikes.recording_info import checked_sampling_rate
from nnmf_core.spikes.validation import _checked_magnitude, _checked_shapes

#: Largest ``.npy`` / ``.npz`` file read, bytes (the upload limit, as for CSV).
MAX_ARRAY_FILE_BYTES = MAX_CSV_BYTES
#: Most numbers in the waveform array (waveforms × samples × channels):
#: 20 million, 160 MB as float64.
MAX_ARRAY_VALUES = 20_000_000
#: The arrays an ``.npz`` file may hold; only ``waveforms`` is required.
NPZ_KEYS = ("waveforms", "spike_times", "labels", "sampling_rate", "ids", "channels")
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


def _checked_bytes(data, kind: str) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"Expected the bytes of {kind}, got {type(data).__name__}.")
    data = bytes(data)
    if not data:
        raise InputError("The file is empty (0 bytes).")
    if len(data) > MAX_ARRAY_FILE_BYTES:
        raise TooLarge(f"The file has {len(data):,} bytes; the limit is {MAX_ARRAY_FILE_BYTES:,} "
                         f"({MAX_ARRAY_FILE_BYTES / 2**20:,.0f} MB). Keep fewer waveforms.")
    return data


def _header(stream, what: str) -> tuple[tuple, np.dtype]:
    """Shape and dtype from a ``.npy`` header, refusing what will not be read."""
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise InputError(f"{what} uses NumPy's file format {version[0]}.{version[1]}, which is not read here; "
                             "save it with numpy.save.")
    except (ValueError, EOFError, OSError) as error:
        raise InputError(f"{what} is not a readable NumPy array: its header is damaged ({str(error)[:80]}).") from None
    if dtype.hasobject:
        raise InputError(f"{what} holds Python objects, which would have to be unpickled; they are never read. "
                         "Save plain numbers (np.asarray(x, dtype=float)).")
    if dtype.fields is not None or dtype.subdtype is not None:
        raise InputError(f"{what} is a structured array ({dtype}); save one plain array per field.")
    return tuple(shape), dtype


def _checked_kind(dtype: np.dtype, what: str, kinds: str) -> None:
    if dtype.kind not in kinds:
        wanted = "numbers or text" if "U" in kinds else "numbers"
        raise InputError(f"{what} holds {dtype} values; it must hold {wanted}.")


def _checked_waveform_shape(shape: tuple, what: str = "The waveform array") -> tuple[int, int, int]:
    """(n_waveforms, samples per channel, channels) of a 2-D or 3-D waveform array, within the limits."""
    if len(shape) == 2:
        n, length, channels = shape[0], shape[1], 1
    elif len(shape) == 3:
        n, length, channels = shape
    else:
        raise InputError(f"{what} has shape {shape}; it must be 2-D (waveforms × samples) or 3-D "
                         "(waveforms × samples × channels).")
    if n > MAX_WAVEFORMS:
        raise TooLarge(f"{what} holds {n:,} waveforms; the limit is {MAX_WAVEFORMS:,} (MAX_WAVEFORMS).")
    if length * channels > MAX_SAMPLES:
        raise TooLarge(f"Each waveform has {length * channels:,} samples"
                         + (f" ({channels} channels × {length:,})" if channels > 1 else "")
                         + f"; the limit is {MAX_SAMPLES:,} (MAX_SAMPLES).")
    if n * length * channels > MAX_ARRAY_VALUES:
        raise TooLarge(f"{what} holds {n * length * channels:,} numbers; the limit is {MAX_ARRAY_VALUES:,} "
                         "(MAX_ARRAY_VALUES). Keep fewer waveforms.")
    if n < 2:
        raise InputError(f"{what} holds {counted(n, 'waveform')}; clustering needs at least 2.")
    if length * channels < 3:
        raise InputError(f"Each waveform has {counted(length * channels, 'sample')}; at least 3 are needed.")
    if channels > 1:
        checked_channels(length * channels, channels)
    return n, length, channels


def _loaded(load, what: str) -> np.ndarray:
    """Decode an array whose header passed, turning a damaged body into an InputError."""
    try:
        return np.asarray(load())
    except (ValueError, EOFError, OSError, zipfile.BadZipFile, RuntimeError) as error:
        raise InputError(f"{what} could not be read; the file is damaged or cut short ({str(error)[:80]}).") from None


def _waveform_table(array: np.ndarray, *, channels: int = 1, ids=None, spike_times=None, sampling_rate=None,
                    label_columns: dict | None = None, notes: list | None = None) -> WaveformTable:
    """The checked table of a decoded waveform array (2-D, or 3-D with channels last)."""
    notes = list(notes or [])
    if array.ndim == 3:
        n, length, channels = array.shape
        waveforms = np.ascontiguousarray(array.transpose(0, 2, 1)).reshape(n, channels * length)
    else:
        waveforms, length = array, array.shape[1] // channels
    if channels > 1:
        sample_names = [f"ch{c}_{t}" for c in range(channels) for t in range(length)]
    else:
        sample_names = [str(t) for t in range(waveforms.shape[1])]
    waveforms = waveforms.astype(np.float64)
    bad_rows = np.flatnonzero(~np.isfinite(waveforms).all(axis=1))
    if bad_rows.size:
        count = int((~np.isfinite(waveforms)).sum())
        raise InputError(f"The waveforms hold {counted(count, 'NaN or infinite value')} "
                         f"(waveforms {listed((bad_rows + 1).tolist())}, counting from 1).")
    _checked_magnitude(waveforms)
    n = waveforms.shape[0]
    if ids is None:
        ids = [str(i) for i in range(1, n + 1)]
    flat = np.flatnonzero(np.ptp(waveforms, axis=1) == 0)
    if flat.size == n:
        _checked_shapes(waveforms, 1)
    if flat.size:
        notes.append(f"{counted(flat.size, 'waveform is', 'waveforms are')} flat (all samples equal): "
                     f"{', '.join(repr(shown(ids[i])) for i in flat[:3])}{' …' if flat.size > 3 else ''}. "
                     "A flat waveform has no shape; its cluster is arbitrary.")
    repeated = pd.Series(ids).value_counts()
    repeated = repeated[repeated > 1]
    if len(repeated):
        notes.append(f"{counted(len(repeated), 'id occurs', 'ids occur')} more than once; each waveform is kept.")
    return WaveformTable(waveforms=waveforms, ids=list(ids), sample_names=sample_names,
                         label_columns=dict(label_columns or {}), notes=notes, spike_times=spike_times,
                         sampling_rate=sampling_rate, channels=int(channels))


def read_npy(data: bytes) -> WaveformTable:
    """Read spike waveforms from the bytes of a ``.npy`` file.

    Parameters
    ----------
    data : bytes
        An array of numbers, shape (n_waveforms, n_samples) or
        (n_waveforms, n_samples, n_channels) — SpikeInterface's order; the
        channels are concatenated channel after channel (``channels`` = C).
        At most :data:`MAX_ARRAY_FILE_BYTES`.

    Returns
    -------
    WaveformTable
        Waveforms as float64, ids ``"1"`` … ``"N"``.

    Raises
    ------
    InputError
        For an object (pickled) or structured array, text, a wrong number of
        dimensions, NaN or infinite values, fewer than 2 waveforms or 3
        samples, or more than :data:`MAX_WAVEFORMS`, :data:`MAX_SAMPLES` or
        :data:`MAX_ARRAY_VALUES`.

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> np.save(buffer, np.zeros((4, 10, 2)) + np.arange(10)[:, None])
    >>> table = read_npy(buffer.getvalue())
    >>> table.waveforms.shape, table.channels
    ((4, 20), 2)
    """
    data = _checked_bytes(data, "a .npy file")
    if not data.startswith(_NPY_MAGIC):
        raise InputError("The file does not start with NumPy's signature (\\x93NUMPY); it is not a .npy file.")
    shape, dtype = _header(io.BytesIO(data), "The .npy file")
    _checked_kind(dtype, "The .npy file", "fiu")
    _checked_waveform_shape(shape)
    array = _loaded(lambda: np.load(io.BytesIO(data), allow_pickle=False), "The .npy file")
    return _waveform_table(array)


def _zip_members(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InputError("The file is not a readable .npz (ZIP) archive; it may be cut short.") from None


def read_npz(data: bytes) -> WaveformTable:
    """Read spike waveforms, and what belongs to them, from an ``.npz`` file.

    Arrays (:data:`NPZ_KEYS`): ``waveforms`` as in :func:`read_npy`
    (required; a lone unnamed array ``arr_0`` is taken for it); and,
    optionally, one per waveform, ``spike_times`` (seconds; whole numbers are
    sample indices and need ``sampling_rate``), ``labels`` (numbers or text,
    kept as the label column ``labels``) and ``ids``; and the numbers
    ``sampling_rate`` (Hz) and ``channels`` (for a 2-D array whose rows
    already concatenate channels). Other arrays are ignored, with a note.

    Parameters
    ----------
    data : bytes
        At most :data:`MAX_ARRAY_FILE_BYTES`.

    Returns
    -------
    WaveformTable

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> np.savez(buffer, waveforms=np.eye(3), spike_times=[0.5, 1.0, 2.0], sampling_rate=30000.0)
    >>> table = read_npz(buffer.getvalue())
    >>> table.spike_times.tolist(), table.sampling_rate
    ([0.5, 1.0, 2.0], 30000.0)
    """
    data = _checked_bytes(data, "an .npz file")
    archive = _zip_members(data)
    with archive:
        names = {name[:-4]: name for name in archive.namelist() if name.endswith(".npy")}
        notes = []
        if "waveforms" not in names and list(names) == ["arr_0"]:
            names = {"waveforms": names["arr_0"]}
            notes.append("The .npz file holds one unnamed array; it was read as the waveforms.")
        if "waveforms" not in names:
            held = ", ".join(shown(name) for name in list(names)[:6]) or "no arrays"
            raise InputError(f"The .npz file has no array named 'waveforms' (it holds {held}).")
        ignored = [name for name in names if name not in NPZ_KEYS]
        if ignored:
            notes.append(f"Arrays not used: {', '.join(shown(name) for name in ignored[:5])}"
                         f"{' …' if len(ignored) > 5 else ''}.")
        arrays = {}
        for key in [k for k in NPZ_KEYS if k in names]:
            with archive.open(names[key]) as stream:
                shape, dtype = _header(stream, f"The array '{key}'")
            _checked_member(key, shape, dtype)
            arrays[key] = _loaded(lambda key=key: _member_array(archive, names[key]), f"The array '{key}'")
    return _npz_table(arrays, notes)


def _member_array(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    with archive.open(name) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False)


def _checked_member(key: str, shape: tuple, dtype: np.dtype) -> None:
    """Header checks of one ``.npz`` array, before it is decoded."""
    what = f"The array '{key}'"
    if key == "waveforms":
        _checked_kind(dtype, what, "fiu")
        _checked_waveform_shape(shape, what)
    elif key in ("sampling_rate", "channels"):
        _checked_kind(dtype, what, "fiu")
        if int(np.prod(shape)) != 1:
            raise InputError(f"{what} must be one number; it has shape {shape}.")
    else:
        _checked_kind(dtype, what, "fiuUS" if key in ("labels", "ids") else "fiu")
        if len(shape) != 1 or shape[0] > MAX_WAVEFORMS:
            raise InputError(f"{what} must be a list, one entry per waveform; it has shape {shape}.")


def _texts(values: np.ndarray) -> list:
    if values.dtype.kind == "S":
        return [v.decode("utf-8", "replace") for v in values.tolist()]
    return [str(v) for v in values.tolist()]


def _npz_table(arrays: dict, notes: list) -> WaveformTable:
    """A table from the decoded arrays of an ``.npz`` file."""
    waveforms = arrays["waveforms"]
    n = waveforms.shape[0]
    for key in ("spike_times", "labels", "ids"):
        if key in arrays and arrays[key].shape[0] != n:
            raise InputError(f"The array '{key}' has {arrays[key].shape[0]:,} entries for {n:,} waveforms; "
                             "there must be one per waveform.")
    sampling_rate = None
    if "sampling_rate" in arrays:
        sampling_rate = checked_sampling_rate(arrays["sampling_rate"].reshape(-1)[0])
    channels = 1
    if "channels" in arrays:
        if waveforms.ndim == 3:
            raise InputError("The file gives 'channels' beside a 3-D waveform array, whose last axis already "
                             "counts the channels; leave one of the two out.")
        channels = checked_channels(waveforms.shape[1], arrays["channels"].reshape(-1)[0].item())
    spike_times = None
    if "spike_times" in arrays:
        spike_times = arrays["spike_times"]
        if spike_times.dtype.kind in "iu":
            if sampling_rate is None:
                raise InputError("'spike_times' holds whole numbers, which look like sample indices; add the "
                                 "sampling_rate (Hz) to the file, or store the times in seconds as decimals.")
            notes.append(f"The spike times are whole numbers, read as sample indices at {sampling_rate:g} Hz.")
            spike_times = spike_times / sampling_rate
        spike_times = spike_times.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(spike_times))
        if bad.size:
            raise InputError(f"'spike_times' holds {counted(bad.size, 'NaN or infinite value')} "
                             f"(waveforms {listed((bad + 1).tolist())}).")
        if spike_times.min() < 0:
            raise InputError(f"Spike times must count seconds from the start of the recording; the earliest is "
                             f"{spike_times.min():g} s.")
    labels = {"labels": _texts(arrays["labels"])} if "labels" in arrays else {}
    ids = _texts(arrays["ids"]) if "ids" in arrays else None
    return _waveform_table(waveforms, channels=channels, ids=ids, spike_times=spike_times,
                           sampling_rate=sampling_rate, label_columns=labels, notes=notes)


def read_spike_file(name: str, data: bytes, *, transposed: bool = False) -> WaveformTable:
    """Read an uploaded waveform file, whichever of CSV, ``.npy`` or ``.npz`` it is.

    The file's first bytes decide: NumPy's signature means ``.npy``, a ZIP
    archive holding ``.npy`` arrays means ``.npz``, anything else is read as
    CSV by :func:`~nnmf_core.spikes.read_waveforms`. A file named ``.npy`` or
    ``.npz`` without those bytes is refused (renamed or damaged).

    Parameters
    ----------
    name : str
        The file's name (only its extension is used).
    data : bytes
    transposed : bool
        For a CSV file: every column is one waveform.

    Returns
    -------
    WaveformTable
    """
    extension = PurePath(str(name)).suffix.lower()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"Expected the bytes of a file, got {type(data).__name__}.")
    data = bytes(data)
    if data.startswith(_NPY_MAGIC):
        return read_npy(data)
    if data.startswith(_ZIP_MAGICS) and len(data) <= MAX_ARRAY_FILE_BYTES:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                holds_arrays = any(member.endswith(".npy") for member in archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            holds_arrays = extension == ".npz"
        if holds_arrays:
            return read_npz(data)
    if extension in (".npy", ".npz") and data:
        raise InputError(f"The file is named {shown(extension)} but is not a NumPy {extension} file (its first bytes "
                         "differ); was it renamed, or cut short?")
    return read_waveforms(data, transposed=transposed)
