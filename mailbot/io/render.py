"""Templates -> outgoing messages with the headers of SPEC section 2.

Bodies come from Jinja2 templates (`templates/<lang>/<kind>.txt`, with an optional
`<kind>.html` alternative; the operator's `templates_dir` overrides any of them). A kind
written once for every language is `templates/_mails/<kind>.txt`, its words in
`{% trans %}` blocks that the language's catalog words (`io/words.py`): it stands in for
`<lang>/<kind>.txt` where no file of that name is found, so an operator's own
`id/<kind>.txt` still wins, and a template including `id/_footer.txt` still finds it.
Subjects and headers are built here by code, never by a template: values are
stripped of line breaks and control characters, and a header line with one left in
it is refused, so nothing a sender writes can add a header.

No mail carries a control character from outside text: a rendered body,
plain and HTML, staff notice, digest, summary or mail to a requester alike, shows each
one but newline and tab as a visible escape (`\\x1b`, `\\u202e`), and a header value
shows C1 and the bidi controls so; a line end (CRLF or a lone CR) stays a line end, as
the quoted-printable body always wrote it. Done on the rendered text, so no template,
the operator's own included, can pass one on.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import encode_rfc2231, format_datetime, formataddr, quote
from io import BytesIO
from pathlib import Path
from typing import Any

import jinja2

from mailbot.core.applicable import offered_now
from mailbot.core.commands import NAMES
from mailbot.core.controls import visible
from mailbot.core.recipients import deliverable
from mailbot.io.words import Words, languages, words
from mailbot.model import Attachment, InlineImage

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean_header(value: str, limit: int = 200) -> str:
    """One line, no control characters (C0 and DEL as spaces, C1 and the bidi controls
    shown as escapes), bounded length."""
    text = _CONTROL.sub(" ", value)
    text = visible(re.sub(r"\s+", " ", text).strip())
    return text[:limit]


def shown(text: str) -> str:
    """A rendered body as it may be sent: line ends as newlines, every other control
    character a visible escape."""
    return visible(text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    kind: str
    mail_from: str
    rcpt: tuple[str, ...]
    raw: bytes
    subject: str
    text: str = ""  # the plain text as rendered


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


# Outgoing mail is written here, header by header and part by part, not built as an
# `email.message` tree and flattened by its generator: every value is ours or cleaned
# (no line breaks, no control characters), so nothing needs the package's generic
# folding and encoding, which cost more than the rest of a mail together (the text's
# quoted-printable alone, character by character in Python). Bodies are UTF-8
# quoted-printable (binascii), files base64, multipart boundaries random with "=_",
# which neither encoding can produce.


def _fold(name: str, value: str) -> bytes:
    """One header line on the wire: encoded words where the value is not ASCII, a long
    value folded at its spaces. A line break or control character is refused: values
    reach here cleaned, and one that did not must not become a header of its own."""
    if _CONTROL.search(value) or not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"not a header value: {name}: {value!r}")
    if not value.isascii():
        value = _encoded_words(value)
    elif len(name) + len(value) >= 76:
        value = _fold_spaces(len(name) + 2, value)
    return f"{name}: {value}\r\n".encode("ascii")


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


def command_list(language: str, worded: dict[str, Any], names: Iterable[str] | None = None) -> list[dict[str, str]]:
    """Every staff command of the one table (`command_table.COMMANDS`, in its order) as staff
    mail lists it: its spelling in the language, what it takes, what it does (the
    language's `commands` words; a command they do not word is listed by its spelling alone).
    `names`: only these (the commands that apply now, `applicable.offered`)."""
    found = []
    wanted = None if names is None else frozenset(names)
    for name, spellings in NAMES.items():
        if wanted is not None and name not in wanted:
            continue
        usage, text = (list(worded.get(name) or []) + ["", ""])[:2]
        spelling = "#" + (spellings[1] if language == "en" and len(spellings) > 1 else spellings[0])
        found.append({"name": name, "spelling": spelling, "usage": f"{spelling} {usage}".strip(), "text": str(text)})
    return found


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


_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,60}")
_MSGID = re.compile(r"[^\s<>\x00-\x1f\x7f]+")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")  # a MIME type's half (RFC 6838)


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


def _qp(text: str) -> bytes:
    """UTF-8 quoted-printable with CRLF line ends (trailing blanks and long lines encoded)."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")


