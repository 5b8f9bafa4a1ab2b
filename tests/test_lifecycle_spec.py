"""What each decision of the lifecycle sends and records, checked against SPEC 2, 4 and 5 (pure).

`test_lifecycle.py` checks every cell of SPEC section 4's table by state and by
(audience, kind) of the mail that leaves. These tests check what the table's cells
leave out and a user or operator still sees: which mail is automatic (SPEC 5: only
automatic mail is limited, and mail caused by an authenticated staff or LKPP message
never is), what a relay carries (only the new text, and the message's files), and what
the history records (every state change with its actor, SPEC 4). Expected values come
from the SPEC, never from `mailbot.core.lifecycle`'s own tables.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailbot.config.load import parse_config
from mailbot.core.classify import Known, classify
from mailbot.core.lifecycle import Policy, decide
from mailbot.core.trust import Citation, trust_of
from mailbot.model import Address, Attachment, InboundMessage, Role, State, Ticket
from mailbot.rules import load_rules

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
REQUESTER = Address("budi@vendor.test", "Budi")
STAFF = Address("staff1@lpse.test")
COORDINATOR = Address("koordinator@lpse.test")
LKPP = Address("helpdesk@lkpp.test")
RULES = load_rules(None)
CFG = parse_config({
    "smtp": {"host": "127.0.0.1", "security": "none"},
    "escalation": {"address": LKPP.addr, "senders": ["*@lkpp.test"]},
    "mailboxes": [{"name": "t", "address": "lpse@lpse.test", "tag_prefix": "LPSE-T",
                   "imap": {"host": "127.0.0.1", "security": "none"}, "staff": [STAFF.addr, "staff2@lpse.test"],
                   "coordinators": [COORDINATOR.addr], "heads": ["kepala@lpse.test"]}],
}, Path("/tmp/config.yaml"))
BOX = CFG.mailboxes[0]
AUDIENCE = {Role.STAFF: "s", Role.COORDINATOR: "c", Role.HEAD: "h", Role.LKPP: "l"}
QUOTE = "\n\nPada 22 Nov 2026, Helpdesk LPSE menulis:\n> Mohon dijelaskan masalahnya."
FILE = Attachment("error.png", "image/png", b"\x89PNG")
BEFORE = NOW - timedelta(hours=1)


def ticket(state: State) -> Ticket:
    return Ticket(id=1, mailbox="t", number="2026-00001", state=state, requester=REQUESTER, subject="Akun terkunci",
                  created_at=NOW - timedelta(days=1), updated_at=BEFORE,
                  closed_at=NOW - timedelta(days=1) if state is State.CLOSED else None,
                  resolved_by=STAFF.addr if state is State.RESOLVED else None,
                  participants=frozenset({REQUESTER.addr}))


def message(sender: Address, new_text: str, **kw: object) -> InboundMessage:
    """A reply: `new_text` above the quoted history a mail client adds."""
    base: dict[str, object] = {
        "message_id": "m1@x", "synthetic_id": False, "from_addr": sender, "to": (), "cc": (), "reply_to": (),
        "subject": "Re: [LPSE-T #2026-00001] Akun terkunci", "date": NOW, "in_reply_to": (), "references": (),
        "text": new_text + QUOTE, "new_text": new_text, "attachments": (), "auto_reason": None,
        "is_bounce": False, "bounced_ids": (), "auth_results": (), "return_path": None, "size": 100}
    base.update(kw)
    return InboundMessage(**base)  # type: ignore[arg-type]


def decision_for(msg: InboundMessage, state: State | None, *, proven: bool = True, received_at: datetime = NOW,
                 policy: Policy | None = None):
    """Classify and decide `msg` on a ticket in `state` (None: no ticket). `proven`: it cites
    mail sent to its sender's audience (SPEC 9); False: only mail sent to the requester. A
    bounce names its ticket by the Message-ID it quotes (SPEC 3 (2))."""
    t = ticket(state) if state is not None else None
    known = Known(tagged=t, lkpp_answered=frozenset({1})) if t else Known()
    if t and msg.is_bounce:
        known = Known(referenced=(t,), quotes_ours=True)
    facts = classify(msg, known, BOX, CFG, RULES, received_at, NOW)
    citations = (Citation(t.number, frozenset(AUDIENCE.get(facts.role, "r") if proven else "r")),) if t else ()
    trust = trust_of(msg, facts.role, facts.ticket, citations, CFG.auth)
    return decide(facts, trust, policy or Policy(), NOW)


def sent(decision, kind: str):
    """The one mail of `kind` the decision sends."""
    found = [s for s in decision.sends if s.kind == kind]
    assert len(found) == 1, [s.kind for s in decision.sends]
    return found[0]


# --- SPEC 5: which decisions the limits may hold back ------------------------------------

def test_an_authenticated_staff_reply_is_never_limited():
    """SPEC 5: mail caused by an authenticated staff message (a relay) is never limited."""
    decision = decision_for(message(STAFF, "Silakan coba login ulang."), State.OPEN)
    assert sent(decision, "staff_reply")
    assert decision.exempt is True


def test_an_authenticated_lkpp_solution_is_never_limited():
    """SPEC 5: solutions LKPP sends are passed to the requester whatever the limits."""
    decision = decision_for(message(LKPP, "Permasalahan telah kami perbaiki, silakan dicoba kembali."), State.ESCALATED)
    assert decision.ticket is not None and decision.ticket.state is State.RESOLVED
    assert decision.exempt is True


def test_a_requester_message_stays_under_the_limits():
    """SPEC 5: a requester's mail causes automatic answers that the limits count (loops)."""
    decision = decision_for(message(REQUESTER, "Tambahan data: kode tender 10012345."), State.OPEN)
    assert decision.exempt is False


