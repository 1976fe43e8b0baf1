"""Gcra: the contract of API.md, through the Python API."""

from __future__ import annotations

import pytest

import ratecell


def test_a_fresh_key_admits_exactly_burst_requests_at_one_instant(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(5, 1, burst=3, clock=clock)
    assert [g.check("k").allowed for _ in range(4)] == [True, True, True, False]


def test_retry_after_is_exact_refused_one_nanosecond_early_and_admitted_on_time(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(30, 60, burst=16, clock=clock)
    for _ in range(16):
        assert g.check("k")
    denied = g.check("k")
    assert denied.retry_after_ns == 2_000_000_000
    clock.advance_ns(denied.retry_after_ns - 1)
    assert not g.check("k")
    clock.advance_ns(1)
    assert g.check("k")


def test_the_free_tier_numbers_match_redis_cell(clock: ratecell.ManualClock) -> None:
    free = ratecell.Gcra.parse("100/minute burst 120", clock=clock)
    d = free.check("api-key")
    assert (d.limit, d.remaining, d.reset_after) == (120, 119, 0.6)
    clock.advance(5)
    assert free.peek("api-key").remaining == 120


def test_a_cost_spends_several_units_and_zero_peeks(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(10, 1, clock=clock)
    assert g.check("k", 4).remaining == 6
    peek = g.check("k", 0)
    assert peek.allowed and peek.remaining == 6
    assert g.check("k", 7).retry_after == pytest.approx(0.1)
    assert g.check("k", 6).remaining == 0


def test_keys_are_independent_and_no_key_is_the_default_key(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(1, 60, clock=clock)
    assert g.check() and not g.check(None)
    assert g.check("1") and g.check(b"1") and g.check(1)
    assert not g.check("1") and not g.check(b"1") and not g.check(1)
    assert g.check(-(2**100)) and not g.check(-(2**100))


def test_reset_forgets_a_key(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(1, 60, clock=clock)
    g.check("k")
    assert g.reset("k") is True
    assert g.reset("k") is False
    assert g.check("k")
    g.check("other")
    g.clear()
    assert g.stored_keys == 0


def test_a_clock_that_steps_back_admits_nothing_extra(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(2, 1, clock=clock)
    clock.set(10)
    assert g.check("k") and g.check("k")
    clock.set(9)
    assert not g.check("k")


def test_a_gcra_describes_itself(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra.parse("100/minute burst 120", name="free", clock=clock)
    assert (g.limit, g.period, g.burst, g.capacity, g.name) == (100, 60.0, 120, 120, "free")
    assert (g.max_keys, g.when_full) == (ratecell.DEFAULT_MAX_KEYS, "fail_closed")
    assert repr(g) == '<Gcra 100/minute burst 120 name="free">'
    assert isinstance(g, ratecell.RateLimiter)
