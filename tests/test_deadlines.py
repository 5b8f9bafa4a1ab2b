"""Pure tests of the SLA timers of SPEC section 6 over real 2026 Indonesian dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.deadlines import (
    Firing,
    TimerPlan,
    fire,
    plan,
)
from mailbot.core.overdue import Overdue, digest_context, digest_due, find_overdue
from mailbot.core.worktime import WorkCalendar
from mailbot.model import AUTO_GENERATED, Address, Audience, State, Ticket, Timer, TimerKind
from mailbot.rules import Deadlines, load_rules

JAKARTA = ZoneInfo("Asia/Jakarta")
CAL = WorkCalendar.build()
D = Deadlines(
    first_response=4,
    lkpp_status=2,
    lkpp_progress=1,
    awaiting_info_remind=2,
    awaiting_info_close=5,
    confirm_close=3,
    resolution=72,
)
K = TimerKind
ALL_KINDS = set(TimerKind)


def wib(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    """A Jakarta (WIB) wall-clock time in 2026."""
    return datetime(year, month, day, hour, minute, tzinfo=JAKARTA)


MON = wib(11, 23, 10)  # Monday 23 November 2026, an ordinary working week


def ticket(state: State = State.OPEN, **kw: object) -> Ticket:
    """A ticket opened Monday 23 November 2026 08:00 WIB."""
    base: dict[str, object] = {
        "id": 1,
        "mailbox": "btm",
        "number": "2026-00042",
        "state": state,
        "requester": Address("budi@vendor.test", "Budi"),
        "subject": "Akun terkunci",
        "created_at": wib(11, 23, 8),
        "updated_at": wib(11, 23, 8),
    }
    base.update(kw)
    return Ticket(**base)  # type: ignore[arg-type]


def moved(old: Ticket, state: State, **kw: object) -> Ticket:
    """The same ticket in another state."""
    return replace(old, state=state, **kw)  # type: ignore[arg-type]


def sets(p: TimerPlan) -> dict[TimerKind, datetime]:
    """The kinds a plan starts, with their due times."""
    return {t.kind: t.due_at for t in p.set}


def sweep(timer: Timer, t: Ticket, now: datetime) -> list[Firing]:
    """Fire `timer` as the daemon's sweep does: while due, storing step+1 and next_due."""
    firings = []
    while timer.due_at <= now:
        firing = fire(timer, t, now, CAL, D)
        firings.append(firing)
        if firing.next_due is None:
            break
        timer = replace(timer, step=timer.step + 1, due_at=firing.next_due)
    return firings


def test_shipped_rules_keep_the_spec_deadlines() -> None:
    """The shipped rules of the normal priority are SPEC section 6's deadlines."""
    assert load_rules().deadlines("normal") == D


# --- plan(): the SPEC examples ------------------------------------------------------------


def test_spec_example_escalation_over_nyepi_and_eid() -> None:
    """Escalated on Nyepi, Thu 2026-03-19 10:00, LKPP's status is due Thu 2026-03-26 16:00."""
    now = wib(3, 19, 10)
    old = ticket(State.ANSWERED, created_at=wib(3, 17, 9), first_response_at=wib(3, 17, 10))
    p = plan(old, moved(old, State.ESCALATED), False, now, CAL, D)
    assert sets(p) == {K.LKPP_STATUS: wib(3, 26, 16)}
    assert p.clear == (K.LKPP_PROGRESS,)
    assert p.set[0].started_at == now and p.set[0].step == 0


def test_spec_example_escalation_on_a_friday_afternoon() -> None:
    """Escalated Fri 2026-11-20 15:30, LKPP's status is due Tue 2026-11-24 15:30."""
    old = ticket(State.OPEN, created_at=wib(11, 20, 9))
    p = plan(old, moved(old, State.ESCALATED), False, wib(11, 20, 15, 30), CAL, D)
    assert sets(p) == {K.LKPP_STATUS: wib(11, 24, 15, 30)}


# --- plan(): every rule ---------------------------------------------------------------------


def test_new_ticket_starts_first_response_and_resolution() -> None:
    """A new ticket gets FIRST_RESPONSE in working hours and RESOLUTION as 3x24 wall-clock hours."""
    p = plan(None, ticket(created_at=MON), False, MON, CAL, D)
    assert sets(p) == {K.FIRST_RESPONSE: wib(11, 23, 14), K.RESOLUTION: wib(11, 26, 10)}
    assert p.clear == ()


def test_new_ticket_on_friday_afternoon_waits_over_the_weekend() -> None:
    """Four working hours from Fri 15:00 end Mon 11:00; 72 hours end Mon 15:00 wall clock."""
    now = wib(11, 20, 15)
    p = plan(None, ticket(created_at=now), False, now, CAL, D)
    assert sets(p) == {K.FIRST_RESPONSE: wib(11, 23, 11), K.RESOLUTION: wib(11, 23, 15)}


def test_first_response_per_priority() -> None:
    """A high-priority ticket's first response is due one working hour after opening."""
    p = plan(None, ticket(created_at=MON), False, MON, CAL, replace(D, first_response=1))
    assert sets(p)[K.FIRST_RESPONSE] == wib(11, 23, 11)


def test_first_response_recorded_clears_its_timer() -> None:
    """The first staff answer stops FIRST_RESPONSE and starts nothing."""
    old = ticket(State.OPEN)
    p = plan(old, moved(old, State.ANSWERED, first_response_at=MON), False, MON, CAL, D)
    assert p.set == () and p.clear == (K.FIRST_RESPONSE,)


def test_later_staff_answers_start_nothing_and_end_an_owed_response() -> None:
    """A later staff answer starts no timer; on a ticket that is `open` after its first
    response (reopened) it ends the response staff owed."""
    old = ticket(State.OPEN, first_response_at=wib(11, 23, 9))
    p = plan(old, moved(old, State.ANSWERED), False, MON, CAL, D)
    assert p.set == () and p.clear == (K.FIRST_RESPONSE,)


@pytest.mark.parametrize("before", [State.OPEN, State.ANSWERED, State.RESOLVED])
def test_escalation_starts_lkpp_status(before: State) -> None:
    """Escalation starts LKPP_STATUS after 2 working days (SOP-015 step 12), stops LKPP_PROGRESS."""
    old = ticket(before, first_response_at=wib(11, 23, 9))
    p = plan(old, moved(old, State.ESCALATED), False, MON, CAL, D)
    assert sets(p) == {K.LKPP_STATUS: wib(11, 25, 10)}
    assert K.LKPP_PROGRESS in p.clear
    assert (K.CONFIRM_CLOSE in p.clear) is (before is State.RESOLVED)


def test_escalation_without_first_response_keeps_first_response_running() -> None:
    """Escalating does not record a first response, so FIRST_RESPONSE is not touched."""
    old = ticket(State.OPEN)
    p = plan(old, moved(old, State.ESCALATED), False, MON, CAL, D)
    assert K.FIRST_RESPONSE not in p.clear and K.FIRST_RESPONSE not in sets(p)


@pytest.mark.parametrize("state", [State.ESCALATED, State.AWAITING_INFO])
def test_lkpp_message_restarts_the_progress_clock(state: State) -> None:
    """An LKPP status message stops LKPP_STATUS and starts LKPP_PROGRESS (SOP-015 step 14)."""
    old = ticket(state)
    p = plan(old, moved(old, state), True, MON, CAL, D)
    assert sets(p) == {K.LKPP_PROGRESS: wib(11, 24, 10)}
    assert p.clear == (K.LKPP_STATUS,)


