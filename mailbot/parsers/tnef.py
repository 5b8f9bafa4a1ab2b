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


def is_tnef(content_type: str, filename: str) -> bool:
    """Whether an attachment is a TNEF stream, by its type or by Outlook's file name."""
    return content_type.lower() in TNEF_TYPES or filename.lower() == TNEF_NAME


def opened(data: bytes) -> tuple[list[tuple[str, bytes]], str] | None:
    """The (name, bytes) of each file in a TNEF stream and its plain-text body ("" when it
    has none: Outlook puts the text in the mail's own text part); None when `data` is not
    a stream this decoder reads."""
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
