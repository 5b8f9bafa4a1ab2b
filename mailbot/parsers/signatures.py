"""What ends the writer's words without being history: signatures and footers.

A `-- ` signature, a `---` or dash-rule signature with a short tail, a mobile client's
footer ("Sent from my iPhone", "Dikirim dari Yahoo Mail di Android"), a legal footer, and
a ticket system's footer at the end of the new text ("Status tiket: pending reminder",
"[Ticket#2026...] Status tiket: Selesai | Antrian: Helpdesk LPSE", "Mohon tidak mengubah
subjek email"): it speaks to whoever holds that ticket (the unit, for LKPP's OTRS), and
relayed to a requester it would tell them to answer a desk they cannot reach.
"""

from __future__ import annotations

import re

from mailbot.parsers.quote_words import alternation, is_quoted
from mailbot.parsers.quoted_history import history_at

_SIGNATURE = frozenset({"--", "__"})
SEPARATOR_ONLY = re.compile(r"^[\s\-_=*~]*$")
_SHORT_RULE = re.compile(r"^\s*(?:-{3}|[\u2014\u2013\u2015]{1,12}|-{2} ?[\u2014\u2013])\s*$")
# the blanks possessive (no footer starts with one): `\s*\**\s*` tried every split of a long run of blanks
_LEGAL = re.compile(rf"^\s*+\**\s*+(?:{alternation('legal_footers')})", re.IGNORECASE)
_SIGNATURE_TAIL = 6  # lines a name-and-title signature under a `---` rule has at most
_MOBILE = re.compile(rf"^\s*(?:{alternation('mobile_footers')})(?!\w)", re.IGNORECASE)
# Openers that are everyday words too ("Kirim dari email kantor saja"): a footer only
# with an app or device name, wherever it stands ("Kirim dari Yahoo Mail di Android",
# "Diperoleh dari Outlook untuk Android").
_MOBILE_NAMED = re.compile(r"^\s*(?:kirim dari|diperoleh dari|didapat dari|dikirim pakai)\b", re.IGNORECASE)
_DEVICE = re.compile(
    r"\b(?:my|mon|ma|meinem|mein|mi|mio|saya|iphone|ipad|ios|android|blackberry|mobile|"
    r"outlook|yahoo|gmail|samsung|galaxy|huawei|xiaomi|redmi|oppo|vivo|realme|nokia|"
    r"windows|mail|typeapp|ponsel|hp|tablet|device|perangkat|smartphone|aquamail|"
    r"bluemail|spark|edison)\b",
    re.IGNORECASE,
)
_ANGLE_URL = re.compile(r"<[^<>]{0,500}>")
# A ticket system's footer line: a field ("Status tiket: open", "Antrian : SPSE::Level 2",
# "[Ticket#2026052810001012] Status tiket: Selesai | Antrian: Helpdesk LPSE") or an
# instruction about answering the ticket ("Silakan balas email ini untuk menambahkan
# informasi.", "Mohon tidak mengubah subjek email saat membalas.").
_TICKET_FIELD = re.compile(
    r"^\s*(?:\[ticket\s?#\s?\d{4,}\]\s*)?(?:status tiket|status|state|current status|ticket status|antrian|"
    r"queue|nomor tiket(?: anda)?|no\.? tiket|ticket number|ticket id|ticket no\.?|prioritas|priority)"
    r"\s*:\s*\S.{0,150}$",
    re.IGNORECASE,
)
_TICKET_INSTRUCTION = re.compile(
    r"(?:(?:silakan|silahkan|mohon|harap) )?(?:balas|membalas) email ini (?:untuk menambahkan (?:informasi|keterangan|"
    r"catatan)|tanpa mengubah (?:subjek|subject|judul))\b.{0,100}"
    r"|(?:mohon|harap) (?:untuk )?(?:tidak|jangan) (?:mengubah|mengganti) (?:subjek|subject|judul)\b.{0,80}"
    r"|(?:please )?(?:reply to|respond to) this (?:e-?mail|message) to (?:add|update)\b.{0,100}"
    r"|(?:please )?(?:do not|don't) (?:change|modify|edit|alter) the subject\b.{0,80}",
    re.IGNORECASE,
)
# Words only a ticket system's footer has; a trailing "Status: ok" alone is kept.
_TICKET_MARK = re.compile(
    r"\[ticket\s?#|status tiket|ticket status|antrian|queue|subjek|subject|menambahkan informasi|add information",
    re.IGNORECASE,
)
_FOOTER_SENTENCE_END = re.compile(r"(?<=[.!])\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"), None)


