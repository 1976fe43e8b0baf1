"""Type stubs of the extension module ``ratecell._ratecell`` (use it through ``ratecell``)."""

from collections.abc import Awaitable, Iterable, Sequence
from datetime import timedelta
from typing import Callable, Literal, Optional, Protocol, Union, final

from typing_extensions import disjoint_base

from ._waiting import Hold

__version__: str
DEFAULT_MAX_KEYS: int
"""The default bound on stored keys of every keyed limiter: 100,000."""

Key = Union[str, bytes, int, None]
"""A key: a str, bytes or an int (up to 128 bits). ``None`` is the single default key.
``"1"``, ``b"1"`` and ``1`` are three different keys."""

Seconds = Union[int, float, timedelta]
"""A span in seconds, converted exactly to whole nanoseconds (NaN, infinities, negative
spans and spans beyond 584 years raise)."""

Clock = Union["ManualClock", "MonotonicClock"]
WhenFull = Literal["fail_closed", "evict"]
HeaderStyle = Literal["ietf", "draft-8", "draft-7", "draft-6", "legacy"]
class _HeaderItems(Protocol):
    """Any headers object with ``items()``: a dict, httpx, requests, Starlette or Werkzeug
    headers."""

    def items(self) -> Iterable[tuple[Union[str, bytes], Union[str, bytes]]]: ...

Headers = Union[_HeaderItems, Iterable[tuple[Union[str, bytes], Union[str, bytes]]]]

class RateCellError(ValueError):
    """Base class of every ratecell error: a configuration or request that no wait can fix.
    A refused request is never an error: it is a ``Decision`` with ``allowed == False``."""

class InvalidQuota(RateCellError):
    """A limit, period, burst, window or TTL that makes no usable limiter."""

class QuotaParseError(InvalidQuota):
    """A quota string that does not parse."""

    position: int
    """The byte offset in ``input`` where the problem starts."""
    input: str
    """The string that did not parse."""

class InsufficientCapacity(RateCellError):
    """A cost larger than the limiter's capacity: no wait can ever admit it."""

    capacity: int
    """The largest cost the limiter admits at once."""
    cost: Union[int, list[int]]
    """The cost that was asked for."""

class ConcurrencyLimitExceeded(RateCellError):
    """``Concurrency.hold`` ran out of time before a lease was granted."""

    decision: "Decision"
    """The last refusal."""

@final
class MonotonicClock:
    """The clock every limiter reads unless given another: the system's monotonic time,
    counted from the UTC midnight before ``ratecell`` was imported (so fixed windows of a
    second, minute, hour or day start on the wall clock's boundaries). All instances are the
    same clock."""

    def __new__(cls) -> "MonotonicClock": ...
    def now(self) -> float:
        """The current instant in seconds."""
    @property
    def now_ns(self) -> int:
        """The current instant in whole nanoseconds."""

@final
class ManualClock:
    """A clock that only moves when told to, for tests and simulations. Share one between
    several limiters (an ``AllOf`` needs its members on one clock) and between threads.

    Waiting helpers (``acquire``, ``hold``) on a manual clock sleep until the clock is moved
    past their instant by ``advance`` or ``set``."""

    def __new__(cls, start: Optional[Seconds] = None) -> "ManualClock":
        """A clock at ``start`` seconds (default 0)."""
    def now(self) -> float:
        """The current instant in seconds."""
    @property
    def now_ns(self) -> int:
        """The current instant in whole nanoseconds."""
    def advance(self, seconds: Seconds) -> float:
        """Moves the clock forward; returns the new instant in seconds."""
    def advance_ns(self, nanoseconds: int) -> int:
        """Moves the clock forward by whole nanoseconds; returns the new instant in ns."""
    def set(self, seconds: Seconds) -> None:
        """Sets the clock, forwards or backwards (limiters never admit more when it steps
        back)."""
    def set_ns(self, nanoseconds: int) -> None:
        """Sets the clock to whole nanoseconds."""
    def _wake_at_ns(self, at_ns: int, callback: Callable[[], object]) -> int: ...
    def _cancel(self, token: int) -> bool: ...

