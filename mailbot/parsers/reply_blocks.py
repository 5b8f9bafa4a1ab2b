"""The block splitter: what the sender wrote, above, below and between quoted history.

A reply is read top to bottom as blocks: the writer's own lines, a reply header with the
`>` quote under it, a header block or marker with the unquoted history under it, a
signature or a client footer. Each line is given to the first of the ordered steps in
`_STEPS` that takes it (a quote, a blank line, a ticket system's marker, the rule over
one, the start of history), else it is the writer's. The checks are line based with
bounded patterns, so a long or hostile body costs linear time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mailbot.parsers.header_blocks import is_field_name, key
from mailbot.parsers.quote_words import is_quoted, split_lines
from mailbot.parsers.quoted_history import history_at, is_reply_marker, marker_follows
from mailbot.parsers.signatures import (
    SEPARATOR_ONLY,
    last_content_index,
    opens_signature,
    trim_ends,
    visible,
)

# A quoted question or label ends so: what stands under it in lower case is an answer, not its wrap
# (a quoted line that ends with a full stop may still be wrapped: "... a quis orci.\nrhoncus tortor in.")
_ASKS = ("?", ":", "？", "：")
_BLOCK_FIELDS = 12  # lines under a marker or a block's first field read for the rest of its fields


def new_text(text: str) -> str:
    """What the sender wrote, wherever it stands: above, below and between quoted history.

    The text is read as blocks (see `_blocks`): the writer's own lines, a reply header
    with the `>` quote under it, a header block or marker with the unquoted history under
    it, a signature or a client footer. Every block of the writer's own lines is kept, in
    order, a blank line between them; a sign-off and a name are the writer's words too.
    Unquoted history (Outlook's header block, a forward, a header followed by text that is
    not `>`-quoted) runs to the end: nothing tells the writer's lines from it there.
    """
    kept = [block for block in _blocks(split_lines(text)) if block]
    return "\n\n".join("\n".join(block) for block in kept)


@dataclass
class _Reading:
    """Where the splitter stands: the blocks so far and the one being written."""

    lines: list[str]
    blocks: list[list[str]] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    written: bool = False  # whether the writer's own lines came before this line
    skipping: bool = False  # inside a signature or a footer: dropped up to the next history
    last: int = -1  # the last line with unquoted text (`last_content_index`), read once
    quoted: bool = False  # whether a quote or history came before this line

    def __post_init__(self) -> None:
        # once per text, not once per line: a crafted mail of many typed lines above many
        # quoted ones would otherwise cost the square of its length (SPEC 9, time budget)
        self.last = last_content_index(self.lines)

    def close_block(self) -> None:
        """The block being written is done; history (or a quote) comes between it and the next."""
        self.blocks.append(_cleaned(self.current))
        self.current, self.skipping = [], False


# A step reads line i (`stripped`: without blanks and zero-width characters) and answers
# the index of the next line to read (the number of lines to stop), or None: not its line.
_Step = Callable[[_Reading, int, str], int | None]


def _blocks(lines: list[str]) -> list[list[str]]:
    """The writer's blocks of lines, each cleaned (`_cleaned`), in order."""
    reading = _Reading(lines)
    i = 0
    while i < len(lines):
        i = _next_line(reading, i, visible(lines[i]).strip())
    reading.blocks.append(_cleaned(reading.current))
    return [b for b in reading.blocks if b]


def _next_line(reading: _Reading, i: int, stripped: str) -> int:
    """Line i given to the first step that takes it; a line no step takes is the writer's."""
    for step in _STEPS:
        following = step(reading, i, stripped)
        if following is not None:
            return following
    return _writers_line(reading, i)


def _quote(reading: _Reading, i: int, stripped: str) -> int | None:
    """A `>` quote ends the block; it goes, with its blank lines and broken wraps."""
    if not stripped.startswith(">") or (not reading.quoted and _lone_quote_in_text(reading.lines, i)):
        return None  # under a quote, a lone quoted line is one more line of it the writer answers under
    reading.close_block()
    reading.quoted = True
    return _quote_run_end(reading.lines, i)


def _blank(reading: _Reading, i: int, stripped: str) -> int | None:
    """A blank line stays in the block, but in a signature or a footer."""
    if stripped:
        return None
    if not reading.skipping:
        reading.current.append("")
    return i + 1


def _reply_marker(reading: _Reading, i: int, stripped: str) -> int | None:
    """A ticket system's reply marker: the ticket's history is below it, unless it heads the text."""
    if not is_reply_marker(reading.lines[i]):
        return None
    return len(reading.lines) if reading.written else i + 1


