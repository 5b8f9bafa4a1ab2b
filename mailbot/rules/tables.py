"""The loaded rules as frozen values: a `Rule`, its `Verdict`, the SLA `Deadlines`, and
the `Rules` tables with the questions mailbot asks of them. Every method is pure.

As in Mailman 3, each rule is a tiny named frozen object kept in an ordered table; it
answers with a `Verdict` (value, rule name, reason) or None and mutates nothing. The
first rule that matches decides, but for the category rules, which are weighed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from functools import cached_property

from mailbot.core.intake_form import IntakeWords
from mailbot.core.similar import Vocabulary
from mailbot.rules.bayes import Bayes
from mailbot.rules.needles import NeedleIndex, in_none, search
from mailbot.rules.text import flatten, sentences, split_sentences

LKPP_CLASSES = ("need_info", "resolved", "returned", "status")
# An LKPP rule with this value decides that staff must decide (E17): a question to the
# LPSE about its own setup, a reminder before auto-close. classify_lkpp answers None.
LKPP_HOLD = "none"
TO_REQUESTER = ("need_info", "resolved", "status")  # LKPP classes whose reply goes on to the requester
SHIPPED_LKPP = "rules/lkpp.yaml"  # the source of the shipped LKPP rules (an operator's rule carries its file's path)
CATEGORIES = ("pengaduan", "pertanyaan", "konsultasi")
PRIORITIES = ("high", "normal", "low")
CLOSING_VALUES = ("confirm", "reject")
STARS = ("\u2b50", "\u2605")  # the star emoji and the black star: "Ya ⭐⭐⭐⭐⭐"
# A rating written as a word ("Nilai: lima", "five stars"), as closing.yaml's `rating_word`
RATING_WORDS = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
                "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_SENTENCE_PLACES = ("body", "answer")  # where a pattern is searched sentence by sentence


@dataclass(frozen=True)
class Verdict:
    """What a rule decided: the value, the rule's name, and a reason fit for a log."""

    value: str
    rule: str
    reason: str


@dataclass(frozen=True)
class Rule:
    """One named rule: matches when a `pattern` is found and no `unless` is, in `where`.

    `where` is `subject`, `body` or `any` (both), `text` (the body as one text, never
    cut into sentences), or, for the closing rules, `line` (the first line of a reply
    only) or `answer` (the short answer: that line and the lines after it, up to a
    sign-off). Texts are expected `flatten`ed. Given the body's `sentences` (for
    `answer`, the sentences of its lines), a `body` or `answer` pattern must be found
    within one sentence, and a sentence in which an `unless_sentence` pattern is found
    does not count.
    """

    name: str
    value: str
    where: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    description: str = ""
    source: str = ""
    unless_sentence: tuple[re.Pattern[str], ...] = ()
    weight: float = 1.0  # what a match counts for, where rules are weighed (category.yaml)

    def search(
        self, subject: str, body: str, body_sentences: tuple[str, ...] | None = None,
        index: NeedleIndex | None = None,
    ) -> tuple[str, re.Match[str]] | None:
        """The place and match of the first pattern found, unless an `unless` is found.
        `index`: the needles of the rule's table, looked for once a text (`NeedleIndex`)."""
        places = self._places(subject, body)
        if any(search(p, text) for p in self.unless for _, text in places):
            return None
        units = [(place, _units(place, text, body_sentences)) for place, text in places]
        for pattern in self.patterns:
            hit = self._first_hit(pattern, units, index)
            if hit is not None:
                return hit
        return None

    def _first_hit(
        self, pattern: re.Pattern[str], units: list[tuple[str, tuple[str, ...]]], index: NeedleIndex | None
    ) -> tuple[str, re.Match[str]] | None:
        """The place and match of `pattern` in the first text it is found in where no
        `unless_sentence` is."""
        for place, texts in units:
            if in_none(pattern, texts, index):
                continue
            for text in texts:
                found = search(pattern, text)
                if found and not any(search(guard, text) for guard in self.unless_sentence):
                    return place, found
        return None

    def check(self, subject: str, body: str, body_sentences: tuple[str, ...] | None = None,
              index: NeedleIndex | None = None) -> Verdict | None:
        hit = self.search(subject, body, body_sentences, index)
        if hit is None:
            return None
        place, found = hit
        snippet = found.group(0)[:80]
        reason = f"{place}: {snippet!r}"
        return Verdict(self.value, self.name, f"{self.description} ({reason})" if self.description else reason)

    def hopeless(self, possible: dict[str, frozenset[int]], index: NeedleIndex) -> bool:
        """Whether the `index` tells, from the words each place holds, that none of the rule's
        patterns can match at any of its places (`possible`: the patterns each place may
        match, `NeedleIndex.possible`): the rule is not asked then. False where it cannot tell."""
        keys = index.keys_of(self.patterns)
        if keys is None:
            return False
        if self.where == "any":
            return keys.isdisjoint(possible["subject"]) and keys.isdisjoint(possible["body"])
        return keys.isdisjoint(possible[self.where])

    def _places(self, subject: str, body: str) -> tuple[tuple[str, str], ...]:
        if self.where == "subject":
            return (("subject", subject),)
        if self.where == "any":
            return (("subject", subject), ("body", body))
        return ((self.where, body),)  # body, text (the body, whole), line or answer


