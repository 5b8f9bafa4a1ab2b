"""Separating what the sender just wrote from quoted history and signatures.

Staff commands are read from the top of a reply and only new text is relayed to a
requester (SPEC sections 4 and 9), so this errs on the side of cutting: everything
from the first reply header, forward marker, Outlook header block or signature down
is dropped, even text written below it. A `#tutup` under someone else's quote must
never run. Bottom-posted or fully inline replies therefore give an empty top;
`new_text` then reads what the writer put below and between the `>` quotes
(Thunderbird's default), so such a reply is never taken for an empty one.

A ticket system's footer at the end of the new text ("Status tiket: pending reminder",
"[Ticket#2026...] Status tiket: Selesai | Antrian: Helpdesk LPSE", "Mohon tidak mengubah
subjek email") is dropped too: it speaks to whoever holds that ticket (the unit, for
LKPP's OTRS), and relayed to a requester it would tell them to answer a desk they
cannot reach.

The checks are line based with bounded patterns, so a long or hostile body costs
linear time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

# A reply header may be wrapped over this many lines by the sender's client.
_HEADER_LINES = 3
_MAX_HEADER_CHARS = 400


def _load_words() -> dict[str, dict[str, list[str]]]:
    """The word lists of rules/quotes.yaml (see there), read once at import.

    The file is YAML in JSON's flow style, read here without its comment lines by the
    standard library: the pure core loads no YAML library (tests/test_layout.py)."""
    text = (Path(__file__).resolve().parents[1] / "rules" / "quotes.yaml").read_text(encoding="utf-8")
    data = json.loads("\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return {key: {lang: [str(w).lower() for w in words] for lang, words in value.items()}
            for key, value in data.items()}


_WORDS = _load_words()


def _words(key: str) -> list[str]:
    """Every language's words of one list, longest first (so a regex tries "napisał(a)" before "napisał")."""
    return sorted({w for words in _WORDS[key].values() for w in words}, key=len, reverse=True)


def _alternation(key: str) -> str:
    return "|".join(re.escape(w).replace("\\ ", r"\s+") for w in _words(key))


# Words a reply header can start with ("On ...", "Pada ...", "Le ...", "Am ..."), or a
# date that starts it ("2017-11-24 16:32 ...", "pe 20. lokakuuta ...", "ср, 30 ...", "pon., 23 ...").
_LEAD = re.compile(rf"^(?:{_alternation('header_leads')})(?!\w)|^\d|^\w{{1,4}}[.,]{{0,2}}\s+\d", re.IGNORECASE)
_VERB = re.compile(rf"(?<!\w)(?:{_alternation('reply_verbs')})(?=\W|$)", re.IGNORECASE)
_COLON_VERB = re.compile(rf"(?<!\w)(?:{_alternation('reply_verbs_with_colon')})\s*[:：]\s*$", re.IGNORECASE)
_EMAIL = re.compile(r"[^\s<>()\"']{1,200}@[^\s<>()\"']{1,200}")
_DIGIT = re.compile(r"\d")
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b")

_SIGNATURE = frozenset({"--", "__"})
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
_RULE_LOOKAHEAD = 16  # lines under an underscore rule read for the header block it opens
# A mailing list's footer under its rule (Mailman: "<list> mailing list", its address, "listinfo").
_LIST_FOOTER = re.compile(r"^\S.{0,80}\smailing list\s*$|/listinfo\b", re.IGNORECASE | re.MULTILINE)
_SEPARATOR_ONLY = re.compile(r"^[\s\-_=*~]*$")
_ENDS_WITH_ADDRESS = re.compile(r"(?:[>)\]]|@\S{1,200})\s*[:：]$")
_DASHED_WORDS = re.compile(
    "|".join(re.escape(w) for w in [*_words("marker_words"), *_words("reply_verbs"), "original"]), re.IGNORECASE)
