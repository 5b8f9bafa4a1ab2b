"""The unit's own mail inside a forward, found and left out (SPEC 4: history is never relayed).

A requester forwards a colleague's reply with the data LKPP asked for, and that reply
quotes or forwards our request. Our mail is told by its header, which names the unit as
the writer: a reply header with its `>` quote, or a From field under a forward marker or
Outlook's rule, with everything below it up to the next forward.
"""

from __future__ import annotations

import re

from mailbot.parsers.header_blocks import (
    AN_ADDRESS,
    FROM_KEYS,
    UNDERSCORES,
    block_kinds,
    key,
    value,
)
from mailbot.parsers.quote_words import HEADER_LINES, is_quoted, split_lines
from mailbot.parsers.quoted_history import FORWARD_LINE, FORWARD_MARKER, is_dashed_marker
from mailbot.parsers.reply_headers import opens_reply_header

_MAX_QUOTE_DEPTH = 8  # `>` levels read for our own mail inside a forward


def without_our_mail(text: str, ours: tuple[str, ...]) -> str:
    """A forward's text without the unit's own mail inside it (SPEC 4: quoted history is never
    relayed): the requester forwards a colleague's reply with the data LKPP asked for, and that
    reply quotes or forwards our request. Our mail is told by its header, which names the unit
    (`ours`: its address, its display name) as the writer: a reply header ("Pada ..., Helpdesk
    LPSE <lpse@...> menulis:") with its `>` quote, or a From field ("From:/Dari:" under a
    forward marker or Outlook's rule) with everything below it up to the next forward. The
    rest, quoted history of others included, is the forwarded data and stays as it was.
    """
    lines = split_lines(text)
    needles = tuple(n.lower() for n in ours if n.strip())
    dropped = _our_lines(lines, needles, 0) if needles else set()
    if not dropped:
        return text
    kept: list[str] = []
    for i, line in enumerate(lines):
        if i in dropped or (not line.strip(" \t>") and kept and not kept[-1].strip(" \t>")):
            continue  # no double gap where our mail was
        kept.append(line)
    return "\n".join(kept).strip()


def _our_lines(lines: list[str], needles: tuple[str, ...], depth: int) -> set[int]:
    """The indices of the lines of our own mail in `lines` (see `without_our_mail`)."""
    dropped: set[int] = set()
    i = 0
    while i < len(lines):
        if is_quoted(lines[i]):
            end = _quote_end(lines, i)
            if depth < _MAX_QUOTE_DEPTH:
                dropped.update(_our_quoted_lines(lines, i, end, needles, depth))
            i = end
            continue
        ours_end = _our_block_end(lines, i, needles)
        if ours_end is not None:
            dropped.update(range(_with_marker_above(lines, i), ours_end))
        i = ours_end or i + 1
    return dropped


def _our_quoted_lines(lines: list[str], start: int, end: int, needles: tuple[str, ...], depth: int) -> set[int]:
    """Our mail inside the `>` quote lines[start:end]; a quote of nothing but ours goes with
    the reply header above it ("Pada ..., Budi menulis:" over the forward of our request)."""
    inner = [_unquoted(line) for line in lines[start:end]]
    ours = _our_lines(inner, needles, depth + 1)
    dropped = {start + j for j in ours}
    if not ours or any(line.strip() for j, line in enumerate(inner) if j not in ours):
        return dropped
    return dropped | set(range(_reply_header_above(lines, start), end))


def _reply_header_above(lines: list[str], start: int) -> int:
    """The first line of the reply header right above the quote at `start`; `start` when the
    line above ends in no colon, or no reply header opens there."""
    above = [j for j in range(max(0, start - HEADER_LINES - 1), start) if lines[j].strip()]
    if not above or not lines[above[-1]].rstrip().endswith(":"):
        return start  # no reply header right above the quote
    return next((h for h in above if opens_reply_header(lines, h)), start)


def _our_block_end(lines: list[str], i: int, needles: tuple[str, ...]) -> int | None:
    """Where our mail that starts at line i ends: after the `>` quote under our reply header,
    or at the next forward marker under our From field; None when no mail of ours starts here."""
    if opens_reply_header(lines, i) and _names(_header_text(lines, i), needles, field=False):
        quote = next((j for j in range(i + 1, min(len(lines), i + HEADER_LINES + 3)) if is_quoted(lines[j])), None)
        return _quote_end(lines, quote) if quote is not None else None
    if not _our_from_field(lines, i, needles):
        return None
    return next((j for j in range(i + 1, len(lines)) if FORWARD_LINE.match(lines[j])), len(lines))


def _our_from_field(lines: list[str], i: int, needles: tuple[str, ...]) -> bool:
    """Whether line i is a From field that names the unit, heading a block with other fields."""
    if key(lines[i]) not in FROM_KEYS or not _names(value(lines[i]).lower(), needles, field=True):
        return False
    return bool(block_kinds(lines, i) & {"sent", "to", "subject"})


def _header_text(lines: list[str], i: int) -> str:
    """The reply header at line i, its wrapped lines joined, lower case; not the quote under it."""
    parts: list[str] = []
    for line in lines[i : i + HEADER_LINES]:
        if not line.strip() or (parts and is_quoted(line) and line.strip() != ">:"):
            break
        parts.append(line.strip())
        if line.rstrip().endswith(":"):
            break
    return " ".join(parts).lower()


def _names(text: str, needles: tuple[str, ...], *, field: bool) -> bool:
    """Whether a reply header, or a From field's value (`field`), names the unit as the writer:
    by its address when it gives one, else by the unit's whole display name. A Pokja of the
    same LPSE ("Pokja Pemilihan LPSE Kota Batam", pokja.lpse@...) or another unit's helpdesk
    only contains them."""
    given = {a.lower().rstrip(".") for a in AN_ADDRESS.findall(text)}
    if given:
        return bool(given & set(needles))
    names = [n for n in needles if "@" not in n]
    if field:
        return text.strip(" \t*\"'") in names
    # "On 23/11/2026 09:00, Helpdesk LPSE wrote:" (Thunderbird gives no address)
    return any(re.search(rf"(?:^|[,\d])\s*[\"']?{re.escape(n)}[\"']?\s+\S+(?: \S+)?\s?:$", text) for n in names)


def _with_marker_above(lines: list[str], i: int) -> int:
    """Line i, or the forward marker, "Original Message" line or rule right above it."""
    j = i
    while j > 0 and j > i - 3:
        above = lines[j - 1].strip()
        if above and not (FORWARD_LINE.match(above) or FORWARD_MARKER.match(above)
                          or UNDERSCORES.match(above) or is_dashed_marker(above)):
            break
        j -= 1
    return j


def _quote_end(lines: list[str], i: int) -> int:
    """The end of the run of `>` lines at i (blank lines inside it belong to it)."""
    end = i
    for j in range(i, len(lines)):
        if is_quoted(lines[j]):
            end = j + 1
        elif lines[j].strip():
            break
    return end


def _unquoted(line: str) -> str:
    """A `>` line one level down ("> > x" and ">> x" both become "> x" or ">x")."""
    rest = line.lstrip()[1:]
    return rest.removeprefix(" ")
