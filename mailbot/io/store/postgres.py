"""The PostgreSQL engine under every part of the store (issue 47): what `Database` is for
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
durability (a PostgreSQL commit is durable when it returns: no group commit, no sync).
The schema is not migrated here but made from the migrations' shape (`io/pg_schema`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from mailbot.errors import ConfigError

DIALECT = "postgresql"


def connect(url: str, password: str | None = None) -> Any:
    """A connection to `url` in autocommit (a unit of work opens its own transaction), UTC.

    `password` is handed to libpq beside the URL, never put into it: the URL is what logs
    and errors show."""
    import psycopg

    if password:
        return psycopg.connect(url, autocommit=True, connect_timeout=10, password=password)
    return psycopg.connect(url, autocommit=True, connect_timeout=10)


def display(url: str) -> str:
    """The URL as it may be shown: a password written into it replaced by `***`."""
    return re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", url)


class PostgresDatabase:
    """One PostgreSQL database, one connection: what every part of the store reads and writes through."""

    dialect = DIALECT

    def __init__(self, url: str, password: str | None = None) -> None:
        import psycopg

        self.url = url
        self.path = display(url)  # what messages name the database by, as a file's path for SQLite
        try:
            self.conn = connect(url, password)
        except psycopg.OperationalError as exc:
            raise ConfigError(f"database {self.path} cannot be reached: {_first_line(exc)}") from exc
        self.conn.execute("set timezone to 'UTC'")
        self._known_columns: dict[str, list[str]] = {}

    @property
    def utils(self) -> PostgresDatabase:
        """What reports and tests query with (`store.db`): on SQLite sqlite-utils' handle,
        here the engine itself (`execute`, `query`)."""
        return self

    def close(self) -> None:
        self.conn.close()

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
        self.conn.execute("set default_transaction_read_only = on")

    def tables(self) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "select table_name from information_schema.tables where table_schema = current_schema() "
            "and table_type = 'BASE TABLE' order by table_name").fetchall()]

    def table_names(self) -> list[str]:
        return self.tables()

    # --- rows ---------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        if not params:
            return self.conn.execute(sql)
        if isinstance(params, Mapping):  # `:name`, as sqlite3 takes a mapping's values
            return self.conn.execute(placeholders(sql, named=True), {k: _value(v) for k, v in params.items()})
        return self.conn.execute(placeholders(sql), [_value(v) for v in params])

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any:
        cursor = self.conn.cursor()
        cursor.executemany(placeholders(sql), [[_value(v) for v in row] for row in params])
        return cursor

    def query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        cursor = self.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return (dict(zip(names, row, strict=True)) for row in cursor)

    def insert(self, table: str, row: Mapping[str, Any]) -> int:
        names = ", ".join(f'"{n}"' for n in row)
        marks = ", ".join("%s" for _ in row)
        returning = ' returning "id"' if "id" in self.columns(table) else ""
        cursor = self.conn.execute(f'insert into "{table}" ({names}) values ({marks}){returning}',
                                   [_value(v) for v in row.values()])
        return int(cursor.fetchone()[0]) if returning else 0

    def update(self, table: str, row_id: int, row: Mapping[str, Any]) -> None:
        sets = ", ".join(f'"{n}" = %s' for n in row)
        self.conn.execute(f'update "{table}" set {sets} where id = %s', [*(_value(v) for v in row.values()), row_id])

    def upsert(self, table: str, row: Mapping[str, Any], pk: tuple[str, ...]) -> None:
        names = ", ".join(f'"{n}"' for n in row)
        marks = ", ".join("%s" for _ in row)
        sets = ", ".join(f'"{n}" = excluded."{n}"' for n in row if n not in pk) or f'"{pk[0]}" = excluded."{pk[0]}"'
        keys = ", ".join(f'"{n}"' for n in pk)
        self.conn.execute(f'insert into "{table}" ({names}) values ({marks}) on conflict ({keys}) do update set {sets}',
                          [_value(v) for v in row.values()])

    def columns(self, table: str) -> list[str]:
        if table not in self._known_columns:
            self._known_columns[table] = [r[0] for r in self.conn.execute(
                "select column_name from information_schema.columns where table_schema = current_schema() "
                "and table_name = %s order by ordinal_position", [table])]
        return self._known_columns[table]

    def write_blob(self, table: str, column: str, row_id: int, data: bytes) -> None:
        """Big bytes into a row, whole (bytea has no piecewise writes; TOAST keeps them apart)."""
        self.conn.execute(f'update "{table}" set "{column}" = %s where id = %s', [data, row_id])

    def read_blob(self, table: str, column: str, row_id: int) -> bytes:
        row = self.conn.execute(f'select "{column}" from "{table}" where id = %s', [row_id]).fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""

    # --- transactions and durability ---------------------------------------------------

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """One transaction: everything a message causes commits together or not at all;
        nested units are savepoints (psycopg's own)."""
        with self.conn.transaction():
            yield

    @contextmanager
    def group_commit(self) -> Iterator[None]:
        """Nothing to group: each commit is durable when it returns (synchronous_commit)."""
        yield

    def sync(self) -> None:
        """Nothing to sync: what PostgreSQL committed is durable."""


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


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