def test_requester_mail_while_escalated_changes_no_timer() -> None:
    """Mail from the requester on an escalated ticket is not LKPP's progress."""
    old = ticket(State.ESCALATED)
    assert plan(old, moved(old, State.ESCALATED), False, MON, CAL, D).empty


def test_lkpp_need_info_starts_awaiting_info_and_progress() -> None:
    """LKPP asking for data starts AWAITING_INFO (2 working days) and restarts LKPP_PROGRESS."""
    old = ticket(State.ESCALATED)
    p = plan(old, moved(old, State.AWAITING_INFO), True, MON, CAL, D)
    assert sets(p) == {K.AWAITING_INFO: wib(11, 25, 10), K.LKPP_PROGRESS: wib(11, 24, 10)}
    assert p.clear == (K.LKPP_STATUS,)


def test_a_second_data_request_starts_the_requester_clock_afresh() -> None:
    """SPEC 6: AWAITING_INFO starts at each LKPP request relayed. Asked again on Friday 27 Nov
    09:00, the requester has 2 working days from then (Tuesday 1 Dec 09:00), not what was
    left of the first request; an LKPP status in between restarts only LKPP's own clock."""
    old = ticket(State.AWAITING_INFO)
    friday = wib(11, 27, 9)
    again = plan(old, moved(old, State.AWAITING_INFO), True, friday, CAL, D, data_requested=True)
    assert sets(again)[K.AWAITING_INFO] == wib(12, 1, 9)
    status = plan(old, moved(old, State.AWAITING_INFO), True, friday, CAL, D)
    assert K.AWAITING_INFO not in sets(status)


def test_info_forwarded_back_to_lkpp_restarts_its_progress_day() -> None:
    """Back from awaiting_info to escalated (the data LKPP asked for reaches it, Monday
    10:00): AWAITING_INFO stops and LKPP's day to report progress runs from the data,
    Tuesday 10:00, not from its earlier request (SOP-015 steps 9, 14)."""
    old = ticket(State.AWAITING_INFO)
    for active in (None, {K.LKPP_PROGRESS, K.AWAITING_INFO}):
        p = plan(old, moved(old, State.ESCALATED), False, MON, CAL, D, active=active)
        assert sets(p) == {K.LKPP_PROGRESS: wib(11, 24, 10)}
        assert p.clear == (K.AWAITING_INFO,)


def test_info_forwarded_back_to_lkpp_keeps_a_status_deadline_lkpp_still_owes() -> None:
    """LKPP has not given its first status yet (LKPP_STATUS runs): that deadline stays."""
    old = ticket(State.AWAITING_INFO)
    p = plan(old, moved(old, State.ESCALATED), False, MON, CAL, D, active={K.LKPP_STATUS, K.AWAITING_INFO})
    assert p.set == () and p.clear == (K.AWAITING_INFO,)


def test_info_forwarded_back_to_lkpp_without_lkpp_timer_starts_progress() -> None:
    """When the caller says no LKPP timer runs, going back to escalated starts LKPP_PROGRESS."""
    old = ticket(State.AWAITING_INFO)
    p = plan(old, moved(old, State.ESCALATED), False, MON, CAL, D, active={K.AWAITING_INFO})
    assert sets(p) == {K.LKPP_PROGRESS: wib(11, 24, 10)}
    assert p.clear == (K.AWAITING_INFO,)


@pytest.mark.parametrize("lkpp", [True, False])
def test_resolution_from_escalation_stops_lkpp_and_starts_confirm_close(lkpp: bool) -> None:
    """Resolved by LKPP or by staff: LKPP timers stop, CONFIRM_CLOSE is due in 3 working days."""
    old = ticket(State.ESCALATED, first_response_at=wib(11, 23, 9))
    p = plan(old, moved(old, State.RESOLVED), lkpp, MON, CAL, D)
    assert sets(p) == {K.CONFIRM_CLOSE: wib(11, 26, 10)}
    assert set(p.clear) == {K.LKPP_STATUS, K.LKPP_PROGRESS}


def test_resolution_from_awaiting_info_stops_awaiting_info() -> None:
    """Resolved while waiting for the requester: AWAITING_INFO and the LKPP timers stop."""
    old = ticket(State.AWAITING_INFO, first_response_at=wib(11, 23, 9))
    p = plan(old, moved(old, State.RESOLVED), False, MON, CAL, D)
    assert sets(p) == {K.CONFIRM_CLOSE: wib(11, 26, 10)}
    assert set(p.clear) == {K.AWAITING_INFO, K.LKPP_STATUS, K.LKPP_PROGRESS}


@pytest.mark.parametrize("after", [State.OPEN, State.ANSWERED])
def test_leaving_escalation_stops_lkpp_timers(after: State) -> None:
    """Returned by LKPP (or answered by staff) the ticket has no LKPP timer any more."""
    old = ticket(State.ESCALATED, first_response_at=wib(11, 23, 9))
    p = plan(old, moved(old, after), after is State.OPEN, MON, CAL, D)
    assert p.set == () and set(p.clear) == {K.LKPP_STATUS, K.LKPP_PROGRESS}


def test_rejected_solution_stops_confirm_close_and_owes_a_response_again() -> None:
    """The requester saying TIDAK reopens the ticket: CONFIRM_CLOSE stops, and staff owe
    a response within the priority's first-response time again (SPEC 4: `open` is
    waiting for staff)."""
    old = ticket(State.RESOLVED, first_response_at=wib(11, 23, 9))
    p = plan(old, moved(old, State.OPEN), False, MON, CAL, D)
    assert p.set == (Timer(K.FIRST_RESPONSE, MON, wib(11, 23, 14)),) and p.clear == (K.CONFIRM_CLOSE,)


@pytest.mark.parametrize("before", [s for s in State if s is not State.CLOSED])
def test_closing_stops_every_timer(before: State) -> None:
    """Closing from any state stops all six timers, RESOLUTION too, and starts none."""
    old = ticket(before)
    p = plan(old, moved(old, State.CLOSED, closed_at=MON), False, MON, CAL, D)
    assert p.set == () and set(p.clear) == ALL_KINDS


def test_mail_on_a_closed_ticket_that_stays_closed_plans_nothing() -> None:
    """A note on a closed ticket changes no timer."""
    old = ticket(State.CLOSED)
    assert plan(old, moved(old, State.CLOSED), False, MON, CAL, D).empty


def test_reopened_without_first_response_starts_first_response_only() -> None:
    """Reopened from closed with no first response yet: FIRST_RESPONSE again; the 3x24h
    standard is not restarted but watched again, due 72 hours from the opening."""
    old = ticket(State.CLOSED, closed_at=wib(11, 20, 9))
    p = plan(old, moved(old, State.OPEN, closed_at=None), False, MON, CAL, D)
    assert sets(p) == {K.FIRST_RESPONSE: wib(11, 23, 14), K.RESOLUTION: wib(11, 26, 8)}
    assert p.clear == ()


def test_reopened_past_a_standard_already_told_leaves_it_told() -> None:
    """The coordinators heard of the 3x24h breach before the closing: not again."""
    old = ticket(State.CLOSED, closed_at=wib(11, 27, 9))
    p = plan(old, moved(old, State.OPEN, closed_at=None), False, wib(11, 30, 9), CAL, D, told={"resolution"})
    assert sets(p) == {K.FIRST_RESPONSE: wib(11, 30, 13)}


def test_reopened_after_first_response_owes_a_response_again() -> None:
    """Reopened from closed after staff had answered (E5): staff owe a response again,
    4 working hours from the reopening; the 3x24h standard is not restarted: still due
    72 hours from the opening."""
    old = ticket(State.CLOSED, first_response_at=wib(11, 20, 9))
    assert plan(old, moved(old, State.OPEN), False, MON, CAL, D).set == (
        Timer(K.FIRST_RESPONSE, MON, wib(11, 23, 14)), Timer(K.RESOLUTION, wib(11, 23, 8), wib(11, 26, 8)))


