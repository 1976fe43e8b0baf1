"""Errors: one hierarchy under RateCellError (a ValueError), only for what waiting cannot fix;
every bad argument raises a clear error and changes nothing."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import ratecell


def test_every_ratecell_error_is_a_value_error() -> None:
    for error in (
        ratecell.InvalidQuota,
        ratecell.QuotaParseError,
        ratecell.InsufficientCapacity,
        ratecell.ConcurrencyLimitExceeded,
    ):
        assert issubclass(error, ratecell.RateCellError)
    assert issubclass(ratecell.RateCellError, ValueError)
    assert issubclass(ratecell.QuotaParseError, ratecell.InvalidQuota)
    assert ratecell.InvalidQuota.__module__ == "ratecell"


def test_a_cost_above_the_capacity_is_insufficient_capacity_and_changes_nothing(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(5, 1, clock=clock)
    with pytest.raises(ratecell.InsufficientCapacity) as caught:
        g.check("k", 6)
    assert (caught.value.capacity, caught.value.cost) == (5, 6)
    assert "can never be admitted" in str(caught.value)
    assert g.peek("k").remaining == 5
    assert g.stored_keys == 0
    with pytest.raises(ratecell.InsufficientCapacity):
        g.check("k", 2**70)


def test_a_denial_is_not_an_error(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(1, 1, clock=clock)
    g.check()
    assert not g.check()


# Each call gets the limiter untyped (Any): the arguments are wrong on purpose.
BAD_CALLS: list[tuple[str, Callable[[Any], Any], type[Exception]]] = [
    ("a float key", lambda g: g.check(1.5), TypeError),
    ("a bool key", lambda g: g.check(True), TypeError),
    ("a list key", lambda g: g.check(["k"]), TypeError),
    ("an int key beyond 128 bits", lambda g: g.check(2**200), ValueError),
    ("a negative cost", lambda g: g.check("k", -1), ValueError),
    ("a float cost", lambda g: g.check("k", 1.0), TypeError),
    ("a bool cost", lambda g: g.check("k", True), TypeError),
    ("a str cost", lambda g: g.check("k", "1"), TypeError),
    ("a list cost outside an AllOf", lambda g: g.check("k", [1]), TypeError),
    ("a float key to peek", lambda g: g.peek(1.5), TypeError),
    ("a float key to reset", lambda g: g.reset(1.5), TypeError),
    ("an unknown header style", lambda g: g.check("other").headers("draft-5"), ValueError),
    ("a header style that is not a str", lambda g: g.check("other").headers(7), TypeError),
    ("a negative Unix time", lambda g: g.check("other").headers("legacy", now=-1), ValueError),
    ("a negative timeout", lambda g: g.acquire("k", timeout=-1), ValueError),
    ("a NaN timeout", lambda g: g.acquire("k", timeout=float("nan")), ValueError),
    ("a bad key to acquire", lambda g: g.acquire(1.5), TypeError),
    ("a cost above the capacity to acquire", lambda g: g.acquire("k", 99), ratecell.InsufficientCapacity),
]


@pytest.mark.parametrize(("what", "call", "error"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_arguments_raise_and_change_nothing(
    clock: ratecell.ManualClock, what: str, call: Callable[[ratecell.Gcra], Any], error: type[Exception]
) -> None:
    g = ratecell.Gcra(10, 1, clock=clock)
    g.check("k", 3)
    with pytest.raises(error):
        call(g)
    assert g.peek("k").remaining == 7


BAD_OPTIONS: list[tuple[str, dict[str, Any], type[Exception]]] = [
    ("max_keys of zero", {"max_keys": 0}, ValueError),
    ("negative max_keys", {"max_keys": -3}, ValueError),
    ("huge max_keys", {"max_keys": 2**64}, ValueError),
    ("float max_keys", {"max_keys": 10.0}, TypeError),
    ("an unknown when_full", {"when_full": "drop"}, ValueError),
    ("a when_full that is not a str", {"when_full": 1}, TypeError),
    ("a name that is not a str", {"name": 5}, TypeError),
    ("a name with a newline", {"name": "a\nb"}, ValueError),
    ("an empty name", {"name": ""}, ValueError),
    ("a non-ASCII name", {"name": "café"}, ValueError),
    ("a clock that is not a clock", {"clock": object()}, TypeError),
]


@pytest.mark.parametrize(("what", "options", "error"), BAD_OPTIONS, ids=[c[0] for c in BAD_OPTIONS])
def test_bad_options_are_refused(what: str, options: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        ratecell.Gcra(10, 1, **options)


CONSTRUCTORS: list[tuple[str, Callable[..., Any]]] = [
    ("Gcra", lambda limit, period: ratecell.Gcra(limit, period)),
    ("TokenBucket", lambda limit, period: ratecell.TokenBucket(limit, period)),
    ("FixedWindow", lambda limit, period: ratecell.FixedWindow(limit, period)),
    ("SlidingWindow", lambda limit, period: ratecell.SlidingWindow(limit, period)),
    ("SlidingLog", lambda limit, period: ratecell.SlidingLog(limit, period)),
    ("Burst", lambda limit, period: ratecell.Burst(limit, period, burst_window=period)),
    ("Concurrency", lambda limit, period: ratecell.Concurrency(limit, ttl=period)),
]
BAD_NUMBERS: list[tuple[Any, Any, type[Exception]]] = [
    (0, 1, ratecell.InvalidQuota),
    (-1, 1, ratecell.InvalidQuota),
    (2**70, 1, ratecell.InvalidQuota),
    (1.5, 1, TypeError),
    (None, 1, TypeError),
    ("5", 1, TypeError),
    (5, 0, ValueError),
    (5, -1, ValueError),
    (5, float("nan"), ValueError),
    (5, float("inf"), ValueError),
    (5, 1e300, ValueError),
    (5, None, TypeError),
    (5, "1s", TypeError),
]


@pytest.mark.parametrize(("name", "build"), CONSTRUCTORS, ids=[c[0] for c in CONSTRUCTORS])
@pytest.mark.parametrize(("limit", "period", "error"), BAD_NUMBERS, ids=[f"{c[0]!r}/{c[1]!r}" for c in BAD_NUMBERS])
def test_every_primitive_refuses_unusable_numbers(
    name: str, build: Callable[..., Any], limit: Any, period: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        build(limit, period)


@pytest.mark.parametrize("budget", [-1, 2**64, 1.0, None, "10"])
def test_credits_refuse_an_unusable_budget(budget: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        ratecell.Credits(budget)


def test_a_str_key_that_is_not_valid_unicode_is_a_value_error(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(10, 1, clock=clock)
    with pytest.raises(ValueError):
        g.check("\ud800")
    assert g.stored_keys == 0


@pytest.mark.parametrize("quota", ["", "100", "100/", "/minute", "-1/minute", "0/minute", "1e3/minute", "100/fortnight", "100/minute burst", "100/minute burst 0", "100/minute burst -1", "18446744073709551616/second", "\x00"])
def test_every_primitive_refuses_a_malformed_quota_string(quota: str) -> None:
    for cls in (ratecell.Gcra, ratecell.TokenBucket):
        with pytest.raises(ratecell.InvalidQuota):
            cls.parse(quota)
    with pytest.raises(ratecell.InvalidQuota):
        ratecell.Burst.parse(quota, burst_window=1)
