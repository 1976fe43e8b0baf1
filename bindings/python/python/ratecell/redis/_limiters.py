"""The calls and replies of each kind of Redis-backed limiter, shared by the blocking
(``ratecell.redis``) and asyncio (``ratecell.redis.asyncio``) classes: they differ only in
how a call reaches Redis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import time
from dataclasses import dataclass

from .._ratecell import AllOf, Concurrency, Credits, Decision, Lease, RateLimiter, TokenBucket, _redis_nanos
from ._target import (
    SCRIPTS,
    Call,
    FailurePolicy,
    Fallback,
    Key,
    Local,
    RedisUnavailable,
    Settings,
    Target,
    _is_int,
    capacity_of,
    cost_of,
    decision,
    insufficient,
    key_text,
    local_limiter,
    policy_decision,
    reply_fields,
)

Costs = Union[int, Sequence[int]]
Seconds = Any  # an int, float or timedelta, converted exactly by the extension
NEVER = 2**64 - 1


@dataclass
class Reserved:
    """What a token bucket's ``reserve`` took, and what ``cancel`` needs to give it back."""

    committed: bool
    cost: int
    ready_at_ns: int
    delay_ns: int
    ready: int = 0
    serial: int = 0
    latest_before: int = 0
    local: bool = False


class ReservationView:
    """The readable side of a reservation through Redis."""

    def __init__(self, key: Key, reserved: Reserved) -> None:
        self._key, self._r = key, reserved

    @property
    def committed(self) -> bool:
        """The tokens are taken (and not given back yet)."""
        return self._r.committed

    @property
    def cost(self) -> int:
        """The tokens reserved."""
        return self._r.cost

    @property
    def ready_at_ns(self) -> int:
        """When the caller may proceed, on the store's time line (``2**64 - 1``: never)."""
        return self._r.ready_at_ns

    @property
    def delay(self) -> float:
        """Seconds from the reservation until the caller may proceed."""
        return self._r.delay_ns / 1e9

    @property
    def local(self) -> bool:
        """Made by the failure policy while Redis was away: it never waits, and cancelling
        it gives nothing back."""
        return self._r.local

    def __bool__(self) -> bool:
        return self._r.committed

    def __repr__(self) -> str:
        return f"<{type(self).__name__} committed={self._r.committed} cost={self._r.cost} ready_at_ns={self._r.ready_at_ns}>"


