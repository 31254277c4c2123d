"""Spike waveforms: CSV in, clusters out.

Everything the spike-clustering page needs besides the factorization itself:

* :func:`read_waveforms` — a CSV upload (bytes) to a :class:`WaveformTable`,
  with every problem reported as an :class:`~nnmf_core.errors.InputError`
  that names the column and the rows.
* :func:`nonnegative` — three ways to make signed waveforms non-negative.
* :func:`cluster_waveforms` — NMF (from :mod:`nnmf_core.factorize`) plus an
  assignment rule in one call, with restarts, returning a
  :class:`SpikeClustering`.
* :func:`pca_kmeans` — the classic baseline, PCA scores clustered by k-means.
* Quality: :func:`ari`, :func:`silhouette`, :func:`stability`,
  :func:`separation`, :func:`confusion_table`; rank choice:
  :func:`rank_scan` (with :func:`consensus_matrix` and
  :func:`cophenetic_correlation`), :func:`suggested_rank`.
* Summaries and downloads: :func:`cluster_summary`,
  :func:`export_assignments_csv`, :func:`export_templates_csv`.
* :func:`synthetic_spikes` — waveforms of known units, for tests and the
  demo; :func:`load_sample_spikes` reads the bundled file made from it.

Orientation follows the reference notebook: the data matrix ``V`` has one
**column per waveform** (shape ``(n_samples, n_waveforms)``, or twice the
samples for the ``"split"`` transform), so ``W`` (``(n_rows, k)``) holds k
templates and ``H`` (``(k, n_waveforms)``) the weight of every template in
every waveform. Arrays of waveforms handed to this module are the other way
round, one waveform per row (``(n_waveforms, n_samples)``), as in the CSV.

Examples
--------
>>> waveforms, units = synthetic_spikes(n_per_unit=60, random_state=1)
>>> waveforms.shape
(240, 150)
>>> result = cluster_waveforms(waveforms, 4, random_state=0)
>>> bool(ari(result.labels, units) > 0.9)
True
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import cophenet, linkage
from scipy.spatial.distance import squareform
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from nnmf_core.errors import InputError
from nnmf_core.factorize import MAX_ENTRY, MAX_FIT_COST, NMFResult, factorize, fit_cost, iterations_within_budget

__all__ = [
    "ARTICLE_RECIPE",
    "ASSIGNMENTS",
    "AffordableComparison",
    "AffordableScan",
    "ClusterSummary",
    "DEFAULT_ASSIGNMENT",
    "DEFAULT_RESTARTS",
    "DEFAULT_TRANSFORM",
    "KMEANS_INITS",
    "LABEL_HEADERS",
    "MAX_CONSENSUS_WAVEFORMS",
    "MAX_CSV_BYTES",
    "MAX_ABS_SAMPLE",
    "MAX_SAMPLES",
    "MAX_SILHOUETTE_WAVEFORMS",
    "MAX_WAVEFORMS",
    "MethodComparison",
    "NonNegative",
    "PcaKmeans",
    "QualityReport",
    "SAMPLE_AXIS_HEADERS",
    "SAMPLE_SPIKES_CSV",
    "SEPARATION_THRESHOLD",
    "SpikeClustering",
    "TRANSFORMS",
    "UNIT_SHAPES",
    "WaveformTable",
    "affordable_comparison",
    "affordable_scan",
    "ari",
    "cluster_summary",
    "cluster_waveforms",
    "clusters_by_kmeans",
    "clusters_from_h",
    "compare_methods",
    "confusion_table",
    "consensus_matrix",
    "cophenetic_correlation",
    "export_assignments_csv",
    "export_templates_csv",
    "load_sample_spikes",
    "method_name",
    "nonnegative",
    "pca_kmeans",
    "quality_report",
    "rank_scan",
    "read_waveforms",
    "separation",
    "silhouette",
    "spreadsheet_safe",
    "stability",
    "stable_order",
    "suggested_rank",
    "suggestion_reason",
    "synthetic_spikes",
    "templates_from_w",
    "unit_norm_columns",
]

# --------------------------------------------------------------------------
# limits and names
# --------------------------------------------------------------------------

#: The bundled sample: 4 synthetic units × 250 spikes, 150 samples, in µV,
#: with the true unit in column ``unit`` (made by ``data/make_spikes.py``).
SAMPLE_SPIKES_CSV = Path(__file__).resolve().parent.parent / "data" / "spikes_synthetic.csv"

#: Largest CSV upload read, in bytes (50 MB).
MAX_CSV_BYTES = 50 * 1024 * 1024
#: Most waveforms (rows of the CSV, or columns when transposed) accepted.
MAX_WAVEFORMS = 100_000
#: Most samples per waveform accepted.
MAX_SAMPLES = 2_000
#: Largest magnitude of a sample accepted: half the largest entry the
#: factorization takes in 32-bit floats (``MAX_ENTRY``), because a shift can
#: double the range (-5e11 … 5e11 becomes 0 … 1e12).
MAX_ABS_SAMPLE = MAX_ENTRY[np.dtype(np.float32)] / 2
#: Most waveforms whose pairwise consensus :func:`rank_scan` builds; larger
#: sets are scored on a seeded random subset of this size (the fits use all).
MAX_CONSENSUS_WAVEFORMS = 2_000

#: Headers that mark a trailing column as labels even when its cells are
#: numbers (compared case-insensitively).
LABEL_HEADERS = frozenset({"unit", "units", "label", "labels", "cluster", "clusters", "class", "organoid", "group"})
#: First-column headers that mark a transposed file's first column as the
#: sample axis (compared case-insensitively).
SAMPLE_AXIS_HEADERS = frozenset({"", "sample", "samples", "index", "idx", "time", "t", "ms", "time_ms", "time (ms)", "s"})

#: Non-negativity transforms: key -> label for a person.
TRANSFORMS = {
    "split": "Split into positive and negative parts (nothing lost)",
    "per-sample shift": "Shift every sample by its own minimum",
    "shift": "Shift everything by the global minimum (the article)",
}
#: Ways to turn H into clusters: key -> label for a person.
ASSIGNMENTS = {
    "argmax": "Strongest template in H (the article's rule)",
    "kmeans": "k-means on the normalised columns of H",
}

DEFAULT_TRANSFORM = "split"
DEFAULT_ASSIGNMENT = "kmeans"
#: Restarts of :func:`cluster_waveforms` unless asked otherwise; the fit with
#: the smallest final loss is kept.
DEFAULT_RESTARTS = 2
#: k-means initialisations (k-means++) whenever k-means assigns clusters; the
#: one with the least inertia is kept.
KMEANS_INITS = 4

# --------------------------------------------------------------------------
# reading a CSV
# --------------------------------------------------------------------------


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
    """

    waveforms: np.ndarray
    ids: list
    sample_names: list
    label_columns: dict
    notes: list = field(default_factory=list)

    @property
    def n_waveforms(self) -> int:
        return self.waveforms.shape[0]

    @property
    def n_samples(self) -> int:
        return self.waveforms.shape[1]


_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (.xlsx); save the sheet as CSV first"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls); save the sheet as CSV first"),
    (b"%PDF", "a PDF document, not a CSV table"),
    (b"\x89PNG", "a PNG image, not a CSV table"),
    (b"\xff\xd8\xff", "a JPEG image, not a CSV table"),
)
_DELIMITERS = ("\t", ";", ",")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: A whole line (any line ending) with something besides white space in it.
_FILLED_LINE = re.compile(r"[^\r\n]*[^\s][^\r\n]*")
_SHOWN_PUNCTUATION = frozenset(" .,;:+-%/'()_")