_FORWARD_MARKER = re.compile(rf"^\s*(?:{_alternation('forward_lines')})\s*[:：]?\s*$", re.IGNORECASE)
# "Fwd:", "FW:", "Tr:", "Trs:" (terusan), "WG:", "RV:", after any "Re:".
_FORWARD_SUBJECT = re.compile(r"^\s*(?:(?:re|aw|bls|balas)\s*:\s*)*(?:fwd?|tr|trs|wg|rv)\s*:", re.IGNORECASE)
# Lines only a forward has: "---------- Forwarded message ---------", "----- Pesan Terusan -----",
# "Begin forwarded message:", "-------- Pesan yang diteruskan --------".
_FORWARD_LINE = re.compile(
    r"^[\s\-]*(?:begin forwarded message|forwarded message|pesan terusan|pesan yang diteruskan|"
    r"mensaje reenviado|message transf[ée]r[ée]|weitergeleitete nachricht)\s*:?[\s\-]*$",
    re.IGNORECASE,
)
_ONE_LINE_OUTLOOK = re.compile(
    r"^\s*\*?(?:from|dari|de|von|van|da|fra)\*?\s*:.{1,300}?"
    r"\b(?:sent|dikirim|date|tanggal|envoy[ée]|gesendet|verzonden|inviato|enviado)\*?\s*:",
    re.IGNORECASE,
)
_MOBILE = re.compile(rf"^\s*(?:{_alternation('mobile_footers')})(?!\w)", re.IGNORECASE)
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
# A ticket system's reply marker (Zendesk's "##- Please type your reply above this line -##",
# "Please do not reply below this line", "-- Balas di atas baris ini --"): below it is the
# ticket's history. At the very top (nothing written above it) it only heads the new text.
_REPLY_MARKER = re.compile(
    r"^[\s#\-=_*~]*(?:(?:please|mohon|harap|silakan|silahkan)\s+)?"
    r"(?:(?:(?:do\s+not|don't|tidak|jangan)\s+(?:reply|write|type|edit|respond|membalas|balas|menulis|tulis)"
    r"\s+(?:below|di\s*bawah))|(?:(?:type\s+|ketik\s+|tulis\s+)?(?:your\s+)?(?:reply|respond|write|balas|balasan)"
    r"(?:\s+anda)?\s+(?:above|di\s*atas)))\s+(?:this\s+line|(?:baris|garis)\s+ini)\b[\s.:!#\-=_*~]*$",
    re.IGNORECASE,
)

# A Subject field's value that shows a thin block quotes a ticket's mail: a ticket tag
# ("[LPSE-BTM #2026-00042]", "[Ticket#2026...]"). A reply prefix or an address in the From
# line does not: a letter the requester pastes in ("Dari: Pokja 3 <pokja3@...>",
# "Perihal: RE: Sanggah") has them too, and is what they want handled.
_QUOTED_SUBJECT = re.compile(r"\[[^\[\]]{0,40}#\s?[\w-]{1,30}\]")
_KEY = re.compile(r"^[ \t]*\*{0,2}([^\W\d_][^:：\n]{0,24}?)[ \t]*\*{0,2}[ \t]*[:：]")
_FROM_KEYS = frozenset(_WORDS["fields"]["from"])
_SENT_KEYS = frozenset(_WORDS["fields"]["sent"])
_TO_KEYS = frozenset(_WORDS["fields"]["to"])
_SUBJECT_KEYS = frozenset(_WORDS["fields"]["subject"])


def new_text(text: str) -> str:
    """What the sender wrote, wherever it stands: above, below and between quoted history.

    The text is read as blocks (see `_blocks`): the writer's own lines, a reply header
    with the `>` quote under it, a header block or marker with the unquoted history under
    it, a signature or a client footer. Every block of the writer's own lines is kept, in
    order, a blank line between them; a sign-off and a name are the writer's words too.
    Unquoted history (Outlook's header block, a forward, a header followed by text that is
    not `>`-quoted) runs to the end: nothing tells the writer's lines from it there.
    """
    kept = [block for block in _blocks(_lines(text)) if block]
    return "\n\n".join("\n".join(block) for block in kept)


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _blocks(lines: list[str]) -> list[list[str]]:
    """The writer's blocks of lines, each cleaned (`_cleaned`), in order."""
    blocks: list[list[str]] = []
    current: list[str] = []
    written = False  # whether the writer's own lines came before line i
    skipping = False  # inside a signature or a footer: dropped up to the next history
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = _visible(line).strip()
        if stripped.startswith(">") and not _lone_quote_in_text(lines, i):
            blocks.append(_cleaned(current))
            current, skipping = [], False
            i = _quote_run_end(lines, i)
            continue
        if not stripped:
            if not skipping:
                current.append("")
            i += 1
            continue
        if _is_reply_marker(line):
            if written:
                break  # a ticket system's marker: the ticket's history is below it
            i += 1
            continue
        if not written and _SEPARATOR_ONLY.match(stripped) and _marker_follows(lines, i + 1):
            i += 1  # Jira Service Management's rule over "Reply above this line." heads the text too
            continue
        opener = _history_at(lines, i, written)
        if opener is not None:
            before, after, back = opener
            if back:  # a header block's first lines were read as the writer's
                current = current[: len(current) - back]
            if before:
                current.append(before)
            blocks.append(_cleaned(current))
            current, skipping = [], False
            following = next((j for j in range(after, len(lines)) if lines[j].strip()), len(lines))
            if following < len(lines) and lines[following].lstrip().startswith(">"):
                i = following  # the quote under the header goes; what follows it is the writer's again
                continue
            break  # unquoted history: the rest is the history
        if not skipping and _opens_signature(lines, i, written):
            skipping = True
        if not skipping:
            current.append(line)
            written = True
        i += 1
    blocks.append(_cleaned(current))
    return [b for b in blocks if b]


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"), None)


