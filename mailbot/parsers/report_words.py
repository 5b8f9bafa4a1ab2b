"""The words of delivery reports (`rules/bounces.yaml`), and whose voice a failure is told in.

A mail system writes to the sender of the mail it returns: "Your message could not be
delivered to ...", "A message that you sent could not be delivered", "Pesan Anda tidak
dapat dikirim ke ...", or it pastes the SMTP dialogue ("host mx said: 550 5.1.1 ...").
A person writes about their own mail: "Penawaran saya gagal terkirim", "pesan kami tidak
bisa terkirim ke pokja". `parsers.auto.evidence_bounce` weighs these voices beside a
report's structure (its sender, the copy of a mail it returns) when no header says what
the mail is (SPEC 5). Only mail whose top reports a failure is read this far.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mailbot.parsers.literals import Alternation
from mailbot.parsers.yaml_text import shipped_rules


@dataclass(frozen=True)
class BounceWords:
    """`rules/bounces.yaml`, compiled: each list one alternation, looked at first for its words
    (`literals.Alternation`: the failure wording alone took 0.45 ms of a 500-character body)."""

    daemon: Alternation
    failure: Alternation
    delay: Alternation
    moderation: Alternation
    reader_mail: Alternation
    transcript: Alternation
    own: Alternation  # the writer's own: "saya", "my"
    person: Alternation  # any of a person's words: `own`, first person, a greeting or a plea


def _alternation(patterns: Iterable[str]) -> Alternation:
    return Alternation(patterns)


def _per_language(table: Mapping[str, list[str]]) -> list[str]:
    return [p for patterns in table.values() for p in patterns]


@functools.lru_cache(maxsize=1)
def words() -> BounceWords:
    """Read once, when the first message is parsed (the core imports the parsers, not YAML)."""
    data = shipped_rules("bounces")
    return BounceWords(_alternation(data["daemon_senders"]), _alternation(_per_language(data["failure"])),
                 _alternation(_per_language(data["delay"])), _alternation(_per_language(data["moderation"])),
                 _alternation(_per_language(data["reader_mail"])), _alternation(data["transcript"]),
                 _alternation(data["person"]["own"]), _alternation(_per_language(data["person"])))


# Where a clause ends: a sentence's or a list's stop, a comma, a colon before a quote, a
# blank line. A report says "Your message could not be delivered to <x>" in one clause; a
# person who quotes it says "saya mendapat balasan: ..." in another.
_CLAUSE_END = re.compile(r"[.!?;,:](?=\s|$)|\n[ \t]*\n")


def _clauses(text: str) -> list[str]:
    return _CLAUSE_END.split(text)


def tells_the_reader(clause: str) -> bool:
    """Whether a clause tells its reader that their mail failed: the reader's mail
    (`reader_mail`) and failure wording together, and none of the writer's own words ("Email
    Anda tidak terkirim ke rekan saya" is a person's)."""
    found = words()
    return bool(found.reader_mail.search(clause)) and bool(found.failure.search(clause)) \
        and not found.own.search(clause)


def report_voice(text: str) -> bool:
    """Whether a mail's own words are a mail system's: a clause that tells the reader their
    mail failed (`tells_the_reader`), or the SMTP dialogue pasted (`transcript`)."""
    return bool(words().transcript.search(text)) or any(tells_the_reader(c) for c in _clauses(text))


def person_voice(text: str) -> bool:
    """Whether a mail's own words are a person's: first-person words, a greeting or a plea
    (`person`) outside the clauses that tell the reader their mail failed ("Sorry, we were
    unable to deliver your message" is a report's; "saya mendapat balasan: Your message could
    not be delivered" and "Selamat siang, ... mohon bantuan" are a person's)."""
    person = words().person
    if not person.search(text):
        return False
    return any(person.search(c) for c in _clauses(text) if not tells_the_reader(c))
