"""Big base64 bodies, lifted out of the message bytes before the MIME tree is built.

The parser would hold such a body as one text line per 76 bytes and join them (about
three times the body's size at once); decoded straight from the bytes it costs its
decoded size. Each lifted body leaves a token line in its place; while the message is
read (`lifted_in_place`), the part readers look a token up (`lifted_body`) and put the
bodies back into an attached message's bytes (`restored`).
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from mailbot.parsers.raw_mending import HEADER_END
from mailbot.parsers.raw_structure import delimiters

_TOKEN = "mailbot-lifted-"


@dataclass(frozen=True)
class Lifted:
    """A part body cut out of the message bytes: `source[start:end]`."""

    source: bytes
    start: int
    end: int


_LIFTED: ContextVar[dict[str, Lifted]] = ContextVar("lifted", default={})  # noqa: B039 - never mutated
_BASE64_FIELD = re.compile(rb"^content-transfer-encoding:[ \t]*\"?base64\b", re.IGNORECASE | re.MULTILINE)


def lift(data: bytes, boundaries: set[bytes], size: int) -> tuple[bytes, dict[str, Lifted]]:
    """The message with every base64 part body of `size` bytes or more replaced by a token
    line, and the bodies.

    Only a body that sits between two delimiter lines of a declared boundary, right after
    a part header that says base64, is lifted; anything else is left to the parser as it is.
    """
    if len(data) < size:
        return data, {}
    pieces: list[bytes] = []
    lifted: dict[str, Lifted] = {}
    at = 0
    for (_, line_end, text), (after, _, _) in itertools.pairwise(_boundary_lines(data, boundaries)):
        if text not in boundaries:
            continue  # a close delimiter: what follows is an epilogue, not a part
        body = _base64_body(data, line_end, after, size)
        if body is None:
            continue
        start, end = body
        token = f"{_TOKEN}{secrets.token_hex(12)}"
        pieces += [data[at:start], token.encode("ascii")]
        lifted[token] = Lifted(data, start, end)
        at = end
    if not lifted:
        return data, {}
    pieces.append(data[at:])
    return b"".join(pieces), lifted


def _boundary_lines(data: bytes, boundaries: set[bytes]) -> list[tuple[int, int, bytes]]:
    """The delimiter lines of the declared boundaries (close delimiters too), blanks after
    the text aside."""
    found = []
    for start, end, text in delimiters(data):
        bare = text.rstrip(b" \t")
        if bare in boundaries or bare[:-2] in boundaries:
            found.append((start, end, bare))
    return found


def _base64_body(data: bytes, line_end: int, after: int, size: int) -> tuple[int, int] | None:
    """Where the body of the part between a delimiter line (ending at `line_end`) and the
    next one (at `after`) starts and ends, when its header says base64 and it has `size`
    bytes or more; else None."""
    head_end = HEADER_END.search(data, line_end, after)
    if head_end is None or not _BASE64_FIELD.search(data, line_end, head_end.start()):
        return None
    start = head_end.end()
    end = after - (2 if data[after - 2:after] == b"\r\n" else 1)
    return (start, end) if end - start >= size else None


@contextmanager
def lifted_in_place(lifted: dict[str, Lifted]) -> Iterator[None]:
    """The lifted bodies of the message being read, for `lifted_body` and `restored`."""
    reset = _LIFTED.set(lifted)
    try:
        yield
    finally:
        _LIFTED.reset(reset)


def lifted_body(text: str) -> Lifted | None:
    """The body a token stands for, or None when `text` is no token of ours."""
    return _LIFTED.get().get(text.strip()) if text.startswith(_TOKEN) else None


def restored(flat: bytes) -> bytes:
    """Bytes of an embedded message with the lifted bodies back in place of their tokens."""
    for token, lifted in _LIFTED.get().items():
        key = token.encode("ascii")
        if key in flat:
            flat = flat.replace(key, lifted.source[lifted.start:lifted.end])
    return flat
