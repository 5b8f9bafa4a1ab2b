"""What of the unit's own stays out of what a requester reads: its lines in LKPP's text, its
people's addresses. Pure.

A desk answers under our escalation, quoted in a style quote stripping does not know, or
repeats it unquoted; either way our internal notes and the mails we sent LKPP come back in
its text. `mail_context` leaves them out of what a requester reads; `classify` reads LKPP's
answer without them. Staff, coordinator and head addresses never reach a requester either,
written out or spelled against harvesting (`redact`).
"""

from __future__ import annotations

import functools
import re
from itertools import pairwise

from mailbot.settings import MailboxConfig


def without_internal(text: str, notes: tuple[str, ...], sent: tuple[str, ...] = ()) -> str:
    """LKPP's text without the lines the unit wrote. A reply that quotes our escalation in a
    style quote stripping does not know, or a desk that repeats it unquoted under its answer,
    carries them.

    `notes` (the internal notes) go wherever they stand: a line of 20 characters or more,
    and a shorter one ("Sudah 3x lapor.") beside a line that stood next to it in a note.
    `sent` (the mails sent to LKPP as they went out: letter, form, the requester's problem)
    go only where they stand as a block of `REPEATED_RUN` lines or more: LKPP that repeats a
    step or two of the requester's own ("1. Login sebagai penyedia") is answering with it,
    and LKPP's own "Terima kasih" stays its own."""
    lines = text.splitlines()
    plain = [_plain(line) for line in lines]
    filled = [i for i, p in enumerate(plain) if p]
    internal = _matched(plain, filled, notes)
    repeated = _matched(plain, filled, sent) - internal
    ours = internal | _in_runs(filled, internal | repeated, REPEATED_RUN) & repeated
    if not ours:
        return text
    ours |= _headers_above(lines, filled, ours & repeated)
    return _squeezed([line for i, line in enumerate(lines) if i not in ours])


REPEATED_RUN = 3  # lines of a mail we sent LKPP, one after another, that are a repeat of it


def _matched(plain: list[str], filled: list[int], texts: tuple[str, ...]) -> set[int]:
    """The lines (by index) that stand in `texts`: long ones anywhere, short ones as a pair."""
    said, pairs = _lines_and_pairs(texts)
    if not said:
        return set()
    found = {i for i in filled if len(plain[i]) >= 20 and plain[i] in said}
    for first, second in pairwise(filled):
        if (plain[first], plain[second]) in pairs:
            found.update((first, second))
    return found


def _in_runs(filled: list[int], marked: set[int], length: int) -> set[int]:
    """The marked lines that stand in a run of at least `length` marked lines (blank lines aside)."""
    runs: list[list[int]] = [[]]
    for i in filled:
        if i in marked:
            runs[-1].append(i)
        elif runs[-1]:
            runs.append([])
    return {i for run in runs if len(run) >= length for i in run}


# A header field of a quoted mail as Outlook writes it above the mail, unmarked by `>`
# ("From: Helpdesk LPSE <lpse@...>", "Sent:", "To:", "Subject:"; Indonesian Outlook's
# "Dari:", "Dikirim:", "Kepada:", "Perihal:"), or its "-----Original Message-----" rule.
_QUOTED_FIELD = re.compile(
    r"^\*{0,2}(?:from|sent|date|to|cc|subject|dari|dikirim|terkirim|tanggal|kepada|kpd|tembusan|perihal|subjek)"
    r"\*{0,2}\s*:|^-{2,}\s*(?:original message|pesan asli|forwarded message|pesan yang diteruskan)\s*-{2,}$",
    re.IGNORECASE)


def _headers_above(lines: list[str], filled: list[int], repeated: set[int]) -> set[int]:
    """The header block right above a repeat of our mail (blank lines aside): LKPP that
    answers below our escalation quotes it with "From: <the unit>", "Sent:", "To: LKPP",
    "Subject:" on top, which is no more its words than the mail under them. Only a block
    with a From field, so that LKPP's own "Perihal: ..." line above its answer stays."""
    found: set[int] = set()
    position = {line: n for n, line in enumerate(filled)}
    for start in sorted(repeated):
        n = position[start]
        if n > 0 and filled[n - 1] in repeated:
            continue  # not the first line of a run
        block = []
        while n > 0 and _QUOTED_FIELD.match(lines[filled[n - 1]].strip()):
            n -= 1
            block.append(filled[n])
        if any(re.match(r"\*{0,2}(?:from|dari)\b", lines[i].strip(), re.IGNORECASE) for i in block):
            found.update(block)
    return found


def _squeezed(lines: list[str]) -> str:
    """Lines with the blank lines that the removed ones left behind folded to one."""
    kept: list[str] = []
    for line in lines:
        if line.strip() or (kept and kept[-1].strip()):
            kept.append(line)
    return "\n".join(kept).rstrip()


def _lines_and_pairs(texts: tuple[str, ...]) -> tuple[set[str], set[tuple[str, str]]]:
    """Every non-blank line of these texts, and every two that follow each other (blank lines aside)."""
    said: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for text in texts:
        filled = [p for line in text.splitlines() if (p := _plain(line))]
        said.update(filled)
        pairs.update(pairwise(filled))
    return said, pairs


def _plain(line: str) -> str:
    return " ".join(line.lstrip("> \t|").split()).lower()  # "|": the fence our mail put on others' words


def redact(text: str, box: MailboxConfig) -> str:
    """Requesters never see staff, coordinator or head addresses (SPEC sections 1, 2), nor
    those addresses spelled out against harvesting ("andi[at]batam.go.id")."""
    addresses = tuple(a for a in (*box.staff, *box.coordinators, *box.heads, box.staff_notify or "") if a)
    return _internal_addresses(addresses).sub(box.address, text) if addresses else text


# How signatures spell "@" and "." against address harvesting: "[at]", "(at)", "{at}",
# " at ", "[dot]", "(titik)", " dot ", with or without spaces around.
_SPELLED_AT = r"(?:\s*@\s*|\s*[\[({]\s*(?:at|et)\s*[\])}]\s*|\s+at\s+)"
_SPELLED_DOT = r"(?:\s*\.\s*|\s*[\[({]\s*(?:dot|titik)\s*[\])}]\s*|\s+(?:dot|titik)\s+)"


@functools.lru_cache(maxsize=64)
def _internal_addresses(addresses: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for the unit's internal addresses as written or spelled out."""
    spelled = []
    for address in addresses:
        local, _, domain = address.rpartition("@")
        spelled.append(re.escape(local) + _SPELLED_AT + _SPELLED_DOT.join(re.escape(p) for p in domain.split(".")))
    # whole addresses only: "wakil.kepala@x" or "kepala@x.id.co" is someone else's address
    return re.compile(r"(?<![\w.%+-])(?:" + "|".join(sorted(spelled, key=len, reverse=True))
                      + r")(?![\w-]|\.\w)", re.IGNORECASE)