def test_an_unproven_staff_message_stays_under_the_limits():
    """SPEC 5 and 9: only an authenticated staff message escapes the limits; a forged one does not."""
    decision = decision_for(message(STAFF, "#tutup"), State.OPEN, proven=False)
    assert sent(decision, "unverified")
    assert decision.exempt is False


def test_an_automatic_lkpp_message_stays_under_the_limits():
    """SPEC 5: LKPP's autoresponder is automatic mail, not an LKPP answer: it escapes no limit."""
    msg = message(LKPP, "Email Anda telah kami terima.", auto_reason="Auto-Submitted: auto-replied")
    decision = decision_for(msg, State.ESCALATED)
    assert decision.exempt is False


# --- SPEC 4: every state change is recorded with its actor; the ticket's last change ----

def test_a_state_change_is_recorded_from_and_to_with_its_actor():
    """SPEC 4: "every state change ... is recorded in the ticket's history with time and actor"."""
    decision = decision_for(message(STAFF, "Silakan coba login ulang."), State.OPEN)  # E6: open -> answered
    changes = [e for e in decision.events if e.kind == "state_changed"]
    assert [(e.actor, dict(e.detail)) for e in changes] == [(STAFF.addr, {"from": "open", "to": "answered"})]


def test_a_requester_reopening_a_closed_ticket_is_recorded_as_a_state_change():
    """E5: closed -> open, by the requester."""
    decision = decision_for(message(REQUESTER, "Masalahnya muncul lagi."), State.CLOSED)
    changes = [e for e in decision.events if e.kind == "state_changed"]
    assert [(e.actor, dict(e.detail)) for e in changes] == [(REQUESTER.addr, {"from": "closed", "to": "open"})]


def test_a_changed_ticket_shows_when_it_last_changed():
    """A ticket a message changes shows that message's time as its last update (`ticket --json`
    shows it as updated_at)."""
    decision = decision_for(message(STAFF, "Silakan coba login ulang."), State.OPEN)
    assert decision.ticket is not None and decision.ticket.updated_at == NOW


def test_a_refused_command_leaves_the_ticket_as_it_was():
    """E18: "nothing else happens": the ticket is not touched, not even its last-update time."""
    decision = decision_for(message(STAFF, "#hapus\nHapus tiket ini."), State.OPEN)
    assert sent(decision, "command_error")
    assert decision.ticket == ticket(State.OPEN)