def _units(place: str, text: str, body_sentences: tuple[str, ...] | None) -> tuple[str, ...]:
    """What a pattern is searched in at a place: the body's sentences when given, else the text."""
    if place in _SENTENCE_PLACES and body_sentences is not None:
        return body_sentences
    return (text,)


@dataclass(frozen=True)
class Deadlines:
    """The SLA timers of SPEC section 6 for one priority."""

    first_response: float  # working hours from opening to the first staff answer
    lkpp_status: float  # working days after escalation without LKPP mail (SOP-015 step 12)
    lkpp_progress: float  # working days between LKPP progress mails (SOP-015 step 14)
    awaiting_info_remind: float  # working days before the requester is reminded
    awaiting_info_close: float  # working days before the ticket closes without the data
    confirm_close: float  # working days before a resolved ticket closes by itself
    resolution: float  # wall-clock hours, the 3x24h service standard of SOP-002
    # working days for the coordinators' direction (#koordinator) or the head's recommendation
    # (#lapor-kepala), SOP-004 section 1 steps 5 and 7: reminded once, staff told
    coordinator_direction: float = 1.0


DEADLINE_FIELDS = tuple(f.name for f in fields(Deadlines))


@dataclass(frozen=True)
class Rules:
    """The loaded rule tables; every method is pure."""

    lkpp: tuple[Rule, ...]
    lkpp_tickets: tuple[Rule, ...]
    closing: tuple[Rule, ...]
    ratings: tuple[Rule, ...]
    category: tuple[Rule, ...]
    category_default: str
    priority: tuple[Rule, ...]
    priority_default: str
    deadline_table: tuple[tuple[str, Deadlines], ...]
    second_opinion: Bayes | None = None  # must agree before a reply goes on to a requester
    intake: IntakeWords = field(default_factory=lambda: IntakeWords((), ()))  # `rules/intake.yaml`
    lkpp_notices: tuple[Rule, ...] = ()  # a ticket system's status notices (lkpp.yaml `notices`)
    lkpp_claims: tuple[Rule, ...] = ()  # a resolution claimed anywhere in a desk's mail (lkpp.yaml `claims`)
    similar: Vocabulary = field(default_factory=Vocabulary)  # the unit's memory: how a case becomes terms

    def classify_lkpp(self, subject: str, text: str) -> Verdict | None:
        """need_info | resolved | returned | status for a reply of Helpdesk LKPP, or None.

        None means staff decide (SPEC E17): no rule matched, or a rule held the reply.
        """
        verdict = self.lkpp_verdict(subject, text)
        return None if verdict is None or verdict.value == LKPP_HOLD else verdict

    def lkpp_verdict(self, subject: str, text: str) -> Verdict | None:
        """The first LKPP rule's verdict, a hold (`none`) included, for logs and the bench.

        A verdict of a shipped rule that would send mail to the requester (need_info,
        resolved, status) stands only when the second opinion (`bayes`) reads the same;
        else it is held. An operator's own rule is their decision: it stands as it is.
        """
        flat, flat_text, said = flatten(subject), flatten(text), sentences(text)
        found = next(((rule, v) for rule in self.lkpp if (v := rule.check(flat, flat_text, said)) is not None), None)
        if found is None:
            return None
        rule, verdict = found
        if verdict.value not in TO_REQUESTER or self.second_opinion is None or rule.source != SHIPPED_LKPP:
            return verdict
        reading = self.second_opinion.read(text)
        if reading == verdict.value:
            return verdict
        return Verdict(LKPP_HOLD, "lkpp-second-opinion",
                       f"the rules read {verdict.value} ({verdict.rule}), the trained model {reading}: staff decide")

    def is_confirmation(self, first_line: str, more: Iterable[str] = ()) -> tuple[bool, int | None]:
        """SPEC E4: does this answer confirm closing, and with which rating 1-5?

        Given a whole reply, its first non-blank line is read; `more` are the lines of
        the short answer after it, which only `where: answer` rules read. A `reject`
        rule that matches first (e.g. "ya, tapi masih error") makes it no confirmation;
        a rating outside 1-5 is ignored, the confirmation stands.
        """
        line = flatten(next((x for x in first_line.splitlines() if x.strip()), ""), 500)
        verdict = self.closing_verdict(line, more)
        if verdict is None or verdict.value != "confirm":
            return False, None
        return True, self.rating(line)

    def closing_verdict(self, first_line: str, more: Iterable[str] = ()) -> Verdict | None:
        """The verdict of the first closing rule that matches, None if none does.

        `where: line` rules read `first_line`; `where: answer` rules read it and the
        `more` lines, each line cut into sentences, so a pattern and its
        `unless_sentence` are weighed within one sentence.
        """
        line = flatten(first_line, 500)
        lines = [line, *(flatten(x, 500) for x in more if x.strip())]
        answer = "\n".join(lines)
        units = tuple(part for x in lines for part in split_sentences(x))
        for rule in self.closing:
            verdict = rule.check("", answer, units) if rule.where == "answer" else rule.check("", line)
            if verdict is not None:
                return verdict
        return None

    def rating(self, line: str) -> int | None:
        """The rating 1-5 the first `ratings` rule finds in a confirmation line; else the
        number of stars on it ("Ya ⭐⭐⭐⭐"), as phone keyboards make rating easy."""
        for rule in self.ratings:
            hit = rule.search("", flatten(line, 500))
            if hit is not None:
                value = hit[1].group("rating").lower()
                number = int(value) if value.isdigit() else RATING_WORDS.get(value, 0)
                return number if 1 <= number <= 5 else None
        stars = sum(line.count(star) for star in STARS)
        return stars if 1 <= stars <= 5 else None

    def guess_category(self, subject: str, text: str) -> Verdict:
        """pengaduan | pertanyaan | konsultasi for a new ticket, by what the writer asks.

        Every category rule that matches adds its weight to its category and the heaviest
        category wins (a tie goes to the category of the earliest matching rule): a
        question that mentions a problem is still a question, and a complaint phrased
        with a "kenapa" still a complaint, because each form is weighed against the other
        rather than the first phrase found deciding.
        """
        return _weigh(self.category, flatten(subject), flatten(text), sentences(text), self._guesses) or Verdict(
            self.category_default, "category-default", "no category rule matched")

    def guess_priority(self, subject: str, text: str) -> Verdict:
        """high | normal | low for a new ticket (Tabel Prioritas Penyelesaian Permasalahan SPSE)."""
        found = _first(self.priority, flatten(subject), flatten(text), index=self._guesses)
        return found or Verdict(self.priority_default, "priority-default", "no priority rule matched")

    @cached_property
    def _guesses(self) -> NeedleIndex:
        """The needles of the category and priority rules, which every new request is weighed
        by, looked for once a text; made at the first guess (the sender process never guesses)."""
        return NeedleIndex(p for rule in (*self.category, *self.priority) for p in rule.patterns)

    def deadlines(self, priority: str | None) -> Deadlines:
        """The SLA of a priority; None (not yet set) means the default priority."""
        wanted = priority or self.priority_default
        for name, value in self.deadline_table:
            if name == wanted:
                return value
        raise ValueError(f"unknown priority {priority!r}; expected one of {', '.join(PRIORITIES)}")

    def lkpp_notice(self, subject: str, text: str) -> str | None:
        """The name of the `notices` rule that reads a mail as a ticket system's status notice
        ("Resolved: ...", "Status changed", "Ticket closed"), or None."""
        subject, text = flatten(subject), flatten(text)
        return next((rule.name for rule in self.lkpp_notices if rule.search(subject, text) is not None), None)

    def lkpp_claim(self, subject: str, text: str) -> str | None:
        """The name of the `claims` rule that reads the case as resolved or closed anywhere in a
        desk's subject or text ("Your ticket has been closed", "State: closed"), or None."""
        flat_subject, flat_text, said = flatten(subject), flatten(text), sentences(text)
        return next((rule.name for rule in self.lkpp_claims if rule.search(flat_subject, flat_text, said) is not None),
                    None)

    def lkpp_ticket(self, subject: str, text: str) -> str | None:
        """LKPP's own ticket number cited in a mail, e.g. `[Ticket#2026112110000123]`."""
        subject, text = flatten(subject), flatten(text)
        for rule in self.lkpp_tickets:
            hit = rule.search(subject, text)
            if hit is not None:
                number = hit[1].group("ticket").strip(".-/:")
                if number:
                    return number
        return None


