"""The work queue on a real server with one job slot: a visitor whose page
needs the server while others' long fits run sees where they stand, can leave
the queue, and gets their result once the slot is free."""

from __future__ import annotations

import re

import pytest

from devtools.live_app import start_server, stop_server, wait_idle

#: A fit that holds the only slot for seconds (the work budget caps it).
LONG_FIT = "/compression?rank=200&iter=5000&tol=0&restarts=3&seed={seed}"


@pytest.fixture
def one_slot_server():
    process, url = start_server(env={"NNMF_WORK_SLOTS": "1"})
    yield url
    stop_server(process)


def test_a_queued_visitor_sees_their_place_can_leave_and_later_gets_the_result(browser, one_slot_server):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(3)]
    first, second, waiting = (context.new_page() for context in contexts)
    try:
        first.goto(one_slot_server + LONG_FIT.format(seed=1))
        first.get_by_text(re.compile(r"— iteration \d+")).wait_for(timeout=120_000)  # holds the slot
        second.goto(one_slot_server + LONG_FIT.format(seed=2))  # queues behind it

        waiting.goto(f"{one_slot_server}/compression")
        queue = waiting.get_by_text("ahead of yours")
        queue.wait_for(timeout=120_000)
        assert re.search(r"[12] jobs? ahead of yours — about \d+ s", queue.inner_text())

        waiting.get_by_role("button", name="Leave the queue").click()
        waiting.get_by_text("You left the queue").wait_for(timeout=60_000)

        contexts[0].close()  # the busy visitors leave: their fits stop and free the slot
        contexts[1].close()
        waiting.reload()
        wait_idle(waiting, timeout=180_000)
        assert waiting.get_by_text("You left the queue").count() == 0
        assert waiting.locator('[data-testid="stMetric"]').count() >= 4  # the result is shown
        assert waiting.locator('[data-testid="stException"]').count() == 0
    finally:
        for context in contexts:
            context.close()
