"""The transition table of SPEC section 4, cell by cell, through `decide()` (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mailbot.core.commands import parse_commands
from mailbot.core.lifecycle import TRANSITIONS, Event, Facts, Policy, decide, read_confirmation
from mailbot.core.model import Address, Audience, InboundMessage, Role, State, Ticket

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
POLICY = Policy()
REQUESTER = Address("budi@vendor.test", "Budi")
STAFF = Address("staff1@lpse.test")
LKPP = Address("helpdesk@lkpp.test")


def message(sender: Address = REQUESTER, text: str = "Mohon bantuan.", **kw) -> InboundMessage:
    base = {"message_id": "m1@x", "synthetic_id": False, "from_addr": sender, "to": (), "cc": (), "reply_to": (),
            "subject": "Akun terkunci", "date": NOW, "in_reply_to": (), "references": (), "text": text,
            "new_text": text, "attachments": (), "auto_reason": None, "is_bounce": False, "bounced_ids": (),
            "auth_results": (), "return_path": None, "size": 100}
    base.update(kw)
    return InboundMessage(**base)


def ticket(state: State, **kw) -> Ticket:
    base = {"id": 1, "mailbox": "t", "number": "2026-00001", "state": state, "requester": REQUESTER,
            "subject": "Akun terkunci", "created_at": NOW - timedelta(days=1), "updated_at": NOW - timedelta(hours=1),
            "participants": frozenset({REQUESTER.addr})}
    base.update(kw)
    return Ticket(**base)


def facts(msg: InboundMessage, role: Role, t: Ticket | None, *, authenticated: bool = True,
          lkpp_class: str | None = None) -> Facts:
    commands = parse_commands(msg.new_text) if role in (Role.STAFF, Role.COORDINATOR, Role.HEAD) else None
    return Facts(message=msg, role=role, ticket=t, via="tag" if t else None, cited=None,
                 authenticated=authenticated, auth_reason="signed reference" if authenticated else "no signed reference",
                 received_at=NOW, title=msg.subject, commands=commands, lkpp_class=lkpp_class)


# One inbound message per event: who sends it and what it says.
STAFF_TEXT = {
    Event.STAFF_REPLY: "Silakan coba login ulang.",
    Event.STAFF_NOTE: "#catatan sudah ditelepon",
    Event.STAFF_META: "#prioritas tinggi",
    Event.STAFF_ESCALATE: "#eskalasi\nMohon dibantu, di luar kewenangan kami.",
    Event.STAFF_RESOLVE: "#selesai\nAkun sudah dibuka.",
    Event.STAFF_CLOSE: "#tutup",
    Event.STAFF_RELAY: "#teruskan",
}
LKPP_CLASS = {Event.LKPP_NEED_INFO: "need_info", Event.LKPP_RESOLVED: "resolved", Event.LKPP_RETURNED: "returned",
              Event.LKPP_STATUS: "status", Event.LKPP_OTHER: None}


def facts_for(event: Event, state: State) -> Facts:
    t = ticket(state, closed_at=NOW - timedelta(days=1) if state is State.CLOSED else None)
    if event in STAFF_TEXT:
        return facts(message(STAFF, STAFF_TEXT[event]), Role.STAFF, t)
    if event in LKPP_CLASS:
        return facts(message(LKPP, "Balasan LKPP."), Role.LKPP, t, lkpp_class=LKPP_CLASS[event])
    text = {Event.REQUESTER_CONFIRM: "YA 5", Event.REQUESTER_REJECT: "TIDAK, masih error"}.get(event, "Tambahan data.")
    return facts(message(REQUESTER, text), Role.REQUESTER, t)


# YA/TIDAK outside `resolved` is an ordinary requester mail: the REQUESTER_MAIL row covers it.
CELLS = [(event, state) for event in Event for state in State
         if state is State.RESOLVED or event not in (Event.REQUESTER_CONFIRM, Event.REQUESTER_REJECT)]


@pytest.mark.parametrize(("event", "state"), CELLS, ids=[f"{e}-{s}" for e, s in CELLS])
def test_every_cell_of_the_transition_table(event, state):
    """Allowed cells move to the table's target; refused staff commands only answer command_error."""
    decision = decide(facts_for(event, state), POLICY, NOW)
    target = TRANSITIONS[event].get(state)
    if target is not None:
        assert decision.ticket is not None and decision.ticket.state is target
        assert not any(s.kind == "command_error" for s in decision.sends)
    elif event in STAFF_TEXT:
        assert decision.ticket is not None and decision.ticket.state is state
        assert [s.kind for s in decision.sends] == ["command_error"]
        assert decision.sends[0].to is Audience.SENDER
    else:  # an LKPP class that does not fit the state is handled as unclassified
        assert decision.ticket is not None and decision.ticket.state is state
        assert [s.kind for s in decision.sends] == ["staff_lkpp"]


