"""Tickets: their numbers (one counter per mailbox and year), their rows and participants,
and the references LKPP's verified mail brought, which name one case each.

A ticket leaves this module as a `Ticket` value (`Tickets.of_row`) and comes back as one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mailbot.io.store.database import Database
from mailbot.io.store.times import parse_ts, ts
from mailbot.model import Address, Contact, State, Ticket


class _SQLite:
    """What only SQLite reads in this part (a PostgreSQL engine words it otherwise)."""

    TO_INDEX = "insert or ignore into solved_pending (ticket_id) values (?)"  # `io/solved` indexes it again
    ADD_PARTICIPANT = "insert or ignore into participants (ticket_id, address) values (?, ?)"
    ADD_COUNTERPART_REF = ("insert or ignore into counterpart_refs (mailbox, key, ticket_id, ref, form, message_id, "
                           "at) values (?, ?, ?, ?, ?, ?, ?)")


class _PostgreSQL(_SQLite):
    """The same in PostgreSQL's words: `on conflict do nothing` for `insert or ignore`."""

    TO_INDEX = "insert into solved_pending (ticket_id) values (?) on conflict do nothing"
    ADD_PARTICIPANT = "insert into participants (ticket_id, address) values (?, ?) on conflict do nothing"
    ADD_COUNTERPART_REF = ("insert into counterpart_refs (mailbox, key, ticket_id, ref, form, message_id, at) "
                           "values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing")


class Tickets:
    """Ticket numbers, rows, participants and counterpart references."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sql = _PostgreSQL if db.dialect == "postgresql" else _SQLite

    def next_number(self, mailbox: str, year: int) -> str:
        """The year's next ticket number, counted up and read in one statement."""
        last = self.db.execute(
            "insert into counters (mailbox, year, last) values (?, ?, 1) on conflict (mailbox, year) "
            "do update set last = counters.last + 1 returning last", [mailbox, year]).fetchone()[0]
        return f"{year}-{last:05d}"

    def raise_counter(self, mailbox: str, year: int, last: int) -> int | None:
        """The year's counter at least `last`; the number it had when it was lower, else None."""
        with self.db.unit_of_work():
            row = self.db.execute("select last from counters where mailbox = ? and year = ?",
                                  [mailbox, year]).fetchone()
            if row is not None and row[0] >= last:
                return None
            self.db.execute("insert into counters (mailbox, year, last) values (?, ?, ?) on conflict "
                            "(mailbox, year) do update set last = excluded.last", [mailbox, year, last])
        return int(row[0]) if row is not None else 0

    def insert_ticket(self, ticket: Ticket) -> Ticket:
        row = _ticket_row(ticket)
        row.pop("id")
        new_id = self.db.insert("tickets", row)
        self._participants(new_id, ticket.participants)
        if ticket.state in (State.RESOLVED, State.CLOSED):  # a call solved while it was taken
            self.db.execute(self.sql.TO_INDEX, [new_id])
        return ticket.with_id(new_id)

    def update_ticket(self, ticket: Ticket) -> None:
        assert ticket.id is not None
        row = _ticket_row(ticket)
        self.db.update("tickets", ticket.id, row)
        self._participants(ticket.id, ticket.participants)
        self.db.execute(self.sql.TO_INDEX, [ticket.id])

    def _participants(self, ticket_id: int, addresses: frozenset[str]) -> None:
        """A ticket's participants, those recorded already left as they are, in one statement."""
        self.db.insert_rows("participants", [{"ticket_id": ticket_id, "address": a.lower()} for a in sorted(addresses)],
                            ignore=True)

    def add_participant(self, ticket_id: int, address: str) -> None:
        self.db.execute(self.sql.ADD_PARTICIPANT, [ticket_id, address.lower()])

    def ticket_by_number(self, mailbox: str, number: str) -> Ticket | None:
        rows = list(self.db.query("select * from tickets where mailbox = ? and number = ?", [mailbox, number]))
        return self.of_row(rows[0]) if rows else None

    def ticket_by_id(self, ticket_id: int) -> Ticket | None:
        rows = list(self.db.query("select * from tickets where id = ?", [ticket_id]))
        return self.of_row(rows[0]) if rows else None

    def ticket_by_lkpp(self, mailbox: str, lkpp_ticket: str) -> Ticket | None:
        rows = list(self.db.query(
            "select * from tickets where mailbox = ? and lkpp_ticket = ? order by id desc limit 1",
            [mailbox, lkpp_ticket]))
        return self.of_row(rows[0]) if rows else None

    def ticket_by_refs(self, mailbox: str, keys: list[str]) -> tuple[Ticket | None, frozenset[str]]:
        """The ticket the first recorded of these counterpart reference keys names (learned from
        LKPP's verified mail), with the keys of these recorded on any ticket."""
        if not keys:
            return None, frozenset()
        marks = ", ".join("?" for _ in keys)
        rows = list(self.db.query(f"select key, ticket_id from counterpart_refs where mailbox = ? and key in ({marks})",
                                  [mailbox, *keys]))
        if not rows:
            return None, frozenset()
        order = {k: i for i, k in enumerate(keys)}
        first = min(rows, key=lambda r: order[r["key"]])["ticket_id"]
        return self.ticket_by_id(first), frozenset(r["key"] for r in rows)

    def record_counterpart_ref(self, mailbox: str, ticket_id: int, key: str, ref: str, form: str,
                               message_id: str, at: datetime) -> None:
        """A reference LKPP's verified mail brought; one reference names one case (the first keeps it)."""
        self.db.execute(self.sql.ADD_COUNTERPART_REF, [mailbox, key, ticket_id, ref, form, message_id, ts(at)])

    def of_row(self, row: dict[str, Any], participants: bool = True) -> Ticket:
        """A ticket row as a value; `participants` False leaves them out (lists that only show
        tickets). The other parts that read tickets (`search`, `timers`) read them with this."""
        parts = frozenset(
            r["address"] for r in self.db.query("select address from participants where ticket_id = ?", [row["id"]])
        ) if participants else frozenset()
        return Ticket(
            id=row["id"],
            mailbox=row["mailbox"],
            number=row["number"],
            state=State(row["state"]),
            requester=Address(row["requester"], row["requester_name"] or ""),
            subject=row["subject"] or "",
            category=row["category"],
            priority=row["priority"],
            assignee=row["assignee"],
            language=row["language"] or "id",
            created_at=parse_ts(row["created_at"]),  # type: ignore[arg-type]
            updated_at=parse_ts(row["updated_at"]),  # type: ignore[arg-type]
            first_response_at=parse_ts(row["first_response_at"]),
            resolved_at=parse_ts(row["resolved_at"]),
            resolved_by=row["resolved_by"],
            closed_at=parse_ts(row["closed_at"]),
            rating=row["rating"],
            lkpp_ticket=row["lkpp_ticket"],
            lkpp_ref=row["lkpp_ref"],
            lkpp_ref_form=row["lkpp_ref_form"],
            reopened_from=row["reopened_from"],
            participants=parts,
            contact=_contact(row),
            channel=row["channel"] or "email",
            taken_by=row["taken_by"], queue_number=row.get("queue_number"),
            **_waits(row),
        )


