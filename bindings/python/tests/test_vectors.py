"""The conformance vectors of tests/vectors, replayed through the Python API: the same
limiters, instants and expectations as the Rust, C and Node replays, to the nanosecond."""

from __future__ import annotations

import json
from typing import Any, Union

import pytest

import ratecell
from conftest import ROOT

VECTORS = sorted((ROOT / "tests" / "vectors").glob("*.json"))
KEY = "vector-key"

Limiter = Union[ratecell.RateLimiter, ratecell.Concurrency]


def number(value: Union[int, str]) -> int:
    """Integers above 2**53 are written as decimal strings."""
    return int(value)


def seconds(ns: int) -> float:
    """Nanoseconds as float seconds, checked to convert back exactly."""
    s = ns / 1e9
    assert round(s * 1e9) == ns, f"{ns} ns does not survive float seconds"
    return s


def build(spec: dict[str, Any], clock: ratecell.ManualClock, name: str = "default") -> Limiter:
    algorithm = spec["algorithm"]
    if algorithm == "all_of":
        members = [build(m, clock) for m in spec["members"]]
        assert all(isinstance(m, ratecell.RateLimiter) for m in members)
        return ratecell.AllOf(*[m for m in members if isinstance(m, ratecell.RateLimiter)])
    if algorithm == "credits":
        return ratecell.Credits(number(spec["budget"]), clock=clock, name=name)
    if algorithm == "concurrency":
        return ratecell.Concurrency(number(spec["limit"]), ttl=seconds(number(spec["ttl_ns"])), clock=clock, name=name)
    quota = f"{number(spec['limit'])}/{number(spec['period_ns'])}ns"
    if "burst" in spec:
        quota += f" burst {number(spec['burst'])}"
    if algorithm == "gcra":
        return ratecell.Gcra.parse(quota, clock=clock, name=name)
    if algorithm == "token_bucket":
        return ratecell.TokenBucket.parse(quota, starts_empty=bool(spec.get("starts_empty", False)), clock=clock, name=name)
    if algorithm == "burst":
        window = seconds(number(spec["burst_window_ns"]))
        return ratecell.Burst.parse(quota, burst_window=window, clock=clock, name=name)
    if algorithm == "fixed_window":
        return ratecell.FixedWindow.parse(quota, clock=clock, name=name)
    if algorithm == "sliding_window":
        return ratecell.SlidingWindow.parse(quota, clock=clock, name=name)
    if algorithm == "sliding_log":
        return ratecell.SlidingLog.parse(quota, entries=number(spec.get("entries", 64)), clock=clock, name=name)
    raise AssertionError(f"unknown algorithm {algorithm}")


def cases() -> list[Any]:
    found = []
    for path in VECTORS:
        for case in json.loads(path.read_text())["cases"]:
            found.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return found


def test_every_vector_file_is_replayed() -> None:
    replayed = {p.values[0]["limiter"]["algorithm"] for p in cases()}
    assert replayed >= {
        "gcra", "burst", "fixed_window", "sliding_window", "sliding_log",
        "token_bucket", "credits", "concurrency", "all_of",
    }


def check_decision(d: ratecell.Decision, expect: dict[str, Any], where: str) -> None:
    got = {
        "allowed": d.allowed,
        "limit": d.limit,
        "remaining": d.remaining,
        "retry_after_ns": d.retry_after_ns,
        "reset_after_ns": d.reset_after_ns,
    }
    want = {k: (v if isinstance(v, bool) else number(v)) for k, v in expect.items() if k != "refused_by"}
    assert got == want, where
    if "refused_by" in expect:
        assert d.refused_by == expect["refused_by"], where


def check_headers(d: ratecell.Decision, case: dict[str, Any], step: dict[str, Any], where: str) -> None:
    """A case with "http" records the decision's response fields in every style, the
    decision taken at the wall-clock second ``unix_now_s``."""
    if "http" not in case:
        assert "headers" not in step, where
        return
    for style, fields in step["headers"].items():
        assert d.headers(style, now=case["http"]["unix_now_s"]) == fields, f"{style} fields, {where}"


ERRORS: dict[str, type[Exception]] = {
    "insufficient_capacity": ratecell.InsufficientCapacity,
    "credits_overflow": ratecell.RateCellError,
}


@pytest.mark.parametrize("case", cases())
def test_vector(case: dict[str, Any]) -> None:
    clock = ratecell.ManualClock()
    limiter = build(case["limiter"], clock, case.get("http", {}).get("name", "default"))
    leases: dict[str, ratecell.Lease] = {}
    reservations: dict[str, ratecell.Reservation] = {}
    for i, step in enumerate(case["steps"]):
        where = f"step {i}: {step}"
        if "now_ns" in step:
            clock.set_ns(number(step["now_ns"]))
        op = step["op"]
        if op in ("check", "top_up", "reserve") and "error" in step:
            with pytest.raises(ERRORS[step["error"]]):
                if op == "reserve":
                    assert isinstance(limiter, ratecell.TokenBucket)
                    limiter.reserve(KEY, number(step["cost"]), max_wait=seconds(number(step["max_wait_ns"])))
                elif op == "top_up":
                    assert isinstance(limiter, ratecell.Credits)
                    limiter.top_up(KEY, amount=number(step["amount"]))
                else:
                    assert isinstance(limiter, ratecell.RateLimiter)
                    limiter.check(KEY, step.get("costs", step.get("cost")))
            continue
        if op == "check":
            assert isinstance(limiter, ratecell.RateLimiter)
            cost = [number(c) for c in step["costs"]] if "costs" in step else number(step["cost"])
            d = limiter.check(KEY, cost)
            check_decision(d, step["expect"], where)
            check_headers(d, case, step, where)
        elif op == "peek":
            d = limiter.peek(KEY)
            check_decision(d, step["expect"], where)
            check_headers(d, case, step, where)
        elif op == "reset":
            limiter.reset(KEY)
        elif op == "top_up":
            assert isinstance(limiter, ratecell.Credits)
            assert limiter.top_up(KEY, amount=number(step["amount"])) == number(step["remaining"]), where
        elif op == "acquire":
            assert isinstance(limiter, ratecell.Concurrency)
            d = limiter.acquire(KEY)
            check_decision(d, step["expect"], where)
            check_headers(d, case, step, where)
            assert (d.lease is not None) == step["granted"], where
            if d.lease is not None:
                leases[step["lease"]] = d.lease
        elif op in ("release", "renew"):
            lease = leases[step["lease"]]
            done = lease.release() if op == "release" else lease.renew()
            assert done == step["done"], where
        elif op == "reserve":
            assert isinstance(limiter, ratecell.TokenBucket)
            r = limiter.reserve(KEY, number(step["cost"]), max_wait=seconds(number(step["max_wait_ns"])))
            assert r is not None, where
            assert (r.committed, r.ready_at_ns) == (step["committed"], number(step["ready_at_ns"])), where
            reservations[step["reservation"]] = r
        elif op == "cancel":
            assert reservations[step["reservation"]].cancel() == number(step["returned"]), where
        else:
            raise AssertionError(f"unknown op {op}")
