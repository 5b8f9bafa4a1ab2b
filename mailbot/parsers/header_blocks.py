"""Header blocks: the fields a client writes above the mail it quotes or forwards.

Outlook's "From:/Sent:/To:/Subject:" (in every language `rules/quotes.yaml` lists:
"Dari:/Dikirim:/Kepada:/Subjek:", "发件人:/发送时间:"), Hotmail's "Date:" first, a thin
block of From and a Subject with a ticket tag, all of it on one line, and Outlook's
underscore rule above it. A memo or a letter the writer pasted in has fields too
("Kepada:" first, fields a blank line apart): those are the writer's content, and the
rules here tell them apart by the fields' order and shape.
"""

from __future__ import annotations

import re

from mailbot.parsers.quote_words import CLOCK, NUMERIC_DATE, WORDS

# The blanks after the name possessive: with two `[ \t]*` around the stars, a line of a letter and
# thousands of blanks without a colon was tried at every split of the run (30 s for 8,000 blanks).
_KEY = re.compile(r"^[ \t]*\*{0,2}([^\W\d_][^:：\n]{0,24}?)[ \t]*+\*{0,2}[ \t]*+[:：]")
FROM_KEYS = frozenset(WORDS["fields"]["from"])
_SENT_KEYS = frozenset(WORDS["fields"]["sent"])
TO_KEYS = frozenset(WORDS["fields"]["to"])
_SUBJECT_KEYS = frozenset(WORDS["fields"]["subject"])
# a mail's header fields that may stand over its From in a returned or pasted mail's header
_MAIL_FIELDS = frozenset({"received", "message-id", "return-path", "reply-to", "in-reply-to", "references",
                          "mime-version", "content-type", "content-transfer-encoding", "delivered-to", "sender"})
_DATE_AT = re.compile(rf"{NUMERIC_DATE.pattern}.{{0,20}}?{CLOCK.pattern}")  # "12/12/2016 13:20"
# A Subject field's value that shows a thin block quotes a ticket's mail: a ticket tag
# ("[LPSE-BTM #2026-00042]", "[Ticket#2026...]"). A reply prefix or an address in the From
# line does not: a letter the requester pastes in ("Dari: Pokja 3 <pokja3@...>",
# "Perihal: RE: Sanggah") has them too, and is what they want handled.
_QUOTED_SUBJECT = re.compile(r"\[[^\[\]]{0,40}#\s?[\w-]{1,30}\]")
ONE_LINE_OUTLOOK = re.compile(
    r"^\s*\*?(?:from|dari|de|von|van|da|fra)\*?\s*:.{1,300}?"
    r"\b(?:sent|dikirim|date|tanggal|envoy[ée]|gesendet|verzonden|inviato|enviado)\*?\s*:"
    # the date first, then From and To or Subject, all on one line (a block whose line breaks
    # a web client lost: "Date: Tue, 2 Oct 2012 02:35:10 +0000 From: a@b To: C Subject: D")
    r"|^\s*\*?(?:date|tanggal|sent|dikirim)\*?\s*:.{1,120}?\b(?:from|dari)\*?\s*:.{1,300}?"
    r"\b(?:to|kepada|subject|subjek|perihal)\*?\s*:",
    re.IGNORECASE,
)
UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
_RULE_LOOKAHEAD = 16  # lines under an underscore rule read for the header block it opens
# A mailing list's footer under its rule (Mailman: "<list> mailing list", its address, "listinfo").
_LIST_FOOTER = re.compile(r"^\S.{0,80}\smailing list\s*$|/listinfo\b", re.IGNORECASE | re.MULTILINE)
_KIND_LINES = 12  # lines under a From field read for the kinds of its block
_MEMO_LINES = 3  # lines above a From field where a "Kepada:" makes the block a memo's
AN_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_QUOTE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]?)*")
_PARTIES_LINES = 400  # lines of a body read for the header block of a mail it carries
_BLOCK_LINES = 12  # lines around a From field read as its header block


