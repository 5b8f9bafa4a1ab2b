"""Red-team probes of what staff and coordinators read, in the mailbox's language (SPEC 8, 12).

Each mail is driven through the real daemon over Dovecot and SMTP and read back from the
recipient's INBOX, in an Indonesian and in an English mailbox (`language: en`).
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
REQUESTER = "budi@vendor.test"
COORDINATOR = "koordinator@lpse.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.fixture(params=["id", "en"])
def env(fresh_mailboxes, tmp_path, request):
    config = mf.write_config(fresh_mailboxes, tmp_path, language=request.param, ack_max_age_hours=100000)
    return fresh_mailboxes, config, request.param


def received(servers, user, kind):
    return mf.of_kind([mf.parse(raw) for raw in servers.fetch(user)], kind)


def arrive(servers, config, raw: bytes, moment: datetime) -> None:
    servers.append(mf.UNIT, raw, msg_time=moment)
    mf.handle_at(config, moment)


def open_ticket(servers, config, moment: datetime, body: str = "Akun SPSE saya terkunci sejak pagi.\nBudi"):
    raw, _ = mf.mail(REQUESTER, "Akun SPSE terkunci", body, date=moment, name="Budi Santoso")
    arrive(servers, config, raw, moment)
    return received(servers, mf.STAFF[0], "staff_new")[-1]


def test_auto_close_for_missing_data_is_told_to_staff_as_such(env):
    """SPEC 6: awaiting_info "closed with a notice after 5 working days". Staff were told
    "Pesan baru dari budi@vendor.test pada tiket ... (status: closed)" with no message under
    it: a new message from the requester that does not exist, and no word of the closing."""
    servers, config, language = env
    notice = open_ticket(servers, config, at("2026-11-23T09:00"))
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon dicek.")
    arrive(servers, config, raw, at("2026-11-23T09:10"))
    escalation = received(servers, mf.LKPP, "escalate")[-1]
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Mohon dilengkapi screenshot pesan error dan kode tender.",
                                to=mf.UNIT)
    arrive(servers, config, raw, at("2026-11-23T11:00"))
    mf.sweep(config, at("2026-11-25T11:01"))  # the reminder after 2 working days
    mf.sweep(config, at("2026-11-30T11:01"))  # closed 5 working days after the request

    told = mf.text_of(received(servers, mf.STAFF[0], "staff_update")[-1])
    if language == "id":
        assert "ditutup otomatis" in told and "5 hari kerja" in told
        assert "Pesan baru dari" not in told
    else:
        assert "closed automatically" in told and "5 working days" in told
        assert "New message from" not in told


def test_a_reply_with_nothing_new_asks_staff_instead_of_announcing_a_message(env):
    """SPEC E4: "a reply with no new text (a signature, an empty reply) changes nothing and
    staff are asked". Staff got "New message from ... (state: resolved)" with nothing under
    it and no question: they could not tell a confirmation was still missing."""
    servers, config, language = env
    signature = "Budi Santoso\nDirektur CV Maju Jaya\nHP 0812-7000-1234"
    notice = open_ticket(servers, config, at("2026-11-23T09:00"), f"Akun SPSE saya terkunci.\n\nSalam,\n{signature}\n")
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nAkun sudah kami buka, silakan login ulang.")
    arrive(servers, config, raw, at("2026-11-23T09:30"))
    solution = received(servers, REQUESTER, "resolved")[-1]
    raw, _ = mf.reply_as_client(solution, REQUESTER, f"Salam,\n{signature}")
    arrive(servers, config, raw, at("2026-11-23T10:00"))

    asked = mf.text_of(received(servers, mf.STAFF[0], "staff_update")[-1])
    if language == "id":
        assert "tanpa teks baru" in asked and "menunggu konfirmasi" in asked and "#tutup" in asked
        assert "Pesan baru dari" not in asked
    else:
        assert "no new text" in asked and "waiting for the requester's confirmation" in asked and "#close" in asked
        assert "New message from" not in asked


# A state or priority code as the program spells it (lower case) after a label.
CODES = re.compile(r"(?i:status|state|prioritas|priority|is now)[^:\n]*:\s*"
                   r"(?:open|answered|escalated|awaiting_info|resolved|closed|high|normal|low)\b")


def test_staff_mail_names_states_and_priorities_in_the_mailbox_language(env):
    """SPEC 8 and 12: mail in Bahasa Indonesia, or English with `language: en`. Staff and
    coordinators read the program's codes instead: "Status tiket sekarang: awaiting_info",
    "Status   : open", "Prioritas: high" (while the command they type is #prioritas tinggi)."""
    servers, config, language = env
    notice = open_ticket(servers, config, at("2026-11-23T09:00"))
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#prioritas tinggi\n#koordinator\nMohon arahan, boleh direset?")
    arrive(servers, config, raw, at("2026-11-23T09:10"))
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon dicek.")
    arrive(servers, config, raw, at("2026-11-23T09:20"))
    escalation = received(servers, mf.LKPP, "escalate")[-1]
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Mohon dilengkapi screenshot pesan error dan kode tender.",
                                to=mf.UNIT)
    arrive(servers, config, raw, at("2026-11-23T11:00"))

    case = mf.text_of(received(servers, COORDINATOR, "coordinator_case")[-1])
    done = mf.text_of(received(servers, mf.STAFF[0], "command_ok")[0])
    lkpp = mf.text_of(received(servers, mf.STAFF[0], "staff_lkpp")[-1])
    for text in (case, done, lkpp):
        assert not CODES.search(text), CODES.search(text)
    # the command as staff typed it, not "#priority high"; its value in the mailbox's words
    assert ("- #prioritas tinggi" if language == "id" else "- #prioritas high") in done
    if language == "id":
        assert "Status   : Terbuka" in case and "Prioritas: Tinggi" in case
        assert "Status tiket sekarang: Terbuka" in done
        assert "Status tiket sekarang: Menunggu data pengguna" in lkpp
    else:
        assert "State    : Open" in case and "Priority : High" in case
        assert "The ticket is now: Open" in done
        assert "The ticket is now: Awaiting the requester's data" in lkpp


