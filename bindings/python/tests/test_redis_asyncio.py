"""ratecell.redis.asyncio against a real redis-server: the vectors, all-of, leases, failure
policies with timeouts and recovery, concurrent tasks sharing one quota, and the ASGI
middleware."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import redis
from redis_server import Server, binary
from redis_vectors import ERRORS, build, cases, expected, fields, members, prefix
from test_vectors import number, seconds

import ratecell
from ratecell.redis import Breaker, Fallback, RedisUnavailable
from ratecell.redis.asyncio import RedisLease, RedisReservation, RedisStore

KEY = "vector-key"


async def replay(url: str, case: dict[str, Any]) -> None:
    clock = ratecell.ManualClock()
    store = RedisStore.from_url(url, timeout=2.0, prefix=prefix("async-vectors"), clock=clock, ttl_floor=3600)
    spec = case["limiter"]
    limiter: Any
    if spec["algorithm"] == "all_of":
        limiter = store.all_of(*members(spec, clock))
    elif spec["algorithm"] == "concurrency":
        policy = build(spec, clock)
        assert isinstance(policy, ratecell.Concurrency)
        limiter = store.concurrency(policy)
    else:
        policy = build(spec, clock)
        assert isinstance(policy, ratecell.RateLimiter)
        limiter = store.limiter(policy)
    leases: dict[str, RedisLease] = {}
    reservations: dict[str, RedisReservation] = {}
    for i, step in enumerate(case["steps"]):
        where = f"step {i}: {step}"
        if "now_ns" in step:
            clock.set_ns(number(step["now_ns"]))
        op = step["op"]
        cost = [number(c) for c in step["costs"]] if "costs" in step else number(step.get("cost", 1))
        if "error" in step:
            with pytest.raises(ERRORS[step["error"]]):
                if op == "top_up":
                    await limiter.top_up(KEY, amount=number(step["amount"]))
                elif op == "reserve":
                    await limiter.reserve(KEY, cost, max_wait=seconds(number(step["max_wait_ns"])))
                else:
                    await limiter.check(KEY, cost)
        elif op in ("check", "peek"):
            d = await (limiter.check(KEY, cost) if op == "check" else limiter.peek(KEY))
            assert fields(d) == expected(step["expect"]), where
            if "refused_by" in step["expect"]:
                assert d.refused_by == step["expect"]["refused_by"], where
        elif op == "reset":
            await limiter.reset(KEY)
        elif op == "top_up":
            assert await limiter.top_up(KEY, amount=number(step["amount"])) == number(step["remaining"]), where
        elif op == "acquire":
            d, lease = await limiter.acquire(KEY)
            assert fields(d) == expected(step["expect"]), where
            assert (lease is not None) == step["granted"], where
            if lease is not None:
                leases[step["lease"]] = lease
        elif op == "reserve":
            r = await limiter.reserve(KEY, cost, max_wait=seconds(number(step["max_wait_ns"])))
            assert (r.committed, r.ready_at_ns) == (step["committed"], number(step["ready_at_ns"])), where
            reservations[step["reservation"]] = r
        elif op == "cancel":
            assert await reservations[step["reservation"]].cancel() == number(step["returned"]), where
        elif op in ("release", "renew"):
            lease = leases[step["lease"]]
            done = await (lease.release() if op == "release" else lease.renew())
            assert done == step["done"], where
    await store.client.aclose()


@pytest.mark.parametrize("case", cases())
def test_every_vector_decides_through_asyncio_redis_as_the_core_does(redis_server: Server, case: dict[str, Any]) -> None:
    asyncio.run(replay(redis_server.url, case))


def test_concurrent_tasks_sharing_one_quota_admit_exactly_the_quota(redis_server: Server) -> None:
    async def main() -> int:
        client = redis.asyncio.Redis.from_url(redis_server.url, max_connections=256)
        store = RedisStore(client, timeout=2.0, prefix=prefix("async-load"))
        quota = store.limiter(ratecell.Gcra.parse("1/hour burst 70", name="shared"))
        plan = store.all_of(ratecell.Gcra.parse("1/hour burst 70", name="shared"), ratecell.Credits(1000, name="spend"))
        decisions = await asyncio.gather(*(quota.check("tenant") if i % 2 else plan.check("tenant") for i in range(200)))
        await store.client.aclose()
        return sum(1 for d in decisions if d)

    assert asyncio.run(main()) == 70


def test_when_redis_dies_the_policies_decide_at_once_and_redis_decides_again_when_back() -> None:
    path = binary()
    if path is None:
        pytest.skip("redis-server is not installed")
    server = Server(path)

    async def main() -> None:
        store = RedisStore.from_url(server.url, timeout=0.2, prefix=prefix("async-fault"), breaker=Breaker(failures=1, open_for=0.5))
        error = store.limiter(ratecell.Gcra.parse("10/minute", name="e"))
        opened = store.limiter(ratecell.Gcra.parse("10/minute", name="o"), on_failure="fail_open")
        fallback = store.limiter(ratecell.Gcra.parse("10/minute", name="f"), on_failure=Fallback(1, 5))
        sessions = store.concurrency(ratecell.Concurrency(3, ttl=30, name="s"), on_failure=Fallback(1, 3))
        assert (await error.check("k")).remaining == 9
        server.kill()
        with pytest.raises(RedisUnavailable):
            await error.check("k")
        assert store.health == "open"
        sent: list[object] = []
        real: Any = store.client.execute_command

        async def counted(*args: Any, **options: Any) -> Any:
            sent.append(args)
            return await real(*args, **options)

        store.client.execute_command = counted  # type: ignore[method-assign]
        assert (await opened.check("k")).remaining == 9
        assert [bool(await fallback.check("k")) for _ in range(3)] == [True, True, False]
        d, lease = await sessions.acquire("k")
        assert d and lease is not None and lease.local is not None
        assert not (await sessions.acquire("k"))[1]  # a third of 3 leases, here
        assert await lease.release()
        assert sent == []  # an open circuit answers without asking Redis
        server.start()
        await asyncio.sleep(0.55)
        assert (await fallback.check("k")).remaining == 9
        assert store.health == "closed"
        await store.client.aclose()

    try:
        asyncio.run(main())
    finally:
        server.close()


def test_a_slow_redis_times_out_after_the_store_timeout() -> None:
    path = binary()
    if path is None:
        pytest.skip("redis-server is not installed")
    server = Server(path)

    async def main() -> None:
        client = redis.asyncio.Redis.from_url(server.url)  # no socket timeout: the store's bounds the call
        store = RedisStore(client, timeout=0.05, prefix=prefix("async-slow"))
        free = store.limiter(ratecell.Gcra.parse("10/minute", name="free"), on_failure="fail_closed")
        assert (await free.check("k")).remaining == 9
        sleeper: Any = redis.asyncio.Redis.from_url(server.url)
        busy = asyncio.ensure_future(sleeper.execute_command("DEBUG", "SLEEP", "0.6"))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        d = await free.check("k")
        assert not d and d.retry_after > 0
        assert time.monotonic() - started < 0.4  # well before the server answers
        await busy
        await sleeper.aclose()
        await client.aclose()

    try:
        asyncio.run(main())
    finally:
        server.close()


def test_the_asgi_middleware_awaits_a_limit_kept_in_redis(redis_server: Server) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from ratecell.asgi import RateLimitMiddleware
    from ratecell.web import Rule, header_key

    def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    store = RedisStore.from_url(redis_server.url, timeout=1.0, prefix=prefix("asgi"))
    plan = ratecell.Gcra.parse("3/minute", name="plan")
    analysis = ratecell.Gcra.parse("2/minute", name="analysis")
    app = Starlette(routes=[Route("/v1/analysis", hello, methods=["POST"]), Route("/v1/items", hello)])
    rules = [Rule(store.all_of(plan, analysis), path="/v1/analysis"), Rule(store.limiter(plan), path="/v1/items")]
    app.add_middleware(RateLimitMiddleware, rules=rules, key=header_key("X-API-Key"), header_style="legacy")
    with TestClient(app) as client:
        headers = {"X-API-Key": "k"}
        assert [client.post("/v1/analysis", headers=headers).status_code for _ in range(3)] == [200, 200, 429]
        ok = client.get("/v1/items", headers=headers)  # the plan has one left
        assert ok.status_code == 200 and ok.headers["x-ratelimit-remaining"] == "0"
        refused = client.get("/v1/items", headers=headers)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limit_exceeded"
        assert client.portal is not None
        client.portal.call(store.client.aclose)  # on the loop its connections belong to


def test_the_asgi_middleware_holds_an_asyncio_redis_lease_until_the_response_ends(redis_server: Server) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from ratecell.asgi import RateLimitMiddleware
    from ratecell.web import header_key

    def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    store = RedisStore.from_url(redis_server.url, timeout=1.0, prefix=prefix("asgi-leases"))
    sessions = store.concurrency(ratecell.Concurrency(1, ttl=30, name="sessions"))
    app = Starlette(routes=[Route("/v1/sessions", hello)])
    app.add_middleware(RateLimitMiddleware, concurrency=sessions, key=header_key("X-API-Key"))
    with TestClient(app) as client:
        assert client.portal is not None
        headers = {"X-API-Key": "k"}
        assert [client.get("/v1/sessions", headers=headers).status_code for _ in range(2)] == [200, 200]
        assert client.portal.call(sessions.peek, "k").remaining == 1  # released after each response
        held, lease = client.portal.call(sessions.acquire, "k")  # another instance holds the slot
        assert held and lease is not None
        assert client.get("/v1/sessions", headers=headers).status_code == 429
        assert client.portal.call(lease.release)
        assert client.get("/v1/sessions", headers=headers).status_code == 200
        client.portal.call(store.client.aclose)


def test_a_blocking_limits_check_refuses_an_asyncio_limiter_clearly(redis_server: Server) -> None:
    from ratecell.web import Limits, Request

    store = RedisStore.from_url(redis_server.url, prefix=prefix("misuse"))
    limits = Limits(store.limiter(ratecell.Gcra.parse("3/minute", name="plan")))
    with pytest.raises(TypeError, match="ASGI"):
        limits.check(Request("GET", "/", {}, "10.0.0.1"))
    leases = Limits(concurrency=store.concurrency(ratecell.Concurrency(1, ttl=1, name="s")))
    with pytest.raises(TypeError, match="ASGI"):
        leases.check(Request("GET", "/", {}, "10.0.0.1"))
