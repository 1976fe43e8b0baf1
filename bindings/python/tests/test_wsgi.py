"""The WSGI middleware, run inside a real Flask application."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, Response

import ratecell
from ratecell.web import Rule, header_key
from ratecell.wsgi import RateLimitMiddleware, request_of


@pytest.fixture
def clock() -> ratecell.ManualClock:
    return ratecell.ManualClock()


def flask_app(**options: Any) -> Flask:
    app = Flask(__name__)

    @app.route("/v1/sessions", methods=["GET", "POST"])
    def sessions() -> dict[str, str]:
        return {"id": "sess_1"}

    @app.post("/v1/analysis")
    def analysis() -> str:
        return "queued"

    @app.get("/health")
    def health() -> str:
        return "ok"

    app.wsgi_app = RateLimitMiddleware(app.wsgi_app, **options)  # type: ignore[method-assign]
    return app


def test_requests_over_the_limit_get_429_with_the_published_body(clock: ratecell.ManualClock) -> None:
    app = flask_app(rules=ratecell.Gcra.parse("2/minute", name="free", clock=clock), key=header_key("X-API-Key"), header_style="legacy")
    client = app.test_client()
    for remaining in ("1", "0"):
        ok = client.get("/v1/sessions", headers={"X-API-Key": "k1"})
        assert ok.status_code == 200 and ok.get_json() == {"id": "sess_1"}
        assert ok.headers["X-RateLimit-Limit"] == "2"
        assert ok.headers["X-RateLimit-Remaining"] == remaining
    refused = client.get("/v1/sessions", headers={"X-API-Key": "k1"})
    assert refused.status == "429 Too Many Requests"
    assert refused.headers["Retry-After"] == "30"
    assert refused.content_type == "application/json"
    body = refused.get_json()
    assert body is not None
    error = body["error"]
    assert (error["code"], error["type"]) == ("rate_limit_exceeded", "rate_limit_error")
    assert error["details"]["limit"] == 2 and error["details"]["remaining"] == 0


def test_keys_come_from_the_api_key_header_or_else_the_client_address(clock: ratecell.ManualClock) -> None:
    client = flask_app(rules=ratecell.Gcra.parse("1/minute", clock=clock), key=header_key("X-API-Key")).test_client()
    assert client.get("/health", headers={"X-API-Key": "a"}).status_code == 200
    assert client.get("/health", headers={"X-API-Key": "a"}).status_code == 429
    assert client.get("/health", headers={"X-API-Key": "b"}).status_code == 200
    assert client.get("/health", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
    assert client.get("/health", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 429
    assert client.get("/health", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200


def test_each_route_has_its_own_limit_and_unmatched_routes_are_free(clock: ratecell.ManualClock) -> None:
    plan = ratecell.Gcra(60, 60, name="plan", clock=clock)
    rules = [
        Rule(ratecell.AllOf(plan, ratecell.Gcra(1, 60, name="analysis", clock=clock)), path="/v1/analysis", methods=["POST"]),
        Rule(plan, path="/v1/sessions"),
    ]
    client = flask_app(rules=rules, header_style="draft-7").test_client()
    assert client.post("/v1/analysis").status_code == 200
    refused = client.post("/v1/analysis")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert client.get("/v1/sessions").headers["RateLimit"] == "limit=60, remaining=58, reset=2"
    health = client.get("/health")
    assert health.status_code == 200 and "RateLimit" not in health.headers


def test_credits_running_out_answer_402(clock: ratecell.ManualClock) -> None:
    client = flask_app(rules=[Rule(ratecell.Credits(3, clock=clock), path="/v1/analysis", cost=2)]).test_client()
    assert client.post("/v1/analysis").status_code == 200
    refused = client.post("/v1/analysis")
    assert refused.status == "402 Payment Required"
    body = refused.get_json()
    assert body is not None and body["error"]["code"] == "insufficient_api_credits"
    assert body["error"]["type"] == "permission_error"


def test_a_concurrency_lease_is_held_until_the_response_has_been_sent(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(1, ttl=60, clock=clock)
    app = Flask(__name__)

    @app.get("/stream")
    def stream() -> Response:
        def chunks() -> Iterator[str]:
            yield "first "
            yield "last"

        return Response(chunks())

    @app.get("/health")
    def health() -> str:
        return "ok"

    app.wsgi_app = RateLimitMiddleware(app.wsgi_app, concurrency=sessions)  # type: ignore[method-assign]
    client = app.test_client()
    streamed = client.get("/stream", buffered=False)
    # The body has not been read yet: the lease is held and a second request is refused.
    assert streamed.status_code == 200 and sessions.peek("127.0.0.1").remaining == 0
    assert client.get("/health").status_code == 429
    assert streamed.get_data() == b"first last"
    streamed.close()
    assert sessions.peek("127.0.0.1").remaining == 1
    with client.get("/health") as ok:  # closed as a server closes it: the lease ends
        assert ok.status_code == 200 and sessions.peek("127.0.0.1").remaining == 0
    assert sessions.peek("127.0.0.1").remaining == 1


def test_a_failing_app_still_releases_its_lease(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(1, ttl=60, clock=clock)
    app = Flask(__name__)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    app.wsgi_app = RateLimitMiddleware(app.wsgi_app, concurrency=sessions)  # type: ignore[method-assign]
    failed = app.test_client().get("/boom")
    assert failed.status_code == 500 and sessions.peek("127.0.0.1").remaining == 0
    failed.close()  # as a server does once the error page is sent
    assert sessions.peek("127.0.0.1").remaining == 1


def test_a_wsgi_environ_is_read_as_a_request() -> None:
    request = request_of({"REQUEST_METHOD": "POST", "PATH_INFO": "", "HTTP_X_API_KEY": "k", "CONTENT_TYPE": "application/json", "REMOTE_ADDR": ""})
    assert (request.method, request.path, request.client) == ("POST", "/", None)
    assert request.headers == {"x-api-key": "k", "content-type": "application/json"}
