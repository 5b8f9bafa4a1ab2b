"""The recap's rows and files, from records written straight into a store.

Over real mail the recap is checked cell by cell in `test_reports_flow.py`; here the
edges: the month's bounds in the unit's zone, which answer and which staff member a
row names, the files' format (BOM, header-only month, Excel's cell limit, formulas).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from mailbot.io.store import Store
from mailbot.reports import queries
from mailbot.reports.rekap import rows, to_csv, to_xlsx
from mailbot.reports.values import Month
from tests.reportbook import Book

WIB = ZoneInfo("Asia/Jakarta")
HEADER = ["No", "Tgl", "Alamat E-mail", "Nama", "Isi Pesan", "Kategori", "Tujuan", "Tgl Jawaban", "Isi Jawaban",
          "Petugas"]
NAMES = {"staff1@lpse.test": "Andi Pratama"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.fixture
def store(store_location):
    store = Store(store_location)
    yield store
    store.close()


def recap(store: Store, month: str = "2026-11", mailbox: str | None = None):
    m = Month.parse(month)
    records = queries.month_tickets(store, m.start(WIB), m.end(WIB), mailbox, texts=True)
    return rows(records, WIB, lambda box, address: NAMES.get(address, address))


def test_month_bounds_are_the_units_local_midnights(store):
    """A ticket of 1 November 00:30 WIB (31 October in UTC) is November's; 1 December 00:00 WIB is not."""
    book = Book(store)
    for number, opened in (("2026-00001", at("2026-10-31T23:59")), ("2026-00002", at("2026-11-01T00:30")),
                           ("2026-00003", at("2026-11-30T23:59")), ("2026-00004", at("2026-12-01T00:00"))):
        book.ticket(number, opened, "open", requester=f"{number}@vendor.test")
    assert [r.address for r in recap(store)] == ["2026-00002@vendor.test", "2026-00003@vendor.test"]
    assert [(r.no, r.opened.isoformat()) for r in recap(store)] == [(1, "2026-11-01"), (2, "2026-11-30")]


def test_mailbox_filter(store):
    """--mailbox keeps one unit's tickets; without it every mailbox is in, oldest first."""
    book = Book(store)
    book.ticket("2026-00001", at("2026-11-02T09:00"), "open", requester="a@x.test", mailbox="btm")
    book.ticket("2026-00001", at("2026-11-02T08:00"), "open", requester="b@x.test", mailbox="tpi")
    assert [r.address for r in recap(store)] == ["b@x.test", "a@x.test"]
    assert [r.address for r in recap(store, mailbox="btm")] == ["a@x.test"]


def test_solution_wins_over_first_answer_and_names_its_staff(store):
    """Tgl Jawaban is the first answer's acceptance day; Isi Jawaban the (latest) solution;
    Petugas the staff member of that solution, by name; the problem is the requester's text
    up to the first answer."""
    book = Book(store)
    t = book.ticket("2026-00001", at("2026-11-02T09:00"), "closed", requester="budi@vendor.test",
                    name="Budi", contact_name="Budi Santoso", contact_org="PT Maju Jaya", category="pengaduan")
    book.inbound(t, "requester", "ticket_opened", received=at("2026-11-02T09:00"), body="Gagal upload.")
    book.inbound(t, "requester", "message_appended", received=at("2026-11-02T09:10"), body="Kode tender 123.")
    book.event(t, at("2026-11-02T15:00"), "staff2@lpse.test", "staff_replied")
    book.outbound(t, "requester", "staff_reply", at=at("2026-11-02T15:00"), sent=at("2026-11-03T08:00"),
                  body="Kami cek dulu.")
    book.inbound(t, "requester", "message_appended", received=at("2026-11-03T09:00"), body="Sudah dicek?")
    book.event(t, at("2026-11-04T10:00"), "staff1@lpse.test", "command_resolve")
    book.outbound(t, "requester", "resolved", at=at("2026-11-04T10:00"), sent=at("2026-11-04T10:00"),
                  body="Silakan unggah ulang.")
    book.outbound(t, "requester", "closed", at=at("2026-11-05T10:00"), sent=at("2026-11-05T10:00"))
    [row] = recap(store)
    assert row.cells() == (1, at("2026-11-02T00:00").date(), "budi@vendor.test", "Budi Santoso (PT Maju Jaya)",
                           "Gagal upload.\n\nKode tender 123.", "Pengaduan", "LPSE",
                           at("2026-11-03T00:00").date(), "Silakan unggah ulang.", "Andi Pratama")


