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

Each part in a module named for what it owns: `tables` (the rule objects and the
questions asked of them), `text` (flattened text and sentences), `needles` (a quick look
before a pattern), `yaml_files` (reading a YAML file), `rule_files` (the rule files:
validation, words, merging), `deadline_file`, `intake_file`, `similar_words` (the unit's
memory), `bayes` (the second opinion).
Here: `load_rules`, which puts them together.
"""

from __future__ import annotations

from pathlib import Path

from mailbot.errors import ConfigError
from mailbot.rules.bayes import Bayes
from mailbot.rules.deadline_file import load_deadlines
from mailbot.rules.intake_file import load_intake
from mailbot.rules.rule_files import SECTIONS, load_tables
from mailbot.rules.similar_words import load_words
from mailbot.rules.tables import (
    CATEGORIES,
    DEADLINE_FIELDS,
    LKPP_CLASSES,
    LKPP_HOLD,
    PRIORITIES,
    Deadlines,
    Rule,
    Rules,
    Verdict,
)
from mailbot.rules.text import flatten, sentences
from mailbot.rules.yaml_files import DEFAULTS_DIR, operator_files, read_yaml

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

FILES = (*SECTIONS, "deadlines", "intake", "similar")
MODEL_FILE = "lkpp_model.json"
# The YAML reader every rules file goes through (its errors name the file); the benches
# and `similar_words` read their files with it too.
_read = read_yaml


def load_rules(rules_dir: Path | None = None) -> Rules:
    """The shipped rules, extended or overridden by the operator's `rules_dir`."""
    operator = operator_files(rules_dir, FILES) if rules_dir is not None else {}
    tables, defaults = load_tables(operator)
    return Rules(
        lkpp=tuple(tables["lkpp"]["rules"]),
        lkpp_tickets=tuple(tables["lkpp"]["tickets"]),
        lkpp_notices=tuple(tables["lkpp"]["notices"]),
        lkpp_claims=tuple(tables["lkpp"]["claims"]),
        closing=tuple(tables["closing"]["rules"]),
        ratings=tuple(tables["closing"]["ratings"]),
        category=tuple(tables["category"]["rules"]),
        category_default=defaults["category"],
        priority=tuple(tables["priority"]["rules"]),
        priority_default=defaults["priority"],
        deadline_table=load_deadlines(operator.get("deadlines")),
        second_opinion=_second_opinion(rules_dir),
        intake=load_intake(operator.get("intake")),
        similar=load_words(operator.get("similar"), read_yaml),
    )


def _second_opinion(rules_dir: Path | None) -> Bayes | None:
    """The operator's trained model if `rules_dir` has one, else the shipped one."""
    path = rules_dir / MODEL_FILE if rules_dir is not None and (rules_dir / MODEL_FILE).is_file() \
        else DEFAULTS_DIR / MODEL_FILE
    try:
        return Bayes.load(path)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{path}: not a model file: {exc}") from None
