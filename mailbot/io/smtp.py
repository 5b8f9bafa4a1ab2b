"""The only module that talks SMTP (through aiosmtplib).

Replies are read as RFC 5321 and MTAs such as Postfix read them: every 4xx reply, a
refused connection, a time-out or a dropped session is temporary; only a 5xx reply
to RCPT or DATA is final, for that recipient or message. Refusals at the session
level (greeting, EHLO, STARTTLS, AUTH, MAIL FROM) say nothing about one message but
about the server or our configuration: they are temporary for every mail, and the
outbox watch tells the operator.

One connection is kept and reused for many mails (at most `max_connections` at
once), and where the server offers PIPELINING a mail takes two round trips instead
of one per command; `deliver` calls back after each mail, so the caller records it at once and a
crash resends at most the mail in flight. A session the server closes (421, a
dropped connection) is reopened once for the next mail.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import re
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import aiosmtplib
import aiosmtplib.email

from mailbot.errors import ConfigError, LoginRefusedError, UnreachableError
from mailbot.io import servers
from mailbot.model import OutboxRow
from mailbot.settings import ServerConfig, SmtpConfig

CLOSING = 421  # "service not available, closing transmission channel"
AUTH_REQUIRED = 530  # RFC 4954: the server takes mail only after a login
# RFC 5321 4.5.3.2.6: the reply to the final dot may take 10 minutes, because a time-out
# there "would typically result in delivery of multiple copies" (Postfix:
# smtp_data_done_timeout = 600s). `timeout` covers every other reply.
DATA_DONE_TIMEOUT = 600.0
# RFC 5321 4.5.3.2.1: the initial 220 greeting may take 5 minutes (a busy server, a
# tarpit, a relay's DNS and reputation checks before it greets). `smtp.greeting_timeout`.
GREETING_TIMEOUT = 300.0
# RFC 5321 4.5.3.2.5: each block of the message (a TCP SEND) may take 3 minutes: a piece of
# `_PIECE` (1 MB) on a slow uplink. At least this, or `timeout` if longer.
DATA_BLOCK_TIMEOUT = 180.0


@dataclass(frozen=True)
class Delivery:
    """What the server said about one outbox row, per recipient."""

    row: OutboxRow
    accepted: tuple[str, ...] = ()
    deferred: tuple[tuple[str, str], ...] = ()  # (recipient, temporary reason): try again
    refused: tuple[tuple[str, str], ...] = ()  # (recipient, the server's 5xx answer): final
    # deferred because the server refuses *us* (our login, or mail without one): the
    # unit's configuration, no fault of the mail, which is never given up for it
    ours: bool = False
    # deferred before any recipient was looked at: no session (refused, a 421 greeting)
    # or MAIL FROM refused. The server took no mail, no fault of this one: once it takes
    # mail again, such a mail is due at once (`Outbox._flush_server`). Never with `ours`:
    # a refused login is not tried more often (fail2ban or an account lockout would follow)
    server: bool = False
    # no session could be opened (down, a 421 greeting, the login refused): the server is
    # not asked again in this pass, so a down server costs one time-out a pass
    no_session: bool = False
    timed_out: bool = False  # the server did not answer in time: its destinations wait for the next pass
    # no session because of the configuration (`SessionError.misconfigured`): never tried, so
    # `skipped` too; it goes as soon as the operator mends the configuration
    misconfigured: str = ""
    # not tried: its destination timed out on another mail in this pass. No attempt is
    # counted and no backoff set, or it would be due in step with that mail, skipped
    # behind it pass after pass, and given up never tried.
    skipped: bool = False

    @classmethod
    def all_deferred(cls, row: OutboxRow, reason: str, *, ours: bool = False, server: bool = False) -> Delivery:
        return cls(row, deferred=tuple((r, reason) for r in row.rcpt), ours=ours, server=server and not ours)


class SessionError(Exception):
    """The server cannot take mail from us now (connect, greeting, TLS, login).

    `misconfigured`: the configuration asks for what this server does not do (a login
    where it offers no AUTH): the operator's to mend, said naming the key."""

    def __init__(self, message: str, *, login_refused: bool = False, answer: str = "",
                 misconfigured: str = "") -> None:
        super().__init__(message)
        self.login_refused = login_refused or bool(misconfigured)
        self.answer = answer
        self.misconfigured = misconfigured