def test_staff_mail_matching_no_ticket_touches_no_ticket():
    """SPEC 3: staff mail that matches no ticket gets an explanatory reply; no ticket is made or touched."""
    msg = message(STAFF, "Mohon info, tiket mana yang belum dijawab?", subject="Pertanyaan")
    decision = decision_for(msg, None)
    assert decision.ticket is None
    assert {(str(s.to), s.kind) for s in decision.sends} == {("sender", "staff_no_ticket")}


# --- SPEC 2 and 5: automatic mail says so (and so the limits count it) -------------------

def bounce() -> InboundMessage:
    return message(Address("MAILER-DAEMON@vendor.test"), "Delivery to budi@vendor.test failed.",
                   auto_reason="bounce", is_bounce=True, bounced_ids=("ack-1@lpse.test",), return_path="")


# (scenario, message, ticket state, the mails it sends that mailbot writes itself)
AUTOMATIC_MAIL = [
    ("E1 new ticket", message(REQUESTER, "Akun saya terkunci.", subject="Akun terkunci"), None, ("ack", "staff_new")),
    ("E2 requester writes", message(REQUESTER, "Masih belum bisa."), State.OPEN, ("staff_update",)),
    ("E4 requester confirms", message(REQUESTER, "YA 5"), State.RESOLVED, ("closed", "staff_update")),
    ("E5 requester rates late", message(REQUESTER, "YA 5"), State.CLOSED, ("staff_update",)),
    ("E4 requester rejects", message(REQUESTER, "TIDAK, masih error."), State.RESOLVED, ("staff_update",)),
    ("E4 nothing new", message(REQUESTER, ""), State.RESOLVED, ("staff_update",)),
    ("E6 empty staff reply", message(STAFF, ""), State.OPEN, ("command_error",)),
    ("E8 #eskalasi", message(STAFF, "#eskalasi\nDi luar kewenangan kami."), State.OPEN,
     ("escalated_user", "command_ok")),
    ("E10 #tutup", message(STAFF, "#tutup"), State.OPEN, ("closed", "command_ok")),
    ("E11 #tugaskan", message(STAFF, "#tugaskan staff2@lpse.test\nTolong ditangani."), State.OPEN,
     ("assigned", "command_ok")),
    ("E12b #koordinator", message(STAFF, "#koordinator Mohon arahan."), State.OPEN, ("coordinator_case", "command_ok")),
    ("E12d coordinator", message(COORDINATOR, "Tolong cek ke admin agency dulu."), State.OPEN, ("staff_direction",)),
    ("E12d coordinator's command", message(COORDINATOR, "#prioritas tinggi\nTolong segera."), State.OPEN,
     ("command_ok", "staff_direction")),
    ("E13 LKPP asks", message(LKPP, "Mohon dikirimkan screenshot pesan error."), State.ESCALATED, ("staff_lkpp",)),
    ("E16 LKPP status", message(LKPP, "Permasalahan sedang kami proses bersama tim teknis."), State.ESCALATED,
     ("status_user", "staff_lkpp")),
    ("E18 unknown command", message(STAFF, "#hapus\nHapus tiket ini."), State.OPEN, ("command_error",)),
    ("E19 forged staff", message(STAFF, "#tutup"), State.OPEN, ("unverified",)),
    ("E19 forged LKPP", message(LKPP, "Permasalahan telah kami perbaiki."), State.ESCALATED, ("unverified",)),
    ("SPEC 3 staff, no ticket", message(STAFF, "Tiket mana yang belum dijawab?", subject="Pertanyaan"), None,
     ("staff_no_ticket",)),
    ("SPEC 3 LKPP, no ticket", message(LKPP, "Mohon info tiket mana.", subject="Pertanyaan"), None,
     ("staff_unmatched",)),
    ("SPEC 5 bounce", bounce(), State.OPEN, ("staff_alert",)),
]
FORGED = {"E19 forged staff", "E19 forged LKPP"}  # citing only mail sent to the requester (SPEC 9)
ANSWERS = {"ack", "command_ok", "command_error", "staff_no_ticket"}  # answers to the message's own sender