def _rule_over_marker(reading: _Reading, i: int, stripped: str) -> int | None:
    """Jira Service Management's rule over "Reply above this line." heads the text too."""
    if reading.written or not SEPARATOR_ONLY.match(stripped) or not marker_follows(reading.lines, i + 1):
        return None
    return i + 1


def _history(reading: _Reading, i: int, stripped: str) -> int | None:
    """History starts here (`history_at`): the block ends. A `>` quote under the header goes
    and what follows it is the writer's again; unquoted history runs to the end."""
    opener = history_at(reading.lines, i, reading.written)
    if opener is None:
        return None
    before, after, back = opener
    if back:  # a header block's first lines were read as the writer's
        reading.current = reading.current[: len(reading.current) - back]
    if before:
        reading.current.append(before)
    reading.close_block()
    reading.quoted = True
    lines = reading.lines
    following = _past_fields(lines, after)
    if following < len(lines) and is_quoted(lines[following]):
        return following
    return len(lines)


def _past_fields(lines: list[str], j: int) -> int:
    """The first line from j that is neither blank nor a field of the header block above it:
    Zimbra and Roundcube put a `>` quote under their "----- Pesan Asli -----" and
    "Dari:/Kepada:/Terkirim:/Perihal:" lines, and a writer who answers below the quote or
    between its lines goes on writing there."""
    for k in range(j, min(len(lines), j + _BLOCK_FIELDS)):
        stripped = lines[k].strip()
        if stripped and (stripped.startswith(">") or not _is_field(stripped)):
            return k
    return next((k for k in range(j, len(lines)) if lines[k].strip()), len(lines))


def _is_field(line: str) -> bool:
    name = key(line)
    return name is not None and is_field_name(name)


_STEPS: tuple[_Step, ...] = (_quote, _blank, _reply_marker, _rule_over_marker, _history)


def _writers_line(reading: _Reading, i: int) -> int:
    """The writer's own line, unless it opens a signature or a footer (dropped to the next history)."""
    if not reading.skipping and opens_signature(reading.lines, i, reading.written, reading.last):
        reading.skipping = True
    if not reading.skipping:
        reading.current.append(reading.lines[i])
        reading.written = True
    return i + 1


def _cleaned(lines: list[str]) -> list[str]:
    """A block without its leading and trailing blank lines, separators, footers and a ticket
    system's footer, and without double gaps."""
    kept: list[str] = []
    for line in lines:
        if not line.strip() and kept and not kept[-1].strip():
            continue
        kept.append(line)
    return [line.rstrip() for line in trim_ends(kept)]


def _quote_run_end(lines: list[str], i: int) -> int:
    """Where the `>` quote starting at line i ends: blank lines inside it and a quoted line's
    broken wrap (a line right between two quoted lines that does not open as a sentence does:
    "ignissim odio?", "_nonce=3dd518)") belong to it; the blank lines after it do not."""
    end = i + 1
    j = i + 1
    while j < len(lines):
        stripped = lines[j].strip()
        if stripped.startswith(">"):
            end = j = j + 1
        elif not stripped:
            j += 1
        elif _broken_wrap(lines, j):
            end = j = j + 1
        else:
            break
    return end


def _broken_wrap(lines: list[str], j: int) -> bool:
    """A quoted line broken in two: a line between two quoted lines that does not open as a
    sentence does. Under a quoted question or label ("> 1. Apakah akun sudah bisa login?",
    "> Nama perusahaan:"), a line in lower case is the writer's answer ("belum bisa pak"),
    typed between the quote's lines."""
    above, below = lines[j - 1].strip(), lines[j + 1].strip() if j + 1 < len(lines) else ""
    text = lines[j].strip()
    return above.startswith(">") and below.startswith(">") and not (text[:1].isupper() or text[:1].isdigit()) \
        and not above.endswith(_ASKS)


def _lone_quote_in_text(lines: list[str], i: int) -> bool:
    """A single `>` line right between two lines of text (">>> www.example.com <<<" in an
    advert, an arrow): no quote, which stands apart from the text around it."""
    if i == 0 or i + 1 >= len(lines):
        return False
    above, below = lines[i - 1].strip(), lines[i + 1].strip()
    return bool(above) and bool(below) and not above.startswith(">") and not below.startswith(">") \
        and not history_at(lines, i - 1, True)
