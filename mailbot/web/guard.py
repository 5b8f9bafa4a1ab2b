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
- Request bodies: the window's one form is the sign-in's address. A body longer than
  `BODY_BYTES` is refused (413) unread: by its Content-Length before the application
  runs, and, sent in chunks without one, as soon as the bytes read pass it. Before, an
  anonymous 256 MiB POST to `/masuk` was read whole into memory (143 -> 365 MiB) before its
  400; behind a proxy that lets a gigabyte through, a few at once exhaust the host.
- A path with a control character in it (`%0A` after a status link's token) is refused
  before routing: a regular expression's `$` matches before a final newline, and so did the
  router's, so a valid token with a newline after it opened its page.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from starlette.exceptions import HTTPException

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
# The longest request body the window reads: its forms hold an address and a form token.
BODY_BYTES = 4096
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
TOO_LARGE, BAD_REQUEST = 413, 400


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
                if status == TOO_LARGE:  # the rest of the body is not read: the connection ends with the answer
                    headers.append((b"connection", b"close"))
                message["headers"] = [*headers, *HEADERS]
            await send(message)

        try:
            refused = _refused(scope)
            if refused is not None:
                await _answer(guarded, refused)
            else:
                await self.app(scope, _counted(receive), guarded)
        finally:
            client = scope.get("client") or ("-", 0)
            self.log.info("web_request", method=scope.get("method"), path=masked(scope.get("path", "")),
                          status=status, ms=round((time.monotonic() - started) * 1000, 1), client=client[0])


def _refused(scope: Scope) -> int | None:
    """The status a request is refused with before the application sees it, or None: a path
    with a control character (400), a body declared longer than `BODY_BYTES` (413)."""
    if _CONTROL.search(scope.get("path", "")) or _CONTROL.search(scope.get("raw_path", b"").decode("latin-1")):
        return BAD_REQUEST
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            declared = value.strip()
            if not declared.isdigit() or int(declared) > BODY_BYTES:
                return TOO_LARGE
    return None


async def _answer(send: Send, status: int) -> None:
    """A short plain answer, sent without reading the request's body."""
    body = {TOO_LARGE: b"Request body too large\n", BAD_REQUEST: b"Bad request\n"}[status]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _counted(receive: Receive) -> Receive:
    """`receive` that counts the body's bytes and refuses (413) the chunk that passes
    `BODY_BYTES`: a body sent in chunks, without a Content-Length, is never held whole."""
    read = 0

    async def counted() -> Message:
        nonlocal read
        message = await receive()
        if message["type"] == "http.request":
            read += len(message.get("body", b""))
            if read > BODY_BYTES:
                raise HTTPException(TOO_LARGE)
        return message

    return counted
