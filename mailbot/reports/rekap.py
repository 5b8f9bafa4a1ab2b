"""The "Rekap Penanganan Permasalahan" (seed 003): one row per ticket, CSV or XLSX.

`rows()` is pure: ticket records in, `RekapRow`s out. The seed's columns are filled
from what mailbot recorded (see docs/operator/reports.md, "The recap"):

* Tgl: the day the ticket was opened; Tgl Jawaban: the day the first answer to the
  requester was accepted by the SMTP server (queued, when not yet sent; an answer the
  server refused for good never reached the requester and is none). Both in the unit's
  zone.
* Isi Pesan: the new text of the requester's messages up to the first answer, without
  their automatic mail (an out-of-office reply to the ack is not the problem).
* Isi Jawaban: the solution that reached the requester (the latest one), else the
  first answer. Answers are the mails to the requester that carry a text or files from
  staff or LKPP: `staff_reply`, `resolved`, `resolved_lkpp`, `relay`, `need_info`, `request_info`; one
  with files alone (a guide sent as a PDF) shows as `[jawaban berupa lampiran (1 berkas)]`.
* Petugas: the staff member of the latest staff action (reply, #selesai, #teruskan,
  #eskalasi) up to that answer, by the name in `staff_names`, else the address.
* A call or visit (SPEC 3): Tgl is the call's date (the form's Waktu), Isi Pesan starts
  with the form's Permasalahan, Alamat E-mail is empty when the caller gave none; answered
  on the spot, Tgl Jawaban is the call's date and Isi Jawaban the form's Jawaban; Petugas
  is the staff member who took it unless a later staff action answered by mail.
* Tujuan: LPSE, or LKPP when the ticket was escalated, with LKPP's ticket number or the
  LPSE Support number staff recorded with `#lpse-support` (E12e) (not
  when LKPP's server refused every escalation for good: it never reached LKPP).

The writers keep every text whole up to Excel's cell limit (32,767 characters), where
they cut it with a marker. Every cell leaves through `reports.cells`: a control character
of the requesters' texts is shown as a visible escape (`\\x1b`), in the
CSV a terminal may print and in the XLSX alike, and no text runs as a formula.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from mailbot.core.counterpart import LPSE_SUPPORT
from mailbot.core.lifecycle import NOT_AN_ANSWER
from mailbot.model import has_mailbox
from mailbot.reports import cells
from mailbot.reports.cells import CUT_MARKER
from mailbot.reports.gist import gist
from mailbot.reports.values import HELD, QUEUE_COLUMN, REKAP_COLUMNS, Mail, RekapRow, TicketRecord

ANSWER_KINDS = frozenset({"staff_reply", "resolved", "resolved_lkpp", "relay", "need_info", "request_info"})
SOLUTION_KINDS = frozenset({"resolved", "resolved_lkpp"})
REOPENED = frozenset({"closing_rejected", "ticket_reopened"})  # the answer did not solve it (E4, E5)
STAFF_ACTIONS = frozenset({"staff_replied", "command_resolve", "command_relay", "command_escalate",
                           "command_lpse_support"})
CATEGORY_LABELS = {"pengaduan": "Pengaduan", "pertanyaan": "Pertanyaan", "konsultasi": "Konsultasi"}
ON_THE_SPOT = "[dijawab langsung]"  # "answered on the spot" (seed 003 steps 6-7) without words written
FILES_ONLY = "[jawaban berupa lampiran ({count} berkas)]"  # "an answer of attachments (N files)"
# a call or visit whose form waits for its sender's #buka (SPEC 3): no ticket is open yet
HELD_DESTINATION = "Belum dibuka (formulir menunggu #buka petugas)"


def rows(records: Iterable[TicketRecord], tz: ZoneInfo,
         staff_name: Callable[[str, str], str] = lambda mailbox, address: address) -> list[RekapRow]:
    """One recap row per ticket, numbered in the order given (oldest first)."""
    return [_row(no, record, tz, staff_name) for no, record in enumerate(records, start=1)]


def _row(no: int, record: TicketRecord, tz: ZoneInfo, staff_name: Callable[[str, str], str]) -> RekapRow:
    answers = _answers(record)
    first = answers[0] if answers else None
    shown = _shown_answer(answers)
    spot = _on_the_spot(record)
    return RekapRow(
        no=no,
        opened=_day(record.created_at, tz),
        address=record.requester if has_mailbox(record.requester) else "",
        name=_name(record),
        problem=_problem(record, first),
        category=CATEGORY_LABELS.get(record.category or "", (record.category or "").capitalize()),
        destination=_destination(record),
        answered=_answered(record, first, spot, tz),
        answer=(record.form_answer or ON_THE_SPOT) if spot else _answer_text(shown) if shown else "",
        staff=_staff(record, None if spot else shown, staff_name),
        queue=record.queue_number or "",
    )


def problem(record: TicketRecord) -> str:
    """The requester's words of a ticket as the recap's Isi Pesan shows them (the records
    must carry texts: `queries.month_tickets(texts=True)`)."""
    answers = _answers(record)
    return _problem(record, answers[0] if answers else None)


def _answers(record: TicketRecord) -> list[Mail]:
    """The answers that reached the requester: mail of an answer's kind, not refused for
    good, that carries a text or files."""
    return [m for m in record.mails if m.direction == "out" and m.role == "requester"
            and m.kind in ANSWER_KINDS and not m.failed and (m.body.strip() or m.files)]


def _shown_answer(answers: list[Mail]) -> Mail | None:
    """The answer Isi Jawaban shows: the latest solution, else the first answer."""
    solutions = [m for m in answers if m.kind in SOLUTION_KINDS]
    return solutions[-1] if solutions else answers[0] if answers else None


def _on_the_spot(record: TicketRecord) -> bool:
    """A call or visit answered on the spot (seed 003 steps 6-7), unless that answer did not solve it."""
    return record.answered_on_the_spot and not any(e.kind in REOPENED for e in record.history)


def _answered(record: TicketRecord, first: Mail | None, spot: bool, tz: ZoneInfo) -> date | None:
    """Tgl Jawaban: the call's day when answered on the spot, else the day the first answer was sent."""
    if spot:
        return _day(record.created_at, tz)
    return _day(_delivered(first), tz) if first else None


