"""Calls and visits written down by staff (SPEC 3, 9): the form held under a reserved number
until its sender's `#buka` opens it, the problem an opened one states, and
the records made before its ticket existed, which the ticket adopts when it opens.

A held form is kept in the history (`intake_held`, `intake_reminded`, `intake_cancelled`
events, the number in their JSON detail), so this part reads the `events` table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mailbot.core.intake_form import HeldForm, held_intake
from mailbot.io.store.database import Database
from mailbot.io.store.tickets import Tickets
from mailbot.io.store.times import moment


class _SQLite:
    """What only SQLite reads in this part (a PostgreSQL engine words it otherwise):
    the number and the problem inside an event's JSON detail (`json_extract`)."""

    CANCELLED = ("select 1 from events where mailbox = ? and kind = 'intake_cancelled' "
                 "and ticket_id is null and json_extract(detail, '$.number') = ? limit 1")
    HELD = ("select detail from events where mailbox = ? and kind = 'intake_held' "
            "and ticket_id is null and json_extract(detail, '$.number') = ? "
            "order by id desc limit 1")
    STILL_HELD = (
        "select h.at, h.detail, exists (select 1 from events r where r.mailbox = h.mailbox "
        "and r.kind = 'intake_reminded' and r.ticket_id is null "
        "and json_extract(r.detail, '$.number') = json_extract(h.detail, '$.number')) as reminded "
        "from events h where h.mailbox = ? and h.kind = 'intake_held' and h.ticket_id is null "
        "and not exists (select 1 from tickets t where t.mailbox = h.mailbox "
        "and t.number = json_extract(h.detail, '$.number')) "
        "and not exists (select 1 from events c where c.mailbox = h.mailbox and c.kind = 'intake_cancelled' "
        "and c.ticket_id is null and json_extract(c.detail, '$.number') = json_extract(h.detail, '$.number')) "
        "order by h.at, h.id")
    PROBLEM = ("select json_extract(detail, '$.problem') as problem from events "
               "where ticket_id = ? and kind = 'intake_recorded' order by id limit 1")
    EVENT_MESSAGE_ID = "json_extract(detail, '$.message_id')"


class Intake:
    """Held forms, the problem a form states, and the records a new ticket adopts."""

    def __init__(self, db: Database, tickets: Tickets) -> None:
        self.db = db
        self.tickets = tickets

    def held_intake(self, mailbox: str, number: str) -> dict[str, Any] | None:
        """The call or visit held under a reserved number (SPEC 3, 9), while no ticket has it
        and no answer of its sender's cancelled it."""
        if self.tickets.ticket_by_number(mailbox, number) is not None:
            return None
        for _ in self.db.query(_SQLite.CANCELLED, [mailbox, number]):
            return None
        for row in self.db.query(_SQLite.HELD, [mailbox, number]):
            detail: dict[str, Any] = json.loads(row["detail"] or "{}")
            return detail
        return None

    def held_forms(self, mailbox: str, since: datetime | None = None,
                   until: datetime | None = None) -> list[HeldForm]:
        """The calls and visits held under a reserved number (SPEC 3, 9) that no ticket has and
        no answer cancelled: still waiting for their sender's `#buka`, oldest first;
        `since`/`until`: only those whose call or visit was in that span."""
        found = []
        for row in self.db.query(_SQLite.STILL_HELD, [mailbox]):
            detail = json.loads(row["detail"] or "{}")
            intake = held_intake(detail, "")
            if intake is None or intake.number is None:
                continue
            if (since is not None and intake.called_at < since) or (until is not None and intake.called_at >= until):
                continue
            found.append(HeldForm(intake.number, moment(str(row["at"])), intake, bool(row["reminded"])))
        return list({form.number: form for form in found}.values())  # a form held twice: once

    def held_notices(self, mailbox: str, number: str) -> list[str]:
        """The Message-IDs of every request to confirm a held call or visit (the first and its
        reminder): they go on its ticket when it opens. Ours name the number they
        were signed for (`tokens.make_message_id`)."""
        prefix = f"mb.{mailbox}.{number}.intake_confirm."
        rows = self.db.query("select message_id from messages where mailbox = ? and direction = 'out' "
                             "and ticket_id is null and kind = 'intake_confirm' and substr(message_id, 1, ?) = ?",
                             [mailbox, len(prefix), prefix])
        return [str(r["message_id"]) for r in rows]

    def intake_problem(self, ticket_id: int) -> str:
        """The problem a call's or visit's form states (SPEC 3), "" for a ticket opened by mail."""
        for row in self.db.query(_SQLite.PROBLEM, [ticket_id]):
            return str(row["problem"] or "")
        return ""

    def adopt(self, mailbox: str, ticket_id: int, message_ids: Sequence[str]) -> None:
        """Messages recorded before their ticket existed (a held call's form and the mail that
        asked to confirm it), with their history and outbox rows, become the ticket's."""
        marks = ",".join("?" * len(message_ids))
        args = [ticket_id, mailbox, *message_ids]
        for table, key in (("messages", "message_id"), ("outbox", "message_id"),
                           ("events", _SQLite.EVENT_MESSAGE_ID)):
            self.db.execute(f"update {table} set ticket_id = ? where mailbox = ? and ticket_id is null "
                            f"and {key} in ({marks})", args)
