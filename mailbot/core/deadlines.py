"""SLA timers: which deadlines a ticket change starts or stops, and what a due one does.

This module owns the deadline rules of SPEC section 6. It is pure: the ticket before and
after a decision, `now`, the working calendar and the priority's `Deadlines` go in;
timers to (re)start or stop, and the mails and history a due timer causes, come out.
Nothing here reads the clock, a database or a server; the daemon stores the timers and
puts a firing's mail in the outbox in the same transaction, so each breach notice is
sent once and survives restarts.

* `plan()` is called after every decision and answers "which timers change?".
* `fire()` is called by the sweep for a stored timer whose `due_at <= now`.
* which deadlines a ticket has breached, and the daily digest of them, is `overdue`'s.

Deadlines in working time follow `WorkCalendar`; only `resolution` (the 3x24h service
standard of seed 002) is wall-clock time, and it stands still while the ticket waits for
its requester's documents (seed 002: "dengan syarat kelengkapan dokumen pendukung
terpenuhi"; `Ticket.waited`, `resolution_due`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mailbot.core.intake_form import HeldForm
from mailbot.core.worktime import WorkCalendar
from mailbot.model import (
    AUTO_GENERATED,
    Audience,
    HistoryEvent,
    Send,
    State,
    Ticket,
    Timer,
    TimerKind,
)

if TYPE_CHECKING:
    from mailbot.rules import Deadlines

ACTOR = "mailbot"

_LKPP_TIMERS = (TimerKind.LKPP_STATUS, TimerKind.LKPP_PROGRESS)
_REOPENED_FROM = (State.RESOLVED, State.CLOSED)  # back to `open`: staff owe a response again
_WITH_LKPP = (State.ESCALATED, State.AWAITING_INFO)  # states in which LKPP holds the ticket


@dataclass(frozen=True)
class TimerPlan:
    """Timers to (re)start, each replacing an active one of its kind, and kinds to stop."""

    set: tuple[Timer, ...] = ()
    clear: tuple[TimerKind, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.set and not self.clear


@dataclass(frozen=True)
class Firing:
    """What one due timer causes.

    `next_due` None means the timer is done. `close` asks the caller to close the
    ticket (and then to call `plan()`, which stops every other timer). `follow` is a
    timer the caller must start in the same transaction (LKPP_PROGRESS after
    LKPP_STATUS).
    """

    sends: tuple[Send, ...]
    events: tuple[HistoryEvent, ...]
    next_due: datetime | None
    close: bool = False
    follow: Timer | None = None
    postponed: bool = False  # not fired at all: due later (`next_due`), at the same step


# --- plan ----------------------------------------------------------------------------------


def plan(
    old: Ticket | None,
    new: Ticket,
    lkpp_message: bool,
    now: datetime,
    cal: WorkCalendar,
    d: Deadlines,
    *,
    active: Collection[TimerKind] | None = None,
    data_requested: bool = False,
    running: Mapping[TimerKind, Timer] | None = None,
    told: Collection[str] = (),
    asked: Collection[str] = (), answered: Collection[str] = (),
) -> TimerPlan:
    """The timers a decision starts and stops (SPEC section 6).

    `old` is the ticket before the decision (None for a new ticket), `lkpp_message`
    whether the inbound message was an authenticated LKPP message. `active`, when
    given, names the kinds already running; it is only needed to make sure an LKPP
    timer runs when a ticket goes back from `awaiting_info` to `escalated`.
    `data_requested`: the decision relays a request for data to the requester, which
    starts the AWAITING_INFO clock afresh even while it already runs (a second request).
    `running`, when given, holds the active timers: a priority change moves a
    FIRST_RESPONSE deadline that has not fired yet to the new priority's, from its start.

    A new ticket's FIRST_RESPONSE and RESOLUTION start when it was opened (`created_at`,
    its mail's arrival), which may be before `now` when the daemon was down.

    A ticket back in `open` from `resolved` or `closed` owes staff a response again:
    FIRST_RESPONSE starts anew (its notices say the ticket was reopened); RESOLUTION
    is not restarted, since the 3x24h standard counts from the ticket's opening. A
    closed ticket reopened (E5) takes it up again from there (`told`: the timers whose
    breach notice already went out on the ticket), so one reopened past it is told to the
    coordinators once, as the digest shows it.

    `asked` (SOP-004 section 1 steps 5, 7): "coordinators" (`#koordinator`), "heads"
    (`#lapor-kepala`): the COORDINATOR_DIRECTION / HEAD_DIRECTION clock starts; `answered`
   : the audiences whose own answer the decision brought: their clock stops.
    """
    check_aware(now)
    change = _Change(old, new, old.state if old else None, new.state, lkpp_message, now, cal, d,
                     active, data_requested, running or {}, told, tuple(asked), tuple(answered))
    changes = _Changes()
    if change.after is State.CLOSED:
        if change.before is not State.CLOSED:
            changes.stop(*TimerKind)  # closing ends every deadline, RESOLUTION too
        return changes.result()
    for rule in _PLAN_RULES:  # in order: a later rule's word on a kind wins
        rule(changes, change)
    return changes.result()


@dataclass(frozen=True)
class _Change:
    """One decision's ticket change, as the timer rules of `plan` read it."""

    old: Ticket | None
    new: Ticket
    before: State | None
    after: State
    lkpp_message: bool
    now: datetime
    cal: WorkCalendar
    d: Deadlines
    active: Collection[TimerKind] | None
    data_requested: bool
    running: Mapping[TimerKind, Timer]
    told: Collection[str]
    asked: tuple[str, ...] = ()
    answered: tuple[str, ...] = ()


