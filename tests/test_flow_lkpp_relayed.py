"""LKPP's words reach the requester as LKPP's answer to them, over real
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
# how that mail introduces them ("Helpdesk LKPP menjawab permasalahan Anda sebagai berikut:").
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


def _received(servers, words: str) -> int:
    """How many of the requester's mails, read over IMAP, carry these words of LKPP's."""
    return sum(words in flat(mf.text_of(m)) for m in mf.inbox(servers, REQUESTER))


def _footer(notice: EmailMessage) -> str:
    text = flat(mf.text_of(notice))
    return text[text.index("Perintah yang dapat dipakai sekarang"):]


def test_no_requester_receives_lkpps_words_twice(env):
    """What went to the requester by itself (LKPP's status, its request for data) is said on
    staff's notice with its time, is not offered to pass on again, and staff's `#teruskan` or
    `#permintaan-data` on it is refused with that reason: the requester reads each text once."""
    servers, config = env
    escalation = escalated(servers, config)
    status = "Permasalahan sedang kami proses oleh tim teknis."
    mf.deliver(servers, config, mf.reply_as_client(escalation, mf.LKPP, f"{status}\n\nSalam,\nAndi",
                                                   to=mf.UNIT)[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_lkpp")
    said = flat(mf.text_of(notice))
    assert "Dikirim kepada pengguna sebagai kabar perkembangan penanganan pada" in said, said
    assert "#teruskan" not in _footer(notice) and "#permintaan-data" not in _footer(notice)
    for command in ("#teruskan", "#permintaan-data"):
        mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], command)[0])
        refusal = flat(mf.text_of(mf.latest(servers, mf.STAFF[0], "command_error")))
        assert f"{command}: balasan terakhir Helpdesk LKPP sudah diteruskan kepada pengguna pada" in refusal
    assert _received(servers, status) == 1

    request = "Mohon dilampirkan screenshot pesan error dan kode tender."
    mf.deliver(servers, config, mf.reply_as_client(escalation, mf.LKPP, f"{request}\n\nSalam,\nAndi",
                                                   to=mf.UNIT)[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_lkpp")
    assert "Dikirim kepada pengguna sebagai permintaan data tambahan pada" in flat(mf.text_of(notice))
    assert "#permintaan-data" not in _footer(notice)
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#permintaan-data")[0])
    assert "sudah diteruskan kepada pengguna" in flat(mf.text_of(mf.latest(servers, mf.STAFF[0], "command_error")))
    assert _received(servers, request) == 1


def test_what_staff_pass_on_goes_once(env):
    """An LKPP answer the rules left to staff is offered to pass on, goes with `#teruskan`, and a
    second `#teruskan` on it sends nothing: the requester reads it once."""
    servers, config = env
    escalation = escalated(servers, config)
    words = "Terima kasih atas emailnya, kami cek dahulu ke tim terkait."
    mf.deliver(servers, config, mf.reply_as_client(escalation, mf.LKPP, words, to=mf.UNIT)[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_lkpp")
    assert "#teruskan" in _footer(notice)
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#teruskan")[0])
    assert "#teruskan" not in _footer(mf.latest(servers, mf.STAFF[0], "command_ok"))
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#teruskan")[0])
    assert "sudah diteruskan kepada pengguna" in flat(mf.text_of(mf.latest(servers, mf.STAFF[0], "command_error")))
    assert _received(servers, words) == 1
