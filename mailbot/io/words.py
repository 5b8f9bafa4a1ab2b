"""The words of one language, read from `templates/<lang>/words.yaml`.

Wording lives only in templates: the mail bodies, and this file beside them for what
code must put together (subject labels, day and month names, time-zone labels, units,
why a deadline is overdue, the monthly summary's labels). An operator's
`templates_dir/<lang>/words.yaml` changes what it names and keeps the shipped words for
the rest (`subjects: {ack: ...}` alone is a whole file); it is checked against the
shipped one when loaded, so a wrong shape stops start-up and `check` with the key named,
never a message. The core hands out codes and numbers; the shells word them here.

The words of the mails written once for every language (`templates/_mails/`)
are in the language's gettext catalog, `templates/<lang>/mails.po` (their English is the
message id, so English needs no catalog): read here with Babel and kept as a mapping in
memory, never compiled to a `.mo` file. An operator's `templates_dir/<lang>/mails.po`
rewords the messages it names, as their words.yaml does the words.
"""

from __future__ import annotations

import gettext
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po

from mailbot.core.overdue import waits_in_working_time
from mailbot.errors import ConfigError
from mailbot.model import Refusal, TimerKind, clipped
from mailbot.parsers.yaml_text import load_yaml

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def language_of(language: str) -> str:
    """The language asked for where mail is written in it, else Indonesian (config allows id | en)."""
    return language if language in languages() else "id"


@dataclass(frozen=True)
class MailCatalog:
    """A language's `mails.po`: English message -> its words; a message with a count ->
    its forms, picked by the catalog's plural rule (a C expression of n, as gettext's)."""

    messages: dict[str, str]
    plurals: dict[str, tuple[str, ...]]
    plural_forms: str = "(n != 1)"


@cache
def _plural_rule(expression: str) -> Callable[[int], int]:
    return gettext.c2py(expression)


