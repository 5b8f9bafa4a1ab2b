"""Separating what the sender just wrote from quoted history and signatures.

Staff commands are read from the top of a reply and only new text is relayed to a
requester (SPEC sections 4 and 9), so this errs on the side of cutting: everything
from the first reply header, forward marker, Outlook header block or signature down
is dropped, even text written below it. A `#tutup` under someone else's quote must
never run. Bottom-posted or fully inline replies therefore give an empty top;
`new_text` then reads what the writer put below and between the `>` quotes
(Thunderbird's default), so such a reply is never taken for an empty one.

This module is the face of the quote readers, each in a module named for what it
reads: `reply_headers` ("On ... wrote:"), `header_blocks` (Outlook's "From:/Sent:/To:"),
`history` (where history opens: markers and the rest), `signatures` (signatures and
footers, a ticket system's included), `reply_blocks` (the block splitter behind
`new_text`) and `our_mail` (the unit's own mail inside a forward). Here: the first-cut
splitter (`strip_reply`, `own_text`) and the questions asked of a whole reply.
"""

from __future__ import annotations

import re

from mailbot.parsers.header_blocks import header_block_start, quoted_parties
from mailbot.parsers.our_mail import without_our_mail
from mailbot.parsers.quote_words import HEADER_LINES, is_quoted, split_lines
from mailbot.parsers.quoted_history import FORWARD_LINE, REPLY_MARKER, marker_opens_history
from mailbot.parsers.reply_blocks import new_text
from mailbot.parsers.reply_headers import ends_with_reply_header, opens_reply_header
from mailbot.parsers.signatures import (
    is_footer,
    is_signature_delimiter,
    last_content_index,
    trim_ends,
)

__all__ = [
    "ends_with_reply_header",
    "is_forward",
    "new_text",
    "only_quoted",
    "own_text",
    "quoted_parties",
    "strip_reply",
    "without_our_mail",
]

# "Fwd:", "FW:", "Tr:", "Trs:" (terusan), "WG:", "RV:", after any "Re:".
_FORWARD_SUBJECT = re.compile(r"^\s*(?:(?:re|aw|bls|balas)\s*:\s*)*(?:fwd?|tr|trs|wg|rv)\s*:", re.IGNORECASE)


def own_text(text: str) -> str:
    """What the sender wrote themselves, signature included: the text above the first
    quoted or forwarded history (reply header, Outlook header block, forward or
    "Original Message" marker, `>` lines), else what they wrote below a `>` quote.

    Who the sender is (seed 003's form: name, agency, address, phone) is read from
    this: a forwarded Pokja letter, LKPP's answer or the unit's own quoted signature
    carries someone else's.
    """
    lines = split_lines(text)
    top = "\n".join(line for line in lines[:_first_cut(lines, history_only=True)] if not is_quoted(line)).strip()
    return top or _bottom(lines)


def _bottom(lines: list[str]) -> str:
    """The writer's lines below and between `>` quotes that follow the first cut.

    The quote must start right under the header (Gmail leaves one blank line there);
    a header block with text under it (Outlook, a forward) has no bottom to read.
    """
    cut = _first_cut(lines)
    quote = next((i for i in range(cut, min(len(lines), cut + HEADER_LINES + 3)) if is_quoted(lines[i])), None)
    if quote is None or sum(1 for line in lines[cut:quote] if line.strip()) > HEADER_LINES:
        return ""
    return strip_reply("\n".join(lines[quote:]))


def only_quoted(text: str) -> bool:
    """Whether a reply holds nothing its writer typed: a reply header and the `>`-quoted
    mail below it, blank lines and a mobile footer aside (a reply sent with files alone).
    Anything else (a pasted letter, a forward, an Outlook header block) is the writer's."""
    lines = split_lines(text)
    quoted = [i for i, line in enumerate(lines) if is_quoted(line)]
    rest = [i for i, line in enumerate(lines) if _typed(line)]
    if not quoted or not rest:
        return bool(quoted)
    return _only_a_reply_header(lines, rest, quoted[0])


def _typed(line: str) -> bool:
    """A line with text that is neither quoted nor a mobile footer."""
    return bool(line.strip()) and not is_quoted(line) and not is_footer(line, strict=False)


def _only_a_reply_header(lines: list[str], rest: list[int], first_quote: int) -> bool:
    """Whether the unquoted lines `rest` are one reply header's over the first quote: its
    own lines (a client wraps it over up to three), then only the quote."""
    head = rest[0]
    if not opens_reply_header(lines, head):
        return False
    return all(i - head == n and i < first_quote for n, i in enumerate(rest)) and len(rest) <= HEADER_LINES


def is_forward(subject: str, text: str) -> bool:
    """Whether a message forwards another one: a forward prefix or a forward marker line.

    A forwarded mail that opens a ticket is the problem itself ("Fwd: Gagal upload",
    "----- Pesan Terusan -----"), not history to drop.
    """
    if _FORWARD_SUBJECT.match(subject):
        return True
    return any(FORWARD_LINE.match(line) for line in text.replace("\r", "").split("\n")[:400])


def strip_reply(text: str) -> str:
    """The newly written part of a reply: no quoted history, no signature.

    Drops lines starting with `>`, and everything from the first reply header ("On
    ... wrote:", "Pada ... menulis:", "Le ... a écrit :", "Am ... schrieb:", ...),
    Outlook header block ("From:/Sent:/To:", "Dari:/Dikirim:/Kepada:"), "Original
    Message" or "Forwarded message" marker, long underscore rule, signature delimiter
    (`-- `) or mobile footer ("Sent from my iPhone", "Dikirim dari Yahoo Mail pada
    Android") onward. The rest is kept verbatim, without leading and trailing blank
    lines.
    """
    lines = split_lines(text)
    kept: list[str] = []
    dropped_quote = False
    for line in lines[:_first_cut(lines)]:
        if is_quoted(line):
            dropped_quote = True
            continue
        if REPLY_MARKER.match(line):
            continue  # a ticket system's marker heading the new text
        if dropped_quote and not line.strip() and kept and not kept[-1].strip():
            continue  # do not leave a double gap where a quote was
        dropped_quote = False
        kept.append(line)
    return "\n".join(trim_ends(kept)).rstrip()


def _first_cut(lines: list[str], *, history_only: bool = False) -> int:
    """Index of the first line that starts history or signature; len(lines) if none.

    `history_only`: a signature delimiter or a mobile footer is no cut (see `own_text`)."""
    last = last_content_index(lines)
    written = False  # whether the writer's own lines come before line i
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        if REPLY_MARKER.match(line):
            if written:
                return i
            continue
        written = True
        cut = _cut_at(lines, i, history_only, last)
        if cut is not None:
            return cut
    return len(lines)


def _cut_at(lines: list[str], i: int, history_only: bool, last: int) -> int | None:
    """Where history or a signature cuts the text at line i (a header block may start above
    it), or None; `last` is the index of the last unquoted line with text."""
    if is_signature_delimiter(lines[i]):
        return None if history_only else i
    if marker_opens_history(lines, i):
        return i
    start = header_block_start(lines, i)
    if start is not None:
        return start
    if opens_reply_header(lines, i):
        return i
    if not history_only and is_footer(lines[i], strict=i != last):
        return i
    return None