@pytest.mark.parametrize(("name", "msg", "state", "kinds"), AUTOMATIC_MAIL, ids=[c[0] for c in AUTOMATIC_MAIL])
def test_mail_mailbot_writes_itself_is_marked_automatic(name, msg, state, kinds):
    """SPEC 2: automatic answers carry `Auto-Submitted: auto-replied`, other automatic mail
    (notices, reminders, alerts) is auto-generated. SPEC 5 limits exactly that automatic mail:
    an ack or a notice that lost its mark would escape `autoreply_limit` and feed a loop."""
    decision = decision_for(msg, state, proven=name not in FORGED, received_at=NOW - timedelta(minutes=5))
    for kind in kinds:
        mail = sent(decision, kind)
        if kind in ANSWERS:
            assert mail.auto == "auto-replied", kind
        else:
            assert mail.auto in ("auto-generated", "auto-replied"), kind


def test_the_requesters_data_goes_to_lkpp_as_their_own_mail():
    """E3 and SPEC 5: the requester's answer to LKPP's request is forwarded at once and never
    limited: it is the requester's words, not automatic mail (no Auto-Submitted), with their files."""
    msg = message(REQUESTER, "Berikut screenshot dan kode tender 10012345.", attachments=(FILE,))
    decision = decision_for(msg, State.AWAITING_INFO)
    mail = sent(decision, "forward_info")
    assert mail.auto is None
    assert mail.attach == "inbound" and mail.text == "Berikut screenshot dan kode tender 10012345."
    assert decision.ticket is not None and decision.ticket.state is State.ESCALATED


# --- SPEC 2 and 4: what a relay or a notice carries --------------------------------------

def with_file(sender: Address, new_text: str, **kw: object) -> InboundMessage:
    return message(sender, new_text, attachments=(FILE,), **kw)


ON_THIS_MESSAGE = "inbound"  # Send.attach: this message's own files
WHOLE_TICKET = "ticket"  # Send.attach: every file of the case (SOP-015 step 1)
# (scenario, message, state, mail kind, the text it carries, its files); the text is the
# message's new text only ("quoted history in replies is never relayed; only the new text is"),
# below the command lines for a staff command
CARRIES = [
    ("E2 staff notified", with_file(REQUESTER, "Ini screenshot errornya."), State.OPEN, "staff_update",
     "Ini screenshot errornya.", ON_THIS_MESSAGE),
    ("E4 rejection to staff", with_file(REQUESTER, "TIDAK, masih error yang sama."), State.RESOLVED, "staff_update",
     "TIDAK, masih error yang sama.", ON_THIS_MESSAGE),
    ("E6 staff reply", with_file(STAFF, "Silakan ikuti panduan terlampir."), State.OPEN, "staff_reply",
     "Silakan ikuti panduan terlampir.", ON_THIS_MESSAGE),
    ("E8 escalation", with_file(STAFF, "#eskalasi\nDi luar kewenangan kami."), State.OPEN, "escalate",
     "Di luar kewenangan kami.", WHOLE_TICKET),
    ("E9 solution", with_file(STAFF, "#selesai\nAkun sudah dibuka kembali."), State.OPEN, "resolved",
     "Akun sudah dibuka kembali.", ON_THIS_MESSAGE),
    ("E12b to coordinators", message(STAFF, "#koordinator\nPenyedia mendesak, mohon arahan."), State.OPEN,
     "coordinator_case", "Penyedia mendesak, mohon arahan.", WHOLE_TICKET),
    ("E12d direction to staff", with_file(COORDINATOR, "Cek ke admin agency dulu."), State.OPEN, "staff_direction",
     "Cek ke admin agency dulu.", ON_THIS_MESSAGE),
    ("E12d command with direction", with_file(COORDINATOR, "#prioritas tinggi\nSegera ditangani."), State.OPEN,
     "staff_direction", "Segera ditangani.", ON_THIS_MESSAGE),
    ("E13 data request", with_file(LKPP, "Mohon dikirimkan screenshot pesan error."), State.ESCALATED, "need_info",
     "Mohon dikirimkan screenshot pesan error.", ON_THIS_MESSAGE),
    ("E13 staff notified", with_file(LKPP, "Mohon dikirimkan screenshot pesan error."), State.ESCALATED,
     "staff_lkpp", "Mohon dikirimkan screenshot pesan error.", ON_THIS_MESSAGE),
    ("E14 LKPP solution", with_file(LKPP, "Permasalahan telah kami perbaiki, silakan dicoba kembali."),
     State.ESCALATED, "resolved_lkpp", "Permasalahan telah kami perbaiki, silakan dicoba kembali.", ON_THIS_MESSAGE),
    ("E16 status to requester", message(LKPP, "Permasalahan sedang kami proses bersama tim teknis."),
     State.ESCALATED, "status_user", "Permasalahan sedang kami proses bersama tim teknis.", None),
    ("SPEC 3 LKPP, no ticket", with_file(LKPP, "Mohon info tiket mana.", subject="Pertanyaan"), None,
     "staff_unmatched", "Mohon info tiket mana.", ON_THIS_MESSAGE),
]