def _waits(row: dict[str, Any]) -> dict[str, Any]:
    """The ticket's waits for its requester's documents (schema 20, SPEC 6). A ticket that
    was waiting when the schema came (its wait not recorded) waits since its last change."""
    since = parse_ts(row.get("waiting_since"))
    if since is None and row["state"] == State.AWAITING_INFO:
        since = parse_ts(row["updated_at"])
    return {"waiting_since": since, "waited": timedelta(seconds=row.get("waited_seconds") or 0),
            "info_asked_by": row.get("info_asked_by")}


def _contact(row: dict[str, Any]) -> Contact:
    """Who a call's or visit's form names (SPEC 3); empty for a ticket opened by mail."""
    return Contact(row["contact_name"] or "", row["contact_org"] or "", row["contact_address"] or "",
                   row["contact_phone"] or "")


def _ticket_row(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "mailbox": ticket.mailbox,
        "number": ticket.number,
        "state": str(ticket.state),
        "requester": ticket.requester.addr,
        "requester_name": ticket.requester.name,
        "subject": ticket.subject,
        "category": ticket.category,
        "priority": ticket.priority,
        "assignee": ticket.assignee,
        "language": ticket.language,
        "created_at": ts(ticket.created_at),
        "updated_at": ts(ticket.updated_at),
        "first_response_at": ts(ticket.first_response_at) if ticket.first_response_at else None,
        "resolved_at": ts(ticket.resolved_at) if ticket.resolved_at else None,
        "resolved_by": ticket.resolved_by,
        "closed_at": ts(ticket.closed_at) if ticket.closed_at else None,
        "rating": ticket.rating,
        "lkpp_ticket": ticket.lkpp_ticket,
        "lkpp_ref": ticket.lkpp_ref,
        "lkpp_ref_form": ticket.lkpp_ref_form,
        "reopened_from": ticket.reopened_from,
        "contact_name": ticket.contact.name or None,
        "contact_org": ticket.contact.organisation or None,
        "contact_address": ticket.contact.address or None,
        "contact_phone": ticket.contact.phone or None,
        "channel": ticket.channel,
        "taken_by": ticket.taken_by,
        "queue_number": ticket.queue_number,
        "waiting_since": ts(ticket.waiting_since) if ticket.waiting_since else None,
        "waited_seconds": ticket.waited.total_seconds() or None,
        "info_asked_by": ticket.info_asked_by,
    }
