"""Sentences for people: counts, lists, ratios and byte sizes.

One home for the small wording helpers every module's messages use, so a
count or a size reads the same on every page.

>>> counted(1, "waveform"), counted(2_500, "waveform")
('1 waveform', '2,500 waveforms')
>>> counted(3, "matrix", "matrices")
'3 matrices'
>>> joined([5, 10, 50, 100])
'5, 10, 50 and 100'
>>> listed([4, 9, 12, 15, 20, 31, 40], shown=5)
'4, 9, 12, 15, 20 and 2 more'
>>> times(377.4), times(2.46)
('377×', '2.5×')
>>> readable_bytes(812), readable_bytes(54_900), readable_bytes(3_200_000)
('812 B', '54.9 kB', '3.2 MB')
>>> mebibytes(3 * 1024 * 1024)
'3.0 MB'
>>> shown("=cmd|' /C calc'!A0")
"?cmd?' /C calc'?A0"
"""

from __future__ import annotations

from collections.abc import Sequence

_SHOWN_PUNCTUATION = frozenset(" .,;:+-%/'()_")


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 waveform', '2,500 waveforms' (``plural`` for irregular nouns)."""
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


def joined(numbers: Sequence[int]) -> str:
    """'5', '5 and 10', '5, 10, 50 and 100'."""
    words = [f"{number:,}" for number in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def listed(numbers: Sequence[int], shown: int = 5) -> str:
    """'4, 9, 12' or '4, 9, 12, 15, 20 and 7 more'."""
    head = ", ".join(str(n) for n in numbers[:shown])
    rest = len(numbers) - shown
    return head if rest <= 0 else f"{head} and {rest} more"


def times(ratio: float) -> str:
    """A ratio as '377×' (10 and above) or '2.5×'."""
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.1f}×"


def readable_bytes(n_bytes: int) -> str:
    """A byte count for people: '812 B', '54.9 kB', '3.2 MB' (powers of 1000)."""
    if n_bytes < 1000:
        return f"{n_bytes} B"
    if n_bytes < 1_000_000:
        return f"{n_bytes / 1000:.1f} kB"
    return f"{n_bytes / 1_000_000:.1f} MB"


def mebibytes(n_bytes: int) -> str:
    """A memory size in MB of 1024 × 1024 bytes, as limits are stated: '3.0 MB'."""
    return f"{n_bytes / (1024 * 1024):.1f} MB"


def shown(text: str, limit: int = 24) -> str:
    """A cell or header fit to quote in a message: short, with letters,
    digits and plain punctuation kept and anything else (including what
    Markdown in ``st.error`` would interpret) shown as ``?``."""
    text = "".join(ch if ch.isalnum() or ch in _SHOWN_PUNCTUATION else "?" for ch in str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"
