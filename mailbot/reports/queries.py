"""The reports' only reads of the store: a month's tickets with their mail and history.

Four statements, whatever the number of tickets: the tickets opened in the month
(by the `tickets(mailbox, created_at)` or `tickets(created_at)` index), then their
messages (with the outbox's SMTP acceptance time, from the covering
`outbox(ticket_id, message_id, sent_at)` index, never the rows with the raw mail), the
answers given to callers who left no e-mail (the history's, standing for the mail to the
requester) and the few history events the reports use, each joined to that ticket range
by the `ticket_id` indexes. Rows are grouped per ticket in one pass; there is no query per
ticket, so a month of ~8,000 tickets takes well under a second.

Timestamps are the store's UTC text (`2026-11-23T02:00:00.000000Z`), read with
`datetime.fromisoformat`, which is an order of magnitude faster than `strptime`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mailbot.core.directions import ANSWERED_KINDS, ASKED
from mailbot.core.intake_form import title_of
from mailbot.io.store import Store, ts
from mailbot.model import no_mailbox
from mailbot.reports.values import HELD, Entry, Mail, TicketRecord

# The history the reports read: whether a ticket went to LKPP, who answered, an ack left
# out, a solution rejected or a closed ticket reopened.
HISTORY_KINDS = ("command_escalate", "command_lpse_support", "staff_replied", "command_resolve", "command_relay",
                 "ack_skipped", "closing_rejected", "ticket_reopened", *ASKED, *ANSWERED_KINDS)

_TICKETS = """
select id, mailbox, number, state, requester, requester_name, contact_name, contact_org, subject, category,
       priority, created_at, resolved_at, closed_at, rating, lkpp_ticket, channel, taken_by, lkpp_ref_form,
       queue_number, coalesce(waiting_since, case when state = 'awaiting_info' then updated_at end),
       coalesce(waited_seconds, 0), {form}
from tickets t
where t.created_at >= :start and t.created_at < :end {mailbox}
order by t.created_at, t.id
"""

# Inbound mail of every role; outbound mail only to the requester and to LKPP (what
# staff and coordinators were sent says nothing about the service). Mail to LKPP that the
# SMTP server refused for good, or that came back as a failed delivery report (a bounce
# naming it), never reached LKPP: `failed`. Bodies only of the
# requester's mail in and out, and only when asked for.
_MAILS = """
select m.ticket_id, m.direction, m.role, m.kind, m.at, m.received_at, o.sent_at, {body} as body,
       o.status = 'failed' or (m.direction = 'out' and m.role = 'lkpp' and exists (
           select 1 from events b where b.ticket_id = m.ticket_id and b.kind = 'bounce_received'
             and json_extract(b.detail, '$.returned') = m.message_id
             and json_extract(b.detail, '$.action') = 'failed')) as failed,
       coalesce(m.attachments, 0) as files
from tickets t
join messages m on m.ticket_id = t.id
left join outbox o on o.ticket_id = m.ticket_id and o.message_id = m.message_id
where t.created_at >= :start and t.created_at < :end {mailbox}
  and (m.direction = 'in' or m.role in ('requester', 'lkpp') or m.kind in ('intake_confirm', 'intake_opened'))
order by m.ticket_id, m.at, m.id
"""

# The answers given to a caller or visitor who left no e-mail (`answered_without_mail`),
# read as the mail to the requester they stand for: handled and delivered when recorded.
_UNMAILED = """
select e.ticket_id, e.at, json_extract(e.detail, '$.mail'), json_extract(e.detail, '$.text')
from tickets t
join events e on e.ticket_id = t.id
where t.created_at >= :start and t.created_at < :end {mailbox} and e.kind = 'answered_without_mail'
order by e.ticket_id, e.at, e.id
"""

# A call's or visit's form (SPEC 3): its problem and the answer given on the spot, for the
# recap and the summary's steps; one row per such ticket, by the events' `ticket_id` index.
_FORM = ("(select json_extract(e.detail, '$.problem') from events e where e.ticket_id = t.id "
         "and e.kind = 'intake_recorded' order by e.id limit 1), "
         "(select json_extract(e.detail, '$.answer') from events e where e.ticket_id = t.id "
         "and e.kind = 'intake_recorded' order by e.id limit 1)")

# An ack that could not be sent (the requester's address cannot be written to) or that the
# loop limit forbade (SPEC 5, `send_suppressed`) reads as an ack skipped: none was owed
# that mailbot could deliver.
_HISTORY = """
select e.ticket_id, e.at, e.actor,
       case when e.kind in ('send_skipped', 'send_suppressed') then 'ack_skipped' else e.kind end as kind
