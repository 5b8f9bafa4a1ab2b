"""Control characters shown as visible escapes, never passed on raw. Pure.

The classes are the issue's: C0 but newline and tab, DEL, C1 (U+0080-U+009F), the bidi
embeddings and overrides U+202A-U+202E and the isolates U+2066-U+2069. Expected texts are
written out as the operator reads them."""

from __future__ import annotations

import json

import pytest

from mailbot.core.controls import json_visible, visible

SHOWN = {
    # C0
    "\x00": "\\x00", "\x07": "\\x07", "\x08": "\\x08", "\x0b": "\\x0b", "\x0c": "\\x0c",
    "\x1b": "\\x1b", "\x1c": "\\x1c", "\x1f": "\\x1f",
    # DEL
    "\x7f": "\\x7f",
    # C1
    "\x80": "\\x80", "\x85": "\\x85", "\x90": "\\x90", "\x9b": "\\x9b", "\x9d": "\\x9d", "\x9f": "\\x9f",
    # bidi embeddings and overrides
    "\u202a": "\\u202a", "\u202b": "\\u202b", "\u202c": "\\u202c", "\u202d": "\\u202d", "\u202e": "\\u202e",
    # bidi isolates
    "\u2066": "\\u2066", "\u2067": "\\u2067", "\u2068": "\\u2068", "\u2069": "\\u2069",
}


@pytest.mark.parametrize("char", sorted(SHOWN))
def test_each_control_class_is_shown_as_its_escape(char):
    """Each control, alone and inside words, becomes the escape a programmer reads."""
    assert visible(char) == SHOWN[char]
    assert visible(f"ab{char}cd") == f"ab{SHOWN[char]}cd"


def test_the_attacks_of_the_issue_read_as_text():
    """OSC 52 (clipboard), ESC[2J (clear screen), OSC 0 (window title), CSI as U+009B."""
    assert visible("\x1b]52;c;ZWNobyBwd25lZA==\x07") == "\\x1b]52;c;ZWNobyBwd25lZA==\\x07"
    assert visible("Halo\x1b[2J") == "Halo\\x1b[2J"
    assert visible("\x1b]0;sudo rm\x07judul") == "\\x1b]0;sudo rm\\x07judul"
    assert visible("\x9b31mmerah") == "\\x9b31mmerah"
    assert visible("faktur\u202efdp.exe") == "faktur\\u202efdp.exe"


def test_newline_and_tab_stay_and_crlf_is_a_line_end():
    """Lines and columns are the text's own; CRLF ends a line, a lone CR (which overwrites
    a terminal's line) is shown."""
    assert visible("satu\ndua\tkolom") == "satu\ndua\tkolom"
    assert visible("satu\r\ndua\r\n") == "satu\ndua\n"
    assert visible("aman\rDIBAJAK") == "aman\\x0dDIBAJAK"
    assert visible("akhir\r") == "akhir\\x0d"


def test_printable_text_is_left_as_written():
    """Indonesian text, accents, non-Latin scripts, emoji and a backslash stay as they are."""
    text = "Akun SPSE terkunci — José, Ñ, 日本語, العربية, 🙂, C:\\Users\\budi, 100%"
    assert visible(text) == text


def test_visible_is_idempotent():
    """Shown once or twice, the same: nothing of an escape is a control."""
    once = visible("\x1b[2J\x9b\u202e\r")
    assert visible(once) == once


def test_json_keeps_the_value_and_shows_no_control_raw():
    """The JSON text holds DEL, C1 and bidi as \\u escapes; it decodes to the same value."""
    value = {"subject": "a\x1b]52;c;QQ==\x07b\x7f\x9b\u202e\u2066z", "name": "José"}
    document = json_visible(json.dumps(value, ensure_ascii=False))
    assert json.loads(document) == value
    assert document == ('{"subject": "a\\u001b]52;c;QQ==\\u0007b\\u007f\\u009b\\u202e\\u2066z", '
                        '"name": "José"}')


def test_json_indented_keeps_its_lines():
    """An indented document keeps its own newlines; the values' controls are escaped."""
    value = [{"subject": "x\x9b\n"}]
    document = json_visible(json.dumps(value, ensure_ascii=False, indent=2))
    assert document == '[\n  {\n    "subject": "x\\u009b\\n"\n  }\n]'
    assert json.loads(document) == value
