"""A staff member's own signature at the end of what they wrote, without a `-- ` line.

The parser drops a `-- ` signature and a client's footer ("Sent from my iPhone"); many clients
write a signature with neither: Alpine's default, Outlook's, a hand-typed "Salam,\\nSari" or
"Terima kasih,\\nHelpdesk LPSE". Under a staff reply that signature became the internal note of
`#tugaskan`, the close note of `#tutup`, part of the `#minta-data` request, and went to the
requester under the unit's own signature. A staff member's signature is known two ways:

* learned: it repeats at the end of their mails, so the lines their new text ends with that
  also end one of their earlier mails (`Writer.earlier`, which the shell reads from the
  store) are their signature;
* by its shape: a closing salutation with a name under it ("Salam,\\nSari"), or a block of
  short lines that opens with the writer's name or the unit's ("Sari Wulandari\\nHelpdesk
  LPSE Uji\\nTelp. 0778-123456"), or with a name over a line naming the unit ("Hendra\\n
  Koordinator Helpdesk LPSE", where the mail gives no name).

A cut of the writer's real words is worse than a signature kept, so the block is
taken only whole, at a boundary (a blank line or the end of a sentence above it, never a line
that ends with ":" and so introduces what follows), every line of it short and shaped as a
signature's (no question, no command, no sentence). A lone "Terima kasih." is a sentence of
the reply, not a signature, and so is one over a signature ("Terima kasih.\\n\\nSalam,\\nSari").
Pure: the earlier mail is handed in.

The same reading serves two more writers: the staff member who writes down a call or a visit,
whose signature may stand right under the form's last field (`signed_below`: the field ends
what is written above it, as a sentence does), and Helpdesk LKPP, whose agents sign under the
desk's name (`desk_unsigned`): passed on to a requester, LKPP's words go without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from mailbot.core.identity import is_signature_line, is_title_block
from mailbot.model import InboundMessage
from mailbot.parsers.quotes import new_text

_MAX_LINES = 10  # the non-blank lines a signature has at most
_MAX_WORDS = 12
_MAX_CHARS = 90
_EARLIER = 5  # earlier mails read for a learned signature
_EARLIER_CHARS = 20_000  # of each, the start (where a top-posted reply's own text and signature are)
# A closing salutation on a line of its own, Indonesian and English, a comma or full stop after it.
_SIGN_OFF = re.compile(
    r"^\W*(?:salam(?: hormat| hangat| sukses)?|hormat (?:saya|kami)|wassalam\w*|terima ?kasih|trims|makasih|"
    r"tks|thx|rgds|matur nuwun|(?:best |kind |warm )?regards|best(?: wishes)?|cheers|sincerely(?: yours)?|"
    r"yours(?: truly)?|thanks?(?: you)?(?: again| in advance)?|many thanks|"
    r"(?:med )?venlig hilsen(?: / kind regards)?|ttd)"
    r"[\s,.!]*$", re.IGNORECASE)
# "Salam, Sari" on one line: the sign-off and the name.
_SIGN_OFF_NAMED = re.compile(r"^\W*(?:salam|regards|best|thanks|terima ?kasih|cheers)\s*,\s*(?P<rest>.+)$",
                             re.IGNORECASE)
_DASH_NAME = re.compile(r"^\s*[-\u2013\u2014~]+\s*(?=\S)")
_DASHED_NAME = re.compile(r"^\s*[-\u2013\u2014~]{1,2} ?(?:[^\W\d_][\w'.]*\.?|[A-Z][\w'.]*(?: [A-Z][\w'.]*){1,2})\s*$")
_WORD = re.compile(r"[^\W\d_]{2,}")
_SENTENCE_END = re.compile(r"[.!?)\u2026]\s*$")
_COMMAND = re.compile(r"^\s*[#\uff03]")
# A person's name on a line of its own: one to four capitalised words, no digits ("Hendra",
# "Sari Wulandari", "Andi P. Pratama").
_PERSON = re.compile(r"^\s*[^\W\d_][\w'.]*(?:\s+[^\W\d_][\w'.]*){0,3}\s*$")
_LOWER_WORD = re.compile(r"(?<![^\W\d_])[a-z\u00e0-\u00ff]{3,}")


@dataclass(frozen=True)
class Writer:
    """What is known of a staff reply's writer: their names (From's display name, the name
    the configuration gives them, their address's local part), the unit's display name, and
    the full text of their earlier mails to the mailbox, newest first."""

    names: tuple[str, ...] = ()
    unit: str = ""
    earlier: tuple[str, ...] = ()


def without_own_signature(msg: InboundMessage, writer: Writer | None) -> InboundMessage:
    """A staff reply without its writer's signature at the end of its new text (`writer`:
    None for anyone but staff, coordinators and heads). A text that is nothing but the
    signature is left as it is: nothing would remain to read, and an empty text reads the
    whole mail, quotes and all, where a text is wanted."""
    if writer is None or not msg.new_text.strip():
        return msg
    text = unsigned(msg.new_text, writer)
    return replace(msg, new_text=text) if text.strip() and text != msg.new_text else msg


def unsigned(text: str, writer: Writer) -> str:
    """The text without the writer's own signature at its end (see the module docstring)."""
    lines = text.split("\n")
    starts = [s for s in (_learned_start(lines, writer), _shaped_start(lines, writer)) if s is not None]
    if not starts:
        return text
    return "\n".join(lines[:min(starts)]).rstrip()


