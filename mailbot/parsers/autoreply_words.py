"""Whether a reply's words are an autoresponder's: the out-of-office notice, the
"we received your mail" receipt, the "this is an automatic reply" that a responder sends
without any header saying so (no Auto-Submitted, no X-Autoreply, its subject a plain
`Re: ...`). Pure text; `core.autoreplies` weighs it with what else tells a person's answer.

Such a notice is made of a few kinds of sentence, whatever its wording: the writer is away,
will be back on a day, reads mail rarely, will answer later, received the mail, is a machine,
names someone for what is urgent (`rules/autoreplies.yaml`, `away`); around them greetings,
thanks, an apology, dates and contact lines, which say nothing either way (`courtesy`). A
person who answers while away says something besides: "Saya sedang dinas luar, tapi setuju,
lanjutkan eskalasi" holds one clause of absence and two of decision. So the text is cut into
clauses (lines, sentences, then the parts a comma or a semicolon divides), the signature after
a sign-off is dropped, and the text is an autoresponder's when its `away` clauses outnumber
the clauses that say anything else.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from mailbot.parsers.yaml_text import shipped_rules

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
# A clause ends at a comma, a semicolon or a dash; at "tapi"/"but", which turns to another
# point; and at "dan"/"and" before a new subject ("... sudah saya terima dan saya setuju
# dengan usulan"): that is a second sentence, not part of the receipt before it.
# Each run of blanks is read from its start only (where the leftmost match starts anyway): tried
# from each of its blanks, a line of 32,000 blanks in a reply took the request past its 30 s.
_CLAUSE = re.compile(r"(?:(?<!\s)\s+)?[;,]\s*|(?<!\s)\s++(?:(?:-|–|—)\s+|(?:tapi|tetapi|namun|but|however)\s+"
                     r"|(?:dan|and|serta)\s+(?=(?:saya|sy|aku|kami|i|we)\b))", re.IGNORECASE)
_QUOTED = re.compile(r"^\s*>")
# an address, a link, a telephone number (a leading 0 or +, as Indonesian and international
# numbers are written: "0778-123456", "(0778) 123 456", "+62 812 3456 7890"; never "2026-00042")
# (an address from the start of its word only: `[\w.+-]+@` from each letter of a 100,000-letter word took 29 s)
_CONTACT = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++\.[\w.-]+|https?://|www\.|(?<![\w-])(?:\+\d{1,3}|\(?0\d{1,4}\)?)"
                      r"[\s.-]?\d{2,4}(?:[\s.-]?\d{2,5}){1,3}(?![\w-])")
_LETTERS = re.compile(r"[^\W\d_]{2,}")
# A clause that only dates or times the absence ("30 November 2026", "Senin s.d. Rabu"):
# each word a number, a day, a month or a word that joins them.
_DATE_WORD = re.compile(
    r"^(?:\d+\S*|senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|(?:mon|tues|wednes|thurs|fri|satur|sun)days?|"
    r"mon|tue|tues|wed|thu|thur|fri|sat|sun|am|pm|januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|november|desember|"
    r"january|february|march|may|june|july|august|october|december|jan|feb|mar|apr|jun|jul|agu|aug|sep|sept|"
    r"okt|oct|nov|des|dec|s\.?d\.?|s/d|sampai|hingga|dengan|tanggal|tgl\.?|pukul|jam|wib|wita|wit|until|to|"
    r"and|dan|on|at|from|dari|mulai|pada|otherwise|meanwhile|also|or|atau|namun|tetapi|tapi|selain itu|jika tidak|"
    r"then|lalu|kemudian|so|jadi)$", re.IGNORECASE)
_MIN_CLAUSE_CHARS = 2
_REFERRAL = "urgent"  # the `away` kind that names someone else for what cannot wait
# A full stop that ends no sentence: "s.d. 30 November", "Sdr. Andi", "No. 12", "Jl. Sudirman"
_ABBREVIATION = re.compile(r"(?:^|\s)(?:s\.d|s/d|sdr|sdri|bpk|ibu|yth|no|nmr|jl|dr|drs|ir|hj?|a\.n|u\.p|dll|dsb|tgl|ybs"
                           r"|mr|mrs|ms|st|prof|kec|kel|kab|prov|telp|hp|ext)\.$", re.IGNORECASE)


@dataclass(frozen=True)
class _Words:
    """`rules/autoreplies.yaml`, compiled."""

    away: tuple[tuple[str, re.Pattern[str]], ...]  # (what it says, all its patterns as one alternation)
    courtesy: re.Pattern[str]
    sign_off: re.Pattern[str]


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _words() -> _Words:
    """Read once, when the first reply is weighed (the core imports this module, not YAML)."""
    data = shipped_rules("autoreplies")
    return _Words(tuple((name, _alternation(patterns)) for name, patterns in data["away"].items()),
                  _alternation(data["courtesy"]), _alternation(data["sign_off"]))


@dataclass(frozen=True)
class Reading:
    """How the clauses of a text sort: those an autoresponder writes (with what each says),
    and those that say anything else; courtesy is counted in neither."""

    away: tuple[str, ...]  # per `away` clause, the kind it says ("absent", "return", ...)
    other: int  # clauses that say something else: what a person says

    @property
    def autoresponder(self) -> bool:
        """More of the clauses say what an autoresponder says than anything else, and one of
        them says more than where to turn when it is urgent: a person writes "untuk keperluan
        mendesak seperti ini langsung telepon LKPP saja" too."""
        return any(kind != _REFERRAL for kind in self.away) and len(self.away) > self.other


