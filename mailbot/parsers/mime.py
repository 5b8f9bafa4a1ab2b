"""Raw RFC 5322 bytes in, one frozen `InboundMessage` out.

This is the only place that looks inside `email.message.Message`. We parse with the
`compat32` policy because it never raises on broken structure and keeps raw header
text, then decode everything ourselves (see `headers` and `charsets`), so one odd
message degrades to notes in `defects` instead of stopping the mailbox. Only input
that is not a mail at all, or breaks the size caps of SPEC section 9, raises
`BadMessageError`, which the daemon turns into Quarantine.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.message
import email.utils
import hashlib
import io
import itertools
import mimetypes
import quopri
import re
import secrets
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.feedparser import BytesFeedParser
from email.generator import BytesGenerator
from email.policy import compat32

from mailbot.core.model import SYNTHETIC_ID_DOMAIN, Address, Attachment, InboundMessage
from mailbot.errors import BadMessageError, RefusedMessageError
from mailbot.parsers.auto import (
    automatic_reason,
    bounce_reason,
    bounce_subject,
    delivery_report,
    dsn_fields,
    evidence_bounce,
)
from mailbot.parsers.charsets import WEAK_CHARSETS, codec_for, decode_bytes, guess_charset
from mailbot.parsers.flowed import unflow
from mailbot.parsers.headers import (
    angle_addr,
    decode_words,
    header_text,
    message_id,
    message_ids,
    parse_addresses,
    parse_date,
    raw_to_text,
    unfold,
)
from mailbot.parsers.html import html_to_text
from mailbot.parsers.names import extension_for, safe_filename
from mailbot.parsers.quotes import new_text, quoted_parties
from mailbot.parsers.tnef import is_tnef, opened, too_much

Message = email.message.Message

MAX_DEPTH = 30  # MIME nesting we follow; deeper parts are dropped with a defect
MAX_PARTS = 500  # MIME parts in one message (SPEC 9: one crafted message must not eat the memory)
MAX_MULTIPARTS = 100  # distinct multipart boundaries, and embedded messages, in one message
MAX_ATTACHMENTS = 100  # attachments in one message
MAX_HTML_CHARS = 4_000_000  # an HTML body converted to text (peak ~30x its size in the converter)
UNPARSEABLE = "parser failed on this message"

# Header fields of which at least one must be present for input to count as mail.
_MAIL_FIELDS = frozenset(
    {
        "from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
        "mime-version", "content-type", "sender", "reply-to", "delivered-to",
        "in-reply-to", "references", "x-mailer",
    }
)  # fmt: skip
_HEADER_LINE = re.compile(rb"^(?:From |[\x21-\x39\x3b-\x7e]{1,200}[ \t]*:)")
_FIELD_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]{1,200}:")
_OBS_NAME = re.compile(rb"(?m)^([\x21-\x39\x3b-\x7e]{1,200})[ \t]+:")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_DOUBLED_CR = re.compile(rb"[^\r\n]*\r\r\n")  # the first line ends CR CR LF
_REPORT_PARTS = frozenset(
    {
        "message/delivery-status", "message/global-delivery-status",
        "text/rfc822-headers", "message/rfc822-headers",
        "message/disposition-notification", "message/feedback-report",
    }
)  # fmt: skip
_EMBEDDED = frozenset({"message/rfc822", "message/global"})
# The scans of the raw bytes look for a literal first, which the regex engine finds fast
# (a case-insensitive or line-anchored pattern is tried at every byte: 2.4 ms of a
# 130 KB message against 0.3): names on a lowered copy, line starts after a line feed.
_CONTENT_TYPE = re.compile(rb"\ncontent-type:[^\n]*(?:\n[ \t][^\n]*)*")  # lowered; a field and its folds
_CONTENT_TYPE_FIRST = re.compile(rb"content-type:[^\n]*(?:\n[ \t][^\n]*)*")  # lowered
_DELIMITER = re.compile(rb"\n--([^\r\n]{1,210})")
_DELIMITER_FIRST = re.compile(rb"--([^\r\n]{1,210})")
_EMBEDDED_TYPE = re.compile(rb"\ncontent-type:[ \t]*message/(?:rfc822|global)\b")  # lowered
_EMBEDDED_FIRST = re.compile(rb"content-type:[ \t]*message/(?:rfc822|global)\b")  # lowered
_BODY_MSGID = re.compile(
    r"^[ \t>]*(?:x-)?(?:original-)?message-id[ \t]*:[ \t]*(<[^<>\r\n]{1,998}>|[^\s<>]{1,998}@[^\s<>]{1,998})",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class _Leaf:
    """One leaf of the MIME tree and where it sits."""

    part: Message
    ctype: str
    in_report: bool
    in_alternative: bool = False  # inside a multipart/alternative: another rendering of the body


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
    data, notes = _check_and_normalise(raw, max_header_bytes, max_size)
    boundaries = _check_structure(data, max_parts)
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


def _check_and_normalise(
    raw: bytes, max_header_bytes: int, max_size: int
) -> tuple[bytes, list[str]]:
    """Apply the caps of SPEC section 9, normalise line endings, mend the header block.

    Returns the bytes to parse and notes on what was mended.
    """
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise BadMessageError(f"message is {type(raw).__name__}, not bytes")
    notes: list[str] = []
    data = raw if isinstance(raw, bytes) else bytes(raw)  # no copy of a large message for nothing
    if len(data) > max_size:
        raise RefusedMessageError(f"message is {len(data)} bytes, over the {max_size}-byte limit", "too_large")
    if not data.strip():
        raise BadMessageError("message is empty")
    if b"\n" not in data and b"\r" in data:
        data = data.replace(b"\r", b"\n")  # classic Mac line endings
    elif _DOUBLED_CR.match(data):
        # CRLF written through something that added CR again: every line ends CR CR LF
        data = data.replace(b"\r\r\n", b"\r\n")
    if data.count(b"\r") != data.count(b"\r\n"):
        # Mixed: keep CRLF, turn lone CRs into LF so header lines are found.
        data = re.sub(rb"\r(?!\n)", b"\n", data)
    data = data.lstrip(b"\r\n")
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark: a file saved by a Windows editor
        data = data[3:]
        notes.append("byte order mark before the header dropped")
    if not _HEADER_LINE.match(data):
        data = _drop_leading_lines(data, notes)
    if _LOOSE_PARAMETER.search(data):
        data = _indent_parameters(data, notes)
    end = _HEADER_END.search(data)
    header_len = end.start() if end else len(data)
    if header_len > max_header_bytes:
        raise BadMessageError(f"header block is over {max_header_bytes} bytes ({header_len} bytes)")
    if not _HEADER_LINE.match(data):
        raise BadMessageError("no header fields at the start; not a mail message")
    head, mended = _mend_header_block(data[:header_len])
    notes += mended
    if head == data[:header_len]:
        return data, notes
    return head + data[header_len:], notes


_MARKER_LINE = re.compile(rb"[^\n]{0,200}\n")
_MAX_MARKER_LINES = 3


def _drop_leading_lines(data: bytes, notes: list[str]) -> bytes:
    """A message saved with a line of its own above the header block (a separator such as
    "=====", an archive's ">From " or "Microsoft Mail Internet Headers Version 2.0"):
    up to three such lines are dropped when two mail fields follow them, so the header
    block is read instead of the whole message being refused."""
    rest = data
    for count in range(1, _MAX_MARKER_LINES + 1):
        line = _MARKER_LINE.match(rest)
        if line is None:
            break
        rest = rest[line.end() :]
        end = _HEADER_END.search(rest)
        head = rest[: end.start() if end else len(rest)]
        fields = {m.group(1).lower().decode() for m in _LEADING_FIELDS.finditer(head)}
        if _FIELD_LINE.match(rest) and len(fields & _MAIL_FIELDS) >= 2:
            notes.append(f"{count} line(s) before the header block dropped")
            return rest
    return data


_LEADING_FIELDS = re.compile(rb"(?m)^([A-Za-z][A-Za-z0-9-]{0,60})[ \t]*:")
# A MIME parameter on a line of its own after a Content-Type or Content-Disposition field
# that ends in ";", not indented as a continuation must be: some senders write
# `Content-Type: multipart/mixed;` and `boundary="x"` at the line start, which a reader
# takes for the end of the field (and the boundary is lost with the whole structure).
_PARAMETER = rb"(?:boundary|charset|name|filename|format|delsp|type|start|micalg|protocol|report-type|method|reply-type)"
_LOOSE_PARAMETER = re.compile(rb"(?im)^content-(?:type|disposition):[^\n]*;[ \t]*\r?\n" + _PARAMETER + rb"\*?[0-9]*\*?[ \t]*=")
_PARAMETER_LINE = re.compile(_PARAMETER + rb"\*?[0-9]*\*?[ \t]*=", re.IGNORECASE)
_PARAMETER_FIELD = re.compile(rb"content-(?:type|disposition):", re.IGNORECASE)


def _indent_parameters(data: bytes, notes: list[str]) -> bytes:
    """Indent the MIME parameters written at the line start under a field ending in ";"."""
    lines = data.split(b"\n")
    open_field = False
    mended = 0
    for i, line in enumerate(lines):
        if open_field and _PARAMETER_LINE.match(line):
            lines[i] = line = b" " + line
            mended += 1
        if _PARAMETER_FIELD.match(line) or (open_field and line[:1] in (b" ", b"\t")):
            open_field = line.rstrip().endswith(b";")
        else:
            open_field = False
    if not mended:
        return data
    notes.append(f"{mended} MIME parameter(s) at a line start indented")
    return b"\n".join(lines)


# The header fields that say what a message is; trace fields (Received, Return-Path,
# Delivered-To, Authentication-Results, X-...) change on every path and are left out.
_CONTENT_FIELDS = frozenset({
    b"from", b"sender", b"reply-to", b"to", b"cc", b"subject", b"date", b"message-id", b"in-reply-to",
    b"references", b"mime-version", b"content-type", b"content-transfer-encoding",
})
_FIELD = re.compile(rb"^([\x21-\x39\x3b-\x7e]{1,200}):[ \t]*(.*(?:\n[ \t].*)*)", re.MULTILINE)


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


_HASH_PIECE = 1 << 20
_LEADING_BREAKS = re.compile(rb"(?:\r\n|\r|\n)*")
_BLANK_LINE = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")  # two line ends, as LF reads them


def _normal_breaks(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _rstripped_end(raw: bytes, floor: int) -> int:
    """Where `raw` ends without its trailing blanks (what bytes.rstrip keeps), not below `floor`."""
    end = len(raw)
    while end > floor and raw[end - 1] in b" \t\n\r\x0b\x0c":
        end -= 1
    return end


def _boundaries(lowered: bytes, data: bytes) -> set[bytes]:
    """Every multipart boundary the message declares, read as the parser will read it.

    Each multipart Content-Type field found in the lowered bytes is read from the bytes
    by the email package itself, so that every spelling the parser honours (RFC 2231
    `boundary*=us-ascii''B`, continuations, quoted pairs, text after a token) is seen:
    a boundary the count missed would let any number of parts through.
    """
    first = _CONTENT_TYPE_FIRST.match(lowered)
    fields = itertools.chain([first] if first else [], _CONTENT_TYPE.finditer(lowered))
    found = set()
    multiparts = 0
    for match in fields:
        if b"multipart" not in match.group(0):
            continue
        multiparts += 1
        if multiparts > MAX_MULTIPARTS:
            raise RefusedMessageError(f"message has more than {MAX_MULTIPARTS} multiparts", "too_complex")
        field = data[match.start():match.end()].lstrip(b"\n")
        boundary = email.message_from_bytes(field + b"\n\n", policy=compat32).get_boundary()
        if boundary and boundary.isascii():  # another is decoded from RFC 2231: no line of bytes matches it
            found.add(boundary.encode("ascii"))
    return found


def _delimiters(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(where the line starts, where its text ends, the text after "--") of every line
    that starts with "--", in order."""
    first = _DELIMITER_FIRST.match(data)
    if first is not None:
        yield 0, first.end(), first.group(1)
    for match in _DELIMITER.finditer(data):
        yield match.start() + 1, match.end(), match.group(1)


def _check_structure(data: bytes, max_parts: int) -> set[bytes]:
    """Count MIME parts and nested structures on the raw bytes, before parsing them;
    the boundaries the message declares."""
    lowered = data.lower()
    boundaries = _boundaries(lowered, data)
    embedded = len(_EMBEDDED_TYPE.findall(lowered)) + (1 if _EMBEDDED_FIRST.match(lowered) else 0)
    if len(boundaries) > MAX_MULTIPARTS or embedded > MAX_MULTIPARTS:
        raise RefusedMessageError(
            f"message has {len(boundaries)} multiparts and {embedded} embedded messages, over the limit of "
            f"{MAX_MULTIPARTS}", "too_complex")
    parts = 0
    for _, _, text in _delimiters(data):
        if text.rstrip(b" \t") in boundaries:  # a delimiter opens a part; the close delimiter ends in "--"
            parts += 1
            if parts > max_parts:
                raise RefusedMessageError(f"message has more than {max_parts} MIME parts", "too_complex")
    return boundaries


def _mend_header_block(head: bytes) -> tuple[bytes, list[str]]:
    """Make a sloppy header block parseable without losing the fields after a bad line.

    RFC 5322 obsolete syntax allows blanks before the colon (`Subject  : x`), which the
    email package rejects; we close the gap. A line that is neither a field nor a
    continuation would end the header block there, so it is dropped when real fields
    follow it; when none follow it is where the body starts, as the parser assumes.
    """
    notes: list[str] = []
    if _OBS_NAME.search(head):
        head = _OBS_NAME.sub(rb"\1:", head)
        notes.append("blank before a header colon (obsolete syntax)")
    lines = head.splitlines(keepends=True)
    is_field = [bool(_FIELD_LINE.match(line)) for line in lines]
    kept: list[bytes] = []
    for i, line in enumerate(lines):
        bad = (
            not is_field[i]
            and not line[:1] in (b" ", b"\t")
            and not (i == 0 and line.startswith(b"From "))
        )
        if bad and any(is_field[i + 1 :]):
            notes.append("malformed header line dropped")
            continue
        kept.append(line)
    return b"".join(kept), notes


def _fields(msg: Message) -> list[tuple[str, str]]:
    """All header fields of `msg` as (lower-case name, raw value), top first."""
    result: list[tuple[str, str]] = []
    for name, value in msg.raw_items():
        result.append((str(name).strip().lower(), str(value)))
    return result


def _values(fields: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in fields if key == name]


def _first(fields: list[tuple[str, str]], name: str) -> str | None:
    for key, value in fields:
        if key == name:
            return value
    return None


def _header_map(fields: list[tuple[str, str]], charset: str | None) -> dict[str, str]:
    """Lower-case name -> decoded topmost value, the shape `automatic_reason` reads."""
    mapping: dict[str, str] = {}
    for key, value in fields:
        if key not in mapping:
            mapping[key] = header_text(value, charset)
    return mapping


def _tree(data: bytes) -> Message:
    """The parsed tree, fed in chunks: what `message_from_bytes` builds, without its
    copy of the whole message as text (which costs ~5x the message's size at once)."""
    parser = BytesFeedParser(policy=compat32)
    view = memoryview(data)
    for start in range(0, len(data), _CHUNK):
        parser.feed(view[start:start + _CHUNK].tobytes())
    return parser.close()


_CHUNK = 1 << 16


def _build(raw: bytes, data: bytes, notes: list[str], boundaries: set[bytes]) -> InboundMessage:
    skeleton, lifted = _lift(data, boundaries)
    reset = _LIFTED.set(lifted)
    try:
        return _read(raw, _tree(skeleton), notes)
    finally:
        _LIFTED.reset(reset)


# --- big base64 bodies: decoded from the bytes, not through the parser's lines -----------

LIFT_FROM = 128 * 1024  # base64 bodies from this size are lifted out before the tree is built


@dataclass(frozen=True)
class _Lifted:
    """A part body cut out of the message bytes: `source[start:end]`."""

    source: bytes
    start: int
    end: int


_LIFTED: ContextVar[dict[str, _Lifted]] = ContextVar("lifted", default={})  # noqa: B039 - never mutated
_BASE64_FIELD = re.compile(rb"^content-transfer-encoding:[ \t]*\"?base64\b", re.IGNORECASE | re.MULTILINE)


def _lift(data: bytes, boundaries: set[bytes]) -> tuple[bytes, dict[str, _Lifted]]:
    """The message with every big base64 part body replaced by a token line, and the bodies.

    The parser would hold such a body as one text line per 76 bytes and join them (about
    three times the body's size at once); decoded straight from the bytes it costs its
    decoded size. Only a body that sits between two delimiter lines of a declared
    boundary, right after a part header that says base64, is lifted; anything else is
    left to the parser as it is.
    """
    if len(data) < LIFT_FROM:
        return data, {}
    lines = [(start, end, text.rstrip(b" \t")) for start, end, text in _delimiters(data)
             if text.rstrip(b" \t") in boundaries or text.rstrip(b" \t")[:-2] in boundaries]
    pieces: list[bytes] = []
    lifted: dict[str, _Lifted] = {}
    at = 0
    for (_, line_end, text), (after, _, _) in itertools.pairwise(lines):
        if text not in boundaries:
            continue  # a close delimiter: what follows is an epilogue, not a part
        head_end = _HEADER_END.search(data, line_end, after)
        if head_end is None or not _BASE64_FIELD.search(data, line_end, head_end.start()):
            continue
        start = head_end.end()
        end = after - (2 if data[after - 2:after] == b"\r\n" else 1)
        if end - start < LIFT_FROM:
            continue
        token = f"mailbot-lifted-{secrets.token_hex(12)}"
        pieces += [data[at:start], token.encode("ascii")]
        lifted[token] = _Lifted(data, start, end)
        at = end
    if not lifted:
        return data, {}
    pieces.append(data[at:])
    return b"".join(pieces), lifted


def _lifted_bytes(text: str) -> bytes | None:
    """The decoded body a token stands for, or None when `text` is no token of ours."""
    lifted = _LIFTED.get().get(text.strip()) if text.startswith("mailbot-lifted-") else None
    return None if lifted is None else _lenient_b64(lifted.source, lifted.start, lifted.end)


def _restored(flat: bytes) -> bytes:
    """Bytes of an embedded message with the lifted bodies back in place of their tokens."""
    for token, lifted in _LIFTED.get().items():
        key = token.encode("ascii")
        if key in flat:
            flat = flat.replace(key, lifted.source[lifted.start:lifted.end])
    return flat


def _read(raw: bytes, msg: Message, notes: list[str]) -> InboundMessage:
    fields = _fields(msg)
    if not any(key in _MAIL_FIELDS for key, _ in fields):
        raise BadMessageError("no mail header fields (From, To, Subject, Date, ...)")
    defects: dict[str, None] = dict.fromkeys(notes)
    charset = _charset(msg) or _text_charset(msg)
    if codec_for(charset) in (None, *WEAK_CHARSETS):
        charset = _raw_header_charset(fields) or charset
    headers = _header_map(fields, charset)

    mid, synthetic = _message_id(fields, raw, defects)
    from_addr = _from(fields, charset, defects)
    date_value = _first(fields, "date")
    date = parse_date(date_value)
    if date is None:
        defects["missing Date" if date_value is None else "unparseable Date"] = None

    leaves = list(_leaves(msg, 0, False, defects))
    text, attachments, auto_reason, is_bounce = _body_and_kind(leaves, headers, defects, from_addr.addr)
    bounced: tuple[str, ...] = ()
    # A human-looking mail whose subject reads like a bounce, or that carries a
    # delivery-status part (a gateway's report in a multipart/mixed, or a person's forwarded
    # bounce), keeps the Message-IDs it quotes: the daemon takes it for a bounce only if one
    # of them is mailbot's own.
    if is_bounce or bounce_subject(headers.get("subject", "")) or any(leaf.ctype in _DSN_PARTS for leaf in leaves):
        bounced = tuple(i for i in _bounced_ids(msg, leaves, text) if i != mid)
    reports = [_part_text(leaf.part, {}) for leaf in leaves if leaf.ctype in _DSN_PARTS]
    ours = (*bounced, *(a.addr for a in parse_addresses(_values(fields, "to"), charset)))
    delivery = delivery_report(reports, text, ours) if is_bounce else None
    precedence_only = auto_reason is not None and automatic_reason(headers, heed_lists=False) is None \
        and not is_bounce and (auto_reason.startswith(("precedence", "list"))
                               or auto_reason in ("mailing-list", "x-mailing-list", "x-mlserver", "x-ml-name"))

    for part in msg.walk():
        for defect in getattr(part, "defects", []):
            defects[type(defect).__name__] = None

    return InboundMessage(
        message_id=mid,
        synthetic_id=synthetic,
        from_addr=from_addr,
        to=parse_addresses(_values(fields, "to"), charset),
        cc=parse_addresses(_values(fields, "cc"), charset),
        reply_to=parse_addresses(_values(fields, "reply-to"), charset),
        subject=headers.get("subject", ""),
        date=date,
        in_reply_to=message_ids(_values(fields, "in-reply-to")),
        references=message_ids(_values(fields, "references")),
        text=text,
        new_text=new_text(text),
        attachments=attachments,
        auto_reason=auto_reason,
        is_bounce=is_bounce,
        bounced_ids=bounced,
        delivery=delivery,
        precedence_only=precedence_only,
        auth_results=tuple(
            header_text(v, charset) for v in _values(fields, "authentication-results")
        ),
        return_path=angle_addr(_first(fields, "return-path")),
        size=len(raw),
        defects=tuple(defects),
        sealed="" if text.strip() else _sealed(leaves),
    )


# Parts whose content only the recipient's key opens (S/MIME enveloped or opaque-signed
# data, RFC 8551; OpenPGP/MIME, RFC 3156): a mail of nothing else has no text to read.
_SEALED = {"application/pkcs7-mime": "S/MIME", "application/x-pkcs7-mime": "S/MIME",
           "application/pgp-encrypted": "OpenPGP"}


def _sealed(leaves: list[_Leaf]) -> str:
    return next((_SEALED[leaf.ctype] for leaf in leaves if leaf.ctype in _SEALED), "")


def _message_id(fields: list[tuple[str, str]], raw: bytes, defects: dict[str, None]) -> tuple[str, bool]:
    """The Message-ID, or a stable synthetic one made from the bytes when it is missing."""
    mid = message_id(_first(fields, "message-id"))
    if mid is not None:
        return mid, False
    defects["missing or unusable Message-ID"] = None
    return synthetic_message_id(raw), True


def synthetic_message_id(raw: bytes) -> str:
    """The stable id of a message that has no usable Message-ID: made from all its bytes."""
    return f"synthetic-{hashlib.sha256(raw).hexdigest()[:32]}@{SYNTHETIC_ID_DOMAIN}"


def _from(fields: list[tuple[str, str]], charset: str | None, defects: dict[str, None]) -> Address:
    values = _values(fields, "from")
    from_list = parse_addresses(values, charset)
    if from_list and ("@" not in from_list[0].addr or len(from_list) > 1) \
            and (mended := _unquoted_name(values, charset)) is not None:
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
_UNQUOTED_NAME = re.compile(r"([^\"<>@]*,[^\"<>@]*?)\s*(<[^<>\s@]+@[^<>\s]+>)\s*")
_ADDRESS_AS_NAME = re.compile(r"([^\"<>,]*@[^\"<>,]*?)\s*(<[^<>\s@]+@[^<>\s]+>)\s*")


def _unquoted_name(values: list[str], charset: str | None) -> Address | None:
    value = values[0].strip() if len(values) == 1 else ""
    match = _UNQUOTED_NAME.fullmatch(value) or _ADDRESS_AS_NAME.fullmatch(value)
    if match is None:
        return None
    name = match.group(1).strip().replace("\\", "\\\\").replace('"', '\\"')
    found = parse_addresses([f'"{name}" {match.group(2)}'], charset)
    return found[0] if len(found) == 1 and "@" in found[0].addr else None


_DSN_PARTS = ("message/delivery-status", "message/global-delivery-status")


def _body_and_kind(leaves: list[_Leaf], headers: dict[str, str], defects: dict[str, None],
                   sender: str = "") -> tuple[str, tuple[Attachment, ...], str | None, bool]:
    """Body, attachments, and whether (and why) the message is automatic or a bounce (SPEC 5).

    `sender`: the From address, empty when there is none."""
    # A delivery report is a multipart/report (RFC 3464). Some gateways (McAfee, OpenSMTPD)
    # put the delivery-status part in a multipart/mixed, from MAILER-DAEMON or from no
    # address at all; a person's mail that carries one among its attachments (a forwarded
    # bounce: "my mail to the pokja keeps failing") is a complaint, not a bounce.
    is_bounce = bounce_reason(headers) is not None or any(
        leaf.ctype in _DSN_PARTS
        and (leaf.in_report or len(leaves) == 1 or not sender) for leaf in leaves)
    auto_reason = automatic_reason(headers)
    if auto_reason is None and is_bounce:
        auto_reason = "bounce: delivery-status part"
    text, attachments = _body_and_attachments(leaves, is_bounce, defects)
    if auto_reason is None and dsn_fields(text):
        is_bounce, auto_reason = True, "bounce: DSN fields"
    if auto_reason is None:
        copy = any(leaf.ctype in _EMBEDDED or leaf.ctype in _REPORT_PARTS for leaf in leaves)
        auto_reason = evidence_bounce(headers, text, copy, _carried(leaves) if copy else None)
        is_bounce = auto_reason is not None and auto_reason.startswith("bounce")
        if is_bounce:  # the returned mail is no file of the sender's, as in any bounce
            text, attachments = _body_and_attachments(leaves, True, defects)
    return text, attachments, auto_reason, is_bounce


def _carried(leaves: list[_Leaf]) -> tuple[frozenset[str], frozenset[str]] | None:
    """The sender and recipients of the first mail a message attaches (message/rfc822) or
    returns as headers (text/rfc822-headers): what `auto.returns_a_mail` weighs."""
    for leaf in leaves:
        head = ""
        if leaf.ctype in _EMBEDDED:
            payload = leaf.part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                head = "\n".join(f"{name}: {header_text(str(value))}" for name, value in inner.raw_items())
        elif leaf.ctype in ("text/rfc822-headers", "message/rfc822-headers"):
            head = _part_text(leaf.part, {})
        found = quoted_parties(head) if head else (frozenset(), frozenset())
        if found[0] and found[1]:
            return found
    return None


def _charset(part: Message) -> str | None:
    """The declared charset of a part, tolerant of RFC 2231 and junk parameters."""
    try:
        value = part.get_content_charset(None)
    except (ValueError, TypeError, LookupError, UnicodeError):
        return None
    return str(value) if value else None


def _raw_header_charset(fields: list[tuple[str, str]]) -> str | None:
    """The charset all raw 8-bit header values of a message read best in, guessed on them
    together (`guess_charset`); None when every header is ASCII or valid UTF-8."""
    raw = b"\n".join(v.encode("utf-8", "surrogateescape") for _, v in fields if not v.isascii())
    charset = guess_charset(raw) if raw else None
    return None if charset == "utf-8" else charset


def _text_charset(msg: Message) -> str | None:
    """The charset of the first text part: what an old client wrote raw 8-bit headers in."""
    for count, part in enumerate(msg.walk()):
        if count > 50:
            break
        if not part.is_multipart() and _ctype(part).startswith("text/"):
            return _charset(part)
    return None


def _ctype(part: Message) -> str:
    try:
        return str(part.get_content_type()).lower()
    except (ValueError, TypeError, IndexError, AttributeError):
        return "text/plain"


def _leaves(
    part: Message, depth: int, in_report: bool, defects: dict[str, None], in_alternative: bool = False
) -> Iterator[_Leaf]:
    """The leaves of the MIME tree in order, not descending into attached messages."""
    ctype = _ctype(part)
    if depth > MAX_DEPTH:
        defects[f"MIME nesting deeper than {MAX_DEPTH}; inner parts dropped"] = None
        return
    if ctype in _EMBEDDED or ctype in _REPORT_PARTS or not part.is_multipart():
        yield _Leaf(part, ctype, in_report, in_alternative)
        return
    payload = part.get_payload()
    if not isinstance(payload, list):  # pragma: no cover - is_multipart() guards this
        yield _Leaf(part, ctype, in_report, in_alternative)
        return
    child_report = in_report or ctype == "multipart/report"
    child_alternative = in_alternative or ctype == "multipart/alternative"
    for child in payload:
        if isinstance(child, Message):
            yield from _leaves(child, depth + 1, child_report, defects, child_alternative)


def _flatten(msg: Message) -> bytes:
    """The bytes of an embedded message, as close to the original as we can get."""
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=compat32).flatten(msg)
        return _restored(buffer.getvalue())
    except (
        ValueError,
        TypeError,
        UnicodeError,
        LookupError,
        AttributeError,
        KeyError,
        HeaderParseError,
    ):
        return _restored(_serialise(msg, 0).encode("utf-8", "surrogateescape"))


