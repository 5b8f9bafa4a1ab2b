"""The SQLite engine under every part of the store: the one connection, its unit of work,
how commits are made durable, and the few ways rows are read and written.

Every part of the store (`tickets`, `outbox`, `timers`, ...) is handed this one
`Database`, so a message's ticket, history, outbox rows and timers commit in the one
transaction `unit_of_work` opens. What only SQLite does lives here: WAL mode and
`synchronous`, BEGIN IMMEDIATE and savepoints, incremental blob I/O, `pragma
table_info`, the row id of an insert, and which errors mean a file is no database.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mailbot.io.quiet_import import UNUSED, without

with without(*UNUSED):
    import sqlite_utils

from mailbot.errors import ConfigError, StorageError


def database_errors(*also: type[BaseException]) -> tuple[type[BaseException], ...]:
    """Every fault of the database this process can meet, and `also`: SQLite's, and
    PostgreSQL's once its driver is loaded. A process that never loaded psycopg cannot meet
    one of its errors, and a SQLite host's processes need not load it (0.2-0.3 s of CPU at
    every start, every command) only to name them: an `except` asks this when it is reached."""
    error = getattr(sys.modules.get("psycopg"), "Error", None)  # None too while it is being imported
    return (*also, sqlite3.Error) if error is None else (*also, sqlite3.Error, error)


def integrity_errors() -> tuple[type[BaseException], ...]:
    """What either engine raises for a row another process wrote first (as `database_errors`)."""
    errors = getattr(sys.modules.get("psycopg"), "errors", None)
    return (sqlite3.IntegrityError,) if errors is None else (sqlite3.IntegrityError, errors.UniqueViolation)


def unique_violated(exc: BaseException) -> bool:
    """Whether a write failed on a unique key (another process wrote the same row first)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    return isinstance(exc, integrity_errors()[1:])


BLOB_PIECE = 1 << 20  # mail bytes from this size go in and out of the database a piece at a time


# How long a write waits for another writer. mailbot's own writers hold the lock for
# milliseconds; a longer hold (an operator's sqlite3 shell, a backup) is a transient
# failure: the mail stays in the INBOX and is tried again. The wait is one C call that
# SIGTERM cannot interrupt, so it bounds how long a stop can take.
BUSY_TIMEOUT_SECONDS = 5.0
WAL_CHECKPOINT_PAGES = 1000  # SQLite's default: a commit that leaves the log longer checkpoints it
# Inside a batch (`group_commit`): 64 MB of 4 KB pages. A batch of requests writes some 3,500
# pages; one of forwards with large attachments could write gigabytes, and the log's file
# keeps the largest size it ever reached.
GROUP_CHECKPOINT_PAGES = 16384