# who each of those mails goes to (SPEC 2 and the E-rows of SPEC 4)
GOES_TO = {"staff_update": "staff", "staff_reply": "requester", "escalate": "lkpp", "resolved": "requester",
           "coordinator_case": "coordinators", "staff_direction": "staff", "need_info": "requester",
           "staff_lkpp": "staff", "resolved_lkpp": "requester", "status_user": "requester", "staff_unmatched": "staff"}


@pytest.mark.parametrize(("msg", "state", "kind", "text", "files"), [c[1:] for c in CARRIES],
                         ids=[c[0] for c in CARRIES])
def test_a_relay_or_notice_carries_the_new_text_and_the_files(msg, state, kind, text, files):
    """SPEC 2: a notification carries the message and its attachments; SPEC 4: only the new
    text is relayed; E8: the whole ticket with every attachment and the staff note."""
    mail = sent(decision_for(msg, state), kind)
    assert str(mail.to) == GOES_TO[kind]
    assert mail.text == text
    assert mail.attach == files


def test_a_bounce_alert_shows_staff_the_whole_bounce():
    """SPEC 5: a bounce of mailbot's mail is attached to its ticket and staff are alerted with it:
    the server's report is all of it (nothing in it is "quoted history")."""
    mail = sent(decision_for(bounce(), State.OPEN), "staff_alert")
    assert mail.text == bounce().text and mail.attach == ON_THIS_MESSAGE


def test_an_unverified_alert_shows_what_was_tried():
    """E19: the coordinators hear who tried what, and why it failed."""
    decision = decision_for(message(STAFF, "#tutup\nSudah selesai."), State.OPEN, proven=False)
    mail = sent(decision, "unverified")
    assert mail.text == "#tutup\nSudah selesai."
    assert mail.context["sender"] == STAFF.addr and mail.context["reason"]


# --- E1: the new ticket and its history ---------------------------------------------------

COLLEAGUE = Address("sari@vendor.test", "Sari")
FIRST_MAIL = ("Akun SPSE saya terkunci, tidak bisa login saat tender hari ini ditutup.\n\n"
              "Nama: Budi Santoso\nInstansi: CV Maju Jaya\nTelepon: 0812-3456-7890")


def opened(policy: Policy | None = None, received_at: datetime = NOW, **kw: object):
    msg = message(REQUESTER, FIRST_MAIL, subject="Fwd: Akun SPSE terkunci", cc=(COLLEAGUE,), **kw)
    decision = decision_for(msg, None, received_at=received_at, policy=policy)
    assert decision.new_ticket and decision.ticket is not None
    return decision


def test_a_new_ticket_holds_what_the_requester_sent():
    """E1 and SPEC 3: an open ticket of its sender, named by the subject without `Fwd:`,
    opened when the mail arrived; whoever the requester wrote to (Cc) is "already seen" on it."""
    t = opened().ticket
    assert t.state is State.OPEN and t.requester == REQUESTER
    assert t.subject == "Akun SPSE terkunci"
    assert t.created_at == NOW
    assert {REQUESTER.addr, COLLEAGUE.addr} <= t.participants


def test_a_new_ticket_keeps_the_consultation_form_the_requester_filled_in():
    """SOP-003's form (recap columns Nama, SPEC 10): fields the first mail states are on the ticket."""
    t = opened().ticket
    assert (t.contact.name, t.contact.organisation, t.contact.phone) == ("Budi Santoso", "CV Maju Jaya",
                                                                          "0812-3456-7890")