def test_plan_refuses_a_naive_now() -> None:
    """A naive time has no meaning across units, so plan() refuses it."""
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(None, ticket(), False, datetime(2026, 11, 23, 10), CAL, D)


# --- fire(): each kind ---------------------------------------------------------------------


def test_first_response_overdue_goes_to_staff_cc_coordinators() -> None:
    """FIRST_RESPONSE sends `overdue_staff` to staff, coordinators in copy, and repeats next day."""
    timer = Timer(K.FIRST_RESPONSE, wib(11, 23, 8), wib(11, 23, 12))
    firing = fire(timer, ticket(), wib(11, 23, 12, 1), CAL, D)
    (send,) = firing.sends
    assert send.kind == "overdue_staff" and send.to is Audience.STAFF
    assert send.cc == (Audience.COORDINATORS,) and send.auto == AUTO_GENERATED
    assert send.context == {
        "timer": "first_response",
        "due": "2026-11-23T12:00:00+07:00",
        "hours_waited": 4,
        "reopened": False,
    }
    assert firing.next_due == wib(11, 24, 12) and not firing.close and firing.follow is None


def test_first_response_hours_waited_count_working_time_only() -> None:
    """Opened Friday 15:00, overdue notice Monday 11:30: 1 + 3.5 working hours, rounded to 4."""
    t = ticket(created_at=wib(11, 20, 15))
    timer = Timer(K.FIRST_RESPONSE, wib(11, 20, 15), wib(11, 23, 11))
    assert fire(timer, t, wib(11, 23, 11, 30), CAL, D).sends[0].context["hours_waited"] == 4


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (wib(11, 23, 12), wib(11, 24, 12)),  # exactly at the due time
        (wib(11, 24, 11, 59), wib(11, 25, 12)),  # a day late, a minute before the next: it stands for it
        (wib(11, 24, 8, 30), wib(11, 25, 12)),  # nearer to the next occurrence than to its own
        (wib(11, 24, 8), wib(11, 24, 12)),  # half way: the next comes on its phase
        (wib(11, 24, 12), wib(11, 25, 12)),  # exactly at the next occurrence
        (wib(11, 24, 12, 1), wib(11, 25, 12)),  # one minute after it
    ],
)
def test_first_response_repeats_each_working_day(now: datetime, expected: datetime) -> None:
    """The next notice is the first daily occurrence after now, at least half a working day
    after this one: a late notice is not followed by the regular one minutes later."""
    timer = Timer(K.FIRST_RESPONSE, wib(11, 23, 8), wib(11, 23, 12))
    assert fire(timer, ticket(), now, CAL, D).next_due == expected


def test_five_day_outage_sends_one_notice() -> None:
    """After a 5-day outage the sweep sends one FIRST_RESPONSE notice and the next is in the
    future, on its phase, and not three hours later (12:00) but the next working day."""
    timer = Timer(K.FIRST_RESPONSE, wib(11, 23, 8), wib(11, 23, 12))
    back = wib(11, 30, 9)  # Monday a week later
    firings = sweep(timer, ticket(), back)
    assert len(firings) == 1 and len(firings[0].sends) == 1
    assert firings[0].next_due == wib(12, 1, 12)
    assert firings[0].next_due is not None and firings[0].next_due > back


def test_lkpp_status_asks_lkpp_and_tells_the_requester() -> None:
    """LKPP_STATUS (SOP-015 step 12): `overdue_lkpp` to LKPP cc staff and coordinators, `status_user`."""
    timer = Timer(K.LKPP_STATUS, wib(11, 20, 15, 30), wib(11, 24, 15, 30))
    firing = fire(timer, ticket(State.ESCALATED), wib(11, 24, 15, 31), CAL, D)
    lkpp, user = firing.sends
    assert (lkpp.kind, lkpp.to, lkpp.cc) == (
        "overdue_lkpp",
        Audience.LKPP,
        (Audience.STAFF, Audience.COORDINATORS),
    )
    assert (user.kind, user.to, user.context) == (
        "status_user",
        Audience.REQUESTER,
        {"timer": "lkpp_status"},
    )
    assert lkpp.auto == user.auto == AUTO_GENERATED
    assert firing.next_due is None
    assert firing.follow == Timer(K.LKPP_PROGRESS, wib(11, 24, 15, 30), wib(11, 25, 15, 30))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (wib(11, 25, 15, 29), wib(11, 26, 15, 30)),  # a late sweep, one minute before: not again at 15:30
        (wib(11, 25, 15, 31), wib(11, 26, 15, 30)),  # one minute after: the next day's
    ],
)
def test_lkpp_status_follow_lies_after_now(now: datetime, expected: datetime) -> None:
    """The LKPP_PROGRESS that follows a status request is due after now, on the daily phase,
    never minutes after the status request."""
    timer = Timer(K.LKPP_STATUS, wib(11, 20, 15, 30), wib(11, 24, 15, 30))
    follow = fire(timer, ticket(State.ESCALATED), now, CAL, D).follow
    assert follow is not None and follow.kind is K.LKPP_PROGRESS and follow.due_at == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (wib(11, 25, 10, 1), wib(11, 26, 10)),
        (wib(11, 26, 9, 59), wib(11, 27, 10)),  # a day late: not again a minute later
        (wib(11, 26, 10, 1), wib(11, 27, 10)),
    ],
)
def test_lkpp_progress_reminds_lkpp_each_working_day(now: datetime, expected: datetime) -> None:
    """LKPP_PROGRESS (SOP-015 step 14) sends `remind_lkpp` to LKPP and repeats each working day."""
    timer = Timer(K.LKPP_PROGRESS, wib(11, 24, 10), wib(11, 25, 10))
    firing = fire(timer, ticket(State.ESCALATED), now, CAL, D)
    (send,) = firing.sends
    assert (send.kind, send.to, send.cc, send.auto) == (
        "remind_lkpp",
        Audience.LKPP,
        (),
        AUTO_GENERATED,
    )
    assert firing.next_due == expected


def test_lkpp_progress_skips_the_christmas_holidays() -> None:
    """A progress reminder due Wed 23 December repeats Mon 28 December (24-25 Dec are off)."""
    timer = Timer(K.LKPP_PROGRESS, wib(12, 22, 10), wib(12, 23, 10))
    assert fire(timer, ticket(State.ESCALATED), wib(12, 23, 10), CAL, D).next_due == wib(12, 28, 10)


def test_lkpp_progress_pauses_while_awaiting_info() -> None:
    """While LKPP waits for the requester its reminder sends nothing and comes back next day."""
    timer = Timer(K.LKPP_PROGRESS, wib(11, 23, 10), wib(11, 24, 10))
    firing = fire(timer, ticket(State.AWAITING_INFO), wib(11, 24, 10, 1), CAL, D)
    assert firing.sends == () and firing.events == ()
    assert firing.next_due == wib(11, 25, 10)


