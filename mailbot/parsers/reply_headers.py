"""Reply headers: the line a client writes above the mail it quotes ("On ... wrote:").

"On <date>, <name> wrote:", "Pada ..., <name> menulis:", "Le ... a écrit :", a bare
"Helpdesk LPSE wrote:" over a `>` quote, a date-first "2017-11-24 16:32 GMT+01:00 Name
<a@b.c>:"; wrapped by the client over up to three lines (five when its address is broken
apart), or sharing its line with the writer's words ("YA 5 Pada Sen, ... menulis:").
The words come from `rules/quotes.yaml` (`quote_words`); the shapes are read here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mailbot.parsers.quote_words import CLOCK, HEADER_LINES, NUMERIC_DATE, alternation, is_quoted

_MAX_HEADER_CHARS = 400
MAX_HEADER_PARTS = 5  # lines of a header wrapped around its address ("<", "mailto:...", "> wrote:")
_MAX_SHARED_LINE = 1000  # a line longer than this has no reply header inside it
_MAX_SHARED_LEADS = 5  # lead words inside one line tried as the start of a header

# Words a reply header can start with ("On ...", "Pada ...", "Le ...", "Am ..."), or a
# date that starts it ("2017-11-24 16:32 ...", "pe 20. lokakuuta ...", "ср, 30 ...", "pon., 23 ...").
_LEAD = re.compile(rf"^(?:{alternation('header_leads')})(?!\w)|^\d|^\w{{1,4}}[.,]{{0,2}}\s+\d", re.IGNORECASE)
_VERB = re.compile(rf"(?<!\w)(?:{alternation('reply_verbs')})(?=\W|$)", re.IGNORECASE)
_COLON_VERB = re.compile(rf"(?<!\w)(?:{alternation('reply_verbs_with_colon')})\s*[:：]\s*$", re.IGNORECASE)
_QUOTING = re.compile(rf"^(?:{alternation('quoting_leads')})\s", re.IGNORECASE)
_EMAIL = re.compile(r"[^\s<>()\"']{1,200}@[^\s<>()\"']{1,200}")
_DIGIT = re.compile(r"\d")
_ADDRESSY = re.compile(r"[@<]")
_ENDS_WITH_ADDRESS = re.compile(r"(?:[>)\]]|@\S{1,200})\s*[:：]$")
_ENDS_IN_ADDRESS = re.compile(r"(?:>|@\S{1,200}|\))\s*$")
# "molly <molly@example.com> wrote:" alone on its line: a reply header even where the client
# stripped the `>` marks of the quote under it (no sentence names an address so and stops)
_NAMED_ADDRESS_VERB = re.compile(
    rf"^[^<>:\n]{{1,80}}<[^\s<>@]{{1,200}}@[^\s<>]{{1,200}}>\s*(?:{alternation('reply_verbs')})\s*[:：]$",
    re.IGNORECASE)
_HEADER_TAIL = re.compile(rf"^>+\s*(?:(?:{alternation('reply_verbs')})\s*)?[:：]?$", re.IGNORECASE)
WORD_LEAD = re.compile(rf"(?:{alternation('header_leads')})(?!\w)", re.IGNORECASE)
_LEAD_INSIDE = re.compile(rf"(?:(?<=\s)|(?<=-))(?:{alternation('header_leads')})(?!\w)", re.IGNORECASE)


def opens_reply_header(lines: list[str], i: int) -> bool:
    """Whether a reply header of either shape starts at line i: one with a lead word and a
    date or an address (`is_reply_header_at`), or a bare one over a quote."""
    return is_reply_header_at(lines, i) or is_bare_reply_header(lines, i)


def reply_header_end(lines: list[str], i: int) -> int | None:
    """The index after a reply header that starts at line i, or None.

    The header is read over up to three lines (five when its address is wrapped apart:
    Polymail's "<" / "mailto:..." / "> wrote:"). One that opens with a lead word or a date
    ("On ...", "Pada ...", "2011/4/7 ...") needs a date or an address and a verb or an
    address at its end; one that opens otherwise ("Budi <b@x> schrieb am ...:", a bare
    "Helpdesk LPSE wrote:", a date-first "2011/4/7 Nathan <n@x>" without a colon) counts
    only with a `>` quote right under it.
    """
    if is_bare_reply_header(lines, i):
        return i + 1
    led = bool(_LEAD.match(_header_part(lines[i], first=True)))
    for joined, end in _growing_header(lines, i, led):
        if len(joined) > _MAX_HEADER_CHARS:
            return None
        if _ends_header(lines, joined, end, led):
            return end
    return None


def _header_part(line: str, *, first: bool) -> str:
    """A line of a header as it is joined: the first without Yahoo's leading dashes."""
    return line.strip().lstrip("-").lstrip() if first else line.strip()


def _growing_header(lines: list[str], i: int, led: bool) -> Iterator[tuple[str, int]]:
    """The header from line i joined one line more at a time, with the index after it.

    A blank line ends it, unless the address goes on under it ("<", "mailto:"); so does a
    `>` quote (but "> wrote:", the tail of a wrapped address), and a line past the third,
    or past the first of a header with no lead word, unless its address is still open."""
    joined = ""
    parts = 0
    j = i
    while j < len(lines) and parts < MAX_HEADER_PARTS:
        part = _header_part(lines[j], first=not joined)
        if not part:
            if not _address_goes_on(lines, j, joined):
                return
            j += 1
            continue
        if not _may_extend(joined, part, parts, led) or (joined and _header_of_its_own(lines, j)):
            return
        joined = f"{joined} {part}" if joined else part
        parts += 1
        j += 1
        yield joined, j


def _address_goes_on(lines: list[str], j: int, joined: str) -> bool:
    """Whether the header's address goes on under the blank line j ("<", "mailto:...")."""
    return bool(joined) and j + 1 < len(lines) and lines[j + 1].strip().startswith(("<", "mailto:"))


def _may_extend(joined: str, part: str, parts: int, led: bool) -> bool:
    """Whether `part` may be the next line of the header `joined` (of `parts` lines)."""
    if joined and part.startswith(">") and not _HEADER_TAIL.match(part):
        return False
    wrapped = "<" in joined or "mailto:" in joined  # the address broken over lines
    return wrapped or not (parts >= HEADER_LINES or (parts and not led))


def _ends_header(lines: list[str], joined: str, end: int, led: bool) -> bool:
    """Whether `joined`, the lines before `end`, is a whole reply header."""
    quoted = quote_follows(lines, end)
    # what is asked of where the header stands first: it is cheaper than reading its words
    if (led or quoted or bool(_NAMED_ADDRESS_VERB.match(joined))) and looks_like_reply_header(joined):
        return True
    # "2011/4/7 Nathan <support@example.com>" over a quote
    return (quoted and bool(_ENDS_IN_ADDRESS.search(joined)) and bool(_DIGIT.search(joined))
            and bool(_EMAIL.search(joined)) and not _HEADER_TAIL.match(_next_text(lines, end)))


def _next_text(lines: list[str], j: int) -> str:
    return next((line.strip() for line in lines[j : j + 3] if line.strip()), "")


def quote_follows(lines: list[str], j: int) -> bool:
    """Whether a `>` line follows line j-1, blank lines aside (two at most)."""
    for line in lines[j : j + 3]:
        if line.strip():
            return is_quoted(line)
    return False


def shared_line_header(lines: list[str], i: int) -> tuple[str, int, int] | None:
    """A reply header that starts inside line i, after the writer's words ("YA 5 Pada Sen, 23
    Nov 2026 ... menulis:", "reply--- On Wed, ... wrote:"), with a `>` quote under it."""
    line = lines[i]
    if len(line) > _MAX_SHARED_LINE or not any(is_quoted(x) for x in lines[i + 1 : i + MAX_HEADER_PARTS + 3]):
        return None  # no quote within a header's reach under it: no lead word inside is looked at
    for n, match in enumerate(_LEAD_INSIDE.finditer(line)):
        if n >= _MAX_SHARED_LEADS:
            break
        before = line[: match.start()].rstrip(" \t-")
        if not before.strip() or "@" in before:
            continue  # an address before the lead word: the header began earlier
        trial = [line[match.start():], *lines[i + 1 : i + MAX_HEADER_PARTS + 3]]
        end = reply_header_end(trial, 0)
        if end is not None and quote_follows(trial, end):
            return before, i + end, 0
    return None


def ends_with_reply_header(lines: list[str]) -> bool:
    """Whether the last of these lines are a reply header ("Pada ..., X menulis:", "On ...
    wrote:", "26.06.2014, 14:41, X <x@y>:") that a quote right under them would follow: what
    tells an HTML <blockquote> citing history from one a writer indents their words with."""
    tail = [line for line in lines if line.strip()][-MAX_HEADER_PARTS:]
    probe = [*tail, "> "]
    for i in range(len(tail)):
        if reply_header_end(probe, i) == len(tail):
            return True
        shared = shared_line_header(probe, i)
        if shared is not None and shared[1] == len(tail):
            return True
    return False


def is_reply_header_at(lines: list[str], i: int) -> bool:
    """Whether a reply header ("On <date>, <name> wrote:") starts at line i.

    Clients wrap long headers, so up to three lines are joined; a blank line ends the
    header. Yahoo's classic client puts dashes before it ("--- On Mon, ... wrote:").
    """
    if not _LEAD.match(_header_part(lines[i], first=True)):
        return False
    for joined in _short_header(lines, i):
        if len(joined) > _MAX_HEADER_CHARS:
            return False
        if looks_like_reply_header(joined):
            return True
    return False


def _short_header(lines: list[str], i: int, *, alone: bool = False) -> Iterator[str]:
    """The header from line i joined one line more at a time, three lines at most, up to a
    blank line or a quote (but ">:", which closes an address wrapped after "<"), or up to a
    line that opens a header of its own (`_header_of_its_own`; `alone`: that is not asked)."""
    joined = ""
    for j in range(i, min(len(lines), i + HEADER_LINES)):
        part = _header_part(lines[j], first=not joined)
        if not part or (joined and part.startswith(">") and part.replace(" ", "") != ">:"):
            return
        if joined and not alone and _header_of_its_own(lines, j):
            return
        joined = f"{joined} {part}" if joined else part
        yield joined


def _header_of_its_own(lines: list[str], j: int) -> bool:
    """Whether line j, under a line a header seemed to start at, opens a whole reply header by
    itself with a lead word ("On Mon Nov 23, 2026 at 7:00 AM WIB, Hendra wrote:"). The line
    above is then the writer's, typed right above the header with no blank line between (aerc's
    reply opens so, the cursor on the line over "On ... wrote:"): "2026-00004 dan 2026-00013:
    mohon diprioritaskan." would otherwise read as a date-first header's first line, and
    "Pada prinsipnya setuju." as one that opens with "Pada"."""
    if _named_alone(lines, j):
        return True
    if not WORD_LEAD.match(_header_part(lines[j], first=True)):
        return False
    return any(len(joined) <= _MAX_HEADER_CHARS and looks_like_reply_header(joined)
               for joined in _short_header(lines, j, alone=True))


def _named_alone(lines: list[str], j: int) -> bool:
    """Whether line j is a bare "Helpdesk LPSE Uji menulis:" over a quote (SquirrelMail's
    "AUTHOR wrote", mutt's "%n wrote:") under a line that is no header's start: no date, no
    clock time, no address. "2026-00004 sudah selesai" or "Tanggal 30 batas kontraknya." typed
    right above it is the writer's; "2026-11-23 07:00 GMT+07:00 Helpdesk LPSE" over "Uji
    menulis:" is a header wrapped before the name's end."""
    above = _header_part(lines[j - 1], first=True) if j else ""
    return _names_a_writer(lines[j].strip()) and _starts_no_header(above) and is_bare_reply_header(lines, j)


def _names_a_writer(bare: str) -> bool:
    """A name, then the verb: not "wrote:" alone, nor an address (a wrapped header's end)."""
    return bool(bare) and not _ADDRESSY.search(bare) and bool(_VERB.search(bare)) and not _VERB.match(bare)


def _starts_no_header(above: str) -> bool:
    """A line with text and neither a date, a clock time nor an address."""
    return bool(above) and not (CLOCK.search(above) or NUMERIC_DATE.search(above) or _ADDRESSY.search(above))


def is_bare_reply_header(lines: list[str], i: int) -> bool:
    """A header with neither date nor address ("Helpdesk LPSE wrote:") right above a quote.

    Some clients write only the name; the `>` lines that follow are what make it a header.
    """
    stripped = lines[i].strip()
    if len(stripped) > 200 or not stripped.endswith(":"):
        return False
    verb = _VERB.search(stripped)
    if not verb or stripped[verb.end() :].strip() != ":":
        return False
    following = next((line.strip() for line in lines[i + 1 : i + 3] if line.strip()), "")
    return following.startswith(">")


def looks_like_reply_header(joined: str) -> bool:
    """Whether joined header lines read as a reply header: a date or an address, and a verb
    at the end (or a verb and a colon), or, with no verb, an address and a colon at the end."""
    if not (_DIGIT.search(joined) or "@" in joined):
        return False
    if _QUOTING.match(joined):  # "Quoting Budi <b@x>:" (Horde): no date, an address and a colon at the end
        return bool(_ENDS_WITH_ADDRESS.search(joined)) and bool(_EMAIL.search(joined))
    if _COLON_VERB.search(joined):
        return True  # "On 11-Apr-2011, at 6:54 PM, Roman <r@x> sent:"
    verb = _VERB.search(joined)
    if verb:
        tail = joined[verb.end() :].rstrip()
        return tail == "" or tail.endswith((":", "："))
    # Headers without a verb: "2017-11-24 16:32 GMT+01:00 Name <a@b.c>:"
    return (
        bool(_ENDS_WITH_ADDRESS.search(joined))
        and bool(_EMAIL.search(joined))
        and bool(_DIGIT.search(joined))
    )
