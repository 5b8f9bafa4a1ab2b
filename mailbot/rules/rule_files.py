"""The rule files (`lkpp.yaml`, `closing.yaml`, `category.yaml`, `priority.yaml`):
read, validated into `Rule` objects, and merged with the operator's.

Everything is validated when loaded: a bad file stops start-up with a `ConfigError`
naming the file, the rule and the field. (A shipped file no operator's file extends is
checked by the test suite instead, and its patterns compile at their first use:
`lazy_pattern`.) A rule in the operator's file with the name of
a shipped rule replaces it in place, `enabled: false` drops it, a new name is appended
(or put where `before: <name>` says), and `replace: true` at the top of a file drops all
shipped rules of that file first. A file's `words:` are named lists of alternatives its
patterns use as `{name}`; the operator's word list of a name replaces the shipped one
everywhere it is used.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailbot.errors import ConfigError
from mailbot.rules.lazy_pattern import lazy
from mailbot.rules.tables import (
    CATEGORIES,
    CLOSING_VALUES,
    LKPP_CLASSES,
    LKPP_HOLD,
    PRIORITIES,
    Rule,
)
from mailbot.rules.yaml_files import DEFAULTS_DIR, check_replace, read_yaml

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_PLACES = ("subject", "body", "any", "text")
_RULE_FIELDS = frozenset({"name", "value", "where", "pattern", "unless", "unless_sentence", "description", "before",
                          "enabled", "weight"})
_WORD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_WORD_REF = re.compile(r"\{([a-z][a-z0-9_]*)\}")  # `{name}`; a quantifier such as {0,40} has no letters

Fail = Callable[[str, str], ConfigError]  # (field, message) -> the error naming the file and the rule
WordGroups = dict[str, str]  # a word's name -> its alternatives as one non-capturing group
RawWord = tuple[str, tuple[str, ...], str]  # (name, alternatives, the file it is in)


@dataclass(frozen=True)
class _Section:
    """One list of rules in a file: which values and places it allows, which group it needs."""

    values: tuple[str, ...] | None  # None: the rules carry no `value`
    places: tuple[str, ...]
    default_place: str
    group: str | None = None  # a named group every pattern must define
    weighed: bool = False  # its rules carry a `weight` and are summed, not first-match


SECTIONS: dict[str, dict[str, _Section]] = {
    "lkpp": {
        "rules": _Section((*LKPP_CLASSES, LKPP_HOLD), _PLACES, "body"),
        "tickets": _Section(None, _PLACES, "any", group="ticket"),
        "notices": _Section(None, _PLACES, "subject"),
        "claims": _Section(None, _PLACES, "any"),
    },
    "closing": {
        "rules": _Section(CLOSING_VALUES, ("line", "answer"), "line"),
        "ratings": _Section(None, ("line",), "line", group="rating"),
    },
    "category": {"rules": _Section(CATEGORIES, _PLACES, "any", weighed=True)},
    "priority": {"rules": _Section(PRIORITIES, _PLACES, "any")},
}
_DEFAULT_VALUES = {"category": CATEGORIES, "priority": PRIORITIES}


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
Tables = dict[str, dict[str, list[Rule]]]  # file -> section -> its rules, in order


def load_tables(operator: dict[str, Path], *, check_shipped: bool = False) -> tuple[Tables, dict[str, str]]:
    """Every rule file's sections, shipped and the operator's merged, and the files' defaults.

    A kind the operator has no file of is the shipped file alone, which the test suite checks
    whole (`check_shipped`): its patterns compile at their first use (`lazy_pattern`). A kind
    with an operator's file is compiled and checked at once, the shipped rules with it (the
    operator's words go into them), so a mistake stops start-up naming the file and rule."""
    tables: Tables = {}
    defaults: dict[str, str] = {}
    for kind, sections in SECTIONS.items():
        tables[kind], default = _load_kind(kind, sections, operator.get(kind), check_shipped)
        if default is not None:
            defaults[kind] = default
    for kind in _DEFAULT_VALUES:
        if kind not in defaults:
            raise ConfigError(f"rules/{kind}.yaml: field 'default': missing")
    return tables, defaults


