"""What a waveform file says about its recording besides the waveforms: the
sampling rate (a ``# fs=25000`` line at the top, or a ``sampling_rate``
column), the channel count (``# channels=4``), and when every spike happened
(a time column in seconds or milliseconds, or a sample-index column).

These columns are found by their header, wherever they sit after the ids,
and are never read as samples or labels.

>>> info = leading_comments("# fs=25000\\n# channels=4\\nuid,0,1\\na,1,2\\n")
>>> info.sampling_rate, info.channels
(25000.0, 4)
>>> column_roles(["uid", "0", "1", "2", "time_ms", "unit"])
{4: 'time'}
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from nnmf_core._text import counted, listed, shown
from nnmf_core.errors import InputError

#: Sampling rates accepted, in Hz (1 kHz … 1 MHz).
SAMPLING_RATE_LIMITS = (1_000.0, 1_000_000.0)
#: Sampling rate assumed when a file does not give one, in Hz.
DEFAULT_SAMPLING_RATE = 30_000.0
#: Spike times without a unit in their header are milliseconds when their
#: largest value exceeds this, seconds otherwise (more than 2.8 hours of
#: recording in seconds, or less than 10 s in milliseconds, is unusual).
MS_WHEN_ABOVE = 10_000.0



def _unit(group: str) -> str:
    return rf"(?P<{group}>ms|msec|milliseconds?|s|sec|seconds?)"


#: Headers of a spike-time column: time, t, spike_time(s), timestamp(s),
#: with an optional unit: ``time_ms``, ``time (ms)``, ``t [s]``, ``spike_time_s``.
TIME_HEADER = re.compile(
    rf"^(?:spike[ _]?)?(?:times?|t|timestamps?)"
    rf"(?:[ _]+[(\[]?\s*{_unit('unit')}\s*[)\]]?|\s*[(\[]\s*{_unit('bracketed')}\s*[)\]])?$",
    re.IGNORECASE,
)
#: Headers of a column of sample indices (the spike's position in the recording, in samples).
SAMPLE_INDEX_HEADER = re.compile(
    r"^(?:spike[ _]?samples?(?:[ _]?ind(?:ex|ices))?|sample[ _]?(?:index|idx)|(?:spike[ _]?)?frame[ _]?(?:index|idx)"
    r"|spike[ _]?frames?)$",
    re.IGNORECASE,
)
#: Headers of a sampling-rate column (in Hz).
RATE_HEADER = re.compile(r"^(?:fs|sampling[ _]?(?:rate|frequency)|sample[ _]?rate)(?:[ _]?[(\[]?hz[)\]]?)?$",
                         re.IGNORECASE)
_COMMENT_RATE = re.compile(
    r"\b(?:fs|sampling[ _]?(?:rate|frequency)|sample[ _]?rate)\s*[=:]\s*(?P<value>[0-9][0-9_.,]*(?:e[+-]?\d+)?)\s*"
    r"(?P<unit>khz|hz)?", re.IGNORECASE)
_COMMENT_CHANNELS = re.compile(r"\b(?:channels|n_channels|num_channels)\s*[=:]\s*(?P<value>\d+)", re.IGNORECASE)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


class LeadingComments(NamedTuple):
    """What the ``#`` lines at the top of a file say, and the text without them."""

    text: str
    sampling_rate: float | None
    channels: int | None
    lines: list


def leading_comments(text: str) -> LeadingComments:
    """Read the comment lines at the top of a CSV text.

    A line is a comment when it starts with ``#`` and splits into fewer
    fields than the first line that does not (so a header whose first cell
    is ``#`` stays a header). ``fs=25000``, ``fs = 25 kHz``,
    ``sampling_rate: 30000`` give the sampling rate; ``channels=4`` the
    channel count; anything else is ignored. The comment lines are blanked,
    not removed, so row numbers in messages still count every line.

    Examples
    --------
    >>> leading_comments("#,0,1\\na,1,2\\n").sampling_rate is None  # a header, not a comment
    True
    >>> leading_comments("# recorded 2024\\n# fs = 25 kHz\\nuid,0,1\\n").sampling_rate
    25000.0
    """
    if not text.lstrip().startswith("#"):
        return LeadingComments(text, None, None, [])
    head, end = [], 0  # the lines up to the first one that is neither blank nor a '#' line
    for match in _LINE.finditer(text):
        line = match.group()
        if not line:
            break
        head.append(line)
        end = match.end()
        if line.strip() and not line.lstrip().startswith("#"):
            break
    else:
        return LeadingComments(text, None, None, [])
    fields = _fields(head[-1])
    comments, rate, channels = [], None, None
    for index, line in enumerate(head[:-1]):
        stripped = line.strip()
        if not stripped:
            continue
        if _fields(stripped) >= fields:
            break
        comments.append(index)
        found = _COMMENT_RATE.search(stripped)
        if found and rate is None:
            value = _number(found.group("value").replace("_", "").replace(",", ""))
            if value is not None:
                rate = value * (1000.0 if (found.group("unit") or "").lower() == "khz" else 1.0)
        found = _COMMENT_CHANNELS.search(stripped)
        if found and channels is None:
            channels = int(found.group("value"))
    if not comments:
        return LeadingComments(text, None, None, [])
    blanked = "".join(line[len(line.rstrip("\r\n")):] if i in comments else line for i, line in enumerate(head))
    return LeadingComments(blanked + text[end:], rate, channels, [head[i].strip() for i in comments])


