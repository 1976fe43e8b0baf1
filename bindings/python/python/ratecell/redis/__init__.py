"""ratecell's limiters with their state in Redis (or Valkey), on redis-py: for when one
process is not enough (``pip install ratecell[redis]``).

Each decision is one atomic Lua script call (the scripts of ``redis/scripts``, loaded once
and called by SHA1), and it is the decision the in-process limiter makes for the same state
and instant: the same ``ratecell.Decision``, with ``headers()``, ``body()`` and truthiness.
A limiter is described by an in-process one (its algorithm, quota and name); the store says
where its state lives.

>>> import ratecell, redis                                            # doctest: +SKIP
>>> from ratecell.redis import Fallback, RedisStore                   # doctest: +SKIP
>>> store = RedisStore.from_url("redis://127.0.0.1:6379/", timeout=0.05)  # doctest: +SKIP
>>> free = store.limiter(ratecell.Gcra.parse("100/minute burst 120", name="free"),
...                      on_failure=Fallback(1, 4))                   # doctest: +SKIP
>>> free.check("api-key-42")                                          # doctest: +SKIP
<Decision allowed: 119 of 120 remaining, reset after 600ms>

Time comes from the Redis server (``TIME``, counted from ``epoch``) so that clients with
skewed clocks agree; a store given a ``clock`` (a ``ratecell.ManualClock`` in tests) sends
its instants instead. Keys are ``<prefix>:{<key>}:<name>``: the braces are the Redis Cluster
hash tag, so every limit of one key (an all-of's members) lives in one slot. Keys expire when
their state is fresh again.

When Redis is unreachable or slow, each limiter's failure policy decides: ``"error"`` (raise
``RedisUnavailable``), ``"fail_open"``, ``"fail_closed"``, or ``Fallback(n, d)`` (decide in
this process with ``n/d`` of the quota). After ``Breaker.failures`` consecutive failures no
call reaches Redis for a while (no storm of timeouts), then one call probes; the first
success closes the circuit again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

try:
    import redis
    import redis.exceptions as rx
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError:  # pragma: no cover - without the extra
    raise ImportError("ratecell.redis needs redis-py: pip install 'ratecell[redis]'")  # the missing module is the context

from .._ratecell import Concurrency, Decision, Lease, RateLimiter
from ._limiters import AllOfCalls, Costs, LeaseCalls, LimiterCalls, Reserved, ReservationView, Seconds
from ._target import (
    DEFAULT_EPOCH,
    SCRIPTS,
    Breaker,
    Call,
    FailurePolicy,
    Fallback,
    Key,
    RedisError,
    RedisScriptError,
    RedisUnavailable,
    Settings,
    reply_fields,
    unavailable,
)

if TYPE_CHECKING:
    from .._ratecell import Clock

__all__ = [
    "DEFAULT_EPOCH",
    "Breaker",
    "FailurePolicy",
    "Fallback",
    "RedisAllOf",
    "RedisConcurrency",
    "RedisError",
    "RedisLease",
    "RedisLimiter",
    "RedisReservation",
    "RedisScriptError",
    "RedisStore",
    "RedisUnavailable",
]

UNAVAILABLE: tuple[type[BaseException], ...] = (
    rx.ConnectionError,
    rx.TimeoutError,
    rx.TryAgainError,
    rx.ClusterDownError,
    rx.MasterDownError,
    OSError,
)
"""redis-py's errors that mean Redis could not answer (the failure policy decides)."""


def no_retry() -> Retry:
    """redis-py's retries multiply timeouts during an outage; the breaker handles them."""
    return Retry(NoBackoff(), 0)