def _serialise(msg: Message, depth: int) -> str:
    """Raw fields and bodies joined back together; used when the generator refuses."""
    head = "".join(f"{name}: {value}\n" for name, value in msg.raw_items())
    payload = _raw_payload(msg)
    if not isinstance(payload, list):
        return head + "\n" + (payload if isinstance(payload, str) else "")
    parts = [p for p in payload if isinstance(p, Message)] if depth < MAX_DEPTH else []
    boundary = _boundary(msg)
    if boundary is None:
        return head + "\n" + "".join(_serialise(p, depth + 1) for p in parts)
    body = "".join(f"--{boundary}\n{_serialise(p, depth + 1)}\n" for p in parts)
    return f"{head}\n{msg.preamble or ''}\n{body}--{boundary}--\n{msg.epilogue or ''}"


def _boundary(msg: Message) -> str | None:
    try:
        return msg.get_boundary()
    except (ValueError, TypeError, LookupError, UnicodeError):
        return None


def _lenient_b64(data: bytes, start: int = 0, end: int | None = None) -> bytes:
    """Decode base64 (`data[start:end]`) the way mail clients do: skip junk, mend padding,
    join chunks."""
    end = len(data) if end is None else end
    stop = end
    while stop > start and data[stop - 1] in b"= \t\r\n":
        stop -= 1
    if data.find(b"=", start, stop) < 0:  # the usual case, decoded without copies
        try:
            return binascii.a2b_base64(memoryview(data)[start:end])
        except (binascii.Error, ValueError):
            pass
    cleaned = re.sub(rb"[^A-Za-z0-9+/=]", b"", data[start:end])
    out = bytearray()
    for chunk in re.split(rb"=+", cleaned):
        if len(chunk) % 4 == 1:
            chunk = chunk[:-1]
        if not chunk:
            continue
        try:
            out.extend(base64.b64decode(chunk + b"=" * (-len(chunk) % 4)))
        except (binascii.Error, ValueError):
            continue
    return bytes(out)


