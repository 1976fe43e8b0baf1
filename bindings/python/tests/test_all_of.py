"""AllOf: several limiters as one, all or nothing, members sharing their stores."""

from __future__ import annotations

from typing import Any

import pytest

import ratecell


def test_a_plan_limit_is_shared_by_its_endpoint_groups(clock: ratecell.ManualClock) -> None:
    plan = ratecell.Gcra(120, 60, name="plan", clock=clock)
    analysis = ratecell.AllOf(plan, ratecell.Gcra(30, 60, name="analysis", clock=clock))
    sessions = ratecell.AllOf(plan, ratecell.Gcra(120, 60, name="sessions", clock=clock))
    assert all(analysis.check("key") for _ in range(30))
    refused = analysis.check("key")
    assert not refused and refused.refused_by == 1 and refused.retry_after == 2.0
    # The refused request charged nobody: the plan has 90 left, for every group.
    assert plan.peek("key").remaining == 90
    assert sum(sessions.check("key").allowed for _ in range(91)) == 90
    last = sessions.check("key")
    assert last.refused_by == 0


def test_each_member_may_be_charged_its_own_cost(clock: ratecell.ManualClock) -> None:
    socket = ratecell.AllOf(
        ratecell.Gcra(500, 1, name="messages", clock=clock),
        ratecell.Gcra(64_000, 1, name="bytes", clock=clock),
    )
    audio = 16_000
    assert all(socket.check("conn", [1, audio]) for _ in range(4))
    d = socket.check("conn", (1, audio))
    assert d.refused_by == 1 and d.retry_after == 0.25
    assert socket.check("conn", [1, 0]).allowed


def test_an_allof_checks_its_costs(clock: ratecell.ManualClock) -> None:
    both = ratecell.AllOf(ratecell.Gcra(10, 1, clock=clock), ratecell.Gcra(5, 1, clock=clock))
    assert both.capacity == 5
    with pytest.raises(ratecell.InsufficientCapacity) as caught:
        both.check("k", 6)
    assert caught.value.capacity == 5
    with pytest.raises(ratecell.InsufficientCapacity):
        both.check("k", [1, 6])
    with pytest.raises(ValueError, match="expected 2 costs"):
        both.check("k", [1])
    with pytest.raises(TypeError):
        text_cost: Any = "1"
        both.check("k", text_cost)
    with pytest.raises(ValueError):
        both.check("k", [1, -1])
    assert both.peek("k").remaining == 5


def test_members_must_be_rate_limiters_on_one_clock_listed_once(clock: ratecell.ManualClock) -> None:
    g = ratecell.Gcra(1, 1, clock=clock)
    with pytest.raises(ValueError, match="listed twice"):
        ratecell.AllOf(g, g)
    with pytest.raises(ValueError, match="same clock"):
        ratecell.AllOf(g, ratecell.Gcra(1, 1))
    with pytest.raises(TypeError, match="SlidingLog"):
        ratecell.AllOf(g, ratecell.SlidingLog(1, 1, clock=clock))
    with pytest.raises(TypeError, match="another AllOf"):
        ratecell.AllOf(g, ratecell.AllOf(ratecell.Gcra(2, 1, clock=clock)))
    with pytest.raises(TypeError, match="AllOf member"):
        ratecell.AllOf(g, ratecell.Concurrency(1, ttl=1, clock=clock))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one member"):
        ratecell.AllOf()


def test_credits_and_rates_combine_into_one_402(clock: ratecell.ManualClock) -> None:
    plan = ratecell.Gcra(100, 60, name="plan", clock=clock)
    credits = ratecell.Credits(2, name="credits", clock=clock)
    metered = ratecell.AllOf(plan, credits)
    assert metered.check("acct") and metered.check("acct")
    out = metered.check("acct")
    assert out.status == 402 and out.refused_by == 1
    assert plan.peek("acct").remaining == 98
    headers = out.headers("ietf")
    assert headers["X-API-Credits-Remaining"] == "0"
    assert "Retry-After" not in headers


def test_reset_and_peek_cover_every_member(clock: ratecell.ManualClock) -> None:
    a, b = ratecell.Gcra(2, 1, clock=clock), ratecell.Gcra(3, 1, clock=clock)
    both = ratecell.AllOf(a, b)
    both.check("k")
    assert both.peek("k").remaining == 1
    assert both.stored_keys == 2
    assert both.reset("k") and not both.reset("k")
    assert a.peek("k").remaining == 2 and b.peek("k").remaining == 3
    assert both.members == (a, b)
    assert both.max_keys is None and both.when_full is None