def _answer_text(mail: Mail) -> str:
    """What the answer said, without its greeting and sign-off (a printed "Isi
    Jawaban" showed "Yth. Bapak/Ibu,"); an answer of files alone (staff attached a guide and
    wrote nothing) still answered the requester, and says so."""
    return gist(mail.body) if mail.body.strip() else FILES_ONLY.format(count=mail.files)


def _problem(record: TicketRecord, first: Mail | None) -> str:
    """What the requester wrote before the first answer (Isi Pesan), each message without
    its greeting, sign-off and signature (`gist`); their automatic mail (an
    out-of-office reply, SPEC 5: recorded, never acted on) is not part of it."""
    asked = [m for m in record.mails if _asked_before(m, first)]
    written = [record.form_problem.strip()] if record.form_problem.strip() else []  # a call's form (SPEC 3)
    name = record.contact_name or record.requester_name or ""
    return "\n\n".join([*written, *(gist(m.body, name) for m in asked)]) or record.subject


def _asked_before(mail: Mail, first: Mail | None) -> bool:
    """A text of the requester's own (not their automatic mail) before the first answer."""
    return (mail.direction == "in" and mail.role == "requester" and mail.kind not in NOT_AN_ANSWER
            and (first is None or mail.at < first.at) and bool(mail.body.strip()))


def _staff(record: TicketRecord, shown: Mail | None, staff_name: Callable[[str, str], str]) -> str:
    """The staff member whose action the shown answer was (Petugas); for a call or visit not
    answered by mail since, the staff member who took it (the recap's "Nama Penginput")."""
    actors = [e.actor for e in record.history if e.kind in STAFF_ACTIONS and e.at <= shown.at] if shown else []
    if not actors and record.taken_by:
        actors = [record.taken_by]
    return staff_name(record.mailbox, actors[-1]) if actors else ""


def _name(record: TicketRecord) -> str:
    """Seed 003: the sender's name, with the instansi/company where known."""
    name = record.contact_name or record.requester_name
    org = record.contact_org
    if name and org and org.lower() not in name.lower():
        return f"{name} ({org})"
    return name or org