class RedisStore:
    """A Redis server (a ``redis.Redis`` client) and the circuit breaker guarding it; every
    limiter made from it shares them.

    - ``prefix``: the first part of every key (no braces);
    - ``clock``: ``None`` (server time) or a ratecell clock whose instants are sent;
    - ``epoch``: where server time starts, in Unix seconds (default 2024-01-01);
    - ``ttl_floor``: the shortest life of a written key, in seconds (for simulated time);
    - ``breaker``: when to stop asking a failing Redis.

    A call's timeout is the client's ``socket_timeout``; ``from_url`` sets it.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "ratecell",
        clock: Optional[Clock] = None,
        epoch: int = DEFAULT_EPOCH,
        ttl_floor: float = 0,
        breaker: Breaker = Breaker(),
    ) -> None:
        if not isinstance(client, redis.Redis):
            raise TypeError(f"client must be a redis.Redis, not {type(client).__name__}")
        self.client = client
        self._settings = Settings(prefix, clock, epoch, ttl_floor, None, breaker)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = 0.1,
        prefix: str = "ratecell",
        clock: Optional[Clock] = None,
        epoch: int = DEFAULT_EPOCH,
        ttl_floor: float = 0,
        breaker: Breaker = Breaker(),
    ) -> RedisStore:
        """A store on a new client for ``url`` whose calls (connecting included) time out
        after ``timeout`` seconds, without redis-py's own retries."""
        Settings(prefix, clock, epoch, ttl_floor, timeout, breaker)
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=no_retry())
        return cls(client, prefix=prefix, clock=clock, epoch=epoch, ttl_floor=ttl_floor, breaker=breaker)

    @property
    def health(self) -> str:
        """The circuit: ``"closed"`` (Redis answers), ``"open"`` or ``"probing"``."""
        return self._settings.circuit.health

    def limiter(self, policy: RateLimiter, *, name: Optional[str] = None, on_failure: FailurePolicy = "error") -> RedisLimiter:
        """A limiter deciding as ``policy`` (its algorithm and quota), its keys named after
        ``name`` (default: the policy's name)."""
        return RedisLimiter(self, policy, name, on_failure)

    def all_of(self, *members: RateLimiter, on_failure: FailurePolicy = "error") -> RedisAllOf:
        """Several limiters decided as one, all or nothing, in one round trip. Each member's
        keys are named after its name, so a member shares state with the limiter of the same
        name."""
        return RedisAllOf(self, members, on_failure)

    def concurrency(self, policy: Concurrency, *, name: Optional[str] = None, on_failure: FailurePolicy = "error") -> RedisConcurrency:
        """Concurrency leases per key, as ``policy`` caps them (at most 65,536)."""
        return RedisConcurrency(self, policy, name, on_failure)

    def load_scripts(self) -> None:
        """Loads every script now (calls load what they need by themselves anyway)."""
        for script in SCRIPTS.values():
            self._execute("SCRIPT", "LOAD", script.text)

    def _execute(self, *args: Any) -> Any:
        client: Any = self.client  # redis-py's execute_command is untyped
        return client.execute_command(*args)

    def run(self, call: Call) -> Any:
        """Runs a call through the breaker: ``EVALSHA``, and on ``NOSCRIPT`` ``SCRIPT LOAD``
        then ``EVALSHA`` again."""
        circuit = self._settings.circuit
        retry_in = circuit.admit()
        if retry_in:
            raise unavailable(RuntimeError("circuit open"), retry_in)
        try:
            try:
                reply = self._execute(*call.command())
            except rx.NoScriptError:
                self._execute("SCRIPT", "LOAD", call.script.text)
                reply = self._execute(*call.command())
        except UNAVAILABLE as e:
            circuit.failure()
            raise unavailable(e) from e
        except rx.ResponseError as e:
            circuit.success()
            raise RedisScriptError(str(e)) from e
        circuit.success()
        return reply


class RedisLimiter(LimiterCalls):
    """A named limiter whose state lives in Redis, one key per user key."""

    def __init__(self, store: RedisStore, policy: RateLimiter, name: Optional[str], on_failure: FailurePolicy) -> None:
        super().__init__(store._settings, policy, name, on_failure)
        self._store = store

    def check(self, key: Key = None, cost: int = 1) -> Decision:
        """Decides a request of ``cost`` (0 peeks) for ``key`` and records it when admitted."""
        call, n = self._check_call(key, cost)
        try:
            reply = self._store.run(call)
        except RedisUnavailable as e:
            return self._degraded(key, n, e)
        return self._decided(reply)

    def peek(self, key: Key = None) -> Decision:
        """``key``'s standing, recording nothing."""
        return self.check(key, 0)

    def reset(self, key: Key = None) -> None:
        """Makes ``key`` fresh again (deletes its state)."""
        self._store.run(self._reset_call(key))

    def top_up(self, key: Key = None, *, amount: int) -> int:
        """``Credits`` only: adds ``amount`` credits; returns the credits left. Never decided
        by a failure policy: without Redis this raises ``RedisUnavailable``."""
        return reply_fields(self._store.run(self._top_up_call(key, amount)))[0]

    def reserve(self, key: Key = None, cost: int = 1, *, max_wait: Seconds = 0) -> RedisReservation:
        """``TokenBucket`` only: reserves ``cost`` tokens, borrowing against future refills,
        and takes them when the wait is at most ``max_wait`` seconds."""
        call, n = self._reserve_call(key, cost, max_wait)
        try:
            reserved = self._reserved(n, self._store.run(call))
        except RedisUnavailable as e:
            reserved = self._reserve_degraded(key, n, e)
        return RedisReservation(self, key, reserved)