def test_new_ticket_acks_and_notifies_staff():
    """E1: open, ack to the requester (auto-replied), staff_new with the attachments."""
    decision = decide(facts(message(), Role.REQUESTER, None), POLICY, NOW)
    assert decision.new_ticket and decision.ticket.state is State.OPEN
    assert [(s.kind, s.to, s.auto) for s in decision.sends] == [
        ("ack", Audience.REQUESTER, "auto-replied"), ("staff_new", Audience.STAFF, "auto-generated")]
    assert decision.sends[1].attach == "inbound"


def test_old_mail_gets_no_ack():
    """SPEC 5: mail older than ack_max_age_hours becomes a ticket without acknowledgement."""
    f = replace(facts(message(), Role.REQUESTER, None), received_at=NOW - timedelta(hours=73))
    decision = decide(f, POLICY, NOW)
    assert [s.kind for s in decision.sends] == ["staff_new"]
    assert any(e.kind == "ack_skipped" for e in decision.events)


def test_requester_on_answered_reopens_and_notifies():
    """E2: answered -> open, staff notified with the attachments."""
    decision = decide(facts(message(), Role.REQUESTER, ticket(State.ANSWERED)), POLICY, NOW)
    assert decision.ticket.state is State.OPEN
    assert [(s.kind, s.attach) for s in decision.sends] == [("staff_update", "inbound")]


def test_requester_on_awaiting_info_forwards_to_lkpp():
    """E3 (SOP-015 step 9): the answer goes to LKPP at once; -> escalated."""
    decision = decide(facts(message(), Role.REQUESTER, ticket(State.AWAITING_INFO)), POLICY, NOW)
    assert decision.ticket.state is State.ESCALATED
    assert (decision.sends[0].kind, decision.sends[0].to) == ("forward_info", Audience.LKPP)


def test_closed_within_reopen_days_reopens_later_opens_new():
    """E5: reopen within reopen_days, later a new ticket citing the old."""
    recent = ticket(State.CLOSED, closed_at=NOW - timedelta(days=13))
    assert decide(facts(message(), Role.REQUESTER, recent), POLICY, NOW).ticket.state is State.OPEN
    old = ticket(State.CLOSED, closed_at=NOW - timedelta(days=15))
    decision = decide(facts(message(), Role.REQUESTER, old), POLICY, NOW)
    assert decision.new_ticket and decision.ticket.reopened_from == old.id
    assert decision.sends[0].context["previous"] == old.number


def test_confirmation_closes_with_rating_and_rejection_reopens():
    """E4: YA 5 closes with rating 5; TIDAK returns the ticket to whoever resolved it."""
    resolved = ticket(State.RESOLVED, resolved_by="staff2@lpse.test")
    closed = decide(facts(message(text="YA 5\nTerima kasih"), Role.REQUESTER, resolved), POLICY, NOW)
    assert closed.ticket.state is State.CLOSED and closed.ticket.rating == 5
    reopened = decide(facts(message(text="TIDAK, masih gagal"), Role.REQUESTER, resolved), POLICY, NOW)
    assert reopened.ticket.state is State.OPEN and reopened.ticket.assignee == "staff2@lpse.test"