def desk_unsigned(text: str, desk: str, agents: tuple[str, ...] = ()) -> str:
    """A desk's answer without its agent's signature at the end (`unsigned` by shape): the
    sign-off over the agent's name and the desk's ("Salam, Agus - Helpdesk LKPP", "Hormat
    kami,\nRina Marlina\nHelpdesk LKPP"), the agent's name over the desk's ("Dimas Prasetyo\n
    Helpdesk LKPP"), or the agent's name alone where their mail gives it (`agents`: the From's
    display name). Passed on to a requester under the unit's own signature, it would be a
    letter signed twice, by someone the requester never wrote to."""
    return unsigned(text, Writer((*agents, desk), desk))


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower())}


def _name_words(writer: Writer) -> set[str]:
    found: set[str] = set()
    for name in writer.names:
        found |= {w for w in _words(name.replace(".", " ").replace("_", " ")) if len(w) > 2 or name.isalpha()}
    return found


def _short(line: str) -> bool:
    """A line a signature may hold: short, no question, no command, nothing it introduces
    ("Lampiran:" over the files' names)."""
    text = line.strip()
    return (0 < len(text) <= _MAX_CHARS and len(text.split()) <= _MAX_WORDS and not text.endswith(("?", ":"))
            and not _COMMAND.match(text))


def _sentence(line: str) -> bool:
    """A line that ends as a sentence does, with words of one ("Baik, sudah."): no signature
    line, however often typed ("Sari Wulandari, S.Kom." ends with a full stop too)."""
    return bool(_SENTENCE_END.search(line)) and bool(_LOWER_WORD.search(line))


def _norm(line: str) -> str:
    return " ".join(line.split()).casefold()


def _tail(lines: list[str]) -> list[int]:
    """The indexes of the last non-blank lines (at most `_MAX_LINES`), last first."""
    found: list[int] = []
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip():
            found.append(i)
            if len(found) == _MAX_LINES + 1:
                break
    return found


