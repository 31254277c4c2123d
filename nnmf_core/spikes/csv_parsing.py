"""CSV text to a grid of cells, with the way back to the file's rows and
columns for messages.

The steps :func:`~nnmf_core.spikes.read_waveforms` takes before it turns
cells into numbers: decode the bytes, sniff the delimiter, split the records,
check the rows are rectangular, turn a transposed file the right way round,
find the trailing label columns, and describe the first column with bad
cells in a sentence.

>>> _sniffed_delimiter("uid;0;1;2")
';'
>>> _label_column_count(["uid", "0", "1", "unit"], lambda j: False)
1
"""

from __future__ import annotations

import codecs
import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnmf_core._text import counted, listed, shown
from nnmf_core.errors import InputError

#: Headers that mark a trailing column as labels even when its cells are
#: numbers (compared case-insensitively).
LABEL_HEADERS = frozenset({"unit", "units", "label", "labels", "cluster", "clusters", "class", "organoid", "group"})
#: First-column headers that mark a transposed file's first column as the
#: sample axis (compared case-insensitively).
SAMPLE_AXIS_HEADERS = frozenset({"", "sample", "samples", "index", "idx", "time", "t", "ms", "time_ms", "time (ms)", "s"})

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
        return f"Column '{shown(name)}'"
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
        examples = ", ".join(f"row {number} has {counted(count, 'field')}" for number, count in wrong[:4])
        more = f", and {len(wrong) - 4} more" if len(wrong) > 4 else ""
        raise InputError(
            f"{counted(len(wrong), 'row does', 'rows do')} not have as many fields as the header "
            f"({width}): {examples}{more}. Every row needs one id and one value per column."
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
        parts.append(f"{counted(len(rows), 'empty cell')} (row{'s' if len(rows) > 1 else ''} {listed(rows)})")
    for kind, one, many in (
        ("text", "that is not a number", "that are not numbers"),
        ("nonfinite", "that is NaN or infinite", "that are NaN or infinite"),
    ):
        if found[kind]:
            cells = found[kind]
            what = many if len(cells) > 1 else one
            examples = ", ".join(f"row {r}: '{shown(c)}'" for r, c in cells[:4])
            more = f", and {len(cells) - 4} more" if len(cells) > 4 else ""
            parts.append(f"{counted(len(cells), 'cell')} {what} ({examples}{more})")
    others = len(problems) - 1
    also = f" {counted(others, 'other column has', 'other columns have')} problems too." if others else ""
    where = _file_column_label(first, grid.file_columns)
    if grid.transposed:
        where = f"{where} (a waveform)"
    hint = ""
    if found["text"] and not decimal_comma and any("," in c for _, c in found["text"]):
        hint = " Decimal commas are read only in files separated by semicolons or tabs."
    return f"{where} has {' and '.join(parts)}; every sample must be a finite number.{also}{hint}"