def test_awaiting_info_reminds_after_two_days_and_closes_after_five() -> None:
    """The requester is reminded 2 working days after LKPP's request and the ticket closes after 5."""
    t = ticket(State.AWAITING_INFO)
    timer = plan(ticket(State.ESCALATED), t, True, MON, CAL, D).set[0]
    assert timer.kind is K.AWAITING_INFO and timer.due_at == wib(11, 25, 10)
    assert sweep(timer, t, wib(11, 25, 9, 59)) == []

    remind = fire(timer, t, wib(11, 25, 10), CAL, D)  # the sweep of the due minute
    (send,) = remind.sends
    assert (send.kind, send.to, send.auto) == ("remind_user", Audience.REQUESTER, AUTO_GENERATED)
    assert send.context["close_days"] == 5
    assert send.context["close_at"] == "2026-11-30T10:00:00+07:00"
    assert remind.next_due == wib(11, 30, 10) and not remind.close

    timer = replace(timer, step=1, due_at=wib(11, 30, 10))
    assert sweep(timer, t, wib(11, 30, 9, 59)) == []
    closing = fire(timer, t, wib(11, 30, 10, 1), CAL, D)
    assert closing.close and closing.next_due is None
    closed, staff = closing.sends
    assert (closed.kind, closed.to, closed.auto, closed.context) == (
        "closed",
        Audience.REQUESTER,
        AUTO_GENERATED,
        {"reason": "no_info"},
    )
    assert (staff.kind, staff.to, staff.context["event"]) == (
        "staff_update",
        Audience.STAFF,
        "auto_closed",
    )
    assert [e.kind for e in closing.events] == ["timer_fired", "state_changed"]
    assert closing.events[1].detail == {"from": "awaiting_info", "to": "closed"}


def test_awaiting_info_after_an_outage_still_gives_time_after_the_reminder() -> None:
    """A reminder sent after the closing deadline passed leaves the usual 3 working days."""
    timer = Timer(K.AWAITING_INFO, MON, wib(11, 25, 10))
    firing = fire(timer, ticket(State.AWAITING_INFO), wib(12, 1, 9), CAL, D)
    assert [s.kind for s in firing.sends] == ["remind_user"]
    assert firing.next_due == wib(12, 4, 9)


def test_a_reminder_sent_late_does_not_close_the_ticket_minutes_later() -> None:
    """LKPP asked Monday 23 Nov 10:00; the daemon was down from Wednesday morning to Monday
    30 Nov 09:30. The reminder then goes out with the ticket due to close at 10:00, half an
    hour later; the requester gets the usual 3 working days from the reminder instead."""
    timer = Timer(K.AWAITING_INFO, MON, wib(11, 25, 10))
    firing = fire(timer, ticket(State.AWAITING_INFO), wib(11, 30, 9, 30), CAL, D)
    [send] = firing.sends
    assert send.kind == "remind_user" and send.context["close_at"] == "2026-12-03T09:30:00+07:00"
    assert firing.next_due == wib(12, 3, 9, 30)


def test_confirm_close_closes_after_three_working_days() -> None:
    """A solution unanswered for 3 working days closes the ticket, requester told (seed 002 step 12)."""
    t = ticket(State.RESOLVED, resolved_at=MON)
    timer = plan(moved(t, State.OPEN), t, False, MON, CAL, D).set[0]
    assert timer.kind is K.CONFIRM_CLOSE and timer.due_at == wib(11, 26, 10)
    assert sweep(timer, t, wib(11, 26, 9, 59)) == []
    firing = fire(timer, t, wib(11, 26, 10, 1), CAL, D)
    (send,) = firing.sends
    assert (send.kind, send.to, send.auto, send.context) == (
        "closed",
        Audience.REQUESTER,
        AUTO_GENERATED,
        {"reason": "no_confirmation"},
    )
    assert firing.close and firing.next_due is None
    assert firing.events[1].detail == {"from": "resolved", "to": "closed"}


def test_resolution_tells_coordinators_once() -> None:
    """Past 3x24h the coordinators alone get one `overdue_staff`; the timer is then done."""
    timer = Timer(K.RESOLUTION, MON, wib(11, 26, 10))
    firing = fire(timer, ticket(State.ESCALATED), wib(11, 26, 10, 1), CAL, D)
    (send,) = firing.sends
    assert (send.kind, send.to, send.cc, send.auto) == (
        "overdue_staff",
        Audience.COORDINATORS,
        (),
        AUTO_GENERATED,
    )
    assert send.context["timer"] == "resolution"
    assert firing.next_due is None and not firing.close


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        (K.FIRST_RESPONSE, State.OPEN),
        (K.LKPP_STATUS, State.ESCALATED),
        (K.LKPP_PROGRESS, State.ESCALATED),
        (K.AWAITING_INFO, State.AWAITING_INFO),
        (K.CONFIRM_CLOSE, State.RESOLVED),
        (K.RESOLUTION, State.OPEN),
    ],
)
def test_every_firing_is_recorded(kind: TimerKind, state: State) -> None:
    """Each firing records `timer_fired` with kind, step and due time, and sends only automatic mail."""
    timer = Timer(kind, MON, wib(11, 26, 10), step=0)
    firing = fire(timer, ticket(state), wib(11, 26, 10, 1), CAL, D)
    assert firing.events[0].kind == "timer_fired" and firing.events[0].actor == "mailbot"
    assert firing.events[0].detail == {
        "timer": str(kind),
        "step": 0,
        "due": "2026-11-26T10:00:00+07:00",
    }
    assert firing.sends and all(s.auto == AUTO_GENERATED for s in firing.sends)


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        (K.FIRST_RESPONSE, State.ANSWERED),
        (K.LKPP_STATUS, State.OPEN),
        (K.LKPP_PROGRESS, State.RESOLVED),
        (K.AWAITING_INFO, State.ESCALATED),
        (K.CONFIRM_CLOSE, State.OPEN),
        (K.RESOLUTION, State.CLOSED),
    ],
)
def test_stale_timer_is_dropped(kind: TimerKind, state: State) -> None:
    """A timer that no longer fits the ticket's state sends nothing and is done."""
    firing = fire(Timer(kind, MON, wib(11, 26, 10)), ticket(state), wib(11, 26, 11), CAL, D)
    assert firing.sends == () and firing.next_due is None and not firing.close
    assert [e.kind for e in firing.events] == ["timer_dropped"]
    assert firing.events[0].detail == {"timer": str(kind), "step": 0, "state": str(state)}


def test_first_response_is_dropped_once_answered() -> None:
    """FIRST_RESPONSE started before the ticket's first response is stale."""
    t = ticket(State.OPEN, first_response_at=wib(11, 23, 9))
    firing = fire(Timer(K.FIRST_RESPONSE, wib(11, 23, 8), wib(11, 23, 12)), t, wib(11, 23, 15), CAL, D)
    assert firing.sends == () and firing.events[0].kind == "timer_dropped"


def test_a_reopened_ticket_left_unanswered_goes_to_staff_and_coordinators() -> None:
    """Started when the ticket was reopened, after its first response: staff and the
    coordinators are told it waits since the reopening, as a reopened ticket."""
    t = ticket(State.OPEN, first_response_at=wib(11, 23, 9))
    firing = fire(Timer(K.FIRST_RESPONSE, MON, wib(11, 23, 14)), t, wib(11, 23, 15), CAL, D)
    (send,) = firing.sends
    assert send.kind == "overdue_staff" and send.cc == (Audience.COORDINATORS,)
    assert send.context["reopened"] is True and send.context["hours_waited"] == 5


# --- overdue and the digest ------------------------------------------------------------------


def test_find_overdue_keeps_a_fired_repeating_timer_overdue() -> None:
    """A FIRST_RESPONSE that already fired stays overdue from its first due time."""
    t = ticket(State.OPEN)
    fired = Timer(K.FIRST_RESPONSE, wib(11, 23, 8), wib(11, 25, 12), step=2)
    (entry,) = find_overdue(t, [fired], wib(11, 24, 15), CAL, D)
    assert entry == Overdue(
        number="2026-00042",
        subject="Akun terkunci",
        state="open",
        kind=K.FIRST_RESPONSE,
        due_at=wib(11, 23, 12),
        waited=timedelta(hours=11),
        on_whom="staff",
        span=4,
        since=wib(11, 23, 8),  # waiting since the ticket was opened, not since the breach
    )