def _raw_payload(part: Message) -> object:
    """The undecoded body as the parser stored it (8-bit bytes as surrogates).

    `get_payload()` would already decode 8-bit text with the declared charset and
    replace what does not fit; we want the bytes, to try our own charset chain.
    """
    return getattr(part, "_payload", None)  # compat32 has no public accessor for it


def _payload_bytes(part: Message, defects: dict[str, None]) -> bytes:
    """The decoded content of a leaf part (transfer encoding undone, charset not)."""
    payload = _raw_payload(part)
    if isinstance(payload, list):
        return b"".join(_flatten(m) for m in payload if isinstance(m, Message))
    if not isinstance(payload, str):
        return b""
    cte_raw = _raw_field(part, "content-transfer-encoding") or ""
    match = re.match(r"\s*([\w-]+)", cte_raw)
    cte = match.group(1).lower() if match else ""
    if cte == "base64":
        lifted = _lifted_bytes(payload)
        return lifted if lifted is not None else _lenient_b64(payload.encode("utf-8", "surrogateescape"))
    data = payload.encode("utf-8", "surrogateescape")
    if cte in ("quoted-printable", "qp"):
        return quopri.decodestring(data)
    if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
        try:
            decoded = part.get_payload(decode=True)
        except (ValueError, TypeError, UnicodeError):
            decoded = None
        if isinstance(decoded, bytes):
            return decoded
        defects["undecodable uuencoded part"] = None
        return data
    if cte not in ("", "7bit", "8bit", "binary", "7-bit", "8-bit", "8bits", "7bits"):
        defects[f"unknown Content-Transfer-Encoding {cte!r}; taken as 8bit"] = None
    return data


