"""A quick look before a rule's regular expression: can it match this text at all?

Most rule patterns start with a word list, `\\b(gagal|error|eror|...)\\b.{0,40}...`, and
most patterns find nothing in most mail. Python's regex engine tries such a pattern at
every character of the text (a case-insensitive word list gives it no literal to look
for first): about 25 us for a 500-character body, 30-odd patterns a message. Every match
must hold one of the words, though, and looking for a word with `in` is a fast C search.
So each pattern's "needles" are read from its parse tree once: the words it starts with,
or where it starts with something else (a character class, a repeat, `^(?:\\W*\\w+\\W+){0,8}?`),
the words of the first part every match must hold after that. A text that contains none
of them, compared case-insensitively as the regex engine compares, cannot match, and the
regex is not run. Where no such words can be read (an optional part, a back reference
alone), a pattern has no needles and is always run. The answer is never different from
running the pattern.

The category and priority rules, which weigh every new request, look further
(`NeedleIndex`): each of their patterns holds one word of each of several sets (the
words of every part every match passes through, runs of literal parts spelled out whole:
`required`), and all the sets' words are looked for at once, in one pass over the text.
Fewer patterns are run then, and none is looked for word by word; and from the words
found the index tells which patterns are still possible in each place at once
(`NeedleIndex.possible`), so a rule none of whose patterns is possible is not asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from mailbot.parsers.literals import fold, required, trie

try:  # the regex engine's internals (`parsers.literals` reads patterns with them too)
    from re._casefix import _EXTRA_CASES
    from re._constants import (
        ASSERT,
        ASSERT_NOT,
        AT,
        AT_BEGINNING_STRING,
        AT_END_STRING,
        ATOMIC_GROUP,
        BRANCH,
        LITERAL,
        POSSESSIVE_REPEAT,
        SUBPATTERN,
    )
    from re._parser import parse
except ImportError:  # pragma: no cover - another Python's internals: every pattern is just run
    _EXTRA_CASES = None

MIN_NEEDLE = 3  # shorter leading words are in too many texts to be worth a look
MAX_NEEDLES = 64


@lru_cache(maxsize=1024)
def needles(pattern: re.Pattern[str], shortest: int = MIN_NEEDLE) -> tuple[str, ...] | None:
    """Words one of which every match of `pattern` holds (folded), or None: always run it.
    `shortest`: the shortest word worth a look (a look at a whole body at once, `in_none`, is
    worth it for "sy" and "?" too: one look however many sentences)."""
    if _EXTRA_CASES is None or not pattern.flags & re.IGNORECASE:
        return None
    try:
        found = _held(list(parse(pattern.pattern, pattern.flags).data))
    except Exception:  # noqa: BLE001 - an engine internal that changed: no look-ahead, just the regex
        return None
    if not found or len(found) > MAX_NEEDLES or min(len(word) for word in found) < shortest:
        return None
    return tuple(sorted({fold(word) for word in found}))


def _held(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Literal strings, one of which every match of the parsed `items` holds, or None.

    The words the items start with (`_leading`); where they start with a part that may
    match anything (a class, a repeat) or a group with no words of its own, the words of
    the first later part that has them: every part of a sequence is in every match."""
    for at, (op, av) in enumerate(items):
        if op in (AT, ASSERT, ASSERT_NOT):
            continue
        if op is LITERAL:
            return _leading(items[at:])
        if op is SUBPATTERN or op is BRANCH:
            held = _held_by_every([av[-1]] if op is SUBPATTERN else av[1])
            if held is not None:
                return held
    return None


def _held_by_every(alternatives: list[Any]) -> set[str] | None:
    """The words one of which each alternative's every match holds, or None when one has none."""
    held = [_held(list(a.data if hasattr(a, "data") else a)) for a in alternatives]
    if all(words is not None for words in held):
        return {word for words in held for word in words or ()}
    return None


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


@lru_cache(maxsize=64)
def _folded_all(texts: tuple[str, ...]) -> str:
    """The texts folded and joined by a character no needle holds."""
    return "\x00".join(fold(text) for text in texts)


@lru_cache(maxsize=64)
def _lines(texts: tuple[str, ...]) -> str:
    return "\n".join(texts)


