"""The unit's memory: the terms of a case, and which solved cases are like a new one
(whether a solved case's solution may go to another requester is `core/personal_data`'s). Pure.

Seed 000/003 step 6 has staff give "penjelasan/solusi"; an LPSE helpdesk gives the same
ones again and again (a locked account, the SPAMKODOK version, a re-tender's schedule).
A solved case is remembered by its terms: the words of the requester's subject and
problem and of the solution, lower-cased, with digits-only words dropped (tender ids,
NPWP and phone numbers would otherwise make two unrelated mails about one tender look
alike), chat shorthand and English words made one spelling, stop words dropped and
Indonesian affixes stemmed (`rules/similar.yaml` holds the words; the stemmer is given).

`io/store` finds candidates with SQLite FTS5 (bm25 over those terms); `likeness` here
turns a candidate into a score between 0 and 1 that means the same for a short mail and
a long one, so that one measured `THRESHOLD` decides whether staff are shown it at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mailbot.core.links import defang

Stemmer = Callable[[str], str]

# The score below which a solved case is not shown (`likeness`), and how alike to the
# first a second or third one must be to be shown beside it. Measured by
# bench/similar_cases.py on the tuning parts of its two labelled sets (tests/data/
# similar_cases, whose requests were written against a case, and tests/data/similar_fresh,
# written by another hand that never saw how requesters put their problems): the score
# at which a notice is best balanced between listing a right case and listing one at all
# (the notices' F1). A threshold picked on the first set alone, for the first case shown
# to be right 9 times in 10 (0.24 then), listed nothing on two notices in three of the
# second set's, whose words share less with the earlier cases. Without the relative cut
# the second and third cases (a neighbouring topic that shares two words) made half of
# those shown wrong. The held-out parts are read at the same values. With the third set
# (tests/data/similar_forms) and the synonyms it tuned, the pick over
# the three tuning parts is 0.20 (F1 0.888 against 0.885 at 0.22, on a curve that dips to
# 0.870 at 0.21): within a notice of this value, and lower would list a case on more
# notices that no case answers, so it stays.
THRESHOLD = 0.22
RELATIVE = 0.8
MAX_SHOWN = 3

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# What Indonesian writes onto the end of a word, in the order it stacks ("sandinyapun"): the
# possessives and the particles. Sastrawi takes them off a root it knows; a phrase
# (`Vocabulary.phrases`) and a borrowed word (`rules/similar_words`) carry them too:
# "kata kuncinya", "tender ulangnya", "passwordmu", "loginlah".
POSSESSIVES = ("nya", "ku", "mu")
PARTICLES = ("lah", "kah", "tah", "pun")


def _no_stem(word: str) -> str:
    return word


def _nothing_known(word: str) -> bool:
    return False


@dataclass(frozen=True)
class Private:
    """The words by which a writer labels what identifies or unlocks someone (`rules/
    similar.yaml`, `private`), every language together: a solved case's solution
    that holds such a value is not sent to another requester (`unfit`)."""

    labels: tuple[tuple[str, str], ...] = ()  # (label, category): "kata sandi" is a password's
    between: frozenset[str] = frozenset()  # words between a label and its value: "Anda", "sementara"
    says: frozenset[str] = frozenset()  # words after which a value follows: "adalah", "is"
    amounts: frozenset[str] = frozenset()  # words that make a number money: "Rp", "rupiah"
    firms: frozenset[str] = frozenset()  # legal forms before a company's name: "PT", "CV"
    streets: frozenset[str] = frozenset()  # words before a street's name: "Jl.", "Perum"
    reasons: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False)  # category -> language -> words
    shown: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False)  # form -> language -> words
    done: frozenset[str] = frozenset()  # words that say what was done for a case's requester

    def show(self, held: Unfit, language: str) -> str:
        """Why a solution was refused and where, in the staff's language: the reason and the
        line, and the words on it that hold it when the line is long or they are not on it
        as written ("hxxp[:]//..." read as a link)."""
        reason = _in_language(self.reasons.get(held.kind, {}), language, held.kind)
        whole = held.found == held.line or (held.found in held.line and len(held.line) <= 60)
        pattern = _in_language(self.shown.get("shown" if whole else "shown_found", {}), language,
                               '{reason}: "{line}"')
        line = held.line if len(held.line) <= 200 else held.line[:200].rsplit(" ", 1)[0] + " ..."
        found = held.found if len(held.found) <= 80 else held.found[:80] + " ..."
        return pattern.format(reason=reason, found=defang(found), line=defang(line))  # staff read it: links inert


def _in_language(words: Mapping[str, str], language: str, default: str) -> str:
    """`words` in the staff's language, else in English, else `default`."""
    return words.get(language) or words.get("en") or default


