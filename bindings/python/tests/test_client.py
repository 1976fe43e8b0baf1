"""The client side: retries with jittered backoff, and pacing."""

from __future__ import annotations

import pytest

import ratecell


def waits(policy: ratecell.RetryPolicy, seed: int, n: int) -> list[float]:
    retry = policy.start(seed=seed)
    out = []
    for _ in range(n):
        d = retry.decide(503)
        assert d.action == "retry" and d.after is not None
        out.append(d.after)
    return out


def test_backoff_doubles_up_to_the_cap_without_jitter() -> None:
    policy = ratecell.RetryPolicy(base=0.1, cap=1, jitter="none", max_attempts=10, max_elapsed=3600)
    assert waits(policy, 1, 6) == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_jitter_is_reproducible_with_a_seed_and_stays_under_the_ceiling() -> None:
    policy = ratecell.RetryPolicy(base=0.1, cap=10, jitter="full", max_attempts=10, max_elapsed=3600)
    first = waits(policy, 7, 5)
    assert first == waits(policy, 7, 5)
    assert first != waits(policy, 8, 5)
    assert all(0 <= w <= 0.1 * 2**i for i, w in enumerate(first))


def test_a_429_waits_at_least_its_retry_after() -> None:
    retry = ratecell.RetryPolicy(base=0.1, cap=1).start(seed=1)
    d = retry.decide(429, {"Retry-After": "3"})
    assert d and d.after is not None and d.after >= 3
    info = ratecell.parse_headers({"Retry-After": "5"})
    later = retry.decide(429, info)
    assert later.after is not None and later.after >= 5


def test_a_402_asks_for_credits_and_other_statuses_stop() -> None:
    retry = ratecell.RetryPolicy().start()
    assert retry.decide(402).action == "top_up_credits"
    assert not retry.decide(402)
    assert retry.decide(200).action == "stop"
    assert retry.decide(404).action == "stop"
    assert retry.attempts == 4
    assert ratecell.RetryPolicy().start().decide(None).action == "retry"


def test_retries_give_up_after_max_attempts_or_max_elapsed(clock: ratecell.ManualClock) -> None:
    retry = ratecell.RetryPolicy(max_attempts=2).start(seed=1)
    assert retry.decide(500)
    d = retry.decide(500)
    assert (d.action, d.reason) == ("give_up", "attempts")
    retry = ratecell.RetryPolicy(max_elapsed=10).start(seed=1, clock=clock)
    clock.advance(9)
    d = retry.decide(429, {"Retry-After": "2"})
    assert (d.action, d.reason) == ("give_up", "deadline")
    assert repr(d) == "RetryDecision(action='give_up', reason='deadline')"


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"base": 0}, ValueError),
        ({"base": 2, "cap": 1}, ValueError),
        ({"base": -1}, ValueError),
        ({"jitter": "lots"}, ValueError),
        ({"jitter": 1}, TypeError),
        ({"max_attempts": 0}, ValueError),
        ({"max_attempts": 1.5}, TypeError),
        ({"max_elapsed": float("inf")}, ValueError),
    ],
)
def test_retry_policies_check_their_options(options: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        ratecell.RetryPolicy(**options)  # type: ignore[arg-type]


def test_statuses_are_http_codes() -> None:
    retry = ratecell.RetryPolicy().start()
    with pytest.raises(ValueError):
        retry.decide(99)
    with pytest.raises(TypeError):
        retry.decide("429")  # type: ignore[arg-type]
    assert retry.attempts == 0


def test_a_pacer_spreads_what_remains_until_the_reset() -> None:
    pacer = ratecell.Pacer()
    plenty = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "50", "X-RateLimit-Reset": "30"}
    low = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "10", "X-RateLimit-Reset": "30"}
    assert pacer.delay(plenty) == 0.0
    assert pacer.delay(low) == 3.0
    assert pacer.delay(low, elapsed=1) == 2.0
    assert pacer.delay({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"}) == 30.0
    assert ratecell.Pacer.always().delay(plenty) == pytest.approx(0.6)
    assert ratecell.Pacer(low_water=50).delay(plenty) == pytest.approx(0.6)
    with pytest.raises(ValueError):
        ratecell.Pacer(low_water_percent=101)
