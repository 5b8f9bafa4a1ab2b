"""The monthly recap and the summary mail over real mail.

Five tickets of November 2025 (and one on each side of the month) go through the real
daemon code against Dovecot and the SMTP server on loopback, each step with a fixed
clock (what `mailbot run --once` does at that instant). Then `mailbot report rekap`
writes CSV and XLSX, and every cell is compared with what the scenario did; and
`mailbot report summary --send` mails the summary, read back from the head's INBOX.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import yaml

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io.store import Store, ts
from tests.mailfactory import LKPP, PDF, STAFF, UNIT, mail, parse, reply_as_client, write_config

WIB = ZoneInfo("Asia/Jakarta")
HEAD, COORDINATOR = "kepala@lpse.test", "koordinator@lpse.test"
BUDI, SARI, RUDI, ANON = "budi@vendor.test", "sari@dinas.test", "rudi@sentosa.test", "anon@vendor2.test"
HEADER = ["No", "Tgl", "Alamat E-mail", "Nama", "Isi Pesan", "Kategori", "Tujuan", "Tgl Jawaban", "Isi Jawaban",
          "Petugas"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    path = write_config(fresh_mailboxes, tmp_path,
                        reports={"monthly": False})  # --send is tested here; the daemon's own send elsewhere
    data = yaml.safe_load(path.read_text())
    data["mailboxes"][0]["staff_names"] = {STAFF[0]: "Andi Pratama"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return fresh_mailboxes, path


def run_once_at(config, moment: datetime) -> None:
    """What `mailbot run --once` does, at `moment`: handle mail, run timers, send the outbox."""
    app = App(load_config(config), clock=lambda: moment)
    app.run_once()
    app.store.close()


def deliver(servers, config, raw: bytes, moment: datetime) -> None:
    """The message reaches the unit's mailbox a minute before mailbot handles it at `moment`."""
    servers.append(UNIT, raw, msg_time=moment - timedelta(minutes=1))
    run_once_at(config, moment)


def last_to(servers, user: str, kind: str) -> EmailMessage:
    found = [m for m in (parse(raw) for raw in servers.fetch(user)) if m["X-Mailbot-Kind"] == kind]
    return found[-1]


