"""The words of the unit's memory (`similar.yaml`) and the Indonesian stemmer.

Stemming is Sastrawi's (the `pysastrawi` package: Nazief-Adriani with the ECS
refinements and a dictionary of Indonesian root words), measured against no stemming
on tests/data/similar_cases by bench/similar_cases.py (the figures are in the commit
that chose it). Its stemmer is built once (it reads its dictionary) and every word is
stemmed once (`functools.lru_cache`): the same few thousand words come again and again.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mailbot.core.similar import PARTICLES, POSSESSIVES, Private, Stemmer, Words
from mailbot.errors import ConfigError

_SHIPPED = Path(__file__).resolve().parent / "similar.yaml"
_WORDLIKE = re.compile(r"[^\W_]+")  # one word, as `core/similar` splits text into words


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


# Affixes of colloquial and borrowed words Sastrawi leaves whole because their root is not
# in its dictionary: "mengupload", "diupload", "ngedownload", "masukin", "dikecilin"
# (the Jakartan "-in" for "-kan"), "linknya". Longest first.
_PREFIXES = ("meng", "meny", "nge", "mem", "men", "ter", "ber", "me", "di", "ng", "ke")
_SUFFIXES = ("nya", "kan", "in")
# The chat's bare nasal prefix, which takes the root's first consonant as the written one's
# "meny-", "meng-", "men-", "mem-" do: "nyari" is "cari", "nyasar" "sasar", "ngirim" "kirim",
# "nulis" "tulis", "milih" "pilih" (a root that starts with a vowel keeps it: "ngambil").
_NASALS = (("ny", "c"), ("ny", "s"), ("ng", "k"), ("n", "t"), ("m", "p"))
_VOWELS = frozenset("aiueo")
_ROOT = 4  # letters a root keeps at least ("login" is not "log" + "-in")
# The chat's reduplication: "apa2", "berkali2", "tombol2nya" (a suffix or a clitic after it)
_REDUPLICATED = re.compile(rf"^([^\W\d_]{{2,}})2((?:{'|'.join((*_SUFFIXES, 'an', *POSSESSIVES, *PARTICLES))})*)$")


@functools.lru_cache(maxsize=8)
def colloquial(known_words: frozenset[str]) -> Stemmer:
    """Sastrawi's stemmer, and for a word it leaves whole and does not know: the word
    without a chat reduplication ("apa2" is "apa"), a possessive or a particle ("linknya",
    "passwordmu", "loginlah"), a bare nasal prefix ("nyari", "ngerjain"), or an Indonesian
    prefix and suffix around a root that Sastrawi's dictionary or `known_words` (the
    words of `similar.yaml`: "upload", "reset") holds. Remembered per word."""
    base, known = sastrawi(), known_word(known_words)

    @functools.lru_cache(maxsize=65536)
    def stem(word: str) -> str:
        doubled = _REDUPLICATED.match(word)
        if doubled:
            word = doubled.group(1) + doubled.group(2)
        stemmed = base(word)
        if stemmed != word or not word.isalpha() or known(word):
            return stemmed
        return unaffixed(word, known, base)

    return stem


@functools.lru_cache(maxsize=8)
def known_word(known_words: frozenset[str]) -> Callable[[str], bool]:
    """Whether a word is one of the language: a root in Sastrawi's dictionary or a word of
    `similar.yaml` (`core/reusable.names_requester` tells a user id from a word by it)."""
    dictionary = _dictionary()

    def known(word: str) -> bool:
        return word in known_words or bool(dictionary.contains(word))

    return known


def unaffixed(word: str, known: Callable[[str], bool], stem: Stemmer) -> str:
    """`word` without the affixes around a known root (stemmed), or `word` itself; a
    possessive "-nya" goes whether or not the rest is known ("linknya" is "link"), another
    clitic when the rest is a word ("passwordmu", "loginlah", "linknyapun")."""
    if word.endswith("nya") and len(word) - 3 >= 3:
        return unaffixed(word[:-3], known, stem)
    for clitic in (*PARTICLES, *POSSESSIVES):
        rest = word[:-len(clitic)]
        if word.endswith(clitic) and len(rest) >= _ROOT:
            bare = unaffixed(rest, known, stem)
            if bare != rest or known(rest):
                return bare
    for prefix in ("", *_PREFIXES):
        if not word.startswith(prefix):
            continue
        core = word[len(prefix):]
        for suffix in ("", *_SUFFIXES):
            if (prefix or suffix) and core.endswith(suffix):
                root = core[:len(core) - len(suffix)]
                if len(root) >= _ROOT and known(root):
                    return stem(root)
    for nasal, initial in _NASALS:
        if not word.startswith(nasal) or word[len(nasal):len(nasal) + 1] not in _VOWELS:
            continue  # the consonant it took stood before a vowel: "ny-ari", "ng-irim", "m-ilih"
        core = initial + word[len(nasal):]
        for suffix in ("", *_SUFFIXES):
            if core.endswith(suffix):
                root = core[:len(core) - len(suffix)]
                if len(root) >= _ROOT and known(root):
                    return stem(root)
    return word


@functools.lru_cache(maxsize=1)
def _dictionary() -> Any:
    """Sastrawi's dictionary of Indonesian root words (the one its stemmer reads)."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer(isDev=False).delegatedStemmer.dictionary


