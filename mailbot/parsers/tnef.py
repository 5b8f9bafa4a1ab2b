"""Outlook's `winmail.dat` (TNEF, application/ms-tnef) opened into the files it carries.

Outlook in "Rich Text" mode, through an Exchange server, wraps a mail's attachments in
one `winmail.dat` that only Outlook can open: relayed as it is, a requester's or LKPP's
mail client shows a file nobody can read, and the guide or the screenshot inside never
arrives. `tnefparse` (a small pure-Python decoder, no dependencies) reads the format; a
stream it cannot read stays the attachment it was, so nothing is lost.
"""

from __future__ import annotations

import logging
from typing import Any

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
TNEF_NAME = "winmail.dat"
# Outlook writes a few attributes per file and a dozen for the message: a stream past these
# is crafted (SPEC 9: decoders get their own caps on work, inside the message's time budget).
MAX_ATTRIBUTES = 5000  # attribute records in a stream and the streams nested in it
MAX_COPIED = 2 * 1024**3  # bytes the decoder copies (0.25 s of memcpy here)
MAX_STREAMS = 16  # a stream and the messages attached inside it
_SIGNATURE = (0x223E9F78).to_bytes(4, "little")
_PROPERTY_LISTS = frozenset({0x9003, 0x9005})  # attMAPIProps, attAttachment: a count, then properties
_MIN_ATTRIBUTE = 12  # tnefparse's MIN_OBJ_SIZE: header, checksum and one byte


def is_tnef(content_type: str, filename: str) -> bool:
    """Whether an attachment is a TNEF stream, by its type or by Outlook's file name."""
    return content_type.lower() in TNEF_TYPES or filename.lower() == TNEF_NAME


def work_of(data: bytes) -> tuple[int, int, int]:
    """(attributes, bytes the decoder copies, TNEF streams) of a stream and the streams
    inside it, read from the attribute headers alone (MS-OXTNEF 2.1.3: level, id, type,
    length, data, checksum).

    `tnefparse` copies the rest of the stream for every attribute it reads, so its work
    grows with attributes times size: 300,000 one-byte attributes took minutes. A stream
    nested in an attached message carries the signature again; each is counted.
    """
    attributes = copied = streams = 0
    at = data.find(_SIGNATURE)
    while at >= 0 and streams <= MAX_STREAMS and attributes <= MAX_ATTRIBUTES:
        streams += 1
        end = len(data)
        offset = at + 6
        while offset + _MIN_ATTRIBUTE < end and attributes <= MAX_ATTRIBUTES:
            copied += end - offset
            attributes += 1
            length = int.from_bytes(data[offset + 5:offset + 9], "little")
            if int.from_bytes(data[offset + 1:offset + 3], "little") in _PROPERTY_LISTS:
                # a count of MAPI properties the decoder loops over, present or not: each takes 8 bytes or more
                attributes += max(0, int.from_bytes(data[offset + 9:offset + 13], "little") - length // 8)
            offset += min(end - offset, length + 11)
        at = data.find(_SIGNATURE, at + 4)
    return attributes, copied, streams


def too_much(data: bytes) -> str | None:
    """Why decoding the stream would cost more than any real winmail.dat does, or None."""
    attributes, copied, streams = work_of(data)
    if streams > MAX_STREAMS:
        return f"TNEF attachment nests more than {MAX_STREAMS} messages"
    if attributes > MAX_ATTRIBUTES:
        return f"TNEF attachment has more than {MAX_ATTRIBUTES} attributes"
    if copied > MAX_COPIED:
        return f"TNEF attachment would take {copied} bytes of decoding work, over {MAX_COPIED}"
    return None


def opened(data: bytes) -> tuple[list[tuple[str, bytes]], str] | None:
    """The (name, bytes) of each file in a TNEF stream and its plain-text body ("" when it
    has none: Outlook puts the text in the mail's own text part); None when `data` is not
    a stream this decoder reads. Check `too_much` first: this call's work is not bounded."""
    from tnefparse import TNEF  # only mail that carries a winmail.dat pays for the import

    logging.getLogger("tnefparse").setLevel(logging.CRITICAL)  # its warnings are ours to decide
    try:
        stream = TNEF(data, do_checksum=False)
        files = [(_text(a.long_filename()), a.data) for a in stream.attachments
                 if isinstance(a.data, bytes) and a.data]
        return files, _text(stream.body or "")
    except Exception:  # noqa: BLE001 - any stream the library trips on stays the attachment it was
        return None


def _text(value: Any) -> str:
    """A TNEF string property, bytes in the sender's code page or text already."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            value = value.decode("cp1252", "replace")
    return str(value).strip("\x00").strip()