def test_unanswered_ticket_and_queued_answer(store):
    """No answer: empty answer cells, the subject stands in for an empty problem text; an answer
    still in the outbox counts from when it was queued; unnamed staff show their address."""
    book = Book(store)
    a = book.ticket("2026-00001", at("2026-11-02T09:00"), "open", subject="Akun terkunci")
    book.inbound(a, "requester", "ticket_opened", received=at("2026-11-02T09:00"), body="")
    b = book.ticket("2026-00002", at("2026-11-02T10:00"), "answered", category="konsultasi", name="Sari",
                    contact_org="Dinas PU")
    book.inbound(b, "requester", "ticket_opened", received=at("2026-11-02T10:00"), body="Jadwal?")
    book.event(b, at("2026-11-06T10:00"), "staff2@lpse.test", "staff_replied")
    book.outbound(b, "requester", "staff_reply", at=at("2026-11-06T10:00"), sent=None, body="Senin.")
    first, second = recap(store)
    assert (first.problem, first.answered, first.answer, first.staff, first.category, first.name) == (
        "Akun terkunci", None, "", "", "", "")
    assert (second.name, second.answered.isoformat(), second.answer, second.staff, second.category) == (
        "Sari (Dinas PU)", "2026-11-06", "Senin.", "staff2@lpse.test", "Konsultasi")


def test_out_of_office_reply_is_not_the_problem(store):
    """The requester's auto-reply to the ack is recorded on the ticket (SPEC 5), but Isi Pesan
    is the problem they wrote, not "I am on leave"."""
    book = Book(store)
    t = book.ticket("2026-00001", at("2026-11-02T09:00"), "answered")
    book.inbound(t, "requester", "ticket_opened", received=at("2026-11-02T09:00"), body="Error 500.")
    book.inbound(t, "requester", "automatic_recorded", received=at("2026-11-02T09:01"),
                 body="Saya sedang cuti sampai 10 November.")
    book.event(t, at("2026-11-02T10:00"), "staff1@lpse.test", "staff_replied")
    book.outbound(t, "requester", "staff_reply", at=at("2026-11-02T10:00"), sent=at("2026-11-02T10:00"),
                  body="Silakan unggah ulang.")
    [row] = recap(store)
    assert row.problem == "Error 500."


def test_an_answer_refused_for_good_is_not_an_answer(store):
    """The SMTP server refused the only staff answer with a 5xx (outbox `failed`): it never reached
    the requester, so the row has no Tgl Jawaban, Isi Jawaban or Petugas; a later answer that
    went through is the row's answer."""
    book = Book(store)
    for number, again in (("2026-00001", False), ("2026-00002", True)):
        t = book.ticket(number, at("2026-11-03T09:00"), "answered")
        book.inbound(t, "requester", "ticket_opened", received=at("2026-11-03T09:00"), body="Mohon bantuan.")
        book.event(t, at("2026-11-03T10:00"), "staff2@lpse.test", "staff_replied")
        book.outbound(t, "requester", "staff_reply", at=at("2026-11-03T10:00"), sent=None, body="Jawaban pertama.")
        store.db.execute("update outbox set status = 'failed' where ticket_id = ?", [t])
        if again:
            book.event(t, at("2026-11-05T10:00"), "staff1@lpse.test", "staff_replied")
            book.outbound(t, "requester", "staff_reply", at=at("2026-11-05T10:00"), sent=at("2026-11-05T10:01"),
                          body="Jawaban kedua.")
    refused, retried = recap(store)
    assert (refused.answered, refused.answer, refused.staff) == (None, "", "")
    assert (retried.answered.isoformat(), retried.answer, retried.staff) == (
        "2026-11-05", "Jawaban kedua.", "Andi Pratama")


