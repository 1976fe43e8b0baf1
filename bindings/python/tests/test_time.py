"""Clocks: the monotonic default and ManualClock, and seconds as exact nanoseconds."""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any

import pytest

import ratecell


def test_a_manual_clock_starts_at_zero_and_moves_only_when_told() -> None:
    clock = ratecell.ManualClock()
    assert (clock.now(), clock.now_ns) == (0.0, 0)
    assert clock.advance(1.5) == 1.5
    assert clock.advance_ns(1) == 1_500_000_001
    clock.set(0.25)
    assert clock.now_ns == 250_000_000
    clock.set_ns(2**64 - 1)
    assert clock.now_ns == 2**64 - 1
    assert ratecell.ManualClock(start=timedelta(seconds=3)).now() == 3.0
    assert repr(ratecell.ManualClock(2)) == "ManualClock(now=2.0)"


def test_advancing_past_the_end_of_time_saturates() -> None:
    clock = ratecell.ManualClock()
    clock.set_ns(2**64 - 10)
    assert clock.advance(1) == math.inf
    assert clock.now_ns == 2**64 - 1


@pytest.mark.parametrize(("value", "error"), [(-1, ValueError), (math.nan, ValueError), (math.inf, ValueError), ("1", TypeError), (None, TypeError), (True, TypeError)])
def test_a_manual_clock_refuses_bad_moves_and_stays_put(value: Any, error: type[Exception]) -> None:
    clock = ratecell.ManualClock(5)
    with pytest.raises(error):
        clock.advance(value)
    with pytest.raises(error):
        clock.set(value)
    assert clock.now() == 5.0


@pytest.mark.parametrize(("value", "error"), [(-1, ValueError), (2**64, ValueError), (1.0, TypeError), (False, TypeError)])
def test_nanosecond_moves_take_whole_numbers(value: Any, error: type[Exception]) -> None:
    clock = ratecell.ManualClock()
    with pytest.raises(error):
        clock.advance_ns(value)
    with pytest.raises(error):
        clock.set_ns(value)
    assert clock.now_ns == 0


def test_one_manual_clock_drives_several_limiters() -> None:
    clock = ratecell.ManualClock()
    a = ratecell.Gcra(1, 1, clock=clock)
    b = ratecell.FixedWindow(1, 1, clock=clock)
    assert a.check() and b.check()
    assert not a.check() and not b.check()
    clock.advance(1)
    assert a.check() and b.check()
    assert a.clock is clock and b.clock is clock


def test_the_monotonic_clock_is_the_default_and_moves_forward() -> None:
    g = ratecell.Gcra(10, 1)
    assert isinstance(g.clock, ratecell.MonotonicClock)
    assert g.clock == ratecell.MonotonicClock()
    first = g.clock.now_ns
    time.sleep(0.002)
    assert g.clock.now_ns - first >= 2_000_000


def test_the_monotonic_clock_counts_from_utc_midnight_so_windows_follow_the_wall_clock() -> None:
    # Both clocks agree on the time of day (to well under a second), so a one-minute
    # FixedWindow resets on the wall clock's minute.
    since_midnight = ratecell.MonotonicClock().now() % 86400
    wall = time.time() % 86400
    drift = abs(since_midnight - wall)
    assert min(drift, 86400 - drift) < 1.0


def test_a_clock_of_another_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="clock must be"):
        ratecell.Gcra(1, 1, clock=time)  # type: ignore[arg-type]