def _shown(text: str, limit: int = 24) -> str:
    """A cell or header fit to quote in a message: short, with letters,
    digits and plain punctuation kept and anything else (including what
    Markdown in ``st.error`` would interpret) shown as ``?``."""
    text = "".join(ch if ch.isalnum() or ch in _SHOWN_PUNCTUATION else "?" for ch in str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _listed(numbers: Sequence[int], shown: int = 5) -> str:
    """'4, 9, 12' or '4, 9, 12, 15, 20 and 7 more'."""
    head = ", ".join(str(n) for n in numbers[:shown])
    rest = len(numbers) - shown
    return head if rest <= 0 else f"{head} and {rest} more"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


def _decoded_text(data: bytes) -> str:
    """Bytes of a text file to str: UTF-8 (with or without BOM), UTF-16 or
    UTF-32 with a BOM, else Latin-1 (which never fails)."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"The file is {what}.")
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    for bom, encoding in boms:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"The file starts like {encoding.upper().replace('-SIG', '')} text but byte "
                    f"{exc.start:,} cannot be decoded; save it again as UTF-8 CSV."
                ) from None
            break
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    if "\x00" in text:
        raise InputError(
            "The file contains NUL characters: it is a binary file or text in an encoding "
            "without a byte-order mark (UTF-16?); save it as UTF-8 CSV."
        )
    return text


def _sniffed_delimiter(header_line: str) -> str:
    """The candidate that splits the header into the most fields (ties: tab,
    then semicolon, then comma)."""
    best, best_count = ",", 1
    for delimiter in _DELIMITERS:
        try:
            count = len(next(csv.reader([header_line], delimiter=delimiter, skipinitialspace=True)))
        except csv.Error:  # a field over csv's size limit (128 kB): not this delimiter
            count = 1
        if count > best_count:
            best, best_count = delimiter, count
    return best


@dataclass
class _Grid:
    """A rectangular table of strings, one waveform per body row, with the
    way back to the file's rows and columns for messages."""

    header: list
    body: list  # list of lists of str
    cell_place: object  # (body row, column) -> (file row, file column index)
    file_columns: list  # header text of every file column (for messages)
    transposed: bool


def _file_column_label(index: int, file_columns: list) -> str:
    name = file_columns[index].strip() if index < len(file_columns) else ""
    if name and file_columns.count(file_columns[index]) == 1:
        return f"Column '{_shown(name)}'"
    return f"Column {index + 1}" + ("" if name else " (no header)")


def _tokenized_rows(text: str) -> tuple[list, list, str]:
    """Split the text into records; returns (rows, file row numbers, delimiter).
    Blank lines are skipped; file row numbers are 1-based lines as a
    spreadsheet shows them."""
    lines = _LINE_BREAK.split(text)
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise InputError("The file holds no text (only blank lines).")
    delimiter = _sniffed_delimiter(numbered[0][1])
    reader = csv.reader((line for _, line in numbered), delimiter=delimiter, skipinitialspace=True)
    rows, row_numbers = [], []
    consumed = 0
    try:
        for record in reader:
            row_numbers.append(numbered[consumed][0])
            consumed = reader.line_num
            rows.append([cell.strip() for cell in record])
    except csv.Error as exc:
        raise InputError(f"Row {numbered[min(consumed, len(numbered) - 1)][0]} cannot be read as CSV ({exc}).") from None
    return rows, row_numbers, delimiter


def _rectangular(rows: list, row_numbers: list) -> list:
    """Check every row has the header's number of fields; trailing empty
    fields (a trailing delimiter) are forgiven and dropped."""
    width = len(rows[0])
    while width > 1 and rows[0][width - 1] == "" and all(len(r) < width or r[width - 1] == "" for r in rows[1:]):
        width -= 1
    wrong = []
    for row, number in zip(rows, row_numbers):
        if len(row) > width and not any(row[width:]):
            del row[width:]
        if len(row) != width:
            wrong.append((number, len(row)))
    if wrong:
        shown = ", ".join(f"row {number} has {_plural(count, 'field')}" for number, count in wrong[:4])
        more = f", and {len(wrong) - 4} more" if len(wrong) > 4 else ""
        raise InputError(
            f"{_plural(len(wrong), 'row does', 'rows do')} not have as many fields as the header "
            f"({width}): {shown}{more}. Every row needs one id and one value per column."
        )
    for row in rows:
        del row[width:]
    return rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _mostly_not_numbers(cells: Sequence[str], decimal_comma: bool) -> bool:
    filled = [c for c in cells if c]
    if not filled:
        return False
    if decimal_comma:
        filled = [c.replace(",", ".") for c in filled]
    numbers = sum(_is_number(c) for c in filled)
    return numbers * 2 < len(filled)


def _evenly_spaced(cells: Sequence[str], decimal_comma: bool) -> bool:
    values = []
    for cell in cells:
        try:
            values.append(float(cell.replace(",", ".") if decimal_comma else cell))
        except ValueError:
            break  # trailing label rows end the axis
    if len(values) < 3 or len(values) < len(cells) // 2:
        return False
    steps = np.diff(values)
    return bool(steps[0] > 0 and np.allclose(steps, steps[0], rtol=1e-3, atol=1e-9))


def _grid(rows: list, row_numbers: list, transposed: bool, decimal_comma: bool) -> _Grid:
    header, body = rows[0], rows[1:]
    if not transposed:
        return _Grid(
            header=header,
            body=body,
            cell_place=lambda i, j: (row_numbers[i + 1], j),
            file_columns=header,
            transposed=False,
        )
    first = [row[0] for row in body]
    axis_column = header[0].strip().lower() in SAMPLE_AXIS_HEADERS or _evenly_spaced(first, decimal_comma)
    start = 1 if axis_column else 0
    sample_header = first if axis_column else [str(i) for i in range(len(body))]
    new_header = ["id"] + sample_header
    new_body = [[header[j]] + [row[j] for row in body] for j in range(start, len(header))]
    return _Grid(
        header=new_header,
        body=new_body,
        cell_place=lambda i, j: (row_numbers[j], i + start) if j > 0 else (row_numbers[0], i + start),
        file_columns=header,
        transposed=True,
    )


def _label_column_count(header: list, mostly_text) -> int:
    """How many trailing columns hold labels rather than samples (see
    :func:`read_waveforms` for the rule). ``mostly_text(j)`` says whether
    more than half of column j's filled cells are not numbers."""
    numeric_headers = _is_number(header[1]) if len(header) > 1 else False
    count = 0
    for j in range(len(header) - 1, 0, -1):
        name = header[j].strip()
        is_label = (
            name.lower() in LABEL_HEADERS
            or (numeric_headers and not _is_number(name))
            or mostly_text(j)
        )
        if not is_label:
            break
        count += 1
    return count


def _cell_problems(grid: _Grid, columns: range, decimal_comma: bool) -> str:
    """Describe the bad cells of the first file column that has any."""
    problems = {}  # file column -> {"empty": [...], "text": [...], "nonfinite": [...]}
    for i, row in enumerate(grid.body):
        for j in columns:
            cell = row[j]
            value = cell.replace(",", ".") if decimal_comma else cell
            if not value:
                kind = "empty"
            else:
                try:
                    number = float(value)
                except ValueError:
                    kind = "text"
                else:
                    if math.isfinite(number):
                        continue
                    kind = "nonfinite"
            file_row, file_column = grid.cell_place(i, j)
            problems.setdefault(file_column, {"empty": [], "text": [], "nonfinite": []})[kind].append((file_row, cell))
    if not problems:
        return ""
    first = min(problems)
    found = problems[first]
    parts = []
    if found["empty"]:
        rows = [r for r, _ in found["empty"]]
        parts.append(f"{_plural(len(rows), 'empty cell')} (row{'s' if len(rows) > 1 else ''} {_listed(rows)})")
    for kind, one, many in (
        ("text", "that is not a number", "that are not numbers"),
        ("nonfinite", "that is NaN or infinite", "that are NaN or infinite"),
    ):
        if found[kind]:
            cells = found[kind]
            what = many if len(cells) > 1 else one
            shown = ", ".join(f"row {r}: '{_shown(c)}'" for r, c in cells[:4])
            more = f", and {len(cells) - 4} more" if len(cells) > 4 else ""
            parts.append(f"{_plural(len(cells), 'cell')} {what} ({shown}{more})")
    others = len(problems) - 1
    also = f" {_plural(others, 'other column has', 'other columns have')} problems too." if others else ""
    where = _file_column_label(first, grid.file_columns)
    if grid.transposed:
        where = f"{where} (a waveform)"
    hint = ""
    if found["text"] and not decimal_comma and any("," in c for _, c in found["text"]):
        hint = " Decimal commas are read only in files separated by semicolons or tabs."
    return f"{where} has {' and '.join(parts)}; every sample must be a finite number.{also}{hint}"


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
            f"label ({', '.join(_shown(h) for h in header[1:4])}…)."
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
        raise InputError(f"Each waveform has {_plural(n_samples, 'sample')}; at least 3 are needed.")
    _checked_magnitude(waveforms)
    notes = list(notes)
    unnamed = [n for n, i in enumerate(ids, start=1) if not i]
    if unnamed:
        ids = [i or f"#{n}" for n, i in enumerate(ids, start=1)]
        notes.append(
            f"{_plural(len(unnamed), 'waveform has', 'waveforms have')} no id; they are called "
            f"'#N' by their position (#{_listed(unnamed, 3)})."
        )
    counts = pd.Series(ids).value_counts()
    repeated = counts[counts > 1]
    if len(repeated):
        shown = ", ".join(f"'{_shown(name)}' ({n}×)" for name, n in repeated.head(3).items())
        notes.append(
            f"{_plural(len(repeated), 'id occurs', 'ids occur')} more than once: {shown}"
            + (" …" if len(repeated) > 3 else "")
            + ". Each waveform is kept; exports repeat the id."
        )
    flat = np.flatnonzero(np.ptp(waveforms, axis=1) == 0)
    if flat.size == n_waveforms:
        _checked_shapes(waveforms, 1)  # all flat: refused with the same sentence as before a fit
    if flat.size:
        notes.append(
            f"{_plural(flat.size, 'waveform is', 'waveforms are')} flat (all samples equal): "
            + ", ".join(f"'{_shown(ids[i])}'" for i in flat[:3])
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


# --------------------------------------------------------------------------
# making the data non-negative
# --------------------------------------------------------------------------


class NonNegative(NamedTuple):
    """A non-negative data matrix for NMF and how it was made.

    Attributes
    ----------
    V : ndarray of float64, shape (n_rows, n_waveforms)
        One column per waveform, ≥ 0. ``n_rows`` is n_samples, or
        2·n_samples for ``"split"``.
    description : str
        One sentence saying what was done, with the numbers.
    """

    V: np.ndarray
    description: str


def _checked_waveforms(waveforms, name: str = "waveforms") -> np.ndarray:
    X = np.asarray(waveforms)
    if X.dtype.kind not in "biuf":
        raise InputError(f"{name} must hold numbers; it holds {X.dtype} values.")
    if X.ndim != 2:
        raise InputError(f"{name} must be 2-D (one waveform per row); it has shape {X.shape}.")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise InputError(f"{name} is empty (shape {X.shape}).")
    if not np.isfinite(X).all():
        raise InputError(f"{name} holds {int((~np.isfinite(X)).sum())} NaN or infinite values.")
    _checked_magnitude(X)
    return X.astype(np.float64, copy=False)


def _checked_magnitude(X: np.ndarray) -> None:
    largest = float(np.abs(X).max()) if X.size else 0.0
    if largest > MAX_ABS_SAMPLE:
        raise InputError(
            f"Samples reach {largest:.3g} in size; the limit is {MAX_ABS_SAMPLE:.0e} (MAX_ABS_SAMPLE), as the "
            "factorization works in 32-bit floats. Rescale the waveforms (to µV or mV, say)."
        )


def nonnegative(waveforms, method: str = DEFAULT_TRANSFORM) -> NonNegative:
    """Turn signed waveforms into a non-negative matrix V for NMF.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
        One waveform per row.
    method : {"split", "per-sample shift", "shift"}
        ``"shift"``: add |min| of the whole matrix to every value (the
        article's way) — every waveform gains the same constant.
        ``"per-sample shift"``: subtract from every sample (time point) its
        minimum over the waveforms, so each row of V touches zero.
        ``"split"``: stack the positive part max(x, 0) above the negative part
        max(−x, 0); x = positive − negative, so nothing is lost and no offset
        is added.

    Returns
    -------
    NonNegative
        ``V`` of shape (n_samples, n_waveforms), or (2·n_samples,
        n_waveforms) for ``"split"``, and a description.

    Examples
    --------
    >>> V, _ = nonnegative([[1.0, -2.0, 0.5]], "split")
    >>> V[:, 0].tolist()
    [1.0, 0.0, 0.5, 0.0, 2.0, 0.0]
    """
    X = _checked_waveforms(waveforms).T  # samples × waveforms
    if method == "shift":
        offset = max(0.0, -float(X.min()))
        V = X + offset
        return NonNegative(V, f"Added {offset:.4g} (the size of the smallest value) to every value, as in the article.")
    if method == "per-sample shift":
        floors = X.min(axis=1, keepdims=True)
        V = X - floors
        return NonNegative(
            V,
            f"Subtracted from every sample its minimum over the waveforms (from {floors.min():.4g} "
            f"to {floors.max():.4g}); each sample's row of V now touches zero.",
        )
    if method == "split":
        V = np.vstack([np.maximum(X, 0.0), np.maximum(-X, 0.0)])
        return NonNegative(
            V,
            f"Stacked the positive parts ({X.shape[0]} rows) above the negative parts (another "
            f"{X.shape[0]}); positive − negative gives back every waveform exactly.",
        )
    raise InputError(f"Unknown non-negativity transform {method!r}; choose one of {', '.join(TRANSFORMS)}.")


def templates_from_w(W: np.ndarray, method: str, n_samples: int) -> np.ndarray:
    """The templates in W as waveforms, one per row.

    Parameters
    ----------
    W : ndarray, shape (n_rows, k)
        NMF basis for data made by :func:`nonnegative` with ``method``.
    method : str
        The transform that made V.
    n_samples : int
        Samples per waveform.

    Returns
    -------
    ndarray of float64, shape (k, n_samples)
        For ``"split"`` the positive half minus the negative half (a signed
        waveform); for the shifts the columns of W themselves (in shifted
        units: the offset belongs to the data, not to any one template).
    """
    W = np.asarray(W, dtype=np.float64)
    if method == "split":
        return (W[:n_samples] - W[n_samples : 2 * n_samples]).T
    return W[:n_samples].T.copy()


# --------------------------------------------------------------------------
# from H to clusters
# --------------------------------------------------------------------------


def unit_norm_columns(W: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale W's columns to unit L2 norm and H's rows by the inverse.

    W·H is unchanged, and the rows of H become comparable: without this, a
    template drawn large and weighted little would lose every argmax to a
    template drawn small and weighted much. Zero columns are left alone.

    Parameters
    ----------
    W : ndarray, shape (n, k)
    H : ndarray, shape (k, m)

    Returns
    -------
    W_scaled : ndarray, shape (n, k)
    H_scaled : ndarray, shape (k, m)

    Examples
    --------
    >>> W, H = unit_norm_columns(np.array([[3.0], [4.0]]), np.array([[1.0, 2.0]]))
    >>> W.ravel().tolist(), H.ravel().tolist()
    ([0.6, 0.8], [5.0, 10.0])
    """
    W = np.asarray(W)
    H = np.asarray(H)
    norms = np.linalg.norm(W.astype(np.float64), axis=0)
    scale = np.where(norms > 0, norms, 1.0)
    return (W / scale.astype(W.dtype)), (H * scale.astype(H.dtype)[:, None])


def clusters_from_h(H: np.ndarray) -> np.ndarray:
    """The article's rule: every waveform joins the template with its largest weight.

    Apply to H after :func:`unit_norm_columns`.

    Parameters
    ----------
    H : ndarray, shape (k, n_waveforms)

    Returns
    -------
    ndarray of int, shape (n_waveforms,)
        Row index of the largest entry of every column (the first on ties).

    Examples
    --------
    >>> clusters_from_h(np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]])).tolist()
    [0, 1, 0]
    """
    H = np.asarray(H)
    if H.ndim != 2 or H.shape[0] < 1:
        raise InputError(f"H must be a k × n matrix with k ≥ 1; it has shape {H.shape}.")
    return np.argmax(H, axis=0).astype(np.int64)


def clusters_by_kmeans(H: np.ndarray, k: int, random_state: int = 0, n_init: int = KMEANS_INITS) -> np.ndarray:
    """k-means on the columns of H, each scaled to unit length first.

    Scaling makes the distance depend on the mix of templates, not on the
    amplitude of the spike (cosine-like), which is what a unit shares.

    Parameters
    ----------
    H : ndarray, shape (n_components, n_waveforms)
    k : int
        Number of clusters.
    random_state : int
        Seed of k-means.
    n_init : int
        k-means initialisations; the one with the least inertia is kept.

    Returns
    -------
    ndarray of int, shape (n_waveforms,)
    """
    H = np.asarray(H, dtype=np.float64)
    points = H.T
    lengths = np.linalg.norm(points, axis=1, keepdims=True)
    points = points / np.where(lengths > 0, lengths, 1.0)
    k = _checked_k(k, points.shape[0])
    return _kmeans_labels(points, k, random_state, n_init)


def _kmeans_labels(points: np.ndarray, k: int, random_state: int, n_init: int) -> np.ndarray:
    """scikit-learn's k-means on one OpenMP thread: the point sets here are
    small, and on a busy machine its per-iteration thread barrier can turn
    milliseconds into seconds."""
    with threadpool_limits(limits=1, user_api="openmp"):
        model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state)
        return model.fit_predict(points).astype(np.int64)


def _checked_k(k, n_waveforms: int) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"The number of clusters must be a whole number ≥ 1; got {k!r}.")
    if k > n_waveforms:
        raise InputError(f"Cannot form {k} clusters from {n_waveforms} waveforms.")
    return int(k)


def _checked_shapes(X: np.ndarray, k: int) -> None:
    """Refuse waveforms that hold fewer than ``k`` shapes to tell apart: all
    flat (every sample of each equal), or fewer than ``k`` distinct waveforms."""
    n_waveforms = X.shape[0]
    if not np.ptp(X, axis=1).any():
        raise InputError(
            f"All {n_waveforms:,} waveforms are flat (within each, every sample is equal): they have no shape "
            "for NMF's templates to tell apart. Check that the sample columns hold the spike waveforms."
        )
    distinct: set = set()
    for row in X:  # stops as soon as k different waveforms were seen
        distinct.add(row.tobytes())
        if len(distinct) >= k:
            return
    if len(distinct) == 1:
        raise InputError(f"All {n_waveforms:,} waveforms are copies of one waveform, so there is nothing to cluster.")
    raise InputError(
        f"The {n_waveforms:,} waveforms hold only {len(distinct)} distinct shapes (the others are copies), so "
        f"they cannot form {k} clusters. Choose k ≤ {len(distinct)} or a file with more waveforms."
    )


def _energy_centroid(mean_waveform: np.ndarray) -> float:
    """The time (in samples) around which a waveform's energy sits."""
    energy = mean_waveform**2
    total = energy.sum()
    if total <= 0:
        return math.inf
    return float(energy @ np.arange(energy.size) / total)


