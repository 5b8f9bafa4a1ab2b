"""`#riwayat` / `#history` in the pure layers (SPEC E12h): the parser, the
decision, the recipient, and the history view the mail carries (no servers).

SPEC E12h: "staff `#riwayat` / `#history`: the ticket's history mailed back to that staff
member; internal". So: no state change, nothing on the ticket but the record that it was asked
for, exactly one mail, to the sender (the From that gave the role, never a Reply-To), none to
the requester; an unauthenticated one runs nothing (E19). Expected values are written from the
SPEC, never read from the code's tables. tests/test_lifecycle.py has its cells by state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.classify import Known, classify
from mailbot.core.commands import parse_commands
from mailbot.core.lifecycle import Decision, Policy, decide
from mailbot.core.recipients import addresses
from mailbot.core.trust import Citation, trust_of
from mailbot.io import ticket_views
from mailbot.model import Address, Audience, State
from tests.test_lifecycle import (
    BOX,
    CFG,
    COORDINATOR,
    HEAD,
    NOW,
    RULES,
    STAFF,
    STATES,
    message,
    ticket,
)

LETTERS = {STAFF: "s", COORDINATOR: "c", HEAD: "h"}  # the audience of the notice each one answers


def decided(sender: Address, text: str, state: State, *, proven: bool = True) -> Decision:
    """`text` from `sender` on a ticket in `state`, replying to mail sent to the sender's role
    (`proven`) or citing only mail sent to the requester (a new mail with the tag: SPEC 9)."""
    t = ticket(state)
    msg = message(sender, text)
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    cited = (Citation(t.number, frozenset(LETTERS[sender] if proven else "r")),)
    return decide(facts, trust_of(msg, facts.role, facts.ticket, cited, CFG.auth), Policy(), NOW)


def sends(decision: Decision) -> set[tuple[str, str]]:
    return {(str(s.to), s.kind) for s in decision.sends} | {(str(a), s.kind) for s in decision.sends for a in s.cc}


@pytest.mark.parametrize("text", ["#riwayat", "#history", "#Riwayat.", "# riwayat", "＃RIWAYAT",
                                  "Selamat siang,\n\n#riwayat"])
def test_both_spellings_as_people_type_them(text: str) -> None:
    parsed = parse_commands(text)
    assert not parsed.errors and [c.name for c in parsed.commands] == ["history"] and parsed.body == ""


def test_a_number_after_it_is_refused_not_ignored() -> None:
    """The history is always of the ticket replied to: `#riwayat 2026-00042` would silently
    answer with another ticket's history than the one the sender meant."""
    parsed = parse_commands("#riwayat 2026-00042")
    assert not parsed.commands and [e.code for e in parsed.errors] == ["no_argument"]
    decision = decided(STAFF, "#riwayat 2026-00042", State.OPEN)
    assert sends(decision) == {("sender", "command_error")}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("sender", [STAFF, COORDINATOR, HEAD], ids=["staff", "coordinator", "head"])
def test_it_changes_nothing_and_mails_the_sender_alone(sender: Address, state: State) -> None:
    """E12h in every state, for staff and for the internal roles that may run staff commands:
    the ticket as it was (its last update too), the request recorded with its actor, one
    automatic mail to the sender and none to anyone else (no `command_ok`: the history is the
    answer; no note to staff of a coordinator's command: a look is no direction)."""
    decision = decided(sender, "#riwayat", state)
    assert decision.ticket == ticket(state)
    assert [(s.to, s.kind, s.cc, s.auto) for s in decision.sends] == [
        (Audience.SENDER, "history", (), "auto-generated")]
    assert [(e.kind, e.actor) for e in decision.events] == [("history_requested", sender.addr)]
    assert decision.label == "history_requested"
    assert decision.exempt  # caused by an authenticated message: never held back (SPEC 5)


@pytest.mark.parametrize("state", STATES)
def test_an_unauthenticated_one_sends_no_history(state: State) -> None:
    """E19: a new mail with the tag proves nothing; no history leaves, the staff address is
    told it was not run and the coordinators are alerted, as for any command."""
    decision = decided(STAFF, "#riwayat", state, proven=False)
    assert sends(decision) == {("coordinators", "unverified"), ("sender", "not_run")}
    assert decision.ticket == ticket(state)
    assert [e.kind for e in decision.events] == ["unverified_note"]


