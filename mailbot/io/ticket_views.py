"""What `mailbot tickets` and `mailbot ticket NUMBER` show (SPEC section 10).

Text for a person: one line per row at any width from 80 columns up, every time in the
unit's time zone (the column header names it, e.g. WIB), long values cut with an
ellipsis, a message's text indented under it (the new text only; `--full` adds the
quoted history). JSON for scripts: the same facts, times as ISO-8601 with the unit's
UTC offset. Pure functions of store rows; the CLI prints what they return.

Subjects, names, form fields and texts are outside text: their control characters are
shown as visible escapes (`\\x1b`, `\\u202e`) before a line is cut to width,
so a requester's mail cannot clear the operator's screen or write their clipboard.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailbot.core.controls import visible
from mailbot.core.counterpart import LPSE_SUPPORT
from mailbot.core.intake_form import HeldForm, title_of
from mailbot.errors import BadMessageError
from mailbot.io.store import parse_ts
from mailbot.model import Attachment, Ticket

if TYPE_CHECKING:  # types only: `tickets` answers without loading the calendar and its holidays
    from mailbot.core.overdue import Overdue
    from mailbot.io.words import Words

STATE_WIDTH = 13  # "awaiting_info"
CHANNEL_NAMES = {"email": "email", "telepon": "telepon (phone call)", "datang": "datang langsung (visit)"}
TIME_WIDTH = 16  # "2026-03-19 10:00"
MIN_WIDTH = 80


def fit(text: object, width: int) -> str:
    """One line of at most `width` characters, control characters shown; cut with an ellipsis."""
    line = visible(re.sub(r"\s*[\r\n\t]+\s*", " ", str(text if text is not None else "-")).rstrip())
    if width <= 0:
        return ""
    return line if len(line) <= width else line[: max(width - 1, 0)] + "…"


def zone_name(tz: tzinfo) -> str:
    """The zone's abbreviation now (WIB, WITA, WIT), or its offset."""
    return datetime.now(tz).strftime("%Z") or datetime.now(tz).strftime("%z")


def local(moment: datetime | str | None, tz: tzinfo) -> datetime | None:
    if isinstance(moment, str):
        moment = parse_ts(moment)
    return moment.astimezone(tz) if moment is not None else None


def when(moment: datetime | str | None, tz: tzinfo) -> str:
    found = local(moment, tz)
    return f"{found:%Y-%m-%d %H:%M}" if found else "-"


def iso(moment: datetime | str | None, tz: tzinfo) -> str | None:
    found = local(moment, tz)
    return found.isoformat(timespec="seconds") if found else None


# --- tickets --------------------------------------------------------------------------


