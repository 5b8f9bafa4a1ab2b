"""What a MIME part holds: its transfer encoding undone, its text decoded, its bytes.

Mail clients are lenient and so is this: base64 with junk and broken padding is read as
clients read it, an unknown transfer encoding is taken as 8bit (and noted), a text part's
charset goes through the fallbacks of `charsets`, and an attached message is written
back as close to its original bytes as the generator allows.
"""

from __future__ import annotations

import base64
import binascii
import io
import quopri
import re
from collections.abc import Callable
from email.errors import HeaderParseError
from email.generator import BytesGenerator
from email.policy import compat32

from mailbot.parsers.charsets import decode_bytes
from mailbot.parsers.flowed import unflow
from mailbot.parsers.lifted_bodies import lifted_body, restored
from mailbot.parsers.mime_tree import MAX_DEPTH, Message, boundary, charset, ctype, param, raw_field

_ENCODING = re.compile(r"\s*([\w-]+)")
_AS_8BIT = frozenset({"", "7bit", "8bit", "binary", "7-bit", "8-bit", "8bits", "7bits"})
_GENERATOR_ERRORS = (ValueError, TypeError, UnicodeError, LookupError, AttributeError, KeyError, HeaderParseError)


def part_text(part: Message, defects: dict[str, None]) -> str:
    """The text of a text part, decoded from its (possibly lying) charset."""
    data = payload_bytes(part, defects)
    text, note = decode_bytes(data, charset(part))
    if note:
        defects[note] = None
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").lstrip("\ufeff")
    if ctype(part) == "text/plain" and param(part, "format") == "flowed":
        text = unflow(text, delsp=param(part, "delsp") == "yes")
    return text


def payload_bytes(part: Message, defects: dict[str, None]) -> bytes:
    """The decoded content of a leaf part (transfer encoding undone, charset not)."""
    payload = _raw_payload(part)
    if isinstance(payload, list):
        return b"".join(_flatten(m) for m in payload if isinstance(m, Message))
    if not isinstance(payload, str):
        return b""
    match = _ENCODING.match(raw_field(part, "content-transfer-encoding") or "")
    encoding = match.group(1).lower() if match else ""
    decoder = _DECODERS.get(encoding)
    if decoder is not None:
        return decoder(part, payload, defects)
    if encoding not in _AS_8BIT:
        defects[f"unknown Content-Transfer-Encoding {encoding!r}; taken as 8bit"] = None
    return payload.encode("utf-8", "surrogateescape")


def _from_base64(part: Message, payload: str, defects: dict[str, None]) -> bytes:
    """Base64, decoded from the message bytes when the body was lifted out of them."""
    lifted = lifted_body(payload)
    if lifted is not None:
        return lenient_b64(lifted.source, lifted.start, lifted.end)
    return lenient_b64(payload.encode("utf-8", "surrogateescape"))


def _from_quoted_printable(part: Message, payload: str, defects: dict[str, None]) -> bytes:
    return quopri.decodestring(payload.encode("utf-8", "surrogateescape"))


def _from_uuencode(part: Message, payload: str, defects: dict[str, None]) -> bytes:
    """uuencode, decoded by the email package; the bytes as they are when it cannot."""
    try:
        decoded = part.get_payload(decode=True)
    except (ValueError, TypeError, UnicodeError):
        decoded = None
    if isinstance(decoded, bytes):
        return decoded
    defects["undecodable uuencoded part"] = None
    return payload.encode("utf-8", "surrogateescape")


# Content-Transfer-Encoding -> how the body is decoded; anything else is taken as 8bit.
_DECODERS: dict[str, Callable[[Message, str, dict[str, None]], bytes]] = {
    "base64": _from_base64,
    "quoted-printable": _from_quoted_printable,
    "qp": _from_quoted_printable,
    "x-uuencode": _from_uuencode,
    "uuencode": _from_uuencode,
    "x-uue": _from_uuencode,
    "uue": _from_uuencode,
}


def lenient_b64(data: bytes, start: int = 0, end: int | None = None) -> bytes:
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
    return b"".join(_padded_chunk(chunk) for chunk in re.split(rb"=+", cleaned))


def _padded_chunk(chunk: bytes) -> bytes:
    """One chunk of base64 between padding, its stray last character dropped and its padding
    mended; nothing when it does not decode."""
    if len(chunk) % 4 == 1:
        chunk = chunk[:-1]
    if not chunk:
        return b""
    try:
        return base64.b64decode(chunk + b"=" * (-len(chunk) % 4))
    except (binascii.Error, ValueError):
        return b""


def _raw_payload(part: Message) -> object:
    """The undecoded body as the parser stored it (8-bit bytes as surrogates).

    `get_payload()` would already decode 8-bit text with the declared charset and
    replace what does not fit; we want the bytes, to try our own charset chain.
    """
    return getattr(part, "_payload", None)  # compat32 has no public accessor for it


def _flatten(msg: Message) -> bytes:
    """The bytes of an embedded message, as close to the original as we can get."""
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=compat32).flatten(msg)
        return restored(buffer.getvalue())
    except _GENERATOR_ERRORS:
        return restored(_serialise(msg, 0).encode("utf-8", "surrogateescape"))


def _serialise(msg: Message, depth: int) -> str:
    """Raw fields and bodies joined back together; used when the generator refuses."""
    head = "".join(f"{name}: {value}\n" for name, value in msg.raw_items())
    payload = _raw_payload(msg)
    if not isinstance(payload, list):
        return head + "\n" + (payload if isinstance(payload, str) else "")
    parts = _serialised_parts(payload, depth)
    delimiter = boundary(msg)
    if delimiter is None:
        return head + "\n" + "".join(parts)
    body = "".join(f"--{delimiter}\n{p}\n" for p in parts)
    return f"{head}\n{msg.preamble or ''}\n{body}--{delimiter}--\n{msg.epilogue or ''}"


def _serialised_parts(payload: list[object], depth: int) -> list[str]:
    """The parts of a multipart, each serialised; none below `MAX_DEPTH`."""
    if depth >= MAX_DEPTH:
        return []
    return [_serialise(p, depth + 1) for p in payload if isinstance(p, Message)]