def _fields(line: str) -> int:
    """How many fields a line splits into with its most frequent delimiter."""
    return max(line.count(delimiter) for delimiter in ("\t", ";", ",")) + 1


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def column_roles(header: Sequence[str]) -> dict[int, str]:
    """Columns that describe the spike rather than hold its samples or labels.

    Returns ``{column index: role}`` with role ``"time"`` (:data:`TIME_HEADER`),
    ``"sample_index"`` (:data:`SAMPLE_INDEX_HEADER`) or ``"sampling_rate"``
    (:data:`RATE_HEADER`); the first column (the ids) only for a time or
    sample index, and only the first column of each role.

    >>> column_roles(["spike_time", "0", "1", "fs"])
    {0: 'time', 3: 'sampling_rate'}
    """
    roles: dict[int, str] = {}
    for j, name in enumerate(header):
        name = str(name).strip()
        role = ("time" if TIME_HEADER.match(name) else "sample_index" if SAMPLE_INDEX_HEADER.match(name)
                else "sampling_rate" if j > 0 and RATE_HEADER.match(name) else None)
        if role and role not in roles.values() and not (role == "sample_index" and "time" in roles.values()):
            roles[j] = role
    if "time" in roles.values():  # a time column wins over a sample index
        roles = {j: role for j, role in roles.items() if role != "sample_index"}
    return roles


def _numbers(header: str, cells: Sequence[str]) -> tuple[np.ndarray | None, str | None]:
    """The cells as floats, or None and a note naming the rows that are not numbers."""
    values = np.full(len(cells), np.nan)
    bad = []
    for i, cell in enumerate(cells):
        value = _number(str(cell).strip().replace(",", "."))
        if value is None:
            bad.append(i + 2)  # a spreadsheet's row: the header is row 1
        else:
            values[i] = value
    if bad:
        return None, (f"Column '{shown(header)}' has {counted(len(bad), 'cell')} that {'is' if len(bad) == 1 else 'are'} "
                      f"not a number (row {listed(bad, 3)}); it is not used.")
    return values, None


class SpikeTimes(NamedTuple):
    """Spike times read from a column (see :func:`spike_times_from_column`)."""

    seconds: np.ndarray | None
    samples: np.ndarray | None
    sentence: str | None
    note: str | None


def spike_times_from_column(header: str, cells: Sequence[str], role: str, sampling_rate: float | None) -> SpikeTimes:
    """Spike times in seconds from a time or sample-index column.

    A time column is in the unit its header names (``time_ms``, ``t (s)``
    …); without one, values up to :data:`MS_WHEN_ABOVE` are seconds and
    larger ones milliseconds, and ``sentence`` says which was assumed. A
    sample-index column is divided by ``sampling_rate`` (its ``seconds``
    are None while the rate is unknown; ``samples`` keeps the indices).
    Cells that are not numbers leave the column unused, with a ``note``.

    Examples
    --------
    >>> spike_times_from_column("time_ms", ["1.5", "20"], "time", None).seconds.tolist()
    [0.0015, 0.02]
    >>> found = spike_times_from_column("t", ["12000", "64000.5"], "time", None)
    >>> found.seconds.tolist(), found.sentence[:40]
    ([12.0, 64.0005], "Column 't' does not name its time unit; ")
    >>> spike_times_from_column("sample_index", ["250", "500"], "sample_index", 25_000.0).seconds.tolist()
    [0.01, 0.02]
    """
    values, note = _numbers(header, cells)
    if values is None:
        return SpikeTimes(None, None, None, note)
    if role == "sample_index":
        seconds = values / sampling_rate if sampling_rate else None
        return SpikeTimes(seconds, values, None, None)
    match = TIME_HEADER.match(header.strip())
    unit = (match.group("unit") or match.group("bracketed") or "").lower() if match else ""
    sentence = None
    if not unit:
        largest = float(np.max(np.abs(values))) if values.size else 0.0
        unit = "ms" if largest > MS_WHEN_ABOVE else "s"
        if unit == "ms":
            reading = (f"its largest value, {largest:,.6g}, is taken as milliseconds ({largest / 1000:,.1f} s of "
                       f"recording; as seconds it would be {largest / 3600:,.1f} hours)")
        else:
            reading = (f"its largest value, {largest:,.6g}, is taken as seconds ({largest:,.1f} s of recording; "
                       f"as milliseconds it would be {largest:,.1f} ms)")
        sentence = (f"Column '{shown(header)}' does not name its time unit; {reading}. Head it "
                    f"'{shown(header)}_s' or '{shown(header)}_ms' to say.")
    seconds = values / 1000.0 if unit.startswith("m") else values
    return SpikeTimes(seconds, None, sentence, None)


def sampling_rate_from_column(header: str, cells: Sequence[str]) -> tuple[float | None, str | None]:
    """The one sampling rate (Hz) a rate column holds, or None and a note.

    >>> sampling_rate_from_column("fs", ["25000", "25000"])
    (25000.0, None)
    """
    values, note = _numbers(header, cells)
    if values is None:
        return None, note
    distinct = np.unique(values)
    if distinct.size != 1:
        return None, (f"Column '{shown(header)}' holds {distinct.size} different sampling rates "
                      f"({', '.join(f'{v:,.6g}' for v in distinct[:3])}{' …' if distinct.size > 3 else ''}); "
                      "one file needs one rate, so it is not used.")
    return float(distinct[0]), None


def checked_sampling_rate(rate) -> float:
    """``rate`` (Hz) as a float within :data:`SAMPLING_RATE_LIMITS`, else an InputError.

    >>> checked_sampling_rate(25000)
    25000.0
    """
    low, high = SAMPLING_RATE_LIMITS
    try:
        value = float(rate)
    except (TypeError, ValueError):
        value = math.nan
    if not (low <= value <= high):
        raise InputError(f"A sampling rate of {shown(str(rate))} Hz is outside {low:,.0f} … {high:,.0f} Hz; "
                         "give it in samples per second (e.g. 30000).")
    return value