def _weigh(rules: Iterable[Rule], subject: str, body: str, body_sentences: tuple[str, ...],
           index: NeedleIndex | None = None) -> Verdict | None:
    """The value whose matching rules weigh most; its heaviest rule names the verdict."""
    scores: dict[str, float] = {}
    heaviest: dict[str, Rule] = {}
    possible = _possible(index, subject, body, body_sentences)
    for rule in rules:
        if index is not None and rule.hopeless(possible, index):
            continue
        if rule.search(subject, body, body_sentences, index) is None:
            continue
        scores[rule.value] = scores.get(rule.value, 0.0) + rule.weight
        if rule.value not in heaviest or rule.weight > heaviest[rule.value].weight:
            heaviest[rule.value] = rule
    if not scores:
        return None
    value = max(scores, key=lambda v: scores[v])  # max keeps the first (earliest matched) of equal scores
    rule = heaviest[value]
    weighed = ", ".join(f"{v} {scores[v]:g}" for v in sorted(scores, key=lambda v: -scores[v]))
    return Verdict(value, rule.name, f"{rule.description} ({weighed})" if rule.description else weighed)


def _possible(index: NeedleIndex | None, subject: str, body: str,
              body_sentences: tuple[str, ...] | None) -> dict[str, frozenset[int]]:
    """For each place a rule reads, the patterns of the `index` that may match there: the words
    of the message looked for once, the rules they point to asked (`Rule.hopeless`)."""
    if index is None:
        return {}
    whole = index.possible((body,))
    return {"subject": index.possible((subject,)), "text": whole,
            "body": index.possible(body_sentences) if body_sentences is not None else whole}


def _first(
    rules: Iterable[Rule], subject: str, body: str, body_sentences: tuple[str, ...] | None = None,
    index: NeedleIndex | None = None,
) -> Verdict | None:
    possible = _possible(index, subject, body, body_sentences)
    for rule in rules:
        if index is not None and rule.hopeless(possible, index):
            continue
        verdict = rule.check(subject, body, body_sentences, index)
        if verdict is not None:
            return verdict
    return None
