"""WSGI middleware (Flask, Django, any WSGI app) enforcing ratecell limits.

>>> app.wsgi_app = RateLimitMiddleware(app.wsgi_app, rules=ratecell.Gcra.parse("100/minute"))  # doctest: +SKIP

Keyword options are those of ``ratecell.web.Limits`` (or pass ``limits=``). Requests are
checked before the app runs: refused ones are answered with 429 or 402 and the JSON error
body, admitted ones get the rate-limit fields added to their response. A concurrency lease
is held until the server closes the response (after its last byte was sent).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from .web import Checker, KeyFunction, Leases, Limits, Request, Rule, Verdict, client_address, limits_from

if TYPE_CHECKING:
    from ._ratecell import HeaderStyle

Environ = dict[str, Any]
ExcInfo = tuple[type[BaseException], BaseException, Optional[TracebackType]]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

__all__ = ["RateLimitMiddleware"]


def request_of(environ: Environ) -> Request:
    """The framework-neutral view of a WSGI environ."""
    headers = {
        name[5:].replace("_", "-").lower(): str(value)
        for name, value in environ.items()
        if name.startswith("HTTP_")
    }
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = str(environ[name])
    return Request(
        method=str(environ.get("REQUEST_METHOD", "GET")),
        path=str(environ.get("PATH_INFO") or "/"),
        headers=headers,
        client=environ.get("REMOTE_ADDR") or None,
    )


class _Released:
    """The app's response body; closing it (the server does, after the last byte) closes
    the app's body and ends the lease."""

    def __init__(self, body: Iterable[bytes], verdict: Verdict) -> None:
        self._body = body
        self._verdict = verdict

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._verdict.release()


class RateLimitMiddleware:
    """Enforces ``limits`` (or a ``Limits`` built from the keyword options) on every
    request to ``app``."""

    def __init__(
        self,
        app: WSGIApp,
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

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        verdict = self.limits.check(request_of(environ))
        if verdict.body is not None:
            start_response(f"{verdict.status} {verdict.reason}", verdict.headers)
            return [verdict.body]

        def start(status: str, headers: list[tuple[str, str]], exc_info: Optional[ExcInfo] = None) -> Callable[[bytes], object]:
            return start_response(status, list(headers) + verdict.headers, exc_info)

        try:
            body = self.app(environ, start)
        except BaseException:
            verdict.release()
            raise
        return _Released(body, verdict)
