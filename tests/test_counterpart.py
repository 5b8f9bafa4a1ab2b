"""The counterpart's own ticket reference, learned from LKPP's mail. Pure.

The forms are those the ticket systems document for their subjects: Request Tracker
"[rtname #N]" (and its pseudo Message-ID <RT-Ticket-N@rtname> in References), OTRS/Znuny
and Zammad "[Ticket#N]", osTicket "[#N]", Jira Service Management "(KEY-N)" or "[KEY-N]",
Freshdesk/Zendesk "#N", a desk's own "[LKPP #N]".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mailbot.core.classify import Known, classify
from mailbot.core.counterpart import references_in, without_references
from mailbot.core.lifecycle import Event, Policy, decide
from mailbot.core.trust import Citation, authenticate, trust_of
from mailbot.model import Address, Audience, InboundMessage, Role, State, Ticket
from tests.test_lifecycle import BOX, CFG, RULES

OURS = ("LPSE-T",)
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
LKPP = Address("helpdesk@lkpp.test")


@pytest.mark.parametrize(("subject", "references", "expected"), [
    ("[lkpp.test #5] AutoReply: [LPSE-T #2026-00004] Eskalasi: Akun terkunci", (), [("[lkpp.test #5]", "tag", "5")]),
    ("RE: [Ticket#2026112110000123] [LPSE-T #2026-00004] Akun terkunci", (),
     [("[Ticket#2026112110000123]", "ticket", "2026112110000123")]),
    ("[Ticket#31001] Re: Akun terkunci", (), [("[Ticket#31001]", "ticket", "31001")]),
    ("Re: [#7734] [LPSE-T #2026-00004] Akun terkunci", (), [("[#7734]", "osticket", "7734")]),
    ("RE: Akun terkunci (SD-123)", (), [("(SD-123)", "jira", "SD-123")]),
    ("[SPSE-42] Akun terkunci", (), [("[SPSE-42]", "jira", "SPSE-42")]),
    ("Re: Akun terkunci #4521", (), [("#4521", "hash", "4521")]),
    ("[Helpdesk LKPP - Tiket #987654] Akun terkunci", (), [("[Helpdesk LKPP - Tiket #987654]", "tag", "987654")]),
    ("[LPSE-T #2026-00004] Akun terkunci", (), []),  # our own tag is no counterpart's
    ("Re: Akun terkunci", ("<RT-Ticket-5@lkpp.test>",), [("RT-Ticket-5@lkpp.test", "message-id", "5")]),
])
def test_references_in_each_systems_form_exactly_as_written(subject, references, expected):
    found = references_in(subject, references, OURS)
    assert [(r.text, r.form, r.number) for r in found] == expected


def test_rts_subject_tag_and_pseudo_message_id_are_one_reference():
    """RT names one ticket twice, "[lkpp.test #5]" in the subject and <RT-Ticket-5@lkpp.test>."""
    found = references_in("[lkpp.test #5] Akun terkunci", ("<RT-Ticket-5@lkpp.test>",), OURS)
    assert [r.text for r in found] == ["[lkpp.test #5]"]
    assert references_in("Akun terkunci", ("<RT-Ticket-5@lkpp.test>",), OURS)[0].key == found[0].key
    assert references_in("[lkpp.test #6] x", (), OURS)[0].key != found[0].key
    assert references_in("[other.desk #5] x", (), OURS)[0].key != found[0].key


def test_mail_to_lkpp_carries_no_reference_the_requester_wrote():
    """A requester's "[lkpp.test #3]" (an older case) never sends our case onto it (SPEC 9)."""
    subject = "[LPSE-T #2026-00004] [lkpp.test #3] [Ticket#2026112110000999] Akun terkunci lagi"
    assert without_references(subject, OURS) == "[LPSE-T #2026-00004] Akun terkunci lagi"


def _ticket(**kw: object) -> Ticket:
    base = Ticket(id=1, mailbox="t", number="2026-00001", state=State.ESCALATED, requester=Address("budi@vendor.test"),
                  subject="Akun terkunci", created_at=NOW - timedelta(days=1), updated_at=NOW - timedelta(hours=1),
                  participants=frozenset({"budi@vendor.test"}))
    return replace(base, **kw)


def _lkpp_mail(subject: str, text: str, **kw: object) -> InboundMessage:
    base: dict[str, object] = {
        "message_id": "rt1@lkpp.test", "synthetic_id": False, "from_addr": LKPP, "to": (), "cc": (), "reply_to": (),
        "subject": subject, "date": NOW, "in_reply_to": (), "references": ("RT-Ticket-5@lkpp.test",), "text": text,
        "new_text": text, "attachments": (), "auto_reason": None, "is_bounce": False, "bounced_ids": (),
        "auth_results": (), "return_path": None, "size": 100}
    base.update(kw)
    return InboundMessage(**base)  # type: ignore[arg-type]