def _learned_start(lines: list[str], writer: Writer) -> int | None:
    """Where the lines that also end one of the writer's earlier mails start, or None."""
    mine = _tail(lines)
    ends = [_norm(lines[i]) for i in mine]
    best = max((_shared(ends, earlier) for earlier in writer.earlier[:_EARLIER]), default=0)
    while best and not all(_short(lines[i]) and not _sentence(lines[i]) for i in mine[:best]):
        best -= 1
    block = [lines[i] for i in reversed(mine[:best])]
    if not block or all(_SIGN_OFF.match(line) for line in block):
        return None  # a closing salutation alone, however often typed, is part of the reply
    start = mine[best - 1]
    return start if _boundary(lines, start, signed_off=bool(_SIGN_OFF.match(lines[start]))) else None


def _shared(ends: list[str], earlier: str) -> int:
    """How many of the last non-blank lines `ends` (last first, normalised) also end the new
    text of an earlier mail; never all of that mail's lines (a short reply typed twice is no
    signature)."""
    if not ends or ends[0] not in _norm(earlier):
        return 0  # its last line is nowhere in that mail: no need to read it (intake's hot path)
    theirs = [_norm(line) for line in new_text(earlier[:_EARLIER_CHARS]).split("\n") if line.strip()]
    shared = 0
    while shared < min(len(ends), len(theirs) - 1, _MAX_LINES) and ends[shared] == theirs[-1 - shared]:
        shared += 1
    return shared


def _shaped_start(lines: list[str], writer: Writer) -> int | None:
    """Where a block shaped as a signature starts at the end of the text, or None: the earliest
    line of the trailing run of signature lines that opens one (a sign-off with a name or title
    under it, the writer's name, the unit's name) at a boundary."""
    names, unit, anonymous = _name_words(writer), _words(writer.unit), _anonymous(writer)
    run = _signature_run(lines, " ".join(sorted(names)))
    for start in run:
        below = [lines[i] for i in run if i > start]
        if _thanked(lines[start], below, names, unit, anonymous):
            continue  # "Terima kasih." over "Salam,\nAgus": the writer's sentence, then the signature
        if _opens(lines[start], below, names, unit, anonymous):
            signed_off = bool(_SIGN_OFF.match(lines[start]) or _SIGN_OFF_NAMED.match(lines[start]))
            if _boundary(lines, start, signed_off=signed_off, unit_only=_unit_only(lines[start], names, unit)):
                return start
    return None


def signed_below(lines: list[str], writer: Writer) -> int | None:
    """Where the writer's signature starts in these lines, which follow a line the caller
    knows ends what was written above it (a consultation form's last field: "Waktu: 09.15",
    "Nilai: 5"), or None: all of the lines from the first with text down are a signature by
    its shape, opening there (a sign-off with a name under it, the writer's name or the
    unit's, a name over the unit's). Only the whole of them: a field's second line under it
    ("sudah dicoba di browser lain") is the field's."""
    names, unit = _name_words(writer), _words(writer.unit)
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled or len(filled) > _MAX_LINES:
        return None
    run = _signature_run(lines, " ".join(sorted(names)))
    if run != filled or not _opens(lines[run[0]], [lines[i] for i in run[1:]], names, unit, _anonymous(writer)):
        return None
    return run[0]


def writer_of(address: str, shown: str, configured: str, unit: str, earlier: tuple[str, ...] = ()) -> Writer:
    """The writer of a staff mail as `Writer` knows them: the names of the From's display name
    (`shown`), of the configuration (`configured`, unless it is the address itself) and of the
    address's local part, the unit's display name, their earlier mails."""
    names = (shown, configured if configured != address else "", address.partition("@")[0])
    return Writer(tuple(n for n in names if n), unit, earlier)


def _signature_run(lines: list[str], name: str) -> list[int]:
    """The indexes of the trailing lines shaped as a signature's (blank lines between them
    allowed), first to last; at most `_MAX_LINES` of them."""
    run: list[int] = []
    for i in _tail(lines):
        line = _DASH_NAME.sub("", lines[i])
        shaped = _short(line) and (is_signature_line(line, name) or is_title_block([line.strip()])
                                   or bool(_SIGN_OFF.match(line)) or bool(_SIGN_OFF_NAMED.match(line))
                                   or bool(_DASHED_NAME.match(lines[i])))
        if not shaped or len(run) == _MAX_LINES:
            break
        run.append(i)
    return sorted(run)


