"""Signing in to the window by a link mailed on request (SPEC 13: `/masuk`).

A person types their address; when the config names it for a mailbox (staff, coordinator,
head) and neither that address nor that client has asked too often, a link is mailed to
it. The page says the same whatever the address, and answers as fast: the mail goes after
the answer (`SignIns.request` returns it for the caller to send in the background), so
neither the words nor the time tell which addresses are configured.

The link is a signed token (`core/web_tokens`): valid 15 minutes, for the browser whose
cookie asked, and used once. Every request and every use is logged with the address and
its outcome (who looked, and who tried), never with the token. The web process never writes the store (SPEC 13), so the
used links are kept here: in memory, and in a small file of its own beside the data
(`used_file`), each until its link would have ended anyway: a restart does not make a
used link good again. Nothing else of a sign-in is stored: a session is a signed cookie.
"""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from pathlib import Path

import structlog

from mailbot.core.web_tokens import SIGNIN_MINUTES, Signed, signin_token, signin_verified
from mailbot.io import smtp
from mailbot.io.render import Renderer
from mailbot.io.words import language_of, words
from mailbot.model import AUTO_GENERATED, OutboxRow
from mailbot.settings import Config, MailboxConfig

ADDRESS_LIMIT = 3  # links to one address per window (SPEC 13: limited per address ...)
CLIENT_LIMIT = 10  # link requests from one client per window (... and per client)
LIMIT_WINDOW = timedelta(minutes=SIGNIN_MINUTES)
KIND = "web_signin"


def boxes_of(cfg: Config, address: str) -> list[MailboxConfig]:
    """The mailboxes whose config names `address` as staff, coordinator or head: the ones the
    person may sign in to and see."""
    address = address.strip().lower()
    return [b for b in cfg.mailboxes if address in (*b.staff, *b.coordinators, *b.heads)]


class Limits:
    """How often each key asked within the last `window` (in memory: a restart forgets it)."""

    def __init__(self, most: int, window: timedelta = LIMIT_WINDOW) -> None:
        self.most = most
        self.window = window
        self.asked: dict[str, deque[datetime]] = {}

    def allow(self, key: str, now: datetime) -> bool:
        """Whether `key` may ask once more now; an allowed request counts."""
        times = self.asked.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.most:
            return False
        times.append(now)
        if len(self.asked) > 10_000:  # keys that asked long ago go
            self.asked = {k: v for k, v in self.asked.items() if v and now - v[-1] < self.window}
        return True


class UsedLinks:
    """The nonces of sign-in links already used, each kept until its link would have ended."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.used: dict[str, float] = {}  # nonce -> when its link ends (epoch seconds)
        if path is not None and path.is_file():
            try:
                self.used = {str(k): float(v) for k, v in json.loads(path.read_text("utf-8")).items()}
            except (OSError, ValueError, AttributeError):
                self.used = {}  # a damaged file: the links it named have ended within 15 minutes anyway

    def take(self, signed: Signed, now: datetime) -> bool:
        """Mark the link used; False when it was used before."""
        assert signed.nonce is not None
        self.used = {k: v for k, v in self.used.items() if v > now.timestamp()}
        if signed.nonce in self.used:
            return False
        self.used[signed.nonce] = signed.ends.timestamp()
        self._save()
        return True

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_name(self.path.name + ".new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.used, handle)
        os.replace(temporary, self.path)


@dataclass(frozen=True)
class Request:
    """A sign-in link to mail, made by `SignIns.request`."""

    box: MailboxConfig
    address: str
    link: str


class SignIns:
    """Link requests, link use and the mail that carries a link."""

    def __init__(self, cfg: Config, key: bytes, used_file: Path | None,
                 deliver: Callable[[MailboxConfig, OutboxRow], bool] | None = None) -> None:
        self.cfg = cfg
        self.key = key
        self.per_address = Limits(ADDRESS_LIMIT)
        self.per_client = Limits(CLIENT_LIMIT)
        self.used = UsedLinks(used_file)
        self.lock = threading.Lock()
        self.renderer = Renderer(cfg.templates_dir)
        self.deliver = deliver or send_row
        self.log = structlog.get_logger("mailbot.web")

    def request(self, address: str, browser: str, client: str, now: datetime) -> Request | None:
        """The link to mail for this request, or None (an address the config does not name,
        or asked too often, or no `web.url` to start a link with): the caller answers alike."""
        address = address.strip().lower()
        url = self.cfg.web.url if self.cfg.web else None
        boxes = boxes_of(self.cfg, address)
        with self.lock:
            if not self.per_client.allow(client, now):
                self.log.warning("signin_limited", per="client", address=address, client=client)
                return None
            if not boxes or url is None or not browser:
                why = ("the config names it for no mailbox" if not boxes else "web.url is not set" if url is None
                       else "the browser sent no cookie")
                self.log.info("signin_link_not_sent", address=address, client=client, why=why)
                return None
            if not self.per_address.allow(address, now):
                self.log.warning("signin_limited", per="address", mailbox=boxes[0].name, address=address,
                                 client=client)
                return None
        return Request(boxes[0], address, f"{url}masuk/{signin_token(self.key, address, browser, now)}")

    def use(self, token: str, browser: str, now: datetime) -> Signed | None:
        """Who the link signs in on this browser, once; None for a link of another browser,
        forged, ended or used."""
        signed = signin_verified(self.key, token, browser, now)
        if signed is None:  # whose it was is not known: its address is the token's, unproven
            self.log.info("signin_refused", why="a link of another browser, ended, or not mailbot's")
            return None
        boxes = boxes_of(self.cfg, signed.address)
        if not boxes:
            self.log.info("signin_refused", address=signed.address, why="the config names it for no mailbox now")
            return None
        with self.lock:
            taken = self.used.take(signed, now)
        if not taken:
            self.log.info("signin_refused", address=signed.address, why="the link was used before")
            return None
        self.log.info("signed_in", address=signed.address, mailboxes=[b.name for b in boxes])
        return signed

    def mail(self, request: Request, now: datetime) -> bool:
        """Build the sign-in mail and hand it to SMTP (io/smtp.py); whether the server took it."""
        box = request.box
        language = language_of(self.cfg.language)
        said = words(language, self.cfg.templates_dir).table["web"]
        out = self.renderer.build(
            kind=KIND, language=language, context={"unit": box.display_name, "link": request.link,
                                                  "minutes": SIGNIN_MINUTES},
            from_name=box.display_name, from_addr=box.address, to=[request.address],
            subject=f"{said['signin_subject']} - {box.display_name}",
            message_id=make_msgid("web", box.address.rpartition("@")[2]).strip("<>"), in_reply_to=None,
            references=[], date=now, auto=AUTO_GENERATED)
        row = OutboxRow(0, box.name, None, out.message_id, KIND, box.address, out.rcpt, out.raw, 0, now, "staff")
        sent = self.deliver(box, row)
        self.log.info("signin_link_sent" if sent else "signin_link_failed", mailbox=box.name, address=request.address)
        return sent


def send_row(box: MailboxConfig, row: OutboxRow) -> bool:
    """One mail through the mailbox's SMTP server, now; whether every recipient was accepted."""
    results: list[smtp.Delivery] = []
    smtp.deliver(box.smtp, iter([row]), results.append, timeout=box.smtp.timeout)
    return bool(results) and set(results[0].accepted) == set(row.rcpt)
