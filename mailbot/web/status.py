"""A requester's status page (SPEC 13): what their link shows, and nothing else.

The link names a mailbox and a ticket, and is signed for that ticket and its requester
(`core/web_tokens`): the page opens only when the signature is the ticket's requester's
under today's key and the ticket closed less than `status_link_days` ago. Anything else
(a tampered link, another ticket's, an ended one, a number without its signature) gets
the one neutral page, which says nothing of whether a ticket of that number exists.

What the page shows is what the requester knows already: the ticket's state, its dates,
the next step in the unit's words with its date (and plainly, when the unit is late), the
deadlines that bind the unit or the requester now (`core/shown_deadlines`, as every staff
notice shows them), and the requester's own messages beside the mail mailbot sent *to the
requester* (their own copies, as they received them). Never the history's internal notes,
staff or coordinator addresses, LKPP's references, other participants, the other
audiences' mail, or the deadlines of the unit's own (the coordinators' direction).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailbot.core.shown_deadlines import ShownDeadline, shown_deadlines
from mailbot.core.tokens import escalation_code
from mailbot.core.web_tokens import status_claim, status_expired, status_valid
from mailbot.core.worktime import WorkCalendar
from mailbot.io.store.messages import Messages
from mailbot.io.store.tickets import Tickets
from mailbot.io.store.timers import Timers
from mailbot.io.ticket_views import local, sent_text
from mailbot.io.words import Words
from mailbot.model import Ticket, TimerKind

if TYPE_CHECKING:
    from mailbot.rules import Deadlines

# What a requester's page shows no deadline of: the unit's own waits (its coordinators' and heads' word).
_INTERNAL = frozenset({TimerKind.COORDINATOR_DIRECTION, TimerKind.HEAD_DIRECTION})
# The unit's side: a deadline past on it is the unit's lateness (LKPP's too: the unit escalated to it).
_UNIT_SIDE = frozenset({"staff", "LKPP"})
# The deadline whose date is the next step's, in each state.
_NEXT = {"open": (TimerKind.FIRST_RESPONSE, TimerKind.RESOLUTION), "escalated": (TimerKind.LKPP_STATUS,
         TimerKind.LKPP_PROGRESS), "awaiting_info": (TimerKind.AWAITING_INFO,), "resolved": (TimerKind.CONFIRM_CLOSE,)}


def ticket_of_link(tickets: Tickets, key: bytes, token: str, now: datetime, days: int) -> Ticket | None:
    """The ticket a status link opens now, or None."""
    claim = status_claim(token)
    if claim is None:
        return None
    ticket = tickets.ticket_by_number(claim.mailbox, claim.number)
    if ticket is None or not status_valid(key, claim, ticket.requester.addr):
        return None
    return None if status_expired(ticket.closed_at, now, days) else ticket


@dataclass(frozen=True)
class StatusClock:
    """What the page reads the ticket's deadlines with: the working calendar, the ticket's
    priority's deadlines, the moment the page is asked for, the words it says them in."""

    cal: WorkCalendar
    deadlines: Deadlines
    now: datetime
    said: Words


def status_context(messages: Messages, timers: Timers, key: bytes, ticket: Ticket, clock: StatusClock,
                   archive_dir: Path) -> dict[str, Any]:
    """What the requester's page shows of `ticket` at `clock.now`."""
    assert ticket.id is not None
    tz = clock.cal.tz
    code = escalation_code(key, ticket.mailbox, ticket.number)
    mails = [_mail(row, tz, archive_dir, code) for row in messages.messages_of(ticket.id) if _theirs(row, ticket)]
    shown = [e for e in shown_deadlines(ticket, [t.timer for t in timers.active_timers(ticket.id)], clock.now,
                                        clock.cal, clock.deadlines) if e.kind not in _INTERNAL]
    return {
        "number": ticket.number, "subject": ticket.subject, "state": str(ticket.state),
        "dates": [(name, _when(moment, tz)) for name, moment in (
            ("created", ticket.created_at), ("first_response", ticket.first_response_at),
            ("resolved", ticket.resolved_at), ("closed", ticket.closed_at)) if moment is not None],
        **next_step(str(ticket.state), shown, clock),
        "deadlines": [_deadline(e, clock) for e in shown],
        "mails": mails,
    }