def _opens(line: str, below: list[str], names: set[str], unit: set[str], anonymous: bool = False) -> bool:
    """Whether a signature opens at this line: a sign-off with a name or title under it, a
    sign-off and a name on one line, the writer's name, the unit's, a person's name right
    over a line that names the unit where the mail gives the writer no name (`anonymous`:
    "Hendra" over "Koordinator Helpdesk LPSE" from koordinator@...; one who signs as Sari
    and names "Budi Hartono / Helpdesk LPSE" is telling whom to call), or a dashed name
    alone at the end ("-roman", "- Lev.")."""
    if not below and _DASHED_NAME.match(line):
        return True
    if anonymous and below and _PERSON.match(line) and is_title_block([line.strip()]) \
            and _named(below[0], names, unit):
        return True
    if _SIGN_OFF.match(line):
        return any(_named(other, names, unit) or is_title_block([other.strip()]) for other in below)
    named = _SIGN_OFF_NAMED.match(line)
    if named:
        return _named(named.group("rest"), names, unit) or is_title_block([named.group("rest").strip()])
    return _named(_DASH_NAME.sub("", line), names, unit)


def _thanked(line: str, below: list[str], names: set[str], unit: set[str], anonymous: bool) -> bool:
    """Whether the line is a closing sentence ("Terima kasih.", "Thank you.", "Matur nuwun.")
    over a signature that opens on a line below it: the sentence is the writer's, as a lone
    "Terima kasih." is."""
    return (bool(_SIGN_OFF.match(line)) and line.rstrip().endswith(".")
            and any(_opens(other, below[n + 1:], names, unit, anonymous) for n, other in enumerate(below)))


def _anonymous(writer: Writer) -> bool:
    """Whether the mail gives the writer no person's name: none but their address's local part
    ("koordinator", "staff1", written in lower case) and the unit's or the desk's own."""
    return not any(name != writer.unit and "@" not in name and not name.islower() for name in writer.names)


def _named(line: str, names: set[str], unit: set[str]) -> bool:
    """A title-shaped line that opens with one of the writer's names or names the unit."""
    text = _DASH_NAME.sub("", line).strip()
    first = _WORD.findall(text.lower())[:1]
    if not first or not (is_title_block([text]) or _words(text) <= names):
        return False
    words = _words(text)
    return (first[0] in names or bool(names and len(names) > 1 and names <= words)
            or bool(unit and len(words & unit) >= min(2, len(unit))))


def _unit_only(line: str, names: set[str], unit: set[str]) -> bool:
    """Whether the line names the unit and not the writer ("Helpdesk LPSE Kota Uji" under a
    staff member's words); "Rini - Helpdesk LKPP" names the desk that writes and its agent."""
    first = _WORD.findall(line.lower())[:1]
    words = _words(line)
    return (bool(first) and first[0] not in names and not _SIGN_OFF.match(line) and bool(words & unit)
            and not (len(names) > 1 and names < words))


def _boundary(lines: list[str], start: int, *, signed_off: bool, unit_only: bool = False) -> bool:
    """Whether a signature may start at line `start`: a command line or the end of a sentence
    above it (a blank line between is enough for a sign-off or the writer's
    name); never under a line that ends with ":" (it introduces what follows)."""
    above = next((i for i in range(start - 1, -1, -1) if lines[i].strip()), None)
    if above is None:
        return False  # a text is never all signature: its first line is the writer's
    if _COMMAND.match(lines[above]):
        return True
    last = lines[above].rstrip()
    if last.endswith(":"):
        return False
    if _SENTENCE_END.search(last):
        return True
    gap = above < start - 1
    return gap and (signed_off or not unit_only)
