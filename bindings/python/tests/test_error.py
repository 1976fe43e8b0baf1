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
