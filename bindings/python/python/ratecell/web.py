"""What the ASGI and WSGI middlewares share: a framework-neutral request, key functions,
per-route rules, and the verdict on a request (proceed with these response fields, or
answer with this error).

>>> import ratecell
>>> from ratecell.web import Limits, Request, Rule, header_key
>>> clock = ratecell.ManualClock()
>>> limits = Limits(
...     [Rule(ratecell.Gcra.parse("1/minute", clock=clock), path="/v1/analysis")],
...     key=header_key("X-API-Key"),
...     header_style="legacy",
... )
>>> request = Request("POST", "/v1/analysis", {"x-api-key": "k1"}, "10.0.0.1")
>>> limits.check(request).status, limits.check(request).status
(200, 429)
"""

from __future__ import annotations

import json
import inspect
from collections.abc import Awaitable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, Union

from ._ratecell import Decision

if TYPE_CHECKING:
    from ._ratecell import HeaderStyle

Key = Union[str, bytes, int, None]

REASONS = {200: "OK", 402: "Payment Required", 429: "Too Many Requests"}


@dataclass(frozen=True)
class Request:
    """The parts of a request that limits depend on."""

    method: str
    """The HTTP method, upper case."""
    path: str
    """The URL path, without the query."""
    headers: Mapping[str, str]
    """Header fields, names in lower case."""
    client: Optional[str]
    """The client's address, when the server knows it."""


class Checker(Protocol):
    """What a rule's limiter must offer: a ratecell limiter, a ``ratecell.redis`` limiter
    (blocking), or a ``ratecell.redis.asyncio`` one (its awaitable decisions are awaited by
    the ASGI middleware)."""

    def check(self, key: Key = None, cost: Any = 1) -> Union[Decision, Awaitable[Decision]]: ...


class Leases(Protocol):
    """What a concurrency cap must offer: a ``ratecell.Concurrency`` (its decision carries
    the lease), or a ``ratecell.redis`` ``RedisConcurrency`` (a decision and a lease; the
    asyncio one under ASGI only)."""

    def acquire(self, key: Key = None) -> Any: ...


class Releasable(Protocol):
    """A lease: ``ratecell.Lease`` or a Redis lease."""

    def release(self) -> Any: ...


KeyFunction = Callable[[Request], Key]
"""Picks the key a request is limited under: an API key, a user id, an address."""


def client_address(request: Request) -> Key:
    """The client's address (behind a proxy, use a key function that trusts its header)."""
    return request.client


def header_key(name: str, fallback: Optional[KeyFunction] = client_address) -> KeyFunction:
    """The value of header ``name`` (an API key), or ``fallback(request)`` without one."""
    lower = name.lower()

    def key(request: Request) -> Key:
        value = request.headers.get(lower)
        if value:
            return value
        return None if fallback is None else fallback(request)

    return key


@dataclass(frozen=True)
class Rule:
    """Limits requests whose path is ``path`` or below it (``"/v1/sessions"`` matches
    ``/v1/sessions/sess_1``, not ``/v1/sessionsx``) and whose method is one of ``methods``
    (any when ``None``), charging ``cost``. Use an ``AllOf`` of a plan limit and an endpoint
    group's limit to enforce both."""

    limiter: Checker
    path: str = "/"
    methods: Optional[Collection[str]] = None
    cost: int = 1

    def __post_init__(self) -> None:
        if self.methods is not None:
            object.__setattr__(self, "methods", frozenset(m.upper() for m in self.methods))

    def matches(self, request: Request) -> bool:
        if self.methods is not None and request.method.upper() not in self.methods:
            return False
        prefix = self.path.rstrip("/")
        return (
            prefix == ""
            or request.path == prefix
            or request.path.startswith(prefix + "/")
        )


@dataclass
class Verdict:
    """What to do with a request: proceed (``body is None``), adding ``headers`` to the
    response, or answer ``status`` with ``headers`` and the JSON ``body``. ``release()``
    ends the concurrency lease, if any, when the response has finished."""

    status: int
    headers: list[tuple[str, str]]
    body: Optional[bytes] = None
    decision: Optional[Decision] = None
    lease: Optional[Releasable] = field(default=None, repr=False)

    @property
    def reason(self) -> str:
        return REASONS.get(self.status, "")

    def release(self) -> None:
        lease, self.lease = self.lease, None
        _release_now(lease)

    async def release_async(self) -> None:
        """``release``, awaiting the release of an asyncio lease (ASGI)."""
        lease, self.lease = self.lease, None
        await _release(lease)