@final
class Decision:
    """What a limiter decided about one request and where the key stands afterwards.
    Truthy when admitted. Durations are seconds (floats); the ``_ns`` forms are exact."""

    @property
    def allowed(self) -> bool:
        """The request was admitted and recorded."""
    @property
    def limit(self) -> int:
        """The capacity: unit requests a fresh key may make at one instant (the burst)."""
    @property
    def remaining(self) -> int:
        """Unit requests still admissible at this instant."""
    @property
    def retry_after(self) -> float:
        """Seconds until this same request would be admitted (with no other traffic): 0
        when it was, ``inf`` when no wait helps (credits exhausted)."""
    @property
    def reset_after(self) -> float:
        """Seconds until the key is back to a fresh state."""
    @property
    def retry_after_ns(self) -> int:
        """``retry_after`` in whole nanoseconds (``2**64 - 1``: never)."""
    @property
    def reset_after_ns(self) -> int:
        """``reset_after`` in whole nanoseconds."""
    @property
    def retry_after_secs(self) -> Optional[int]:
        """``Retry-After`` as HTTP sends it: whole seconds, rounded up; ``None`` when
        admitted or when no wait helps."""
    @property
    def lease(self) -> Optional["Lease"]:
        """The lease granted by ``Concurrency.acquire``; ``None`` otherwise."""
    @property
    def refused_by(self) -> Optional[int]:
        """For an ``AllOf`` denial: the index of the member whose wait is the longest."""
    @property
    def key_table_full(self) -> bool:
        """The key could not be stored: ``max_keys`` keys are stored and all still count
        (under ``when_full="fail_closed"``); ``retry_after`` is when one frees its slot."""
    @property
    def status(self) -> int:
        """The HTTP status: 200 when admitted, 429 when waiting helps, 402 when it never
        does (credits exhausted)."""
    def headers(self, style: Optional[HeaderStyle] = None, now: Optional[Seconds] = None) -> dict[str, str]:
        """The response header fields in ``style`` (default ``"ietf"``): the IETF
        ``RateLimit-Policy``/``RateLimit`` fields, an earlier draft's, or the legacy
        ``X-RateLimit-*`` (reset as a Unix time), plus ``Retry-After`` on a denial that
        waiting cures. ``now`` is the Unix time of the decision in seconds; by default it
        is read from the wall clock (``time.time()`` less the time since the decision)."""
    def body(self, now: Optional[Seconds] = None, message: Optional[str] = None) -> Optional[str]:
        """The JSON body of the error response: ``rate_limit_exceeded`` (429, with the limit,
        remaining and reset time) or ``insufficient_api_credits`` (402). ``None`` when
        admitted."""
    def __bool__(self) -> bool: ...

@disjoint_base
class RateLimiter:
    """The base class of every rate limiter: keyed checks against one policy (an ``AllOf``:
    several at once), in bounded memory, safe to share between threads (also on
    free-threaded Python)."""

    def check(self, key: Key = None, cost: Union[int, Sequence[int], None] = None) -> Decision:
        """Decides a request of ``cost`` (default 1; 0 peeks) for ``key`` now, and records
        it when admitted. An ``AllOf`` also takes one cost per member. Raises
        ``InsufficientCapacity`` for a cost above the capacity (no wait could admit it),
        ``TypeError`` for a key that is not a str, bytes, int or None."""
    def peek(self, key: Key = None) -> Decision:
        """``key``'s standing now, recording nothing."""
    def reset(self, key: Key = None) -> bool:
        """Forgets ``key`` (fresh again); returns whether it was stored."""
    def clear(self) -> None:
        """Forgets every key."""
    def acquire(
        self,
        key: Key = None,
        cost: Union[int, Sequence[int], None] = None,
        timeout: Optional[Seconds] = None,
    ) -> Awaitable[Decision]:
        """Waits (asyncio) until the request is admitted and returns its ``Decision``. It
        sleeps exactly the refusal's ``retry_after`` between checks, and records nothing
        while waiting, so cancelling it is safe. When the wait would end after ``timeout``
        seconds, it returns the refusal at once (a denial is a value, not an exception); a
        refusal no wait cures (``retry_after == inf``) is returned too. On a ``ManualClock``
        it sleeps until the clock is moved past the instant."""
    @property
    def clock(self) -> Clock:
        """The clock this limiter reads."""
    @property
    def name(self) -> str:
        """The policy name headers carry (an ``AllOf``: its members', comma separated)."""
    @property
    def capacity(self) -> int:
        """The largest cost one check may have: ``Decision.limit``."""
    @property
    def max_keys(self) -> Optional[int]:
        """The bound on stored keys (``None`` for an ``AllOf``: each member has its own)."""
    @property
    def when_full(self) -> Optional[WhenFull]:
        """What a new key meets when ``max_keys`` keys still count: ``"fail_closed"`` (a
        denial) or ``"evict"`` (the key closest to fresh is forgotten)."""
    @property
    def stored_keys(self) -> int:
        """How many keys are stored now (never more than ``max_keys``)."""