class LimiterCalls:
    """One limiter: ``check``/``peek``/``reset`` calls and their replies."""

    def __init__(self, settings: Settings, policy: RateLimiter, name: Optional[str], on_failure: FailurePolicy) -> None:
        if not isinstance(policy, RateLimiter) or isinstance(policy, AllOf):
            raise TypeError(f"policy must be a ratecell rate limiter (Gcra, TokenBucket, FixedWindow, SlidingWindow, SlidingLog, Burst or Credits), not {type(policy).__name__}")
        self._t = Target(settings, policy, name, on_failure)

    @property
    def name(self) -> str:
        """The limiter's name: part of every key it writes (``<prefix>:{<key>}:<name>``)."""
        return self._t.name

    @property
    def policy(self) -> RateLimiter:
        """The in-process limiter whose algorithm and quota this one applies."""
        assert isinstance(self._t.policy, RateLimiter)
        return self._t.policy

    @property
    def on_failure(self) -> FailurePolicy:
        """What decides when Redis cannot."""
        return self._t.failure

    @property
    def capacity(self) -> int:
        """The largest cost one check may have."""
        return self._t.capacity

    def redis_key(self, key: Key = None) -> bytes:
        """The Redis key holding ``key``'s state."""
        return self._t.settings.key(key, self._t.name)

    def _check_call(self, key: Key, cost: object) -> tuple[Call, int]:
        key_text(key)
        n = cost_of(cost, self._t.capacity)
        return self._t.call("check", key, n), n

    def _decided(self, reply: Any) -> Decision:
        return decision(self._t.policy, reply_fields(reply))

    def _degraded(self, key: Key, cost: int, cause: RedisUnavailable) -> Decision:
        return self._t.degraded(key, cost, cause)

    def _reset_call(self, key: Key) -> Call:
        key_text(key)
        return self._t.call("reset", key)

    def _reserve_call(self, key: Key, cost: object, max_wait: Seconds) -> tuple[Call, int]:
        if not isinstance(self._t.policy, TokenBucket):
            raise TypeError(f"reserve is for TokenBucket, not {type(self._t.policy).__name__}")
        key_text(key)
        n = cost_of(cost, self._t.capacity)
        wait = _redis_nanos(max_wait, "max_wait")
        return self._t.call("reserve", key, n, wait), n

    def _reserved(self, cost: int, reply: Any) -> Reserved:
        committed, ready_at, delay, ready, serial, latest = reply_fields(reply)[:6]
        return Reserved(committed == 1, cost, ready_at, delay, ready, serial, latest)

    def _reserve_degraded(self, key: Key, cost: int, cause: RedisUnavailable) -> Reserved:
        """An immediate check by the failure policy: it never waits, and gives nothing back."""
        d = self._t.degraded(key, cost, cause)
        clock = self._t.settings.clock
        now = clock.now_ns if clock is not None else time.time_ns() - int(self._t.settings.epoch) * 10**9
        wait = 0 if d.allowed else d.retry_after_ns
        return Reserved(d.allowed and cost > 0, cost, min(NEVER, max(0, now) + wait), wait, local=True)

    def _cancel_call(self, key: Key, r: Reserved) -> Optional[Call]:
        if not r.committed or r.local:
            return None
        return self._t.call("cancel", key, r.cost, r.ready, r.ready_at_ns, r.serial, r.latest_before)

    def _cancel_failed(self, cause: RedisUnavailable) -> int:
        if self._t.failure == "error":
            raise cause
        return 0

    def _top_up_call(self, key: Key, amount: object) -> Call:
        if not isinstance(self._t.policy, Credits):
            raise TypeError(f"top_up is for Credits, not {type(self._t.policy).__name__}")
        if not _is_int(amount):
            raise TypeError(f"amount must be an int, not {type(amount).__name__}")
        assert isinstance(amount, int)
        if not 0 <= amount < 2**64:
            raise ValueError(f"amount must be from 0 to 2**64 - 1, got {amount}")
        key_text(key)
        return self._t.call("top_up", key, amount)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._t.name!r} {self._t.policy!r} on_failure={self._t.failure!r}>"