def _visible(line: str) -> str:
    """The line without the zero-width characters some clients put in (Gmail before `-- `)."""
    return line.translate(_INVISIBLE)


def _cleaned(lines: list[str]) -> list[str]:
    """A block without its leading and trailing blank lines, separators, footers and a ticket
    system's footer, and without double gaps."""
    kept: list[str] = []
    for line in lines:
        if not line.strip() and kept and not kept[-1].strip():
            continue
        kept.append(line)
    return [line.rstrip() for line in _trim_ends(kept)]


def _quote_run_end(lines: list[str], i: int) -> int:
    """Where the `>` quote starting at line i ends: blank lines inside it and a quoted line's
    broken wrap (a line right between two quoted lines that does not open as a sentence does:
    "ignissim odio?", "_nonce=3dd518)") belong to it; the blank lines after it do not."""
    end = i + 1
    j = i + 1
    while j < len(lines):
        stripped = lines[j].strip()
        if stripped.startswith(">"):
            end = j = j + 1
        elif not stripped:
            j += 1
        elif _broken_wrap(lines, j):
            end = j = j + 1
        else:
            break
    return end


def _broken_wrap(lines: list[str], j: int) -> bool:
    above, below = lines[j - 1].strip(), lines[j + 1].strip() if j + 1 < len(lines) else ""
    text = lines[j].strip()
    return above.startswith(">") and below.startswith(">") and not (text[:1].isupper() or text[:1].isdigit())


def _lone_quote_in_text(lines: list[str], i: int) -> bool:
    """A single `>` line right between two lines of text (">>> www.example.com <<<" in an
    advert, an arrow): no quote, which stands apart from the text around it."""
    if i == 0 or i + 1 >= len(lines):
        return False
    above, below = lines[i - 1].strip(), lines[i + 1].strip()
    return bool(above) and bool(below) and not above.startswith(">") and not below.startswith(">") \
        and not _history_at(lines, i - 1, True)


def _opens_signature(lines: list[str], i: int, written: bool) -> bool:
    """Whether line i opens what is nobody's words: a `-- ` signature (zero-width characters
    before it aside), a `---` or dash-rule signature with a short tail, a mobile footer
    ("Sent from my iPhone", "Dikirim dari Yahoo Mail di Android") or a legal footer."""
    line = _visible(lines[i])
    if line.rstrip() in _SIGNATURE or line.strip() in _SIGNATURE:
        return True
    if written and _SHORT_RULE.match(line) and _short_tail(lines, i + 1):
        return True
    if _is_footer(line, strict=i != _last_content_index(lines)):
        return True
    return written and (i == 0 or not lines[i - 1].strip()) and bool(_LEGAL.match(line))


def _history_at(lines: list[str], i: int, written: bool) -> tuple[str, int, int] | None:
    """Whether history starts at line i: (the writer's text before it on that line, the index
    after its header lines, how many lines above i belong to it), else None.

    History starts at a reply header (`_reply_header_end`), also one that shares its line
    with the writer's words ("YA 5 Pada Sen, 23 Nov 2026 ... menulis:"); a header block
    (Outlook's "From:/Sent:/To:", Hotmail's "Date:/To:", Chinese Outlook's "发件人:/发送时间:");
    a forward or "Original Message" marker, decorations and all; Outlook's rule over its block.
    """
    line = lines[i]
    stripped = line.strip()
    if ((_UNDERSCORES.match(line) and _rule_opens_history(lines, i)) or _FORWARD_MARKER.match(line)
            or _is_dashed_marker(stripped) or _ONE_LINE_OUTLOOK.match(line)):
        return "", i + 1, 0
    start = _header_block_start(lines, i)
    if start is None and written:
        start = _loose_block_start(lines, i)
    if start is not None:
        return "", i + 1, i - start
    shared = None if _WORD_LEAD.match(stripped.lstrip("-").lstrip()) else _shared_line_header(lines, i)
    if shared is not None:
        return shared
    end = _reply_header_end(lines, i)
    return ("", end, 0) if end is not None else None


