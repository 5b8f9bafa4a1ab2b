"""`mailbot shadow`: the archived mail of a period handled again by this version with a
candidate configuration, on a scratch store, beside what was recorded.

Nothing is sent and no mailbox is touched: the candidate is wired (`App`) over a SQLite file
in a scratch folder, with the scratch's own archive, and its mail is marked delivered when it
falls due instead of going to SMTP. The real store is opened read-only (a SQLite file in
`mode=ro`) and the real archive is only read.

The record is played back in the order mailbot handled it, the clock at the moment each
message was handled; the daemon's sweeps are played at the moments something came of them in
the record (a reminder, the digest, the summary), and a timer only the candidate has is fired
when it falls due. So that replies in the record find what they answer, the shadow keeps the
record's ticket numbers (`Handlings.seed`) and gives each mail the Message-ID the same mail
(mailbox, ticket, kind, recipients, moment) went out with (`RecordedIds`). What comes out of
the scratch store is read as the record is (`io/store/handlings.py`) and compared
(`core/shadow_compare.py`).

The scratch store starts empty at the period's start: a message the record filed on a ticket
opened before the period cannot be judged and is counted apart, not compared.
"""

from __future__ import annotations

import email
import hashlib
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mailbot.core.shadow_compare import Divergence, Handling, MailSent, TimerMail, compare_all, timer_differences
from mailbot.errors import BadMessageError
from mailbot.io.archive import Archive
from mailbot.io.dbfile import copy_database
from mailbot.io.store import Store, ts
from mailbot.model import StoredTimer
from mailbot.settings import Config, MailboxConfig

Progress = Callable[[int, int], None]  # (done, of): how far the playback is
_STATUS_LINK = re.compile(rb"status/\S+")
APART = timedelta(microseconds=1)  # a timer fired after a step, never at its moment
SWEEP = timedelta(seconds=60)  # the daemon's sweep (`wiring.SWEEP_SECONDS`), where the record shows none


@dataclass(frozen=True)
class ShadowReport:
    """What the playback found."""

    since: datetime
    until: datetime
    compared: int  # messages compared
    before_period: int  # messages on tickets opened before the period: not compared
    unreplayable: int  # messages recorded without a copy to handle again
    differences: tuple[Divergence, ...]


class Clock:
    """The shadow's clock: where the playback stands, moved only forward."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def to(self, moment: datetime) -> datetime:
        self.now = max(self.now, moment)
        return self.now


class RecordedIds:
    """The Message-IDs the record's mail went out with, each given once (`io/compose.RecordedIds`)."""

    def __init__(self, sent: Sequence[dict[str, Any]]) -> None:
        self.ids: dict[tuple[str, str, str, str | None, tuple[str, ...]], list[str]] = {}
        for row in sent:
            key = (row["mailbox"], row["at"], row["kind"], row["number"], tuple(row["recipients"]))
            self.ids.setdefault(key, []).append(str(row["message_id"]))

    def __call__(self, mailbox: str, number: str | None, kind: str, rcpt: tuple[str, ...],
                 now: datetime) -> str | None:
        found = self.ids.get((mailbox, ts(now), kind, number, MailSent.of(kind, rcpt).to))
        return found.pop(0) if found else None


def words_in(archive: Path) -> Callable[[str], str]:
    """A digest of a sent mail's words, read from its archived copy ("" where there is none):
    its first plain text part, the status page's signed link aside (a new one each time it is
    made). Read with the parser's plain policy: only that part is decoded."""
    def digest(path: str) -> str:
        try:
            raw = (archive / path).read_bytes()
        except OSError:
            return ""
        text = b""
        for part in email.message_from_bytes(raw).walk():
            if part.get_content_type() == "text/plain" and part.get_filename() is None:
                payload = part.get_payload(decode=True)
                text = payload if isinstance(payload, bytes) else b""
                break
        return hashlib.sha256(_STATUS_LINK.sub(b"status/-", text)).hexdigest()[:12]

    return digest


