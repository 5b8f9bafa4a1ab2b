"""HTML-only mail bodies turned into readable plain text.

A small converter on the standard `HTMLParser` rather than a Markdown renderer: staff
commands are lines starting with `#`, so headings must not become `# Title`, and images
would only add noise to tickets. A link keeps its web address after its words, as the
sender's own client writes it in plain text ("tautan berikut <https://...>"): words
alone lead nowhere. Block quotes become `> ` lines so that the quoted-history stripper
recognises them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

from mailbot.parsers.quotes import ends_with_reply_header

# Tags that end a line, and tags that also leave a blank line (a paragraph).
_LINE = frozenset(
    {"address", "article", "aside", "center", "dd", "div", "dt", "fieldset", "figcaption",
     "figure", "footer", "form", "header", "li", "main", "nav", "section", "tr"}
)  # fmt: skip
_PARAGRAPH = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "pre", "hr"}
)  # fmt: skip
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"})
_SPACES = re.compile(r"[ \t\f\v\u00a0\u200b]+")
_WEB_LINK = re.compile(r"(?i)(?:https?|ftp)://[^\s<>\"]{1,2000}")
_SHOWS_ADDRESS = re.compile(r"(?i)(?:https?|ftp)://|www\.|^[^\s/]+\.[a-z]{2,}(?:/\S*)?$")
# Words that are a file's name ("Panduan_SPSE_4.5.pdf") show no address, though shaped like a host
_FILE_NAME = re.compile(r"(?i)^[^\s/]+\.(?:pdf|docx?|xlsx?|pptx?|od[tsp]|rtf|txt|csv|zip|rar|7z|jpe?g|png|gif|bmp)$")


def _start(attrs: dict[str, str | None]) -> int:
    """The first number of an <ol> (its `start`), 1 when absent or unreadable."""
    value = (attrs.get("start") or "").strip()
    return int(value) if value.isdigit() and len(value) < 7 else 1


def _link_suffix(href: str | None, words: str) -> str:
    """What follows a link's words: its web address, unless the words are empty (a logo)
    or show an address themselves (Outlook's Safe Links hide behind the address shown);
    a file's name is no address (the guide's link behind 'Panduan_SPSE_4.5.pdf')."""
    href = (href or "").strip()
    words = _SPACES.sub(" ", words).strip()
    if not words or not _WEB_LINK.fullmatch(href) or (_SHOWS_ADDRESS.search(words) and not _FILE_NAME.match(words)):
        return ""
    return f" <{href}>"


# Elements that open the quoted history and everything after them in the document (Outlook on
# the web's "divRplyFwdMsg", Outlook for Mac's "messageReplySection" / "OLK_SRC_BODY_SECTION",
# Outlook desktop's header block in Word's border-top div), elements that are a quote of their
# own ("yahoo_quoted", Thunderbird's "moz-cite-prefix" attribution), and a signature block
# ("gmail_signature", "moz-signature"): by structure, whatever language their words are in.
_HISTORY_IDS = frozenset({"divrplyfwdmsg", "messagereplysection", "olk_src_body_section",
                          "mail-editor-reference-message-container", "appendonsend"})
_QUOTE_CLASSES = frozenset({"yahoo_quoted", "moz-cite-prefix", "gmail_attr"})
_SIGNATURE_CLASSES = frozenset({"gmail_signature", "moz-signature"})
_WORD_HEADER_BORDER = re.compile(r"(?i)border-top\s*:\s*solid[^;]*;\s*padding\s*:\s*3\.0pt")
# A blockquote a writer indents their own text with (Gmail's and Apple Mail's "indent":
# no border; an editor's plain <blockquote>); one that cites (type=cite, a cite address, a
# quote class, a border rule, or a reply header right above it) is a quote.
_INDENT_STYLE = re.compile(r"(?i)border\s*:\s*none")
_BORDER_STYLE = re.compile(r"(?i)border(?:-(?:left|right|top|bottom))?(?:-(?:style|width|color))?"
                           r"\s*:\s*(?!none\b|0\b|0px\b)")
_QUOTE_CLASS = re.compile(r"(?i)quot|cite")
_HEADER_LOOKBACK = 5  # lines above a blockquote read for the reply header that would cite it


def _opens_history(tag: str, attrs: dict[str, str | None]) -> bool:
    ident = (attrs.get("id") or "").lower()
    classes = (attrs.get("class") or "").lower().split()
    if ident in _HISTORY_IDS or any(c in _HISTORY_IDS for c in classes):
        return True
    return tag == "div" and bool(_WORD_HEADER_BORDER.search(attrs.get("style") or ""))


class _TextCollector(HTMLParser):
    """Collects text as (quote depth, line) pairs; blank lines mark paragraphs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self.current: list[str] = []
        self.depth = 0
        self.skip = 0
        self.history = False  # past an element that opens the history: the rest is quoted
        self.open: list[tuple[str, int, int]] = []  # elements that quote or skip: (tag, depth added, skip added)
        self.indents = 0  # open blockquotes the writer indents with (not quotes)
        self.pre = 0
        self.links: list[tuple[str | None, list[str]]] = []  # open <a>: its href and its words
        self.lists: list[int | None] = []  # open lists: the last number of an <ol>, None for a <ul>

    def end_line(self, *, hard: bool = False) -> None:
        """Finish the current line; `hard` (a <br>) keeps even an empty one."""
        text = "".join(self.current)
        self.current = []
        if self.pre:
            for line in text.split("\n"):
                self.lines.append((self.level(), line.rstrip()))
            return
        text = _SPACES.sub(" ", text).strip()
        if text or hard:
            self.lines.append((self.level(), ("    " * self.indents if text else "") + text))

    def level(self) -> int:
        return self.depth + (1 if self.history else 0)

    def paragraph(self) -> None:
        self.end_line()
        if self.lines and self.lines[-1][1]:
            self.lines.append((self.level(), ""))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag not in _VOID and self._structure(tag, named):
            return
        opener = _OPENERS.get(tag)
        if opener is not None:
            opener(self, tag, named)

    def _open_skipped(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.skip += 1

    def _open_break(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.end_line(hard=True)

    def _open_blockquote(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.paragraph()
        if self._indents(attrs):
            self.indents += 1
            self.open.append((tag, 0, -1))
        else:
            self.depth += 1

    def _open_paragraph(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.paragraph()
        if tag == "pre":
            self.pre += 1
        elif tag in ("ol", "ul"):
            self.lists.append(_start(attrs) - 1 if tag == "ol" else None)

    def _open_line(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.end_line()
        if tag == "li":
            self.current.append(self.bullet())

    def _open_cell(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.current.append(" ")

    def _open_link(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.links.append((attrs.get("href"), []))

    def _indents(self, attrs: dict[str, str | None]) -> bool:
        """Whether a blockquote indents the writer's own words rather than quoting: no
        type=cite, cite address or quote class, no border drawn (a quote's bar), not inside a
        quote or the history, and no reply header ("Pada ..., X menulis:") just above it."""
        if _cites(attrs):
            return False
        style = attrs.get("style") or ""
        if _INDENT_STYLE.search(style):
            return True
        if _BORDER_STYLE.search(style) or self.level():
            return False
        above = [text for depth, text in self.lines[-_HEADER_LOOKBACK:] if not depth and text.strip()]
        return not ends_with_reply_header(above)

    def _structure(self, tag: str, attrs: dict[str, str | None]) -> bool:
        """Mark what the element is by its structure (see `_HISTORY_IDS`); True when handled."""
        classes = (attrs.get("class") or "").lower().split()
        if not self.history and _opens_history(tag, attrs):
            self.paragraph()
            self.history = True
        if any(c in _SIGNATURE_CLASSES for c in classes):
            self.end_line()
            self.skip += 1
            self.open.append((tag, 0, 1))
            return True
        if any(c in _QUOTE_CLASSES for c in classes):
            self.paragraph()
            self.depth += 1
            self.open.append((tag, 1, 0))
            return True
        if self.open and self.open[-1][0] == tag:
            self.open.append((tag, 0, 0))  # the same tag nested inside: closes before the marked one
        return False

    def _close_structure(self, tag: str) -> bool:
        if not self.open or self.open[-1][0] != tag:
            return False
        _, depth, skip = self.open.pop()
        if skip < 0:
            self.end_line()
            self.indents = max(0, self.indents - 1)
            self.paragraph()
            return True
        if depth:
            self.end_line()
            self.depth = max(0, self.depth - depth)
            self.paragraph()
        if skip:
            self.skip = max(0, self.skip - skip)
        return bool(depth or skip)

    def bullet(self) -> str:
        """A list item's mark: its number in an <ol> ("1. ", as typed steps read), else "- "."""
        if not self.lists or self.lists[-1] is None:
            return "- "
        self.lists[-1] += 1
        return f"{self.lists[-1]}. "

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.end_line(hard=True)
        elif tag in _PARAGRAPH:
            self.paragraph()
        elif tag in _LINE:
            self.end_line()

    def handle_endtag(self, tag: str) -> None:
        if self._close_structure(tag):
            return
        closer = _CLOSERS.get(tag)
        if closer is not None:
            closer(self, tag)

    def _close_skipped(self, tag: str) -> None:
        self.skip = max(0, self.skip - 1)

    def _close_blockquote(self, tag: str) -> None:
        self.end_line()
        self.depth = max(0, self.depth - 1)
        self.paragraph()

    def _close_paragraph(self, tag: str) -> None:
        if tag == "pre":
            self.end_line()
            self.pre = max(0, self.pre - 1)
        elif tag in ("ol", "ul") and self.lists:
            self.lists.pop()
        self.paragraph()

    def _close_line(self, tag: str) -> None:
        self.end_line()

    def _close_link(self, tag: str) -> None:
        if self.links:
            href, words = self.links.pop()
            self.current.append(_link_suffix(href, "".join(words)))

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        for _, words in self.links:
            words.append(data)
        if not self.pre:
            data = data.replace("\r", " ").replace("\n", " ")
        self.current.append(data)


def _cites(attrs: dict[str, str | None]) -> bool:
    """Whether a blockquote says it cites: type=cite, a cite address, a quote class."""
    return bool(attrs.get("type") or attrs.get("cite") or _QUOTE_CLASS.search(attrs.get("class") or ""))


# What an opening tag does, by tag (after `_structure`); a tag not here only holds text.
_OPENERS: dict[str, Callable[[_TextCollector, str, dict[str, str | None]], None]] = {
    **dict.fromkeys(_SKIP, _TextCollector._open_skipped),
    "br": _TextCollector._open_break,
    "blockquote": _TextCollector._open_blockquote,
    **dict.fromkeys(_PARAGRAPH, _TextCollector._open_paragraph),
    **dict.fromkeys(_LINE, _TextCollector._open_line),
    "td": _TextCollector._open_cell,
    "th": _TextCollector._open_cell,
    "a": _TextCollector._open_link,
}
# What a closing tag does, by tag (after `_close_structure`).
_CLOSERS: dict[str, Callable[[_TextCollector, str], None]] = {
    **dict.fromkeys(_SKIP, _TextCollector._close_skipped),
    "blockquote": _TextCollector._close_blockquote,
    **dict.fromkeys(_PARAGRAPH, _TextCollector._close_paragraph),
    **dict.fromkeys(_LINE, _TextCollector._close_line),
    "a": _TextCollector._close_link,
}


FEED_CHARS = 65536  # what the parser is handed at a time: its buffer never holds the whole body
# Where each kind of markup that the standard parser waits on ends (an unclosed one makes it
# rescan the rest of the body for every "<": quadratic, 10 s for 40 KB of "<a <b <i ").
_MARKUP_ENDS = (("<!--", "-->"), ("<![", "]]>"), ("<", ">"))


class _Ends:
    """Where the next closing string of each kind is, found once per kind and position:
    a kind that does not close again is never looked for again (linear in the body)."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.found: dict[str, int] = {}

    def after(self, closer: str, start: int) -> int:
        at = self.found.get(closer)
        if at is None or (at != -1 and at < start):
            at = self.html.find(closer, start)
            self.found[closer] = at
        return at


def closed_markup(html: str) -> Iterator[str]:
    """The body in pieces with every "<" that opens markup which never closes written as
    "&lt;" (as a browser shows it: text), so that the standard parser has nothing to wait
    for and reads the body in one pass whatever it holds (SPEC 9: a crafted body must not
    stall the mailbox nor fill the memory)."""
    ends = _Ends(html)
    start = 0
    while (lt := html.find("<", start)) >= 0:
        opener, closer = next((o, c) for o, c in _MARKUP_ENDS if html.startswith(o, lt))
        end = ends.after(closer, lt + len(opener))
        if end < 0:
            yield html[start:lt] + "&lt;"
            start = lt + 1
        else:
            stop = end + len(closer)
            yield html[start:stop]
            start = stop
    yield html[start:]


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: paragraphs kept, markup, links and images dropped."""
    collector = _TextCollector()
    try:
        pending: list[str] = []
        size = 0
        for piece in closed_markup(html):
            pending.append(piece)
            size += len(piece)
            if size >= FEED_CHARS:
                collector.feed("".join(pending))
                pending, size = [], 0
        collector.feed("".join(pending))
        collector.close()
    except (AssertionError, ValueError, IndexError):  # pragma: no cover - parser quirks
        return _SPACES.sub(" ", re.sub(r"<[^>]{0,2000}>", " ", html)).strip()
    collector.end_line()
    out: list[str] = []
    for depth, text in collector.lines:
        line = ("> " * depth + text).rstrip() if text else (">" * depth if depth else "")
        if not line.strip("> ") and out and not out[-1].strip("> "):
            continue  # collapse runs of empty lines
        out.append(line)
    return "\n".join(out).strip("\n")
