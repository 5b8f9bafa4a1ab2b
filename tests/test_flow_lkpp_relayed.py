"""Issue 45, point 11: LKPP's words reach the requester as LKPP's answer to them, over real
Dovecot and SMTP.

LKPP writes to the unit ("Yth. Helpdesk LPSE Uji,"); relayed as it was, the requester read
a letter addressed to the helpdesk. Each mail that carries LKPP's words to the requester
(the solution, a data request, a status report, staff's `#teruskan`) now says whose words
follow and sets them apart, and an opening line that only greets the unit is left out.
LKPP's words themselves are kept: what follows the greeting, a greeting of the requester.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def escalated(servers, config) -> EmailMessage:
    mf.deliver(servers, config, mf.mail(REQUESTER, "Gagal kirim penawaran tender 12345",
                                        "Saat kirim penawaran muncul error 500.", name="Budi Santoso")[0])
    notice = mf.latest(servers, mf.STAFF[0])
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan pengecekan.")[0])
    return mf.latest(servers, mf.LKPP)


def flat(text: str) -> str:
    return " ".join(text.split())


# LKPP's words after its greeting of the unit, the mail kind they reach the requester in, and
# how that mail introduces them (issue 45: "Helpdesk LKPP menjawab permasalahan Anda sebagai berikut:").
CASES = [
    ("Permasalahan sudah kami perbaiki, silakan dicoba kembali.", "resolved_lkpp",
     "Helpdesk LKPP menjawab permasalahan Anda sebagai berikut:"),
    ("Mohon dilampirkan screenshot pesan error dan kode tender.", "need_info",
     "Helpdesk LKPP meminta data tambahan dari Anda sebagai berikut:"),
    ("Permasalahan sedang kami proses oleh tim teknis.", "status_user",
     "Helpdesk LKPP menyampaikan perkembangan penanganan permasalahan Anda sebagai berikut:"),
]
GREETINGS = [
    "Yth. Helpdesk LPSE Uji,",
    "Kepada Yth.\nTim Helpdesk LPSE Kota Batam\ndi Tempat",
    "Dear LPSE helpdesk,",
]


@pytest.mark.parametrize("greeting", GREETINGS)
@pytest.mark.parametrize(("words", "kind", "intro"), CASES)
def test_lkpp_words_reach_the_requester_as_lkpps_answer_to_them(env, words, kind, intro, greeting):
    servers, config = env
    escalation = escalated(servers, config)
    body = f"{greeting}\n\n{words}\n\nSalam,\nAndi - Helpdesk LKPP"
    mf.deliver(servers, config, mf.reply_as_client(escalation, mf.LKPP, body, to=mf.UNIT)[0])
    got = flat(mf.text_of(mf.latest(servers, REQUESTER, kind)))
    assert intro in got, got
    assert words in got, got
    for unit_greeting in ("Helpdesk LPSE Uji,", "Helpdesk LPSE Kota Batam", "di Tempat", "Dear LPSE helpdesk"):
        assert unit_greeting not in got, (unit_greeting, got)
    # set apart: LKPP's words stand between the introduction and a closing marker
    assert got.index(intro) < got.index(words)


def test_staffs_relay_of_lkpp_mail_introduces_it_and_leaves_out_the_units_greeting(env):
    """`#teruskan`: an LKPP mail the rules left to staff goes on to the requester as LKPP's answer."""
    servers, config = env
    escalation = escalated(servers, config)
    body = "Yth. Helpdesk LPSE Uji,\n\nTerima kasih atas emailnya.\n\nSalam,\nAndi - Helpdesk LKPP"
    mf.deliver(servers, config, mf.reply_as_client(escalation, mf.LKPP, body, to=mf.UNIT)[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_lkpp")
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#teruskan")[0])
    got = flat(mf.text_of(mf.latest(servers, REQUESTER, "relay")))
    assert "Helpdesk LKPP menjawab permasalahan Anda sebagai berikut:" in got, got
    assert "Terima kasih atas emailnya." in got
    assert "Helpdesk LPSE Uji," not in got, got


@pytest.mark.parametrize(("first", "solution"), [
    ("Yth. Bapak/Ibu Pengguna SPSE,", "Permasalahan sudah kami perbaiki, silakan dicoba kembali."),
    ("Yth. Helpdesk LPSE Uji, permasalahan sudah kami perbaiki, silakan dicoba kembali.", ""),
])
def test_a_greeting_of_the_requester_or_words_on_the_greetings_line_are_kept(env, first, solution):
    """Only a line that does nothing but greet the unit is left out: LKPP greeting the requester
    ("Yth. Bapak/Ibu Pengguna SPSE,") or writing its answer on the greeting's line is passed on
    whole, so nothing of LKPP's answer is lost."""
    servers, config = env
    escalation = escalated(servers, config)
    body = f"{first}\n\n{solution}\n\nSalam,\nAndi"
    mf.deliver(servers, config, mf.reply_as_client(escalation, mf.LKPP, body, to=mf.UNIT)[0])
    got = flat(mf.text_of(mf.latest(servers, REQUESTER, "resolved_lkpp")))
    assert first in got, got
    assert solution in got, got
