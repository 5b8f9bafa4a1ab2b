"""Which deadlines a ticket has breached, and the daily digest that tells of them (SPEC 6). Pure.

`find_overdue()` reads a ticket's active timers (and the 3x24h standard from the ticket
itself) at `now`; `digest_context()` is what the daily digest to heads and coordinators
shows, and `digest_due()` says when it goes. The timers themselves (which a change starts,
what a due one does) are `deadlines`'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from mailbot.core.deadlines import check_aware, fits, paused, resolution_due, span
from mailbot.core.worktime import WorkCalendar
from mailbot.model import State, Ticket, Timer, TimerKind

if TYPE_CHECKING:
    from mailbot.rules import Deadlines


@dataclass(frozen=True)
class Overdue:
    """One breached deadline of one ticket, as the digest and `tickets --overdue` show it."""

    number: str
    subject: str
    state: str
    kind: TimerKind
    due_at: datetime  # when the breach began
    waited: timedelta  # working time since `due_at`; wall-clock time for the 3x24h standard
    on_whom: str  # "staff" | "LKPP" | "requester": whom the ticket waits on (`on_whom`)
    span: float  # the deadline it breached, in its unit (working hours, working days, hours)
    reopened: bool = False  # a response owed again since the ticket was reopened (FIRST_RESPONSE)
    # since when the ticket waits on `on_whom` (its opening, reopening, escalation, LKPP's last
    # mail, the data request, the solution): a coordinator reads "waiting since Wednesday 21:40",
    # not the time past the deadline (`waited`), as how long it waited (issue 45)
    since: datetime | None = None


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
    """On whom an overdue ticket waits: the party the breached deadline binds, and for the
    3x24h standard the one holding the ticket now (LKPP for an escalated ticket, staff for
    an open one): the coordinators are told of that breach, but nothing waits on them."""
    if kind is TimerKind.RESOLUTION:
        return _HOLDER.get(ticket.state, "staff")
    return _ON_WHOM[kind]


def breach_start(timer: Timer, cal: WorkCalendar, d: Deadlines) -> datetime:
    """When the breach of `timer` began: its first due time, whatever it has fired since."""
    match timer.kind:
        case TimerKind.FIRST_RESPONSE:
            return cal.add_working_hours(timer.started_at, d.first_response)
        case TimerKind.LKPP_PROGRESS:
            return cal.add_working_days(timer.started_at, d.lkpp_progress)
        case TimerKind.AWAITING_INFO:
            return cal.add_working_days(timer.started_at, d.awaiting_info_remind)
    return timer.due_at


@dataclass(frozen=True)
class DeadlineBreach:
    """A deadline of a ticket that is breached from `start` on, as the ticket and its timers
    stand: whether it is yet is a matter of `now` alone (`breached_at`)."""

    kind: TimerKind
    start: datetime  # when the breach begins
    since: datetime  # since when the ticket waits (the timer's start; the opening for the 3x24h standard)


def breaches(ticket: Ticket, timers: Iterable[Timer], cal: WorkCalendar, d: Deadlines) -> tuple[DeadlineBreach, ...]:
    """Every deadline `ticket` breaches now or will breach if nothing changes: per kind the
    earliest of its timers', then the 3x24h standard read from the ticket itself. None of it
    depends on the time, so a reader that keeps it (the window) asks `breached_at` for `now`."""
    found: dict[TimerKind, DeadlineBreach] = {}
    for timer in timers:
        if not fits(timer.kind, ticket, timer.started_at) or paused(timer.kind, ticket):
            continue  # stale, or LKPP waiting for the requester: not LKPP's breach
        start = breach_start(timer, cal, d)
        if timer.kind not in found or start < found[timer.kind].start:
            found[timer.kind] = DeadlineBreach(timer.kind, start, timer.started_at)
    standard = resolution_due(ticket, d)  # None: it waits for the requester's documents
    if fits(TimerKind.RESOLUTION, ticket) and standard is not None:
        # the standard counts from the opening; a timer's own breach of it comes first
        return (*found.values(), DeadlineBreach(TimerKind.RESOLUTION, standard, ticket.created_at))
    return tuple(found.values())


def breached_at(found: Iterable[DeadlineBreach], now: datetime) -> dict[TimerKind, DeadlineBreach]:
    """The breaches of `breaches` that have begun at `now`, one per kind (the first listed)."""
    chosen: dict[TimerKind, DeadlineBreach] = {}
    for breach in found:
        if breach.start <= now and breach.kind not in chosen:
            chosen[breach.kind] = breach
    if TimerKind.LKPP_STATUS in chosen:
        # the progress reminders follow a status request LKPP has still not answered:
        # one breach, counted from the status deadline
        chosen.pop(TimerKind.LKPP_PROGRESS, None)
    return chosen


def find_overdue(
    ticket: Ticket,
    timers: Iterable[Timer],
    now: datetime,
    cal: WorkCalendar,
    d: Deadlines,
) -> list[Overdue]:
    """Every breached deadline of `ticket` at `now`, from its active timers.

    A repeating timer stays overdue after it fired, until the ticket moves on; so does a
    fired LKPP_STATUS timer the caller passes in (its progress follow-up still runs). The 3x24h
    standard is also read from the ticket itself, since a fired RESOLUTION timer is
    done: a ticket opened more than `d.resolution` hours ago that is neither resolved
    nor closed is overdue, by wall-clock time (the standard is 3x24 hours, not working time).
    """
    check_aware(now)
    chosen = breached_at(breaches(ticket, timers, cal, d), now)
    result = [entry_of(ticket, b, now, cal, d) for b in chosen.values()]
    return sorted(result, key=_overdue_order)


def entry_of(ticket: Ticket, breach: DeadlineBreach, now: datetime, cal: WorkCalendar, d: Deadlines,
             waited: timedelta | None = None) -> Overdue:
    """The digest's entry of one breach that has begun at `now`; `waited`: how long past it
    the ticket is, where the caller measured that itself (the window, in working time)."""
    return _overdue(ticket, breach.kind, breach.start, min(breach.since, now), now, cal, d, waited)


def _overdue(ticket: Ticket, kind: TimerKind, due: datetime, since: datetime, now: datetime, cal: WorkCalendar,
             d: Deadlines, waited: timedelta | None = None) -> Overdue:
    if waited is None:
        waited = cal.working_time_between(due, now) if waits_in_working_time(kind) else now - due
    reopened = kind is TimerKind.FIRST_RESPONSE and ticket.first_response_at is not None
    return Overdue(ticket.number, ticket.subject, str(ticket.state), kind, due, waited, on_whom(kind, ticket),
                   span(kind, d), reopened, since)


def waits_in_working_time(kind: TimerKind) -> bool:
    """Whether an overdue entry's waiting is working time, told in working days: every
    deadline but the 3x24h standard, which is wall-clock time, told in hours."""
    return kind is not TimerKind.RESOLUTION


def digest_context(
    states: Mapping[str, int],
    overdue: list[Overdue],
    now: datetime,
    cal: WorkCalendar,
) -> dict[str, object]:
    """What the daily `digest` to heads and coordinators shows, before it is worded.

    `states`: how many tickets are in each state; `counts` holds all six; `tickets`
    lists every overdue entry, longest-breached first, with its codes and amounts: two
    lengths a coordinator must not confuse (issue 45), `waited` the time past the deadline
    (working time where the deadline is, `working`) and `since_for` the wall-clock time
    since the ticket began to wait (`since`, None for an entry made without it).
    """
    check_aware(now)
    counts = {str(state): states.get(str(state), 0) for state in State}
    rows = [
        {
            "number": o.number,
            "subject": o.subject,
            "state": o.state,
            "waited": o.waited,
            "working": waits_in_working_time(o.kind),
            "since": o.since.astimezone(cal.tz) if o.since is not None else None,
            "since_for": now - o.since if o.since is not None else None,
            "on_whom": o.on_whom,
            "kind": str(o.kind),
            "span": o.span,
            "reopened": o.reopened,
            "due": o.due_at.astimezone(cal.tz).strftime("%d-%m-%Y %H:%M"),
        }
        for o in sorted(overdue, key=_overdue_order)
    ]
    return {
        "date": now.astimezone(cal.tz).date(),
        "counts": counts,
        "total": sum(counts.values()),
        "overdue_count": len({o.number for o in overdue}),  # tickets, not breaches: one may have two
        "tickets": rows,
    }


def digest_due(
    last_sent_day: date | None, now: datetime, cal: WorkCalendar, at: time | None = time(8), *,
    since: datetime | None = None,
) -> bool:
    """Whether the daily digest should go now: once per working day, from `at` local time.

    `at` None means the calendar's opening time. A daemon that starts later in the working
    day still sends that day's digest; one that starts after closing time (a first start at
    22:50, issue 45) sends none that night: the next working day's at `at` (SPEC 6: at
    08:00), since heads read the day's digest at work, not at night. Weekends and holidays
    have none. The very first digest (none sent yet) goes at the first `at` after mailbot
    first started on the mailbox (`since`): a digest at a first start at 11:58 would be
    empty and say nothing (issue 59; the coordinator guide: the next working day at 08:00).
    A `since` later than `now` (a clock set back) holds nothing back.
    """
    check_aware(now)
    local = now.astimezone(cal.tz)
    today = local.date()
    if not cal.is_working_day(today):
        return False
    if last_sent_day is not None and last_sent_day >= today:
        return False
    start = cal.opens_on(today) if at is None else at
    if last_sent_day is None and since is not None and datetime.combine(today, start, cal.tz) <= since <= now:
        return False
    closes = cal.closes_on(today)
    return start <= local.time() and (local.time() < closes or start >= closes)


def _overdue_order(o: Overdue) -> tuple[datetime, str, int]:
    return o.due_at, o.number, list(TimerKind).index(o.kind)