def escalated(record: TicketRecord) -> bool:
    """Whether the case went to LKPP: staff escalated it (#eskalasi) and LKPP's server did
    not refuse every escalation for good (a refused one never reached LKPP, and the ticket
    was put back in `open` for the unit)."""
    kinds = {e.kind for e in record.history}
    if "command_lpse_support" in kinds:
        return True  # E12e: filed in LPSE Support by hand; no mail of ours to be refused
    return "command_escalate" in kinds and not _all_refused(record)


def _all_refused(record: TicketRecord) -> bool:
    """Every escalation mail of the ticket refused for good by LKPP's server (none sent: not refused)."""
    sent = [m for m in record.mails if m.direction == "out" and m.role == "lkpp" and m.kind == "escalate"]
    return bool(sent) and all(m.failed for m in sent)


def _destination(record: TicketRecord) -> str:
    if record.state == HELD:
        return HELD_DESTINATION
    if not escalated(record):
        return "LPSE"
    if record.lkpp_ref_form == LPSE_SUPPORT and record.lkpp_ticket:
        return f"LKPP (LPSE Support {record.lkpp_ticket})"  # SOP-004 section 3 step 7
    return f"LKPP (Tiket#{record.lkpp_ticket})" if record.lkpp_ticket else "LKPP"


def _delivered(mail: Mail) -> datetime:
    return mail.sent_at or mail.at


def _day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


# --- writers ---------------------------------------------------------------------------


def columns(queue: bool = False) -> tuple[str, ...]:
    """The recap's columns: seed 003's ten, and the visits' queue number after them (`queue`)."""
    return (*REKAP_COLUMNS, QUEUE_COLUMN) if queue else REKAP_COLUMNS


def to_csv(recap: Sequence[RekapRow], *, excel: bool = False, queue: bool = False) -> bytes:
    """The recap as CSV with ISO 8601 dates (2026-11-03), which every locale's Excel,
    LibreOffice and program reads as the same day (DD/MM/YYYY became 10 January under
    English (US) settings). UTF-8 with a byte-order mark, so that Excel reads
    the Indonesian text right; comma-separated, for programs. `excel`: separated by
    semicolons, the list separator of Excel under Indonesian regional settings, so that a
    double-click opens it in columns (a comma-separated file opens there in column A).

    A text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
    apostrophe: Excel would otherwise run a requester's text as a formula (CSV injection);
    its controls are shown (`cells.csv_cell`). `queue`: the recap of visits, with their
    Nomor Antrian last.
    """
    return cells.csv_file(columns(queue), (row.cells(queue) for row in recap), excel=excel)


WIDTH_LIMITS = (6, 12, 30, 32, 60, 13, 26, 13, 60, 24, 14)  # at most, per column, in characters


# Paper sizes as Excel numbers them: A4, and F4 (folio, 215 x 330 mm, common in Indonesian
# offices), which is Excel's "Folio 8 1/2 x 13 in".
PAPERS = {"a4": 9, "f4": 14}
PRINT_TEXT_LIMIT = 1_500  # Isi Pesan / Isi Jawaban in the XLSX: a row must fit one page
LINE_POINTS = 15.0  # the height of one wrapped line of Calibri 11
CHARS_PER_WIDTH = 1.2  # characters of Indonesian text per unit of column width (a "0" wide), printed
MAX_ROW_POINTS = 409.0  # Excel's tallest row
TEXT_COLUMNS = (4, 8)  # Isi Pesan, Isi Jawaban


