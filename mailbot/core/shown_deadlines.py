"""The deadlines shown for a ticket now, wherever they are shown. Pure.

A staff notice's footer, the daily digest (what is past), the requester's status page and
the window's ticket page all show deadlines; each used to read the timers its own way, and
a stored timer is not always a deadline that runs: the 3x24h standard stands still while
the ticket waits for its requester's documents (seed 002, "dengan syarat kelengkapan
dokumen pendukung terpenuhi"), LKPP's status and progress wait while LKPP waits for the
requester (SOP-015 steps 7-9), a repeating reminder's row holds its next reminder, not the
deadline it reminds of, and a ticket whose solution was sent waits for its requester's
confirmation, not for the 3x24h standard (met once a solution reached them, seed 002 step
12). `shown_deadlines` is the one reading of all that: each deadline that binds someone
now, when it runs out (or how much of it is left while its clock stands still), whether it
has, and on whom it waits. `overdue.find_overdue` (the digest, `tickets --overdue`, the
window's overview) is its past part.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mailbot.core.deadlines import breach_start, check_aware, fits, paused, resolution_due
from mailbot.core.worktime import WorkCalendar
from mailbot.model import State, Ticket, Timer, TimerKind

if TYPE_CHECKING:
    from mailbot.rules import Deadlines


@dataclass(frozen=True)
class ShownDeadline:
    """One deadline of a ticket as it stands now.

    `at` is when it runs out, None while its clock stands still (`stopped`: the 3x24h
    standard while the requester's documents are awaited), with `left` of it to run once
    they come. `waits_on` names whom it binds ("staff", "LKPP", "requester",
    "coordinators", "heads"); `since` when that wait began. `closes_at`: the requester's
    data (`awaiting_info`) and their confirmation (`confirm_close`) end in the ticket's
    closing, at that moment, when nothing comes."""

    kind: TimerKind
    at: datetime | None
    past: bool
    waits_on: str
    since: datetime
    stopped: bool = False
    left: timedelta | None = None
    closes_at: datetime | None = None


_ON_WHOM = {
    TimerKind.FIRST_RESPONSE: "staff",
    TimerKind.LKPP_STATUS: "LKPP",
    TimerKind.LKPP_PROGRESS: "LKPP",
    TimerKind.AWAITING_INFO: "requester",
    TimerKind.CONFIRM_CLOSE: "requester",
    TimerKind.COORDINATOR_DIRECTION: "coordinators",
    TimerKind.HEAD_DIRECTION: "heads",
}
# whom a ticket past the 3x24h standard waits on: whoever holds it in its state
_HOLDER = {State.OPEN: "staff", State.ANSWERED: "requester", State.ESCALATED: "LKPP", State.AWAITING_INFO: "requester"}


def on_whom(kind: TimerKind, ticket: Ticket) -> str:
    """On whom a deadline waits: the party it binds, and for the 3x24h standard the one
    holding the ticket now (LKPP for an escalated ticket, staff for an open one): the
    coordinators are told of that breach, but nothing waits on them."""
    if kind is TimerKind.RESOLUTION:
        return _HOLDER.get(ticket.state, "staff")
    return _ON_WHOM[kind]


def shown_deadlines(ticket: Ticket, timers: Iterable[Timer], now: datetime, cal: WorkCalendar,
                    d: Deadlines) -> tuple[ShownDeadline, ...]:
    """The deadlines of `ticket` at `now`, soonest first (a stopped clock last): from its
    running `timers` (those that no longer fit its state, and LKPP's while LKPP waits for
    the requester, left out) and the 3x24h standard read from the ticket itself (SPEC 6
    `resolution`: from its opening, its waits for documents left out, met once a solution
    was sent). `d` is the ticket's priority's deadlines. A kind given twice (a fired LKPP
    status request beside its progress reminders) counts from its earliest; LKPP's progress
    is no deadline of its own while the status it follows is past."""
    check_aware(now)
    return shown_at(standing(ticket, timers, cal, d), now)


def standing(ticket: Ticket, timers: Iterable[Timer], cal: WorkCalendar, d: Deadlines) -> tuple[ShownDeadline, ...]:
    """The deadlines of `ticket` as it and its timers stand, whatever the time: each one's
    `past` is its own only where its clock stands still; `shown_at` reads them at a moment.
    A reader that keeps them (the window, for thousands of open tickets) asks only that."""
    found = _of_timers(ticket, timers, cal, d)
    standard = _standard(ticket, d)
    return (*found.values(), standard) if standard is not None else tuple(found.values())


def shown_at(found: Iterable[ShownDeadline], now: datetime) -> tuple[ShownDeadline, ...]:
    """`standing`'s deadlines as they are at `now`: which have run out, LKPP's progress
    dropped while the status it follows is past, soonest first."""
    at_now = {e.kind: e if e.stopped or e.at is None else replace(e, past=e.at <= now) for e in found}
    if TimerKind.LKPP_STATUS in at_now and at_now[TimerKind.LKPP_STATUS].past:
        at_now.pop(TimerKind.LKPP_PROGRESS, None)
    return tuple(sorted(at_now.values(), key=_order))


def _of_timers(ticket: Ticket, timers: Iterable[Timer], cal: WorkCalendar,
               d: Deadlines) -> dict[TimerKind, ShownDeadline]:
    """The deadline of each kind of running timer that binds someone, its earliest."""
    found: dict[TimerKind, ShownDeadline] = {}
    for timer in timers:
        if timer.kind is TimerKind.RESOLUTION or not fits(timer.kind, ticket, timer.started_at) \
                or paused(timer.kind, ticket):
            continue
        entry = _of_timer(timer, ticket, cal, d)
        earlier = found.get(timer.kind)
        if earlier is None or (entry.at is not None and earlier.at is not None and entry.at < earlier.at):
            found[timer.kind] = entry
    return found


def _of_timer(timer: Timer, ticket: Ticket, cal: WorkCalendar, d: Deadlines) -> ShownDeadline:
    at = breach_start(timer, cal, d)
    closes = None
    if timer.kind is TimerKind.AWAITING_INFO:  # reminded after `awaiting_info_remind`, closed after `_close`
        closes = timer.due_at if timer.step > 0 else cal.add_working_days(timer.started_at, d.awaiting_info_close)
    elif timer.kind is TimerKind.CONFIRM_CLOSE:
        closes = timer.due_at
    return ShownDeadline(timer.kind, at, False, on_whom(timer.kind, ticket), timer.started_at, closes_at=closes)


def _standard(ticket: Ticket, d: Deadlines) -> ShownDeadline | None:
    """The 3x24h standard, read from the ticket (its timer's row holds the next look of a
    sweep, not the deadline): running, or stopped while the requester's documents are
    awaited with what is left of it (past already, when it ran out before they were asked for)."""
    if not fits(TimerKind.RESOLUTION, ticket):
        return None
    waits_on = on_whom(TimerKind.RESOLUTION, ticket)
    if ticket.waiting_since is not None:
        ran_out = ticket.created_at + timedelta(hours=d.resolution) + ticket.waited
        left = ran_out - ticket.waiting_since
        if left <= timedelta(0):
            return ShownDeadline(TimerKind.RESOLUTION, ran_out, True, waits_on, ticket.created_at, stopped=True,
                                 left=timedelta(0))
        return ShownDeadline(TimerKind.RESOLUTION, None, False, waits_on, ticket.created_at, stopped=True, left=left)
    at = resolution_due(ticket, d)
    assert at is not None  # it runs: nothing is awaited
    return ShownDeadline(TimerKind.RESOLUTION, at, False, waits_on, ticket.created_at)


def _order(entry: ShownDeadline) -> tuple[int, datetime, int]:
    return (1 if entry.at is None else 0, entry.at or entry.since, list(TimerKind).index(entry.kind))
