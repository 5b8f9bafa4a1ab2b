"""A message's own words without its greeting and sign-off, for the recap's "Isi Pesan"
and "Isi Jawaban" columns (seed 003). Pure.

A head reading the printed recap wants the problem and the answer, not "Selamat siang,"
or "Yth. Bapak/Ibu," above them and "Hormat kami," with a name, a position and a phone
number below. People write both ends the same few ways: a letter's address block
("Kepada Yth." and the recipient's lines, "Di tempat"), greeting lines, a greeting in
front of the first sentence; at the end the formal close ("Demikian ... kami
sampaikan", "Atas perhatiannya ..."), thanks, a sign-off and a signature. Only those are
taken away; a text that would be left empty is given back whole.
"""

from __future__ import annotations

import re

from mailbot.core.greetings import only_greets, rests_after_greeting
from mailbot.core.identity import is_signature, is_signature_line

# The recipient of a letter: "Kepada Yth.", "Yth." alone, "Dear Sir/Madam," and the lines
# that name them until a blank line ("Pokja Pemilihan", "Di Tempat").
_ADDRESSED = re.compile(r"^\W*(?:kepada\s*(?:yth\.?)?|kpd\.?\s*yth\.?|yth\.?|yang\s+terhormat|to)\W*$", re.IGNORECASE)
_PLACE = re.compile(r"^\W*(?:di\s*[-.]?\s*tempat|ditempat|di\s+[A-Z][\w ]{1,30})\W*$", re.IGNORECASE)
_ADDRESS_BLOCK_LINES = 5
# What closes a mail: thanks ("Terima kasih.", "Atas perhatian dan kerja samanya kami ucapkan
# terima kasih"), a formal close ("Demikian kami sampaikan"), a sign-off ("Hormat kami,").
_CLOSING = re.compile(
    r"^\W*(?:(?:terima\s*kasih|terimakasih|trima\s*kasih|makasih|mksh|thanks?(?:\s+you)?|thank\s+u|thx|tq|trims|"
    r"matur\s+nuwun)\b[^?]{0,80}"
    r"|demikian\b[^?]{0,160}"
    r"|atas\s+(?:perhatian|bantuan|kerja\s*sama|kerjasama)\w*\b[^?]{0,120}"
    r"|salam(?:\s+hormat|\s+sejahtera)?|hormat\s+(?:saya|kami)|wass?alam\w*(?:\W+alaikum)?(?:\W+wr\W*wb\.?)?"
    r"|(?:best|kind|warm|warmest)?\s*regards|rgds|best|cheers|sincerely|yours\s+(?:faithfully|sincerely|truly)"
    r"|ttd\.?|--+|__+)\W*$",
    re.IGNORECASE,
)
_SIGNATURE_LINES = 8  # a signature below the sign-off is this many lines at most


def gist(text: str, name: str = "") -> str:
    """The text without the greeting above it and the sign-off and signature below it;
    `name` is the writer's name where known (to tell their signature)."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    body = _without_closing(_without_opening(lines), name)
    words = "\n".join(body).strip()
    return re.sub(r"\n{3,}", "\n\n", words) if words else text.strip()


def _without_opening(lines: list[str]) -> list[str]:
    """The lines from the first one that says something, its leading greeting taken off."""
    index = _after_address_block(lines, _skip_blank(lines, 0))
    while index < len(lines) and _opens(lines[index]):
        index += 1
    if index == len(lines):
        return []
    return [_without_greeting(lines[index]), *lines[index + 1:]]


def _after_address_block(lines: list[str], index: int) -> int:
    """Past a letter's address block at `index` ("Kepada Yth." and the recipient's lines, up
    to a blank line), if there is one there."""
    if index >= len(lines) or not _ADDRESSED.match(lines[index]):
        return index
    block = index + 1
    while block < len(lines) and lines[block].strip() and block - index <= _ADDRESS_BLOCK_LINES:
        block += 1
    return _skip_blank(lines, block)


def _opens(line: str) -> bool:
    """A line of the opening: a greeting alone, "Di tempat", or a blank line."""
    return only_greets(line.strip()) or bool(_PLACE.match(line)) or not line.strip()


def _without_greeting(first: str) -> str:
    """The first line without the greeting in front of it: "Selamat pagi, saya tidak bisa
    login" -> "Saya tidak bisa login"."""
    rests = rests_after_greeting(first.strip())
    if rests and rests[0]:
        return rests[0][0].upper() + rests[0][1:]
    return first


def _without_closing(lines: list[str], name: str) -> list[str]:
    """The lines above the close: thanks, a formal close, a sign-off, and a signature."""
    end = len(lines)
    while end > 0:
        end = _skip_blank_back(lines, end)
        if end == 0:
            break
        last = lines[end - 1].strip()
        if _CLOSING.match(last) and not _says_more(last):
            end -= 1
            continue
        block = _signature_block(lines, end, name)
        if block == end:
            break
        end = block
    return lines[:end]


def _signature_block(lines: list[str], end: int, name: str) -> int:
    """Where a signature ending at `end` starts (`end` when there is none): a run of
    signature lines under a sign-off or a blank line, or one the writer's own name anchors."""
    start = _signature_run(lines, end, name)
    if start in (0, end):
        return end  # no run; or nothing above it: the whole text is not a signature
    run = [line for line in lines[start:end] if line.strip()]
    return start if _is_anchored(lines[start - 1].strip(), run, name) else end


def _signature_run(lines: list[str], end: int, name: str) -> int:
    """Where the run of signature lines (at most `_SIGNATURE_LINES`, no closing among them)
    that ends at `end` starts."""
    start = end
    while start > 0 and end - start < _SIGNATURE_LINES and _in_signature(lines[start - 1], name):
        start -= 1
    return start


def _in_signature(line: str, name: str) -> bool:
    return bool(line.strip()) and is_signature_line(line, name) and not _CLOSING.match(line.strip())


def _is_anchored(above: str, run: list[str], name: str) -> bool:
    """Whether a run of signature lines is a signature, by the line above it: a sign-off;
    a blank line when the run has what a signature has (a paragraph of titles has not);
    right under a sentence it is part of the text."""
    if above:
        return bool(_CLOSING.match(above))
    return is_signature(run, name)


def _says_more(line: str) -> bool:
    """A closing line that goes on to say something: "Terima kasih, tapi masih error?"."""
    return "?" in line or bool(re.search(r"\b(tapi|tetapi|namun|masih|belum|mohon|tolong)\b", line, re.IGNORECASE))


def _skip_blank(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _skip_blank_back(lines: list[str], end: int) -> int:
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    return end
