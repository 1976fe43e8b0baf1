"""What a Redis-backed limiter does around a call, blocking or asyncio alike: the scripts and
their SHA1 names, the call's arguments, the reading of a reply, the circuit breaker, and the
failure policy's decision when Redis cannot answer (see ``redis/README.md``)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

from .._ratecell import (
    Concurrency,
    Decision,
    InsufficientCapacity,
    ManualClock,
    MonotonicClock,
    RateCellError,
    RateLimiter,
    _redis_decision,
    _redis_scripts,
    _redis_shared,
    _redis_spec,
)

if TYPE_CHECKING:
    from .._ratecell import Clock

Key = Union[str, bytes, int, None]
Policy = Union[RateLimiter, Concurrency]

DEFAULT_EPOCH = 1_704_067_200
"""2024-01-01T00:00:00Z in Unix seconds: where server time starts."""

NEVER = 2**64 - 1


class RedisError(RateCellError):
    """Base class of the errors of ``ratecell.redis``."""


class RedisUnavailable(RedisError):
    """Redis could not decide (unreachable, too slow, or failing recently so not asked) and
    the limiter's failure policy is ``"error"``. ``retry_in`` is when Redis is asked again
    (seconds, 0 when it is asked at the next call)."""

    retry_in: float = 0.0


class RedisScriptError(RedisError):
    """Redis refused the call (a key holding another type, a malformed argument): a
    programming or configuration error, never a decision."""


@dataclass(frozen=True)
class Fallback:
    """A failure policy: decide in this process with ``numerator/denominator`` of the quota
    (limits, bursts and budgets scaled and rounded down, at least 1; periods kept), e.g.
    ``Fallback(1, 4)`` with four application instances. The local state starts fresh and is
    forgotten when Redis answers again."""

    numerator: int = 1
    denominator: int = 1

    def __post_init__(self) -> None:
        for n in (self.numerator, self.denominator):
            if isinstance(n, bool) or not isinstance(n, int):
                raise TypeError(f"a share is two ints, not {type(n).__name__}")
        if not 0 < self.numerator <= self.denominator < 2**64:
            raise ValueError(f"a share is numerator/denominator with 0 < numerator <= denominator, got {self.numerator}/{self.denominator}")


FailurePolicy = Union[Literal["error", "fail_open", "fail_closed"], Fallback]


@dataclass(frozen=True)
class Breaker:
    """After ``failures`` consecutive failures the circuit opens: for ``open_for`` seconds no
    call reaches Redis and the failure policy decides at once. Then one call probes; success
    closes the circuit, failure opens it for twice as long, up to ``max_open_for``."""

    failures: int = 3
    open_for: float = 0.25
    max_open_for: float = 10.0

    def __post_init__(self) -> None:
        if isinstance(self.failures, bool) or not isinstance(self.failures, int) or self.failures < 1:
            raise ValueError(f"failures must be an int of at least 1, got {self.failures!r}")
        for what in ("open_for", "max_open_for"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 86_400:
                raise ValueError(f"{what} must be seconds between 0 and a day, got {value!r}")
        if self.max_open_for < self.open_for:
            raise ValueError(f"max_open_for ({self.max_open_for}) must be at least open_for ({self.open_for})")


class Circuit:
    """The breaker's state: closed (with a count of failures), open until an instant, or
    probing (one call in flight)."""

    def __init__(self, settings: Breaker) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._failures = 0
        self._until = 0.0
        self._backoff = 0.0
        self._state: Literal["closed", "open", "probing"] = "closed"
        self.recoveries = 0
        """How many times Redis has answered after failing: fallbacks forget their state."""

    def admit(self) -> float:
        """0 when a call may go; otherwise the seconds the circuit stays open."""
        with self._lock:
            if self._state == "closed":
                return 0.0
            now = time.monotonic()
            if now >= self._until:
                self._state = "probing"
                self._until = now + self.settings.open_for
                return 0.0
            return self._until - now

    def success(self) -> None:
        with self._lock:
            if self._state != "closed" or self._failures:
                self.recoveries += 1
            self._state, self._failures = "closed", 0

    def failure(self) -> None:
        with self._lock:
            s = self.settings
            if self._state == "closed":
                self._failures += 1
                if self._failures < s.failures:
                    return
                backoff = s.open_for
            elif self._state == "probing":
                backoff = max(s.open_for, min(s.max_open_for, self._backoff * 2))
            else:
                return
            self._state, self._backoff = "open", backoff
            self._until = time.monotonic() + backoff

    @property
    def health(self) -> str:
        with self._lock:
            return self._state


class Local:
    """An in-process fallback limiter. Its state starts fresh with each outage: it is
    forgotten once Redis has answered again since it was last used."""

    def __init__(self, limiter: Policy, circuit: Circuit) -> None:
        self._limiter = limiter
        self._circuit = circuit
        self._seen = circuit.recoveries

    def get(self) -> Policy:
        recoveries = self._circuit.recoveries
        if recoveries != self._seen:
            self._seen = recoveries
            self._limiter.clear()
        return self._limiter


class Script:
    """One script of the manifest: its text and the SHA1 Redis knows it by."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.sha1 = hashlib.sha1(text.encode()).hexdigest()


