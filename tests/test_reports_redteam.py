"""Red-team findings on the monthly recap and summary, each over real mail (Dovecot +
SMTP on loopback) or as pure figures, as a helpdesk meets them at month end."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.mailfactory import PDF, STAFF, mail, parse, reply_as_client, write_config
from tests.test_reports_flow import deliver, last_to, report

WIB = ZoneInfo("Asia/Jakarta")
BUDI = "budi@vendor.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def rekap_rows(config, month: str, tmp_path) -> list[list[str]]:
    report(config, "rekap", "--month", month, "--output", str(tmp_path / "rekap.csv"))
    return list(csv.reader(io.StringIO((tmp_path / "rekap.csv").read_text("utf-8-sig"), newline="")))


def test_an_answer_of_files_alone_is_an_answer(fresh_mailboxes, tmp_path):
    """Staff answer a request for the guide with the guide attached and no words: the
    requester got their answer, so Tgl Jawaban, Isi Jawaban and Petugas are filled (seed
    003 columns 8-10), as the summary counts it a first response."""
    servers, config = fresh_mailboxes, write_config(fresh_mailboxes, tmp_path, reports={"monthly": False})
    raw, _ = mail(BUDI, "Minta panduan unggah dokumen", "Mohon panduan unggah dokumen penawaran.", name="Budi")
    deliver(servers, config, raw, at("2026-03-02T09:00"))
    staff_reply = parse(reply_as_client(last_to(servers, STAFF[0], "staff_new"), STAFF[0], "")[0])
    staff_reply.add_attachment(PDF, maintype="application", subtype="pdf", filename="panduan-unggah.pdf")
    deliver(servers, config, staff_reply.as_bytes(), at("2026-03-02T10:00"))
    assert [a.get_filename() for a in last_to(servers, BUDI, "staff_reply").iter_attachments()] == [
        "panduan-unggah.pdf"]  # the requester has the guide

    [_, row] = rekap_rows(config, "2026-03", tmp_path)
    assert row[7:] == ["2026-03-02", "[jawaban berupa lampiran (1 berkas)]", STAFF[0]]


def test_march_2026_with_nyepi_eid_and_cuti_bersama_counted_by_hand(fresh_mailboxes, tmp_path):
    """A month whose week 18-24 March is Nyepi, Eid and joint leave (17 working days): a ticket
    opened on a joint-leave day and escalated on Nyepi, LKPP's status on the last allowed
    afternoon (SPEC 6's example: due Thursday 26 March 16:00), its solution two working days
    after that status (a missed progress day), and a solution rejected once then confirmed.
    A ticket at 23:30 WIB on 31 March is March's; one at 00:30 on 1 April is April's."""
    from tests.mailfactory import LKPP

    servers, config = fresh_mailboxes, write_config(fresh_mailboxes, tmp_path, reports={"monthly": False})
    sari = "sari@dinas.test"
    # 2026-00001: solved in half an hour (within a high priority's working hour), rejected (TIDAK), solved again the next morning, confirmed YA 4
    raw, _ = mail(BUDI, "Gagal unggah penawaran", "Muncul error 500 saat unggah.", name="Budi")
    deliver(servers, config, raw, at("2026-03-02T09:00"))
    raw, _ = reply_as_client(last_to(servers, STAFF[0], "staff_new"), STAFF[0], "#selesai\nKosongkan cache.")
    deliver(servers, config, raw, at("2026-03-02T09:30"))
    raw, _ = reply_as_client(last_to(servers, BUDI, "resolved"), BUDI, "TIDAK\nMasih error.")
    deliver(servers, config, raw, at("2026-03-02T11:00"))
    raw, _ = reply_as_client(last_to(servers, STAFF[0], "staff_update"), STAFF[0], "#selesai\nPakai Chrome terbaru.")
    deliver(servers, config, raw, at("2026-03-03T09:00"))
    raw, _ = reply_as_client(last_to(servers, BUDI, "resolved"), BUDI, "YA 4")
    deliver(servers, config, raw, at("2026-03-03T10:00"))
    # 2026-00002: Wednesday 18 March (joint leave), escalated on Nyepi, solved by LKPP, YA 5
    raw, _ = mail(sari, "Akun terblokir", "Akun penyedia kami terblokir.", name="Sari")
    deliver(servers, config, raw, at("2026-03-18T09:00"))
    raw, _ = reply_as_client(last_to(servers, STAFF[1], "staff_new"), STAFF[1], "#eskalasi\nMohon buka blokir.")
    deliver(servers, config, raw, at("2026-03-19T10:00"))
    escalation = last_to(servers, LKPP, "escalate")
    raw, _ = reply_as_client(escalation, LKPP, "Laporan sedang kami proses oleh tim teknis.")
    deliver(servers, config, raw, at("2026-03-26T15:00"))
    raw, _ = reply_as_client(escalation, LKPP, "Akun penyedia telah kami buka kembali, silakan login ulang.")
    deliver(servers, config, raw, at("2026-03-30T10:00"))
    raw, _ = reply_as_client(last_to(servers, sari, "resolved_lkpp"), sari, "YA 5")
    deliver(servers, config, raw, at("2026-03-30T11:00"))
    # 2026-00003 at 23:30 on the last day; 2026-00004 at 00:30 on 1 April
    raw, _ = mail(BUDI, "Error malam", "Tidak bisa kirim penawaran.", name="Budi")
    deliver(servers, config, raw, at("2026-03-31T23:30"))
    raw, _ = mail(sari, "Pertanyaan April", "Kapan pelatihan?", name="Sari")
    deliver(servers, config, raw, at("2026-04-01T00:30"))

    rows = rekap_rows(config, "2026-03", tmp_path)
    assert [(r[0], r[1], r[6], r[7], r[8]) for r in rows[1:]] == [
        ("1", "2026-03-02", "LPSE", "2026-03-02", "Pakai Chrome terbaru."),
        ("2", "2026-03-18", "LKPP", "2026-03-30", "Akun penyedia telah kami buka kembali, silakan login ulang."),
        ("3", "2026-03-31", "LPSE", "", ""),
    ]
    assert [r[1] for r in rekap_rows(config, "2026-04", tmp_path)[1:]] == ["2026-04-01"]

    report(config, "summary", "--month", "2026-03", "--output", str(tmp_path / "summary.html"))
    page = (tmp_path / "summary.html").read_text()
    page = re.sub(r"<style.*?</style>", "", page, flags=re.DOTALL)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "3 tiket dalam 17 hari kerja" in text and "1 tiket masuk pada hari libur" in text
    # by hand: acks 3 of 3 (the 31 March one within 10 minutes); escalation 1 of 1; first
    # response: 00001 and 00002 met (00002's 4 working hours start on 25 March), 00003 (arrived
    # 23:29, due by 1 April) unanswered and past due now; LKPP status met (15:00 < 16:00 on
    # 26 March); progress missed (due 27 March 14:59, came 30 March 09:59: 2 days 19 hours);
    # 3x24h: 00001 met, 00002 missed by 9 days 1 hour, 00003 past due; closing 2 of 2
    for step, figures in (("Tanda terima dengan nomor tiket", "3 3 100%"),
                          ("Eskalasi terkirim setelah keputusan petugas", "1 1 100%"),
                          ("Tanggapan pertama kepada pengguna", "3 2 66,7% 2026-00003"),
                          ("Status pertama dari Helpdesk LKPP", "1 1 100%"),
                          ("Perkembangan dari Helpdesk LKPP", "1 0 0% 2026-00002 (+2 hari 19 jam)"),
                          ("Permasalahan diselesaikan", "3 1 33,3%"),
                          ("Penutupan dikonfirmasi pengguna", "2 2 100%")):
        row = text[text.index(step, text.index("Kasus terburuk")):][:200]  # the table's row, after the chart
        assert re.search(r"(menit|kerja|jam|hari kerja\)) " + re.escape(figures), row), row
    assert "2026-00002 (+9 hari 1 jam)" in text
    assert "Jumlah penilaian 2 Rata-rata (1-5) 4,5" in text


def summary_text(config, month: str, tmp_path) -> str:
    """The summary page as a reader sees it: its words, without markup or styles."""
    report(config, "summary", "--month", month, "--output", str(tmp_path / "summary.html"))
    page = re.sub(r"<style.*?</style>", "", (tmp_path / "summary.html").read_text(), flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_lkpp_silent_after_the_data_it_asked_for_misses_a_progress_day(fresh_mailboxes, tmp_path):
    """SOP-015 steps 9-14: LKPP asks for data, the requester's data goes on to LKPP on
    Wednesday 3 December 11:00, and LKPP says nothing until Friday 14:00. The daemon
    reminded LKPP on Thursday (its progress day ran from the data); the head's summary
    counts that missed day as a breach of LKPP's progress step, not as no case at all."""
    from tests.mailfactory import LKPP, sweep

    servers, config = fresh_mailboxes, write_config(fresh_mailboxes, tmp_path, reports={"monthly": False})
    raw, _ = mail(BUDI, "Akun terblokir", "Akun penyedia kami terblokir.", name="Budi")
    deliver(servers, config, raw, at("2025-12-02T09:00"))
    raw, _ = reply_as_client(last_to(servers, STAFF[0], "staff_new"), STAFF[0], "#eskalasi\nMohon buka blokir.")
    deliver(servers, config, raw, at("2025-12-02T09:30"))
    escalation = last_to(servers, LKPP, "escalate")
    raw, _ = reply_as_client(escalation, LKPP, "Mohon dilengkapi data NPWP dan NIB perusahaan.")
    deliver(servers, config, raw, at("2025-12-03T10:00"))
    raw, _ = reply_as_client(last_to(servers, BUDI, "need_info"), BUDI, "NPWP 01.234.567.8-901.000, NIB 1234567890")
    deliver(servers, config, raw, at("2025-12-03T11:00"))
    sweep(config, at("2025-12-04T11:30"))
    assert [parse(r)["X-Mailbot-Kind"] for r in servers.fetch(LKPP)][-1] == "remind_lkpp"
    raw, _ = reply_as_client(escalation, LKPP, "Akun penyedia telah kami buka kembali, silakan login ulang.")
    deliver(servers, config, raw, at("2025-12-05T14:00"))

    text = summary_text(config, "2025-12", tmp_path)
    # by hand: the data was accepted Wednesday 11:00, LKPP's next word was due Thursday
    # 11:00 and reached the mailbox Friday 13:59: 1 day 2 hours 59 minutes late
    row = text[text.index("Perkembangan dari Helpdesk LKPP", text.index("Kasus terburuk")):][:200]
    assert re.search(r"tiap hari kerja 1 0 0% 2025-00001 \(\+1 hari 2 jam", row), row
