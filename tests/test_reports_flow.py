"""Issue 10, acceptance 1 and 3: the monthly recap and the summary mail over real mail.

Five tickets of November 2025 (and one on each side of the month) go through the real
daemon code against Dovecot and the SMTP server on loopback, each step with a fixed
clock (what `mailbot run --once` does at that instant). Then `mailbot report rekap`
writes CSV and XLSX, and every cell is compared with what the scenario did; and
`mailbot report summary --send` mails the summary, read back from the head's INBOX.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import yaml

from mailbot import cli
from mailbot.config import load_config
from mailbot.daemon import App
from mailbot.io.store import Store, ts
from tests.mailfactory import LKPP, STAFF, UNIT, mail, parse, reply_as_client, write_config

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
# Isi Pesan is the problem in the writer's words (issue 34): the consultation form's lines under
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
    [ticket] = store.tickets()
    [first] = [m for m in store.messages_of(ticket.id) if m["direction"] == "in"]
    assert first["received_at"] == ts(arrived)
    assert "ack_skipped" in [e["kind"] for e in store.events_of(ticket.id)]
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
