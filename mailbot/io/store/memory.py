"""The unit's memory: its solved cases, each remembered by the problem as the
requester told it and the solution as the requester received it, with the terms of both
indexed (`solved_fts`) and counted (`solved_terms`) for `core/similar`'s likeness. What
is indexed again is queued in `solved_pending` as tickets change; `io/solved` drains it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mailbot.io.store.database import Database


class _SQLite:
    """What only SQLite reads in this part (a PostgreSQL engine words it otherwise):
    the FTS5 index `solved_fts` (its rowid is the ticket's id), and `insert or ignore`."""

    POSTINGS = "select rowid from solved_fts where solved_fts match ?"
    QUEUE_ALL = ("insert or ignore into solved_pending (ticket_id) select id from tickets "
                 "where state in ('resolved', 'closed')")


class _PostgreSQL(_SQLite):
    """The same in PostgreSQL's words: `on conflict do nothing` for `insert or ignore`; the
    postings from the terms as arrays, through GIN indexes on them (`pg_schema.INDEXES`):
    a term is a whole word of mailbot's making, matched whole, as the FTS5 phrase is."""

    POSTINGS = "select ticket_id from solved_cases where box = ? and string_to_array({column}, ' ') @> array[?]"
    QUEUE_ALL = ("insert into solved_pending (ticket_id) select id from tickets "
                 "where state in ('resolved', 'closed') on conflict do nothing")


class Memory:
    """Solved cases: what they are remembered by, their index, their terms' counts."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sql = _PostgreSQL if db.dialect == "postgresql" else _SQLite

    def solved_material(self, ticket_id: int) -> tuple[list[str], dict[str, Any] | None]:
        """What a solved ticket is remembered by: the requester's new texts (oldest first), and
        the solution as the requester received it (the latest `resolved` or `resolved_lkpp`
        mail, else the latest staff answer or relayed LKPP answer), with its archive path and
        how many files it carried; None when the requester was never sent an answer."""
        rows = list(self.db.query(
            "select direction, role, kind, body, attachments, archive_path, at from messages "
            "where ticket_id = ? order by at, id", [ticket_id]))
        chosen = _solution(rows)
        return _problem(rows, chosen), chosen

    def remember_solved(self, row: Mapping[str, Any]) -> None:
        """One solved ticket into the index, replacing what it held for that ticket."""
        self.forget_solved(int(row["ticket_id"]))
        self.db.insert("solved_cases", row)
        self._count_terms({*row["problem_terms"].split(), *row["solution_terms"].split(), ""}, 1)

    def forget_solved(self, ticket_id: int) -> None:
        old = self.db.execute("select problem_terms, solution_terms from solved_cases where ticket_id = ?",
                              [ticket_id]).fetchone()
        if old is None:
            return
        self.db.execute("delete from solved_cases where ticket_id = ?", [ticket_id])
        self._count_terms({*old[0].split(), *old[1].split(), ""}, -1)

    def _count_terms(self, terms: set[str], by: int) -> None:
        self.db.executemany("insert into solved_terms (term, cases) values (?, ?) on conflict (term) "
                            "do update set cases = solved_terms.cases + excluded.cases", [(t, by) for t in terms])
        if by < 0:
            marks = ", ".join("?" * len(terms))
            self.db.execute(f"delete from solved_terms where cases <= 0 and term in ({marks})", list(terms))

    def solved_row(self, ticket_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from solved_cases where ticket_id = ?", [ticket_id]))
        return rows[0] if rows else None

    def solved_rows(self, ticket_ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ticket_ids:
            return []
        marks = ", ".join("?" * len(ticket_ids))
        return list(self.db.query(f"select * from solved_cases where ticket_id in ({marks})", list(ticket_ids)))

    def solved_pending(self, limit: int = 500) -> list[int]:
        """Tickets changed since they were last indexed (`io/solved.sync`)."""
        return [r["ticket_id"] for r in self.db.query("select ticket_id from solved_pending order by ticket_id limit ?",
                                                      [limit])]

    def solved_done(self, ticket_ids: Sequence[int]) -> None:
        self.db.executemany("delete from solved_pending where ticket_id = ?", [(i,) for i in ticket_ids])

    def queue_all_solved(self) -> None:
        """Every resolved or closed ticket to be indexed again (the words changed)."""
        self.db.execute(self.sql.QUEUE_ALL)

    def solved_postings(self, box: str, column: str, term: str) -> list[int]:
        """The solved cases of a mailbox (`box`: its token) whose `column` holds `term`."""
        assert column in ("problem_terms", "solution_terms")
        if self.sql is _PostgreSQL:
            return [r[0] for r in self.db.execute(_PostgreSQL.POSTINGS.format(column=column), [box, term])]
        query = f'box : "{box}" AND {column} : "{term}"'
        return [r[0] for r in self.db.execute(_SQLite.POSTINGS, [query])]

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """In how many solved cases each term stands (of every mailbox: the unit's words)."""
        found: dict[str, int] = {}
        for start in range(0, len(terms), 500):
            part = list(terms[start:start + 500])
            marks = ", ".join("?" * len(part))
            found.update(self.db.execute(f"select term, cases from solved_terms where term in ({marks})",
                                         part).fetchall())
        return found

    def solved_total(self) -> int:
        row = self.db.execute("select cases from solved_terms where term = ''").fetchone()
        return int(row[0]) if row else 0


# inbound requester mail that is no telling of the problem (`lifecycle.LABELS`)
_NOT_THE_PROBLEM = ("automatic_recorded", "bounce_received", "copy_appended", "closing_confirmed",
                    "confirmed_after_closing", "outside_reply")


# What a solved ticket's solution is, by preference: the latest mail that resolved it,
# else the latest answer staff wrote or relayed from LKPP.
_SOLUTION_KINDS = (("resolved", "resolved_lkpp"), ("staff_reply", "relay"))


def _solution(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The solution as the requester received it (`_SOLUTION_KINDS`); a relay staff vouched
    for is none (`_vouched_relays`)."""
    vouched = {id(r) for r in _vouched_relays(rows)}
    answers = [r for r in rows if _to_requester(r) and id(r) not in vouched]
    for kinds in _SOLUTION_KINDS:
        if found := [r for r in answers if r["kind"] in kinds]:
            return found[-1]
    return None


def _to_requester(row: Mapping[str, Any]) -> bool:
    """A mail mailbot sent to the requester, with a text."""
    return row["direction"] == "out" and row["role"] == "requester" and bool(row["body"])


def _problem(rows: Sequence[Mapping[str, Any]], chosen: Mapping[str, Any] | None) -> list[str]:
    """The problem as told before that answer: not "YA 5", nor a thanks after it."""
    return [r["body"] for r in rows if r["direction"] == "in" and r["role"] == "requester"
            and r["body"] and r["kind"] not in _NOT_THE_PROBLEM and (chosen is None or r["at"] <= chosen["at"])]


def _vouched_relays(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The relays (`#teruskan`) that may have passed on LKPP mail that failed authentication,
    which staff vouched for by answering its alert: the requester got it, but no
    verified hand wrote it, so the unit's memory does not keep it as a solution (SPEC 9). Every
    relay after such mail on the ticket counts as one, whatever came between (a forged desk
    auto-reply after the forgery, a genuine status notice: a red team)."""
    found: list[Mapping[str, Any]] = []
    unverified = False
    for row in rows:
        if row["direction"] == "in" and row["role"] == "lkpp" and row["kind"] == "unverified_note":
            unverified = True
        elif row["direction"] == "out" and row["kind"] == "relay" and unverified:
            found.append(row)
    return found
