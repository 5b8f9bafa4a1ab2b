"""`intake.yaml`: the words of the consultation form staff write down a call or a visit
in (channels, field names, months, zones, sign-offs), read and checked.

The operator's file adds its words to the shipped ones (or, with `replace: true`, stands
alone); every word is a lower-cased string, every field, month and zone a known one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mailbot.core.intake_form import FIELDS as INTAKE_FIELDS
from mailbot.core.intake_form import IntakeWords
from mailbot.errors import ConfigError
from mailbot.rules.yaml_files import DEFAULTS_DIR, check_replace, read_yaml

_KEYS = ("channels", "fields", "headings", "none", "months", "weekdays", "days_before", "afternoon", "midday",
         "zones", "sign_offs")
_MAPPINGS = ("channels", "fields", "months", "zones", "days_before")  # the sections that map names to values
_NUMBERS = ("zones", "days_before")  # the mappings whose values are whole numbers, not words
_CHANNELS = ("telepon", "datang")


def load_intake(operator: Path | None) -> IntakeWords:
    """The shipped words of the form, with an operator's file's words added (or, with
    `replace: true`, instead)."""
    data, source = read_yaml(DEFAULTS_DIR / "intake.yaml", "rules/intake.yaml")
    table = _parse_intake(data, source)
    if operator is not None:
        table = _with_operator_words(table, operator)
    for channel in _CHANNELS:
        if not table["channels"].get(channel):
            raise ConfigError(f"{source}: channels: {channel!r}: needs at least one command word")
    return _intake_words(table)


def _with_operator_words(table: dict[str, Any], operator: Path) -> dict[str, Any]:
    """The shipped sections with the operator's words added: a mapping name by name."""
    extra_data, extra_source = read_yaml(operator, str(operator))
    extra = _parse_intake(extra_data, extra_source)
    if extra_data.get("replace") is True:
        table = {key: {} if isinstance(value, dict) else [] for key, value in table.items()}
    merged = dict(table)
    for key, value in extra.items():
        merged[key] = _merged_section(table[key], value)
    return merged


def _merged_section(shipped: Any, more: Any) -> Any:
    """A section with more words: a list's appended, a mapping's added name by name (a
    number replaced)."""
    if not isinstance(more, dict):
        return [*shipped, *more]
    merged = dict(shipped)
    for name, words in more.items():
        merged[name] = [*merged.get(name, []), *words] if isinstance(words, list) else words
    return merged


def _intake_words(table: dict[str, Any]) -> IntakeWords:
    return IntakeWords(
        channels=tuple((c, tuple(w)) for c, w in table["channels"].items()),
        fields=tuple((f, tuple(w)) for f, w in table["fields"].items()),
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
            check_replace(raw, source)
            continue
        if key not in _KEYS:
            raise ConfigError(f"{source}: unknown section {key!r}; expected one of {', '.join(_KEYS)}")
        if key in _MAPPINGS:
            if not isinstance(raw, dict):
                raise ConfigError(f"{source}: {key}: must be a mapping")
            parsed[key] = {name: _intake_value(key, name, value, source) for name, value in raw.items()}
        else:
            parsed[key] = _word_list(raw, f"{source}: {key}")
    return parsed


def _known_field(name: object) -> bool:
    return name in INTAKE_FIELDS


def _known_channel(name: object) -> bool:
    return name in _CHANNELS


def _month(name: object) -> bool:
    return isinstance(name, int) and 1 <= name <= 12


# A mapping section -> what its names must be, and what the error says when one is not.
_NAMES: dict[str, tuple[Callable[[object], bool], str]] = {
    "fields": (_known_field, f"unknown field; expected one of {', '.join(INTAKE_FIELDS)}"),
    "channels": (_known_channel, "unknown channel; expected telepon or datang"),
    "months": (_month, "a month is a number 1-12"),
}


def _intake_value(key: str, name: object, value: object, source: str) -> Any:
    """One entry of a mapping section: a known name; words, or a whole number (`_NUMBERS`)."""
    where = f"{source}: {key}: {name!r}"
    check = _NAMES.get(key)
    if check is not None and not check[0](name):
        raise ConfigError(f"{where}: {check[1]}")
    if key in _NUMBERS:
        if isinstance(value, bool) or not isinstance(value, int) or not -12 <= value <= 14:
            raise ConfigError(f"{where}: must be a whole number of {'hours' if key == 'zones' else 'days'}")
        return value
    return _word_list(value, where)


def _word_list(raw: object, where: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(w, str | int) and str(w).strip() for w in raw):
        raise ConfigError(f"{where}: must be a list of words")
    return [str(w).strip().lower() for w in raw]