@dataclass(frozen=True)
class Words:
    """One language's words, with the few rules that put them together."""

    language: str
    table: dict[str, Any]
    mails: MailCatalog = field(default_factory=lambda: MailCatalog({}, {}))

    def __hash__(self) -> int:
        return hash(self.language)

    def __getitem__(self, key: str) -> Any:
        return self.table[key]

    def gettext(self, message: str) -> str:
        """A message of the mails written once (`templates/_mails/`) in this language."""
        return self.mails.messages.get(message) or message

    def pgettext(self, context: str, message: str) -> str:
        """A message whose English says two things (gettext's msgctxt tells them apart)."""
        return self.mails.messages.get(f"{context}\x04{message}") or message

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """A message with a count: the form the language's `Plural-Forms` picks for it."""
        forms = self.mails.plurals.get(singular)
        if not forms:
            return singular if count == 1 else plural
        return forms[min(_plural_rule(self.mails.plural_forms)(count), len(forms) - 1)] or singular

    def day(self, day: date) -> str:
        """"Senin, 23 Maret 2026" / "Monday, 23 March 2026"."""
        return f"{self.table['days'][day.weekday()]}, {day.day} {self.table['months'][day.month - 1]} {day.year}"

    def moment(self, iso: str, zone: str) -> str:
        """An ISO 8601 instant as the unit reads it: "Selasa, 24 November 2026 15:30 WIB".

        The instant is shown in its own offset (the core gives it in the unit's zone);
        text that is not an ISO instant is returned as it is.
        """
        try:
            when = datetime.fromisoformat(iso)
        except ValueError:
            return iso
        if when.tzinfo is None or "T" not in iso:
            return iso
        return f"{self.day(when.date())} {when:%H:%M} {self.zone(zone)}"

    def short_moment(self, when: datetime, year: int) -> str:
        """An instant in a list where the day is known around it: "Rabu 25-11 21:40" (the
        weekday, day-month, time as given), with the year when it is not `year`."""
        day = f"{when:%d-%m}" if when.year == year else f"{when:%d-%m-%Y}"
        return f"{self.table['days'][when.weekday()]} {day} {when:%H:%M}"

    def day_and_time(self, iso: str, zone: str) -> tuple[str, str]:
        """An ISO 8601 instant as two form fields in the unit's zone: ("Senin, 23 November 2026", "09:15 WIB")."""
        when = datetime.fromisoformat(iso)
        if when.tzinfo is not None:
            when = when.astimezone(ZoneInfo(zone))
        return self.day(when.date()), f"{when:%H:%M} {self.zone(zone)}"

    def month(self, year: int, month: int) -> str:
        return f"{self.table['months'][month - 1]} {year}"

    def zone(self, name: str) -> str:
        """WIB, WITA, WIT, or the zone's own name."""
        return str(self.table["timezones"].get(name, name))

    def working_hours(self, workdays: tuple[str, ...] | list[str], hours: str) -> str:
        """"Senin-Jumat 08:00-16:00"."""
        days = [WEEKDAYS.index(d) for d in workdays if d in WEEKDAYS] or [0, 4]
        return f"{self.table['days'][days[0]]}-{self.table['days'][days[-1]]} {hours}"

    def unit(self, amount: float, unit: str) -> str:
        one, many = self.table["units"][unit]
        shown = int(amount) if float(amount).is_integer() else amount
        return f"{shown} {one if amount == 1 else many}"

    def waited(self, delta: timedelta, day_length: timedelta) -> str:
        """Working time in words: "2 hari kerja 3 jam", "3 jam 20 menit", "45 menit"."""
        minutes = max(0, round(delta / timedelta(minutes=1)))
        days, rest = divmod(minutes, round(day_length / timedelta(minutes=1)))
        hours, minutes = divmod(rest, 60)
        parts = [self.unit(days, "day")] if days else []
        if hours:
            parts.append(self.unit(hours, "hour"))
        if (minutes and not days) or not parts:
            parts.append(self.unit(minutes, "minute"))
        return " ".join(parts)

    def waited_for(self, kind: TimerKind, delta: timedelta, day_length: timedelta) -> str:
        """How long an overdue entry has waited: working time, or wall-clock time for the
        3x24h standard ("1 hari 23 jam", not "5 hari kerja 7 jam")."""
        return self.waited(delta, day_length) if waits_in_working_time(kind) else self.late(delta)

    def overdue(self, kind: TimerKind, span: float, reopened: bool = False) -> str:
        """Why a deadline is breached: "belum ada status dari LKPP (2 hari kerja)"."""
        if reopened and kind is TimerKind.FIRST_RESPONSE:
            return str(self.table["overdue"]["reopened"]).format(span=self.unit(span, "work_hour"))
        if kind is TimerKind.RESOLUTION:
            text = f"3x24 {self.table['units']['hour'][1]}" if span == 72 else self.unit(span, "hour")
        elif kind is TimerKind.FIRST_RESPONSE:
            text = self.unit(span, "work_hour")
        else:
            text = self.unit(span, "day")
        return str(self.table["overdue"][str(kind)]).format(span=text)

    def refusal(self, why: object) -> str:
        """Why a command or a message was refused (`command_error`, `unverified`), in this
        language: the `refusals` words of its code, the state by its `report.states` name,
        roles by their `roles` names; the core's English where the words have none."""
        wording = self.table.get("refusals", {}).get(why.code) if isinstance(why, Refusal) else None
        if not isinstance(why, Refusal) or not isinstance(wording, str):
            return str(why)
        return wording.format(**_refusal_values(why, self.table))

    def subject(self, kind: str, case: str = "") -> str:
        """A kind's subject label; in one `case` of it, that case's where the words have one
        (`case_subjects`: a coordinator's answer to the requester is no "Arahan:")."""
        cased = self.table.get("case_subjects", {}).get(kind, {}).get(case) if case else None
        return str(cased or self.table["subjects"].get(kind, ""))

    def neutral_subject(self, kind: str) -> str:
        """The subject, after the tag, of a first answer that repeats nothing of its sender's."""
        return str(self.table.get("neutral_subjects", {}).get(kind, "")) or self.subject(kind)

    def late(self, delta: timedelta | None) -> str:
        """Wall-clock time past a target, two units at most: "2 hari 3 jam", "12 menit"."""
        if delta is None:
            return ""
        day, hour, minute = self.table["report"]["units"]
        minutes = max(0, math.ceil(delta / timedelta(minutes=1)))
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [f"{days} {day}"] if days else []
        if hours:
            parts.append(f"{hours} {hour}")
        if minutes and not days:
            parts.append(f"{minutes} {minute}")
        return " ".join(parts) or f"0 {minute}"


@cache
def languages() -> frozenset[str]:
    """The languages mail is written in: each folder of `templates/` with its words.yaml."""
    folder = resources.files("mailbot").joinpath("templates")
    return frozenset(item.name for item in folder.iterdir() if item.joinpath("words.yaml").is_file())


def words(language: str, templates_dir: Path | None = None) -> Words:
    """The words of a language: the operator's file if there is one, else the shipped one."""
    return _load(language_of(language), templates_dir)


@cache
def _load(language: str, templates_dir: Path | None) -> Words:
    shipped = resources.files("mailbot").joinpath("templates", language, "words.yaml").read_text(encoding="utf-8")
    table = _table(shipped, f"templates/{language}/words.yaml")
    own = templates_dir / language / "words.yaml" if templates_dir is not None else None
    if own is not None and own.is_file():
        try:
            text = own.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{own}: cannot be read as UTF-8 text: {exc}") from None
        table = _merged(table, _table(text, str(own)), f"{own}: ")
        for kind, wording in table["overdue"].items():
            try:
                str(wording).format(span="2")
            except (KeyError, IndexError, ValueError) as exc:
                raise ConfigError(f"{own}: overdue.{kind}: only {{span}} may be named; {exc!r}") from None
        _check_refusals(table, own)
        _check_status_page(table, own)
    return Words(language, table, _catalog(language, templates_dir))


