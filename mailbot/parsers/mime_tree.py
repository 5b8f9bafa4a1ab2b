"""The MIME tree: built from the bytes, walked to its leaves, its parts' fields read.

This and the other part readers are the only places that look inside
`email.message.Message`. The tree is parsed with the `compat32` policy because it never
raises on broken structure and keeps raw header text; every field a reader needs is read
here with the failures of a broken part caught, so one odd part degrades to a default
(text/plain, no charset, no name) instead of stopping the message.
"""

from __future__ import annotations

import email.message
import email.utils
from collections.abc import Iterator
from dataclasses import dataclass
from email.feedparser import BytesFeedParser
from email.policy import compat32

from mailbot.parsers.charsets import decode_bytes
from mailbot.parsers.headers import decode_words, raw_to_text, unfold

Message = email.message.Message

MAX_DEPTH = 30  # MIME nesting we follow; deeper parts are dropped with a defect
REPORT_PARTS = frozenset(
    {
        "message/delivery-status", "message/global-delivery-status",
        "text/rfc822-headers", "message/rfc822-headers",
        "message/disposition-notification", "message/feedback-report",
    }
)  # fmt: skip
DSN_PARTS = ("message/delivery-status", "message/global-delivery-status")
EMBEDDED = frozenset({"message/rfc822", "message/global"})
_CHUNK = 1 << 16
_PARAMETER_ERRORS = (ValueError, TypeError, IndexError, LookupError, UnicodeError)


@dataclass(frozen=True)
class Leaf:
    """One leaf of the MIME tree and where it sits."""

    part: Message
    ctype: str
    in_report: bool
    in_alternative: bool = False  # inside a multipart/alternative: another rendering of the body


def tree(data: bytes) -> Message:
    """The parsed tree, fed in chunks: what `message_from_bytes` builds, without its
    copy of the whole message as text (which costs ~5x the message's size at once)."""
    parser = BytesFeedParser(policy=compat32)
    view = memoryview(data)
    for start in range(0, len(data), _CHUNK):
        parser.feed(view[start:start + _CHUNK].tobytes())
    return parser.close()


def leaves(
    part: Message, depth: int, in_report: bool, defects: dict[str, None], in_alternative: bool = False
) -> Iterator[Leaf]:
    """The leaves of the MIME tree in order, not descending into attached messages."""
    kind = ctype(part)
    if depth > MAX_DEPTH:
        defects[f"MIME nesting deeper than {MAX_DEPTH}; inner parts dropped"] = None
        return
    if kind in EMBEDDED or kind in REPORT_PARTS or not part.is_multipart():
        yield Leaf(part, kind, in_report, in_alternative)
        return
    payload = part.get_payload()
    if not isinstance(payload, list):  # pragma: no cover - is_multipart() guards this
        yield Leaf(part, kind, in_report, in_alternative)
        return
    child_report = in_report or kind == "multipart/report"
    child_alternative = in_alternative or kind == "multipart/alternative"
    for child in payload:
        if isinstance(child, Message):
            yield from leaves(child, depth + 1, child_report, defects, child_alternative)


def inner_message(part: Message) -> Message | None:
    """The message an embedded part (message/rfc822) carries, when the parser read one."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    return inner if isinstance(inner, Message) else None


def ctype(part: Message) -> str:
    """The part's content type, lower case; text/plain when it cannot be read."""
    try:
        return str(part.get_content_type()).lower()
    except (ValueError, TypeError, IndexError, AttributeError):
        return "text/plain"


def charset(part: Message) -> str | None:
    """The declared charset of a part, tolerant of RFC 2231 and junk parameters."""
    try:
        value = part.get_content_charset(None)
    except (ValueError, TypeError, LookupError, UnicodeError):
        return None
    return str(value) if value else None


def param(part: Message, name: str) -> str:
    """A Content-Type parameter, lower-cased; "" when absent or unreadable."""
    try:
        value = part.get_param(name, "")
    except _PARAMETER_ERRORS:
        return ""
    return value.strip().lower() if isinstance(value, str) else ""


def boundary(msg: Message) -> str | None:
    """A multipart's boundary; None when it has none or it cannot be read."""
    try:
        return msg.get_boundary()
    except (ValueError, TypeError, LookupError, UnicodeError):
        return None


def raw_field(part: Message, name: str) -> str | None:
    """The raw value of the part's first field of this (lower-case) name; None when absent."""
    for key, value in part.raw_items():
        if str(key).lower() == name:
            return str(value)
    return None


def disposition(part: Message) -> str:
    """The part's Content-Disposition ("attachment", "inline"), lower case; "" when absent."""
    value = raw_field(part, "content-disposition") or ""
    return value.split(";", 1)[0].strip().lower()


def filename(part: Message) -> str:
    """The attachment name from Content-Disposition or Content-Type, decoded.

    Parameters are read from the raw field turned into text first, so raw UTF-8 names
    survive; RFC 2231 (`filename*=utf-8''...`) and RFC 2047 (`=?utf-8?B?...?=`, not
    allowed there but common) are both decoded.
    """
    for field, name in (("content-disposition", "filename"), ("content-type", "name")):
        value = _name_parameter(part, field, name)
        if value:
            return decode_words(email.utils.unquote(value)).strip()
    return ""


def _name_parameter(part: Message, field: str, name: str) -> str:
    """One field's name parameter, RFC 2231 decoded; "" when absent or unreadable."""
    raw = raw_field(part, field)
    if raw is None:
        return ""
    holder = Message()
    holder[field] = unfold(raw_to_text(raw))
    try:
        value = holder.get_param(name, None, header=field)
    except _PARAMETER_ERRORS:
        return ""
    if isinstance(value, tuple):
        encoding, _, text = value
        value = decode_bytes(text.encode("latin-1", "replace"), encoding or "utf-8")[0]
    return str(value) if value else ""
