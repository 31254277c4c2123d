"""Reading spike waveforms from CSV: the limits, the table read, and the
bundled sample.

:func:`read_waveforms` takes the bytes of an upload and returns a
:class:`WaveformTable`, reporting every problem as an
:class:`~nnmf_core.errors.InputError` that names the column and the rows.
A plain file takes pandas' fast parser; anything else is read cell by cell
(the steps in :mod:`nnmf_core.spikes.csv_parsing`), which names every problem.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nnmf_core._text import counted, listed, shown
from nnmf_core.errors import InputError
from nnmf_core.spikes.csv_parsing import (
    _FILLED_LINE,
    LABEL_HEADERS,
    _cell_problems,
    _decoded_text,
    _grid,
    _is_number,
    _label_column_count,
    _mostly_not_numbers,
    _rectangular,
    _sniffed_delimiter,
    _tokenized_rows,
)
from nnmf_core.spikes.validation import _checked_magnitude, _checked_shapes

#: The bundled sample: 4 synthetic units × 250 spikes, 150 samples, in µV,
#: with the true unit in column ``unit`` (made by ``data/make_spikes.py``).
SAMPLE_SPIKES_CSV = Path(__file__).resolve().parents[2] / "data" / "spikes_synthetic.csv"

#: Largest CSV upload read, in bytes (50 MB).
MAX_CSV_BYTES = 50 * 1024 * 1024
#: Most waveforms (rows of the CSV, or columns when transposed) accepted.
MAX_WAVEFORMS = 100_000
#: Most samples per waveform accepted.
MAX_SAMPLES = 2_000


@dataclass(frozen=True, eq=False)
class WaveformTable:
    """Waveforms read from a CSV file.

    Attributes
    ----------
    waveforms : ndarray of float64, shape (n_waveforms, n_samples)
        One waveform per row, finite.
    ids : list of str, length n_waveforms
        The identifier of every waveform (first column, or the header of a
        transposed file).
    sample_names : list of str, length n_samples
        The headers of the sample columns (``"0"``, ``"1"``, … or times).
    label_columns : dict of str -> list of str
        Non-sample columns found after the samples (e.g. ``organoid`` or a
        ground-truth ``unit``), one string per waveform.
    notes : list of str
        Warnings that did not stop the reading (duplicate ids, flat
        waveforms, …), each a sentence.
    spike_times : ndarray of float64, shape (n_waveforms,), or None
        When each spike happened, in seconds from the start of the recording,
        if the file says (a time column, or ``spike_times`` in an ``.npz``).
    sampling_rate : float or None
        Samples per second of the waveforms, if the file says (a ``# fs=``
        comment, a ``sampling_rate`` column or array).
    channels : int
        How many channels each row holds, concatenated channel after channel
        (C channels × T samples = n_samples); 1 for single-channel waveforms.
    """

    waveforms: np.ndarray
    ids: list
    sample_names: list
    label_columns: dict
    notes: list = field(default_factory=list)
    spike_times: np.ndarray | None = None
    sampling_rate: float | None = None
    channels: int = 1

    @property
    def n_waveforms(self) -> int:
        return self.waveforms.shape[0]

    @property
    def n_samples(self) -> int:
        return self.waveforms.shape[1]


def read_waveforms(data: bytes, *, transposed: bool = False) -> WaveformTable:
    """Read spike waveforms from the bytes of a CSV file.

    Layout (one waveform per row)::

        uid,0,1,2,…,149,organoid
        TC028_3B,-0.0026,-0.0059,…,0.0012,A
        …

    The first column holds the ids; then come the sample columns; then,
    optionally, label columns. **Label-column rule**: scanning from the
    right, a column is a label column when (a) its header is one of
    :data:`LABEL_HEADERS` (``unit``, ``label``, ``cluster``, ``class``,
    ``organoid``, …), or (b) the sample headers are numbers (``0, 1, …`` or
    times) and its header is not a number, or (c) more than half of its
    filled cells are not numbers. The first column from the right that is
    none of these, and every column before it, are samples; their cells
    must all be finite numbers. So the bundled ``…,149,unit`` file keeps its
    integer ``unit`` column as labels, and an ``organoid`` column of text is
    found by its header or its content.

    If the first two headers are ``0`` and ``1`` the file has no id column;
    waveforms are then numbered 1, 2, ….

    With ``transposed=True`` every column is one waveform, its header the id.
    The first column is taken as the sample axis (and dropped) when its
    header is empty or one of :data:`SAMPLE_AXIS_HEADERS`, or its values rise
    in even steps (0, 1, 2, … or times); trailing rows of text are labels.

    Robustness: the delimiter (comma, semicolon or tab) is sniffed from the
    header row; decimal commas are read in semicolon- or tab-separated
    files; UTF-8 with or without BOM, UTF-16 and UTF-32 with BOM are decoded
    (anything else as Latin-1); blank lines and a trailing delimiter are
    ignored. Each record must sit on one line. Nothing touches the disk.

    Two readers, one result: a plain file (no quotes, every line with the
    header's number of fields, every sample a finite number) goes through
    pandas' C parser straight to floats — about 1 s and 100 MB of memory
    for a 45 MB file; anything else (quotes, ragged rows, bad cells, a
    transposed file) through Python's csv module cell by cell, which is
    slower and holds a string per cell but names every problem.

    Parameters
    ----------
    data : bytes
        The file's contents, at most :data:`MAX_CSV_BYTES`.
    transposed : bool
        True if every column (not row) is a waveform.

    Returns
    -------
    WaveformTable
        ``waveforms`` of shape (n_waveforms, n_samples), float64.

    Raises
    ------
    InputError
        For an empty, oversized or unreadable file, ragged rows, empty or
        non-numeric or non-finite sample cells (naming the column and the
        rows, counted as a spreadsheet shows them, header = row 1), fewer than
        2 waveforms or 3 samples, or more than :data:`MAX_WAVEFORMS` waveforms
        or :data:`MAX_SAMPLES` samples.

    Examples
    --------
    >>> table = read_waveforms(b"uid,0,1,2,unit\\na,0,-1,0.5,0\\nb,0,-0.8,0.1,1\\n")
    >>> table.waveforms.shape, table.ids, table.label_columns
    ((2, 3), ['a', 'b'], {'unit': ['0', '1']})
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"Expected the bytes of a CSV file, got {type(data).__name__}.")
    data = bytes(data) if not isinstance(data, bytes) else data
    if len(data) == 0:
        raise InputError("The file is empty (0 bytes).")
    if len(data) > MAX_CSV_BYTES:
        raise InputError(
            f"The file has {len(data):,} bytes ({len(data) / 2**20:,.1f} MB); the limit is "
            f"{MAX_CSV_BYTES:,} bytes ({MAX_CSV_BYTES / 2**20:,.0f} MB, MAX_CSV_BYTES). "
            "Split it or keep fewer waveforms."
        )
    text = _decoded_text(data)
    parsed = None if transposed else _plainly_parsed(text)
    if parsed is None:
        parsed = _exactly_parsed(text, transposed)
    return _finished_table(*parsed, transposed=transposed)