SCRIPTS = {name: Script(name, text) for name, text in _redis_scripts().items()}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def key_text(key: Key) -> bytes:
    """A user key as it appears in Redis key names."""
    if key is None:
        return b""
    if isinstance(key, bytes):
        return key
    if isinstance(key, str):
        return key.encode()
    if _is_int(key):
        return str(key).encode()
    raise TypeError(f"key must be a str, bytes, int or None, not {type(key).__name__}")


def cost_of(cost: object, capacity: int) -> int:
    """A cost: an int from 0 to the capacity (a larger one raises InsufficientCapacity)."""
    if not _is_int(cost):
        raise TypeError(f"cost must be an int, not {type(cost).__name__}")
    assert isinstance(cost, int)
    if cost < 0:
        raise ValueError(f"cost must not be negative, got {cost}")
    if cost > capacity:
        raise insufficient(capacity, cost)
    return cost


def insufficient(capacity: int, cost: object) -> InsufficientCapacity:
    e = InsufficientCapacity(f"a cost of more than {capacity} can never be admitted: it exceeds the limiter's capacity")
    e.capacity = capacity
    e.cost = cost  # type: ignore[assignment]
    return e


def capacity_of(policy: Policy) -> int:
    return policy.limit if isinstance(policy, Concurrency) else policy.capacity


def name_of(name: Optional[str], policy: Policy) -> str:
    name = policy.name if name is None else name
    if not isinstance(name, str) or not name or any(c in name for c in "{}"):
        raise ValueError(f"a limiter's name must be a non-empty str without braces, got {name!r}")
    return name


class Settings:
    """A store's options: key prefix, clock, epoch, key floor, timeout and breaker."""

    def __init__(
        self,
        prefix: str,
        clock: Optional[Clock],
        epoch: int,
        ttl_floor: float,
        timeout: Optional[float],
        breaker: Breaker,
    ) -> None:
        if not isinstance(prefix, str) or "{" in prefix or "}" in prefix:
            raise ValueError(f"the key prefix must be a str without braces, got {prefix!r}")
        if not _is_int(epoch) or not 0 <= epoch < 2**63:
            raise ValueError(f"epoch must be Unix seconds (an int), got {epoch!r}")
        if isinstance(ttl_floor, bool) or not isinstance(ttl_floor, (int, float)) or not 0 <= ttl_floor < 2**40:
            raise ValueError(f"ttl_floor must be seconds, at least 0, got {ttl_floor!r}")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < 3600):
            raise ValueError(f"timeout must be seconds above 0, got {timeout!r}")
        if clock is not None and not isinstance(clock, (ManualClock, MonotonicClock)):
            raise TypeError(f"clock must be None (the server's) or a ratecell clock, not {type(clock).__name__}")
        if not isinstance(breaker, Breaker):
            raise TypeError(f"breaker must be a ratecell.redis.Breaker, not {type(breaker).__name__}")
        self.prefix = prefix.encode()
        self.clock = clock
        self.epoch = str(epoch)
        self.floor_ms = str(int(ttl_floor * 1000))
        self.timeout = timeout
        self.circuit = Circuit(breaker)

    def header(self, op: str) -> list[Union[str, bytes]]:
        now = "" if self.clock is None else str(self.clock.now_ns)
        return [op, now, self.epoch, self.floor_ms]

    def key(self, key: Key, name: str) -> bytes:
        return b"%s:{%s}:%s" % (self.prefix, key_text(key), name.encode())


