"""RateLimiter.acquire: waiting for admission on asyncio, without busy-looping."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

import ratecell


def test_acquire_sleeps_exactly_retry_after_on_the_monotonic_clock() -> None:
    async def main() -> float:
        g = ratecell.Gcra(1, 0.05)
        assert g.check()
        started = time.monotonic()
        d = await g.acquire()
        assert d.allowed
        return time.monotonic() - started

    waited = asyncio.run(main())
    assert 0.045 <= waited < 0.5


def test_acquire_returns_the_denial_when_the_timeout_would_pass_first() -> None:
    async def main() -> ratecell.Decision:
        g = ratecell.Gcra(1, 60)
        assert g.check()
        return await g.acquire(timeout=0.01)

    started = time.monotonic()
    d = asyncio.run(main())
    assert not d and d.retry_after > 59
    assert time.monotonic() - started < 1


def test_acquire_on_a_manual_clock_wakes_when_the_clock_is_moved(clock: ratecell.ManualClock) -> None:
    async def main() -> None:
        g = ratecell.Gcra(1, 1, clock=clock)
        assert g.check("k")
        waiting = asyncio.ensure_future(g.acquire("k"))
        await asyncio.sleep(0.01)
        assert not waiting.done()
        clock.advance(0.5)
        await asyncio.sleep(0.01)
        assert not waiting.done()
        clock.advance(0.5)
        d = await asyncio.wait_for(waiting, 5)
        assert d.allowed
        assert not g.peek("k").remaining

    asyncio.run(main())


def test_many_waiters_are_admitted_one_interval_apart(clock: ratecell.ManualClock) -> None:
    async def main() -> list[int]:
        g = ratecell.Gcra(1, 1, clock=clock)
        assert g.check()
        waiters = [asyncio.ensure_future(g.acquire()) for _ in range(3)]
        admitted_at: list[int] = []
        for _ in range(3):
            await asyncio.sleep(0.01)
            clock.advance(1)
            await asyncio.sleep(0.01)
            admitted_at.append(sum(w.done() for w in waiters))
        await asyncio.gather(*waiters)
        return admitted_at

    assert asyncio.run(main()) == [1, 2, 3]


def test_a_cancelled_acquire_records_nothing(clock: ratecell.ManualClock) -> None:
    async def main() -> None:
        g = ratecell.Gcra(1, 1, clock=clock)
        assert g.check()
        waiting = asyncio.ensure_future(g.acquire())
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        clock.advance(1)
        assert g.peek().remaining == 1

    asyncio.run(main())


def test_acquire_with_a_manual_clock_times_out_on_that_clock(clock: ratecell.ManualClock) -> None:
    async def main() -> ratecell.Decision:
        g = ratecell.Gcra(1, 10, clock=clock)
        assert g.check()
        return await g.acquire(timeout=9)

    assert not asyncio.run(main())


def test_acquire_returns_at_once_when_no_wait_helps(clock: ratecell.ManualClock) -> None:
    async def main() -> ratecell.Decision:
        credits = ratecell.Credits(1, clock=clock)
        assert credits.check()
        return await credits.acquire()

    d = asyncio.run(main())
    assert not d and math.isinf(d.retry_after)


def test_an_allof_acquires_with_costs_per_member(clock: ratecell.ManualClock) -> None:
    async def main() -> ratecell.Decision:
        socket = ratecell.AllOf(ratecell.Gcra(10, 1, clock=clock), ratecell.Gcra(100, 1, clock=clock))
        assert socket.check(None, [1, 100])
        waiting = asyncio.ensure_future(socket.acquire(None, [1, 50]))
        await asyncio.sleep(0.01)
        clock.advance(0.5)
        return await asyncio.wait_for(waiting, 5)

    assert asyncio.run(main())
