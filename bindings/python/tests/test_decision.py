"""Decision: the outcome of every check, as numbers, a truth value and text."""

from __future__ import annotations

import gc
import math
import sysconfig
import time

import ratecell


def test_a_decision_is_truthy_exactly_when_admitted(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(1, 1, clock=clock)
    first, second = g.check(), g.check()
    assert first and first.allowed
    assert not second and not second.allowed


def test_durations_are_seconds_and_exact_nanoseconds(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(2, 1, clock=clock)
    d = g.check()
    assert (d.limit, d.remaining, d.retry_after, d.reset_after) == (2, 1, 0.0, 0.5)
    assert (d.retry_after_ns, d.reset_after_ns) == (0, 500_000_000)
    g.check()
    denied = g.check()
    assert (denied.retry_after, denied.retry_after_ns) == (0.5, 500_000_000)
    assert denied.retry_after_secs == 1
    assert d.retry_after_secs is None


def test_a_wait_that_never_ends_is_infinite(clock: ratecell.ManualClock) -> None:
    credits = ratecell.Credits(1, clock=clock)
    credits.check()
    d = credits.check()
    assert math.isinf(d.retry_after) and math.isinf(d.reset_after)
    assert d.retry_after_ns == 2**64 - 1
    assert d.retry_after_secs is None
    assert d.status == 402


def test_statuses_tell_admitted_rate_limited_and_out_of_credits_apart(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(1, 1, clock=clock)
    assert g.check().status == 200
    assert g.check().status == 429


def test_a_decision_reads_well(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra.parse("2/second", clock=clock)
    assert repr(g.check()) == "<Decision allowed: 1 of 2 remaining, reset after 500ms>"
    g.check()
    assert repr(g.check()) == "<Decision denied: 0 of 2 remaining, retry after 500ms, reset after 1s>"


def test_only_a_granted_concurrency_decision_carries_a_lease(clock: ratecell.ManualClock) -> None:
    assert ratecell.Gcra(1, 1, clock=clock).check().lease is None
    c = ratecell.Concurrency(1, ttl=10, clock=clock)
    assert isinstance(c.acquire().lease, ratecell.Lease)
    assert c.acquire().lease is None


def test_decisions_are_immutable(clock: ratecell.ManualClock) -> None:
    d = ratecell.Gcra(1, 1, clock=clock).check()
    try:
        d.allowed = False  # type: ignore[misc]
    except AttributeError:
        pass
    else:  # pragma: no cover - the assignment must fail
        raise AssertionError("a Decision could be changed")
    assert d.allowed


# A limiter keeps the Decision it returned last and fills it in again for its next check
# once nothing else refers to it. These tests pin what that must never change.

FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def test_decisions_still_held_keep_their_numbers(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(3, 1, clock=clock)
    held = [g.check("k") for _ in range(4)]
    assert [(d.allowed, d.remaining) for d in held] == [(True, 2), (True, 1), (True, 0), (False, 0)]
    assert len({id(d) for d in held}) == 4


def test_decisions_dropped_at_once_each_read_their_own_check(clock: ratecell.ManualClock) -> None:
    for limiter in (ratecell.Gcra(3, 1, clock=clock), ratecell.SlidingLog(3, 1, clock=clock)):
        assert [limiter.check("k").remaining for _ in range(4)] == [2, 1, 0, 0]
        assert [bool(limiter.check("k")) for _ in range(2)] == [False, False]
        clock.advance(1)
        assert [limiter.check("k").remaining for _ in range(2)] == [2, 1]


def test_a_dropped_decision_is_filled_in_again(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(2, 1, clock=clock)
    first = g.check("a")
    first_id = id(first)
    assert (first.remaining, first.reset_after) == (1, 0.5)
    del first
    clock.advance(10.25)
    second = g.check("a")
    if not FREE_THREADED:
        assert id(second) == first_id
    assert (second.remaining, second.reset_after) == (1, 0.5)
    # Its instant is the new check's: the wall-clock reset counts from it, not from the
    # first check's instant 10 seconds before.
    reset = int(second.headers("legacy")["X-RateLimit-Reset"])
    assert time.time() <= reset <= time.time() + 2
    third = g.check("a")
    assert id(third) != id(second)
    assert (second.remaining, second.reset_after) == (1, 0.5)
    assert (third.remaining, third.reset_after) == (0, 1.0)


def test_a_decision_outlives_its_limiter(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(2, 1, clock=clock, name="outlived")
    d = g.check("k")
    del g
    gc.collect()
    assert d.headers("draft-7") == {"RateLimit-Policy": "2;w=1", "RateLimit": "limit=2, remaining=1, reset=1"}
    assert (d.allowed, d.remaining) == (True, 1)


def test_a_dropped_limiter_is_freed(clock: ratecell.ManualClock) -> None:
    # The spare Decision refers to its limiter and the limiter to it: the collector must
    # see that cycle.
    def alive() -> int:
        return sum(1 for o in gc.get_objects() if isinstance(o, ratecell.RateLimiter) and o.name == "drop-me")

    g = ratecell.Gcra(2, 1, clock=clock, name="drop-me")
    g.check("k")
    assert alive() == 1
    del g
    gc.collect()
    assert alive() == 0
