"""TokenBucket: tokens refilled at the rate, into a bucket of burst."""

from __future__ import annotations

from typing import Any

import pytest

import ratecell


def test_a_full_bucket_refills_at_the_rate(clock: ratecell.ManualClock) -> None:
    bucket = ratecell.TokenBucket.parse("2/second burst 4", clock=clock)
    d = bucket.check("k", 3)
    assert (d.remaining, d.reset_after) == (1, 1.5)
    denied = bucket.check("k", 2)
    assert not denied and denied.retry_after == 0.5
    clock.advance(0.5)
    assert bucket.check("k", 2)


def test_a_bucket_that_starts_empty_waits_for_its_first_token(clock: ratecell.ManualClock) -> None:
    bucket = ratecell.TokenBucket(10, 1, starts_empty=True, clock=clock)
    assert bucket.starts_empty
    clock.set(60)
    first = bucket.check("k")
    assert not first and first.retry_after == pytest.approx(0.1)
    clock.advance(first.retry_after)
    assert bucket.check("k")


def test_starts_empty_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="starts_empty"):
        ratecell.TokenBucket(10, 1, starts_empty=1)  # type: ignore[arg-type]


def test_a_token_bucket_describes_itself() -> None:
    bucket = ratecell.TokenBucket(10, 1, burst=20)
    assert (bucket.limit, bucket.period, bucket.burst, bucket.capacity) == (10, 1.0, 20, 20)
    assert repr(bucket) == '<TokenBucket 10/second burst 20 name="default">'


def test_a_reservation_borrows_against_refills_within_max_wait(clock: ratecell.ManualClock) -> None:
    bucket = ratecell.TokenBucket(10, 1, clock=clock)
    everything = bucket.reserve("k", 10)
    assert everything is not None and everything.committed and everything.delay == 0
    refused = bucket.reserve("k", 5, max_wait=0.4)
    assert refused is not None and not refused and refused.delay == 0.5
    later = bucket.reserve("k", 5, max_wait=0.5)
    assert later is not None and later.committed and later.ready_at_ns == 500_000_000
    assert not bucket.check("k")
    assert later.cancel() == 5
    assert later.cancel() == 0
    assert not later.committed
    assert "not committed" in repr(later)


def test_a_reservation_whose_time_passed_gives_nothing_back(clock: ratecell.ManualClock) -> None:
    bucket = ratecell.TokenBucket(10, 1, clock=clock)
    r = bucket.reserve("k", 3)
    assert r is not None
    clock.advance(0.001)
    assert r.cancel() == 0


def test_reservation_arguments_are_checked(clock: ratecell.ManualClock) -> None:
    bucket = ratecell.TokenBucket(10, 1, clock=clock)
    with pytest.raises(ratecell.InsufficientCapacity):
        bucket.reserve("k", 11)
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="max_wait"):
            bucket.reserve("k", 1, max_wait=bad)
    untyped: Any = "1"
    with pytest.raises(TypeError):
        bucket.reserve("k", untyped)
    with pytest.raises(TypeError):
        untyped = 1.5
        bucket.reserve(untyped)
    assert bucket.peek("k").remaining == 10
