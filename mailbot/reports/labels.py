"""Words of the monthly summary in the unit's language (`language: id | en`).

The figures carry keys (`open`, `pengaduan`, `Step.ACK`); the page, the plain text
and the charts show them through the `report:` part of `templates/<lang>/words.yaml`,
where the wording lives. Indonesian is the default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from mailbot.io.words import words
from mailbot.reports.values import Month, Step
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
TREND = _Table("trend")


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
    said = _Targets(_report(lang)["targets"], lang, deadlines, deadlines["normal"])
    shown = _TARGETS.get(step)
    return shown(said) if shown else ""  # every step has a row below


@dataclass(frozen=True)
class _Targets:
    """The words of the targets in one language (`report: targets:` of words.yaml), with
    the rules' deadlines per priority and the normal priority's."""

    said: dict[str, str]
    lang: str
    deadlines: dict[str, Deadlines]
    normal: Deadlines

    def minutes(self, amount: int) -> str:
        return self.said["minutes"].format(amount=amount)

    def of(self, key: str, value: float) -> str:
        """An amount in its words; of one, the singular where the words have it ("≤ 1 working
        hour", not "hours")."""
        if value == 1 and f"{key}_one" in self.said:
            return self.said[f"{key}_one"]
        return self.said[key].format(amount=number(value, self.lang, 2))

    def first_response(self) -> str:
        """SPEC 6: one figure when every priority has the same, else each priority's."""
        values = {p: d.first_response for p, d in self.deadlines.items()}
        if len(set(values.values())) == 1:
            return self.of("work_hours", self.normal.first_response)
        return ", ".join(f"{PRIORITIES[self.lang][p].lower()} " + self.of("work_hours", v) for p, v in values.items())

    def lkpp_progress(self) -> str:
        if self.normal.lkpp_progress == 1:
            return self.said["every_day"]
        return self.said["every_work_day"].format(amount=number(self.normal.lkpp_progress, self.lang, 2))

    def resolution(self) -> str:
        if self.normal.resolution == 72:
            return self.said["3x24"]  # seed 002's own words
        return self.of("hours", self.normal.resolution)


# Each step's target in words, from the rules (the fixed ones from the seeds and SOPs).
_TARGETS: dict[Step, Callable[[_Targets], str]] = {
    Step.ACK: lambda t: t.minutes(10),  # seed 003 step 8
    Step.CALL_NUMBER: lambda t: t.minutes(10),  # seed 003 step 8, a call or visit
    Step.ESCALATION: lambda t: t.minutes(5),  # SOP-015 step 1
    Step.FORWARD_INFO: lambda t: t.minutes(5),  # SOP-015 step 9
    Step.FIRST_RESPONSE: _Targets.first_response,
    Step.LKPP_STATUS: lambda t: t.of("work_days", t.normal.lkpp_status),
    Step.LKPP_PROGRESS: _Targets.lkpp_progress,
    Step.RESOLUTION: _Targets.resolution,
    Step.CLOSING: lambda t: t.of("confirm", t.normal.confirm_close),
}
