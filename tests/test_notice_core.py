"""Pure: what a staff notice offers and says of its ticket (`core/applicable`), and what
of a solved case's answer goes to another requester (`core/reuse`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.applicable import next_deadlines, offered
from mailbot.core.command_table import COMMANDS
from mailbot.core.deadlines import TimerPlan
from mailbot.core.lifecycle import TABLE
from mailbot.core.plan import running_after
from mailbot.core.reuse import done_lines, previewed, reused
from mailbot.core.worktime import WorkCalendar
from mailbot.model import Address, State, Ticket, Timer, TimerKind
from mailbot.rules import Deadlines, load_rules

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
CAL = WorkCalendar.build()


def test_every_command_but_a_held_forms_answers_makes_an_event_the_lifecycle_runs():
    """A command whose event no row of the lifecycle runs would be offered nowhere, silently."""
    events = {event for event, _ in TABLE}
    made = {c.name: c.event for c in COMMANDS}
    assert {name for name, event in made.items() if event is None} == {"open_form", "cancel_form"}
    assert all(event in events for event in made.values() if event is not None), made


@pytest.mark.parametrize("state", list(State))
def test_a_held_forms_answers_are_never_offered_on_a_ticket(state):
    assert not {"open_form", "cancel_form"} & set(offered(state, {"lkpp_answer", "mailbox", "ack_waiting", "similar"}))


def test_what_spec_4_lets_run_on_a_closed_and_on_an_escalated_ticket():
    """E8 #eskalasi from open, answered or resolved only; E10 #tutup not on a closed ticket; E12a
    #permintaan-data while escalated or waiting for data, and only with LKPP's answer to pass on."""
    assert set(offered(State.CLOSED, {"lkpp_answer", "mailbox"})) == {
        "note", "priority", "category", "assign", "data", "answer", "history"}
    escalated = set(offered(State.ESCALATED, {"mailbox"}))
    assert "escalate" not in escalated and "close" in escalated and "need_info" not in escalated
    assert "need_info" in offered(State.ESCALATED, {"lkpp_answer"})
    assert "request_info" in offered(State.OPEN, {"mailbox"}) and "request_info" not in offered(State.OPEN, set())
    assert offered(None) == offered("") == ()


def test_the_next_deadline_and_the_3x24h_standard_after_a_decision():
    ticket = Ticket(id=1, mailbox="btm", number="2026-00042", state=State.OPEN,
                    requester=Address("budi@vendor.test", "Budi"), subject="Akun terkunci", created_at=NOW,
                    updated_at=NOW)
    first = Timer(TimerKind.FIRST_RESPONSE, NOW, NOW + timedelta(hours=1))
    resolution = Timer(TimerKind.RESOLUTION, NOW, NOW + timedelta(hours=72))
    running = running_after({}, TimerPlan(set=(resolution, first)))
    high = Deadlines(first_response=1, lkpp_status=2, lkpp_progress=1, awaiting_info_remind=2, awaiting_info_close=5,
                     confirm_close=3, resolution=72)
    assert next_deadlines(ticket, running, NOW, CAL, high) == [
        {"kind": "first_response", "at": "2026-11-24T10:00:00+07:00", "past": False, "waits_on": "staff"},
        {"kind": "resolution", "at": "2026-11-27T09:00:00+07:00", "past": False, "waits_on": "staff"}]
    answered = running_after(running, TimerPlan(clear=(TimerKind.FIRST_RESPONSE,)))
    assert next_deadlines(replace(ticket, state=State.ANSWERED), answered, NOW + timedelta(hours=2), CAL, high) == [
        {"kind": "resolution", "at": "2026-11-27T09:00:00+07:00", "past": False, "waits_on": "requester"}]
    assert next_deadlines(ticket, running, NOW + timedelta(hours=1), CAL, high)[0]["past"] is True
    assert next_deadlines(replace(ticket, state=State.CLOSED), {}, NOW, CAL, high) == []


LETTER = ("Selamat siang Bapak Budi,\n\n"
          "Akun penyedia terkunci karena 5 kali salah password. Alamat email sudah kami perbarui.\n"
          "Silakan login ulang atau gunakan menu Lupa Password.\n\n"
          "Salam,\nAgus - Helpdesk LKPP")


def test_a_reused_answer_keeps_the_solution_without_the_old_greeting_and_signature():
    assert reused(LETTER) == ("Akun penyedia terkunci karena 5 kali salah password. Alamat email sudah kami "
                              "perbarui.\nSilakan login ulang atau gunakan menu Lupa Password.")
    assert reused("Silakan gunakan menu Lupa Password.") == "Silakan gunakan menu Lupa Password."
    assert reused("Selamat siang Bapak Budi,") == ""


def test_the_lines_that_tell_what_was_done_for_the_old_requester_are_found():
    words = load_rules().similar.private.done
    assert done_lines(reused(LETTER), words) == (
        "Akun penyedia terkunci karena 5 kali salah password. Alamat email sudah kami perbarui.",)
    assert done_lines("Silakan gunakan menu Lupa Password.", words) == ()
    assert done_lines("We have reset your password.", words) == ("We have reset your password.",)


def test_a_preview_is_of_this_solution_only():
    text = reused(LETTER)
    assert previewed(f"Mohon dicoba lagi.\n\n{text}", text)
    assert not previewed("Silakan hubungi Pokja.", text)
    assert not previewed("anything", "")


def test_what_took_lkpps_answer_to_the_requester():
    """The first mail after LKPP's answer that carried LKPP's words to the requester; the status
    mail a timer sends while LKPP is silent carries none, and mail to others is no relay."""
    from mailbot.core.passed_on import PassedOn, passed_on
    from mailbot.model import ThreadMessage

    def out(kind: str, body: str = "", role: str = "requester", at: str = "t") -> ThreadMessage:
        return ThreadMessage("out", role, f"{kind}@x", body, None, False, kind, at)

    answer = ThreadMessage("in", "lkpp", "a@lkpp", "Sedang kami proses.", None, False, "lkpp_status", "t0")
    assert passed_on([answer, out("staff_lkpp", role="staff"), out("status_user", "Sedang kami proses.", at="t1")],
                     "a@lkpp") == PassedOn("status_user", "t1")
    assert passed_on([answer, out("status_user"), out("staff_lkpp", role="staff")], "a@lkpp") is None
    assert passed_on([out("relay", "Sedang kami proses."), answer], "a@lkpp") is None  # before it: another's
    assert passed_on([answer, out("relay")], "a@lkpp") == PassedOn("relay", "t")  # its files alone went
