"""Where quoted history starts in a reply: its markers, and the line that opens it.

History opens at a reply header (`reply_headers`), a header block (`header_blocks`), a
forward or "Original Message" marker, decorations and all, or Outlook's rule over its
block. A ticket system's reply marker ("##- Please type your reply above this line -##")
stands between the new text and the ticket's history.
"""

from __future__ import annotations

import re

from mailbot.parsers.header_blocks import (
    ONE_LINE_OUTLOOK,
    header_block_start,
    loose_block_start,
    outlook_rule_at,
)
from mailbot.parsers.quote_words import alternation, words
from mailbot.parsers.reply_headers import WORD_LEAD, reply_header_end, shared_line_header

_DASHED_WORDS = re.compile(
    "|".join(re.escape(w) for w in [*words("marker_words"), *words("reply_verbs"), "original"]), re.IGNORECASE)
# `\s*+`: possessive, so a marker and thousands of blanks is not split every way between the two runs
FORWARD_MARKER = re.compile(rf"^\s*(?:{alternation('forward_lines')})\s*+[:：]?\s*$", re.IGNORECASE)
# Lines only a forward has: "---------- Forwarded message ---------", "----- Pesan Terusan -----",
# "Begin forwarded message:", "-------- Pesan yang diteruskan --------".
FORWARD_LINE = re.compile(
    r"^[\s\-]*(?:begin forwarded message|forwarded message|pesan terusan|pesan yang diteruskan|"
    r"mensaje reenviado|message transf[ée]r[ée]|weitergeleitete nachricht)\s*+:?[\s\-]*$",
    re.IGNORECASE,
)
# A ticket system's reply marker (Zendesk's "##- Please type your reply above this line -##",
# "Please do not reply below this line", "-- Balas di atas baris ini --"): below it is the
# ticket's history. At the very top (nothing written above it) it only heads the new text.
REPLY_MARKER = re.compile(
    r"^[\s#\-=_*~]*(?:(?:please|mohon|harap|silakan|silahkan)\s+)?"
    r"(?:(?:(?:do\s+not|don't|tidak|jangan)\s+(?:reply|write|type|edit|respond|membalas|balas|menulis|tulis)"
    r"\s+(?:below|di\s*bawah))|(?:(?:type\s+|ketik\s+|tulis\s+)?(?:your\s+)?(?:reply|respond|write|balas|balasan)"
    r"(?:\s+anda)?\s+(?:above|di\s*atas)))\s+(?:this\s+line|(?:baris|garis)\s+ini)\b[\s.:!#\-=_*~]*$",
    re.IGNORECASE,
)
_DECORATED = re.compile(r"^[#\-=_*~<>\[]{2,}|[#\-=_*~<>\]]{2,}$")
_ABOVE_LINE = re.compile(rf"(?:{alternation('reply_above_line')})", re.IGNORECASE)


def history_at(lines: list[str], i: int, written: bool) -> tuple[str, int, int] | None:
    """Whether history starts at line i: (the writer's text before it on that line, the index
    after its header lines, how many lines above i belong to it), else None.

    History starts at a reply header (`reply_header_end`), also one that shares its line
    with the writer's words ("YA 5 Pada Sen, 23 Nov 2026 ... menulis:"); a header block
    (Outlook's "From:/Sent:/To:", Hotmail's "Date:/To:", Chinese Outlook's "发件人:/发送时间:");
    a forward or "Original Message" marker, decorations and all; Outlook's rule over its block.
    `written`: whether the writer's own lines came before line i.
    """
    if marker_opens_history(lines, i):
        return "", i + 1, 0
    start = header_block_start(lines, i)
    if start is None and written:
        start = loose_block_start(lines, i)
    if start is not None:
        return "", i + 1, i - start
    shared = None if WORD_LEAD.match(lines[i].strip().lstrip("-").lstrip()) else shared_line_header(lines, i)
    if shared is not None:
        return shared
    end = reply_header_end(lines, i)
    return ("", end, 0) if end is not None else None


def marker_opens_history(lines: list[str], i: int) -> bool:
    """Whether line i is a marker that history follows: Outlook's rule over its block, a
    forward or "Original Message" marker, or Outlook's header block on one line."""
    line = lines[i]
    return (outlook_rule_at(lines, i) or bool(FORWARD_MARKER.match(line)) or is_dashed_marker(line.strip())
            or bool(ONE_LINE_OUTLOOK.match(line)))


def is_dashed_marker(stripped: str) -> bool:
    """A "-----Original Message-----" or "---- On ... wrote ----" style marker line.

    Plain string checks rather than a regex: a regex with two dash runs backtracks
    quadratically on a long line of dashes.
    """
    stripped = stripped.strip(" *_=#~")
    if not (stripped.startswith("--") and stripped.endswith("--")):
        return False
    inner = stripped.strip("-").strip()
    return 0 < len(inner) <= 100 and bool(_DASHED_WORDS.search(inner))


def marker_follows(lines: list[str], j: int) -> bool:
    """Whether the next line with text from j is a ticket system's reply marker."""
    following = next((k for k in range(j, len(lines)) if lines[k].strip()), None)
    return following is not None and is_reply_marker(lines[following])


def is_reply_marker(line: str) -> bool:
    """A ticket system's line between the new text and the ticket's history: "##- Please type
    your reply above this line -##", "## Bitte gib deine Antwort oberhalb dieser Zeile ein. ##"."""
    if REPLY_MARKER.match(line):
        return True
    stripped = line.strip()
    if len(stripped) > 150 or not _DECORATED.search(stripped):
        return False
    return bool(_ABOVE_LINE.search(stripped))