def test_english_ack_of_an_urgent_ticket_says_one_working_hour(fresh_mailboxes, tmp_path):
    """SPEC 8: English templates. A high-priority ticket (the shipped deadlines give it 1
    working hour) was acknowledged with "will respond within 1 working hours"."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, language="en", ack_max_age_hours=100000)
    raw, _ = mf.mail(REQUESTER, "Tidak bisa upload penawaran",
                     "Tidak bisa upload penawaran, batas akhir hari ini pukul 15.00 WIB.", date=at("2026-11-23T09:00"))
    arrive(servers, config, raw, at("2026-11-23T09:00"))
    ack = " ".join(mf.text_of(received(servers, REQUESTER, "ack")[-1]).split())
    assert "within 1 working hour (" in ack


def test_staff_read_why_a_command_or_a_message_was_refused_in_the_mailbox_language(env):
    """SPEC 8: mail in Bahasa Indonesia. A mistyped command was answered "- unknown command
    #hapus", a bad argument "#prioritas needs one of: ...; got 'darurat'", #teruskan with no
    LKPP reply "Helpdesk LKPP has sent no reply ...", a state command at the wrong time
    "#escalate is not possible while the ticket is closed" (staff typed #eskalasi), and the
    coordinators' alert about an unverified staff message said "(does not reply to a message
    that mailbot sent on this ticket)". An English mailbox keeps the English."""
    servers, config, language = env
    notice = open_ticket(servers, config, at("2026-11-23T09:00"))
    steps = [(mf.STAFF[1], "#hapus\nHapus tiket ini."), (mf.STAFF[0], "#prioritas darurat"), (mf.STAFF[0], "#teruskan"),
             (mf.STAFF[0], "#tutup"), (mf.STAFF[0], "#eskalasi\nMohon dicek.")]
    for minute, (sender, text) in enumerate(steps):
        raw, _ = mf.reply_as_client(notice, sender, text)
        arrive(servers, config, raw, at(f"2026-11-23T09:1{minute}"))
    raw, _ = mf.mail(mf.STAFF[0], f"Re: {notice['Subject']}", "#tutup", date=at("2026-11-23T09:20"))
    arrive(servers, config, raw, at("2026-11-23T09:20"))

    unknown = " ".join(mf.text_of(received(servers, mf.STAFF[1], "command_error")[-1]).split())
    priority, relay, closed = (" ".join(mf.text_of(m).split()) for m in received(servers, mf.STAFF[0], "command_error"))
    alert = " ".join(mf.text_of(received(servers, COORDINATOR, "unverified")[-1]).split())
    if language == "id":
        assert "perintah #hapus tidak dikenal" in unknown
        assert "#prioritas harus diikuti salah satu dari: tinggi, sedang, rendah; tertulis 'darurat'" in priority
        assert "#teruskan: Helpdesk LKPP belum mengirim balasan pada tiket ini" in relay
        assert '#eskalasi tidak dapat dijalankan karena status tiket "Ditutup"' in closed
        assert "(bukan balasan atas email yang dikirim mailbot pada tiket ini)" in alert
        for english in ("unknown command", "needs one of", "has sent no reply", "not possible", "#escalate",
                        "closed", "does not reply to a message"):
            assert english not in unknown + priority + relay + closed + alert
    else:
        assert "- unknown command #hapus" in unknown
        assert "- #prioritas needs one of: tinggi, sedang, rendah (high, normal, low); got 'darurat'" in priority
        assert "- #teruskan: Helpdesk LKPP has sent no reply on this ticket to pass on" in relay
        assert "- #escalate is not possible while the ticket is closed" in closed
        assert "(does not reply to a message that mailbot sent on this ticket)" in alert


def test_a_long_non_ascii_file_name_keeps_every_line_within_998_characters(fresh_mailboxes, tmp_path):
    """RFC 5322 2.1.1: a line MUST be no more than 998 characters. A requester's scan named in
    Chinese (a supplier's document, 120 characters) went to staff and LKPP with its RFC 2231
    file name on one header line of about 1,100 characters, which a relay may cut or refuse."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, ack_max_age_hours=100000)
    name = "供应商资格文件" * 17 + ".pdf"
    raw, _ = mf.mail(REQUESTER, "Dokumen kualifikasi", "Terlampir dokumen dari pemasok.", date=at("2026-11-23T09:00"),
                     attachments=((name, "application/pdf", b"%PDF-1.4\n%%EOF\n"),))
    arrive(servers, config, raw, at("2026-11-23T09:00"))
    [notice] = servers.fetch(mf.STAFF[0])
    assert max(len(line) for line in notice.split(b"\r\n")) <= 998
    assert [p.get_filename() for p in mf.parse(notice).iter_attachments()] == [name]
