"""Burst: the published burst tiers, sustained rate and peak enforced together."""

from __future__ import annotations

import pytest

import ratecell


@pytest.mark.parametrize(
    ("quota", "peak"),
    [("100/minute burst 120", 20), ("1000/minute burst 1200", 200), ("5000/minute burst 6000", 1000), ("50/minute burst 60", 10)],
)
def test_a_burst_tier_admits_its_peak_bucket_at_once(clock: ratecell.ManualClock, quota: str, peak: int) -> None:
    tier = ratecell.Burst.parse(quota, burst_window=10, clock=clock)
    assert tier.capacity == peak
    d = tier.check("k", peak)
    assert d and d.remaining == 0
    denied = tier.check("k")
    assert not denied
    clock.advance_ns(denied.retry_after_ns)
    assert tier.check("k")


def test_the_free_tier_waits_one_peak_interval(clock: ratecell.ManualClock) -> None:
    free = ratecell.Burst(100, 60, burst=120, burst_window=10, clock=clock)
    assert free.check("k", 20).limit == 20
    assert free.check("k").retry_after == 0.5
    assert (free.limit, free.period, free.burst, free.burst_window) == (100, 60.0, 120, 10.0)


def test_a_burst_window_shorter_than_one_request_is_invalid() -> None:
    with pytest.raises(ratecell.InvalidQuota, match="burst window is too short"):
        ratecell.Burst(100, 60, burst=120, burst_window=0.1)
    with pytest.raises(ratecell.InvalidQuota, match="burst_window"):
        ratecell.Burst(100, 60, burst_window=-1)
    with pytest.raises(TypeError, match="burst_window"):
        ratecell.Burst(100, 60, burst_window="10")  # type: ignore[arg-type]
