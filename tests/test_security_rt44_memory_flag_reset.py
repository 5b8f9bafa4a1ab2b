"""A red team ("a memory that only verified hands write"), over real Dovecot and SMTP.

Memory.solved_material drops a `#teruskan` relay only while the LAST inbound LKPP row before it
is an `unverified_note`. Any other LKPP row in between resets that: the attacker, after their
forged "solution" (reference only, unverified), forges LKPP's auto-reply too (Auto-Submitted,
the desk's reference, no In-Reply-To, no key). That is recorded as `lkpp_ack`, not as
unverified. Staff then pass the forged solution on from its alert (the premise of
tests/test_security_memory.py), close the case, and the forged text is in the unit's memory:
the next requester's staff notice lists it as "kasus serupa yang pernah diselesaikan", and
`#jawab-seperti` mails it From the unit to someone else.
"""

from __future__ import annotations

from tests import mailfactory as mf

ATTACKER = "sari@dinas.test"
NEXT = "budi@vendor.test"
PROBLEM = ("Selamat pagi, dokumen penawaran kami tidak bisa dibuka di aplikasi SPSE Apendo, muncul pesan "
           "file rusak saat dekripsi dokumen penawaran.")
# No link, no address, no number: nothing #jawab-seperti's checks refuse, and harmful all the same.
FORGED = ("Masalah dekripsi dokumen penawaran sudah kami analisis. Solusinya: nonaktifkan antivirus dan "
          "firewall, hapus folder sertifikat SPSE di komputer Anda, lalu kirim ulang dokumen penawaran "
          "tanpa enkripsi agar dapat dibuka panitia.\n\nSalam,\nHelpdesk LKPP")
MARK = "nonaktifkan antivirus"


def _poisoned(servers, config, *, forged_auto_reply: bool) -> None:
    mf.deliver(servers, config, mf.mail(ATTACKER, "Dokumen penawaran tidak bisa dibuka", PROBLEM)[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan dekripsi.")[0])
    escalation = mf.latest(servers, mf.LKPP, "escalate")
    mf.deliver(servers, config, mf.mail(mf.LKPP, f"[Ticket#2026112410000017] RE: {escalation['Subject']}",
                                        "Tiket Anda telah kami terima.",
                                        in_reply_to=str(escalation["Message-ID"]).strip("<>"),
                                        headers={"Auto-Submitted": "auto-replied", "X-OTRS-Loop": "yes"})[0])
    # the attacker's forgery: the desk's reference only
    mf.deliver(servers, config, mf.mail(mf.LKPP, "[Ticket#2026112410000017] RE: Dokumen penawaran tidak bisa dibuka",
                                        FORGED, name="Helpdesk LKPP")[0])
    if forged_auto_reply:
        # and a forged "auto-reply" of the desk: reference only, no In-Reply-To, no key
        mf.deliver(servers, config, mf.mail(mf.LKPP,
                                            "[Ticket#2026112410000017] Auto: Dokumen penawaran tidak bisa dibuka",
                                            "Pesan Anda sedang kami proses.", name="Helpdesk LKPP",
                                            headers={"Auto-Submitted": "auto-replied"})[0])
    alert = [m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "unverified") if MARK in mf.text_of(m)][-1]
    mf.deliver(servers, config, mf.reply_as_client(alert, mf.STAFF[0], "#teruskan")[0])
    assert MARK in mf.text_of(mf.latest(servers, ATTACKER))  # staff decided so, for this requester
    notice = [m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if ATTACKER in mf.text_of(m)][-1]
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#tutup")[0])


def _next_requester_gets_nothing_of_it(servers, config) -> None:
    mf.deliver(servers, config, mf.mail(NEXT, "Tidak bisa membuka dokumen penawaran", PROBLEM)[0])
    notice = [m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if NEXT in mf.text_of(m)][-1]
    listed = "Tiket 2026-00001" in mf.text_of(notice)
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#jawab-seperti 2026-00001")[0])
    mailed = any(MARK in mf.text_of(m) for m in mf.inbox(servers, NEXT))
    assert (listed, mailed) == (False, False), "(listed to staff as a solved case, mailed From the unit)"


def test_control_relay_of_a_forgery_stays_out_of_memory(fresh_mailboxes, tmp_path):
    """Held: the attack of tests/test_security_memory.py with this text (no link)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    _poisoned(servers, config, forged_auto_reply=False)
    _next_requester_gets_nothing_of_it(servers, config)


def test_a_forged_desk_auto_reply_after_the_forgery_launders_it_into_memory(fresh_mailboxes, tmp_path):
    """FINDING: one more forged mail (an 'auto-reply' of the desk) and the relay counts as verified."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    _poisoned(servers, config, forged_auto_reply=True)
    _next_requester_gets_nothing_of_it(servers, config)