def _part_text(part: Message, defects: dict[str, None]) -> str:
    """The text of a text part, decoded from its (possibly lying) charset."""
    data = _payload_bytes(part, defects)
    text, note = decode_bytes(data, _charset(part))
    if note:
        defects[note] = None
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").lstrip("\ufeff")
    if _ctype(part) == "text/plain" and _param(part, "format") == "flowed":
        text = unflow(text, delsp=_param(part, "delsp") == "yes")
    return text


def _param(part: Message, name: str) -> str:
    """A Content-Type parameter, lower-cased; "" when absent or unreadable."""
    try:
        value = part.get_param(name, "")
    except (ValueError, TypeError, IndexError, LookupError, UnicodeError):
        return ""
    return value.strip().lower() if isinstance(value, str) else ""


def _disposition(part: Message) -> str:
    value = _raw_field(part, "content-disposition") or ""
    return value.split(";", 1)[0].strip().lower()


def _raw_field(part: Message, name: str) -> str | None:
    for key, value in part.raw_items():
        if str(key).lower() == name:
            return str(value)
    return None


def _filename(part: Message) -> str:
    """The attachment name from Content-Disposition or Content-Type, decoded.

    Parameters are read from the raw field turned into text first, so raw UTF-8 names
    survive; RFC 2231 (`filename*=utf-8''...`) and RFC 2047 (`=?utf-8?B?...?=`, not
    allowed there but common) are both decoded.
    """
    for field, param in (("content-disposition", "filename"), ("content-type", "name")):
        raw = _raw_field(part, field)
        if raw is None:
            continue
        holder = Message()
        holder[field] = unfold(raw_to_text(raw))
        try:
            value = holder.get_param(param, None, header=field)
        except (ValueError, TypeError, IndexError, LookupError, UnicodeError):
            continue
        if isinstance(value, tuple):
            charset, _, text = value
            value = decode_bytes(text.encode("latin-1", "replace"), charset or "utf-8")[0]
        if value:
            return decode_words(email.utils.unquote(str(value))).strip()
    return ""


