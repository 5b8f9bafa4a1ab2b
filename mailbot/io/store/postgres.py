"""The PostgreSQL engine under every part of the store: what `Database` is for
SQLite, for a `postgresql://` URL, through psycopg 3.

Why psycopg 3 and not SQLAlchemy Core: the store already writes its SQL through one
engine object (`execute`, `query`, `insert`, `upsert`, `unit_of_work`); each part keeps
what only one engine reads in a statement block of its own (`_SQLite`, `_PostgreSQL`).
psycopg is PostgreSQL's reference driver, keeps the statements mailbot writes visible in
the code, and adds one dependency (its binary wheel brings libpq) where SQLAlchemy would
have every statement rewritten in its expression language and bring a second layer of
connection handling over the one connection the store holds.

What differs from SQLite is here and nowhere else: placeholders (`?` is written in the
parts; psycopg takes `%s`), the id of an insert (`returning id`), bytes (bytea, whole: no
incremental blob I/O), transactions (psycopg's own: a nested unit is a savepoint), and
durability (a group of commits made durable by one synchronous commit at its end).
The schema is not migrated here but made from the migrations' shape (`io/pg_schema`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from mailbot.errors import ConfigError, StorageError
from mailbot.io.store.pg_access import failure

DIALECT = "postgresql"
LEASE_SECONDS = 30.0  # how long a silent process keeps its session, and with it its locks

# The one writer at a time, as SQLite's BEGIN IMMEDIATE has it: every unit of work takes
# this transaction-level advisory lock first, so what the parts read and then write in a
# unit (a timer still unchanged, a digest not yet queued) holds across processes and hosts
# exactly as it does across processes on one SQLite file.
WRITER_KEY = 0x6D61696C626F74  # "mailbot"
WRITER_PAUSE_SECONDS = 0.01  # the longest pause between two asks for the writer lock


class LeaseLost(StorageError):
    """The database ended this process's session (it was silent past its lease: stopped,
    cut off) and with it the locks it held: what it was doing under them is another's now."""


def connect(url: str, password: str | None = None) -> Any:
    """A connection to `url` in autocommit (a unit of work opens its own transaction), UTC.

    `password` is handed to libpq beside the URL, never put into it: the URL is what logs
    and errors show."""
    import psycopg

    # the process, as pg_stat_activity shows it: which host's mailbot holds a lock
    name = f"mailbot {socket.gethostname()} {os.getpid()}"[:63]
    if password:
        return psycopg.connect(url, autocommit=True, connect_timeout=10, application_name=name, password=password)
    return psycopg.connect(url, autocommit=True, connect_timeout=10, application_name=name)


def answers(url: str, timeout: int = 2) -> bool:
    """Whether the server of `url` takes connections now (libpq's PQping: no login, no session
    kept; a server still starting up or shutting down does not), within `timeout` seconds."""
    from psycopg import pq

    conninfo = f"{url}{'&' if '?' in url else '?'}connect_timeout={timeout}"
    return bool(pq.PGconn.ping(conninfo.encode()) == pq.Ping.OK)


def display(url: str) -> str:
    """The URL as it may be shown: a password written into it replaced by `***`."""
    return re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", url)


