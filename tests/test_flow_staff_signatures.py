"""A staff member's signature written without a `-- ` line is no part of
what they wrote. Alpine 2.26's default signature (and Outlook's, a mobile client's, a
hand-typed "Salam, Sari") has no delimiter: "Sari Wulandari / Helpdesk LPSE Test" became
the internal note of `#tugaskan`, the close note of `#tutup`, part of the `#minta-data`
request, and went to the requester in a plain reply. Each reply here is written as Alpine
writes one (tests/mailfactory.py `reply_as_alpine`), goes through the suite's Dovecot and
SMTP, and what mailbot sent is read back over IMAP; the ticket's history from the store.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from tests import mailfactory as mf
from tests.test_ladder import events, the_ticket

REQUESTER = "budi@vendor.test"
SARI = "Sari Wulandari"
# Alpine's signature file as the issue quotes it: a name and the unit, no "-- " above them
SIGNATURE = "Sari Wulandari\r\nHelpdesk LPSE Test"
SIGNATURE_LINES = ("Sari Wulandari", "Helpdesk LPSE Test")


@pytest.fixture
def env(fresh_mailboxes, tmp_path):  # type: ignore[no-untyped-def]
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def _open(servers, config, subject: str = "Akun SPSE terkunci") -> EmailMessage:  # type: ignore[no-untyped-def]
    raw, _ = mf.mail(REQUESTER, subject, "Selamat pagi,\nakun SPSE saya terkunci sejak kemarin.\n\nBudi Santoso",
                     name="Budi Santoso")
    mf.deliver(servers, config, raw)
    return mf.latest(servers, mf.STAFF[0], "staff_new")


def _unsigned(text: str) -> bool:
    return not any(line in text for line in SIGNATURE_LINES)


def _notes(config) -> list[str]:  # type: ignore[no-untyped-def]
    """Every text the ticket's history keeps of what staff wrote: its events' texts and the
    new text recorded of each staff mail (`ticket N` shows both)."""
    ticket = the_ticket(config)
    kept = [str(value) for _, detail in events(config, ticket) for key, value in detail.items()
            if key in ("text", "note", "body", "answer") and value]
    return kept + [m["body"] for m in mf.store_of(config).messages.messages_of(ticket.id)
                   if m["direction"] == "in" and m["role"] == "staff" and m["body"]]


def test_tugaskan_note_and_a_plain_reply_carry_no_alpine_signature(env):  # type: ignore[no-untyped-def]
    servers, config = env
    notice = _open(servers, config)
    mf.deliver(servers, config, mf.reply_as_alpine(notice, mf.STAFF[0], "#tugaskan staff2@lpse.test\r\n"
                                                   "Tolong dicek, akun terkunci di sisi ADP.", SIGNATURE, name=SARI))
    assigned = mf.text_of(mf.latest(servers, mf.STAFF[1], "assigned"))
    assert "Tolong dicek, akun terkunci di sisi ADP." in assigned
    assert _unsigned(assigned)

    mf.deliver(servers, config, mf.reply_as_alpine(notice, mf.STAFF[0], "Selamat siang Pak Budi,\r\n\r\n"
                                                   "Akun Bapak sudah kami buka kembali.", SIGNATURE, name=SARI))
    reply = mf.text_of(mf.latest(servers, REQUESTER, "staff_reply"))
    assert "Akun Bapak sudah kami buka kembali." in reply
    assert _unsigned(reply)
    assert all(_unsigned(note) for note in _notes(config))


def test_tutup_and_minta_data_carry_no_alpine_signature(env):  # type: ignore[no-untyped-def]
    servers, config = env
    notice = _open(servers, config)
    mf.deliver(servers, config, mf.reply_as_alpine(notice, mf.STAFF[0], "#minta-data\r\nMohon kirimkan scan NIB "
                                                   "dan surat kuasa direktur.", SIGNATURE, name=SARI))
    request = mf.text_of(mf.latest(servers, REQUESTER, "request_info"))
    assert "Mohon kirimkan scan NIB dan surat kuasa direktur." in request
    assert _unsigned(request)

    mf.deliver(servers, config, mf.reply_as_alpine(notice, mf.STAFF[0], "#tutup\r\nSudah diselesaikan lewat "
                                                   "telepon.", SIGNATURE, name=SARI))
    closed = [m for m in mf.inbox(servers, REQUESTER) if m["X-Mailbot-Kind"] == "closed"]
    assert any("Sudah diselesaikan lewat telepon." in note for note in _notes(config))
    assert all(_unsigned(note) for note in _notes(config))
    assert all(_unsigned(mf.text_of(m)) for m in closed)


def test_a_signature_naming_no_one_is_learned_from_the_staff_members_earlier_mail(env):  # type: ignore[no-untyped-def]
    """Alpine sends no name when none is set ("From: staff2@lpse.test"), and this signature
    names neither the sender nor the unit: nothing in one mail tells it from text. It repeats
    at the end of their mails: from their second mail on it is theirs, not the requester's."""
    servers, config = env
    notice = _open(servers, config)
    signature = "Andi\r\nSeksi Layanan Pengadaan\r\nDiskominfo Kota Uji"
    mf.deliver(servers, config, mf.reply_as_alpine(notice, mf.STAFF[1], "#catatan\r\nSudah saya telepon, "
                                                   "menunggu tangkapan layar.", signature))
    mf.deliver(servers, config, mf.reply_as_alpine(notice, mf.STAFF[1], "Selamat siang Pak Budi,\r\n\r\n"
                                                   "Mohon kirimkan tangkapan layar pesan galatnya.", signature))
    reply = mf.text_of(mf.latest(servers, REQUESTER, "staff_reply"))
    assert "Mohon kirimkan tangkapan layar pesan galatnya." in reply
    assert not any(line in reply for line in ("Andi", "Seksi Layanan Pengadaan", "Diskominfo Kota Uji"))


def test_the_last_lines_of_a_reply_that_are_no_signature_reach_the_requester(env):  # type: ignore[no-untyped-def]
    """The other side: a cut of the writer's words is worse than a signature kept. The unit's
    address under "datang langsung ke" and a number under "hubungi:" are what the requester
    needs."""
    servers, config = env
    notice = _open(servers, config)
    text = ("Selamat siang Pak Budi,\r\n\r\nSilakan datang langsung ke\r\n\r\nHelpdesk LPSE Uji\r\n"
            "Jl. Engku Putri No. 1, Batam\r\n\r\natau hubungi:\r\n\r\n0778-123456")
    mf.deliver(servers, config, mf.reply_as_alpine(notice, mf.STAFF[0], text, SIGNATURE, name=SARI))
    reply = mf.text_of(mf.latest(servers, REQUESTER, "staff_reply"))
    for line in ("Silakan datang langsung ke", "Helpdesk LPSE Uji", "Jl. Engku Putri No. 1, Batam", "atau hubungi:",
                 "0778-123456"):
        assert line in reply
    assert _unsigned(reply)
