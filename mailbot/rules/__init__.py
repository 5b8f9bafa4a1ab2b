"""Declarative rules: LKPP reply classes, closing words, category, priority, deadlines.

This package owns every judgement mailbot makes from the *wording* of a message
(SPEC sections 4, 6 and 7): how a reply of Helpdesk LKPP is classified (SOP-015
steps 3-14), which answers confirm closing a resolved ticket (SOP-002 step 12),
how a new ticket's category and priority are guessed (the unit's "Tabel Prioritas
Penyelesaian Permasalahan SPSE"), and the SLA of each priority.

The wording lives in YAML beside this file, so a unit can change it without code.
As in Mailman 3, each rule is a tiny named frozen object kept in an ordered table;
it answers with a `Verdict` (value, rule name, reason) or None and mutates nothing.
The first rule that matches decides. Everything is validated when loaded: a bad
file stops start-up with a `ConfigError` naming the file, the rule and the field.

The operator's `rules_dir` may hold files with the same names: a rule there with the
name of a shipped rule replaces it in place, `enabled: false` drops it, a new name is
appended (or put where `before: <name>` says), and `replace: true` at the top of a
file drops all shipped rules of that file first. `deadlines.yaml` merges field by
field.

A rule file may name lists of words (`words:`) that its patterns use as `{name}`, so a
pattern can say what it means ("a request, then a verb of sending") instead of
repeating fifty alternatives; an operator's word list of the same name replaces the
shipped one everywhere it is used. LKPP replies are read sentence by sentence: a rule's
`pattern` must be found inside one sentence, and its `unless_sentence` patterns drop a
sentence as evidence (a question, a conditional "apabila masih terdapat kendala ...",
a hedge), while `unless` still vetoes the rule for the whole text. A rule `where: text`
reads the body as one text instead, for what only several sentences show (a reply that
answers several cases item by item). An LKPP rule with the value `none` holds a reply
for staff (SPEC E17) whatever later rules would say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from mailbot.core.intake import FIELDS as INTAKE_FIELDS
from mailbot.core.intake import IntakeWords
from mailbot.core.similar import Words
from mailbot.errors import ConfigError
from mailbot.rules.bayes import Bayes
from mailbot.rules.needles import search
from mailbot.rules.similar_words import load_words

__all__ = [
    "CATEGORIES",
    "DEADLINE_FIELDS",
    "LKPP_CLASSES",
    "LKPP_HOLD",
    "PRIORITIES",
    "Deadlines",
    "Rule",
    "Rules",
    "Verdict",
    "flatten",
    "load_rules",
    "sentences",
]

DEFAULTS_DIR = Path(__file__).resolve().parent
LKPP_CLASSES = ("need_info", "resolved", "returned", "status")
# An LKPP rule with this value decides that staff must decide (E17): a question to the
# LPSE about its own setup, a reminder before auto-close. classify_lkpp answers None.
LKPP_HOLD = "none"
CATEGORIES = ("pengaduan", "pertanyaan", "konsultasi")
PRIORITIES = ("high", "normal", "low")
CLOSING_VALUES = ("confirm", "reject")
STARS = ("\u2b50", "\u2605")  # the star emoji and the black star: "Ya ⭐⭐⭐⭐⭐"
# A rating written as a word ("Nilai: lima", "five stars"), as closing.yaml's `rating_word`
RATING_WORDS = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
                "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
# Only this much of a body is searched: the phrases that decide sit near the top,
# and a crafted megabyte of text must not make every rule scan it (SPEC section 9).
MAX_TEXT = 20_000
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_PLACES = ("subject", "body", "any", "text")
# libyaml's safe loader when PyYAML was built with it: the rules are read at every start,
# and the pure-Python loader takes a tenth of a second over lkpp.yaml alone.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RULE_FIELDS = frozenset({"name", "value", "where", "pattern", "unless", "unless_sentence", "description", "before",
                          "enabled", "weight"})
_WORD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_WORD_REF = re.compile(r"\{([a-z][a-z0-9_]*)\}")  # `{name}`; a quantifier such as {0,40} has no letters
# A list item at the start of a line: "- kode tender", "2. NPWP", "b) username".
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022\u00b7\u2023\u25aa\u2013]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.?!]+(?=\s)")
# Mail written without full stops still starts sentences with these words; a capitalised
# one after a lower-case word starts a new sentence ("... sudah kami reset Mohon dicoba").
_SENTENCE_START = re.compile(
    r"(?<=[\w)\]\"'])\s+(?=(?:Mohon|Silakan|Silahkan|Apabila|Jika|Bila|Terima kasih|Demikian|Apakah|Namun|"
    r"Sementara|Saat ini|Untuk|Please|Could you|Can you|Would you|Kindly|If|Thank|Thanks|However)\b)"
)
# A full stop after these does not end a sentence ("Yth. Bapak", "s.d. besok", "a.n. Budi").
_ABBREVIATIONS = frozenset({
    "yth", "no", "nomor", "s.d", "sd", "dll", "dsb", "dst", "bpk", "sdr", "sdri", "tn", "ny", "jl", "jln", "telp",
    "tlp", "kab", "kec", "kel", "prov", "a.n", "u.p", "dr", "ir", "hj", "st", "e.g", "i.e", "etc", "vs", "mr",
    "mrs", "ms", "pt", "cv", "tbk", "ref", "lamp", "nip", "ttd", "ybs", "bapak/ibu", "tgl", "hlm",
})


def flatten(text: str, limit: int = MAX_TEXT) -> str:
    """Fold line breaks and runs of white space to one space, so wrapped mail matches."""
    return " ".join(text[:limit].split())


def sentences(text: str, limit: int = MAX_TEXT) -> tuple[str, ...]:
    """The text as flattened sentences, for rules that weigh each sentence on its own.

    A blank line or a list item starts a new block, so a greeting, each paragraph and
    each item of a list stand alone even without punctuation; inside a block, wrapped
    lines are joined and the block is cut after `?`, `!` and after a full stop that
    ends a word (not "Yth.", "s.d.", an initial or a number such as 14.00).
    """
    blocks: list[str] = []
    current: list[str] = []
    for line in text[:limit].splitlines():
        if (not line.strip() or _LIST_ITEM.match(line)) and current:
            blocks.append(" ".join(current))
            current = []
        if line.strip():
            current.append(line)
    if current:
        blocks.append(" ".join(current))
    result: list[str] = []
    for block in blocks:
        result.extend(_split_sentences(" ".join(block.split())))
    return tuple(part for part in result if part)


def _split_sentences(block: str) -> list[str]:
    result: list[str] = []
    for flat in _SENTENCE_START.split(block):
        start = 0
        for end in _SENTENCE_END.finditer(flat):
            if end.group() == ".":
                before = flat[start : end.start()]
                word = before.rsplit(" ", 1)[-1].lower()
                if (len(word) == 1 and word.isalpha()) or word in _ABBREVIATIONS:
                    continue
                if word.isdigit() and " " not in before.strip():
                    continue  # the number of a list item: "2. NPWP"
            result.append(flat[start : end.end()].strip())
            start = end.end()
        if flat[start:].strip():
            result.append(flat[start:].strip())
    return result


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
        self, subject: str, body: str, body_sentences: tuple[str, ...] | None = None
    ) -> tuple[str, re.Match[str]] | None:
        """The place and match of the first pattern found, unless an `unless` is found."""
        places = self._places(subject, body)
        if any(search(p, text) for p in self.unless for _, text in places):
            return None
        units = [(place, body_sentences if place in ("body", "answer") and body_sentences is not None else (text,))
                 for place, text in places]
        for pattern in self.patterns:
            for place, texts in units:
                for text in texts:
                    found = search(pattern, text)
                    if found and not any(search(guard, text) for guard in self.unless_sentence):
                        return place, found
        return None

    def check(self, subject: str, body: str, body_sentences: tuple[str, ...] | None = None) -> Verdict | None:
        hit = self.search(subject, body, body_sentences)
        if hit is None:
            return None
        place, found = hit
        snippet = found.group(0)[:80]
        reason = f"{place}: {snippet!r}"
        return Verdict(self.value, self.name, f"{self.description} ({reason})" if self.description else reason)

    def _places(self, subject: str, body: str) -> tuple[tuple[str, str], ...]:
        if self.where == "subject":
            return (("subject", subject),)
        if self.where == "any":
            return (("subject", subject), ("body", body))
        return ((self.where, body),)  # body, text (the body, whole), line or answer


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
    similar: Words = field(default_factory=Words)  # the unit's memory: how a case becomes terms

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
        units = tuple(part for x in lines for part in _split_sentences(x))
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
        return _weigh(self.category, flatten(subject), flatten(text), sentences(text)) or Verdict(
            self.category_default, "category-default", "no category rule matched")

    def guess_priority(self, subject: str, text: str) -> Verdict:
        """high | normal | low for a new ticket (Tabel Prioritas Penyelesaian Permasalahan SPSE)."""
        found = _first(self.priority, flatten(subject), flatten(text))
        return found or Verdict(self.priority_default, "priority-default", "no priority rule matched")

    def deadlines(self, priority: str | None) -> Deadlines:
        """The SLA of a priority; None (not yet set) means the default priority."""
        wanted = priority or self.priority_default
        for name, value in self.deadline_table:
            if name == wanted:
                return value
        raise ValueError(f"unknown priority {priority!r}; expected one of {', '.join(PRIORITIES)}")

    def lkpp_notice(self, subject: str, text: str) -> str | None:
        """The name of the `notices` rule that reads a mail as a ticket system's status notice
        ("Resolved: ...", "Status changed", "Ticket closed"), or None (issue 32)."""
        subject, text = flatten(subject), flatten(text)
        return next((rule.name for rule in self.lkpp_notices if rule.search(subject, text) is not None), None)

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


def _weigh(rules: Iterable[Rule], subject: str, body: str, body_sentences: tuple[str, ...]) -> Verdict | None:
    """The value whose matching rules weigh most; its heaviest rule names the verdict."""
    scores: dict[str, float] = {}
    heaviest: dict[str, Rule] = {}
    for rule in rules:
        if rule.search(subject, body, body_sentences) is None:
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


def _first(
    rules: Iterable[Rule], subject: str, body: str, body_sentences: tuple[str, ...] | None = None
) -> Verdict | None:
    for rule in rules:
        verdict = rule.check(subject, body, body_sentences)
        if verdict is not None:
            return verdict
    return None


# --- loading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    """One list of rules in a file: which values and places it allows, which group it needs."""

    values: tuple[str, ...] | None  # None: the rules carry no `value`
    places: tuple[str, ...]
    default_place: str
    group: str | None = None  # a named group every pattern must define
    weighed: bool = False  # its rules carry a `weight` and are summed, not first-match


_SECTIONS: dict[str, dict[str, _Section]] = {
    "lkpp": {
        "rules": _Section((*LKPP_CLASSES, LKPP_HOLD), _PLACES, "body"),
        "tickets": _Section(None, _PLACES, "any", group="ticket"),
        "notices": _Section(None, _PLACES, "subject"),
    },
    "closing": {
        "rules": _Section(CLOSING_VALUES, ("line", "answer"), "line"),
        "ratings": _Section(None, ("line",), "line", group="rating"),
    },
    "category": {"rules": _Section(CATEGORIES, _PLACES, "any", weighed=True)},
    "priority": {"rules": _Section(PRIORITIES, _PLACES, "any")},
}
_DEFAULT_VALUES = {"category": CATEGORIES, "priority": PRIORITIES}
FILES = (*_SECTIONS, "deadlines", "intake", "similar")


@dataclass(frozen=True)
class _Drop:
    """An operator's `enabled: false`: remove the shipped rule of this name."""

    name: str