def ticket_list(tickets: Sequence[Ticket], tz: tzinfo, width: int = MIN_WIDTH, with_mailbox: bool = False,
                more: bool = False, held: Sequence[tuple[str, HeldForm]] = ()) -> list[str]:
    """One line per ticket under a header, then how many; `more`: others match too, and
    the last line says how to see them. `held`: (mailbox, form) of the calls and visits held
    for their sender's `#buka` (SPEC 3), below the tickets as state `held`."""
    width = max(width, MIN_WIDTH)
    number_w = max([6, *(len(t.number) for t in tickets)])
    box_w = max([7, *(len(t.mailbox) for t in tickets)]) if with_mailbox else 0
    fixed = number_w + 1 + (box_w + 1 if box_w else 0) + STATE_WIDTH + 1 + TIME_WIDTH + 1
    requester_w = min(24, max(12, (width - fixed) // 2))
    subject_w = width - fixed - requester_w - 1
    zone = zone_name(tz)

    def row(number: str, box: str, state: str, created: str, requester: str, subject: str) -> str:
        cells = [fit(number, number_w).ljust(number_w)]
        if box_w:
            cells.append(fit(box, box_w).ljust(box_w))
        cells += [fit(state, STATE_WIDTH).ljust(STATE_WIDTH), fit(created, TIME_WIDTH).ljust(TIME_WIDTH),
                  fit(requester, requester_w).ljust(requester_w), fit(subject, subject_w)]
        return " ".join(cells).rstrip()

    lines = [row("NUMBER", "MAILBOX", "STATE", f"CREATED ({zone})", "REQUESTER", "SUBJECT")]
    lines += [row(t.number, t.mailbox, str(t.state), when(t.created_at, tz), t.requester.addr, t.subject)
              for t in tickets]
    lines += [row(f.number, box, "held", when(f.intake.called_at, tz), _caller(f), title_of(f.intake.form.problem))
              for box, f in held]
    count = f"{len(tickets)} ticket(s)" + (f", {len(held)} held form(s) waiting for their sender's #buka"
                                           if held else "")
    lines.append(f"{count}, the newest; more match (--limit N, --all)" if more else count)
    return lines


def _caller(form: HeldForm) -> str:
    return form.intake.form.email or form.intake.form.contact.name or form.intake.form.contact.phone


def held_summary(mailbox: str, form: HeldForm, tz: tzinfo) -> dict[str, Any]:
    """A call or visit held for its sender's `#buka` (SPEC 3), for scripts: no ticket yet."""
    intake = form.intake
    return {
        "number": form.number, "mailbox": mailbox, "state": "held", "subject": title_of(intake.form.problem),
        "requester": intake.form.email or None, "requester_name": intake.form.contact.name or None,
        "created_at": iso(intake.called_at, tz), "held_at": iso(form.held_at, tz), "reminded": form.reminded,
        "channel": intake.channel, "taken_by": intake.staff,
    }


def ticket_summary(t: Ticket, tz: tzinfo) -> dict[str, Any]:
    return {
        "number": t.number, "mailbox": t.mailbox, "state": str(t.state), "subject": t.subject,
        "requester": t.requester.addr, "requester_name": t.requester.name or None,
        "category": t.category, "priority": t.priority, "assignee": t.assignee, "rating": t.rating,
        "lkpp_ticket": t.lkpp_ticket, "created_at": iso(t.created_at, tz), "updated_at": iso(t.updated_at, tz),
        "first_response_at": iso(t.first_response_at, tz), "resolved_at": iso(t.resolved_at, tz),
        "closed_at": iso(t.closed_at, tz), "channel": t.channel, "taken_by": t.taken_by,
        "lpse_support": t.lkpp_ticket if t.lkpp_ref_form == LPSE_SUPPORT else None,  # E12e: LPSE Support's number
        "queue_number": t.queue_number,  # a walk-in's Nomor Antrian
        # seed 002, SPEC 6: waiting for the requester's documents since, and
        # the hours of the waits that ended, which the 3x24h standard leaves out
        "waiting_since": iso(t.waiting_since, tz), "waited_hours": round(t.waited / timedelta(hours=1), 2),
        "info_asked_by": t.info_asked_by,
    }


def overdue_list(found: Iterable[tuple[Ticket, Overdue]], tz: tzinfo, said: Words, day_length: timedelta,
                 width: int = MIN_WIDTH, with_mailbox: bool = False) -> list[str]:
    """One line per breach, the reason indented below it (it is a sentence), in the unit's words.
    With several mailboxes a number names its mailbox too (`btm/2026-00042`): each has its own."""
    width = max(width, MIN_WIDTH)
    found = list(found)
    items = [(f"{t.mailbox}/{item.number}" if with_mailbox else item.number, item) for t, item in found]
    number_w = max([6, *(len(number) for number, _item in items)])
    zone = zone_name(tz)
    head = (f"{'NUMBER':<{number_w}} {'STATE':<{STATE_WIDTH}} {'TIMER':<15} {'DUE (' + zone + ')':<{TIME_WIDTH}} "
            f"{'ON':<11} WAITED")
    lines = [head]
    rest = width - (number_w + STATE_WIDTH + 15 + TIME_WIDTH + 11 + 5)
    for number, item in items:
        lines.append(f"{number:<{number_w}} {item.state:<{STATE_WIDTH}} {fit(item.kind, 15):<15} "
                     f"{when(item.due_at, tz):<{TIME_WIDTH}} {fit(item.on_whom, 11):<11} "
                     f"{fit(said.waited_for(item.kind, item.waited, day_length), rest)}")
        lines += textwrap.wrap(said.overdue(item.kind, item.span, item.reopened), width - 4, initial_indent="    ",
                               subsequent_indent="    ")
    tickets = len({(t.mailbox, item.number) for t, item in found})
    # tickets, as the digest counts them; a ticket may be past two deadlines (one line each)
    lines.append(f"{tickets} overdue" if tickets == len(items)
                 else f"{tickets} overdue ({len(items)} deadlines passed)")
    return lines


def overdue_json(found: Iterable[tuple[Ticket, Overdue]], tz: tzinfo, said: Words,
                 day_length: timedelta) -> list[dict[str, Any]]:
    return [{"number": item.number, "mailbox": ticket.mailbox, "state": item.state, "subject": item.subject,
             "timer": str(item.kind), "due_at": iso(item.due_at, tz),
             "waited_minutes": round(item.waited / timedelta(minutes=1)),
             "waited": said.waited_for(item.kind, item.waited, day_length), "on_whom": item.on_whom,
             "reason": said.overdue(item.kind, item.span, item.reopened)} for ticket, item in found]


# --- one ticket -------------------------------------------------------------------------


def _detail(row: Mapping[str, Any]) -> dict[str, Any]:
    detail = json.loads(row.get("detail") or "{}")
    detail.pop("message_id", None)
    return {k: v for k, v in sorted(detail.items()) if v not in (None, "", [])}


def _arrived(row: Mapping[str, Any]) -> str:
    return str(row.get("received_at") or row["at"])


def sent_text(archive_dir: Path | None, archive_path: str | None, queued: bytes | None = None) -> str | None:
    """The plain text of a mail mailbot sent, read back from the archive, or from the
    outbox (`queued`) while it is not archived yet."""
    raw = queued or None
    if raw is None:
        if not archive_path or archive_dir is None:
            return None
        try:
            raw = (archive_dir / archive_path).read_bytes()
        except OSError:
            return None
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(msg, EmailMessage):
        return None
    part = msg.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else None


def files_of(archive_dir: Path | None, archive_path: str | None, queued: bytes | None = None) -> tuple[Attachment, ...]:
    """The files a stored message carried (each safely named, its bytes exact), read back
    from the archive (or the outbox while not archived yet); none when neither holds it or
    the parser refuses it."""
    raw = queued or None
    if raw is None and archive_path and archive_dir is not None:
        try:
            raw = (archive_dir / archive_path).read_bytes()
        except OSError:
            raw = None
    if raw is None:
        return ()
    from mailbot.parsers import parse_message  # here: `tickets` starts without the parsers

    try:
        return parse_message(raw).attachments
    except BadMessageError:
        return ()


def message_text(row: Mapping[str, Any], full: bool, archive_dir: Path | None = None) -> str:
    """The new text of an inbound message (all of it with `full`); what an outbound one relayed."""
    if row["direction"] == "in":
        text = row.get("full_text") if full else row.get("body")
        return text if text is not None else (row.get("body") or "")
    if full:
        return sent_text(archive_dir, row.get("archive_path"), row.get("queued_raw")) or row.get("body") or ""
    return row.get("body") or ""


def ticket_detail(ticket: Ticket, events: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]],
                  tz: tzinfo, *, full: bool = False, width: int = MIN_WIDTH,
                  archive_dir: Path | None = None) -> list[str]:
    width = max(width, MIN_WIDTH)
    return [*_header(ticket, tz, width), "", f"History (times {zone_name(tz)}):", *_history(events, tz, width),
            "", f"Messages ({'whole texts' if full else 'new text only; --full adds quoted history'}):",
            *_messages(messages, tz, width, full, archive_dir)]


