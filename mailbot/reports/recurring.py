"""The monthly summary's "Permasalahan yang sering muncul": the month's largest groups of
alike tickets, each with how many and a sample ticket, so that the unit can write an FAQ
. Pure.

Every ticket opened in the month counts, answered or not, solved or not: the head asks
what people came with, and an open ticket is as much a question asked as a solved one
(the unit's memory indexes solved ones only, to reuse their answers). A ticket is told by
its subject and the requester's words up to the first answer (the recap's Isi Pesan, a
call's Permasalahan), made into terms by the unit's memory (`rules/similar.yaml`,
`core/similar.Vocabulary`); `core/grouping` groups them. A group's label is its sample
ticket's subject: a requester's words, so it is cut to one line, and the templates
escape it (HTML autoescape; the section is in no spreadsheet).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mailbot.core.grouping import groups
from mailbot.core.similar import Vocabulary
from mailbot.reports.rekap import problem
from mailbot.reports.values import RecurringTopic, TicketRecord

SHOWN = 5  # the groups the summary shows
SUBJECT_WIDTH = 120  # characters of a sample's subject shown
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def topics(records: Sequence[TicketRecord], words: Vocabulary, limit: int = SHOWN) -> tuple[RecurringTopic, ...]:
    """The `limit` largest groups of two or more alike tickets among `records` (which carry
    texts), largest first."""
    terms = [told(words, r.subject, problem(r)) for r in records]
    several = len({r.mailbox for r in records}) > 1  # each unit numbers its own tickets

    def number(r: TicketRecord) -> str:
        return f"{r.mailbox}/{r.number}" if several else r.number

    return tuple(RecurringTopic(g.size, number(records[g.sample]), one_line(records[g.sample].subject))
                 for g in groups(terms)[:limit])


def told(words: Vocabulary, subject: str, problem: str) -> list[str]:
    """A ticket's terms for grouping: its subject's twice (a requester names the problem
    there, "Lupa kata sandi", "SPAMKODOK error java"), then its problem's, repeats kept (a
    requester writes the problem's word again where their story's words come once). With
    the words `core/grouping` was measured with: not the synonyms only the unit's memory
    reads (`similar.yaml`, `memory_synonyms`), with which bench/topics.py grouped its tuning
    parts a little worse and the independent month's held-out part worse."""
    named = words.terms(subject, memory=False)
    return [*named, *named, *words.terms(problem, memory=False)]


def one_line(text: str, width: int = SUBJECT_WIDTH) -> str:
    """A requester's subject as one line of at most `width` characters."""
    line = " ".join(_CONTROL.sub(" ", text).split())
    return line if len(line) <= width else line[:width - 1].rstrip() + "…"