def _checked_waveform_count(n_waveforms: int) -> None:
    if n_waveforms > MAX_WAVEFORMS:
        raise InputError(f"The file holds {n_waveforms:,} waveforms; the limit is {MAX_WAVEFORMS:,} (MAX_WAVEFORMS).")


def _checked_sample_count(n_samples: int, header: list, transposed: bool) -> None:
    if n_samples < 1:
        raise InputError(
            "No sample columns were found: every column after the ids holds text or is headed like a "
            f"label ({', '.join(shown(h) for h in header[1:4])}…)."
        )
    if n_samples > MAX_SAMPLES:
        raise InputError(
            f"Each waveform has {n_samples:,} samples; the limit is {MAX_SAMPLES:,} (MAX_SAMPLES). "
            + ("" if transposed else "If every column is one waveform, read the file as transposed.")
        )


def _plainly_parsed(text: str):
    """The fast, lean path for the common file: no quotes, one record per
    line, every line with the header's number of fields, every sample cell a
    finite number. pandas' C parser turns the samples straight into floats
    (correctly rounded, like ``float()``), without a Python string per cell.

    Returns (ids, sample names, waveforms, label columns, notes), or None
    when the file needs :func:`_exactly_parsed` — which reads anything and
    names every problem.
    """
    if '"' in text:
        return None
    header_line = _FILLED_LINE.search(text)
    if header_line is None:
        return None
    delimiter = _sniffed_delimiter(header_line.group())
    header = [cell.strip() for cell in header_line.group().split(delimiter)]
    width = len(header)
    if width < 2 or not header[-1] or (header[0] == "0" and header[1] == "1"):
        return None  # trailing delimiters and missing ids: the exact reader's business
    n_rows = 0
    for line in _FILLED_LINE.finditer(text, header_line.end()):  # one line alive at a time
        if line.group().count(delimiter) != width - 1:
            return None
        n_rows += 1
    if n_rows == 0:
        return None
    _checked_waveform_count(n_rows)
    decimal_comma = delimiter != "," and "," in text
    numeric_headers = _is_number(header[1])
    text_columns = {0} | {
        j for j in range(1, width)
        if header[j].lower() in LABEL_HEADERS or (numeric_headers and not _is_number(header[j]))
    }
    try:
        frame = pd.read_csv(
            # UTF-8 bytes: io.StringIO would hold 4 bytes per character
            io.BytesIO(text.encode("utf-8")),
            encoding="utf-8",
            sep=delimiter,
            header=0,  # the first line that is not blank; replaced by positions
            names=list(range(width)),
            index_col=False,
            dtype={j: str for j in text_columns},
            skipinitialspace=True,
            skip_blank_lines=True,
            na_filter=False,
            decimal="," if decimal_comma else ".",
            float_precision="round_trip",
            engine="c",
        )
    except (ValueError, pd.errors.ParserError):
        return None
    if len(frame) != n_rows:
        return None

    def mostly_text(j: int) -> bool:
        column = frame[j]
        return column.dtype == object and _mostly_not_numbers([str(v).strip() for v in column], decimal_comma)

    n_labels = _label_column_count(header, mostly_text)
    n_samples = width - 1 - n_labels
    samples = frame.iloc[:, 1 : 1 + n_samples]
    if n_samples < 1 or any(dtype.kind not in "iuf" for dtype in samples.dtypes):
        return None
    _checked_sample_count(n_samples, header, transposed=False)
    waveforms = samples.to_numpy(dtype=np.float64)
    if not np.isfinite(waveforms).all():
        return None
    ids = [str(v).strip() for v in frame[0]]
    labels = [(header[j], [str(v).strip() for v in frame[j]]) for j in range(1 + n_samples, width)]
    return ids, header[1 : 1 + n_samples], waveforms, _named_labels(labels), []


