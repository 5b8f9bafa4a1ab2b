"""The guest book of walk-ins (seed 000 keeps one; seed 004 section 1 step 2 gives each a
queue number): `mailbot report tamu --month YYYY-MM`, one row per visit of the month, CSV
or XLSX. Pure: rows from the month's records, bytes from rows.

The visits are the tickets staff opened with `#datang` (and the forms still held for their
sender's `#buka`: a visitor written down is never left out). What a visitor said is text a
head opens in Excel and an operator may print on a terminal: every cell leaves through
`reports.cells`, which shows its control characters and lets none run as a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo

from mailbot.reports import cells
from mailbot.reports.values import TicketRecord

COLUMNS = ("No", "Tanggal", "Jam", "Nomor Antrian", "Nama", "Instansi/Perusahaan", "Keperluan", "Petugas",
           "Nomor Tiket")
WIDTHS = (5, 12, 7, 14, 28, 30, 60, 26, 14)


@dataclass(frozen=True)
class GuestRow:
    no: int
    day: date
    time: str  # HH:MM, the unit's time
    queue: str
    name: str
    organisation: str
    purpose: str
    staff: str
    ticket: str

    def cells(self) -> tuple[int | date | str, ...]:
        return (self.no, self.day, self.time, self.queue, self.name, self.organisation, self.purpose, self.staff,
                self.ticket)


def rows(records: Sequence[TicketRecord], tz: tzinfo, staff_name: Callable[[str, str], str]) -> list[GuestRow]:
    """The month's visits in the order they came, numbered from 1."""
    visits = sorted((r for r in records if r.channel == "datang"), key=lambda r: r.created_at)
    return [GuestRow(no, (at := r.created_at.astimezone(tz)).date(), at.strftime("%H:%M"), r.queue_number or "",
                     r.contact_name or r.requester_name, r.contact_org, r.form_problem or r.subject,
                     staff_name(r.mailbox, r.taken_by) if r.taken_by else "", r.number)
            for no, r in enumerate(visits, start=1)]


def to_csv(book: Sequence[GuestRow], *, excel: bool = False) -> bytes:
    """As the recap's CSV (`cells.csv_file`): UTF-8 with a byte-order mark, ISO dates, `;` for
    Excel (`excel`), controls shown, no cell a formula."""
    return cells.csv_file(COLUMNS, (row.cells() for row in book), excel=excel)


def to_xlsx(book: Sequence[GuestRow], title: str) -> bytes:
    """A workbook that prints: the title in row 1, the header in row 2 (frozen), a row per
    visit; every cell through `cells.write` (shown, a string, never a formula)."""
    return cells.xlsx_table(title, "Buku Tamu", COLUMNS, WIDTHS, [row.cells() for row in book])
