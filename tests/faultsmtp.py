"""An SMTP server the test controls, for the reliability tests (issue "Never drop, never stall").

It is a real aiosmtpd server on loopback. What it accepts is delivered into the local
Dovecot INBOXes through the harness's own LDA delivery, so outcomes are read back over
IMAP as everywhere else. The test scripts its faults in `Faults`: replies to the
greeting, MAIL, RCPT (per recipient) and DATA used in turn, dropped connections, a
slow DATA, a connection limit and a limit of messages per session.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.localmail import HOST, LocalMailServers, _free_port, offer_pipelining


@dataclass
class Faults:
    """What the server does; replies in the lists are used once each, in turn."""

    greeting: list[str] = field(default_factory=list)  # e.g. "421 4.3.2 try later": sent, then closed
    mail: list[str] = field(default_factory=list)  # replies to MAIL FROM
    rcpt: dict[str, list[str]] = field(default_factory=dict)  # recipient -> replies to its RCPT
    data: list[str] = field(default_factory=list)  # replies to the end of DATA; "drop" closes without delivering,
    # "deliver-drop" delivers and closes without answering
    data_delay: float = 0.0  # seconds before DATA is answered
    rcpt_delay: float = 0.0  # seconds before each RCPT TO is answered (replies then come one by one)
    max_connections: int = 0  # 0: no limit; beyond it the greeting is 421 and the connection closed
    per_session: int = 0  # 0: no limit; beyond it MAIL gets 421 and the connection is closed
    on_data: Callable[[], None] | None = None  # called when a DATA begins
    pipelining: bool = True  # PIPELINING offered in the EHLO answer
    greeting_delay: float = 0.0  # seconds before the 220 greeting (a busy server, a tarpit)
    # what happened
    connections: int = 0
    pipelined: int = 0  # MAIL commands that came with their RCPT TO already behind them (not awaiting the reply)
    active: int = 0
    peak: int = 0
    accepted: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (Message-ID line, recipients)
    in_data: threading.Event = field(default_factory=threading.Event)  # set while a DATA is being answered

    def refuse_rcpt(self, address: str, *replies: str) -> None:
        self.rcpt.setdefault(address.lower(), []).extend(replies)


def _take(replies: list[str]) -> str | None:
    return replies.pop(0) if replies else None


class _Server(SMTP):
    faults: Faults

    async def _handle_client(self) -> None:
        faults = self.faults
        faults.connections += 1
        greeting = _take(faults.greeting)
        if greeting is None and faults.max_connections and faults.active >= faults.max_connections:
            greeting = "421 4.7.0 Too many connections from your host"
        if greeting is not None:
            await self.push(greeting)
            if self.transport is not None:
                self.transport.close()
            return
        faults.active += 1
        faults.peak = max(faults.peak, faults.active)
        try:
            if faults.greeting_delay:
                await asyncio.sleep(faults.greeting_delay)
            await super()._handle_client()
        finally:
            if not getattr(self, "mailbot_released", False):
                faults.active -= 1


class _Handler:
    def __init__(self, faults: Faults, servers: LocalMailServers) -> None:
        self.faults = faults
        self.servers = servers

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        if self.faults.pipelining:
            return offer_pipelining(session, hostname, responses)
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        count = getattr(session, "mailbot_count", 0)
        if self.faults.per_session and count >= self.faults.per_session:
            if server.transport is not None:
                asyncio.get_running_loop().call_soon(server.transport.close)
            # the session is over once it is said: its slot is free for the client's reconnect
            # at once (counted at the connection's end, a reconnect faster than this loop's
            # next turns was refused as one too many, on a loaded host only)
            if not getattr(server, "mailbot_released", False):
                server.mailbot_released = True  # type: ignore[attr-defined]
                self.faults.active -= 1
            return "421 4.7.0 Too many messages in this session, closing"
        reader = getattr(server, "_reader", None)
        if b"RCPT TO" in bytes(getattr(reader, "_buffer", b"")).upper():
            self.faults.pipelined += 1
        reply = _take(self.faults.mail)
        if reply is not None and not reply.startswith("250"):
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if self.faults.rcpt_delay:
            await asyncio.sleep(self.faults.rcpt_delay)
        reply = _take(self.faults.rcpt.get(address.lower(), []))
        if reply is not None and not reply.startswith("250"):
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        faults = self.faults
        faults.in_data.set()
        if faults.on_data is not None:
            faults.on_data()
        try:
            if faults.data_delay:
                await asyncio.sleep(faults.data_delay)
            reply = _take(faults.data) or "250"
            if reply == "drop":
                if server.transport is not None:
                    server.transport.close()
                return "421 4.4.2 Connection dropped"
            if not reply.startswith(("250", "deliver-drop")):
                return reply
            content = envelope.original_content or b""
            for rcpt in envelope.rcpt_tos:
                await asyncio.to_thread(self.servers._deliver, envelope.mail_from or "", rcpt, content)
            faults.accepted.append((_message_id(content), tuple(envelope.rcpt_tos)))
            session.mailbot_count = getattr(session, "mailbot_count", 0) + 1  # type: ignore[attr-defined]
            if reply == "deliver-drop" and server.transport is not None:
                server.transport.close()
            return "250 2.0.0 Delivered"
        finally:
            faults.in_data.clear()


def _message_id(content: bytes) -> str:
    """The Message-ID of raw mail, unfolded (long ones are folded onto a second line)."""
    value = BytesHeaderParser(policy=compat32).parsebytes(content).get("Message-ID", "")
    return " ".join(str(value).split())


class _Controller(Controller):
    def __init__(self, faults: Faults, servers: LocalMailServers, port: int) -> None:
        super().__init__(_Handler(faults, servers), hostname=HOST, port=port, ready_timeout=10)
        self.faults = faults

    def factory(self) -> SMTP:
        server = _Server(self.handler, hostname="faulty.test")
        server.faults = self.faults
        return server


class FaultySmtp:
    """Start with `with FaultySmtp(servers) as smtp:`; `smtp.port`, `smtp.faults`; `stop()` makes it unreachable."""

    def __init__(self, servers: LocalMailServers) -> None:
        self.servers = servers
        self.faults = Faults()
        self.port = _free_port()
        self._controller: _Controller | None = None

    def start(self) -> None:
        self._controller = _Controller(self.faults, self.servers, self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def smtp_block(port: int, **extra: object) -> dict[str, object]:
    """The `smtp:` config block for a server on this loopback port."""
    return {"host": HOST, "port": port, "security": "none", **extra}


def count_by_message_id(raws: list[bytes]) -> Iterator[tuple[str, int]]:
    """(Message-ID, copies) of raw messages, for exactly-once checks."""
    counts: dict[str, int] = {}
    for raw in raws:
        mid = _message_id(raw.replace(b"\r\n", b"\n"))
        counts[mid] = counts.get(mid, 0) + 1
    return iter(counts.items())
