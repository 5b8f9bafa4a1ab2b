"""The deadlines shown for a ticket now (`core/shown_deadlines`), pure, over real 2026 dates.

SPEC 6 and seed 002: the 3x24h standard stands still while the requester's documents are
awaited (E12g `#minta-data`, E13 LKPP's request); LKPP's status and progress wait while LKPP
waits for the requester (SOP-015 steps 7-9); once the solution is sent (`#selesai`) the
ticket waits for the requester's confirmation, not for the 3x24h standard. A reminder that
repeats is shown by the deadline it reminds of, not by its next reminder. The ticket goes
through the timer plans the daemon makes (`deadlines.plan`), each deadline written out here
from the SPEC's spans (first response 4 working hours, LKPP 2 and 1 working days, data 2 then
5 working days, confirmation 3 working days, 3x24 hours) on the working week of Monday
23 November 2026 (08:00-16:00 WIB).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from mailbot.core.applicable import next_deadlines
from mailbot.core.deadlines import fire, plan
from mailbot.core.overdue import find_overdue
from mailbot.core.plan import running_after
from mailbot.core.shown_deadlines import shown_deadlines
from mailbot.core.worktime import WorkCalendar
from mailbot.model import Address, State, Ticket, Timer, TimerKind
from mailbot.rules import Deadlines

WIB = ZoneInfo("Asia/Jakarta")
CAL = WorkCalendar.build()
D = Deadlines(first_response=4, lkpp_status=2, lkpp_progress=1, awaiting_info_remind=2, awaiting_info_close=5,
              confirm_close=3, resolution=72)
K = TimerKind


def wib(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


OPENED = wib(23, 9)  # Monday


class Desk:
    """One ticket and its running timers, moved as the daemon moves them."""

    def __init__(self) -> None:
        self.ticket = Ticket(id=1, mailbox="btm", number="2026-00042", state=State.OPEN,
                             requester=Address("budi@vendor.test", "Budi"), subject="Akun terkunci",
                             created_at=OPENED, updated_at=OPENED)
        self.running: dict[TimerKind, Timer] = {}
        self._apply(None, self.ticket, OPENED)

    def move(self, state: State, at: datetime, *, lkpp: bool = False, asked_by: str | None = None,
             answered: bool = False) -> None:
        old = self.ticket
        new = old.moved(state, at, asked_by)
        if answered and new.first_response_at is None:
            new = replace(new, first_response_at=at)
        self._apply(old, new, at, lkpp=lkpp)

    def lkpp_message(self, at: datetime) -> None:
        self._apply(self.ticket, self.ticket, at, lkpp=True)

    def sweep(self, now: datetime) -> None:
        """Every due timer fired as the sweep fires it (repeats keep their row, moved on)."""
        for kind, timer in list(self.running.items()):
            while timer.due_at <= now:
                firing = fire(timer, self.ticket, now, CAL, D)
                if firing.next_due is None:
                    del self.running[kind]
                    break
                timer = replace(timer, step=timer.step + (0 if firing.postponed else 1), due_at=firing.next_due)
                self.running[kind] = timer

    def shown(self, now: datetime) -> dict[TimerKind, tuple[datetime | None, bool]]:
        return {e.kind: (e.at, e.past) for e in shown_deadlines(self.ticket, self.running.values(), now, CAL, D)}

    def _apply(self, old: Ticket | None, new: Ticket, at: datetime, lkpp: bool = False) -> None:
        changes = plan(old, new, lkpp, at, CAL, D, active=set(self.running), running=self.running)
        self.running = running_after(self.running, changes)
        self.ticket = new


def _entries(desk: Desk, now: datetime) -> Mapping[TimerKind, object]:
    return {e.kind: e for e in shown_deadlines(desk.ticket, desk.running.values(), now, CAL, D)}


def test_a_new_ticket_shows_its_first_response_and_the_3x24h_standard():
    desk = Desk()
    assert desk.shown(wib(23, 9, 1)) == {K.FIRST_RESPONSE: (wib(23, 13), False), K.RESOLUTION: (wib(26, 9), False)}


def test_after_the_units_request_for_data_the_3x24h_clock_stands_still_with_what_is_left():
    """E12g at Monday 10:00, an hour after the opening: the ticket waits for the requester's
    data (2 working days: Wednesday 10:00; closed after 5: Monday 30th 10:00); the standard
    shows no date, 71 of its 72 hours left."""
    desk = Desk()
    desk.move(State.AWAITING_INFO, wib(23, 10), asked_by="unit", answered=True)
    entries = _entries(desk, wib(23, 10))
    assert list(entries) == [K.AWAITING_INFO, K.RESOLUTION]
    data, standard = entries[K.AWAITING_INFO], entries[K.RESOLUTION]
    assert (data.at, data.past, data.waits_on, data.closes_at) == (wib(25, 10), False, "requester", wib(30, 10))
    assert (standard.at, standard.past, standard.stopped, standard.left) == (None, False, True, timedelta(hours=71))


def test_while_the_data_is_awaited_past_its_reminder_and_the_72_hours_nothing_waits_on_staff():
    """Thursday 10:00: the requester was reminded (the sweep of Wednesday 10:05) and the 72
    hours from the opening have passed; what is past is the requester's data, the ticket
    closes 3 working days after the reminder (Monday 30th 10:05), and the standard still
    stands with 71 hours left: no breach for the digest."""
    desk = Desk()
    desk.move(State.AWAITING_INFO, wib(23, 10), asked_by="unit", answered=True)
    desk.sweep(wib(25, 10, 5))
    desk.sweep(wib(26, 10))
    entries = _entries(desk, wib(26, 10))
    data, standard = entries[K.AWAITING_INFO], entries[K.RESOLUTION]
    assert (data.at, data.past, data.closes_at) == (wib(25, 10), True, wib(30, 10, 5))
    assert (standard.at, standard.stopped, standard.left) == (None, True, timedelta(hours=71))
    overdue = find_overdue(desk.ticket, desk.running.values(), wib(26, 10), CAL, D)
    assert [(o.kind, o.on_whom) for o in overdue] == [(K.AWAITING_INFO, "requester")]


def test_the_data_come_and_the_standard_runs_again_later_by_the_wait():
    """Answered Tuesday 21:00: 35 hours waited, the standard ends Friday 20:00, not Thursday 09:00."""
    desk = Desk()
    desk.move(State.AWAITING_INFO, wib(23, 10), asked_by="unit", answered=True)
    desk.move(State.OPEN, wib(24, 21))
    assert desk.shown(wib(24, 21)) == {K.RESOLUTION: (wib(27, 20), False)}


def test_after_the_solution_the_ticket_waits_for_the_confirmation_not_the_3x24h_standard():
    """`#selesai` Wednesday 09:00: the requester's confirmation is due Monday 30th 09:00 (3
    working days), when the ticket closes by itself; the standard was met."""
    desk = Desk()
    desk.move(State.ANSWERED, wib(23, 11), answered=True)
    desk.move(State.RESOLVED, wib(25, 9))
    entries = _entries(desk, wib(25, 9))
    assert list(entries) == [K.CONFIRM_CLOSE]
    confirm = entries[K.CONFIRM_CLOSE]
    assert (confirm.at, confirm.past, confirm.waits_on, confirm.closes_at) == (wib(30, 9), False, "requester",
                                                                              wib(30, 9))


def test_a_solution_sent_after_the_72_hours_shows_the_confirmation_alone_too():
    desk = Desk()
    desk.sweep(wib(27, 9))
    desk.move(State.RESOLVED, wib(27, 10), answered=True)
    assert desk.shown(wib(27, 10)) == {K.CONFIRM_CLOSE: (wib(2, 10, month=12), False)}


def test_lkpps_request_for_data_stops_its_progress_clock_and_the_standard():
    """Escalated Monday 10:00, LKPP's status Tuesday 10:00 (progress due Wednesday 10:00), its
    request for data Tuesday 14:00: no deadline of LKPP's is shown while the requester's data
    is awaited (due Thursday 14:00)."""
    desk = Desk()
    desk.move(State.ESCALATED, wib(23, 10), answered=True)
    assert desk.shown(wib(23, 10)) == {K.LKPP_STATUS: (wib(25, 10), False), K.RESOLUTION: (wib(26, 9), False)}
    desk.lkpp_message(wib(24, 10))
    assert desk.shown(wib(24, 10)) == {K.LKPP_PROGRESS: (wib(25, 10), False), K.RESOLUTION: (wib(26, 9), False)}
    desk.move(State.AWAITING_INFO, wib(24, 14), lkpp=True)
    assert TimerKind.LKPP_PROGRESS in desk.running  # its row stays, paused
    entries = _entries(desk, wib(25, 11))
    assert list(entries) == [K.AWAITING_INFO, K.RESOLUTION]
    assert (entries[K.AWAITING_INFO].at, entries[K.RESOLUTION].left) == (wib(26, 14), timedelta(hours=72 - 29))


def test_a_ticket_unanswered_for_67_days_shows_the_first_response_it_missed_not_the_next_reminder():
    desk = Desk()
    now = OPENED + timedelta(days=67)
    desk.sweep(now)
    assert desk.running[K.FIRST_RESPONSE].due_at > now  # the row holds tomorrow's reminder
    shown = shown_deadlines(desk.ticket, desk.running.values(), now, CAL, D)
    assert [(e.kind, e.at, e.past, e.waits_on) for e in shown] == [
        (K.FIRST_RESPONSE, wib(23, 13), True, "staff"), (K.RESOLUTION, wib(26, 9), True, "staff")]


def test_a_standard_that_ran_out_before_the_request_for_data_stays_past_and_is_no_new_breach():
    desk = Desk()
    desk.move(State.AWAITING_INFO, wib(27, 10), asked_by="unit", answered=True)  # Friday, 73 hours on
    standard = _entries(desk, wib(27, 11))[K.RESOLUTION]
    assert (standard.at, standard.past, standard.stopped, standard.left) == (wib(26, 9), True, True, timedelta(0))
    assert find_overdue(desk.ticket, desk.running.values(), wib(27, 11), CAL, D) == []


def test_the_footers_rows_in_the_units_zone():
    desk = Desk()
    desk.move(State.AWAITING_INFO, wib(23, 10), asked_by="unit", answered=True)
    assert next_deadlines(desk.ticket, desk.running, wib(23, 10), CAL, D) == [
        {"kind": "awaiting_info", "at": "2026-11-25T10:00:00+07:00", "past": False, "waits_on": "requester",
         "closes_at": "2026-11-30T10:00:00+07:00"},
        {"kind": "resolution", "at": "", "past": False, "waits_on": "requester", "stopped": True,
         "left_minutes": 71 * 60}]


def test_a_repeated_overdue_notice_names_the_deadline_missed_not_its_own_time():
    """The first response was due Monday 13:00; the notices of Tuesday and Wednesday say so (an
    LKPP reminder alike: its progress was due a working day after its last message)."""
    opened = Timer(K.FIRST_RESPONSE, OPENED, wib(23, 13))
    ticket = Desk().ticket
    first = fire(opened, ticket, wib(23, 13, 1), CAL, D)
    again = fire(replace(opened, step=1, due_at=first.next_due), ticket, first.next_due, CAL, D)
    assert [f.sends[0].context["due"] for f in (first, again)] == ["2026-11-23T13:00:00+07:00"] * 2
    escalated = replace(ticket, state=State.ESCALATED)
    progress = Timer(K.LKPP_PROGRESS, wib(23, 10), wib(26, 10), step=2)  # reminded twice already
    assert fire(progress, escalated, wib(26, 10), CAL, D).sends[0].context["due"] == "2026-11-24T10:00:00+07:00"
