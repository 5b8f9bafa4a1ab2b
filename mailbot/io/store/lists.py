"""What the window's desk reads (SPEC 13): lists of tickets with every filter applied in SQL
before the page is cut, sorted by any column, with their total; the facts each ticket's
lateness is computed from, and a cheap sign that anything was written since; each staff
member's load; the escalated cases with what LKPP has sent and been sent.

Lateness is not a column: it is the core's reading of a ticket and its timers
(`core.overdue.breaches`). The window keeps that reading between requests and hands the
late tickets' ids back here (`DeskQuery.ids`), so that "late only" is one more condition of
the query, never a cut after it. Who holds a ticket is the assignee `#tugaskan` named, else
the staff member of its latest staff action (the recap's "Petugas"), else the one who took
the call or visit (`holder_sql`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mailbot.io.store.database import Database
from mailbot.io.store.search import _PostgreSQL as _SearchPostgreSQL
from mailbot.io.store.search import _SQLite as _SearchSQLite
from mailbot.io.store.search import requester_pattern, search_patterns, search_phrases
from mailbot.io.store.tickets import Tickets
from mailbot.io.store.timers import STATUS_STILL_BREACHED
from mailbot.io.store.times import moment, ts
from mailbot.model import State, Ticket, Timer, TimerKind

# Raw timer facts as compared between two readings: kind, started_at, due_at, step.
TimerRow = tuple[str, str, str, int]


class _SQLite:
    """SQLite's words: a list of ids as one JSON parameter (no limit on how many)."""

    VERSION = ""  # the files', not a statement's: `Lists.version`
    IN_IDS = "{column} in (select value from json_each(?))"
    LIKE = _SearchSQLite.LIKE


class _PostgreSQL(_SQLite):
    """PostgreSQL's: the current snapshot (the next transaction id and those still running):
    it changes when a writing transaction begins and again when it ends, on any connection;
    the JSON list of ids read as rows."""

    VERSION = "select pg_current_snapshot()::text"
    IN_IDS = "{column} in (select value::bigint from jsonb_array_elements_text(?::jsonb))"
    LIKE = _SearchPostgreSQL.LIKE


# When a ticket was escalated last: its latest status deadline's start (SOP-015: from the escalation).
_ESCALATED_AT = "(select max(s.started_at) from timers s where s.ticket_id = {ticket} and s.kind = 'lkpp_status')"
# The sortable columns of a list, by the name a page asks with; states in the order a ticket
# goes through them (SPEC 4), not by their codes; the next deadline, the earliest running timer's.
_STATE_ORDER = "case t.state " + " ".join(f"when '{state}' then {n}" for n, state in enumerate(State)) + " end"
# Every state but closed, named: the (mailbox, state) index finds them, where `!= 'closed'` reads every ticket.
_UNCLOSED = "t.state in (" + ", ".join(f"'{state}'" for state in State if state is not State.CLOSED) + ")"
# (`+tm.active`: by the ticket's timers, never a walk of every running timer in due order per ticket)
_NEXT_DUE = "(select min(tm.due_at) from timers tm where tm.ticket_id = t.id and +tm.active = 1)"
SORTS = {
    "number": "t.id", "subject": "lower(t.subject)", "state": _STATE_ORDER, "opened": "t.created_at",
    "waiting": "t.updated_at", "next": _NEXT_DUE, "holder": "{holder}", "channel": "coalesce(t.channel, 'email')",
    "category": "t.category",
}
_KIND = re.compile(r"^[a-z_]+$")


@dataclass(frozen=True)
class DeskQuery:
    """The tickets a list shows: of these mailboxes, each condition given (None: any).
    `unclosed`: every state but closed; `ids`: only these tickets (the late ones);
    `search`: an FTS5 query as `core.search_query.fts_query` writes it; `holder`: the
    address that holds them (`holder_sql`)."""

    mailboxes: tuple[str, ...]
    state: str | None = None
    unclosed: bool = False
    category: str | None = None
    channel: str | None = None
    requester: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None
    holder: str | None = None
    ids: Collection[int] | None = None