def visible(line: str) -> str:
    """The line without the zero-width characters some clients put in (Gmail before `-- `)."""
    return line if line.isascii() else line.translate(_INVISIBLE)  # each of them is outside ASCII


def is_signature_delimiter(line: str) -> bool:
    """A `-- ` signature delimiter line (or `__`), blanks around it aside."""
    return line.rstrip() in _SIGNATURE or line.strip() in _SIGNATURE


def opens_signature(lines: list[str], i: int, written: bool, last: int | None = None) -> bool:
    """Whether line i opens what is nobody's words: a `-- ` signature (zero-width characters
    before it aside), a `---` or dash-rule signature with a short tail, a mobile footer
    ("Sent from my iPhone", "Dikirim dari Yahoo Mail di Android") or a legal footer.
    `written`: whether the writer's own lines came before line i; `last`: the text's
    `last_content_index`, when the caller has it already."""
    line = visible(lines[i])
    if is_signature_delimiter(line):
        return True
    if written and _SHORT_RULE.match(line) and _short_tail(lines, i + 1):
        return True
    if is_footer(line, strict=i != (last_content_index(lines) if last is None else last)):
        return True
    return written and (i == 0 or not lines[i - 1].strip()) and bool(_LEGAL.match(line))


def _short_tail(lines: list[str], start: int) -> bool:
    """Whether the lines from `start` up to the next history or the end are a signature's:
    a few short lines (a name, a title, a phone), not paragraphs."""
    tail: list[str] = []
    for j in range(start, len(lines)):
        line = lines[j]
        if is_quoted(line) or len(tail) > _SIGNATURE_TAIL or history_at(lines, j, True):
            break
        if line.strip():
            tail.append(line.strip())
    return 0 < len(tail) <= _SIGNATURE_TAIL and all(len(line) <= 80 for line in tail)


def last_content_index(lines: list[str]) -> int:
    """The index of the last line with text that is not `>`-quoted; -1 when there is none."""
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip() and not is_quoted(lines[i]):
            return i
    return -1


def is_footer(line: str, *, strict: bool) -> bool:
    """A mobile or webmail footer such as "Sent from my iPhone".

    A sentence that merely starts with "Sent from" is not one: footers are short and
    have no commas. Away from the end of the text (`strict`) we also want a device or app
    name, because there a footer is followed by the quoted original.
    """
    named = bool(_MOBILE_NAMED.match(line))
    if not named and not _MOBILE.match(line):
        return False
    bare = _ANGLE_URL.sub("", line).strip()
    if "," in bare or len(bare.split()) > 9:
        return False
    return not (strict or named) or bool(_DEVICE.search(bare))


def trim_ends(kept: list[str]) -> list[str]:
    """The kept lines without the separators, footers and ticket-system footer at their end
    and the blank lines at their start: what both splitters leave of the writer's text."""
    while kept and (SEPARATOR_ONLY.match(kept[-1]) or is_footer(kept[-1], strict=False)):
        kept.pop()
    kept = _without_ticket_footer(kept)
    while kept and SEPARATOR_ONLY.match(kept[-1]):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return kept


def _without_ticket_footer(lines: list[str]) -> list[str]:
    """The lines without a ticket system's footer at their end (see the module docstring).

    The trailing run of footer lines (blank lines between them allowed) goes only when
    one of them carries a ticket system's own words, so a reply that merely ends with
    "Status: selesai" keeps it.
    """
    start = len(lines)
    marked = False
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if not line.strip():
            continue
        if not _is_ticket_footer_line(line):
            break
        start = i
        marked = marked or bool(_TICKET_MARK.search(line))
    return lines[:start] if marked else lines


def _is_ticket_footer_line(line: str) -> bool:
    if len(line) > 300:
        return False
    if _TICKET_FIELD.match(line):
        return True
    parts = [p for p in _FOOTER_SENTENCE_END.split(line.strip()) if p]
    return bool(parts) and all(_TICKET_INSTRUCTION.fullmatch(p) for p in parts)