def _known(spellings: dict[str, str], phrases: dict[str, str], stopwords: Iterable[str]) -> frozenset[str]:
    """The words `similar.yaml` names: a borrowed word there is a root to find inside an affixed one."""
    return frozenset(w for w in (*spellings, *spellings.values(), *phrases.values(), *stopwords) if w.isalpha())


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
    groups: list[list[str]] = []
    memory_groups: list[list[str]] = []
    for table, where in tables:
        shared, memory = _synonyms(table, where)
        groups.extend(shared)
        memory_groups.extend(memory)
        for language, words in _mapping(table, "stopwords", where).items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise ConfigError(f"{where}: field 'stopwords.{language}': must be a list of words")
            stopwords.update(w.lower() for w in words)
        for field, into in (("spellings", spellings), ("phrases", phrases)):
            for key, value in _mapping(table, field, where).items():
                if not isinstance(key, str) or not isinstance(value, str) or not value.strip():
                    raise ConfigError(f"{where}: field '{field}.{key}': must map a word to a word")
                into[key.lower()] = value.lower().strip()
    private = _private(tables)
    named = {w: w for group in (*groups, *memory_groups) for w in group if w.isalpha()}
    term = colloquial(_known({**spellings, **named}, phrases, stopwords)) if stem else _no_stem
    for group in groups:
        _one_term(group, term, spellings, phrases)
    memory_only = {w for group in memory_groups for w in _one_term(group, term, spellings, phrases)}
    if not stem:
        return Words(frozenset(stopwords), spellings, phrases, private=private, memory_only=frozenset(memory_only))
    known = _known(spellings, phrases, stopwords)
    return Words(frozenset(stopwords), spellings, phrases, colloquial(known), known_word(known), private,
                 frozenset(memory_only))


def _synonyms(table: dict[str, Any], where: str) -> tuple[list[list[str]], list[list[str]]]:
    """`synonyms` and `memory_synonyms`: groups of words (or several words) that name one
    thing, the first a word; a word is in one group of a file at most, but for the first of
    a group of `memory_synonyms`, which may be the first of one of `synonyms` (adding to it)."""
    seen: dict[str, str] = {}
    firsts: set[str] = set()
    both: list[list[list[str]]] = []
    for field in ("synonyms", "memory_synonyms"):
        found = table.get(field) or []
        if not isinstance(found, list):
            raise ConfigError(f"{where}: field '{field}': must be a list of groups of words")
        groups: list[list[str]] = []
        for n, group in enumerate(found, start=1):
            if not isinstance(group, list) or len(group) < 2 or not all(isinstance(w, str) and w.strip()
                                                                         for w in group):
                raise ConfigError(f"{where}: field '{field}' group {n}: must be a list of two words or more")
            words = [" ".join(w.lower().split()) for w in group]
            if not _WORDLIKE.fullmatch(words[0]):
                raise ConfigError(f"{where}: field '{field}' group {n}: its first, {words[0]!r}, must be one word")
            for w in words:
                if w in seen and not (w == words[0] and w in firsts):  # adding to a group of `synonyms`
                    raise ConfigError(f"{where}: field '{field}' group {n}: {w!r} is in {seen[w]} too")
                seen[w] = f"'{field}' group {n}"
            groups.append(words)
        both.append(groups)
        firsts = {group[0] for group in groups}
    return both[0], both[1]


