"""Second red team on a requester's own mail (not a visit form) whose display
name, subject and body carry the invisible format characters a terminal or a spreadsheet
shows as nothing, and formulas of every start a spreadsheet runs (=, +, -, @, tab, CR). Over
the suite's Dovecot and SMTP in the default `auth.mode: token`, then the operator's CLI.

tests/test_security_output_boundary.py holds C0, C1, DEL and the bidi overrides and isolates
of a form's fields. Zero-width characters (U+200B-U+200D, U+2060, U+FEFF), the bidi marks
(U+200E, U+200F, U+061C) and the line and paragraph separators (U+2028, U+2029) were printed
raw: "admin\u200b@lpse" reads as an address it is not, an RLM reorders what follows it,
U+2028 breaks a line where the operator sees none. SPEC 9 and security.md: every
human-readable output shows such characters as visible escapes.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from mailbot.cli import main as cli
from mailbot.core.controls import json_visible, visible
from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
REQUESTER = "budi@vendor.test"
NAME = "+62 812\u200bBudi\u200f"
SUBJECT = "@SUM(1)\u2060 Akun\u200e terkunci lagi"
BODY = "-1+2\u200d pesan \ufeffdari\u061c vendor\u2029selesai.\n\n\t=1+1 di baris kedua."
# U+200B-U+200F, U+2028-U+2029, U+2060-U+2064, U+061C, U+FEFF: invisible, they act on what is shown
INVISIBLE = re.compile("[\u200b-\u200f\u2028\u2029\u2060-\u2064\u061c\ufeff]")
FORMULA_START = re.compile(r"^[=+\-@\t\r]")


@pytest.mark.parametrize(("char", "shown"), [
    ("\u200b", "\\u200b"), ("\u200c", "\\u200c"), ("\u200d", "\\u200d"), ("\u200e", "\\u200e"),
    ("\u200f", "\\u200f"), ("\u061c", "\\u061c"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"),
    ("\u2060", "\\u2060"), ("\ufeff", "\\ufeff"),
])
def test_each_invisible_format_character_is_shown_as_its_escape(char, shown):
    assert visible(f"a{char}b") == f"a{shown}b"


def test_ordinary_text_passes_unchanged():
    text = "Mohon bantuan, akun \u00e9 terkunci \u2014 \u201cSPSE\u201d \U0001F600\n\tbaris dua"
    assert visible(text) == text


def _run(config: Path, argv: list[str], capsysbinary) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    capsysbinary.readouterr()
    code = cli.main(["--config", str(config), *argv])
    out = capsysbinary.readouterr()
    return code, (out.out + out.err).decode("utf-8-sig")


def _cells(data: bytes) -> list[str]:
    return [c for sheet in openpyxl.load_workbook(io.BytesIO(data)).worksheets
            for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]


def test_a_requesters_invisible_characters_and_formulas_are_shown_in_every_output(fresh_mailboxes, tmp_path,
                                                                                  capsysbinary, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.handle_at(config, datetime(2026, 11, 24, 9, 0, tzinfo=WIB))
    servers.append(mf.UNIT, mf.mail(REQUESTER, SUBJECT, BODY, name=NAME,
                                    date=datetime(2026, 11, 24, 9, 0, tzinfo=WIB))[0])
    mf.handle_at(config, datetime(2026, 11, 24, 9, 1, tzinfo=WIB))
    month = ["--month", "2026-11"]
    texts = {}
    for argv in (["tickets"], ["tickets", "--all"], ["ticket", "2026-00001"], ["ticket", "2026-00001", "--full"],
                 ["report", "rekap", *month], ["report", "rekap", *month, "--excel"],
                 ["report", "rekap", *month, "--channel", "email", "--format", "csv"]):
        code, text = _run(config, argv, capsysbinary)
        assert code == 0, (argv, text)
        assert not INVISIBLE.search(text), (argv, sorted(set(INVISIBLE.findall(text))))
        texts[" ".join(argv)] = text
    assert "\\u200b" in texts["ticket 2026-00001"] and "\\u2029" in texts["ticket 2026-00001 --full"]
    for name in ("report rekap --month 2026-11", "report rekap --month 2026-11 --excel"):
        rows = list(csv.reader(io.StringIO(texts[name], newline=""), delimiter=";" if "excel" in name else ","))
        for row in rows[1:]:
            assert not [c for c in row if FORMULA_START.match(c)], (name, row)
    code, _ = _run(config, ["report", "rekap", *month, "--output", str(tmp_path / "r.xlsx")], capsysbinary)
    assert code == 0
    for cell in _cells((tmp_path / "r.xlsx").read_bytes()):
        assert not INVISIBLE.search(cell), cell
    code, _ = _run(config, ["report", "summary", *month, "--output", str(tmp_path / "s.html")], capsysbinary)
    assert code == 0 and not INVISIBLE.search((tmp_path / "s.html").read_text("utf-8"))
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    for text in (str(notice["Subject"]), mf.text_of(notice)):
        assert not INVISIBLE.search(text), text


@pytest.mark.parametrize(("written", "shown"), [
    ("Terima kasih \U0001f937\u200d\u2640\ufe0f", "Terima kasih \U0001f937\u200d\u2640\ufe0f"),  # an emoji's own joiner
    ("\U0001f468\u200d\U0001f4bb siap", "\U0001f468\u200d\U0001f4bb siap"),
    ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # a Persian word spelled with ZWNJ
     "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
    ("admin\u200d@lpse.test", "admin\\u200d@lpse.test"),  # between ASCII no writing uses it
    ("admin\u200c", "admin\\u200c"), ("\u200dadmin", "\\u200dadmin"),
])
def test_a_joiner_inside_an_emoji_or_a_word_of_its_script_is_left_as_written(written: str, shown: str) -> None:
    """A defence must not cost the people it protects: a requester's emoji sequence or a word
    spelled with ZWNJ reads as they wrote it in every output; a joiner next to ASCII is shown."""
    assert visible(written) == shown
    assert json_visible(written) == shown
