"""The summary's figures as the templates show them: words, numbers, image sources. Pure.

The same context renders the standalone HTML page (images as `data:` URIs, viewable
offline) and the mail to heads and coordinators (images as `cid:` references to
inline parts), from `templates/<lang>/monthly_summary.html` and `.txt`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from mailbot.io.words import words
from mailbot.reports import labels
from mailbot.reports.model import Step, Summary
from mailbot.rules import Deadlines

LOW_RATE = 0.7  # rates under this are shown in red


def context(summary: Summary, *, unit: str, unit_address: str, language: str, deadlines: dict[str, Deadlines],
            images: dict[str, str], tz: ZoneInfo, mail: bool) -> dict[str, object]:
    """The template context of `monthly_summary`: `images` maps chart names to their
    `src`; `mail` says whether it goes out as mail (or is a page)."""
    lang = labels.lang_of(language)
    esc = summary.escalations
    outcome = labels.OUTCOMES[lang]
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
        "states": [(labels.STATES[lang].get(k, k), n) for k, n in summary.by_state],
        "categories": [(labels.CATEGORIES[lang].get(k, k), n) for k, n in summary.by_category],
        "priorities": [(labels.PRIORITIES[lang].get(k, k), n) for k, n in summary.by_priority],
        "channels": [(labels.CHANNELS[lang].get(k, k), n) for k, n in summary.by_channel],
        "held_forms": list(summary.held_forms),
        "working_days": summary.working_days,
        "per_working_day": labels.number(average, lang, 2 if 0 < average < 1 else 1),  # 1 in 21 days: 0,05
        "off_days_opened": off_days,
        "escalations": {"tickets": esc.tickets, "rows": [
            (outcome["resolved_by_lkpp"], esc.resolved_by_lkpp), (outcome["returned"], esc.returned),
            (outcome["with_lkpp"], esc.with_lkpp), (outcome["other"], esc.other)]},
        "ratings": {
            "count": summary.ratings.count,
            "average": "–" if summary.ratings.average is None else labels.number(summary.ratings.average, lang, 2),
            "by_score": list(zip(range(1, 6), summary.ratings.by_score, strict=True)),
        },
        "steps": [{
            "key": str(s.step),
            "name": labels.STEPS[lang][s.step][0],
            "basis": labels.STEPS[lang][s.step][1],
            "target": labels.target(s.step, deadlines, lang),
            "cases": s.cases,
            "met": s.met,
            "rate": labels.percent(s.rate, lang),
            "low": s.rate is not None and s.rate < LOW_RATE,
            "worst": ", ".join(_breach(b.number, b.over, s.step, lang) for b in s.worst),
        } for s in summary.steps],
        "topics": [{"count": t.count, "number": t.number, "subject": t.subject} for t in summary.topics],
        "images": images,
        "mail": mail,
    }


def _breach(number: str, over: timedelta | None, step: Step, lang: str) -> str:
    if step is Step.CLOSING or over is None:
        return number
    return f"{number} (+{labels.duration(over, lang)})"


def _moment(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    local = moment.astimezone(tz)
    said = words(lang)
    return f"{said.day(local.date())} {local:%H:%M} {said.zone(str(tz))}"
