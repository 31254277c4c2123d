"""Streamlit glue the pages share: a bounded result cache whose misses are
computed in plain sight, with a progress bar and the loss curve drawn live,
each miss taking its turn at the server's one work gate.

The cache is ``st.cache_data(max_entries=…)``, keyed on a short string the page
builds from a content digest and the parameters, never on a large array. The
cached function itself is pure: it only hands back what the page computed, so
no element is ever created inside it and a cache hit replays nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import streamlit as st

from nnmf_core import InputError
from nnmf_core._text import counted
from nnmf_core.figures import loss_curve
from nnmf_core.gate import Ticket, WorkGate
from nnmf_core.shared_store import SharedStore
from nnmf_core.threads import usable_cores

#: Results kept across sessions; each holds factors and a few images, a few MB.
MAX_CACHED_RESULTS = 24
#: Seconds a result unused stays cached: long enough for a visitor's reruns,
#: short enough that a public server gives the memory back after visitors
#: leave. NNMF_CACHE_TTL overrides it (the memory benchmark shortens it).
CACHE_TTL = float(os.environ.get("NNMF_CACHE_TTL", 900))
#: Memory the jobs running at once may need together (estimates made before
#: they start). NNMF_WORK_MEMORY_MB overrides it; jobs queue beyond it.
WORK_MEMORY_BYTES = int(float(os.environ.get("NNMF_WORK_MEMORY_MB", 600)) * 1_000_000)
#: Jobs that may run at once: the usable cores, or NNMF_WORK_SLOTS.
WORK_SLOTS = int(os.environ.get("NNMF_WORK_SLOTS", 0)) or usable_cores()
#: Memory the large values kept for every session's runs (uploaded tables)
#: may hold together; NNMF_SHARED_MEMORY_MB overrides it.
SHARED_MEMORY_BYTES = int(float(os.environ.get("NNMF_SHARED_MEMORY_MB", 600)) * 1_000_000)
#: What a job costs when its page gives no estimate (a fit at the working size).
DEFAULT_JOB_BYTES = 40_000_000
_CANCELLED = "_work_cancelled"
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def plain(text) -> str:
    """Text (from a file, or a message quoting one) escaped so that st.error,
    st.warning and st.info show it literally instead of reading it as Markdown."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def shown(value: float) -> str:
    """A score for a metric: three decimals, or a dash when undefined (NaN)."""
    return "—" if math.isnan(value) else f"{value:.3f}"


def upload_bytes(upload) -> bytes:
    """The bytes of an uploaded file (``st.file_uploader``'s value), taken out of it.

    Streamlit hands every run its own deep copy of the file, and a page's
    variables are kept with the session after the run. Closing that copy here
    leaves the returned bytes its only holder, so a page that keeps them only
    while it reads them (inside a function) holds no second copy of a large
    upload between runs. The upload's ``name`` stays; its content is gone."""
    data = upload.getvalue()
    upload.close()
    return data


def digest(data: bytes) -> str:
    """sha256 hex digest of an upload's bytes: the cache key of its content."""
    return hashlib.sha256(data).hexdigest()


@st.cache_data(max_entries=MAX_CACHED_RESULTS, ttl=CACHE_TTL, show_spinner=False)
def _kept(key: str, _value: Any = None) -> Any:
    if _value is None:
        raise LookupError(key)  # exceptions are not cached: a miss stays a miss
    return _value


@st.cache_resource(show_spinner=False)
def shared_store() -> SharedStore:
    """The server's one store of large shared values (uploaded tables), within
    ``SHARED_MEMORY_BYTES``: past it the least recently used are dropped (and
    read again by whoever needs them next)."""
    return SharedStore(max_bytes=SHARED_MEMORY_BYTES, ttl=CACHE_TTL)


def _shared(key: str, value: Any = None) -> Any:
    """The shared value of ``key`` (LookupError when none is kept); with ``value``, keep it first."""
    store = shared_store()
    if value is not None:
        store.put(key, value, _held_bytes(value))
        return value
    found = store.get(key)
    if found is None:
        raise LookupError(key)
    return found


def _arrays(value: Any) -> list:
    """The arrays of ``value``: itself, or its dataclass fields that are arrays."""
    if isinstance(value, np.ndarray):
        return [value]
    if dataclasses.is_dataclass(value):
        return [v for v in (getattr(value, f.name) for f in dataclasses.fields(value)) if isinstance(v, np.ndarray)]
    return []


def _held_bytes(value: Any) -> int:
    """About the memory ``value`` holds: its arrays, and 64 bytes per item of its lists and dicts' lists."""
    fields = [getattr(value, f.name) for f in dataclasses.fields(value)] if dataclasses.is_dataclass(value) else []
    items = sum(len(v) for v in fields if isinstance(v, list))
    items += sum(len(column) for v in fields if isinstance(v, dict) for column in v.values() if isinstance(column, list))
    return sum(array.nbytes for array in _arrays(value)) + 64 * items


def _read_only(value: Any) -> Any:
    """``value`` with its arrays made read-only, so that sessions sharing it cannot change it for each other."""
    for array in _arrays(value):
        array.flags.writeable = False
    return value