def resolution_due(ticket: Ticket, d: Deadlines) -> datetime | None:
    """When the 3x24h standard of `ticket` runs out (SPEC 6): `d.resolution` hours of
    wall-clock time from its opening, its waits for the requester's documents left out;
    None while it waits for them now (the clock stands still)."""
    if ticket.waiting_since is not None:
        return None
    return ticket.created_at + timedelta(hours=d.resolution) + ticket.waited


def _resolution_opened(changes: _Changes, c: _Change) -> None:
    """A new ticket's 3x24h standard runs from its mail's arrival (`lifecycle.opened_at`)."""
    if c.old is None:
        opened = min(c.new.created_at, c.now)
        changes.start(TimerKind.RESOLUTION, opened, opened + timedelta(hours=c.d.resolution))


def _resolution_resumed(changes: _Changes, c: _Change) -> None:
    """The requester's documents came (or staff moved on): the 3x24h clock runs again, its
    deadline later by the wait. A breach already told stays told."""
    running = c.running.get(TimerKind.RESOLUTION)
    due = resolution_due(c.new, c.d)
    if (c.old is not None and c.old.waiting_since is not None and due is not None and running is not None
            and running.step == 0):
        changes.start(TimerKind.RESOLUTION, running.started_at, due)


def _first_response_owed(changes: _Changes, c: _Change) -> None:
    """FIRST_RESPONSE is owed from the opening, or again from a reopening."""
    if (c.old is None or c.before is State.CLOSED) and c.new.first_response_at is None:
        begun = min(c.new.created_at, c.now) if c.old is None else c.now
        changes.start(TimerKind.FIRST_RESPONSE, begun, c.cal.add_working_hours(begun, c.d.first_response))
    elif c.before in _REOPENED_FROM and c.after is State.OPEN:
        # the solution did not solve it (E4) or the ticket came back (E5): waiting for
        # staff again (SPEC 4 `open`), with the same response deadline and reminders
        changes.start(TimerKind.FIRST_RESPONSE, c.now, c.cal.add_working_hours(c.now, c.d.first_response))


def _first_response_repriced(changes: _Changes, c: _Change) -> None:
    """SPEC 6: first_response per priority; `#prioritas` corrects the guessed one, and a
    deadline that has not fired yet moves to the new priority's, from its start."""
    waiting = c.running.get(TimerKind.FIRST_RESPONSE)
    if c.old is None or c.old.priority == c.new.priority or waiting is None or waiting.step != 0:
        return
    if c.after is State.OPEN and c.new.first_response_at is None:
        begun = waiting.started_at
        changes.start(TimerKind.FIRST_RESPONSE, begun, c.cal.add_working_hours(begun, c.d.first_response))


def _first_response_answered(changes: _Changes, c: _Change) -> None:
    """Staff's answer ends FIRST_RESPONSE, on a reopened ticket too."""
    if c.old is None:
        return
    if c.old.first_response_at is None and c.new.first_response_at is not None:
        changes.stop(TimerKind.FIRST_RESPONSE)
    elif c.old.first_response_at is not None and c.before is State.OPEN and c.after is not State.OPEN:
        changes.stop(TimerKind.FIRST_RESPONSE)  # staff answered the reopened ticket