def _named_labels(labels: list) -> dict:
    """(header, values) pairs to label columns keyed by unique, non-empty names."""
    named: dict[str, list] = {}
    for position, (header, values) in enumerate(labels, start=1):
        name = header.strip() or f"label {position}"
        while name in named:
            name += "'"
        named[name] = values
    return named


def _exactly_parsed(text: str, transposed: bool):
    """Read any CSV cell by cell (Python's csv module), and name every
    problem; returns (ids, sample names, waveforms, label columns, notes)."""
    rows, row_numbers, delimiter = _tokenized_rows(text)
    if len(rows[0]) < 2:
        raise InputError(
            "Only one column was found. Expected an id column and then sample columns, "
            "separated by commas, semicolons or tabs."
        )
    if len(rows) < 2:
        raise InputError("The file has a header row but no data rows.")
    rows = _rectangular(rows, row_numbers)
    if len(rows[0]) < 2:
        raise InputError("Only one column holds anything; expected an id column and then sample columns.")
    decimal_comma = delimiter != "," and "," in text
    grid = _grid(rows, row_numbers, transposed, decimal_comma)
    notes: list[str] = []

    header = grid.header
    has_id_column = not (not transposed and header[0].strip() == "0" and len(header) > 1 and header[1].strip() == "1")
    if not has_id_column:
        header = ["id"] + header
        grid.body = [[str(n)] + row for n, row in enumerate(grid.body, start=1)]
        grid.header = header
        place = grid.cell_place
        grid.cell_place = lambda i, j, place=place: place(i, j - 1)
        notes.append("The file has no id column (its first header is '0'); waveforms are numbered 1, 2, ….")

    n_waveforms = len(grid.body)
    _checked_waveform_count(n_waveforms)
    n_labels = _label_column_count(
        header, lambda j: _mostly_not_numbers([row[j] for row in grid.body], decimal_comma)
    )
    n_samples = len(header) - 1 - n_labels
    _checked_sample_count(n_samples, header, transposed)
    block = [row[1 : 1 + n_samples] for row in grid.body]
    if decimal_comma:
        block = [[cell.replace(",", ".") for cell in row] for row in block]
    try:
        waveforms = np.array(block, dtype=object).astype(np.float64).reshape(n_waveforms, n_samples)
        finite = bool(np.isfinite(waveforms).all())
    except (ValueError, TypeError):
        finite = False
    if not finite:
        problem = _cell_problems(grid, range(1, 1 + n_samples), decimal_comma)
        raise InputError(problem or "Some sample cells could not be read as finite numbers.")
    ids = [row[0] for row in grid.body]
    labels = [(header[j], [row[j] for row in grid.body]) for j in range(1 + n_samples, len(header))]
    return ids, [h.strip() for h in header[1 : 1 + n_samples]], waveforms, _named_labels(labels), notes


