"""Templates -> outgoing messages with the headers of SPEC section 2.

Bodies come from Jinja2 templates (`templates/<lang>/<kind>.txt`, with an optional
`<kind>.html` alternative; the operator's `templates_dir` overrides any of them).
Subjects and headers are built here by code, never by a template: values are
stripped of line breaks and control characters and set through the `email`
package's structured headers, so nothing a sender writes can add a header.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.generator import BytesGenerator
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr
from io import BytesIO
from pathlib import Path
from typing import Any

import jinja2

from mailbot.core.model import Attachment, InlineImage
from mailbot.core.plan import deliverable
from mailbot.io.words import words

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

def clean_header(value: str, limit: int = 200) -> str:
    """One line, no control characters, bounded length."""
    text = _CONTROL.sub(" ", value)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit]


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    kind: str
    mail_from: str
    rcpt: tuple[str, ...]
    raw: bytes
    subject: str


# Types a mail client or browser would render or run (scripts in HTML, XHTML, SVG, XML);
# and the file names that make it do so whatever the declared type.
_ACTIVE_TYPES = frozenset({
    "application/xhtml+xml", "image/svg+xml", "application/xml", "application/javascript",
    "application/x-javascript", "application/ecmascript", "application/hta", "application/x-shockwave-flash",
    "application/vnd.ms-htmlhelp", "application/x-msdownload",
})
_ACTIVE_NAMES = re.compile(r"\.(?:html?|xht(?:ml)?|svgz?|xml|xsl|js|mjs|hta|shtml|swf|chm|jse?|vbs|wsf)$",
                           re.IGNORECASE)


def attachment_type(item: Attachment) -> tuple[str, str]:
    """The MIME type an attachment goes out with: active content as opaque bytes (SPEC 9).

    Text is sent as opaque data too, so its bytes arrive exactly as they came.
    """
    ctype = (item.content_type or "application/octet-stream").lower()
    maintype, _, subtype = ctype.partition("/")
    if maintype in ("text", "") or not subtype or ctype in _ACTIVE_TYPES or ctype.endswith("+xml") \
            or "script" in subtype or _ACTIVE_NAMES.search(item.filename or ""):
        return "application", "octet-stream"
    return maintype, subtype


# Outgoing mail is built with the `email` package's plain (compat32) classes: every value
# is ours or cleaned (no line breaks, no control characters), so nothing needs the
# structured headers' parsing, which cost more than the rest of a mail together.
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


class _Wire(type(compat32)):  # type: ignore[misc]  # compat32's class, not exported by name
    """compat32 on the wire (CRLF), folding our headers itself: the generic folding
    builds a `Header` for every header and encodes character by character, which cost
    more than the rest of a mail together. Values reach here clean (no line breaks or
    control characters); anything else takes the generic path."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str) and not _CONTROL.search(value):
            if not value.isascii():
                value = _encoded_words(value)
            elif len(name) + len(value) >= 76:
                value = _fold_spaces(len(name) + 2, value)
            return f"{name}: {value}{self.linesep}".encode("ascii")
        folded: bytes = super().fold_binary(name, value)
        return folded


def _fold_spaces(used: int, value: str, width: int = 78) -> str:
    """A long ASCII value folded at its spaces (a word longer than a line stays whole)."""
    lines: list[str] = []
    line = ""
    for word in value.split(" "):
        if line and used + len(line) + 1 + len(word) > width:
            lines.append(line)
            line, used = word, 1
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\r\n ".join(lines)


def _encoded_words(value: str, chunk: int = 39) -> str:
    """RFC 2047 base64 encoded words of whole characters, one per line: readers join
    adjacent encoded words without the folding space between them."""
    words: list[str] = []
    piece = b""
    for char in value:
        data = char.encode("utf-8")
        if len(piece) + len(data) > chunk:
            words.append(f"=?utf-8?b?{base64.b64encode(piece).decode('ascii')}?=")
            piece = b""
        piece += data
    words.append(f"=?utf-8?b?{base64.b64encode(piece).decode('ascii')}?=")
    return "\r\n ".join(words)


_WIRE = _Wire(linesep="\r\n", max_line_length=78)
_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,60}")
_MSGID = re.compile(r"[^\s<>\x00-\x1f\x7f]+")


