"""The only module that talks IMAP (through imapclient).

UIDs only, never sequence numbers. A message leaves the INBOX only by MOVE, or by
COPY followed by a UID EXPUNGE of that one UID where the server has UIDPLUS; never by a
mailbox-wide EXPUNGE, and nothing is ever deleted. Without MOVE or UIDPLUS the
message is copied and flagged \\Seen, and the stored last UID keeps it from being
read again. The only mail mailbot puts in a folder itself is a copy of what it sent, by
APPEND to the sent folder (`mailbot.daemon.sent_folder`).

A message the server cannot return (a message file it cannot read: Dovecot closes the
session with BYE, Gmail answers NO) is singled out: the FETCH it was in is done again
one message at a time, on a fresh session where the server closed this one, and it
comes back as a `Fetched` with `error` set while the others come as usual.
"""

from __future__ import annotations

import ast
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection, Generator, Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Self

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from mailbot.errors import LoginRefusedError, MissingFolderError, ServerBusyError, TransientError, UnreachableError
from mailbot.io import servers
from mailbot.settings import ImapConfig

FETCH_BATCH = 50  # messages per FETCH and per group commit
FETCH_BYTES = 8 * 1024 * 1024  # a batch's bodies together, unless one message is larger
UNREADABLE_PER_PASS = 5  # messages the server cannot return in one pass; one more: the server fails, not them
_BYTES_REPR = re.compile(r"b(['\"])(.*)\1", re.DOTALL)
# imaplib's "LIST command error: BAD [b'...']", one item or more
_LISTED_BYTES = re.compile(r"\[(b(['\"]).*?\2(?:, b(['\"]).*?\3)*)\]")


@dataclass(frozen=True)
class Fetched:
    """One message as fetched; `complete` False: only its header block, it was over the size cap."""

    uid: int
    raw: bytes
    internal_date: datetime
    size: int = 0
    complete: bool = True
    error: str | None = None  # the server could not return it, in its words; `raw` is empty


class MoveFailed(TransientError):
    """A MOVE (or an APPEND) the server refused (`lost` False: the session still works; a
    read-only or full folder) or that broke the session (`lost` True)."""

    def __init__(self, message: str, lost: bool) -> None:
        super().__init__(message)
        self.lost = lost


@dataclass(frozen=True)
class Placed:
    """Where moved messages went: the target folder's UIDVALIDITY and each source UID's UID
    there, as the server said (UIDPLUS COPYUID); empty where it did not say."""

    uidvalidity: int | None
    uids: dict[int, int]


@dataclass(frozen=True)
class Head:
    """One message of a folder as a person finds it in a mail client."""

    uid: int
    message_id: str | None
    date: str
    sender: str
    subject: str
    arrived: datetime | None


def copyuid(codes: list[bytes]) -> Placed:
    """The COPYUID response codes of a MOVE or COPY (RFC 4315: "uidvalidity source-set
    destination-set", the sets in the same order) as one map of source to target UID."""
    validity: int | None = None
    mapping: dict[int, int] = {}
    for code in codes:
        parts = (code.decode("ascii", "replace") if isinstance(code, bytes) else str(code)).split()
        if len(parts) != 3 or not parts[0].isdigit():
            continue
        try:
            source, target = uid_set(parts[1]), uid_set(parts[2])
        except ValueError:
            continue
        if len(source) != len(target):
            continue
        validity = int(parts[0])
        mapping.update(zip(source, target, strict=True))
    return Placed(validity, mapping)


def uid_set(text: str) -> list[int]:
    """An IMAP sequence set of UIDs ("4:6,9") as the list it names, in its order."""
    found: list[int] = []
    for item in text.split(","):
        low, _, high = item.partition(":")
        if not high:
            found.append(int(low))
            continue
        a, b = int(low), int(high)
        if abs(a - b) > 1_000_000:
            raise ValueError("set too large")
        found += range(min(a, b), max(a, b) + 1)
    return found


@dataclass(frozen=True)
class Tagged:
    """A message whose subject names a ticket, as the restore's recovery reads it."""

    subject: str
    sender: str  # the From address, lower case
    answers: tuple[str, ...]  # References, then In-Reply-To: oldest first, without angle brackets