def stable_order(waveforms: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """A renumbering of clusters that does not depend on how a run numbered them.

    Clusters are ordered by the energy centroid of their mean waveform (the
    sample around which the squared mean waveform is balanced): narrow
    spikes come before broad ones with a late repolarisation peak. Empty
    clusters come last. The same members always give the same number, so
    colours do not jump between reruns.

    Parameters
    ----------
    waveforms : ndarray, shape (n_waveforms, n_samples)
    labels : ndarray of int, shape (n_waveforms,), values in 0..n_clusters-1
    n_clusters : int

    Returns
    -------
    ndarray of int, shape (n_clusters,)
        ``order[new] = old``; relabel with ``np.argsort(order)[labels]``.
    """
    keys = []
    for c in range(n_clusters):
        members = labels == c
        if members.any():
            keys.append((0, _energy_centroid(waveforms[members].mean(axis=0)), -int(members.sum()), c))
        else:
            keys.append((1, 0.0, 0, c))
    return np.array([key[-1] for key in sorted(keys)], dtype=np.int64)


# --------------------------------------------------------------------------
# one call: NMF + assignment
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SpikeClustering:
    """What :func:`cluster_waveforms` returns.

    Attributes
    ----------
    labels : ndarray of int, shape (n_waveforms,)
        Cluster of every waveform, 0..k−1, in :func:`stable_order`.
    W : ndarray, shape (n_rows, k)
        Templates, unit-norm columns, ordered like the clusters the argmax
        rule would form from them: column c *is* cluster c's template for
        ``assignment="argmax"``; for ``"kmeans"`` a cluster mixes templates
        (use :func:`cluster_summary` for its mean waveform).
    H : ndarray, shape (k, n_waveforms)
        Weights, scaled and ordered to match W, so that W·H is the fit.
    templates : ndarray of float64, shape (k, n_samples)
        The columns of W as waveforms (see :func:`templates_from_w`).
    V : ndarray, shape (n_rows, n_waveforms)
        The non-negative data that was factored.
    transform, assignment : str
    description : str
        What the transform did.
    result : NMFResult
        The kept fit (smallest final loss over the restarts) as
        :func:`~nnmf_core.factorize.factorize` returned it: its W and H are
        neither scaled nor reordered.
    loss_history : ndarray, shape (n_iter,)
        Loss per iteration of the kept fit.
    restart_losses : ndarray, shape (n_restarts,)
        Final loss of every restart.
    restart_labels : list of ndarray
        The clusters every restart on its own would have given.
    """

    labels: np.ndarray
    W: np.ndarray
    H: np.ndarray
    templates: np.ndarray
    V: np.ndarray
    transform: str
    assignment: str
    description: str
    result: NMFResult
    loss_history: np.ndarray
    restart_losses: np.ndarray
    restart_labels: list

    @property
    def k(self) -> int:
        return self.W.shape[1]

    @property
    def restart_agreement(self) -> float:
        """Mean pairwise ARI of the restarts' clusters (NaN for one restart)."""
        return stability(self.restart_labels)


def _assigned(H: np.ndarray, k: int, assignment: str, random_state: int, n_init: int = KMEANS_INITS) -> np.ndarray:
    if assignment == "argmax":
        return clusters_from_h(H)
    if assignment == "kmeans":
        return clusters_by_kmeans(H, k, random_state=random_state, n_init=n_init)
    raise InputError(f"Unknown assignment {assignment!r}; choose one of {', '.join(ASSIGNMENTS)}.")


def _seed_sequence(random_state) -> np.random.SeedSequence:
    if random_state is None:
        return np.random.SeedSequence()
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer)) or random_state < 0:
        raise InputError(f"random_state must be a whole number ≥ 0 or None; got {random_state!r}.")
    return np.random.SeedSequence(int(random_state))


