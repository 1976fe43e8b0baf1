"""ratecell.redis (blocking) against a real redis-server: the shared vectors and random traffic
decide exactly as the in-process limiters, failure policies and recovery, several processes
sharing one quota, the middlewares, and bad inputs."""

from __future__ import annotations

import multiprocessing
import random
import re
import threading
import time
from typing import Any, Callable

import pytest
import redis
from conftest import ROOT
from redis_server import Server, binary
from redis_vectors import ERRORS, Policy, build, cases, expected, fields, members, prefix
from test_vectors import number, seconds

import ratecell
from ratecell.redis import Breaker, FailurePolicy, Fallback, RedisLease, RedisReservation, RedisScriptError, RedisStore, RedisUnavailable

KEY = "vector-key"
FLOOR = 3600  # keys outlive the simulated instants


def store_at(server: Server, clock: ratecell.ManualClock, test: str, **options: Any) -> RedisStore:
    return RedisStore.from_url(server.url, timeout=2.0, prefix=prefix(test), clock=clock, ttl_floor=FLOOR, **options)


@pytest.mark.parametrize("case", cases())
def test_every_vector_decides_through_redis_as_the_core_does(redis_server: Server, case: dict[str, Any]) -> None:
    clock = ratecell.ManualClock()
    store = store_at(redis_server, clock, "vectors")
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
                    limiter.top_up(KEY, amount=number(step["amount"]))
                elif op == "reserve":
                    limiter.reserve(KEY, cost, max_wait=seconds(number(step["max_wait_ns"])))
                else:
                    limiter.check(KEY, cost)
        elif op in ("check", "peek"):
            d = limiter.check(KEY, cost) if op == "check" else limiter.peek(KEY)
            assert fields(d) == expected(step["expect"]), where
            if "refused_by" in step["expect"]:
                assert d.refused_by == step["expect"]["refused_by"], where
        elif op == "reset":
            limiter.reset(KEY)
        elif op == "top_up":
            assert limiter.top_up(KEY, amount=number(step["amount"])) == number(step["remaining"]), where
        elif op == "acquire":
            d, lease = limiter.acquire(KEY)
            assert fields(d) == expected(step["expect"]), where
            assert (lease is not None) == step["granted"], where
            if lease is not None:
                leases[step["lease"]] = lease
        elif op == "reserve":
            r = limiter.reserve(KEY, cost, max_wait=seconds(number(step["max_wait_ns"])))
            assert (r.committed, r.ready_at_ns) == (step["committed"], number(step["ready_at_ns"])), where
            reservations[step["reservation"]] = r
        elif op == "cancel":
            assert reservations[step["reservation"]].cancel() == number(step["returned"]), where
        elif op in ("release", "renew"):
            lease = leases[step["lease"]]
            assert (lease.release() if op == "release" else lease.renew()) == step["done"], where
        else:
            raise AssertionError(f"unexpected op {op}")


POLICIES: list[Callable[[ratecell.ManualClock], ratecell.RateLimiter]] = [
    lambda c: ratecell.Gcra.parse("7/3s burst 4", name="g", clock=c),
    lambda c: ratecell.TokenBucket.parse("5/2s burst 3", name="t", clock=c),
    lambda c: ratecell.TokenBucket.parse("5/2s burst 3", starts_empty=True, name="te", clock=c),
    lambda c: ratecell.FixedWindow.parse("4/1s", name="f", clock=c),
    lambda c: ratecell.SlidingWindow.parse("6/2s", name="s", clock=c),
    lambda c: ratecell.SlidingLog.parse("5/2s", entries=4, name="l", clock=c),
    lambda c: ratecell.Burst.parse("10/10s burst 20", burst_window=2, name="b", clock=c),
    lambda c: ratecell.Credits(9, name="c", clock=c),
]


