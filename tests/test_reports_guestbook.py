"""The guest book (seed 000): a row per visit of the month in the order
they came, and what a visitor said never runs as a formula where a head opens it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl

from mailbot.reports import guestbook
from mailbot.reports.values import TicketRecord

WIB = ZoneInfo("Asia/Jakarta")


def visit(number: str, at: datetime, *, channel: str = "datang", queue: str | None = "A-001",
          name: str = "Rina", problem: str = "Lupa kata sandi.") -> TicketRecord:
    return TicketRecord(id=1, mailbox="t", number=number, state="closed", requester="datang@tanpa-email.invalid",
                        requester_name=name, contact_name=name, contact_org="CV Maju", subject=problem,
                        category=None, priority=None, created_at=at, resolved_at=None, closed_at=None, rating=None,
                        lkpp_ticket=None, channel=channel, taken_by="andi@lpse.test", form_problem=problem,
                        queue_number=queue)


def test_visits_alone_in_the_order_they_came_at_the_units_time():
    records = [visit("2026-00003", datetime(2026, 11, 3, 2, 0, tzinfo=UTC), queue="B-2"),
               visit("2026-00001", datetime(2026, 11, 2, 8, 30, tzinfo=UTC), channel="telepon"),
               visit("2026-00002", datetime(2026, 11, 2, 1, 5, tzinfo=UTC), queue=None)]
    book = guestbook.rows(records, WIB, lambda _box, address: "Andi" if address == "andi@lpse.test" else address)
    assert [(r.no, r.day.isoformat(), r.time, r.queue, r.ticket, r.staff) for r in book] == [
        (1, "2026-11-02", "08:05", "", "2026-00002", "Andi"), (2, "2026-11-03", "09:00", "B-2", "2026-00003", "Andi")]


def test_a_visitors_words_never_run_as_a_formula(tmp_path):
    records = [visit("2026-00001", datetime(2026, 11, 2, 1, 5, tzinfo=UTC), name='=HYPERLINK("http://x")',
                     problem="+62 812 hilang; -1")]
    book = guestbook.rows(records, WIB, lambda _box, address: address)
    cells = list(csv.reader(io.StringIO(guestbook.to_csv(book).decode("utf-8-sig"))))[1]
    assert cells[4] == "'=HYPERLINK(\"http://x\")" and cells[6] == "'+62 812 hilang; -1"
    path = tmp_path / "tamu.xlsx"
    path.write_bytes(guestbook.to_xlsx(book, "Buku Tamu"))
    sheet = openpyxl.load_workbook(path).active
    assert sheet.cell(3, 5).data_type == "s" and sheet.cell(3, 5).value == '=HYPERLINK("http://x")'