@dataclass(frozen=True)
class Unfit:
    """Why a solution may not go to another requester: what it holds (a category of
    `similar.yaml`'s `private.reasons`: "password", "npwp", "link", "name" ...), the words
    that hold it, and the whole line they stand on, as staff wrote it."""

    kind: str
    found: str
    line: str


@dataclass(frozen=True)
class Vocabulary:
    """How text becomes terms (`rules/similar.yaml`), and what of a solution may not be
    reused (`private`)."""

    stopwords: frozenset[str] = frozenset()
    # mappings are left out of the hash (a frozen `Rules` is hashed); equality reads them
    spellings: Mapping[str, str] = field(default_factory=dict, hash=False)
    phrases: Mapping[str, str] = field(default_factory=dict, hash=False)
    stem: Stemmer = _no_stem
    known: Callable[[str], bool] = _nothing_known  # a word of the language (a root the stemmer knows)
    private: Private = field(default_factory=Private)
    # the spellings and phrases only the unit's memory reads (`similar.yaml`, `memory_synonyms`)
    memory_only: frozenset[str] = frozenset()

    def terms(self, text: str, memory: bool = True) -> list[str]:
        """The text's terms, in order, repeats kept; with `memory` false, as the recurring
        topics read it: without the synonyms only the unit's memory reads (`memory_only`)."""
        skip = frozenset() if memory else self.memory_only
        found: list[str] = []
        for word in _WORD.findall(self._phrased(text.lower(), skip)):
            term = self._term(word, skip) if _has_letters(word) else None
            if term is not None:
                found.append(term)
        return found

    def _phrased(self, text: str, skip: frozenset[str]) -> str:
        """The text with every phrase but those in `skip` made its term ("kata sandi": "password")."""
        phrases = tuple(p for p in self.phrases if p not in skip) if skip else tuple(self.phrases)
        if not phrases:
            return text
        return _phrase_pattern(phrases).sub(lambda m: f" {self.phrases[m.group(1)]} ", text)

    def _term(self, word: str, skip: frozenset[str]) -> str | None:
        """A word's term: its one spelling, stemmed, and the stem's one spelling (but for the
        words in `skip`); None for a stop word or a letter alone, before stemming or after."""
        word = word if word in skip else self.spellings.get(word, word)
        if word in self.stopwords or len(word) < 2:
            return None
        stemmed = self.stem(word)
        stemmed = stemmed if stemmed in skip else self.spellings.get(stemmed, stemmed)
        return None if stemmed in self.stopwords or len(stemmed) < 2 else stemmed


_PHRASES: dict[tuple[str, ...], re.Pattern[str]] = {}


def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    pattern = _PHRASES.get(phrases)
    if pattern is None:
        alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
        # a clitic written onto a phrase goes with it: "kata sandinya", "tender ulangnyapun"
        clitics, particles = "|".join((*POSSESSIVES, *PARTICLES)), "|".join(PARTICLES)
        pattern = _PHRASES[phrases] = re.compile(
            rf"(?<![^\W_])({alternatives})(?:(?:{clitics})(?:{particles})?)?(?![^\W_])")
    return pattern


def _has_letters(word: str) -> bool:
    """A word with more letters than digits: "spse4" is one; "2026", "5x" or "77a3015" are numbers."""
    if word.isalpha():  # nearly every word: no count needed
        return True
    letters = sum(c.isalpha() for c in word)
    return letters > len(word) - letters


@dataclass(frozen=True)
class SolvedCase:
    """One solved ticket as the index holds it."""

    ticket_id: int
    number: str
    subject: str
    solved_at: datetime
    problem_terms: tuple[str, ...]
    solution_terms: tuple[str, ...]
    solution: str  # the solution's text as the requester received it


@dataclass(frozen=True)
class Suggestion:
    """A solved case shown to staff, with how alike it is (0-1)."""

    case: SolvedCase
    score: float


def idf(doc_freq: int, total: int) -> float:
    """How much a term tells: rare terms much, a term in every case nothing."""
    return max(0.0, math.log((total + 1) / (doc_freq + 0.5)))


