"""A scripted SMTP server on loopback for protocol-level faults (red-team tests).

A plain asyncio server in a thread of its own: one line read, one reply written, so a
pipelined group is answered in order. What it accepts is kept in `accepted` as
(Message-ID, X-Mailbot-Kind, recipients, raw); nothing is delivered anywhere else.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any, Self

from tests.localmail import HOST, _free_port
from tests.mailfactory import UNIT, mail, write_config


@dataclass
class Script:
    greeting: list[str] = field(default_factory=list)  # replies used once each; a non-220 closes
    ehlo: list[str] = field(default_factory=list)  # replies to EHLO used once each; a non-250 closes if 421
    extensions: list[str] = field(default_factory=lambda: ["PIPELINING", "8BITMIME"])
    auth: list[str] = field(default_factory=list)  # replies to AUTH used once each (default 235)
    starttls: str | None = None  # reply to STARTTLS (then closed on 220, as a broken TLS layer)
    mail: list[str] = field(default_factory=list)
    rcpt: dict[str, list[str]] = field(default_factory=dict)  # address -> replies used once each
    rcpt_delay: dict[str, float] = field(default_factory=dict)  # address -> seconds before each reply
    max_rcpt: int = 0  # 0: no limit; past it "452 4.5.3 Too many recipients"
    dot_kind: dict[str, list[str]] = field(default_factory=dict)  # X-Mailbot-Kind -> dot actions, first
    dot: list[str] = field(default_factory=list)  # "250", "close" (kept, closed unanswered),
    # "stall:N" (kept, answered 250 after N s), "drop" (not kept, closed), or any reply (not kept)
    connections: int = 0
    commands: list[str] = field(default_factory=list)
    accepted: list[tuple[str, str, tuple[str, ...], bytes]] = field(default_factory=list)

    def copies(self, address: str, kind: str | None = None) -> list[str]:
        """Message-IDs accepted for `address` (of that X-Mailbot-Kind), one per copy."""
        return [m for m, k, rcpts, _ in self.accepted if address in rcpts and (kind is None or k == kind)]


def _take(replies: list[str]) -> str | None:
    return replies.pop(0) if replies else None


def _headers(raw: bytes) -> tuple[str, str]:
    msg = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return " ".join(str(msg.get("Message-ID", "")).split()), str(msg.get("X-Mailbot-Kind", ""))


class RawSmtp:
    def __init__(self, script: Script | None = None) -> None:
        self.script = script or Script()
        self.port = _free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.base_events.Server | None = None

    def __enter__(self) -> Self:
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self.session, HOST, self.port), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def down() -> None:
            assert self.server is not None
            self.server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(down(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        s = self.script
        s.connections += 1

        def say(line: str) -> None:
            writer.write(line.encode("utf-8") + b"\r\n")

        try:
            greeting = _take(s.greeting) or "220 raw.test ESMTP"
            say(greeting)
            if not greeting.startswith("220"):
                await writer.drain()
                writer.close()
                return
            mail_from: str | None = None
            rcpts: list[str] = []
            while True:
                line = await reader.readline()
                if not line:
                    return
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                s.commands.append(text)
                verb = text.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    reply = _take(s.ehlo)
                    if reply is not None:
                        say(reply)
                        if reply.startswith("421"):
                            await writer.drain()
                            writer.close()
                            return
                        continue
                    ext = ["raw.test", *s.extensions]
                    for i, e in enumerate(ext):
                        say(("250 " if i == len(ext) - 1 else "250-") + e)
                elif verb == "STARTTLS":
                    say(s.starttls or "454 4.7.0 TLS not available")
                    if (s.starttls or "").startswith("220"):
                        await writer.drain()
                        writer.write(b"\x15\x03\x01\x00\x02\x02\x28")  # a TLS alert instead of a handshake
                        await writer.drain()
                        writer.close()
                        return
                elif verb == "AUTH":
                    say(_take(s.auth) or "235 2.7.0 Authentication successful")
                elif verb == "MAIL":
                    reply = _take(s.mail) or "250 2.1.0 Ok"
                    if reply.startswith("250"):
                        mail_from, rcpts = re.sub(r"(?i)^MAIL FROM:", "", text), []
                    say(reply)
                elif verb == "RCPT":
                    address = re.sub(r"(?i)^RCPT TO:\s*<?([^>]*)>?.*$", r"\1", text).lower()
                    await asyncio.sleep(s.rcpt_delay.get(address, 0.0))
                    reply = _take(s.rcpt.get(address, [])) or "250 2.1.5 Ok"
                    if mail_from is None:
                        reply = "503 5.5.1 Error: need MAIL command"
                    elif reply.startswith("250") and s.max_rcpt and len(rcpts) >= s.max_rcpt:
                        reply = "452 4.5.3 Error: too many recipients"
                    if reply.startswith("250"):
                        rcpts.append(address)
                    say(reply)
                elif verb == "DATA":
                    if not rcpts:
                        say("554 5.5.1 Error: no valid recipients")
                        continue
                    say("354 End data with <CR><LF>.<CR><LF>")
                    body: list[bytes] = []
                    while (chunk := await reader.readline()) not in (b".\r\n", b""):
                        body.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    raw = b"".join(body)
                    mid, kind = _headers(raw)
                    action = _take(s.dot_kind.get(kind, [])) or _take(s.dot) or "250"
                    if action == "drop":
                        writer.close()
                        return
                    if action in ("250", "close") or action.startswith("stall:"):
                        s.accepted.append((mid, kind, tuple(rcpts), raw))
                    mail_from, rcpts = None, []
                    if action == "close":
                        await writer.drain()
                        writer.close()
                        return
                    if action.startswith("stall:"):
                        await asyncio.sleep(float(action.split(":")[1]))
                        action = "250"
                    say("250 2.0.0 Ok: queued" if action == "250" else action)
                elif verb == "RSET":
                    mail_from, rcpts = None, []
                    say("250 2.0.0 Ok")
                elif verb == "QUIT":
                    say("221 2.0.0 Bye")
                    await writer.drain()
                    writer.close()
                    return
                elif verb == "NOOP":
                    say("250 2.0.0 Ok")
                else:
                    say("502 5.5.2 Error: command not recognized")
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            writer.close()


def on_loopback(smtp: RawSmtp, **extra: object) -> dict[str, object]:
    return {"host": HOST, "port": smtp.port, "security": "none", **extra}


# --- driving mailbot against it (the outbox's clock is an argument) ---------------------------

REQUESTER = "budi@vendor.test"


class Clock:
    """The daemon's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_app(servers: Any, smtp: RawSmtp, tmp_path: Path, clock: Clock, **extra: object) -> Any:
    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App

    config = write_config(servers, tmp_path, smtp=on_loopback(smtp, **extra))
    return App(load_config(config), clock=clock)


def new_ticket(servers: Any, sender: str = REQUESTER, subject: str = "Tidak bisa login SPSE",
               attachments: tuple[Any, ...] = ()) -> str:
    raw, mid = mail(sender, subject, "Akun saya terkunci sejak pagi. Mohon bantuan.", attachments=attachments)
    servers.append(UNIT, raw)
    return mid


def rows(app: Any) -> list[dict[str, Any]]:
    return list(app.store.db.query(
        "select id, kind, status, attempts, rcpt, rcpt_done, last_error, next_attempt_at from outbox order by id"))


def events(app: Any, kind: str) -> list[dict[str, Any]]:
    return [json.loads(e["detail"]) for t in app.store.search.tickets() for e in app.store.history.events_of(t.id)
            if e["kind"] == kind]


def flush_for(app: Any, clock: Clock, minutes: float, step: float = 1.0) -> None:
    """The sender's passes over `minutes` of simulated time."""
    for _ in range(int(minutes / step)):
        app.flush_outbox()
        clock.advance(minutes=step)