class _Dropped(Exception):
    """The session ended in the middle of a mail; the mail was not accepted.

    `again`: worth one more try at once on a new session (a kept session the server
    closed), not when the server was too slow to answer: that is a temporary failure
    of this mail, and a second wait would double what it costs the rest of the outbox."""

    def __init__(self, message: str, *, again: bool = True) -> None:
        super().__init__(message)
        self.again = again


# What a final refusal is about, from its code and enhanced status (RFC 3463): the size
# of the mail (552, X.3.4), its content (X.7.x policy, spam, virus), or else the address.
_SIZE = re.compile(r"\b(?:552|5\.3\.4|5\.2\.3)\b|too (?:large|big)|size limit|exceeds", re.IGNORECASE)
_CONTENT = re.compile(r"\b5\.7\.\d+\b|\bspam\b|\bvirus\b|\bpolicy\b|blocked|blacklist|reputation", re.IGNORECASE)


def refusal_cause(answer: str) -> str:
    """"size", "content" or "address": what the staff told of a final refusal can do."""
    if _SIZE.search(answer):
        return "size"
    return "content" if _CONTENT.search(answer) else "address"


def _client(cfg: ServerConfig, timeout: float, sock: socket.socket) -> aiosmtplib.SMTP:
    """A client on a connected socket that verifies the certificate against the system
    CAs or `ca_file` (`cfg.host` is the name the certificate must bear)."""
    return aiosmtplib.SMTP(
        hostname=cfg.host, port=None, sock=sock, use_tls=cfg.security == "ssl",
        start_tls=cfg.security == "starttls", tls_context=servers.tls_context(cfg), timeout=timeout,
    )


async def _connected(cfg: ServerConfig, timeout: float) -> socket.socket:
    """A TCP connection to the server within `timeout`, each address in turn; the greeting
    that follows has its own, longer time (`GREETING_TIMEOUT`), which a host that does
    not answer at all should not get."""
    loop = asyncio.get_running_loop()
    where = f"{cfg.host} on port {cfg.port}"
    try:
        found = await asyncio.wait_for(loop.getaddrinfo(cfg.host, cfg.port, type=socket.SOCK_STREAM), timeout)
    except TimeoutError:
        raise OSError(f"Error connecting to {where}: name lookup timed out") from None
    except OSError as exc:
        raise OSError(f"Error connecting to {where}: {exc}") from None
    failure = f"Error connecting to {where}: no address"
    for family, kind, proto, _, address in found:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, address), timeout)
        except TimeoutError:
            sock.close()
            failure = f"Timed out connecting to {where}"
        except OSError as exc:
            sock.close()
            failure = f"Error connecting to {where}: {exc}"
        else:
            return sock
    raise OSError(failure)


async def _login(client: aiosmtplib.SMTP, cfg: ServerConfig) -> None:
    """AUTH with a password (PLAIN/LOGIN) or an OAuth2 token (XOAUTH2, Microsoft 365 and
    Google; OAUTHBEARER, RFC 7628).

    Every refusal, a missing token included, is an SMTPAuthenticationError.
    """
    if client.is_ehlo_or_helo_needed:  # after STARTTLS the extensions are known only anew
        await client.ehlo()
    if cfg.auth == "password":
        await client.login(cfg.username or "", servers.password(cfg))
        return
    token, response = await _token_auth(client, cfg)
    # a kept token refused (5xx; a 4xx is the server's trouble, not the token's): once more with a new one
    if response.code >= 500 and servers.token_refused(cfg, token):
        token, response = await _token_auth(client, cfg)
    if response.code != 235:
        raise aiosmtplib.SMTPAuthenticationError(response.code, response.message)


