"""The recap's and the guest book's CSV hold no formula however a spreadsheet splits them.

A head opens the `,` file in Excel under Indonesian regional settings, whose list separator
is `;` (the coordinators' guide names it), or the `;` file under English ones: the file is then
split on the other separator. A cell that was quoted only as its own separator needed came
apart there: a display name `CV Maju;=cmd|' /C calc'!A0` became two cells, the second a
formula, and a first line `;=cmd|...;@SUM(1+1)*cmd|...` three. Every cell is now quoted,
and a formula start is neutralised after every separator inside a text too.

`excel_split` reads a CSV as Excel reads it with a given separator: a field that starts
with a double quote runs to the quote that closes it (`""` is one quote; what follows the
closing quote up to the separator is added as it stands), any other field runs to the
separator or the line's end, and a line break outside quotes ends the row. Every file is
split with `;` and with `,`, and no cell may start with `=`, `+`, `-`, `@`, a tab or a
carriage return (what Excel reads as a formula); the csv module reads every value back
as written. LibreOffice (where installed, as the suite's other LibreOffice tests) opens
each file with either separator: no formula cell, no text starting like one.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from mailbot.reports import guestbook
from mailbot.reports.rekap import to_csv
from mailbot.reports.values import RekapRow
from tests.test_reports_guestbook import WIB, visit

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CALC = "cmd|' /C calc'!A0"
# What the red team wrote, and the separators and quotes around a formula they did not try.
HOSTILE = (
    f"CV Maju;={CALC}",
    f";={CALC};@SUM(1+1)*{CALC}",
    f"PT Jaya,={CALC}",
    f'Toko;"={CALC}',
    f'Toko,""=1+1;"""-2+3+{CALC}',
    f"Isi pertama\n-2+3+{CALC}\r\n+1+{CALC}",
    f"Tab\t={CALC};\t@x",
    "=HYPERLINK(\"http://x\")",
    f"a;b\n={CALC}\n;c",
)


def excel_split(text: str, separator: str) -> list[list[str]]:
    """The rows and cells Excel makes of a CSV's text when its list separator is `separator`."""
    rows: list[list[str]] = []
    row: list[str] = []
    i, n = 0, len(text)
    while i < n:
        cell, i = _field(text, i, separator)
        row.append(cell)
        if i < n and text[i] == separator:
            i += 1
            if i == n:
                row.append("")
            continue
        if text.startswith("\r\n", i):
            i += 2
        elif i < n:
            i += 1  # a lone line break
        rows.append(row)
        row = []
    if row:
        rows.append(row)
    return rows


def _field(text: str, i: int, separator: str) -> tuple[str, int]:
    """One field from `i`: its value and where it stopped (a separator, a line break, the end)."""
    value: list[str] = []
    if i < len(text) and text[i] == '"':
        i += 1
        while i < len(text):
            if text[i] == '"':
                if text.startswith('""', i):
                    value.append('"')
                    i += 2
                    continue
                i += 1
                break
            value.append(text[i])
            i += 1
    while i < len(text) and text[i] not in (separator, "\r", "\n"):
        value.append(text[i])
        i += 1
    return "".join(value), i


def test_the_splitter_reads_what_it_should():
    """The control: the old files split as the red team saw them, and a quoted field whole."""
    assert excel_split(f"No,Nama\r\n1,CV Maju;={CALC}\r\n", ";") == [["No,Nama"], ["1,CV Maju", f"={CALC}"]]
    assert excel_split('"a;b";"c""d"\r\n', ";") == [["a;b", 'c"d']]
    assert excel_split('"a"x;b\n"c\nd"', ";") == [["ax", "b"], ["c\nd"]]


def recap() -> list[RekapRow]:
    return [RekapRow(no=n, opened=date(2026, 11, 2), address=f"pemohon{n}@vendor.test", name=text, problem=text,
                     category="Pengaduan", destination="LPSE", answered=date(2026, 11, 3), answer=text,
                     staff="Andi") for n, text in enumerate(HOSTILE, start=1)]


