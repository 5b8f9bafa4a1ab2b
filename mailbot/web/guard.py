"""What every answer of the window carries, and the one line it logs (SPEC 13).

- Headers: a Content-Security-Policy that allows the page's own stylesheet and images
  alone (no script at all: the window needs none; no frame, no form to another site), no
  referrer (a status link in the address bar never leaves in a Referer), nothing cached.
  A page that brings its own policy (the monthly summary, whose inline style is named by
  its hash) keeps it.
- The access log: uvicorn's own prints each request's path, and a path may carry a status
  link's or a sign-in link's token, which opens a page. Its access log is off
  (`serve.py`); this middleware logs each request as mailbot's structlog line
  `web_request` with the token cut out of the path (`masked`) and no query string.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
# The paths whose last part is a secret: a requester's status link, a sign-in link.
_SECRET_PATH = re.compile(r"^(?P<head>/(?:status|masuk)/).+", re.DOTALL)


def masked(path: str) -> str:
    """A request's path as the log may keep it: a link's token written as `***`."""
    return _SECRET_PATH.sub(r"\g<head>***", path)


class Guard:
    """ASGI middleware: the headers above on every answer, and one log line per request."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.log = structlog.get_logger("mailbot.web")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500

        async def guarded(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dict(HEADERS)]
                if not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    headers.append((b"content-security-policy", CSP.encode()))
                message["headers"] = [*headers, *HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, guarded)
        finally:
            client = scope.get("client") or ("-", 0)
            self.log.info("web_request", method=scope.get("method"), path=masked(scope.get("path", "")),
                          status=status, ms=round((time.monotonic() - started) * 1000, 1), client=client[0])