@lru_cache(maxsize=1024)  # every pattern of the shipped rules and an operator's
def _across(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """`pattern` compiled to look at several one-line texts joined by line breaks at once, or
    None where a match one text has alone could be missed so. A match inside one text is a
    match of the joined texts at the same place when nothing in the pattern looks past the
    text's own edges differently: `^` and `$` become each line's (MULTILINE), `\\b` sees the
    line break as the edge it sees alone; look-arounds, `\\A`/`\\Z`, atomic groups and
    possessive repeats could see the neighbour or not give back, so such patterns have none."""
    if _EXTRA_CASES is None:
        return None
    try:
        tree = parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - an engine internal that changed: texts are looked at one by one
        return None
    if not _local(list(tree.data)):
        return None
    return re.compile(pattern.pattern, pattern.flags | re.MULTILINE)


def _local(items: list[tuple[Any, Any]]) -> bool:
    """Whether the parsed `items` look only at the text they match (`_across`)."""
    for op, av in items:
        if op in (ASSERT, ASSERT_NOT, ATOMIC_GROUP, POSSESSIVE_REPEAT):
            return False
        if op is AT and av in (AT_BEGINNING_STRING, AT_END_STRING):
            return False
        if not all(_local(list(sub.data)) for sub in _children(av)):
            return False
    return True


def _children(av: Any) -> list[Any]:
    """The parsed sub-patterns inside one item's argument: a group's, each alternative, a
    repeat's body, a conditional's two branches (whatever holds a parsed pattern)."""
    found: list[Any] = []
    for part in av if isinstance(av, (tuple, list)) else (av,):
        if hasattr(part, "data"):
            found.append(part)
        elif isinstance(part, (tuple, list)):
            found += _children(part)
    return found


class NeedleIndex:
    """The words `required` reads from a table's patterns, all looked for in one pass over a
    text: a regular expression of them as a trie (one try per character, in the engine's C),
    at every position of the folded text. Where a word starts, the longest one found there
    is read, and with it every word that is its beginning: the set of words the text holds,
    exactly as `word in text` for each would find them, for a fraction of the cost of 30-odd
    patterns each looking for their own words. `in_none` then asks each pattern's sets."""

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        # each pattern's sets, and the pattern (its look across joined texts, `_across`, is
        # compiled where first asked: most patterns are settled by their sets alone, and
        # compiling them all again was most of the index's making, 0.1-0.2 s at a start)
        self.looks: dict[int, tuple[tuple[frozenset[str], ...], re.Pattern[str]]] = {}
        self._kept = list(dict.fromkeys(patterns))  # the ids above stay theirs
        for pattern in self._kept:
            self.looks[id(pattern)] = (required(pattern), pattern)
        # each word -> the (pattern, set) pairs it is one of: the words a text holds point to
        # the patterns that may match it, and only those are asked further (`possible`)
        self._sets_of = _sets_of_words(self.looks)
        words = set(self._sets_of)
        self._starts = {word: frozenset(word[:end] for end in range(1, len(word) + 1) if word[:end] in words)
                        for word in words}
        self._scan = re.compile(f"(?=({trie(words)}))", re.DOTALL) if words else None
        self._present: dict[str, frozenset[str]] = {}
        self._needed = {key: len(sets) for key, (sets, _) in self.looks.items() if sets}  # pattern -> its sets
        self._possible: dict[str, frozenset[int]] = {}
        self._keys: dict[int, tuple[tuple[re.Pattern[str], ...], frozenset[int] | None]] = {}  # `keys_of`

    def none_of(self, pattern: re.Pattern[str], texts: tuple[str, ...]) -> bool:
        """`in_none` for one of the index's patterns: a set of its words none of the texts
        holds, or its look at them joined."""
        key = id(pattern)
        if key in self._needed and key not in self.possible(texts):
            return True
        across = _across(self.looks[key][1])
        return across is not None and across.search(_lines(texts)) is None

    def keys_of(self, patterns: tuple[re.Pattern[str], ...]) -> frozenset[int] | None:
        """The keys of `patterns` that `possible` answers with, or None where one of them is
        not the index's or has no sets (it may match any text: it is asked)."""
        found = self._keys.get(id(patterns))
        if found is None or found[0] is not patterns:
            keys = [id(p) for p in patterns]
            found = (patterns, frozenset(keys) if all(key in self._needed for key in keys) else None)
            self._keys[id(patterns)] = found
        return found[1]

    def possible(self, texts: tuple[str, ...]) -> frozenset[int]:
        """The patterns (ids) with sets of which the texts hold a word of each: one pass from
        the words found to the sets they are in, for every pattern of the table at once, where
        each pattern asking its own sets ran a hundred times a message."""
        haystack = _folded_all(texts)
        found = self._possible.get(haystack)
        if found is None:
            met = {pair for word in self.present(haystack) for pair in self._sets_of.get(word, ())}
            counts: dict[int, int] = {}
            for key, _ in met:
                counts[key] = counts.get(key, 0) + 1
            found = frozenset(key for key, count in counts.items() if count == self._needed[key])
            if len(self._possible) >= 64:
                self._possible.clear()
            self._possible[haystack] = found
        return found

    def present(self, haystack: str) -> frozenset[str]:
        """The index's words `haystack` (folded) holds; the last few texts' answers are kept."""
        found = self._present.get(haystack)
        if found is None:
            found = frozenset().union(*map(self._starts.__getitem__, set(self._scan.findall(haystack)))) \
                if self._scan is not None else frozenset()
            if len(self._present) >= 64:
                self._present.clear()
            self._present[haystack] = found
        return found


def _sets_of_words(looks: dict[int, tuple[tuple[frozenset[str], ...], re.Pattern[str]]]
                   ) -> dict[str, list[tuple[int, int]]]:
    """Each word of the patterns' sets -> the (pattern, set) pairs it is one of."""
    found: dict[str, list[tuple[int, int]]] = {}
    for key, (sets, _) in looks.items():
        for at, held in enumerate(sets):
            for word in held:
                found.setdefault(word, []).append((key, at))
    return found


def in_none(pattern: re.Pattern[str], texts: tuple[str, ...], index: NeedleIndex | None = None) -> bool:
    """Whether no text of `texts` holds a match of `pattern`, told by one look at all of them
    together rather than one look each (the category rules, one search per sentence
    per pattern, were a tenth of intake): none holds one of its needles, or the texts joined
    as lines hold no match. False where it cannot be told so: look at each. With the `index`
    of the pattern's table, the words of each of its `required` sets are looked for at once."""
    if index is not None and id(pattern) in index.looks:
        return index.none_of(pattern, texts)
    words = needles(pattern, 1)
    if words is not None:
        haystack = _folded_all(texts)
        if not any(word in haystack for word in words):
            return True
    across = _across(pattern)
    return across is not None and across.search(_lines(texts)) is None


def search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """`pattern.search(text)`, skipped where the text holds none of the pattern's needles
    (`in`, a C search per word: faster here than one alternation of them all, which the
    engine tries at every character). A short word is looked for too: a look at a sentence
    costs far less than the engine's try at each of its characters."""
    words = needles(pattern, 1)
    if words is not None:
        haystack = folded(text)
        if not any(word in haystack for word in words):
            return None
    return pattern.search(text)

