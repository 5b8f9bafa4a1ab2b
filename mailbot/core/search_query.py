"""What staff type after `mailbot tickets --search`, as an SQLite FTS5 query. Pure.

People type words, not query syntax: `gagal upload`, `budi@pt-maju.co.id`, `"Kode 500"`,
`e-purchasing`. Every word must occur (in the subject, the requester's address or name, or
the text of a message on the ticket), each as the start of a word, so "upload" finds
"uploadnya" and "reset" "resetting"; FTS5's own operators (AND, OR, NOT, NEAR, `*`, `^`,
column filters) are never read from what was typed, so no input is a syntax error. A
phrase in double quotes must occur as written, and so must the parts of an address or a
hyphenated word ("e-purchasing" is "e" followed by "purchasing").
"""

from __future__ import annotations

import re

_PHRASE_OR_WORD = re.compile(r'"([^"]*)"|(\S+)')
_WORD_CHARS = re.compile(r"\w+")


def fts_query(typed: str) -> str | None:
    """The FTS5 query for `typed`; None when it holds no word to look for."""
    parts: list[str] = []
    for phrase, word in _PHRASE_OR_WORD.findall(typed):
        if phrase:
            words = _WORD_CHARS.findall(phrase)
            if words:
                parts.append('"' + " ".join(words) + '"')
        elif words := _WORD_CHARS.findall(word):  # "budi@pt-maju.co.id": its parts in a row
            parts.append('"' + " ".join(words) + '"*')
    return " ".join(parts) if parts else None
