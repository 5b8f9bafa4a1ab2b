"""Templates -> outgoing messages with the headers of SPEC section 2.

Bodies come from Jinja2 templates (`templates/<lang>/<kind>.txt`, with an optional
`<kind>.html` alternative; the operator's `templates_dir` overrides any of them).
Subjects and headers are built here by code, never by a template: values are
stripped of line breaks and control characters and set through the `email`
package's structured headers, so nothing a sender writes can add a header.
"""

from __future__ import annotations

import email.errors
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2

from mailbot.core.model import Attachment, InlineImage
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


def deliverable(address: str) -> bool:
    """Whether we can write this address into To/Cc and send to it (ASCII addr-spec)."""
    if not address or not address.isascii() or address.count("@") != 1:
        return False
    try:
        parsed = HeaderAddress(addr_spec=address)
    except (ValueError, IndexError, email.errors.HeaderParseError, email.errors.HeaderDefect):
        return False
    local, _, domain = parsed.addr_spec.rpartition("@")
    return bool(local) and ("." in domain or domain == "localhost") and not domain.startswith(".")


def _set_subject(msg: EmailMessage, subject: str) -> None:
    """Non-ASCII subjects as pre-folded RFC 2047 words.

    The `email` package folds a mix of plain words and encoded words so that a
    reader's unfolding leaves a doubled space; encoding the whole value ourselves,
    already folded, avoids that (adjacent encoded words join without whitespace).
    """
    if subject.isascii():
        msg["Subject"] = subject
        return
    encoded = Header(subject, "utf-8", maxlinelen=76, header_name="Subject").encode(linesep="\r\n")
    msg.set_raw("Subject", encoded)


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
        msg = EmailMessage(policy=SMTP)
        msg["From"] = HeaderAddress(display_name=clean_header(from_name), addr_spec=from_addr)
        msg["To"] = [HeaderAddress(addr_spec=a) for a in to]
        if cc:
            msg["Cc"] = [HeaderAddress(addr_spec=a) for a in cc]
        msg["Reply-To"] = HeaderAddress(display_name=clean_header(from_name), addr_spec=from_addr)
        _set_subject(msg, clean_header(subject, 300))
        msg["Date"] = format_datetime(date)
        msg["Message-ID"] = f"<{message_id}>"
        if in_reply_to:
            msg["In-Reply-To"] = f"<{in_reply_to}>"
        refs = [r for r in dict.fromkeys(references) if r]
        if refs:
            msg["References"] = " ".join(f"<{r}>" for r in refs[-10:])
        msg["MIME-Version"] = "1.0"
        if auto:
            msg["Auto-Submitted"] = auto
            msg["X-Auto-Response-Suppress"] = "All"
            msg["Precedence"] = "bulk"
        msg["X-Mailbot-Kind"] = kind
        for name, value in (extra_headers or {}).items():
            msg[name] = clean_header(value)
        msg.set_content(text, charset="utf-8", cte="quoted-printable")
        if html is not None:
            msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
            html_part = msg.get_body(preferencelist=("html",))
            if inline and html_part is not None:
                # The HTML part becomes multipart/related with the images it shows by cid:.
                for image in inline:
                    maintype, _, subtype = image.content_type.partition("/")
                    html_part.add_related(image.data, maintype=maintype, subtype=subtype, cid=f"<{image.cid}>",
                                          disposition="inline", filename=image.filename)
        for item in attachments:
            maintype, subtype = attachment_type(item)
            msg.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
        for name, raw in attach_raw:
            # A message that cannot be re-serialised travels as its original bytes.
            msg.add_attachment(raw, maintype="application", subtype="octet-stream", filename=name)
        msg["Content-Language"] = language  # after the body: set_content() drops Content-* headers
        recipients = tuple(dict.fromkeys(a.lower() for a in (*to, *cc)))
        return Outgoing(message_id, kind, from_addr, recipients, msg.as_bytes(), str(msg["Subject"]))