def _state_changed(changes: _Changes, c: _Change) -> None:
    """The timers that entering the new state and leaving the old one start and stop."""
    if c.before is not c.after:
        _state_timers(changes, c.before, c.after, c.now, c.cal, c.d, c.active)


def _data_requested_again(changes: _Changes, c: _Change) -> None:
    """SPEC 6: the clock starts at each LKPP request relayed, the second one too."""
    if c.before is c.after and c.data_requested and c.after is State.AWAITING_INFO:
        changes.start(TimerKind.AWAITING_INFO, c.now, c.cal.add_working_days(c.now, c.d.awaiting_info_remind))


def _resolution_reopened(changes: _Changes, c: _Change) -> None:
    """Seed 002: closing stopped the 3x24h clock; reopened, the ticket is measured by it
    again (the digest and reports do), and a breach reaches the coordinators once (`told`)."""
    due = resolution_due(c.new, c.d)
    if c.before is State.CLOSED and str(TimerKind.RESOLUTION) not in c.told and due is not None:
        changes.start(TimerKind.RESOLUTION, c.new.created_at, due)


def _resolution_rejected(changes: _Changes, c: _Change) -> None:
    """The 3x24h standard ran out while the solution stood, and the solution was rejected:
    the coordinators are told now (once), not at the timer's next daily look."""
    waited = c.running.get(TimerKind.RESOLUTION)
    due = resolution_due(c.new, c.d)
    if (c.before is State.RESOLVED and c.after is not State.RESOLVED and waited is not None and waited.step > 0
            and due is not None):
        changes.start(TimerKind.RESOLUTION, waited.started_at, due)


def _lkpp_progress(changes: _Changes, c: _Change) -> None:
    """SOP-015 step 14: each LKPP message restarts the daily progress clock."""
    if c.lkpp_message and c.before in _WITH_LKPP and c.after in _WITH_LKPP:
        changes.stop(TimerKind.LKPP_STATUS)
        changes.start(TimerKind.LKPP_PROGRESS, c.now, c.cal.add_working_days(c.now, c.d.lkpp_progress))


_DIRECTION_TIMERS = {"coordinators": TimerKind.COORDINATOR_DIRECTION, "heads": TimerKind.HEAD_DIRECTION}


def _direction(changes: _Changes, c: _Change) -> None:
    """SOP-004 section 1 steps 5, 7: the case sent for direction waits a working day (by
    default) for the word of those asked; their own word stops their clock, no one else's."""
    changes.stop(*(_DIRECTION_TIMERS[a] for a in c.answered if a in _DIRECTION_TIMERS))
    for audience in (a for a in c.asked if a in _DIRECTION_TIMERS):
        changes.start(_DIRECTION_TIMERS[audience], c.now, c.cal.add_working_days(c.now, c.d.coordinator_direction))


# The timer rules of a decision that does not close the ticket, in the order they speak.
_PLAN_RULES: tuple[Callable[[_Changes, _Change], None], ...] = (
    _resolution_opened,
    _first_response_owed,
    _first_response_repriced,
    _first_response_answered,
    _state_changed,
    _resolution_resumed,
    _data_requested_again,
    _resolution_reopened,
    _resolution_rejected,
    _lkpp_progress,
    _direction,
)


def _state_timers(
    changes: _Changes,
    before: State | None,
    after: State,
    now: datetime,
    cal: WorkCalendar,
    d: Deadlines,
    active: Collection[TimerKind] | None,
) -> None:
    """The timers that entering `after` and leaving `before` start and stop."""
    if after is State.ESCALATED:
        _escalated(changes, before, now, cal, d, active)
    if after is State.AWAITING_INFO:
        changes.start(
            TimerKind.AWAITING_INFO, now, cal.add_working_days(now, d.awaiting_info_remind)
        )
    if before is State.AWAITING_INFO:
        changes.stop(TimerKind.AWAITING_INFO)
    if after is State.RESOLVED:
        # Seed 002 step 12: the requester confirms closing, or the ticket closes by itself.
        changes.start(TimerKind.CONFIRM_CLOSE, now, cal.add_working_days(now, d.confirm_close))
    if before is State.RESOLVED:
        changes.stop(TimerKind.CONFIRM_CLOSE)
    if before in _WITH_LKPP and after not in _WITH_LKPP:
        changes.stop(*_LKPP_TIMERS)


