"""Plain text sent as `format=flowed` (RFC 3676), read back as its writer typed it.

Thunderbird (and other clients) send plain text with every line longer than about 72
characters broken, a trailing space marking each soft break. Read as it comes, a
staff member's `#data alamat ...` ends at the break and the line after it ends the
command block, and relayed text reaches the requester with its sentences broken.
Soft breaks are joined within the same quote depth; space-stuffing is undone; the
signature separator `-- ` is never a soft break. Linear in the length of the text.
"""

from __future__ import annotations

_SIGNATURE = "-- "


def unflow(text: str, delsp: bool = False) -> str:
    """`text` with its soft line breaks joined (`delsp`: the space before them goes too)."""
    out: list[str] = []
    depth_of_pending = 0
    pending: list[str] = []
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        content = content.removeprefix(" ")  # space-stuffing
        if pending and (depth != depth_of_pending or content == _SIGNATURE):
            out.append(_quoted(depth_of_pending, "".join(pending)))
            pending = []
        soft = content.endswith(" ") and content != _SIGNATURE
        pending.append(content[:-1] if soft and delsp else content)
        depth_of_pending = depth
        if not soft:
            out.append(_quoted(depth, "".join(pending)))
            pending = []
    if pending:
        out.append(_quoted(depth_of_pending, "".join(pending)))
    return "\n".join(out)


def _quoted(depth: int, text: str) -> str:
    return f"{'>' * depth} {text}" if depth else text