def _loose_block_start(lines: list[str], i: int) -> int | None:
    """A header block under the writer's text that `_header_block_start` does not take: one
    that opens with its Date (Hotmail: "Date:/Subject:/From:/To:", "Tanggal:/Dari:/Kepada:"),
    or of two fields only ("Date:/To:", "From:/Date:"), when its date has a clock time.
    A memo or a letter pasted in gives its date without a time, or puts "Kepada:" first."""
    first = _field_kind(_key(lines[i])) or ("from" if _key(lines[i]) in _FROM_KEYS else None)
    if first not in ("from", "sent"):
        return None
    kinds = _block_kinds(lines, i) | {first}
    if first == "sent" and _CLOCK.search(lines[i].split(":", 1)[-1].split("：", 1)[-1]):
        kinds.add("sent at a time")
    if "gapped" in kinds or "sent at a time" not in kinds:
        return None
    if any(_key(line) in _TO_KEYS for line in lines[max(0, i - 3) : i]):
        return None  # a memo: "Kepada:" above
    return i if len(kinds & {"from", "sent", "to", "subject"}) >= 2 else None


_HEADER_TAIL = re.compile(rf"^>+\s*(?:(?:{_alternation('reply_verbs')})\s*)?[:：]?$", re.IGNORECASE)
_WORD_LEAD = re.compile(rf"(?:{_alternation('header_leads')})(?!\w)", re.IGNORECASE)
_LEAD_INSIDE = re.compile(rf"(?:(?<=\s)|(?<=-))(?:{_alternation('header_leads')})(?!\w)", re.IGNORECASE)
_MAX_SHARED_LINE = 1000  # a line longer than this has no reply header inside it
_MAX_HEADER_PARTS = 5  # lines of a header wrapped around its address ("<", "mailto:...", "> wrote:")


def _reply_header_end(lines: list[str], i: int) -> int | None:
    """The index after a reply header that starts at line i, or None.

    The header is read over up to three lines (five when its address is wrapped apart:
    Polymail's "<" / "mailto:..." / "> wrote:"). One that opens with a lead word or a date
    ("On ...", "Pada ...", "2011/4/7 ...") needs a date or an address and a verb or an
    address at its end; one that opens otherwise ("Budi <b@x> schrieb am ...:", a bare
    "Helpdesk LPSE wrote:", a date-first "2011/4/7 Nathan <n@x>" without a colon) counts
    only with a `>` quote right under it.
    """
    if _is_bare_reply_header(lines, i):
        return i + 1
    first = lines[i].strip().lstrip("-").lstrip()
    led = bool(_LEAD.match(first))
    joined = ""
    parts = 0
    j = i
    while j < len(lines) and parts < _MAX_HEADER_PARTS:
        part = lines[j].strip()
        if not joined:
            part = part.lstrip("-").lstrip()
        if not part:
            nxt = j + 1
            if joined and nxt < len(lines) and lines[nxt].strip().startswith(("<", "mailto:")):
                j = nxt
                continue
            break
        if joined and part.startswith(">") and not _HEADER_TAIL.match(part):
            break
        wrapped = "<" in joined or "mailto:" in joined  # the address broken over lines
        if (parts >= _HEADER_LINES or (parts and not led)) and not wrapped:
            break  # a header with no lead word is one line, but where its address wraps
        joined = f"{joined} {part}" if joined else part
        parts += 1
        j += 1
        if len(joined) > _MAX_HEADER_CHARS:
            return None
        quoted = _quote_follows(lines, j)
        if _looks_like_reply_header(joined) and (led or quoted):
            return j
        if (quoted and _ENDS_IN_ADDRESS.search(joined) and _DIGIT.search(joined) and _EMAIL.search(joined)
                and not _HEADER_TAIL.match(_next_text(lines, j))):
            return j  # "2011/4/7 Nathan <support@example.com>" over a quote
    return None


_ENDS_IN_ADDRESS = re.compile(r"(?:>|@\S{1,200}|\))\s*$")


def _next_text(lines: list[str], j: int) -> str:
    return next((line.strip() for line in lines[j : j + 3] if line.strip()), "")


def _quote_follows(lines: list[str], j: int) -> bool:
    """Whether a `>` line follows line j-1, blank lines aside (two at most)."""
    for line in lines[j : j + 3]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _shared_line_header(lines: list[str], i: int) -> tuple[str, int, int] | None:
    """A reply header that starts inside line i, after the writer's words ("YA 5 Pada Sen, 23
    Nov 2026 ... menulis:", "reply--- On Wed, ... wrote:"), with a `>` quote under it."""
    line = lines[i]
    if len(line) > _MAX_SHARED_LINE:
        return None
    for n, match in enumerate(_LEAD_INSIDE.finditer(line)):
        if n >= 5:
            break
        before = line[: match.start()].rstrip(" \t-")
        if not before.strip() or "@" in before:
            continue  # an address before the lead word: the header began earlier
        trial = [line[match.start():], *lines[i + 1 : i + _MAX_HEADER_PARTS + 3]]
        end = _reply_header_end(trial, 0)
        if end is not None and _quote_follows(trial, end):
            return before, i + end, 0
    return None


