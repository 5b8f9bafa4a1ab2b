"""The deadlines a staff notice's footer shows are the running clocks', over real Dovecot and SMTP.

SPEC 6 and seed 002 ("dengan syarat kelengkapan dokumen pendukung terpenuhi"): after
`#minta-data`, and while the requester's data is awaited, the 3x24h clock stands still (the
footer says so, with what is left of it, and gives the requester's data its deadline and the
day the ticket closes without it); after `#selesai` the ticket waits for the requester's
confirmation, not for the 3x24h standard. While LKPP waits for the requester's data, no
deadline of LKPP's is shown. Each notice is read back over IMAP as staff's client reads it;
the clock is an argument (`handle_at`, `sweep --now`), the week of Monday 23 November 2026.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests import mailfactory as mf
from tests.test_flow_deadlines import open_and_escalate

pytestmark = pytest.mark.integration

REQUESTER = "budi@vendor.test"
WIB = ZoneInfo("Asia/Jakarta")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def _arrive(servers, config, raw: bytes, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    servers.append(mf.UNIT, raw, msg_time=moment)
    mf.handle_at(config, moment)


def _footer(notice) -> list[str]:  # type: ignore[no-untyped-def]
    """The lines of a notice's footer that name the ticket's state and deadlines."""
    text = mf.text_of(notice)
    head = text.index("Tiket 2026-00001 saat ini:")
    return text[head:text.index("Perintah yang dapat dipakai sekarang")].strip().splitlines()


def _answered(servers, config, notice, text: str, moment: datetime):  # type: ignore[no-untyped-def]
    """Staff reply `text` to `notice`; the `command_ok` that tells them it ran."""
    _arrive(servers, config, mf.reply_as_client(notice, mf.STAFF[0], text)[0], moment)
    return mf.latest(servers, mf.STAFF[0], "command_ok")


def test_the_footer_after_minta_data_while_the_data_is_awaited_and_after_selesai(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, timezone="Asia/Jakarta")
    _arrive(servers, config, mf.mail(REQUESTER, "Akun penyedia terkunci", "Akun saya terkunci sejak kemarin.",
                                     date=_at("2026-11-23T09:00"))[0], _at("2026-11-23T09:00"))
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")

    # Monday 10:00: the data is asked for; 71 of the 72 hours are left, the clock stands still
    asked = _answered(servers, config, notice, "#minta-data\nMohon kirimkan scan NIB perusahaan.",
                      _at("2026-11-23T10:00"))
    assert _footer(asked) == [
        "Tiket 2026-00001 saat ini: Menunggu data pengguna, prioritas Sedang, kategori Pengaduan.",
        "Batas waktu data dari pengguna: Rabu, 25 November 2026 10:00 WIB",
        "  tanpa itu, tiket ditutup otomatis: Senin, 30 November 2026 10:00 WIB",
        "Batas waktu penyelesaian (3x24 jam): berhenti selama data dari pengguna ditunggu (sisa 71 jam)"]

    # Thursday 10:00, the requester reminded on Wednesday, the 72 hours from the opening gone by:
    # nothing of the standard is past, and the ticket closes 3 working days after the reminder
    mf.sweep(config, _at("2026-11-25T10:05"))
    assert mf.of_kind(mf.inbox(servers, REQUESTER), "remind_user")
    waiting = _answered(servers, config, notice, "#catatan pengguna sudah ditelepon", _at("2026-11-26T10:00"))
    assert _footer(waiting)[1:] == [
        "Batas waktu data dari pengguna sudah lewat: Rabu, 25 November 2026 10:00 WIB",
        "  tanpa itu, tiket ditutup otomatis: Senin, 30 November 2026 10:05 WIB",
        "Batas waktu penyelesaian (3x24 jam): berhenti selama data dari pengguna ditunggu (sisa 71 jam)"]
    assert mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "overdue_staff") == []

    # Thursday 11:00 the data come (73 hours after the request: the standard now ends Sunday
    # 10:00); at 11:30 the solution goes: the ticket waits for the requester's confirmation
    request = mf.latest(servers, REQUESTER, "request_info")
    _arrive(servers, config, mf.mail(REQUESTER, "Re: " + str(request["Subject"]), "Berikut NIB kami.",
                                     in_reply_to=str(request["Message-ID"]).strip("<>"),
                                     date=_at("2026-11-26T11:00"))[0], _at("2026-11-26T11:00"))
    solved = _answered(servers, config, notice, "#selesai Akun Bapak sudah kami buka kembali.",
                       _at("2026-11-26T11:30"))
    assert _footer(solved)[1:] == ["Batas waktu konfirmasi pengguna: Selasa, 1 Desember 2026 11:30 WIB"]
    assert "3x24" not in "\n".join(_footer(solved))


def test_while_lkpp_waits_for_the_requesters_data_no_deadline_of_lkpps_is_shown(fresh_mailboxes, tmp_path):
    """Escalated Monday 10:00; LKPP's status at 10:30 (its progress due Tuesday 10:30), its
    request for a screenshot at 11:00: staff's notice of the request shows the requester's
    data and the standard stopped, not "perkembangan dari Helpdesk LKPP"."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, timezone="Asia/Jakarta")
    escalation = open_and_escalate(servers, config, _at("2026-11-23T09:00"), _at("2026-11-23T10:00"))
    for text, moment in (("Masih dalam penanganan tim teknis kami.", "2026-11-23T10:30"),
                         ("Mohon dilengkapi screenshot pesan error.", "2026-11-23T11:00")):
        _arrive(servers, config, mf.reply_as_client(escalation, mf.LKPP, text, to=mf.UNIT)[0], _at(moment))
    notice = mf.latest(servers, mf.STAFF[0])
    assert "screenshot" in mf.text_of(notice)
    assert _footer(notice)[1:] == [
        "Batas waktu data dari pengguna: Rabu, 25 November 2026 11:00 WIB",
        "  tanpa itu, tiket ditutup otomatis: Senin, 30 November 2026 11:00 WIB",
        "Batas waktu penyelesaian (3x24 jam): berhenti selama data dari pengguna ditunggu (sisa 70 jam)"]
