"""Raw RFC 5322 bytes in, one frozen `InboundMessage` out.

This is where a received message is read, once, at the edge. We parse with the
`compat32` policy because it never raises on broken structure and keeps raw header
text, then decode everything ourselves (see `headers` and `charsets`), so one odd
message degrades to notes in `defects` instead of stopping the mailbox. Only input
that is not a mail at all, or breaks the size caps of SPEC section 9, raises
`BadMessageError`, which the daemon turns into Quarantine.

The steps, each in a module named for what it owns: the raw bytes are checked and
mended (`raw_mending`), their structure counted against the caps (`raw_structure`),
big base64 bodies lifted out (`lifted_bodies`); the tree is built and walked to its
leaves (`mime_tree`), the leaves' contents decoded (`part_content`), the body told from
the files (`attachments`) and the message's kind read from its parts (`bounce_parts`).
Here: the header fields, and the `InboundMessage` put together.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from mailbot.errors import BadMessageError, RefusedMessageError
from mailbot.model import SYNTHETIC_ID_DOMAIN, Address, DeliveryReport, InboundMessage
from mailbot.parsers.attachments import sealed
from mailbot.parsers.auto import automatic_reason, bounce_subject, delivery_report
from mailbot.parsers.bounce_parts import Body, body_and_kind, bounced_ids, carried
from mailbot.parsers.charsets import WEAK_CHARSETS, codec_for, guess_charset
from mailbot.parsers.headers import (
    angle_addr,
    header_text,
    message_id,
    message_ids,
    parse_addresses,
    parse_date,
)
from mailbot.parsers.lifted_bodies import lift, lifted_in_place
from mailbot.parsers.mime_tree import DSN_PARTS, Leaf, Message, charset, ctype, leaves, tree
from mailbot.parsers.part_content import part_text
from mailbot.parsers.quotes import new_text
from mailbot.parsers.raw_mending import MAIL_FIELDS, checked_and_mended
from mailbot.parsers.raw_structure import checked_structure

MAX_PARTS = 500  # MIME parts in one message (SPEC 9: one crafted message must not eat the memory)
MAX_ATTACHMENTS = 100  # attachments in one message
LIFT_FROM = 128 * 1024  # base64 bodies from this size are lifted out before the tree is built
UNPARSEABLE = "parser failed on this message"
_TEXT_PARTS_READ = 50  # parts looked at for the first text part's charset
# Reasons of `automatic_reason` that only the list headers or Precedence give.
_LIST_REASONS = ("mailing-list", "x-mailing-list", "x-mlserver", "x-ml-name")

Fields = list[tuple[str, str]]  # a message's header fields: (lower-case name, raw value), top first


def parse_message(
    raw: bytes,
    *,
    max_header_bytes: int = 64 * 1024,
    max_size: int = 25 * 1024 * 1024,
    max_parts: int = MAX_PARTS,
    max_attachments: int = MAX_ATTACHMENTS,
) -> InboundMessage:
    """Parse one received message; raise `BadMessageError` only for unusable input.

    Everything merely odd (bad charsets, broken MIME, missing fields) is recorded in
    `defects` instead. The caps are SPEC section 9's defence against crafted mail:
    size and structure are checked on the raw bytes before the tree is built, so a
    message of 100,000 parts costs a scan, not a gigabyte (`RefusedMessageError`).
    """
    data, notes = checked_and_mended(raw, max_header_bytes, max_size)
    boundaries = checked_structure(data, max_parts)
    try:
        msg = _build(raw, data, notes, boundaries)
        if len(msg.attachments) > max_attachments:
            raise RefusedMessageError(
                f"message has {len(msg.attachments)} attachments, over the limit of {max_attachments}", "too_complex")
        return msg
    except BadMessageError:
        raise
    except RecursionError as exc:  # absurdly nested input the library recursed on
        raise BadMessageError("message structure nested too deeply to parse") from exc
    except Exception as exc:  # the contract: one bad mail never escapes as a crash
        # The corpus and fuzz tests keep this unreached; if a library quirk still gets
        # here, the message is quarantined with the reason instead of stopping the box.
        raise BadMessageError(f"{UNPARSEABLE} ({type(exc).__name__}: {exc})"[:300]) from exc


def _build(raw: bytes, data: bytes, notes: list[str], boundaries: set[bytes]) -> InboundMessage:
    skeleton, lifted = lift(data, boundaries, LIFT_FROM)
    with lifted_in_place(lifted):
        return _read(raw, tree(skeleton), notes)


def _read(raw: bytes, msg: Message, notes: list[str]) -> InboundMessage:
    """The message read from its tree: fields, body, files and kind. `defects` collects,
    in the order met, what was odd: the notes of the mending, then each reader's."""
    fields = _fields(msg)
    if not any(key in MAIL_FIELDS for key, _ in fields):
        raise BadMessageError("no mail header fields (From, To, Subject, Date, ...)")
    defects: dict[str, None] = dict.fromkeys(notes)
    encoding = _header_charset(msg, fields)
    headers = _header_map(fields, encoding)
    mid, synthetic = _message_id(fields, raw, defects)
    from_addr = _from(fields, encoding, defects)
    date = _date(fields, defects)
    found = list(leaves(msg, 0, False, defects))
    body = body_and_kind(found, headers, defects, from_addr.addr)
    bounced = _bounced(msg, found, headers, body, mid)
    to = parse_addresses(_values(fields, "to"), encoding)
    _add_library_defects(msg, defects)
    return InboundMessage(
        message_id=mid,
        synthetic_id=synthetic,
        from_addr=from_addr,
        to=to,
        cc=parse_addresses(_values(fields, "cc"), encoding),
        reply_to=parse_addresses(_values(fields, "reply-to"), encoding),
        subject=headers.get("subject", ""),
        date=date,
        in_reply_to=message_ids(_values(fields, "in-reply-to")),
        references=message_ids(_values(fields, "references")),
        text=body.text,
        new_text=new_text(body.text),
        attachments=body.attachments,
        auto_reason=body.auto_reason,
        is_bounce=body.is_bounce,
        bounced_ids=bounced,
        delivery=_delivery(found, body, (*bounced, *(a.addr for a in to))),
        precedence_only=_precedence_only(headers, body),
        auth_results=tuple(header_text(v, encoding) for v in _values(fields, "authentication-results")),
        return_path=angle_addr(_first(fields, "return-path")),
        size=len(raw),
        defects=tuple(defects),
        sealed="" if body.text.strip() else sealed(found),
    )


