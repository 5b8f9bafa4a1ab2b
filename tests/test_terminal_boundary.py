"""The boundaries every output passes, tested on their own: the CLI's
standard streams (`io/terminal.py`), the log's lines (`io/logs.py`) and every report cell
(`reports/cells.py`). Expected texts are written out as the operator reads them.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import sys

import openpyxl
import pytest
import xlsxwriter

from mailbot.io import logs
from mailbot.io.terminal import Shown, guarded, shown_traceback
from mailbot.reports import cells

HOSTILE = "a\x1b]52;c;QQ==\x07b\x1b[2Jc\x1b]0;judul\x07d\x7fe\x9b31mf\u202eg\u2066h\x00i"
SHOWN = "a\\x1b]52;c;QQ==\\x07b\\x1b[2Jc\\x1b]0;judul\\x07d\\x7fe\\x9b31mf\\u202eg\\u2066h\\x00i"


def test_a_shown_stream_writes_every_control_as_its_escape():
    """Newline and tab stay, CRLF is a line end; the rest of the wrapped stream is its own."""
    under = io.StringIO()
    stream = Shown(under)
    assert stream.write(HOSTILE + "\tkolom\r\nbaris\n") == len(HOSTILE) + 14
    stream.writelines(["x\x1by\n", "aman\rDIBAJAK\n"])
    assert under.getvalue() == SHOWN + "\tkolom\nbaris\nx\\x1by\naman\\x0dDIBAJAK\n"
    assert stream.getvalue() == under.getvalue()  # anything else asked of it: the wrapped stream's


def test_a_guarded_main_shows_what_it_prints_and_puts_the_streams_back(capsys):
    """`print` to stdout and stderr, and `write` on them, inside a guarded main: all shown;
    afterwards the streams are the ones that were there, also when main raises."""
    before = sys.stdout, sys.stderr

    @guarded
    def main(fail: bool) -> int:
        print(HOSTILE)
        print(HOSTILE, file=sys.stderr)
        sys.stdout.write("tulis " + HOSTILE + "\n")
        if fail:
            raise ValueError("gagal")
        return 3

    assert main(False) == 3
    assert (sys.stdout, sys.stderr) == before
    out, err = capsys.readouterr()
    assert out == f"{SHOWN}\ntulis {SHOWN}\n" and err == f"{SHOWN}\n"
    with pytest.raises(ValueError, match="gagal"):
        main(True)
    assert (sys.stdout, sys.stderr) == before


def test_bytes_for_a_file_pass_through_the_streams_buffer_whole(capsysbinary):
    """A report written to a pipe (an XLSX is a zip) is a file's bytes, not text: untouched."""
    data = b"PK\x03\x04\x1b\x00\x9b"

    @guarded
    def main() -> int:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0

    assert main() == 0
    assert capsysbinary.readouterr().out == data


def test_a_traceback_that_reaches_the_top_shows_its_message(capsys):
    """An exception may quote a subject or a server's answer: its traceback is shown too."""
    try:
        raise RuntimeError("subjek " + HOSTILE)
    except RuntimeError as exc:
        shown_traceback(type(exc), exc, exc.__traceback__)
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.rstrip("\n").endswith(f"RuntimeError: subjek {SHOWN}")


def test_a_console_log_line_in_a_guarded_main_shows_the_controls(capsys):
    """The console renderer writes a failure's traceback as it is: its message shown too."""
    @guarded
    def main() -> int:
        logs.configure("console", "info")
        try:
            raise RuntimeError("subjek " + HOSTILE)
        except RuntimeError:
            logs.get().exception("step_failed", step="intake")
        return 0

    main()
    out = capsys.readouterr().out
    assert "step_failed" in out and f"RuntimeError: subjek {SHOWN}" in out
    assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out


def test_a_json_log_line_escapes_every_control_and_keeps_the_value(capsys):
    """JSON lines for a log collector: DEL, C1 and the bidi controls as \\u escapes (which
    `json.dumps` leaves raw), so the line is valid JSON of the very same value."""
    logs.configure("json", "info")
    logs.get().info("message_handled", subject=HOSTILE)
    line = capsys.readouterr().out.strip()
    assert '"subject": "a\\u001b]52;c;QQ==\\u0007b\\u001b[2Jc\\u001b]0;judul\\u0007d\\u007fe\\u009b31mf\\u202eg' \
           '\\u2066h\\u0000i"' in line
    assert json.loads(line)["subject"] == HOSTILE


def test_a_status_for_systemd_is_one_shown_line(tmp_path, monkeypatch):
    """`systemctl status` prints STATUS= on the operator's terminal, and a newline would start
    a notification of its own: a server's answer in it is one line, its controls shown."""
    from mailbot.daemon.service import sd_notify

    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind(str(path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        sd_notify(f"STATUS=storage failing for t since 09:00: {HOSTILE}\nREADY=1")
        assert systemd.recv(4096).decode("utf-8") == f"STATUS=storage failing for t since 09:00: {SHOWN} READY=1"


# --- report cells ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "cell"), [
    (HOSTILE, SHOWN),
    ('=HYPERLINK("https://x.test","Klik")', '\'=HYPERLINK("https://x.test","Klik")'),
    ("+62 812", "'+62 812"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t'=1+1"),  # a tab is a separator too (Excel's text import splits on it): the formula after it
    ("\r=1+1", "\\x0d=1+1"),  # a lone CR is shown: the cell starts with a backslash, no formula
    ("\x1b=1+1", "\\x1b=1+1"),
    ("Akun terkunci", "Akun terkunci"), ("", ""), (None, ""), (7, "7"),
])
def test_a_csv_cell_is_shown_and_never_a_formula(value, cell):
    assert cells.csv_cell(value) == cell


def test_a_csv_file_passes_every_cell_header_and_row(tmp_path):
    data = cells.csv_file(["No", f"Nama{HOSTILE}"], [[1, "=1+1"], [2, HOSTILE]], excel=True)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows == [["No", f"Nama{SHOWN}"], ["1", "'=1+1"], ["2", SHOWN]]


def test_an_xlsx_cell_is_a_shown_string_quote_prefixed_where_it_looks_like_a_formula(tmp_path):
    """A string cell (never a formula), its controls shown; a text that starts like a
    formula keeps Excel's quote prefix, so it stays text when a head edits the cell."""
    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    looks = cells.style(book, {"bold": True})
    cells.write_text(sheet, 0, 0, HOSTILE, looks)
    cells.write_text(sheet, 1, 0, '=HYPERLINK("https://x.test","Klik")', looks)
    cells.write(sheet, 2, 0, "", looks, None, None)
    cells.write(sheet, 3, 0, 5, looks, None, None)
    book.close()
    read = openpyxl.load_workbook(path).active
    assert (read["A1"].value, read["A1"].data_type, read["A1"].quotePrefix) == (SHOWN, "s", False)
    assert (read["A2"].value, read["A2"].data_type, read["A2"].quotePrefix) == (
        '=HYPERLINK("https://x.test","Klik")', "s", True)
    assert read["A1"].font.b and read["A2"].font.b
    assert read["A3"].value is None and read["A4"].value == 5


def test_a_cell_is_cut_at_excels_limit_after_it_is_shown():
    """Escapes are longer than the controls: the limit counts what is written."""
    text = cells.text("\x1b" * 10_000)
    assert len(text) == 32_767 and text.endswith(" [...terpotong]")