class PostgresDatabase:
    """One PostgreSQL database, one connection: what every part of the store reads and writes through."""

    dialect = DIALECT

    def __init__(self, url: str, password: str | None = None, *, lease_seconds: float = LEASE_SECONDS) -> None:
        """`lease_seconds`: how long the server keeps this process's session while it is
        silent (`idle_session_timeout`, `idle_in_transaction_session_timeout`); a heartbeat
        speaks every third of it while the process runs. A process stopped (SIGSTOP, a long
        pause) or cut off longer loses its session and its locks, which another takes then."""
        self.url = url
        self.path = display(url)  # what messages name the database by, as a file's path for SQLite
        self._password = password
        self.lease_seconds = lease_seconds
        self.held: set[str] = set()  # the session locks this process holds (`try_lock`)
        self.standing: set[str] = set()  # of them, those whose holder asks before each act
        self.lost: set[str] = set()  # locks of acts in flight the session lost, not yet released
        self.joined: set[str] = set()  # shared locks every daemon holds (`join`, `members`)
        self._used = time.monotonic()
        self._lock = threading.Lock()
        self.conn = self._connect(first=True)
        self._known_columns: dict[str, list[str]] = {}
        self._depth = 0  # units of work open (1: a transaction; more: savepoints in it)
        self._grouped = False  # inside `group_commit`
        self._stop = threading.Event()
        self._heart = threading.Thread(target=self._heartbeat, name="pg-heartbeat", daemon=True)
        self._heart.start()

    def _connect(self, *, first: bool = False) -> Any:
        """A session with the lease's timeouts. What fails at the first opening is named as
        SPEC 10 ranks it (`pg_access.failure`): a server that cannot be reached now (the
        daemon waits for it, a command exits 69), a refused login (77), a URL that names no
        usable database (78). Later, whatever the cause, the database is away for a while (a
        restart, a failover): a `StorageError` the daemon waits out as any storage failure."""
        import psycopg

        try:
            conn = connect(self.url, self._password)
        except psycopg.Error as exc:
            failed = failure(self.path, exc, password_given=bool(self._password))
            if first or isinstance(failed, StorageError):
                raise failed from exc
            raise StorageError(str(failed)) from exc
        lease_ms = int(self.lease_seconds * 1000)
        conn.execute("set timezone to 'UTC'")
        if conn.info.server_version < 140000:  # idle_session_timeout, the lease, came with 14
            conn.close()
            raise ConfigError(f"database {self.path} is PostgreSQL {conn.info.server_version // 10000}: "
                              "mailbot needs 14 or later")
        conn.execute(f"set idle_session_timeout = {lease_ms}")
        conn.execute(f"set idle_in_transaction_session_timeout = {lease_ms}")
        return conn

    def _heartbeat(self) -> None:
        """Speak for the session while the process runs (a statement when none was made for a
        third of the lease); psycopg serializes it with the store's own statements."""
        while not self._stop.wait(self.lease_seconds / 6):
            if time.monotonic() - self._used < self.lease_seconds / 3:
                continue
            with contextlib.suppress(Exception), self._lock:  # the store's next statement meets the same fault
                if not self.conn.closed:
                    self.conn.execute("select 1")
                    self._used = time.monotonic()

    def _alive(self) -> None:
        """A session the server ended is opened again when it held no lock; with locks held,
        what was done under them may be another's now (`LeaseLost`).

        Several acts may be in flight in one process (a pass over each of several mailboxes,
        interleaved on the main thread): the first statement after the end raises, and so
        does every later one until each act whose lock was lost has ended (`unlock`), so
        none of them writes on the new session as though it still held its lock. A
        standing lock (a mailbox served, a sending loop's turn) is only dropped: its holder
        asks before each act (`held`, `holds`) and finds it gone."""
        if self.conn.broken or self.conn.closed:
            ended = sorted(self.held)
            self.lost |= self.held - self.standing
            self.held.clear()
            self.standing.clear()
            self.conn = self._connect()
            for name in sorted(self.joined):
                self.conn.execute("select pg_advisory_lock_shared(%s)", [lock_key(name)])
            if ended:
                raise LeaseLost(f"database {self.path}: the session ended and with it the locks on "
                                f"{', '.join(ended)}")
        if self.lost:
            raise LeaseLost(f"database {self.path}: the session ended under {', '.join(sorted(self.lost))}, "
                            "still in flight")

    def _call(self, run: Callable[[], Any]) -> Any:
        """A statement on a live session; one the server ended while this process was silent
        outside a transaction is opened again and the statement made once more."""
        import psycopg

        self._alive()
        try:
            with self._lock:
                result = run()
        except psycopg.OperationalError as exc:
            if self._depth or not self._ended(exc):
                raise
            self.conn.close()
            self._alive()
            with self._lock:
                result = run()
        self._used = time.monotonic()
        return result

    def _ended(self, exc: BaseException) -> bool:
        """Whether the fault is the session's end (the server's timeout of a silent session,
        an administrator's or a failover's end of it, a lost connection)."""
        from psycopg import errors, pq

        if isinstance(exc, (errors.IdleSessionTimeout, errors.IdleInTransactionSessionTimeout,
                            errors.AdminShutdown, errors.CrashShutdown)):
            return True
        return bool(self.conn.broken or self.conn.closed or self.conn.pgconn.status != pq.ConnStatus.OK)

    @property
    def utils(self) -> PostgresDatabase:
        """What reports and tests query with (`store.db`): on SQLite sqlite-utils' handle,
        here the engine itself (`execute`, `query`)."""
        return self

    def close(self) -> None:
        self._stop.set()
        self.conn.close()

    # --- session locks: what one process at a time does ----------------------------------

    def try_lock(self, name: str, *, standing: bool = False) -> bool:
        """A session-level lock named `name`, if no other session holds it now: whether this
        one does. It is released by `unlock`, or by the session's end (the process died,
        or was silent past its lease). `standing`: a lock held across acts whose holder
        asks before each (see `_alive`)."""
        got = bool(self._call(lambda: self.conn.execute("select pg_try_advisory_lock(%s)",
                                                         [lock_key(name)]).fetchone()[0]))
        if got:
            self.held.add(name)
            if standing:
                self.standing.add(name)
        return got

    def unlock(self, name: str) -> None:
        """Release the lock; for a lock the session lost, the end of the act that held it."""
        self.lost.discard(name)
        if name in self.held:
            self.held.discard(name)
            self.standing.discard(name)
            self._call(lambda: self.conn.execute("select pg_advisory_unlock(%s)", [lock_key(name)]))

    @contextmanager
    def turn(self, name: str) -> Iterator[None]:
        """The session lock `name`, waited for while another session holds it: what one
        process at a time does and the others must wait for, not skip (making the schema:
        the second of two hosts started together waits, then finds it made). Released at
        the end, or with the session."""
        import psycopg

        key = lock_key(name)
        self._call(lambda: self.conn.execute("select pg_advisory_lock(%s)", [key]))
        try:
            yield
        finally:
            # a session that ended took the lock with it; what ended it is the caller's to see
            with contextlib.suppress(psycopg.Error), self._lock:
                if not (self.conn.closed or self.conn.broken):
                    self.conn.execute("select pg_advisory_unlock(%s)", [key])

    def join(self, name: str) -> None:
        """Hold the shared lock `name` for as long as this process lives, taken again on
        every new session: how other processes count this one (`members`)."""
        if name not in self.joined:
            self._call(lambda: self.conn.execute("select pg_advisory_lock_shared(%s)", [lock_key(name)]))
            self.joined.add(name)

    def members(self, name: str) -> int:
        """How many sessions hold the shared lock `name` now (`join`): the live processes.
        Only this database's: pg_locks shows the whole server's, and a server holding several
        units' databases would otherwise count the other units' daemons, shrinking this one's
        shares until some of its mailboxes had no daemon (`core.shares`)."""
        key = lock_key(name) & 0xFFFFFFFFFFFFFFFF
        return int(self._call(lambda: self.conn.execute(
            "select count(distinct pid) from pg_locks where locktype = 'advisory' and granted "
            "and database = (select oid from pg_database where datname = current_database()) "
            "and classid = %s::bigint::oid and objid = %s::bigint::oid and objsubid = 1",
            [key >> 32, key & 0xFFFFFFFF]).fetchone()[0]))

    def holds(self, name: str) -> bool:
        """Whether this session still holds the lock, asked of the server."""
        key = lock_key(name) & 0xFFFFFFFFFFFFFFFF
        return bool(self._call(lambda: self.conn.execute(
            "select exists (select 1 from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() "
            "and granted and classid = %s::bigint::oid and objid = %s::bigint::oid and objsubid = 1)",
            [key >> 32, key & 0xFFFFFFFF]).fetchone()[0]))

    # --- opening ----------------------------------------------------------------------

    @contextmanager
    def opening(self) -> Iterator[None]:
        """What fails while the database is opened closes the connection."""
        try:
            yield
        except BaseException:
            self.conn.close()
            raise

    def settle(self) -> None:
        """Nothing to set: PostgreSQL's durability is the server's (synchronous_commit)."""

    def write_ahead(self) -> None:
        """Nothing to set: PostgreSQL always writes ahead."""

    def read_only(self) -> None:
        """Nothing is written through this connection from now on."""
        self.execute("set default_transaction_read_only = on")

    def tables(self) -> list[str]:
        return [r[0] for r in self.execute(
            "select table_name from information_schema.tables where table_schema = current_schema() "
            "and table_type = 'BASE TABLE' order by table_name").fetchall()]

    def table_names(self) -> list[str]:
        return self.tables()

    # --- rows ---------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        if not params:
            return self._call(lambda: self.conn.execute(sql))
        if isinstance(params, Mapping):  # `:name`, as sqlite3 takes a mapping's values
            named = placeholders(sql, named=True)
            values = {k: _value(v) for k, v in params.items()}
            return self._call(lambda: self.conn.execute(named, values))
        marked, bound = placeholders(sql), [_value(v) for v in params]
        return self._call(lambda: self.conn.execute(marked, bound))

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any:
        marked, rows = placeholders(sql), [[_value(v) for v in row] for row in params]

        def run() -> Any:
            cursor = self.conn.cursor()
            cursor.executemany(marked, rows)
            return cursor
        return self._call(run)

    def query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        cursor = self.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return (dict(zip(names, row, strict=True)) for row in cursor)

    def insert(self, table: str, row: Mapping[str, Any]) -> int:
        names = ", ".join(f'"{n}"' for n in row)
        marks = ", ".join("%s" for _ in row)
        returning = ' returning "id"' if "id" in self.columns(table) else ""
        cursor = self.execute(f'insert into "{table}" ({names}) values ({marks}){returning}'.replace("%s", "?"),
                              list(row.values()))
        return int(cursor.fetchone()[0]) if returning else 0

    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]], *, ignore: bool = False) -> None:
        """`Database.insert_rows`: `on conflict do nothing` for `ignore`."""
        if not rows:
            return
        names = ", ".join(f'"{n}"' for n in rows[0])
        marks = ", ".join(["(" + ", ".join("?" * len(rows[0])) + ")"] * len(rows))
        self.execute(f'insert into "{table}" ({names}) values {marks}{" on conflict do nothing" if ignore else ""}',
                     [value for row in rows for value in row.values()])

    def update(self, table: str, row_id: int, row: Mapping[str, Any]) -> None:
        sets = ", ".join(f'"{n}" = ?' for n in row)
        self.execute(f'update "{table}" set {sets} where id = ?', [*row.values(), row_id])

    def upsert(self, table: str, row: Mapping[str, Any], pk: tuple[str, ...]) -> None:
        names = ", ".join(f'"{n}"' for n in row)
        marks = ", ".join("?" for _ in row)
        sets = ", ".join(f'"{n}" = excluded."{n}"' for n in row if n not in pk) or f'"{pk[0]}" = excluded."{pk[0]}"'
        keys = ", ".join(f'"{n}"' for n in pk)
        self.execute(f'insert into "{table}" ({names}) values ({marks}) on conflict ({keys}) do update set {sets}',
                     list(row.values()))

    def columns(self, table: str) -> list[str]:
        if table not in self._known_columns:
            self._known_columns[table] = [r[0] for r in self.execute(
                "select column_name from information_schema.columns where table_schema = current_schema() "
                "and table_name = ? order by ordinal_position", [table])]
        return self._known_columns[table]

    def write_blob(self, table: str, column: str, row_id: int, data: bytes) -> None:
        """Big bytes into a row, whole (bytea has no piecewise writes; TOAST keeps them apart)."""
        self.execute(f'update "{table}" set "{column}" = ? where id = ?', [data, row_id])

    def read_blob(self, table: str, column: str, row_id: int) -> bytes:
        row = self.execute(f'select "{column}" from "{table}" where id = ?', [row_id]).fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""

    # --- transactions and durability ---------------------------------------------------

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """One transaction: everything a message causes commits together or not at all;
        nested units are savepoints (psycopg's own). A unit takes the writer lock first
        (`WRITER_KEY`): one writer at a time across every process, as on SQLite."""
        if self._depth:  # inside a unit: a savepoint
            self._depth += 1
            try:
                with self.conn.transaction():
                    yield
            finally:
                self._depth -= 1
            return
        if time.monotonic() - self._used > self.lease_seconds / 3:  # silent (stopped?): is the session still ours
            self._call(lambda: self.conn.execute("select 1"))
        self._alive()
        self._depth = 1
        try:
            with self.conn.transaction():
                self._writer_turn()
                yield
        finally:
            self._depth = 0

    def _writer_turn(self) -> None:
        """The writer lock, asked for again and again rather than waited for in the server's
        queue. A session waiting there is granted the lock whenever its holder lets go, even
        when its process is frozen (a paused virtual machine stops a host's daemon and its
        sender together): it then holds every other host's writes up for a lease more, one
        lease for each of the frozen host's processes in the queue. Asked for, the lock only
        goes to a process that runs. The pauses between the tries grow from a millisecond to
        `WRITER_PAUSE_SECONDS`, a small part of a unit of work's usual wait."""
        pause = 0.001
        while not self.execute("select pg_try_advisory_xact_lock(?)", [WRITER_KEY]).fetchone()[0]:
            time.sleep(pause)
            pause = min(2 * pause, WRITER_PAUSE_SECONDS)

    @contextmanager
    def group_commit(self) -> Iterator[None]:
        """Group commit, as on SQLite: the units of work inside commit without waiting for
        the server's WAL flush each (`synchronous_commit = off`: a crash of the server may
        lose the last of them, never a part of one); one synchronous commit at the end
        (`sync`) flushes the WAL, and with it every commit before it, before the caller
        moves the mail they came from out of the INBOX. Each unit is still its own
        transaction, so a failing one rolls back alone."""
        if self._grouped:
            yield
            return
        # the flag once the setting is in: a session lost under an act in flight fails this very
        # statement (`LeaseLost`), and a flag set before it stayed set for the process's life,
        # every later group a bare one (no setting, no sync at its end)
        self.execute("set synchronous_commit = off")
        self._grouped = True
        try:
            yield
        finally:
            self._grouped = False
            self.execute("set synchronous_commit = on")
            self.sync()

    def sync(self) -> None:
        """Every commit made so far durable: a synchronous commit returns once the WAL is
        flushed up to it, earlier asynchronous commits included."""
        with self.unit_of_work():
            self.upsert("meta", {"key": "synced", "value": str(time.time_ns())}, ("key",))

    def sync_changes(self) -> None:
        """Nothing to do: the sender's marks are as durable as the server makes each commit
        (`synchronous_commit`, on by default); SQLite's `Database.sync_changes` syncs them."""


def lock_key(name: str) -> int:
    """A lock's name as the signed 64-bit key PostgreSQL's advisory locks take."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _value(value: Any) -> Any:
    """A value as the store's columns take it: lists and mappings as JSON text (as on SQLite),
    a bool as the 0 or 1 an integer column holds."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return value


@lru_cache(maxsize=1024)
def placeholders(sql: str, *, named: bool = False) -> str:
    """SQLite's `?` (`named`: `:name`) as psycopg's `%s` (`%(name)s`), and a literal `%`
    doubled (psycopg reads `%` as the start of a placeholder); a `?` or `:` inside a quoted
    string or name, and PostgreSQL's own `::type`, are left as they are."""
    if named:
        sql = re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", lambda m: "\0" + m[1] + "\1", sql)
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
            out.append("%%" if char == "%" else char)
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out).replace("\0", "%(").replace("\1", ")s")