@pytest.mark.parametrize("make", POLICIES, ids=["gcra", "token_bucket", "empty_bucket", "fixed_window", "sliding_window", "sliding_log", "burst", "credits"])
def test_random_traffic_decides_every_field_as_the_in_process_limiter(redis_server: Server, make: Callable[[ratecell.ManualClock], ratecell.RateLimiter]) -> None:
    rng = random.Random(7)
    clock = ratecell.ManualClock(1000)
    local = make(clock)
    shared = store_at(redis_server, clock, "random").limiter(local)
    # Time only moves forward here: the in-process store forgets a key as soon as it is fresh
    # and Redis when it expires in real time, so after a step back over a fresh instant the
    # two would remember differently (the vectors replay steps back on one state).
    for step in range(250):
        clock.advance_ns(rng.choice([0, 1, 999, 10**6, 10**8, 3 * 10**8, 10**9]))
        key = rng.choice(["a", "b"])
        cost = rng.choice([0, 1, 1, 1, 2, 3, local.capacity + 1] if local.capacity < 100 else [0, 1, 2])
        if cost > local.capacity:
            with pytest.raises(ratecell.InsufficientCapacity):
                local.check(key, cost)
            with pytest.raises(ratecell.InsufficientCapacity):
                shared.check(key, cost)
            continue
        assert fields(shared.check(key, cost)) == fields(local.check(key, cost)), f"step {step}"
        if rng.random() < 0.03:
            shared.reset(key)
            local.reset(key)


def test_an_all_of_decides_in_one_call_all_or_nothing_as_the_in_process_all_of(redis_server: Server) -> None:
    rng = random.Random(3)
    clock = ratecell.ManualClock(5)
    plan = ratecell.Gcra.parse("10/10s burst 5", name="plan", clock=clock)
    group = ratecell.FixedWindow.parse("3/2s", name="analysis", clock=clock)
    budget = ratecell.Credits(40, name="credits", clock=clock)
    local = ratecell.AllOf(plan, group, budget)
    shared = store_at(redis_server, clock, "all-of").all_of(plan, group, budget)
    for step in range(200):
        clock.advance_ns(rng.choice([0, 10**8, 5 * 10**8, 10**9]))
        costs = [rng.choice([0, 1, 2]) for _ in range(3)]
        mine, theirs = shared.check("k", costs), local.check("k", costs)
        assert fields(mine) == fields(theirs), f"step {step}"
        assert mine.refused_by == theirs.refused_by, f"step {step}"


def test_a_decision_through_redis_carries_headers_body_and_truthiness(redis_server: Server) -> None:
    clock = ratecell.ManualClock()
    free = store_at(redis_server, clock, "headers").limiter(ratecell.Gcra.parse("2/minute", name="free", clock=clock))
    assert free.check("k") and free.check("k")
    refused = free.check("k")
    assert not refused and refused.status == 429 and refused.retry_after == 30.0
    assert refused.headers("legacy", now=0)["Retry-After"] == "30"
    assert refused.headers()["RateLimit-Policy"] == '"free";q=2;w=60'
    assert refused.body(now=0) is not None


def test_server_time_decides_and_keys_expire_when_fresh(redis_server: Server) -> None:
    store = RedisStore.from_url(redis_server.url, prefix=prefix("server-time"))
    free = store.limiter(ratecell.Gcra.parse("10/second", name="free"))
    assert free.check("k").remaining == 9
    ttl = store.client.pttl(free.redis_key("k"))
    assert 0 < ttl <= 101  # fresh in 100 ms, and one more for Redis's millisecond
    assert free.redis_key("k").endswith(b":{k}:free")


def test_a_flushed_script_cache_is_reloaded_by_the_next_call(redis_server: Server) -> None:
    store = store_at(redis_server, ratecell.ManualClock(), "noscript")
    free = store.limiter(ratecell.Gcra.parse("5/second", name="free"))
    store.load_scripts()
    store.client.script_flush()
    assert free.check("k").remaining == 4


