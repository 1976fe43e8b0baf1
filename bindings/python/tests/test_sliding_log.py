"""SlidingLog: exact over every window, one entry per admitted request."""

from __future__ import annotations

import pytest

import ratecell


def test_the_sliding_log_is_exact_over_every_window(clock: ratecell.ManualClock) -> None:
    log = ratecell.SlidingLog.parse("5/second", clock=clock)
    clock.set(0.1)
    assert log.check("k", 3)
    clock.set(0.7)
    assert log.check("k", 2)
    clock.set(0.9)
    d = log.check("k")
    assert not d and d.retry_after == pytest.approx(0.2) and d.reset_after == pytest.approx(0.8)
    clock.set_ns(1_099_999_999)
    assert not log.check("k")
    clock.set(1.1)
    assert log.check("k", 3)


@pytest.mark.parametrize("limit", [1, 8, 9, 64, 65, 512, 513, 4096])
def test_a_log_holds_its_limit_of_unit_requests(clock: ratecell.ManualClock, limit: int) -> None:
    log = ratecell.SlidingLog(limit, 60, clock=clock)
    admitted = sum(log.check("k").allowed for _ in range(limit + 1))
    assert admitted == limit


def test_a_log_larger_than_4096_entries_is_refused() -> None:
    with pytest.raises(ratecell.InvalidQuota, match="at most 4096"):
        ratecell.SlidingLog(4097, 60)


def test_a_cost_above_the_limit_is_an_error(clock: ratecell.ManualClock) -> None:
    log = ratecell.SlidingLog(5, 1, clock=clock)
    with pytest.raises(ratecell.InsufficientCapacity):
        log.check("k", 6)


def test_a_log_with_fewer_entries_than_its_limit_admits_fewer_unit_requests(clock: ratecell.ManualClock) -> None:
    log = ratecell.SlidingLog(10, 1, entries=4, clock=clock)
    assert log.entries == 4
    assert sum(log.check("k").allowed for _ in range(10)) == 4
    assert not log.check("k", 6)  # the cost fits, the entry does not
    assert ratecell.SlidingLog(10, 1).entries == 16
    with pytest.raises(ratecell.InvalidQuota, match="entries"):
        ratecell.SlidingLog(10, 1, entries=0)
    with pytest.raises(ratecell.InvalidQuota, match="at most 4096"):
        ratecell.SlidingLog(10, 1, entries=5000)