@dataclass
class _Part:
    """One MIME entity to write: its Content-* headers and either encoded text, a file
    (base64 when written) or the parts of a multipart."""

    headers: list[tuple[str, str]]
    encoded: bytes = b""
    data: bytes | None = None
    parts: list[_Part] = field(default_factory=list)
    boundary: bytes = b""


def _text(text: str, subtype: str) -> _Part:
    return _Part([("Content-Type", f'text/{subtype}; charset="utf-8"'),
                  ("Content-Transfer-Encoding", "quoted-printable")], encoded=_qp(text))


def _file(data: bytes, maintype: str, subtype: str, filename: str, disposition: str = "attachment",
          cid: str | None = None) -> _Part:
    if not (_TOKEN.fullmatch(maintype) and _TOKEN.fullmatch(subtype)):
        maintype, subtype = "application", "octet-stream"
    name = clean_header(filename or "attachment", 150)
    headers = [("Content-Type", f"{maintype}/{subtype}"), ("Content-Transfer-Encoding", "base64"),
               ("Content-Disposition", f"{disposition}; {_filename_param(name)}")]
    if cid:
        headers.append(("Content-ID", f"<{_msgid(cid)}>"))
    return _Part(headers, data=data)


FENCE = "| "
# message/* types that carry a whole mail (or a piece of one): passed on as an `.eml` file
_MAIL_SUBTYPES = frozenset({"rfc822", "global", "news", "partial"})


def fence(text: object) -> str:
    """Someone else's words inside a mail of the unit's own (a requester's text in the
    escalation form or a staff notice), every line behind `FENCE`: a line they
    wrote as "D. CATATAN PETUGAS HELPDESK LPSE" or "----- akhir pesan -----" reaches LKPP
    and staff visibly as their quoted words, never as a section or an end of the unit's.
    Lines are split wherever a mail client breaks one (Unicode line and paragraph
    separators, form feeds, NEL), so none escapes the fence."""
    lines = str(text or "").splitlines() or [""]
    return "\n".join(FENCE + line if line.strip() else FENCE.rstrip() for line in lines)


def _attached(item: Attachment) -> _Part:
    """One file of a mail. An attached mail (message/rfc822, message/global, an `.eml` a
    decoder found inside winmail.dat) goes as an `.eml` file of type application/octet-
    stream: as message/rfc822 a mail client shows it inline, its HTML with its
    scripts and `onerror` handlers included, under the unit's name; as a file it is opened
    on purpose, in a mail program, and its bytes stay whole (RFC 2046 5.2.1 forbids base64
    for message/rfc822, which Thunderbird, Roundcube and Zimbra then show empty)."""
    maintype, subtype = attachment_type(item)
    if (maintype == "message" and (subtype in _MAIL_SUBTYPES or not _TOKEN.fullmatch(subtype))) \
            or item.filename.lower().endswith(".eml"):
        # its type no longer says it is a mail: the name must ("Undangan" as Outlook names an item)
        name = item.filename if item.filename.lower().endswith(".eml") else f"{item.filename or 'forwarded'}.eml"
        return _file(item.data, "application", "octet-stream", name)
    if maintype != "message":
        return _file(item.data, maintype, subtype, item.filename)
    # a report of a mail system (message/delivery-status, disposition-notification): lines of
    # fields, no mail and nothing active; unencoded, as RFC 2046 5.2.1 wants of message/*
    lines = item.data.replace(b"\r\n", b"\n").split(b"\n")
    if not item.data.isascii() or any(b"\r" in line or b"\0" in line or len(line) > 998 for line in lines):
        return _file(item.data, "application", "octet-stream", item.filename or "report.txt")
    name = clean_header(item.filename or "attachment", 150)
    return _Part([("Content-Type", f"message/{subtype}"), ("Content-Transfer-Encoding", "7bit"),
                  ("Content-Disposition", f"attachment; {_filename_param(name)}")],
                 encoded=b"\r\n".join(lines).rstrip(b"\r\n") + b"\r\n")