def _one_term(group: list[str], term: Stemmer, spellings: dict[str, str], phrases: dict[str, str]) -> list[str]:
    """Every word of a synonym group made its first one's term: a word as a spelling (before
    and after stemming, so that its affixed forms are found too: "panggil" for "dipanggil"),
    several words as a phrase. Returns the words and phrases so made."""
    first = term(group[0])
    first = spellings.get(first, first)
    made = [member for member in group if member != first]
    for member in made:
        if _WORDLIKE.fullmatch(member):
            spellings[member] = first
        else:
            phrases[member] = first
    return made


def _no_stem(word: str) -> str:
    return word


def _private(tables: list[tuple[dict[str, Any], str]]) -> Private:
    """`private`: the label words of what a reused solution may not carry (issue 44), every
    language's together; an operator's lists add to the shipped ones."""
    labels: dict[tuple[str, str], None] = {}
    lists: dict[str, set[str]] = {"between": set(), "says": set(), "amounts": set()}
    names: dict[str, set[str]] = {"firms": set(), "streets": set()}
    reasons: dict[str, dict[str, str]] = {}
    shown: dict[str, dict[str, str]] = {}
    for table, where in tables:
        private = _mapping(table, "private", where)
        for kind, languages in _within(private, "labels", where).items():
            for language, found in _within({"": languages}, "", f"{where}: labels.{kind}").items():
                for label in _words(found, f"{where}: field 'private.labels.{kind}.{language}'"):
                    labels[(label, str(kind))] = None
        for name, into in lists.items():
            for language, found in _within(private, name, where).items():
                into.update(_words(found, f"{where}: field 'private.{name}.{language}'"))
        for name, into in names.items():
            into.update(_words(private.get(name) or [], f"{where}: field 'private.{name}'"))
        for kind, languages in _within(private, "reasons", where).items():
            for language, text in _within({"": languages}, "", f"{where}: reasons.{kind}").items():
                if not isinstance(text, str) or not text.strip():
                    raise ConfigError(f"{where}: field 'private.reasons.{kind}.{language}': must be words")
                reasons.setdefault(str(kind), {})[str(language)] = text.strip()
        for form in ("shown", "shown_found"):
            for language, text in _within(private, form, where).items():
                if not isinstance(text, str) or "{line}" not in text:
                    raise ConfigError(f"{where}: field 'private.{form}.{language}': must be words with {{line}}")
                shown.setdefault(form, {})[str(language)] = text
    return Private(tuple(labels), frozenset(lists["between"]), frozenset(lists["says"]),
                   frozenset(lists["amounts"]), frozenset(names["firms"]), frozenset(names["streets"]), reasons, shown)


def _within(table: dict[str, Any], field: str, where: str) -> dict[Any, Any]:
    """`table[field]`, a mapping (of languages, of categories); `where` names it in an error."""
    value = table.get(field) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: field 'private.{field}': must be a mapping" if field else f"{where}: must be a mapping")
    return value


def _words(found: Any, where: str) -> list[str]:
    if not isinstance(found, list) or not all(isinstance(w, str) and w.strip() for w in found):
        raise ConfigError(f"{where}: must be a list of words")
    return [w.strip().lower() for w in found]


def _mapping(table: dict[str, Any], field: str, where: str) -> dict[Any, Any]:
    value = table.get(field) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: field '{field}': must be a mapping")
    return value
