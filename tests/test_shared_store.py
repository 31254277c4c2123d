"""The server's store of large shared values: bounded by bytes and age, least recently used first out."""

from __future__ import annotations

import threading

from fake_clock import Clock

from nnmf_core.shared_store import SharedStore


def test_the_least_recently_used_values_go_first_when_the_bytes_would_pass_the_budget():
    store = SharedStore(max_bytes=100, ttl=60)
    for key in "abc":
        store.put(key, key.upper(), 30)
    assert store.get("a") == "A"  # "b" is now the least recently used
    store.put("d", "D", 30)
    assert store.get("b") is None
    assert [store.get(key) for key in "acd"] == ["A", "C", "D"]
    assert store.held_bytes() == 90
    store.put("e", "E", 70)  # needs two to go: "a" then "c" (used in that order above)
    assert store.get("a") is None and store.get("c") is None and store.get("d") == "D" and store.get("e") == "E"
    assert store.held_bytes() == 100


def test_a_value_larger_than_the_budget_is_not_kept_and_drops_nothing():
    store = SharedStore(max_bytes=100, ttl=60)
    store.put("small", 1, 40)
    store.put("huge", 2, 101)
    assert store.get("huge") is None and store.get("small") == 1


def test_a_value_unused_for_longer_than_its_ttl_is_dropped():
    clock = Clock()
    store = SharedStore(max_bytes=100, ttl=10, clock=clock)
    store.put("a", 1, 10)
    store.put("b", 2, 10)
    clock.now = 8
    assert store.get("a") == 1  # used: its ten seconds start again
    clock.now = 15
    assert store.get("b") is None and store.get("a") == 1
    assert store.held_bytes() == 10


def test_putting_a_key_again_replaces_its_value_and_size():
    store = SharedStore(max_bytes=100, ttl=60)
    store.put("a", 1, 80)
    store.put("a", 2, 20)
    store.put("b", 3, 80)
    assert store.get("a") == 2 and store.held_bytes() == 100


def test_threads_putting_and_getting_at_once_keep_the_budget():
    store = SharedStore(max_bytes=1_000, ttl=60)

    def work(offset: int) -> None:
        for i in range(500):
            store.put(f"{offset}-{i}", i, 7 + i % 50)
            store.get(f"{offset}-{i - 3}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 0 < store.held_bytes() <= 1_000
