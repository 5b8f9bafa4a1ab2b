"""Day one at the desk with calls and visits, over real Dovecot and SMTP.

A call answered on the spot or later when the caller gave no e-mail is closed, not left
waiting for a `YA` nobody can send (SPEC 3); its answer reaches the recap (Tgl Jawaban, Isi
Jawaban) and the summary counts its first response and 3x24h as met; a call is its own first
response, so a call recorded in the evening with the morning's `Waktu:` makes no overdue
notice; the caller's ack carries the problem. The passes run at fixed instants (Tuesday
24 November 2026, WIB), so no result depends on the time of day.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.io.store import Store
from mailbot.model import State
from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
TRUSTED = "mx.lpse.test"
PASSED = f"{TRUSTED}; dkim=pass header.d=lpse.test; dmarc=pass header.from=lpse.test"
CALLER = "sari@dinas.test"
COORDINATOR = "koordinator@lpse.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    """authres: the unit's server vouches for staff, so a form opens at once (no #buka step)."""
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path,
                                            auth={"mode": "authres", "trusted_authserv_id": TRUSTED})


def staff_mail(servers, config, body: str, moment: datetime, sender: str = mf.STAFF[0]) -> None:
    msg = mf.parse(mf.mail(sender, "telepon", body, date=moment)[0])
    msg["Authentication-Results"] = PASSED
    servers.append("lpse@lpse.test", msg.as_bytes(), msg_time=moment)  # it reached the mailbox then
    mf.handle_at(config, moment)


def staff_reply(servers, config, original, text: str, moment: datetime) -> None:
    msg = mf.parse(mf.reply_as_client(original, mf.STAFF[0], text)[0])
    msg["Authentication-Results"] = PASSED
    servers.append("lpse@lpse.test", msg.as_bytes(), msg_time=moment)
    mf.handle_at(config, moment)


def the_ticket(config):
    store = Store(load_config(config).database)
    try:
        [ticket] = store.search.tickets()
        return ticket
    finally:
        store.close()


def recap_row(config, tmp_path) -> list[str]:
    out = tmp_path / "rekap.csv"
    assert cli.main(["--config", str(config), "report", "rekap", "--month", "2026-11", "--output", str(out)]) == 0
    [row] = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"), newline="")))[1:]
    return row


def summary_step(config, tmp_path, name: str) -> tuple[int, int]:
    """(cases, met) of one SOP step of the month's summary."""
    page = tmp_path / "summary.html"
    assert cli.main(["--config", str(config), "report", "summary", "--month", "2026-11", "--output", str(page)]) == 0
    found = re.search(rf"<tr><td>{name}</td><td>[^<]*</td><td>[^<]*</td><td class=\"n\">(\d+)</td>"
                      rf"<td class=\"n\">(\d+)</td>", page.read_text("utf-8"))
    assert found, name
    return int(found[1]), int(found[2])


NO_MAIL_ANSWERED = """#telepon
Nama: Pak Joko
Instansi: Dinas Pendidikan
Telepon: 0778 462000
Email: -
Permasalahan: Jadwal tender tidak tampil di halaman paket.
Jawaban: Jadwal tampil setelah pokja menayangkan paket; sudah dijelaskan lewat telepon.
"""

NO_MAIL = """#telepon
Nama: Pak Joko
Instansi: Dinas Pendidikan
Telepon: 0778 462000
Permasalahan: Jadwal tender tidak tampil di halaman paket.
"""


def test_a_call_without_e_mail_answered_on_the_spot_is_closed(env, tmp_path):
    servers, config = env
    staff_mail(servers, config, NO_MAIL_ANSWERED, at("2026-11-24T10:00"))
    ticket = the_ticket(config)
    assert ticket.state is State.CLOSED  # no YA can ever come
    row = recap_row(config, tmp_path)
    assert row[7] == "2026-11-24" and "Jadwal tampil setelah pokja" in row[8]