def to_xlsx(recap: Sequence[RekapRow], title: str, sheet_name: str = "Rekap", *, paper: str = "a4",
            queue: bool = False) -> bytes:
    """The recap as an Excel workbook that prints: a title in row 1, the header in row 2.

    Row 2 holds exactly the seed's column names (bold, frozen with the title, with an
    autofilter), data from row 3; the range is also named `Rekap`. Dates are real
    dates shown as DD/MM/YYYY; texts are written as strings (never as formulas) and
    wrap within columns sized to their content, each row as tall as its longest text
    (LibreOffice and a printer do not grow rows by themselves). Printed: landscape on A4
    or F4, fit to the page's width, rows 1-2 on every page, page numbers in the footer;
    Isi Pesan and Isi Jawaban are cut at `PRINT_TEXT_LIMIT` with a marker so that a row
    fits on a page. `queue`: the recap of visits, with their Nomor Antrian last.
    """
    import xlsxwriter  # lazily: only the recap needs it

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    ws = book.add_worksheet(sheet_name[:31])
    title_format = cells.style(book, {"bold": True, "font_size": 13})
    header = cells.style(book, {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                "valign": "top"})
    text = cells.style(book, {"text_wrap": True, "valign": "top", "border": 1})
    day = book.add_format({"num_format": "dd/mm/yyyy", "valign": "top", "border": 1, "align": "left"})
    number = book.add_format({"valign": "top", "border": 1, "align": "right"})
    names = columns(queue)
    printed = [_printed(row.cells(queue)) for row in recap]
    widths = _widths(recap, queue)
    cells.write_text(ws, 0, 0, title, title_format)
    for col, (name, width) in enumerate(zip(names, widths, strict=True)):
        cells.write_text(ws, 1, col, name, header)
        ws.set_column(col, col, width)
    ws.set_row(1, _height(list(names), widths))
    for r, row in enumerate(printed, start=2):
        for col, value in enumerate(row):
            cells.write(ws, r, col, value, text, day, number)
        ws.set_row(r, _height(row, widths))
    last_row = max(1 + len(recap), 1)
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, last_row, len(names) - 1)
    book.define_name("Rekap", f"='{sheet_name[:31]}'!$A$2:${chr(ord('A') + len(names) - 1)}${last_row + 1}")
    ws.set_landscape()
    ws.set_paper(PAPERS[paper])
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.repeat_rows(0, 1)
    ws.fit_to_pages(1, 0)
    ws.set_footer("&L" + _footer_text(title) + "&RHalaman &P dari &N")
    book.close()
    return buffer.getvalue()


def _printed(cells: tuple[int | date | str | None, ...]) -> tuple[int | date | str | None, ...]:
    """The row as printed: Isi Pesan and Isi Jawaban cut to what a row of a page holds."""
    return tuple(_cut(value, PRINT_TEXT_LIMIT) if col in TEXT_COLUMNS and isinstance(value, str) else value
                 for col, value in enumerate(cells))


def _cut(text: str, limit: int) -> str:
    """The text whole, or cut at a word before `limit` with the marker saying so."""
    if len(text) <= limit:
        return text
    head = text[:limit - len(CUT_MARKER)]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip() + CUT_MARKER


def _height(cells: Sequence[int | date | str | None], widths: Sequence[float]) -> float:
    """Points for a row whose tallest cell wraps into that many lines at its column's width."""
    lines = 1
    for value, width in zip(cells, widths, strict=True):
        if isinstance(value, str) and value:
            per_line = max(int(width * CHARS_PER_WIDTH), 1)
            lines = max(lines, sum(max(1, math.ceil(len(part) / per_line)) for part in value.splitlines() or [""]))
    return min(lines * LINE_POINTS + 3, MAX_ROW_POINTS)


def _footer_text(title: str) -> str:
    """The title for the footer, shown as a cell is (`cells.text`: the unit's name is a
    config value); `&` starts a code in a header or footer, so it is doubled."""
    return cells.text(title).replace("&", "&&")


def _widths(recap: Sequence[RekapRow], queue: bool = False) -> list[float]:
    """Per column: wide enough for its longest line, within that column's limit."""
    widths = [len(name) + 2 for name in columns(queue)]  # room for the autofilter button
    open_columns = set(range(len(widths)))
    for row in recap:
        cells = row.cells(queue)
        for col in tuple(open_columns):
            longest = _longest_line(cells[col])
            if longest > widths[col]:
                widths[col] = min(longest, WIDTH_LIMITS[col])
                if longest >= WIDTH_LIMITS[col]:
                    open_columns.discard(col)
        if not open_columns:
            break
    return [w + 1 for w in widths]


def _longest_line(value: int | date | str | None) -> int:
    """The characters of a cell's longest line as shown (a date as DD/MM/YYYY; of a text,
    its first 2,000 characters, more than any column's limit)."""
    if isinstance(value, date):
        return 10
    if isinstance(value, str):
        return max((len(line) for line in value[:2000].splitlines()), default=0)
    return len(str(value))
