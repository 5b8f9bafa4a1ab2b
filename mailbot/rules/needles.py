"""A quick look before a rule's regular expression: can it match this text at all?

Most rule patterns start with a word list, `\\b(gagal|error|eror|...)\\b.{0,40}...`, and
most patterns find nothing in most mail. Python's regex engine tries such a pattern at
every character of the text (a case-insensitive word list gives it no literal to look
for first): about 25 us for a 500-character body, 30-odd patterns a message. Every match
must start with one of the words, though, and looking for a word with `in` is a fast
C search. So each pattern's leading words (its "needles") are read from its parse tree
once; a text that contains none of them, compared case-insensitively as the regex
engine compares, cannot match, and the regex is not run. Where a pattern does not start
with words (a character class, an optional part, a back reference), it has no needles
and is always run. The answer is never different from running the pattern.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

try:  # the regex engine's own extra case-insensitive equivalences (i/dotless i, s/long s, ...)
    from re._casefix import _EXTRA_CASES
    from re._constants import ASSERT, ASSERT_NOT, AT, BRANCH, LITERAL, SUBPATTERN
    from re._parser import parse
except ImportError:  # pragma: no cover - another Python's internals: every pattern is just run
    _EXTRA_CASES = None

MIN_NEEDLE = 3  # shorter leading words are in too many texts to be worth a look
MAX_NEEDLES = 64


def _canonical() -> dict[int, int]:
    """Each character the engine takes for another (ignoring case) mapped to one of its class."""
    table: dict[int, int] = {}
    for code, others in (_EXTRA_CASES or {}).items():
        table[code] = min(code, *others)
    return table


_CANONICAL = _canonical()
_DOTTED_CAPITAL_I = {0x130: "i"}  # the one character whose str.lower() is two characters; the engine lowers it to "i"


def fold(text: str) -> str:
    """Text as the engine compares it under IGNORECASE: lower case, equivalent letters made one."""
    return text.translate(_DOTTED_CAPITAL_I).lower().translate(_CANONICAL)


@lru_cache(maxsize=512)
def needles(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Words one of which every match of `pattern` starts with (folded), or None: always run it."""
    if _EXTRA_CASES is None or not pattern.flags & re.IGNORECASE:
        return None
    try:
        found = _leading(list(parse(pattern.pattern, pattern.flags).data))
    except Exception:  # noqa: BLE001 - an engine internal that changed: no look-ahead, just the regex
        return None
    if not found or len(found) > MAX_NEEDLES or min(len(word) for word in found) < MIN_NEEDLE:
        return None
    return tuple(sorted({fold(word) for word in found}))


def _leading(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Literal strings, one of which starts every match of the parsed `items`, or None.

    Zero-width assertions (`\\b`, `^`, look-arounds) are passed over: leaving a condition
    out only makes the answer weaker, never wrong. A group or alternation contributes
    the leading words of each alternative (`_after`), and the look stops after it.
    """
    prefix = ""
    for op, av in items:
        if op in (AT, ASSERT, ASSERT_NOT):
            continue
        if op is LITERAL:
            prefix += chr(av)
            continue
        if op is SUBPATTERN or op is BRANCH:
            return _after(prefix, [av[-1]] if op is SUBPATTERN else av[1])
        break
    return _just(prefix)


def _after(prefix: str, alternatives: list[Any]) -> set[str] | None:
    """`prefix` and then the leading words of each alternative; `prefix` alone where one
    alternative has none."""
    words: set[str] = set()
    for alternative in alternatives:
        tails = _leading(list(alternative.data if hasattr(alternative, "data") else alternative))
        if tails is None:
            return _just(prefix)
        words |= tails
    return {prefix + word for word in words}


def _just(prefix: str) -> set[str] | None:
    return {prefix} if prefix else None


@lru_cache(maxsize=256)
def folded(text: str) -> str:
    """`fold`, remembered: one message's subject and body are looked at by every rule."""
    return fold(text)


def search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """`pattern.search(text)`, skipped where the text holds none of the pattern's needles."""
    words = needles(pattern)
    if words is not None:
        haystack = folded(text)
        if not any(word in haystack for word in words):
            return None
    return pattern.search(text)
