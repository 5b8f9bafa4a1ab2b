"""`calendar:` of `config.yaml`: the working week, its hours (one range a day, several, or
a map by weekday), the holidays and the dated periods with hours of their own (Ramadan);
each range checked here, the whole week by the calendar at start-up (`core/worktime.py`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from mailbot.config.fields import check_keys, expect_mapping
from mailbot.errors import ConfigError
from mailbot.settings import CalendarConfig

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def calendar_block(data: Any) -> CalendarConfig:
    key = "calendar"
    data = expect_mapping(data, key)
    check_keys(data, {"workdays", "hours", "country_holidays", "holiday_categories", "extra_holidays", "periods"},
                key)
    categories = data.get("holiday_categories", list(CalendarConfig.holiday_categories))
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ConfigError(f"{key}.holiday_categories: expected a list of names")
    country = data.get("country_holidays", "ID")
    if country is not None and not isinstance(country, str):
        raise ConfigError(f"{key}.country_holidays: expected a country code such as ID")
    return CalendarConfig(_workdays(data, key), _hours(data, key), country, tuple(categories),
                          _extra_holidays(data, key), _periods(data, key))


def _workdays(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    workdays = data.get("workdays", list(CalendarConfig.workdays))
    if not isinstance(workdays, list) or not workdays:
        raise ConfigError(f"{key}.workdays: expected a non-empty list of mon..sun")
    for i, day in enumerate(workdays):
        if day not in WEEKDAYS:
            raise ConfigError(f"{key}.workdays[{i}]: {day!r} is not one of {', '.join(WEEKDAYS)}")
    return tuple(workdays)


def _hours(data: Mapping[str, Any], key: str) -> str | tuple[tuple[str, str], ...]:
    """One day's ranges for every working day, or a map by weekday (`fri`, `mon-thu`,
    `default`); each range checked here, the whole week by the calendar at start-up."""
    hours = data.get("hours", CalendarConfig.hours)
    if isinstance(hours, Mapping):
        if not hours:
            raise ConfigError(f"{key}.hours: expected HH:MM-HH:MM or a map of weekdays to it")
        for day, text in hours.items():
            _ranges(text, f"{key}.hours.{day}")
        return tuple((str(day), str(text)) for day, text in hours.items())
    return _ranges(hours, f"{key}.hours")


def _ranges(text: Any, where: str) -> str:
    """ "08:00-16:00", or several ranges of one day joined by commas ("07:30-11:30,13:00-16:30")."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: expected HH:MM-HH:MM")
    for part in text.split(","):
        match = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", part.strip())
        if not match or not (int(match[1]) < 24 and int(match[3]) < 24 and int(match[2]) < 60
                             and int(match[4]) < 60):
            raise ConfigError(f"{where}: {text!r} is not HH:MM-HH:MM within one day (00:00 to 23:59)")
        if (int(match[1]), int(match[2])) >= (int(match[3]), int(match[4])):
            raise ConfigError(f"{where}: {text!r} closes before it opens")
    return text


def _periods(data: Mapping[str, Any], key: str) -> tuple[tuple[tuple[str, Any], ...], ...]:
    """Dated periods with hours of their own (Ramadan, a half day): a list of maps with
    `from` and `to` (or `date`), `hours` and an optional `name`."""
    periods = data.get("periods", [])
    if not isinstance(periods, list):
        raise ConfigError(f"{key}.periods: expected a list of periods (from, to or date, hours, name)")
    found = []
    for i, period in enumerate(periods):
        where = f"{key}.periods[{i}]"
        if not isinstance(period, Mapping):
            raise ConfigError(f"{where}: expected a map with from, to (or date) and hours")
        check_keys(period, {"from", "to", "date", "hours", "name"}, where)
        hours = _hours(period, where) if "hours" in period else None
        if hours is None:
            raise ConfigError(f"{where}: give its hours")
        found.append(tuple((str(k), (hours if k == "hours" else str(v) if isinstance(v, dt.date) else v))
                           for k, v in period.items()))
    return tuple(found)


def _extra_holidays(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    extra = data.get("extra_holidays") or []
    if not isinstance(extra, list):
        raise ConfigError(f"{key}.extra_holidays: expected a list of YYYY-MM-DD dates")
    days = []
    for i, day in enumerate(extra):
        try:
            days.append(day.isoformat() if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)).isoformat())
        except ValueError:
            raise ConfigError(f"{key}.extra_holidays[{i}]: {day!r} is not a YYYY-MM-DD date") from None
    return tuple(days)