def test_find_overdue_reads_resolution_from_the_ticket_and_skips_stale_timers() -> None:
    """Past 72 hours an unclosed ticket is overdue even without its timer; a stale timer is not."""
    t = ticket(State.ESCALATED, first_response_at=wib(11, 23, 9))
    stale = Timer(K.CONFIRM_CLOSE, wib(11, 23, 8), wib(11, 24, 8))
    waiting = Timer(K.LKPP_STATUS, wib(11, 23, 9), wib(11, 25, 9))
    found = find_overdue(t, [stale, waiting], wib(11, 26, 9), CAL, D)
    assert [(o.kind, o.due_at, o.on_whom) for o in found] == [
        (K.LKPP_STATUS, wib(11, 25, 9), "LKPP"),
        (K.RESOLUTION, wib(11, 26, 8), "LKPP"),  # escalated: past 3x24h, it waits on LKPP
    ]
    assert find_overdue(moved(t, State.CLOSED), [waiting], wib(11, 26, 9), CAL, D) == []


@pytest.mark.parametrize(("state", "holder"), [
    (State.OPEN, "staff"), (State.ANSWERED, "requester"), (State.ESCALATED, "LKPP"), (State.AWAITING_INFO, "requester"),
])
def test_a_ticket_past_3x24h_waits_on_whoever_holds_it_not_on_the_coordinators(state: State, holder: str) -> None:
    """The digest says how long each overdue ticket waited "and on whom": a ticket
    opened Monday 08:00, past the 3x24h standard on Thursday, waits on the one who must act
    in its state; the coordinators are only told of the breach."""
    [found] = find_overdue(ticket(state, first_response_at=wib(11, 23, 9)), [], wib(11, 26, 9), CAL, D)
    assert (found.kind, found.on_whom) == (K.RESOLUTION, holder)


def test_find_overdue_does_not_blame_lkpp_while_it_waits_for_the_requester() -> None:
    """LKPP asked for data Monday 10:00 (SOP-015 steps 7-9): the ticket waits for the
    requester. On Wednesday 10:30 the requester is late (2 working days), LKPP is not: its
    progress reminder is paused and sends nothing, so the digest does not list it either."""
    t = ticket(State.AWAITING_INFO, first_response_at=wib(11, 23, 9))
    progress = Timer(K.LKPP_PROGRESS, wib(11, 23, 10), wib(11, 25, 10), step=1)  # paused on Tuesday
    data = Timer(K.AWAITING_INFO, wib(11, 23, 10), wib(11, 25, 10))
    found = find_overdue(t, [progress, data], wib(11, 25, 10, 30), CAL, D)
    assert [(o.kind, o.on_whom) for o in found] == [(K.AWAITING_INFO, "requester")]
    back = moved(t, State.ESCALATED)  # had the data gone to LKPP, LKPP's day would count again
    assert [o.on_whom for o in find_overdue(back, [progress], wib(11, 25, 10, 30), CAL, D)] == ["LKPP"]


def test_the_3x24h_standard_is_met_once_the_solution_went_out() -> None:
    """Seed 002 counts 3x24 hours to the solution (SPEC 4: `resolved` = solution sent,
    waiting for the requester's confirmation): a resolved ticket past 72 hours is not
    overdue, and its RESOLUTION timer is not fired at the coordinators."""
    t = ticket(State.RESOLVED, first_response_at=wib(11, 23, 9))
    timer = Timer(K.RESOLUTION, wib(11, 23, 8), wib(11, 26, 8))
    assert find_overdue(t, [timer], wib(11, 26, 9), CAL, D) == []
    firing = fire(timer, t, wib(11, 26, 9), CAL, D)
    assert firing.sends == ()
    assert firing.next_due == wib(11, 26, 16)  # kept: a rejected solution makes it a breach after all


def test_a_rejected_solution_is_past_the_standard_again_by_wall_clock_time() -> None:
    """Back to `open` after the requester said the solution did not help (E4), a ticket
    opened Monday 08:00 has waited past its 3x24h standard since Thursday 08:00: on
    Saturday 09:00 that is 49 hours (wall-clock, as the standard), not working time."""
    t = ticket(State.OPEN, first_response_at=wib(11, 23, 9))
    (entry,) = find_overdue(t, [], wib(11, 28, 9), CAL, D)
    assert (entry.kind, entry.due_at, entry.waited) == (K.RESOLUTION, wib(11, 26, 8), timedelta(hours=49))


def test_digest_context_counts_states_and_orders_by_due_time() -> None:
    """The digest counts all six states and lists overdue tickets, longest-breached first."""
    states = {"open": 2, "escalated": 1, "resolved": 1}
    late = Overdue("2026-00001", "A", "open", K.FIRST_RESPONSE, wib(11, 27, 12), timedelta(hours=3), "staff", 4)
    early = Overdue(
        "2026-00003", "B", "escalated", K.LKPP_STATUS, wib(11, 25, 9), timedelta(hours=24), "LKPP", 2
    )
    ctx = digest_context(states, [late, early], wib(11, 30, 8), CAL)
    assert ctx["date"] == date(2026, 11, 30)
    assert ctx["counts"] == {
        "open": 2,
        "answered": 0,
        "escalated": 1,
        "awaiting_info": 0,
        "resolved": 1,
        "closed": 0,
    }
    rows = ctx["tickets"]
    assert isinstance(rows, list)
    assert [r["number"] for r in rows] == ["2026-00003", "2026-00001"]
    assert rows[0] == {
        "number": "2026-00003",
        "subject": "B",
        "state": "escalated",
        "waited": timedelta(hours=24),
        "working": True,  # a deadline in working days: the time past it is working time
        "since": None,  # an entry made without since when it waits
        "since_for": None,
        "on_whom": "LKPP",
        "kind": "lkpp_status",
        "span": 2,
        "reopened": False,
        "due": "25-11-2026 09:00",
    }


def test_the_digest_says_since_when_a_ticket_waits_apart_from_its_time_past_the_deadline() -> None:
    """Opened Wednesday 21:40, due Thursday 12:00 (4 working hours from Thursday's
    opening), still unanswered Friday 08:00: waiting since Wednesday 21:40, 34 h 20 min ago
    (wall clock), 4 working hours past its deadline; the 3x24h standard counts from the opening."""
    t = ticket(State.OPEN, created_at=wib(11, 25, 21, 40))
    timer = Timer(K.FIRST_RESPONSE, wib(11, 25, 21, 40), wib(11, 27, 12), step=1)
    (entry,) = find_overdue(t, [timer], wib(11, 27, 8), CAL, D)
    assert (entry.due_at, entry.waited, entry.since) == (wib(11, 26, 12), timedelta(hours=4), wib(11, 25, 21, 40))
    [row] = digest_context({"open": 1}, [entry], wib(11, 27, 8), CAL)["tickets"]  # type: ignore[misc]
    assert (row["since"], row["since_for"], row["waited"], row["working"]) == (
        wib(11, 25, 21, 40), timedelta(hours=34, minutes=20), timedelta(hours=4), True)
    (late,) = find_overdue(t, [], wib(11, 30, 9), CAL, D)  # Monday: past 3x24h, no timer needed
    assert (late.kind, late.since, late.waited) == (K.RESOLUTION, wib(11, 25, 21, 40),
                                                    timedelta(days=1, hours=11, minutes=20))


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [
        (date(2026, 11, 20), wib(11, 23, 7, 59), False),  # Monday, before 08:00
        (date(2026, 11, 20), wib(11, 23, 8), True),  # Monday 08:00
        (date(2026, 11, 20), wib(11, 23, 15), True),  # a daemon started late still sends it
        (date(2026, 11, 23), wib(11, 23, 9), False),  # already sent today
        (date(2026, 11, 23), wib(11, 24, 8), True),  # the next working day
        (None, wib(11, 24, 8, 30), True),  # never sent
        (None, wib(11, 25, 22, 50), False),  # a first start in the evening: the next working day's 08:00
        (date(2026, 11, 24), wib(11, 25, 16), False),  # after closing: heads read it at work, not at night
        (date(2026, 11, 24), wib(11, 25, 15, 59), True),  # a late start within the working day still sends it
        (None, wib(11, 26, 8), True),  # ... and that next morning it goes
        (date(2026, 11, 27), wib(11, 28, 8), False),  # Saturday
        (date(2026, 11, 27), wib(11, 29, 9), False),  # Sunday
        (date(2026, 12, 23), wib(12, 24, 8), False),  # cuti bersama Christmas
        (date(2026, 12, 23), wib(12, 25, 8), False),  # Christmas
        (date(2026, 12, 23), wib(12, 28, 8), True),  # the Monday after
        (date(2026, 3, 17), wib(3, 19, 8), False),  # Nyepi
    ],
)
def test_digest_due_once_per_working_day(last: date | None, now: datetime, due: bool) -> None:
    """The digest goes once per working day from 08:00 local, never on weekends or holidays."""
    assert digest_due(last, now, CAL) is due