def tagged_of(block: bytes) -> Tagged:
    """A `Tagged` from the header fields a FETCH returned."""
    import email
    import email.policy
    import email.utils

    msg = email.message_from_bytes(block, policy=email.policy.compat32)
    subject = head_of(0, block, None).subject
    sender = email.utils.parseaddr(str(msg.get("From", "") or ""))[1].lower()
    ids = re.findall(r"<([^<>\s]+)>", f"{msg.get('References', '') or ''} {msg.get('In-Reply-To', '') or ''}")
    return Tagged(subject, sender, tuple(dict.fromkeys(ids)))


def head_of(uid: int, block: bytes, arrived: datetime | None) -> Head:
    """A `Head` from the header fields a FETCH returned (decoded as a mail client shows them)."""
    import email
    import email.policy

    msg = email.message_from_bytes(block, policy=email.policy.default)

    def field(name: str) -> str:
        try:
            value = msg.get(name)
        except (ValueError, IndexError, TypeError):
            return ""
        return " ".join(str(value).split()) if value is not None else ""

    mid = field("Message-ID").strip().strip("<>").strip() or None
    return Head(uid, mid, field("Date"), field("From"), field("Subject"), arrived)


class FetchFailed(TransientError):
    """The server would not return these messages (NO, or BYE closing the session)."""

    def __init__(self, uids: list[int], words: str) -> None:
        self.uids, self.words = tuple(uids), words
        which = f"UID {uids[0]}" if len(uids) == 1 else f"UIDs {uids[0]}-{uids[-1]} ({len(uids)} messages)"
        super().__init__(f"IMAP fetch of {which} failed: {words}")


class FetchAhead:
    """A mailbox's batches, the next one fetched on a helper thread while the caller
    handles the current one (the main thread would otherwise wait out every FETCH).

    The session is used by one thread at a time: `quiet` waits for the fetch in flight
    before the caller talks to the server again (MOVE, IDLE), and leaving does too.
    With `ahead` False (one batch to come) every fetch is the caller's own.
    """

    def __init__(self, batches: Iterator[list[Fetched]], ahead: bool = True) -> None:
        self._batches = batches
        self._ahead = ahead
        self._pending: Future[list[Fetched] | None] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.quiet()

    def next(self) -> list[Fetched] | None:
        """The next batch, or None after the last; a failed fetch raises here."""
        if not self._ahead:
            return next(self._batches, None)
        batch = (self._pending or self._fetch()).result()
        self._pending = self._fetch() if batch is not None else None
        return batch

    def _fetch(self) -> Future[list[Fetched] | None]:
        """The next batch on a thread of its own: a daemon thread, as the watchers are, so
        a fetch that hangs on a dead server never holds up the process's exit."""
        future: Future[list[Fetched] | None] = Future()

        def run() -> None:
            try:
                future.set_result(next(self._batches, None))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller of `next`
                future.set_exception(exc)

        threading.Thread(target=run, name="imap-fetch", daemon=True).start()
        return future

    def quiet(self) -> None:
        """Until no fetch is in flight (its result or error is kept for `next`)."""
        if self._pending is not None:
            wait([self._pending])


def _busy(cfg: ImapConfig, answer: str) -> str:
    """What a login turned away for now says, with what it most likely means."""
    if "[UNAVAILABLE]" in answer.upper() and not servers.at_connection_limit(answer):
        # RFC 5530: the server's own trouble (its back end, maintenance)
        return (f"IMAP server {cfg.host}:{cfg.port} cannot take the login of {cfg.username} now: {answer} "
                "(the server's own trouble, not the password; mailbot tries again)")
    return (f"IMAP server {cfg.host}:{cfg.port} holds no more sessions for {cfg.username} now: {answer} "
            "(its connection limit: other programs hold them; mailbot keeps one per mailbox and tries again)")


# Folders a server empties by itself (Gmail deletes Trash and Spam after 30 days; Zimbra and
# Exchange purge them by retention policy) or that are views, not places (Gmail's All Mail
# holds every message already, sent mail too; Starred and Important are flags): mail moved
# there would be lost or never leave the view (RFC 6154 names them; Important is Gmail's).
_NOT_A_PLACE = {b"\\ALL": "every message is already there", b"\\TRASH": "the server empties it",
                b"\\JUNK": "the server empties it", b"\\FLAGGED": "a view of flagged mail",
                b"\\IMPORTANT": "a view of Gmail's own choosing",
                b"\\NOSELECT": "it holds folders, not messages", b"\\NONEXISTENT": "it holds folders, not messages"}


