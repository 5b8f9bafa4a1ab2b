"""Calls and visits in the monthly recap and summary, against hand-worked figures.

Three tickets of November 2026 written into a store as the daemon records them (Monday 2
November, WIB; the working calendar Mon-Fri 08:00-16:00):
- C1, a phone call at 09:00 written down at 09:20 (the form's Waktu), no e-mail, answered
  on the spot by staff1: its number went back to staff1 at 09:20 (20 minutes after the
  call: seed 003 step 8's 10 minutes missed by 10), first response and solution in the call.
- C2, a visit at 10:00 written down at 10:02, caller's e-mail given, not answered yet: the
  number to staff2 at 10:03 (met); the caller's ack at 10:03; staff1 answers by mail at 11:00.
- M1, a requester's mail at 09:30, acked at 09:31.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.worktime import WorkCalendar
from mailbot.io.store import Store
from mailbot.reports import queries
from mailbot.reports.figures import summarize
from mailbot.reports.rekap import rows
from mailbot.reports.values import Breach, Month, Step
from mailbot.rules import load_rules
from tests.reportbook import Book

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=WIB)
NOVEMBER = Month(2026, 11)
STAFF1, STAFF2 = "staff1@lpse.test", "staff2@lpse.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def call(book: Book, number: str, opened: datetime, state: str, channel: str, taken_by: str, *,
         requester: str, problem: str, answer: str | None, **kw: object) -> int:
    ticket = book.ticket(number, opened, state, requester=requester, contact_name="Pak Joko",
                         contact_org="Dinas Pendidikan", **kw)  # type: ignore[arg-type]
    book.store.database.update("tickets", ticket, {"channel": channel, "taken_by": taken_by})
    book.event(ticket, opened, taken_by, "intake_recorded", problem=problem, answer=answer, channel=channel)
    return ticket


@pytest.fixture
def store(store_location):
    store = Store(store_location)
    book = Book(store)
    c1 = call(book, "2026-00001", at("2026-11-02T09:00"), "resolved", "telepon", STAFF1,
              requester="telepon@tanpa-email.invalid", problem="Jadwal tender tidak tampil.",
              answer="Jadwal tampil setelah cache dibersihkan.", resolved_at=at("2026-11-02T09:20"))
    book.inbound(c1, "staff", "intake_answered", received=at("2026-11-02T09:20"), sender=STAFF1)
    book.outbound(c1, "sender", "intake_opened", at=at("2026-11-02T09:20"), sent=at("2026-11-02T09:20"))
    c2 = call(book, "2026-00002", at("2026-11-02T10:00"), "answered", "datang", STAFF2,
              requester="rina@majujaya.co.id", problem="Lupa kata sandi akun penyedia.", answer=None)
    book.inbound(c2, "staff", "intake_opened", received=at("2026-11-02T10:02"), sender=STAFF2)
    book.outbound(c2, "sender", "intake_opened", at=at("2026-11-02T10:02"), sent=at("2026-11-02T10:03"))
    book.outbound(c2, "requester", "ack", at=at("2026-11-02T10:02"), sent=at("2026-11-02T10:03"))
    book.inbound(c2, "staff", "staff_replied", received=at("2026-11-02T11:00"), sender=STAFF1)
    book.event(c2, at("2026-11-02T11:00"), STAFF1, "staff_replied")
    book.outbound(c2, "requester", "staff_reply", at=at("2026-11-02T11:00"), sent=at("2026-11-02T11:00"),
                  body="Silakan gunakan menu Lupa Password.")
    m1 = book.ticket("2026-00003", at("2026-11-02T09:30"), "open", requester="budi@vendor.test")
    book.inbound(m1, "requester", "ticket_opened", received=at("2026-11-02T09:30"), body="Tidak bisa login.")
    book.outbound(m1, "requester", "ack", at=at("2026-11-02T09:30"), sent=at("2026-11-02T09:31"))
    yield store
    store.close()


def november(store: Store):
    records = queries.month_tickets(store, NOVEMBER.start(WIB), NOVEMBER.end(WIB), "t")
    return summarize(records, NOVEMBER, WorkCalendar.build(), load_rules().deadlines, NOW)


def test_the_summary_counts_tickets_by_channel(store):
    assert november(store).by_channel == (("email", 1), ("telepon", 1), ("datang", 1))


def test_a_calls_number_is_judged_from_the_call_and_the_mails_ack_apart(store):
    s = november(store)
    number = s.step(Step.CALL_NUMBER)
    assert (number.cases, number.met, number.worst) == (2, 1, (Breach("2026-00001", timedelta(minutes=10)),))
    ack = s.step(Step.ACK)
    assert (ack.cases, ack.met) == (1, 1)  # M1 alone: a call's number is not a mail's ack


def test_answered_on_the_spot_is_a_first_response_and_a_solution_in_the_call(store):
    s = november(store)
    first = s.step(Step.FIRST_RESPONSE)
    # C1 in the call; C2 by mail at 11:00, 1 working hour after the visit; M1 never answered,
    # its 4 working hours from 09:30 on 2 November long past at NOW
    assert (first.cases, first.met) == (3, 2)
    assert [b.number for b in first.worst] == ["2026-00003"]
    resolution = s.step(Step.RESOLUTION)
    assert resolution.met == 1 and "2026-00001" not in [b.number for b in resolution.worst]


def test_the_recap_row_of_a_call(store):
    records = queries.month_tickets(store, NOVEMBER.start(WIB), NOVEMBER.end(WIB), "t", texts=True)
    recap = {r.problem.split("\n")[0]: r for r in rows(records, WIB)}
    c1 = recap["Jadwal tender tidak tampil."]
    assert (c1.opened, c1.address, c1.name, c1.answered, c1.answer, c1.staff) == (
        date(2026, 11, 2), "", "Pak Joko (Dinas Pendidikan)", date(2026, 11, 2),
        "Jadwal tampil setelah cache dibersihkan.", STAFF1)
    c2 = recap["Lupa kata sandi akun penyedia."]
    assert (c2.address, c2.answered, c2.answer, c2.staff) == (
        "rina@majujaya.co.id", date(2026, 11, 2), "Silakan gunakan menu Lupa Password.", STAFF1)


def test_an_unanswered_calls_petugas_is_who_took_it(tmp_path):
    store = Store(tmp_path / "m.db")
    try:
        book = Book(store)
        call(book, "2026-00001", at("2026-11-02T09:00"), "open", "telepon", STAFF2,
             requester="telepon@tanpa-email.invalid", problem="Akun terkunci.", answer=None)
        records = queries.month_tickets(store, NOVEMBER.start(WIB), NOVEMBER.end(WIB), "t", texts=True)
        [row] = rows(records, WIB)
        assert (row.opened, row.problem, row.answered, row.answer, row.staff) == (
            date(2026, 11, 2), "Akun terkunci.", None, "", STAFF2)
    finally:
        store.close()


def _config(tmp_path, database) -> str:  # type: ignore[no-untyped-def]
    import yaml

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": str(database), "archive_dir": str(tmp_path / "archive"), "timezone": "Asia/Jakarta",
        "secret_key_file": str(tmp_path / "secret.key"), "log": {"format": "console", "level": "error"},
        "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"},
        "mailboxes": [{"name": "t", "address": "lpse@lpse.test", "display_name": "LPSE Kota Batam",
                       "staff": [STAFF1, STAFF2], "imap": {"host": "127.0.0.1", "port": 1, "security": "none"}}],
    }))
    return str(path)


def test_the_phone_log_is_the_recap_of_calls_alone_titled_as_seed_003_titles_it(store, store_location, tmp_path):
    """`report rekap --channel telepon` is seed 003's "Rekap Penanganan
    Permasalahan Melalui Telepon": the month's calls alone, numbered from 1; `--channel`
    lists tickets of one channel."""
    import json

    import openpyxl

    from mailbot.cli import main as cli

    config = _config(tmp_path, store_location)
    target = tmp_path / "telepon.xlsx"
    assert cli.main(["--config", config, "report", "rekap", "--month", "2026-11", "--channel", "telepon",
                     "--output", str(target)]) == 0
    sheet = openpyxl.load_workbook(target).active
    assert str(sheet.cell(1, 1).value).startswith("Rekap Penanganan Permasalahan Melalui Telepon – LPSE Kota Batam")
    body = [[c.value for c in row] for row in sheet.iter_rows(min_row=3) if any(c.value for c in row)]
    assert [(r[0], r[4]) for r in body] == [(1, "Jadwal tender tidak tampil.")]
    visits = tmp_path / "datang.csv"
    assert cli.main(["--config", config, "report", "rekap", "--month", "2026-11", "--channel", "datang",
                     "--output", str(visits)]) == 0
    assert "Lupa kata sandi akun penyedia." in visits.read_text("utf-8-sig")
    assert "Jadwal tender" not in visits.read_text("utf-8-sig")
    listed = tmp_path / "tickets.json"
    from contextlib import redirect_stdout

    with listed.open("w") as out, redirect_stdout(out):
        assert cli.main(["--config", config, "tickets", "--channel", "email", "--json"]) == 0
    assert [t["number"] for t in json.loads(listed.read_text())] == ["2026-00003"]
