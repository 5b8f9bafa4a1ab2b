"""The only module that talks SQLite (with `io/migrations`, which sqlite-utils creates and
migrates the schema by): rows are read and written with plain SQL, a handful of
statements per message.

One database holds tickets, every message in and out, the history, the outbox,
the IMAP position per mailbox and folder, and the quarantine record. It runs in WAL
mode with `synchronous=FULL` so a committed unit of work survives a power cut (the
sender's delivery marks excepted, see `Store`; a batch of messages is made durable by
one sync at its end, see `group_commit`); the schema carries a version and is
migrated at start-up. Times are stored as UTC
ISO-8601 strings of one fixed shape, so they sort as text.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from mailbot.io.quiet_import import UNUSED, without

with without(*UNUSED):
    import sqlite_utils

from mailbot.core.deadlines import TimerPlan
from mailbot.core.inboxes import inbox_key
from mailbot.core.intake import HeldForm, held_intake
from mailbot.core.model import (
    Address,
    Arrived,
    Contact,
    OutboxRow,
    Quarantined,
    Seen,
    State,
    StoredTimer,
    ThreadMessage,
    Ticket,
    Timer,
    TimerKind,
)
from mailbot.errors import ConfigError, StorageError
from mailbot.io import schema
from mailbot.io.migrations import BREACH_KNOWN, MIGRATIONS, SCHEMA_VERSION
from mailbot.version import current as current_version


@lru_cache(maxsize=256)
def ts(moment: datetime) -> str:
    """A sortable UTC text form of an aware datetime (remembered: one message's rows
    are stamped with the same few moments, 27 times a message)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str | None) -> datetime | None:
    if not text:
        return None
    return moment(text)


def moment(text: str) -> datetime:
    """A stored timestamp (UTC, as `ts` writes it) back as an aware datetime."""
    moment = datetime.fromisoformat(text)  # the trailing Z reads as UTC (Python 3.11)
    if moment.tzinfo is None:
        raise ValueError(f"stored time without a zone: {text!r}")
    return moment


WRITTEN_BY = "written_by"  # meta key: the version of the mailbot that last opened the database to write


# A fired lkpp_status timer is done, but its breach goes on while the lkpp_progress timer
# it started (from its due time) still runs: LKPP has sent nothing since (SOP-015 step 12).
_STATUS_STILL_BREACHED = (
    "select s.* from timers p join timers s on s.ticket_id = p.ticket_id and s.kind = 'lkpp_status' "
    "and s.active = 0 and s.step > 0 and s.due_at = p.started_at "
    "where p.mailbox = ? and p.active = 1 and p.kind = 'lkpp_progress'")


def _outbox_row(r: dict[str, Any]) -> OutboxRow:
    return OutboxRow(r["id"], r["mailbox"], r["ticket_id"], r["message_id"], r["kind"], r["mail_from"],
                     tuple(json.loads(r["rcpt"])), r["raw"], r["attempts"],
                     parse_ts(r["created_at"]) or datetime.now(UTC), r["audience"] or "")


BLOB_PIECE = 1 << 20  # mail bytes from this size go in and out of the database a piece at a time