def _known(ticket: Ticket, msg: InboundMessage, recorded: bool) -> Known:
    refs = references_in(msg.subject, msg.cited_ids, OURS)
    return Known(counterpart=refs, by_counterpart=ticket if recorded else None,
                 counterpart_keys=frozenset(r.key for r in refs) if recorded else frozenset())


def test_an_agents_answer_citing_only_the_recorded_reference_is_matched_but_waits_for_staff():
    """RT's CLI answer with only RT's reference: it threads onto the ticket, but a desk's
    reference is a counter anyone can guess, so it proves nothing (SPEC 3, 9):
    an unverified note for staff to decide, nothing to the requester."""
    t = _ticket(lkpp_ref="[lkpp.test #5]", lkpp_ref_form="tag")
    msg = _lkpp_mail("[lkpp.test #5] Akun terkunci", "Mohon dilengkapi NIP dan surat permohonan reset akun.",
                     auto_reason="precedence: bulk", precedence_only=True)
    facts = classify(msg, _known(t, msg, recorded=True), BOX, CFG, RULES, NOW, NOW)
    assert facts.ticket == t and facts.role is Role.LKPP and not facts.message.is_automatic
    trust = trust_of(facts.message, facts.role, facts.ticket, (), CFG.auth, counterpart=facts.counterpart_known)
    assert not trust.authenticated
    decision = decide(facts, trust, Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is State.ESCALATED
    assert not [s for s in decision.sends if s.to is Audience.REQUESTER]


def test_an_agents_answer_carrying_the_escalation_key_is_lkpps_and_is_relayed():
    """The same CLI answer whose subject kept the key mailbot sent LKPP alone: the
    key is looked up as a citation of the mail to LKPP on that ticket, and proves LKPP's."""
    t = _ticket(lkpp_ref="[lkpp.test #5]", lkpp_ref_form="tag")
    msg = _lkpp_mail("[lkpp.test #5] [LPSE-T #2026-00001] [ref:abcdefghij] Akun terkunci",
                     "Mohon dilengkapi NIP dan surat permohonan reset akun.",
                     auto_reason="precedence: bulk", precedence_only=True)
    facts = classify(msg, _known(t, msg, recorded=True), BOX, CFG, RULES, NOW, NOW)
    key = (Citation("2026-00001", frozenset("l"), "escalation_key"),)
    trust = trust_of(facts.message, facts.role, facts.ticket, key, CFG.auth, counterpart=facts.counterpart_known)
    assert trust.authenticated
    decision = decide(facts, trust, Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is State.AWAITING_INFO
    assert "need_info" in {s.kind for s in decision.sends}


def test_a_reference_never_recorded_from_verified_mail_proves_nothing():
    """The same mail when the reference was never learned from LKPP's verified mail: no match."""
    t = _ticket()
    msg = _lkpp_mail("[lkpp.test #5] Akun terkunci", "Mohon dilengkapi NIP.")
    facts = classify(msg, _known(t, msg, recorded=False), BOX, CFG, RULES, NOW, NOW)
    assert facts.ticket is None and not facts.counterpart_known


def test_a_stranger_who_copies_the_reference_gains_nothing():
    """A requester writing RT's reference into a subject is a requester: no LKPP role, no
    counterpart match (references are read only from escalation.senders' mail)."""
    t = _ticket(lkpp_ref="[lkpp.test #5]", lkpp_ref_form="tag")
    msg = _lkpp_mail("[lkpp.test #5] Akun terkunci", "Akun sudah kami reset.", from_addr=Address("eve@evil.test"))
    facts = classify(msg, _known(t, msg, recorded=True), BOX, CFG, RULES, NOW, NOW)
    assert facts.role is Role.REQUESTER and not facts.counterpart_known
    assert facts.event is not Event.LKPP_RESOLVED


def test_authres_mode_still_needs_the_units_server_verdict():
    t = _ticket(lkpp_ref="[lkpp.test #5]")
    key = (Citation("2026-00001", frozenset("l"), "escalation_key"),)
    assert not authenticate(Role.LKPP, t, key, "authres", (False, "dmarc=fail"), counterpart=True).authenticated
    assert authenticate(Role.LKPP, t, key, "authres", (True, "dmarc=pass"), counterpart=True).authenticated
    # the desk's reference alone proves nothing, with or without the server's pass
    assert not authenticate(Role.LKPP, t, (), "authres", (True, "dmarc=pass"), counterpart=True).authenticated
    assert not authenticate(Role.LKPP, t, (), "token", counterpart=True).authenticated
    assert not authenticate(Role.LKPP, t, (), "token", counterpart=False).authenticated
    # the reference is LKPP's: it proves no staff or coordinator message
    assert not authenticate(Role.STAFF, t, (), "token", counterpart=True).authenticated
    assert not authenticate(Role.LKPP, t, (Citation("2026-00001", frozenset("r"), "ack", "a@x"),), "token",
                            counterpart=False).authenticated


@pytest.mark.parametrize("subject", [
    "[lkpp.test #5] Resolved: [LPSE-T #2026-00001] Akun terkunci",  # Request Tracker's stock "Resolved" template
    "Ticket Closed - [LPSE-T #2026-00001] Akun terkunci",  # Freshdesk
    "[Ticket#2026112210000042] Status tiket: Selesai | Antrian: Helpdesk LPSE",  # an OTRS queue's own notice
])
def test_a_desks_status_notice_is_never_relayed_and_alerted_only_when_unproven(subject):
    """RT's "Resolved:" notice: Precedence: bulk, no In-Reply-To; its text reads like a fix. It
    is never relayed to the requester nor moves the ticket. Carrying the escalation
    key mailbot gave LKPP alone, it is recorded quietly; without it, it proves
    nothing and claims a resolution, which is worth the alert any unproven claim gets,
    whatever its headers (changed from "never alerted", which let a forger
    who copied the desk's number and its headers go unseen)."""
    t = _ticket(lkpp_ref="[lkpp.test #5]", lkpp_ref_form="tag")
    msg = _lkpp_mail(subject, "According to our records, your request has been resolved.",
                     auto_reason="precedence: bulk", precedence_only=True)
    facts = classify(msg, _known(t, msg, recorded=True), BOX, CFG, RULES, NOW, NOW)
    assert facts.message.is_automatic
    key = (Citation("2026-00001", frozenset("l"), "escalation_key"),)
    for citations, alerted in (((), True), (key, False)):
        for trust in (trust_of(facts.message, facts.role, facts.ticket, citations, CFG.auth),
                      trust_of(facts.message, facts.role, facts.ticket, citations, CFG.auth,
                               counterpart=facts.counterpart_known)):
            decision = decide(facts, trust, Policy(), NOW)
            assert decision.ticket is not None and decision.ticket.state is State.ESCALATED
            assert [s for s in decision.sends if s.to is Audience.REQUESTER] == []
            assert any(s.kind == "unverified" for s in decision.sends) is alerted
            assert "lkpp_resolved" not in {e.kind for e in decision.events}


def test_an_auto_reply_with_precedence_bulk_stays_automatic():
    t = _ticket(lkpp_ref="[lkpp.test #5]", lkpp_ref_form="tag")
    msg = _lkpp_mail("[lkpp.test #5] AutoReply: Akun terkunci", "This message has been automatically generated.",
                     auto_reason="precedence: bulk", precedence_only=True)
    facts = classify(msg, _known(t, msg, recorded=True), BOX, CFG, RULES, NOW, NOW)
    assert facts.message.is_automatic


def test_the_desks_sign_off_is_no_part_of_what_it_says():
    """LKPP's answer is classified without "Salam, / Agen Helpdesk LKPP" under it (the trained
    second opinion read the desk's name as a reason), but a sentence is never a signature."""
    from mailbot.core.classify import unsigned

    ask = "Mohon dilengkapi NIP dan surat permohonan.\n\nSalam,\nAgen Helpdesk LKPP"
    assert unsigned(ask, "Agen Helpdesk LKPP via Helpdesk LKPP") == "Mohon dilengkapi NIP dan surat permohonan."
    assert unsigned("Mohon dilengkapi NIP.\n\nAgen Helpdesk LKPP", "Helpdesk LKPP") == "Mohon dilengkapi NIP."
    thanks = ("Yth. Admin LPSE,\n\nTerima kasih atas kelengkapan dokumen yang dikirimkan. Email baru sudah aktif.\n\n"
              "Hormat kami,\n\nPutri Anggraini\nHelpdesk LKPP | Call Center 144")
    assert unsigned(thanks, "Helpdesk LKPP") == ("Yth. Admin LPSE,\n\nTerima kasih atas kelengkapan dokumen yang "
                                                 "dikirimkan. Email baru sudah aktif.")


def test_a_notification_headed_reply_above_this_line_keeps_its_comment():
    """Jira Service Management puts its rule and "Reply above this line." above the comment."""
    from mailbot.parsers.quotes import new_text

    text = ("------------------------------------------------\nReply above this line.\n\nAgen LKPP commented:\n\n"
            "Mohon dilengkapi NIP.\n\nView request: https://lkpp.test/servicedesk/customer/portal/1/SD-123\n"
            "Turn off this request's notifications\n")
    assert new_text(text) == "Agen LKPP commented:\n\nMohon dilengkapi NIP."


@pytest.mark.parametrize(("subject", "notice"), [
    ("Ticket Received - [LPSE-T #2026-00001] Akun terkunci #4521", True),  # Freshdesk
    ("Support Ticket Opened [#658214]", True),  # osTicket
    ("Thanks for your inquiry ([LPSE-T #2026-00001] Akun terkunci) [Ticket#31001]", True),  # Zammad
    ("Re: [LPSE-T #2026-00001] Akun terkunci #4521", False),  # an agent's answer
    ("RE: (SD-123) [LPSE-T #2026-00001] Akun terkunci", False),
])
def test_a_desks_acknowledgement_or_notice_is_read_from_its_subject(subject, notice):
    assert (RULES.lkpp_notice(subject, "") is not None) is notice
