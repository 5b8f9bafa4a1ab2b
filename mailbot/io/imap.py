"""The only module that talks IMAP (through imapclient).

UIDs only, never sequence numbers. A message leaves the INBOX only by MOVE, or by
COPY followed by a UID EXPUNGE of that one UID where the server has UIDPLUS; never by a
mailbox-wide EXPUNGE, and nothing is ever deleted. Without MOVE or UIDPLUS the
message is copied and flagged \\Seen, and the stored last UID keeps it from being
read again.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Self

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from mailbot.core.settings import ImapConfig
from mailbot.errors import LoginRefusedError, TransientError, UnreachableError
from mailbot.io import servers

FETCH_BATCH = 50


@dataclass(frozen=True)
class Fetched:
    """One message as fetched; `complete` False: only its header block, it was over the size cap."""

    uid: int
    raw: bytes
    internal_date: datetime
    size: int = 0
    complete: bool = True


class Mailbox:
    """One logged-in IMAP session on one mailbox folder."""

    def __init__(self, cfg: ImapConfig, timeout: float = 30.0) -> None:
        self.cfg = cfg
        self.timeout = timeout
        self.client: imapclient.IMAPClient | None = None
        self.uidvalidity: int = 0
        self.capabilities: frozenset[bytes] = frozenset()

    def connect(self) -> None:
        cfg = self.cfg
        client: imapclient.IMAPClient | None = None
        try:
            context = servers.tls_context(cfg)
            client = imapclient.IMAPClient(
                cfg.host, port=cfg.port, use_uid=True, ssl=cfg.security == "ssl", ssl_context=context,
                timeout=self.timeout,
            )
            if cfg.security == "starttls":
                client.starttls(context)
            if cfg.username and cfg.auth == "xoauth2":
                client.oauth2_login(cfg.username, servers.access_token(cfg))
            elif cfg.username:
                client.login(cfg.username, servers.password(cfg))
        except (LoginError, LoginRefusedError) as exc:
            _shutdown(client)
            raise LoginRefusedError(
                f"IMAP login to {cfg.host}:{cfg.port} as {cfg.username} refused: {_text(exc)}") from None
        except (OSError, IMAPClientError, ssl.SSLError) as exc:
            _shutdown(client)
            raise UnreachableError(f"IMAP server {cfg.host}:{cfg.port} unreachable: {_text(exc)}") from None
        self.client = client
        self.capabilities = frozenset(client.capabilities())
        for folder in (cfg.processed_folder, cfg.quarantine_folder):
            self._ensure_folder(folder)
        info = client.select_folder(cfg.folder)
        self.uidvalidity = int(info[b"UIDVALIDITY"])

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except (OSError, IMAPClientError):
                pass
            self.client = None

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _c(self) -> imapclient.IMAPClient:
        if self.client is None:
            raise TransientError("IMAP session is not connected")
        return self.client

    def _ensure_folder(self, folder: str) -> None:
        try:
            if not self._c.folder_exists(folder):
                self._c.create_folder(folder)
        except IMAPClientError as exc:
            raise TransientError(f"cannot create IMAP folder {folder!r}: {_text(exc)}") from None

    def pending_uids(self, after: int) -> list[int]:
        """UIDs above `after`, ascending ("n:*" also returns the last message, filter it)."""
        try:
            uids = self._c.search(["UID", f"{after + 1}:*"])
        except (OSError, IMAPClientError) as exc:
            raise TransientError(f"IMAP search failed: {_text(exc)}") from None
        return sorted(int(u) for u in uids if int(u) > after)

    def fetch(self, uids: list[int], max_size: int | None = None) -> Iterator[Fetched]:
        """Raw bytes without setting \\Seen (BODY.PEEK), a batch at a time.

        Sizes are asked first: a message over `max_size` is fetched as its header block
        only, so one huge mail never enters memory (SPEC 9); it goes to Quarantine.
        """
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start:start + FETCH_BATCH]
            try:
                sizes = {uid: int(item.get(b"RFC822.SIZE", 0)) for uid, item in
                         self._c.fetch(batch, ["RFC822.SIZE"]).items()}
                small = [u for u in batch if u in sizes and (max_size is None or sizes[u] <= max_size)]
                large = [u for u in batch if u in sizes and u not in small]
                data = self._c.fetch(small, ["BODY.PEEK[]", "INTERNALDATE"]) if small else {}
                heads = self._c.fetch(large, ["BODY.PEEK[HEADER]", "INTERNALDATE"]) if large else {}
            except (OSError, IMAPClientError) as exc:
                raise TransientError(f"IMAP fetch failed: {_text(exc)}") from None
            for uid in batch:
                item, key = (data.get(uid), b"BODY[]") if uid in data else (heads.get(uid), b"BODY[HEADER]")
                if item is None or key not in item:
                    continue  # expunged by someone else meanwhile
                when = item.get(b"INTERNALDATE")
                # imapclient gives it in naive local time (normalise_times); astimezone() reads it so.
                when = when.astimezone(UTC) if isinstance(when, datetime) else datetime.now(UTC)
                yield Fetched(uid, bytes(item[key]), when, sizes.get(uid, 0), complete=key == b"BODY[]")

    def move(self, uid: int, folder: str) -> None:
        """Move one message; MOVE, else COPY + UID EXPUNGE of that UID, else COPY + \\Seen."""
        client = self._c
        try:
            if b"MOVE" in self.capabilities:
                client.move([uid], folder)
            elif b"UIDPLUS" in self.capabilities:
                client.copy([uid], folder)
                client.add_flags([uid], [imapclient.DELETED])
                client.uid_expunge([uid])
            else:
                client.copy([uid], folder)
                client.add_flags([uid], [imapclient.SEEN])
        except (OSError, IMAPClientError) as exc:
            raise TransientError(f"IMAP move of UID {uid} to {folder!r} failed: {_text(exc)}") from None

    @property
    def supports_idle(self) -> bool:
        return self.cfg.idle and b"IDLE" in self.capabilities

    def idle_wait(self, seconds: float) -> bool:
        """Wait for new mail with IDLE, up to `seconds`; True when the server said something."""
        client = self._c
        if not self.cfg.idle or b"IDLE" not in self.capabilities:
            return False
        try:
            client.idle()
            try:
                responses = client.idle_check(timeout=seconds)
            finally:
                client.idle_done()
        except (OSError, IMAPClientError) as exc:
            raise TransientError(f"IMAP IDLE failed: {_text(exc)}") from None
        return bool(responses)


def probe(cfg: ImapConfig, timeout: float = 10.0) -> str:
    """Log in and select the folder; a line describing the server, or UnreachableError."""
    box = Mailbox(cfg, timeout)
    try:
        box.connect()
        caps = sorted(c.decode() for c in box.capabilities if c in (b"IDLE", b"MOVE", b"UIDPLUS"))
        return f"IMAP {cfg.host}:{cfg.port} ok, UIDVALIDITY {box.uidvalidity}, {' '.join(caps) or 'no IDLE/MOVE/UIDPLUS'}"
    finally:
        box.close()


def _shutdown(client: imapclient.IMAPClient | None) -> None:
    if client is not None:
        try:
            client.shutdown()
        except (OSError, IMAPClientError):
            pass


def _text(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return servers.certificate_problem(exc)
    text = str(exc)
    return text if text else type(exc).__name__