# How long a write waits for another writer. mailbot's own writers hold the lock for
# milliseconds; a longer hold (an operator's sqlite3 shell, a backup) is a transient
# failure: the mail stays in the INBOX and is tried again. The wait is one C call that
# SIGTERM cannot interrupt, so it bounds how long a stop can take.
BUSY_TIMEOUT_SECONDS = 5.0
# inbound requester mail that is no telling of the problem (`lifecycle.LABELS`)
def _vouched_relays(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The relays (`#teruskan`) that may have passed on LKPP mail that failed authentication,
    which staff vouched for by answering its alert (issue 44): the requester got it, but no
    verified hand wrote it, so the unit's memory does not keep it as a solution (SPEC 9). Every
    relay after such mail on the ticket counts as one, whatever came between (a forged desk
    auto-reply after the forgery, a genuine status notice: red team of issue 44, F1)."""
    found: list[Mapping[str, Any]] = []
    unverified = False
    for row in rows:
        if row["direction"] == "in" and row["role"] == "lkpp" and row["kind"] == "unverified_note":
            unverified = True
        elif row["direction"] == "out" and row["kind"] == "relay" and unverified:
            found.append(row)
    return found


_NOT_THE_PROBLEM = ("automatic_recorded", "bounce_received", "copy_appended", "closing_confirmed",
                    "confirmed_after_closing")


def _unusable(path: Path, exc: sqlite3.DatabaseError) -> ConfigError | None:
    """A file SQLite cannot read as a database (not one, or damaged): the operator's to mend
    (ConfigError: 78, which systemd does not restart into); None for any other fault, raised
    as it was (a busy or locked database passes)."""
    if exc.sqlite_errorcode in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return ConfigError(f"database {path} cannot be used: {exc} (not an SQLite database, or damaged): "
                           "restore a backup ('mailbot restore') or move the file away for a new one")
    return None


class Store:
    """Tickets, messages, history, outbox and IMAP state in one SQLite file."""

    def __init__(self, path: Path, busy_timeout: float = BUSY_TIMEOUT_SECONDS, *, synchronous: str = "FULL",
                 migrate: bool = True, readonly: bool = False, inspect: bool = False) -> None:
        """`busy_timeout`: how long a write waits for another writer before it fails.
        `synchronous="NORMAL"` (the sender's marks): a commit survives a crash of mailbot
        but not a power cut until the next FULL commit or checkpoint syncs the log.
        Only the daemon (and `mailbot migrate`) migrates, after a backup of the file
        (`migrated_from`): with `migrate=False` (`sweep`, `replay`) an older schema is
        refused with what to start to migrate it, as a running older daemon may still
        use it; `readonly=True` (`tickets`, `ticket`, `report`, `check`) adds that nothing
        is written (query_only); `inspect=True` (`check`) opens an older schema to report
        on it. A newer schema stops them all; a new, empty file is created by any."""
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous: FULL or NORMAL, not {synchronous!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # private from the start: SQLite gives -wal and -shm the same mode
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=busy_timeout, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        self.path = path
        self._file = _identity(path)
        self.synchronous = synchronous
        self._grouped = False
        self._known_columns: dict[str, list[str]] = {}
        self._prefixes: dict[str, tuple[str, ...]] = {}
        self.mended: list[str] = []  # the known drifts mended at opening (the daemon logs them)
        self._restored_boxes: set[str] | None = None  # mailboxes with sent mail of before a restore to match
        self._restored_any: set[str] | None = None  # mailboxes a restore left records of after the backup
        self.readonly = readonly
        self.migrated_from: tuple[int, Path] | None = None  # (schema, backup) when this opening migrated
        try:
            conn.execute(f"PRAGMA synchronous={synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            self._refuse_unknown()  # before WAL mode is set: that writes the file's header
            if not readonly:  # a database mailbot made is in WAL mode already
                conn.execute("PRAGMA journal_mode=WAL")
            self._migrate(migrate and not readonly, inspect)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if (refused := _unusable(path, exc)) is not None:
                raise refused from exc
            raise
        except BaseException:
            conn.close()  # a refused database is left as found, its -wal and -shm gone with the last reader
            raise
        if readonly:
            conn.execute("PRAGMA query_only=ON")

    def close(self) -> None:
        self.db.close()

    # --- schema ---------------------------------------------------------------------

    def _tables(self) -> list[str]:
        return [r[0] for r in self.db.execute("select name from sqlite_master where type = 'table' "
                                              "and name not like 'sqlite_%' order by name").fetchall()]

    def schema_version(self) -> int:
        if "meta" not in self.db.table_names():
            return 0
        rows = list(self._query("select value from meta where key = 'schema_version'"))
        return int(rows[0]["value"]) if rows else 0

    def _refuse_unknown(self) -> None:
        """A database with tables but no schema number is none mailbot made (its first
        migration writes the number with its tables), or its meta table was lost: adding
        mailbot's tables beside them would hide that."""
        if self.schema_version() == 0 and (tables := self._tables()):
            named = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
            raise ConfigError(f"database {self.path} has tables ({named}) but no mailbot schema "
                              "number: not a database mailbot made, or its meta table was lost; restore a "
                              "backup ('mailbot restore') or move the file away for a new one")

    def _migrate(self, migrate: bool, inspect: bool) -> None:
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            # not a passing fault: systemd must not restart into it (78), the operator decides
            raise ConfigError(f"database {self.path} has schema {current}, newer than this mailbot ({SCHEMA_VERSION}): "
                              "run the mailbot version that wrote it, or a database of this version")
        if not migrate and current:
            differences = self.differences()
            if any(d.mend is None for d in differences) or (differences and current == SCHEMA_VERSION and not inspect):
                raise ConfigError(self._differs(current, differences, mendable=True))
            if current < SCHEMA_VERSION and not inspect:
                raise ConfigError(self._older(current))
            return
        if current and (current < SCHEMA_VERSION or self.differences()):
            self.migrated_from = (current, self._backup_before_migrating(current))
        self.mended.extend(self._mend(current))
        for version in range(current, SCHEMA_VERSION):
            with self.db.atomic():
                MIGRATIONS[version](self.db)
                self.db.table("meta").upsert({"key": "schema_version", "value": str(version + 1)}, pk="key")
        self.mended.extend(self._mend(SCHEMA_VERSION))
        self._stamp()

    def differences(self) -> list[schema.Difference]:
        """How the database differs from the shape its schema number promises (tables,
        columns, indexes of a fresh database of that schema): [] when it has that shape."""
        current = self.schema_version()
        if current == 0 or current > SCHEMA_VERSION:
            return []
        return schema.compare(schema.expected(MIGRATIONS[:current]), schema.read(self.db.conn))

    def _mend(self, version: int) -> list[str]:
        """Make the database the shape of schema `version` where it lacks what can be added
        without touching a row (a known drift: the same schema number made less by an older
        landed state); refuse, naming every difference, where it cannot."""
        if version == 0:
            return []
        differences = schema.compare(schema.expected(MIGRATIONS[:version]), schema.read(self.db.conn))
        if any(d.mend is None for d in differences):
            raise ConfigError(self._differs(version, differences, mendable=False))
        if differences:
            with self.db.atomic():
                for difference in differences:
                    self.db.conn.execute(str(difference.mend))
        return [f"{d} (schema {version}): added" for d in differences]

    def _older(self, version: int) -> str:
        """Why a command that does not migrate refuses an older schema, and what to start."""
        written = self.meta(WRITTEN_BY)
        by = f" (last written by mailbot {written})" if written else ""
        return (f"database {self.path} has schema {version}{by}, older than this mailbot's ({SCHEMA_VERSION}): "
                f"start this mailbot's daemon ({current_version()}) or run 'mailbot migrate' to migrate it "
                "(a backup is taken first); until then only the mailbot that wrote it uses it")

    def _backup_before_migrating(self, version: int) -> Path:
        """A consistent copy of the database as it is, beside it, before a migration changes
        it: `NAME.schemaN-YYYYMMDDTHHMMSSZ.bak` (restored by `mailbot restore`)."""
        from mailbot.io.dbfile import copy_database

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        dest = self.path.with_name(f"{self.path.name}.schema{version}-{stamp}.bak")
        copy_database(self.db.conn, dest)
        return dest

    def _differs(self, version: int, differences: Sequence[schema.Difference], *, mendable: bool) -> str:
        """What differs, for the operator (exit 78: a restart does not mend it)."""
        written = self.meta(WRITTEN_BY) if "meta" in self.db.table_names() else None
        by = f", last written by mailbot {written}" if written else ""
        named = "; ".join(str(d) for d in differences)
        if mendable and all(d.mend is not None for d in differences):
            return (f"database {self.path} (schema {version}{by}) lacks what this mailbot adds when it migrates: "
                    f"{named}; run 'mailbot migrate' or start the daemon")
        return (f"database {self.path} (schema {version}{by}) is not the shape this mailbot expects: {named}; "
                "restore a backup made by mailbot, or run the mailbot version that wrote it")

    def _stamp(self) -> None:
        """This mailbot's version as the one that last wrote the database (meta `written_by`):
        an operator, or a later version refusing it, can say which code wrote it."""
        version = current_version()
        if self.meta(WRITTEN_BY) != version:
            with self.unit_of_work():
                self.set_meta(WRITTEN_BY, version)

    def written_by(self) -> str | None:
        """The version of the mailbot that last opened this database to write (None: older than
        the record, or never)."""
        return self.meta(WRITTEN_BY)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """Rows as dicts, straight from the connection (sqlite-utils' `query` wraps each
        in a savepoint guard)."""
        cursor = self.db.conn.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return (dict(zip(names, row, strict=True)) for row in cursor)

    # Rows are written with plain SQL: sqlite-utils' table methods look the table up in
    # sqlite_master (and read its columns) on every call, 5 of 6 statements per message.
    def _insert(self, table: str, row: Mapping[str, Any]) -> int:
        names = ", ".join(f'"{n}"' for n in row)
        marks = ", ".join("?" * len(row))
        cursor = self.db.conn.execute(f'insert into "{table}" ({names}) values ({marks})', _values(row))
        return int(cursor.lastrowid or 0)

    def _update(self, table: str, row_id: int, row: Mapping[str, Any]) -> None:
        sets = ", ".join(f'"{n}" = ?' for n in row)
        self.db.conn.execute(f'update "{table}" set {sets} where id = ?', [*_values(row), row_id])

    def _upsert(self, table: str, row: Mapping[str, Any], pk: tuple[str, ...]) -> None:
        names = ", ".join(f'"{n}"' for n in row)
        marks = ", ".join("?" * len(row))
        sets = ", ".join(f'"{n}" = excluded."{n}"' for n in row if n not in pk) or f'"{pk[0]}" = excluded."{pk[0]}"'
        keys = ", ".join(f'"{n}"' for n in pk)
        self.db.conn.execute(f'insert into "{table}" ({names}) values ({marks}) on conflict ({keys}) do update set {sets}',
                             _values(row))

    @contextmanager
    def group_commit(self) -> Iterator[None]:
        """Group commit: units of work inside commit without an fsync each; one fsync of
        the write-ahead log at the end makes them all durable (before the caller moves
        the mail they came from out of the INBOX).

        Each unit is still its own transaction, so a failing one rolls back alone, and
        holds the write lock only while it writes: the sender process records its
        delivery marks in between instead of waiting out a whole batch.
        """
        if self._grouped:
            yield
            return
        conn = self.db.conn
        conn.execute("PRAGMA synchronous=NORMAL")
        self._grouped = True
        try:
            yield
        finally:
            self._grouped = False
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            self.sync()

    def sync(self) -> None:
        """Commits made durable: one commit with `synchronous=FULL` syncs the write-ahead log
        through SQLite's own file handle, and with it every commit before it (a sync is of
        the whole file; a checkpoint under NORMAL syncs the database file itself).

        Never a file descriptor of our own on the database or its log: closing one drops
        every POSIX lock the process holds on that file, SQLite's included ("How To Corrupt
        An SQLite Database File", 2.2). That was the one mail in 20,000 of issue 30: after
        the batch's own `os.open`/`os.close` of the database for an fsync, an operator's
        `sqlite3 mailbot.db "select count(*) ..."` closing found no other lock, took itself
        for the last connection, checkpointed, and deleted the -wal and -shm files while
        mailbot went on committing into the deleted log: its commits were visible to itself
        (the message was moved) and to nobody else, and lost when another connection was
        open as mailbot closed.

        The file at `path` must still be the one this connection writes: deleted or
        replaced under a running mailbot (a clean-up, a restore by `mv`), the commits went
        to a file no later start reads, and the caller must not move the mail they came from.
        """
        if _identity(self.path) != self._file:
            raise StorageError(f"the database file {self.path} was deleted or replaced while mailbot ran: "
                               "what was handled since is not in it; restart mailbot")
        conn = self.db.conn
        conn.execute("PRAGMA synchronous=FULL")
        try:
            with self.unit_of_work():  # a commit that changes nothing writes nothing and syncs nothing
                self._upsert("meta", {"key": "synced", "value": str(time.time_ns())}, ("key",))
        finally:
            conn.execute(f"PRAGMA synchronous={self.synchronous}")

    @contextmanager
    def unit_of_work(self) -> Iterator[Store]:
        """One transaction: everything a message causes commits together or not at all.

        It takes the write lock at once (BEGIN IMMEDIATE): a deferred transaction that
        read first could not wait for a busy writer (SQLite answers "locked" at once
        rather than deadlock), while this one waits up to the busy timeout. Nested
        units are savepoints.
        """
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # --- tickets ---------------------------------------------------------------------

    def next_number(self, mailbox: str, year: int) -> str:
        """The year's next ticket number, counted up and read in one statement."""
        last = self.db.conn.execute(
            "insert into counters (mailbox, year, last) values (?, ?, 1) on conflict (mailbox, year) "
            "do update set last = last + 1 returning last", [mailbox, year]).fetchone()[0]
        return f"{year}-{last:05d}"

    def insert_ticket(self, ticket: Ticket) -> Ticket:
        row = _ticket_row(ticket)
        row.pop("id")
        new_id = self._insert("tickets", row)
        for address in ticket.participants:
            self.add_participant(new_id, address)
        if ticket.state in (State.RESOLVED, State.CLOSED):  # a call solved while it was taken
            self.db.conn.execute("insert or ignore into solved_pending (ticket_id) values (?)", [new_id])
        return ticket.with_id(new_id)

    def update_ticket(self, ticket: Ticket) -> None:
        assert ticket.id is not None
        row = _ticket_row(ticket)
        self._update("tickets", ticket.id, row)
        for address in ticket.participants:
            self.add_participant(ticket.id, address)
        self.db.conn.execute("insert or ignore into solved_pending (ticket_id) values (?)", [ticket.id])

    def add_participant(self, ticket_id: int, address: str) -> None:
        self.db.conn.execute(
            "insert or ignore into participants (ticket_id, address) values (?, ?)", [ticket_id, address.lower()]
        )

    def ticket_by_number(self, mailbox: str, number: str) -> Ticket | None:
        rows = list(self._query("select * from tickets where mailbox = ? and number = ?", [mailbox, number]))
        return self._ticket(rows[0]) if rows else None

    def ticket_by_refs(self, mailbox: str, keys: list[str]) -> tuple[Ticket | None, frozenset[str]]:
        """The ticket the first recorded of these counterpart reference keys names (learned from
        LKPP's verified mail), with the keys of these recorded on any ticket."""
        if not keys:
            return None, frozenset()
        marks = ", ".join("?" for _ in keys)
        rows = list(self._query(f"select key, ticket_id from counterpart_refs where mailbox = ? and key in ({marks})",
                                [mailbox, *keys]))
        if not rows:
            return None, frozenset()
        order = {k: i for i, k in enumerate(keys)}
        first = min(rows, key=lambda r: order[r["key"]])["ticket_id"]
        return self.ticket_by_id(first), frozenset(r["key"] for r in rows)

    def record_counterpart_ref(self, mailbox: str, ticket_id: int, key: str, ref: str, form: str,
                               message_id: str, at: datetime) -> None:
        """A reference LKPP's verified mail brought; one reference names one case (the first keeps it)."""
        self.db.conn.execute(
            "insert or ignore into counterpart_refs (mailbox, key, ticket_id, ref, form, message_id, at) "
            "values (?, ?, ?, ?, ?, ?, ?)", [mailbox, key, ticket_id, ref, form, message_id, ts(at)])

    def ticket_by_lkpp(self, mailbox: str, lkpp_ticket: str) -> Ticket | None:
        rows = list(self._query(
            "select * from tickets where mailbox = ? and lkpp_ticket = ? order by id desc limit 1", [mailbox, lkpp_ticket]))
        return self._ticket(rows[0]) if rows else None

    def held_intake(self, mailbox: str, number: str) -> dict[str, Any] | None:
        """The call or visit held under a reserved number (SPEC 3, 9), while no ticket has it
        and no answer of its sender's cancelled it (issue 44)."""
        if self.ticket_by_number(mailbox, number) is not None:
            return None
        for _ in self._query("select 1 from events where mailbox = ? and kind = 'intake_cancelled' "
                             "and ticket_id is null and json_extract(detail, '$.number') = ? limit 1",
                             [mailbox, number]):
            return None
        for row in self._query("select detail from events where mailbox = ? and kind = 'intake_held' "
                               "and ticket_id is null and json_extract(detail, '$.number') = ? "
                               "order by id desc limit 1", [mailbox, number]):
            detail: dict[str, Any] = json.loads(row["detail"] or "{}")
            return detail
        return None

    def held_forms(self, mailbox: str, since: datetime | None = None,
                   until: datetime | None = None) -> list[HeldForm]:
        """The calls and visits held under a reserved number (SPEC 3, 9) that no ticket has and
        no answer cancelled: still waiting for their sender's `#buka`, oldest first (issue 45);
        `since`/`until`: only those whose call or visit was in that span."""
        found = []
        rows = self._query(
            "select h.at, h.detail, exists (select 1 from events r where r.mailbox = h.mailbox "
            "and r.kind = 'intake_reminded' and r.ticket_id is null "
            "and json_extract(r.detail, '$.number') = json_extract(h.detail, '$.number')) as reminded "
            "from events h where h.mailbox = ? and h.kind = 'intake_held' and h.ticket_id is null "
            "and not exists (select 1 from tickets t where t.mailbox = h.mailbox "
            "and t.number = json_extract(h.detail, '$.number')) "
            "and not exists (select 1 from events c where c.mailbox = h.mailbox and c.kind = 'intake_cancelled' "
            "and c.ticket_id is null and json_extract(c.detail, '$.number') = json_extract(h.detail, '$.number')) "
            "order by h.at, h.id", [mailbox])
        for row in rows:
            detail = json.loads(row["detail"] or "{}")
            intake = held_intake(detail, "")
            if intake is None or intake.number is None:
                continue
            if (since is not None and intake.called_at < since) or (until is not None and intake.called_at >= until):
                continue
            found.append(HeldForm(intake.number, moment(str(row["at"])), intake, bool(row["reminded"])))
        return list({form.number: form for form in found}.values())  # a form held twice: once

    def held_notices(self, mailbox: str, number: str) -> list[str]:
        """The Message-IDs of every request to confirm a held call or visit (the first and its
        reminder, issue 45): they go on its ticket when it opens. Ours name the number they
        were signed for (`tokens.make_message_id`)."""
        prefix = f"mb.{mailbox}.{number}.intake_confirm."
        rows = self._query("select message_id from messages where mailbox = ? and direction = 'out' "
                           "and ticket_id is null and kind = 'intake_confirm' and substr(message_id, 1, ?) = ?",
                           [mailbox, len(prefix), prefix])
        return [str(r["message_id"]) for r in rows]

    def intake_problem(self, ticket_id: int) -> str:
        """The problem a call's or visit's form states (SPEC 3), "" for a ticket opened by mail."""
        for row in self._query("select json_extract(detail, '$.problem') as problem from events "
                               "where ticket_id = ? and kind = 'intake_recorded' order by id limit 1", [ticket_id]):
            return str(row["problem"] or "")
        return ""

    def adopt(self, mailbox: str, ticket_id: int, message_ids: Sequence[str]) -> None:
        """Messages recorded before their ticket existed (a held call's form and the mail that
        asked to confirm it), with their history and outbox rows, become the ticket's."""
        marks = ",".join("?" * len(message_ids))
        args = [ticket_id, mailbox, *message_ids]
        for table, key in (("messages", "message_id"), ("outbox", "message_id"),
                           ("events", "json_extract(detail, '$.message_id')")):
            self.db.conn.execute(f"update {table} set ticket_id = ? where mailbox = ? and ticket_id is null "
                                 f"and {key} in ({marks})", args)

    def ticket_by_id(self, ticket_id: int) -> Ticket | None:
        rows = list(self._query("select * from tickets where id = ?", [ticket_id]))
        return self._ticket(rows[0]) if rows else None

    def first_ticket_at(self, mailbox: str) -> datetime | None:
        """When the mailbox's first ticket opened (None: it has none yet); from the index."""
        row = self.db.conn.execute("select min(created_at) from tickets where mailbox = ?", [mailbox]).fetchone()
        return parse_ts(row[0])

    def tickets(self, mailbox: str | None = None, state: str | None = None) -> list[Ticket]:
        sql, args = "select * from tickets where 1=1", list[Any]()
        if mailbox:
            sql, args = sql + " and mailbox = ?", [*args, mailbox]
        if state:
            sql, args = sql + " and state = ?", [*args, state]
        return [self._ticket(r) for r in self._query(sql + " order by id", args)]

    def find_tickets(self, *, mailbox: str | None = None, state: str | None = None, category: str | None = None,
                     requester: str | None = None, since: datetime | None = None, until: datetime | None = None,
                     search: str | None = None, limit: int | None = None) -> list[Ticket]:
        """Tickets newest first, at most `limit`: of a mailbox, in a state or category, whose
        requester's address or name holds `requester`, opened in [since, until), matching the
        FTS5 query `search` (see `core.search.fts_query`) over subject, requester and text.
        A search walks the full-text index from the newest ticket down and stops at `limit`."""
        if search is not None:
            sql = "select t.* from ticket_search s join tickets t on t.id = s.rowid where ticket_search match ?"
            args: list[Any] = [search]
        else:
            sql, args = "select t.* from tickets t where 1=1", []
        # `+`: no index on these, so the newest come straight from the table walked backwards
        # and the walk stops at `limit` (an index on mailbox would read all of its tickets and sort)
        for column, value in (("mailbox", mailbox), ("state", state), ("category", category)):
            if value:
                sql, args = sql + f" and +t.{column} = ?", [*args, value]
        if requester:
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", requester.strip()) + "%"
            sql = sql + " and (t.requester like ? escape '\\' or t.requester_name like ? escape '\\')"
            args += [pattern, pattern]
        if since is not None:
            sql, args = sql + " and t.created_at >= ?", [*args, ts(since)]
        if until is not None:
            sql, args = sql + " and t.created_at < ?", [*args, ts(until)]
        sql += " order by s.rowid desc" if search is not None else " order by t.id desc"
        if limit is not None:
            sql, args = sql + " limit ?", [*args, limit]
        return [self._ticket(r, participants=False) for r in self._query(sql, args)]

    def state_counts(self, mailbox: str) -> dict[str, int]:
        """How many tickets a mailbox has in each state, from the (mailbox, state) index."""
        rows = self.db.conn.execute("select state, count(*) from tickets where mailbox = ? group by state", [mailbox])
        return {state: count for state, count in rows.fetchall()}

    def overdue_candidates(self, mailbox: str, now: datetime, opened_before: datetime) -> list[tuple[Ticket, list[Timer]]]:
        """Tickets that may be overdue at `now` (without participants), each with its timers
        that may be breached: work that grows with what is open, not with what is stored."""
        timer_rows = self._query(
            "select * from timers where active = 1 and due_at <= ? and mailbox = ? "
            f"union select * from timers where mailbox = ? and {BREACH_KNOWN} "
            f"union {_STATUS_STILL_BREACHED}", [ts(now), mailbox, mailbox, mailbox])
        timers: dict[int, list[Timer]] = {}
        for row in timer_rows:
            timers.setdefault(row["ticket_id"], []).append(_stored_timer(row).timer)
        old = self.db.conn.execute("select id from tickets where mailbox = ? and state != 'closed' and created_at <= ?",
                              [mailbox, ts(opened_before)])
        ids = sorted(set(timers) | {i for (i,) in old.fetchall()})
        found = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self._query(f"select * from tickets where id in ({','.join('?' * len(chunk))}) "
                                 "and state != 'closed' order by id", chunk)
            found += [(ticket, timers.get(ticket.id, [])) for ticket in (self._ticket(r, False) for r in rows)
                      if ticket.id is not None]
        return found

    def _ticket(self, row: dict[str, Any], participants: bool = True) -> Ticket:
        """A ticket row as a value; `participants` False leaves them out (lists that only show tickets)."""
        parts = frozenset(
            r["address"] for r in self._query("select address from participants where ticket_id = ?", [row["id"]])
        ) if participants else frozenset()
        return Ticket(
            id=row["id"],
            mailbox=row["mailbox"],
            number=row["number"],
            state=State(row["state"]),
            requester=Address(row["requester"], row["requester_name"] or ""),
            subject=row["subject"] or "",
            category=row["category"],
            priority=row["priority"],
            assignee=row["assignee"],
            language=row["language"] or "id",
            created_at=parse_ts(row["created_at"]),  # type: ignore[arg-type]
            updated_at=parse_ts(row["updated_at"]),  # type: ignore[arg-type]
            first_response_at=parse_ts(row["first_response_at"]),
            resolved_at=parse_ts(row["resolved_at"]),
            resolved_by=row["resolved_by"],
            closed_at=parse_ts(row["closed_at"]),
            rating=row["rating"],
            lkpp_ticket=row["lkpp_ticket"],
            lkpp_ref=row["lkpp_ref"],
            lkpp_ref_form=row["lkpp_ref_form"],
            reopened_from=row["reopened_from"],
            participants=parts,
            contact=Contact(row["contact_name"] or "", row["contact_org"] or "", row["contact_address"] or "",
                            row["contact_phone"] or ""),
            channel=row["channel"] or "email",
            taken_by=row["taken_by"],
        )

    # --- messages -------------------------------------------------------------------

    def message_seen(self, mailbox: str, message_id: str) -> Seen | None:
        """What is known of a Message-ID in this mailbox: handled (in or out) or quarantined."""
        for row in self._query("select direction, content_hash, sender, subject, full_text, attachments, ticket_id "
                                 "from messages where mailbox = ? and message_id = ? order by direction = 'out' desc "
                                 "limit 1", [mailbox, message_id]):
            return Seen("handled", row["direction"], row["content_hash"], row["sender"] or "", row["subject"] or "",
                        row["full_text"], row["attachments"] or 0, row["ticket_id"])
        for row in self._query("select content_hash from quarantine where mailbox = ? and message_id = ? limit 1",
                                 [mailbox, message_id]):
            return Seen("quarantined", "in", row["content_hash"])
        return None

    def waiting_openings(self, mailbox: str, requester: str, since: datetime) -> list[dict[str, Any]]:
        """The mail that opened each of this requester's tickets still waiting on the unit or
        LKPP (open, answered, escalated) opened from `since` on, newest first: ticket id,
        subject, full text, arrival, attachment count and archive path, and when the first
        mail to the requester on that ticket was sent (None: none yet)."""
        rows = self._query(
            "select t.id as ticket_id, m.subject, m.full_text, m.received_at, m.attachments, m.archive_path, "
            "(select min(o.sent_at) from outbox o where o.ticket_id = t.id and o.audience = 'requester' "
            "and o.sent_at is not null) as answered_at "
            "from tickets t join messages m on m.id = (select min(id) from messages where ticket_id = t.id "
            "and direction = 'in') where t.mailbox = ? and t.requester = ? and t.created_at >= ? "
            "and t.state in ('open', 'answered', 'escalated') order by t.id desc limit 5",
            [mailbox, requester.lower(), ts(since)])
        return [dict(r) for r in rows]

    def mail_on_tickets(self, ticket_ids: Sequence[int], sender: str, since: datetime) -> list[dict[str, Any]]:
        """This sender's mail on these tickets that reached the mailbox from `since` on, newest
        first, as `waiting_openings` gives it; `answered_at`: the first mail to the requester on
        its ticket sent after it was handled (None: none yet)."""
        if not ticket_ids:
            return []
        marks = ",".join("?" * len(ticket_ids))
        rows = self._query(
            "select m.ticket_id, m.subject, m.full_text, m.received_at, m.attachments, m.archive_path, "
            "(select min(o.sent_at) from outbox o where o.ticket_id = m.ticket_id and o.audience = 'requester' "
            "and o.sent_at >= m.at) as answered_at "
            f"from messages m where m.ticket_id in ({marks}) and m.direction = 'in' and m.sender = ? "
            "and m.received_at >= ? order by m.id desc limit 5", [*ticket_ids, sender.lower(), ts(since)])
        return [dict(r) for r in rows]

    def expose(self, mailbox: str, exposures: Sequence[tuple[str, frozenset[str]]], at: datetime) -> None:
        """Note that these Message-IDs reached these role letters too (`trust.exposed`)."""
        for message_id, letters in exposures:
            self.db.conn.execute(
                "insert into exposed (mailbox, message_id, audience, at) values (?, ?, ?, ?) on conflict "
                "(mailbox, message_id) do update set audience = audience || excluded.audience",
                [mailbox, message_id, "".join(sorted(letters)), ts(at)])

    def exposure(self, mailbox: str, message_ids: Sequence[str]) -> dict[str, frozenset[str]]:
        """The role letters outside their audience that these Message-IDs reached (`expose`)."""
        if not message_ids:
            return {}
        marks = ",".join("?" * len(message_ids))
        rows = self.db.conn.execute(f"select message_id, audience from exposed where mailbox = ? and message_id "
                                    f"in ({marks})", [mailbox, *message_ids])
        return {mid: frozenset(letters) for mid, letters in rows}

    def sent_recipients(self, mailbox: str, message_id: str) -> tuple[str, ...]:
        """The recipients of a mail mailbot sent, as the outbox recorded them."""
        rows = list(self._query("select recipients from messages where mailbox = ? and direction = 'out' "
                                  "and message_id = ?", [mailbox, message_id]))
        return tuple(a for a in (rows[0]["recipients"] or "").split(",") if a) if rows else ()

    def sent_any(self, mailbox: str, message_ids: tuple[str, ...]) -> bool:
        """Whether mailbot sent a mail with one of these Message-IDs from this mailbox."""
        if not message_ids:
            return False
        marks = ",".join("?" * len(message_ids))
        rows = self._query(f"select 1 from messages where mailbox = ? and direction = 'out' and message_id in ({marks}) "
                             "limit 1", [mailbox, *message_ids])
        return any(True for _ in rows)

    def tickets_citing(self, mailbox: str, message_ids: tuple[str, ...]) -> list[int]:
        """Ticket ids of stored messages with these Message-IDs, in the order cited."""
        found: list[int] = []
        for mid in message_ids:
            for row in self._query(
                "select ticket_id from messages where mailbox = ? and message_id = ? and ticket_id is not null",
                [mailbox, mid],
            ):
                if row["ticket_id"] not in found:
                    found.append(row["ticket_id"])
        return found

    # --- where each message went -----------------------------------------------------------

    def record_arrival(self, *, mailbox: str, uidvalidity: int, uid: int, message_id: str, outcome: str,
                       folder: str, at: datetime, content_hash: str | None = None) -> None:
        """The IMAP message `uid` is recorded (as `message_id`, `outcome`) and goes to `folder`;
        inside the unit of work that records it, so the row exists only if the record does."""
        self._insert("arrivals", {"mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid, "message_id": message_id,
                                  "outcome": outcome, "folder": folder, "at": ts(at), "content_hash": content_hash})

    def arrival(self, mailbox: str, uidvalidity: int | None, uid: int) -> Arrived | None:
        """What was recorded of the INBOX message `uid` (None: nothing, it is new)."""
        if uidvalidity is None:
            return None
        found = self.arrivals_of(mailbox, uidvalidity, [uid])
        return found.get(uid)

    def arrivals_of(self, mailbox: str, uidvalidity: int, uids: Sequence[int]) -> dict[int, Arrived]:
        """The committed arrival rows of these INBOX UIDs: what may leave the INBOX, and where to."""
        found: dict[int, Arrived] = {}
        for start in range(0, len(uids), 500):
            part = list(uids[start:start + 500])
            marks = ",".join("?" * len(part))
            for row in self._query(f"select uid, message_id, outcome, folder from arrivals where mailbox = ? and "
                                   f"uidvalidity = ? and uid in ({marks})", [mailbox, uidvalidity, *part]):
                found[row["uid"]] = Arrived(row["message_id"], row["outcome"], row["folder"])
        return found

    def placed(self, mailbox: str, uidvalidity: int, uids: Sequence[int], target_validity: int | None,
               target_uids: Mapping[int, int], at: datetime) -> None:
        """These INBOX messages were moved (to the folder their arrival rows name), each to its
        UID there where the server said (`target_uids`)."""
        with self.unit_of_work():
            for uid in uids:
                self.db.conn.execute(
                    "update arrivals set moved_at = ?, dest_uidvalidity = ?, dest_uid = ? where mailbox = ? and "
                    "uidvalidity = ? and uid = ?", [ts(at), target_validity if uid in target_uids else None,
                                                    target_uids.get(uid), mailbox, uidvalidity, uid])

    def placed_uids(self, mailbox: str, folder: str, uidvalidity: int, after: int) -> set[int]:
        """The UIDs above `after` in `folder` (of this UIDVALIDITY) that mailbot moved there."""
        rows = self.db.conn.execute("select dest_uid from arrivals where mailbox = ? and folder = ? and "
                                    "dest_uidvalidity = ? and dest_uid > ?", [mailbox, folder, uidvalidity, after])
        return {int(r[0]) for r in rows}

    def recorded_hashes(self, mailbox: str, message_id: str) -> list[str | None]:
        """The content hashes of what mailbot recorded as received under this Message-ID (or a
        reused id derived from it: `REUSED_ID_MARK`), quarantined ones too; empty: nothing.
        None in the list: recorded before hashes were kept."""
        low, high = message_id + ".reused-", message_id + ".reused."
        rows = self.db.conn.execute(
            "select content_hash from messages where mailbox = ? and direction = 'in' and (message_id = ? or "
            "(message_id >= ? and message_id < ?)) union all select content_hash from quarantine where mailbox = ? "
            "and message_id = ? union all select content_hash from arrivals where mailbox = ? and (message_id = ? or "
            "(message_id >= ? and message_id < ?)) and content_hash is not null",
            [mailbox, message_id, low, high, mailbox, message_id, mailbox, message_id, low, high])
        return [r[0] for r in rows]

    def records_after(self, mailbox: str, message_row: int, quarantine_row: int) -> list[dict[str, Any]]:
        """Received and quarantined records after these row ids, with their archive paths
        (`table`: messages | quarantine), for the audit."""
        rows = self._query(
            "select 'messages' as tbl, id, message_id, archive_path, sender, subject, at from messages where "
            "mailbox = ? and direction = 'in' and id > ? union all select 'quarantine' as tbl, id, message_id, "
            "archive_path, '' as sender, reason as subject, at from quarantine where mailbox = ? and id > ? "
            "order by tbl, id", [mailbox, message_row, mailbox, quarantine_row])
        return list(rows)

    def archive_recorded(self, mailbox: str, paths: Sequence[str]) -> set[str]:
        """Of these archive paths, those a received or quarantined record names."""
        found: set[str] = set()
        for start in range(0, len(paths), 500):
            part = list(paths[start:start + 500])
            marks = ",".join("?" * len(part))
            for (path,) in self.db.conn.execute(
                    f"select archive_path from messages where mailbox = ? and direction = 'in' and archive_path in "
                    f"({marks}) union select archive_path from quarantine where mailbox = ? and archive_path in "
                    f"({marks})", [mailbox, *part, mailbox, *part]):
                found.add(path)
        return found

    def record_message(self, **row: Any) -> int:
        return self._insert("messages", row)

    def messages_of(self, ticket_id: int) -> list[dict[str, Any]]:
        """Every stored column of a ticket's messages, for the history views (`ticket N`);
        `queued_raw`: the bytes of an outbound mail not yet archived (still in the outbox)."""
        return list(self._query(
            "select m.*, o.raw as queued_raw from messages m left join outbox o on m.direction = 'out' and "
            "o.ticket_id = m.ticket_id and o.message_id = m.message_id and length(o.raw) > 0 "
            "where m.ticket_id = ? order by m.at, m.id", [ticket_id]))

    def internal_texts(self, ticket_id: int) -> list[str]:
        """The staff notes, escalation notes and directions on a ticket: never the requester's to read."""
        rows = self._query(
            "select detail from events where ticket_id = ? and kind in ('note', 'command_escalate', "
            "'command_coordinator', 'direction_requested', 'direction', 'recommendation')", [ticket_id])
        found = (json.loads(r["detail"] or "{}") for r in rows)
        return [str(d.get("note") or d.get("text") or "") for d in found if d.get("note") or d.get("text")]

    def sent_texts(self, ticket_id: int, role: str) -> list[str]:
        """What mailbot sent to this role on a ticket: each mail's text as it went out (kept
        for mail to LKPP), else the text it relayed."""
        rows = self._query("select body, full_text from messages where ticket_id = ? and direction = 'out' "
                           "and role = ? order by at, id", [ticket_id, role])
        return [text for r in rows if (text := r["full_text"] or r["body"])]

    def unshown(self, ticket_id: int, kinds: tuple[str, ...]) -> list[tuple[str, str, dict[str, Any]]]:
        """(kind, at, detail) of the ticket's records of these kinds since its latest mail to
        staff: what no notice has shown them yet (a delay warning, LKPP's auto-reply)."""
        marks = ", ".join("?" for _ in kinds)
        rows = self._query(
            f"select kind, at, detail from events where ticket_id = ? and kind in ({marks}) and at > coalesce(("
            "select max(at) from messages where ticket_id = ? and direction = 'out' and role = 'staff'), '') "
            "order by at, id", [ticket_id, *kinds, ticket_id])
        return [(r["kind"], r["at"], json.loads(r["detail"] or "{}")) for r in rows]

    def thread_of(self, ticket_id: int) -> list[ThreadMessage]:
        """A ticket's messages in order, as values: who wrote, the Message-ID, the new text."""
        rows = self._query("select direction, role, message_id, body, archive_path, attachments, kind from messages "
                             "where ticket_id = ? order by at, id", [ticket_id])
        return [ThreadMessage(r["direction"], r["role"] or "", r["message_id"], r["body"] or "", r["archive_path"],
                              bool(r["attachments"]), r["kind"] or "") for r in rows]

    # --- the unit's memory: solved cases (`io/solved`, `core/similar`) ---------------

    def solved_material(self, ticket_id: int) -> tuple[list[str], dict[str, Any] | None]:
        """What a solved ticket is remembered by: the requester's new texts (oldest first), and
        the solution as the requester received it (the latest `resolved` or `resolved_lkpp`
        mail, else the latest staff answer or relayed LKPP answer), with its archive path and
        how many files it carried; None when the requester was never sent an answer."""
        rows = list(self._query(
            "select direction, role, kind, body, attachments, archive_path, at from messages "
            "where ticket_id = ? order by at, id", [ticket_id]))
        vouched = {id(r) for r in _vouched_relays(rows)}
        answers = [r for r in rows if r["direction"] == "out" and r["role"] == "requester" and r["body"]
                   and id(r) not in vouched]
        solutions = [r for r in answers if r["kind"] in ("resolved", "resolved_lkpp")]
        others = [r for r in answers if r["kind"] in ("staff_reply", "relay")]
        found = solutions or others
        chosen = found[-1] if found else None
        # the problem as told before that answer: not "YA 5", nor a thanks after it
        problem = [r["body"] for r in rows if r["direction"] == "in" and r["role"] == "requester"
                   and r["body"] and r["kind"] not in _NOT_THE_PROBLEM and (chosen is None or r["at"] <= chosen["at"])]
        return problem, chosen

    def remember_solved(self, row: Mapping[str, Any]) -> None:
        """One solved ticket into the index, replacing what it held for that ticket."""
        self.forget_solved(int(row["ticket_id"]))
        self._insert("solved_cases", row)
        self._count_terms({*row["problem_terms"].split(), *row["solution_terms"].split(), ""}, 1)

    def forget_solved(self, ticket_id: int) -> None:
        old = self.db.conn.execute("select problem_terms, solution_terms from solved_cases where ticket_id = ?",
                                   [ticket_id]).fetchone()
        if old is None:
            return
        self.db.conn.execute("delete from solved_cases where ticket_id = ?", [ticket_id])
        self._count_terms({*old[0].split(), *old[1].split(), ""}, -1)

    def _count_terms(self, terms: set[str], by: int) -> None:
        self.db.conn.executemany("insert into solved_terms (term, cases) values (?, ?) on conflict (term) "
                                 "do update set cases = cases + excluded.cases", [(t, by) for t in terms])
        if by < 0:
            marks = ", ".join("?" * len(terms))
            self.db.conn.execute(f"delete from solved_terms where cases <= 0 and term in ({marks})", list(terms))

    def solved_row(self, ticket_id: int) -> dict[str, Any] | None:
        rows = list(self._query("select * from solved_cases where ticket_id = ?", [ticket_id]))
        return rows[0] if rows else None

    def solved_rows(self, ticket_ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ticket_ids:
            return []
        marks = ", ".join("?" * len(ticket_ids))
        return list(self._query(f"select * from solved_cases where ticket_id in ({marks})", list(ticket_ids)))

    def solved_pending(self, limit: int = 500) -> list[int]:
        """Tickets changed since they were last indexed (`io/solved.sync`)."""
        return [r["ticket_id"] for r in self._query("select ticket_id from solved_pending order by ticket_id limit ?",
                                                   [limit])]

    def solved_done(self, ticket_ids: Sequence[int]) -> None:
        self.db.conn.executemany("delete from solved_pending where ticket_id = ?", [(i,) for i in ticket_ids])

    def queue_all_solved(self) -> None:
        """Every resolved or closed ticket to be indexed again (the words changed)."""
        self.db.conn.execute("insert or ignore into solved_pending (ticket_id) select id from tickets "
                             "where state in ('resolved', 'closed')")

    def solved_postings(self, box: str, column: str, term: str) -> list[int]:
        """The solved cases of a mailbox (`box`: its token) whose `column` holds `term`."""
        assert column in ("problem_terms", "solution_terms")
        query = f'box : "{box}" AND {column} : "{term}"'
        return [r[0] for r in self.db.conn.execute("select rowid from solved_fts where solved_fts match ?", [query])]

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """In how many solved cases each term stands (of every mailbox: the unit's words)."""
        found: dict[str, int] = {}
        for start in range(0, len(terms), 500):
            part = list(terms[start:start + 500])
            marks = ", ".join("?" * len(part))
            found.update(self.db.conn.execute(f"select term, cases from solved_terms where term in ({marks})",
                                              part).fetchall())
        return found

    def solved_total(self) -> int:
        row = self.db.conn.execute("select cases from solved_terms where term = ''").fetchone()
        return int(row[0]) if row else 0

    # --- history --------------------------------------------------------------------

    def add_event(self, mailbox: str, ticket_id: int | None, at: datetime, actor: str, kind: str, **detail: Any) -> None:
        self._insert(
            "events", {
                "mailbox": mailbox, "ticket_id": ticket_id, "at": ts(at), "actor": actor, "kind": kind,
                "detail": json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
            }
        )

    def alerted_causes(self, mailbox: str, since: datetime) -> list[str]:
        """The loop-limit causes the coordinators were alerted of since then."""
        rows = self._query("select detail from events where mailbox = ? and kind = 'rate_limit_alerted' and at >= ?",
                             [mailbox, ts(since)])
        return [json.loads(r["detail"] or "{}").get("key", "") for r in rows]

    def told_timers(self, ticket_id: int) -> frozenset[str]:
        """The timers whose breach notice went out on the ticket (a `timer_fired` event)."""
        rows = self._query("select detail from events where ticket_id = ? and kind = 'timer_fired'", [ticket_id])
        return frozenset(json.loads(r["detail"] or "{}").get("timer", "") for r in rows)

    def events_of(self, ticket_id: int) -> list[dict[str, Any]]:
        return list(self._query("select * from events where ticket_id = ? order by at, id", [ticket_id]))

    def event_exists(self, mailbox: str, kind: str, since: datetime, ticket_id: int | None = None, **match: Any) -> bool:
        sql = "select detail from events where mailbox = ? and kind = ? and at >= ?"
        args: list[Any] = [mailbox, kind, ts(since)]
        if ticket_id is not None:
            sql, args = sql + " and ticket_id = ?", [*args, ticket_id]
        for row in self._query(sql, args):
            detail = json.loads(row["detail"] or "{}")
            if all(detail.get(k) == v for k, v in match.items()):
                return True
        return False

    # --- outbox ---------------------------------------------------------------------

    def enqueue(self, *, mailbox: str, ticket_id: int | None, message_id: str, kind: str, mail_from: str,
                rcpt: tuple[str, ...], raw: bytes, auto: bool, now: datetime, audience: str = "",
                slot_at: datetime | None = None, held: bool = False, uncounted: frozenset[str] = frozenset()) -> int:
        """Queue one mail. `auto` marks mail the loop limits count, except to the
        `uncounted` recipients (the sending unit's own people: staff of one unit may write
        to another unit of this process as a requester); `slot_at` is when it may go (later
        than `now` when a limit holds it)."""
        slot = ts(slot_at or now)
        big = len(raw) >= BLOB_PIECE
        outbox_id = self._insert(
            "outbox", {
                "mailbox": mailbox, "ticket_id": ticket_id, "message_id": message_id, "kind": kind,
                "mail_from": mail_from, "rcpt": json.dumps(list(rcpt)), "raw": b"" if big else raw,
                "auto": int(auto), "created_at": ts(now), "status": "pending", "attempts": 0,
                "next_attempt_at": slot, "audience": audience, "slot_at": slot, "held": int(held),
            }
        )
        if big:  # bound as a value, SQLite would copy the bytes twice (the value, then the row)
            self.db.conn.execute("update outbox set raw_big = zeroblob(?) where id = ?", [len(raw), outbox_id])
            view = memoryview(raw)
            with self.db.conn.blobopen("outbox", "raw_big", outbox_id) as blob:
                for at in range(0, len(raw), BLOB_PIECE):
                    blob.write(view[at:at + BLOB_PIECE])
        for address in dict.fromkeys(a.lower() for a in rcpt):
            counted = auto and address not in uncounted
            self._insert("outbox_rcpt", {"outbox_id": outbox_id, "address": address, "auto": int(counted), "at": ts(now),
                                         "inbox": inbox_key(address)})
        return outbox_id

    def auto_sent_to(self, address: str, recent: datetime, since: datetime) -> tuple[int, int]:
        """Mail counted by the loop limits queued to the inbox of `address` (however spelled:
        `inbox_key`) since `recent` and since `since` (the hour and the day of the limits;
        `since` the earlier), in one statement."""
        row = self.db.conn.execute(
            "select coalesce(sum(at >= ?), 0), count(*) from outbox_rcpt where inbox = ? and auto = 1 and at >= ?",
            [ts(recent), inbox_key(address), ts(since)]).fetchone()
        return int(row[0]), int(row[1])

    def ever_sent_to(self, address: str) -> bool:
        """Whether the unit ever queued mail to the inbox of `address` (issue 37: a new address)."""
        return self.db.conn.execute("select 1 from outbox_rcpt where inbox = ? limit 1",
                                    [inbox_key(address)]).fetchone() is not None

    def received_from_domain(self, mailbox: str, domain: str, since: datetime) -> list[tuple[str, str, str]]:
        """(sender, subject, new text) of the mail received from `domain` since then (issue 37)."""
        rows = self.db.conn.execute(
            "select sender, subject, body from messages where mailbox = ? and direction = 'in' and at >= ? "
            "and lower(sender) like ? escape '\\' limit 500",
            [mailbox, ts(since), "%@" + domain.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")]).fetchall()
        return [(str(r[0] or ""), str(r[1] or ""), str(r[2] or "")) for r in rows]

    def held_acks(self, mailbox: str, now: datetime) -> list[dict[str, Any]]:
        """The acks of this mailbox held in the outbox for later (issue 44: the ack budget),
        oldest first: ticket number, recipients, when queued and when due."""
        rows = self.db.conn.execute(
            "select t.number, o.rcpt, o.created_at, o.next_attempt_at from outbox o left join tickets t "
            "on t.id = o.ticket_id where o.mailbox = ? and o.kind = 'ack' and o.status = 'pending' and o.held = 1 "
            "and o.next_attempt_at > ? order by o.next_attempt_at, o.id", [mailbox, ts(now)]).fetchall()
        return [{"number": str(r[0] or "-"), "to": list(json.loads(r[1] or "[]")), "queued": moment(str(r[2])),
                 "until": moment(str(r[3]))} for r in rows]

    def held_ack(self, ticket_id: int) -> datetime | None:
        """When the ack held for this ticket goes (issue 44), or None when none is held."""
        row = self.db.conn.execute("select min(next_attempt_at) from outbox where ticket_id = ? and kind = 'ack' "
                                   "and status = 'pending' and held = 1", [ticket_id]).fetchone()
        return moment(str(row[0])) if row and row[0] else None

    def counted_acks(self, mailbox: str, since: datetime, queued: datetime) -> list[tuple[datetime, str]]:
        """(send time, domain) of the acks counted against this mailbox's ack budget that go
        or went from `since` on (issue 44: `ack_counted` events, held ones included), among
        those queued from `queued` on (as long as an ack may be held)."""
        rows = self.db.conn.execute(
            "select json_extract(detail, '$.slot'), json_extract(detail, '$.domain') from events "
            "where mailbox = ? and kind = 'ack_counted' and at >= ? and json_extract(detail, '$.slot') > ?",
            [mailbox, ts(queued), ts(since)]).fetchall()
        return [(moment(str(r[0])), str(r[1] or "")) for r in rows]

    def limited_slots(self, ticket_id: int, audience: str, since: datetime) -> list[datetime]:
        """Send times of the limited mail of a ticket's audience from `since` on, oldest first."""
        rows = self._query(
            "select slot_at from outbox where ticket_id = ? and audience = ? and auto = 1 and slot_at >= ? "
            "order by slot_at", [ticket_id, audience, ts(since)])
        return [parse_ts(r["slot_at"]) for r in rows]  # type: ignore[misc]

    def due_outbox_ids(self, now: datetime, mailboxes: tuple[str, ...]) -> list[int]:
        """Ids of pending mail due at `now`, oldest first (the rows themselves load lazily).

        Mail queued "in the future" was queued while the host clock ran ahead (a VM resumed
        with a wrong clock, then corrected): its send time came from that clock, and it is
        due now rather than when real time reaches the wrong one. Once tried, its next try was
        set by the corrected clock (`outbox_retry`): it waits for that, as every retry does."""
        marks = ",".join("?" * len(mailboxes))
        rows = self._query(
            f"select id from outbox where status = 'pending' and next_attempt_at <= ? and mailbox in ({marks}) "
            f"union select id from outbox where status = 'pending' and next_attempt_at > ? and created_at > ? and attempts = 0 "
            f"and mailbox in ({marks}) order by id", [ts(now), *mailboxes, ts(now), ts(now), *mailboxes])
        return [r["id"] for r in rows]

    def outbox_rows(self, ids: list[int]) -> list[OutboxRow]:
        """The pending rows among `ids`, in the order given. A big mail's bytes are read a
        piece at a time: a plain select has SQLite assemble a copy of them first."""
        marks = ",".join("?" * len(ids))
        columns = ", ".join(f'"{c}"' for c in self._columns("outbox") if c != "raw_big")
        found: dict[int, OutboxRow] = {}
        for row in self._query(f"select {columns}, raw_big is not null as big from outbox "
                               f"where status = 'pending' and id in ({marks})", ids):
            if row["big"]:
                with self.db.conn.blobopen("outbox", "raw_big", row["id"], readonly=True) as blob:
                    row["raw"] = blob.read()
            found[row["id"]] = _outbox_row(row)
        return [found[i] for i in ids if i in found]

    def _columns(self, table: str) -> list[str]:
        if table not in self._known_columns:
            self._known_columns[table] = [r[1] for r in self.db.conn.execute(f'pragma table_info("{table}")')]
        return self._known_columns[table]

    def latest_outbox_id(self, ticket_id: int, kind: str) -> int | None:
        """The newest mail of this kind queued for the ticket."""
        row = self.db.conn.execute("select max(id) from outbox where ticket_id = ? and kind = ?",
                                   [ticket_id, kind]).fetchone()
        return row[0] if row else None

    def outbox_accepted(self, outbox_id: int, addresses: tuple[str, ...]) -> None:
        self._update("outbox", outbox_id, {"rcpt_done": json.dumps(self._rcpt_done(outbox_id, addresses))})

    def _rcpt_done(self, outbox_id: int, more: tuple[str, ...]) -> list[str]:
        """The recipients of a row the server accepted so far, and `more`."""
        row = self.db.conn.execute("select rcpt_done from outbox where id = ?", [outbox_id]).fetchone()
        return [*json.loads((row[0] if row else None) or "[]"), *more]

    def outbox_retry(self, outbox_id: int, remaining: tuple[str, ...], error: str, retry_at: datetime,
                     *, server: bool = False) -> None:
        """Try the recipients not yet accepted again at `retry_at`; `server`: held because the
        server took no mail (`server_held_ids`)."""
        self.db.conn.execute(
            "update outbox set rcpt = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ? where id = ?",
            [json.dumps(list(remaining)), error[:500], ts(retry_at), outbox_id])
        held = ("insert or ignore into outbox_server_held (outbox_id) values (?)" if server
                else "delete from outbox_server_held where outbox_id = ?")
        self.db.conn.execute(held, [outbox_id])

    def server_held_ids(self, now: datetime, mailboxes: tuple[str, ...]) -> list[int]:
        """Ids of pending mail not due at `now` that waits only because its server took no
        mail (connection refused, a 421 greeting, MAIL FROM refused), oldest first."""
        marks = ",".join("?" * len(mailboxes))
        rows = self._query(
            "select o.id from outbox_server_held h join outbox o on o.id = h.outbox_id where o.status = 'pending' "
            f"and o.next_attempt_at > ? and o.mailbox in ({marks}) order by o.id", [ts(now), *mailboxes])
        return [r["id"] for r in rows]

    def outbox_note(self, outbox_id: int, error: str) -> None:
        """Why a due mail was not tried in this pass; it stays due, no attempt counted."""
        self.db.conn.execute("update outbox set last_error = ? where id = ?", [error[:500], outbox_id])

    def outbox_finish(self, outbox_id: int, at: datetime, error: str | None = None,
                      accepted: tuple[str, ...] = (), *, drop_raw: bool = True, retried: bool = True) -> None:
        """No recipient left to try: `sent` when one at least accepted it, else `failed`.
        `retried`: the mail was tried before, so it may be marked as held by its server.

        The mail's bytes leave the row (`drop_raw`, or later by `outbox_drop_raw`) once
        the archive holds the mail as it went out (`messages.archive_path`): a row that
        kept them would be read and written whole by every later update (40 MB of memory
        for a mail relaying a 20 MB file).
        """
        done = self._rcpt_done(outbox_id, accepted)
        if retried:  # a first try was never held: no statement for the mail that goes at once
            self.db.conn.execute("delete from outbox_server_held where outbox_id = ?", [outbox_id])
        dropped = "raw = x'', raw_big = null, " if drop_raw else ""
        self.db.conn.execute(
            f"update outbox set {dropped}rcpt_done = ?, status = ?, sent_at = ?, failed_at = ?, last_error = ?, "
            "attempts = attempts + 1 where id = ?",
            [json.dumps(done), "sent" if done else "failed", ts(at) if done else None, None if done else ts(at),
             error[:500] if error else None, outbox_id])

    def outbox_drop_raw(self, ids: Sequence[int]) -> None:
        """The bytes of finished rows whose archive files are durable now."""
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            self.db.conn.execute(f"update outbox set raw = x'', raw_big = null where status != 'pending' and id in "
                                 f"({','.join('?' * len(chunk))})", list(chunk))

    def outbox_unarchived(self, mailboxes: tuple[str, ...]) -> list[tuple[int, str, str, datetime, bytes]]:
        """The mailboxes' finished rows that still hold their bytes (a stop between the mark
        and the archive's sync): id, mailbox, the archive path recorded for it, queued at, bytes."""
        marks = ",".join("?" * len(mailboxes))
        rows = self._query(
            "select o.id, o.mailbox, o.raw, o.created_at, m.archive_path from outbox o left join messages m on "
            "m.mailbox = o.mailbox and m.direction = 'out' and m.message_id = o.message_id "
            f"where o.status != 'pending' and length(o.raw) > 0 and o.mailbox in ({marks})", list(mailboxes))
        return [(r["id"], r["mailbox"], r["archive_path"] or "", moment(r["created_at"]), r["raw"]) for r in rows]

    def sent_archive_path(self, mailbox: str, message_id: str) -> str | None:
        """Where the archive keeps a mail mailbot queued (named when it was queued)."""
        row = self.db.conn.execute("select archive_path from messages where mailbox = ? and direction = 'out' and "
                                   "message_id = ?", [mailbox, message_id]).fetchone()
        return row[0] if row and row[0] else None

    def outbox_counts(self) -> dict[str, int]:
        return {r["status"]: r["n"] for r in self._query("select status, count(*) as n from outbox group by status")}

    # --- IMAP state -----------------------------------------------------------------

    def imap_position(self, mailbox: str, folder: str) -> tuple[int | None, int]:
        rows = list(self._query("select * from imap_state where mailbox = ? and folder = ?", [mailbox, folder]))
        return (rows[0]["uidvalidity"], rows[0]["last_uid"]) if rows else (None, 0)

    def imap_read_at(self, mailbox: str, folder: str) -> datetime | None:
        """When mailbot last read the folder (its position stored); None: never."""
        rows = list(self._query("select updated_at from imap_state where mailbox = ? and folder = ?", [mailbox, folder]))
        return parse_ts(rows[0]["updated_at"]) if rows else None

    def set_imap_position(self, mailbox: str, folder: str, uidvalidity: int, last_uid: int, now: datetime) -> None:
        self._upsert(
            "imap_state",
            {"mailbox": mailbox, "folder": folder, "uidvalidity": uidvalidity, "last_uid": last_uid, "updated_at": ts(now)},
            ("mailbox", "folder"),
        )

    # --- timers ---------------------------------------------------------------------

    def active_timers(self, ticket_id: int) -> list[StoredTimer]:
        rows = self._query("select * from timers where ticket_id = ? and active = 1 order by id", [ticket_id])
        return [_stored_timer(r) for r in rows]

    def set_timer(self, mailbox: str, ticket_id: int, kind: str, started_at: datetime, due_at: datetime,
                  step: int = 0, *, replace: bool = True) -> None:
        """Start a timer, replacing an active one of the same kind (`replace` False: the
        ticket was inserted in this transaction and has none)."""
        if replace:
            self.clear_timer(ticket_id, kind)
        self._insert("timers", {"mailbox": mailbox, "ticket_id": ticket_id, "kind": kind, "started_at": ts(started_at),
                                  "due_at": ts(due_at), "step": step, "active": 1})

    def clear_timer(self, ticket_id: int, kind: str) -> None:
        self.db.conn.execute("update timers set active = 0 where ticket_id = ? and kind = ? and active = 1", [ticket_id, kind])

    def apply_timers(self, mailbox: str, ticket_id: int, timers: TimerPlan, *, new_ticket: bool = False) -> None:
        """Start and stop the SLA timers a decision implies (SPEC section 6). A ticket
        inserted in this transaction has no timers yet: nothing to stop or replace."""
        if not new_ticket:
            for kind in timers.clear:
                self.clear_timer(ticket_id, str(kind))
        for timer in timers.set:
            self.set_timer(mailbox, ticket_id, str(timer.kind), timer.started_at, timer.due_at, timer.step,
                           replace=not new_ticket)

    def due_timers(self, mailbox: str, now: datetime) -> list[StoredTimer]:
        """Active timers due at `now`, by the (active, due_at) index."""
        rows = self._query(
            "select * from timers where active = 1 and due_at <= ? and mailbox = ? order by due_at, id",
            [ts(now), mailbox])
        return [_stored_timer(r) for r in rows]

    def timer_unchanged(self, row: StoredTimer) -> bool:
        """Whether the timer is still as `row` read it (active, same step and due time): false
        when another process (a second daemon, an operator's `sweep`) fired it meanwhile."""
        found = self.db.conn.execute("select 1 from timers where id = ? and active = 1 and step = ? and due_at = ?",
                                     [row.id, row.timer.step, ts(row.timer.due_at)]).fetchone()
        return found is not None

    def advance_timer(self, timer_id: int, step: int, next_due: datetime | None) -> None:
        if next_due is None:
            self.db.conn.execute("update timers set active = 0, step = ? where id = ?", [step, timer_id])
        else:
            self.db.conn.execute("update timers set step = ?, due_at = ?, error = null where id = ?",
                            [step, ts(next_due), timer_id])

    def timer_failed(self, timer_id: int, error: str, retry_at: datetime) -> None:
        """A timer whose firing failed: its reason kept, tried again at `retry_at`."""
        self.db.conn.execute("update timers set error = ?, failures = failures + 1, due_at = ? where id = ?",
                        [error, ts(retry_at), timer_id])

    def mailbox_addresses(self) -> dict[str, str]:
        """The address each mailbox name stood for, as recorded at each start (`remember_mailbox`);
        a database from before those records: as its outbox shows (mail goes From the unit)."""
        rows = self._query("select key, value from meta where key like 'mailbox_address:%'")
        known = {r["key"].split(":", 1)[1]: r["value"] for r in rows}
        if not known:
            rows = self._query("select mailbox, min(lower(mail_from)) as address from outbox group by mailbox")
            known = {r["mailbox"]: r["address"] for r in rows}
        return known

    def ticket_mailboxes(self) -> list[str]:
        """The names of the mailboxes that hold tickets (those the config has, and any it
        no longer has: a unit removed from `mailboxes:` keeps its tickets here)."""
        return [r["mailbox"] for r in self._query("select distinct mailbox from tickets order by mailbox")]

    def left_behind(self, configured: tuple[str, ...]) -> dict[str, tuple[int, int, int]]:
        """Work the database holds for mailboxes not in `configured` (a unit removed from the
        config): per name, tickets not closed, mails still to send, deadline timers running."""
        marks = ",".join("?" * len(configured))
        found: dict[str, list[int]] = {}
        for i, (table, waiting) in enumerate((("tickets", "state != 'closed'"), ("outbox", "status = 'pending'"),
                                              ("timers", "active = 1"))):
            sql = f"select mailbox, count(*) from {table} where {waiting} and mailbox not in ({marks}) group by mailbox"
            for name, count in self.db.conn.execute(sql, list(configured)).fetchall():
                found.setdefault(name, [0, 0, 0])[i] = count
        return {name: (c[0], c[1], c[2]) for name, c in sorted(found.items())}

    def remember_mailbox(self, name: str, address: str, tag_prefix: str | None = None) -> None:
        """Record at each start the address and the tag prefix a mailbox name stands for:
        a renamed mailbox is caught by its address (`renamed_mailboxes`), and tags with a
        prefix the unit used before stay its own (`tag_prefixes`)."""
        self.set_meta(f"mailbox_address:{name}", address.lower())
        known = self.tag_prefixes(name)
        if tag_prefix and tag_prefix.lower() not in {p.lower() for p in known}:
            self.set_meta(f"tag_prefixes:{name}", "\n".join((*known, tag_prefix)))
            self._prefixes.pop(name, None)

    def tag_prefixes(self, name: str) -> tuple[str, ...]:
        """Every tag prefix this mailbox was started with, oldest first (read once: a change
        of `tag_prefix` needs a restart): a reply citing a ticket's first tag after the
        operator changed the prefix still belongs to that ticket."""
        if name not in self._prefixes:
            value = self.meta(f"tag_prefixes:{name}")
            self._prefixes[name] = tuple(value.split("\n")) if value else ()
        return self._prefixes[name]

    # --- after a restore (issue 33) -----------------------------------------------------

    def restored_number(self, mailbox: str, message_id: str) -> str | None:
        """The number a received message was filed under after the backup (the replaced
        database's record, else the number of a mail mailbot sent in reply to it, an ack
        first), when no ticket of the restored database holds that number."""
        if self._restored_any is None:
            self._restored_any = {str(r[0]) for r in self.db.conn.execute("select distinct mailbox from restored")}
        if mailbox not in self._restored_any:
            return None
        rows = self.db.conn.execute(
            "select number from restored where mailbox = ? and number is not null and number != '' and "
            "((direction = 'in' and message_id = ?) or (direction = 'out' and in_reply_to = ?)) "
            "order by direction = 'in' desc, kind = 'ack' desc, at, id", [mailbox, message_id, message_id]).fetchall()
        for (number,) in rows:
            if self.ticket_by_number(mailbox, number) is None:
                return str(number)
        return None

    def claim_restored(self, mailbox: str, number: str | None, kind: str, rcpt: Sequence[str], now: datetime,
                       arrived: datetime | None = None) -> dict[str, Any] | None:
        """The earliest mail of this kind, ticket and recipients sent after the backup and not
        yet matched to a mail made again since the restore: now matched (claimed), so the mail
        made again is recorded as that one, never sent twice.

        Only mail made again can match: mail caused by a message that reached the mailbox
        before the restore (`arrived`: mail arriving since is new, and so is what it causes),
        or mail of a timer (`arrived` None) that went out in the last `RESTORED_TIMER_WINDOW`
        (a reminder or digest the restored timers make again, not the next day's). Alerts and
        failure reports never match: one alert too many is better than one missing."""
        if kind in NEVER_CLAIMED or not self._has_restored(mailbox):
            return None
        restored_at = self.meta("restored_at")
        if restored_at is None:
            return None
        if arrived is not None and arrived >= moment(restored_at):
            return None
        since = "" if arrived is not None else ts(now - RESTORED_TIMER_WINDOW)
        row = self.db.conn.execute(
            "select id, message_id, at, archive_path from restored where mailbox = ? and direction = 'out' and "
            "claimed_at is null and coalesce(number, '') = ? and kind = ? and recipients = ? and at >= ? "
            "order by at, id limit 1",
            [mailbox, number or "", kind, restored_recipients(rcpt), since]).fetchone()
        if row is None:
            return None
        self.db.conn.execute("update restored set claimed_at = ? where id = ?", [ts(now), row[0]])
        return {"message_id": row[1], "at": moment(row[2]) if row[2] else now, "archive_path": row[3]}

    def learn_restored(self, mailbox: str, acked: Sequence[tuple[str | None, str, str, str]], now: datetime) -> None:
        """What requesters' replies tell after a restore, each (request Message-ID or None, ack
        Message-ID, ticket number, the requester's address): the request got that number and
        was acked, where neither the archive nor the replaced database said more already and
        the restored database does not record it."""
        with self.unit_of_work():
            for request, ack, number, requester in acked:
                if request and self.db.conn.execute("select 1 from messages where mailbox = ? and direction = 'in' "
                                                    "and message_id = ?", [mailbox, request]).fetchone() is None:
                    self.db.conn.execute(
                        "insert into restored (mailbox, direction, message_id, number, at) values (?, 'in', ?, ?, ?) "
                        "on conflict (mailbox, direction, message_id) do nothing", [mailbox, request, number, ts(now)])
                if self.db.conn.execute("select 1 from messages where mailbox = ? and direction = 'out' and "
                                        "message_id = ?", [mailbox, ack]).fetchone() is None:
                    self.db.conn.execute(
                        "insert into restored (mailbox, direction, message_id, number, kind, recipients, in_reply_to, "
                        "at) values (?, 'out', ?, ?, 'ack', ?, ?, ?) on conflict (mailbox, direction, message_id) "
                        "do nothing", [mailbox, ack, number, restored_recipients([requester]), request, ts(now)])
        self._restored_boxes = self._restored_any = None  # read again

    def _has_restored(self, mailbox: str) -> bool:
        """Whether a restore left mail of this mailbox to match (one read per opening while none)."""
        known = self._restored_boxes
        if known is None:
            rows = self.db.conn.execute("select distinct mailbox from restored where direction = 'out' and "
                                        "claimed_at is null").fetchall()
            known = self._restored_boxes = {str(r[0]) for r in rows}
        return mailbox in known

    def raise_counter(self, mailbox: str, year: int, last: int) -> int | None:
        """The year's counter at least `last`; the number it had when it was lower, else None."""
        with self.unit_of_work():
            row = self.db.conn.execute("select last from counters where mailbox = ? and year = ?",
                                       [mailbox, year]).fetchone()
            if row is not None and row[0] >= last:
                return None
            self.db.conn.execute("insert into counters (mailbox, year, last) values (?, ?, ?) on conflict "
                                 "(mailbox, year) do update set last = excluded.last", [mailbox, year, last])
        return int(row[0]) if row is not None else 0

    def delete_meta(self, key: str) -> None:
        with self.unit_of_work():
            self.db.conn.execute("delete from meta where key = ?", [key])

    def meta(self, key: str) -> str | None:
        rows = list(self._query("select value from meta where key = ?", [key]))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._upsert("meta", {"key": key, "value": value}, ("key",))

    # --- messages the IMAP server could not return -------------------------------------
    # Kept in `meta` as "fetch_failed:<mailbox>:<uidvalidity>:<uid>" = passes it failed, so
    # that `run --once` from a timer counts them as the daemon does.

    def fetch_failed(self, mailbox: str, uidvalidity: int, uid: int) -> int:
        """One more pass whose FETCH of this message failed; how many so far."""
        key = f"fetch_failed:{mailbox}:{uidvalidity}:{uid}"
        with self.unit_of_work():
            passes = int(self.meta(key) or 0) + 1
            self.set_meta(key, str(passes))
        return passes

    def fetch_unfailed(self, mailbox: str, uidvalidity: int, uids: Sequence[int]) -> None:
        """Take back one failed pass of each of `uids` (the server, not they, was failing)."""
        with self.unit_of_work():
            for uid in uids:
                key = f"fetch_failed:{mailbox}:{uidvalidity}:{uid}"
                passes = int(self.meta(key) or 0) - 1
                if passes > 0:
                    self.set_meta(key, str(passes))
                else:
                    self.forget_fetch_failures(mailbox, uidvalidity, uid)

    def fetch_suspects(self, mailbox: str, uidvalidity: int, after: int) -> set[int]:
        """UIDs above `after` whose FETCH failed on an earlier pass; those of another
        UIDVALIDITY or already passed are forgotten."""
        prefix = f"fetch_failed:{mailbox}:"
        rows = self._query("select key from meta where substr(key, 1, ?) = ?", [len(prefix), prefix])
        rests = (r["key"][len(prefix):] for r in rows)
        found = {(int(m[1]), int(m[2])) for rest in rests if (m := re.fullmatch(r"(\d+):(\d+)", rest))}
        for validity, uid in found:
            if validity != uidvalidity or uid <= after:
                self.forget_fetch_failures(mailbox, validity, uid)
        return {uid for validity, uid in found if validity == uidvalidity and uid > after}

    def forget_fetch_failures(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        self.db.conn.execute("delete from meta where key = ?", [f"fetch_failed:{mailbox}:{uidvalidity}:{uid}"])

    # --- quarantine -----------------------------------------------------------------

    def record_quarantine(self, *, mailbox: str, uid: int | None, uidvalidity: int | None, message_id: str,
                          reason: str, at: datetime, archive_path: str | None,
                          content_hash: str | None = None) -> None:
        self._insert(
            "quarantine", {"mailbox": mailbox, "uid": uid, "uidvalidity": uidvalidity, "message_id": message_id,
             "reason": reason, "at": ts(at), "archive_path": archive_path, "content_hash": content_hash}
        )

    def quarantine_reason(self, mailbox: str, uidvalidity: int, uid: int, reason: str) -> None:
        """The reason of a quarantined IMAP message, said anew (it could not be moved after all)."""
        with self.unit_of_work():
            self.db.conn.execute("update quarantine set reason = ? where mailbox = ? and uidvalidity = ? and uid = ?",
                                 [reason, mailbox, uidvalidity, uid])

    def quarantine_known(self, mailbox: str, uidvalidity: int | None, uid: int) -> bool:
        rows = self._query("select 1 from quarantine where mailbox = ? and uidvalidity is ? and uid = ? limit 1",
                             [mailbox, uidvalidity, uid])
        return any(True for _ in rows)

    def quarantined(self, mailbox: str | None = None, after: int = 0) -> list[Quarantined]:
        """Quarantined messages (of one mailbox), oldest first; `after`: only rows past that id."""
        sql, args = "select * from quarantine where id > ?", list[Any]([after])
        if mailbox:
            sql, args = sql + " and mailbox = ?", [*args, mailbox]
        return [Quarantined(r["id"], r["mailbox"], moment(r["at"]), r["message_id"], r["reason"], r["archive_path"])
                for r in self._query(sql + " order by id", args)]


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file `path` names now (device and inode), None when it names none."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _stored_timer(row: dict[str, Any]) -> StoredTimer:
    timer = Timer(TimerKind(row["kind"]), moment(row["started_at"]), moment(row["due_at"]), row["step"])
    return StoredTimer(row["id"], row["ticket_id"], timer, row.get("failures") or 0)


# After a restore: how far back a timer's mail (no message caused it) may match a mail sent
# after the backup (`Store.claim_restored`), and the kinds that never match.
RESTORED_TIMER_WINDOW = timedelta(hours=24)
NEVER_CLAIMED = frozenset({"system_alert", "delivery_failed", "rate_limited"})


def restored_recipients(rcpt: Sequence[str]) -> str:
    """Recipients as `restored` keeps them: lower case, each once, sorted."""
    return ",".join(sorted({a.strip().lower() for a in rcpt if a.strip()}))


def _values(row: Mapping[str, Any]) -> list[Any]:
    """Column values as SQLite takes them: lists and mappings as JSON (as sqlite-utils did)."""
    return [json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list, tuple)) else v for v in row.values()]


def _ticket_row(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "mailbox": ticket.mailbox,
        "number": ticket.number,
        "state": str(ticket.state),
        "requester": ticket.requester.addr,
        "requester_name": ticket.requester.name,
        "subject": ticket.subject,
        "category": ticket.category,
        "priority": ticket.priority,
        "assignee": ticket.assignee,
        "language": ticket.language,
        "created_at": ts(ticket.created_at),
        "updated_at": ts(ticket.updated_at),
        "first_response_at": ts(ticket.first_response_at) if ticket.first_response_at else None,
        "resolved_at": ts(ticket.resolved_at) if ticket.resolved_at else None,
        "resolved_by": ticket.resolved_by,
        "closed_at": ts(ticket.closed_at) if ticket.closed_at else None,
        "rating": ticket.rating,
        "lkpp_ticket": ticket.lkpp_ticket,
        "lkpp_ref": ticket.lkpp_ref,
        "lkpp_ref_form": ticket.lkpp_ref_form,
        "reopened_from": ticket.reopened_from,
        "contact_name": ticket.contact.name or None,
        "contact_org": ticket.contact.organisation or None,
        "contact_address": ticket.contact.address or None,
        "contact_phone": ticket.contact.phone or None,
        "channel": ticket.channel,
        "taken_by": ticket.taken_by,
    }