async def _token_auth(client: aiosmtplib.SMTP, cfg: ServerConfig) -> tuple[str, aiosmtplib.SMTPResponse]:
    """One AUTH XOAUTH2 or OAUTHBEARER with the current access token: the token and the
    server's final answer."""
    try:
        token = servers.access_token(cfg)
        initial = servers.xoauth2_initial_response(cfg.username or "", token) if cfg.auth == "xoauth2" \
            else servers.oauthbearer_initial_response(cfg.username or "", token, cfg.host, cfg.port)
    except LoginRefusedError as exc:
        raise aiosmtplib.SMTPAuthenticationError(535, str(exc)) from None
    response = await client.execute_command(b"AUTH", cfg.auth.upper().encode("ascii"), initial.encode("ascii"))
    if response.code == 334:  # a base64 JSON error challenge: the client's answer fetches the verdict
        # XOAUTH2 answers with an empty line, OAUTHBEARER with a single ^A (RFC 7628 3.2.3)
        response = await client.execute_command(b"" if cfg.auth == "xoauth2" else base64.b64encode(b"\x01"))
    return token, response


def no_auth(cfg: ServerConfig) -> str:
    """What to mend when the server offers no AUTH but the config gives a login name: a
    relay that takes the unit's mail without a login (by its address) wants none."""
    key = cfg.key if isinstance(cfg, SmtpConfig) else "smtp"
    return (f"{key}.username: the SMTP server {cfg.host}:{cfg.port} offers no AUTH (no login), "
            f"but a username ({cfg.username}) is set: remove {key}.username and its password "
            "when the server takes mail without a login, or use the server's submission port that "
            "offers AUTH")


def _text(exc: BaseException) -> str:
    cause: BaseException | None = exc
    while cause is not None:  # aiosmtplib wraps the ssl error of a refused certificate
        if isinstance(cause, ssl.SSLCertVerificationError):
            return servers.certificate_problem(cause)
        cause = cause.__cause__ or cause.__context__
    return str(exc) or type(exc).__name__


