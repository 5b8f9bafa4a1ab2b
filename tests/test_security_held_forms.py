"""A forged call or visit form opens only on an explicit yes, over real
Dovecot and SMTP, in the default `auth.mode: token`.

The attacker writes a `#datang` form as a new mail From a staff address: a visitor's address
and a "solution" with a phishing link. mailbot holds it and asks that staff address. Whatever
the real staff member answers but `#buka` (a worded refusal, their out-of-office rule with or
without headers, an empty reply) opens nothing and mails no one outside; a person's worded answer
cancels the form for good and tells the coordinators (SPEC 3, 9); an out-of-office, with
headers or without, is no one's answer and leaves the form to its sender.
"""

from __future__ import annotations

import pytest

from tests import mailfactory as mf

VISITOR = "budi@vendor.test"
COORDINATOR = "koordinator@lpse.test"
LURE = "https://spse-verifikasi.example/login"
FORGED = f"""#datang
Nama: Budi Santoso
Instansi: CV Maju Jaya
Email: {VISITOR}
Permasalahan: Akun penyedia terkunci.
Jawaban: Akun Anda harus diverifikasi ulang hari ini di {LURE} dengan user ID dan password SPSE Anda.
"""


@pytest.fixture
def held(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail(mf.STAFF[0], "tamu hari ini", FORGED)[0])
    notice = mf.latest(servers, mf.STAFF[0], "intake_confirm")
    return servers, config, notice


def _opened(config) -> list:
    from mailbot.config.load import load_config
    from mailbot.io.store import Store

    return Store(load_config(config).database).search.tickets()


def test_the_notice_shows_the_whole_form_with_its_answer(held):
    """Staff confirm exactly what would be sent: the Jawaban is in the notice, with the yes to write."""
    servers, config, notice = held
    assert "Akun Anda harus diverifikasi ulang" in mf.text_of(notice)
    assert "#buka" in mf.text_of(notice)
    assert _opened(config) == [] and mf.inbox(servers, VISITOR) == []


@pytest.mark.parametrize("answer", [
    "Saya tidak pernah mengirim formulir ini, ini palsu, jangan dibuka",
    "TIDAK",
    "#batal",
    "batal",
])
def test_any_answer_but_the_yes_cancels_the_forged_form_and_tells_the_coordinators(held, answer):
    servers, config, notice = held
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], answer)[0])
    assert _opened(config) == []
    assert mf.inbox(servers, VISITOR) == []
    told = mf.of_kind(mf.inbox(servers, COORDINATOR), "intake_cancelled")
    assert len(told) == 1 and "Budi Santoso" in mf.text_of(told[0])

    # cancelled for good: a later yes to the same notice opens nothing
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#buka")[0])
    assert _opened(config) == [] and mf.inbox(servers, VISITOR) == []
    assert servers.fetch(mf.UNIT) == []


@pytest.mark.parametrize("away", [
    "Terima kasih atas email Anda. Saya sedang cuti sampai 30 November 2026 dan akan membalas setelah kembali.",
    ("Thank you for your email. I am away from the office until Monday with limited access to e-mail; "
     "I will reply on my return."),
])
def test_an_out_of_office_reply_without_headers_neither_opens_nor_cancels(held, away):
    """The staff member's vacation rule that sends no Auto-Submitted writes words, not the yes;
    and it is no person's answer either (one rule with directions, closing
    words and ratings): it cancels nothing and alerts no one, the form waits for its sender,
    whose `#buka` still opens it (before, it cancelled the form and told the coordinators it
    was forged)."""
    servers, config, notice = held
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], away)
    mf.deliver(servers, config, raw)
    assert _opened(config) == [] and mf.inbox(servers, VISITOR) == []
    assert mf.of_kind(mf.inbox(servers, COORDINATOR), "intake_cancelled") == []
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#buka")[0])  # the real yes, later
    [ticket] = _opened(config)
    assert ticket.channel == "datang"


def test_an_auto_reply_with_headers_opens_nothing_and_leaves_the_form_to_its_sender(held):
    servers, config, notice = held
    raw, _ = mf.mail(mf.STAFF[0], f"Otomatis: {notice['Subject']}", "Saya sedang cuti.",
                     in_reply_to=str(notice["Message-ID"]).strip("<>"), headers={"Auto-Submitted": "auto-replied"})
    mf.deliver(servers, config, raw)
    assert _opened(config) == [] and mf.inbox(servers, VISITOR) == []
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#buka")[0])  # the real yes, later
    [ticket] = _opened(config)
    assert ticket.channel == "datang"


def test_an_empty_reply_opens_nothing_and_says_what_to_write(held):
    servers, config, notice = held
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "")[0])
    assert _opened(config) == [] and mf.inbox(servers, VISITOR) == []
    assert "#buka" in mf.text_of(mf.latest(servers, mf.STAFF[0], "command_error"))
    assert mf.of_kind(mf.inbox(servers, COORDINATOR), "intake_cancelled") == []


def test_the_explicit_yes_opens_it(held):
    """`#buka` from the staff address that received the notice: the ticket opens as SPEC 3 says."""
    servers, config, notice = held
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#buka")[0])
    [ticket] = _opened(config)
    assert ticket.channel == "datang" and ticket.requester.addr == VISITOR
    assert len(mf.inbox(servers, VISITOR)) == 1
