"""Concurrency: leases capping work in flight, released, renewed or expired."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import ratecell


def test_the_free_tier_holds_two_sessions(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(2, ttl=30, name="sessions", clock=clock)
    a, b = sessions.acquire("key"), sessions.acquire("key")
    assert a.lease is not None and b.lease is not None
    clock.advance(2)
    third = sessions.acquire("key")
    assert not third and third.lease is None and third.retry_after == 28.0
    assert a.lease.release() is True
    assert a.lease.release() is False
    assert sessions.acquire("key")


def test_a_crashed_holder_frees_its_slot_when_the_lease_expires(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(1, ttl=10, clock=clock)
    crashed = sessions.acquire("key").lease
    assert crashed is not None
    clock.advance(9)
    assert crashed.renew()
    clock.advance(10)
    assert not crashed.renew()
    assert sessions.acquire("key")
    # The stale lease cannot free the new holder's slot.
    assert crashed.release() is False
    assert not sessions.acquire("key")


def test_reset_ends_every_lease_of_a_key(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(1, ttl=10, clock=clock)
    lease = sessions.acquire("key").lease
    assert sessions.reset("key")
    assert lease is not None and lease.release() is False
    assert sessions.peek("key").remaining == 1


def test_hold_releases_when_the_body_ends(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(1, ttl=10, clock=clock)
    with sessions.hold("key") as held:
        assert held.lease is not None
        assert sessions.peek("key").remaining == 0
    assert sessions.peek("key").remaining == 1
    with pytest.raises(RuntimeError):
        with sessions.hold("key"):
            raise RuntimeError("the work failed")
    assert sessions.peek("key").remaining == 1


def test_hold_waits_for_a_release_from_another_thread(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(1, ttl=60, clock=clock)
    first = sessions.acquire("key").lease
    assert first is not None
    entered = threading.Event()

    def worker() -> None:
        with sessions.hold("key"):
            entered.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert not entered.wait(0.05)
    first.release()
    assert entered.wait(5)
    thread.join(5)
    assert sessions.peek("key").remaining == 1


def test_hold_waits_for_an_expiry_on_a_manual_clock(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(1, ttl=60, clock=clock)
    assert sessions.acquire("key")
    entered = threading.Event()

    def enter() -> None:
        sessions.hold("key").__enter__()
        entered.set()

    thread = threading.Thread(target=enter)
    thread.start()
    assert not entered.wait(0.05)
    clock.advance(59)
    assert not entered.wait(0.05)
    clock.advance(1)
    assert entered.wait(5)
    thread.join(5)


def test_hold_times_out_with_the_last_refusal(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(1, ttl=60)
    assert sessions.acquire("key")
    with pytest.raises(ratecell.ConcurrencyLimitExceeded) as caught:
        with sessions.hold("key", timeout=0.02):
            raise AssertionError("no lease was free")  # pragma: no cover
    assert not caught.value.decision and caught.value.decision.remaining == 0


def test_async_hold_waits_and_releases() -> None:
    async def main() -> list[str]:
        sessions = ratecell.Concurrency(1, ttl=60)
        order: list[str] = []

        async def job(name: str, work: float) -> None:
            async with sessions.hold("key") as held:
                assert held.lease is not None
                order.append(f"{name} in")
                await asyncio.sleep(work)
                order.append(f"{name} out")

        await asyncio.gather(job("a", 0.02), job("b", 0.0))
        assert sessions.peek("key").remaining == 1
        return order

    assert asyncio.run(main()) == ["a in", "a out", "b in", "b out"]


def test_a_cancelled_async_hold_takes_nothing(clock: ratecell.ManualClock) -> None:
    async def main() -> None:
        sessions = ratecell.Concurrency(1, ttl=60, clock=clock)
        assert sessions.acquire("key")
        waiting = asyncio.ensure_future(sessions.hold("key").__aenter__())
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        clock.advance(60)
        assert sessions.peek("key").remaining == 1

    asyncio.run(main())


def test_async_hold_times_out_on_the_limiters_clock(clock: ratecell.ManualClock) -> None:
    async def main() -> None:
        sessions = ratecell.Concurrency(1, ttl=60, clock=clock)
        assert sessions.acquire("key")
        waiting = asyncio.ensure_future(sessions.hold("key", timeout=5).__aenter__())
        await asyncio.sleep(0.01)
        assert not waiting.done()
        clock.advance(5)
        with pytest.raises(ratecell.ConcurrencyLimitExceeded):
            await waiting

    asyncio.run(main())


FLOAT_KEY: Any = 1.5
"""Not a key: a float (untyped, so the type checker lets the test pass it)."""


def test_concurrency_arguments_are_checked() -> None:
    with pytest.raises(ratecell.InvalidQuota, match="limit"):
        ratecell.Concurrency(0, ttl=1)
    with pytest.raises(ratecell.InvalidQuota, match="at most 4096"):
        ratecell.Concurrency(4097, ttl=1)
    with pytest.raises(ratecell.InvalidQuota, match="ttl must be longer than zero"):
        ratecell.Concurrency(1, ttl=0)
    with pytest.raises(TypeError, match="key"):
        ratecell.Concurrency(1, ttl=1).acquire(FLOAT_KEY)
    with pytest.raises(TypeError, match="key"):
        ratecell.Concurrency(1, ttl=1).hold(FLOAT_KEY)
    c = ratecell.Concurrency(50, ttl=300, name="pro")
    assert (c.limit, c.ttl, c.name, c.max_keys, c.when_full) == (50, 300.0, "pro", ratecell.DEFAULT_MAX_KEYS, "fail_closed")