def _finished_table(ids, sample_names, waveforms, label_columns, notes, *, transposed: bool) -> WaveformTable:
    """Final checks and notes shared by both ways of reading."""
    n_waveforms, n_samples = waveforms.shape
    _checked_waveform_count(n_waveforms)
    _checked_sample_count(n_samples, ["id"] + list(sample_names), transposed)
    if n_waveforms < 2:
        raise InputError("The file holds 1 waveform; clustering needs at least 2.")
    if n_samples < 3:
        raise InputError(f"Each waveform has {counted(n_samples, 'sample')}; at least 3 are needed.")
    _checked_magnitude(waveforms)
    notes = list(notes)
    unnamed = [n for n, i in enumerate(ids, start=1) if not i]
    if unnamed:
        ids = [i or f"#{n}" for n, i in enumerate(ids, start=1)]
        notes.append(
            f"{counted(len(unnamed), 'waveform has', 'waveforms have')} no id; they are called "
            f"'#N' by their position (#{listed(unnamed, 3)})."
        )
    counts = pd.Series(ids).value_counts()
    repeated = counts[counts > 1]
    if len(repeated):
        examples = ", ".join(f"'{shown(name)}' ({n}×)" for name, n in repeated.head(3).items())
        notes.append(
            f"{counted(len(repeated), 'id occurs', 'ids occur')} more than once: {examples}"
            + (" …" if len(repeated) > 3 else "")
            + ". Each waveform is kept; exports repeat the id."
        )
    flat = np.flatnonzero(np.ptp(waveforms, axis=1) == 0)
    if flat.size == n_waveforms:
        _checked_shapes(waveforms, 1)  # all flat: refused with the same sentence as before a fit
    if flat.size:
        notes.append(
            f"{counted(flat.size, 'waveform is', 'waveforms are')} flat (all samples equal): "
            + ", ".join(f"'{shown(ids[i])}'" for i in flat[:3])
            + (" …" if flat.size > 3 else "")
            + ". A flat waveform has no shape; its cluster is arbitrary."
        )
    return WaveformTable(
        waveforms=waveforms,
        ids=list(ids),
        sample_names=list(sample_names),
        label_columns=label_columns,
        notes=notes,
    )


def load_sample_spikes() -> WaveformTable:
    """Read the bundled sample file :data:`SAMPLE_SPIKES_CSV`.

    Returns
    -------
    WaveformTable
        1000 waveforms × 150 samples, ``label_columns["unit"]`` the truth.
    """
    return read_waveforms(SAMPLE_SPIKES_CSV.read_bytes())