def november(servers, config) -> None:
    # outside the month: Friday 31 October 21:00 WIB
    raw, _ = mail(SARI, "Pertanyaan lama", "Apakah ada pelatihan bulan ini?", name="Sari Dewi")
    deliver(servers, config, raw, at("2025-10-31T21:00"))

    # 1: answered with #selesai in an hour, confirmed YA 5 the next morning
    raw, _ = mail(BUDI, "Gagal upload dokumen penawaran",
                  "Saat upload dokumen penawaran muncul error 500.\n\nNama: Budi Santoso\nPerusahaan: PT Maju Jaya",
                  name="Budi Santoso")
    deliver(servers, config, raw, at("2025-11-03T09:00"))
    raw, _ = reply_as_client(last_to(servers, STAFF[0], "staff_new"), STAFF[0],
                             "#selesai\nSilakan kosongkan cache peramban lalu unggah ulang dokumen penawaran.")
    deliver(servers, config, raw, at("2025-11-03T10:00"))
    raw, _ = reply_as_client(last_to(servers, BUDI, "resolved"), BUDI, "YA 5\nTerima kasih.")
    deliver(servers, config, raw, at("2025-11-04T08:30"))

    # 2: a question answered the next day by the second staff member (no name configured)
    raw, _ = mail(SARI, "Pertanyaan jadwal pelatihan SPSE",
                  "Kapan jadwal pelatihan SPSE berikutnya untuk PPK?\n\nInstansi: Dinas Pekerjaan Umum Kota Uji",
                  name="Sari Dewi")
    deliver(servers, config, raw, at("2025-11-04T09:30"))
    raw, _ = reply_as_client(last_to(servers, STAFF[1], "staff_new"), STAFF[1],
                             "Jadwal pelatihan berikutnya tanggal 20 November 2025 di kantor LPSE.")
    deliver(servers, config, raw, at("2025-11-05T13:00"))

    # 3: escalated to LKPP, a status with LKPP's ticket number, LKPP's solution; no confirmation yet
    raw, _ = mail(RUDI, "Konsultasi: akun penyedia terblokir",
                  "Akun penyedia kami terblokir setelah verifikasi ulang.\n\nPerusahaan: CV Sentosa Abadi",
                  name="Rudi Hartono")
    deliver(servers, config, raw, at("2025-11-05T10:00"))
    raw, _ = reply_as_client(last_to(servers, STAFF[0], "staff_new"), STAFF[0],
                             "#eskalasi\nMohon bantuan LKPP membuka blokir akun penyedia.")
    deliver(servers, config, raw, at("2025-11-05T11:00"))
    escalation = last_to(servers, LKPP, "escalate")
    raw, _ = reply_as_client(escalation, LKPP, "Laporan sedang kami proses oleh tim teknis.")
    status = parse(raw)
    status.replace_header("Subject", "[Ticket#2025110610000077] " + str(status["Subject"]))
    deliver(servers, config, status.as_bytes(), at("2025-11-06T09:00"))
    raw, _ = reply_as_client(escalation, LKPP, "Akun penyedia telah kami buka kembali, silakan login ulang.")
    deliver(servers, config, raw, at("2025-11-10T14:00"))

    # 4: nobody has answered yet
    raw, _ = mail(ANON, "Lupa password akun SPSE", "Saya lupa password akun SPSE, bagaimana cara reset?")
    deliver(servers, config, raw, at("2025-11-11T15:00"))

    # 5: Sunday afternoon, the last day of the month, answered on Monday 1 December
    raw, _ = mail(BUDI, "Tidak bisa kirim penawaran tender 555", "Tombol kirim penawaran tidak muncul.",
                  name="Budi Santoso")
    deliver(servers, config, raw, at("2025-11-30T15:30"))
    raw, _ = reply_as_client(last_to(servers, STAFF[0], "staff_new"), STAFF[0],
                             "Sudah kami cek, silakan muat ulang halaman lalu coba lagi.")
    deliver(servers, config, raw, at("2025-12-01T09:00"))

    # outside the month: Monday 1 December 10:00 WIB
    raw, _ = mail(ANON, "Pertanyaan baru", "Bagaimana cara mendaftar sebagai penyedia?")
    deliver(servers, config, raw, at("2025-12-01T10:00"))


# What the scenario did, cell by cell (dates in WIB, ISO 8601 as the CSV writes them).
# Isi Pesan is the problem in the writer's words: the consultation form's lines under
# it ("Nama:", "Perusahaan:", "Instansi:") are the Nama column's, not the problem.
EXPECTED = [
    ["1", "2025-11-03", BUDI, "Budi Santoso (PT Maju Jaya)",
     "Saat upload dokumen penawaran muncul error 500.",
     "Pengaduan", "LPSE", "2025-11-03",
     "Silakan kosongkan cache peramban lalu unggah ulang dokumen penawaran.", "Andi Pratama"],
    ["2", "2025-11-04", SARI, "Sari Dewi (Dinas Pekerjaan Umum Kota Uji)",
     "Kapan jadwal pelatihan SPSE berikutnya untuk PPK?",
     "Pertanyaan", "LPSE", "2025-11-05",
     "Jadwal pelatihan berikutnya tanggal 20 November 2025 di kantor LPSE.", STAFF[1]],
    ["3", "2025-11-05", RUDI, "Rudi Hartono (CV Sentosa Abadi)",
     "Akun penyedia kami terblokir setelah verifikasi ulang.",
     "Konsultasi", "LKPP (Tiket#2025110610000077)", "2025-11-10",
     "Akun penyedia telah kami buka kembali, silakan login ulang.", "Andi Pratama"],
    ["4", "2025-11-11", ANON, "", "Saya lupa password akun SPSE, bagaimana cara reset?", "Pertanyaan", "LPSE",
     "", "", ""],
    ["5", "2025-11-30", BUDI, "Budi Santoso", "Tombol kirim penawaran tidak muncul.", "Pengaduan", "LPSE",
     "2025-12-01", "Sudah kami cek, silakan muat ulang halaman lalu coba lagi.", "Andi Pratama"],
]


