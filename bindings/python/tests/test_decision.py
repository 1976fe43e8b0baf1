"""Decision: the outcome of every check, as numbers, a truth value and text."""

from __future__ import annotations

import math

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