@dataclass(frozen=True)
class _Placed:
    """A rule the operator wants placed before another one."""

    rule: Rule
    before: str

    @property
    def name(self) -> str:
        return self.rule.name


_Item = Rule | _Drop | _Placed


TO_REQUESTER = ("need_info", "resolved", "status")  # LKPP classes whose reply goes on to the requester
MODEL_FILE = "lkpp_model.json"


def _second_opinion(rules_dir: Path | None) -> Bayes | None:
    """The operator's trained model if `rules_dir` has one, else the shipped one."""
    path = rules_dir / MODEL_FILE if rules_dir is not None and (rules_dir / MODEL_FILE).is_file() \
        else DEFAULTS_DIR / MODEL_FILE
    try:
        return Bayes.load(path)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{path}: not a model file: {exc}") from None


SHIPPED_LKPP = "rules/lkpp.yaml"  # the source of the shipped LKPP rules (an operator's rule carries its file's path)


def load_rules(rules_dir: Path | None = None) -> Rules:
    """The shipped rules, extended or overridden by the operator's `rules_dir`."""
    operator = _operator_files(rules_dir) if rules_dir is not None else {}
    tables: dict[str, dict[str, list[Rule]]] = {}
    defaults: dict[str, str] = {}
    for kind, sections in _SECTIONS.items():
        data, source = _read(DEFAULTS_DIR / f"{kind}.yaml", f"rules/{kind}.yaml")
        extra = operator.get(kind)
        extra_data, extra_source = _read(extra, str(extra)) if extra is not None else ({}, "")
        words = _expand_words([*_raw_words(data, source), *_raw_words(extra_data, extra_source)])
        shipped, default = _parse_rule_file(kind, data, source, sections, words)
        tables[kind] = {key: _merge([], shipped[key], source) for key in sections}
        if extra is not None:
            data, source = extra_data, extra_source
            override, own_default = _parse_rule_file(kind, data, source, sections, words)
            if data.get("replace") is True:
                tables[kind] = {key: [] for key in sections}
            for key in sections:
                tables[kind][key] = _merge(tables[kind][key], override[key], source)
            default = own_default or default
        if default is not None:
            defaults[kind] = default
    for kind in _DEFAULT_VALUES:
        if kind not in defaults:
            raise ConfigError(f"rules/{kind}.yaml: field 'default': missing")
    return Rules(
        lkpp=tuple(tables["lkpp"]["rules"]),
        lkpp_tickets=tuple(tables["lkpp"]["tickets"]),
        lkpp_notices=tuple(tables["lkpp"]["notices"]),
        closing=tuple(tables["closing"]["rules"]),
        ratings=tuple(tables["closing"]["ratings"]),
        category=tuple(tables["category"]["rules"]),
        category_default=defaults["category"],
        priority=tuple(tables["priority"]["rules"]),
        priority_default=defaults["priority"],
        deadline_table=_load_deadlines(operator.get("deadlines")),
        second_opinion=_second_opinion(rules_dir),
        intake=_load_intake(operator.get("intake")),
        similar=load_words(operator.get("similar"), _read),
    )


