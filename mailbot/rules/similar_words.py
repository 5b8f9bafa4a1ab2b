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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailbot.core.similar import PARTICLES, POSSESSIVES, Private, Stemmer, Vocabulary
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
    `similar.yaml` (`core/requester_data.names_requester` tells a user id from a word by it)."""
    dictionary = _dictionary()

    def known(word: str) -> bool:
        return word in known_words or bool(dictionary.contains(word))

    return known


def unaffixed(word: str, known: Callable[[str], bool], stem: Stemmer) -> str:
    """`word` without the affixes around a known root (stemmed), or `word` itself: the first
    of a clitic (`_without_clitic`), a prefix and a suffix (`_without_affixes`), or the
    chat's bare nasal (`_without_nasal`) that leaves a root."""
    for step in (_without_clitic, _without_affixes, _without_nasal):
        found = step(word, known, stem)
        if found is not None:
            return found
    return word


def _without_clitic(word: str, known: Callable[[str], bool], stem: Stemmer) -> str | None:
    """A possessive "-nya" goes whether or not the rest is known ("linknya" is "link"),
    another clitic when the rest is a word ("passwordmu", "loginlah", "linknyapun")."""
    if word.endswith("nya") and len(word) - 3 >= 3:
        return unaffixed(word[:-3], known, stem)
    for clitic in (*PARTICLES, *POSSESSIVES):
        rest = word[:-len(clitic)]
        if word.endswith(clitic) and len(rest) >= _ROOT:
            bare = unaffixed(rest, known, stem)
            if bare != rest or known(rest):
                return bare
    return None


def _without_affixes(word: str, known: Callable[[str], bool], stem: Stemmer) -> str | None:
    """A known root inside a prefix, a suffix or both: "mengupload", "masukin"."""
    for prefix in ("", *_PREFIXES):
        root = _root_of(word[len(prefix):], known, bool(prefix)) if word.startswith(prefix) else None
        if root is not None:
            return stem(root)
    return None


def _without_nasal(word: str, known: Callable[[str], bool], stem: Stemmer) -> str | None:
    """A known root behind the chat's bare nasal, its first consonant given back: "nyari" is
    "cari", "ngerjain" "kerja"; the consonant it took stood before a vowel ("ny-ari")."""
    for nasal, initial in _NASALS:
        if word.startswith(nasal) and word[len(nasal):len(nasal) + 1] in _VOWELS:
            root = _root_of(initial + word[len(nasal):], known, True)
            if root is not None:
                return stem(root)
    return None


def _root_of(core: str, known: Callable[[str], bool], prefixed: bool) -> str | None:
    """The known root `core` is, or is with a suffix (with none only where a prefix came off)."""
    for suffix in ("", *_SUFFIXES):
        if (prefixed or suffix) and core.endswith(suffix):
            root = core[:len(core) - len(suffix)]
            if len(root) >= _ROOT and known(root):
                return root
    return None


@functools.lru_cache(maxsize=1)
def _dictionary() -> Any:
    """Sastrawi's dictionary of Indonesian root words (the one its stemmer reads)."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer(isDev=False).delegatedStemmer.dictionary


def _known(spellings: dict[str, str], phrases: dict[str, str], stopwords: Iterable[str]) -> frozenset[str]:
    """The words `similar.yaml` names: a borrowed word there is a root to find inside an affixed one."""
    return frozenset(w for w in (*spellings, *spellings.values(), *phrases.values(), *stopwords) if w.isalpha())


def load_words(operator: Path | None, read: Any, stem: bool = True) -> Vocabulary:
    """The shipped `similar.yaml`, with an operator's lists added (or alone with `replace: true`).
    `read(path, source)` is the rules loader's YAML reader (its errors name the file)."""
    tables = _tables(operator, read)
    lists = _Lists()
    for table, where in tables:
        lists.add(table, where)
    private = _private(tables)
    term = lists.stemmer() if stem else _no_stem
    for group in lists.groups:
        _one_term(group, term, lists.spellings, lists.phrases)
    memory_only = frozenset(w for group in lists.memory_groups
                            for w in _one_term(group, term, lists.spellings, lists.phrases))
    stopwords = frozenset(lists.stopwords)
    if not stem:
        return Vocabulary(stopwords, lists.spellings, lists.phrases, private=private, memory_only=memory_only)
    known = _known(lists.spellings, lists.phrases, lists.stopwords)
    return Vocabulary(stopwords, lists.spellings, lists.phrases, colloquial(known), known_word(known), private,
                 memory_only)


