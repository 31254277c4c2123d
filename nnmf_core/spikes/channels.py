"""Multichannel waveforms: rows that hold C channels × T samples, channel after channel.

Tetrode and probe exports write every channel's samples of one spike into one
row — channel 0's T samples, then channel 1's, … — so a row of 300 numbers
may be 4 channels of 75 samples. This module finds that layout from the
sample headers, lists the channel counts a row length allows, and cuts rows
into channels.

>>> channels_from_header([f"ch{c}_{t}" for c in range(4) for t in range(75)])
4
>>> channels_from_header([str(t) for t in range(150)])
1
>>> channel_options(150)
[1, 2, 3, 5, 6, 10, 15, 25, 30, 50]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from nnmf_core._text import shown
from nnmf_core.errors import InputError

#: Most channels offered for one row.
MAX_CHANNELS = 64
#: Fewest samples a channel must keep.
MIN_CHANNEL_SAMPLES = 3
#: A header naming a channel and a sample by two whole numbers with
#: something else between and before them: ``ch0_12``, ``c1_t0``, ``e3_s74``.
_CHANNEL_AND_SAMPLE = re.compile(r"^\s*[^\d\s]*?(\d+)[^\d]+?(\d+)\s*$")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _runs(values: Sequence) -> list[tuple[int, int]]:
    """(start, stop) of the runs of equal consecutive values."""
    starts = [0] + [i for i in range(1, len(values)) if values[i] != values[i - 1]]
    return list(zip(starts, starts[1:] + [len(values)]))


def _prefixed_channels(names: Sequence[str]) -> int:
    """Channels of headers like ``ch0_0 … ch3_74`` (1 when they are not such headers)."""
    pairs = []
    for name in names:
        match = _CHANNEL_AND_SAMPLE.match(name)
        if match is None or _number(name) is not None:
            return 1
        pairs.append((int(match.group(1)), int(match.group(2))))
    channels = [channel for channel, _ in pairs]
    runs = _runs(channels)
    lengths = {stop - start for start, stop in runs}
    if len(runs) < 2 or len({channels[start] for start, _ in runs}) != len(runs) or len(lengths) != 1:
        return 1
    for start, stop in runs:
        samples = [sample for _, sample in pairs[start:stop]]
        if any(b <= a for a, b in zip(samples, samples[1:])):
            return 1
    return len(runs)


def _repeated_channels(names: Sequence[str]) -> int:
    """Channels of number headers that start again: ``0 … 74, 0 … 74, …`` (1 otherwise)."""
    values = [_number(name) for name in names]
    if any(value is None for value in values):
        return 1
    starts = [0] + [i for i in range(1, len(values)) if values[i] <= values[i - 1]]
    if len(starts) < 2:
        return 1
    length = starts[1]
    blocks = [values[start:start + length] for start in starts]
    if len(values) % length or len(starts) != len(values) // length or any(b != blocks[0] for b in blocks):
        return 1
    return len(starts)


def channels_from_header(sample_names: Sequence[str]) -> int:
    """How many channels the sample headers say each row holds.

    Two layouts are recognised: headers naming a channel and a sample
    (``ch0_0 … ch0_74, ch1_0 … ch3_74``, ``c1_t0``, ``e0_s0`` …), every
    channel in one block of the same length with rising sample numbers; and
    number headers that start again in blocks that repeat (``0 … 74, 0 …
    74, …``). Anything else is one channel.

    Parameters
    ----------
    sample_names : sequence of str
        The headers of the sample columns, in file order.

    Returns
    -------
    int
        The number of channels, ≥ 1; it divides ``len(sample_names)``.

    Examples
    --------
    >>> channels_from_header(["c1_t0", "c1_t1", "c1_t2", "c2_t0", "c2_t1", "c2_t2"])
    2
    >>> channels_from_header(["0", "1", "2", "0", "1", "2", "0", "1", "2"])
    3
    >>> channels_from_header(["0.0", "0.04", "0.08"])
    1
    """
    names = [str(name).strip() for name in sample_names]
    if len(names) < 2 * MIN_CHANNEL_SAMPLES:
        return 1
    found = max(_prefixed_channels(names), _repeated_channels(names))
    return found if found in channel_options(len(names)) else 1


def channel_header_sentence(sample_names: Sequence[str], channels: int) -> str:
    """The sentence that says a channel count was read from the headers.

    >>> sentence = channel_header_sentence(["a0_0", "a0_1", "a0_2", "a1_0", "a1_1", "a1_2"], 2)
    >>> sentence.startswith("The sample headers run through 2 channels of 3 samples each ('a0_0' … 'a0_2'")
    True
    """
    per = len(sample_names) // channels
    return (
        f"The sample headers run through {channels} channels of {per} samples each "
        f"('{shown(sample_names[0])}' … '{shown(sample_names[per - 1])}', then '{shown(sample_names[per])}' …): "
        f"each row is read as {channels} channels side by side. Change 'Channels per waveform' if that is wrong."
    )


def channel_options(n_samples: int, most: int = MAX_CHANNELS) -> list[int]:
    """The channel counts a row of ``n_samples`` can hold: 1 (a row is one
    channel, however short), and the divisors of ``n_samples`` up to
    ``most`` that leave every channel at least :data:`MIN_CHANNEL_SAMPLES`
    samples.

    >>> channel_options(300)[:8]
    [1, 2, 3, 4, 5, 6, 10, 12]
    >>> channel_options(2)
    [1]
    """
    return [1] + [c for c in range(2, min(int(most), int(n_samples)) + 1)
                  if n_samples % c == 0 and n_samples // c >= MIN_CHANNEL_SAMPLES]


def checked_channels(n_samples: int, channels) -> int:
    """``channels`` as an int if a row of ``n_samples`` splits into that many
    equal channels; else an :class:`~nnmf_core.errors.InputError` that lists
    the counts that would.

    >>> checked_channels(300, 4)
    4
    """
    options = channel_options(n_samples)
    try:
        count = int(channels)
    except (TypeError, ValueError):
        count = 0
    if count != channels or count not in options:
        offered = ", ".join(map(str, options[:8])) + (" …" if len(options) > 8 else "")
        raise InputError(
            f"A waveform of {n_samples:,} samples cannot be cut into {shown(str(channels))} channels of equal "
            f"length with at least {MIN_CHANNEL_SAMPLES} samples each; possible channel counts: {offered}."
        )
    return count


def channel_blocks(waveforms: np.ndarray, channels: int) -> np.ndarray:
    """Rows of C channels × T samples as an array of shape (n, C, T) (a view when possible).

    >>> channel_blocks(np.arange(12).reshape(2, 6), 2)[1].tolist()
    [[6, 7, 8], [9, 10, 11]]
    """
    X = np.asarray(waveforms)
    channels = checked_channels(X.shape[-1], channels)
    return X.reshape(*X.shape[:-1], channels, X.shape[-1] // channels)