class AllOfCalls:
    """Several limiters decided as one, all or nothing, in one script call."""

    def __init__(self, settings: Settings, members: Sequence[RateLimiter], on_failure: FailurePolicy) -> None:
        if not members:
            raise ValueError("an all-of needs at least one member")
        self._targets = [Target(settings, m, None, "error") for m in members]
        names = [t.name for t in self._targets]
        if len(set(names)) != len(names):
            raise ValueError(f"members need distinct names (they name the Redis keys), got {names}")
        for t in self._targets:
            if t.script.name == "concurrency" or not isinstance(t.policy, RateLimiter):
                raise TypeError("an all-of's members are rate limiters, not Concurrency")
        self._settings = settings
        self._failure = on_failure
        self._local: Optional[Local] = None
        if isinstance(on_failure, Fallback):
            shared = [local_limiter(m, on_failure, settings) for m in members]
            each = [s.get() for s in shared if s is not None]
            self._local = Local(AllOf(*[m for m in each if isinstance(m, RateLimiter)]), settings.circuit)
        else:
            local_limiter(members[0], on_failure, settings)  # checks the policy's name
        self.capacity = min(t.capacity for t in self._targets)

    @property
    def names(self) -> list[str]:
        """The members' names."""
        return [t.name for t in self._targets]

    @property
    def members(self) -> list[RateLimiter]:
        return [t.policy for t in self._targets if isinstance(t.policy, RateLimiter)]

    def _costs(self, cost: object) -> list[int]:
        if isinstance(cost, (list, tuple)):
            if len(cost) != len(self._targets):
                raise ValueError(f"expected {len(self._targets)} costs, one per member, got {len(cost)}")
            costs = list(cost)
            for t, c in zip(self._targets, costs):
                if not _is_int(c):
                    raise TypeError(f"cost must be an int, not {type(c).__name__}")
                if c > t.capacity:
                    raise insufficient(t.capacity, costs)
            return [cost_of(c, 2**64 - 1) for c in costs]
        return [cost_of(cost, self.capacity)] * len(self._targets)

    def _check_call(self, key: Key, cost: object) -> tuple[Call, list[int]]:
        key_text(key)
        costs = self._costs(cost)
        args = self._settings.header("check") + ["all_of", str(len(self._targets))]
        for t, c in zip(self._targets, costs):
            args += t.spec + [str(c)]
        keys = [self._settings.key(key, t.name) for t in self._targets]
        return Call(SCRIPTS["all_of"], keys, args), costs

    def _decided(self, reply: Any) -> Decision:
        fields = reply_fields(reply)
        refused_by, tightest = fields[5], fields[6]
        source = self._targets[refused_by if refused_by >= 0 else tightest].policy
        return decision(source, fields, refused_by if refused_by >= 0 else None, all_of=True)

    def _degraded(self, key: Key, costs: list[int], cause: RedisUnavailable) -> Decision:
        if self._local is not None:
            local = self._local.get()
            assert isinstance(local, AllOf)
            return local.check(key, costs)
        t = min(self._targets, key=lambda t: t.capacity)
        return policy_decision(self._failure, t.policy, self.capacity, max(costs), cause, self._settings)

    def _reset_call(self, key: Key) -> Call:
        key_text(key)
        keys = [self._settings.key(key, t.name) for t in self._targets]
        return Call(SCRIPTS["all_of"], keys, self._settings.header("reset") + ["all_of"])

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.names} on_failure={self._failure!r}>"


class LeaseCalls:
    """Concurrency leases: ``acquire``, ``release``, ``renew``, ``peek``, ``reset``."""

    def __init__(self, settings: Settings, policy: Concurrency, name: Optional[str], on_failure: FailurePolicy) -> None:
        if not isinstance(policy, Concurrency):
            raise TypeError(f"policy must be a ratecell.Concurrency, not {type(policy).__name__}")
        self._t = Target(settings, policy, name, on_failure)

    @property
    def name(self) -> str:
        return self._t.name

    @property
    def policy(self) -> Concurrency:
        assert isinstance(self._t.policy, Concurrency)
        return self._t.policy

    def _call(self, op: str, key: Key, *operands: int) -> Call:
        key_text(key)
        return self._t.call(op, key, *operands)

    def _peeked(self, reply: Any) -> Decision:
        return decision(self._t.policy, reply_fields(reply))

    def _acquired(self, reply: Any) -> tuple[Decision, Optional[int], int]:
        fields = reply_fields(reply)
        granted, slot, serial = fields[5:8]
        return decision(self._t.policy, fields), (slot if granted == 1 else None), serial

    def _degraded(self, key: Key, cause: RedisUnavailable) -> tuple[Decision, Optional[Lease]]:
        """The fallback's lease, or the policy's decision without a lease (failing open
        admits with nothing to release)."""
        local = self._t.local.get() if self._t.local is not None else None
        if isinstance(local, Concurrency):
            d = local.acquire(key)
            return d, d.lease
        return policy_decision(self._t.failure, self._t.policy, capacity_of(self._t.policy), 1, cause, self._t.settings), None

    def _peek_degraded(self, key: Key, cause: RedisUnavailable) -> Decision:
        local = self._t.local.get() if self._t.local is not None else None
        if isinstance(local, Concurrency):
            return local.peek(key)
        return policy_decision(self._t.failure, self._t.policy, capacity_of(self._t.policy), 0, cause, self._t.settings)

    def _lease_failed(self, cause: RedisUnavailable) -> bool:
        if self._t.failure == "error":
            raise cause
        return False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._t.name!r} {self._t.policy!r} on_failure={self._t.failure!r}>"
