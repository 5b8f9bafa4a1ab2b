"""The PostgreSQL database's shape, made and checked from the one source both engines share:
the migrations.

`io/migrations` writes the schema's history for SQLite, one function a version; `io/schema`
reads the shape a fresh database has after them (tables, columns with type, NOT NULL,
default and primary key, indexes). A PostgreSQL database is made from that shape, each
type in PostgreSQL's words, and checked against it by the same comparison as SQLite's
: what is missing and can be added without touching a row (a table, a nullable
column, an index) is added; anything else is named and refused. A database made by this
version is thereby at the shape the next version's migrations expect; only migrations
that rewrite rows (none since schema 18's) would need their own PostgreSQL wording.

What PostgreSQL does not get: SQLite's FTS5 tables (`ticket_search`, `solved_fts`, their
shadow tables and triggers). In their place: GIN indexes over the memory's terms
(`INDEXES`), and a `ticket_search` table of folded words kept by triggers (`SEARCH`).
"""

from __future__ import annotations

import re
from typing import Any

from mailbot.io import schema
from mailbot.io.migrations import MIGRATIONS, SEARCH_ROW_SPAN

TYPES = {"INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea", "FLOAT": "double precision",
         "REAL": "double precision", "": "text"}
SQLITE_TYPES = {"bigint": "INTEGER", "integer": "INTEGER", "text": "TEXT", "bytea": "BLOB",
                "double precision": "FLOAT"}

# SQLite's json_extract(doc, '$.key') for the statements both engines share (reports): the
# value at a dotted path of a JSON text, as text.
FUNCTIONS = (
    ("create or replace function json_extract(doc text, path text) returns text language sql immutable "
     "as $$ select (doc::jsonb) #>> string_to_array(substr(path, 3), '.') $$"),
)

# PostgreSQL's own indexes, where SQLite reads an FTS5 table: the memory's postings
# (`store/memory._PostgreSQL.POSTINGS`). Extra indexes are no difference to `compare`.
INDEXES = (
    "create index solved_cases_problem_terms on solved_cases using gin (string_to_array(problem_terms, ' '))",
    "create index solved_cases_solution_terms on solved_cases using gin (string_to_array(solution_terms, ' '))",
)

# `tickets --search` on PostgreSQL (SQLite's FTS5 `ticket_search`): one row per ticket holding
# its subject and requester, and one per message that reached the mailbox on it holding its new
# text, each inserted once and keyed as SQLite's rows are (`migrations.SEARCH_ROW_SPAN`: the
# ticket's id times it, plus the message's id), each folded as FTS5's unicode61 tokenizer folds
# (case, Latin accents, anything not a letter or digit a break) into " word word ... ", kept by
# triggers as on SQLite; a phrase is then a LIKE of " word word" (`store/search._PostgreSQL`).
ACCENTED = "ÀÁÂÃÄÅàáâãäåÈÉÊËèéêëÌÍÎÏìíîïÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿÑñÇçĞğŞşİı"
PLAIN = "AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOOooooooUUUUuuuuYyyNnCcGgSsIi"
_REQUESTER = "mailbot_fold(new.requester || ' ' || coalesce(new.requester_name, ''))"
SEARCH = (
    ("create or replace function mailbot_fold(t text) returns text language sql immutable as $$ "
     f"select ' ' || btrim(regexp_replace(lower(translate(coalesce(t, ''), '{ACCENTED}', '{PLAIN}')), "
     "'[^[:alnum:]]+', ' ', 'g')) || ' ' $$"),
    ("create table if not exists ticket_search (id bigint primary key, subject text not null, "
     "requester text not null, text text not null)"),
    ("create or replace function ticket_search_opened() returns trigger language plpgsql as $$ begin "
     f"insert into ticket_search (id, subject, requester, text) values (new.id * {SEARCH_ROW_SPAN}, "
     f"mailbot_fold(new.subject), {_REQUESTER}, ' '); return null; end $$"),
    ("create or replace trigger ticket_search_opened after insert on tickets for each row "
     "execute function ticket_search_opened()"),
    ("create or replace function ticket_search_renamed() returns trigger language plpgsql as $$ begin "
     f"update ticket_search set subject = mailbot_fold(new.subject), requester = {_REQUESTER} "
     f"where id = new.id * {SEARCH_ROW_SPAN}; return null; end $$"),
    ("create or replace trigger ticket_search_renamed after update of subject, requester, requester_name "
     "on tickets for each row when (new.subject is distinct from old.subject or new.requester is distinct from "
     "old.requester or new.requester_name is distinct from old.requester_name) "
     "execute function ticket_search_renamed()"),
    ("create or replace function ticket_search_message() returns trigger language plpgsql as $$ begin "
     f"insert into ticket_search (id, subject, requester, text) values (new.ticket_id * {SEARCH_ROW_SPAN} + new.id, "
     "' ', ' ', mailbot_fold(new.body)) on conflict (id) do nothing; return null; end $$"),
    ("create or replace trigger ticket_search_message after insert on messages for each row "
     "when (new.direction = 'in' and new.ticket_id is not null and coalesce(new.body, '') != '') "
     "execute function ticket_search_message()"),
    ("create or replace trigger ticket_search_message_joined after update of ticket_id on messages for each row "
     "when (new.direction = 'in' and new.ticket_id is not null and new.ticket_id is distinct from old.ticket_id "
     "and coalesce(new.body, '') != '') execute function ticket_search_message()"),
)

_FTS = re.compile(r"create virtual table", re.IGNORECASE)


def expected() -> dict[str, schema.Table]:
    """The tables PostgreSQL has at this version: the migrations' shape without FTS5's."""
    tables = schema.expected(MIGRATIONS)
    virtual = [name for name, table in tables.items() if _FTS.match(table.sql)]
    return {name: table for name, table in tables.items()
            if name not in virtual and not any(name.startswith(f"{v}_") for v in virtual)}