def next_step(state: str, shown: list[ShownDeadline], clock: StatusClock) -> dict[str, Any]:
    """The next step in the unit's words with its date; when a deadline on the unit's side
    has passed, that plainly instead (`late`), by the first one missed."""
    web = clock.said["web"]
    missed = _first_missed(shown)
    if missed is not None and missed.at is not None and str(missed.kind) in web["next_late"]:
        return {"next": web["next_late"][str(missed.kind)].format(at=_moment(missed.at, clock)),
                "late": True}
    moment = _next_moment(state, shown)
    if moment is not None and state in web["next_by"]:
        return {"next": web["next_by"][state].format(at=_moment(moment, clock)), "late": False}
    return {"next": web["next"][state], "late": False}


def _first_missed(shown: list[ShownDeadline]) -> ShownDeadline | None:
    """The first deadline on the unit's side that passed while its clock ran."""
    return next((e for e in shown if e.past and e.waits_on in _UNIT_SIDE and not e.stopped and e.at), None)


def _next_moment(state: str, shown: list[ShownDeadline]) -> datetime | None:
    """When the next step of a ticket in `state` is due: its deadline (`_NEXT`) that runs; for
    the requester's data, the day the ticket closes without it."""
    by = {e.kind: e for e in shown if not e.stopped and not e.past}
    kind = next((k for k in _NEXT.get(state, ()) if k in by), None)
    if kind is None:
        return None
    entry = by[kind]
    return entry.closes_at if kind is TimerKind.AWAITING_INFO and entry.closes_at else entry.at


def _deadline(entry: ShownDeadline, clock: StatusClock) -> dict[str, Any]:
    """One deadline as the page lists it: what it waits for, when (or what is left of a
    stopped clock), whether it passed, and when the ticket closes without the requester's word."""
    web = clock.said["web"]
    if entry.stopped and not entry.past:
        left = entry.left or timedelta(0)
        hours = round(left / timedelta(hours=1))
        when = web["status_stopped"].format(left=clock.said.unit(hours, "hour"))
    else:
        when = _moment(entry.at, clock) if entry.at else ""
    closes = entry.closes_at if entry.closes_at is not None and entry.closes_at != entry.at else None
    return {"name": web["deadline"].get(str(entry.kind), str(entry.kind)), "at": when, "past": entry.past,
            "closes": web["status_closes"].format(at=_moment(closes, clock)) if closes else ""}


def _moment(at: datetime, clock: StatusClock) -> str:
    """An instant as the unit reads it, in its zone: "Selasa, 24 November 2026 15:30 WIB"."""
    return clock.said.moment(at.astimezone(clock.cal.tz).isoformat(), str(clock.cal.tz))


def _theirs(row: Mapping[str, Any], ticket: Ticket) -> bool:
    """A mail mailbot sent to the requester, or one the requester wrote (from their own
    address: never another participant's, a colleague in Cc)."""
    if row["role"] != "requester":
        return False
    return row["direction"] == "out" or str(row.get("sender") or "").lower() == ticket.requester.addr.lower()


def _when(moment: datetime | str | None, tz: tzinfo) -> str:
    found = local(moment, tz)
    return f"{found:%d-%m-%Y %H:%M}" if found else ""


def _mail(row: Mapping[str, Any], tz: tzinfo, archive_dir: Path, code: str) -> dict[str, Any]:
    """One mail as the requester knows it: one they received, with its subject, when and its
    plain text (from the archive, or the outbox while not yet archived), or one they wrote,
    with its new text (their quote of our mail left out) and how many files it carried; the
    escalation key never (it went to LKPP alone)."""
    if row["direction"] == "in":
        text = str(row.get("body") or "")
        files = int(row.get("attachments") or 0)
    else:
        text = sent_text(archive_dir, row.get("archive_path"), row.get("queued_raw")) or row.get("body") or ""
        files = 0
    return {"at": _when(row.get("at"), tz), "subject": _unkeyed(str(row.get("subject") or ""), code),
            "text": _unkeyed(text, code), "theirs": row["direction"] == "in", "files": files}


def _unkeyed(text: str, code: str) -> str:
    return re.sub(re.escape(code), "*" * len(code), text, flags=re.IGNORECASE)
