"""ASGI middleware (Starlette, FastAPI, any ASGI app) enforcing ratecell limits.

>>> from starlette.applications import Starlette                      # doctest: +SKIP
>>> app = Starlette()                                                  # doctest: +SKIP
>>> app.add_middleware(RateLimitMiddleware, rules=ratecell.Gcra.parse("100/minute"))  # doctest: +SKIP

Keyword options are those of ``ratecell.web.Limits`` (or pass ``limits=``). HTTP requests
are checked before the app runs: refused ones are answered with 429 or 402 and the JSON
error body, admitted ones get the rate-limit fields added to their response. A concurrency
lease is held until the app has sent the whole response. Other scopes (WebSocket, lifespan)
pass through: check their messages in the app with the limiters themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from .web import Checker, KeyFunction, Leases, Limits, Request, Rule, client_address, encode_fields, limits_from

if TYPE_CHECKING:
    from ._ratecell import HeaderStyle

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["RateLimitMiddleware"]


def request_of(scope: Scope) -> Request:
    """The framework-neutral view of an HTTP scope."""
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }
    client = scope.get("client")
    return Request(
        method=str(scope.get("method", "GET")),
        path=str(scope.get("path", "/")),
        headers=headers,
        client=str(client[0]) if client else None,
    )


class RateLimitMiddleware:
    """Enforces ``limits`` (or a ``Limits`` built from the keyword options) on every HTTP
    request to ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        limits: Optional[Limits] = None,
        *,
        rules: Union[Checker, Sequence[Rule]] = (),
        key: KeyFunction = client_address,
        concurrency: Optional[Leases] = None,
        header_style: Optional[HeaderStyle] = "ietf",
        message: Optional[str] = None,
    ) -> None:
        self.app = app
        self.limits = limits_from(limits, rules, key, concurrency, header_style, message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        verdict = await self.limits.check_async(request_of(scope))
        try:
            if verdict.body is not None:
                await send(
                    {
                        "type": "http.response.start",
                        "status": verdict.status,
                        "headers": encode_fields(verdict.headers),
                    }
                )
                await send({"type": "http.response.body", "body": verdict.body})
                return
            extra = encode_fields(verdict.headers)

            async def send_with_fields(message: Message) -> None:
                if message["type"] == "http.response.start" and extra:
                    message = dict(message)
                    message["headers"] = list(message.get("headers", [])) + extra
                await send(message)

            await self.app(scope, receive, send_with_fields)
        finally:
            await verdict.release_async()
