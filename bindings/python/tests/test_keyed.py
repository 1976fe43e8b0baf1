"""Keyed limiters: bounded memory, table-full policies, and threads sharing a limiter."""

from __future__ import annotations

import threading

import pytest

import ratecell


def test_memory_is_bounded_by_max_keys_failing_closed(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(1, 1, max_keys=2, clock=clock)
    assert g.check("a") and g.check("b")
    full = g.check("c")
    assert not full and full.key_table_full
    assert full.retry_after == 1.0
    assert g.stored_keys == 2
    # Stored keys are never disturbed by the flood.
    assert not g.check("a")
    clock.advance(1)
    assert g.check("c")


def test_a_table_that_evicts_admits_every_new_key(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(1, 60, max_keys=2, when_full="evict", clock=clock)
    assert all(g.check(k) for k in ("a", "b", "c", "d"))
    assert g.stored_keys == 2
    assert g.when_full == "evict"


def test_fresh_keys_are_reclaimed_on_their_own(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(10, 1, clock=clock)
    for i in range(100):
        g.check(i)
    assert g.stored_keys == 100
    clock.advance(1)
    g.check("x")
    g.check("y")
    assert g.stored_keys < 100
    assert g.peek(5).remaining == 10


def test_a_peek_stores_nothing(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(1, 1, clock=clock)
    g.peek("k")
    g.check("k", 0)
    assert g.stored_keys == 0


def test_long_keys_work_like_short_ones(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(1, 60, clock=clock)
    long_key = "x" * 10_000
    assert g.check(long_key) and not g.check(long_key)
    assert g.check(long_key.encode() + b"!")
    assert g.check("ключ") and not g.check("ключ")


@pytest.mark.parametrize(
    "limiter",
    [
        lambda c: ratecell.Gcra(1000, 60, clock=c),
        lambda c: ratecell.TokenBucket(1000, 60, clock=c),
        lambda c: ratecell.FixedWindow(1000, 60, clock=c),
        lambda c: ratecell.SlidingWindow(1000, 60, clock=c),
        lambda c: ratecell.SlidingLog(1000, 60, clock=c),
        lambda c: ratecell.Burst(1000, 60, burst_window=60, clock=c),
        lambda c: ratecell.Credits(1000, clock=c),
        lambda c: ratecell.AllOf(ratecell.Gcra(1000, 60, clock=c), ratecell.Gcra(5000, 60, clock=c)),
    ],
    ids=["Gcra", "TokenBucket", "FixedWindow", "SlidingWindow", "SlidingLog", "Burst", "Credits", "AllOf"],
)
def test_many_threads_together_are_admitted_exactly_the_bound(limiter: object, clock: ratecell.ManualClock) -> None:
    shared = limiter(clock)  # type: ignore[operator]
    admitted = [0] * 16
    start = threading.Barrier(16)

    def worker(i: int) -> None:
        start.wait()
        for _ in range(250):
            admitted[i] += shared.check("hot-key").allowed

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(admitted) == 1000


def test_threads_never_hold_more_leases_than_the_cap(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(10, ttl=60, clock=clock)
    granted: list[ratecell.Lease] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        for _ in range(50):
            lease = sessions.acquire("key").lease
            if lease is not None:
                with lock:
                    granted.append(lease)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 10
    assert sum(lease.release() for lease in granted) == 10
