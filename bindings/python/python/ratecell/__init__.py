"""ratecell: exact rate limiting for API providers and their clients.

Every limiter is keyed (``check(key=None, cost=1)``), bounded in memory (``max_keys``),
thread-safe, and answers with a ``Decision``: a refusal is a value with an exact
``retry_after``, never an exception. Exceptions (all ``RateCellError``, a ``ValueError``)
are kept for what no wait can fix: an invalid quota, a cost above the capacity.

>>> import ratecell
>>> free = ratecell.Gcra.parse("100/minute burst 120", clock=ratecell.ManualClock())
>>> d = free.check("api-key-1")
>>> bool(d), d.limit, d.remaining, d.reset_after
(True, 120, 119, 0.6)
"""

from ._ratecell import (
    DEFAULT_MAX_KEYS,
    AllOf,
    Burst,
    Concurrency,
    ConcurrencyLimitExceeded,
    Credits,
    Decision,
    FixedWindow,
    Gcra,
    InsufficientCapacity,
    InvalidQuota,
    Lease,
    ManualClock,
    MonotonicClock,
    Pacer,
    QuotaParseError,
    RateCellError,
    RateLimiter,
    RateLimitInfo,
    Reservation,
    Retry,
    RetryDecision,
    RetryPolicy,
    SlidingLog,
    SlidingWindow,
    TokenBucket,
    __version__,
    parse_headers,
    parse_retry_after,
)

__all__ = [
    "DEFAULT_MAX_KEYS",
    "AllOf",
    "Burst",
    "Concurrency",
    "ConcurrencyLimitExceeded",
    "Credits",
    "Decision",
    "FixedWindow",
    "Gcra",
    "InsufficientCapacity",
    "InvalidQuota",
    "Lease",
    "ManualClock",
    "MonotonicClock",
    "Pacer",
    "QuotaParseError",
    "RateCellError",
    "RateLimitInfo",
    "RateLimiter",
    "Reservation",
    "Retry",
    "RetryDecision",
    "RetryPolicy",
    "SlidingLog",
    "SlidingWindow",
    "TokenBucket",
    "__version__",
    "parse_headers",
    "parse_retry_after",
]