def _load_kind(
    kind: str, sections: dict[str, _Section], extra: Path | None, check_shipped: bool = False,
) -> tuple[dict[str, list[Rule]], str | None]:
    """One rule file's sections and default: the shipped file's, with the operator's `extra`."""
    data, source = read_yaml(DEFAULTS_DIR / f"{kind}.yaml", f"rules/{kind}.yaml")
    extra_data, extra_source = read_yaml(extra, str(extra)) if extra is not None else ({}, "")
    checked = extra is not None or check_shipped
    words = _expand_words([*_raw_words(data, source), *_raw_words(extra_data, extra_source)], checked)
    shipped, default = _parse_rule_file(kind, data, source, sections, words, checked)
    table = {key: _merge([], shipped[key], source) for key in sections}
    if extra is None:
        return table, default
    override, own_default = _parse_rule_file(kind, extra_data, extra_source, sections, words)
    if extra_data.get("replace") is True:
        table = {key: [] for key in sections}
    for key in sections:
        table[key] = _merge(table[key], override[key], extra_source)
    return table, own_default or default


def _raw_words(data: dict[str, Any], source: str) -> list[RawWord]:
    """A file's `words:` as (name, alternatives, source), in the file's order."""
    raw = data.get("words") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: field 'words': must be a mapping of names to lists of alternatives")
    return [(name, _alternatives(name, alternatives, source), source) for name, alternatives in raw.items()]


def _alternatives(name: object, alternatives: object, source: str) -> tuple[str, ...]:
    """One word's alternatives, checked: a lower-case name, one or more regular expressions."""
    if not isinstance(name, str) or not _WORD_NAME.match(name):
        raise ConfigError(f"{source}: word {name!r}: must be lower-case letters, digits or '_', "
                          "starting with a letter")
    items = [alternatives] if isinstance(alternatives, str) else alternatives
    if not isinstance(items, list) or not items or any(not isinstance(a, str) or not a.strip() for a in items):
        raise ConfigError(f"{source}: word {name!r}: must be a regular expression or a non-empty list of them")
    return tuple(items)


def _expand_words(raw: list[RawWord], checked: bool = True) -> WordGroups:
    """Each word as one non-capturing group; a later definition of a name replaces it.

    A word may use words defined before it, so the operator's list replaces the shipped
    one everywhere, also inside other shipped words.
    """
    latest: dict[str, tuple[tuple[str, ...], str]] = {}
    for name, alternatives, source in raw:
        latest[name] = (alternatives, source)
    words: WordGroups = {}
    for name, (alternatives, source) in latest.items():
        fail = functools.partial(_word_error, source, name)
        expanded = [_use_words(text, words, fail, "words") for text in alternatives]
        group = "(?:" + "|".join(expanded) + ")"
        try:
            if checked:  # its syntax checked (the patterns that use it compile it again)
                _regex(group)
        except re.error as exc:
            raise fail("words", f"invalid regular expression: {exc}") from exc
        words[name] = group
    return words


def _word_error(source: str, name: str, field: str, message: str) -> ConfigError:
    return ConfigError(f"{source}: word {name!r}: {message}")


def _use_words(text: str, words: WordGroups, fail: Fail, field: str) -> str:
    """`text` with each `{name}` replaced by that word's group."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in words:
            known = ", ".join(words) or "none"
            raise fail(field, f"unknown word {{{name}}} in {text!r} (words defined before it: {known})")
        return words[name]

    return _WORD_REF.sub(one, text)


def _parse_rule_file(
    kind: str, data: dict[str, Any], source: str, sections: dict[str, _Section], words: WordGroups,
    checked: bool = True,
) -> tuple[dict[str, list[_Item]], str | None]:
    """A rule file's sections as items (rules, drops, placed rules), and its default."""
    _check_file_keys(kind, data, source, sections)
    default = data.get("default")
    if default is not None and default not in _DEFAULT_VALUES[kind]:
        raise ConfigError(f"{source}: field 'default': must be one of {', '.join(_DEFAULT_VALUES[kind])}, "
                          f"got {default!r}")
    seen: set[str] = set()
    parsed: dict[str, list[_Item]] = {}
    for key, section in sections.items():
        parsed[key] = _parse_section(data, key, section, source, words, seen, checked)
    return parsed, default


