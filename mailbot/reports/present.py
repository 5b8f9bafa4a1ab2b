"""The summary's figures as the templates show them: words, numbers, image sources. Pure.

The same context renders the standalone HTML page (images as `data:` URIs, viewable
offline) and the mail to heads and coordinators (images as `cid:` references to
inline parts), from `templates/<lang>/monthly_summary.html` and `.txt`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mailbot.io.words import words
from mailbot.reports import labels
from mailbot.reports.values import Step, StepResult, Summary
from mailbot.rules import Deadlines

LOW_RATE = 0.7  # rates under this are shown in red


def context(summary: Summary, *, unit: str, unit_address: str, language: str, deadlines: dict[str, Deadlines],
            images: dict[str, str], tz: ZoneInfo, mail: bool) -> dict[str, object]:
    """The template context of `monthly_summary`: `images` maps chart names to their
    `src`; `mail` says whether it goes out as mail (or is a page)."""
    lang = labels.lang_of(language)
    off_days = sum(d.opened for d in summary.per_day if not d.working)
    average = summary.opened / summary.working_days if summary.working_days else 0.0
    return {
        "unit": unit,
        "unit_address": unit_address,
        "month": labels.month_label(summary.month, lang),
        "month_key": str(summary.month),
        "generated": _moment(summary.generated_at, tz, lang),
        "opened": summary.opened,
        "closed": summary.closed,
        "still_open": summary.still_open,
        "states": _named(summary.by_state, labels.STATES[lang]),
        "categories": _named(summary.by_category, labels.CATEGORIES[lang]),
        "priorities": _named(summary.by_priority, labels.PRIORITIES[lang]),
        "channels": _named(summary.by_channel, labels.CHANNELS[lang]),
        "held_forms": list(summary.held_forms),
        "working_days": summary.working_days,
        "per_working_day": labels.number(average, lang, 2 if 0 < average < 1 else 1),  # 1 in 21 days: 0,05
        "off_days_opened": off_days,
        "escalations": _escalations(summary, lang),
        "ratings": _ratings(summary, lang),
        "directions": _directions(summary, lang),
        "waits": _waits(summary, lang),
        "steps": [_step(s, deadlines, lang) for s in summary.steps],
        "topics": [{"count": t.count, "number": t.number, "subject": t.subject} for t in summary.topics],
        "images": images,
        "mail": mail,
    }


def _named(counts: tuple[tuple[str, int], ...], names: dict[str, Any]) -> list[tuple[str, int]]:
    """Counts by key as (the key's name in the language, count); a key without one as itself."""
    return [(names.get(k, k), n) for k, n in counts]


def _escalations(summary: Summary, lang: str) -> dict[str, object]:
    outcome = labels.OUTCOMES[lang]
    esc = summary.escalations
    return {"tickets": esc.tickets, "rows": [
        (outcome["resolved_by_lkpp"], esc.resolved_by_lkpp), (outcome["returned"], esc.returned),
        (outcome["with_lkpp"], esc.with_lkpp), (outcome["other"], esc.other)]}


def _ratings(summary: Summary, lang: str) -> dict[str, object]:
    ratings = summary.ratings
    return {
        "count": ratings.count,
        "average": "–" if ratings.average is None else labels.number(ratings.average, lang, 2),
        "by_score": list(zip(range(1, 6), ratings.by_score, strict=True)),
        # (channel, how many, average), shown when a rating came by phone or visit
        "by_channel": [(labels.CHANNELS[lang].get(channel, channel), count, labels.number(average, lang, 2))
                       for channel, count, average in ratings.by_channel]
        if any(channel != "email" for channel, _count, _average in ratings.by_channel) else [],
    }


def _directions(summary: Summary, lang: str) -> dict[str, object]:
    """How long the coordinators' direction and the heads' recommendation took,
    in working hours."""
    found = summary.directions
    one, many = words(lang).table["units"]["work_hour"]

    def hours(delta: timedelta | None) -> str:
        if delta is None:
            return "–"
        amount = delta / timedelta(hours=1)
        return f"{labels.number(amount, lang, 1)} {one if amount == 1 else many}"

    return {"asked": found.asked, "given": found.given, "median": hours(found.median), "longest": hours(found.longest)}


def _waits(summary: Summary, lang: str) -> dict[str, object]:
    """How long tickets waited for their requesters' documents, in hours
    of the clock, as the 3x24h standard that leaves them out counts."""
    found = summary.waits
    one, many = words(lang).table["units"]["hour"]

    def hours(delta: timedelta | None) -> str:
        if delta is None:
            return "–"
        amount = delta / timedelta(hours=1)
        return f"{labels.number(amount, lang, 1)} {one if amount == 1 else many}"

    return {"tickets": found.tickets, "unanswered": found.unanswered, "median": hours(found.median),
            "longest": hours(found.longest)}


def _step(result: StepResult, deadlines: dict[str, Deadlines], lang: str) -> dict[str, object]:
    """A timed step's row: its name and basis, its target, how many cases met it, the worst breaches."""
    return {
        "key": str(result.step),
        "name": labels.STEPS[lang][result.step][0],
        "basis": labels.STEPS[lang][result.step][1],
        "target": labels.target(result.step, deadlines, lang),
        "cases": result.cases,
        "met": result.met,
        "rate": labels.percent(result.rate, lang),
        "low": result.rate is not None and result.rate < LOW_RATE,
        "worst": ", ".join(_breach(b.number, b.over, result.step, lang) for b in result.worst),
    }


def _breach(number: str, over: timedelta | None, step: Step, lang: str) -> str:
    if step is Step.CLOSING or over is None:
        return number
    return f"{number} (+{labels.duration(over, lang)})"


def _moment(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    local = moment.astimezone(tz)
    said = words(lang)
    return f"{said.day(local.date())} {local:%H:%M} {said.zone(str(tz))}"