def test_bad_inputs_raise_clear_errors_and_change_nothing(redis_server: Server) -> None:
    clock = ratecell.ManualClock()
    store = store_at(redis_server, clock, "bad")
    free = store.limiter(ratecell.Gcra.parse("5/second", name="free", clock=clock))
    for key in (1.5, ["k"], object(), True):
        with pytest.raises(TypeError, match="key must be"):
            free.check(key)  # type: ignore[arg-type]
    for cost, error in ((-1, ValueError), (1.0, TypeError), (None, TypeError), (True, TypeError), ("1", TypeError)):
        with pytest.raises(error, match="cost"):
            free.check("k", cost)  # type: ignore[arg-type]
    with pytest.raises(ratecell.InsufficientCapacity) as e:
        free.check("k", 6)
    assert e.value.capacity == 5
    with pytest.raises(ratecell.InsufficientCapacity):
        free.check("k", 2**64)
    assert free.peek("k").remaining == 5
    with pytest.raises(TypeError):
        store.limiter(ratecell.AllOf(ratecell.Gcra(1, 1)))
    with pytest.raises(TypeError):
        store.limiter("5/second")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.concurrency(ratecell.Gcra(1, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name"):
        store.limiter(ratecell.Gcra(1, 1), name="a{b}")
    with pytest.raises(ValueError, match="distinct names"):
        store.all_of(ratecell.Gcra(1, 1), ratecell.Gcra(2, 1))
    with pytest.raises(ValueError, match="one per member"):
        store.all_of(ratecell.Gcra(1, 1, name="a"), ratecell.Gcra(2, 1, name="b")).check("k", [1])
    with pytest.raises(ValueError, match="on_failure"):
        store.limiter(ratecell.Gcra(1, 1), on_failure="ignore")  # type: ignore[arg-type]
    for share in ((0, 1), (2, 1), (1, 0)):
        with pytest.raises(ValueError, match="share"):
            Fallback(*share)
    with pytest.raises(ValueError, match="prefix"):
        RedisStore.from_url(redis_server.url, prefix="a{b")
    with pytest.raises(ValueError, match="timeout"):
        RedisStore.from_url(redis_server.url, timeout=-1)
    with pytest.raises(ValueError, match="failures"):
        Breaker(failures=0)
    with pytest.raises(ValueError, match="max_open_for"):
        Breaker(open_for=2, max_open_for=1)
    with pytest.raises(TypeError, match="clock"):
        RedisStore.from_url(redis_server.url, clock="server")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="redis.Redis"):
        RedisStore("redis://127.0.0.1/")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="top_up"):
        free.top_up("k", amount=1)
    with pytest.raises(TypeError, match="reserve"):
        free.reserve("k")
    bucket = store.limiter(ratecell.TokenBucket.parse("2/second", name="bucket"))
    for wait, error in ((-1, ValueError), (float("nan"), ValueError), ("1", TypeError), (None, TypeError)):
        with pytest.raises(error, match="max_wait"):
            bucket.reserve("k", max_wait=wait)
    with pytest.raises(ratecell.InsufficientCapacity):
        bucket.reserve("k", 3)
    assert bucket.peek("k").remaining == 2
    store.client.set(free.redis_key("text"), "not a hash")
    with pytest.raises(RedisScriptError):
        free.check("text")
    assert issubclass(RedisUnavailable, ratecell.RateCellError)


def policies(store: RedisStore) -> dict[str, Any]:
    failures: dict[str, FailurePolicy] = {"error": "error", "open": "fail_open", "closed": "fail_closed", "fallback": Fallback(1, 2)}
    return {name: store.limiter(ratecell.Gcra.parse("10/minute", name=name), on_failure=f) for name, f in failures.items()}