@pytest.mark.parametrize(
    ("since", "now", "due"),
    [
        (wib(11, 27, 11, 58), wib(11, 27, 12), False),  # a first start at 11:58 sends none that day
        (wib(11, 27, 11, 58), wib(11, 27, 15, 59), False),
        (wib(11, 27, 11, 58), wib(11, 30, 8), True),  # the next working day (Monday) at 08:00
        (wib(11, 30, 7, 40), wib(11, 30, 8), True),  # a first start before 08:00: that morning's
        (wib(11, 30, 8), wib(11, 30, 8, 1), False),  # a first start at 08:00 itself: the next day's
        (wib(12, 1, 9), wib(11, 30, 9), True),  # a clock set back before the first start holds nothing back
    ],
)
def test_the_first_digest_goes_at_the_first_08_00_after_the_first_start(since: datetime, now: datetime,
                                                                        due: bool) -> None:
    assert digest_due(None, now, CAL, since=since) is due


def test_digest_due_at_opening_time() -> None:
    """With `at=None` the digest goes at the calendar's opening time."""
    early = WorkCalendar.build(hours="07:30-15:30")
    assert not digest_due(None, wib(11, 23, 7, 29), early, at=None)
    assert digest_due(None, wib(11, 23, 7, 30), early, at=None)
    assert not digest_due(None, wib(11, 23, 7, 30), early)


def test_priority_change_moves_a_first_response_deadline_that_has_not_fired():
    """`#prioritas tinggi` on a normal ticket opened 09:00: first_response is due at 10:00
    (high: 1 working hour from opening), as `find_overdue` already reads it; lowering it
    later moves it out again; one that fired already is left alone."""
    high = replace(D, first_response=1)
    old = ticket(State.OPEN, priority="normal", created_at=wib(11, 23, 9))
    new = replace(old, priority="high")
    waiting = Timer(K.FIRST_RESPONSE, wib(11, 23, 9), wib(11, 23, 13))
    changes = plan(old, new, False, wib(11, 23, 9, 10), CAL, high, running={K.FIRST_RESPONSE: waiting})
    assert changes.set == (Timer(K.FIRST_RESPONSE, wib(11, 23, 9), wib(11, 23, 10)),)
    fired = replace(waiting, step=1)
    assert plan(old, new, False, wib(11, 23, 14), CAL, high, running={K.FIRST_RESPONSE: fired}).empty
    assert plan(old, replace(old, category="konsultasi"), False, wib(11, 23, 9, 10), CAL, D,
                running={K.FIRST_RESPONSE: waiting}).empty


def test_digest_counts_overdue_tickets_not_breaches() -> None:
    """One ticket past both its first response and the 3x24h standard is one overdue ticket:
    the digest's "Tiket yang melewati batas waktu (N)" counts tickets."""
    from mailbot.io.render import Renderer

    first = Overdue("2026-00001", "A", "open", K.FIRST_RESPONSE, wib(12, 23, 13), timedelta(hours=3), "staff", 4)
    standard = Overdue("2026-00001", "A", "open", K.RESOLUTION, wib(12, 26, 9), timedelta(0), "coordinators", 72)
    ctx = digest_context({"open": 1}, [first, standard], wib(12, 28, 8), CAL)
    assert ctx["overdue_count"] == 1
    assert len(ctx["tickets"]) == 2  # both reasons are shown
    text, html = Renderer(None).body("digest", "id", {**ctx, "unit": "Helpdesk LPSE", "unit_address": "a@b.test",
                                                      "day": "Senin, 28 Desember 2026"})
    assert "Tiket yang melewati batas waktu (1):" in text
    assert html is not None and "Tiket yang melewati batas waktu (1)" in html


def test_an_owed_response_after_a_reopening_is_listed_as_such() -> None:
    """The digest and `tickets --overdue` tell a reopened ticket's owed response from a
    first response never given."""
    t = ticket(State.OPEN, first_response_at=wib(11, 23, 9))
    (entry,) = find_overdue(t, [Timer(K.FIRST_RESPONSE, MON, wib(11, 23, 14))], wib(11, 23, 15), CAL, D)
    assert (entry.kind, entry.due_at, entry.reopened) == (K.FIRST_RESPONSE, wib(11, 23, 14), True)
    (first,) = find_overdue(ticket(State.OPEN), [Timer(K.FIRST_RESPONSE, wib(11, 23, 8), wib(11, 23, 12))],
                            wib(11, 23, 15), CAL, D)
    assert first.reopened is False


def test_a_holiday_added_after_a_deadline_was_set_moves_it():
    """SPEC 6 counts working time only, `extra_holidays` included: escalated Tuesday 29 Dec
    2026 10:00 WIB, LKPP's status is due Thursday 31 Dec 10:00; the operator then declares
    31 Dec cuti bersama. The status request does not go out on the holiday: the deadline is
    Monday 4 Jan 2027 10:00 (1 Jan is New Year, then a weekend), and fires then, once."""
    escalated = wib(12, 29, 10)
    timer = Timer(K.LKPP_STATUS, escalated, wib(12, 31, 10))  # as the calendar counted on 29 Dec
    with_holiday = WorkCalendar.build(extra_holidays=["2026-12-31"])
    t = ticket(State.ESCALATED)
    waiting = fire(timer, t, wib(12, 31, 10, 1), with_holiday, D)
    assert (waiting.sends, waiting.next_due, waiting.postponed) == ((), wib(1, 4, 10, year=2027), True)
    moved = replace(timer, due_at=wib(1, 4, 10, year=2027))
    due = fire(moved, t, wib(1, 4, 10, 1, year=2027), with_holiday, D)
    assert [s.kind for s in due.sends] == ["overdue_lkpp", "status_user"] and not due.postponed
    # the calendar as it was: the deadline stands
    assert [s.kind for s in fire(timer, t, wib(12, 31, 10, 1), CAL, D).sends] == ["overdue_lkpp", "status_user"]


