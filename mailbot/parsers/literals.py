"""The literal words every match of a regular expression holds, read from its parse tree.

Python's regex engine tries a case-insensitive pattern that starts with a word list at every
character of a text: an alternation of forty phrases costs about 1 us a character, 450 us for
a 500-character body. Every match holds some of the pattern's words, though, and a text that
holds none of them cannot match: looking for words is a fast C search (`in`, or one pass of
an alternation shaped as a trie, `trie`). `required` reads the sets of words every match
holds one of, compared as the engine compares under IGNORECASE (`fold`); the rules
(`rules/needles.py`) and the words of delivery reports (`report_words.py`) look for them
before running a pattern. Where no words can be read, the pattern is just run: the answer
is never different from running it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

try:  # the regex engine's own extra case-insensitive equivalences (i/dotless i, s/long s, ...)
    from re._casefix import _EXTRA_CASES
    from re._constants import (
        ASSERT,
        ASSERT_NOT,
        AT,
        ATOMIC_GROUP,
        BRANCH,
        IN,
        LITERAL,
        MAX_REPEAT,
        MIN_REPEAT,
        POSSESSIVE_REPEAT,
        SUBPATTERN,
    )
    from re._parser import parse
except ImportError:  # pragma: no cover - another Python's internals: every pattern is just run
    _EXTRA_CASES = None


def _canonical() -> dict[int, int]:
    """Each character the engine takes for another (ignoring case) mapped to one of its class."""
    table: dict[int, int] = {}
    for code, others in (_EXTRA_CASES or {}).items():
        table[code] = min(code, *others)
    return table


_CANONICAL = _canonical()
_DOTTED_CAPITAL_I = {0x130: "i"}  # the one character whose str.lower() is two characters; the engine lowers it to "i"


def fold(text: str) -> str:
    """Text as the engine compares it under IGNORECASE: lower case, equivalent letters made one.
    ASCII text is its lower case alone: no ASCII letter stands for another (`_CANONICAL`
    maps each class to its lowest member, and "k", "s" and "i" are their classes' lowest)."""
    if text.isascii():
        return text.lower()
    return text.translate(_DOTTED_CAPITAL_I).lower().translate(_CANONICAL)


MAX_SPELLINGS = 64  # the most strings a run of a pattern's literal parts is spelled out as


def required(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """Sets of words (folded), each of which every match of `pattern` holds one of: the
    words it starts with, and those of every later part every match passes through
    (`\\b(tidak|ga) (adil|wajar)` gives {"tidak adil", "tidak wajar", "ga adil", "ga wajar"}:
    a run of literal parts is spelled out whole). A text that lacks every word of one set
    cannot match. Empty where nothing is known (no IGNORECASE: the pattern is just run)."""
    if _EXTRA_CASES is None or not pattern.flags & re.IGNORECASE:
        return ()
    try:
        found = _required(list(parse(pattern.pattern, pattern.flags).data))
    except Exception:  # noqa: BLE001 - an engine internal that changed: no look, just the regex
        return ()
    return tuple(dict.fromkeys(frozenset(fold(word) for word in words) for words in found))


def _required(items: list[tuple[Any, Any]]) -> list[set[str]]:
    """The word sets every match of the parsed sequence `items` holds (`required`): each run
    of parts that can be spelled out (`_spellings`) one set, and what the other parts every
    match passes through hold (`_inner`)."""
    found: list[set[str]] = []
    run = {""}
    for op, av in items:
        spelled = _spellings(op, av)
        if spelled is not None:
            joined = {head + tail for head in run for tail in spelled} if len(run) * len(spelled) <= MAX_SPELLINGS \
                else None
            if joined is not None:
                run = joined
                continue
            _close(found, run)
            run = spelled if len(spelled) <= MAX_SPELLINGS else {""}
            continue
        _close(found, run)
        run = {""}
        found += _inner(op, av)
    _close(found, run)
    return found


def _close(found: list[set[str]], run: set[str]) -> None:
    """A run's spellings become a set of words, unless one is empty (the run may match nothing)."""
    if "" not in run:
        found.append(run)


def _spellings(op: Any, av: Any) -> set[str] | None:
    """Every string one part can match (under IGNORECASE, as written), or None when they are
    too many or not known: a literal, a class of literals, a zero-width assertion (""), a
    group or alternation of such, an optional one."""
    if op is LITERAL:
        return {chr(av)}
    if op in (AT, ASSERT, ASSERT_NOT):
        return {""}
    if op is IN:
        return {chr(v) for o, v in av} if all(o is LITERAL for o, _ in av) else None
    return _group_spellings(op, av)


def _group_spellings(op: Any, av: Any) -> set[str] | None:
    """`_spellings` of a group, an alternation or an optional part: those of what it holds."""
    if op is SUBPATTERN:
        return _sequence_spellings(list(av[-1].data))
    if op is BRANCH:
        return _branch_spellings(av[1])
    if op in (MAX_REPEAT, MIN_REPEAT) and av[0] == 0 and av[1] == 1:
        spelled = _sequence_spellings(list(av[2].data))
        return None if spelled is None else spelled | {""}
    return None


def _branch_spellings(alternatives: list[Any]) -> set[str] | None:
    found: set[str] = set()
    for alternative in alternatives:
        spelled = _sequence_spellings(list(alternative.data))
        if spelled is None:
            return None
        found |= spelled
    return found if len(found) <= MAX_SPELLINGS else None


def _sequence_spellings(items: list[tuple[Any, Any]]) -> set[str] | None:
    found = {""}
    for op, av in items:
        spelled = _spellings(op, av)
        if spelled is None or len(found) * len(spelled) > MAX_SPELLINGS:
            return None
        found = {head + tail for head in found for tail in spelled}
    return found


def _inner(op: Any, av: Any) -> list[set[str]]:
    """The word sets of a part that cannot be spelled out but that every match passes
    through: a group, a repeat taken at least once, an alternation (one word of each
    alternative's most telling set)."""
    if op is SUBPATTERN:
        return _required(list(av[-1].data))
    if op is ATOMIC_GROUP:
        return _required(list(av.data))
    if op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT) and av[0] >= 1:
        return _required(list(av[2].data))
    if op is BRANCH:
        each = [_required(list(alternative.data)) for alternative in av[1]]
        if all(each):
            return [set().union(*(max(sets, key=lambda words: min(map(len, words))) for sets in each))]
    return []


def trie(words: Iterable[str]) -> str:
    """One alternation of `words` in which alternatives share their beginnings."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _branches(root)


def _branches(node: dict[str, Any]) -> str:
    parts = [re.escape(char) + _branches(node[char]) for char in sorted(node) if char]
    if not parts:
        return ""
    body = parts[0] if len(parts) == 1 else f"(?:{'|'.join(parts)})"
    return f"(?:{body})?" if "" in node else body


class Alternation:
    """Patterns searched as one alternation (`(?:a)|(?:b)|...`, IGNORECASE), looked at first:
    where the text holds no word of the alternatives that have words (one set of each, from
    `required`), only the alternatives without words are run. The match found has the span
    the whole alternation's would have (its groups may be numbered otherwise)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        parts = list(patterns)
        self.whole = re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)
        worded: set[str] = set()
        bare: list[str] = []
        for part in parts:
            sets = required(re.compile(part, re.IGNORECASE))
            if sets:
                worded |= max(sets, key=lambda words: min(map(len, words)))
            else:
                bare.append(part)
        self._look = re.compile(trie(worded)) if worded else None
        self._bare = re.compile("|".join(f"(?:{p})" for p in bare), re.IGNORECASE) if bare else None

    def search(self, text: str) -> re.Match[str] | None:
        if self._look is None or self._look.search(fold(text)):
            return self.whole.search(text)
        return self._bare.search(text) if self._bare is not None else None