@pytest.mark.parametrize("command", ["#selesai", "#jawab"])
def test_a_call_without_e_mail_answered_later_is_in_the_recap_and_the_summary(env, tmp_path, command):
    """The answer given by phone later, written with #selesai (or told with #jawab): the
    recap's Tgl Jawaban and Isi Jawaban and the summary's first response and 3x24h count it."""
    servers, config = env
    staff_mail(servers, config, NO_MAIL, at("2026-11-24T10:00"))
    notice = mf.latest(servers, mf.STAFF[0], "intake_opened")
    staff_reply(servers, config, notice, f"{command} Sudah kami jelaskan lewat telepon: paket tampil setelah "
                                         "pokja menayangkannya.", at("2026-11-24T11:00"))
    ticket = the_ticket(config)
    if command == "#selesai":
        assert ticket.state is State.CLOSED
    row = recap_row(config, tmp_path)
    assert row[7] == "2026-11-24", row
    assert "paket tampil setelah pokja" in row[8], row
    assert summary_step(config, tmp_path, "Tanggapan pertama kepada pengguna") == (1, 1)
    if command == "#selesai":
        assert summary_step(config, tmp_path, "Permasalahan diselesaikan") == (1, 1)


def test_a_call_written_down_in_the_evening_is_its_own_first_response(env):
    """Recorded at 19:00 with the morning's Waktu: staff spoke to the caller at 09:00, so no
    overdue notice goes to the team and the coordinators, in that pass or the next morning."""
    servers, config = env
    call = NO_MAIL.replace("Permasalahan:", "Waktu: 09.00\nPermasalahan:")
    staff_mail(servers, config, call, at("2026-11-24T19:00"))
    mf.sweep(config, at("2026-11-24T19:01"))
    mf.sweep(config, at("2026-11-25T09:00"))
    for person in (*mf.STAFF, COORDINATOR):
        assert [m for m in mf.inbox(servers, person) if m["X-Mailbot-Kind"] == "overdue_staff"] == []