def cluster_waveforms(
    waveforms,
    k: int,
    *,
    transform: str = DEFAULT_TRANSFORM,
    assignment: str = DEFAULT_ASSIGNMENT,
    solver: str = "hals",
    init="nndsvda",
    max_iter: int = 500,
    tol: float = 1e-4,
    n_restarts: int = DEFAULT_RESTARTS,
    random_state: int | None = 0,
    dtype=np.float32,
    on_iteration=None,
) -> SpikeClustering:
    """Cluster spike waveforms with NMF: transform, factor, assign, renumber.

    Runs :func:`~nnmf_core.factorize.factorize` ``n_restarts`` times — the
    first from ``init``, the others from seeded random starts (all random if
    ``init="random"``) — keeps the fit with the smallest final loss, scales
    W's columns to unit norm (:func:`unit_norm_columns`), assigns clusters,
    and numbers them in :func:`stable_order`.

    The defaults — split, HALS, k-means on the unit-length columns of H, 2
    restarts — find the units of the bundled sample with ARI 0.99 (PCA +
    k-means: 0.96) and the same clusters from any random start (mean
    pairwise ARI 0.997 over 10 seeds with ``init="random"``). The article's
    argmax rule reaches only about 0.6 there even after the split: NMF learns
    *parts* (a trough, a peak) that several units share, so the strongest
    part does not name the unit; the mix of parts does.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
        One waveform per row.
    k : int
        Rank of the factorization = number of clusters.
    transform : {"split", "per-sample shift", "shift"}
        See :func:`nonnegative`.
    assignment : {"argmax", "kmeans"}
        ``"argmax"``: the strongest template (the article's rule);
        ``"kmeans"``: k-means on the unit-length columns of H.
    solver : {"hals", "mu"}
        ``"mu"`` is the article's multiplicative rule.
    init : {"nndsvda", "nndsvd", "random"} or tuple (W0, H0)
        Start of the first restart.
    max_iter, tol : int, float
        Passed to :func:`~nnmf_core.factorize.factorize` (per restart).
    n_restarts : int
        Independent fits; the smallest final loss wins.
    random_state : int or None
        Seed of all the random starts and of k-means.
    dtype : float32 or float64
        Precision of the factorization.
    on_iteration : callable(i, loss) -> bool or None
        Progress callback, passed to every restart (``i`` counts from 1
        again in each); returning True stops the fit and skips the
        remaining restarts.

    Returns
    -------
    SpikeClustering
    """
    X = _checked_waveforms(waveforms)
    n_waveforms, n_samples = X.shape
    k = _checked_k(k, n_waveforms)
    _checked_shapes(X, k)
    if assignment not in ASSIGNMENTS:
        raise InputError(f"Unknown assignment {assignment!r}; choose one of {', '.join(ASSIGNMENTS)}.")
    if isinstance(n_restarts, bool) or not isinstance(n_restarts, (int, np.integer)) or n_restarts < 1:
        raise InputError(f"n_restarts must be a whole number ≥ 1; got {n_restarts!r}.")
    V, description = nonnegative(X, transform)
    seeds = _seed_sequence(random_state).spawn(int(n_restarts))
    kmeans_seed = int(seeds[0].generate_state(1)[0] % (2**31))

    best, restart_losses, restart_labels = None, [], []
    for restart, seed in enumerate(seeds):
        start = init if restart == 0 else "random"
        fit = factorize(
            V, k, solver=solver, init=start, max_iter=max_iter, tol=tol,
            random_state=np.random.default_rng(seed), dtype=dtype, on_iteration=on_iteration,
        )
        final = float(fit.loss_history[-1]) if fit.loss_history.size else math.inf
        restart_losses.append(final)
        _, H_scaled = unit_norm_columns(fit.W, fit.H)
        restart_labels.append(_assigned(H_scaled, k, assignment, kmeans_seed))
        if best is None or final < best[1]:
            best = (fit, final, restart)
        if fit.stopped_early:
            break
    fit = best[0]
    W, H = unit_norm_columns(fit.W, fit.H)

    # components in the order of their argmax clusters; labels in their own order
    component_labels = clusters_from_h(H)
    component_order = stable_order(X, component_labels, k)
    W, H = W[:, component_order], H[component_order]
    if assignment == "argmax":
        labels = np.argsort(component_order)[component_labels]
    else:
        raw = restart_labels[best[2]]
        labels = np.argsort(stable_order(X, raw, k))[raw]
    restart_labels = [np.argsort(stable_order(X, raw, k))[raw] for raw in restart_labels]

    return SpikeClustering(
        labels=labels.astype(np.int64),
        W=W,
        H=H,
        templates=templates_from_w(W, transform, n_samples),
        V=V,
        transform=transform,
        assignment=assignment,
        description=description,
        result=fit,
        loss_history=fit.loss_history,
        restart_losses=np.asarray(restart_losses),
        restart_labels=restart_labels,
    )


# --------------------------------------------------------------------------
# baseline
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PcaKmeans:
    """What :func:`pca_kmeans` returns.

    Attributes
    ----------
    labels : ndarray of int, shape (n_waveforms,)
        Clusters in :func:`stable_order`.
    scores : ndarray of float64, shape (n_waveforms, n_components)
        Principal-component scores (for a scatter plot).
    explained_variance_ratio : ndarray, shape (n_components,)
    """

    labels: np.ndarray
    scores: np.ndarray
    explained_variance_ratio: np.ndarray


