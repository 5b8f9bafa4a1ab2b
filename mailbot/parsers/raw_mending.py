"""Raw message bytes checked against SPEC 9's size caps and mended so that they parse.

Mail arrives with every kind of damage a client, a gateway or a Windows editor can do:
classic Mac or doubled line ends, a byte order mark or a separator line above the
header, MIME parameters at a line start, blanks before a header colon, a stray line in
the header block. Each is mended here, on the bytes, before the tree is built, and noted
(the notes become the message's `defects`). Only input that is no mail at all, or is
over the caps, raises.
"""

from __future__ import annotations

import re

from mailbot.errors import BadMessageError, RefusedMessageError

# Header fields of which at least one must be present for input to count as mail.
MAIL_FIELDS = frozenset(
    {
        "from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
        "mime-version", "content-type", "sender", "reply-to", "delivered-to",
        "in-reply-to", "references", "x-mailer",
    }
)  # fmt: skip
_HEADER_LINE = re.compile(rb"^(?:From |[\x21-\x39\x3b-\x7e]{1,200}[ \t]*:)")
_FIELD_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]{1,200}:")
_OBS_NAME = re.compile(rb"(?m)^([\x21-\x39\x3b-\x7e]{1,200})[ \t]+:")
HEADER_END = re.compile(rb"\r?\n\r?\n")
_DOUBLED_CR = re.compile(rb"[^\r\n]*\r\r\n")  # the first line ends CR CR LF
_BYTE_ORDER_MARK = b"\xef\xbb\xbf"
_MARKER_LINE = re.compile(rb"[^\n]{0,200}\n")
_MAX_MARKER_LINES = 3
_LEADING_FIELDS = re.compile(rb"(?m)^([A-Za-z][A-Za-z0-9-]{0,60})[ \t]*:")
# A MIME parameter on a line of its own after a Content-Type or Content-Disposition field
# that ends in ";", not indented as a continuation must be: some senders write
# `Content-Type: multipart/mixed;` and `boundary="x"` at the line start, which a reader
# takes for the end of the field (and the boundary is lost with the whole structure).
_PARAMETER = (rb"(?:boundary|charset|name|filename|format|delsp|type|start|micalg|protocol|report-type"
              rb"|method|reply-type)")
_LOOSE_PARAMETER = re.compile(rb"(?im)^content-(?:type|disposition):[^\n]*;[ \t]*\r?\n"
                              + _PARAMETER + rb"\*?[0-9]*\*?[ \t]*=")
# What every match of `_LOOSE_PARAMETER` holds, led by a literal the engine finds fast: the
# line-anchored, case-blind pattern is tried at every byte, 0.1 ms of an ordinary request
_LOOSE_CANDIDATE = re.compile(rb";[ \t]*\r?\n(?i:" + _PARAMETER + rb")")
_PARAMETER_LINE = re.compile(_PARAMETER + rb"\*?[0-9]*\*?[ \t]*=", re.IGNORECASE)
_PARAMETER_FIELD = re.compile(rb"content-(?:type|disposition):", re.IGNORECASE)


def checked_and_mended(raw: bytes, max_header_bytes: int, max_size: int) -> tuple[bytes, list[str]]:
    """Apply the caps of SPEC section 9, normalise line endings, mend the header block.

    Returns the bytes to parse and notes on what was mended.
    """
    data = _checked_size(raw, max_size)
    notes: list[str] = []
    data = _without_byte_order_mark(_normal_line_ends(data), notes)
    if not _HEADER_LINE.match(data):
        data = _drop_leading_lines(data, notes)
    if _LOOSE_CANDIDATE.search(data) and _LOOSE_PARAMETER.search(data):
        data = _indent_parameters(data, notes)
    header_len = _header_length(data, max_header_bytes)
    head, mended = _mend_header_block(data[:header_len])
    notes += mended
    if head == data[:header_len]:
        return data, notes
    return head + data[header_len:], notes


def _checked_size(raw: bytes, max_size: int) -> bytes:
    """The message as bytes, when it is bytes at all, not empty and not over `max_size`."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise BadMessageError(f"message is {type(raw).__name__}, not bytes")
    data = raw if isinstance(raw, bytes) else bytes(raw)  # no copy of a large message for nothing
    if len(data) > max_size:
        raise RefusedMessageError(f"message is {len(data)} bytes, over the {max_size}-byte limit", "too_large")
    if not data.strip():
        raise BadMessageError("message is empty")
    return data


def _normal_line_ends(data: bytes) -> bytes:
    """Classic Mac CRs as LF, CR CR LF as CRLF, lone CRs in a CRLF message as LF; no
    line ends before the header."""
    if b"\n" not in data and b"\r" in data:
        data = data.replace(b"\r", b"\n")  # classic Mac line endings
    elif _DOUBLED_CR.match(data):
        # CRLF written through something that added CR again: every line ends CR CR LF
        data = data.replace(b"\r\r\n", b"\r\n")
    if data.count(b"\r") != data.count(b"\r\n"):
        # Mixed: keep CRLF, turn lone CRs into LF so header lines are found.
        data = re.sub(rb"\r(?!\n)", b"\n", data)
    return data.lstrip(b"\r\n")


def _without_byte_order_mark(data: bytes, notes: list[str]) -> bytes:
    """A UTF-8 byte order mark before the header (a file saved by a Windows editor) dropped."""
    if not data.startswith(_BYTE_ORDER_MARK):
        return data
    notes.append("byte order mark before the header dropped")
    return data[len(_BYTE_ORDER_MARK):]


def _header_length(data: bytes, max_header_bytes: int) -> int:
    """The length of the header block, which must be within `max_header_bytes` and open
    with a header field."""
    end = HEADER_END.search(data)
    header_len = end.start() if end else len(data)
    if header_len > max_header_bytes:
        raise BadMessageError(f"header block is over {max_header_bytes} bytes ({header_len} bytes)")
    if not _HEADER_LINE.match(data):
        raise BadMessageError("no header fields at the start; not a mail message")
    return header_len


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
        end = HEADER_END.search(rest)
        head = rest[: end.start() if end else len(rest)]
        fields = {m.group(1).lower().decode() for m in _LEADING_FIELDS.finditer(head)}
        if _FIELD_LINE.match(rest) and len(fields & MAIL_FIELDS) >= 2:
            notes.append(f"{count} line(s) before the header block dropped")
            return rest
    return data


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