from tickets t
join events e on e.ticket_id = t.id
where t.created_at >= :start and t.created_at < :end {mailbox}
  and (e.kind in ({kinds})
       or e.kind in ('send_skipped', 'send_suppressed') and json_extract(e.detail, '$.mail') = 'ack')
order by e.ticket_id, e.at, e.id
"""


def month_tickets(store: Store, start: datetime, end: datetime, mailbox: str | None = None, *,
                  texts: bool = False) -> list[TicketRecord]:
    """Tickets opened in [start, end) (of one mailbox, or all), oldest first, with their
    mail and history; `texts` loads the requester's mail bodies (for the recap)."""
    args: dict[str, Any] = {"start": ts(start), "end": ts(end)}
    where_box = ""
    if mailbox is not None:
        args["mailbox"] = mailbox
        where_box = "and t.mailbox = :mailbox"
    mails = _mails(store, args, where_box, texts)
    history = _history(store, args, where_box)
    return [_record(row, mails.get(row[0], ()), history.get(row[0], ()))
            for row in store.db.execute(_TICKETS.format(mailbox=where_box, form=_FORM), args)]


def _mails(store: Store, args: dict[str, Any], where_box: str, texts: bool) -> dict[int, list[Mail]]:
    """Each ticket's mail in the order recorded, with the answers given without mail (`_UNMAILED`)."""
    body = "case when m.role = 'requester' then coalesce(m.body, '') else '' end" if texts else "''"
    when = datetime.fromisoformat  # bound once: this loop runs some 60,000 times a month
    mails: dict[int, list[Mail]] = defaultdict(list)
    for ticket_id, direction, role, kind, at, received_at, sent_at, text, failed, files in store.db.execute(
            _MAILS.format(body=body, mailbox=where_box), args):
        mails[ticket_id].append(Mail(direction, role or "", kind or "", when(at),
                                     when(received_at) if received_at else None,
                                     when(sent_at) if sent_at else None, text or "", bool(failed), files))
    for ticket_id in _unmailed(store, args, where_box, texts, mails):
        mails[ticket_id].sort(key=lambda m: m.at)
    return mails


def _unmailed(store: Store, args: dict[str, Any], where_box: str, texts: bool,
              mails: dict[int, list[Mail]]) -> set[int]:
    """The answers given to a caller who left no e-mail, added to `mails` as the mail to the
    requester they stand for; the tickets that have any."""
    when = datetime.fromisoformat
    unmailed = set()
    for ticket_id, at, kind, text in store.db.execute(_UNMAILED.format(mailbox=where_box), args):
        mails[ticket_id].append(Mail("out", "requester", kind or "", when(at), None, when(at),
                                     (text or "") if texts else "", False, 0))
        unmailed.add(ticket_id)
    return unmailed


def _history(store: Store, args: dict[str, Any], where_box: str) -> dict[int, list[Entry]]:
    """Each ticket's history events of `HISTORY_KINDS`, in the order recorded."""
    history: dict[int, list[Entry]] = defaultdict(list)
    kinds = ", ".join(f"'{k}'" for k in HISTORY_KINDS)
    for ticket_id, at, actor, kind in store.db.execute(_HISTORY.format(kinds=kinds, mailbox=where_box), args):
        history[ticket_id].append(Entry(datetime.fromisoformat(at), actor, kind))
    return history