def book() -> list[guestbook.GuestRow]:
    records = [visit(f"2026-{n:05d}", datetime(2026, 11, 2, 1, n, tzinfo=UTC), name=text, problem=text,
                     queue=text) for n, text in enumerate(HOSTILE, start=1)]
    return guestbook.rows(records, WIB, lambda _box, address: address)


FILES = {
    "rekap.csv": lambda: to_csv(recap()),
    "rekap-excel.csv": lambda: to_csv(recap(), excel=True),
    "tamu.csv": lambda: guestbook.to_csv(book()),
    "tamu-excel.csv": lambda: guestbook.to_csv(book(), excel=True),
}


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("separator", [";", ","])
def test_no_cell_starts_a_formula_however_excel_splits_the_file(name, separator):
    text = FILES[name]().decode("utf-8-sig")
    cells = [cell for row in excel_split(text, separator) for cell in row]
    assert len(cells) > 2 * len(HOSTILE)
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []


@pytest.mark.parametrize("name", FILES)
def test_every_cell_is_quoted_and_reads_back_with_the_csv_module(name):
    data = FILES[name]()
    separator = ";" if "excel" in name else ","
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    records = rows[1:]
    assert len(records) == len(HOSTILE)
    column = 3 if name.startswith("rekap") else 4  # Nama
    shown = [row[column] for row in records]
    # the words stay as written, an apostrophe before each place a formula could start
    assert shown[0] == f"CV Maju;'={CALC}"
    assert shown[1] == f";'={CALC};'@SUM(1+1)*{CALC}"
    assert shown[3] == f'Toko;\'"={CALC}'
    assert shown[5] == f"Isi pertama\n'-2+3+{CALC}\n'+1+{CALC}"  # a line is a line (CRLF shown as LF)
    assert shown[7] == "'=HYPERLINK(\"http://x\")"
    assert [s.replace("'", "") for s in shown] == [h.replace("'", "").replace("\r\n", "\n") for h in HOSTILE]
    if name.startswith("rekap"):
        assert [row[1] for row in records] == ["2026-11-02"] * len(HOSTILE) and records[0][0] == "1"
    # quoted: each record's text starts and ends with a quote, and so does each line's first cell
    assert all(line.startswith('"') for line in text.split("\r\n") if line and not line.startswith(("'", "-", "+")))


def test_an_ordinary_text_keeps_its_words():
    """Commas, semicolons and line breaks before a word, a number or a space change nothing."""
    text = "Kendala: upload gagal, ukuran 5 MB; sudah coba 2 kali.\nMohon bantuan (paket 10012; tahap 2)."
    [row] = recap()[:1]
    data = to_csv([RekapRow(**{**row.__dict__, "problem": text})])
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1][4] == text


# --- LibreOffice opens them as a head would -------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("separator", [";", ","])
def test_libreoffice_reads_no_formula_with_either_separator(tmp_path, separator):
    """Each file opened in LibreOffice Calc with `;` and with `,` (formulas evaluated, as
    Calc opens a CSV for a person): no cell is a formula, none starts like one. The file
    written for that separator reads back with its values whole."""
    from tests.test_rekap_print import INDONESIAN, _open_csv, _tools

    _tools()
    for name, made in FILES.items():
        data = made()
        rows = _open_csv(data, tmp_path / f"{name}-{ord(separator)}", separator, INDONESIAN)
        values = [v for row in rows for v in row if v is not None]
        assert [v for v in values if isinstance(v, str) and v.startswith(FORMULA_STARTS)] == [], name
        if ("excel" in name) == (separator == ";"):
            column = 3 if name.startswith("rekap") else 4
            assert rows[0][column] == f"CV Maju;'={CALC}", name
            assert len(rows) == len(HOSTILE)
