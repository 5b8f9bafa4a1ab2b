"""Which leaves of a message are its body and which are files, and the files themselves.

The body is the first inline text/plain (sibling text parts joined, as Apple Mail writes
text, a pasted picture, more text), else the HTML converted; everything else that is a
file by its disposition, its type or its name goes as an attachment, safely named.
Outlook's winmail.dat is opened into the files inside it, so that recipients' clients
can read them.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field

from mailbot.errors import RefusedMessageError
from mailbot.model import Attachment
from mailbot.parsers.html import html_to_text
from mailbot.parsers.mime_tree import EMBEDDED, REPORT_PARTS, Leaf, Message, disposition, filename
from mailbot.parsers.names import extension_for, safe_filename
from mailbot.parsers.part_content import part_text, payload_bytes
from mailbot.parsers.tnef import is_tnef, opened, too_much

MAX_HTML_CHARS = 4_000_000  # an HTML body converted to text (peak ~30x its size in the converter)
# Outlook's plain-text alternative writes each inline picture of the HTML (a signature's
# logo, a pasted screenshot) as `[cid:image001.png@01DA3C5E.8B4F2A10]`: no text of the
# writer's, and relayed it reaches requesters as noise. A line left empty by it goes too.
_CID_MARKER = re.compile(r"(?m)^[ \t]*\[cid:[^\]\s]{1,300}\][ \t]*\n|\[cid:[^\]\s]{1,300}\]")
# Parts whose content only the recipient's key opens (S/MIME enveloped or opaque-signed
# data, RFC 8551; OpenPGP/MIME, RFC 3156): a mail of nothing else has no text to read.
_SEALED = {"application/pkcs7-mime": "S/MIME", "application/x-pkcs7-mime": "S/MIME",
           "application/pgp-encrypted": "OpenPGP"}


def body_and_attachments(
    leaves: list[Leaf], is_bounce: bool, defects: dict[str, None]
) -> tuple[str, tuple[Attachment, ...]]:
    """The body text (first inline text/plain, else converted HTML) and attachments."""
    found = _Found()
    for leaf in leaves:
        found.take(leaf, is_bounce, defects)
    return _unwrapped_tnef(_chosen_text(found.plain, found.html).rstrip(), found.files)


@dataclass
class _Found:
    """The body's texts and the files found so far, leaf by leaf."""

    plain: str | None = None
    html: str | None = None
    files: list[Attachment] = field(default_factory=list)

    def take(self, leaf: Leaf, is_bounce: bool, defects: dict[str, None]) -> None:
        """A leaf as a file or as (part of) the body; a report part of a bounce as neither."""
        if leaf.ctype in REPORT_PARTS and (leaf.in_report or is_bounce):
            return
        if not _is_file(leaf, self.plain is not None, self.html is not None):
            self._take_text(leaf, defects)
        elif not (leaf.ctype in EMBEDDED and is_bounce):  # a bounce's copy of our mail is no file of theirs
            self.files.append(_attachment(leaf, len(self.files), defects))

    def _take_text(self, leaf: Leaf, defects: dict[str, None]) -> None:
        """The first HTML and the first plain text are the body; a later plain text part
        beside it (not another rendering of it) goes on the body's end."""
        kind = leaf.ctype
        if kind == "text/html":
            if self.html is None:
                self.html = part_text(leaf.part, defects)
        elif self.plain is None and (kind == "text/plain" or kind.startswith("multipart/")):
            self.plain = part_text(leaf.part, defects)
        elif self.plain is not None and kind == "text/plain" and not leaf.in_alternative:
            # Apple Mail's text, pasted image, more text: sibling parts of one body
            self.plain = f"{self.plain.rstrip()}\n\n{part_text(leaf.part, defects).strip()}"


def sealed(leaves: list[Leaf]) -> str:
    """"S/MIME" or "OpenPGP" when a leaf's content only the recipient's key opens; else ""."""
    return next((_SEALED[leaf.ctype] for leaf in leaves if leaf.ctype in _SEALED), "")


def _unwrapped_tnef(text: str, attachments: list[Attachment]) -> tuple[str, tuple[Attachment, ...]]:
    """Outlook's winmail.dat replaced by the files inside it (and its text, where the mail
    had none of its own), so that recipients' mail clients can open them; one the decoder
    cannot read, or that holds neither, stays as it came."""
    files: list[Attachment] = []
    for item in attachments:
        inside = _opened_tnef(item)
        if inside is None or not (inside[0] or inside[1]):
            files.append(item)
            continue
        found, body = inside
        text = text or body
        for name, data in found:
            fallback = f"attachment-{len(files) + 1}"
            files.append(Attachment(safe_filename(name, fallback), _type_of(name), data))
    return text, tuple(files)


def _opened_tnef(item: Attachment) -> tuple[list[tuple[str, bytes]], str] | None:
    """The files and the text inside a winmail.dat; None for another file or one that
    cannot be read. A crafted one is refused (SPEC 9)."""
    if not is_tnef(item.content_type, item.filename):
        return None
    crafted = too_much(item.data)
    if crafted is not None:
        raise RefusedMessageError(crafted, "too_complex")
    return opened(item.data)


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


def _is_file(leaf: Leaf, after_plain: bool, after_html: bool) -> bool:
    """A leaf that goes as a file: an attached message, a file (`_is_attachment`), or a
    named text part after the body of its type (a log attached inline)."""
    kind = leaf.ctype
    if kind in EMBEDDED:
        return True
    after_body = kind == "text/plain" and after_plain or kind == "text/html" and after_html
    return (after_body and bool(filename(leaf.part))) or _is_attachment(leaf.part, kind, leaf.in_alternative)


def _attachment(leaf: Leaf, count: int, defects: dict[str, None]) -> Attachment:
    """The leaf as the `count`+1-th file, named by its sender or after its kind."""
    if leaf.ctype in EMBEDDED:
        fallback = "forwarded.eml" if not count else f"forwarded-{count + 1}.eml"
    else:
        fallback = f"attachment-{count + 1}{extension_for(leaf.ctype)}"
    return Attachment(safe_filename(filename(leaf.part), fallback), leaf.ctype, payload_bytes(leaf.part, defects))


def _is_attachment(part: Message, kind: str, in_alternative: bool = False) -> bool:
    """A leaf that is a file rather than the body: by disposition, type, or a name on a non-body type.

    Other text types (a calendar invitation, a CSV, a contact card) are files even without
    a name, but for the renderings a client puts beside the body in a multipart/alternative
    (text/enriched, text/watch-html); an invitation's text/calendar sits there too and is one.
    """
    maintype = kind.split("/", 1)[0]
    is_body_type = kind in ("text/plain", "text/html") or maintype == "multipart"
    return (disposition(part) == "attachment" or maintype not in ("text", "multipart")
            or (not is_body_type and (bool(filename(part)) or not in_alternative or kind == "text/calendar")))