class Limits:
    """The limits a middleware enforces.

    - ``rules``: a limiter for every request, or ``Rule``s tried in order (the first match
      applies; requests matching none are not rate limited). A limiter may keep its state in
      Redis (``ratecell.redis``; under ASGI, ``ratecell.redis.asyncio`` too);
    - ``key``: the key function (default: the client's address);
    - ``concurrency``: a ``Concurrency`` cap per key (or a Redis one: ``store.concurrency``),
      held until the response finishes;
    - ``header_style``: the response fields (``"ietf"``, ``"draft-8"``, ``"draft-7"``,
      ``"draft-6"``, ``"legacy"``), or ``None`` for none;
    - ``message``: replaces the default message of the 429 body.

    A refused request is answered with 429 and the ``rate_limit_exceeded`` body, or with 402
    and ``insufficient_api_credits`` when no wait can help (credits exhausted).
    """

    def __init__(
        self,
        rules: Union[Checker, Sequence[Rule]] = (),
        *,
        key: KeyFunction = client_address,
        concurrency: Optional[Leases] = None,
        header_style: Optional[HeaderStyle] = "ietf",
        message: Optional[str] = None,
    ) -> None:
        self.rules: tuple[Rule, ...] = (
            tuple(rules) if isinstance(rules, Sequence) else (Rule(rules),)
        )
        for rule in self.rules:
            if not isinstance(rule, Rule):
                raise TypeError(f"rules must be Rule objects or one RateLimiter, not {rule!r}")
        self.key = key
        self.concurrency = concurrency
        self.header_style = header_style
        self.message = message

    def rule(self, request: Request) -> Optional[Rule]:
        """The first rule matching ``request``."""
        return next((r for r in self.rules if r.matches(request)), None)

    def _fields(self, decision: Decision) -> list[tuple[str, str]]:
        if self.header_style is None:
            return [("Retry-After", str(decision.retry_after_secs))] if decision.retry_after_secs else []
        return list(decision.headers(self.header_style).items())

    def _refuse(self, decision: Decision) -> Verdict:
        body = decision.body(message=self.message)
        if body is None:  # pragma: no cover - every refusal has a body
            body = json.dumps({"error": {"code": "rate_limit_exceeded"}})
        headers = self._fields(decision) + [("Content-Type", "application/json")]
        return Verdict(decision.status, headers, body.encode(), decision)

    def check(self, request: Request) -> Verdict:
        """Decides ``request``: the concurrency lease first (cheap to give back), then the
        matching rule's limiter, which is charged only when the lease was granted."""
        key = self.key(request)
        lease = None
        if self.concurrency is not None:
            decision, lease = _held(_now(self.concurrency.acquire(key)))
            if not decision.allowed:
                return self._refuse(decision)
        rule = self.rule(request)
        if rule is None:
            return Verdict(200, [], None, None, lease)
        try:
            decision = _now(rule.limiter.check(key, rule.cost))
        except BaseException:
            _release_now(lease)
            raise
        if not decision.allowed:
            _release_now(lease)
            return self._refuse(decision)
        return Verdict(200, self._fields(decision), None, decision, lease)

    async def check_async(self, request: Request) -> Verdict:
        """``check``, awaiting the decisions and leases of asyncio limiters
        (``ratecell.redis.asyncio``)."""
        key = self.key(request)
        lease = None
        if self.concurrency is not None:
            decision, lease = _held(await _awaited(self.concurrency.acquire(key)))
            if not decision.allowed:
                return self._refuse(decision)
        rule = self.rule(request)
        if rule is None:
            return Verdict(200, [], None, None, lease)
        try:
            decision = await _awaited(rule.limiter.check(key, rule.cost))
        except BaseException:
            await _release(lease)
            raise
        if not decision.allowed:
            await _release(lease)
            return self._refuse(decision)
        return Verdict(200, self._fields(decision), None, decision, lease)


def _now(result: Any) -> Any:
    """A blocking limiter's result; an asyncio limiter's awaitable is refused."""
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise TypeError("an asyncio limiter needs the ASGI middleware (Limits.check_async)")
    return result


async def _awaited(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


def _held(held: Any) -> tuple[Decision, Optional[Releasable]]:
    """``Concurrency.acquire``'s decision and lease, or a Redis ``acquire``'s pair."""
    if isinstance(held, Decision):
        return held, held.lease
    decision, lease = held
    return decision, lease


def _release_now(lease: Optional[Releasable]) -> None:
    if lease is not None:
        _now(lease.release())


async def _release(lease: Optional[Releasable]) -> None:
    if lease is not None:
        await _awaited(lease.release())


def limits_from(
    limits: Optional[Limits],
    rules: Union[Checker, Sequence[Rule]] = (),
    key: KeyFunction = client_address,
    concurrency: Optional[Leases] = None,
    header_style: Optional[HeaderStyle] = "ietf",
    message: Optional[str] = None,
) -> Limits:
    """A middleware's ``Limits``: the one given, or one built from the options of ``Limits``
    (giving both is a ``TypeError``)."""
    if limits is None:
        return Limits(rules, key=key, concurrency=concurrency, header_style=header_style, message=message)
    defaults = (rules == (), key is client_address, concurrency is None, header_style == "ietf", message is None)
    if not all(defaults):
        raise TypeError("pass either limits= or the options of Limits, not both")
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a ratecell.web.Limits, not {type(limits).__name__}")
    return limits


def encode_fields(fields: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Header fields as ASGI sends them: lower-case names, Latin-1 bytes."""
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in fields]
