"""Over the suite's Dovecot and SMTP: an out-of-office that sends no header
(no Auto-Submitted, no X-Autoreply, a plain `Re: <subject>`) decides nothing where a reply
counts as someone's decision. Besides directions (tests/test_flow_direction_waits.py) and held
forms (tests/test_security_held_forms.py), a requester's answer to a solution and their words
after closing (SPEC E4, E5; SOP-002 step 12): the vacation rule that answers the solution
neither rejects it (sending the case back to staff) nor confirms it, the one that answers the
closing notice reopens nothing, and the requester's own "YA 5" later still closes with its
rating.
"""

from __future__ import annotations

import pytest

from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"
AWAY = ("Terima kasih atas email Anda. Saya sedang cuti sampai 4 Desember 2026 dan akan membalas setelah kembali "
        "ke kantor. Untuk hal yang mendesak silakan hubungi kantor kami di 0778-123456.")


def _ticket(config):  # type: ignore[no-untyped-def]
    store = mf.store_of(config)
    try:
        (ticket,) = store.search.tickets()
        return ticket
    finally:
        store.close()


@pytest.fixture
def solved(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail(REQUESTER, "Tidak bisa login SPSE", "Akun saya terkunci sejak pagi.")[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nAkun Anda sudah kami buka "
                                                                         "kembali, silakan login.")[0])
    return servers, config, mf.latest(servers, REQUESTER, "resolved")


def test_an_out_of_office_answering_a_solution_neither_rejects_nor_confirms_it(solved):
    servers, config, solution = solved
    away = mf.reply_as_client(solution, REQUESTER, AWAY)[0]
    assert b"Auto-Submitted" not in away
    mf.deliver(servers, config, away)
    assert str(_ticket(config).state) == "resolved"  # before: "open", back to staff as a rejection
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack", "resolved"]

    mf.deliver(servers, config, mf.reply_as_client(solution, REQUESTER, "YA 5, sudah bisa login. Terima kasih.")[0])
    ticket = _ticket(config)
    assert (str(ticket.state), ticket.rating) == ("closed", 5)


def test_an_out_of_office_answering_the_closing_notice_reopens_nothing(solved):
    servers, config, solution = solved
    mf.deliver(servers, config, mf.reply_as_client(solution, REQUESTER, "YA")[0])
    closed = mf.latest(servers, REQUESTER, "closed")
    mf.deliver(servers, config, mf.reply_as_client(closed, REQUESTER, AWAY)[0])
    assert str(_ticket(config).state) == "closed"  # before: reopened as the requester's new words


def test_the_requesters_own_words_still_decide(solved):
    """The control: a person who is on leave and says the solution did not work rejects it."""
    servers, config, solution = solved
    words = "Saya sedang cuti, tapi barusan saya coba dari rumah dan masih belum bisa login."
    mf.deliver(servers, config, mf.reply_as_client(solution, REQUESTER, words)[0])
    assert str(_ticket(config).state) == "open"


STAFF_AWAY = ("Terima kasih atas email Anda. Saya sedang dinas luar sampai 4 Desember 2026 dan akan membalas "
              "setelah kembali ke kantor. Untuk hal yang mendesak silakan hubungi helpdesk2@lpse.test.")


def test_a_staff_members_out_of_office_answering_a_notice_never_reaches_the_requester(fresh_mailboxes, tmp_path):
    """SPEC E6: a staff member's plain reply to a notice goes to the requester as the unit's
    answer. Their vacation rule answers the notice with no header: it is recorded as automatic
    mail, the requester hears nothing of it, and the ticket still waits for staff."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail(REQUESTER, "Tidak bisa login SPSE", "Akun saya terkunci sejak pagi.")[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    away = mf.reply_as_client(notice, mf.STAFF[0], STAFF_AWAY)[0]
    assert b"Auto-Submitted" not in away
    mf.deliver(servers, config, away)
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack"]  # before: and "staff_reply"
    assert str(_ticket(config).state) == "open"
    # a person's first answer that only says the mail arrived and will be followed up still goes
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[1], "Terima kasih, email Anda sudah kami "
                                                   "terima dan akan kami tindak lanjuti segera.")[0])
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack", "staff_reply"]
    assert "akan kami tindak lanjuti segera" in mf.text_of(mf.latest(servers, REQUESTER, "staff_reply"))


def test_a_requesters_out_of_office_answering_lkpps_data_request_is_not_sent_to_lkpp(fresh_mailboxes, tmp_path):
    """SPEC E3 (SOP-015 step 9): the requester's answer to LKPP's request for data goes to LKPP
    at once. Their vacation rule answering it is no data: LKPP gets nothing and the ticket still
    waits for the requester's own answer, which then goes to LKPP."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail(REQUESTER, "Gagal upload dokumen penawaran", "Muncul error 500.")[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan.")[0])
    escalation = mf.latest(servers, mf.LKPP, "escalate")
    mf.deliver(servers, config, mf.reply_as_client(escalation, mf.LKPP, "Mohon dilengkapi surat kuasa dan NIB "
                                                                          "perusahaan.", to=mf.UNIT)[0])
    request = mf.latest(servers, REQUESTER, "need_info")
    mf.deliver(servers, config, mf.reply_as_client(request, REQUESTER, AWAY)[0])
    assert not mf.of_kind(mf.inbox(servers, mf.LKPP), "forward_info")  # before: LKPP got the vacation notice
    assert str(_ticket(config).state) == "awaiting_info"
    mf.deliver(servers, config, mf.reply_as_client(request, REQUESTER, "Berikut NIB kami: 1234567890123.")[0])
    assert len(mf.of_kind(mf.inbox(servers, mf.LKPP), "forward_info")) == 1