def _escalated(changes: _Changes, before: State | None, now: datetime, cal: WorkCalendar, d: Deadlines,
               active: Collection[TimerKind] | None) -> None:
    """Entering `escalated`: LKPP owes a status, or progress once it has the data it asked for."""
    if before is not State.AWAITING_INFO:
        # SOP-015 step 12: LKPP owes a status within 2 working days of escalation.
        changes.start(TimerKind.LKPP_STATUS, now, cal.add_working_days(now, d.lkpp_status))
        changes.stop(TimerKind.LKPP_PROGRESS)
    elif active is None or TimerKind.LKPP_STATUS not in active:
        # The data LKPP asked for reaches it (SOP-015 step 9): its day to report
        # progress runs from the data, not from its request (a reminder minutes after
        # the data went out asked for progress on data it had just received). A status
        # LKPP still owes (`active` names LKPP_STATUS) keeps its deadline.
        changes.start(TimerKind.LKPP_PROGRESS, now, cal.add_working_days(now, d.lkpp_progress))


class _Changes:
    """Accumulates starts and stops; the last word on a kind wins."""

    def __init__(self) -> None:
        self._set: dict[TimerKind, Timer] = {}
        self._clear: dict[TimerKind, None] = {}

    def start(self, kind: TimerKind, now: datetime, due: datetime) -> None:
        self._clear.pop(kind, None)
        self._set[kind] = Timer(kind, now, due)

    def stop(self, *kinds: TimerKind) -> None:
        for kind in kinds:
            self._set.pop(kind, None)
            self._clear[kind] = None

    def result(self) -> TimerPlan:
        return TimerPlan(tuple(self._set.values()), tuple(self._clear))


# --- fire ----------------------------------------------------------------------------------


def fire(timer: Timer, ticket: Ticket, now: datetime, cal: WorkCalendar, d: Deadlines) -> Firing:
    """What the due `timer` of `ticket` sends and records at `now` (SPEC section 6).

    Repeating timers keep their phase but skip every occurrence up to `now`, so a
    daemon that was down for days sends one notice, not a burst, and the next one no
    sooner than half their interval later (`_next_notice`). A timer that no longer
    fits the ticket's state is dropped with a `timer_dropped` event and sends nothing,
    which makes stale timer rows harmless. LKPP timers pause while the ticket is
    `awaiting_info` (LKPP waits for the requester then): they send nothing and come
    back the next working day.
    """
    check_aware(now)
    moved = _due_by_todays_calendar(timer, cal, d)
    if moved is not None and moved > now and moved > timer.due_at:
        # a holiday the operator added since the timer was set (extra_holidays: cuti
        # bersama announced late) falls within its span: the deadline moves with it
        return Firing((), (), moved, postponed=True)
    if paused(timer.kind, ticket):
        # the 3x24h standard keeps its step: not fired, only looked at again later
        return Firing((), (), _next_after(timer.due_at, now, cal, d.lkpp_progress),
                      postponed=timer.kind is TimerKind.RESOLUTION)
    if timer.kind is TimerKind.RESOLUTION and ticket.state is State.RESOLVED:
        # met while the solution stands; rejected (E4), the ticket is past it after all:
        # kept, and looked at again each working day until the ticket closes
        return Firing((), (), _next_after(timer.due_at, now, cal, 1))
    if not fits(timer.kind, ticket, timer.started_at):
        detail: dict[str, object] = {
            "timer": str(timer.kind),
            "step": timer.step,
            "state": str(ticket.state),
        }
        return Firing((), (HistoryEvent("timer_dropped", ACTOR, detail),), None)
    return _FIRE[timer.kind](timer, ticket, now, cal, d)


def _due_by_todays_calendar(timer: Timer, cal: WorkCalendar, d: Deadlines) -> datetime | None:
    """A deadline counted in working time, as the calendar counts it now; None for the 3x24h
    standard (wall-clock hours). A first deadline is counted again from its start (the
    auto-close after a data request from the request); a repeat, whose phase is not kept,
    due on a day that is no longer a working day moves to the same hour of the next one."""
    if timer.kind is TimerKind.RESOLUTION:
        return None
    if timer.step == 0:
        if timer.kind is TimerKind.FIRST_RESPONSE:
            return cal.add_working_hours(timer.started_at, d.first_response)
        return cal.add_working_days(timer.started_at, span(timer.kind, d))
    if timer.kind is TimerKind.AWAITING_INFO:
        return max(timer.due_at, cal.add_working_days(timer.started_at, d.awaiting_info_close))
    day = timer.due_at.astimezone(cal.tz).date()
    if cal.is_working_day(day):
        return None
    offset = timer.due_at - datetime.combine(day, cal.opens_on(day), tzinfo=cal.tz)
    return cal.add_working_time(cal.start_of_working_day(day), max(offset, timedelta(0)))


