"""`mailbot migrate --to postgresql://...`: a unit's whole SQLite history copied
into an empty PostgreSQL database, every table's rows counted on both sides.

What is copied: every table the PostgreSQL store has (`pg_schema.expected`: tickets,
messages, events, outbox with its bytes, timers, counters, arrivals, quarantine records,
references, what a restore left, the memory of solved cases with its terms and queue,
meta). What is not: SQLite's FTS5 tables: PostgreSQL's own search table is filled by its
triggers as the tickets and messages are copied, the memory's postings are its indexes.
The archive of raw mail stays where `archive_dir` names it (a location every host reads,
see the operator's guide). The SQLite file is opened read-only and left as it was; a
target that holds any table is refused, so nothing is ever copied over a unit's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mailbot.errors import ConfigError
from mailbot.io import pg_schema
from mailbot.io.store import Store

BATCH = 500  # rows a statement


def copy_to(source: Path, url: str, password: str | None = None) -> dict[str, int]:
    """Copy the SQLite store at `source` into the empty PostgreSQL database at `url`; the
    rows of each table, counted in both after the copy."""
    if not source.exists():
        raise ConfigError(f"migrate --to: no database at {source}")
    sqlite = Store(source, readonly=True)
    try:
        target = _empty_target(url, password)
        try:
            # tickets before messages: the target's triggers fill its search index as rows arrive
            order = sorted(pg_schema.expected(), key=lambda name: name != "tickets")
            copied = {name: _copy_table(sqlite, target, name) for name in order}
            _continue_ids(target)
            counted = {name: int(target.db.execute(f'select count(*) from "{name}"').fetchone()[0])
                       for name in copied}
        finally:
            target.close()
    finally:
        sqlite.close()
    differing = {name: (copied[name], counted[name]) for name in copied if copied[name] != counted[name]}
    if differing:
        raise ConfigError(f"migrate --to: rows differ after the copy (SQLite, PostgreSQL): {differing}")
    return counted


def _empty_target(url: str, password: str | None) -> Store:
    """The target, made at this version's schema, when it held no table before."""
    from mailbot.io.store.postgres import PostgresDatabase

    probe = PostgresDatabase(url, password)
    try:
        if tables := probe.tables():
            raise ConfigError(f"migrate --to: {probe.path} is not empty (it has {', '.join(tables[:5])}): "
                              "give an empty database; nothing was copied")
    finally:
        probe.close()
    return Store(url, password=password)


def _copy_table(source: Store, target: Store, name: str) -> int:
    """A table's rows, oldest first, in batches; the count copied. `meta` replaces the
    target's own notes (its schema number is the same: this mailbot's)."""
    columns = [c for c in source.database.columns(name) if c in set(target.database.columns(name))]
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    upsert = ' on conflict ("key") do update set "value" = excluded."value"' if name == "meta" else ""
    statement = f'insert into "{name}" ({names}) values ({marks}){upsert}'
    count = 0
    with target.unit_of_work():
        if name == "meta":
            target.db.execute("delete from meta")
        for rows in _batches(source.db.execute(f'select {names} from "{name}"')):
            target.database.executemany(statement, rows)
            count += len(rows)
    return count


def _batches(cursor: Any) -> Iterator[list[tuple[Any, ...]]]:
    while rows := cursor.fetchmany(BATCH):
        yield [tuple(row) for row in rows]


def _continue_ids(target: Store) -> None:
    """Each identity column continues past the highest id copied (rows were copied with their ids)."""
    for name, table in pg_schema.expected().items():
        if "id" in table.columns and table.columns["id"].pk:
            target.db.execute(f"select setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                              f'coalesce((select max(id) from "{name}"), 0) + 1, false)')