def test_the_callers_ack_carries_the_problem(fresh_mailboxes, tmp_path):
    """Token mode: the form is held, its sender says #buka, the caller's ack names the problem."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    call = NO_MAIL.replace("Permasalahan:", f"Email: {CALLER}\nPermasalahan:")
    mf.deliver(servers, config, mf.mail(mf.STAFF[0], "telepon", call)[0])
    mf.deliver(servers, config,
               mf.reply_as_client(mf.latest(servers, mf.STAFF[0], "intake_confirm"), mf.STAFF[0], "#buka")[0])
    [ack] = mf.inbox(servers, CALLER)
    line = next(line for line in mf.text_of(ack).splitlines() if line.strip().startswith("Permasalahan"))
    assert "Jadwal tender tidak tampil" in line, mf.text_of(ack)


VISIT_RATED = """#datang
Nomor Antrian: A-012
Nama: Rina Wulandari
Instansi: CV Maju Jaya
Email: -
Permasalahan: Lupa kata sandi akun penyedia.
Jawaban: Kata sandi direset di loket; pengguna sudah bisa login.
Nilai: 5 (sangat puas)
"""

CALL_RATED = """#telepon
Nama: Pak Joko
Instansi: Dinas Pendidikan
Permasalahan: Jadwal tender tidak tampil di halaman paket.
Jawaban: Sudah dijelaskan lewat telepon.
Nilai: 3
"""


def test_a_visits_queue_number_and_rating_are_kept_and_the_guest_book_lists_it(env, tmp_path, capsys):
    """`Nomor Antrian` and `Nilai` on the form (seed 004 section 1
    step 2, seed 002) are kept on the ticket (`tickets --json`); `report tamu` is seed 000's
    guest book, one row per visit; the summary's ratings count the visitor's and the caller's."""
    servers, config = env
    staff_mail(servers, config, VISIT_RATED, at("2026-11-24T09:15"))
    staff_mail(servers, config, CALL_RATED, at("2026-11-24T10:00"), sender=mf.STAFF[1])
    capsys.readouterr()
    assert cli.main(["--config", str(config), "tickets", "--json"]) == 0
    shown = {t["channel"]: t for t in json.loads(capsys.readouterr().out)}
    assert (shown["datang"]["queue_number"], shown["datang"]["rating"]) == ("A-012", 5)
    assert (shown["telepon"]["queue_number"], shown["telepon"]["rating"]) == (None, 3)
    book = tmp_path / "tamu.csv"
    assert cli.main(["--config", str(config), "report", "tamu", "--month", "2026-11", "--output", str(book)]) == 0
    rows = list(csv.reader(io.StringIO(book.read_text("utf-8-sig"), newline="")))
    assert rows[0] == ["No", "Tanggal", "Jam", "Nomor Antrian", "Nama", "Instansi/Perusahaan", "Keperluan",
                       "Petugas", "Nomor Tiket"]
    assert rows[1:] == [["1", "2026-11-24", "09:15", "A-012", "Rina Wulandari", "CV Maju Jaya",
                         "Lupa kata sandi akun penyedia.", rows[1][7], shown["datang"]["number"]]]
    assert rows[1][7]  # the staff member who received the visitor, by name
    xlsx = tmp_path / "tamu.xlsx"
    assert cli.main(["--config", str(config), "report", "tamu", "--month", "2026-11", "--output", str(xlsx)]) == 0
    import openpyxl

    sheet = openpyxl.load_workbook(xlsx).active
    assert str(sheet.cell(1, 1).value).startswith("Buku Tamu")
    assert [sheet.cell(3, c).value for c in (1, 3, 4)] == [1, "09:15", "A-012"]
    # the recap of visits: seed 003's ten columns, then each visit's Nomor Antrian
    visits = tmp_path / "rekap-datang.csv"
    assert cli.main(["--config", str(config), "report", "rekap", "--month", "2026-11", "--channel", "datang",
                     "--output", str(visits)]) == 0
    header, *rows = list(csv.reader(io.StringIO(visits.read_text("utf-8-sig"), newline="")))
    assert header[-1] == "Nomor Antrian" and len(header) == 11
    assert [(row[0], row[-1]) for row in rows] == [("1", "A-012")]
    calls = tmp_path / "rekap-telepon.xlsx"
    assert cli.main(["--config", str(config), "report", "rekap", "--month", "2026-11", "--channel", "telepon",
                     "--output", str(calls)]) == 0
    assert openpyxl.load_workbook(calls).active.cell(2, 11).value is None  # the phone log keeps seed 003's ten
    printed = tmp_path / "rekap-datang.xlsx"
    assert cli.main(["--config", str(config), "report", "rekap", "--month", "2026-11", "--channel", "datang",
                     "--output", str(printed)]) == 0
    sheet = openpyxl.load_workbook(printed).active
    assert (sheet.cell(2, 11).value, sheet.cell(3, 11).value) == ("Nomor Antrian", "A-012")
    page = tmp_path / "summary.html"
    assert cli.main(["--config", str(config), "report", "summary", "--month", "2026-11", "--output", str(page)]) == 0
    text = page.read_text("utf-8")
    given = re.search(r'<tr><td>Jumlah penilaian</td><td class="n">(\d+)</td>', text)
    average = re.search(r'<tr><td>Rata-rata \(1-5\)</td><td class="n">([\d.,]+)</td>', text)
    assert given and given[1] == "2" and average and float(average[1].replace(",", ".")) == 4.0, (given, average)
    by_channel = dict(re.findall(r'<tr><td>Penilaian lewat ([^<]+) \(rata-rata\)</td><td class="n">([^<]+)</td>', text))
    assert by_channel == {"Telepon": "1 (3)", "Datang langsung": "1 (5)"}, by_channel