def test_a_holiday_added_later_also_moves_progress_reminders_and_repeats():
    """SPEC 6 (working time, `extra_holidays` included) for the deadlines past the first: LKPP
    wrote Wednesday 25 Nov 2026 10:00, so its next progress report (SOP-015 step 14, 1
    working day) is due Thursday 26 Nov 10:00; the operator then declares Thursday a day off.
    Neither that reminder nor an overdue notice repeating on Thursday goes out on the day
    off: each waits for Friday 27 Nov at the same hour."""
    off_thursday = WorkCalendar.build(extra_holidays=["2026-11-26"])
    progress = Timer(K.LKPP_PROGRESS, wib(11, 25, 10), wib(11, 26, 10))
    held = fire(progress, ticket(State.ESCALATED), wib(11, 26, 10, 1), off_thursday, D)
    assert (held.sends, held.next_due, held.postponed) == ((), wib(11, 27, 10), True)
    repeat = Timer(K.LKPP_PROGRESS, wib(11, 24, 10), wib(11, 26, 10), step=1)
    held = fire(repeat, ticket(State.ESCALATED), wib(11, 26, 10, 1), off_thursday, D)
    assert (held.sends, held.next_due, held.postponed) == ((), wib(11, 27, 10), True)
    again = Timer(K.FIRST_RESPONSE, wib(11, 24, 8), wib(11, 26, 16), step=1)  # ends at closing time
    held = fire(again, ticket(State.OPEN), wib(11, 26, 16, 1), off_thursday, D)
    assert (held.sends, held.next_due, held.postponed) == ((), wib(11, 27, 16), True)
    on_friday = fire(replace(repeat, due_at=wib(11, 27, 10)), ticket(State.ESCALATED), wib(11, 27, 10, 1),
                     off_thursday, D)
    assert [s.kind for s in on_friday.sends] == ["remind_lkpp"] and not on_friday.postponed


def test_a_holiday_added_later_moves_the_close_after_an_unanswered_data_request():
    """LKPP's data request was relayed Friday 20 Nov 2026 10:00: the ticket closes after 5
    working days, Friday 27 Nov 10:00, as the reminder said. Thursday 26 Nov is then
    declared a day off: the requester keeps 5 working days, so it closes Monday 30 Nov 10:00."""
    off_thursday = WorkCalendar.build(extra_holidays=["2026-11-26"])
    closing = Timer(K.AWAITING_INFO, wib(11, 20, 10), wib(11, 27, 10), step=1)
    held = fire(closing, ticket(State.AWAITING_INFO), wib(11, 27, 10, 1), off_thursday, D)
    assert (held.sends, held.close, held.next_due, held.postponed) == ((), False, wib(11, 30, 10), True)
    assert fire(closing, ticket(State.AWAITING_INFO), wib(11, 27, 10, 1), CAL, D).close


# A solution rejected past 3x24 h: the coordinators are told once, over simulated sweeps of
# the pure plan/fire (timers as the store keeps them).

class Sim:
    """Timers as the store keeps them: plan's sets/clears applied, due ones fired."""

    def __init__(self, t: Ticket, now: datetime) -> None:
        self.t = t
        self.timers: dict[TimerKind, Timer] = {}
        self.sent: list[tuple[datetime, str, str, Audience]] = []
        self._apply(plan(None, t, None, now, CAL, D), now)

    def _apply(self, p, now):
        for kind in p.clear:
            self.timers.pop(kind, None)
        for timer in p.set:
            self.timers[timer.kind] = timer

    def move(self, now: datetime, **kw: object) -> None:
        self.sweep(now)
        old, self.t = self.t, replace(self.t, updated_at=now, **kw)  # type: ignore[arg-type]
        self._apply(plan(old, self.t, None, now, CAL, D, active=set(self.timers), running=dict(self.timers)), now)

    def sweep(self, now: datetime) -> None:
        for kind, timer in sorted(self.timers.items(), key=lambda kv: kv[1].due_at):
            while timer.due_at <= now:
                firing = fire(timer, self.t, timer.due_at, CAL, D)
                self.sent += [(timer.due_at, str(kind), s.kind, s.to) for s in firing.sends]
                if firing.next_due is None:
                    self.timers.pop(kind)
                    break
                timer = Timer(kind, timer.started_at, firing.next_due, timer.step + 1)
                self.timers[kind] = timer


def test_a_rejected_solution_past_3x24h_is_told_to_the_coordinators_once() -> None:
    """Opened Friday 08:00, solved Friday 09:00 (before today the 72 h notice fired anyway);
    the requester rejects it Tuesday 10:00, after the 72 hours: the ticket is now past the
    3x24h standard (the summary and the digest say so), so the coordinators are told once
    (SPEC 6 resolution: 'coordinators told once')."""
    fri = wib(11, 20, 8)
    sim = Sim(ticket(created_at=fri, updated_at=fri), fri)
    sim.move(wib(11, 20, 9), state=State.RESOLVED, first_response_at=wib(11, 20, 9), resolved_at=wib(11, 20, 9))
    sim.move(wib(11, 24, 10), state=State.OPEN)  # E4: TIDAK, after the 72 hours ran out (Monday 08:00)
    assert [o.kind for o in find_overdue(sim.t, list(sim.timers.values()), wib(11, 24, 11), CAL, D)
            ] == [K.RESOLUTION]  # the digest lists the breach
    sim.sweep(wib(11, 24, 12))
    told = [s for s in sim.sent if s[1] == "resolution"]
    assert len(told) == 1 and told[0][3] is Audience.COORDINATORS, sim.sent


@pytest.mark.parametrize(("held", "due"), [
    (wib(11, 24, 10), wib(11, 24, 10, 30)),  # SPEC 6 held_form: 30 working minutes
    (wib(11, 27, 15, 50), wib(11, 30, 8, 20)),  # Friday 15:50: 10 minutes that day, 20 on Monday
    (wib(11, 28, 11), wib(11, 30, 8, 30)),  # held on a Saturday: from Monday's opening
])
def test_a_held_form_is_reminded_after_30_working_minutes_and_once(held: datetime, due: datetime) -> None:
    from mailbot.core.deadlines import held_form_due
    from mailbot.core.intake_form import Consultation, Form, HeldForm
    from mailbot.model import Contact

    form = Form(Contact("Sari"), "", "Tidak bisa login", None, None, None, "", ())
    waiting = HeldForm("2026-00001", held, Consultation("telepon", "#telepon", form, "staf@lpse.test", held))
    assert held_form_due(waiting, CAL) == due
    assert held_form_due(replace(waiting, reminded=True), CAL) is None  # one reminder; then the digest


# --- the coordinators' direction and the head's recommendation are timed ---


@pytest.mark.parametrize(("asked", "kind", "audience"), [
    ("coordinators", K.COORDINATOR_DIRECTION, Audience.COORDINATORS), ("heads", K.HEAD_DIRECTION, Audience.HEADS)])
def test_a_case_sent_for_direction_waits_one_working_day_then_those_asked_are_reminded_once(asked, kind, audience):
    """SOP-004 section 1 steps 5, 7: `#koordinator` (`#lapor-kepala`) on Friday 10:00 is due
    Monday 10:00 (one working day, the weekend skipped); the reminder goes to those asked,
    once, and staff are told by a copy of their own (SPEC 6 "staff told"; a Cc would give
    every staff member a Message-ID that proves those asked: a red team)."""
    friday = wib(11, 27, 10)
    open_ticket = ticket(State.OPEN, first_response_at=friday)
    started = plan(open_ticket, open_ticket, False, friday, CAL, D, asked=(asked,))
    [timer] = [t for t in started.set if t.kind is kind]
    assert timer.due_at == wib(11, 30, 10)
    firing = fire(timer, open_ticket, wib(11, 30, 10, 5), CAL, D)
    [send, copy] = firing.sends
    assert send.to is audience and send.cc == () and send.kind == "direction_reminder"
    assert copy.to is Audience.STAFF and copy.cc == () and copy.kind == "direction_reminder"
    assert firing.next_due is None  # once