def key(line: str) -> str | None:
    """The field name a line opens with ("From:", "**Dari:**"), lower case; None for no field."""
    match = _KEY.match(line)
    if not match:
        return None
    return " ".join(match.group(1).replace("*", "").lower().split())


def value(line: str) -> str:
    """What follows a field's name ("From: Budi" -> " Budi"), after an ASCII or a full-width
    colon ("发件人：…", Outlook in Chinese or Japanese); "" when the line has neither."""
    match = _KEY.match(line)
    return line[match.end():] if match else ""


def field_kind(name: str | None) -> str | None:
    """"sent", "to" or "subject" for a field name of that kind in any language; else None."""
    if name in _SENT_KEYS:
        return "sent"
    if name in TO_KEYS:
        return "to"
    if name in _SUBJECT_KEYS:
        return "subject"
    return None


def header_block_start(lines: list[str], i: int) -> int | None:
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
    if key(lines[i]) not in FROM_KEYS:
        return None
    if not _is_quoted_block(block_kinds(lines, i), memo_above(lines, i)):
        return None
    start = i
    while start > 0 and start > i - 3 and _heads_block(lines[start - 1]):
        start -= 1
    return start


def _heads_block(line: str) -> bool:
    """Whether a line right above a block's From field belongs to the block: another of its
    fields, a returned mail's own header field ("Message-ID:", "Received:"), or a date with
    its time ("Message du : 12/12/2016 13:20"). The writer's own
    "NPWP: 01.234.567.8-901.000" or "Solusi: ..." typed right above it (an Outlook reply whose
    blank paragraph was taken out) stays theirs."""
    name = key(line)
    if name is None:
        return False
    return is_field_name(name) or name in _MAIL_FIELDS or name.startswith("x-") or bool(_DATE_AT.search(value(line)))


def is_field_name(name: str) -> bool:
    """A header block's field in any language: From, Sent, To or Subject."""
    return name in FROM_KEYS or field_kind(name) is not None


def _is_quoted_block(kinds: set[str], memo: bool) -> bool:
    """Whether a From field's block of these `kinds` is a quoted mail's (see `header_block_start`)."""
    if "gapped" in kinds and "quoted subject" not in kinds:
        # fields a blank line apart: a letter's ("Dari: X", "Kepada: Y", "Perihal: Z") but for a ticket's tag
        return False
    full = "to" in kinds and bool(kinds & {"sent", "subject"})
    without_to = {"sent at a time", "subject"} <= kinds and not memo
    thin = "quoted subject" in kinds and not memo
    return full or without_to or thin


def memo_above(lines: list[str], i: int) -> bool:
    """Whether a To-like field ("Kepada:") stands in the lines right above line i, as in a memo."""
    return any(key(line) in TO_KEYS for line in lines[max(0, i - _MEMO_LINES) : i])


def loose_block_start(lines: list[str], i: int) -> int | None:
    """A header block under the writer's text that `header_block_start` does not take: one
    that opens with its Date (Hotmail: "Date:/Subject:/From:/To:", "Tanggal:/Dari:/Kepada:"),
    or of two fields only ("Date:/To:", "From:/Date:"), when its date has a clock time.
    A memo or a letter pasted in gives its date without a time, or puts "Kepada:" first."""
    name = key(lines[i])
    first = field_kind(name) or ("from" if name in FROM_KEYS else None)
    if first not in ("from", "sent"):
        return None
    kinds = block_kinds(lines, i) | {first}
    if first == "sent" and CLOCK.search(lines[i].split(":", 1)[-1].split("：", 1)[-1]):
        kinds.add("sent at a time")
    if "gapped" in kinds or "sent at a time" not in kinds or memo_above(lines, i):
        return None  # a memo: "Kepada:" above
    return i if len(kinds & {"from", "sent", "to", "subject"}) >= 2 else None


