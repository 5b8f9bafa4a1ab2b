"""`deadlines.yaml`: the SLA timers of each priority (SPEC section 6), read and checked.

A `default` section gives every timer; a priority's section overrides some of them. The
operator's file merges into the shipped one timer by timer (or, with `replace: true`,
stands alone), and every priority must end with every timer set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailbot.errors import ConfigError
from mailbot.rules.tables import DEADLINE_FIELDS, PRIORITIES, Deadlines
from mailbot.rules.yaml_files import DEFAULTS_DIR, check_replace, read_yaml

_SECTIONS = ("default", *PRIORITIES)


def load_deadlines(operator: Path | None) -> tuple[tuple[str, Deadlines], ...]:
    """Each priority's timers, the shipped file's with the operator's merged in."""
    data, source = read_yaml(DEFAULTS_DIR / "deadlines.yaml", "rules/deadlines.yaml")
    table = _parse_deadlines(data, source)
    if operator is not None:
        data, source = read_yaml(operator, str(operator))
        extra = _parse_deadlines(data, source)
        if data.get("replace") is True:
            table = {}
        for section, values in extra.items():
            table[section] = {**table.get(section, {}), **values}
    return tuple((priority, _deadlines(table, priority, source)) for priority in PRIORITIES)


def _deadlines(table: dict[str, dict[str, float]], priority: str, source: str) -> Deadlines:
    """A priority's timers: its own over the default's; all of them set, and the reminder
    before the close of a ticket that waits for data."""
    values = {**table.get("default", {}), **table.get(priority, {})}
    values.setdefault("coordinator_direction", 1.0)  # added after operators wrote `replace: true` files
    for name in DEADLINE_FIELDS:
        if name not in values:
            raise ConfigError(f"{source}: priority {priority!r}: field {name!r}: missing "
                              f"(set it under 'default' or {priority!r})")
    if values["awaiting_info_close"] <= values["awaiting_info_remind"]:
        raise ConfigError(f"{source}: priority {priority!r}: field 'awaiting_info_close': must be greater "
                          f"than awaiting_info_remind ({values['awaiting_info_remind']:g})")
    return Deadlines(**values)


def _parse_deadlines(data: dict[str, Any], source: str) -> dict[str, dict[str, float]]:
    """A deadlines file's sections, each a mapping of known timers to positive numbers."""
    parsed: dict[str, dict[str, float]] = {}
    for key, raw in data.items():
        if key == "replace":
            check_replace(raw, source)
            continue
        if key not in _SECTIONS:
            raise ConfigError(f"{source}: unknown priority {key!r}; expected one of {', '.join(_SECTIONS)}")
        if not isinstance(raw, dict):
            raise ConfigError(f"{source}: priority {key!r}: must be a mapping of timers")
        parsed[key] = {name: _timer(key, name, value, source) for name, value in raw.items()}
    return parsed


def _timer(key: str, name: object, value: object, source: str) -> float:
    """One timer of a section: a known name, a positive number."""
    if name not in DEADLINE_FIELDS:
        raise ConfigError(f"{source}: priority {key!r}: field {name!r}: unknown timer; expected one of "
                          f"{', '.join(DEADLINE_FIELDS)}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"{source}: priority {key!r}: field {name!r}: must be a positive number, "
                          f"got {value!r}")
    return float(value)