def pca_kmeans(waveforms, k: int, n_components: int = 3, random_state: int = 0) -> PcaKmeans:
    """The classic spike-sorting baseline: PCA scores clustered by k-means.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    k : int
        Number of clusters.
    n_components : int
        Principal components kept (at most min(n_waveforms, n_samples)).
    random_state : int
        Seed of k-means (:data:`KMEANS_INITS` starts, least inertia kept).

    Returns
    -------
    PcaKmeans
    """
    X = _checked_waveforms(waveforms)
    k = _checked_k(k, X.shape[0])
    _checked_shapes(X, k)
    n_components = int(min(n_components, *X.shape))
    pca = PCA(n_components=n_components)
    scores = pca.fit_transform(X)
    raw = _kmeans_labels(scores, k, random_state, KMEANS_INITS)
    labels = np.argsort(stable_order(X, raw, k))[raw]
    return PcaKmeans(labels=labels.astype(np.int64), scores=scores, explained_variance_ratio=pca.explained_variance_ratio_)


# --------------------------------------------------------------------------
# quality
# --------------------------------------------------------------------------


def ari(labels, reference) -> float:
    """Adjusted Rand index between two labellings (1 = same partition, ≈0 = chance).

    Examples
    --------
    >>> ari([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    """
    labels, reference = np.asarray(labels), np.asarray(reference)
    if labels.shape != reference.shape:
        raise InputError(f"Cannot compare {labels.size} labels with {reference.size} reference labels.")
    return float(adjusted_rand_score(reference, labels))


def silhouette(X, labels) -> float:
    """Mean silhouette of the points X (one per row) under ``labels``.

    Returns NaN when there are fewer than 2 clusters or no cluster has two
    members (the score is undefined there).

    Parameters
    ----------
    X : array_like, shape (n_points, n_features)
    labels : array_like, shape (n_points,)
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    n_clusters = np.unique(labels).size
    if n_clusters < 2 or n_clusters > X.shape[0] - 1:
        return math.nan
    return float(silhouette_score(X, labels))


def stability(label_sets: Sequence) -> float:
    """Mean adjusted Rand index over all pairs of labellings (NaN for fewer than two).

    Examples
    --------
    >>> stability([[0, 0, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1]])
    1.0
    """
    label_sets = [np.asarray(labels) for labels in label_sets]
    if len(label_sets) < 2:
        return math.nan
    return float(np.mean([adjusted_rand_score(a, b) for a, b in itertools.combinations(label_sets, 2)]))


def confusion_table(labels, reference) -> pd.DataFrame:
    """Counts of waveforms per (cluster, reference label).

    Returns
    -------
    DataFrame
        Rows: clusters (index name ``"cluster"``); columns: reference labels
        (columns name ``"reference"``), both sorted.
    """
    labels, reference = np.asarray(labels), np.asarray(reference)
    if labels.shape != reference.shape:
        raise InputError(f"Cannot compare {labels.size} labels with {reference.size} reference labels.")
    return pd.crosstab(pd.Series(labels, name="cluster"), pd.Series(reference, name="reference"))


def consensus_matrix(label_sets: Sequence) -> np.ndarray:
    """Fraction of runs in which every pair of waveforms shares a cluster.

    Parameters
    ----------
    label_sets : sequence of array_like, each shape (n_waveforms,)

    Returns
    -------
    ndarray of float64, shape (n_waveforms, n_waveforms)
        Symmetric, ones on the diagonal (Brunet et al. 2004).
    """
    label_sets = [np.asarray(labels) for labels in label_sets]
    if not label_sets:
        raise InputError("A consensus needs at least one run.")
    n = label_sets[0].size
    C = np.zeros((n, n), dtype=np.float64)
    for labels in label_sets:
        _, codes = np.unique(labels, return_inverse=True)
        onehot = np.zeros((n, codes.max() + 1), dtype=np.float64)
        onehot[np.arange(n), codes] = 1.0
        C += onehot @ onehot.T
    return C / len(label_sets)


def cophenetic_correlation(consensus: np.ndarray) -> float:
    """How cleanly a consensus matrix splits into blocks (Brunet et al. 2004).

    The correlation between the distances 1 − C and the cophenetic distances
    of their average-linkage dendrogram: 1.0 when every run agreed, lower as
    runs disagree. A consensus with all distances equal (every pair always
    together, or never) is perfectly consistent and scores 1.0.

    Parameters
    ----------
    consensus : ndarray, shape (n, n)

    Returns
    -------
    float
    """
    distances = squareform(1.0 - np.asarray(consensus, dtype=np.float64), checks=False)
    if distances.size == 0 or np.ptp(distances) == 0:
        return 1.0
    tree = linkage(distances, method="average")
    correlation, _ = cophenet(tree, distances)
    return float(correlation)


def separation(X, labels) -> float:
    """How well the two closest clusters are told apart: the smallest d′ over all pairs.

    For a pair of clusters, the members are projected on the line joining
    the two mean points; d′ is the distance between the two projected means
    in units of their pooled standard deviation,
    |μ_a − μ_b| / √((σ_a² + σ_b²) / 2) — the discriminability index of
    signal-detection theory. Cutting one Gaussian cloud in two gives d′ ≈
    2.7 (a uniform one ≈ 3.5), so a value well above that means every
    boundary runs through a gap between real groups.

    Parameters
    ----------
    X : array_like, shape (n_points, n_features)
        E.g. the waveforms, one per row.
    labels : array_like, shape (n_points,)

    Returns
    -------
    float
        The smallest pairwise d′; NaN with fewer than two clusters, inf when
        two clusters have no spread at all.

    Examples
    --------
    >>> round(separation([[0.0], [0.2], [5.0], [5.2]], [0, 0, 1, 1]), 6)
    50.0
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim == 1:
        X = X[:, None]
    if labels.shape != (X.shape[0],):
        raise InputError(f"Got {labels.size} labels for {X.shape[0]} points.")
    clusters = np.unique(labels)
    if clusters.size < 2:
        return math.nan
    members = [X[labels == c] for c in clusters]
    means = np.array([m.mean(axis=0) for m in members])
    smallest = math.inf
    for a, b in itertools.combinations(range(clusters.size), 2):
        direction = means[b] - means[a]
        length = float(np.linalg.norm(direction))
        if length == 0:
            return 0.0
        direction /= length
        spread = math.sqrt((float((members[a] @ direction).var()) + float((members[b] @ direction).var())) / 2)
        smallest = min(smallest, length / spread if spread > 0 else math.inf)
    return smallest


#: :func:`suggested_rank` prefers the largest k whose closest clusters are
#: at least this far apart (d′, see :func:`separation`).
SEPARATION_THRESHOLD = 4.0


def rank_scan(
    waveforms,
    ks: Sequence[int] = range(2, 9),
    *,
    n_runs: int = 8,
    transform: str = DEFAULT_TRANSFORM,
    assignment: str = DEFAULT_ASSIGNMENT,
    solver: str = "hals",
    max_iter: int = 200,
    tol: float = 1e-4,
    random_state: int | None = 0,
    dtype=np.float32,
    on_rank=None,
) -> pd.DataFrame:
    """Score every candidate rank by fit, reproducibility and separation.

    For each k, ``n_runs`` fits start from different seeded random factors
    (one start each, the way Brunet et al. 2004 build a consensus) and are
    assigned to clusters as :func:`cluster_waveforms` would.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    ks : sequence of int
        Ranks to try.
    n_runs : int
        Random starts per rank (≥ 2).
    transform, assignment, solver, max_iter, tol, dtype
        As for :func:`cluster_waveforms`.
    random_state : int or None
        Seed of all runs; the runs for a given k do not depend on which
        other ranks are scanned.
    on_rank : callable(done, total) or None
        Progress callback, called after each rank with the number of ranks
        scored so far and the number to score.

    Returns
    -------
    DataFrame, one row per k, columns
        ``k``;
        ``relative_error``: ‖V − WH‖/‖V‖ of the run with the smallest loss;
        ``cophenetic``: :func:`cophenetic_correlation` of the runs'
        :func:`consensus_matrix` (on at most :data:`MAX_CONSENSUS_WAVEFORMS`
        waveforms drawn with the seed);
        ``stability``: mean pairwise ARI of the runs' clusters;
        ``separation``: :func:`separation` (smallest d′) of the best run's
        clusters, measured on the waveforms;
        ``seconds``: time spent on this k.
    """
    X = _checked_waveforms(waveforms)
    n_waveforms = X.shape[0]
    if isinstance(n_runs, bool) or not isinstance(n_runs, (int, np.integer)) or n_runs < 2:
        raise InputError(f"n_runs must be a whole number ≥ 2; got {n_runs!r}.")
    ks = [_checked_k(k, n_waveforms) for k in ks]
    if not ks:
        raise InputError("Give at least one rank to scan.")
    _checked_shapes(X, max(ks))
    if assignment not in ASSIGNMENTS:
        raise InputError(f"Unknown assignment {assignment!r}; choose one of {', '.join(ASSIGNMENTS)}.")
    V, _ = nonnegative(X, transform)
    entropy = _seed_sequence(random_state).entropy
    subset = np.arange(n_waveforms)
    if n_waveforms > MAX_CONSENSUS_WAVEFORMS:
        subset_rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(0,)))
        subset = np.sort(subset_rng.choice(n_waveforms, MAX_CONSENSUS_WAVEFORMS, replace=False))
    rows = []
    for k in ks:
        started = time.perf_counter()
        seeds = np.random.SeedSequence(entropy, spawn_key=(1, k)).spawn(n_runs)
        label_sets, errors, losses = [], [], []
        for seed in seeds:
            fit = factorize(
                V, k, solver=solver, init="random", max_iter=max_iter, tol=tol,
                random_state=np.random.default_rng(seed), dtype=dtype,
            )
            _, H = unit_norm_columns(fit.W, fit.H)
            label_sets.append(_assigned(H, k, assignment, int(seed.generate_state(1)[0] % 2**31)))
            errors.append(fit.relative_error)
            losses.append(fit.loss_history[-1] if fit.loss_history.size else math.inf)
        best = int(np.argmin(losses))
        rows.append(
            {
                "k": k,
                "relative_error": float(errors[best]),
                "cophenetic": cophenetic_correlation(consensus_matrix([labels[subset] for labels in label_sets])),
                "stability": stability(label_sets),
                "separation": separation(X, label_sets[best]),
                "seconds": time.perf_counter() - started,
            }
        )
        if on_rank is not None:
            on_rank(len(rows), len(ks))
    return pd.DataFrame(rows)


