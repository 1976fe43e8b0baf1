"""The asyncio form of ``ratecell.redis``, on ``redis.asyncio.Redis``: the same limiters,
calls and failure policies, with awaitable decisions. Each call is bounded by the store's
``timeout`` (``asyncio.wait_for``) as well as by the client's socket timeouts.

>>> from ratecell.redis.asyncio import RedisStore                    # doctest: +SKIP
>>> store = RedisStore.from_url("redis://127.0.0.1:6379/", timeout=0.05)  # doctest: +SKIP
>>> free = store.limiter(ratecell.Gcra.parse("100/minute", name="free"))  # doctest: +SKIP
>>> d = await free.check("api-key-42")                               # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Optional

import redis.asyncio as aredis
import redis.exceptions as rx

from .._ratecell import Concurrency, Decision, Lease, RateLimiter
from . import UNAVAILABLE, no_retry
from ._limiters import AllOfCalls, Costs, LeaseCalls, LimiterCalls, Reserved, ReservationView, Seconds
from ._target import (
    DEFAULT_EPOCH,
    SCRIPTS,
    Breaker,
    Call,
    FailurePolicy,
    Key,
    RedisScriptError,
    RedisUnavailable,
    Settings,
    reply_fields,
    unavailable,
)

if TYPE_CHECKING:
    from .._ratecell import Clock

TIMEOUT_OR_UNAVAILABLE: tuple[type[BaseException], ...] = (asyncio.TimeoutError, *UNAVAILABLE)

__all__ = ["RedisAllOf", "RedisConcurrency", "RedisLease", "RedisLimiter", "RedisReservation", "RedisStore"]


class RedisStore:
    """A Redis server (a ``redis.asyncio.Redis`` client) and the circuit breaker guarding it.
    The options are those of ``ratecell.redis.RedisStore``, and ``timeout``: the longest a
    call may take, in seconds (default 0.1)."""

    def __init__(
        self,
        client: aredis.Redis,
        *,
        prefix: str = "ratecell",
        clock: Optional[Clock] = None,
        epoch: int = DEFAULT_EPOCH,
        ttl_floor: float = 0,
        timeout: float = 0.1,
        breaker: Breaker = Breaker(),
    ) -> None:
        if not isinstance(client, aredis.Redis):
            raise TypeError(f"client must be a redis.asyncio.Redis, not {type(client).__name__}")
        self.client = client
        self._settings = Settings(prefix, clock, epoch, ttl_floor, timeout, breaker)

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
        """A store on a new client for ``url``, calls timing out after ``timeout`` seconds."""
        Settings(prefix, clock, epoch, ttl_floor, timeout, breaker)
        client = aredis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=no_retry())
        return cls(client, prefix=prefix, clock=clock, epoch=epoch, ttl_floor=ttl_floor, timeout=timeout, breaker=breaker)

    @property
    def health(self) -> str:
        """The circuit: ``"closed"``, ``"open"`` or ``"probing"``."""
        return self._settings.circuit.health

    def limiter(self, policy: RateLimiter, *, name: Optional[str] = None, on_failure: FailurePolicy = "error") -> RedisLimiter:
        return RedisLimiter(self, policy, name, on_failure)

    def all_of(self, *members: RateLimiter, on_failure: FailurePolicy = "error") -> RedisAllOf:
        return RedisAllOf(self, members, on_failure)

    def concurrency(self, policy: Concurrency, *, name: Optional[str] = None, on_failure: FailurePolicy = "error") -> RedisConcurrency:
        return RedisConcurrency(self, policy, name, on_failure)

    async def load_scripts(self) -> None:
        for script in SCRIPTS.values():
            await self._execute("SCRIPT", "LOAD", script.text)

    async def _execute(self, *args: Any) -> Any:
        client: Any = self.client  # redis-py's execute_command is untyped
        return await client.execute_command(*args)

    async def _once(self, call: Call) -> Any:
        try:
            return await self._execute(*call.command())
        except rx.NoScriptError:
            await self._execute("SCRIPT", "LOAD", call.script.text)
            return await self._execute(*call.command())

    async def run(self, call: Call) -> Any:
        """Runs a call through the breaker, within the timeout."""
        circuit = self._settings.circuit
        retry_in = circuit.admit()
        if retry_in:
            raise unavailable(RuntimeError("circuit open"), retry_in)
        try:
            reply = await asyncio.wait_for(self._once(call), self._settings.timeout)
        except TIMEOUT_OR_UNAVAILABLE as e:
            circuit.failure()
            raise unavailable(e) from e
        except rx.ResponseError as e:
            circuit.success()
            raise RedisScriptError(str(e)) from e
        circuit.success()
        return reply


class RedisLimiter(LimiterCalls):
    """A named limiter whose state lives in Redis (asyncio)."""

    def __init__(self, store: RedisStore, policy: RateLimiter, name: Optional[str], on_failure: FailurePolicy) -> None:
        super().__init__(store._settings, policy, name, on_failure)
        self._store = store

    async def check(self, key: Key = None, cost: int = 1) -> Decision:
        call, n = self._check_call(key, cost)
        try:
            reply = await self._store.run(call)
        except RedisUnavailable as e:
            return self._degraded(key, n, e)
        return self._decided(reply)

    async def peek(self, key: Key = None) -> Decision:
        return await self.check(key, 0)

    async def reset(self, key: Key = None) -> None:
        await self._store.run(self._reset_call(key))

    async def top_up(self, key: Key = None, *, amount: int) -> int:
        return reply_fields(await self._store.run(self._top_up_call(key, amount)))[0]

    async def reserve(self, key: Key = None, cost: int = 1, *, max_wait: Seconds = 0) -> RedisReservation:
        call, n = self._reserve_call(key, cost, max_wait)
        try:
            reserved = self._reserved(n, await self._store.run(call))
        except RedisUnavailable as e:
            reserved = self._reserve_degraded(key, n, e)
        return RedisReservation(self, key, reserved)


class RedisReservation(ReservationView):
    """Tokens reserved from a token bucket in Redis (asyncio): ``await cancel()``."""

    def __init__(self, owner: RedisLimiter, key: Key, reserved: Reserved) -> None:
        super().__init__(key, reserved)
        self._owner = owner

    async def cancel(self) -> int:
        """Gives the tokens back (at most once) and returns how many went back."""
        call = self._owner._cancel_call(self._key, self._r)
        back = 0
        if call is not None:
            try:
                back = reply_fields(await self._owner._store.run(call))[0]
            except RedisUnavailable as e:
                back = self._owner._cancel_failed(e)
        self._r.committed = False
        return back


class RedisAllOf(AllOfCalls):
    """Several limiters decided as one, all or nothing, in one call (asyncio)."""

    def __init__(self, store: RedisStore, members: tuple[RateLimiter, ...], on_failure: FailurePolicy) -> None:
        super().__init__(store._settings, members, on_failure)
        self._store = store

    async def check(self, key: Key = None, cost: Costs = 1) -> Decision:
        call, costs = self._check_call(key, cost)
        try:
            reply = await self._store.run(call)
        except RedisUnavailable as e:
            return self._degraded(key, costs, e)
        return self._decided(reply)

    async def peek(self, key: Key = None) -> Decision:
        return await self.check(key, 0)

    async def reset(self, key: Key = None) -> None:
        await self._store.run(self._reset_call(key))


class RedisLease:
    """A lease granted through Redis (asyncio)."""

    def __init__(self, owner: RedisConcurrency, key: Key, slot: int, serial: int, local: Optional[Lease] = None) -> None:
        self.owner, self.key, self.slot, self.serial, self.local = owner, key, slot, serial, local

    async def release(self) -> bool:
        return await self.owner._lease_op("release", self)

    async def renew(self) -> bool:
        return await self.owner._lease_op("renew", self)


class RedisConcurrency(LeaseCalls):
    """At most ``limit`` leases live at once per key, shared through Redis (asyncio)."""

    def __init__(self, store: RedisStore, policy: Concurrency, name: Optional[str], on_failure: FailurePolicy) -> None:
        super().__init__(store._settings, policy, name, on_failure)
        self._store = store

    async def acquire(self, key: Key = None) -> tuple[Decision, Optional[RedisLease]]:
        call = self._call("acquire", key)
        try:
            reply = await self._store.run(call)
        except RedisUnavailable as e:
            d, local = self._degraded(key, e)
            return d, (RedisLease(self, key, -1, 0, local) if local is not None else None)
        d, slot, serial = self._acquired(reply)
        return d, (RedisLease(self, key, slot, serial) if slot is not None else None)

    async def peek(self, key: Key = None) -> Decision:
        try:
            return self._peeked(await self._store.run(self._call("check", key, 0)))
        except RedisUnavailable as e:
            return self._peek_degraded(key, e)

    async def reset(self, key: Key = None) -> None:
        await self._store.run(self._call("reset", key))

    async def _lease_op(self, op: str, lease: RedisLease) -> bool:
        if lease.local is not None:
            return lease.local.release() if op == "release" else lease.local.renew()
        try:
            reply = await self._store.run(self._call(op, lease.key, lease.slot, lease.serial))
        except RedisUnavailable as e:
            return self._lease_failed(e)
        return reply_fields(reply)[0] == 1
