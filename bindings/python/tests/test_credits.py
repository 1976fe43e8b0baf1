"""Credits: a budget that does not come back with time; running out is a 402, not a 429."""

from __future__ import annotations

import math

import pytest

import ratecell


def test_credits_run_out_and_only_a_top_up_helps(clock: ratecell.ManualClock) -> None:
    credits = ratecell.Credits(1000, name="credits", clock=clock)
    assert credits.check("acct", 588).remaining == 412
    out = credits.check("acct", 500)
    assert not out and math.isinf(out.retry_after) and out.remaining == 412
    assert out.status == 402
    clock.advance(86400)
    assert not credits.check("acct", 500)
    assert credits.top_up("acct", amount=100) == 512
    assert credits.check("acct", 500).remaining == 12


def test_credit_headers_report_remaining_and_used(clock: ratecell.ManualClock) -> None:
    credits = ratecell.Credits(1000, clock=clock)
    d = credits.check("acct", 588)
    assert d.headers("legacy", now=0) == {"X-API-Credits-Remaining": "412", "X-API-Credits-Used": "588"}


def test_the_402_body_asks_for_credits(clock: ratecell.ManualClock) -> None:
    credits = ratecell.Credits(1, clock=clock)
    credits.check("acct")
    assert credits.check("acct").body() == (
        '{"error":{"code":"insufficient_api_credits",'
        '"message":"API credits exhausted. Purchase more credits to continue.",'
        '"type":"permission_error"}}'
    )


def test_a_budget_of_zero_spends_only_top_ups(clock: ratecell.ManualClock) -> None:
    credits = ratecell.Credits(0, clock=clock)
    assert not credits.check("acct")
    credits.top_up("acct", amount=2)
    assert credits.check("acct", 2)
    assert credits.budget == 0


def test_a_top_up_that_would_overflow_adds_nothing(clock: ratecell.ManualClock) -> None:
    credits = ratecell.Credits(2**63, clock=clock)
    with pytest.raises(ratecell.RateCellError, match="overflow"):
        credits.top_up("acct", amount=2**63)
    assert credits.peek("acct").remaining == 2**63


def test_top_up_amounts_are_whole_numbers(clock: ratecell.ManualClock) -> None:
    credits = ratecell.Credits(10, clock=clock)
    with pytest.raises(ValueError, match="amount"):
        credits.top_up("acct", amount=-1)
    with pytest.raises(TypeError, match="amount"):
        credits.top_up("acct", amount=1.5)  # type: ignore[arg-type]
    with pytest.raises(ratecell.InvalidQuota, match="budget"):
        ratecell.Credits(-1)
    assert credits.peek("acct").remaining == 10
