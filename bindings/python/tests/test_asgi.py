"""The ASGI middleware, run inside real Starlette and FastAPI applications."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

import ratecell
from ratecell.asgi import RateLimitMiddleware
from ratecell.web import Limits, Rule, header_key

NOW = 1_706_284_800.0


def hello(request: StarletteRequest) -> PlainTextResponse:
    return PlainTextResponse("hello")


def starlette_app(**options: Any) -> Starlette:
    app = Starlette(routes=[Route("/v1/sessions", hello, methods=["GET", "POST"]), Route("/v1/analysis", hello, methods=["POST"]), Route("/health", hello)])
    app.add_middleware(RateLimitMiddleware, **options)
    return app


@pytest.fixture
def clock() -> ratecell.ManualClock:
    return ratecell.ManualClock()


def test_requests_over_the_limit_get_429_with_the_published_body(clock: ratecell.ManualClock) -> None:
    app = starlette_app(rules=ratecell.Gcra.parse("2/minute", name="free", clock=clock), key=header_key("X-API-Key"), header_style="legacy")
    with TestClient(app) as client:
        for remaining in ("1", "0"):
            ok = client.get("/v1/sessions", headers={"X-API-Key": "k1"})
            assert ok.status_code == 200 and ok.text == "hello"
            assert ok.headers["x-ratelimit-limit"] == "2"
            assert ok.headers["x-ratelimit-remaining"] == remaining
        refused = client.get("/v1/sessions", headers={"X-API-Key": "k1"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    assert refused.headers["content-type"] == "application/json"
    error = refused.json()["error"]
    assert (error["code"], error["type"]) == ("rate_limit_exceeded", "rate_limit_error")
    assert error["details"]["limit"] == 2 and error["details"]["remaining"] == 0
    assert "retry after 30 seconds" in error["message"]


def test_keys_come_from_the_api_key_header_or_else_the_client_address(clock: ratecell.ManualClock) -> None:
    app = starlette_app(rules=ratecell.Gcra.parse("1/minute", clock=clock), key=header_key("X-API-Key"))
    with TestClient(app) as client:
        assert client.get("/health", headers={"X-API-Key": "a"}).status_code == 200
        assert client.get("/health", headers={"X-API-Key": "a"}).status_code == 429
        assert client.get("/health", headers={"X-API-Key": "b"}).status_code == 200
        # Without the header the key is the client's address (the test client's "testclient").
        assert client.get("/health").status_code == 200
        assert client.get("/health").status_code == 429


def test_each_route_has_its_own_limit_and_unmatched_routes_are_free(clock: ratecell.ManualClock) -> None:
    plan = ratecell.Gcra(60, 60, name="plan", clock=clock)
    rules = [
        Rule(ratecell.AllOf(plan, ratecell.Gcra(1, 60, name="analysis", clock=clock)), path="/v1/analysis", methods=["POST"]),
        Rule(plan, path="/v1/sessions"),
    ]
    app = starlette_app(rules=rules, header_style="ietf")
    with TestClient(app) as client:
        first = client.post("/v1/analysis")
        assert first.status_code == 200
        assert first.headers["ratelimit-policy"] == '"plan";q=60;w=60, "analysis";q=1;w=60'
        assert client.post("/v1/analysis").status_code == 429
        sessions = client.get("/v1/sessions")
        assert sessions.status_code == 200
        assert sessions.headers["ratelimit"] == '"plan";r=58;t=2'
        for _ in range(5):
            health = client.get("/health")
            assert health.status_code == 200 and "ratelimit" not in health.headers


@pytest.mark.parametrize(
    ("style", "fields"),
    [
        ("ietf", {"ratelimit-policy", "ratelimit"}),
        ("draft-8", {"ratelimit-policy", "ratelimit"}),
        ("draft-7", {"ratelimit-policy", "ratelimit"}),
        ("draft-6", {"ratelimit-policy", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"}),
        ("legacy", {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"}),
    ],
)
def test_every_header_style_reaches_the_response(clock: ratecell.ManualClock, style: str, fields: set[str]) -> None:
    app = starlette_app(rules=ratecell.Gcra.parse("5/second", clock=clock), header_style=style)
    with TestClient(app) as client:
        response = client.get("/health")
    assert fields <= set(response.headers), (style, dict(response.headers))


def test_no_header_style_sends_only_retry_after(clock: ratecell.ManualClock) -> None:
    app = starlette_app(rules=ratecell.Gcra.parse("1/second", clock=clock), header_style=None)
    with TestClient(app) as client:
        assert not any("ratelimit" in name for name in client.get("/health").headers)
        refused = client.get("/health")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"


def test_credits_running_out_answer_402(clock: ratecell.ManualClock) -> None:
    app = starlette_app(rules=[Rule(ratecell.Credits(2, clock=clock), path="/v1/analysis", cost=2)], key=header_key("X-API-Key"))
    with TestClient(app) as client:
        assert client.post("/v1/analysis", headers={"X-API-Key": "k"}).status_code == 200
        refused = client.post("/v1/analysis", headers={"X-API-Key": "k"})
    assert refused.status_code == 402
    assert "retry-after" not in refused.headers
    assert refused.json() == {
        "error": {
            "code": "insufficient_api_credits",
            "message": "API credits exhausted. Purchase more credits to continue.",
            "type": "permission_error",
        }
    }


def test_a_custom_message_replaces_the_default(clock: ratecell.ManualClock) -> None:
    app = starlette_app(rules=ratecell.Gcra.parse("1/minute", clock=clock), message="Slow down.")
    with TestClient(app) as client:
        client.get("/health")
        assert client.get("/health").json()["error"]["message"] == "Slow down."


def test_a_concurrency_lease_is_held_until_the_response_has_finished(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(1, ttl=60, clock=clock)
    streaming = threading.Event()
    finish = threading.Event()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"first "
        streaming.set()
        while not finish.is_set():  # without blocking the event loop other requests share
            await asyncio.sleep(0.005)
        yield b"last"

    async def stream(request: StarletteRequest) -> StreamingResponse:
        return StreamingResponse(chunks())

    app = Starlette(routes=[Route("/stream", stream), Route("/health", hello)])
    app.add_middleware(RateLimitMiddleware, concurrency=sessions, key=header_key("X-API-Key"))
    with TestClient(app) as client:
        results: dict[str, Any] = {}
        worker = threading.Thread(target=lambda: results.update(first=client.get("/stream", headers={"X-API-Key": "k"})))
        worker.start()
        assert streaming.wait(5)
        # The stream is still being sent: its lease is held and the next request is refused.
        assert sessions.peek("k").remaining == 0
        busy = client.get("/health", headers={"X-API-Key": "k"})
        assert busy.status_code == 429 and busy.json()["error"]["details"]["limit"] == 1
        finish.set()
        worker.join(5)
        assert results["first"].text == "first last"
        assert sessions.peek("k").remaining == 1
        assert client.get("/health", headers={"X-API-Key": "k"}).status_code == 200
    assert sessions.peek("k").remaining == 1


def test_a_failing_app_still_releases_its_lease(clock: ratecell.ManualClock) -> None:
    sessions = ratecell.Concurrency(1, ttl=60, clock=clock)

    def boom(request: StarletteRequest) -> PlainTextResponse:
        raise RuntimeError("boom")

    app = Starlette(routes=[Route("/boom", boom)])
    app.add_middleware(RateLimitMiddleware, concurrency=sessions)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500
    assert sessions.peek("testclient").remaining == 1


def test_fastapi_routes_are_limited_per_api_key(clock: ratecell.ManualClock) -> None:
    app = FastAPI()

    @app.post("/v1/sessions")
    def create_session() -> dict[str, str]:
        return {"id": "sess_1"}

    free = ratecell.Burst.parse("100/minute burst 120", burst_window=10, name="free", clock=clock)
    app.add_middleware(RateLimitMiddleware, rules=free, key=header_key("Authorization"), header_style="legacy")
    with TestClient(app) as client:
        codes = [client.post("/v1/sessions", headers={"Authorization": "Bearer k"}).status_code for _ in range(21)]
        assert codes == [200] * 20 + [429]
        ok = client.post("/v1/sessions", headers={"Authorization": "Bearer other"})
    assert ok.json() == {"id": "sess_1"} and ok.headers["x-ratelimit-limit"] == "100"


def test_websocket_and_lifespan_scopes_pass_through(clock: ratecell.ManualClock) -> None:
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket

    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text(await ws.receive_text())
        await ws.close()

    app = Starlette(routes=[WebSocketRoute("/ws", echo)])
    app.add_middleware(RateLimitMiddleware, rules=ratecell.Gcra.parse("1/minute", clock=clock))
    with TestClient(app) as client:
        for _ in range(3):
            with client.websocket_connect("/ws") as ws:
                ws.send_text("hi")
                assert ws.receive_text() == "hi"


def test_middleware_options_are_checked() -> None:
    with pytest.raises(TypeError, match="Rule"):
        Limits(["not a rule"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="either"):
        RateLimitMiddleware(hello, Limits(), key=header_key("X"))  # type: ignore[arg-type]