def column_sql(column: schema.Column, *, single_pk: bool) -> str:
    """One column in PostgreSQL's words; a lone integer primary key named `id` is an
    identity (SQLite gives such a key the next row id)."""
    kind = TYPES[column.type.upper()]
    text = f'"{column.name}" {kind}'
    if single_pk and column.pk:
        text += " generated by default as identity primary key" if column.name == "id" and kind == "bigint" \
            else " primary key"
    elif column.notnull:
        text += " not null"
    if column.default is not None:
        text += f" default {column.default}"
    return text


def table_sql(table: schema.Table) -> str:
    keys = sorted((c for c in table.columns.values() if c.pk), key=lambda c: c.pk)
    parts = [column_sql(c, single_pk=len(keys) == 1) for c in table.columns.values()]
    if len(keys) > 1:
        parts.append("primary key (" + ", ".join(f'"{c.name}"' for c in keys) + ")")
    return f'create table "{table.name}" (' + ", ".join(parts) + ")"


def create(db: Any) -> None:
    """Every table, index and function of this version into an empty database, in one transaction."""
    with db.unit_of_work():
        for sql in FUNCTIONS:
            db.execute(sql)
        for table in expected().values():
            db.execute(table_sql(table))
            for index_sql in table.indexes.values():
                db.execute(index_sql)
        for index_sql in INDEXES:
            db.execute(index_sql)
        for sql in SEARCH:
            db.execute(sql)


def fold(text: str) -> list[str]:
    """The words of `text` as `mailbot_fold` keeps them (lower case, Latin accents plain)."""
    return re.findall(r"[^\W_]+", text.lower().translate(str.maketrans(ACCENTED, PLAIN)))


def read(db: Any) -> dict[str, schema.Table]:
    """The shape of the PostgreSQL database, in the terms `io/schema` compares (SQLite's
    type names; indexes by name, their definition as PostgreSQL prints it)."""
    tables: dict[str, schema.Table] = {}
    keys: dict[tuple[str, str], int] = {}
    # The primary keys from the catalog: information_schema shows a table's constraints only to
    # a role that may do more than SELECT on it, and the window's role may only read
    for table, column, position in db.execute(
            "select c.relname, a.attname, k.ordinality from pg_index i join pg_class c on c.oid = i.indrelid "
            "join pg_namespace n on n.oid = c.relnamespace "
            "cross join lateral unnest(i.indkey) with ordinality as k(attnum, ordinality) "
            "join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum "
            "where i.indisprimary and n.nspname = current_schema()").fetchall():
        keys[(table, column)] = int(position)
    for table, column, kind, nullable, default in db.execute(
            "select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns "
            "where table_schema = current_schema() order by table_name, ordinal_position").fetchall():
        pk = keys.get((table, column), 0)
        tables.setdefault(table, schema.Table(table, "")).columns[column] = schema.Column(
            column, SQLITE_TYPES.get(kind, kind.upper()), nullable == "NO" and not pk, _default(default), pk)
    for table, name, definition in db.execute(
            "select tablename, indexname, indexdef from pg_indexes where schemaname = current_schema()").fetchall():
        if table in tables and not name.endswith("_pkey"):
            tables[table].indexes[name] = _index(definition)
    return tables


def differences(db: Any) -> list[schema.Difference]:
    """How the PostgreSQL database differs from this version's shape, each with its mend in
    PostgreSQL's words where one adds what is missing without touching a row."""
    want = expected()
    have = read(db)
    normal = {name: schema.Table(name, table.sql, {c.name: _as_read(c) for c in table.columns.values()},
                                 {i: _index(sql) for i, sql in table.indexes.items()})
              for name, table in want.items()}
    found = []
    for difference in schema.compare(normal, have):
        found.append(schema.Difference(difference.what, _mend(difference, want)))
    return found


def _as_read(column: schema.Column) -> schema.Column:
    """A column of the expected shape as `read` sees it made: its type in SQLite's names
    again (`TEXT` for SQLite's untyped), a primary key NOT NULL by being one."""
    return schema.Column(column.name, SQLITE_TYPES[TYPES[column.type.upper()]], column.notnull and not column.pk,
                         column.default, column.pk)


def _mend(difference: schema.Difference, want: dict[str, schema.Table]) -> str | None:
    """The expected table, column or index in PostgreSQL's words, for what `compare` found missing."""
    if difference.mend is None:
        return None
    what = difference.what
    if m := re.fullmatch(r"table (\w+) is missing", what):
        return table_sql(want[m[1]])
    if m := re.fullmatch(r"column (\w+)\.(\w+) is missing", what):
        column = want[m[1]].columns[m[2]]
        return f'alter table "{m[1]}" add column {column_sql(column, single_pk=False)}'
    if m := re.fullmatch(r"index (\w+) of table (\w+) is missing", what):
        return want[m[2]].indexes[m[1]]
    return None


def _default(default: str | None) -> str | None:
    """A column default as PostgreSQL prints it, as the migrations wrote it: `'pending'::text` is `'pending'`."""
    if default is None or default.startswith("nextval("):
        return None
    return re.sub(r"::[a-z ]+$", "", default)


def _index(definition: str) -> str:
    """An index compared by its columns and uniqueness only: PostgreSQL prints a partial
    index's condition in its own words (`(state <> 'closed'::text)`)."""
    text = re.sub(r"\s+", " ", definition.strip()).lower().replace('"', "")
    unique = text.startswith("create unique")
    columns = re.search(r"\(([^()]*)\)", text.split(" on ", 1)[1] if " on " in text else text)
    return f"{'unique ' if unique else ''}({columns[1] if columns else ''})"