def suggested_rank(scan: pd.DataFrame) -> int:
    """The rank to suggest from a :func:`rank_scan`.

    Rule: the **largest k whose two closest clusters are still at least
    :data:`SEPARATION_THRESHOLD` = 4 d′ apart** (``separation`` column); if
    no k reaches it, the k with the largest separation (ties: the smaller k).

    Why separation rather than the consensus scores: when k exceeds the
    number of units, NMF + k-means cuts one unit in two — and cuts it the
    same way from every random start, so ``stability`` and ``cophenetic``
    stay near 1 (on the bundled synthetic set both are ≥ 0.98 at k = 5 with
    4 true units). The cut runs through the densest part of that unit, which
    d′ sees at once: ≈ 5.1 at k = 4, ≈ 3.0 at k = 5. The consensus columns
    stay in the scan to show how reproducible every k is.

    Parameters
    ----------
    scan : DataFrame
        Output of :func:`rank_scan` (columns ``k`` and ``separation``).

    Returns
    -------
    int
    """
    if scan.empty or not {"k", "separation"} <= set(scan.columns):
        raise InputError("The rank scan is empty or lacks the columns 'k' and 'separation'.")
    scan = scan.sort_values("k")
    separated = scan[scan["separation"] >= SEPARATION_THRESHOLD]
    if len(separated):
        return int(separated["k"].iloc[-1])
    scores = scan["separation"].fillna(-math.inf).to_numpy()
    return int(scan["k"].iloc[int(np.argmax(scores))])


def suggestion_reason(scan: pd.DataFrame) -> str:
    """Why :func:`suggested_rank` picked its k, in one sentence made from the scan.

    Examples
    --------
    >>> suggestion_reason(pd.DataFrame({"k": [2, 3, 4], "separation": [5.0, 4.4, 3.0]}))
    'k = 3 is the largest k whose two closest clusters are still d′ = 4.4 apart (at least 4).'
    """
    k = suggested_rank(scan)
    d = float(scan.set_index("k").loc[k, "separation"])
    if d >= SEPARATION_THRESHOLD:
        return (f"k = {k} is the largest k whose two closest clusters are still d′ = {d:.2g} apart "
                f"(at least {SEPARATION_THRESHOLD:g}).")
    return (f"No k keeps its two closest clusters d′ = {SEPARATION_THRESHOLD:g} apart; k = {k} separates them "
            f"best (d′ = {d:.2g}). The waveforms may not fall into clean groups: take the suggestion with care.")


# --------------------------------------------------------------------------
# comparing methods: everything the spike page shows, in one call
# --------------------------------------------------------------------------

#: The reference notebook's recipe, for an honest comparison: every value
#: shifted by the global minimum, Lee–Seung multiplicative updates from a
#: random start for 1000 iterations, each waveform to its strongest template.
ARTICLE_RECIPE = dict(transform="shift", solver="mu", init="random", max_iter=1000, assignment="argmax")
#: Silhouettes are computed on at most this many waveforms (a seeded random
#: subset, the same for every method): the score costs O(n²).
MAX_SILHOUETTE_WAVEFORMS = 4_000
#: ARI differences smaller than this are called "about the same".
ARI_TIE = 0.02


@dataclass(frozen=True, eq=False)
class MethodComparison:
    """What :func:`compare_methods` returns.

    Attributes
    ----------
    chosen : SpikeClustering
        NMF with the settings asked for.
    article : SpikeClustering
        NMF with :data:`ARTICLE_RECIPE` at the same k, restarts and seed
        (the same object as ``chosen`` when the settings are the recipe).
    baseline : PcaKmeans
        PCA (3 components) + k-means.
    baseline_restart_labels : list of ndarray
        The baseline's clusters from as many k-means seeds as NMF restarts
        (for its stability).
    names : dict of str -> str
        A label for a person for each of ``"chosen"``, ``"article"``,
        ``"baseline"``.
    silhouettes : dict of str -> float
        Mean silhouette of each method's clusters, on the waveforms
        (Euclidean), over at most :data:`MAX_SILHOUETTE_WAVEFORMS` of them.
    """

    chosen: SpikeClustering
    article: SpikeClustering
    baseline: PcaKmeans
    baseline_restart_labels: list
    names: dict
    silhouettes: dict

    @property
    def labels(self) -> dict:
        """Clusters of every method, keyed like ``names``."""
        return {"chosen": self.chosen.labels, "article": self.article.labels, "baseline": self.baseline.labels}

    @property
    def stabilities(self) -> dict:
        """Mean pairwise ARI over the restarts (k-means seeds for the baseline); NaN for one."""
        return {
            "chosen": self.chosen.restart_agreement,
            "article": self.article.restart_agreement,
            "baseline": stability(self.baseline_restart_labels),
        }


def method_name(transform: str, solver: str, assignment: str) -> str:
    """A short label for an NMF clustering method, e.g. 'NMF: split, HALS, k-means on H'."""
    shown = {"split": "split", "per-sample shift": "per-sample shift", "shift": "global shift"}
    rule = {"argmax": "argmax of H", "kmeans": "k-means on H"}
    return f"NMF: {shown.get(transform, transform)}, {solver.upper()}, {rule.get(assignment, assignment)}"


def compare_methods(
    waveforms,
    k: int,
    *,
    transform: str = DEFAULT_TRANSFORM,
    assignment: str = DEFAULT_ASSIGNMENT,
    solver: str = "hals",
    init="nndsvda",
    max_iter: int = 500,
    tol: float = 1e-4,
    n_restarts: int = DEFAULT_RESTARTS,
    random_state: int | None = 0,
    on_iteration=None,
    article_max_iter: int | None = None,
) -> MethodComparison:
    """Cluster with the chosen NMF settings, with the article's recipe and with
    PCA + k-means, and score all three without reference labels.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    k : int
        Number of clusters (the NMF rank).
    transform, assignment, solver, init, max_iter, tol, n_restarts, random_state
        The chosen settings, as for :func:`cluster_waveforms`. The article's
        recipe uses the same ``k``, ``tol``, ``n_restarts`` and
        ``random_state``.
    on_iteration : callable(i, loss) or None
        Progress of the chosen fit only (see :func:`cluster_waveforms`).
    article_max_iter : int, optional
        Iterations of the article's recipe instead of its 1000, for a request
        capped by :func:`affordable_comparison`.

    Returns
    -------
    MethodComparison

    Examples
    --------
    >>> waveforms, units = synthetic_spikes(n_per_unit=40, random_state=2)
    >>> comparison = compare_methods(waveforms, 4, random_state=0)
    >>> sorted(comparison.silhouettes)
    ['article', 'baseline', 'chosen']
    """
    X = _checked_waveforms(waveforms)
    chosen = cluster_waveforms(
        X, k, transform=transform, assignment=assignment, solver=solver, init=init, max_iter=max_iter,
        tol=tol, n_restarts=n_restarts, random_state=random_state, on_iteration=on_iteration,
    )
    recipe = dict(ARTICLE_RECIPE, max_iter=article_max_iter or ARTICLE_RECIPE["max_iter"])
    if _is_article_recipe(transform, solver, assignment, init):
        article = chosen
    else:
        article = cluster_waveforms(X, k, tol=tol, n_restarts=n_restarts, random_state=random_state, **recipe)
    seeds = [int(s.generate_state(1)[0] % 2**31) for s in _seed_sequence(random_state).spawn(max(int(n_restarts), 1))]
    baseline_runs = [pca_kmeans(X, k, random_state=seed) for seed in seeds]
    names = {
        "chosen": method_name(transform, solver, assignment),
        "article": method_name(recipe["transform"], recipe["solver"], recipe["assignment"]) + " (the article)",
        "baseline": "PCA (3 components) + k-means",
    }
    subset = np.arange(X.shape[0])
    if X.shape[0] > MAX_SILHOUETTE_WAVEFORMS:
        rng = np.random.default_rng(0)
        subset = np.sort(rng.choice(X.shape[0], MAX_SILHOUETTE_WAVEFORMS, replace=False))
    labels = {"chosen": chosen.labels, "article": article.labels, "baseline": baseline_runs[0].labels}
    return MethodComparison(
        chosen=chosen,
        article=article,
        baseline=baseline_runs[0],
        baseline_restart_labels=[run.labels for run in baseline_runs],
        names=names,
        silhouettes={role: silhouette(X[subset], found[subset]) for role, found in labels.items()},
    )