def clauses(text: str) -> list[str]:
    """The clauses of a reply's new text: quoted lines and the signature after a sign-off on a
    line of its own left out; lines, then sentences, then the parts commas and semicolons divide."""
    words = _words()
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n") if not _QUOTED.match(line)]
    kept: list[str] = []
    for line in lines:
        if not line:
            continue
        if kept and words.sign_off.match(line):
            break  # what follows is a signature: a name, a title, a unit, numbers
        kept.append(line)
    found: list[str] = []
    for line in kept:
        for sentence in _sentences(line):
            found.extend(c.strip(" \t.!?:\"'()[]*") for c in _CLAUSE.split(sentence))
    return [c for c in found if len(c) >= _MIN_CLAUSE_CHARS]


def _sentences(line: str) -> list[str]:
    """A line's sentences; a full stop after an abbreviation ("s.d. 30 November", "Sdr. Andi",
    "No. 12") ends none."""
    parts: list[str] = []
    for part in _SENTENCE_END.split(line):
        if parts and _ABBREVIATION.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {part}"
        else:
            parts.append(part)
    return parts


def _says_nothing(clause: str, name_words: frozenset[str]) -> bool:
    """Courtesy, a date, a contact line, the sender's own name, or no word at all."""
    if not _LETTERS.search(clause) or _words().courtesy.search(clause) or _CONTACT.search(clause):
        return True
    tokens = [t.strip(",.;:()").lower() for t in clause.split()]
    if all(_DATE_WORD.match(t) for t in tokens):
        return True
    return bool(name_words) and all(t in name_words for t in tokens)


def read(text: str, sender: str = "") -> Reading:
    """Sort the clauses of `text` (`Reading`); `sender`, its From (the display name and the
    address), tells a clause that only signs it ("Kijitora" under kijitora@example.com's notice)."""
    name_words = frozenset(w.lower() for w in re.findall(r"[^\W\d_]{2,}", sender.split("@", 1)[0]))
    away: list[str] = []
    other = 0
    for clause in clauses(text):
        kind = next((name for name, pattern in _words().away if pattern.search(clause)), None)
        if kind is not None:
            away.append(kind)
        elif not _says_nothing(clause, name_words):
            other += 1
    return Reading(tuple(away), other)


def away_notice(text: str, sender: str = "", needs: frozenset[str] | None = None) -> str | None:
    """Why `text` reads as an autoresponder's notice ("absent, urgent: 2 of 2 clauses"), or None;
    `sender`: its From as "Name <address>" (or either alone); `needs`: kinds of `away` clause of
    which one must be there too (None: any)."""
    reading = read(text, sender)
    if not reading.autoresponder or (needs is not None and not needs & set(reading.away)):
        return None
    kinds = ", ".join(dict.fromkeys(reading.away))
    return f"{kinds}: {len(reading.away)} of {len(reading.away) + reading.other} clauses"