def block_kinds(lines: list[str], i: int) -> set[str]:
    """The kinds of field in the header block whose From line is line i.

    "sent at a time": a Sent field with a clock; "quoted subject": a Subject field with a
    ticket tag, which shows a quoted mail (see `header_block_start`); "gapped": a field
    after a blank line. A line that is
    no field ends the block after a blank line; without one, up to two such lines are a
    wrapped field."""
    kinds: set[str] = set()
    loose = 0
    gap = False
    for line in lines[i + 1 : i + _KIND_LINES]:
        if not line.strip():
            gap = True
            continue
        kind = field_kind(key(line))
        if kind is None:
            loose += 1
            if gap or loose > 2:
                break
            continue
        if gap:
            kinds.add("gapped")
        gap = False
        kinds |= _kinds_of(kind, value(line))
    return kinds


def _kinds_of(kind: str, value: str) -> set[str]:
    """A field's kind, with "sent at a time" for a Sent field with a clock and "quoted
    subject" for a Subject field with a ticket tag."""
    if kind == "sent" and CLOCK.search(value):
        return {kind, "sent at a time"}
    if kind == "subject" and _QUOTED_SUBJECT.search(value):
        return {kind, "quoted subject"}
    return {kind}


def outlook_rule_at(lines: list[str], i: int) -> bool:
    """Whether line i is an underscore rule over what Outlook puts under it (`_rule_opens_history`)."""
    return bool(UNDERSCORES.match(lines[i])) and _rule_opens_history(lines, i)


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
    if ONE_LINE_OUTLOOK.match(following[0]) or _LIST_FOOTER.search("\n".join(following[:3])):
        return True
    return _opens_with_from(following)


def _opens_with_from(following: list[str]) -> bool:
    """Whether these lines are a header block that opens with From (Hotmail's with Date)
    and has another field; "Kepada:" first is a memo's."""
    kinds: set[str] = set()
    for line in following:
        name = key(line)
        kind = "from" if name in FROM_KEYS else field_kind(name)
        if kind is None or (not kinds and kind not in ("from", "sent")):
            break
        kinds.add(kind)
    return "from" in kinds and len(kinds) > 1


def quoted_parties(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The sender and the recipients (To, Cc, in any language `fields` lists) of the first
    header block in `text` that names both: the mail a reply quotes, a forward carries or a
    delivery report returns (an Outlook block, raw header lines; `>` quoted or not).

    What a report "written like a reply" is told by: the mail it returns was sent
    to the address it names as failed, by someone other than the report's own sender."""
    lines = [_QUOTE_PREFIX.sub("", line) for line in text.splitlines()[:_PARTIES_LINES]]
    for i, line in enumerate(lines):
        if key(line) not in FROM_KEYS:
            continue
        senders = addresses(line)
        recipients = _recipients(lines, _block_top(lines, i), i)
        if senders and recipients:
            return frozenset(senders), frozenset(recipients)
    return frozenset(), frozenset()


def _block_top(lines: list[str], i: int) -> int:
    """The first line of the block whose From field is line i: raw header lines above From
    (Received:, Message-ID:, To:) belong to it."""
    start = i
    while start > 0 and start > i - _BLOCK_LINES and lines[start - 1].strip():
        start -= 1
    return start


def _recipients(lines: list[str], start: int, i: int) -> set[str]:
    """The addresses of the To-like fields of the block from `start` (From at line i), a
    folded field's lines included, up to the blank line under it."""
    found: set[str] = set()
    field: str | None = None
    for j in range(start, min(len(lines), i + _BLOCK_LINES)):
        other = lines[j]
        if not other.strip():
            if j > i:
                break  # the block ends; the mail's body follows
            continue
        folded = other[:1] in (" ", "\t") and field is not None  # a folded field goes on
        field = field if folded else key(other)
        if field in TO_KEYS:
            found |= addresses(other)
    return found


def addresses(line: str) -> set[str]:
    """The e-mail addresses in a line, lower case."""
    return {a.lower() for a in AN_ADDRESS.findall(line)}