def test_escalated_names_lkpp_and_its_ticket_and_the_escalating_staff(store):
    """Tujuan is LKPP with LKPP's ticket number; LKPP's solution is shown, by the staff who escalated."""
    book = Book(store)
    t = book.ticket("2026-00001", at("2026-11-02T09:00"), "resolved", lkpp_ticket="2026110210000042")
    book.inbound(t, "requester", "ticket_opened", received=at("2026-11-02T09:00"), body="Error 500.")
    book.event(t, at("2026-11-02T09:30"), "staff1@lpse.test", "command_escalate")
    book.outbound(t, "requester", "escalated_user", at=at("2026-11-02T09:30"), sent=at("2026-11-02T09:30"))
    book.outbound(t, "requester", "resolved_lkpp", at=at("2026-11-05T11:00"), sent=at("2026-11-05T11:00"),
                  body="Sudah diperbaiki.")
    u = book.ticket("2026-00002", at("2026-11-02T10:00"), "escalated")
    book.event(u, at("2026-11-02T10:30"), "staff1@lpse.test", "command_escalate")
    first, second = recap(store)
    assert (first.destination, first.answered.isoformat(), first.answer, first.staff) == (
        "LKPP (Tiket#2026110210000042)", "2026-11-05", "Sudah diperbaiki.", "Andi Pratama")
    assert second.destination == "LKPP"


def test_an_escalation_refused_for_good_did_not_go_to_lkpp(store):
    """LKPP's server refused the escalation with a 5xx (outbox `failed`): LKPP never got the
    case and the ticket went back to the unit (`open`), so Tujuan is LPSE; an escalation that
    went through after a refused one is LKPP's."""
    book = Book(store)
    for number, again in (("2026-00001", False), ("2026-00002", True)):
        t = book.ticket(number, at("2026-11-04T09:00"), "escalated" if again else "open")
        book.inbound(t, "requester", "ticket_opened", received=at("2026-11-04T09:00"), body="Error 500.")
        book.event(t, at("2026-11-04T10:00"), "staff1@lpse.test", "command_escalate")
        book.outbound(t, "lkpp", "escalate", at=at("2026-11-04T10:00"), sent=None)
        book.outbound(t, "requester", "escalated_user", at=at("2026-11-04T10:00"), sent=at("2026-11-04T10:00"))
        store.db.execute("update outbox set status = 'failed' where ticket_id = ? and kind = 'escalate'", [t])
        if again:
            book.event(t, at("2026-11-05T10:00"), "staff1@lpse.test", "command_escalate")
            book.outbound(t, "lkpp", "escalate", at=at("2026-11-05T10:00"), sent=at("2026-11-05T10:00"))
    refused, retried = recap(store)
    assert (refused.destination, retried.destination) == ("LPSE", "LKPP")


def test_csv_has_a_bom_the_header_and_iso_dates(store):
    """UTF-8 with BOM for Excel; the ten columns; dates in ISO 8601 (DD/MM/YYYY was read
    as MM/DD under English (US) settings); texts kept whole."""
    book = Book(store)
    t = book.ticket("2026-00001", at("2026-11-02T09:00"), "open", requester="budi@vendor.test")
    text = "Baris satu, dengan koma; \"kutip\"\nBaris dua – é ✓"
    book.inbound(t, "requester", "ticket_opened", received=at("2026-11-02T09:00"), body=text)
    data = to_csv(recap(store))
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert table == [HEADER, ["1", "2026-11-02", "budi@vendor.test", "", text, "", "LPSE", "", "", ""]]


def test_empty_month_gives_a_header_only_file(store):
    """A month without tickets is a header-only file, not an error (every cell quoted)."""
    assert to_csv(recap(store)).decode("utf-8-sig") == ",".join(f'"{name}"' for name in HEADER) + "\r\n"
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(recap(store), "Rekap kosong")))
    sheet = book.active
    assert [c.value for c in sheet[2]] == HEADER and sheet.max_row == 2