def _catalog(language: str, templates_dir: Path | None) -> MailCatalog:
    """The language's messages: the shipped catalog, the operator's over it."""
    shipped = resources.files("mailbot").joinpath("templates", language, "mails.po")
    found = _messages(shipped.read_bytes(), f"templates/{language}/mails.po") if shipped.is_file() \
        else MailCatalog({}, {})
    own = templates_dir / language / "mails.po" if templates_dir is not None else None
    if own is None or not own.is_file():
        return found
    try:
        theirs = _messages(own.read_bytes(), str(own))
    except OSError as exc:
        raise ConfigError(f"{own}: cannot be read: {exc}") from None
    rule = found.plural_forms if shipped.is_file() else theirs.plural_forms  # the language's, not the file's
    return MailCatalog({**found.messages, **theirs.messages}, {**found.plurals, **theirs.plurals}, rule)


def _messages(data: bytes, source: str) -> MailCatalog:
    """A `.po` file's worded messages (a fuzzy or empty one is left out, as gettext does)."""
    catalog = _read_po(data, source)
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if message.fuzzy or not message.id:
            continue
        if isinstance(message.id, str):
            if isinstance(message.string, str) and message.string:
                # a message with a context is found by both, joined as gettext joins them
                messages[f"{message.context}\x04{message.id}" if message.context else message.id] = message.string
        elif isinstance(message.string, tuple | list) and any(message.string):
            plurals[str(message.id[0])] = tuple(message.string)
    return MailCatalog(messages, plurals, catalog.plural_expr)


def _read_po(data: bytes, source: str) -> Catalog:
    try:
        return read_po(BytesIO(data), abort_invalid=True)
    except (PoFileError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{source}: not a valid gettext catalog: {exc}") from None


def _refusal_values(why: Refusal, table: dict[str, Any]) -> dict[str, str]:
    """What a refusal's words may name: {command} {value} {name}, and {state} {roles} {role}
    (the value as a ticket state, as roles, the name as a role) in this language."""
    states = table.get("report", {}).get("states", {})
    roles = table.get("roles", {})
    return {"command": clipped(why.command), "value": clipped(why.value), "name": clipped(why.name),
            "state": str(states.get(why.value, why.value)),
            "roles": ", ".join(str(roles.get(r, r)) for r in why.value.split(", ")),
            "role": str(roles.get(why.name, why.name))}


# The words a requester's status page fills in (`web/status.py`), and the one value each names.
_STATUS_VALUES = {"next_by": "at", "next_late": "at", "status_stopped": "left", "status_closes": "at",
                  "status_files": "count"}


def _check_status_page(table: dict[str, Any], own: Path) -> None:
    """An operator's words of the status page name only the value each is filled with, so
    that a wrong one stops start-up, never a requester's page."""
    web = table.get("web", {})
    for key, value in _STATUS_VALUES.items():
        wordings = web.get(key, {}) if isinstance(web, dict) else {}
        for name, wording in (wordings.items() if isinstance(wordings, dict) else [("", wordings)]):
            try:
                str(wording).format(**{value: "x"})
            except (KeyError, IndexError, ValueError) as exc:
                where = f"web.{key}.{name}" if name else f"web.{key}"
                raise ConfigError(f"{own}: {where}: only {{{value}}} may be named; {exc!r}") from None


def _check_refusals(table: dict[str, Any], own: Path) -> None:
    """An operator's `refusals` words (any language): a mapping of words naming only what
    a refusal has, so that a wrong one stops start-up, never a `command_error`."""
    refusals = table.get("refusals", {})
    if not isinstance(refusals, dict):
        raise ConfigError(f"{own}: refusals: expected a mapping")
    sample = _refusal_values(Refusal("sample", "#x", "x", "x"), table)
    for code, wording in refusals.items():
        try:
            str(wording).format(**sample)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"{own}: refusals.{code}: only {{command}} {{value}} {{name}} {{state}} {{roles}} "
                              f"{{role}} may be named; {exc!r}") from None


def _table(text: str, source: str) -> dict[str, Any]:
    try:
        try:
            table = load_yaml(text)
        except yaml.YAMLError:  # the operator is told what the pure-Python loader says, as always
            table = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: expected a mapping of words")
    return table


def _merged(shipped: Any, own: Any, where: str) -> Any:
    """The operator's words over the shipped ones, each of the shipped shape; `where`
    names the place for an error ("file: units.day")."""
    if isinstance(shipped, dict):
        if not isinstance(own, dict):
            raise ConfigError(f"{where.rstrip(': .')}: expected a mapping")
        return {**shipped, **{key: _merged(shipped[key], value, f"{where}{key}.") if key in shipped else value
                              for key, value in own.items()}}
    if isinstance(shipped, list):
        return _merged_list(shipped, own, where)
    if not isinstance(own, (str, int, float)) or isinstance(own, bool):
        raise ConfigError(f"{where.rstrip('.')}: expected a word, got {own!r}")
    return str(own)


def _merged_list(shipped: list[Any], own: Any, where: str) -> list[Any]:
    """A list of words (the days, the months) replaced whole, word for word."""
    if not isinstance(own, list) or len(own) != len(shipped):
        raise ConfigError(f"{where.rstrip('.')}: expected a list of {len(shipped)} words")
    return [_merged(a, b, f"{where.rstrip('.')}[{i}].") for i, (a, b) in enumerate(zip(shipped, own, strict=True))]