def _tables(operator: Path | None, read: Any) -> list[tuple[dict[str, Any], str]]:
    """The shipped table and the operator's, each with the name its errors give; the
    operator's alone with `replace: true`."""
    shipped = read(_SHIPPED, "rules/similar.yaml")
    if operator is None:
        return [shipped]
    extra = read(operator, str(operator))
    return [extra] if extra[0].get("replace") is True else [shipped, extra]


@dataclass
class _Lists:
    """The word lists of `similar.yaml` as its tables add to them, in order."""

    stopwords: set[str] = field(default_factory=set)
    spellings: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)
    groups: list[list[str]] = field(default_factory=list)  # `synonyms`
    memory_groups: list[list[str]] = field(default_factory=list)  # `memory_synonyms`

    def add(self, table: dict[str, Any], where: str) -> None:
        """One table's synonyms, stop words, spellings and phrases; `where` names it in an error."""
        shared, memory = _synonyms(table, where)
        self.groups.extend(shared)
        self.memory_groups.extend(memory)
        for language, words in _mapping(table, "stopwords", where).items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise ConfigError(f"{where}: field 'stopwords.{language}': must be a list of words")
            self.stopwords.update(w.lower() for w in words)
        for name, into in (("spellings", self.spellings), ("phrases", self.phrases)):
            _add_mapping(into, _mapping(table, name, where), name, where)

    def stemmer(self) -> Stemmer:
        """The stemmer that makes the synonyms' terms: it knows their words and the lists'
        as roots to find inside an affixed word."""
        named = {w: w for group in (*self.groups, *self.memory_groups) for w in group if w.isalpha()}
        return colloquial(_known({**self.spellings, **named}, self.phrases, self.stopwords))


def _add_mapping(into: dict[str, str], found: dict[Any, Any], name: str, where: str) -> None:
    """`spellings` or `phrases`: each a word (or words) to the word it is, lower-cased."""
    for key, value in found.items():
        if not isinstance(key, str) or not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: field '{name}.{key}': must map a word to a word")
        into[key.lower()] = value.lower().strip()


def _synonyms(table: dict[str, Any], where: str) -> tuple[list[list[str]], list[list[str]]]:
    """`synonyms` and `memory_synonyms`: groups of words (or several words) that name one
    thing, the first a word; a word is in one group of a file at most, but for the first of
    a group of `memory_synonyms`, which may be the first of one of `synonyms` (adding to it)."""
    seen: dict[str, str] = {}
    firsts: set[str] = set()
    both: list[list[list[str]]] = []
    for name in ("synonyms", "memory_synonyms"):
        found = table.get(name) or []
        if not isinstance(found, list):
            raise ConfigError(f"{where}: field '{name}': must be a list of groups of words")
        groups: list[list[str]] = []
        for n, group in enumerate(found, start=1):
            words = _group(group, f"{where}: field '{name}' group {n}")
            _claim(words, f"'{name}' group {n}", seen, firsts, where)
            groups.append(words)
        both.append(groups)
        firsts = {group[0] for group in groups}
    return both[0], both[1]


def _group(group: Any, where: str) -> list[str]:
    """One group of synonyms, its words lower-cased and their spaces made one; its first one word."""
    if not isinstance(group, list) or len(group) < 2 or not all(isinstance(w, str) and w.strip() for w in group):
        raise ConfigError(f"{where}: must be a list of two words or more")
    words = [" ".join(w.lower().split()) for w in group]
    if not _WORDLIKE.fullmatch(words[0]):
        raise ConfigError(f"{where}: its first, {words[0]!r}, must be one word")
    return words