def _filename_param(name: str, width: int = 60) -> str:
    """The file name parameter: quoted ASCII, else RFC 2231 UTF-8, cut into numbered
    continuations of whole characters when long, so that the header folds between them
    (a name of 120 Chinese characters is 1,100 characters encoded: over RFC 5322's 998)."""
    if name.isascii():
        return f'filename="{quote(name)}"'
    encoded = encode_rfc2231(name, "utf-8")
    if len(encoded) <= width:
        return f"filename*={encoded}"
    pieces = [""]
    for char in name:
        escaped = urllib.parse.quote(char, safe="")
        if pieces[-1] and len(pieces[-1]) + len(escaped) > width:
            pieces.append("")
        pieces[-1] += escaped
    pieces[0] = "utf-8''" + pieces[0]
    return "; ".join(f"filename*{i}*={piece}" for i, piece in enumerate(pieces))


def _multipart(subtype: str, parts: list[_Part]) -> _Part:
    boundary = f"=_mailbot_{secrets.token_hex(12)}"
    return _Part([("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')], parts=parts,
                 boundary=boundary.encode("ascii"))


def _mime_body(text: str, html: str | None, inline: Sequence[InlineImage], attachments: Sequence[Attachment],
               attach_raw: Sequence[tuple[str, bytes]]) -> _Part:
    """text/plain; with HTML a multipart/alternative (HTML with its cid: images as
    multipart/related); with files a multipart/mixed around it."""
    body = _text(text, "plain")
    if html is not None:
        shown = _text(html, "html")
        if inline:
            images = [_file(image.data, *image.content_type.lower().partition("/")[::2], image.filename, "inline",
                            image.cid) for image in inline]
            shown = _multipart("related", [shown, *images])
        body = _multipart("alternative", [body, shown])
    files = [_attached(item) for item in attachments]
    # A message that cannot be re-serialised travels as its original bytes.
    files += [_file(raw, "application", "octet-stream", name) for name, raw in attach_raw]
    return _multipart("mixed", [body, *files]) if files else body


def _write(out: BytesIO, part: _Part, headers: Sequence[tuple[str, str]] = ()) -> None:
    """`part` on the wire, after `headers` (the message's own, for the outermost part)."""
    out.writelines(_fold(name, value) for name, value in (*headers, *part.headers))
    out.write(b"\r\n")
    if part.data is not None:
        view = memoryview(part.data)
        out.writelines(base64.encodebytes(view[at:at + _B64_CHUNK]).replace(b"\n", b"\r\n")
                       for at in range(0, len(view), _B64_CHUNK))
    elif part.parts:
        for child in part.parts:
            out.write(b"--" + part.boundary + b"\r\n")
            _write(out, child)
            out.write(b"\r\n")
        out.write(b"--" + part.boundary + b"--\r\n")
    else:
        out.write(part.encoded)


_B64_CHUNK = 57 * 4096  # bytes of a file encoded at a time: 4096 lines of 76 characters

def _word_times(context: dict[str, Any], said: Words) -> None:
    """The instants the core hands out (ISO, in the unit's zone) as the mail's language reads them."""
    zone = str(context.get("timezone", "Asia/Jakarta"))
    for key in ("due", "close_at"):
        if isinstance(context.get(key), str) and context[key]:
            context[key] = said.moment(context[key], zone)
    if isinstance(context.get("deadlines"), list):  # a notice's deadlines (`core/shown_deadlines`)
        context["deadlines"] = [_worded_deadline(d, said, zone) for d in context["deadlines"]
                                if isinstance(d, dict) and (d.get("at") or d.get("stopped"))]
    # when the consultation was (seed 003's "Hari/Tanggal Konsultasi"): the ticket's opening,
    # else the call's time of a form that opened none (held, cancelled)
    opened = context.get("opened") or context.get("called_at")
    if isinstance(opened, str) and opened:
        context["opened_day"], context["opened_time"] = said.day_and_time(opened, zone)


def _worded_deadline(deadline: dict[str, Any], said: Words, zone: str) -> dict[str, Any]:
    """A shown deadline's instants and what is left of a stopped clock, in the mail's words."""
    worded = {**deadline, "at": said.moment(str(deadline.get("at") or ""), zone)}
    if deadline.get("closes_at"):
        worded["closes_at"] = said.moment(str(deadline["closes_at"]), zone)
    if isinstance(deadline.get("left_minutes"), int):  # wall-clock hours, as the 3x24h standard counts
        minutes = deadline["left_minutes"]
        worded["left"] = said.unit(round(minutes / 60), "hour") if minutes >= 60 else said.unit(minutes, "minute")
    return worded


class _SharedMails(jinja2.BaseLoader):
    """`<lang>/<name>` read from `_mails/<name>`, the one template of a kind whose words
    are in the catalogs, where no per-language file of that name exists (the loaders
    before this one in the choice find those: the operator's first, then ours)."""

    def __init__(self, found: jinja2.BaseLoader) -> None:
        self.found = found
        self.languages = languages()

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        language, slash, name = template.partition("/")
        if not slash or language not in self.languages:
            raise jinja2.TemplateNotFound(template)
        return self.found.get_source(environment, f"_mails/{name}")


class _CompiledOnce(jinja2.BytecodeCache):
    """Templates compiled once per process, for every `Renderer` made in it. A renderer is
    made with each configuration (start-up, each SIGHUP reload, each `mailbot` command in a
    test), and compiling a template takes longer than rendering it (30 ms against 1).
    Jinja's bucket is keyed by the template's name and file and checked against the
    source's checksum, so an operator's changed template is compiled anew."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledOnce()


class Renderer:
    """Renders mail kinds in a language; the operator's templates win over ours."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        self.templates_dir = templates_dir
        loaders: list[jinja2.BaseLoader] = []
        if templates_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
        loaders.append(jinja2.PackageLoader("mailbot", "templates"))
        found = jinja2.ChoiceLoader(loaders)
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([found, _SharedMails(found)]),
            extensions=["jinja2.ext.i18n"],
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # read once, as the configuration is: no stat of every file per mail
            bytecode_cache=_COMPILED,
        )
        self.env.filters["fence"] = fence
        self.env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
            self._gettext, self._ngettext, newstyle=True, pgettext=self._pgettext)
        self._found: dict[str, jinja2.Template | None] = {}  # by name: None where no file has it
        # the command lists a language's mail shows, by the commands listed (None: all): the same few
        # lists for every mail, made once (`words_context`)
        self._lists: dict[tuple[str, int, tuple[str, ...] | None], tuple[Any, list[dict[str, str]]]] = {}

    def problems(self) -> list[str]:
        """What is wrong with the operator's templates, found before any mail needs them:
        each language's words (a wrong shape raises ConfigError: start-up stops, as for
        any bad setting) and the syntax of each template file (named, with its line)."""
        for language in sorted(languages()):
            words(language, self.templates_dir)
        found: list[str] = []
        if self.templates_dir is None:
            return found
        for path in sorted(self.templates_dir.glob("*/*")):
            if path.suffix in (".txt", ".html"):
                name = path.relative_to(self.templates_dir).as_posix()
                try:
                    self.env.get_template(name)
                except jinja2.TemplateSyntaxError as exc:
                    found.append(f"{path}: line {exc.lineno}: {exc.message}")
                except (OSError, UnicodeDecodeError) as exc:
                    found.append(f"{path}: cannot be read: {exc}")
        return found

    @jinja2.pass_context
    def _gettext(self, context: jinja2.runtime.Context, message: str) -> str:
        """A `{% trans %}` block's words in the language of the mail being rendered."""
        return words(str(context["language"]), self.templates_dir).gettext(message)

    @jinja2.pass_context
    def _pgettext(self, context: jinja2.runtime.Context, message_context: str, message: str) -> str:
        """The same for a message whose English says two things: `pgettext("form", "visit")`."""
        return words(str(context["language"]), self.templates_dir).pgettext(message_context, message)

    @jinja2.pass_context
    def _ngettext(self, context: jinja2.runtime.Context, singular: str, plural: str, count: int) -> str:
        """The same, with the form of a count (`{% pluralize %}`)."""
        # int(): a count the context lacks fails as StrictUndefined does, naming it
        return words(str(context["language"]), self.templates_dir).ngettext(singular, plural, int(count))

    def words_context(self, language: str, context: dict[str, Any]) -> dict[str, Any]:
        """The language's words, and the worded values a template may show (working hours, zone)."""
        said = words(language, self.templates_dir)
        worded = said.table.get("commands", {})
        return {"language": language, "words": said.table, "command_list": self._commands(language, worded, None),
                # the commands that apply to the notice's ticket now
                "commands_now": self._commands(language, worded, offered_now(context)),
                "working_hours": said.working_hours(context.get("workdays", ("mon", "fri")),
                                                    str(context.get("hours", "08:00-16:00"))),
                "tz_label": said.zone(str(context.get("timezone", "Asia/Jakarta")))}

    def _commands(self, language: str, worded: dict[str, Any], names: tuple[str, ...] | None) -> list[dict[str, str]]:
        """`command_list`, made once for each language's words and commands listed."""
        key = (language, id(worded), names)
        if key not in self._lists:  # the words kept with their list: their id names no other words meanwhile
            self._lists[key] = (worded, command_list(language, worded, names))
        return self._lists[key][1]

    def has(self, kind: str, language: str) -> bool:
        return self._template(f"{language}/{kind}.txt") is not None

    def _template(self, name: str) -> jinja2.Template | None:
        """The template of that name, or None; a name looked for once is not looked for again."""
        if name not in self._found:
            try:
                self._found[name] = self.env.get_template(name)
            except jinja2.TemplateNotFound:
                self._found[name] = None
        return self._found[name]

    def body(self, kind: str, language: str, context: dict[str, Any]) -> tuple[str, str | None]:
        """The plain text and, where a template exists, the HTML alternative."""
        context = {**self.words_context(language, context), **context}
        said = words(language, self.templates_dir)
        _word_times(context, said)
        if context.get("errors"):  # why a command or a message was refused, in this language
            context["errors"] = [said.refusal(e) for e in context["errors"]]
        for key in ("reason", "ack_unsent_reason"):  # why mail was held or not sent
            if context.get(key):
                context[key] = said.refusal(context[key])
        text = shown(self.env.get_template(f"{language}/{kind}.txt").render(**context))
        html_template = self._template(f"{language}/{kind}.html")
        return text, None if html_template is None else shown(html_template.render(**context))

    def subject(self, kind: str, language: str, tag: str | None, title: str, neutral: bool = False,
                case: str = "") -> str:
        said = words(language, self.templates_dir)
        label = said.neutral_subject(kind) if neutral else said.subject(kind, case)
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
        body = _mime_body(text, html, inline, attachments, attach_raw)
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
        headers.append(("MIME-Version", "1.0"))  # the body's Content-* headers follow
        out = BytesIO()
        _write(out, body, headers)
        recipients = tuple(dict.fromkeys(a.lower() for a in (*to, *cc)))
        return Outgoing(message_id, kind, from_addr, recipients, out.getvalue(), subject, text)