def _keeps_mail(cfg: ImapConfig, key: str, folder: str, flags: tuple[bytes, ...]) -> None:
    """MissingFolderError when the server marks the folder mailbot puts mail in (`key`) as
    one that does not keep it (`_NOT_A_PLACE`): nothing that reached the mailbox may be lost,
    nor a copy of what mailbot sent (a \\Sent folder is a place: it keeps them)."""
    for flag in flags:
        why = _NOT_A_PLACE.get(flag.upper())
        if why:
            raise MissingFolderError(
                f"imap.{key}: {folder!r} on {cfg.host}:{cfg.port} is the server's {flag.decode()} folder ({why}): "
                "mail mailbot puts there would not be kept; name a folder of its own (Processed, Quarantine, Sent)")


def _refused_mailbox(cfg: ImapConfig, exc: BaseException) -> None:
    """A LoginRefusedError when the server took the login but refuses the mailbox itself
    (Exchange Online's "User is authenticated but not connected."): a permission for the
    tenant's administrator to grant, not a folder to create or select."""
    if servers.not_connected(_text(exc)):
        raise LoginRefusedError(
            f"IMAP server {cfg.host}:{cfg.port} took the login of {cfg.username} but not the mailbox: {_text(exc)} "
            f"({_not_connected_hint(cfg)}; also when IMAP is off for the mailbox, or it holds too many sessions; "
            "docs/operator/mail-providers.md; mailbot tries again)") from None


def _not_connected_hint(cfg: ImapConfig) -> str:
    """The likeliest cause of Exchange's "not connected" for this kind of login."""
    if cfg.oauth2 is not None and cfg.oauth2.refresh_token_file is None:  # app-only: client credentials
        return ("Exchange Online says this when the app may not open the mailbox: New-ServicePrincipal and "
                "Add-MailboxPermission for imap.username")
    if cfg.auth in ("xoauth2", "oauthbearer"):  # a person's token, or one from the operator's own tool
        return (f"Exchange Online says this when the token is another account's or lacks the IMAP scope: sign in "
                f"again as {cfg.username} (mailbot oauth login)")
    return "Exchange Online says this after a wrong password too: check the password"


def _token_login(client: imapclient.IMAPClient, cfg: ImapConfig) -> None:
    """Log in with an OAuth2 access token; once more with a new one when the server refused
    a kept token that had not expired (revoked early: `servers.token_refused`)."""
    login = client.oauth2_login if cfg.auth == "xoauth2" else client.oauthbearer_login
    token = servers.access_token(cfg)
    try:
        login(cfg.username, token)
    except LoginError as exc:
        if servers.busy(_text(exc)) or not servers.token_refused(cfg, token):  # busy: the token is good
            raise
        login(cfg.username, servers.access_token(cfg))