def _marker_follows(lines: list[str], j: int) -> bool:
    """Whether the next line with text from j is a ticket system's reply marker."""
    following = next((k for k in range(j, len(lines)) if lines[k].strip()), None)
    return following is not None and _is_reply_marker(lines[following])


def _is_reply_marker(line: str) -> bool:
    """A ticket system's line between the new text and the ticket's history: "##- Please type
    your reply above this line -##", "## Bitte gib deine Antwort oberhalb dieser Zeile ein. ##"."""
    if _REPLY_MARKER.match(line):
        return True
    stripped = line.strip()
    if len(stripped) > 150 or not _DECORATED.search(stripped):
        return False
    return bool(_ABOVE_LINE.search(stripped))


_DECORATED = re.compile(r"^[#\-=_*~<>\[]{2,}|[#\-=_*~<>\]]{2,}$")
_ABOVE_LINE = re.compile(rf"(?:{_alternation('reply_above_line')})", re.IGNORECASE)


_SHORT_RULE = re.compile(r"^\s*(?:-{3}|[\u2014\u2013\u2015]{1,12}|-{2} ?[\u2014\u2013])\s*$")
_LEGAL = re.compile(rf"^\s*\**\s*(?:{_alternation('legal_footers')})", re.IGNORECASE)
_SIGNATURE_TAIL = 6  # lines a name-and-title signature under a `---` rule has at most


def _short_tail(lines: list[str], start: int) -> bool:
    """Whether the lines from `start` up to the next history or the end are a signature's:
    a few short lines (a name, a title, a phone), not paragraphs."""
    tail: list[str] = []
    for j in range(start, len(lines)):
        line = lines[j]
        if line.lstrip().startswith(">") or len(tail) > _SIGNATURE_TAIL or _history_at(lines, j, True):
            break
        if line.strip():
            tail.append(line.strip())
    return 0 < len(tail) <= _SIGNATURE_TAIL and all(len(line) <= 80 for line in tail)


def own_text(text: str) -> str:
    """What the sender wrote themselves, signature included: the text above the first
    quoted or forwarded history (reply header, Outlook header block, forward or
    "Original Message" marker, `>` lines), else what they wrote below a `>` quote.

    Who the sender is (seed 003's form: name, agency, address, phone) is read from
    this: a forwarded Pokja letter, LKPP's answer or the unit's own quoted signature
    carries someone else's.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    top = "\n".join(line for line in lines[:_first_cut(lines, history_only=True)]
                    if not line.lstrip().startswith(">")).strip()
    return top or _bottom(lines)


def _bottom(lines: list[str]) -> str:
    """The writer's lines below and between `>` quotes that follow the first cut.

    The quote must start right under the header (Gmail leaves one blank line there);
    a header block with text under it (Outlook, a forward) has no bottom to read.
    """
    cut = _first_cut(lines)
    quote = next((i for i in range(cut, min(len(lines), cut + _HEADER_LINES + 3))
                  if lines[i].lstrip().startswith(">")), None)
    if quote is None or sum(1 for line in lines[cut:quote] if line.strip()) > _HEADER_LINES:
        return ""
    return strip_reply("\n".join(lines[quote:]))


def only_quoted(text: str) -> bool:
    """Whether a reply holds nothing its writer typed: a reply header and the `>`-quoted
    mail below it, blank lines and a mobile footer aside (a reply sent with files alone).
    Anything else (a pasted letter, a forward, an Outlook header block) is the writer's."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    quoted = [i for i, line in enumerate(lines) if line.lstrip().startswith(">")]
    rest = [i for i, line in enumerate(lines)
            if line.strip() and not line.lstrip().startswith(">") and not _is_footer(line, strict=False)]
    if not quoted or not rest:
        return bool(quoted)
    head = rest[0]
    if not (_is_reply_header_at(lines, head) or _is_bare_reply_header(lines, head)):
        return False
    # the header's own lines (a client wraps it over up to three), then only the quote
    return all(i - head == n and i < quoted[0] for n, i in enumerate(rest)) and len(rest) <= _HEADER_LINES


def is_forward(subject: str, text: str) -> bool:
    """Whether a message forwards another one: a forward prefix or a forward marker line.

    A forwarded mail that opens a ticket is the problem itself ("Fwd: Gagal upload",
    "----- Pesan Terusan -----"), not history to drop.
    """
    if _FORWARD_SUBJECT.match(subject):
        return True
    return any(_FORWARD_LINE.match(line) for line in text.replace("\r", "").split("\n")[:400])


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
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _first_cut(lines)
    kept: list[str] = []
    dropped_quote = False
    for line in lines[:cut]:
        if line.lstrip().startswith(">"):
            dropped_quote = True
            continue
        if _REPLY_MARKER.match(line):
            continue  # a ticket system's marker heading the new text
        if dropped_quote and not line.strip() and kept and not kept[-1].strip():
            continue  # do not leave a double gap where a quote was
        dropped_quote = False
        kept.append(line)
    return "\n".join(_trim_ends(kept)).rstrip()


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