def _msgid(value: str) -> str:
    """A Message-ID's inner part, or a refusal: nothing else may reach a header."""
    value = value.strip().strip("<>")
    if not _MSGID.fullmatch(value):
        raise ValueError(f"not a Message-ID: {value!r}")
    return value


def _address(name: str, addr: str) -> str:
    """A deliverable address (SPEC: ASCII addr-spec), with an encoded display name if any."""
    if not deliverable(addr) or _CONTROL.search(addr) or any(c in addr for c in ' <>,;"'):
        raise ValueError(f"not a deliverable address: {addr!r}")
    return formataddr((name, addr), charset="utf-8") if name else addr


def _text(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(text, _UTF8_QP)
    del part["MIME-Version"]  # only the message itself carries it
    return part


def _file(data: bytes, maintype: str, subtype: str, filename: str, splices: dict[bytes, bytes],
          disposition: str = "attachment") -> MIMEBase:
    part = MIMEBase(maintype, subtype)
    del part["MIME-Version"]
    if len(data) >= SPLICE_FROM:
        # A big file is not built into the message: a token stands in its place and
        # `_splice` writes its base64 lines there, straight into the finished bytes.
        token = f"mailbot-splice-{secrets.token_hex(12)}"
        splices[token.encode("ascii")] = data
        part.set_payload(token)
    else:
        # Encoded here, not by `encoders.encode_base64`: set_payload(bytes) would first keep
        # the file as text with surrogates (2-4 bytes per byte) and decode it back.
        part.set_payload(base64.encodebytes(data).decode("ascii"))
    part["Content-Transfer-Encoding"] = "base64"
    name = clean_header(filename or "attachment", 150)
    part.add_header("Content-Disposition", disposition, filename=name if name.isascii() else ("utf-8", "", name))
    return part


def _multipart(subtype: str, parts: list[Message]) -> MIMEMultipart:
    whole = MIMEMultipart(subtype, _subparts=parts)
    del whole["MIME-Version"]
    return whole


def _mime_body(text: str, html: str | None, inline: Sequence[InlineImage], attachments: Sequence[Attachment],
               attach_raw: Sequence[tuple[str, bytes]], splices: dict[bytes, bytes]) -> Message:
    """text/plain; with HTML a multipart/alternative (HTML with its cid: images as
    multipart/related); with files a multipart/mixed around it."""
    body: Message = _text(text, "plain")
    if html is not None:
        shown: Message = _text(html, "html")
        if inline:
            images: list[Message] = []
            for image in inline:
                maintype, _, subtype = image.content_type.partition("/")
                part = _file(image.data, maintype, subtype, image.filename, splices, "inline")
                part["Content-ID"] = f"<{_msgid(image.cid)}>"
                images.append(part)
            shown = _multipart("related", [shown, *images])
        body = _multipart("alternative", [body, shown])
    files: list[Message] = [_file(item.data, *attachment_type(item), item.filename, splices)
                            for item in attachments]
    # A message that cannot be re-serialised travels as its original bytes.
    files += [_file(raw, "application", "octet-stream", name, splices) for name, raw in attach_raw]
    msg = _multipart("mixed", [body, *files]) if files else body
    msg["MIME-Version"] = "1.0"
    return msg


def _serialise(msg: Message, splices: dict[bytes, bytes]) -> bytes:
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_WIRE).flatten(msg)
    skeleton = out.getvalue()
    return _splice(skeleton, splices) if splices else skeleton


SPLICE_FROM = 64 * 1024  # files from this size are written into the finished bytes, not the MIME tree
_B64_CHUNK = 57 * 4096  # bytes of a file encoded at a time: 4096 lines of 76 characters


def _splice(skeleton: bytes, splices: dict[bytes, bytes]) -> bytes:
    """The serialised mail with each big file's base64 lines where its token stands.

    Written piece by piece into one buffer that becomes the result without a copy:
    a file costs its encoded size once, not the four copies the generator makes of a
    payload (text, lines, output buffer, result)."""
    view = memoryview(skeleton)
    out = BytesIO()
    at = 0
    for spot, token in sorted((skeleton.index(token), token) for token in splices):
        out.write(view[at:spot])
        data = memoryview(splices[token])
        for start in range(0, len(data), _B64_CHUNK):
            lines = base64.encodebytes(data[start:start + _B64_CHUNK]).replace(b"\n", b"\r\n")
            out.write(lines)
        at = spot + len(token)
    out.write(view[at:])
    return out.getvalue()


