"""Deadline timers (SPEC section 6): one row a running timer of a ticket, started and
stopped by the decisions of the unit of work, fired by the sweep when due; and the
tickets that may be overdue, which the digest and `tickets --overdue` read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mailbot.core.deadlines import TimerPlan
from mailbot.io.migrations import BREACH_KNOWN
from mailbot.io.store.database import Database
from mailbot.io.store.tickets import Tickets
from mailbot.io.store.times import moment, parse_ts, ts
from mailbot.model import StoredTimer, Ticket, Timer, TimerKind

# A fired lkpp_status timer is done, but its breach goes on while the lkpp_progress timer
# it started (from its due time) still runs: LKPP has sent nothing since (SOP-015 step 12).
STATUS_STILL_BREACHED = (
    "select s.* from timers p join timers s on s.ticket_id = p.ticket_id and s.kind = 'lkpp_status' "
    "and s.active = 0 and s.step > 0 and s.due_at = p.started_at "
    "where p.mailbox = ? and p.active = 1 and p.kind = 'lkpp_progress'")


class Timers:
    """Timers of tickets: set, cleared, due, fired, failed."""

    def __init__(self, db: Database, ticket_rows: Tickets) -> None:
        self.db = db
        self.ticket_rows = ticket_rows

    def active_timers(self, ticket_id: int) -> list[StoredTimer]:
        rows = self.db.query("select * from timers where ticket_id = ? and active = 1 order by id", [ticket_id])
        return [_stored_timer(r) for r in rows]

    def set_timer(self, mailbox: str, ticket_id: int, kind: str, started_at: datetime, due_at: datetime,
                  step: int = 0, *, replace: bool = True) -> None:
        """Start a timer, replacing an active one of the same kind (`replace` False: the
        ticket was inserted in this transaction and has none)."""
        if replace:
            self.clear_timer(ticket_id, kind)
        self.db.insert("timers", {"mailbox": mailbox, "ticket_id": ticket_id, "kind": kind,
                                  "started_at": ts(started_at), "due_at": ts(due_at), "step": step, "active": 1})

    def clear_timer(self, ticket_id: int, kind: str) -> None:
        self.db.execute("update timers set active = 0 where ticket_id = ? and kind = ? and active = 1",
                        [ticket_id, kind])

    def apply_timers(self, mailbox: str, ticket_id: int, timers: TimerPlan, *, new_ticket: bool = False) -> None:
        """Start and stop the SLA timers a decision implies (SPEC section 6). A ticket
        inserted in this transaction has no timers yet: nothing to stop or replace."""
        if new_ticket:  # none to replace: the timers in one statement
            self.db.insert_rows("timers", [
                {"mailbox": mailbox, "ticket_id": ticket_id, "kind": str(timer.kind),
                 "started_at": ts(timer.started_at), "due_at": ts(timer.due_at), "step": timer.step, "active": 1}
                for timer in timers.set])
            return
        for kind in timers.clear:
            self.clear_timer(ticket_id, str(kind))
        for timer in timers.set:
            self.set_timer(mailbox, ticket_id, str(timer.kind), timer.started_at, timer.due_at, timer.step)

    def due_timers(self, mailbox: str, now: datetime) -> list[StoredTimer]:
        """Active timers due at `now`, by the (active, due_at) index."""
        rows = self.db.query(
            "select * from timers where active = 1 and due_at <= ? and mailbox = ? order by due_at, id",
            [ts(now), mailbox])
        return [_stored_timer(r) for r in rows]

    def timer_unchanged(self, row: StoredTimer) -> bool:
        """Whether the timer is still as `row` read it (active, same step and due time): false
        when another process (a second daemon, an operator's `sweep`) fired it meanwhile."""
        found = self.db.execute("select 1 from timers where id = ? and active = 1 and step = ? and due_at = ?",
                                [row.id, row.timer.step, ts(row.timer.due_at)]).fetchone()
        return found is not None

    def advance_timer(self, timer_id: int, step: int, next_due: datetime | None) -> None:
        if next_due is None:
            self.db.execute("update timers set active = 0, step = ? where id = ?", [step, timer_id])
        else:
            self.db.execute("update timers set step = ?, due_at = ?, error = null where id = ?",
                            [step, ts(next_due), timer_id])

    def timer_failed(self, timer_id: int, error: str, retry_at: datetime) -> None:
        """A timer whose firing failed: its reason kept, tried again at `retry_at`."""
        self.db.execute("update timers set error = ?, failures = failures + 1, due_at = ? where id = ?",
                        [error, ts(retry_at), timer_id])

    def waiting_directions(self, mailbox: str) -> list[dict[str, Any]]:
        """The requests for direction still waiting in a mailbox (the active
        `coordinator_direction` and `head_direction` timers, SPEC 6), oldest first: the
        ticket's number and subject, the timer's kind, when it was asked and when it is due."""
        rows = self.db.query(
            "select t.number, t.subject, tm.kind, tm.started_at, tm.due_at from timers tm join tickets t "
            "on t.id = tm.ticket_id where tm.mailbox = ? and tm.active = 1 "
            "and tm.kind in ('coordinator_direction', 'head_direction') order by tm.started_at, tm.id", [mailbox])
        return [{"number": r["number"], "subject": r["subject"], "kind": r["kind"],
                 "asked": parse_ts(r["started_at"]), "due": parse_ts(r["due_at"])} for r in rows]

    def overdue_candidates(self, mailbox: str, now: datetime,
                           opened_before: datetime) -> list[tuple[Ticket, list[Timer]]]:
        """Tickets that may be overdue at `now` (without participants), each with its timers
        that may be breached: work that grows with what is open, not with what is stored."""
        timer_rows = self.db.query(
            "select * from timers where active = 1 and due_at <= ? and mailbox = ? "
            f"union select * from timers where mailbox = ? and {BREACH_KNOWN} "
            f"union {STATUS_STILL_BREACHED}", [ts(now), mailbox, mailbox, mailbox])
        timers: dict[int, list[Timer]] = {}
        for row in timer_rows:
            timers.setdefault(row["ticket_id"], []).append(_stored_timer(row).timer)
        old = self.db.execute("select id from tickets where mailbox = ? and state != 'closed' and created_at <= ?",
                              [mailbox, ts(opened_before)])
        ids = sorted(set(timers) | {i for (i,) in old.fetchall()})
        found = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self.db.query(f"select * from tickets where id in ({','.join('?' * len(chunk))}) "
                                 "and state != 'closed' order by id", chunk)
            found += [(ticket, timers.get(ticket.id, []))
                      for ticket in (self.ticket_rows.of_row(r, False) for r in rows) if ticket.id is not None]
        return found


def _stored_timer(row: dict[str, Any]) -> StoredTimer:
    timer = Timer(TimerKind(row["kind"]), moment(row["started_at"]), moment(row["due_at"]), row["step"])
    return StoredTimer(row["id"], row["ticket_id"], timer, row.get("failures") or 0)