class Mailbox:
    """One logged-in IMAP session on one mailbox folder."""

    def __init__(self, cfg: ImapConfig, timeout: float = 30.0) -> None:
        self.cfg = cfg
        self.timeout = timeout
        self.client: imapclient.IMAPClient | None = None
        self.uidvalidity: int = 0
        self.capabilities: frozenset[bytes] = frozenset()
        self.lost = False  # the server closed the session (BYE) or the connection broke in a command

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
            if cfg.username and cfg.auth in ("xoauth2", "oauthbearer"):  # OAUTHBEARER: RFC 7628
                _token_login(client, cfg)
            elif cfg.username:
                client.login(cfg.username, servers.password(cfg))
        except (LoginError, LoginRefusedError) as exc:
            _shutdown(client)
            if isinstance(exc, LoginError) and servers.busy(_text(exc)):  # the server's answer, not a token source's
                raise ServerBusyError(_busy(cfg, _text(exc))) from None
            raise LoginRefusedError(
                f"IMAP login to {cfg.host}:{cfg.port} as {cfg.username} refused: {_text(exc)}") from None
        except (OSError, IMAPClientError, ssl.SSLError) as exc:
            _shutdown(client)
            raise UnreachableError(f"IMAP server {cfg.host}:{cfg.port} unreachable: {_text(exc)}"
                                   f"{servers.security_hint(cfg, exc)}") from None
        except BaseException:  # a token endpoint unreachable, a stop: the connection goes with it
            _shutdown(client)
            raise
        self.client = client
        try:
            self._open(cfg, client)
        except BaseException as exc:
            self.close()  # a session the server holds for nothing counts against its limit
            if isinstance(exc, (OSError, ssl.SSLError)):  # a time-out after the login: the server, not the disk
                raise UnreachableError(f"IMAP server {cfg.host}:{cfg.port} unreachable: {_text(exc)}") from None
            raise
        self.lost = False

    def _open(self, cfg: ImapConfig, client: imapclient.IMAPClient) -> None:
        """After the login: the server's capabilities, the folders mailbot moves mail to, and
        the folder it reads, selected."""
        self.capabilities = frozenset(client.capabilities())
        for key, folder in (("processed_folder", cfg.processed_folder), ("quarantine_folder", cfg.quarantine_folder),
                            ("sent_folder", cfg.sent_folder)):
            if folder is not None:
                self._ensure_folder(key, folder)
        try:
            info = client.select_folder(cfg.folder)
        except IMAPClientError as exc:
            _refused_mailbox(cfg, exc)
            raise MissingFolderError(f"IMAP folder {cfg.folder!r} on {cfg.host}:{cfg.port} cannot be selected "
                                     f"(imap.folder): {_text(exc)}") from None
        if b"UIDVALIDITY" not in info:
            raise TransientError(f"IMAP server {cfg.host}:{cfg.port} selected {cfg.folder!r} without its UIDVALIDITY")
        self.uidvalidity = int(info[b"UIDVALIDITY"])

    def revive(self) -> None:
        """A fresh session where a failed command left this one closed; the folder must
        keep its UIDVALIDITY (else the pass ends and the next one starts over)."""
        if not self.lost:
            return
        validity = self.uidvalidity
        _shutdown(self.client)
        self.client = None
        self.connect()
        if self.uidvalidity != validity:
            raise TransientError(f"UIDVALIDITY of {self.cfg.folder!r} changed from {validity} to {self.uidvalidity}")

    def _failed(self, exc: BaseException) -> str:
        """The server's words for a failed command; notes whether the session went with it."""
        self.lost = isinstance(exc, (OSError, IMAPClientAbortError))
        return _text(exc)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except (OSError, IMAPClientError):
                _shutdown(self.client)  # imaplib closes the socket only after a LOGOUT answered
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

    def _ensure_folder(self, key: str, folder: str) -> None:
        """Create `folder` (the config's `key`) unless it exists; refuse one that does not
        keep mail. Another session (a second daemon on the same config, a mail client) may
        create it between the look and the CREATE: the server
        then answers NO [ALREADYEXISTS] (RFC 5530), which is the folder being there, not a
        failure to alert the coordinators about."""
        try:
            flags = self._flags(folder)
            if flags is None:
                try:
                    self._c.create_folder(folder)
                    return
                except IMAPClientError:
                    flags = self._flags(folder)
                    if flags is None:
                        raise
            _keeps_mail(self.cfg, key, folder, flags)
        except IMAPClientError as exc:
            _refused_mailbox(self.cfg, exc)
            raise TransientError(f"cannot create IMAP folder {folder!r}: {_text(exc)}") from None

    def _flags(self, folder: str) -> tuple[bytes, ...] | None:
        """The flags of the server's own LIST line for `folder`, None when there is none. A
        name with % or * lists other folders too; most servers (Exchange, Zimbra, Gmail)
        take names in any case, and list theirs as they spell it."""
        listed = self._c.list_folders("", folder)
        for flags, _, name in listed:
            if name == folder:
                return tuple(flags)
        if "%" in folder or "*" in folder:
            return None
        return next((tuple(flags) for flags, _, name in listed if name.casefold() == folder.casefold()), None)

    def pending_uids(self, after: int) -> list[int]:
        """UIDs above `after`, ascending ("n:*" also returns the last message, filter it)."""
        try:
            uids = self._c.search(["UID", f"{after + 1}:*"])
        except (OSError, IMAPClientError) as exc:
            raise TransientError(f"IMAP search failed: {_text(exc)}") from None
        return sorted(int(u) for u in uids if int(u) > after)

    def fetch(self, uids: list[int], max_size: int | None = None) -> Iterator[Fetched]:
        """Raw bytes without setting \\Seen (BODY.PEEK), one message at a time."""
        for batch in self.batches(uids, max_size):
            yield from batch

    def batches(self, uids: list[int], max_size: int | None = None,
                alone: Collection[int] = ()) -> Iterator[list[Fetched]]:
        """Raw bytes without setting \\Seen (BODY.PEEK), `FETCH_BATCH` messages at a time.

        Sizes are asked first: a message over `max_size` is fetched as its header block
        only, so one huge mail never enters memory (SPEC 9); it goes to Quarantine.
        A FETCH the server fails is done again one UID at a time (see the module's
        docstring); UIDs in `alone` (their FETCH failed before) get one FETCH each from
        the start. More than `UNREADABLE_PER_PASS` messages the server cannot return:
        FetchFailed, the server is failing.
        """
        failed = 0
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start:start + FETCH_BATCH]
            try:
                sizes = self._sizes(batch)
            except FetchFailed as exc:
                failed = yield from self._singly(batch, max_size, failed, exc)
                continue
            for chunk in _chunks([u for u in batch if u in sizes], sizes, max_size, alone):
                failed = yield from self._chunk(chunk, sizes, max_size, failed)

    def _sizes(self, uids: list[int]) -> dict[int, int]:
        try:
            return {uid: int(item.get(b"RFC822.SIZE", 0)) for uid, item in
                    self._c.fetch(uids, ["RFC822.SIZE"]).items()}
        except (OSError, IMAPClientError) as exc:
            raise FetchFailed(uids, self._failed(exc)) from None

    def _chunk(self, chunk: list[int], sizes: dict[int, int], max_size: int | None,
               failed: int) -> Generator[list[Fetched], None, int]:
        """One FETCH for the chunk; one per message if the server fails it. The failures so far."""
        try:
            fetched = self._fetch_chunk(chunk, sizes, max_size)
        except FetchFailed as exc:
            return (yield from self._singly(chunk, max_size, failed, exc))
        if fetched:
            yield fetched
        return failed

    def _singly(self, uids: list[int], max_size: int | None, failed: int,
                exc: FetchFailed) -> Generator[list[Fetched], None, int]:
        """After `exc`, the failed FETCH of `uids`: one FETCH each, on a live session. A single
        UID that failed is the message the server cannot return: a `Fetched` with `error`."""
        if len(uids) > 1:
            self.revive()
            for uid in uids:
                try:
                    sizes = self._sizes([uid])
                except FetchFailed as one:
                    failed = yield from self._singly([uid], max_size, failed, one)
                    continue
                if uid in sizes:  # else expunged by someone else meanwhile
                    failed = yield from self._chunk([uid], sizes, max_size, failed)
            return failed
        if "[UNAVAILABLE]" in exc.words.upper():  # RFC 5530: the server is down for now, not the message
            raise exc
        if failed >= UNREADABLE_PER_PASS:
            raise FetchFailed(list(exc.uids), f"{exc.words} (and {failed} other messages the server "
                                              "could not return in this pass)")
        self.revive()
        yield [Fetched(uids[0], b"", datetime.now(UTC), error=exc.words)]
        return failed + 1

    def _fetch_chunk(self, chunk: list[int], sizes: dict[int, int], max_size: int | None) -> list[Fetched]:
        small = [u for u in chunk if max_size is None or sizes[u] <= max_size]
        large = [u for u in chunk if u not in small]
        try:
            data = self._c.fetch(small, ["BODY.PEEK[]", "INTERNALDATE"]) if small else {}
            heads = self._c.fetch(large, ["BODY.PEEK[HEADER]", "INTERNALDATE"]) if large else {}
        except (OSError, IMAPClientError) as exc:
            raise FetchFailed(chunk, self._failed(exc)) from None
        return [f for uid in chunk if (f := _fetched(uid, data, heads, sizes)) is not None]

    def move(self, uids: list[int], folder: str) -> Placed:
        """Move messages as one UID set: MOVE, else COPY + UID EXPUNGE of exactly those
        UIDs, else COPY + \\Seen (the stored position then keeps them from being read again).
        Where they went: their UIDs in `folder`, where the server says (UIDPLUS COPYUID)."""
        if not uids:
            return Placed(None, {})
        try:
            return self._move(uids, folder)
        except (OSError, IMAPClientError) as exc:
            words = self._failed(exc)
            if self.lost:
                raise MoveFailed(f"IMAP move of {len(uids)} message(s) to {folder!r} failed: {words}",
                                 lost=True) from None
            # Another session (a second daemon on the same config, a mail client) moved or
            # deleted some of them meanwhile: the server refuses the whole set (NO
            # [EXPUNGEISSUED], RFC 5530). The ones still here are moved; the others are gone
            # from the INBOX already, which is all a move was for.
            try:
                left = sorted(set(self._c.search(["UID", ",".join(map(str, uids))])) & set(uids))
                if len(left) == len(uids):
                    raise MoveFailed(f"IMAP move of {len(uids)} message(s) to {folder!r} failed: {words}",
                                     lost=False) from None
                return self._move(left, folder) if left else Placed(None, {})
            except (OSError, IMAPClientError) as again:
                raise MoveFailed(f"IMAP move of {len(uids)} message(s) to {folder!r} failed: "
                                 f"{self._failed(again)}", lost=self.lost) from None

    def _move(self, uids: list[int], folder: str) -> Placed:
        client = self._c
        stash = self._stash()
        stash.pop("COPYUID", [])  # a stale one would name other messages
        if b"MOVE" in self.capabilities:
            client.move(uids, folder)
        elif b"UIDPLUS" in self.capabilities:
            client.copy(uids, folder)
            client.add_flags(uids, [imapclient.DELETED])
            client.uid_expunge(uids)
        else:
            client.copy(uids, folder)
            client.add_flags(uids, [imapclient.SEEN])
        return copyuid(stash.pop("COPYUID", []))

    def _stash(self) -> dict[str, list[bytes]]:
        """imaplib's untagged responses and response codes of the last commands (COPYUID,
        EXISTS), which imapclient leaves there."""
        stash = getattr(getattr(self.client, "_imap", None), "untagged_responses", None)
        return stash if isinstance(stash, dict) else {}

    @contextmanager
    def examining(self, folder: str, readonly: bool = True) -> Iterator[int]:
        """Another folder selected for a while (`audit`), its UIDVALIDITY given; the INBOX
        (`imap.folder`) selected again after, which must keep its UIDVALIDITY."""
        validity = self.uidvalidity
        try:
            info = self._c.select_folder(folder, readonly=readonly)
        except (OSError, IMAPClientError) as exc:
            raise TransientError(f"IMAP folder {folder!r} cannot be selected: {self._failed(exc)}") from None
        try:
            yield int(info[b"UIDVALIDITY"])
        finally:
            try:
                again = self._c.select_folder(self.cfg.folder)
            except (OSError, IMAPClientError) as exc:
                raise TransientError(f"IMAP folder {self.cfg.folder!r} cannot be selected again: "
                                     f"{self._failed(exc)}") from None
            if int(again[b"UIDVALIDITY"]) != validity:
                raise TransientError(f"UIDVALIDITY of {self.cfg.folder!r} changed from {validity} to "
                                     f"{int(again[b'UIDVALIDITY'])}")

    def heads(self, uids: list[int]) -> list[Head]:
        """What names each message in a mail client: Message-ID, Date, From, Subject, and its
        arrival time, from the header fields alone; `raw` only for a message without a
        Message-ID (mailbot keys it by a digest of its bytes)."""
        found: list[Head] = []
        fields = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE FROM SUBJECT)]"
        for start in range(0, len(uids), 500):
            part = uids[start:start + 500]
            try:
                data = self._c.fetch(part, [fields, "INTERNALDATE"])
            except (OSError, IMAPClientError) as exc:
                raise TransientError(f"IMAP fetch of headers failed: {self._failed(exc)}") from None
            for uid in part:
                item = data.get(uid)
                if item is None:
                    continue  # gone meanwhile
                block = next((v for k, v in item.items() if k.startswith(b"BODY[HEADER.FIELDS")), b"") or b""
                when = item.get(b"INTERNALDATE")
                found.append(head_of(uid, bytes(block), when.astimezone(UTC) if isinstance(when, datetime) else None))
        return found

    def tagged(self, text: str) -> list[Tagged]:
        """The selected folder's messages whose subject holds `text` (the server searches:
        SEARCH SUBJECT), each with its subject (decoded), sender and the Message-IDs it
        answers; only those header fields of the matches are fetched."""
        return [tagged_of(block) for block, _ in self.fields(["SUBJECT", text], "SUBJECT FROM IN-REPLY-TO REFERENCES")]

    def fields(self, criteria: list[Any], names: str) -> list[tuple[bytes, datetime | None]]:
        """The header fields `names` ("SUBJECT FROM") and the arrival time of each message of
        the selected folder that the server finds by `criteria` (SEARCH), in UID order."""
        try:
            uids = sorted(int(u) for u in self._c.search(criteria))
        except (OSError, IMAPClientError) as exc:
            raise TransientError(f"IMAP search failed: {self._failed(exc)}") from None
        found: list[tuple[bytes, datetime | None]] = []
        for start in range(0, len(uids), 500):
            part = uids[start:start + 500]
            try:
                data = self._c.fetch(part, [f"BODY.PEEK[HEADER.FIELDS ({names})]", "INTERNALDATE"])
            except (OSError, IMAPClientError) as exc:
                raise TransientError(f"IMAP fetch of header fields failed: {self._failed(exc)}") from None
            for uid in (u for u in part if u in data):
                block = next((v for k, v in data[uid].items() if k.startswith(b"BODY[HEADER.FIELDS")), b"") or b""
                when = data[uid].get(b"INTERNALDATE")
                found.append((bytes(block), when.astimezone(UTC) if isinstance(when, datetime) else None))
        return found

    def copies(self, since: date | None = None) -> list[tuple[bytes, datetime | None]]:
        """What names each copy of sent mail in the selected folder (those put there from the
        day `since` on, by their INTERNALDATE: when they went), for a restore."""
        return self.fields(["SINCE", since] if since else ["ALL"],
                           "MESSAGE-ID SUBJECT TO CC IN-REPLY-TO X-MAILBOT-KIND X-MAILBOT-TICKET")

    def append(self, folder: str, copies: list[tuple[bytes, datetime]]) -> None:
        """Copies of sent mail into `folder`, flagged \\Seen and dated when they went: several
        in one MULTIAPPEND (RFC 3502: all or none; only where the server has it), else one.
        MoveFailed when the server refused them (`lost` False: a quota, a size) or the session broke."""
        try:
            if len(copies) > 1:  # imapclient hands back a NO here instead of raising it
                typ, data = self._c.multiappend(folder, [{"msg": raw, "flags": [imapclient.SEEN], "date": at}
                                                         for raw, at in copies])
                if typ != "OK":
                    raise IMAPClientError(f"append failed: {_text(IMAPClientError(data[-1] if data else typ))}")
            else:
                self._c.append(folder, copies[0][0], [imapclient.SEEN], copies[0][1])
        except (OSError, IMAPClientError) as exc:
            raise MoveFailed(f"IMAP append of {len(copies)} copies to {folder!r} failed: {self._failed(exc)}",
                             lost=self.lost) from None

    def raw(self, uid: int) -> bytes | None:
        """One message's bytes (BODY.PEEK: never marks it read), or None when it is gone."""
        try:
            data = self._c.fetch([uid], ["BODY.PEEK[]"])
        except (OSError, IMAPClientError) as exc:
            raise TransientError(f"IMAP fetch of UID {uid} failed: {self._failed(exc)}") from None
        item = data.get(uid)
        return bytes(item[b"BODY[]"]) if item and b"BODY[]" in item else None

    @property
    def supports_idle(self) -> bool:
        return self.cfg.idle and b"IDLE" in self.capabilities

    def idle(self, seconds: float, should_stop: Callable[[], bool], slice_seconds: float = 1.0) -> bool:
        """Wait in IDLE on this kept session until the server reports a change, `seconds`
        pass or `should_stop()`; True when something changed.

        The session is the one that fetches, so nothing that arrived since its last
        command is missed: the server reports it as soon as IDLE starts. Responses that
        come while IDLE is being ended count too. Checked in slices so a stop request is
        seen within about a second.
        """
        client = self._c
        if self._announced():
            return True  # new mail was announced inside a command's response: no need to wait
        deadline = time.monotonic() + seconds
        changed = False
        quiet = 0  # slices that ended early with nothing read: the connection is gone
        try:
            client.idle()
            try:
                while not changed and not should_stop() and (left := deadline - time.monotonic()) > 0:
                    if _buffered(client):
                        break  # read already (behind "+ idling"): a wait on the socket would not see it
                    wait = min(slice_seconds, left)
                    started = time.monotonic()
                    responses = client.idle_check(timeout=wait)
                    changed = any(_is_change(r) for r in responses)
                    quiet = quiet + 1 if not responses and time.monotonic() - started < wait / 2 else 0
                    if quiet >= 3:  # imapclient reads an EOF as "no responses": end IDLE to find out
                        break
            finally:
                changed = any(_is_change(r) for r in client.idle_done()[1]) or changed
        except (OSError, IMAPClientError) as exc:
            raise TransientError(f"IMAP IDLE failed: {_text(exc)}") from None
        return changed

    def _announced(self) -> bool:
        """Whether the server announced new mail inside a command's response (a FETCH or
        MOVE of the pass): imaplib keeps such EXISTS responses aside, and the server does
        not announce that mail again when IDLE starts, so it would wait for the renewal."""
        stash = getattr(getattr(self._c, "_imap", None), "untagged_responses", None)
        if not isinstance(stash, dict):
            return False
        return bool(stash.pop("EXISTS", None)) | bool(stash.pop("RECENT", None))