def _first_cut(lines: list[str], *, history_only: bool = False) -> int:
    """Index of the first line that starts history or signature; len(lines) if none.

    `history_only`: a signature delimiter or a mobile footer is no cut (see `own_text`)."""
    last = _last_content_index(lines)
    written = False  # whether the writer's own lines come before line i
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        if _REPLY_MARKER.match(line):
            if written:
                return i
            continue
        written = True
        if line.rstrip() in _SIGNATURE or stripped in _SIGNATURE:
            if history_only:
                continue
            return i
        if (_UNDERSCORES.match(line) and _rule_opens_history(lines, i)) or _FORWARD_MARKER.match(line):
            return i
        if _is_dashed_marker(stripped):
            return i
        if _ONE_LINE_OUTLOOK.match(line):
            return i
        start = _header_block_start(lines, i)
        if start is not None:
            return start
        if _is_reply_header_at(lines, i) or _is_bare_reply_header(lines, i):
            return i
        if not history_only and _is_footer(line, strict=i != last):
            return i
    return len(lines)


def _rule_opens_history(lines: list[str], i: int) -> bool:
    """Whether the underscore rule at line i opens what Outlook puts under it: a header block
    ("From:/Sent:/To:/Subject:", "Dari:/Dikirim:/Kepada:/Subjek:", Hotmail's "Date:" first,
    with bold markers or a blank line between fields, or all on one line), or a mailing
    list's footer ("helpdesk-lpse mailing list"). A rule that staff or a requester typed
    between steps, above "Terima kasih" or a signature, is their text.
    """
    following = [line.lstrip(" \t>") for line in lines[i + 1 : i + _RULE_LOOKAHEAD] if line.strip(" \t>")]
    if not following:
        return False
    if _ONE_LINE_OUTLOOK.match(following[0]) or _LIST_FOOTER.search("\n".join(following[:3])):
        return True
    kinds: set[str] = set()
    for line in following:
        key = _key(line)
        kind = "from" if key in _FROM_KEYS else _field_kind(key)
        if kind is None or (not kinds and kind not in ("from", "sent")):
            break  # Outlook opens with From (Hotmail with Date); "Kepada:" first is a memo
        kinds.add(kind)
    return "from" in kinds and len(kinds) > 1


def _is_dashed_marker(stripped: str) -> bool:
    """A "-----Original Message-----" or "---- On ... wrote ----" style marker line.

    Plain string checks rather than a regex: a regex with two dash runs backtracks
    quadratically on a long line of dashes.
    """
    stripped = stripped.strip(" *_=#~")
    if not (stripped.startswith("--") and stripped.endswith("--")):
        return False
    inner = stripped.strip("-").strip()
    return 0 < len(inner) <= 100 and bool(_DASHED_WORDS.search(inner))


def _last_content_index(lines: list[str]) -> int:
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip() and not lines[i].lstrip().startswith(">"):
            return i
    return -1


def _is_footer(line: str, *, strict: bool) -> bool:
    """A mobile or webmail footer such as "Sent from my iPhone".

    A sentence that merely starts with "Sent from" is not one: footers are short and
    have no commas. Away from the end of the text we also want a device or app name,
    because there a footer is followed by the quoted original.
    """
    named = bool(_MOBILE_NAMED.match(line))
    if not named and not _MOBILE.match(line):
        return False
    bare = _ANGLE_URL.sub("", line).strip()
    if "," in bare or len(bare.split()) > 9:
        return False
    return not (strict or named) or bool(_DEVICE.search(bare))


def _key(line: str) -> str | None:
    match = _KEY.match(line)
    if not match:
        return None
    return " ".join(match.group(1).replace("*", "").lower().split())


