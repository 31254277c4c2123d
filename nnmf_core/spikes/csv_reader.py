"""Reading spike waveforms from CSV: the limits, the table read, and the
bundled examples.

:func:`read_waveforms` takes the bytes of an upload and returns a
:class:`WaveformTable`, reporting every problem as an
:class:`~nnmf_core.errors.InputError` that names the column and the rows.
A plain file takes pandas' fast parser; anything else is read cell by cell
(the steps in :mod:`nnmf_core.spikes.csv_parsing`), which names every problem.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from nnmf_core._text import counted, listed, shown
from nnmf_core.errors import InputError, TooLarge
from nnmf_core.spikes.channels import channel_header_sentence, channel_options, channels_from_header
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
from nnmf_core.spikes.recording_info import (
    checked_sampling_rate,
    column_roles,
    leading_comments,
    sampling_rate_from_column,
    spike_times_from_column,
)
from nnmf_core.spikes.validation import _checked_magnitude, _checked_shapes

#: The bundled sample: 4 synthetic units × 250 spikes, 150 samples, in µV,
#: with the true unit in column ``unit`` (made by ``data/make_spikes.py``).
SAMPLE_SPIKES_CSV = Path(__file__).resolve().parents[2] / "data" / "spikes_synthetic.csv"
#: The bundled recording simulated with SpikeInterface: 5 units on 4 channels
#: at 25 kHz, spike times and the true unit (made by ``data/make_realistic_spikes.py``).
REALISTIC_SPIKES_CSV = SAMPLE_SPIKES_CSV.with_name("spikes_realistic.csv")
#: The bundled spike files by name, for :func:`load_sample_spikes`.
SAMPLE_SPIKE_FILES = {"synthetic": SAMPLE_SPIKES_CSV, "realistic": REALISTIC_SPIKES_CSV}
#: Units in each bundled file's 'unit' column (the truth).
SAMPLE_SPIKE_UNITS = {"synthetic": 4, "realistic": 5}

#: Largest CSV upload read, in bytes (50 MB).
#: Peak memory of reading a file, per byte of it (measured: a 45 MB CSV of
#: 50,000 waveforms peaks about 190 MB above its own bytes), for the work gate.
READ_COST_PER_BYTE = 5
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
        if the file says (a time column, or ``spike_times`` in an ``.npz``;
        a sample-index column once the sampling rate is known).
    sampling_rate : float or None
        Samples per second of the waveforms, if the file says (a ``# fs=``
        comment, a ``sampling_rate`` column or array).
    channels : int
        How many channels each row holds, concatenated channel after channel
        (C channels × T samples = n_samples); 1 for single-channel waveforms.
        From a ``# channels=`` comment, else from the sample headers
        (:func:`~nnmf_core.spikes.channels.channels_from_header`).
    inferred : list of str
        How the file was read where it does not say for certain (channels
        from the headers, the unit of a time column), each a sentence: facts
        to show, not problems.
    spike_samples : ndarray of float64, shape (n_waveforms,), or None
        The spike positions in samples, when the file gives those instead of
        times (:meth:`with_sampling_rate` turns them into ``spike_times``).
    """

    waveforms: np.ndarray
    ids: list
    sample_names: list
    label_columns: dict
    notes: list = field(default_factory=list)
    spike_times: np.ndarray | None = None
    sampling_rate: float | None = None
    channels: int = 1
    inferred: list = field(default_factory=list)
    spike_samples: np.ndarray | None = None

    @property
    def n_waveforms(self) -> int:
        return self.waveforms.shape[0]

    @property
    def n_samples(self) -> int:
        return self.waveforms.shape[1]

    def with_sampling_rate(self, sampling_rate: float) -> WaveformTable:
        """The same table at ``sampling_rate`` (Hz), its spike samples (if any) turned into times.

        >>> table = read_waveforms(b"uid,0,1,2,sample_index\\na,0,-1,0,250\\nb,0,-2,1,500\\n")
        >>> table.spike_times is None, table.with_sampling_rate(25_000).spike_times.tolist()
        (True, [0.01, 0.02])
        """
        rate = checked_sampling_rate(sampling_rate)
        times = self.spike_times if self.spike_samples is None else self.spike_samples / rate
        return replace(self, sampling_rate=rate, spike_times=times)


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

    **What the file says about the recording** (see
    :mod:`nnmf_core.spikes.recording_info`): ``#`` lines at the top may give
    the sampling rate (``# fs=25000``) and the channels (``# channels=4``);
    columns headed like a spike time (``time``, ``t``, ``spike_time``,
    ``timestamp``, with ``_s``/``_ms`` or ``(ms)`` for the unit), a sample
    index (``sample_index``, ``spike_sample``) or a sampling rate
    (``sampling_rate``, ``fs``) are taken out wherever they sit after the
    ids, never read as samples or labels. Sample headers that run through
    channels (``ch0_0 … ch3_74``) set ``channels``. What had to be guessed
    (channels from the headers, a time column's unit) is said in
    ``inferred``; a described column that cannot be used is a note.

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
        raise TooLarge(
            f"The file has {len(data):,} bytes ({len(data) / 2**20:,.1f} MB); the limit is "
            f"{MAX_CSV_BYTES:,} bytes ({MAX_CSV_BYTES / 2**20:,.0f} MB, MAX_CSV_BYTES). "
            "Split it or keep fewer waveforms."
        )
    text = _decoded_text(data)
    comments = leading_comments(text)
    # an ASCII file without comment lines is its own UTF-8 encoding: pandas reads the upload's bytes as they are
    same_bytes = comments.text is text and text.isascii() and len(text) == len(data)
    del text
    parsed = None if transposed else _plainly_parsed(comments.text, data if same_bytes else None)
    if parsed is None:
        parsed = _exactly_parsed(comments.text, transposed)
    return _finished_table(*parsed, transposed=transposed, comments=comments)


def _checked_waveform_count(n_waveforms: int) -> None:
    if n_waveforms > MAX_WAVEFORMS:
        raise TooLarge(f"The file holds {n_waveforms:,} waveforms; the limit is {MAX_WAVEFORMS:,} (MAX_WAVEFORMS).")


def _checked_sample_count(n_samples: int, header: list, transposed: bool) -> None:
    if n_samples < 1:
        raise InputError(
            "No sample columns were found: every column after the ids holds text or is headed like a "
            f"label ({', '.join(shown(h) for h in header[1:4])}…)."
        )
    if n_samples > MAX_SAMPLES:
        raise TooLarge(
            f"Each waveform has {n_samples:,} samples; the limit is {MAX_SAMPLES:,} (MAX_SAMPLES). "
            + ("" if transposed else "If every column is one waveform, read the file as transposed.")
        )


def _plainly_parsed(text: str, encoded: bytes | None = None):
    """The fast, lean path for the common file: no quotes, one record per
    line, every line with the header's number of fields, every sample cell a
    finite number. pandas' C parser turns the samples straight into floats
    (correctly rounded, like ``float()``), without a Python string per cell.
    ``encoded``, when given, is ``text`` in UTF-8 (the upload's own bytes),
    which spares a copy of the file.

    Returns (ids, sample names, waveforms, label columns, notes, described
    columns — ``{role: (header, cells)}`` of :func:`column_roles`), or None
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
    roles = column_roles(header)
    kept = [j for j in range(width) if j == 0 or j not in roles]
    if len(kept) < 2:
        return None
    numeric_headers = _is_number(header[kept[1]])
    text_columns = {0} | set(roles) | {
        j for j in kept[1:]
        if header[j].lower() in LABEL_HEADERS or (numeric_headers and not _is_number(header[j]))
    }
    try:
        frame = pd.read_csv(
            # UTF-8 bytes: io.StringIO would hold 4 bytes per character
            io.BytesIO(text.encode("utf-8") if encoded is None else encoded),
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

    def mostly_text(position: int) -> bool:
        column = frame[kept[position]]
        return column.dtype == object and _mostly_not_numbers([str(v).strip() for v in column], decimal_comma)

    kept_header = [header[j] for j in kept]
    n_labels = _label_column_count(kept_header, mostly_text)
    n_samples = len(kept) - 1 - n_labels
    sample_columns = kept[1 : 1 + n_samples]
    samples = frame[sample_columns]
    if n_samples < 1 or any(dtype.kind not in "iuf" for dtype in samples.dtypes):
        return None
    _checked_sample_count(n_samples, kept_header, transposed=False)
    waveforms = samples.to_numpy(dtype=np.float64)  # a view of the selection's one block
    if not np.isfinite(waveforms).all():
        return None
    ids = [str(v).strip() for v in frame[0]]
    labels = [(header[j], [str(v).strip() for v in frame[j]]) for j in kept[1 + n_samples :]]
    described = {role: (header[j], [str(v).strip() for v in frame[j]]) for j, role in roles.items()}
    return ids, [header[j] for j in sample_columns], waveforms, _named_labels(labels), [], described


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
    problem; returns what :func:`_plainly_parsed` returns."""
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
    roles = {} if transposed else column_roles(header)
    kept = [j for j in range(len(header)) if j == 0 or j not in roles]
    kept_header = [header[j] for j in kept]
    n_labels = _label_column_count(
        kept_header, lambda position: _mostly_not_numbers([row[kept[position]] for row in grid.body], decimal_comma)
    )
    n_samples = len(kept) - 1 - n_labels
    _checked_sample_count(n_samples, kept_header, transposed)
    sample_columns = kept[1 : 1 + n_samples]
    block = [[row[j] for j in sample_columns] for row in grid.body]
    if decimal_comma:
        block = [[cell.replace(",", ".") for cell in row] for row in block]
    try:
        waveforms = np.array(block, dtype=object).astype(np.float64).reshape(n_waveforms, n_samples)
        finite = bool(np.isfinite(waveforms).all())
    except (ValueError, TypeError):
        finite = False
    if not finite:
        problem = _cell_problems(grid, sample_columns, decimal_comma)
        raise InputError(problem or "Some sample cells could not be read as finite numbers.")
    ids = [row[0] for row in grid.body]
    labels = [(header[j], [row[j] for row in grid.body]) for j in kept[1 + n_samples :]]
    described = {role: (header[j].strip(), [row[j] for row in grid.body]) for j, role in roles.items()}
    return ids, [header[j].strip() for j in sample_columns], waveforms, _named_labels(labels), notes, described


def _finished_table(ids, sample_names, waveforms, label_columns, notes, described, *, transposed: bool,
                    comments) -> WaveformTable:
    """Final checks and notes shared by both ways of reading, and what the
    comments and described columns say about the recording."""
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
    inferred: list[str] = []
    rate = _sampling_rate(comments, described, notes)
    channels = _channels(comments, list(sample_names), notes, inferred)
    times = samples = None
    for role in ("time", "sample_index"):
        if role in described:
            header, cells = described[role]
            found = spike_times_from_column(header, cells, role, rate)
            times, samples = found.seconds, found.samples
            notes += [found.note] if found.note else []
            inferred += [found.sentence] if found.sentence else []
    return WaveformTable(
        waveforms=waveforms,
        ids=list(ids),
        sample_names=list(sample_names),
        label_columns=label_columns,
        notes=notes,
        spike_times=times,
        sampling_rate=rate,
        channels=channels,
        inferred=inferred,
        spike_samples=samples,
    )


def _sampling_rate(comments, described: dict, notes: list) -> float | None:
    """The file's sampling rate (a ``# fs=`` line, else a rate column), checked; problems go to ``notes``."""
    rate, where = comments.sampling_rate, "The '# fs=' line"
    if "sampling_rate" in described:
        header, cells = described["sampling_rate"]
        from_column, note = sampling_rate_from_column(header, cells)
        notes += [note] if note else []
        if rate is None:
            rate, where = from_column, f"Column '{shown(header)}'"
        elif from_column is not None and from_column != rate:
            notes.append(f"The '# fs=' line says {rate:,.6g} Hz and column '{shown(header)}' {from_column:,.6g} Hz; "
                         "the '# fs=' line is used.")
    if rate is None:
        return None
    try:
        return checked_sampling_rate(rate)
    except InputError as error:
        notes.append(f"{where} gives no usable sampling rate: {error}")
        return None


def _channels(comments, sample_names: list, notes: list, inferred: list) -> int:
    """Channels per row: a ``# channels=`` line, else the sample headers (said in ``inferred``)."""
    if comments.channels is not None:
        if comments.channels in channel_options(len(sample_names)):
            return comments.channels
        notes.append(f"The '# channels=' line says {comments.channels}, but {len(sample_names):,} samples do not "
                     "split into that many channels of equal length; one channel is assumed.")
        return 1
    channels = channels_from_header(sample_names)
    if channels > 1:
        inferred.append(channel_header_sentence(sample_names, channels))
    return channels


def load_sample_spikes(name: str = "synthetic") -> WaveformTable:
    """Read a bundled spike file of :data:`SAMPLE_SPIKE_FILES`.

    Parameters
    ----------
    name : {"synthetic", "realistic"}
        ``"synthetic"`` (:data:`SAMPLE_SPIKES_CSV`): 1000 waveforms × 150
        samples; ``"realistic"`` (:data:`REALISTIC_SPIKES_CSV`): a
        SpikeInterface simulation, 4 channels × 75 samples at 25 kHz, with
        spike times. Both have the truth in ``label_columns["unit"]``.

    Returns
    -------
    WaveformTable
    """
    if name not in SAMPLE_SPIKE_FILES:
        raise InputError(f"There is no bundled spike file '{shown(name)}'; there are {', '.join(SAMPLE_SPIKE_FILES)}.")
    return read_waveforms(SAMPLE_SPIKE_FILES[name].read_bytes())

