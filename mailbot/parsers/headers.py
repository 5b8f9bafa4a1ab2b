"""Lenient decoding of header values: encoded words, raw 8-bit, addresses, ids, dates.

We read headers with the `compat32` policy, which never raises and hands back the raw
text (8-bit bytes smuggled as surrogates). Everything here turns that raw text into
clean `str` values by rules we control, because real mail breaks RFC 2047 and RFC 5322
in ways the strict parsers of `email.policy.default` reject or raise on.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import re
from datetime import UTC, datetime

from mailbot.model import Address
from mailbot.parsers.charsets import (
    WEAK_CHARSETS,
    codec_for,
    decode_bytes,
    decode_iso2022jp_ms,
    guess_decode,
)

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?]{0,2000}?)\?=")
_FOLD = re.compile(r"\r?\n[ \t]|\r[ \t]")
_SPACE_BETWEEN = re.compile(r"[ \t\r\n]+")
_MSGID_BRACKETED = re.compile(r"<([^<>]{1,998})>")
_ID_TOKEN = re.compile(r"<([^<>]{1,998})>|([^\s,;<>]{1,998})")
_COMMENT = re.compile(r"\([^()]{0,500}\)")
_ADDR_SPEC = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w.-]{1,255}", re.UNICODE)
# `"budi"@vendor.test` is `budi@vendor.test` (RFC 5321 4.1.2): quotes around a dot-atom say nothing.
_QUOTED_DOT_ATOM = re.compile(r'"([A-Za-z0-9!#$%&\'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&\'*+/=?^_`{|}~-]+)*)"(@.*)')


def raw_to_text(value: str, fallback_charset: str | None = None) -> str:
    """Recover raw 8-bit header bytes (RFC 6532 UTF-8, or legacy 8-bit) as text.

    UTF-8 first; then the message's own text charset (`fallback_charset`), which old
    clients also wrote their headers in, unless it is a label as weak as latin-1; else
    the charset whose reading looks most like writing (`guess_decode`). Raw ISO-2022-JP
    (7-bit, with its escapes) is read as such.
    """
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        data = value.encode("utf-8", "surrogateescape")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        codec = codec_for(fallback_charset)
        if codec is not None and codec not in WEAK_CHARSETS:
            text, note = decode_bytes(data, fallback_charset)
            if note is None:
                return text
        return guess_decode(data)
    if "\x1b$" in value:
        return decode_iso2022jp_ms(value.encode("ascii")) or value
    return value


def unfold(value: str) -> str:
    """Join folded header lines (RFC 5322 section 2.2.3)."""
    return _FOLD.sub(" ", value).replace("\r", "").replace("\n", "")


def _b_decode(payload: str) -> bytes:
    """Base64 as senders write it: missing padding, stray characters."""
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        # One character too many (len % 4 == 1): drop it and try again.
        try:
            return base64.b64decode(cleaned[:-1] + "=" * (-len(cleaned[:-1]) % 4))
        except (binascii.Error, ValueError):
            return b""


def _q_decode(payload: str) -> bytes:
    """RFC 2047 Q encoding: underscores are spaces, =XX are bytes, bad escapes kept."""
    data = payload.replace("_", " ").encode("utf-8", "surrogateescape")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words leniently, anywhere in the value.

    Adjacent encoded words (separated only by whitespace) are joined without the
    whitespace, and adjacent words of the same charset are decoded together, because
    senders split multi-byte characters across words (ISO-2022-JP and UTF-8 do this).
    Malformed words are left as they are.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    pending = _Pending()
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        if pending.charset is None or between.strip(" \t\r\n"):
            pending.flush(out)
            out.append(between)
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        data = _b_decode(match.group(3)) if match.group(2).upper() == "B" else _q_decode(match.group(3))
        if not pending.takes(charset):
            pending.flush(out)
        pending.add(charset, data)
        pos = match.end()
    pending.flush(out)
    out.append(value[pos:])
    return "".join(out)


class _Pending:
    """Decoded bytes of adjacent encoded words of one charset, not yet turned into text."""

    def __init__(self) -> None:
        self.charset: str | None = None
        self.data = bytearray()

    def takes(self, charset: str) -> bool:
        """Whether a word of `charset` joins these bytes: there are none, or theirs is the same."""
        if self.charset is None:
            return True
        return (codec_for(charset) or charset.lower()) == (codec_for(self.charset) or self.charset)

    def add(self, charset: str, data: bytes) -> None:
        if self.charset is None:
            self.charset = charset
        self.data.extend(data)

    def flush(self, out: list[str]) -> None:
        """The pending bytes as text onto `out`; nothing pends after it."""
        if self.charset is not None:
            out.append(decode_bytes(bytes(self.data), self.charset)[0])
        self.charset = None
        self.data = bytearray()


def header_text(value: str | None, fallback_charset: str | None = None) -> str:
    """The display text of an unstructured header such as Subject."""
    if value is None:
        return ""
    text = decode_words(unfold(raw_to_text(value, fallback_charset)))
    return _SPACE_BETWEEN.sub(" ", text).strip()


def parse_addresses(values: list[str], fallback_charset: str | None = None) -> tuple[Address, ...]:
    """Addresses of one or more address headers, lower-cased, names decoded.

    The raw value is split into addresses before any decoding, so an encoded comma in
    a display name cannot split it. Entries without an address (groups, garbage) are
    dropped; a bare address found in garbage is kept.
    """
    result: list[Address] = []
    for value in values:
        raw = unfold(raw_to_text(value, fallback_charset))
        try:
            pairs = email.utils.getaddresses([raw])
        except (ValueError, TypeError, IndexError):
            pairs = []
        found = False
        for name, addr in pairs:
            addr = _unquoted(addr.strip().strip("<>").strip().lower())
            if not addr:
                continue
            found = True
            result.append(Address(addr, _SPACE_BETWEEN.sub(" ", decode_words(name)).strip()))
        if not found:
            match = _ADDR_SPEC.search(raw)
            if match:
                result.append(Address(match.group(0).lower(), ""))
    return tuple(result)


def _unquoted(addr: str) -> str:
    match = _QUOTED_DOT_ATOM.fullmatch(addr)
    return match.group(1) + match.group(2) if match else addr


def message_id(value: str | None) -> str | None:
    """The id inside a Message-ID header, without brackets; None when unusable."""
    if value is None:
        return None
    raw = unfold(raw_to_text(value)).strip()
    if "=?" in raw:  # never valid in an id, but Python's email package may write it
        raw = decode_words(raw)
    candidate = _id_candidate(raw)
    return candidate if candidate is not None and _usable_id(candidate) else None


def _id_candidate(raw: str) -> str | None:
    """The id in angle brackets, comments and blanks taken out (obsolete syntax allows them
    inside: "<1234 @ local(x) .example>"); else the value without comments, unless a
    bracket is left in it."""
    match = _MSGID_BRACKETED.search(raw)
    if match:
        return "".join(_COMMENT.sub("", match.group(1)).split())
    candidate = _COMMENT.sub("", raw).strip()
    return None if "<" in candidate or ">" in candidate else candidate


def _usable_id(candidate: str) -> bool:
    """An id is printable ASCII without blanks."""
    return bool(candidate) and not any(c.isspace() for c in candidate) and candidate.isascii() \
        and candidate.isprintable()


def message_ids(values: list[str]) -> tuple[str, ...]:
    """All ids in In-Reply-To or References values, in order, without repeats.

    Ids may come with or without angle brackets, separated by blanks or commas; a bare
    token counts only when it contains an `@`. Comments in parentheses are ignored.
    """
    seen: dict[str, None] = {}
    for value in values:
        raw = unfold(raw_to_text(value))
        if "=?" in raw:
            # Python's `email` package RFC 2047-encodes long id headers; undo that.
            raw = decode_words(raw)
        raw = _COMMENT.sub(" ", raw)
        for match in _ID_TOKEN.finditer(raw):
            if match.group(1) is not None:
                token = "".join(match.group(1).split())
            else:
                token = match.group(2).strip("\"'")
                if "@" not in token:
                    continue
            if token and token.isascii() and token.isprintable():
                seen.setdefault(token, None)
    return tuple(seen)


def parse_date(value: str | None) -> datetime | None:
    """A timezone-aware datetime, UTC when the header gave no zone; None if unusable."""
    if not value:
        return None
    raw = _COMMENT.sub(" ", header_text(value))
    raw = ":".join(piece.strip() for piece in raw.split(":"))  # obsolete "09 : 55 : 06"
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def angle_addr(value: str | None) -> str | None:
    """The address of a Return-Path; "" for the null path `<>`; None when absent."""
    if value is None:
        return None
    raw = unfold(raw_to_text(value)).strip()
    inner = raw
    if "<" in raw:
        inner = raw[raw.index("<") + 1 :].split(">", 1)[0]
    return inner.strip().lower()
