"""TokenBucket: tokens refilled at the rate, into a bucket of burst."""

from __future__ import annotations

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