def _header_block_start(lines: list[str], i: int) -> int | None:
    """Start of an Outlook-style header block ("From:", then "Sent:"/"To:"/...) at i.

    After the From line we need a To-like field and a Sent- or Subject-like field, so a
    memo that lists "Kepada:" before "Dari:" is not mistaken for one. Without a To field
    (Outlook leaves it out for Bcc-only mail) a Sent field with a clock time and a Subject
    field will do, and so will a thin block of From and Subject alone (Outlook's HTML
    replies, some phone clients) whose Subject carries a ticket tag, as every mail of a
    ticket does (a letter pasted in with "Dari: name <address>" and "Perihal: RE: ..." is
    content); either way, unless a To-like field sits above the From line, as in a memo. The
    fields may stand a blank line apart (HTML with a paragraph per field) when the Subject
    carries a ticket tag: spaced out without one, they are a letter's that the requester
    pasted in. Header-like lines right above the From
    line ("Message du : ...") belong to the block.
    """
    if _key(lines[i]) not in _FROM_KEYS:
        return None
    kinds = _block_kinds(lines, i)
    if "gapped" in kinds and "quoted subject" not in kinds:
        return None  # fields a blank line apart: a letter's ("Dari: X", "Kepada: Y", "Perihal: Z") but for a ticket's tag
    above = [lines[j] for j in range(max(0, i - 3), i)]
    memo = any(_key(line) in _TO_KEYS for line in above)
    without_to = {"sent at a time", "subject"} <= kinds and not memo
    thin = "quoted subject" in kinds and not memo
    if not (("to" in kinds and kinds & {"sent", "subject"}) or without_to or thin):
        return None
    start = i
    while start > 0 and start > i - 3 and lines[start - 1].strip() and _key(lines[start - 1]):
        start -= 1
    return start


def _block_kinds(lines: list[str], i: int) -> set[str]:
    """The kinds of field in the header block whose From line is line i.

    "sent at a time": a Sent field with a clock; "quoted subject": a Subject field with a
    ticket tag, which shows a quoted mail (see `_header_block_start`); "gapped": a field
    after a blank line. A line that is
    no field ends the block after a blank line; without one, up to two such lines are a
    wrapped field."""
    kinds: set[str] = set()
    loose = 0
    gap = False
    for line in lines[i + 1 : i + 12]:
        if not line.strip():
            gap = True
            continue
        kind = _field_kind(_key(line))
        if kind is None:
            loose += 1
            if gap or loose > 2:
                break
            continue
        if gap:
            kinds.add("gapped")
        gap = False
        kinds.add(kind)
        value = line.split(":", 1)[1]
        if kind == "sent" and _CLOCK.search(value):
            kinds.add("sent at a time")
        if kind == "subject" and _QUOTED_SUBJECT.search(value):
            kinds.add("quoted subject")
    return kinds


def _field_kind(key: str | None) -> str | None:
    if key in _SENT_KEYS:
        return "sent"
    if key in _TO_KEYS:
        return "to"
    if key in _SUBJECT_KEYS:
        return "subject"
    return None


def ends_with_reply_header(lines: list[str]) -> bool:
    """Whether the last of these lines are a reply header ("Pada ..., X menulis:", "On ...
    wrote:", "26.06.2014, 14:41, X <x@y>:") that a quote right under them would follow: what
    tells an HTML <blockquote> citing history from one a writer indents their words with."""
    tail = [line for line in lines if line.strip()][-_MAX_HEADER_PARTS:]
    probe = [*tail, "> "]
    for i in range(len(tail)):
        end = _reply_header_end(probe, i)
        if end == len(tail):
            return True
        shared = _shared_line_header(probe, i)
        if shared is not None and shared[1] == len(tail):
            return True
    return False


_QUOTE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]?)*")
_PARTIES_LINES = 400  # lines of a body read for the header block of a mail it carries
_BLOCK_LINES = 12  # lines around a From field read as its header block