def breach_start(timer: Timer, cal: WorkCalendar, d: Deadlines) -> datetime:
    """When `timer`'s deadline runs out: its first due time, whatever it has fired since (a
    repeating reminder's row holds its next reminder, the closing after a data request's
    reminder its closing)."""
    match timer.kind:
        case TimerKind.FIRST_RESPONSE:
            return cal.add_working_hours(timer.started_at, d.first_response)
        case TimerKind.LKPP_PROGRESS:
            return cal.add_working_days(timer.started_at, d.lkpp_progress)
        case TimerKind.AWAITING_INFO:
            return cal.add_working_days(timer.started_at, d.awaiting_info_remind)
    return timer.due_at


def paused(kind: TimerKind, ticket: Ticket) -> bool:
    """Whether a timer of `kind` waits without being late: LKPP's status and progress
    while LKPP waits for the requester's data (`awaiting_info`, SOP-015 steps 7-9), and
    the 3x24h standard while anyone does (seed 002; the plan moves it on when they answer)."""
    if kind is TimerKind.RESOLUTION:
        return ticket.waiting_since is not None
    return kind in _LKPP_TIMERS and ticket.state is State.AWAITING_INFO


def fits(kind: TimerKind, ticket: Ticket, started: datetime | None = None) -> bool:
    """Whether a timer of `kind` (started at `started`) still means something for the
    ticket as it is now."""
    match kind:
        case TimerKind.FIRST_RESPONSE:  # owed since it started: never answered, or reopened since
            answered = ticket.first_response_at
            return ticket.state is State.OPEN and (answered is None or started is not None and started > answered)
        case TimerKind.LKPP_STATUS | TimerKind.LKPP_PROGRESS:
            return ticket.state in _WITH_LKPP
        case TimerKind.AWAITING_INFO:
            return ticket.state is State.AWAITING_INFO
        case TimerKind.CONFIRM_CLOSE:
            return ticket.state is State.RESOLVED
        case TimerKind.RESOLUTION:  # seed 002: met once a solution reached the requester
            return ticket.state not in (State.RESOLVED, State.CLOSED)
        case TimerKind.COORDINATOR_DIRECTION | TimerKind.HEAD_DIRECTION:  # until the ticket closes
            return ticket.state is not State.CLOSED
    return False  # pragma: no cover - every kind is matched above


def _fire_first_response(
    timer: Timer, ticket: Ticket, now: datetime, cal: WorkCalendar, d: Deadlines
) -> Firing:
    """No (first) answer from staff since the ticket was opened or reopened: staff and
    coordinators, again each working day."""
    waited = cal.working_time_between(timer.started_at, now)
    context: dict[str, object] = {
        "timer": str(timer.kind),
        "due": _iso(breach_start(timer, cal, d), cal),  # the deadline missed, not this reminder's time
        "hours_waited": round(waited / timedelta(hours=1)),
        "reopened": ticket.first_response_at is not None,
    }
    send = Send(
        "overdue_staff",
        Audience.STAFF,
        cc=(Audience.COORDINATORS,),
        auto=AUTO_GENERATED,
        context=context,
    )
    return Firing((send,), (_fired(timer, cal),), _next_notice(timer.due_at, now, cal, 1))


def _fire_lkpp_status(
    timer: Timer, ticket: Ticket, now: datetime, cal: WorkCalendar, d: Deadlines
) -> Firing:
    """SOP-015 step 12: no status from LKPP within 2 working days of escalation.

    LKPP is asked for a status (staff and coordinators in copy) and the requester told;
    from then on the progress reminder of step 14 takes over (`follow`).
    """
    context: dict[str, object] = {
        "timer": str(timer.kind),
        "due": _iso(timer.due_at, cal),
        "days": _number(d.lkpp_status),
    }
    sends = (
        Send(
            "overdue_lkpp",
            Audience.LKPP,
            cc=(Audience.STAFF, Audience.COORDINATORS),
            auto=AUTO_GENERATED,
            context=context,
        ),
        Send(
            "status_user",
            Audience.REQUESTER,
            auto=AUTO_GENERATED,
            context={"timer": str(timer.kind)},
        ),
    )
    follow = Timer(
        TimerKind.LKPP_PROGRESS, timer.due_at, _next_notice(timer.due_at, now, cal, d.lkpp_progress)
    )
    return Firing(sends, (_fired(timer, cal),), None, follow=follow)