class Database:
    """One SQLite file, one connection: what every part of the store reads and writes through."""

    dialect = "sqlite"  # which statement block a part reads (`postgres.PostgresDatabase`: "postgresql")

    def __init__(self, path: Path, busy_timeout: float = BUSY_TIMEOUT_SECONDS, *, synchronous: str = "FULL",
                 file_readonly: bool = False) -> None:
        """`busy_timeout`: how long a write waits for another writer before it fails.
        `synchronous="NORMAL"` (the sender's marks): a commit survives a crash of mailbot
        but not a power cut until the next FULL commit or checkpoint syncs the log; its
        owner syncs (`sync`) once a group of them is done. Such a connection leaves the
        checkpoints to the FULL ones (up to `GROUP_CHECKPOINT_PAGES` of log): SQLite's own
        rule had the sender's marks copy the daemon's log back into the database file, and
        sync it, every 1,000 pages, some 14 requests (`bench/ingest.py`'s whole daemon over
        1,000 requests, three runs interleaved: the sender's CPU 4.8-5.3 -> 4.1-4.3 s).
        `file_readonly` (`mailbot web`, SPEC 13): the file opened read-only (`mode=ro`), by
        SQLite itself: no statement can write it, and a file not there is not made."""
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous: FULL or NORMAL, not {synchronous!r}")
        if file_readonly:
            if not path.is_file():
                raise ConfigError(f"database {path} does not exist yet: start the daemon (mailbot run) first")
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                                   timeout=busy_timeout, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():  # private from the start: SQLite gives -wal and -shm the same mode
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=busy_timeout, check_same_thread=False)
        self.utils = sqlite_utils.Database(conn)  # what migrations, reports and tests are written against
        self.path = path
        self._file = _identity(path)
        self.synchronous = synchronous
        self._checkpoint_pages = WAL_CHECKPOINT_PAGES if synchronous == "FULL" else GROUP_CHECKPOINT_PAGES
        self._grouped = False
        self._synced_changes = 0  # the connection's `total_changes` at its last `sync`
        self._known_columns: dict[str, list[str]] = {}
        self._locks: dict[str, int] = {}  # the lock files this process holds, by name

    @property
    def conn(self) -> sqlite3.Connection:
        """The one connection, read from sqlite-utils' handle each time: whichever handle is
        used, it is the same, and a bench that wraps `store.db.conn` (injecting faults)
        wraps every statement of the store."""
        return self.utils.conn

    def close(self) -> None:
        for fd in self._locks.values():
            os.close(fd)  # releases the lock
        self._locks.clear()
        self.utils.close()

    # --- locks: what one process at a time does (PostgreSQL's are its session's) ----------

    def try_lock(self, name: str, *, standing: bool = False) -> bool:
        """A lock named `name` on this database, if no other process holds it now: a lock
        file beside the database (flock), the process's until `unlock` or its end.
        (`standing` matters only where a session can end under a lock: PostgreSQL's.)"""
        if name in self._locks:
            return True
        fd = os.open(self._lock_file(name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._locks[name] = fd
        return True

    @contextmanager
    def turn(self, name: str) -> Iterator[None]:
        """The lock `name`, waited for while another process holds it (`try_lock`'s file,
        flock without giving up): what one process at a time does and the others wait for."""
        fd = os.open(self._lock_file(name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _lock_file(self, name: str) -> Path:
        key = hashlib.sha256(name.encode()).hexdigest()[:16]
        return self.path.with_name(f"{self.path.name}.lock-{key}")

    def unlock(self, name: str) -> None:
        fd = self._locks.pop(name, None)
        if fd is not None:
            os.close(fd)

    def holds(self, name: str) -> bool:
        return name in self._locks

    @property
    def held(self) -> set[str]:
        """The locks this process holds."""
        return set(self._locks)

    # --- opening ----------------------------------------------------------------------

    @contextmanager
    def opening(self) -> Iterator[None]:
        """What fails while the database is opened closes it (a refused database is left as
        found, its -wal and -shm gone with the last reader); a file SQLite cannot read as
        a database is the operator's to mend (ConfigError)."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            if (refused := _unusable(self.path, exc)) is not None:
                raise refused from exc
            raise
        except BaseException:
            self.conn.close()
            raise

    def settle(self) -> None:
        """The connection's own settings, before anything is read: durability and foreign keys."""
        self.conn.execute(f"PRAGMA synchronous={self.synchronous}")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute(f"PRAGMA wal_autocheckpoint={self._checkpoint_pages}")

    def write_ahead(self) -> None:
        """WAL mode (a database mailbot made is in it already; setting it writes the file's header)."""
        self.conn.execute("PRAGMA journal_mode=WAL")

    def read_only(self) -> None:
        """Nothing is written through this connection from now on."""
        self.conn.execute("PRAGMA query_only=ON")

    def tables(self) -> list[str]:
        return [r[0] for r in self.conn.execute("select name from sqlite_master where type = 'table' "
                                                "and name not like 'sqlite_%' order by name").fetchall()]

    # --- rows ---------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> sqlite3.Cursor:
        return self.conn.executemany(sql, params)

    def query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """Rows as dicts, straight from the connection (sqlite-utils' `query` wraps each
        in a savepoint guard)."""
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return (dict(zip(names, row, strict=True)) for row in cursor)

    # Rows are written with plain SQL: sqlite-utils' table methods look the table up in
    # sqlite_master (and read its columns) on every call, 5 of 6 statements per message.
    def insert(self, table: str, row: Mapping[str, Any]) -> int:
        names = ", ".join(f'"{n}"' for n in row)
        marks = ", ".join("?" * len(row))
        cursor = self.conn.execute(f'insert into "{table}" ({names}) values ({marks})', _values(row))
        return int(cursor.lastrowid or 0)

    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]], *, ignore: bool = False) -> None:
        """Rows of the same columns in one statement (a message's timers, events, recipients):
        each statement costs its own trip through the engine. `ignore`: a row whose key is
        there already is left out."""
        if not rows:
            return
        names = ", ".join(f'"{n}"' for n in rows[0])
        marks = ", ".join(["(" + ", ".join("?" * len(rows[0])) + ")"] * len(rows))
        self.conn.execute(f'insert {"or ignore " if ignore else ""}into "{table}" ({names}) values {marks}',
                          [value for row in rows for value in _values(row)])

    def update(self, table: str, row_id: int, row: Mapping[str, Any]) -> None:
        sets = ", ".join(f'"{n}" = ?' for n in row)
        self.conn.execute(f'update "{table}" set {sets} where id = ?', [*_values(row), row_id])

    def upsert(self, table: str, row: Mapping[str, Any], pk: tuple[str, ...]) -> None:
        names = ", ".join(f'"{n}"' for n in row)
        marks = ", ".join("?" * len(row))
        sets = ", ".join(f'"{n}" = excluded."{n}"' for n in row if n not in pk) or f'"{pk[0]}" = excluded."{pk[0]}"'
        keys = ", ".join(f'"{n}"' for n in pk)
        self.conn.execute(f'insert into "{table}" ({names}) values ({marks}) on conflict ({keys}) do update set {sets}',
                          _values(row))

    def columns(self, table: str) -> list[str]:
        if table not in self._known_columns:
            self._known_columns[table] = [r[1] for r in self.conn.execute(f'pragma table_info("{table}")')]
        return self._known_columns[table]

    def write_blob(self, table: str, column: str, row_id: int, data: bytes) -> None:
        """Big bytes into a row a piece at a time: bound as a value, SQLite would copy them
        twice (the value, then the row)."""
        self.conn.execute(f"update {table} set {column} = zeroblob(?) where id = ?", [len(data), row_id])
        view = memoryview(data)
        with self.conn.blobopen(table, column, row_id) as blob:
            for at in range(0, len(data), BLOB_PIECE):
                blob.write(view[at:at + BLOB_PIECE])

    def read_blob(self, table: str, column: str, row_id: int) -> bytes:
        """Big bytes out of a row a piece at a time: a plain select has SQLite assemble a copy first."""
        with self.conn.blobopen(table, column, row_id, readonly=True) as blob:
            return blob.read()

    # --- transactions and durability ---------------------------------------------------

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """One transaction: everything a message causes commits together or not at all.

        It takes the write lock at once (BEGIN IMMEDIATE): a deferred transaction that
        read first could not wait for a busy writer (SQLite answers "locked" at once
        rather than deadlock), while this one waits up to the busy timeout. Nested
        units are savepoints.
        """
        conn = self.conn
        if conn.in_transaction:
            with self.utils.atomic():
                yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
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

    @contextmanager
    def group_commit(self) -> Iterator[None]:
        """Group commit: units of work inside commit without an fsync each; one fsync of
        the write-ahead log at the end makes them all durable (before the caller moves
        the mail they came from out of the INBOX).

        Each unit is still its own transaction, so a failing one rolls back alone, and
        holds the write lock only while it writes: the sender process records its
        delivery marks in between instead of waiting out a whole batch.

        The log is copied back into the database file (checkpointed) once, by the sync at
        the end, not by whichever unit's commit took it past `WAL_CHECKPOINT_PAGES`: under
        NORMAL a checkpoint syncs the database file, and a message's unit writes some 70
        pages, so SQLite's own rule had every 14th message wait for a sync of its own
        (0.8 ms of a commit's 1.2 ms of wall time, `bench/ingest.py`'s requests handled
        in-process). A batch that writes more than `GROUP_CHECKPOINT_PAGES` is
        checkpointed on the way too, so the log stays within that and one unit; the sender
        process's commits (NORMAL) checkpoint only past that many pages too.
        """
        if self._grouped:
            yield
            return
        conn = self.conn
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA wal_autocheckpoint={GROUP_CHECKPOINT_PAGES}")
        self._grouped = True
        try:
            yield
        finally:
            self._grouped = False
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute(f"PRAGMA wal_autocheckpoint={self._checkpoint_pages}")
            self.sync()  # its commit checkpoints when the log is past the pages above

    def sync(self) -> None:
        """Commits made durable: one commit with `synchronous=FULL` syncs the write-ahead log
        through SQLite's own file handle, and with it every commit before it (a sync is of
        the whole file; a checkpoint under NORMAL syncs the database file itself).

        Never a file descriptor of our own on the database or its log: closing one drops
        every POSIX lock the process holds on that file, SQLite's included ("How To Corrupt
        An SQLite Database File", 2.2). That was the one mail in 20,000 of after
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
        conn = self.conn
        conn.execute("PRAGMA synchronous=FULL")
        try:
            with self.unit_of_work():  # a commit that changes nothing writes nothing and syncs nothing
                self.upsert("meta", {"key": "synced", "value": str(time.time_ns())}, ("key",))
        finally:
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
        self._synced_changes = conn.total_changes

    def sync_changes(self) -> None:
        """`sync` if this connection changed anything since it last synced (the sender's
        marks under NORMAL); nothing written otherwise. A sync that failed leaves the count
        behind, so the next call syncs."""
        if self.conn.total_changes != self._synced_changes:
            self.sync()


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file `path` names now (device and inode), None when it names none."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _unusable(path: Path, exc: sqlite3.DatabaseError) -> ConfigError | None:
    """A file SQLite cannot read as a database (not one, or damaged): the operator's to mend
    (ConfigError: 78, which systemd does not restart into); None for any other fault, raised
    as it was (a busy or locked database passes)."""
    if exc.sqlite_errorcode in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return ConfigError(f"database {path} cannot be used: {exc} (not an SQLite database, or damaged): "
                           "restore a backup ('mailbot restore') or move the file away for a new one")
    return None


def _values(row: Mapping[str, Any]) -> list[Any]:
    """Column values as SQLite takes them: lists and mappings as JSON (as sqlite-utils did)."""
    return [json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list, tuple)) else v for v in row.values()]