def holder_sql(staff_actions: Collection[str]) -> str:
    """Who holds a ticket `t`: the assignee, else the actor of its latest staff action (of
    `staff_actions`, our own event kinds, written into the statement), else whoever took it."""
    kinds = ", ".join(f"'{kind}'" for kind in sorted(staff_actions) if _KIND.match(kind))
    return ("coalesce(t.assignee, (select e.actor from events e where e.ticket_id = t.id "
            f"and e.kind in ({kinds}) order by e.id desc limit 1), t.taken_by)")


class Lists:
    """The window's lists, counts and the facts behind lateness."""

    def __init__(self, db: Database, ticket_rows: Tickets) -> None:
        self.db = db
        self.sql = _PostgreSQL if db.dialect == "postgresql" else _SQLite
        self.ticket_rows = ticket_rows

    # --- what lateness is computed from -------------------------------------------------

    def version(self) -> str:
        """A value that differs once anything was committed since it was read, on any
        connection (a reader's own or a pool's alike): read it before the rows it vouches for.
        SQLite's: the database file's and its write-ahead log's size and time of change (a
        commit appends to the log, a checkpoint writes the file); PostgreSQL's: the snapshot."""
        if self.sql is _PostgreSQL:
            return str(self.db.execute(self.sql.VERSION).fetchone()[0])
        found = []
        for path in (Path(self.db.path), Path(f"{self.db.path}-wal")):
            try:
                state = path.stat()
            except FileNotFoundError:
                found.append("-")
                continue
            found.append(f"{state.st_size}.{state.st_mtime_ns}")
        return ":".join(found)

    def unclosed_stamps(self, mailbox: str) -> dict[int, str]:
        """Each unclosed ticket of the mailbox and when it last changed (a change of a ticket
        always moves its `updated_at`)."""
        rows = self.db.execute(f"select t.id, t.updated_at from tickets t where t.mailbox = ? and {_UNCLOSED}",
                               [mailbox]).fetchall()
        return {int(ticket_id): str(updated) for ticket_id, updated in rows}

    def breach_timers(self, mailbox: str) -> dict[int, tuple[TimerRow, ...]]:
        """Each ticket's running timers, and the fired status request whose breach goes on
        (as `Timers.overdue_candidates` reads them), as raw rows to compare."""
        rows = self.db.execute(
            "select ticket_id, kind, started_at, due_at, step, id from timers where mailbox = ? and active = 1 "
            f"union select s.ticket_id, s.kind, s.started_at, s.due_at, s.step, s.id from "
            f"({STATUS_STILL_BREACHED}) s order by 6", [mailbox, mailbox]).fetchall()
        found: dict[int, list[TimerRow]] = {}
        for ticket_id, kind, started, due, step, _id in rows:
            found.setdefault(int(ticket_id), []).append((str(kind), str(started), str(due), int(step)))
        return {ticket_id: tuple(timers) for ticket_id, timers in found.items()}

    @staticmethod
    def timers_of(rows: Sequence[TimerRow]) -> list[Timer]:
        return [Timer(TimerKind(kind), moment(started), moment(due), step) for kind, started, due, step in rows]

    def tickets(self, ids: Collection[int]) -> list[Ticket]:
        """These tickets (without participants), in chunks a statement takes."""
        wanted = sorted(ids)
        found = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            rows = self.db.query(f"select * from tickets where id in ({','.join('?' * len(chunk))})", chunk)
            found += [self.ticket_rows.of_row(row, participants=False) for row in rows]
        return found

    # --- lists ----------------------------------------------------------------------------

    def _matching(self, query: DeskQuery, staff_actions: Collection[str]) -> tuple[str, list[Any]]:
        """`from ... where ...` of the query, with its arguments: each condition given, in turn."""
        sql, args = self._source(query.search)
        like = self.sql.LIKE
        conditions: list[tuple[bool, str, list[Any]]] = [
            (True, f"t.mailbox in ({', '.join('?' * len(query.mailboxes))})", list(query.mailboxes)),
            (bool(query.state), "t.state = ?", [query.state]),
            (bool(query.category), "t.category = ?", [query.category]),
            (query.unclosed, _UNCLOSED, []),
            (bool(query.channel), "coalesce(t.channel, 'email') = ?", [query.channel]),
            (bool(query.requester), f"(t.requester {like} ? escape '\\' or t.requester_name {like} ? escape '\\')",
             [requester_pattern(query.requester or "")] * 2),
            (query.since is not None, "t.created_at >= ?", [ts(query.since) if query.since else None]),
            (query.until is not None, "t.created_at < ?", [ts(query.until) if query.until else None]),
            (bool(query.holder), f"lower({holder_sql(staff_actions)}) = ?", [(query.holder or "").lower()]),
            (query.ids is not None, self._among("t.id"), [self._ids(query.ids or ())]),
        ]
        for given, condition, values in conditions:
            if given:
                sql, args = f"{sql} and {condition}", [*args, *values]
        return sql, args

    def _source(self, search: str | None) -> tuple[str, list[Any]]:
        """The tickets a list starts from: all, or those the full-text search matches (each
        phrase in one of a ticket's rows of the index, as `Search.find_tickets` reads it)."""
        if search is None:
            return "from tickets t where true", []
        if self.sql is _PostgreSQL:
            patterns = search_patterns(search)
            return ("from tickets t where true" + _SearchPostgreSQL.PHRASE * len(patterns),
                    [p for p in patterns for _column in range(3)])
        phrases = search_phrases(search)
        return "from tickets t where true" + _SearchSQLite.PHRASE * len(phrases), phrases

    def _among(self, column: str) -> str:
        """`column in (the ids of one JSON parameter)`."""
        return self.sql.IN_IDS.format(column=column)

    @staticmethod
    def _ids(ids: Collection[int]) -> str:
        return json.dumps([int(i) for i in ids])

    def count(self, query: DeskQuery, staff_actions: Collection[str]) -> int:
        """How many tickets the query finds."""
        sql, args = self._matching(query, staff_actions)
        return int(self.db.execute(f"select count(*) {sql}", args).fetchone()[0])

    def ids(self, query: DeskQuery, staff_actions: Collection[str]) -> list[int]:
        """Every ticket the query finds, in no order (a list the caller sorts itself: from the
        index its conditions choose, not the whole table walked in the order of ids)."""
        sql, args = self._matching(query, staff_actions)
        return [int(row[0]) for row in self.db.execute(f"select t.id {sql}", args).fetchall()]

    def page(self, query: DeskQuery, staff_actions: Collection[str], sort: str, descending: bool, offset: int,
             limit: int) -> list[dict[str, Any]]:
        """One page of the tickets the query finds, sorted by `sort` (a name of `SORTS`), the
        newest first among equals: the page's ids first (only the sort's own value read of
        each ticket), then its rows."""
        sql, args = self._matching(query, staff_actions)
        way = "desc" if descending else "asc"
        nulls = " nulls last" if sort in ("next", "holder", "category") else ""
        key = SORTS[sort].format(holder=holder_sql(staff_actions))
        order = f"{key} {way}{nulls}, t.id desc" if sort != "number" else f"t.id {way}"
        ids = [int(row[0]) for row in self.db.execute(f"select t.id {sql} order by {order} limit ? offset ?",
                                                       [*args, limit, offset]).fetchall()]
        return self.rows(ids, staff_actions)

    def rows(self, ids: Sequence[int], staff_actions: Collection[str]) -> list[dict[str, Any]]:
        """The list's rows of these tickets, in the order given."""
        if not ids:
            return []
        found = {row["id"]: row for row in self.db.query(
            f"select {self._columns(staff_actions)} from tickets t where {self._among('t.id')}", [self._ids(ids)])}
        return [found[i] for i in ids if i in found]

    def _columns(self, staff_actions: Collection[str]) -> str:
        return ("t.id, t.mailbox, t.number, t.subject, t.state, t.created_at, t.updated_at, t.category, "
                "coalesce(t.channel, 'email') as channel, t.requester, t.requester_name, t.lkpp_ticket, "
                f"{holder_sql(staff_actions)} as holder, "
                f"{_NEXT_DUE} as next_due")

    # --- staff ----------------------------------------------------------------------------

    def held(self, mailboxes: Sequence[str], staff_actions: Collection[str],
             ids: Collection[int] | None = None) -> dict[str, int]:
        """How many unclosed tickets each holder holds (of `ids` alone, when given), by address
        ("": held by nobody yet)."""
        sql, args = self._matching(DeskQuery(tuple(mailboxes), unclosed=True, ids=ids), staff_actions)
        rows = self.db.execute(f"select lower({holder_sql(staff_actions)}) as who, count(*) {sql} group by 1",
                               args).fetchall()
        return {str(who or ""): int(count) for who, count in rows}

    def answered(self, mailboxes: Sequence[str], kinds: Sequence[str], since: datetime,
                 until: datetime) -> dict[str, int]:
        """How many tickets each staff member answered in [since, until) (events of `kinds`)."""
        marks = ", ".join("?" * len(mailboxes))
        kind_marks = ", ".join("?" * len(kinds))
        rows = self.db.execute(
            f"select lower(actor), count(distinct ticket_id) from events where mailbox in ({marks}) "
            f"and kind in ({kind_marks}) and at >= ? and at < ? group by 1",
            [*mailboxes, *kinds, ts(since), ts(until)]).fetchall()
        return {str(who): int(count) for who, count in rows}

    # --- LKPP -----------------------------------------------------------------------------

    def escalated(self, mailboxes: Sequence[str], reminder_kinds: Sequence[str], offset: int,
                  limit: int) -> tuple[list[dict[str, Any]], int]:
        """One page of the cases with LKPP now (escalated, or LKPP waiting for the requester's
        data), the oldest escalation first, and how many there are: since when (the latest
        status deadline's start: the escalation), LKPP's number, the status and progress
        deadlines, the reminders sent since, and LKPP's latest mail."""
        marks = ", ".join("?" * len(mailboxes))
        cases = (f"from tickets t where t.mailbox in ({marks}) and (t.state = 'escalated' or (t.state = "
                 "'awaiting_info' and exists (select 1 from timers s where s.ticket_id = t.id "
                 "and s.kind = 'lkpp_status')))")
        total = int(self.db.execute(f"select count(*) {cases}", list(mailboxes)).fetchone()[0])
        rows = list(self.db.query(
            "select t.id, t.mailbox, t.number, t.subject, t.state, t.lkpp_ticket, t.lkpp_ref_form, "
            f"{_ESCALATED_AT.format(ticket='t.id')} as escalated_at {cases} order by escalated_at, t.id "
            "limit ? offset ?", [*mailboxes, limit, offset]))
        ids = self._ids([row["id"] for row in rows])
        timers: dict[int, dict[str, Any]] = {}
        for timer in self.db.query("select ticket_id, kind, started_at, due_at, step, active from timers "
                                   f"where {self._among('ticket_id')} and kind in ('lkpp_status', 'lkpp_progress') "
                                   "order by id", [ids]):
            timers.setdefault(timer["ticket_id"], {})[timer["kind"]] = timer
        kinds = ", ".join("?" * len(reminder_kinds))
        reminders = dict(self.db.execute(
            f"select m.ticket_id, count(*) from messages m where {self._among('m.ticket_id')} "
            f"and m.direction = 'out' and m.kind in ({kinds}) and m.at >= {_ESCALATED_AT.format(ticket='m.ticket_id')} "
            "group by m.ticket_id", [ids, *reminder_kinds]).fetchall())
        last = {row["ticket_id"]: row for row in self.db.query(
            "select ticket_id, at, body from messages where id in (select max(m.id) from messages m where "
            f"{self._among('m.ticket_id')} and m.direction = 'in' and m.role = 'lkpp' "
            "group by m.ticket_id)", [ids])}
        for row in rows:
            row.update(timers=timers.get(row["id"], {}), reminders=int(reminders.get(row["id"], 0)),
                       last_lkpp=last.get(row["id"]))
        return rows, total