def held_forms(store: Store, start: datetime, end: datetime, mailboxes: Iterable[str]) -> list[TicketRecord]:
    """The calls and visits of [start, end) still held for their sender's `#buka` (SPEC 3)
    as records of state `held`: no ticket yet, the form's words and the call's time,
    so the recap lists them and the summary counts them; none is lost."""
    found = []
    for mailbox in mailboxes:
        for form in store.intake.held_forms(mailbox, start, end):
            intake, f = form.intake, form.intake.form
            found.append(TicketRecord(
                id=0, mailbox=mailbox, number=form.number, state=HELD, requester=f.email or no_mailbox(intake.channel),
                requester_name=f.contact.name, contact_name=f.contact.name, contact_org=f.contact.organisation,
                subject=title_of(f.problem), category=f.category, priority=None, created_at=intake.called_at,
                resolved_at=None, closed_at=None, rating=f.rating, lkpp_ticket=None, channel=intake.channel,
                taken_by=intake.staff, form_problem=f.problem, form_answer=f.answer, queue_number=f.queue or None))
    return found


def query_plans(store: Store, start: datetime, end: datetime, mailbox: str | None = None) -> list[str]:
    """SQLite's plan for each statement, to show (in the bench) that indexes are used."""
    args: dict[str, Any] = {"start": ts(start), "end": ts(end), "mailbox": mailbox}
    where_box = "and t.mailbox = :mailbox" if mailbox else ""
    kinds = ", ".join(f"'{k}'" for k in HISTORY_KINDS)
    plans = []
    for sql in (_TICKETS.format(mailbox=where_box, form=_FORM), _MAILS.format(body="''", mailbox=where_box),
                _HISTORY.format(kinds=kinds, mailbox=where_box)):
        rows = store.db.execute("explain query plan " + sql, args).fetchall()
        plans.append("; ".join(str(r[-1]) for r in rows))
    return plans