def _answer(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {exc.message}".strip()


class _Session:
    """One kept SMTP connection, opened on demand."""

    def __init__(self, cfg: ServerConfig, timeout: float, greeting: float | None = None) -> None:
        """`greeting`: how long the 220 greeting may take; by default the config's
        `greeting_timeout` (`probe` gives its own, shorter: an operator waits for `check`)."""
        self.cfg = cfg
        self.timeout = timeout
        if greeting is None:
            greeting = cfg.greeting_timeout if isinstance(cfg, SmtpConfig) else GREETING_TIMEOUT
        self.greeting = greeting
        self.client: aiosmtplib.SMTP | None = None

    async def open(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            return self.client
        try:
            sock = await _connected(self.cfg, self.timeout)
        except OSError as exc:
            raise SessionError(f"connect failed: {exc}{servers.security_hint(self.cfg, exc)}") from None
        client = _client(self.cfg, self.timeout, sock)
        try:
            try:
                await client.connect(timeout=max(self.greeting, self.timeout))
            except BaseException:
                sock.close()  # the transport that would close it may not exist yet
                raise
            if client.is_ehlo_or_helo_needed:  # the extensions (PIPELINING) known before the first mail
                await client.ehlo()
            if self.cfg.username:
                if not client.supports_extension("auth"):
                    raise SessionError(no_auth(self.cfg), misconfigured=no_auth(self.cfg))
                await _login(client, self.cfg)
        except SessionError:
            await _quietly_close(client)
            raise
        except aiosmtplib.SMTPAuthenticationError as exc:
            await _quietly_close(client)
            raise SessionError(f"login as {self.cfg.username} refused: {_answer(exc)}", login_refused=True,
                               answer=_answer(exc)) from None
        except aiosmtplib.SMTPResponseException as exc:
            await _quietly_close(client)
            raise SessionError(f"server refused the session: {_answer(exc)}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            await _quietly_close(client)
            raise SessionError(f"connect failed: {_text(exc)}{servers.security_hint(self.cfg, exc)}") from None
        self.client = client
        return client

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                await _quietly_close(client)

    async def send(self, row: OutboxRow) -> Delivery:
        """MAIL, RCPT per recipient, DATA; raises `_Dropped` when the session ends."""
        client = await self.open()
        try:
            return await self._transaction(client, row)
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == CLOSING:
                raise _Dropped(_answer(exc)) from None
            raise
        except aiosmtplib.SMTPTimeoutError as exc:
            raise _Dropped(str(exc) or type(exc).__name__, again=False) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise _Dropped(str(exc) or type(exc).__name__) from None

    async def _transaction(self, client: aiosmtplib.SMTP, row: OutboxRow) -> Delivery:
        options = ["BODY=8BITMIME"] if not row.raw.isascii() and client.supports_extension("8bitmime") else []
        if client.supports_extension("pipelining") and _pipelinable(client.protocol):
            return await _pipelined(client, row, options)
        try:
            await client.mail(row.mail_from, options=options)
        except aiosmtplib.SMTPSenderRefused as exc:
            if exc.code == CLOSING:
                raise
            await _reset(client)
            return Delivery.all_deferred(row, f"MAIL FROM refused: {_answer(exc)}", ours=exc.code == AUTH_REQUIRED,
                                         server=True)
        accepted: list[str] = []
        deferred: list[tuple[str, str]] = []
        refused: list[tuple[str, str]] = []
        for rcpt in row.rcpt:
            try:
                await client.rcpt(rcpt)
                accepted.append(rcpt)
            except aiosmtplib.SMTPRecipientRefused as exc:
                if exc.code == CLOSING:
                    raise
                (refused if exc.code >= 500 else deferred).append((rcpt, _answer(exc)))
        if not accepted:
            await _reset(client)
            return Delivery(row, (), tuple(deferred), tuple(refused))
        try:
            await _data(client, row.raw)
        except aiosmtplib.SMTPDataError as exc:
            if exc.code == CLOSING:
                raise
            await _reset(client)
            return _data_refused(row, accepted, deferred, refused, exc.code, _answer(exc))
        return Delivery(row, tuple(accepted), tuple(deferred), tuple(refused))


def _data_refused(row: OutboxRow, accepted: list[str], deferred: list[tuple[str, str]],
                  refused: list[tuple[str, str]], code: int, answer: str) -> Delivery:
    """DATA or the message refused: final for the accepted recipients on a 5xx, else temporary."""
    failed = [(a, answer) for a in accepted]
    if code >= 500:
        return Delivery(row, (), tuple(deferred), tuple(refused + failed))
    return Delivery(row, (), tuple(deferred + failed), tuple(refused))


async def _pipelined(client: aiosmtplib.SMTP, row: OutboxRow, options: list[str]) -> Delivery:
    """One mail in two round trips (RFC 2920): MAIL, every RCPT and DATA written at
    once, their replies read in order; then the message. The answers mean what they
    mean one at a time (`_Session._transaction`).

    The group's replies are read by `_replies`; the message goes as `_data` sends it.
    """
    protocol: Any = client.protocol
    commands = [b"MAIL FROM:" + _quoted(row.mail_from) + b"".join(b" " + o.encode("ascii") for o in options)]
    commands += [b"RCPT TO:" + _quoted(r) for r in row.rcpt]
    commands.append(b"DATA")
    try:
        async with protocol._command_lock:
            protocol.write(b"\r\n".join(commands) + b"\r\n")
            replies = await _replies(protocol, len(commands), client.timeout)
            if any(r.code == CLOSING for r in replies):
                raise aiosmtplib.SMTPResponseException(CLOSING, next(r.message for r in replies if r.code == CLOSING))
            delivery, done = await _envelope(protocol, row, replies, client.timeout)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, ConnectionError):
        client.close()
        raise
    if done is not None and done.code == CLOSING:
        raise aiosmtplib.SMTPResponseException(CLOSING, done.message)
    if done is None or done.code != 250:
        await _reset(client)
    return delivery


async def _envelope(protocol: Any, row: OutboxRow, replies: list[aiosmtplib.SMTPResponse],
                    timeout: float | None) -> tuple[Delivery, aiosmtplib.SMTPResponse | None]:
    """What the replies to MAIL, RCPT... and DATA decide; the message sent after a 354
    that has a recipient (an empty one ends a 354 without any). The delivery and the
    reply to the final dot, if one was sent."""
    mail, rcpts, data = replies[0], replies[1:-1], replies[-1]
    accepted: list[str] = []
    deferred: list[tuple[str, str]] = []
    refused: list[tuple[str, str]] = []
    if mail.code != 250:
        delivery = Delivery.all_deferred(row, f"MAIL FROM refused: {mail.code} {mail.message}".strip(),
                                         ours=mail.code == AUTH_REQUIRED, server=True)
    else:
        for rcpt, reply in zip(row.rcpt, rcpts, strict=True):
            if reply.code in (250, 251):
                accepted.append(rcpt)
            else:
                (refused if reply.code >= 500 else deferred).append((rcpt, f"{reply.code} {reply.message}".strip()))
        delivery = Delivery(row, (), tuple(deferred), tuple(refused))
    if data.code != 354:
        if accepted:
            delivery = _data_refused(row, accepted, deferred, refused, data.code, f"{data.code} {data.message}".strip())
        return delivery, None
    done = await _message(protocol, row.raw if accepted else b"", timeout)  # no recipient: an empty one
    if not accepted:
        return delivery, None
    if done.code == 250:
        return Delivery(row, tuple(accepted), tuple(deferred), tuple(refused)), done
    return _data_refused(row, accepted, deferred, refused, done.code, f"{done.code} {done.message}".strip()), done


async def _replies(protocol: Any, count: int, timeout: float | None) -> list[aiosmtplib.SMTPResponse]:
    """`count` replies in order, read from the connection here rather than by
    aiosmtplib: it parses one reply per `read_response` and drops what arrives while a
    parsed reply waits to be picked up, which loses replies that come one by one. A
    lost connection fails the wait as it fails aiosmtplib's own."""
    found: list[aiosmtplib.SMTPResponse] = []
    ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def received(data: bytes) -> None:
        protocol._buffer.extend(data)
        try:
            while len(found) < count and (reply := protocol._read_response_from_buffer()) is not None:
                found.append(reply)
        except aiosmtplib.SMTPResponseException as exc:  # malformed or too long
            if not ready.done():
                ready.set_exception(exc)
            return
        if len(found) == count and not ready.done():
            ready.set_result(None)

    lost = protocol._response_waiter  # failed by aiosmtplib when the connection ends
    if lost is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    protocol.data_received = received
    try:
        received(b"")
        done, _ = await asyncio.wait({ready, lost}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        del protocol.data_received
    if ready in done:
        ready.result()
        return found
    if lost in done:
        lost.result()
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    raise aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response")


def _pipelinable(protocol: object) -> bool:
    """The protocol object is the one `_pipelined` was written against (aiosmtplib 3-5)."""
    return getattr(protocol, "_command_lock", None) is not None and all(
        hasattr(protocol, name) for name in ("_response_pending", "_response_waiter", "_buffer",
                                             "_read_response_from_buffer", "_drain_helper"))


STREAM_FROM = 1 << 20  # messages from this size go to DATA in pieces
_PIECE = 1 << 20
_LINE_END = re.compile(rb"\r\n|\r|\n")


async def _data(client: aiosmtplib.SMTP, raw: bytes) -> aiosmtplib.SMTPResponse:
    """DATA with the message; a big one is written a piece at a time as the socket drains.

    aiosmtplib's `data` makes three whole copies on the way (line endings, dot
    stuffing, the terminator) and hands the transport all of it at once; for a mail
    relaying a 20 MB file that is 80 MB more memory. The pieces end at line ends, so
    each is fixed up on its own. Falls back to `data` where the protocol object is
    not the one this was written against.
    """
    protocol = client.protocol
    lock = getattr(protocol, "_command_lock", None)
    if len(raw) < STREAM_FROM or protocol is None or lock is None or not hasattr(protocol, "_drain_helper"):
        return await client.data(raw, timeout=_done_timeout(client.timeout))
    try:
        async with lock:
            protocol._response_pending = True
            protocol.write(b"DATA\r\n")
            start = await protocol.read_response(timeout=client.timeout)
            if start.code != 354:
                raise aiosmtplib.SMTPDataError(start.code, start.message)
            done = await _message(protocol, raw, client.timeout)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, ConnectionError):
        client.close()
        raise
    if done.code != 250:
        raise aiosmtplib.SMTPDataError(done.code, done.message)
    return done


async def _message(protocol: Any, raw: bytes, timeout: float | None) -> aiosmtplib.SMTPResponse:
    """After a 354: the message a piece at a time as the socket drains, the final dot, its
    reply. The dot goes with the last piece: one write, one system call, for most mail.
    A piece the server does not take within `DATA_BLOCK_TIMEOUT` (it stopped reading) ends
    the session as a reply that does not come does: before, that server's sending loop
    waited for good."""
    block = None if timeout is None else max(timeout, DATA_BLOCK_TIMEOUT)
    last = b""
    for piece in _pieces(raw):
        if last:
            protocol.write(last)
            try:
                await asyncio.wait_for(protocol._drain_helper(), block)
            except TimeoutError:
                raise aiosmtplib.SMTPTimeoutError("Timed out writing the message: the server stopped reading") from None
        last = piece
    protocol._response_pending = True
    protocol.write(last + b".\r\n")
    return await protocol.read_response(timeout=_done_timeout(timeout))  # type: ignore[no-any-return]


def _done_timeout(timeout: float | None) -> float | None:
    """How long the reply to the final dot may take: `timeout`, but not less than RFC 5321's 10 minutes."""
    return None if timeout is None else max(timeout, DATA_DONE_TIMEOUT)


@functools.lru_cache(maxsize=4096)
def _quoted(address: str) -> bytes:
    """`<address>` as aiosmtplib writes it in MAIL and RCPT. Its parse (the standard
    library's strict `parseaddr`) costs about 60 µs an address, and the same few
    addresses (the unit's, its staff's) are on most mail."""
    return aiosmtplib.email.quote_address(address).encode("ascii")


def _pieces(raw: bytes) -> Iterator[bytes]:
    """The message as DATA carries it (CRLF line ends, leading dots doubled), in pieces
    of about `_PIECE` bytes that end at a line end; the last ends with CRLF."""
    view = memoryview(raw)
    start = 0
    while start < len(raw):
        end = raw.find(b"\n", min(start + _PIECE, len(raw)) - 1)
        end = len(raw) if end < 0 else end + 1
        piece = _transparent(view[start:end].tobytes())
        yield piece if end < len(raw) or piece.endswith(b"\r\n") else piece + b"\r\n"
        start = end


def _transparent(piece: bytes) -> bytes:
    """One piece that starts a line: CRLF line ends, a dot that opens a line doubled.

    Literal searches, not the two patterns alone: a `^`-anchored or alternating pattern is
    tried at every byte (about 60 µs for a mail of 15 KB), while mail mailbot wrote has
    CRLF line ends already, which three counts confirm."""
    crlf = piece.count(b"\r\n")
    if piece.count(b"\n") != crlf or piece.count(b"\r") != crlf:
        piece = _LINE_END.sub(b"\r\n", piece)
    piece = piece.replace(b"\r\n.", b"\r\n..")
    return b"." + piece if piece.startswith(b".") else piece


async def _reset(client: aiosmtplib.SMTP) -> None:
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        pass


async def _quietly_close(client: aiosmtplib.SMTP) -> None:
    try:
        client.close()
    except (aiosmtplib.SMTPException, OSError):
        pass


class _Feed:
    """Rows handed out one at a time to the workers; a row given back goes first."""

    def __init__(self, rows: Iterator[OutboxRow]) -> None:
        self.rows = rows
        self.returned: list[OutboxRow] = []

    def next(self) -> OutboxRow | None:
        if self.returned:
            return self.returned.pop()
        return next(self.rows, None)


async def _send_one(session: _Session, row: OutboxRow) -> Delivery:
    """One mail; a session the server closed is reopened once for it (not one that timed
    out). A server that then refuses the new session (a relay restarting) took no mail."""
    for attempt in (1, 2):
        try:
            return await session.send(row)
        except _Dropped as exc:
            await session.close()
            if attempt == 2 or not exc.again:
                return replace(Delivery.all_deferred(row, f"connection lost: {exc}"), timed_out=not exc.again)
        except SessionError as exc:
            return replace(Delivery.all_deferred(row, str(exc), ours=exc.login_refused, server=True), no_session=True,
                           misconfigured=exc.misconfigured, skipped=bool(exc.misconfigured))
    raise AssertionError("unreachable")  # pragma: no cover


async def _deliver(cfg: ServerConfig, rows: Iterator[OutboxRow], on_result: Callable[[Delivery], None],
                   should_stop: Callable[[], bool], max_connections: int, timeout: float) -> None:
    feed = _Feed(rows)
    alive = max(1, max_connections)
    slow: set[str] = set()  # domains the server timed out on in this pass (a relay's callout, say)

    async def worker() -> None:
        nonlocal alive
        session = _Session(cfg, timeout)
        down: str | None = None  # why this worker, the last one, cannot open a session
        ours = False  # because our login was refused
        misconfigured = ""  # because the configuration asks for what the server does not do
        try:
            while not should_stop() and (row := feed.next()) is not None:
                if down is None:
                    try:
                        await session.open()
                    except SessionError as exc:
                        if alive > 1:
                            feed.returned.append(row)  # another session may still work
                            return
                        down, ours, misconfigured = str(exc), exc.login_refused, exc.misconfigured
                if down is not None:
                    on_result(replace(Delivery.all_deferred(row, down, ours=ours, server=True), no_session=True,
                                      misconfigured=misconfigured, skipped=bool(misconfigured)))
                    continue
                domains = {r.rsplit("@", 1)[-1].lower() for r in row.rcpt}
                if domains <= slow:  # one time-out per destination and pass: the rest of the outbox goes on
                    on_result(replace(Delivery.all_deferred(row, "its destination timed out earlier in this pass"),
                                      skipped=True))
                    continue
                delivery = await _send_one(session, row)
                if delivery.timed_out:
                    slow.update(domains)
                on_result(delivery)
        finally:
            alive -= 1
            await session.close()

    await asyncio.gather(*(worker() for _ in range(alive)))


def deliver(cfg: ServerConfig, rows: Iterator[OutboxRow], on_result: Callable[[Delivery], None], *,
            should_stop: Callable[[], bool] = lambda: False, max_connections: int = 1,
            timeout: float = 30.0) -> None:
    """Send rows over kept connections, calling `on_result` after each one.

    Rows are pulled from `rows` only when a connection is free, so a large backlog is
    never held in memory. When no session can be opened, every remaining row is
    reported deferred without being tried, so a down server costs one time-out.
    """
    asyncio.run(_deliver(cfg, rows, on_result, should_stop, max_connections, timeout))


def probe(cfg: ServerConfig, timeout: float = 10.0) -> str:
    """Connect and log in; a description, LoginRefusedError or UnreachableError."""

    async def run() -> str:
        session = _Session(cfg, timeout, greeting=timeout)
        try:
            await session.open()
            return f"SMTP {cfg.host}:{cfg.port} ok ({cfg.security}{', ' + cfg.auth if cfg.username else ''})"
        finally:
            await session.close()

    try:
        return asyncio.run(run())
    except SessionError as exc:
        if exc.misconfigured:
            raise ConfigError(exc.misconfigured) from None
        if exc.login_refused:
            raise LoginRefusedError(
                f"SMTP login to {cfg.host}:{cfg.port} as {cfg.username} refused: {exc.answer}") from None
        raise UnreachableError(f"SMTP server {cfg.host}:{cfg.port} unreachable: {exc}") from None