def probe(cfg: ImapConfig, timeout: float = 10.0) -> str:
    """Log in, make sure of the folders mailbot puts mail in (the sent folder too) and select
    the folder read; a line describing the server, or UnreachableError."""
    box = Mailbox(cfg, timeout)
    try:
        box.connect()
        caps = sorted(c.decode() for c in box.capabilities if c in (b"IDLE", b"MOVE", b"UIDPLUS"))
        copies = f"copies of sent mail in {cfg.sent_folder!r}" if cfg.sent_folder else "no copies of sent mail kept"
        return (f"IMAP {cfg.host}:{cfg.port} ok, UIDVALIDITY {box.uidvalidity}, "
                f"{' '.join(caps) or 'no IDLE/MOVE/UIDPLUS'}, {copies}")
    finally:
        box.close()


def _chunks(uids: list[int], sizes: dict[int, int], max_size: int | None,
            alone: Collection[int] = ()) -> Iterator[list[int]]:
    """UIDs in runs whose bodies together stay under `FETCH_BYTES` (one message at least),
    so memory is bounded by the batch, not by the backlog or its largest mails; a UID in
    `alone` is a run of its own."""
    chunk: list[int] = []
    total = 0
    for uid in uids:
        size = sizes[uid] if max_size is None or sizes[uid] <= max_size else 0  # header only
        if chunk and (total + size > FETCH_BYTES or uid in alone or chunk[-1] in alone):
            yield chunk
            chunk, total = [], 0
        chunk.append(uid)
        total += size
    if chunk:
        yield chunk


