"""The monthly summary's figures month by month (SPEC 13: the last twelve months side by
side). Pure.

Each month's figures are the summary's own (`figures.summarize` over the tickets opened in
that month, as they stand now); here they become the rows of one table, a month a column,
in the unit's language: the tickets opened and closed, by channel and by category, the
escalations and ratings, and each SOP step's compliance as the summary counts it (the cases
that met their target of those counted: a case still within its target is not counted yet).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mailbot.io.words import words
from mailbot.reports import labels
from mailbot.reports.figures import CATEGORIES, CHANNELS
from mailbot.reports.present import LOW_RATE
from mailbot.reports.values import Month, Step, StepResult, Summary

Cell = dict[str, Any]  # text; detail (a rate's met/cases) and low (a rate under LOW_RATE)


def _cell(text: str, detail: str = "", low: bool = False) -> Cell:
    return {"text": text, "detail": detail, "low": low}


def short_month(month: Month, language: str) -> str:
    """"Nov 2026": a column's head (the month's name cut to three letters reads in both languages)."""
    return f"{words(labels.lang_of(language)).table['months'][month.month - 1][:3]} {month.year}"


def _categories(summaries: Sequence[Summary]) -> tuple[str, ...]:
    """The categories shown, with the uncategorised row where a month had such tickets."""
    uncategorised = any(dict(s.by_category).get("") for s in summaries)
    return (*CATEGORIES, *([""] if uncategorised else []))


def table(months: Sequence[tuple[Month, Summary]], language: str) -> dict[str, Any]:
    """The trend's context: each month's head, then sections of rows, each row a figure's
    name and its cell for every month, oldest first."""
    lang = labels.lang_of(language)
    said = labels.TREND[lang]
    summaries = [s for _, s in months]

    def row(name: str, value: Callable[[Summary], Cell]) -> dict[str, Any]:
        return {"name": name, "cells": [value(s) for s in summaries]}

    def count(value: Callable[[Summary], int]) -> Callable[[Summary], Cell]:
        return lambda s: _cell(str(value(s)))

    def by(field: Callable[[Summary], tuple[tuple[str, int], ...]], key: str) -> Callable[[Summary], Cell]:
        return count(lambda s: dict(field(s)).get(key, 0))

    def rate(step: Step) -> Callable[[Summary], Cell]:
        return lambda s: _rate(s.step(step), lang)

    steps = [result.step for result in summaries[0].steps] if summaries else []
    categories = _categories(summaries)
    return {
        "months": [short_month(m, lang) for m, _ in months],
        "sections": [
            {"title": said["volume"], "rows": [
                row(said["opened"], count(lambda s: s.opened)), row(said["closed"], count(lambda s: s.closed)),
                row(said["still_open"], count(lambda s: s.still_open))]},
            {"title": said["channels"], "rows": [
                row(labels.CHANNELS[lang].get(c, c), by(lambda s: s.by_channel, c)) for c in CHANNELS]},
            {"title": said["categories"], "rows": [
                row(labels.CATEGORIES[lang].get(c, c), by(lambda s: s.by_category, c)) for c in categories]},
            {"title": said["lkpp"], "rows": [
                row(said["escalated"], count(lambda s: s.escalations.tickets)),
                row(labels.OUTCOMES[lang]["resolved_by_lkpp"], count(lambda s: s.escalations.resolved_by_lkpp))]},
            {"title": said["ratings"], "rows": [
                row(said["rated"], count(lambda s: s.ratings.count)),
                row(said["average"], lambda s: _cell("–" if s.ratings.average is None
                                                     else labels.number(s.ratings.average, lang, 2)))]},
            {"title": said["compliance"], "rows": [row(labels.STEPS[lang][step][0], rate(step)) for step in steps]},
        ],
    }


def _rate(result: StepResult, language: str) -> Cell:
    """A step's compliance in a month: the rate, how many met of how many counted, low or not."""
    if result.rate is None:
        return _cell("–")
    return _cell(labels.percent(result.rate, language), f"{result.met}/{result.cases}", result.rate < LOW_RATE)