def test_when_redis_dies_each_policy_decides_without_a_storm_and_redis_is_used_again_when_back() -> None:
    path = binary()
    if path is None:
        pytest.skip("redis-server is not installed")
    server = Server(path)
    try:
        store = RedisStore.from_url(server.url, timeout=0.2, prefix=prefix("fault"), breaker=Breaker(failures=2, open_for=0.5, max_open_for=1))
        limiters = policies(store)
        both = store.all_of(ratecell.Gcra.parse("10/minute", name="a"), ratecell.Gcra.parse("4/minute", name="b"), on_failure=Fallback(1, 2))
        assert both.check("k").remaining == 3
        for limiter in limiters.values():
            assert limiter.check("k").remaining == 9  # Redis decides
        server.kill()
        with pytest.raises(RedisUnavailable) as e:
            limiters["error"].check("k")
        assert isinstance(e.value.__cause__, redis.exceptions.ConnectionError)
        opened = limiters["open"].check("k")
        assert opened.allowed and opened.remaining == 9
        assert store.health == "open"  # two failures opened the circuit
        sent: list[object] = []
        real: Any = store.client.execute_command

        def counted(*args: Any, **options: Any) -> Any:
            sent.append(args)
            return real(*args, **options)

        store.client.execute_command = counted  # type: ignore[method-assign]
        closed = limiters["closed"].check("k")
        assert not closed.allowed and 0 < closed.retry_after <= 0.5
        with pytest.raises(RedisUnavailable) as e:
            limiters["error"].check("k")
        assert 0 < e.value.retry_in <= 0.5
        bucket = store.limiter(ratecell.TokenBucket.parse("2/minute", name="bucket"), on_failure="fail_open")
        reserved = bucket.reserve("k", 2, max_wait=60)
        assert reserved and reserved.local and reserved.delay == 0 and reserved.cancel() == 0
        shared = [both.check("k") for _ in range(3)]  # half of each member, here
        assert [bool(d) for d in shared] == [True, True, False] and shared[2].refused_by == 1
        local = [limiters["fallback"].check("k") for _ in range(7)]
        assert [d.allowed for d in local] == [True] * 5 + [False] * 2  # half the quota, here
        assert sent == []  # an open circuit answers without asking Redis: no storm
        server.start()  # empty: Redis forgot everything
        time.sleep(0.55)
        back = limiters["fallback"].check("k")
        assert back.allowed and back.remaining == 9  # Redis decides again
        assert store.health == "closed"
        assert limiters["error"].check("k").remaining == 9
        server.kill()  # a second outage: the fallback starts fresh, its first one forgotten
        again = [limiters["fallback"].check("k") for _ in range(6)]
        assert [d.allowed for d in again] == [True] * 5 + [False]
    finally:
        server.close()


def test_a_slow_redis_times_out_into_the_failure_policy() -> None:
    path = binary()
    if path is None:
        pytest.skip("redis-server is not installed")
    server = Server(path)
    try:
        store = RedisStore.from_url(server.url, timeout=0.05, prefix=prefix("slow"))
        free = store.limiter(ratecell.Gcra.parse("10/minute", name="free"), on_failure="fail_open")
        assert free.check("k").remaining == 9
        sleeper: Any = redis.Redis.from_url(server.url)
        busy = threading.Thread(target=lambda: sleeper.execute_command("DEBUG", "SLEEP", "0.6"))
        busy.start()
        time.sleep(0.05)
        started = time.monotonic()
        d = free.check("k")
        assert d.allowed and d.remaining == 9 and d.reset_after == 0  # decided by the policy
        assert time.monotonic() - started < 0.4  # well before the server answers
        busy.join()
        sleeper.close()
    finally:
        server.close()


def spend(url: str, name: str, attempts: int, admitted: Any) -> None:
    store = RedisStore.from_url(url, timeout=2.0, prefix=name)
    quota = store.limiter(ratecell.Gcra.parse("1/hour burst 150", name="shared"))
    total = sum(1 for _ in range(attempts) if quota.check("tenant"))
    with admitted.get_lock():
        admitted.value += total