# Outlook's plain-text alternative writes each inline picture of the HTML (a signature's
# logo, a pasted screenshot) as `[cid:image001.png@01DA3C5E.8B4F2A10]`: no text of the
# writer's, and relayed it reaches requesters as noise. A line left empty by it goes too.
_CID_MARKER = re.compile(r"(?m)^[ \t]*\[cid:[^\]\s]{1,300}\][ \t]*\n|\[cid:[^\]\s]{1,300}\]")


def _body_and_attachments(
    leaves: list[_Leaf], is_bounce: bool, defects: dict[str, None]
) -> tuple[str, tuple[Attachment, ...]]:
    """The body text (first inline text/plain, else converted HTML) and attachments."""
    plain: str | None = None
    html: str | None = None
    attachments: list[Attachment] = []
    for leaf in leaves:
        part, ctype = leaf.part, leaf.ctype
        if ctype in _REPORT_PARTS and (leaf.in_report or is_bounce):
            continue
        if _is_file(leaf, plain is not None, html is not None):
            if not (ctype in _EMBEDDED and is_bounce):  # a bounce's copy of our mail is no file of theirs
                attachments.append(_attachment(leaf, len(attachments), defects))
        elif ctype == "text/html":
            html = html if html is not None else _part_text(part, defects)
        elif plain is None and (ctype == "text/plain" or ctype.startswith("multipart/")):
            plain = _part_text(part, defects)
        elif plain is not None and ctype == "text/plain" and not leaf.in_alternative:
            # Apple Mail's text, pasted image, more text: sibling parts of one body
            plain = f"{plain.rstrip()}\n\n{_part_text(part, defects).strip()}"
    return _unwrapped_tnef(_chosen_text(plain, html).rstrip(), attachments)