# A memory of a few solved cases cannot tell a common term from a rare one: in a memory of
# one, every term of its case is "in every case" and weighs a fifth of a word it has never
# seen (log 2/1.5 against log 2/0.5), so a requester's long, polite mail about the very
# same problem (greeting, company, address: words no case holds) scored under the
# threshold until a second, unrelated case was solved. The memory is
# weighed as if it held at least this many cases; from there on nothing changes, so the
# labelled sets (hundreds of cases) and their threshold are as measured. Ten, measured by
# bench/first_cases.py over the labelled requests and memories of 1-10 random cases: a
# memory of one lists the right case for 36 % of the requests it answers (14 % before),
# and lists a false lead for 1.6 % of the others (0.2 %), under what a memory of ten
# cases gives either way (9.1 %); a floor of 50 gained 3 points more for twice the leads.
FEWEST_CASES = 10


def memory_idf(doc_freq: int, total: int) -> float:
    """`idf` in the unit's memory of `total` solved cases, however few it holds yet."""
    return idf(doc_freq, max(total, FEWEST_CASES))


def likeness(query: Sequence[str], case: SolvedCase, weights: Mapping[str, float]) -> float:
    """How alike a new problem and a solved case are, 0-1: the weight of the terms they
    have in common over the geometric mean of their own (a cosine of their term sets,
    terms weighted by `idf`), once against the case's problem and once against problem
    and solution together, the better of the two. The solution brings the words the
    requester did not know ("SPAMKODOK" for "aplikasi enkripsi"), so it counts, yet never
    makes a long solution alike to everything.

    The geometric mean, not the arithmetic one (a Dice coefficient, as before): a
    requester's long mail (their story, their company, their tender) against a short
    solved case sharing all its telling words stays alike, where Dice nearly halved it for
    every doubling of the mail's length. Measured on requests written by another hand
    (tests/data/similar_fresh): the right case among the first three went from 83 % to
    90 %; on the first set's held-out part it stayed at 100 % (bench/similar_cases.py)."""
    mine = set(query)
    if not mine:
        return 0.0
    problem = set(case.problem_terms)
    whole = problem | set(case.solution_terms)
    return max(_overlap(mine, problem, weights), 0.8 * _overlap(mine, whole, weights))


def _overlap(a: set[str], b: set[str], weights: Mapping[str, float]) -> float:
    if not b:
        return 0.0
    shared = sum(weights.get(t, 0.0) for t in a & b)
    mine, theirs = sum(weights.get(t, 0.0) for t in a), sum(weights.get(t, 0.0) for t in b)
    return shared / math.sqrt(mine * theirs) if mine > 0 and theirs > 0 else 0.0


def suggest(query: Sequence[str], candidates: Iterable[SolvedCase], weights: Mapping[str, float],
            threshold: float = THRESHOLD, limit: int = MAX_SHOWN) -> tuple[Suggestion, ...]:
    """Up to `limit` of the candidates, most alike first, none below `threshold` nor below
    `RELATIVE` times the first one's score."""
    scored = [Suggestion(c, round(likeness(query, c, weights), 4)) for c in candidates]
    scored.sort(key=lambda s: (-s.score, -s.case.solved_at.timestamp(), s.case.ticket_id))
    if not scored:
        return ()
    floor = max(threshold, RELATIVE * scored[0].score)
    return tuple(s for s in scored[:limit] if s.score >= floor)


def first_lines(text: str, lines: int = 3, width: int = 300) -> str:
    """The first non-blank lines of a solution, for a notice: enough to recognise it. Its
    links are shown inert (`hxxps[:]//host[.]id`): a solution in the unit's
    memory may be a forgery, and a staff member's click on it is the forger's aim."""
    kept = [line.rstrip() for line in text.splitlines() if line.strip()][:lines]
    shown = defang("\n".join(kept))
    return shown if len(shown) <= width else shown[:width].rsplit(" ", 1)[0] + " ..."


# --- answering like a solved case (`#jawab-seperti`) --------------------------------------


@dataclass(frozen=True)
class PastCase:
    """A solved case a staff member asks to answer like (`#jawab-seperti NUMBER`), read
    before the message is classified; `named` is why its solution may not go to another
    requester and the line that says it, in the staff's words (`Private.show`: its own
    requester's name, a password, an NPWP, a link outside the unit; "" when nothing),
    `files` how many files it carried."""

    number: str
    solution: str | None  # None: no solved case of that number with an answer sent
    named: str = ""
    files: int = 0
    # the solution as another requester would get it (no greeting, no signature, `core/reuse`),
    # its lines that tell what was done for its own requester, and the preview of it that the
    # message answers (the text staff saw, and its ticket), if it answers one
    reused: str = ""
    done: tuple[str, ...] = ()
    previewed: str | None = None
    previewed_on: str | None = None
