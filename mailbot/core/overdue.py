"""Which deadlines a ticket has breached, and the daily digest that tells of them (SPEC 6). Pure.

`find_overdue()` reads a ticket's active timers (and the 3x24h standard from the ticket
itself) at `now`; `digest_context()` is what the daily digest to heads and coordinators
shows, and `digest_due()` says when it goes. The timers themselves (which a change starts,
what a due one does) are `deadlines`'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from mailbot.core.deadlines import check_aware, span
from mailbot.core.shown_deadlines import ShownDeadline, on_whom, shown_deadlines
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
    # not the time past the deadline (`waited`), as how long it waited
    since: datetime | None = None


def find_overdue(
    ticket: Ticket,
    timers: Iterable[Timer],
    now: datetime,
    cal: WorkCalendar,
    d: Deadlines,
) -> list[Overdue]:
    """Every breached deadline of `ticket` at `now`, from its active timers: the past ones
    of `shown_deadlines`, whose clocks run (a standard that ran out before the requester's
    documents were asked for waits with them).

    A repeating timer stays overdue after it fired, until the ticket moves on; so does a
    fired LKPP_STATUS timer the caller passes in (its progress follow-up still runs). The 3x24h
    standard is also read from the ticket itself, since a fired RESOLUTION timer is
    done: a ticket opened more than `d.resolution` hours ago that is neither resolved
    nor closed is overdue, by wall-clock time (the standard is 3x24 hours, not working time).
    """
    check_aware(now)
    result = [entry_of(ticket, e, now, cal, d) for e in breached(shown_deadlines(ticket, timers, now, cal, d))]
    return sorted(result, key=_overdue_order)


def breached(shown: Iterable[ShownDeadline]) -> list[ShownDeadline]:
    """The deadlines of `shown_deadlines` that have run out and whose clocks run: the breaches."""
    return [e for e in shown if e.past and e.at is not None and not e.stopped]


def entry_of(ticket: Ticket, breach: ShownDeadline, now: datetime, cal: WorkCalendar, d: Deadlines,
             waited: timedelta | None = None) -> Overdue:
    """The digest's entry of one breach at `now`; `waited`: how long past it the ticket is,
    where the caller measured that itself (the window, in working time)."""
    assert breach.at is not None
    return _overdue(ticket, breach.kind, breach.at, min(breach.since, now), now, cal, d, waited)


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
    named: Mapping[str, tuple[Sequence[str], int]] | None = None,
) -> dict[str, object]:
    """What the daily `digest` to heads and coordinators shows, before it is worded.

    `states`: how many tickets are in each state; `counts` holds all six; `tickets`
    lists every overdue entry, longest-breached first, with its codes and amounts: two
    lengths a coordinator must not confuse, `waited` the time past the deadline
    (working time where the deadline is, `working`) and `since_for` the wall-clock time
    since the ticket began to wait (`since`, None for an entry made without it).

    `named`: the numbers of the unclosed tickets each state counts (the longest open first)
    and how many more it holds: a coordinator answers the digest by naming tickets, and a
    day with nothing overdue must give them numbers to name too. `example` is the number
    the digest's last lines name as one: the first overdue, else the first it names.
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
    shown = _named(named or {}, counts)
    first = next((shown[state]["numbers"][0] for state in counts if state in shown), "")
    return {
        "date": now.astimezone(cal.tz).date(),
        "counts": counts,
        "named": shown,
        "example": rows[0]["number"] if rows else first,
        "total": sum(counts.values()),
        "overdue_count": len({o.number for o in overdue}),  # tickets, not breaches: one may have two
        "tickets": rows,
    }


def _named(named: Mapping[str, tuple[Sequence[str], int]], counts: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """The unclosed states' ticket numbers as the digest names them, and how many more."""
    return {state: {"numbers": list(numbers), "more": more} for state, (numbers, more) in named.items()
            if state in counts and state != str(State.CLOSED) and numbers}


def digest_due(
    last_sent_day: date | None, now: datetime, cal: WorkCalendar, at: time | None = time(8), *,
    since: datetime | None = None,
) -> bool:
    """Whether the daily digest should go now: once per working day, from `at` local time.

    `at` None means the calendar's opening time. A daemon that starts later in the working
    day still sends that day's digest; one that starts after closing time (a first start at
    22:50) sends none that night: the next working day's at `at` (SPEC 6: at
    08:00), since heads read the day's digest at work, not at night. Weekends and holidays
    have none. The very first digest (none sent yet) goes at the first `at` after mailbot
    first started on the mailbox (`since`): a digest at a first start at 11:58 would be
    empty and say nothing (the coordinator guide: the next working day at 08:00).
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
