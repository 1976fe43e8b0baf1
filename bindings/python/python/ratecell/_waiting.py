"""Waiting for admission without busy-looping.

``RateLimiter.acquire`` and ``Concurrency.hold`` call into this module. A waiter checks, and
when refused it sleeps until the refusal's ``retry_after`` has passed (the earliest instant
the same request can be admitted), then checks again; nothing is recorded while it waits, so
cancelling a waiter changes nothing.

Sleeping depends on the limiter's clock:

- the monotonic clock (the default) is the clock of ``time.monotonic``, of the asyncio event
  loop and of ``threading`` timeouts, so a waiter sleeps on the loop (``asyncio.sleep``) or on
  an event with a timeout;
- a ``ManualClock`` only moves when a test moves it, so a waiter registers with the clock and
  is woken by the ``advance`` or ``set`` that reaches its instant.

A concurrency holder is also woken by every release of a lease of the same limiter, since a
release frees a slot before any lease expires.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Callable, Optional, Union

from ._ratecell import ConcurrencyLimitExceeded, ManualClock

if TYPE_CHECKING:
    from ._ratecell import Concurrency, Decision, MonotonicClock, RateLimiter

    Clock = Union[ManualClock, MonotonicClock]

Key = Union[str, bytes, int, None]
Cost = Union[int, "list[int]", "tuple[int, ...]", None]

# `retry_after_ns` of a refusal no wait can cure.
NEVER = 2**64 - 1


def _deadline(clock: Clock, timeout_ns: Optional[int]) -> Optional[int]:
    return None if timeout_ns is None else clock.now_ns + timeout_ns


def _loop_waker(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]
) -> Callable[[], None]:
    """A callback, safe to run from any thread, that resolves `future` on its loop."""

    def resolve() -> None:
        if not future.done():
            future.set_result(None)

    def wake() -> None:
        try:
            loop.call_soon_threadsafe(resolve)
        except RuntimeError:
            pass  # the loop has closed: nobody is waiting any more

    return wake


async def _sleep_until(
    clock: Clock, at_ns: int, future: Optional[asyncio.Future[None]] = None
) -> None:
    """Returns once `clock` reads `at_ns`, or earlier when `future` resolves."""
    loop = asyncio.get_running_loop()
    if future is None and not isinstance(clock, ManualClock):
        await asyncio.sleep(max(0, at_ns - clock.now_ns) / 1e9)
        return
    if future is None:
        future = loop.create_future()
    if isinstance(clock, ManualClock):
        token = clock._wake_at_ns(at_ns, _loop_waker(loop, future))
        try:
            await future
        finally:
            clock._cancel(token)
    else:
        delay = max(0, at_ns - clock.now_ns) / 1e9
        await asyncio.wait({future}, timeout=delay)


async def acquire(
    limiter: RateLimiter, key: Key, cost: Cost, timeout_ns: Optional[int]
) -> Decision:
    """Checks until admitted; returns the denial at once when the wait would pass `timeout`."""
    clock = limiter.clock
    deadline = _deadline(clock, timeout_ns)
    while True:
        decision = limiter.check(key, cost)
        if decision.allowed or decision.retry_after_ns == NEVER:
            return decision
        at = clock.now_ns + decision.retry_after_ns
        if deadline is not None and at > deadline:
            # Nothing but time frees a rate limit: the request cannot be admitted in time.
            return decision
        await _sleep_until(clock, at)


def _exceeded(decision: Decision) -> ConcurrencyLimitExceeded:
    error = ConcurrencyLimitExceeded(
        f"no lease was granted before the timeout ran out: {decision!r}"
    )
    error.decision = decision
    return error


def _next_wake(clock: Clock, decision: Decision, deadline: Optional[int]) -> Optional[int]:
    """When to try again after a refused acquisition (woken earlier by a release); `None`
    when the deadline has passed."""
    now = clock.now_ns
    if deadline is not None and now >= deadline:
        return None
    at = NEVER if decision.retry_after_ns == NEVER else now + decision.retry_after_ns
    return at if deadline is None else min(at, deadline)


async def _hold_async(
    concurrency: Concurrency, key: Key, timeout_ns: Optional[int]
) -> Decision:
    clock = concurrency.clock
    deadline = _deadline(clock, timeout_ns)
    loop = asyncio.get_running_loop()
    while True:
        released: asyncio.Future[None] = loop.create_future()
        # Registered before trying, so a release between the try and the wait is not missed.
        token = concurrency._on_release(_loop_waker(loop, released))
        try:
            decision = concurrency.acquire(key)
            if decision.allowed:
                return decision
            at = _next_wake(clock, decision, deadline)
            if at is None:
                raise _exceeded(decision)
            await _sleep_until(clock, at, released)
        finally:
            concurrency._cancel(token)


def _hold_blocking(
    concurrency: Concurrency, key: Key, timeout_ns: Optional[int]
) -> Decision:
    clock = concurrency.clock
    deadline = _deadline(clock, timeout_ns)
    while True:
        event = threading.Event()
        token = concurrency._on_release(event.set)
        clock_token = None
        try:
            decision = concurrency.acquire(key)
            if decision.allowed:
                return decision
            at = _next_wake(clock, decision, deadline)
            if at is None:
                raise _exceeded(decision)
            if isinstance(clock, ManualClock):
                clock_token = clock._wake_at_ns(at, event.set)
                event.wait()
            else:
                event.wait(max(0, at - clock.now_ns) / 1e9)
        finally:
            concurrency._cancel(token)
            if clock_token is not None and isinstance(clock, ManualClock):
                clock._cancel(clock_token)


class Hold:
    """Holds a concurrency lease while a ``with`` or ``async with`` body runs.

    Entering waits for a free slot (raising ``ConcurrencyLimitExceeded`` when the timeout
    runs out first) and gives the granting ``Decision``; leaving releases the lease, also
    when the body raised.
    """

    __slots__ = ("_concurrency", "_decision", "_key", "_timeout_ns")

    def __init__(self, concurrency: Concurrency, key: Key, timeout_ns: Optional[int]) -> None:
        self._concurrency = concurrency
        self._key = key
        self._timeout_ns = timeout_ns
        self._decision: Optional[Decision] = None

    def _release(self) -> None:
        decision, self._decision = self._decision, None
        lease = None if decision is None else decision.lease
        if lease is not None:
            lease.release()

    def __enter__(self) -> Decision:
        self._decision = _hold_blocking(self._concurrency, self._key, self._timeout_ns)
        return self._decision

    def __exit__(
        self,
        kind: Optional[type[BaseException]],
        error: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self._release()

    async def __aenter__(self) -> Decision:
        self._decision = await _hold_async(self._concurrency, self._key, self._timeout_ns)
        return self._decision

    async def __aexit__(
        self,
        kind: Optional[type[BaseException]],
        error: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self._release()
