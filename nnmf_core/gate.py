"""One process-wide gate for heavy work: decodes and fits wait their turn.

A server that many people use at once (a class opening a shared link and
uploading photos together) runs out of memory when every session decodes and
factors at the same moment. :class:`WorkGate` lets a job start only while
fewer than ``slots`` jobs run *and* the memory it will need (estimated from
its shape, before it starts) fits beside theirs in ``memory_bytes``. Jobs are
admitted strictly first come, first served, so none waits forever behind
later, smaller ones; a job bigger than the whole budget runs alone.

A waiting job holds a :class:`Ticket`: it says where it stands (jobs ahead,
an estimate of the wait), can be cancelled, and gives its place back when
released. A ticket whose holder stops asking (a closed browser tab) for
``abandon_after`` seconds is dropped, so a dead session cannot block the
queue.

>>> gate = WorkGate(slots=1, memory_bytes=100)
>>> first, second = gate.ticket(60), gate.ticket(60)
>>> first.admitted(), second.admitted()
(True, False)
>>> second.jobs_ahead()
1
>>> first.release()
>>> second.admitted()
True
>>> second.release()
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable

from nnmf_core.errors import InputError
from nnmf_core.threads import usable_cores


class Ticket:
    """A job's place at a :class:`WorkGate`; see :meth:`WorkGate.ticket`.

    Use it as a context manager (``with gate.ticket(cost) as ticket:``) so the
    place is given back however the block ends.
    """

    def __init__(self, gate: WorkGate, number: int, cost_bytes: int, seconds: float):
        self._gate = gate
        self.number = number
        self.cost_bytes = cost_bytes
        self.seconds = seconds
        self.state = "waiting"  # waiting -> running -> done; or waiting -> cancelled / abandoned
        self.last_seen = gate._clock()
        self.started_at: float | None = None

    def admitted(self) -> bool:
        """True once the job may run (it then holds its slot until released)."""
        return self._gate._poll(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until admitted (True) or ``timeout`` seconds passed (False)."""
        return self._gate._wait(self, timeout)

    def jobs_ahead(self) -> int:
        """How many jobs run or wait before this one (0 once admitted)."""
        return self._gate._ahead(self)[0]

    def expected_wait(self) -> float:
        """A rough estimate, in seconds, of the wait left before this job starts."""
        return self._gate._ahead(self)[1]

    def cancel(self) -> None:
        """Leave the queue (or give the slot back, if already running)."""
        self._gate._leave(self, "cancelled")

    def release(self) -> None:
        """Give the slot back after the job ran (or the place, if it never did)."""
        self._gate._leave(self, "done")

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class WorkGate:
    """A first-come, first-served gate bounded by job slots and memory.

    Parameters
    ----------
    slots : int
        Jobs that may run at once (the usable cores, by default).
    memory_bytes : int
        Sum of the running jobs' estimated memory the gate allows; a job whose
        estimate alone exceeds it runs when nothing else does.
    abandon_after : float
        Seconds without a look at a waiting ticket (:meth:`Ticket.admitted`,
        :meth:`Ticket.wait`) after which it is dropped from the queue.
    clock : callable, optional
        Monotonic seconds; tests pass their own.
    """

    def __init__(self, slots: int | None = None, memory_bytes: int = 1_000_000_000, *,
                 abandon_after: float = 30.0, clock: Callable[[], float] = time.monotonic):
        slots = usable_cores() if slots is None else slots
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise InputError(f"slots must be a whole number ≥ 1; got {slots!r}.")
        if memory_bytes <= 0:
            raise InputError(f"memory_bytes must be positive; got {memory_bytes!r}.")
        self.slots = slots
        self.memory_bytes = int(memory_bytes)
        self.abandon_after = float(abandon_after)
        self._clock = clock
        self._lock = threading.Condition()
        self._waiting: deque[Ticket] = deque()
        self._running: list[Ticket] = []
        self._numbers = itertools.count(1)
        #: Moving average of how long finished jobs ran, in seconds.
        self.typical_seconds = 1.0

    # -- public -----------------------------------------------------------
    def ticket(self, cost_bytes: int, seconds: float | None = None) -> Ticket:
        """Join the queue with a job needing about ``cost_bytes`` of memory and
        taking about ``seconds`` (used only for the wait estimate; by default
        the typical length of the jobs finished so far)."""
        with self._lock:
            seconds = self.typical_seconds if seconds is None else seconds
            ticket = Ticket(self, next(self._numbers), max(int(cost_bytes), 0), max(float(seconds), 0.0))
            self._waiting.append(ticket)
            self._admit()
            return ticket

    def running(self) -> int:
        """Jobs running now."""
        with self._lock:
            return len(self._running)

    def waiting(self) -> int:
        """Jobs waiting now."""
        with self._lock:
            self._drop_abandoned()
            return len(self._waiting)

    def memory_in_use(self) -> int:
        """Estimated bytes of the jobs running now."""
        with self._lock:
            return sum(ticket.cost_bytes for ticket in self._running)

    # -- private (called with or taking the lock) ----------------------------
    def _fits(self, ticket: Ticket) -> bool:
        if len(self._running) >= self.slots:
            return False
        if not self._running:
            return True  # alone, any job may run: nothing waits forever
        return sum(t.cost_bytes for t in self._running) + ticket.cost_bytes <= self.memory_bytes

    def _drop_abandoned(self) -> None:
        now = self._clock()
        for ticket in [t for t in self._waiting if now - t.last_seen > self.abandon_after]:
            self._waiting.remove(ticket)
            ticket.state = "abandoned"

    def _admit(self) -> None:
        self._drop_abandoned()
        while self._waiting and self._fits(self._waiting[0]):
            ticket = self._waiting.popleft()
            ticket.state = "running"
            ticket.started_at = self._clock()
            self._running.append(ticket)
        self._lock.notify_all()

    def _poll(self, ticket: Ticket) -> bool:
        with self._lock:
            if ticket.state == "waiting":
                ticket.last_seen = self._clock()
                self._admit()
            if ticket.state in ("cancelled", "abandoned"):
                raise InputError("This job left the queue (cancelled or idle too long); start it again.")
            return ticket.state in ("running", "done")

    def _wait(self, ticket: Ticket, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                if self._poll(ticket):
                    return True
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                # wake at least every second to keep the ticket seen and drop abandoned ones
                self._lock.wait(timeout=1.0 if left is None else min(left, 1.0))

    def _ahead(self, ticket: Ticket) -> tuple[int, float]:
        with self._lock:
            if ticket.state != "waiting":
                return 0, 0.0
            before = list(itertools.takewhile(lambda t: t is not ticket, self._waiting))
            now = self._clock()
            running_left = [max(t.seconds - (now - t.started_at), 0.0) for t in self._running]
            work = sum(running_left) + sum(t.seconds for t in before)
            return len(self._running) + len(before), work / self.slots

    def _leave(self, ticket: Ticket, state: str) -> None:
        with self._lock:
            if ticket in self._running:
                self._running.remove(ticket)
                if state == "done":
                    ran = self._clock() - ticket.started_at
                    self.typical_seconds = 0.8 * self.typical_seconds + 0.2 * ran
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            if ticket.state in ("waiting", "running"):
                ticket.state = state
            self._admit()