def _check_file_keys(kind: str, data: dict[str, Any], source: str, sections: dict[str, _Section]) -> None:
    """A rule file holds its sections, `words`, `replace` and (category, priority) `default`."""
    allowed = {"replace", "words", *sections, *(("default",) if kind in _DEFAULT_VALUES else ())}
    for key in data:
        if key not in allowed:
            raise ConfigError(f"{source}: unknown key {key!r}; expected one of {', '.join(sorted(allowed))}")
    if "replace" in data:
        check_replace(data["replace"], source)


def _parse_section(
    data: dict[str, Any], key: str, section: _Section, source: str, words: WordGroups, seen: set[str],
    checked: bool = True,
) -> list[_Item]:
    """One section's rules, in order; a name `seen` in the file before is a duplicate."""
    items = data.get(key) or []
    if not isinstance(items, list):
        raise ConfigError(f"{source}: field {key!r}: must be a list of rules")
    parsed: list[_Item] = []
    for index, raw in enumerate(items, 1):
        rule = _parse_rule(raw, f"{key} #{index}", source, section, words, checked)
        if rule.name in seen:
            raise ConfigError(f"{source}: rule {rule.name!r}: field 'name': duplicate rule name")
        seen.add(rule.name)
        parsed.append(rule)
    return parsed


def _parse_rule(raw: object, label: str, source: str, section: _Section, words: WordGroups,
                checked: bool = True) -> _Item:
    """One rule of a section, each field checked in turn: the first bad field is named."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: rule {label}: must be a mapping, got {type(raw).__name__}")
    name = _rule_name(raw, label, source)
    fail: Fail = functools.partial(_rule_error, source, name)
    _check_rule_fields(raw, section, fail)
    if not _enabled(raw, fail):
        return _Drop(name)
    value = _value(raw, section, fail)
    where = _where(raw, section, fail)
    if "pattern" not in raw:
        raise fail("pattern", "missing")
    patterns = _patterns(raw["pattern"], fail, "pattern", section.group, words, checked=checked)
    unless = _patterns(raw.get("unless", []), fail, "unless", None, words, required=False, checked=checked)
    unless_sentence = _patterns(raw.get("unless_sentence", []), fail, "unless_sentence", None, words,
                                required=False, checked=checked)
    description = _description(raw, fail)
    before = _before(raw, fail)
    weight = _weight(raw, fail)
    rule = Rule(name, value, where, patterns, unless, description, source, unless_sentence, weight)
    return _Placed(rule, before) if before else rule


def _rule_error(source: str, name: str, field: str, message: str) -> ConfigError:
    return ConfigError(f"{source}: rule {name!r}: field {field!r}: {message}")


def _rule_name(raw: dict[str, Any], label: str, source: str) -> str:
    """The rule's name: lower-case letters, digits, '-', '_' or '.'."""
    name = raw.get("name")
    if isinstance(name, str) and _NAME.match(name):
        return name
    raise ConfigError(f"{source}: rule {label}: field 'name': "
                      + ("missing" if name is None else f"must be lower-case letters, digits, '-', '_' or '.', "
                         f"got {name!r}"))


def _check_rule_fields(raw: dict[str, Any], section: _Section, fail: Fail) -> None:
    """No field the section's rules do not have (`value` where there is none, `weight` where
    rules are not weighed)."""
    for key in raw:
        if key not in _RULE_FIELDS or (key == "value" and section.values is None) or (
                key == "weight" and not section.weighed):
            raise fail(key, "unknown field")


def _enabled(raw: dict[str, Any], fail: Fail) -> bool:
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", f"must be true or false, got {enabled!r}")
    return enabled


def _value(raw: dict[str, Any], section: _Section, fail: Fail) -> str:
    """The rule's value, one the section allows; "" in a section whose rules carry none."""
    if section.values is None:
        return ""
    value = raw.get("value")
    if value is None:
        raise fail("value", "missing")
    if value not in section.values:
        raise fail("value", f"must be one of {', '.join(section.values)}, got {value!r}")
    return str(value)