def _fields(msg: Message) -> Fields:
    """All header fields of `msg` as (lower-case name, raw value), top first."""
    return [(str(name).strip().lower(), str(value)) for name, value in msg.raw_items()]


def _values(fields: Fields, name: str) -> list[str]:
    return [value for key, value in fields if key == name]


def _first(fields: Fields, name: str) -> str | None:
    for key, value in fields:
        if key == name:
            return value
    return None


def _header_map(fields: Fields, encoding: str | None) -> dict[str, str]:
    """Lower-case name -> decoded topmost value, the shape `automatic_reason` reads."""
    mapping: dict[str, str] = {}
    for key, value in fields:
        if key not in mapping:
            mapping[key] = header_text(value, encoding)
    return mapping


def _header_charset(msg: Message, fields: Fields) -> str | None:
    """The charset raw 8-bit header values are read in: the message's declared one, else its
    first text part's; guessed on the values themselves when that is none or a weak one."""
    declared = charset(msg) or _text_charset(msg)
    if codec_for(declared) in (None, *WEAK_CHARSETS):
        return _raw_header_charset(fields) or declared
    return declared


def _raw_header_charset(fields: Fields) -> str | None:
    """The charset all raw 8-bit header values of a message read best in, guessed on them
    together (`guess_charset`); None when every header is ASCII or valid UTF-8."""
    raw = b"\n".join(v.encode("utf-8", "surrogateescape") for _, v in fields if not v.isascii())
    guessed = guess_charset(raw) if raw else None
    return None if guessed == "utf-8" else guessed