def _claim(words: list[str], group: str, seen: dict[str, str], firsts: set[str], where: str) -> None:
    """Record `group`'s words in `seen`: a word already in another group is an error, but
    for a group's first that is the first of a group of `synonyms` (`firsts`: adding to it)."""
    for w in words:
        if w in seen and not (w == words[0] and w in firsts):
            raise ConfigError(f"{where}: field {group}: {w!r} is in {seen[w]} too")
        seen[w] = group


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
    """`private`: the label words of what a reused solution may not carry, every
    language's together; an operator's lists add to the shipped ones."""
    labels: dict[tuple[str, str], None] = {}
    lists: dict[str, set[str]] = {"between": set(), "says": set(), "amounts": set(), "done": set()}
    names: dict[str, set[str]] = {"firms": set(), "streets": set()}
    reasons: dict[str, dict[str, str]] = {}
    shown: dict[str, dict[str, str]] = {}
    for table, where in tables:
        private = _mapping(table, "private", where)
        _add_labels(labels, private, where)
        _add_lists(lists, names, private, where)
        _add_reasons(reasons, private, where)
        _add_shown(shown, private, where)
    return Private(tuple(labels), frozenset(lists["between"]), frozenset(lists["says"]),
                   frozenset(lists["amounts"]), frozenset(names["firms"]), frozenset(names["streets"]), reasons, shown,
                   frozenset(lists["done"]))


def _add_labels(labels: dict[tuple[str, str], None], private: dict[Any, Any], where: str) -> None:
    """`labels`: category -> language -> label words, kept as (label, category) in order."""
    for kind, languages in _within(private, "labels", where).items():
        for language, found in _within({"": languages}, "", f"{where}: labels.{kind}").items():
            for label in _words(found, f"{where}: field 'private.labels.{kind}.{language}'"):
                labels[(label, str(kind))] = None


def _add_lists(lists: dict[str, set[str]], names: dict[str, set[str]], private: dict[Any, Any], where: str) -> None:
    """The words by language (`between`, `says`, `amounts`, `done`) and those of every language
    (`firms`, `streets`)."""
    for name, into in lists.items():
        for language, found in _within(private, name, where).items():
            into.update(_words(found, f"{where}: field 'private.{name}.{language}'"))
    for name, into in names.items():
        into.update(_words(private.get(name) or [], f"{where}: field 'private.{name}'"))


def _add_reasons(reasons: dict[str, dict[str, str]], private: dict[Any, Any], where: str) -> None:
    """`reasons`: category -> language -> why a solution holding it was refused."""
    for kind, languages in _within(private, "reasons", where).items():
        for language, text in _within({"": languages}, "", f"{where}: reasons.{kind}").items():
            if not isinstance(text, str) or not text.strip():
                raise ConfigError(f"{where}: field 'private.reasons.{kind}.{language}': must be words")
            reasons.setdefault(str(kind), {})[str(language)] = text.strip()


def _add_shown(shown: dict[str, dict[str, str]], private: dict[Any, Any], where: str) -> None:
    """`shown`, `shown_found`: language -> how a refusal is shown, with its `{line}`."""
    for form in ("shown", "shown_found"):
        for language, text in _within(private, form, where).items():
            if not isinstance(text, str) or "{line}" not in text:
                raise ConfigError(f"{where}: field 'private.{form}.{language}': must be words with {{line}}")
            shown.setdefault(form, {})[str(language)] = text


def _within(table: dict[str, Any], field: str, where: str) -> dict[Any, Any]:
    """`table[field]`, a mapping (of languages, of categories); `where` names it in an error."""
    value = table.get(field) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: field 'private.{field}': must be a mapping" if field
                          else f"{where}: must be a mapping")
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