def _fetched(uid: int, data: dict[int, Any], heads: dict[int, Any], sizes: dict[int, int]) -> Fetched | None:
    item, key = (data.get(uid), b"BODY[]") if uid in data else (heads.get(uid), b"BODY[HEADER]")
    if item is None or item.get(key) is None:
        return None  # expunged by someone else meanwhile (Dovecot answers such a FETCH with NIL)
    when = item.get(b"INTERNALDATE")
    # imapclient gives it in naive local time (normalise_times); astimezone() reads it so.
    when = when.astimezone(UTC) if isinstance(when, datetime) else datetime.now(UTC)
    return Fetched(uid, bytes(item[key]), when, sizes.get(uid, 0), complete=key == b"BODY[]")


def _buffered(client: imapclient.IMAPClient) -> bool:
    """Whether server responses wait in imaplib's read buffer, where `idle_check`, which waits
    on the socket, does not see them: Dovecot sends the EXISTS of a mail that came just
    before IDLE in the same packet as its "+ idling", and reading that line buffers both.
    The socket is non-blocking for the look, so an empty buffer costs no wait."""
    reader = getattr(getattr(client, "_imap", None), "file", None)
    peek = getattr(reader, "peek", None)
    if peek is None:
        return False
    sock = client.socket()
    sock.setblocking(False)
    try:
        return bool(peek(1))
    except (OSError, ValueError):  # nothing to read now (a TLS session says so with an error)
        return False
    finally:
        sock.setblocking(True)
        client._set_read_timeout()  # as imapclient's own idle_check leaves it


def _is_change(response: object) -> bool:
    """An untagged EXISTS or RECENT: new mail (EXPUNGE or FETCH flags do not count)."""
    return isinstance(response, tuple) and len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT")


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
    quoted = _BYTES_REPR.fullmatch(text)  # imaplib's bytes, turned into "b'...'" by imapclient
    if quoted:
        return quoted.group(2)
    return _LISTED_BYTES.sub(_words, text) if text else type(exc).__name__


def _words(listed: re.Match[str]) -> str:
    """The server's words in imaplib's list of bytes, as they were sent."""
    try:
        items = ast.literal_eval(f"[{listed.group(1)}]")
    except (ValueError, SyntaxError):
        return listed.group(0)
    return " ".join(item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item) for item in items)