@final
class Gcra(RateLimiter):
    """The generic cell rate algorithm: ``limit`` requests per ``period`` seconds, evenly
    spaced, and bursts of up to ``burst`` (default ``limit``) at one instant. Exact to the
    nanosecond; 8 bytes of state per key."""

    def __new__(
        cls,
        limit: int,
        period: Seconds,
        *,
        burst: Optional[int] = None,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "Gcra": ...
    @classmethod
    def parse(
        cls,
        quota: str,
        *,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "Gcra":
        """From a quota string: ``"100/minute"``, ``"5/second"``, ``"1000 per hour"``,
        ``"10/5s"``, ``"100/minute burst 120"``. Raises ``QuotaParseError``."""
    @property
    def limit(self) -> int: ...
    @property
    def period(self) -> float: ...
    @property
    def burst(self) -> int: ...

@final
class TokenBucket(RateLimiter):
    """A token bucket: ``burst`` tokens (default ``limit``) refilled at ``limit`` per
    ``period`` seconds; a request of cost ``n`` takes ``n`` tokens. With
    ``starts_empty=True`` new keys start with no tokens. 24 bytes of state per key."""

    def __new__(
        cls,
        limit: int,
        period: Seconds,
        *,
        burst: Optional[int] = None,
        starts_empty: Optional[bool] = None,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "TokenBucket": ...
    @classmethod
    def parse(
        cls,
        quota: str,
        *,
        starts_empty: Optional[bool] = None,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "TokenBucket":
        """From a quota string such as ``"2/second burst 4"``."""
    @property
    def limit(self) -> int: ...
    @property
    def period(self) -> float: ...
    @property
    def burst(self) -> int: ...
    @property
    def starts_empty(self) -> bool: ...
    def reserve(self, key: Key = None, cost: Optional[int] = None, *, max_wait: Optional[Seconds] = None) -> Optional["Reservation"]:
        """Reserves ``cost`` tokens (default 1) for ``key``, borrowing against future refills,
        and takes them when the wait until they are there is at most ``max_wait`` seconds
        (default 0). ``None`` when the key cannot be stored (``max_keys`` keys that all
        still count, failing closed). A cost above ``burst`` raises
        ``InsufficientCapacity``."""

@final
class Reservation:
    """Tokens reserved from a ``TokenBucket``: proceed at ``ready_at`` (after ``delay``
    seconds) when ``committed``, or ``cancel()`` to give them back. Truthy when committed."""

    @property
    def committed(self) -> bool:
        """The tokens are taken (and not given back yet)."""
    @property
    def cost(self) -> int: ...
    @property
    def delay(self) -> float:
        """Seconds from the reservation until the caller may proceed."""
    @property
    def ready_at(self) -> float:
        """The instant, on the limiter's clock in seconds, the caller may proceed."""
    @property
    def ready_at_ns(self) -> int:
        """``ready_at`` in whole nanoseconds."""
    def cancel(self) -> int:
        """Gives the tokens back and returns how many whole tokens went back: all of them
        for the latest reservation, none once ``ready_at`` has passed or when already
        cancelled."""
    def __bool__(self) -> bool: ...

@final
class Credits(RateLimiter):
    """A prepaid budget per key that does not replenish: every key starts with ``budget``
    credits, a request of cost ``n`` spends ``n`` when that many are left, and only
    ``top_up`` adds more. Running out is a denial with ``retry_after == inf`` and
    ``status == 402`` (not a 429: no wait helps); headers report
    ``X-API-Credits-Remaining`` and ``X-API-Credits-Used``."""

    def __new__(
        cls,
        budget: int,
        *,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "Credits": ...
    def top_up(self, key: Key = None, *, amount: int) -> int:
        """Adds ``amount`` credits to ``key``; returns the credits it has left. Raises
        ``RateCellError`` if the key would be granted more than ``2**64 - 1`` in total."""
    @property
    def budget(self) -> int: ...

@final
class Burst(RateLimiter):
    """A burst tier: ``limit`` per ``period`` sustained, and up to ``burst`` per ``period``
    measured over ``burst_window`` seconds; both must admit. ``Burst(100, 60, burst=120,
    burst_window=10)`` is "100 per minute, bursts of 120 per minute over 10 seconds"."""

    def __new__(
        cls,
        limit: int,
        period: Seconds,
        *,
        burst_window: Seconds,
        burst: Optional[int] = None,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "Burst": ...
    @classmethod
    def parse(
        cls,
        quota: str,
        *,
        burst_window: Seconds,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "Burst":
        """From a quota string such as ``"100/minute burst 120"``."""
    @property
    def limit(self) -> int: ...
    @property
    def period(self) -> float: ...
    @property
    def burst(self) -> int: ...
    @property
    def burst_window(self) -> float: ...

@final
class FixedWindow(RateLimiter):
    """At most ``limit`` requests in each window of ``period`` seconds, windows aligned to
    multiples of the period on the clock."""

    def __new__(
        cls,
        limit: int,
        period: Seconds,
        *,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "FixedWindow": ...
    @classmethod
    def parse(
        cls,
        quota: str,
        *,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "FixedWindow":
        """From a quota string without a burst, such as ``"100/minute"``."""
    @property
    def limit(self) -> int: ...
    @property
    def period(self) -> float: ...

@final
class SlidingWindow(RateLimiter):
    """About ``limit`` requests per any ``period``: the two-window counter (O(1), 24 bytes
    per key, approximate within a stated bound)."""

    def __new__(
        cls,
        limit: int,
        period: Seconds,
        *,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "SlidingWindow": ...
    @classmethod
    def parse(
        cls,
        quota: str,
        *,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "SlidingWindow":
        """From a quota string without a burst, such as ``"100/minute"``."""
    @property
    def limit(self) -> int: ...
    @property
    def period(self) -> float: ...

@final
class SlidingLog(RateLimiter):
    """Exactly ``limit`` requests in every window of ``period`` seconds, wherever it
    starts: each key logs its admitted requests (room for ``entries``, by default the limit,
    rounded up to a power of 4 from 4 to 4096; fewer entries than the limit admit fewer unit
    requests, never more). ``limit`` is at most 4096."""

    def __new__(
        cls,
        limit: int,
        period: Seconds,
        *,
        entries: Optional[int] = None,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "SlidingLog": ...
    @classmethod
    def parse(
        cls,
        quota: str,
        *,
        entries: Optional[int] = None,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "SlidingLog":
        """From a quota string without a burst, such as ``"100/minute"``."""
    @property
    def limit(self) -> int: ...
    @property
    def period(self) -> float: ...
    @property
    def entries(self) -> int:
        """Requests each key's log holds within a period (a size of the ladder)."""

@final
class AllOf(RateLimiter):
    """Several limiters checked as one: admitted only when every member admits, and then
    every member records it; when any member refuses, none changes. Members keep their own
    keys, so one plan limit can be shared by an ``AllOf`` per endpoint group. Members are
    ``Gcra``, ``TokenBucket``, ``Burst``, ``FixedWindow``, ``SlidingWindow`` or ``Credits``
    limiters on one clock, each listed once. ``check`` takes one cost for all or a list of one per member."""

    def __new__(cls, *members: RateLimiter) -> "AllOf": ...
    @property
    def members(self) -> tuple[RateLimiter, ...]: ...

@final
class Lease:
    """A granted concurrency lease. Release it when the work ends; renew long work before
    ``ttl`` runs out. Releasing twice, or after it expired, never frees another holder's
    slot."""

    def release(self) -> bool:
        """Frees the slot; ``False`` when the lease had already ended."""
    def renew(self) -> bool:
        """Extends the lease to ``ttl`` seconds from now; ``False`` when it had ended."""
    @property
    def owner(self) -> "Concurrency": ...

@final
class Concurrency:
    """At most ``limit`` leases live at once per key (concurrent sessions, requests in
    flight); a lease ends when released or ``ttl`` seconds after it was acquired or last
    renewed. ``limit`` is at most 4096."""

    def __new__(
        cls,
        limit: int,
        *,
        ttl: Seconds,
        name: Optional[str] = None,
        max_keys: Optional[int] = None,
        when_full: Optional[WhenFull] = None,
        clock: Optional[Clock] = None,
    ) -> "Concurrency": ...
    def acquire(self, key: Key = None) -> Decision:
        """Acquires a lease when a slot is free: the decision carries it in ``lease``.
        Refused: ``retry_after`` is when the earliest live lease expires."""
    def peek(self, key: Key = None) -> Decision:
        """``key``'s standing now (``remaining`` free slots), recording nothing."""
    def reset(self, key: Key = None) -> bool:
        """Ends every lease of ``key``; returns whether it was stored."""
    def clear(self) -> None:
        """Ends every lease of every key."""
    def hold(self, key: Key = None, timeout: Optional[Seconds] = None) -> Hold:
        """A context manager (``with`` and ``async with``) holding a lease while its body
        runs: entering waits until a slot is free (woken by releases and expiries) and
        gives the granting ``Decision``; leaving releases the lease. Raises
        ``ConcurrencyLimitExceeded`` when ``timeout`` seconds pass first."""
    def _on_release(self, callback: Callable[[], object]) -> int: ...
    def _cancel(self, token: int) -> bool: ...
    @property
    def limit(self) -> int: ...
    @property
    def ttl(self) -> float: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def name(self) -> str: ...
    @property
    def max_keys(self) -> int: ...
    @property
    def when_full(self) -> WhenFull: ...
    @property
    def stored_keys(self) -> int: ...

@final
class RateLimitInfo:
    """What a response said about the client's limits; every field may be ``None``.
    Durations are seconds from when the response was sent."""

    @property
    def limit(self) -> Optional[int]: ...
    @property
    def remaining(self) -> Optional[int]: ...
    @property
    def reset(self) -> Optional[float]: ...
    @property
    def window(self) -> Optional[float]: ...
    @property
    def retry_after(self) -> Optional[float]: ...
    @property
    def credits_remaining(self) -> Optional[int]: ...
    @property
    def credits_used(self) -> Optional[int]: ...

def parse_headers(headers: Headers, now: Optional[Seconds] = None) -> RateLimitInfo:
    """Reads a response's rate-limit fields: every ``RateLimit`` draft, ``X-RateLimit-*``,
    ``Retry-After`` (seconds or HTTP-date), ``Date`` and ``X-API-Credits-*``, names in any
    case; what does not parse is left out. ``headers`` is any mapping (httpx, requests,
    Starlette, Werkzeug headers, a dict) or ``(name, value)`` pairs. ``now`` (Unix seconds,
    default the wall clock) resolves absolute times when there is no ``Date``."""

def parse_retry_after(
    value: Union[str, bytes], date: Union[str, bytes, None] = None, now: Optional[Seconds] = None
) -> Optional[float]:
    """A ``Retry-After`` value (delay-seconds or HTTP-date) as seconds to wait, relative to
    ``date`` (the response's ``Date``) or ``now``; ``None`` when it does not parse."""

@final
class RetryDecision:
    """What to do after an attempt. Truthy when the request should be retried."""

    @property
    def action(self) -> Literal["retry", "stop", "top_up_credits", "give_up"]:
        """``"retry"`` after ``after`` seconds; ``"stop"``: the response is final;
        ``"top_up_credits"``: 402, no wait helps; ``"give_up"``: the budget ran out."""
    @property
    def after(self) -> Optional[float]:
        """Seconds to wait before retrying (``action == "retry"``)."""
    @property
    def reason(self) -> Optional[Literal["attempts", "deadline"]]:
        """Why the sequence gave up."""
    def __bool__(self) -> bool: ...

@final
class Retry:
    """One request's retry sequence (from ``RetryPolicy.start``)."""

    def decide(self, status: Optional[int], headers: Union[Headers, RateLimitInfo, None] = None) -> RetryDecision:
        """What to do after an attempt that ended with HTTP ``status`` (``None``: the
        connection failed) and response ``headers``."""
    @property
    def attempts(self) -> int:
        """Attempts decided so far."""

@final
class RetryPolicy:
    """Capped exponential backoff with jitter: the ``n``-th wait is drawn below
    ``min(cap, base * 2**n)`` (``jitter``: ``"full"``, ``"equal"``, ``"decorrelated"`` or
    ``"none"``) and is never shorter than the response's ``Retry-After``. 429 and 5xx are
    retried, 402 asks for credits, other statuses stop; at most ``max_attempts`` attempts
    within ``max_elapsed`` seconds."""

    def __new__(
        cls,
        *,
        base: Optional[Seconds] = None,
        cap: Optional[Seconds] = None,
        jitter: Optional[Literal["none", "full", "equal", "decorrelated"]] = None,
        max_attempts: Optional[int] = None,
        max_elapsed: Optional[Seconds] = None,
    ) -> "RetryPolicy":
        """Defaults: ``base=0.1``, ``cap=30``, ``jitter="full"``, ``max_attempts=5``,
        ``max_elapsed=120``."""
    def start(self, *, seed: Optional[int] = None, clock: Optional[Clock] = None) -> Retry:
        """Starts a sequence now; ``seed`` makes the jitter reproducible."""
    @property
    def base(self) -> float: ...
    @property
    def cap(self) -> float: ...
    @property
    def jitter(self) -> str: ...
    @property
    def max_attempts(self) -> int: ...
    @property
    def max_elapsed(self) -> float: ...

@final
class Pacer:
    """Proactive throttling: once at most ``low_water`` requests or ``low_water_percent``
    percent (default 20) of the advertised limit remain, the remaining quota is spread
    evenly until the reset, so a client slows down instead of collecting 429s."""

    def __new__(cls, *, low_water: Optional[int] = None, low_water_percent: Optional[int] = None) -> "Pacer": ...
    @staticmethod
    def always() -> "Pacer":
        """A pacer that always spreads the remaining quota evenly."""
    def delay(self, headers: Union[Headers, RateLimitInfo], elapsed: Optional[Seconds] = None) -> float:
        """Seconds to wait before the next request, after a response received ``elapsed``
        seconds ago."""

# The compiled helpers of ``ratecell.redis`` (see that module).
def _redis_scripts() -> dict[str, str]:
    """Every script of ``redis/scripts/manifest`` by name: its files, each followed by a
    newline."""
def _redis_spec(limiter: Union[RateLimiter, Concurrency]) -> list[str]:
    """The limiter's algorithm and parameters as the scripts take them."""
def _redis_shared(
    limiter: Union[RateLimiter, Concurrency], numerator: int, denominator: int, clock: Optional[Clock] = None
) -> Union[RateLimiter, Concurrency]:
    """An in-process limiter like ``limiter`` with ``numerator/denominator`` of its counts."""
def _redis_decision(
    source: Union[RateLimiter, Concurrency],
    allowed: bool,
    limit: int,
    remaining: int,
    retry_after_ns: int,
    reset_after_ns: int,
    refused_by: Optional[int] = None,
    all_of: bool = False,
) -> Decision:
    """A ``Decision`` from a script's reply, advertised as ``source``'s."""
def _redis_nanos(seconds: Seconds, what: str) -> int:
    """``seconds`` in whole nanoseconds, converted as every limiter converts spans."""