def _fire_lkpp_progress(
    timer: Timer, ticket: Ticket, now: datetime, cal: WorkCalendar, d: Deadlines
) -> Firing:
    """SOP-015 step 14: LKPP reports progress every working day; remind it when it does not."""
    send = Send(
        "remind_lkpp",
        Audience.LKPP,
        auto=AUTO_GENERATED,
        context={"timer": str(timer.kind), "due": _iso(breach_start(timer, cal, d), cal)},
    )
    return Firing(
        (send,), (_fired(timer, cal),), _next_notice(timer.due_at, now, cal, d.lkpp_progress)
    )


def _fire_awaiting_info(
    timer: Timer, ticket: Ticket, now: datetime, cal: WorkCalendar, d: Deadlines
) -> Firing:
    """A request for data unanswered: remind the requester, then close (SOP-015 steps 7-9;
    the unit's own request, E12g, alike, in the unit's name: `by_unit`).

    A reminder sent late (the daemon was down) still leaves the requester the usual time
    between reminder and closing, counted from the reminder: not the minutes left of the
    closing deadline, nor none once that passed too.
    """
    if timer.step == 0:
        close_at = max(cal.add_working_days(timer.started_at, d.awaiting_info_close),
                       cal.add_working_days(now, d.awaiting_info_close - d.awaiting_info_remind))
        context: dict[str, object] = {
            "timer": str(timer.kind),
            "close_days": _number(d.awaiting_info_close),
            "close_at": _iso(close_at, cal),
            **_asked_by_unit(ticket),
        }
        send = Send("remind_user", Audience.REQUESTER, auto=AUTO_GENERATED, context=context)
        return Firing((send,), (_fired(timer, cal),), close_at)
    sends = (
        Send("closed", Audience.REQUESTER, auto=AUTO_GENERATED,
             context={"reason": "no_info", **_asked_by_unit(ticket)}),
        Send(
            "staff_update",
            Audience.STAFF,
            auto=AUTO_GENERATED,
            context={"event": "auto_closed", "reason": "no_info"},
        ),
    )
    return Firing(sends, (_fired(timer, cal), _closed(ticket)), None, close=True)


def _asked_by_unit(ticket: Ticket) -> dict[str, object]:
    """The templates' word that the unit asked for the data in its own name (E12g), not LKPP."""
    return {"by_unit": True} if ticket.info_asked_by == "unit" else {}


def _fire_confirm_close(
    timer: Timer, ticket: Ticket, now: datetime, cal: WorkCalendar, d: Deadlines
) -> Firing:
    """Seed 002 step 12: a solution the requester does not answer closes the ticket."""
    send = Send(
        "closed", Audience.REQUESTER, auto=AUTO_GENERATED, context={"reason": "no_confirmation"}
    )
    return Firing((send,), (_fired(timer, cal), _closed(ticket)), None, close=True)


def _fire_resolution(
    timer: Timer, ticket: Ticket, now: datetime, cal: WorkCalendar, d: Deadlines
) -> Firing:
    """Seed 002: past the 3x24h service standard; coordinators are told once."""
    context: dict[str, object] = {
        "timer": str(timer.kind),
        "due": _iso(timer.due_at, cal),
        "hours": _number(d.resolution),
    }
    send = Send("overdue_staff", Audience.COORDINATORS, auto=AUTO_GENERATED, context=context)
    return Firing((send,), (_fired(timer, cal),), None)