def recorded_store(real: Config, scratch: Path) -> Store:
    """The record, read: a SQLite store as a copy in the scratch folder (taken as `mailbot
    backup` takes one: the real file opened read-only, nothing written to it), migrated there
    when an older mailbot wrote it, so a new version can shadow the month before it is
    switched on; a PostgreSQL store read-only as it is (a schema of this version's)."""
    if real.database_url:
        return Store.of(real, readonly=True, migrate=False)
    source = sqlite3.connect(f"{real.database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        copy_database(source, scratch / "record.db")
    finally:
        source.close()
    return Store(scratch / "record.db", readonly=False, migrate=True)


def shadow(real: Config, candidate: Config, since: datetime, until: datetime, scratch: Path,
           progress: Progress | None = None) -> ShadowReport:
    """The period's mail handled again by `candidate` in `scratch`, compared with the record."""
    store = recorded_store(real, scratch)
    try:
        record = _Record.read(store, real, since, until, real.archive_dir)
    finally:
        store.close()
    played = _Playback(real, candidate, record, scratch, since, progress)
    try:
        played.run()
        found = played.read(real, since, until)
    finally:
        played.close()
    apart = set(map(id, record.before))
    compared = [h for h in record.handled if id(h) not in apart]
    differences = compare_all(compared, found.handled)
    differences += timer_differences(record.timer_mails, found.timer_mails)
    return ShadowReport(since, until, len(compared), len(record.before), record.unreplayable, tuple(differences))


@dataclass
class _Record:
    """What a store says of the period."""

    handled: list[Handling]
    timer_mails: list[TimerMail]
    sweeps: list[datetime]
    before: list[Handling]  # on tickets opened before the period
    unreplayable: int = 0
    numbers: list[tuple[str, str, str]] | None = None
    counters: list[tuple[str, int, int]] | None = None
    sent: list[dict[str, Any]] | None = None
    fired: dict[tuple[str, str, str, int], list[datetime]] | None = None
    lag: timedelta = timedelta(0)  # how long a due timer waited for the daemon's sweep

    @property
    def last(self) -> datetime | None:
        """The record's last moment: as far as it shows time passing."""
        moments = [h.at for h in self.handled[-1:]] + self.sweeps[-1:]
        return max(moments) if moments else None

    @classmethod
    def read(cls, store: Store, cfg: Config, since: datetime, until: datetime, archive: Path) -> _Record:
        part = store.handlings
        handled = part.handled(since, until, words_in(archive))
        earlier = part.opened_before(since)
        before = [h for h in handled if h.ticket is not None and (h.mailbox, h.ticket) in earlier]
        timer_mails = [m for m in part.timer_mails(since, until, cfg.timezone, handled)
                       if (m.mailbox, m.ticket) not in earlier]
        fired, lag = part.fired_timers(since, until)
        return cls(handled, timer_mails, part.sweep_moments(since, until, handled), before,
                   part.unreplayable(since, until), part.numbers_filed(since, until), part.counters(),
                   part.sent_ids(since, until), fired, lag)


class _Playback:
    """The candidate wired over the scratch store, fed the record in order."""

    def __init__(self, real: Config, candidate: Config, record: _Record, scratch: Path, since: datetime,
                 progress: Progress | None) -> None:
        from mailbot.daemon.wiring import App

        scratch.mkdir(parents=True, exist_ok=True)
        self.record, self.progress, self.source = record, progress, real.archive_dir
        self.cfg = replace(candidate, database=scratch / "shadow.db", database_url=None, database_password=None,
                           archive_dir=scratch / "archive")
        self.store = Store(self.cfg.database, synchronous="NORMAL")  # a scratch: nothing to keep past a crash
        self.store.handlings.seed(record.numbers or [], record.counters or [])
        self.clock = Clock(since)
        self.app = App(self.cfg, self.store, self.clock, direct_alerts=False,
                       message_ids=RecordedIds(record.sent or []))
        self.boxes = {box.name: box for box in self.cfg.mailboxes}

    def run(self) -> None:
        """The steps in order; the scratch store and archive synced once, at the end (a group
        commit: the playback keeps nothing a crash must not lose)."""
        with self.store.group_commit(), self.app.archive.batch():
            self._run()

    def _run(self) -> None:
        skipped = set(map(id, self.record.before))
        steps: list[tuple[datetime, Handling | None]] = [(h.at, h) for h in self.record.handled if id(h) not in skipped]
        steps += [(moment, None) for moment in self.record.sweeps]
        steps.sort(key=lambda step: step[0])
        for done, (at, handling) in enumerate(steps, start=1):
            self._timers_until(at)
            self.clock.to(at)
            if handling is None:
                self.app.sweep()
            else:
                self._handle(handling)
            self._delivered()
            if self.progress is not None:
                self.progress(done, len(steps))

    def _handle(self, handling: Handling) -> None:
        box = self.boxes.get(handling.mailbox)
        if box is None or handling.archive_path is None:
            return  # a mailbox the candidate does not have: not handled
        try:
            raw = (self.source / handling.archive_path).read_bytes()
        except OSError:
            return  # the archived copy is gone: not handled, and so listed
        try:
            self.app.handle(box, raw, handling.received_at or handling.at)
        except BadMessageError:
            return

    def _timers_until(self, at: datetime) -> None:
        """The timers due before the next step (`at`) that the record did not fire later (the
        daemon's sweep that fired those is a step of its own), each fired as the daemon's next
        sweep would: when it fell due, unless the step comes before the daemon swept (within
        `sweep` of the due time: a staff answer then stops it in the record too), never at a
        step's very moment (what a message caused is told apart from a timer's by that moment)."""
        tried: set[int] = set()
        while due := self._due(at, tried):
            box, row = min(due, key=lambda found: found[1].timer.due_at or at)
            tried.add(row.id)
            now = self.clock.to(max(self.clock.now + APART, row.timer.due_at or at))
            self.app.timekeeper.fire_timer(box, row, now)
            self._delivered()

    def _due(self, at: datetime, tried: set[int]) -> list[tuple[MailboxConfig, StoredTimer]]:
        """The timers `_timers_until` fires now: due before `at` and past the daemon's sweep,
        not tried yet, not fired later in the record."""
        sweep = max(self.record.lag, SWEEP)
        return [(box, row) for box in self.boxes.values() for row in self.store.timers.due_timers(box.name, at)
                if row.id not in tried and row.timer.due_at is not None and row.timer.due_at < at
                and (at > row.timer.due_at + sweep or self.clock.now >= row.timer.due_at + sweep)
                and not self._fired_later(box.name, row)]

    def _fired_later(self, mailbox: str, row: StoredTimer) -> bool:
        """Whether the record fired this timer (ticket, kind, step) when it was due or after."""
        ticket = self.store.tickets.ticket_by_id(row.ticket_id)
        if ticket is None or row.timer.due_at is None:
            return False
        key = (mailbox, ticket.number, str(row.timer.kind), row.timer.step)
        return any(m >= row.timer.due_at for m in (self.record.fired or {}).get(key, []))

    def _delivered(self) -> None:
        """Mail that falls due is marked sent, as an SMTP server that accepts everything would."""
        now = self.clock.now
        ids = self.store.outbox.due_outbox_ids(now, tuple(self.boxes))
        if not ids:
            return
        with self.store.unit_of_work():
            for row in self.store.outbox.outbox_rows(ids):
                self.app.archive.put(Archive.place(row.mailbox, "out", row.raw, row.created_at), row.raw)
                self.store.outbox.outbox_finish(row.id, now, None, tuple(row.rcpt), retried=False)

    def read(self, real: Config, since: datetime, until: datetime) -> _Record:
        last = self.record.last
        if last is not None:
            self._timers_until(min(until, last))
        return _Record.read(self.store, real, since, until, self.cfg.archive_dir)

    def close(self) -> None:
        self.store.close()