def test_a_new_ticket_gets_the_guessed_category_and_priority():
    """SPEC 7: a new ticket's category and priority are guessed by the rules (the recap's Kategori)
    and the guess, with the rule that made it, is on the ticket's history by mailbot."""
    decision = opened()
    t = decision.ticket
    facts = classify(message(REQUESTER, FIRST_MAIL, subject="Fwd: Akun SPSE terkunci"), Known(), BOX, CFG, RULES,
                     NOW, NOW)
    assert facts.category is not None and facts.priority is not None
    assert (t.category, t.priority) == (facts.category[0], facts.priority[0])
    guesses = {e.kind: (e.actor, dict(e.detail)) for e in decision.events if e.actor == "mailbot"}
    assert guesses["category_guessed"] == ("mailbot", {"value": facts.category[0], "rule": facts.category[1]})
    assert guesses["priority_guessed"] == ("mailbot", {"value": facts.priority[0], "rule": facts.priority[1]})


def test_a_new_ticket_speaks_the_units_language():
    """SPEC 12 `language`: the mail of a unit set to English is English."""
    assert opened(Policy(language="en")).ticket.language == "en"


def test_a_new_ticket_records_its_opening_by_the_requester():
    """SPEC 4: every message in is recorded with its actor: the first one opens the ticket."""
    events = [(e.kind, e.actor) for e in opened().events]
    assert ("ticket_opened", REQUESTER.addr) in events
    assert "state_changed" not in {kind for kind, _ in events}  # born open: no change from no state


def test_a_late_mail_on_a_closed_ticket_opens_one_that_cites_it():
    """E5: past `reopen_days`, a new ticket that cites the old one (its number on the history)."""
    old, later = ticket(State.CLOSED), NOW + timedelta(days=15)
    msg = message(REQUESTER, "Masalahnya muncul lagi.")
    facts = classify(msg, Known(tagged=old), BOX, CFG, RULES, later, later)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (), CFG.auth), Policy(), later)
    assert decision.new_ticket
    cites = [(e.actor, dict(e.detail)) for e in decision.events if e.kind == "cites_ticket"]
    assert cites == [("mailbot", {"number": old.number})]


def test_a_stranger_citing_a_tag_opens_a_ticket_that_notes_the_citation():
    """SPEC 3: anyone else citing the tag opens a new ticket, and the citation is noted (who cited which)."""
    stranger = Address("orang.lain@mail.test")
    decision = decision_for(message(stranger, "Saya juga mengalami masalah yang sama."), State.OPEN)
    assert decision.new_ticket and decision.ticket is not None and decision.ticket.requester == stranger
    cites = [(e.actor, dict(e.detail)) for e in decision.events if e.kind == "cites_ticket"]
    assert cites == [("mailbot", {"number": "2026-00001", "by": stranger.addr})]


# --- SPEC 5: no acknowledgement for old backlog mail or automatic mail --------------------
# The monthly summary reads the history kind "ack_skipped" (reports/queries.py) to know that no
# acknowledgement was owed (seed 003 step 8's 10 minutes); without it a backlog counts as breaches.

def acks(decision) -> list[str]:
    return [s.kind for s in decision.sends if s.kind == "ack"]


@pytest.mark.parametrize("age", [timedelta(minutes=1), timedelta(hours=71, minutes=59), timedelta(hours=72)])
def test_mail_up_to_ack_max_age_hours_old_is_acknowledged(age):
    """SPEC 5: only messages *older* than `ack_max_age_hours` (72) go without an acknowledgement."""
    decision = opened(received_at=NOW - age)
    assert acks(decision) == ["ack"]
    assert not [e for e in decision.events if e.kind == "ack_skipped"]


@pytest.mark.parametrize("age", [timedelta(hours=72, seconds=1), timedelta(hours=72, minutes=2), timedelta(days=30)])
def test_mail_older_than_ack_max_age_hours_opens_a_ticket_without_acknowledgement(age):
    """SPEC 5: an old backlog at the first start becomes tickets without an acknowledgement."""
    decision = opened(received_at=NOW - age)
    assert acks(decision) == []
    assert sent(decision, "staff_new")
    assert [(e.kind, e.actor) for e in decision.events if e.kind == "ack_skipped"] == [("ack_skipped", "mailbot")]


