"""What the blocking and asyncio Redis tests share: limiters built from the conformance
vectors' specs with names of their own, unique key prefixes, and the comparison of decisions."""

from __future__ import annotations

import itertools
import json
import os
from typing import Any, Union

import pytest
from conftest import ROOT
from test_vectors import number, seconds

import ratecell

Policy = Union[ratecell.RateLimiter, ratecell.Concurrency]
_next = itertools.count()


def prefix(test: str) -> str:
    """A key prefix no other test (or run) uses."""
    return f"t-{test}-{os.getpid()}-{next(_next)}"


def build(spec: dict[str, Any], clock: ratecell.ManualClock, name: str = "v") -> Policy:
    """The in-process limiter of a vector's spec, named ``name`` (an all-of: its members,
    named ``name0``, ``name1``, ...)."""
    algorithm = spec["algorithm"]
    if algorithm == "credits":
        return ratecell.Credits(number(spec["budget"]), name=name, clock=clock)
    if algorithm == "concurrency":
        return ratecell.Concurrency(number(spec["limit"]), ttl=seconds(number(spec["ttl_ns"])), name=name, clock=clock)
    quota = f"{number(spec['limit'])}/{number(spec['period_ns'])}ns"
    if "burst" in spec:
        quota += f" burst {number(spec['burst'])}"
    if algorithm == "gcra":
        return ratecell.Gcra.parse(quota, name=name, clock=clock)
    if algorithm == "token_bucket":
        return ratecell.TokenBucket.parse(quota, starts_empty=bool(spec.get("starts_empty", False)), name=name, clock=clock)
    if algorithm == "burst":
        return ratecell.Burst.parse(quota, burst_window=seconds(number(spec["burst_window_ns"])), name=name, clock=clock)
    if algorithm == "fixed_window":
        return ratecell.FixedWindow.parse(quota, name=name, clock=clock)
    if algorithm == "sliding_window":
        return ratecell.SlidingWindow.parse(quota, name=name, clock=clock)
    if algorithm == "sliding_log":
        return ratecell.SlidingLog.parse(quota, entries=number(spec.get("entries", 64)), name=name, clock=clock)
    raise AssertionError(f"unknown algorithm {algorithm}")


def members(spec: dict[str, Any], clock: ratecell.ManualClock) -> list[ratecell.RateLimiter]:
    built = [build(m, clock, f"m{i}") for i, m in enumerate(spec["members"])]
    return [m for m in built if isinstance(m, ratecell.RateLimiter)]


def cases() -> list[Any]:
    """Every vector case."""
    found = []
    for path in sorted((ROOT / "tests" / "vectors").glob("*.json")):
        for case in json.loads(path.read_text())["cases"]:
            found.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return found


def fields(d: ratecell.Decision) -> tuple[bool, int, int, int, int]:
    return (d.allowed, d.limit, d.remaining, d.retry_after_ns, d.reset_after_ns)


def expected(expect: dict[str, Any]) -> tuple[bool, int, int, int, int]:
    return (
        expect["allowed"],
        number(expect["limit"]),
        number(expect["remaining"]),
        number(expect["retry_after_ns"]),
        number(expect["reset_after_ns"]),
    )


ERRORS: dict[str, type[Exception]] = {
    "insufficient_capacity": ratecell.InsufficientCapacity,
    "credits_overflow": ratecell.RateCellError,
}