def quoted_parties(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The sender and the recipients (To, Cc, in any language `fields` lists) of the first
    header block in `text` that names both: the mail a reply quotes, a forward carries or a
    delivery report returns (an Outlook block, raw header lines; `>` quoted or not).

    What a report "written like a reply" is told by (issue 45): the mail it returns was sent
    to the address it names as failed, by someone other than the report's own sender."""
    lines = [_QUOTE_PREFIX.sub("", line) for line in text.splitlines()[:_PARTIES_LINES]]
    for i, line in enumerate(lines):
        if _key(line) not in _FROM_KEYS:
            continue
        senders = _addresses(line)
        start = i
        while start > 0 and start > i - _BLOCK_LINES and lines[start - 1].strip():
            start -= 1  # raw header lines above From (Received:, Message-ID:, To:)
        recipients: set[str] = set()
        field: str | None = None
        for j in range(start, min(len(lines), i + _BLOCK_LINES)):
            other = lines[j]
            if not other.strip():
                if j > i:
                    break  # the block ends; the mail's body follows
                continue
            if other[:1] in (" ", "\t") and field is not None:
                key: str | None = field  # a folded field goes on
            else:
                key = _key(other)
                field = key
            if key in _TO_KEYS:
                recipients |= _addresses(other)
        if senders and recipients:
            return frozenset(senders), frozenset(recipients)
    return frozenset(), frozenset()


def _addresses(line: str) -> set[str]:
    return {a.lower() for a in _AN_ADDRESS.findall(line)}


def _is_reply_header_at(lines: list[str], i: int) -> bool:
    """Whether a reply header ("On <date>, <name> wrote:") starts at line i.

    Clients wrap long headers, so up to three lines are joined; a blank line ends the
    header. Yahoo's classic client puts dashes before it ("--- On Mon, ... wrote:").
    """
    first = lines[i].strip().lstrip("-").lstrip()
    if not _LEAD.match(first):
        return False
    joined = ""
    for line in lines[i : i + _HEADER_LINES]:
        part = line.strip().lstrip("-").lstrip() if not joined else line.strip()
        if not part:
            break
        if joined and part.startswith(">") and part.replace(" ", "") != ">:":
            break  # a quote starts; but ">:" closes an address wrapped after "<"
        joined = f"{joined} {part}" if joined else part
        if len(joined) > _MAX_HEADER_CHARS:
            return False
        if _looks_like_reply_header(joined):
            return True
    return False


def _is_bare_reply_header(lines: list[str], i: int) -> bool:
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


def _looks_like_reply_header(joined: str) -> bool:
    if not (_DIGIT.search(joined) or "@" in joined):
        return False
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
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
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
        if lines[i].lstrip().startswith(">"):
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
    dropped = {start + j for j in _our_lines(inner, needles, depth + 1)}
    if not dropped or any(line.strip() for j, line in enumerate(inner) if start + j not in dropped):
        return dropped
    above = [j for j in range(max(0, start - _HEADER_LINES - 1), start) if lines[j].strip()]
    if not above or not lines[above[-1]].rstrip().endswith(":"):
        return dropped | set(range(start, end))  # no reply header right above the quote
    header = next((h for h in above if _is_reply_header_at(lines, h) or _is_bare_reply_header(lines, h)), start)
    return dropped | set(range(header, end))


def _our_block_end(lines: list[str], i: int, needles: tuple[str, ...]) -> int | None:
    """Where our mail that starts at line i ends: after the `>` quote under our reply header,
    or at the next forward marker under our From field; None when no mail of ours starts here."""
    if (_is_reply_header_at(lines, i) or _is_bare_reply_header(lines, i)) and _names(_header_text(lines, i), needles,
                                                                                      field=False):
        quote = next((j for j in range(i + 1, min(len(lines), i + _HEADER_LINES + 3))
                      if lines[j].lstrip().startswith(">")), None)
        return _quote_end(lines, quote) if quote is not None else None
    if _key(lines[i]) not in _FROM_KEYS or not _names(lines[i].split(":", 1)[1].lower(), needles, field=True):
        return None
    if not (_block_kinds(lines, i) & {"sent", "to", "subject"}):
        return None
    return next((j for j in range(i + 1, len(lines)) if _FORWARD_LINE.match(lines[j])), len(lines))


def _header_text(lines: list[str], i: int) -> str:
    """The reply header at line i, its wrapped lines joined, lower case; not the quote under it."""
    parts: list[str] = []
    for line in lines[i : i + _HEADER_LINES]:
        if not line.strip() or (parts and line.lstrip().startswith(">") and line.strip() != ">:"):
            break
        parts.append(line.strip())
        if line.rstrip().endswith(":"):
            break
    return " ".join(parts).lower()


_AN_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def _names(text: str, needles: tuple[str, ...], *, field: bool) -> bool:
    """Whether a reply header, or a From field's value (`field`), names the unit as the writer:
    by its address when it gives one, else by the unit's whole display name. A Pokja of the
    same LPSE ("Pokja Pemilihan LPSE Kota Batam", pokja.lpse@...) or another unit's helpdesk
    only contains them."""
    given = {a.lower().rstrip(".") for a in _AN_ADDRESS.findall(text)}
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
        if above and not (_FORWARD_LINE.match(above) or _FORWARD_MARKER.match(above)
                          or _UNDERSCORES.match(above) or _is_dashed_marker(above)):
            break
        j -= 1
    return j


def _quote_end(lines: list[str], i: int) -> int:
    """The end of the run of `>` lines at i (blank lines inside it belong to it)."""
    end = i
    for j in range(i, len(lines)):
        if lines[j].lstrip().startswith(">"):
            end = j + 1
        elif lines[j].strip():
            break
    return end


def _unquoted(line: str) -> str:
    """A `>` line one level down ("> > x" and ">> x" both become "> x" or ">x")."""
    rest = line.lstrip()[1:]
    return rest.removeprefix(" ")


def _trim_ends(kept: list[str]) -> list[str]:
    """The kept lines without the separators, footers and ticket-system footer at their end
    and the blank lines at their start: what both splitters leave of the writer's text."""
    while kept and (_SEPARATOR_ONLY.match(kept[-1]) or _is_footer(kept[-1], strict=False)):
        kept.pop()
    kept = _without_ticket_footer(kept)
    while kept and _SEPARATOR_ONLY.match(kept[-1]):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return kept
