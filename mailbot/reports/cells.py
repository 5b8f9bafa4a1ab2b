"""Every cell of a report file leaves through here: the recap, the guest book and any
table written later, as CSV or XLSX. Pure but for the XLSX writer's
calls on the sheet it is given.

A cell's text is a requester's, a visitor's or a staff member's words, and a config
value in a title: what a head opens in Excel, and what `report ... ` prints on the
operator's terminal when no `--output` is given. So each text cell is, in one place
rather than in each report's writer:

* shown: its control characters (C0 but newline and tab, DEL, C1, the bidi controls) as
  visible escapes (`\\x1b`, `\\u202e`, `core.controls.visible`): an OSC 52 in a visitor's
  name writes no clipboard, in a terminal or a spreadsheet;
* never a formula: in a CSV a text starting with `=`, `+`, `-`, `@`, a tab or a carriage
  return gets a leading apostrophe (Excel would run `=HYPERLINK(...)`: CSV injection), and
  so does each such start right after a `,`, `;`, tab or line break inside the text (any
  double quotes between), where a spreadsheet reading the file with the other separator
  starts a new cell: Excel under Indonesian regional settings splits on `;`, so a name
  `CV Maju;=cmd|...` in the `,` file was two cells, the second a formula. Every CSV cell
  is quoted, in the `,` file and the `;` file alike. In an XLSX every text is a string
  cell, and one that starts like a formula carries Excel's quote prefix too, so that it
  stays text when a head edits it;
* whole up to Excel's cell limit (32,767 characters), where it is cut with a marker.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mailbot.core.controls import visible

EXCEL_CELL_LIMIT = 32_767
CUT_MARKER = " [...terpotong]"  # "cut": what follows did not fit into one Excel cell
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Where a spreadsheet may start a new cell inside a CSV cell's text when it reads the file
# with another separator than it was written with, or breaks a line the quotes were meant to
# hold: a separator (`,` or `;`), a tab, a line break; double quotes after it open or close a
# quoted field there, so a formula start behind them counts too.
_FORMULA_AFTER_SEPARATOR = re.compile(r'(?<=[,;\t\r\n])(?="*[=+\-@\t\r])')

Value = int | date | str | None


def text(value: str) -> str:
    """A text cell's content: its controls shown, cut to Excel's cell limit."""
    return excel_text(visible(value))


def excel_text(value: str) -> str:
    """The text whole, or cut to Excel's cell limit with a marker saying so."""
    if len(value) <= EXCEL_CELL_LIMIT:
        return value
    return value[:EXCEL_CELL_LIMIT - len(CUT_MARKER)] + CUT_MARKER


def formula_like(value: str) -> bool:
    """Whether a spreadsheet would read the text as a formula (or a sign before one)."""
    return value.startswith(FORMULA_START)


def csv_cell(value: Value) -> str:
    """One CSV cell: a date in ISO 8601, a number as written, a text shown and, wherever a
    spreadsheet could start a formula in it, an apostrophe before that (`csv_text`)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return excel_text(csv_text(visible(value)))


def csv_text(shown: str) -> str:
    """A text as no spreadsheet reads a formula in it, however it splits the CSV: an
    apostrophe before a formula start at its beginning and after each separator, tab or line
    break (double quotes between included)."""
    text = _FORMULA_AFTER_SEPARATOR.sub("'", shown)
    return "'" + text if formula_like(text.lstrip('"')) else text


def csv_file(header: Sequence[str], rows: Iterable[Sequence[Value]], *, excel: bool = False) -> bytes:
    """A report as CSV: its header, then each row, every cell through `csv_cell` and quoted;
    UTF-8 with a byte-order mark (Excel reads the Indonesian text right), `;` for Excel under
    Indonesian regional settings (`excel`), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel else ",", lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([csv_cell(name) for name in header])
    for cells in rows:
        writer.writerow([csv_cell(value) for value in cells])
    return buffer.getvalue().encode("utf-8-sig")


# --- XLSX (xlsxwriter) --------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """A text cell's format, and the same with Excel's quote prefix for a text that starts
    like a formula."""

    plain: Any  # xlsxwriter.format.Format
    quoted: Any


def style(book: Any, props: dict[str, object]) -> Style:
    """The `Style` of these format properties in `book` (an xlsxwriter Workbook)."""
    return Style(book.add_format(props), book.add_format({**props, "quote_prefix": True}))


def write_text(sheet: Any, row: int, col: int, value: str, looks: Style) -> None:
    """A text into an xlsxwriter worksheet: a string cell (never a formula), shown and cut
    as `text` says, quote-prefixed when it starts like a formula."""
    shown = text(value)
    sheet.write_string(row, col, shown, looks.quoted if formula_like(shown) else looks.plain)


def write(sheet: Any, row: int, col: int, value: Value, looks: Style, day: Any, number: Any) -> None:
    """One data cell: a date as a real date (`day`'s format), a number (`number`'s), an
    empty text as a blank cell, any other text through `write_text`."""
    if isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), day)
    elif isinstance(value, int):
        sheet.write_number(row, col, value, number)
    elif not value:
        sheet.write_blank(row, col, None, looks.plain)
    else:
        write_text(sheet, row, col, value, looks)


def xlsx_table(title: str, sheet_name: str, header: Sequence[str], widths: Sequence[float],
               rows: Iterable[Sequence[Value]]) -> bytes:
    """A workbook of one table that prints (A4 landscape, one page wide): the title in row 1,
    the header in row 2 (frozen, repeated on each page), a row per item, every cell through
    `write` (the guest book, the window's list of tickets)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(sheet_name)
    bold = style(workbook, {"bold": True, "font_size": 13})
    heading = style(workbook, {"bold": True, "border": 1, "text_wrap": True, "valign": "top"})
    text = style(workbook, {"border": 1, "text_wrap": True, "valign": "top"})
    day = workbook.add_format({"border": 1, "num_format": "dd/mm/yyyy", "valign": "top"})
    write_text(sheet, 0, 0, title, bold)
    for col, (name, width) in enumerate(zip(header, widths, strict=True)):
        write_text(sheet, 1, col, name, heading)
        sheet.set_column(col, col, width)
    for r, cells in enumerate(rows, start=2):
        for col, value in enumerate(cells):
            write(sheet, r, col, value, text, day, text.plain)
    sheet.freeze_panes(2, 0)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(1)
    workbook.close()
    return buffer.getvalue()