def _is_article_recipe(transform: str, solver: str, assignment: str, init) -> bool:
    """Whether these settings are :data:`ARTICLE_RECIPE` (then it is fitted only once)."""
    return (transform, solver, assignment, init) == tuple(
        ARTICLE_RECIPE[key] for key in ("transform", "solver", "assignment", "init"))


def _rows_of_v(n_samples: int, transform: str) -> int:
    """Rows of the matrix V that :func:`nonnegative` makes."""
    return 2 * n_samples if transform == "split" else n_samples


def _times(ratio: float) -> str:
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.1f}×"


class AffordableComparison(NamedTuple):
    """Iterations one :func:`compare_methods` request may run, see :func:`affordable_comparison`."""

    max_iter: int
    article_max_iter: int
    note: str | None


def affordable_comparison(
    n_waveforms: int,
    n_samples: int,
    k: int,
    *,
    transform: str = DEFAULT_TRANSFORM,
    solver: str = "hals",
    assignment: str = DEFAULT_ASSIGNMENT,
    init="nndsvda",
    max_iter: int = 500,
    n_restarts: int = DEFAULT_RESTARTS,
    budget: float = MAX_FIT_COST,
) -> AffordableComparison:
    """The iterations a :func:`compare_methods` call may run within ``budget``
    multiply-adds (:func:`~nnmf_core.factorize.fit_cost`), with a sentence
    when they were capped.

    The request fits the chosen settings and, unless they are the recipe,
    :data:`ARTICLE_RECIPE` (1000 iterations) with the same restarts; when the
    two together cost more than ``budget``, both are cut by the same factor
    (each to at least 1 iteration) with
    :func:`~nnmf_core.factorize.iterations_within_budget`.

    Examples
    --------
    >>> affordable_comparison(1_000, 150, 4)
    AffordableComparison(max_iter=500, article_max_iter=1000, note=None)
    >>> affordable_comparison(20_000, 150, 8, max_iter=5_000, n_restarts=10)[:2]
    (94, 18)
    """
    rows = _rows_of_v(n_samples, transform)
    chosen = fit_cost(rows, n_waveforms, k, max_iter, n_restarts)
    separate = not _is_article_recipe(transform, solver, assignment, init)
    article_iter = ARTICLE_RECIPE["max_iter"]
    article = fit_cost(n_samples, n_waveforms, k, article_iter, n_restarts) if separate else 0.0
    if chosen + article <= budget:
        return AffordableComparison(max_iter, article_iter, None)
    share = budget / (chosen + article)
    capped = iterations_within_budget(rows, n_waveforms, k, max_iter, n_restarts, budget=share * chosen)
    capped_article = (iterations_within_budget(n_samples, n_waveforms, k, article_iter, n_restarts,
                                               budget=share * article) if separate else article_iter)
    asked = f"{max_iter:,} iterations" + (f" (and {article_iter:,} for the article's recipe, fitted for comparison)"
                                         if separate else "")
    result = f"{_plural(capped, 'iteration')}" + (f" (the article's recipe at {capped_article:,})" if separate else "")
    note = (
        f"For {_plural(n_waveforms, 'waveform')} of {_plural(n_samples, 'sample')} at k = {k} with "
        f"{_plural(n_restarts, 'restart')}, {asked} would take about {_times((chosen + article) / budget)} what one "
        f"request may use here; capped at {result}."
    )
    return AffordableComparison(capped, capped_article, note)


class AffordableScan(NamedTuple):
    """Iterations one :func:`rank_scan` request may run, see :func:`affordable_scan`."""

    max_iter: int
    note: str | None


def affordable_scan(
    n_waveforms: int,
    n_samples: int,
    ks: Sequence[int] = range(2, 9),
    *,
    transform: str = DEFAULT_TRANSFORM,
    n_runs: int = 8,
    max_iter: int = 200,
    budget: float = MAX_FIT_COST,
) -> AffordableScan:
    """The iterations a :func:`rank_scan` call may run within ``budget``
    multiply-adds: ``n_runs`` fits at every k of ``ks``, with a sentence when
    they were capped.

    Raises
    ------
    InputError
        When even one iteration of every fit is more than ``budget``.

    Examples
    --------
    >>> affordable_scan(1_000, 150)
    AffordableScan(max_iter=200, note=None)
    >>> affordable_scan(20_000, 500).max_iter
    8
    """
    ks = [int(k) for k in ks]
    if not ks:
        raise InputError("Give at least one rank to scan.")
    rows = _rows_of_v(n_samples, transform)
    asked = fit_cost(rows, n_waveforms, sum(ks), max_iter, n_runs)
    where = (f"For {_plural(n_waveforms, 'waveform')} of {_plural(n_samples, 'sample')}, scanning "
             f"k = {min(ks)} … {max(ks)} with {n_runs} fits each")
    one_iteration = fit_cost(rows, n_waveforms, sum(ks), 1, n_runs)
    if one_iteration > budget:
        raise InputError(
            f"{where} would take about {_times(one_iteration / budget)} what one request may use here even at one "
            "iteration per fit. Scan a part of the file (fewer waveforms or samples)."
        )
    if asked <= budget:
        return AffordableScan(max_iter, None)
    capped = iterations_within_budget(rows, n_waveforms, sum(ks), max_iter, n_runs, budget)
    return AffordableScan(capped, (
        f"{where}, {max_iter:,} iterations would take about {_times(asked / budget)} what one request may use "
        f"here; capped at {_plural(capped, 'iteration')}."))


@dataclass(frozen=True, eq=False)
class QualityReport:
    """What :func:`quality_report` returns.

    Attributes
    ----------
    table : DataFrame
        One row per method: ``method``, ``silhouette``, ``stability``,
        ``ari`` (NaN without reference labels).
    confusion : dict of str -> DataFrame
        :func:`confusion_table` of the chosen method and the baseline
        against the reference (empty without one).
    sentence : str
        The comparison in words, made from the numbers.
    """

    table: pd.DataFrame
    confusion: dict
    sentence: str


def _compared(difference: float, above: str, below: str, close: str) -> str:
    """Words for a difference of ARIs: ``above`` if it exceeds :data:`ARI_TIE`,
    ``below`` if it is under −ARI_TIE, else ``close``."""
    if difference > ARI_TIE:
        return above
    if difference < -ARI_TIE:
        return below
    return close


def quality_report(comparison: MethodComparison, reference=None) -> QualityReport:
    """The numbers that judge the clusters, and a sentence saying what they mean.

    Parameters
    ----------
    comparison : MethodComparison
    reference : sequence of str or int, shape (n_waveforms,), optional
        Reference labels (ground truth, or any grouping to compare with).

    Returns
    -------
    QualityReport

    Examples
    --------
    >>> waveforms, units = synthetic_spikes(n_per_unit=40, random_state=2)
    >>> report = quality_report(compare_methods(waveforms, 4, random_state=0), units)
    >>> list(report.table.columns)
    ['method', 'silhouette', 'stability', 'ari']
    """
    roles = ("chosen", "article", "baseline")
    labels, stabilities = comparison.labels, comparison.stabilities
    aris = {role: math.nan for role in roles}
    confusion = {}
    if reference is not None:
        reference = np.asarray(reference)
        aris = {role: ari(labels[role], reference) for role in roles}
        confusion = {role: confusion_table(labels[role], reference) for role in ("chosen", "baseline")}
    table = pd.DataFrame(
        {
            "method": [comparison.names[role] for role in roles],
            "silhouette": [comparison.silhouettes[role] for role in roles],
            "stability": [stabilities[role] for role in roles],
            "ari": [aris[role] for role in roles],
        }
    )
    if reference is None:
        sentence = (
            "Without reference labels only the silhouette (how tight and apart the clusters are, −1 … 1) and "
            "the stability (how alike the restarts' clusters are, 1 = identical) can be compared; pick a label "
            "column as reference to see the adjusted Rand index (ARI)."
        )
        return QualityReport(table, confusion, sentence)
    chosen, article, baseline = (aris[role] for role in roles)
    if comparison.article is comparison.chosen:
        first = f"These settings are the article's recipe: ARI {chosen:.3f} against the reference labels."
    else:
        gap = chosen - article
        how = _compared(gap, "far below" if gap >= 0.2 else "below", "above", "close to")
        first = (
            f"The article's recipe (global shift, multiplicative updates, argmax of H) matches the reference "
            f"labels with ARI {article:.3f}, {how} the {chosen:.3f} of the settings here."
        )
    versus = _compared(chosen - baseline, "beat", "fall behind", "are on a par with")
    second = f" These settings {versus} PCA + k-means (ARI {baseline:.3f})."
    return QualityReport(table, confusion, first + second)