def _record(row: tuple[Any, ...], mails: Iterable[Mail], history: Iterable[Entry]) -> TicketRecord:
    (ticket_id, mailbox, number, state, requester, requester_name, contact_name, contact_org, subject, category,
     priority, created_at, resolved_at, closed_at, rating, lkpp_ticket, channel, taken_by, ref_form, queue,
     waiting_since, waited, problem, answer) = row
    return TicketRecord(
        id=ticket_id, mailbox=mailbox, number=number, state=state, requester=requester,
        requester_name=requester_name or "", contact_name=contact_name or "", contact_org=contact_org or "",
        subject=subject or "", category=category, priority=priority, created_at=_when(created_at),
        resolved_at=_maybe(resolved_at), closed_at=_maybe(closed_at), rating=rating, lkpp_ticket=lkpp_ticket,
        mails=tuple(mails), history=tuple(history), channel=channel or "email", taken_by=taken_by,
        form_problem=problem or "", form_answer=answer if isinstance(answer, str) else None, lkpp_ref_form=ref_form,
        queue_number=queue, waiting_since=_maybe(waiting_since), waited=timedelta(seconds=waited or 0),
    )


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _maybe(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# --- what changed since: which months' figures a change touched ---------------------------
#
# The window keeps each month's summary until its figures may have changed (web/month_cache.py).
# Every change the figures read leaves a new row or ends a pending one: a ticket opened (a new
# `tickets` row); a ticket changed, which happens only with what changed it, in the same
# transaction: the message that did (`messages`), its history (`events`: a state changed, an
# LKPP reference, a bounce, a timer fired) or the mail it queued (`outbox`); and a mail
# delivered (a pending `outbox` row that is pending no more: the SMTP server's acceptance time
# is a figure). Ids only grow (one writer at a time on either engine), so what is new since the
# last look is what lies beyond the ids seen then; a row pending then and not now went since.

_MARKS = """
select (select coalesce(max(id), 0) from tickets), (select coalesce(max(id), 0) from events),
       (select coalesce(max(id), 0) from messages), (select coalesce(max(id), 0) from outbox)
"""
_PENDING = "select id from outbox where status = 'pending' and id <= ?"
_TOUCHED = """
select t.mailbox, t.created_at from tickets t where t.id in (
    select id from tickets where id > ? and id <= ?
    union select ticket_id from events where id > ? and id <= ?
    union select ticket_id from messages where id > ? and id <= ?
    union select ticket_id from outbox where id > ? and id <= ?)
"""
_DELIVERED = "select t.mailbox, t.created_at from tickets t join outbox o on o.ticket_id = t.id where o.id in ({marks})"
# A call or visit held for its sender's `#buka` counts in the month of its call (`held_forms`);
# one cancelled is named by its number alone, so its month is read from the form held under it.
_HELD_EVENTS = ("select mailbox, kind, detail from events where id > ? and id <= ? and ticket_id is null "
                "and kind in ('intake_held', 'intake_cancelled')")
_HELD_FORMS = "select detail from events where mailbox = ? and kind = 'intake_held' and ticket_id is null"


@dataclass(frozen=True)
class Marks:
    """How far the store was read at the last look: the highest id of each table whose new rows
    change a month's figures, and the mail still pending then (ids up to `outbox`)."""

    tickets: int = 0
    events: int = 0
    messages: int = 0
    outbox: int = 0
    pending: frozenset[int] = frozenset()


def changes_since(store: Store, marks: Marks) -> tuple[Marks, list[tuple[str, datetime]]]:
    """The store's marks now, and (mailbox, moment) of every ticket or held form a change since
    `marks` touched: the moment its month is counted by (opened, or called). Read in this order
    so that nothing is missed between two statements: the highest ids first, then the rows up
    to them; a row written meanwhile lies beyond the new marks and is the next look's."""
    now = marks_now(store)
    rows: list[tuple[Any, ...]] = list(store.db.execute(_TOUCHED, [
        marks.tickets, now.tickets, marks.events, now.events, marks.messages, now.messages, marks.outbox, now.outbox]))
    delivered = sorted(marks.pending - now.pending)
    for start in range(0, len(delivered), 500):
        chunk = delivered[start:start + 500]
        rows += store.db.execute(_DELIVERED.format(marks=",".join("?" * len(chunk))), chunk).fetchall()
    touched = [(str(mailbox), _when(str(created))) for mailbox, created in rows]
    return now, touched + _held_touched(store, marks.events, now.events)


def marks_now(store: Store) -> Marks:
    """The store's marks: the highest ids, then the mail pending up to the highest outbox id."""
    tickets, events, messages, outbox = (int(v) for v in store.db.execute(_MARKS).fetchone())
    pending = frozenset(int(row[0]) for row in store.db.execute(_PENDING, [outbox]))
    return Marks(tickets, events, messages, outbox, pending)


def _held_touched(store: Store, after: int, upto: int) -> list[tuple[str, datetime]]:
    """(mailbox, call time) of the held calls and visits recorded or cancelled in (after, upto]."""
    found: list[tuple[str, datetime]] = []
    cancelled: dict[str, set[str]] = defaultdict(set)
    for mailbox, kind, detail in store.db.execute(_HELD_EVENTS, [after, upto]):
        held = _detail(detail)
        if kind == "intake_cancelled":
            cancelled[str(mailbox)].add(str(held.get("number")))
        elif isinstance(held.get("called_at"), str):
            found.append((str(mailbox), datetime.fromisoformat(held["called_at"])))
    for mailbox, numbers in cancelled.items():
        for (detail,) in store.db.execute(_HELD_FORMS, [mailbox]):
            held = _detail(detail)
            if held.get("number") in numbers and isinstance(held.get("called_at"), str):
                found.append((mailbox, datetime.fromisoformat(held["called_at"])))
    return found


def _detail(text: Any) -> dict[str, Any]:
    try:
        found = json.loads(text or "{}") if isinstance(text, str) else text
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
