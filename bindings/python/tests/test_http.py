"""HTTP: response fields in every style, error bodies, and reading fields back."""

from __future__ import annotations

import json
import time

import pytest

import ratecell

NOW = 1_706_284_800  # 2024-01-26T16:00:00Z, from a provider's example


@pytest.fixture
def denied(clock: ratecell.ManualClock) -> ratecell.Decision:
    g = ratecell.Gcra(100, 60, name="api", clock=clock)
    g.check("k", 100)
    return g.check("k")


def test_every_header_style(denied: ratecell.Decision) -> None:
    assert denied.headers("ietf") == {
        "RateLimit-Policy": '"api";q=100;w=60',
        "RateLimit": '"api";r=0;t=60',
        "Retry-After": "1",
    }
    assert denied.headers() == denied.headers("ietf")
    assert denied.headers("draft-8") == {
        "RateLimit-Policy": '"api"; q=100; w=60',
        "RateLimit": '"api"; r=0; t=60',
        "Retry-After": "1",
    }
    assert denied.headers("draft-7") == {
        "RateLimit-Policy": "100;w=60",
        "RateLimit": "limit=100, remaining=0, reset=60",
        "Retry-After": "1",
    }
    assert denied.headers("draft-6") == {
        "RateLimit-Policy": "100;w=60",
        "RateLimit-Limit": "100",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "60",
        "Retry-After": "1",
    }
    assert denied.headers("legacy", now=NOW) == {
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(NOW + 60),
        "Retry-After": "1",
    }


def test_legacy_reset_defaults_to_the_wall_clock_at_the_decision() -> None:
    g = ratecell.Gcra(100, 60)
    d = g.check()
    reset = int(d.headers("legacy")["X-RateLimit-Reset"])
    assert abs(reset - (time.time() + 0.6)) < 2


def test_the_429_body_has_the_published_shape(denied: ratecell.Decision) -> None:
    body = denied.body(now=NOW)
    assert body is not None
    assert json.loads(body) == {
        "error": {
            "code": "rate_limit_exceeded",
            "message": "Rate limit exceeded. Please retry after 1 second.",
            "type": "rate_limit_error",
            "details": {"limit": 100, "remaining": 0, "reset_at": "2024-01-26T16:01:00Z"},
        }
    }
    custom = denied.body(now=NOW, message='Slow "down"')
    assert custom is not None and json.loads(custom)["error"]["message"] == 'Slow "down"'


def test_an_admitted_request_has_no_error_body(clock: ratecell.ManualClock) -> None:
    assert ratecell.Gcra(1, 1, clock=clock).check().body() is None


def test_an_allof_lists_every_policy(clock: ratecell.ManualClock) -> None:
    plan = ratecell.Gcra(120, 60, name="plan", clock=clock)
    analysis = ratecell.AllOf(plan, ratecell.Gcra(30, 60, name="analysis", clock=clock))
    d = analysis.check("k")
    assert d.headers() == {
        "RateLimit-Policy": '"plan";q=120;w=60, "analysis";q=30;w=60',
        "RateLimit": '"plan";r=119;t=1, "analysis";r=29;t=2',
    }
    # Single-valued styles report the policy closest to refusing.
    assert d.headers("draft-6")["RateLimit-Remaining"] == "29"


def test_concurrency_fields_count_concurrent_requests(clock: ratecell.ManualClock) -> None:
    c = ratecell.Concurrency(2, ttl=30, name="sessions", clock=clock)
    assert c.acquire("k").headers() == {
        "RateLimit-Policy": '"sessions";q=2;qu="concurrent-requests"',
        "RateLimit": '"sessions";r=1;t=30',
    }


def test_what_a_server_writes_a_client_reads_back(denied: ratecell.Decision) -> None:
    for style in ("ietf", "draft-8", "draft-7", "draft-6", "legacy"):
        info = ratecell.parse_headers(denied.headers(style, now=NOW), now=NOW)
        assert (info.limit, info.remaining, info.reset, info.retry_after) == (100, 0, 60.0, 1.0), style


def test_headers_are_read_from_any_mapping_or_pairs() -> None:
    pairs: list[tuple[str | bytes, str | bytes]] = [(b"x-ratelimit-limit", b"120"), ("X-RateLimit-Remaining", "118"), ("X-API-Credits-Remaining", "412"), ("X-API-Credits-Used", "588")]
    info = ratecell.parse_headers(pairs)
    assert (info.limit, info.remaining, info.credits_remaining, info.credits_used) == (120, 118, 412, 588)
    assert ratecell.parse_headers({k: v for k, v in pairs[1:]}).remaining == 118
    assert ratecell.parse_headers({}).limit is None
    assert "limit=None" in repr(ratecell.parse_headers({}))


def test_malformed_fields_are_left_out() -> None:
    info = ratecell.parse_headers({"X-RateLimit-Limit": "lots", "RateLimit": "???", "Retry-After": "-1"})
    assert (info.limit, info.remaining, info.retry_after) == (None, None, None)


@pytest.mark.parametrize("headers", ["X-RateLimit-Limit: 1", b"raw", 5, [("only-a-name",)], [(1, "1")]])
def test_headers_of_another_shape_are_type_errors(headers: object) -> None:
    with pytest.raises(TypeError):
        ratecell.parse_headers(headers)  # type: ignore[arg-type]


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert ratecell.parse_retry_after("12") == 12.0
    assert ratecell.parse_retry_after(b"Sun, 06 Nov 1994 08:50:00 GMT", date="Sun, 06 Nov 1994 08:49:00 GMT") == 60.0
    assert ratecell.parse_retry_after("Sun, 06 Nov 1994 08:50:00 GMT", now=784111777) == 23.0
    assert ratecell.parse_retry_after("soon") is None
