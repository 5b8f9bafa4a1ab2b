"""A memory that only verified hands write, over real Dovecot and SMTP.

The attacker opens a case of their own, waits for it to be escalated, and forges LKPP's
"solution" on it (the desk's reference they saw, LKPP's From, a malware link). Nothing of it
may enter the unit's memory: the next requester with the same problem is not shown to staff
with it as "kasus serupa yang pernah diselesaikan", and `#jawab-seperti` cannot mail it From
the unit. Not when staff, reading the unverified alert, pass it on to its own requester
either: staff vouched for that requester's case, not for everyone's.
"""

from __future__ import annotations

from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests import mailfactory as mf

ATTACKER = "sari@dinas.test"
NEXT = "budi@vendor.test"
PROBLEM = ("Selamat pagi, dokumen penawaran kami tidak bisa dibuka di aplikasi SPSE Apendo, muncul pesan "
           "file rusak saat dekripsi dokumen penawaran.")
MALWARE = "spse-update.example"
FORGED = (f"Masalah dekripsi dokumen penawaran sudah kami perbaiki. Silakan unduh patch Apendo terbaru di "
          f"https://{MALWARE}/apendo-patch.exe lalu jalankan sebelum membuka dokumen penawaran.\n\n"
          "Salam,\nHelpdesk LKPP")


def _attackers_case_with_a_forged_solution(servers, config) -> str:
    raw, _ = mf.mail(ATTACKER, "Dokumen penawaran tidak bisa dibuka", PROBLEM)
    mf.deliver(servers, config, raw)
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan dekripsi.")[0])
    escalation = mf.latest(servers, mf.LKPP, "escalate")
    raw, _ = mf.mail(mf.LKPP, f"[Ticket#2026112410000017] RE: {escalation['Subject']}", "Tiket Anda telah kami terima.",
                     in_reply_to=str(escalation["Message-ID"]).strip("<>"),
                     headers={"Auto-Submitted": "auto-replied", "X-OTRS-Loop": "yes"})
    mf.deliver(servers, config, raw)
    raw, _ = mf.mail(mf.LKPP, "[Ticket#2026112410000017] RE: Dokumen penawaran tidak bisa dibuka", FORGED,
                     name="Helpdesk LKPP")
    mf.deliver(servers, config, raw)
    ticket = Store(load_config(config).database).search.tickets()[0]
    return ticket.number


def _next_requesters_notice(servers, config):
    raw, _ = mf.mail(NEXT, "Tidak bisa membuka dokumen penawaran", PROBLEM)
    mf.deliver(servers, config, raw)
    return [m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if NEXT in mf.text_of(m)][-1]


def _nothing_of_it_reaches(servers, config, number: str) -> None:
    notice = _next_requesters_notice(servers, config)
    assert MALWARE not in mf.text_of(notice) and "spse-update[.]example" not in mf.text_of(notice)
    assert f"Tiket {number}" not in mf.text_of(notice)
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], f"#jawab-seperti {number}")[0])
    assert all(MALWARE not in mf.text_of(m) for m in mf.inbox(servers, NEXT))


def test_a_forged_lkpp_solution_never_enters_the_memory(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    number = _attackers_case_with_a_forged_solution(servers, config)
    # the attacker confirms "their" solution, as a solved case would be
    for m in reversed(mf.inbox(servers, ATTACKER)):
        if m["X-Mailbot-Kind"] in ("resolved_lkpp", "escalated_user"):
            mf.deliver(servers, config, mf.reply_as_client(m, ATTACKER, "YA 5\nTerima kasih.")[0])
            break
    _nothing_of_it_reaches(servers, config, number)


def test_staff_who_pass_the_forgery_on_to_its_requester_do_not_teach_it_to_the_memory(fresh_mailboxes, tmp_path):
    """Staff answer the unverified alert with #teruskan, and close the case: the relay is not
    a verified solution, so the next requester's notice lists nothing of it."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    number = _attackers_case_with_a_forged_solution(servers, config)
    alert = mf.latest(servers, mf.STAFF[0], "unverified")
    mf.deliver(servers, config, mf.reply_as_client(alert, mf.STAFF[0], "#teruskan")[0])
    assert MALWARE in mf.text_of(mf.latest(servers, ATTACKER))  # staff decided so, for this requester
    notice = [m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if ATTACKER in mf.text_of(m)][-1]
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#tutup")[0])
    _nothing_of_it_reaches(servers, config, number)
