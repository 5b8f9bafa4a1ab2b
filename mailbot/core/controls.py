"""Control characters shown as text, never passed on as commands. Pure.

A subject, a display name, a form's field or a body is outside text, and a terminal
obeys what it holds: OSC 52 (`ESC ] 52 ; c ; BASE64 BEL`) writes the operator's
clipboard, `ESC [ 2 J` clears the screen, OSC 0 names the window, a lone C1 CSI
(U+009B) starts a command on terminals that honour 8-bit controls, a lone carriage
return goes back to the start of the line and writes over what it said, and the bidi
overrides and isolates (U+202A-U+202E, U+2066-U+2069) show `exe.pdf` as `fdp.exe`; the
bidi marks, the zero-width characters and the line separators hide or move what is shown.
`visible` writes each of them as the escape a programmer reads (`\\x1b`, `\\u202e`), so
the operator and staff see that something was there, and what, without it acting.

Newline and tab stay: they are the text's lines and columns. A CRLF line end is a line
end (`\\n`); a CR anywhere else is shown, for on a terminal it overwrites.

`json_visible` does the same for a JSON document written with `ensure_ascii=False`:
`json.dumps` escapes C0 controls but leaves DEL, C1 and the bidi controls raw; here they
become `\\u` escapes, which decode to the very same text.
"""

from __future__ import annotations

import re

# What is invisible yet acts on what is shown: the bidi marks (LRM, RLM, ALM), the zero-width
# characters (U+200B-U+200D, the word joiner and invisible operators U+2060-U+2064, the BOM)
# that make "admin\u200b@lpse" read as an address it is not, and the line and paragraph
# separators that break a line where the reader sees no line end (second red team).
# The two joiners (ZWNJ U+200C, ZWJ U+200D) are letters' own where both their neighbours are
# of a script or an emoji that joins (a requester's phone writes the shrugging woman emoji as U+1F937 U+200D
# U+2640; Persian and the Indic scripts spell words with ZWNJ): there they stay as written, and
# next to ASCII or at an end, where no writing uses them, they are shown like the rest.
_INVISIBLE = "\u061c\u200b\u200e\u200f\u2028\u2029\u2060-\u2064\ufeff"
_JOINER = "(?:(?<![^\x00-\x7f])[\u200c\u200d]|[\u200c\u200d](?![^\x00-\x7f]))"
# C0 but newline and tab, DEL, C1, the bidi embeddings/overrides and isolates, the invisibles.
_SHOWN = re.compile(f"\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069{_INVISIBLE}]|{_JOINER}")
# Every character a match of `_SHOWN` starts with, as one class: a text holding none (nearly
# every rendered mail) is looked through once, fast, instead of `_SHOWN` tried at each character.
_ANY_SHOWN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069{_INVISIBLE}\u200c\u200d]")
# Within a JSON document's strings C0 is already escaped (json.dumps never writes it raw
# there); outside them a newline is the document's own indentation.
_JSON_RAW = re.compile(f"[\x7f-\x9f\u202a-\u202e\u2066-\u2069{_INVISIBLE}]|{_JOINER}")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _shown(match: re.Match[str]) -> str:
    found = match.group()
    return "\n" if found == "\r\n" else _escape(found)


def visible(text: str) -> str:
    """`text` with every control character but newline and tab written as a visible
    escape (ESC as `\\x1b`, U+009B as `\\x9b`, U+202E as `\\u202e`); CRLF as a newline."""
    return _SHOWN.sub(_shown, text) if _ANY_SHOWN.search(text) else text


def json_visible(document: str) -> str:
    """A JSON document (as `json.dumps(..., ensure_ascii=False)` writes it) with DEL, C1
    and the bidi controls as `\\u` escapes: the same JSON value, nothing raw on a terminal.
    Such a character can only stand inside a string there, where the escape is valid."""
    return _JSON_RAW.sub(lambda match: f"\\u{ord(match.group()):04x}", document)
