"""The words of the unit's memory (`similar.yaml`) and the Indonesian stemmer.

Stemming is Sastrawi's (the `pysastrawi` package: Nazief-Adriani with the ECS
refinements and a dictionary of Indonesian root words), measured against no stemming
on tests/data/similar_cases by bench/similar_cases.py (the figures are in the commit
that chose it). Its stemmer is built once (it reads its dictionary) and every word is
stemmed once (`functools.lru_cache`): the same few thousand words come again and again.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from mailbot.core.similar import Stemmer, Words
from mailbot.errors import ConfigError

_SHIPPED = Path(__file__).resolve().parent / "similar.yaml"


@functools.lru_cache(maxsize=1)
def sastrawi() -> Stemmer:
    """Sastrawi's stemmer as a function of one word, remembered per word."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory  # its dictionary is read here, once

    stemmer = StemmerFactory().create_stemmer(isDev=False)

    @functools.lru_cache(maxsize=65536)
    def stem(word: str) -> str:
        if not word.isalpha():
            return word  # Sastrawi drops what is not a letter: "spse4" stays as it is
        return str(stemmer.stem(word)) or word

    return stem


def load_words(operator: Path | None, read: Any, stem: bool = True) -> Words:
    """The shipped `similar.yaml`, with an operator's lists added (or alone with `replace: true`).
    `read(path, source)` is the rules loader's YAML reader (its errors name the file)."""
    data, source = read(_SHIPPED, "rules/similar.yaml")
    tables = [(data, source)]
    if operator is not None:
        extra = read(operator, str(operator))
        tables = [extra] if extra[0].get("replace") is True else [*tables, extra]
    stopwords: set[str] = set()
    spellings: dict[str, str] = {}
    phrases: dict[str, str] = {}
    for table, where in tables:
        for language, words in _mapping(table, "stopwords", where).items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise ConfigError(f"{where}: field 'stopwords.{language}': must be a list of words")
            stopwords.update(w.lower() for w in words)
        for field, into in (("spellings", spellings), ("phrases", phrases)):
            for key, value in _mapping(table, field, where).items():
                if not isinstance(key, str) or not isinstance(value, str) or not value.strip():
                    raise ConfigError(f"{where}: field '{field}.{key}': must map a word to a word")
                into[key.lower()] = value.lower().strip()
    return Words(frozenset(stopwords), spellings, phrases, sastrawi() if stem else Words().stem)


def _mapping(table: dict[str, Any], field: str, where: str) -> dict[Any, Any]:
    value = table.get(field) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: field '{field}': must be a mapping")
    return value
