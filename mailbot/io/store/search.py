"""Finding tickets: every ticket of a mailbox or state, the counts and first date the digest
and reports read, and `mailbot tickets`' search over the full-text index."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mailbot.io.migrations import SEARCH_ROW_SPAN
from mailbot.io.store.database import Database
from mailbot.io.store.tickets import Tickets
from mailbot.io.store.times import parse_ts, ts
from mailbot.model import Ticket


class _SQLite:
    """What only SQLite reads in this part (a PostgreSQL engine words it otherwise):
    the FTS5 index `ticket_search` (one row per message and one per ticket, the ticket's id in
    its rowid: `migrations.SEARCH_ROW_SPAN`), and `+column`, which keeps SQLite from using an
    index on that column."""

    MATCHING = "select t.* from tickets t where true"
    # the tickets with a row holding the phrase: a ticket holds a query when each of its phrases
    # stands in one of its rows (its subject, its requester, the text of one of its messages)
    PHRASE = f" and t.id in (select rowid / {SEARCH_ROW_SPAN} from ticket_search where ticket_search match ?)"
    UNINDEXED_EQUAL = " and +t.{column} = ?"
    LIKE = "like"  # ignores the case of ASCII letters
    NEWEST_MATCH_FIRST = " order by t.id desc"


class _PostgreSQL(_SQLite):
    """The same in PostgreSQL's words: no `+` (its planner walks the id's index backwards
    for `order by id desc limit N` by itself); the search over `ticket_search`'s folded
    words (`pg_schema.SEARCH`, its rows keyed as SQLite's), each phrase a LIKE of its words
    in a row in one column, the last one as the start of a word where FTS5's query has `*`."""

    PHRASE = (f" and t.id in (select s.id / {SEARCH_ROW_SPAN} from ticket_search s "
              "where s.subject like ? or s.requester like ? or s.text like ?)")
    UNINDEXED_EQUAL = " and t.{column} = ?"
    LIKE = "ilike"  # PostgreSQL's `like` minds the case


class Search:
    """Ticket lists, counts and the full-text search."""

    def __init__(self, db: Database, ticket_rows: Tickets) -> None:
        self.db = db
        self.sql = _PostgreSQL if db.dialect == "postgresql" else _SQLite
        self.ticket_rows = ticket_rows

    def tickets(self, mailbox: str | None = None, state: str | None = None) -> list[Ticket]:
        sql, args = "select * from tickets where 1=1", list[Any]()
        if mailbox:
            sql, args = sql + " and mailbox = ?", [*args, mailbox]
        if state:
            sql, args = sql + " and state = ?", [*args, state]
        return [self.ticket_rows.of_row(r) for r in self.db.query(sql + " order by id", args)]

    def find_tickets(self, *, mailbox: str | None = None, state: str | None = None, category: str | None = None,
                     requester: str | None = None, since: datetime | None = None, until: datetime | None = None,
                     search: str | None = None, limit: int | None = None, channel: str | None = None,
                     unclosed: bool = False) -> list[Ticket]:
        """Tickets newest first, at most `limit`: of a mailbox, in a state or category, whose
        requester's address or name holds `requester`, opened in [since, until), matching the
        FTS5 query `search` (see `core.search_query.fts_query`) over subject, requester and text.
        A search walks the full-text index from the newest ticket down and stops at `limit`.
        `channel`: how it came in (email, telepon, datang; tickets from before calls were
        written down have none: e-mail). `unclosed`: every state but closed (the window's list)."""
        if search is not None and self.sql is _PostgreSQL:
            patterns = search_patterns(search)
            sql = _PostgreSQL.MATCHING + _PostgreSQL.PHRASE * len(patterns)
            args: list[Any] = [p for p in patterns for _column in ("subject", "requester", "text")]
        elif search is not None:
            phrases = search_phrases(search)
            sql, args = _SQLite.MATCHING + _SQLite.PHRASE * len(phrases), phrases
        else:
            sql, args = "select t.* from tickets t where 1=1", []
        # `+` (UNINDEXED_EQUAL): no index on these, so the newest come straight from the table walked backwards
        # and the walk stops at `limit` (an index on mailbox would read all of its tickets and sort)
        for column, value in (("mailbox", mailbox), ("state", state), ("category", category)):
            if value:
                sql, args = sql + self.sql.UNINDEXED_EQUAL.format(column=column), [*args, value]
        if channel:
            sql, args = sql + " and coalesce(t.channel, 'email') = ?", [*args, channel]
        if unclosed:
            sql += " and t.state != 'closed'"
        if requester:
            like = self.sql.LIKE
            sql = sql + f" and (t.requester {like} ? escape '\\' or t.requester_name {like} ? escape '\\')"
            args += [requester_pattern(requester)] * 2
        if since is not None:
            sql, args = sql + " and t.created_at >= ?", [*args, ts(since)]
        if until is not None:
            sql, args = sql + " and t.created_at < ?", [*args, ts(until)]
        sql += self.sql.NEWEST_MATCH_FIRST if search is not None else " order by t.id desc"
        if limit is not None:
            sql, args = sql + " limit ?", [*args, limit]
        return [self.ticket_rows.of_row(r, participants=False) for r in self.db.query(sql, args)]

    def index(self, opened: Ticket | None, ticket_id: int | None, message: int, text: str) -> None:
        """A recorded message's words into the search index, and its ticket's if the message
        opened it, in one statement (SQLite's FTS5 writes a segment at each statement that
        changes it). PostgreSQL's rows are kept by its triggers (`pg_schema.SEARCH`)."""
        if self.sql is _PostgreSQL:
            return
        rows: list[Any] = []
        if opened is not None and opened.id is not None:
            rows += [opened.id * SEARCH_ROW_SPAN, opened.subject or "",
                     f"{opened.requester.addr} {opened.requester.name or ''}", ""]
        if ticket_id is not None and text:
            rows += [ticket_id * SEARCH_ROW_SPAN + message, "", "", text]
        if rows:
            marks = ", ".join(["(?, ?, ?, ?)"] * (len(rows) // 4))
            self.db.execute(f"insert into ticket_search (rowid, subject, requester, text) values {marks}", rows)

    def state_counts(self, mailbox: str) -> dict[str, int]:
        """How many tickets a mailbox has in each state, from the (mailbox, state) index."""
        rows = self.db.execute("select state, count(*) from tickets where mailbox = ? group by state", [mailbox])
        return {state: count for state, count in rows.fetchall()}

    def unclosed_numbers(self, mailbox: str, each: int) -> dict[str, tuple[list[str], int]]:
        """The numbers of a mailbox's unclosed tickets by state, the `each` longest open of each
        state first, with how many more that state holds (the digest names them); from the
        index of unclosed tickets by age."""
        found: dict[str, tuple[list[str], int]] = {}
        for state, number in self.db.execute("select state, number from tickets where mailbox = ? and "
                                             "state != 'closed' order by created_at, id", [mailbox]).fetchall():
            numbers, more = found.setdefault(state, ([], 0))
            if len(numbers) < each:
                numbers.append(number)
            else:
                found[state] = (numbers, more + 1)
        return found

    def first_ticket_at(self, mailbox: str) -> datetime | None:
        """When the mailbox's first ticket opened (None: it has none yet); from the index."""
        row = self.db.execute("select min(created_at) from tickets where mailbox = ?", [mailbox]).fetchone()
        return parse_ts(row[0])


def requester_pattern(text: str) -> str:
    """The LIKE pattern of a requester's address or name holding `text` (its wildcards escaped)."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text.strip()) + "%"


def search_phrases(query: str) -> list[str]:
    """The phrases of an FTS5 query as `core.search_query.fts_query` writes it, each a query
    of its own (a ticket's words are in several rows: each phrase may stand in another)."""
    return re.findall(r'"[^"]*"\*?', query) or [query]


def search_patterns(query: str) -> list[str]:
    """The LIKE pattern of each phrase of an FTS5 query as `core.search_query.fts_query` writes it
    (`"word word"` or `"word word"*`), in the folded words `ticket_search` keeps."""
    from mailbot.io.pg_schema import fold

    found = []
    for phrase, prefix in re.findall(r'"([^"]*)"(\*?)', query):
        words = fold(phrase)
        if words:
            found.append("% " + " ".join(words) + ("%" if prefix else " %"))
    return found
