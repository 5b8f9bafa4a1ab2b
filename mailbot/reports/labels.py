"""Words of the monthly summary in the unit's language (`language: id | en`).

The figures carry keys (`open`, `pengaduan`, `Step.ACK`); the page, the plain text
and the charts show them through the `report:` part of `templates/<lang>/words.yaml`,
where the wording lives. Indonesian is the default.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mailbot.io.words import words
from mailbot.reports.model import Month, Step
from mailbot.rules import Deadlines


def _report(language: str) -> dict[str, Any]:
    table: dict[str, Any] = words(language)["report"]
    return table


class _Table:
    """A language-keyed view of one table of `templates/<lang>/words.yaml`, `report:` part."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getitem__(self, language: str) -> dict[str, Any]:
        table: dict[str, Any] = _report(language)[self.name]
        return table


STATES = _Table("states")
CATEGORIES = _Table("categories")
PRIORITIES = _Table("priorities")
CHANNELS = _Table("channels")
OUTCOMES = _Table("outcomes")
CHARTS = _Table("charts")


class _Steps:
    def __getitem__(self, language: str) -> dict[Step, tuple[str, str]]:
        return {Step(k): (v[0], v[1]) for k, v in _report(language)["steps"].items()}


STEPS = _Steps()


def lang_of(language: str) -> str:
    return "en" if language == "en" else "id"


def month_label(month: Month, language: str) -> str:
    """"November 2026"."""
    return words(language).month(month.year, month.month)


def subject(month: Month, language: str) -> str:
    """The summary mail's subject, built by code (SPEC 8): "Ringkasan bulanan November 2026"."""
    return str(_report(language)["subject"]).format(month=month_label(month, language))


def number(value: float, language: str, digits: int = 1) -> str:
    """4.5 -> "4,5" in Indonesian; whole numbers without decimals."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return text.replace(".", ",") if lang_of(language) == "id" else text


def percent(rate: float | None, language: str) -> str:
    return "–" if rate is None else number(rate * 100, language) + "%"


def duration(delta: timedelta | None, language: str) -> str:
    """Wall-clock time past a target, two units at most: "2 hari 3 jam", "12 menit".
    Started minutes count whole: 20 seconds late is "1 menit", never "0 menit"."""
    return words(language).late(delta)


def target(step: Step, deadlines: dict[str, Deadlines], language: str) -> str:
    """The target of a step as the rules set it (per priority where they differ)."""
    lang = lang_of(language)
    said: dict[str, str] = _report(lang)["targets"]
    normal = deadlines["normal"]

    def amount(value: float) -> str:
        return number(value, lang, 2)

    def said_of(key: str, value: float) -> str:  # "≤ 1 working hour", not "hours"
        return said[f"{key}_one"] if value == 1 and f"{key}_one" in said else said[key].format(amount=amount(value))

    match step:
        case Step.ACK | Step.CALL_NUMBER:
            return said["minutes"].format(amount=10)
        case Step.ESCALATION | Step.FORWARD_INFO:
            return said["minutes"].format(amount=5)
        case Step.FIRST_RESPONSE:
            values = {p: d.first_response for p, d in deadlines.items()}
            if len(set(values.values())) == 1:
                return said_of("work_hours", normal.first_response)
            return ", ".join(f"{PRIORITIES[lang][p].lower()} " + said_of("work_hours", v) for p, v in values.items())
        case Step.LKPP_STATUS:
            return said_of("work_days", normal.lkpp_status)
        case Step.LKPP_PROGRESS:
            if normal.lkpp_progress == 1:
                return said["every_day"]
            return said["every_work_day"].format(amount=amount(normal.lkpp_progress))
        case Step.RESOLUTION:
            if normal.resolution == 72:
                return said["3x24"]
            return said_of("hours", normal.resolution)
        case Step.CLOSING:
            return said_of("confirm", normal.confirm_close)
    return ""  # pragma: no cover - every step is matched above
