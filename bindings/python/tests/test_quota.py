"""Quotas: limits, periods and bursts from arguments and from strings."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest

import ratecell


@pytest.mark.parametrize(
    ("text", "limit", "period", "burst"),
    [
        ("100/minute", 100, 60.0, 100),
        ("5/second", 5, 1.0, 5),
        ("1000 per hour", 1000, 3600.0, 1000),
        ("10/5s", 10, 5.0, 10),
        ("2/1.5s", 2, 1.5, 2),
        ("100/minute burst 120", 100, 60.0, 120),
    ],
)
def test_quota_strings_parse_as_providers_write_them(text: str, limit: int, period: float, burst: int) -> None:
    g = ratecell.Gcra.parse(text)
    assert (g.limit, g.period, g.burst) == (limit, period, burst)


def test_a_malformed_quota_string_says_what_and_where() -> None:
    with pytest.raises(ratecell.QuotaParseError) as caught:
        ratecell.Gcra.parse("100/mintue")
    assert caught.value.position == 4
    assert caught.value.input == "100/mintue"
    assert "time unit" in str(caught.value)
    assert isinstance(caught.value, ratecell.InvalidQuota)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("text", ["", "   ", "abc", "100", "100/", "100/minute burst", "0/minute", "1/0s", "100/minute extra"])
def test_every_malformed_quota_string_is_a_parse_error(text: str) -> None:
    with pytest.raises(ratecell.QuotaParseError):
        ratecell.Gcra.parse(text)


def test_a_quota_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="quota must be a str"):
        ratecell.Gcra.parse(100)  # type: ignore[arg-type]


def test_windows_refuse_a_burst_they_would_ignore() -> None:
    with pytest.raises(ratecell.InvalidQuota, match="takes no burst"):
        ratecell.FixedWindow.parse("100/minute burst 120")
    assert ratecell.FixedWindow.parse("100/minute").limit == 100


@pytest.mark.parametrize(
    ("period", "message"),
    [
        (math.nan, "nan"),
        (math.inf, "finite"),
        (-math.inf, "finite"),
        (-1.0, "negative"),
        (-1, "negative"),
        (0, "period must be longer than zero"),
        (0.0, "period must be longer than zero"),
        (1e-10, "period must be longer than zero"),
        (1e12, "too large"),
        (2**80, "too large"),
        (timedelta(days=-1), "negative"),
        (timedelta(days=300 * 365 * 3), "too large"),
    ],
)
def test_unusable_periods_are_invalid_quotas(period: Any, message: str) -> None:
    with pytest.raises(ratecell.InvalidQuota, match=message):
        ratecell.Gcra(10, period)


@pytest.mark.parametrize("period", ["60", None, True, [60], b"60"])
def test_a_period_of_another_type_is_a_type_error(period: Any) -> None:
    with pytest.raises(TypeError, match="period must be a number of seconds"):
        ratecell.Gcra(10, period)


@pytest.mark.parametrize(("limit", "error"), [(0, ratecell.InvalidQuota), (-5, ratecell.InvalidQuota), (2**64, ratecell.InvalidQuota), (2**200, ratecell.InvalidQuota), (1.5, TypeError), (True, TypeError), ("10", TypeError), (None, TypeError)])
def test_limits_are_whole_numbers_from_one(limit: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="limit"):
        ratecell.Gcra(limit, 60)


@pytest.mark.parametrize(("burst", "error"), [(0, ratecell.InvalidQuota), (-1, ratecell.InvalidQuota), (2.0, TypeError), (False, TypeError)])
def test_bursts_are_whole_numbers_from_one(burst: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="burst"):
        ratecell.Gcra(10, 60, burst=burst)


def test_a_burst_whose_refill_overflows_is_invalid() -> None:
    with pytest.raises(ratecell.InvalidQuota, match="burst is too large"):
        ratecell.Gcra(1, 86400 * 365, burst=10**6)


def test_periods_convert_exactly_to_nanoseconds(clock: ratecell.ManualClock) -> None:
    # 0.1 s is not exact in binary; it still means exactly 100 ms.
    g = ratecell.Gcra(1, 0.1, clock=clock)
    assert g.check().reset_after_ns == 100_000_000
    # A period from a timedelta, and from an int.
    assert ratecell.Gcra(1, timedelta(milliseconds=1500), clock=clock).check().reset_after_ns == 1_500_000_000
    assert ratecell.Gcra(1, 3, clock=clock).check().reset_after_ns == 3_000_000_000


def test_seven_per_minute_keeps_its_fractional_interval(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(7, 60, burst=1, clock=clock)
    # A client waiting 60/7 s (rounded up to the nanosecond) after each request is never
    # refused...
    for _ in range(70):
        assert g.check()
        clock.advance_ns(-(-60_000_000_000 // 7))
    # ...and a greedy one gets exactly 7 per minute, plus the burst of 7, over ten minutes.
    greedy = ratecell.Gcra(7, 60, clock=clock)
    start = clock.now_ns
    admitted = 0
    while clock.now_ns <= start + 600_000_000_000:
        d = greedy.check()
        admitted += d.allowed
        clock.advance_ns(d.retry_after_ns or 1)
    assert admitted == 7 + 70
