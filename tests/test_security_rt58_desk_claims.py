"""A red team (SPEC 9, E19): an unproven mail that claims a resolution is
worth the same alert whatever its headers, and whatever ticket system's words it is written in.
Over the suite's Dovecot and SMTP in the default `auth.mode: token`.

The rule read a desk's state notice in its subject only, and only where the subject starts with
it after the system's tags ("[Ticket#N] Resolved: ...", Freshdesk's "Ticket Closed - ..."). A
forger writes the notice as other systems word theirs, with their machine headers: OTRS/Znuny's
customer notice "[Ticket#N] Your ticket has been closed", osTicket's "Ticket #N has been
closed", Zammad's "Status: closed" under the title, Jira Service Management's "Status changed:
... -> Resolved", Salesforce's "Case N closed", an Indonesian desk's "Permintaan Anda telah
ditutup", each naming the ticket by the desk's number or by the escalation's tag. Each was
recorded as the desk's acknowledgement or as automatic mail on the ticket and alerted no one.
Each now alerts the coordinators and staff; the desks' own receipts (tests/data/desks, and
"Ticket Received") still alert no one.
"""

from __future__ import annotations

import pytest

from tests import mailfactory as mf
from tests.test_security_resolution_claims import MACHINE, REQUESTER, alerts, filed, state  # noqa: F401

TITLE = "Kontrak belum bisa ditandatangani"
TAG = f"{mf.PREFIX} #2026-00001"  # the escalation's subject, which a desk keeps: it names the ticket


@pytest.mark.parametrize(("system", "subject", "body"), [
    ("OTRS/Znuny", f"[Ticket#12345] Your ticket has been closed: {TITLE}",
     "Dear customer,\n\nyour ticket [Ticket#12345] has been closed by our agent.\n\nYour LKPP Service Team"),
    ("osTicket", "Ticket #12345 has been closed",
     f"Ticket #12345 ({TITLE}) has been closed. Reply to this email to reopen it."),
    ("Zammad", f"{TITLE} [Ticket#12345]", "Ticket: 12345\nState: closed\n\nYour request was closed."),
    ("Jira Service Management", f"[{TAG}] (LKPP-12345) {TITLE}",
     "Status changed: Waiting for support -> Resolved\n\nView request LKPP-12345 in the customer portal."),
    ("Salesforce", f"Case 12345 closed: [{TAG}] {TITLE}", "Your case has been closed. Thank you for contacting LKPP."),
    ("an Indonesian desk", f"[#12345] Permintaan Anda telah ditutup - {TITLE}",
     "Yth. Pelapor,\nPermintaan Anda nomor 12345 telah ditutup dengan status SELESAI.\nHelpdesk LKPP"),
])
def test_a_forged_desk_notice_in_another_systems_words_alerts(filed, system, subject, body):  # noqa: F811
    servers, config = filed
    forged, _ = mf.mail(mf.LKPP, subject, body, headers=MACHINE, name="Helpdesk LKPP")
    mf.deliver(servers, config, forged)
    assert alerts(servers) == 1, system
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack", "escalated_user"]
    assert state(config) == "escalated"


@pytest.mark.parametrize(("subject", "body"), [
    (f"[Ticket#12345] Ticket Received - {TITLE}",
     "Terima kasih, tiket Anda telah kami terima dan akan segera diproses."),
    ("Support Ticket Opened [#12345]", "We received your request. Status: Open. A support agent will reply soon."),
    (f"(LKPP-12345) Request received: {TITLE}", "Your request status is Waiting for support."),
    (f"[Ticket#12345] {TITLE}", "Tiket ini akan ditutup otomatis bila tidak ada tanggapan dalam 3 hari."),
])
def test_a_desk_receipt_that_claims_nothing_still_alerts_no_one(filed, subject, body):  # noqa: F811
    servers, config = filed
    receipt, _ = mf.mail(mf.LKPP, subject, body, headers=MACHINE)
    mf.deliver(servers, config, receipt)
    assert alerts(servers) == 0
    assert state(config) == "escalated"
