"""What staff, coordinators and heads see once signed in (SPEC 13): the open tickets with
their lateness (`web/listing.py`), each staff member's load, the cases with LKPP and what
LKPP owes under SOP-015, and the requests for direction still waiting. Each function
returns the context of one page; nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any

from mailbot.core.counterpart import LPSE_SUPPORT
from mailbot.core.intake_form import CHANNELS
from mailbot.core.tokens import escalation_code
from mailbot.io.store import parse_ts
from mailbot.io.store.timers import Timers
from mailbot.model import TimerKind
from mailbot.reports.rekap import STAFF_ACTIONS
from mailbot.reports.values import Month
from mailbot.settings import MailboxConfig
from mailbot.web.lateness import Late
from mailbot.web.listing import CATEGORIES, PAGE_ROWS, STATES, Filters, Reader, listing, paged
from mailbot.web.ticket_page import masked

# What counts as answering a ticket on the staff page: a reply to the requester, a solution
# (`#selesai`), LKPP's answer passed on (`#teruskan`).
ANSWERS = ("staff_replied", "command_resolve", "command_relay")
# The mail that reminds LKPP of what it owes (SOP-015 steps 12 and 14).
LKPP_REMINDERS = ("overdue_lkpp", "remind_lkpp")
_LKPP_KINDS = frozenset({TimerKind.LKPP_STATUS, TimerKind.LKPP_PROGRESS})


def overview(desk: Reader, boxes: Sequence[MailboxConfig], filters: Filters) -> dict[str, Any]:
    """The overview's context: per mailbox the counts by state and of late tickets, then
    the list the filters find."""
    shown = [b for b in boxes if filters.mailbox in (None, b.name)]
    counts = [{"name": b.name, "display_name": b.display_name, "states": _state_counts(desk, b),
               "late": len(desk.lateness.late(desk.store, b.name, desk.now))} for b in shown]
    return {"filters": filters, "counts": counts, "list": listing(desk, boxes, filters), "states": STATES,
            "categories": CATEGORIES, "channels": CHANNELS, "all_boxes": boxes, "staff": _staff_of(boxes)}


def _state_counts(desk: Reader, box: MailboxConfig) -> dict[str, int]:
    found = desk.lateness.state_counts(desk.store, box.name)
    return {state: found.get(state, 0) for state in STATES}


def _staff_of(boxes: Sequence[MailboxConfig]) -> list[tuple[str, str]]:
    """(address, name) of each staff member of these mailboxes, in the config's order."""
    seen: dict[str, str] = {}
    for box in boxes:
        for address in box.staff:
            seen.setdefault(address.lower(), box.staff_name(address))
    return list(seen.items())


# --- staff -------------------------------------------------------------------------------


def staff(desk: Reader, boxes: Sequence[MailboxConfig]) -> dict[str, Any]:
    """Each staff member's load: the unclosed tickets they hold, how many of them are late,
    and how many tickets they answered this month; then anyone else who holds tickets or
    answered, and how many unclosed tickets nobody holds yet."""
    names = [box.name for box in boxes]
    late = desk.late(boxes)
    held = desk.store.lists.held(names, STAFF_ACTIONS)
    held_late = desk.store.lists.held(names, STAFF_ACTIONS, ids=list(late)) if late else {}
    month = Month.of(desk.now, desk.tz)
    answered = desk.store.lists.answered(names, ANSWERS, month.start(desk.tz), month.end(desk.tz))
    people = _staff_of(boxes)
    known = {address for address, _name in people}
    others = [(who, who) for who in sorted({*held, *answered} - known - {""})]
    return {"people": [{"address": address, "name": name, "open": held.get(address, 0),
                        "late": held_late.get(address, 0), "answered": answered.get(address, 0)}
                       for address, name in [*people, *others]],
            "month": desk.said.month(month.year, month.month), "nobody": held.get("", 0),
            "nobody_late": held_late.get("", 0)}


def person(desk: Reader, boxes: Sequence[MailboxConfig], address: str, filters: Filters) -> dict[str, Any] | None:
    """One staff member's page: their counts and the list of the tickets they hold (None:
    nobody of these mailboxes holds or answered by that address)."""
    address = address.strip().lower()
    loads = staff(desk, boxes)
    found = next((row for row in loads["people"] if row["address"] == address), None)
    if found is None:
        return None
    chosen = replace(filters, holder=address)
    return {"member": found, "month": loads["month"], "filters": chosen, "list": listing(desk, boxes, chosen),
            "states": STATES, "categories": CATEGORIES, "channels": CHANNELS}


# --- LKPP ----------------------------------------------------------------------------------