def _header(ticket: Ticket, tz: tzinfo, width: int) -> list[str]:
    zone = zone_name(tz)
    requester = f"{ticket.requester.name} <{ticket.requester.addr}>" if ticket.requester.name else ticket.requester.addr
    form = ticket.contact
    taken = f"   taken by: {ticket.taken_by}" if ticket.taken_by else ""
    return [fit(line, width) for line in (
        f"Ticket {ticket.number} ({ticket.mailbox}): {ticket.subject}",
        (f"  state: {ticket.state}   category: {_dash(ticket.category)}   priority: {_dash(ticket.priority)}"
         f"   rating: {_dash(ticket.rating)}"),
        f"  requester: {requester}",
        (f"  form: name {_dash(form.name)}; agency/company {_dash(form.organisation)}; "
         f"address {_dash(form.address)}; phone {_dash(form.phone)}"),
        f"  channel: {CHANNEL_NAMES.get(ticket.channel, ticket.channel)}{taken}",
        f"  assignee: {_dash(ticket.assignee)}   LKPP ticket: {_dash(ticket.lkpp_ticket)}",
        (f"  created {when(ticket.created_at, tz)} {zone}   first response {when(ticket.first_response_at, tz)}"
         f"   closed {when(ticket.closed_at, tz)}"),
    )]