@pytest.mark.parametrize(("line", "expected"), [
    ("YA", (True, None)), ("ya 5", (True, 5)), ("Ya, 4", (True, 4)), ("TUTUP", (True, None)),
    ("selesai", (True, None)), ("CLOSE", (True, None)), ("TIDAK", (False, None)),
    ("ya tapi masih error di menu upload", (False, None)), ("YA 9", (True, None)),
])
def test_confirmation_words(line, expected):
    """SPEC E4: the first line decides; a rating 1-5 is optional."""
    assert read_confirmation(line, POLICY) == expected


def test_staff_reply_relays_new_text_and_records_first_response():
    """E6: body to the requester (not automatic), -> answered, first response set."""
    decision = decide(facts(message(STAFF, "Silakan coba lagi."), Role.STAFF, ticket(State.OPEN)), POLICY, NOW)
    assert decision.ticket.state is State.ANSWERED and decision.ticket.first_response_at == NOW
    [send] = decision.sends
    assert (send.kind, send.to, send.auto, send.text) == ("staff_reply", Audience.REQUESTER, None, "Silakan coba lagi.")


def test_note_sends_nothing_to_requester():
    """E7: an internal note; only the confirmation to the staff member."""
    decision = decide(facts(message(STAFF, "#catatan sudah ditelepon"), Role.STAFF, ticket(State.OPEN)), POLICY, NOW)
    assert all(s.to is not Audience.REQUESTER for s in decision.sends)
    assert [e.detail.get("text") for e in decision.events if e.kind == "note"] == ["sudah ditelepon"]


def test_unauthenticated_staff_mail_runs_nothing():
    """E19: kept as an unverified note, coordinators alerted, state unchanged."""
    f = facts(message(STAFF, "#tutup"), Role.STAFF, ticket(State.OPEN), authenticated=False)
    decision = decide(f, POLICY, NOW)
    assert decision.ticket.state is State.OPEN
    assert [(s.kind, s.to) for s in decision.sends] == [("unverified", Audience.COORDINATORS)]


def test_close_silent_tells_nobody_but_the_sender():
    """E10: #tutup diam closes without telling the requester."""
    decision = decide(facts(message(STAFF, "#tutup diam"), Role.STAFF, ticket(State.OPEN)), POLICY, NOW)
    assert decision.ticket.state is State.CLOSED
    assert [s.kind for s in decision.sends] == ["command_ok"]


def test_metadata_commands_combine_with_a_state_command():
    """E11: priority, category and assignee change alongside #selesai."""
    text = "#prioritas tinggi\n#kategori pengaduan\n#tugaskan staff2@lpse.test\n#selesai\nSudah diperbaiki."
    decision = decide(facts(message(STAFF, text), Role.STAFF, ticket(State.OPEN)), POLICY, NOW)
    t = decision.ticket
    assert (t.state, t.priority, t.category, t.assignee) == (State.RESOLVED, "high", "pengaduan", "staff2@lpse.test")
    assert [s.kind for s in decision.sends] == ["resolved", "command_ok"]


def test_automatic_mail_is_never_answered():
    """SPEC 5: recorded on its ticket, nothing sent; a bounce alerts staff."""
    auto = message(auto_reason="auto-submitted: auto-replied")
    assert decide(facts(auto, Role.REQUESTER, ticket(State.OPEN)), POLICY, NOW).sends == ()
    assert decide(facts(auto, Role.REQUESTER, None), POLICY, NOW).ticket is None
    bounce = message(auto_reason="bounce: multipart/report", is_bounce=True)
    sends = decide(facts(bounce, Role.REQUESTER, ticket(State.OPEN)), POLICY, NOW).sends
    assert [(s.kind, s.to) for s in sends] == [("staff_alert", Audience.STAFF)]


def test_unmatched_staff_and_lkpp_mail():
    """SPEC 3: staff without ticket get an explanation; LKPP without ticket goes to staff."""
    staff = decide(facts(message(STAFF, "halo"), Role.STAFF, None), POLICY, NOW)
    assert staff.ticket is None and [(s.kind, s.to) for s in staff.sends] == [("staff_no_ticket", Audience.SENDER)]
    lkpp = decide(facts(message(LKPP, "tiket kami"), Role.LKPP, None), POLICY, NOW)
    assert lkpp.ticket is None and [(s.kind, s.to) for s in lkpp.sends] == [("staff_unmatched", Audience.STAFF)]