def _text_charset(msg: Message) -> str | None:
    """The charset of the first text part: what an old client wrote raw 8-bit headers in."""
    for count, part in enumerate(msg.walk()):
        if count > _TEXT_PARTS_READ:
            break
        if not part.is_multipart() and ctype(part).startswith("text/"):
            return charset(part)
    return None


def _message_id(fields: Fields, raw: bytes, defects: dict[str, None]) -> tuple[str, bool]:
    """The Message-ID, or a stable synthetic one made from the bytes when it is missing."""
    mid = message_id(_first(fields, "message-id"))
    if mid is not None:
        return mid, False
    defects["missing or unusable Message-ID"] = None
    return synthetic_message_id(raw), True


def synthetic_message_id(raw: bytes) -> str:
    """The stable id of a message that has no usable Message-ID: made from all its bytes."""
    return f"synthetic-{hashlib.sha256(raw).hexdigest()[:32]}@{SYNTHETIC_ID_DOMAIN}"


def _date(fields: Fields, defects: dict[str, None]) -> datetime | None:
    """The Date field's time; None (and a defect) when it is missing or unreadable."""
    value = _first(fields, "date")
    date = parse_date(value)
    if date is None:
        defects["missing Date" if value is None else "unparseable Date"] = None
    return date


def _from(fields: Fields, encoding: str | None, defects: dict[str, None]) -> Address:
    values = _values(fields, "from")
    from_list = parse_addresses(values, encoding)
    if from_list and ("@" not in from_list[0].addr or len(from_list) > 1) \
            and (mended := _unquoted_name(values, encoding)) is not None:
        defects["unquoted comma or address in the From display name"] = None
        return mended
    if len(from_list) > 1:
        defects["more than one From address; the first is used"] = None
    if from_list and from_list[0].addr:
        return from_list[0]
    defects["missing or unparseable From"] = None
    return Address("")


# `From: Wijaya, Stefanus <s@x>`: an address book's "Last, First" sent without the quotes
# RFC 5322 wants; read as one name and one address, not as a list whose first is no address.
# So is `From: Budi budi@vendor.co.id <budi@vendor.co.id>` (some web forms) and a name that
# is someone else's address, `staff1@lpse.test <sari@x>`: mail clients and the receiving
# server's DMARC check read the address in angle brackets, and so must mailbot (SPEC 1, 9).
# The name is what stands before the first "<", blanks at its end aside; the comma (or "@") is
# checked by a lookahead once. `[^...]*,[^...]*?\s*` tried every comma with every end and every
# split of the blanks: a From of 2,000 ", " and 2,000 blanks (6.5 KB) took 65 s.
_UNQUOTED_NAME = re.compile(r"(?=[^\"<>@]*,)((?:[^\"<>@]*[^\"<>@\s])?)\s*(<[^<>\s@]+@[^<>\s]+>)\s*")
_ADDRESS_AS_NAME = re.compile(r"(?=[^\"<>,]*@)((?:[^\"<>,]*[^\"<>,\s])?)\s*(<[^<>\s@]+@[^<>\s]+>)\s*")


def _unquoted_name(values: list[str], encoding: str | None) -> Address | None:
    value = values[0].strip() if len(values) == 1 else ""
    match = _UNQUOTED_NAME.fullmatch(value) or _ADDRESS_AS_NAME.fullmatch(value)
    if match is None:
        return None
    name = match.group(1).strip().replace("\\", "\\\\").replace('"', '\\"')
    found = parse_addresses([f'"{name}" {match.group(2)}'], encoding)
    return found[0] if len(found) == 1 and "@" in found[0].addr else None


def _bounced(msg: Message, found: list[Leaf], headers: dict[str, str], body: Body, mid: str) -> tuple[str, ...]:
    """The Message-IDs a possible bounce quotes, its own aside.

    A human-looking mail whose subject reads like a bounce, or that carries a
    delivery-status part (a gateway's report in a multipart/mixed, or a person's forwarded
    bounce), keeps the Message-IDs it quotes: the daemon takes it for a bounce only if one
    of them is mailbot's own."""
    if not (body.is_bounce or bounce_subject(headers.get("subject", ""))
            or any(leaf.ctype in DSN_PARTS for leaf in found)):
        return ()
    return tuple(i for i in bounced_ids(msg, found, body.text) if i != mid)