def test_long_text_is_cut_at_excels_limit_with_a_marker(store):
    """Texts are whole up to 32,767 characters in the CSV, beyond that they end with a marker; the
    XLSX, made to be printed, cuts Isi Pesan at 1,500 characters (a row must fit a page)."""
    book = Book(store)
    t = book.ticket("2026-00001", at("2026-11-02T09:00"), "open")
    fits, too_long = "a" * 32_767, "b" * 40_000
    book.inbound(t, "requester", "ticket_opened", received=at("2026-11-02T09:00"), body=fits)
    u = book.ticket("2026-00002", at("2026-11-02T10:00"), "open")
    book.inbound(u, "requester", "ticket_opened", received=at("2026-11-02T10:00"), body=too_long)
    table = list(csv.reader(io.StringIO(to_csv(recap(store)).decode("utf-8-sig"), newline="")))
    assert table[1][4] == fits
    assert len(table[2][4]) == 32_767 and table[2][4].endswith(" [...terpotong]") and table[2][4].startswith("bbb")
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(recap(store), "t"))).active
    for cell, letter in (("E3", "a"), ("E4", "b")):
        printed = sheet[cell].value
        assert len(printed) <= 1_500 and printed.endswith(" [...terpotong]")
        assert printed == letter * (1_500 - len(" [...terpotong]")) + " [...terpotong]"


def test_formulas_are_never_run(store):
    """A requester's text that looks like a formula stays text: an apostrophe in CSV, a string in XLSX."""
    book = Book(store)
    t = book.ticket("2026-00001", at("2026-11-02T09:00"), "open")
    book.inbound(t, "requester", "ticket_opened", received=at("2026-11-02T09:00"), body="=HYPERLINK(\"x\")")
    table = list(csv.reader(io.StringIO(to_csv(recap(store)).decode("utf-8-sig"), newline="")))
    assert table[1][4] == "'=HYPERLINK(\"x\")"
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(recap(store), "t"))).active
    assert sheet["E3"].value == "=HYPERLINK(\"x\")" and sheet["E3"].data_type == "s"


def test_a_quoted_formula_still_fits_excels_cell_limit():
    """The apostrophe that defuses a formula counts against Excel's 32,767 characters too:
    a long text starting with "=" is cut to the limit with its marker, apostrophe included."""
    from datetime import date

    from mailbot.reports.cells import CUT_MARKER, EXCEL_CELL_LIMIT
    from mailbot.reports.values import RekapRow

    long = RekapRow(1, date(2026, 11, 2), "a@b.test", "", "=" + "x" * 40_000, "", "LPSE", None, "", "")
    [_, row] = list(csv.reader(io.StringIO(to_csv([long]).decode("utf-8-sig"), newline="")))
    assert len(row[4]) == EXCEL_CELL_LIMIT and row[4].startswith("'=") and row[4].endswith(CUT_MARKER)


def test_xlsx_layout(store):
    """Title in row 1, bold header in row 2 with an autofilter, frozen below it; wrapped text,
    sized columns, real dates shown DD/MM/YYYY, the range named Rekap."""
    book = Book(store)
    t = book.ticket("2026-00001", at("2026-11-02T09:00"), "open", requester="budi@vendor.test")
    book.inbound(t, "requester", "ticket_opened", received=at("2026-11-02T09:00"), body="x" * 300)
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(recap(store), "Rekap Penanganan Permasalahan – Uji")))
    sheet = workbook.active
    assert sheet["A1"].value == "Rekap Penanganan Permasalahan – Uji"
    assert [c.value for c in sheet[2]] == HEADER and all(c.font.bold for c in sheet[2])
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:J3"
    assert sheet["B3"].value == datetime(2026, 11, 2) and sheet["B3"].number_format == "dd/mm/yyyy"
    assert sheet["E3"].alignment.wrap_text
    widths = {col: sheet.column_dimensions[col].width for col in "ABCE"}
    assert widths["A"] < 8 and 12 < widths["C"] < 25 and widths["E"] > 50
    assert workbook.defined_names["Rekap"].attr_text.endswith("!$A$2:$J$3")