def test_automatic_mail_opens_a_ticket_without_acknowledgement():
    """SPEC 5: mail that looks automatic (an autoresponder's subject) is never answered; staff
    still see it on a ticket."""
    decision = opened(auto_reason="subject: auto-reply")
    assert acks(decision) == []
    skipped = [e for e in decision.events if e.kind == "ack_skipped"]
    assert [(e.actor, dict(e.detail)) for e in skipped] == [("mailbot", {"reason": "subject: auto-reply"})]


# --- SPEC 4: notes and commands on the history; who is "already seen" ---------------------

def test_an_internal_note_keeps_its_words_on_the_history():
    """E7: `#catatan` is an internal note: its text is on the ticket, by its author, and nothing
    goes to the requester."""
    decision = decision_for(message(STAFF, "#catatan sudah ditelepon, menunggu dokumen"), State.OPEN)
    notes = [(e.actor, dict(e.detail)) for e in decision.events if e.kind == "note"]
    assert notes == [(STAFF.addr, {"text": "sudah ditelepon, menunggu dokumen"})]
    assert not [s for s in decision.sends if str(s.to) == "requester"]


def test_words_under_a_metadata_command_are_kept_as_a_note_and_staff_are_told():
    """E11: text under `#prioritas` alone is no answer to the requester: kept as a note, and the
    confirmation tells its sender so."""
    decision = decision_for(message(STAFF, "#prioritas tinggi\nPenyedia sudah menelepon dua kali."), State.OPEN)
    notes = [(e.actor, dict(e.detail)) for e in decision.events if e.kind == "note"]
    assert notes == [(STAFF.addr, {"text": "Penyedia sudah menelepon dua kali."})]
    assert sent(decision, "command_ok").context["kept_as_note"] is True
    assert not [s for s in decision.sends if str(s.to) == "requester"]


def test_a_state_command_alone_is_not_said_to_be_kept_as_a_note():
    """E8: the words under `#eskalasi` are the note to LKPP, not a kept note; the command and its
    note are on the history."""
    decision = decision_for(message(STAFF, "#eskalasi\nDi luar kewenangan kami."), State.OPEN)
    assert sent(decision, "command_ok").context["kept_as_note"] is False
    commands = [(e.actor, dict(e.detail)) for e in decision.events if e.kind == "command_escalate"]
    assert commands == [(STAFF.addr, {"note": "Di luar kewenangan kami."})]


def test_a_metadata_command_alone_is_not_said_to_be_kept_as_a_note():
    decision = decision_for(message(STAFF, "#prioritas tinggi"), State.OPEN)
    assert sent(decision, "command_ok").context["kept_as_note"] is False


def test_a_colleague_the_requester_copies_is_already_seen_on_the_ticket():
    """SPEC 3: an address the requester wrote to (Cc) is a participant; a later mail from it is heard."""
    decision = decision_for(message(REQUESTER, "Saya tambahkan rekan saya.", cc=(COLLEAGUE,)), State.OPEN)
    assert decision.ticket is not None
    assert decision.ticket.participants == frozenset({REQUESTER.addr, COLLEAGUE.addr})


@pytest.mark.parametrize(("msg", "state", "confirmed"), [
    (message(REQUESTER, "YA 5"), State.RESOLVED, True),  # E4: the requester confirmed
    (message(STAFF, "#tutup"), State.OPEN, False),  # E10: staff closed it
])
def test_the_closing_notice_says_who_closed(msg, state, confirmed):
    """E4 and E10: the requester is told the ticket is closed, thanked for confirming only when they did."""
    assert sent(decision_for(msg, state), "closed").context["confirmed"] is confirmed


def test_form_fields_a_requester_gives_later_are_added_to_the_ticket():
    """SOP-003's form: a phone number the requester gives in a later mail is on the ticket (recap)."""
    decision = decision_for(message(REQUESTER, "Bisa dihubungi di nomor ini.\nTelepon: 0812-3456-7890"), State.OPEN)
    assert decision.ticket is not None and decision.ticket.contact.phone == "0812-3456-7890"