def test_it_rides_along_with_metadata_and_the_history_comes_last() -> None:
    """Beside E11 (as E11 goes beside any command): the priority changes, the sender hears
    what ran, and the history, queued after the rest, holds what the message did."""
    decision = decided(STAFF, "#prioritas tinggi\n#riwayat", State.ESCALATED)
    assert decision.ticket is not None and decision.ticket.priority == "high"
    assert decision.ticket.state is State.ESCALATED
    assert [(str(s.to), s.kind) for s in decision.sends] == [("sender", "command_ok"), ("sender", "history")]


def test_staff_mail_with_it_that_matches_no_ticket_is_told_so() -> None:
    """SPEC 3: no ticket, no history; the explanatory reply as for any staff mail."""
    msg = message(STAFF, "#riwayat", subject="Riwayat tiket kemarin")
    facts = classify(msg, Known(), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, None, (), CFG.auth), Policy(), NOW)
    assert decision.ticket is None and sends(decision) == {("sender", "staff_no_ticket")}


def test_the_sender_is_the_address_that_gave_the_role_never_a_reply_to() -> None:
    """SPEC 1, 9: the From is the configured staff address the role comes from; a Reply-To
    (anyone's) is not where the requester's data goes."""
    msg = message(STAFF, "#riwayat", reply_to=(Address("sari@dinas.test"),))
    assert addresses(Audience.SENDER, BOX, CFG, ticket(State.OPEN), msg) == (STAFF.addr,)


# --- the view the mail carries (`ticket_views.ticket_detail`, as `mailbot ticket N --full`) ---------

WIB = ZoneInfo("Asia/Jakarta")
AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC).isoformat()


def row(direction: str, kind: str, **values: object) -> dict[str, object]:
    base: dict[str, object] = {"direction": direction, "kind": kind, "sender": STAFF.addr, "recipients": STAFF.addr,
                               "subject": "Re: [LPSE-T #2026-00001] Akun terkunci", "at": AT, "received_at": None,
                               "body": None, "full_text": None, "archive_path": None, "queued_raw": None}
    base.update(values)
    return base


def full_view(messages: list[dict[str, object]]) -> list[str]:
    return ticket_views.ticket_detail(ticket(State.OPEN), [], messages, WIB, full=True)


def test_an_earlier_history_mail_and_a_reply_quoting_one_are_not_repeated_inside_a_history() -> None:
    """Each history would hold every one before it, and one asked for by replying to the last
    doubled each time: the history mail is one line, a reply that quotes one shows its new text."""
    earlier = "\n".join(full_view([row("in", "ticket_opened", body="Akun saya terkunci.")]))
    quoted = "\n".join("> " + line for line in earlier.splitlines())
    lines = full_view([
        row("out", "history", queued_raw=b"Subject: x\n\n" + earlier.encode()),
        row("in", "history_requested", body="#history",
            full_text=f"#history\n\nPada Senin, mailbot menulis:\n{quoted}"),
    ])
    assert "      (the ticket's history as it stood then; not repeated here)" in lines
    assert "      (it quotes a history mail: its new text only)" in lines
    assert "      | #history" in lines
    assert "Akun saya terkunci." not in "\n".join(lines)


def test_a_reply_quoting_other_mail_keeps_its_whole_text() -> None:
    """Only a copy of the view (both its headings) is left out; one heading in a person's
    words ("Messages (whole texts):" pasted alone) is their text like any other."""
    whole = "Sudah saya cek.\n\n> Messages (whole texts):\n> Akun saya terkunci."
    lines = full_view([row("in", "staff_replied", body="Sudah saya cek.", full_text=whole)])
    assert "      | > Akun saya terkunci." in lines
    assert "      (it quotes a history mail: its new text only)" not in lines


def test_the_story_shows_a_message_at_its_arrival_never_after_its_handling() -> None:
    """The story shows a message when it reached the mailbox; an arrival stamped after
    mailbot handled it (a server's clock ahead of the host's) is shown at its handling, so
    the story never puts a message after what it caused."""
    from mailbot.io.ticket_story import story
    from mailbot.io.words import words

    said = words("id")
    tz = ZoneInfo("Asia/Jakarta")

    def row(received: str) -> dict[str, object]:
        return {"direction": "in", "at": "2026-11-24T02:01:00+00:00", "received_at": received,
                "sender": "sari@dinas.test", "role": "requester", "kind": "requester_mail", "body": "Mohon dibantu."}

    earlier, later = row("2026-11-24T01:58:00+00:00"), row("2026-11-27T12:13:00+00:00")
    assert [i["at"] for i in story([], [earlier], tz, said, 2026)] == ["Selasa 24-11 08:58"]
    assert [i["at"] for i in story([], [later], tz, said, 2026)] == ["Selasa 24-11 09:01"]
