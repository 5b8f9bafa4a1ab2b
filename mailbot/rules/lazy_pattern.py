"""A shipped rule's regular expression, compiled the first time it is used.

Python compiles a pattern in Python code, and the shipped rule files hold 437 of them:
0.28 s of CPU at every start of every process that loads the rules, the daemon, its
sender process (which never classifies a mail) and each `mailbot` command. Most of them
only ever meet one kind of mail (an LKPP reply, a closing answer), and a process that never
sees that kind need not compile them. The shipped files are checked whole by the test
suite (`tests/test_rules_lazy.py` loads them compiled and validated, as an operator's file
is loaded); an operator's rule file, and every shipped rule of its kind, is still compiled
and validated at start, so a mistake in it stops start-up with the file and rule named.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast


class LazyPattern:
    """Stands for `compile(source)` and answers as it would; it compiles at the first
    question that needs the compiled pattern. `pattern` (the source) is known without it.
    Equal and hashed as the compiled pattern is (by source and flags), so a table that
    keys by pattern sees one key where the eager loading gave one object."""

    __slots__ = ("_compile", "_compiled", "match", "pattern", "search")

    def __init__(self, source: str, compile_once: Callable[[str], re.Pattern[str]]) -> None:
        self.pattern = source
        self._compile = compile_once
        self._compiled: re.Pattern[str] | None = None
        # until the first question, these compile; then they are the compiled pattern's own
        # (each rule pattern is searched a hundred times a message: no call of ours in between)
        self.search: Callable[..., re.Match[str] | None] = self._first_search
        self.match: Callable[..., re.Match[str] | None] = self._first_match

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = self._compile(self.pattern)
            self.search, self.match = self._compiled.search, self._compiled.match
        return self._compiled

    def _first_search(self, string: str, *span: int) -> re.Match[str] | None:
        return self.compiled.search(string, *span)

    def _first_match(self, string: str, *span: int) -> re.Match[str] | None:
        return self.compiled.match(string, *span)

    def __getattr__(self, name: str) -> Any:  # flags, groupindex, finditer, ...: the compiled pattern's
        if name.startswith("_"):  # a slot not yet set, or a protocol's look-up: nothing to compile for
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __copy__(self) -> LazyPattern:  # a pattern is a value, as `re.Pattern` copies to itself
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyPattern:
        return self

    def __eq__(self, other: object) -> bool:
        return self.compiled == (other.compiled if isinstance(other, LazyPattern) else other)

    def __hash__(self) -> int:
        return hash(self.compiled)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"


def lazy(source: str, compile_once: Callable[[str], re.Pattern[str]]) -> re.Pattern[str]:
    """A `LazyPattern` where the rules hold compiled patterns: it answers every question they ask of one."""
    return cast(re.Pattern[str], LazyPattern(source, compile_once))
