"""Point 4 (SPEC 9, E19): an unproven mail that claims a resolution is worth the same
alert whatever its headers, over the suite's Dovecot and SMTP in the default `auth.mode: token`.

Staff filed the case in LKPP's LPSE Support by hand (`#lpse-support 12345`, E12e), so the
number is LKPP's reference on the ticket, and a reference is countable: anyone who saw it can
write it. A forger writes LKPP's desk notice naming it, `[Ticket#12345] Resolved: ...`, with
the headers a ticket system puts on its notices (`Auto-Submitted`, `Precedence: bulk`). Before,
that was recorded as a desk notice and alerted nobody, while the same forgery written like a
person alerted the coordinators. Both now alert the coordinators and staff, and neither reaches
the requester nor moves the ticket. A genuine notice of the desk, which carries the escalation
key mailbot gave LKPP alone, is still recorded quietly.
"""

from __future__ import annotations

import pytest

from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"
LURE = "https://spse-verifikasi.example/login"
CLAIM = (f"Tiket Anda telah diselesaikan oleh tim teknis LKPP. Silakan verifikasi ulang akun SPSE Anda di {LURE} "
         "untuk mengaktifkan kembali kontrak.")
MACHINE = {"Auto-Submitted": "auto-generated", "Precedence": "bulk"}


@pytest.fixture
def filed(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail(REQUESTER, "Kontrak belum bisa ditandatangani",
                                        "Adendum kontrak paket 10012345000 tidak bisa diunggah.")[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#lpse-support 12345\n"
                                                                         "Sudah kami laporkan di LPSE Support.")[0])
    return servers, config


def alerts(servers) -> int:  # type: ignore[no-untyped-def]
    return len(mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "unverified"))


def state(config) -> str:  # type: ignore[no-untyped-def]
    store = mf.store_of(config)
    try:
        (ticket,) = store.search.tickets()
        return str(ticket.state)
    finally:
        store.close()


@pytest.mark.parametrize(("subject", "headers"), [
    ("[Ticket#12345] Resolved: Kontrak belum bisa ditandatangani", MACHINE),  # the desk notice, as forged
    ("[Ticket#12345] Resolved: Kontrak belum bisa ditandatangani", {"Auto-Submitted": "auto-generated"}),
    ("[Ticket#12345] Resolved: Kontrak belum bisa ditandatangani", {"Precedence": "bulk"}),
    ("[Ticket#12345] Status tiket: Selesai", {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}),
    ("[LPSE Support #12345] Kontrak belum bisa ditandatangani", MACHINE),  # a resolution in its words only
    ("[Ticket#12345] Resolved: Kontrak belum bisa ditandatangani", {}),  # a desk's notice with no header
    ("Re: [Ticket#12345] Kontrak belum bisa ditandatangani", {}),  # the control: written like a person
])
def test_a_forged_resolution_naming_the_desks_number_alerts_whatever_its_headers(filed, subject, headers):
    servers, config = filed
    forged, _ = mf.mail(mf.LKPP, subject, CLAIM, headers=headers, name="Helpdesk LKPP")
    mf.deliver(servers, config, forged)
    assert alerts(servers) == 1
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack", "escalated_user"]
    assert state(config) == "escalated"


def test_an_unproven_desk_acknowledgement_that_claims_nothing_alerts_no_one(filed):
    """What is not a claim of a resolution stays what it was: a desk's automatic receipt naming
    the number is recorded, no alert."""
    servers, config = filed
    receipt, _ = mf.mail(mf.LKPP, "[Ticket#12345] Ticket Received - Kontrak belum bisa ditandatangani",
                         "Terima kasih, tiket Anda telah kami terima dan akan segera diproses.", headers=MACHINE)
    mf.deliver(servers, config, receipt)
    assert alerts(servers) == 0
    assert state(config) == "escalated"
