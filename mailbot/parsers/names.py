"""Safe attachment file names.

Attachment names come from strangers and end up in staff mail clients, in escalations
to LKPP and possibly on disk, so a name must not climb directories, hide its real
extension behind control or bidi characters, or be a dot file.
"""

from __future__ import annotations

import mimetypes
import posixpath
import unicodedata
from collections.abc import Callable

MAX_NAME = 150

# Extensions for the fallback name; the table first so the result does not depend on
# the host's mime.types.
_EXTENSIONS: dict[str, str] = {
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/octet-stream": ".bin",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pgp-signature": ".asc",
    "application/ics": ".ics",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "image/webp": ".webp",
    "image/tiff": ".tif",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/csv": ".csv",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "audio/mpeg": ".mp3",
    "video/mp4": ".mp4",
}

_RESERVED = set('<>:"|?*')
# Letters and symbols drawn as blank space (Hangul fillers, the blank Braille pattern):
# a row of them pushes a real extension out of sight as a row of spaces would.
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def extension_for(content_type: str) -> str:
    """A file extension (with the dot) for a MIME type; `.bin` when unknown."""
    ctype = content_type.strip().lower()
    if ctype in _EXTENSIONS:
        return _EXTENSIONS[ctype]
    guessed = mimetypes.guess_extension(ctype, strict=True)
    return guessed or ".bin"


def safe_filename(name: str, fallback: str) -> str:
    """A harmless version of `name`, or `fallback` when nothing usable is left.

    Keeps only the last path component, drops control and format characters (bidi
    overrides can disguise `exe` as `pdf`), runs spaces and blank-looking characters
    together (a row of them hides the extension), replaces characters Windows forbids, strips
    leading dots and surrounding spaces, and shortens to 150 characters keeping the
    extension.
    """
    text = unicodedata.normalize("NFC", name or "")
    for step in _STEPS:
        text = step(text)
    if not text:
        return fallback
    return _shortened(text) or fallback


def _visible(text: str) -> str:
    """Control and format characters dropped; line breaks, tabs and blank-looking ones as spaces."""
    return "".join(" " if ch in "\t\r\n" or ch in _BLANKS else ch for ch in text if _kept(ch))


def _kept(ch: str) -> bool:
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co") or ch in "\t\r\n"


def _last_component(text: str) -> str:
    """The name after the last slash or backslash: no directory to climb."""
    return posixpath.basename(text.replace("\\", "/"))


def _allowed(text: str) -> str:
    """Characters Windows forbids in a name as underscores."""
    return "".join("_" if ch in _RESERVED else ch for ch in text)


def _single_spaces(text: str) -> str:
    return " ".join(text.split())


def _without_outer_dots(text: str) -> str:
    """No dot file, no dot or space at either end."""
    return text.lstrip(". ").rstrip(". ")


_STEPS: tuple[Callable[[str], str], ...] = (_visible, _last_component, _allowed, _single_spaces, _without_outer_dots)


def _shortened(text: str) -> str:
    """The name within `MAX_NAME` characters, its extension (up to 16 characters) kept."""
    if len(text) <= MAX_NAME:
        return text
    stem, dot, ext = text.rpartition(".")
    if dot and stem and 0 < len(ext) <= 16:
        return stem[: MAX_NAME - len(ext) - 1].rstrip(". ") + "." + ext
    return text[:MAX_NAME].rstrip(". ")
