"""The database's shape (tables, columns, indexes) against the shape this mailbot expects.

The schema number in `meta` says which migrations ran, not what they made: a database
written by a landed state whose migration of the same number made less (the schema 3 of
2026-11-22 09:56 lacked `quarantine.content_hash` and `outbox.slot_at`) passes a number
check and then fails every poll with "no such column". So the shape is read from the
database itself and compared with a fresh database made by the same migrations, in
memory. What is missing and can be added without touching a row (a nullable column or
one with a default, an index, a table) is a known drift and is mended; anything else
(a column of another type or constraint, an extra column that refuses rows written
without it) is named and refused: only the operator can decide about such a file.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    notnull: bool
    default: str | None
    pk: int

    def definition(self) -> str:
        """The column as ALTER TABLE ADD COLUMN writes it."""
        text = f'"{self.name}" {self.type}'.rstrip()
        if self.notnull:
            text += " NOT NULL"
        if self.default is not None:
            text += f" DEFAULT {self.default}"
        return text


@dataclass(frozen=True)
class Table:
    name: str
    sql: str
    columns: dict[str, Column] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)  # name -> its CREATE INDEX, normalised


@dataclass(frozen=True)
class Difference:
    """One way the database differs from the expected shape; `mend` is the SQL that makes
    it right without touching a row, None where none can."""

    what: str
    mend: str | None

    def __str__(self) -> str:
        return self.what


def _normal(sql: str) -> str:
    """CREATE statements compared by what they say, not their spacing or quoting."""
    text = re.sub(r"\s+", " ", sql.strip()).lower()
    text = text.replace("if not exists ", "")
    return re.sub(r'["`\[\]]', "", text)


def read(conn: sqlite3.Connection) -> dict[str, Table]:
    """The shape of the database open on `conn`."""
    tables: dict[str, Table] = {}
    rows = conn.execute("select type, name, tbl_name, sql from sqlite_master "
                        "where name not like 'sqlite_%' order by type desc, name").fetchall()
    for kind, name, _owner, sql in rows:
        if kind != "table":
            continue
        columns = {c[1]: Column(c[1], (c[2] or "").upper(), bool(c[3]), c[4], int(c[5]))
                   for c in conn.execute(f'pragma table_info("{name}")')}
        tables[name] = Table(name, sql, columns)
    for kind, name, owner, sql in rows:
        if kind == "index" and sql and owner in tables:
            tables[owner].indexes[name] = _normal(sql)
    return tables


@lru_cache(maxsize=32)
def _expected(migrations: tuple[Migration, ...]) -> dict[str, Table]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        db = sqlite_utils.Database(conn)
        for migration in migrations:
            migration(db)
        return read(conn)
    finally:
        conn.close()


def expected(migrations: Sequence[Migration]) -> dict[str, Table]:
    """The shape a fresh database has after these migrations."""
    return _expected(tuple(migrations))


def compare(want: dict[str, Table], have: dict[str, Table]) -> list[Difference]:
    """How `have` differs from `want`, each difference with its mend where it is safe.

    Extra tables, extra nullable columns and extra non-unique indexes are not differences:
    they change nothing this mailbot reads or writes (an operator's own index, say)."""
    found: list[Difference] = []
    for name, table in want.items():
        got = have.get(name)
        if got is None:
            found.append(Difference(f"table {name} is missing", table.sql))
            found.extend(Difference(f"index {index} of table {name} is missing", sql)
                         for index, sql in table.indexes.items())
            continue
        found += _columns(name, table, got) + _indexes(name, table, got)
    return found


def _columns(name: str, table: Table, got: Table) -> list[Difference]:
    """How a present table's columns differ: missing (added where a row written without it
    stays valid), changed, or an extra one that refuses the rows this mailbot writes."""
    found: list[Difference] = []
    for column in table.columns.values():
        present = got.columns.get(column.name)
        if present is None:
            addable = not column.pk and (not column.notnull or column.default is not None)
            found.append(Difference(f"column {name}.{column.name} is missing",
                                    f'alter table "{name}" add column {column.definition()}' if addable else None))
        elif present != column:
            found.append(Difference(f"column {name}.{column.name} is {_said(present)}, expected {_said(column)}",
                                    None))
    for column in got.columns.values():
        if column.name not in table.columns and (column.pk or (column.notnull and column.default is None)):
            found.append(Difference(f"column {name}.{column.name} is not this mailbot's and refuses rows "
                                    "written without it", None))
    return found


def _indexes(name: str, table: Table, got: Table) -> list[Difference]:
    """How a present table's indexes differ: missing (created again), changed, or an extra
    unique one that could refuse this mailbot's rows."""
    found: list[Difference] = []
    for index, sql in table.indexes.items():
        if index not in got.indexes:
            found.append(Difference(f"index {index} of table {name} is missing", sql))
        elif got.indexes[index] != sql:
            found.append(Difference(f"index {index} of table {name} is '{got.indexes[index]}', expected '{sql}'",
                                    None))
    for index, sql in got.indexes.items():
        if index not in table.indexes and sql.startswith("create unique"):
            found.append(Difference(f"unique index {index} of table {name} is not this mailbot's", None))
    return found


def _said(column: Column) -> str:
    return (column.definition().replace(f'"{column.name}" ', "", 1)
            + (f" (primary key {column.pk})" if column.pk else ""))