def lkpp(desk: Reader, boxes: Sequence[MailboxConfig], page: int) -> dict[str, Any]:
    """Each case with LKPP (SOP-015), the oldest escalation first, paged: its LPSE Support
    number, since when it is escalated, what LKPP owes now (a status within 2 working days of
    the escalation, then progress each working day) and whether that is late, the reminders
    sent, and LKPP's last word."""
    names = [b.name for b in boxes]
    rows, total = desk.store.lists.escalated(names, LKPP_REMINDERS, (page - 1) * PAGE_ROWS, PAGE_ROWS)
    if rows == [] and page > 1:  # past the end (the cases shrank): the last page
        page = max(1, -(-total // PAGE_ROWS))
        rows, total = desk.store.lists.escalated(names, LKPP_REMINDERS, (page - 1) * PAGE_ROWS, PAGE_ROWS)
    late = desk.late(boxes)
    cases = [_case(desk, row, late.get(row["id"])) for row in rows]
    return {"cases": cases, "list": paged(total, page, len(cases), lambda n: f"halaman={n}")}


def _case(desk: Reader, row: Mapping[str, Any], behind: Late | None) -> dict[str, Any]:
    """One case with LKPP as its row shows it, its escalation key masked."""
    said, tz, now = desk.said, desk.tz, desk.now
    escalated = parse_ts(row["escalated_at"])
    lkpp_late = behind is not None and behind.breach.kind in _LKPP_KINDS
    case: dict[str, Any] = masked({
        "number": row["number"], "mailbox": row["mailbox"], "subject": row["subject"] or "", "state": row["state"],
        "lkpp_ticket": row["lkpp_ticket"] or "", "lpse_support": row["lkpp_ref_form"] == LPSE_SUPPORT,
        "escalated": _moment(escalated, tz, said, now),
        "escalated_for": said.waited(desk.lateness.calendar.working_time_between(escalated, now), desk.day_length)
        if escalated else "",
        "owes": _owed(row, tz, said, now), "reminders": row["reminders"],
        "late": said.waited(desk.lateness.entry(behind, now).waited, desk.day_length) if behind and lkpp_late else "",
        "last": _last_word(row["last_lkpp"], tz, said, now),
    }, escalation_code(desk.key, row["mailbox"], row["number"]))
    return case


def _owed(row: Mapping[str, Any], tz: tzinfo, said: Any, now: datetime) -> list[dict[str, Any]]:
    """What LKPP owes the case now, by its timers: its status (due, or still owed after its
    deadline: the progress reminders started from it) and its next progress report; nothing
    while it waits for the requester's data."""
    if row["state"] == "awaiting_info":
        return [{"what": "paused", "due": "", "past": False}]
    status, progress = row["timers"].get("lkpp_status"), row["timers"].get("lkpp_progress")
    running = progress is not None and bool(progress["active"])
    owed = [("status", status)] if status is not None and (
        status["active"] or (status["step"] and running and progress["started_at"] == status["due_at"])) else []
    owed += [("progress", progress)] if running else []
    return [_due(what, timer["due_at"], tz, said, now) for what, timer in owed]


def _due(what: str, at: str, tz: tzinfo, said: Any, now: datetime) -> dict[str, Any]:
    due = parse_ts(at)
    return {"what": what, "due": _moment(due, tz, said, now), "past": due is not None and due <= now}


def _last_word(row: Mapping[str, Any] | None, tz: tzinfo, said: Any, now: datetime) -> dict[str, str] | None:
    if row is None:
        return None
    lines = [line for line in str(row["body"] or "").strip().splitlines() if line.strip()]
    text = " ".join(lines[:3])
    return {"at": _moment(parse_ts(row["at"]), tz, said, now), "text": text[:300] + ("…" if len(text) > 300 else "")}


def _moment(moment: datetime | None, tz: tzinfo, said: Any, now: datetime) -> str:
    return said.short_moment(moment.astimezone(tz), now.year) if moment is not None else ""


# --- directions ------------------------------------------------------------------------------


def directions(timers: Timers, tz: tzinfo, boxes: Sequence[MailboxConfig]) -> list[dict[str, Any]]:
    """The requests for direction still waiting (SPEC 6 `coordinator_direction`,
    `head_direction`), per mailbox and audience, with who that audience is."""
    found = []
    for box in boxes:
        waiting = timers.waiting_directions(box.name)
        for kind, audience, members in (("coordinator_direction", "coordinators", box.coordinators),
                                        ("head_direction", "heads", box.heads)):
            found.append({"mailbox": box.display_name, "name": box.name, "audience": audience, "members": members,
                          "tickets": [{**row, "asked": _at(row["asked"], tz), "due": _at(row["due"], tz)}
                                      for row in waiting if row["kind"] == kind]})
    return found


def _at(due: datetime, tz: tzinfo) -> str:
    return f"{due.astimezone(tz):%d-%m-%Y %H:%M}"