def _dash(value: object) -> object:
    """A value as the header shows it: "-" for none."""
    return value or "-"


def _history(events: Sequence[Mapping[str, Any]], tz: tzinfo, width: int) -> list[str]:
    lines: list[str] = []
    actor_w = 26
    for event in events:
        head = f"  {when(event['at'], tz)}  {fit(event['actor'], actor_w):<{actor_w}} {event['kind']}"
        extra = visible(" ".join(f"{k}={v}" for k, v in _detail(event).items()))
        if extra and len(head) + 1 + len(extra) <= width:
            lines.append(f"{head} {extra}")
        else:
            lines.append(fit(head, width))
            if extra:
                lines += textwrap.wrap(extra, width - 6, initial_indent=" " * 6, subsequent_indent=" " * 6)
    return lines


# The mail that carries a ticket's own history (`#riwayat`, E12h) is not shown again inside the
# history, nor (with `--full`) is a reply's quoted copy of one: each would hold every one before
# it, and a history asked for by replying to the last one would double each time. A quoted copy
# is told by two headings of this view as `ticket_detail` writes them, which no mail of people
# or of mailbot's templates has.
HISTORY_MAIL = "history"
_HEADINGS = ("History (times ", "Messages (whole texts):")


def _quotes_a_history(text: str) -> bool:
    """Whether a message's whole text holds a copy of this view (a reply quoting a history mail)."""
    plain = [line.lstrip(" \t>|") for line in text.splitlines()]
    return all(any(line.startswith(heading) for line in plain) for heading in _HEADINGS)


def _messages(messages: Sequence[Mapping[str, Any]], tz: tzinfo, width: int, full: bool,
              archive_dir: Path | None) -> list[str]:
    return [line for row in messages for line in _message(row, tz, width, full, archive_dir)]


def _message(row: Mapping[str, Any], tz: tzinfo, width: int, full: bool, archive_dir: Path | None) -> list[str]:
    """One message of the history: when, which way, who, its subject, and its text (or why none)."""
    inbound = row["direction"] == "in"
    arrow = "<-" if inbound else "->"
    who = row["sender"] if inbound else row["recipients"]
    head = [fit(f"  {when(_arrived(row), tz)}  {arrow} {row['kind'] or '-'}  {who}", width),
            fit(f"      Subject: {row['subject']}", width)]
    if not inbound and row["kind"] == HISTORY_MAIL:
        return [*head, "      (the ticket's history as it stood then; not repeated here)"]
    return [*head, *_message_body(row, width, full, archive_dir, inbound)]


def _message_body(row: Mapping[str, Any], width: int, full: bool, archive_dir: Path | None,
                  inbound: bool) -> list[str]:
    lines: list[str] = []
    text = message_text(row, full, archive_dir)
    if inbound and full and _quotes_a_history(text):
        lines.append("      (it quotes a history mail: its new text only)")
        text = message_text(row, False)
    text = visible(text).strip("\n")
    if not text.strip():
        return [*lines, "      (no new text)" if inbound else "      (automatic mail; --full shows it)"]
    return [*lines, *_quoted(text, width)]


def _quoted(text: str, width: int) -> list[str]:
    """A message's text, each line wrapped to the width behind its "|"."""
    lines: list[str] = []
    for line in text.splitlines():
        wrapped = textwrap.wrap(line, width - 8, replace_whitespace=False, drop_whitespace=True) or [""]
        lines += [("      | " + part).rstrip() for part in wrapped]
    return lines


def ticket_json(ticket: Ticket, events: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]],
                tz: tzinfo, *, full: bool = False, archive_dir: Path | None = None) -> dict[str, Any]:
    return {
        **ticket_summary(ticket, tz),
        "contact": {"name": ticket.contact.name, "organisation": ticket.contact.organisation,
                    "address": ticket.contact.address, "phone": ticket.contact.phone},
        "history": [{"at": iso(e["at"], tz), "actor": e["actor"], "kind": e["kind"], "detail": _detail(e)}
                    for e in events],
        "messages": [{
            "at": iso(_arrived(m), tz), "direction": m["direction"], "kind": m["kind"], "role": m["role"],
            "sender": m["sender"], "recipients": [r for r in (m["recipients"] or "").split(",") if r],
            "subject": m["subject"], "message_id": m["message_id"], "attachments": m["attachments"],
            "text": message_text(m, full, archive_dir),
        } for m in messages],
    }