# --------------------------------------------------------------------------
# summaries and exports
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ClusterSummary:
    """Per-cluster statistics from :func:`cluster_summary`.

    Attributes
    ----------
    clusters : ndarray of int, shape (n_clusters,)
    counts : ndarray of int, shape (n_clusters,)
    means, stds : ndarray of float64, shape (n_clusters, n_samples)
        Mean and standard deviation of the member waveforms, sample by sample.
    """

    clusters: np.ndarray
    counts: np.ndarray
    means: np.ndarray
    stds: np.ndarray

    def table(self) -> pd.DataFrame:
        """One row per cluster: count, share, trough and peak sample of the mean waveform."""
        total = max(int(self.counts.sum()), 1)
        return pd.DataFrame(
            {
                "cluster": self.clusters,
                "count": self.counts,
                "share": self.counts / total,
                "trough_sample": self.means.argmin(axis=1),
                "trough": self.means.min(axis=1),
                "peak_sample": self.means.argmax(axis=1),
                "peak": self.means.max(axis=1),
            }
        )


def cluster_summary(waveforms, labels) -> ClusterSummary:
    """Count, mean and spread of the waveforms in every cluster.

    Parameters
    ----------
    waveforms : array_like, shape (n_waveforms, n_samples)
    labels : array_like of int, shape (n_waveforms,)

    Returns
    -------
    ClusterSummary
        Clusters that occur in ``labels``, sorted.
    """
    X = _checked_waveforms(waveforms)
    labels = np.asarray(labels)
    if labels.shape != (X.shape[0],):
        raise InputError(f"Got {labels.size} labels for {X.shape[0]} waveforms.")
    clusters = np.unique(labels)
    members = [X[labels == c] for c in clusters]
    return ClusterSummary(
        clusters=clusters,
        counts=np.array([m.shape[0] for m in members], dtype=np.int64),
        means=np.array([m.mean(axis=0) for m in members]),
        stds=np.array([m.std(axis=0) for m in members]),
    )


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula.

    Cells starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
    return) get a leading ``'`` (OWASP's advice against CSV injection).

    Examples
    --------
    >>> spreadsheet_safe("=HYPERLINK(\\"x\\")"), spreadsheet_safe("TC028_3B")
    ('\\'=HYPERLINK("x")', 'TC028_3B')
    """
    text = str(text)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def export_assignments_csv(ids: Sequence[str], labels, H: np.ndarray) -> bytes:
    """CSV of every waveform's cluster and template weights.

    Parameters
    ----------
    ids : sequence of str, length n_waveforms
    labels : array_like of int, shape (n_waveforms,)
    H : ndarray, shape (k, n_waveforms)

    Returns
    -------
    bytes
        UTF-8 CSV with columns ``id, cluster, weight_0 … weight_{k-1}``; ids
        are made :func:`spreadsheet_safe`.
    """
    labels = np.asarray(labels)
    H = np.asarray(H)
    if not (len(ids) == labels.size == H.shape[1]):
        raise InputError(f"Got {len(ids)} ids, {labels.size} labels and {H.shape[1]} columns of H; they must match.")
    frame = pd.DataFrame({"id": [spreadsheet_safe(i) for i in ids], "cluster": labels})
    for j in range(H.shape[0]):
        frame[f"weight_{j}"] = H[j].astype(np.float64)
    return _csv_bytes(frame)


def export_templates_csv(W: np.ndarray, sample_names: Sequence[str] | None = None) -> bytes:
    """CSV of the templates, one column each.

    Parameters
    ----------
    W : ndarray, shape (n_rows, k)
        Templates as columns (W itself, or ``templates.T`` from
        :class:`SpikeClustering`).
    sample_names : sequence of str, optional
        Row names (default 0 … n_rows−1); made :func:`spreadsheet_safe`.

    Returns
    -------
    bytes
        UTF-8 CSV with columns ``sample, template_0 … template_{k-1}``.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise InputError(f"W must be 2-D; it has shape {W.shape}.")
    names = list(range(W.shape[0])) if sample_names is None else [spreadsheet_safe(s) for s in sample_names]
    if len(names) != W.shape[0]:
        raise InputError(f"Got {len(names)} sample names for {W.shape[0]} rows of W.")
    frame = pd.DataFrame({"sample": names})
    for j in range(W.shape[1]):
        frame[f"template_{j}"] = W[:, j]
    return _csv_bytes(frame)


# --------------------------------------------------------------------------
# synthetic spikes with ground truth
# --------------------------------------------------------------------------

#: Shapes of the synthetic units, in milliseconds (Gaussian widths are
#: standard deviations). A pre-trough bump, the trough, and the
#: repolarisation peak; amplitudes relative to the trough depth.
UNIT_SHAPES = (
    # narrow, fast-spiking: short trough, quick tall peak
    dict(trough_ms=0.10, peak_delay_ms=0.30, peak_ms=0.12, peak_ratio=0.45, bump_ratio=0.00),
    # broad, regular-spiking: wide trough, late low broad peak
    dict(trough_ms=0.17, peak_delay_ms=0.65, peak_ms=0.35, peak_ratio=0.22, bump_ratio=0.00),
    # intermediate, with a small positive bump before the trough
    dict(trough_ms=0.13, peak_delay_ms=0.45, peak_ms=0.22, peak_ratio=0.30, bump_ratio=0.12),
    # broad trough, almost no repolarisation peak
    dict(trough_ms=0.20, peak_delay_ms=0.55, peak_ms=0.30, peak_ratio=0.08, bump_ratio=0.05),
    # narrow trough, late broad peak
    dict(trough_ms=0.09, peak_delay_ms=0.55, peak_ms=0.30, peak_ratio=0.30, bump_ratio=0.00),
    # large pre-trough bump (axonal-like)
    dict(trough_ms=0.12, peak_delay_ms=0.40, peak_ms=0.18, peak_ratio=0.15, bump_ratio=0.35),
)
#: Where the trough sits, as a fraction of the window.
TROUGH_AT = 1 / 3


def _unit_waveform(shape: dict, times_ms: np.ndarray, trough_ms: float) -> np.ndarray:
    t = times_ms - trough_ms
    trough = -np.exp(-0.5 * (t / shape["trough_ms"]) ** 2)
    peak = shape["peak_ratio"] * np.exp(-0.5 * ((t - shape["peak_delay_ms"]) / shape["peak_ms"]) ** 2)
    bump = shape["bump_ratio"] * np.exp(-0.5 * ((t + 2.2 * shape["trough_ms"]) / shape["trough_ms"]) ** 2)
    return trough + peak + bump


def synthetic_spikes(
    n_per_unit: int = 250,
    n_units: int = 4,
    n_samples: int = 150,
    sampling_rate: float = 30_000,
    jitter: float = 1.0,
    amplitude_jitter: float = 0.12,
    noise: float = 0.06,
    random_state: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Extracellular spike waveforms from units of known shape.

    Every unit has its own shape (:data:`UNIT_SHAPES`: a Gaussian trough, a
    repolarisation peak of its own delay, width and height, sometimes a
    small bump before the trough). Each spike is that shape, trough-aligned
    at a third of the window and shifted by a uniform sub-sample jitter of
    ±``jitter`` samples, scaled by a log-normal amplitude (spread
    ``amplitude_jitter``), plus coloured noise (white noise smoothed by a
    3-sample kernel, standard deviation ``noise`` relative to a trough of 1).

    Parameters
    ----------
    n_per_unit : int
        Spikes per unit.
    n_units : int
        Number of units, 1 … len(UNIT_SHAPES).
    n_samples : int
        Samples per waveform (≥ 3).
    sampling_rate : float
        Samples per second (the shapes are defined in milliseconds).
    jitter : float
        Alignment jitter, in samples.
    amplitude_jitter : float
        Standard deviation of the log of the amplitude (0.12 ≈ ±12 %).
    noise : float
        Noise standard deviation, relative to the trough depth.
    random_state : int
        Seed; the same seed gives the same arrays.

    Returns
    -------
    waveforms : ndarray of float64, shape (n_units·n_per_unit, n_samples)
        In a random order.
    units : ndarray of int, shape (n_units·n_per_unit,)
        The true unit of every waveform, 0 … n_units−1.
    """
    if not 1 <= n_units <= len(UNIT_SHAPES):
        raise InputError(f"n_units must lie between 1 and {len(UNIT_SHAPES)}; got {n_units}.")
    if n_per_unit < 1 or n_samples < 3:
        raise InputError("Need at least one spike per unit and three samples.")
    rng = np.random.default_rng(random_state)
    n = n_units * n_per_unit
    units = rng.permutation(np.repeat(np.arange(n_units), n_per_unit))
    sample_ms = 1000.0 / sampling_rate
    times = np.arange(n_samples) * sample_ms
    trough_ms = round(TROUGH_AT * n_samples) * sample_ms
    shifts = rng.uniform(-jitter, jitter, size=n) * sample_ms
    amplitudes = np.exp(rng.normal(0.0, amplitude_jitter, size=n))
    waveforms = np.empty((n, n_samples))
    for i in range(n):
        waveforms[i] = amplitudes[i] * _unit_waveform(UNIT_SHAPES[units[i]], times, trough_ms + shifts[i])
    white = rng.normal(size=(n, n_samples + 2))
    coloured = (white[:, :-2] + 2 * white[:, 1:-1] + white[:, 2:]) / math.sqrt(6.0)
    waveforms += noise * coloured
    return waveforms, units.astype(np.int64)