def _delivery(found: list[Leaf], body: Body, ours: tuple[str, ...]) -> DeliveryReport | None:
    """What a bounce says of the delivery (`auto.delivery_report`); None for other mail.
    `ours`: the ids of the returned mail and the report's own recipients."""
    if not body.is_bounce:
        return None
    reports = [part_text(leaf.part, {}) for leaf in found if leaf.ctype in DSN_PARTS]
    returned = carried(found)
    return delivery_report(reports, body.text, ours, returned[1] if returned else ())


def _precedence_only(headers: dict[str, str], body: Body) -> bool:
    """Whether only list headers or Precedence make the mail automatic: no other sign of a
    machine, no bounce (a ticket system's agent answers with `Precedence: bulk`)."""
    reason = body.auto_reason
    return reason is not None and automatic_reason(headers, heed_lists=False) is None and not body.is_bounce \
        and (reason.startswith(("precedence", "list")) or reason in _LIST_REASONS)


def _add_library_defects(msg: Message, defects: dict[str, None]) -> None:
    """The defects the email package noted on any part, by their class name."""
    for part in msg.walk():
        for defect in getattr(part, "defects", []):
            defects[type(defect).__name__] = None


# The header fields that say what a message is; trace fields (Received, Return-Path,
# Delivered-To, Authentication-Results, X-...) change on every path and are left out.
_CONTENT_FIELDS = frozenset({
    b"from", b"sender", b"reply-to", b"to", b"cc", b"subject", b"date", b"message-id", b"in-reply-to",
    b"references", b"mime-version", b"content-type", b"content-transfer-encoding",
})
_FIELD = re.compile(rb"^([\x21-\x39\x3b-\x7e]{1,200}):[ \t]*(.*(?:\n[ \t].*)*)", re.MULTILINE)
_HASH_PIECE = 1 << 20
_LEADING_BREAKS = re.compile(rb"(?:\r\n|\r|\n)*")
_BLANK_LINE = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")  # two line ends, as LF reads them


def content_hash(raw: bytes) -> str:
    """A digest of what a message says: its content fields and body, line endings aside.

    Two copies of one message (a reply-all that also reached us in Cc, a redelivery)
    hash the same; a different message that reuses a known Message-ID does not. The
    digest is that of the message with every CRLF and lone CR read as LF, leading line
    ends and the body's trailing blanks left out; the body is hashed a piece at a
    time, so a 20 MB message costs no copy of itself.
    """
    start = _LEADING_BREAKS.match(raw).end()  # type: ignore[union-attr]  # matches the empty string
    blank = _BLANK_LINE.search(raw, start)
    head_end, body_start = (blank.start(), blank.end()) if blank else (len(raw), len(raw))
    head = _normal_breaks(raw[start:head_end])
    digest = hashlib.sha256()
    for match in _FIELD.finditer(head):
        name = match.group(1).lower()
        if name in _CONTENT_FIELDS:
            digest.update(name + b":" + b" ".join(match.group(2).split()) + b"\n")
    digest.update(b"\n")
    end = _rstripped_end(raw, body_start)
    at = body_start
    while at < end:
        stop = raw.find(b"\n", min(at + _HASH_PIECE, end) - 1, end)  # pieces end after a LF: no CRLF is split
        stop = end if stop < 0 else stop + 1
        digest.update(_normal_breaks(raw[at:stop]))
        at = stop
    return digest.hexdigest()


def _normal_breaks(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _rstripped_end(raw: bytes, floor: int) -> int:
    """Where `raw` ends without its trailing blanks (what bytes.rstrip keeps), not below `floor`."""
    end = len(raw)
    while end > floor and raw[end - 1] in b" \t\n\r\x0b\x0c":
        end -= 1
    return end
