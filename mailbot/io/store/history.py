"""The history of every ticket and mailbox (`events`): what happened, when, by whom, with
its detail as JSON; and what the history answers (alerts already sent, breach notices
already told, staff's notes, what no notice has shown staff yet, the acks counted)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mailbot.io.store.database import Database
from mailbot.io.store.times import moment, ts

# One event as `History.add_events` writes it: ticket id, when, who, what, its detail.
Event = tuple[int | None, datetime, str, str, Mapping[str, Any]]


class History:
    """Events: written one by one, read per ticket or per mailbox and kind."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add_event(self, /, mailbox: str, ticket_id: int | None, at: datetime, actor: str, kind: str,
                  **detail: Any) -> None:
        self.add_events(mailbox, [(ticket_id, at, actor, kind, detail)])

    def add_events(self, mailbox: str, events: Sequence[Event]) -> None:
        """Events of one mailbox, each (ticket id, at, actor, kind, detail), in one statement."""
        self.db.insert_rows("events", [
            {"mailbox": mailbox, "ticket_id": ticket_id, "at": ts(at), "actor": actor, "kind": kind,
             "detail": json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True)}
            for ticket_id, at, actor, kind, detail in events])
        for _, _, _, kind, detail in events:
            if kind == "ack_counted":  # the budget's count of its moment (`counted_acks`)
                self.db.execute("insert into ack_slots (mailbox, slot, domain, acks) values (?, ?, ?, 1) on conflict "
                                "(mailbox, slot, domain) do update set acks = ack_slots.acks + 1",
                                [mailbox, str(detail["slot"]), str(detail.get("domain") or "")])

    def events_of(self, ticket_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("select * from events where ticket_id = ? order by at, id", [ticket_id]))

    def event_exists(self, /, mailbox: str, kind: str, since: datetime, ticket_id: int | None = None,
                     **match: Any) -> bool:
        sql = "select detail from events where mailbox = ? and kind = ? and at >= ?"
        args: list[Any] = [mailbox, kind, ts(since)]
        if ticket_id is not None:
            sql, args = sql + " and ticket_id = ?", [*args, ticket_id]
        for row in self.db.query(sql, args):
            detail = json.loads(row["detail"] or "{}")
            if all(detail.get(k) == v for k, v in match.items()):
                return True
        return False

    def alerted_causes(self, mailbox: str, since: datetime) -> list[str]:
        """The loop-limit causes the coordinators were alerted of since then."""
        rows = self.db.query("select detail from events where mailbox = ? and kind = 'rate_limit_alerted' and at >= ?",
                             [mailbox, ts(since)])
        return [json.loads(r["detail"] or "{}").get("key", "") for r in rows]

    def told_timers(self, ticket_id: int) -> frozenset[str]:
        """The timers whose breach notice went out on the ticket (a `timer_fired` event)."""
        rows = self.db.query("select detail from events where ticket_id = ? and kind = 'timer_fired'", [ticket_id])
        return frozenset(json.loads(r["detail"] or "{}").get("timer", "") for r in rows)

    def internal_texts(self, ticket_id: int) -> list[str]:
        """The staff notes, escalation notes and directions on a ticket: never the requester's to read."""
        rows = self.db.query(
            "select detail from events where ticket_id = ? and kind in ('note', 'command_escalate', "
            "'command_coordinator', 'direction_requested', 'direction', 'recommendation')", [ticket_id])
        found = (json.loads(r["detail"] or "{}") for r in rows)
        return [str(d.get("note") or d.get("text") or "") for d in found if d.get("note") or d.get("text")]

    def unshown(self, ticket_id: int, kinds: tuple[str, ...]) -> list[tuple[str, str, dict[str, Any]]]:
        """(kind, at, detail) of the ticket's records of these kinds since its latest mail to
        staff: what no notice has shown them yet (a delay warning, LKPP's auto-reply)."""
        marks = ", ".join("?" for _ in kinds)
        rows = self.db.query(
            f"select kind, at, detail from events where ticket_id = ? and kind in ({marks}) and at > coalesce(("
            "select max(at) from messages where ticket_id = ? and direction = 'out' and role = 'staff'), '') "
            "order by at, id", [ticket_id, *kinds, ticket_id])
        return [(r["kind"], r["at"], json.loads(r["detail"] or "{}")) for r in rows]

    def counted_acks(self, mailbox: str, since: datetime) -> list[tuple[datetime, str, int]]:
        """(send time, domain, how many) of the acks counted against this mailbox's ack budget
        that go or went after `since` (`ack_counted` events, held ones included), read
        from their counts by moment (`ack_slots`), never from the events themselves."""
        rows = self.db.execute("select slot, domain, acks from ack_slots where mailbox = ? and slot > ?",
                               [mailbox, ts(since)]).fetchall()
        return [(moment(str(r[0])), str(r[1]), int(r[2])) for r in rows]
