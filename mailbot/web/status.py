"""A requester's status page (SPEC 13): what their link shows, and nothing else.

The link names a mailbox and a ticket, and is signed for that ticket and its requester
(`core/web_tokens`): the page opens only when the signature is the ticket's requester's
under today's key and the ticket closed less than `status_link_days` ago. Anything else
(a tampered link, another ticket's, an ended one, a number without its signature) gets
the one neutral page, which says nothing of whether a ticket of that number exists.

What the page shows is what the requester knows already: the ticket's state, its dates,
the next step in the unit's words, and the mail mailbot sent *to the requester* (their
own copies, as they received them). Never the history's internal notes, staff or
coordinator addresses, LKPP's references, other participants or the other audiences' mail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from mailbot.core.tokens import escalation_code
from mailbot.core.web_tokens import status_claim, status_expired, status_valid
from mailbot.io.store.messages import Messages
from mailbot.io.store.tickets import Tickets
from mailbot.io.ticket_views import local, sent_text
from mailbot.model import Ticket


def ticket_of_link(tickets: Tickets, key: bytes, token: str, now: datetime, days: int) -> Ticket | None:
    """The ticket a status link opens now, or None."""
    claim = status_claim(token)
    if claim is None:
        return None
    ticket = tickets.ticket_by_number(claim.mailbox, claim.number)
    if ticket is None or not status_valid(key, claim, ticket.requester.addr):
        return None
    return None if status_expired(ticket.closed_at, now, days) else ticket


def status_context(messages: Messages, key: bytes, ticket: Ticket, tz: tzinfo, archive_dir: Path) -> dict[str, Any]:
    """What the requester's page shows of `ticket`."""
    assert ticket.id is not None
    code = escalation_code(key, ticket.mailbox, ticket.number)
    mails = [_mail(row, tz, archive_dir, code) for row in messages.messages_of(ticket.id)
             if row["direction"] == "out" and row["role"] == "requester"]
    return {
        "number": ticket.number, "subject": ticket.subject, "state": str(ticket.state),
        "dates": [(name, _when(moment, tz)) for name, moment in (
            ("created", ticket.created_at), ("first_response", ticket.first_response_at),
            ("resolved", ticket.resolved_at), ("closed", ticket.closed_at)) if moment is not None],
        "mails": mails,
    }


def _when(moment: datetime | str | None, tz: tzinfo) -> str:
    found = local(moment, tz)
    return f"{found:%d-%m-%Y %H:%M}" if found else ""


def _mail(row: Mapping[str, Any], tz: tzinfo, archive_dir: Path, code: str) -> dict[str, str]:
    """One mail as the requester received it: its subject, when, and its plain text (from the
    archive, or the outbox while not yet archived); the escalation key never (it went to LKPP alone)."""
    text = sent_text(archive_dir, row.get("archive_path"), row.get("queued_raw")) or row.get("body") or ""
    return {"at": _when(row.get("at"), tz), "subject": _unkeyed(str(row.get("subject") or ""), code),
            "text": _unkeyed(text, code)}


def _unkeyed(text: str, code: str) -> str:
    return re.sub(re.escape(code), "*" * len(code), text, flags=re.IGNORECASE)