@st.cache_resource(show_spinner=False)
def work_gate() -> WorkGate:
    """The server's one gate for heavy work, shared by every session: as many
    ``WORK_SLOTS`` jobs at once, within ``WORK_MEMORY_BYTES``."""
    return WorkGate(slots=WORK_SLOTS, memory_bytes=WORK_MEMORY_BYTES)


def cached_or_computed(key: str, compute: Callable[[], Any], *, cost_bytes: int = DEFAULT_JOB_BYTES,
                       seconds: float | None = None, shared: bool = False) -> Any:
    """The cached value for ``key``; on a miss, ``compute()`` runs (drawing its
    own progress) once the work gate lets it, and its value is cached under
    ``key``. ``cost_bytes`` estimates the memory the computation needs and
    ``seconds`` its length (for the wait shown to people queueing behind it).

    ``shared=True`` keeps the value itself (:func:`shared_store`) and hands
    every run that one object, its arrays made read-only, instead of a copy
    unpickled for each run: for large data many runs read, such as an
    uploaded table. Those values are kept within ``SHARED_MEMORY_BYTES`` in
    all, so a class of large uploads cannot fill the server's memory with
    them; one dropped is computed again on its next use."""
    kept = _shared if shared else _kept
    try:
        return kept(key)
    except LookupError:
        pass
    if st.session_state.get(_CANCELLED) == key:
        del st.session_state[_CANCELLED]
        raise InputError("You left the queue, so this was not computed. Change a setting or reload to try again.")
    with _turn(key, cost_bytes, seconds):
        try:  # another session may have computed it while this one queued
            return kept(key)
        except LookupError:
            pass
        value = compute()
    if shared:
        _read_only(value)
    kept(key, value)  # storing also drops entries past their TTL
    return value


def wait_for_room(key: str, cost_bytes: int, shared: bool = True) -> None:
    """Unless ``key`` is cached, wait until the work gate has room for a job of
    ``cost_bytes`` (in line, as :func:`cached_or_computed` waits), then go on
    without holding a place: a page calls it before it makes large data
    (reads an upload), so that a session waiting behind others holds only
    the upload, not the data read from it."""
    try:
        (_shared if shared else _kept)(key)
        return
    except LookupError:
        pass
    line = f"room|{key}"  # its own place in line: the computation after it may have to wait too
    if st.session_state.get(_CANCELLED) == line:
        del st.session_state[_CANCELLED]
        raise InputError("You left the queue, so this was not computed. Change a setting or reload to try again.")
    with _turn(line, cost_bytes, None):
        pass


@contextmanager
def _turn(key: str, cost_bytes: int, seconds: float | None) -> Iterator[None]:
    """Hold a place at the work gate while the block runs. A session that waits
    sees where it stands and may leave the queue; however the run ends (done,
    an error, the visitor clicking elsewhere or closing the tab), the place is
    given back."""
    ticket = work_gate().ticket(cost_bytes, seconds)
    try:
        if not ticket.admitted():
            _wait_in_line(ticket, key)
        yield
    finally:
        ticket.release()


def _wait_in_line(ticket: Ticket, key: str) -> None:
    box = st.empty()
    with box.container():
        message = st.empty()
        st.button("Leave the queue", key=f"leave|{key}", on_click=_leave_queue, args=(key,))
    while not ticket.wait(timeout=0.5):
        ahead, left = ticket.jobs_ahead(), ticket.expected_wait()
        message.info(f"The server is busy: {counted(ahead, 'job')} ahead of yours — about {max(left, 1):.0f} s. "
                     "Yours starts as soon as one finishes.", icon=":material/hourglass_top:")
    box.empty()


def _leave_queue(key: str) -> None:
    st.session_state[_CANCELLED] = key


class LiveLoss:
    """An ``on_iteration`` callback that draws a progress bar and the loss curve
    while a fit runs, at most every ``interval`` seconds; ``clear()`` removes both.

    ``total`` is the number of iterations expected in all (restarts × max_iter,
    or the sum over a sweep); ``max_iter`` fixes the curve's x axis.
    """

    def __init__(self, label: str, total: int, max_iter: int, interval: float = 0.25):
        self.label, self.total, self.max_iter, self.interval = label, max(total, 1), max_iter, interval
        self.bar = st.progress(0.0, text=label)
        self.chart = st.empty()
        self.done = 0
        self.history: list[float] = []
        self.last_draw = 0.0

    def __call__(self, i: int, loss: float) -> None:
        if i == 1:
            self.history = []  # a new restart or a new fit begins
        self.history.append(loss)
        self.done += 1
        now = time.perf_counter()
        if now - self.last_draw >= self.interval:
            self.last_draw = now
            self.bar.progress(min(self.done / self.total, 1.0), text=f"{self.label} — iteration {i}, loss {loss:.4g}")
            self.chart.plotly_chart(loss_curve(self.history, max_iter=self.max_iter), width="stretch")

    def clear(self) -> None:
        self.bar.empty()
        self.chart.empty()