def _operator_files(rules_dir: Path) -> dict[str, Path]:
    if not rules_dir.is_dir():
        raise ConfigError(f"rules_dir {rules_dir}: not a directory")
    found: dict[str, Path] = {}
    for path in sorted(rules_dir.iterdir()):
        if path.suffix not in (".yaml", ".yml"):
            continue
        if path.suffix != ".yaml" or path.stem not in FILES:
            names = ", ".join(f"{f}.yaml" for f in FILES)
            raise ConfigError(f"{path}: unknown rules file; expected one of {names}")
        found[path.stem] = path
    return found


def _read(path: Path, source: str) -> tuple[dict[str, Any], str]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from exc
    if data is None:
        return {}, source
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a mapping of sections, got {type(data).__name__}")
    return data, source


def _raw_words(data: dict[str, Any], source: str) -> list[tuple[str, tuple[str, ...], str]]:
    """A file's `words:` as (name, alternatives, source), in the file's order."""
    raw = data.get("words") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: field 'words': must be a mapping of names to lists of alternatives")
    result = []
    for name, alternatives in raw.items():
        if not isinstance(name, str) or not _WORD_NAME.match(name):
            raise ConfigError(f"{source}: word {name!r}: must be lower-case letters, digits or '_', "
                              "starting with a letter")
        items = [alternatives] if isinstance(alternatives, str) else alternatives
        if not isinstance(items, list) or not items or any(not isinstance(a, str) or not a.strip() for a in items):
            raise ConfigError(f"{source}: word {name!r}: must be a regular expression or a non-empty list of them")
        result.append((name, tuple(items), source))
    return result


