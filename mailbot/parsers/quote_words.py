"""The words quoted history is read with (`rules/quotes.yaml`), and the line basics.

Every reader of quoted history (reply headers, header blocks, markers, signatures) takes
its words from this one table, read once at import, so that a language is added by
adding its words to the YAML file, not by changing code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

# A reply header may be wrapped over this many lines by the sender's client.
HEADER_LINES = 3
# What dates a header: a clock time ("07:00", "07.00") and a date in figures ("12/12/2016", "23-11-26")
CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
NUMERIC_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b")


def _load_words() -> dict[str, dict[str, list[str]]]:
    """The word lists of rules/quotes.yaml (see there), read once at import.

    The file is YAML in JSON's flow style, read here without its comment lines by the
    standard library: the pure core loads no YAML library (tests/test_architecture_imports.py)."""
    text = (Path(__file__).resolve().parents[1] / "rules" / "quotes.yaml").read_text(encoding="utf-8")
    data = json.loads("\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return {key: {lang: [str(w).lower() for w in words] for lang, words in value.items()}
            for key, value in data.items()}


WORDS = _load_words()


def words(key: str) -> list[str]:
    """Every language's words of one list, longest first (so a regex tries "napisał(a)" before "napisał")."""
    return sorted({w for found in WORDS[key].values() for w in found}, key=len, reverse=True)


def alternation(key: str) -> str:
    """One list's words as a regex alternation; a blank in a word matches any run of blanks."""
    return "|".join(re.escape(w).replace("\\ ", r"\s+") for w in words(key))


def split_lines(text: str) -> list[str]:
    """The text's lines, whatever its line ends."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def is_quoted(line: str) -> bool:
    """Whether a line is `>`-quoted (blanks before the `>` aside)."""
    return line.lstrip().startswith(">")