def test_several_processes_sharing_one_quota_admit_exactly_the_quota(redis_server: Server) -> None:
    context = multiprocessing.get_context("spawn")
    admitted = context.Value("i", 0)
    name = prefix("load")
    workers = [context.Process(target=spend, args=(redis_server.url, name, 100, admitted)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    assert admitted.value == 150  # 400 attempts, one quota of 150


def test_concurrency_leases_are_shared_and_released_through_redis(redis_server: Server) -> None:
    clock = ratecell.ManualClock()
    store = store_at(redis_server, clock, "leases")
    sessions = store.concurrency(ratecell.Concurrency(2, ttl=30, name="sessions", clock=clock))
    (d1, l1), (d2, l2), (d3, l3) = (sessions.acquire("k") for _ in range(3))
    assert d1 and d2 and not d3 and l3 is None and d3.retry_after == 30
    assert l1 is not None and l1.release() and not l1.release()
    assert sessions.peek("k").remaining == 1
    clock.advance(31)
    assert l2 is not None and not l2.renew()  # expired
    assert sessions.peek("k").remaining == 2
    sessions.reset("k")


def test_the_wsgi_middleware_enforces_a_limit_kept_in_redis(redis_server: Server) -> None:
    from flask import Flask

    from ratecell.web import header_key
    from ratecell.wsgi import RateLimitMiddleware

    app = Flask(__name__)
    app.add_url_rule("/v1/items", "items", lambda: "ok")
    store = RedisStore.from_url(redis_server.url, prefix=prefix("wsgi"))
    shared = store.limiter(ratecell.Gcra.parse("2/minute", name="free"))
    app.wsgi_app = RateLimitMiddleware(app.wsgi_app, rules=shared, key=header_key("X-API-Key"))  # type: ignore[method-assign]
    # Two instances of the service: both charge the one quota in Redis.
    other = RateLimitMiddleware(app.wsgi_app.app, rules=store.limiter(ratecell.Gcra.parse("2/minute", name="free")), key=header_key("X-API-Key"))
    client = app.test_client()
    assert client.get("/v1/items", headers={"X-API-Key": "k"}).status_code == 200
    app.wsgi_app = other  # type: ignore[method-assign]
    assert client.get("/v1/items", headers={"X-API-Key": "k"}).status_code == 200
    refused = client.get("/v1/items", headers={"X-API-Key": "k"})
    assert refused.status_code == 429 and refused.json is not None
    assert refused.json["error"]["code"] == "rate_limit_exceeded"


def test_the_readme_example_runs_against_a_real_server(redis_server: Server) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Python: `ratecell.redis`", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    prefixed = match.group(1).replace('prefix="api"', f'prefix="{prefix("readme")}"')
    exec(compile(prefixed, "README.md", "exec"), {"url": redis_server.url})


def test_the_breaker_opens_after_consecutive_failures_probes_once_and_backs_off_up_to_its_maximum() -> None:
    from ratecell.redis._target import Circuit

    circuit = Circuit(Breaker(failures=2, open_for=0.02, max_open_for=0.05))
    circuit.failure()
    circuit.success()
    circuit.failure()
    assert circuit.health == "closed" and circuit.admit() == 0
    circuit.failure()
    assert circuit.health == "open" and 0 < circuit.admit() <= 0.02
    time.sleep(0.025)
    assert circuit.admit() == 0 and circuit.health == "probing"
    assert circuit.admit() > 0  # one probe at a time
    circuit.failure()
    assert 0.02 < circuit.admit() <= 0.04  # twice as long
    time.sleep(0.045)
    assert circuit.admit() == 0
    circuit.failure()
    assert 0.04 < circuit.admit() <= 0.05  # at most max_open_for
    time.sleep(0.055)
    assert circuit.admit() == 0
    circuit.success()
    assert circuit.health == "closed" and circuit.admit() == 0


def test_the_wsgi_middleware_holds_a_concurrency_lease_kept_in_redis_until_the_response_ends(redis_server: Server) -> None:
    from flask import Flask

    from ratecell.web import header_key
    from ratecell.wsgi import RateLimitMiddleware

    app = Flask(__name__)
    app.add_url_rule("/v1/sessions", "sessions", lambda: "ok")
    store = RedisStore.from_url(redis_server.url, prefix=prefix("wsgi-leases"))
    sessions = store.concurrency(ratecell.Concurrency(1, ttl=30, name="sessions"))
    app.wsgi_app = RateLimitMiddleware(app.wsgi_app, concurrency=sessions, key=header_key("X-API-Key"))  # type: ignore[method-assign]
    client = app.test_client()
    for _ in range(2):
        with client.get("/v1/sessions", headers={"X-API-Key": "k"}) as ok:  # closed as a server closes it
            assert ok.status_code == 200 and sessions.peek("k").remaining == 0  # held while sending
    assert sessions.peek("k").remaining == 1  # released after each response
    held, lease = sessions.acquire("k")  # another instance holds the only slot
    refused = client.get("/v1/sessions", headers={"X-API-Key": "k"})
    assert held and refused.status_code == 429 and refused.headers["Retry-After"] == "30"
    assert lease is not None and lease.release()
    with client.get("/v1/sessions", headers={"X-API-Key": "k"}) as ok:
        assert ok.status_code == 200