class RedisReservation(ReservationView):
    """Tokens reserved from a token bucket in Redis: proceed at ``ready_at_ns`` (after
    ``delay`` seconds) when ``committed``, or ``cancel()`` to give them back. Truthy when
    committed."""

    def __init__(self, owner: RedisLimiter, key: Key, reserved: Reserved) -> None:
        super().__init__(key, reserved)
        self._owner = owner

    def cancel(self) -> int:
        """Gives the tokens back (at most once) and returns how many went back."""
        call = self._owner._cancel_call(self._key, self._r)
        back = 0
        if call is not None:
            try:
                back = reply_fields(self._owner._store.run(call))[0]
            except RedisUnavailable as e:
                back = self._owner._cancel_failed(e)
        self._r.committed = False
        return back


class RedisAllOf(AllOfCalls):
    """Several limiters decided as one in a single script call, all or nothing: when any
    member refuses, no member changes. ``refused_by`` names the member whose wait is the
    longest."""

    def __init__(self, store: RedisStore, members: tuple[RateLimiter, ...], on_failure: FailurePolicy) -> None:
        super().__init__(store._settings, members, on_failure)
        self._store = store

    def check(self, key: Key = None, cost: Costs = 1) -> Decision:
        """Charges every member ``cost`` (or one cost per member) for ``key``."""
        call, costs = self._check_call(key, cost)
        try:
            reply = self._store.run(call)
        except RedisUnavailable as e:
            return self._degraded(key, costs, e)
        return self._decided(reply)

    def peek(self, key: Key = None) -> Decision:
        return self.check(key, 0)

    def reset(self, key: Key = None) -> None:
        """Makes ``key`` fresh again in every member."""
        self._store.run(self._reset_call(key))


class RedisLease:
    """A lease granted through Redis (or, while Redis was away, by the local fallback)."""

    def __init__(self, owner: RedisConcurrency, key: Key, slot: int, serial: int, local: Optional[Lease] = None) -> None:
        self.owner, self.key, self.slot, self.serial, self.local = owner, key, slot, serial, local

    def release(self) -> bool:
        """Frees the slot; ``False`` when the lease had already ended."""
        return self.owner._lease_op("release", self)

    def renew(self) -> bool:
        """Extends the lease to ``ttl`` from now; ``False`` when it had ended."""
        return self.owner._lease_op("renew", self)

    def __repr__(self) -> str:
        return f"<RedisLease slot={self.slot} serial={self.serial}{' local' if self.local else ''}>"


class RedisConcurrency(LeaseCalls):
    """At most ``limit`` leases live at once per key, shared through Redis."""

    def __init__(self, store: RedisStore, policy: Concurrency, name: Optional[str], on_failure: FailurePolicy) -> None:
        super().__init__(store._settings, policy, name, on_failure)
        self._store = store

    def acquire(self, key: Key = None) -> tuple[Decision, Optional[RedisLease]]:
        """A lease for ``key`` when a slot is free: the decision, and the lease (``None``
        when refused)."""
        call = self._call("acquire", key)
        try:
            reply = self._store.run(call)
        except RedisUnavailable as e:
            d, local = self._degraded(key, e)
            return d, (RedisLease(self, key, -1, 0, local) if local is not None else None)
        d, slot, serial = self._acquired(reply)
        return d, (RedisLease(self, key, slot, serial) if slot is not None else None)

    def peek(self, key: Key = None) -> Decision:
        """``key``'s standing: ``remaining`` free slots."""
        try:
            return self._peeked(self._store.run(self._call("check", key, 0)))
        except RedisUnavailable as e:
            return self._peek_degraded(key, e)

    def reset(self, key: Key = None) -> None:
        """Ends every lease of ``key``."""
        self._store.run(self._call("reset", key))

    def _lease_op(self, op: str, lease: RedisLease) -> bool:
        if lease.local is not None:
            return lease.local.release() if op == "release" else lease.local.renew()
        try:
            return reply_fields(self._store.run(self._call(op, lease.key, lease.slot, lease.serial)))[0] == 1
        except RedisUnavailable as e:
            return self._lease_failed(e)