@dataclass
class Call:
    script: Script
    keys: list[bytes]
    args: list[Union[str, bytes]]

    def command(self) -> tuple[Union[str, bytes, int], ...]:
        return ("EVALSHA", self.script.sha1, len(self.keys), *self.keys, *self.args)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def reply_fields(reply: Any) -> list[int]:
    """The fields of an ``ok`` reply after the status and ``now``; raises for the error
    statuses (a cost above the capacity, credits overflowing)."""
    if not isinstance(reply, list) or len(reply) < 2:
        raise RedisScriptError(f"unexpected reply from the ratecell script: {reply!r}")
    status = _text(reply[0])
    fields = [int(f) for f in reply[2:]]
    if status == "ok":
        return fields
    if status == "insufficient_capacity":
        raise insufficient(fields[0], None)
    if status == "credits_overflow":
        raise RedisError(f"the key would hold more than 2**64 - 1 credits: at most {fields[0]} more can be added")
    raise RedisScriptError(f"unknown status {status!r} from the ratecell script")


def decision(source: Policy, fields: Sequence[int], refused_by: Optional[int] = None, all_of: bool = False) -> Decision:
    allowed, limit, remaining, retry, reset = fields[:5]
    return _redis_decision(source, allowed == 1, limit, remaining, retry, reset, refused_by, all_of)


class Target:
    """A named limiter: its policy, script arguments, and failure policy with its fallback."""

    def __init__(self, settings: Settings, policy: Policy, name: Optional[str], on_failure: FailurePolicy) -> None:
        if not isinstance(policy, (RateLimiter, Concurrency)):
            raise TypeError(f"policy must be a ratecell limiter, not {type(policy).__name__}")
        spec = _redis_spec(policy)
        self.settings = settings
        self.policy = policy
        self.name = name_of(name, policy)
        self.spec: list[Union[str, bytes]] = list(spec)
        self.script = SCRIPTS[spec[0]]
        self.capacity = capacity_of(policy)
        self.failure = on_failure
        self.local = local_limiter(policy, on_failure, settings)

    def call(self, op: str, key: Key, *operands: int) -> Call:
        args = self.settings.header(op) + self.spec + [str(n) for n in operands]
        return Call(self.script, [self.settings.key(key, self.name)], args)

    def degraded(self, key: Key, cost: int, cause: RedisUnavailable) -> Decision:
        """The failure policy's decision when Redis cannot decide."""
        if isinstance(self.failure, Fallback):
            assert self.local is not None
            local = self.local.get()
            assert isinstance(local, RateLimiter)
            return local.check(key, cost)
        return policy_decision(self.failure, self.policy, self.capacity, cost, cause, self.settings)


def local_limiter(policy: Policy, on_failure: object, settings: Settings) -> Optional[Local]:
    """The fallback of a ``Fallback`` policy (and a check of any other)."""
    if isinstance(on_failure, Fallback):
        shared = _redis_shared(policy, on_failure.numerator, on_failure.denominator, settings.clock)
        return Local(shared, settings.circuit)
    if on_failure not in ("error", "fail_open", "fail_closed"):
        raise ValueError(f'on_failure must be "error", "fail_open", "fail_closed" or a Fallback, not {on_failure!r}')
    return None


def policy_decision(failure: object, source: Policy, capacity: int, cost: int, cause: RedisUnavailable, settings: Settings) -> Decision:
    if failure == "fail_open":
        return _redis_decision(source, True, capacity, capacity - cost, 0, 0)
    if failure == "fail_closed":
        wait = int((cause.retry_in or settings.circuit.settings.open_for) * 1e9)
        return _redis_decision(source, False, capacity, 0, wait, wait)
    raise cause


def unavailable(cause: BaseException, retry_in: float = 0.0) -> RedisUnavailable:
    e = RedisUnavailable(f"redis could not decide: {cause}" if retry_in == 0 else f"redis failed recently; not asking again for {retry_in:.3f} s")
    e.retry_in = retry_in
    e.__cause__ = cause if retry_in == 0 else None
    return e