def _fire_direction(
    timer: Timer, ticket: Ticket, now: datetime, cal: WorkCalendar, d: Deadlines
) -> Firing:
    """SOP-004 section 1 steps 5, 7: the coordinators' direction (the head's
    recommendation) has not come within its working day: those asked are reminded once, and
    staff get a copy; a reply to the reminder is their direction.

    The copy is a mail of its own, not the reminder in Cc: a Message-ID proves what its
    least trusted recipient could not write (SPEC 9), and the reminder's, in every staff
    member's hands, let staff answer it under the head's address and end the wait of the
    head who oversees them."""
    asked = "heads" if timer.kind is TimerKind.HEAD_DIRECTION else "coordinators"
    context: dict[str, object] = {"timer": str(timer.kind), "asked": asked, "since": _iso(timer.started_at, cal),
                                  "due": _iso(timer.due_at, cal)}
    send = Send("direction_reminder", Audience.HEADS if asked == "heads" else Audience.COORDINATORS,
                auto=AUTO_GENERATED, context=context)
    copy = Send("direction_reminder", Audience.STAFF, auto=AUTO_GENERATED, context=context)
    return Firing((send, copy), (_fired(timer, cal),), None)


_FIRE = {
    TimerKind.FIRST_RESPONSE: _fire_first_response,
    TimerKind.LKPP_STATUS: _fire_lkpp_status,
    TimerKind.LKPP_PROGRESS: _fire_lkpp_progress,
    TimerKind.AWAITING_INFO: _fire_awaiting_info,
    TimerKind.CONFIRM_CLOSE: _fire_confirm_close,
    TimerKind.RESOLUTION: _fire_resolution,
    TimerKind.COORDINATOR_DIRECTION: _fire_direction,
    TimerKind.HEAD_DIRECTION: _fire_direction,
}


def _next_after(due: datetime, now: datetime, cal: WorkCalendar, days: float) -> datetime:
    """`due` plus `days` working days, again and again until it lies after `now`."""
    following = cal.add_working_days(due, days)
    while following <= now:
        following = cal.add_working_days(following, days)
    return following


def _next_notice(due: datetime, now: datetime, cal: WorkCalendar, days: float) -> datetime:
    """When a repeating notice sent at `now` comes again: on its phase (`_next_after`), but
    never within half its interval of working time. A notice sent late (the daemon was
    down, a sweep came late) stands for the occurrence nearest to it, so the regular one
    does not follow minutes later: the same reminder at 12:50 and again at 13:00."""
    following = _next_after(due, now, cal, days)
    if cal.working_time_between(now, following) < cal.day_length * days / 2:
        following = cal.add_working_days(following, days)
    return following


def _fired(timer: Timer, cal: WorkCalendar) -> HistoryEvent:
    detail: dict[str, object] = {
        "timer": str(timer.kind),
        "step": timer.step,
        "due": _iso(timer.due_at, cal),
    }
    return HistoryEvent("timer_fired", ACTOR, detail)


def _closed(ticket: Ticket) -> HistoryEvent:
    return HistoryEvent(
        "state_changed", ACTOR, {"from": str(ticket.state), "to": str(State.CLOSED)}
    )


def span(kind: TimerKind, d: Deadlines) -> float:
    """The deadline a timer of `kind` keeps, in its own unit."""
    return {
        TimerKind.FIRST_RESPONSE: d.first_response,
        TimerKind.LKPP_STATUS: d.lkpp_status,
        TimerKind.LKPP_PROGRESS: d.lkpp_progress,
        TimerKind.AWAITING_INFO: d.awaiting_info_remind,
        TimerKind.CONFIRM_CLOSE: d.confirm_close,
        TimerKind.RESOLUTION: d.resolution,
        TimerKind.COORDINATOR_DIRECTION: d.coordinator_direction,
        TimerKind.HEAD_DIRECTION: d.coordinator_direction,
    }[kind]


HELD_FORM_REMINDER = timedelta(minutes=30)  # SPEC 6 `held_form`: in working time


def held_form_due(form: HeldForm, cal: WorkCalendar) -> datetime | None:
    """When the sender of a held call or visit is asked again (SPEC 6 `held_form`: 30 working
    minutes after it was held), None once they were: one reminder, then the digest lists it."""
    return None if form.reminded else cal.add_working_time(form.held_at, HELD_FORM_REMINDER)


def _number(value: float) -> int | float:
    """4.0 -> 4 for templates and wording; 0.5 stays 0.5."""
    return int(value) if float(value).is_integer() else value


def _iso(t: datetime, cal: WorkCalendar) -> str:
    return t.astimezone(cal.tz).isoformat()


def check_aware(t: datetime) -> None:
    """A naive time here is a bug at the caller's: deadlines are moments, not wall-clock readings."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"a timezone-aware time is required, got naive {t.isoformat()}")
