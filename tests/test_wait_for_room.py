"""A page waits for room at the work gate before it makes large data, without keeping a place."""

from __future__ import annotations

import threading

import numpy as np

from app_pages import live


def test_waiting_for_room_blocks_while_the_gate_is_full_and_keeps_no_place():
    gate = live.work_gate()
    held = [gate.ticket(1) for _ in range(gate.slots)]
    assert all(ticket.admitted() for ticket in held)
    done = threading.Event()
    waiter = threading.Thread(target=lambda: (live.wait_for_room("spike-table|busy", 1), done.set()), daemon=True)
    waiter.start()
    assert not done.wait(timeout=0.5)  # every slot is taken: it waits in line
    assert gate.waiting() == 1
    for ticket in held:
        ticket.release()
    assert done.wait(timeout=20)
    assert gate.running() == 0 and gate.waiting() == 0  # it went on without holding a place


def test_a_kept_value_needs_no_room():
    gate = live.work_gate()
    held = [gate.ticket(1) for _ in range(gate.slots)]
    live._shared("spike-table|kept", np.zeros(3))
    try:
        live.wait_for_room("spike-table|kept", 1)  # returns at once although the gate is full
        assert gate.waiting() == 0
    finally:
        for ticket in held:
            ticket.release()


def _page_that_waits_twice():
    """Waits for room, then for its turn to compute the same key, the gate full both times."""
    import threading

    import streamlit as st

    from app_pages import live

    def fill_for(seconds: float) -> None:
        held = [live.work_gate().ticket(1) for _ in range(live.work_gate().slots)]
        threading.Timer(seconds, lambda: [ticket.release() for ticket in held]).start()

    fill_for(1.0)
    live.wait_for_room("spike-table|twice", 1, shared=False)
    fill_for(1.0)
    st.write(f"computed {live.cached_or_computed('spike-table|twice', lambda: 41)}")


def test_a_page_may_wait_for_room_and_then_for_its_turn_in_one_run():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_page_that_waits_twice, default_timeout=60).run()
    assert not at.exception, [item.value for item in at.exception]
    assert [item.value for item in at.markdown] == ["computed 41"]
