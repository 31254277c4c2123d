"""The work gate as a pure unit: order, memory, cancel, release, abandonment."""

from __future__ import annotations

import threading

import pytest
from fake_clock import Clock

from nnmf_core import InputError
from nnmf_core.gate import WorkGate

MB = 1_000_000


def test_jobs_start_first_come_first_served_within_the_slots():
    gate = WorkGate(slots=2, memory_bytes=1000 * MB)
    tickets = [gate.ticket(10 * MB) for _ in range(5)]
    assert [t.admitted() for t in tickets] == [True, True, False, False, False]
    assert [t.jobs_ahead() for t in tickets] == [0, 0, 2, 3, 4]
    tickets[1].release()
    assert [t.admitted() for t in tickets[2:]] == [True, False, False]
    assert gate.running() == 2 and gate.waiting() == 2


def test_memory_budget_holds_back_a_job_that_would_not_fit():
    gate = WorkGate(slots=4, memory_bytes=100 * MB)
    big, medium = gate.ticket(70 * MB), gate.ticket(50 * MB)
    assert big.admitted() and not medium.admitted()
    assert gate.memory_in_use() == 70 * MB
    big.release()
    assert medium.admitted()


def test_a_small_job_does_not_overtake_a_waiting_big_one():
    """Strict arrival order: a stream of small jobs cannot starve a big one."""
    gate = WorkGate(slots=4, memory_bytes=100 * MB)
    first = gate.ticket(60 * MB)
    big = gate.ticket(80 * MB)
    small = gate.ticket(30 * MB)  # would fit beside the first, but arrived after the big one
    assert first.admitted() and not big.admitted() and not small.admitted()
    first.release()
    assert big.admitted() and not small.admitted()  # 80 + 30 MB > 100 MB


def test_a_job_larger_than_the_whole_budget_runs_alone():
    gate = WorkGate(slots=2, memory_bytes=100 * MB)
    huge = gate.ticket(500 * MB)
    after = gate.ticket(1 * MB)
    assert huge.admitted() and not after.admitted()
    huge.release()
    assert after.admitted()


def test_cancel_leaves_the_queue_and_lets_the_next_in():
    gate = WorkGate(slots=1, memory_bytes=100 * MB)
    running, cancelled, last = gate.ticket(1), gate.ticket(1), gate.ticket(1)
    assert last.jobs_ahead() == 2
    cancelled.cancel()
    assert last.jobs_ahead() == 1
    with pytest.raises(InputError, match="left the queue"):
        cancelled.admitted()
    running.cancel()  # a running job that is cancelled gives its slot back
    assert last.admitted()


def test_the_slot_is_given_back_when_the_job_fails():
    gate = WorkGate(slots=1, memory_bytes=100 * MB)
    with pytest.raises(RuntimeError), gate.ticket(1) as ticket:
        assert ticket.admitted()
        raise RuntimeError("the session stopped mid-fit")
    assert gate.running() == 0 and gate.ticket(1).admitted()


def test_a_ticket_nobody_asks_about_is_dropped():
    clock = Clock()
    gate = WorkGate(slots=1, memory_bytes=100 * MB, abandon_after=30, clock=clock)
    running, gone, patient = gate.ticket(1), gate.ticket(1), gate.ticket(1)
    for _ in range(4):  # the patient session keeps looking; the closed one does not
        clock.now += 10
        assert not patient.admitted()
    assert gone.state == "abandoned" and patient.jobs_ahead() == 1
    running.release()
    assert patient.admitted()


def test_the_expected_wait_counts_the_work_ahead():
    clock = Clock()
    gate = WorkGate(slots=1, memory_bytes=100 * MB, clock=clock)
    first = gate.ticket(1, seconds=4)
    second = gate.ticket(1, seconds=2)
    third = gate.ticket(1, seconds=1)
    clock.now = 1.0  # the first job has run 1 s of its 4
    assert third.expected_wait() == pytest.approx(3 + 2)
    assert first.expected_wait() == 0 and second.jobs_ahead() == 1


def test_wait_returns_when_admitted_or_when_the_timeout_passes():
    gate = WorkGate(slots=1, memory_bytes=100 * MB)
    holder, waiter = gate.ticket(1), gate.ticket(1)
    assert waiter.wait(timeout=0.05) is False
    started = []
    thread = threading.Thread(target=lambda: started.append(waiter.wait(timeout=10)))
    thread.start()
    holder.release()
    thread.join(timeout=10)
    assert started == [True]


def test_threads_never_run_more_jobs_than_slots():
    gate = WorkGate(slots=2, memory_bytes=100 * MB)
    lock, running, most = threading.Lock(), [0], [0]
    order = []

    def job(index):
        with gate.ticket(1) as ticket:
            ticket.wait()
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
                order.append(index)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=job, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(order) == list(range(12)) and most[0] <= 2


@pytest.mark.parametrize("slots", [0, -1, 1.5, True])
def test_bad_slot_counts_are_refused(slots):
    with pytest.raises(InputError, match="slots"):
        WorkGate(slots=slots)


def test_the_typical_job_length_is_learned_from_finished_jobs():
    clock = Clock()
    gate = WorkGate(slots=1, memory_bytes=100 * MB, clock=clock)
    for _ in range(20):
        with gate.ticket(1) as ticket:
            assert ticket.admitted()
            clock.now += 5.0
    assert gate.typical_seconds == pytest.approx(5.0, rel=0.02)
    first, second = gate.ticket(1), gate.ticket(1)
    assert first.admitted() and second.expected_wait() == pytest.approx(5.0, rel=0.02)