def _where(raw: dict[str, Any], section: _Section, fail: Fail) -> str:
    where = raw.get("where", section.default_place)
    if where not in section.places:
        raise fail("where", f"must be one of {', '.join(section.places)}, got {where!r}")
    return str(where)


def _description(raw: dict[str, Any], fail: Fail) -> str:
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise fail("description", "must be text")
    return description.strip()


def _before(raw: dict[str, Any], fail: Fail) -> str | None:
    before = raw.get("before")
    if before is not None and not isinstance(before, str):
        raise fail("before", "must be a rule name")
    return before


def _weight(raw: dict[str, Any], fail: Fail) -> float:
    weight = raw.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 100:
        raise fail("weight", f"must be a number above 0 and at most 100, got {weight!r}")
    return float(weight)


def _patterns(
    raw: object, fail: Fail, field: str, group: str | None, words: WordGroups, required: bool = True,
    checked: bool = True,
) -> tuple[re.Pattern[str], ...]:
    """A field's patterns (one or a list), each `{word}` expanded, compiled case aside."""
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or any(not isinstance(p, str) or not p.strip() for p in items):
        raise fail(field, "must be a regular expression or a list of them")
    if required and not items:
        raise fail(field, "must not be empty")
    return tuple(_compiled(text, fail, field, group, words) if checked else
                 lazy(_use_words(text, words, fail, field), _regex) for text in items)


@functools.cache
def _regex(expanded: str) -> re.Pattern[str]:
    """A rule's pattern, compiled once per process. The shipped rules hold more patterns
    than `re` keeps compiled (512), so each load compiled them all again: 0.1-0.5 s for
    every `mailbot` command, SIGHUP reload and, in the suite, every daemon started."""
    return re.compile(expanded, re.IGNORECASE)


def _compiled(text: str, fail: Fail, field: str, group: str | None, words: WordGroups) -> re.Pattern[str]:
    """One pattern compiled; it must define `group` when one is asked, and not match the
    empty text (it would match every message)."""
    expanded = _use_words(text, words, fail, field)
    try:
        pattern = _regex(expanded)
    except re.error as exc:
        raise fail(field, f"invalid regular expression {text!r}: {exc}") from exc
    if group and group not in pattern.groupindex:
        raise fail(field, f"{text!r} must capture the number in a group named {group!r}: (?P<{group}>...)")
    if pattern.search(""):
        raise fail(field, f"{text!r} matches the empty text, so it would match every message")
    return pattern


def _merge(base: list[Rule], extra: list[_Item], source: str) -> list[Rule]:
    """Replace by name in place, drop `enabled: false`, append or insert the rest."""
    rules = list(base)
    for item in extra:
        if isinstance(item, _Drop):
            _drop(rules, item, source)
        elif isinstance(item, _Placed):
            _place(rules, item, source)
        else:
            _put(rules, item)
    return rules


def _drop(rules: list[Rule], item: _Drop, source: str) -> None:
    names = [r.name for r in rules]
    if item.name not in names:
        raise ConfigError(f"{source}: rule {item.name!r}: field 'enabled': no rule of that name to disable")
    del rules[names.index(item.name)]


def _place(rules: list[Rule], item: _Placed, source: str) -> None:
    """The rule put before the one it names, moved there when it replaces a rule of its name."""
    names = [r.name for r in rules]
    rule = item.rule
    if item.before not in names or item.before == rule.name:
        raise ConfigError(f"{source}: rule {rule.name!r}: field 'before': no other rule named {item.before!r}")
    if rule.name in names:
        del rules[names.index(rule.name)]
    rules.insert([r.name for r in rules].index(item.before), rule)


def _put(rules: list[Rule], rule: Rule) -> None:
    """The rule in place of the one of its name, else at the end."""
    names = [r.name for r in rules]
    if rule.name in names:
        rules[names.index(rule.name)] = rule
    else:
        rules.append(rule)
