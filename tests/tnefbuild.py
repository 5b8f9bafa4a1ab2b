"""A minimal TNEF (winmail.dat) writer for tests, after MS-OXTNEF: what Outlook in Rich
Text mode attaches through Exchange. Attributes are level, id, type, length, data and a
16-bit sum of the data bytes; each file is a rendering record, its title and its data."""

from __future__ import annotations

import struct

SIGNATURE = 0x223E9F78
LEVEL_MESSAGE, LEVEL_ATTACHMENT = 1, 2


def _attribute(level: int, ident: int, kind: int, data: bytes) -> bytes:
    return struct.pack("<BHHI", level, ident, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def winmail(files: list[tuple[str, bytes]], body: str = "") -> bytes:
    """A TNEF stream carrying these files (name, bytes) and, if given, a plain-text body."""
    out = struct.pack("<IH", SIGNATURE, 0x0001)
    out += _attribute(LEVEL_MESSAGE, 0x9006, 0x0008, struct.pack("<I", 0x10000))  # attTnefVersion
    out += _attribute(LEVEL_MESSAGE, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # attOemCodepage
    if body:
        out += _attribute(LEVEL_MESSAGE, 0x800C, 0x0002, body.encode("cp1252"))  # attBody
    for name, data in files:
        out += _attribute(LEVEL_ATTACHMENT, 0x9002, 0x0006, bytes(14))  # attAttachRendData: a new file
        out += _attribute(LEVEL_ATTACHMENT, 0x8010, 0x0001, name.encode() + b"\0")  # attAttachTitle (UTF-8)
        out += _attribute(LEVEL_ATTACHMENT, 0x800F, 0x0006, data)  # attAttachData
    return out