class Renderer:
    """Renders mail kinds in a language; the operator's templates win over ours."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        self.templates_dir = templates_dir
        loaders: list[jinja2.BaseLoader] = []
        if templates_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
        loaders.append(jinja2.PackageLoader("mailbot", "templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def words_context(self, language: str, context: dict[str, Any]) -> dict[str, Any]:
        """The language's words, and the worded values a template may show (working hours, zone)."""
        said = words(language, self.templates_dir)
        return {"words": said.table,
                "working_hours": said.working_hours(context.get("workdays", ("mon", "fri")),
                                                    str(context.get("hours", "08:00-16:00"))),
                "tz_label": said.zone(str(context.get("timezone", "Asia/Jakarta")))}

    def has(self, kind: str, language: str) -> bool:
        try:
            self.env.get_template(f"{language}/{kind}.txt")
        except jinja2.TemplateNotFound:
            return False
        return True

    def body(self, kind: str, language: str, context: dict[str, Any]) -> tuple[str, str | None]:
        """The plain text and, where a template exists, the HTML alternative."""
        context = {**self.words_context(language, context), **context}
        text = self.env.get_template(f"{language}/{kind}.txt").render(**context)
        try:
            html_template = self.env.get_template(f"{language}/{kind}.html")
        except jinja2.TemplateNotFound:
            return text, None
        return text, html_template.render(**context)

    def subject(self, kind: str, language: str, tag: str | None, title: str) -> str:
        label = words(language, self.templates_dir).subject(kind)
        parts = [p for p in (tag, label, clean_header(title)) if p]
        return clean_header(" ".join(parts), 300)

    def build(
        self,
        *,
        kind: str,
        language: str,
        context: dict[str, Any],
        from_name: str,
        from_addr: str,
        to: Sequence[str],
        cc: Sequence[str] = (),
        subject: str,
        message_id: str,
        in_reply_to: str | None,
        references: Sequence[str],
        date: datetime,
        auto: str | None,
        attachments: Sequence[Attachment] = (),
        inline: Sequence[InlineImage] = (),
        attach_raw: Sequence[tuple[str, bytes]] = (),
        extra_headers: dict[str, str] | None = None,
    ) -> Outgoing:
        text, html = self.body(kind, language, context)
        splices: dict[bytes, bytes] = {}
        msg = _mime_body(text, html, inline, attachments, attach_raw, splices)
        name = clean_header(from_name)
        subject = clean_header(subject, 300)
        headers: list[tuple[str, str]] = [
            ("From", _address(name, from_addr)),
            ("To", ", ".join(_address("", a) for a in to)),
        ]
        if cc:
            headers.append(("Cc", ", ".join(_address("", a) for a in cc)))
        headers += [("Reply-To", _address(name, from_addr)),
                    ("Subject", subject),
                    ("Date", format_datetime(date)), ("Message-ID", f"<{_msgid(message_id)}>")]
        if in_reply_to:
            headers.append(("In-Reply-To", f"<{_msgid(in_reply_to)}>"))
        refs = [_msgid(r) for r in dict.fromkeys(references) if r]
        if refs:
            headers.append(("References", " ".join(f"<{r}>" for r in refs[-10:])))
        if auto:
            headers += [("Auto-Submitted", clean_header(auto)), ("X-Auto-Response-Suppress", "All"),
                        ("Precedence", "bulk")]
        headers.append(("X-Mailbot-Kind", clean_header(kind)))
        headers += [(n, clean_header(v)) for n, v in (extra_headers or {}).items() if _HEADER_NAME.fullmatch(n)]
        headers.append(("Content-Language", clean_header(language)))
        own = msg.items()  # the MIME part's Content-* headers go after ours
        for header in dict.fromkeys(n for n, _ in own):
            del msg[header]
        for header, value in (*headers, *own):
            msg[header] = value
        recipients = tuple(dict.fromkeys(a.lower() for a in (*to, *cc)))
        return Outgoing(message_id, kind, from_addr, recipients, _serialise(msg, splices), subject)