def report(config, *args: str) -> None:
    assert cli.main(["--config", str(config), "report", *args]) == 0


def test_rekap_csv_and_xlsx_cell_by_cell(env, tmp_path, capsysbinary):
    """Acceptance 1: five tickets, the ten columns, the right value in every cell, in CSV and XLSX."""
    servers, config = env
    november(servers, config)

    report(config, "rekap", "--month", "2025-11", "--output", str(tmp_path / "rekap.csv"))
    data = (tmp_path / "rekap.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))) == [HEADER, *EXPECTED]

    capsysbinary.readouterr()
    report(config, "rekap", "--month", "2025-11")  # without --output: CSV on standard output
    assert capsysbinary.readouterr().out == data

    report(config, "rekap", "--month", "2025-11", "--format", "xlsx", "--output", str(tmp_path / "rekap.xlsx"))
    sheet = openpyxl.load_workbook(tmp_path / "rekap.xlsx").active
    assert sheet["A1"].value == "Rekap Penanganan Permasalahan – Helpdesk LPSE Uji – November 2025"
    assert [c.value for c in sheet[2]] == HEADER
    assert sheet.max_row == 2 + len(EXPECTED) and sheet.max_column == 10
    for row, expected in zip(sheet.iter_rows(min_row=3, values_only=True), EXPECTED, strict=True):
        # numbers and real dates (shown DD/MM/YYYY); an empty cell is blank
        assert list(row) == [int(expected[0]), _date(expected[1]), *(v or None for v in expected[2:7]),
                             _date(expected[7]), *(v or None for v in expected[8:])]

    report(config, "rekap", "--month", "2025-10", "--output", str(tmp_path / "oktober.csv"))
    assert [r[2] for r in csv.reader(io.StringIO((tmp_path / "oktober.csv").read_text("utf-8-sig")))] == [
        "Alamat E-mail", SARI]  # the 31 October ticket, and nothing of November
    report(config, "rekap", "--month", "2025-09", "--output", str(tmp_path / "empty.xlsx"))  # format from suffix
    assert [c.value for c in openpyxl.load_workbook(tmp_path / "empty.xlsx").active[2]] == HEADER


def _date(text: str) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%d") if text else None


@pytest.mark.smoke
def test_summary_send_reaches_the_head_with_charts(env, tmp_path):
    """Acceptance 3: --send mails the summary: HTML with the charts inline by cid, a text part,
    the XLSX recap attached; to the head, the coordinator in copy; auto-generated."""
    servers, config = env
    november(servers, config)
    report(config, "summary", "--month", "2025-11", "--send")

    [summary] = [m for m in (parse(r) for r in servers.fetch(HEAD)) if m["X-Mailbot-Kind"] == "monthly_summary"]
    assert summary["Subject"] == "Ringkasan bulanan November 2025"
    assert summary["Auto-Submitted"] == "auto-generated"
    assert [a.addr_spec for a in summary["To"].addresses] == [HEAD]
    assert [a.addr_spec for a in summary["Cc"].addresses] == [COORDINATOR]
    assert summary["From"].addresses[0].addr_spec == UNIT

    assert summary.get_content_type() == "multipart/mixed"
    alternative = summary.get_payload()[0]
    text, related = alternative.get_payload()
    assert (alternative.get_content_type(), text.get_content_type(), related.get_content_type()) == (
        "multipart/alternative", "text/plain", "multipart/related")
    html_part, *images = related.get_payload()
    html = html_part.get_content()
    cids = {str(image["Content-ID"]).strip("<>") for image in images}
    assert len(images) == 4 and all(i.get_content_type() == "image/png" for i in images)
    assert all(i.get_content().startswith(b"\x89PNG") for i in images)
    assert {ref for ref in _cid_refs(html)} == cids  # every chart shown, every part used
    assert "http://" not in html and "https://" not in html

    plain = text.get_content()
    # closed: 1 confirmed, and 3 by the confirm_close timer of the 30 November sweep
    for line in ("- dibuka: 5", "- ditutup: 2", "- masih terbuka: 3", "ESKALASI KE HELPDESK LKPP: 1 tiket",
                 "PENILAIAN PENGGUNA: 1 penilaian, rata-rata 5"):
        assert line in plain

    [attachment] = list(summary.iter_attachments())
    assert attachment.get_filename() == "rekap-t-2025-11.xlsx"
    (tmp_path / "attached.xlsx").write_bytes(attachment.get_content())
    sheet = openpyxl.load_workbook(tmp_path / "attached.xlsx").active
    assert [c.value for c in sheet[2]] == HEADER and [r[2] for r in sheet.iter_rows(min_row=3, values_only=True)] == [
        BUDI, SARI, RUDI, ANON, BUDI]

    copies = [m for m in (parse(r) for r in servers.fetch(COORDINATOR)) if m["X-Mailbot-Kind"] == "monthly_summary"]
    assert len(copies) == 1


def _cid_refs(html: str) -> list[str]:
    import re

    return re.findall(r'src="cid:([^"]+)"', html)


def test_arrival_time_is_the_servers_internaldate(env):
    """The reports measure from when mail reached the mailbox, the IMAP INTERNALDATE; it also
    keeps an old backlog from being acknowledged (SPEC 5, ack_max_age_hours 72)."""
    servers, config = env
    arrived = datetime.now(WIB).replace(microsecond=0) - timedelta(days=4)
    raw, _ = mail(BUDI, "Masalah lama", "Pesan ini menunggu empat hari di kotak surat.")
    servers.append(UNIT, raw, msg_time=arrived)
    assert cli.main(["--config", str(config), "run", "--once"]) == 0
    store = Store(load_config(config).database)
    [ticket] = store.search.tickets()
    [first] = [m for m in store.messages.messages_of(ticket.id) if m["direction"] == "in"]
    assert first["received_at"] == ts(arrived)
    assert "ack_skipped" in [e["kind"] for e in store.history.events_of(ticket.id)]
    assert [parse(r)["X-Mailbot-Kind"] for r in servers.fetch(BUDI)] == []


def test_out_of_office_reply_to_the_ack_is_not_in_isi_pesan(env, tmp_path):
    """The requester's out-of-office answers our ack: recorded on the ticket, never the problem."""
    servers, config = env
    raw, _ = mail(BUDI, "Gagal upload dokumen", "Saat upload dokumen penawaran muncul error 500.")
    deliver(servers, config, raw, at("2025-11-03T09:00"))
    auto = parse(reply_as_client(last_to(servers, BUDI, "ack"), BUDI, "Saya sedang cuti sampai 10 November.")[0])
    auto["Auto-Submitted"] = "auto-replied"
    deliver(servers, config, auto.as_bytes(), at("2025-11-03T09:05"))
    raw, _ = reply_as_client(last_to(servers, STAFF[0], "staff_new"), STAFF[0], "Silakan unggah ulang.")
    deliver(servers, config, raw, at("2025-11-03T10:00"))

    report(config, "rekap", "--month", "2025-11", "--output", str(tmp_path / "rekap.csv"))
    [_, row] = list(csv.reader(io.StringIO((tmp_path / "rekap.csv").read_text("utf-8-sig"), newline="")))
    assert row[4] == "Saat upload dokumen penawaran muncul error 500."


# Findings of a red team on the recap and summary, as a helpdesk meets them at month end:
# an answer of files alone, a month of holidays counted by hand, LKPP silent after data.


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
    # 2026-00001: solved in half an hour (within a high priority's working hour), rejected (TIDAK), solved again
    # the next morning, confirmed YA 4
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