def test_their_word_stops_the_wait_and_a_closed_ticket_waits_for_none():
    open_ticket = ticket(State.OPEN, first_response_at=MON)
    given = plan(open_ticket, open_ticket, False, MON, CAL, D, answered=("coordinators", "heads"))
    assert {K.COORDINATOR_DIRECTION, K.HEAD_DIRECTION} <= set(given.clear)
    timer = Timer(K.COORDINATOR_DIRECTION, MON, wib(11, 24, 10))
    dropped = fire(timer, ticket(State.CLOSED), wib(11, 24, 11), CAL, D)
    assert dropped.sends == () and [e.kind for e in dropped.events] == ["timer_dropped"]


@pytest.mark.parametrize(("answered", "stopped", "running"), [
    ("coordinators", K.COORDINATOR_DIRECTION, K.HEAD_DIRECTION), ("heads", K.HEAD_DIRECTION, K.COORDINATOR_DIRECTION)])
def test_each_audiences_word_stops_only_its_own_wait(answered, stopped, running):
    """Seed 004 section 1 steps 7-8: the coordinators' answer to their request
    ends their wait and leaves the head's running, and the other way round."""
    open_ticket = ticket(State.OPEN, first_response_at=MON)
    given = plan(open_ticket, open_ticket, False, MON, CAL, D, answered=(answered,))
    assert stopped in given.clear and running not in given.clear


def test_an_answer_and_a_new_request_in_one_decision_stop_one_wait_and_start_the_other():
    """A coordinator who answers the case sent to them with `#lapor-kepala`: their wait ends,
    the head's begins."""
    open_ticket = ticket(State.OPEN, first_response_at=MON)
    both = plan(open_ticket, open_ticket, False, MON, CAL, D, asked=("heads",), answered=("coordinators",))
    assert K.COORDINATOR_DIRECTION in both.clear and [t.kind for t in both.set] == [K.HEAD_DIRECTION]


def test_a_direction_past_its_day_is_overdue_on_those_asked_in_the_digest():
    from mailbot.io.words import words

    timer = Timer(K.HEAD_DIRECTION, MON, wib(11, 24, 10))
    [late] = find_overdue(ticket(State.OPEN, first_response_at=MON), [timer], wib(11, 24, 15), CAL, D)
    assert (late.kind, late.on_whom) == (K.HEAD_DIRECTION, "heads")
    assert words("id").overdue(late.kind, late.span) == "belum ada rekomendasi kepala unit (1 hari kerja)"


# --- the 3x24h standard waits while the requester's documents are awaited
# Seed 002: 3x24 hours "dengan syarat kelengkapan dokumen pendukung terpenuhi"; SPEC 6
# `resolution`: paused while the ticket waits for the requester's documents (`awaiting_info`).


def _resolution_plan(old: Ticket, new: Ticket, now: datetime, running: Timer) -> dict[TimerKind, datetime]:
    return sets(plan(old, new, False, now, CAL, D, running={K.RESOLUTION: running}))


def test_the_3x24h_clock_stands_still_through_two_waits_for_the_requester() -> None:
    """Opened Monday 08:00 (due Thursday 08:00 by wall clock). Staff ask for documents
    Monday 10:00, the requester answers Tuesday 10:00 (24 hours); asked again Wednesday
    09:00, answered Wednesday 21:00, after the office closed (12 hours, wall clock as the
    standard is): due Friday 20:00, 36 hours later than without the waits."""
    opened = ticket(first_response_at=wib(11, 23, 9))
    timer = Timer(K.RESOLUTION, wib(11, 23, 8), wib(11, 26, 8))
    asked = opened.moved(State.AWAITING_INFO, wib(11, 23, 10), "unit")
    assert K.RESOLUTION not in _resolution_plan(opened, asked, wib(11, 23, 10), timer)
    answered = asked.moved(State.OPEN, wib(11, 24, 10))
    assert _resolution_plan(asked, answered, wib(11, 24, 10), timer) == {K.RESOLUTION: wib(11, 27, 8)}
    timer = Timer(K.RESOLUTION, wib(11, 23, 8), wib(11, 27, 8))
    again = answered.moved(State.AWAITING_INFO, wib(11, 25, 9), "unit")
    late_answer = again.moved(State.OPEN, wib(11, 25, 21))
    assert late_answer.waited == timedelta(hours=36) and late_answer.waiting_since is None
    assert _resolution_plan(again, late_answer, wib(11, 25, 21), timer) == {K.RESOLUTION: wib(11, 27, 20)}
    assert find_overdue(late_answer, [], wib(11, 27, 19, 59), CAL, D) == []
    (entry,) = find_overdue(late_answer, [], wib(11, 27, 21), CAL, D)
    assert (entry.kind, entry.due_at, entry.waited) == (K.RESOLUTION, wib(11, 27, 20), timedelta(hours=1))


def test_a_wait_never_answered_is_never_a_breach_of_the_standard() -> None:
    """Asked Monday 10:00 and never answered: on Friday, past the 72 hours, the ticket is
    late on the requester's side (reminded after 2 working days), not past the standard;
    the due RESOLUTION timer sends nothing and keeps its step. Closed after 5 working days
    without the documents, the ticket keeps when its wait began: nobody answered."""
    waiting = ticket(first_response_at=wib(11, 23, 9)).moved(State.AWAITING_INFO, wib(11, 23, 10), "unit")
    resolution = Timer(K.RESOLUTION, wib(11, 23, 8), wib(11, 26, 8))
    data = Timer(K.AWAITING_INFO, wib(11, 23, 10), wib(11, 25, 10))
    found = find_overdue(waiting, [resolution, data], wib(11, 27, 9), CAL, D)
    assert [(o.kind, o.on_whom) for o in found] == [(K.AWAITING_INFO, "requester")]
    firing = fire(resolution, waiting, wib(11, 26, 8), CAL, D)
    assert firing.sends == () and firing.events == () and firing.postponed
    remind = fire(data, waiting, wib(11, 25, 10), CAL, D)
    assert [(s.kind, s.context.get("by_unit")) for s in remind.sends] == [("remind_user", True)]
    (closing,) = [s for s in fire(replace(data, step=1, due_at=wib(11, 30, 10)), waiting, wib(11, 30, 10), CAL,
                                  D).sends if s.kind == "closed"]
    assert closing.context == {"reason": "no_info", "by_unit": True}
    closed = waiting.moved(State.CLOSED, wib(11, 30, 10))
    assert (closed.waiting_since, closed.waited) == (wib(11, 23, 10), timedelta(0))
    assert closed.waited_until(wib(11, 30, 10)) == timedelta(days=7)


def test_lkpps_request_pauses_the_standard_too_and_its_answer_resumes_it() -> None:
    """SPEC 6: the standard pauses in `awaiting_info` whoever asked: LKPP's request relayed
    Tuesday 08:00 (E13), the requester's data on to LKPP Tuesday 14:00 (E3, back to
    `escalated`): due 6 hours later."""
    escalated = ticket(State.ESCALATED, first_response_at=wib(11, 23, 9))
    asked = escalated.moved(State.AWAITING_INFO, wib(11, 24, 8))
    assert asked.info_asked_by == "lkpp"
    back = asked.moved(State.ESCALATED, wib(11, 24, 14))
    timer = Timer(K.RESOLUTION, wib(11, 23, 8), wib(11, 26, 8))
    assert sets(plan(asked, back, False, wib(11, 24, 14), CAL, D, running={K.RESOLUTION: timer}))[K.RESOLUTION] \
        == wib(11, 26, 14)