def _unwrapped_tnef(text: str, attachments: list[Attachment]) -> tuple[str, tuple[Attachment, ...]]:
    """Outlook's winmail.dat replaced by the files inside it (and its text, where the mail
    had none of its own), so that recipients' mail clients can open them; one the decoder
    cannot read, or that holds neither, stays as it came."""
    files: list[Attachment] = []
    for item in attachments:
        crafted = too_much(item.data) if is_tnef(item.content_type, item.filename) else None
        if crafted is not None:
            raise RefusedMessageError(crafted, "too_complex")
        inside = opened(item.data) if is_tnef(item.content_type, item.filename) else None
        if inside is None or not (inside[0] or inside[1]):
            files.append(item)
            continue
        found, body = inside
        text = text or body
        for name, data in found:
            fallback = f"attachment-{len(files) + 1}"
            files.append(Attachment(safe_filename(name, fallback), _type_of(name), data))
    return text, tuple(files)


def _type_of(name: str) -> str:
    """A file's type by its name (TNEF carries no MIME type): octet-stream when unknown."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def _chosen_text(plain: str | None, html: str | None) -> str:
    """The plain text when it says anything (or is all there is), else the HTML's.

    An HTML body over `MAX_HTML_CHARS` is refused before it is parsed: the text a
    person writes is a small part of that, and the parser's memory grows with the
    body (SPEC 9: bounded memory per message, by design)."""
    if plain is not None and (plain.strip() or html is None):
        return _CID_MARKER.sub("", plain) if html is not None else plain
    if html is not None and len(html) > MAX_HTML_CHARS:
        raise RefusedMessageError(f"HTML body of {len(html)} characters, over the limit of {MAX_HTML_CHARS}",
                                  "too_complex")
    return html_to_text(html) if html is not None else ""


def _is_file(leaf: _Leaf, after_plain: bool, after_html: bool) -> bool:
    """A leaf that goes as a file: an attached message, a file (`_is_attachment`), or a
    named text part after the body of its type (a log attached inline)."""
    ctype = leaf.ctype
    if ctype in _EMBEDDED:
        return True
    after_body = ctype == "text/plain" and after_plain or ctype == "text/html" and after_html
    return (after_body and bool(_filename(leaf.part))) or _is_attachment(leaf.part, ctype, leaf.in_alternative)


def _attachment(leaf: _Leaf, count: int, defects: dict[str, None]) -> Attachment:
    """The leaf as the `count`+1-th file, named by its sender or after its kind."""
    if leaf.ctype in _EMBEDDED:
        fallback = "forwarded.eml" if not count else f"forwarded-{count + 1}.eml"
    else:
        fallback = f"attachment-{count + 1}{extension_for(leaf.ctype)}"
    return Attachment(safe_filename(_filename(leaf.part), fallback), leaf.ctype, _payload_bytes(leaf.part, defects))


def _is_attachment(part: Message, ctype: str, in_alternative: bool = False) -> bool:
    """A leaf that is a file rather than the body: by disposition, type, or a name on a non-body type.

    Other text types (a calendar invitation, a CSV, a contact card) are files even without
    a name, but for the renderings a client puts beside the body in a multipart/alternative
    (text/enriched, text/watch-html); an invitation's text/calendar sits there too and is one.
    """
    maintype = ctype.split("/", 1)[0]
    is_body_type = ctype in ("text/plain", "text/html") or maintype == "multipart"
    return (_disposition(part) == "attachment" or maintype not in ("text", "multipart")
            or (not is_body_type and (bool(_filename(part)) or not in_alternative or ctype == "text/calendar")))


def _bounced_ids(top: Message, leaves: list[_Leaf], body: str) -> list[str]:
    """Message-IDs of the original mail a bounce reports on, in order of discovery."""
    seen: dict[str, None] = {}
    texts: list[str] = []
    sink: dict[str, None] = {}
    for leaf in leaves:
        # Some MTAs paste the original headers as a part's own MIME headers.
        if leaf.part is not top:
            found = message_id(_raw_field(leaf.part, "message-id"))
            if found:
                seen.setdefault(found, None)
        if leaf.ctype in _EMBEDDED:
            payload = leaf.part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                found = message_id(_raw_field(inner, "message-id"))
                if found:
                    seen.setdefault(found, None)
            texts.append(_payload_bytes(leaf.part, sink).decode("utf-8", "replace"))
        elif leaf.ctype in _REPORT_PARTS or leaf.ctype.startswith("text/"):
            texts.append(_part_text(leaf.part, sink))
    texts.append(body)
    for text in texts:
        for match in _BODY_MSGID.finditer(text):
            found = message_id(match.group(1))
            if found and "@" in found:
                seen.setdefault(found, None)
    return list(seen)