def _expand_words(raw: list[tuple[str, tuple[str, ...], str]]) -> dict[str, str]:
    """Each word as one non-capturing group; a later definition of a name replaces it.

    A word may use words defined before it, so the operator's list replaces the shipped
    one everywhere, also inside other shipped words.
    """
    latest: dict[str, tuple[tuple[str, ...], str]] = {}
    for name, alternatives, source in raw:
        latest[name] = (alternatives, source)
    words: dict[str, str] = {}
    for name, (alternatives, source) in latest.items():
        def fail(field: str, message: str, name: str = name, source: str = source) -> ConfigError:
            return ConfigError(f"{source}: word {name!r}: {message}")

        expanded = [_use_words(text, words, fail, "words") for text in alternatives]
        group = "(?:" + "|".join(expanded) + ")"
        try:
            re.compile(group)
        except re.error as exc:
            raise fail("words", f"invalid regular expression: {exc}") from exc
        words[name] = group
    return words


def _use_words(text: str, words: dict[str, str], fail: Callable[[str, str], ConfigError], field: str) -> str:
    """`text` with each `{name}` replaced by that word's group."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in words:
            known = ", ".join(words) or "none"
            raise fail(field, f"unknown word {{{name}}} in {text!r} (words defined before it: {known})")
        return words[name]

    return _WORD_REF.sub(one, text)


def _parse_rule_file(
    kind: str, data: dict[str, Any], source: str, sections: dict[str, _Section], words: dict[str, str]
) -> tuple[dict[str, list[_Item]], str | None]:
    allowed = {"replace", "words", *sections, *(("default",) if kind in _DEFAULT_VALUES else ())}
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{source}: unknown key {key!r}; expected one of {', '.join(sorted(allowed))}")
    if "replace" in data and not isinstance(data["replace"], bool):
        raise ConfigError(f"{source}: field 'replace': must be true or false, got {data['replace']!r}")
    default = data.get("default")
    if default is not None and default not in _DEFAULT_VALUES[kind]:
        raise ConfigError(f"{source}: field 'default': must be one of {', '.join(_DEFAULT_VALUES[kind])}, "
                          f"got {default!r}")
    seen: set[str] = set()
    parsed: dict[str, list[_Item]] = {}
    for key, section in sections.items():
        items = data.get(key) or []
        if not isinstance(items, list):
            raise ConfigError(f"{source}: field {key!r}: must be a list of rules")
        parsed[key] = []
        for index, raw in enumerate(items, 1):
            rule = _parse_rule(raw, f"{key} #{index}", source, section, words)
            if rule.name in seen:
                raise ConfigError(f"{source}: rule {rule.name!r}: field 'name': duplicate rule name")
            seen.add(rule.name)
            parsed[key].append(rule)
    return parsed, default


def _parse_rule(raw: object, label: str, source: str, section: _Section, words: dict[str, str]) -> _Item:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: rule {label}: must be a mapping, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{source}: rule {label}: field 'name': "
                          + ("missing" if name is None else f"must be lower-case letters, digits, '-', '_' or '.', "
                             f"got {name!r}"))

    def fail(field: str, message: str) -> ConfigError:
        return ConfigError(f"{source}: rule {name!r}: field {field!r}: {message}")

    for key in raw:
        if key not in _RULE_FIELDS or (key == "value" and section.values is None) or (
                key == "weight" and not section.weighed):
            raise fail(key, "unknown field")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", f"must be true or false, got {enabled!r}")
    if not enabled:
        return _Drop(name)
    value = ""
    if section.values is not None:
        value = raw.get("value")  # type: ignore[assignment]
        if value is None:
            raise fail("value", "missing")
        if value not in section.values:
            raise fail("value", f"must be one of {', '.join(section.values)}, got {value!r}")
    where = raw.get("where", section.default_place)
    if where not in section.places:
        raise fail("where", f"must be one of {', '.join(section.places)}, got {where!r}")
    if "pattern" not in raw:
        raise fail("pattern", "missing")
    patterns = _patterns(raw["pattern"], fail, "pattern", section.group, words)
    unless = _patterns(raw.get("unless", []), fail, "unless", None, words, required=False)
    unless_sentence = _patterns(raw.get("unless_sentence", []), fail, "unless_sentence", None, words,
                                required=False)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise fail("description", "must be text")
    before = raw.get("before")
    if before is not None and not isinstance(before, str):
        raise fail("before", "must be a rule name")
    weight = raw.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 100:
        raise fail("weight", f"must be a number above 0 and at most 100, got {weight!r}")
    rule = Rule(name, value, where, patterns, unless, description.strip(), source, unless_sentence, float(weight))
    return _Placed(rule, before) if before else rule


def _patterns(
    raw: object, fail: Callable[[str, str], ConfigError], field: str, group: str | None, words: dict[str, str],
    required: bool = True,
) -> tuple[re.Pattern[str], ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or any(not isinstance(p, str) or not p.strip() for p in items):
        raise fail(field, "must be a regular expression or a list of them")
    if required and not items:
        raise fail(field, "must not be empty")
    compiled = []
    for text in items:
        expanded = _use_words(text, words, fail, field)
        try:
            pattern = re.compile(expanded, re.IGNORECASE)
        except re.error as exc:
            raise fail(field, f"invalid regular expression {text!r}: {exc}") from exc
        if group and group not in pattern.groupindex:
            raise fail(field, f"{text!r} must capture the number in a group named {group!r}: (?P<{group}>...)")
        if pattern.search(""):
            raise fail(field, f"{text!r} matches the empty text, so it would match every message")
        compiled.append(pattern)
    return tuple(compiled)


def _merge(base: list[Rule], extra: list[_Item], source: str) -> list[Rule]:
    """Replace by name in place, drop `enabled: false`, append or insert the rest."""
    rules = list(base)
    for item in extra:
        names = [r.name for r in rules]
        if isinstance(item, _Drop):
            if item.name not in names:
                raise ConfigError(f"{source}: rule {item.name!r}: field 'enabled': no rule of that name to disable")
            del rules[names.index(item.name)]
            continue
        rule = item.rule if isinstance(item, _Placed) else item
        if isinstance(item, _Placed):
            if item.before not in names or item.before == rule.name:
                raise ConfigError(f"{source}: rule {rule.name!r}: field 'before': no other rule named "
                                  f"{item.before!r}")
            if rule.name in names:
                del rules[names.index(rule.name)]
            rules.insert([r.name for r in rules].index(item.before), rule)
        elif rule.name in names:
            rules[names.index(rule.name)] = rule
        else:
            rules.append(rule)
    return rules


# --- deadlines ---------------------------------------------------------------------------


def _load_deadlines(operator: Path | None) -> tuple[tuple[str, Deadlines], ...]:
    data, source = _read(DEFAULTS_DIR / "deadlines.yaml", "rules/deadlines.yaml")
    table = _parse_deadlines(data, source)
    if operator is not None:
        data, source = _read(operator, str(operator))
        extra = _parse_deadlines(data, source)
        if data.get("replace") is True:
            table = {}
        for section, values in extra.items():
            table[section] = {**table.get(section, {}), **values}
    result = []
    for priority in PRIORITIES:
        values = {**table.get("default", {}), **table.get(priority, {})}
        for name in DEADLINE_FIELDS:
            if name not in values:
                raise ConfigError(f"{source}: priority {priority!r}: field {name!r}: missing "
                                  f"(set it under 'default' or {priority!r})")
        if values["awaiting_info_close"] <= values["awaiting_info_remind"]:
            raise ConfigError(f"{source}: priority {priority!r}: field 'awaiting_info_close': must be greater "
                              f"than awaiting_info_remind ({values['awaiting_info_remind']:g})")
        result.append((priority, Deadlines(**values)))
    return tuple(result)


def _parse_deadlines(data: dict[str, Any], source: str) -> dict[str, dict[str, float]]:
    sections = ("default", *PRIORITIES)
    parsed: dict[str, dict[str, float]] = {}
    for key, raw in data.items():
        if key == "replace":
            if not isinstance(raw, bool):
                raise ConfigError(f"{source}: field 'replace': must be true or false, got {raw!r}")
            continue
        if key not in sections:
            raise ConfigError(f"{source}: unknown priority {key!r}; expected one of {', '.join(sections)}")
        if not isinstance(raw, dict):
            raise ConfigError(f"{source}: priority {key!r}: must be a mapping of timers")
        parsed[key] = {}
        for name, value in raw.items():
            if name not in DEADLINE_FIELDS:
                raise ConfigError(f"{source}: priority {key!r}: field {name!r}: unknown timer; expected one of "
                                  f"{', '.join(DEADLINE_FIELDS)}")
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ConfigError(f"{source}: priority {key!r}: field {name!r}: must be a positive number, "
                                  f"got {value!r}")
            parsed[key][name] = float(value)
    return parsed


# --- the consultation form's words (`intake.yaml`) ---------------------------------------

_INTAKE_KEYS = ("channels", "fields", "headings", "none", "months", "weekdays", "days_before", "afternoon", "midday",
                "zones", "sign_offs")


def _load_intake(operator: Path | None) -> IntakeWords:
    """The shipped words of the form, with an operator's file's words added (or, with
    `replace: true`, instead)."""
    data, source = _read(DEFAULTS_DIR / "intake.yaml", "rules/intake.yaml")
    table = _parse_intake(data, source)
    if operator is not None:
        extra_data, extra_source = _read(operator, str(operator))
        extra = _parse_intake(extra_data, extra_source)
        if extra_data.get("replace") is True:
            table = {key: {} if isinstance(value, dict) else [] for key, value in table.items()}
        for key, value in extra.items():
            if isinstance(value, dict):
                merged = dict(table[key])
                for name, more in value.items():
                    merged[name] = [*merged.get(name, []), *more] if isinstance(more, list) else more
                table[key] = merged
            else:
                table[key] = [*table[key], *value]
    for channel in ("telepon", "datang"):
        if not table["channels"].get(channel):
            raise ConfigError(f"{source}: channels: {channel!r}: needs at least one command word")
    fields = table["fields"]
    return IntakeWords(
        channels=tuple((c, tuple(w)) for c, w in table["channels"].items()),
        fields=tuple((f, tuple(w)) for f, w in fields.items()),
        headings=tuple(table["headings"]), none=tuple(table["none"]),
        months=tuple((int(m), tuple(w)) for m, w in table["months"].items()),
        weekdays=tuple(table["weekdays"]),
        zones=tuple((z, int(h)) for z, h in table["zones"].items()),
        days_before=tuple((p, int(d)) for p, d in table["days_before"].items()),
        afternoon=tuple(table["afternoon"]), midday=tuple(table["midday"]),
        sign_offs=tuple(table.get("sign_offs", ())),
    )


def _parse_intake(data: dict[str, Any], source: str) -> dict[str, Any]:
    """`intake.yaml` checked: words are lower-cased strings; fields, months and zones known."""
    parsed: dict[str, Any] = {}
    for key, raw in data.items():
        if key == "replace":
            if not isinstance(raw, bool):
                raise ConfigError(f"{source}: field 'replace': must be true or false, got {raw!r}")
            continue
        if key not in _INTAKE_KEYS:
            raise ConfigError(f"{source}: unknown section {key!r}; expected one of {', '.join(_INTAKE_KEYS)}")
        if key in ("channels", "fields", "months", "zones", "days_before"):
            if not isinstance(raw, dict):
                raise ConfigError(f"{source}: {key}: must be a mapping")
            parsed[key] = {name: _intake_value(key, name, value, source) for name, value in raw.items()}
        else:
            parsed[key] = _word_list(raw, f"{source}: {key}")
    return parsed


def _intake_value(key: str, name: object, value: object, source: str) -> Any:
    where = f"{source}: {key}: {name!r}"
    if key == "fields" and name not in INTAKE_FIELDS:
        raise ConfigError(f"{where}: unknown field; expected one of {', '.join(INTAKE_FIELDS)}")
    if key == "channels" and name not in ("telepon", "datang"):
        raise ConfigError(f"{where}: unknown channel; expected telepon or datang")
    if key == "months" and not (isinstance(name, int) and 1 <= name <= 12):
        raise ConfigError(f"{where}: a month is a number 1-12")
    if key in ("zones", "days_before"):
        if isinstance(value, bool) or not isinstance(value, int) or not -12 <= value <= 14:
            raise ConfigError(f"{where}: must be a whole number of {'hours' if key == 'zones' else 'days'}")
        return value
    return _word_list(value, where)


def _word_list(raw: object, where: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(w, str | int) and str(w).strip() for w in raw):
        raise ConfigError(f"{where}: must be a list of words")
    return [str(w).strip().lower() for w in raw]
