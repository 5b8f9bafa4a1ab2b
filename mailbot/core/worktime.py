"""Working-time arithmetic for SLA deadlines (SPEC section 6).

This module owns the answer to "when is N working hours/days after this instant?" and
"how much working time lies between these two instants?". It is pure: time is always
an argument, nothing reads the clock, and the only outside knowledge is the holiday
table of the `holidays` package, computed lazily per year so that any year works.

Conventions, chosen so that deadlines are exact at every boundary:

* Working time on a working day is the half-open interval [opens, closes).
* A deadline that ends exactly at closing time *is* that closing time (16:00), not the
  next opening; the search only moves to the next day when work is still left.
* A start before opening counts from opening; a start at or after closing, or on a
  non-working day, counts from the next opening. Adding zero therefore returns the
  start itself inside working hours and the next opening outside them.
* A day's hours may be several ranges (Friday's prayer break: 07:30-11:30,13:00-16:30);
  the time between them is not working time, and each range keeps the rules above.
* Hours may differ by weekday (`hours` as a map) and for dated periods with hours of
  their own (Ramadan, set each year; a half day): `periods`, the last listed winning.
* "N working days" is N times the length of a working day, counted in working time; a
  working day's length is that of the unit's commonest working weekday.
* Every input instant must be timezone-aware; results are in the calendar's zone.
"""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from mailbot.errors import ConfigError

if TYPE_CHECKING:
    from mailbot.settings import Config


def _country_holidays(country: str, years: int | tuple[()], categories: tuple[str, ...]) -> holidays_lib.HolidayBase:
    """`holidays.country_holidays`, importing the one country's module, not all 250.

    The package finds a country's class by importing `holidays.countries.<name>`, and the
    package `holidays.countries` imports every country it knows first: 0.15-0.25 s of CPU
    in each process that builds a calendar (the daemon, its sender, every command), for
    the one country a unit uses. Where nothing has imported that package yet, it is
    registered as found but not run (its path kept, so each country still loads from its
    own file, and an unknown one is refused by the package's registry as before);
    where something has, it is used as it is."""
    name = "holidays.countries"
    if name not in sys.modules and (spec := importlib.util.find_spec(name)) is not None:
        sys.modules[name] = importlib.util.module_from_spec(spec)
    return holidays_lib.country_holidays(country, years=years, categories=categories)

_ONE_DAY = timedelta(days=1)
# With at least one weekday in `workdays` a working day is never further away than a
# week plus the holidays around it; ten years without one means the calendar is broken.
_MAX_SEARCH_DAYS = 3660
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
Hours = tuple[tuple[time, time], ...]  # one day's working ranges, in order, apart


@dataclass(frozen=True)
class Period:
    """Dated days, `first` to `last` inclusive, with hours of their own per weekday (Ramadan's
    hours, a half day). Days off stay off: a period changes the hours, not the days."""

    first: date
    last: date
    week: tuple[Hours, ...]  # Mon=0 .. Sun=6
    name: str = ""

    def covers(self, d: date) -> bool:
        return self.first <= d <= self.last
_DEFAULT_CATEGORIES = ("public", "government")  # national holidays + cuti bersama


@dataclass(frozen=True)
class WorkCalendar:
    """A unit's working calendar: zone, weekdays, daily hours and holidays.

    `holidays` holds the unit's own extra days off; the national holidays of `country`
    (in the `holidays` package `categories`) are added on demand, one year at a time.
    Set `country` to None for a calendar with only the explicit `holidays`.
    """

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jakarta"))
    workdays: frozenset[int] = frozenset(range(5))  # Mon=0 .. Fri=4
    opens: time = time(8)
    closes: time = time(16)
    holidays: frozenset[date] = frozenset()
    country: str | None = "ID"
    categories: tuple[str, ...] = _DEFAULT_CATEGORIES
    week: tuple[Hours, ...] = ()  # per weekday (Mon=0); () : `opens`-`closes` every working day
    periods: tuple[Period, ...] = ()
    _national: dict[int, frozenset[date]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Reject a calendar that could give wrong deadlines rather than fail later."""
        self._check_week()
        self._check_hours()
        self._check_holidays()

    def _check_week(self) -> None:
        if not isinstance(self.tz, ZoneInfo):
            raise TypeError(f"time zone must be a ZoneInfo, not {self.tz!r}")
        if not self.workdays or not all(isinstance(d, int) and 0 <= d <= 6 for d in self.workdays):
            raise ValueError(f"workdays must be a non-empty set of 0..6 (Mon=0): {self.workdays!r}")

    def _check_hours(self) -> None:
        for name in ("opens", "closes"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"{name} must be a naive time of day: {value!r}")
        if self.opens >= self.closes:
            raise ValueError(
                f"working hours {self.opens:%H:%M}-{self.closes:%H:%M}: "
                "opening must be before closing on the same day"
            )
        if self.week and len(self.week) != 7:
            raise ValueError("week must give the hours of all seven weekdays (Mon=0)")
        for label, week in (("hours", self.week), *((p.name or f"{p.first}", p.week) for p in self.periods)):
            for day, ranges in enumerate(week):
                _check_ranges(ranges, f"{label}, {_WEEKDAYS[day]}")
        for day in self.workdays:
            if self.week and not self.week[day]:
                raise ValueError(f"hours: {_WEEKDAYS[day]} is a working day with no hours")
        for period in self.periods:
            if period.first > period.last:
                raise ValueError(f"period {period.name or period.first}: it ends before it begins")

    def _check_holidays(self) -> None:
        for day in self.holidays:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"holiday must be a date: {day!r}")
        if isinstance(self.categories, str) or not all(isinstance(c, str) for c in self.categories):
            raise ValueError(f"categories must be a tuple of names: {self.categories!r}")
        if self.country is not None:
            self._check_country(self.country)

    def _check_country(self, country: str) -> None:
        """The `holidays` package knows the country and its categories; years=() builds no table."""
        try:
            _country_holidays(country, years=(), categories=self.categories)
        except NotImplementedError:
            raise ValueError(f"no holiday data for country {country!r}") from None
        except ValueError as exc:
            raise ValueError(f"holiday categories {self.categories!r} for {country!r}: {exc}") from None

    @classmethod
    def build(
        cls,
        tz: str | ZoneInfo = "Asia/Jakarta",
        workdays: Iterable[str] | str = ("mon", "tue", "wed", "thu", "fri"),
        hours: str | Mapping[str, str] = "08:00-16:00",
        country: str | None = "ID",
        categories: Iterable[str] | str = _DEFAULT_CATEGORIES,
        extra_holidays: Iterable[date | str] = (),
        years: Iterable[int] = (),
        periods: Iterable[Mapping[str, object]] = (),
    ) -> WorkCalendar:
        """Build a calendar from config-style values, naming any bad value.

        `hours`: one day's ranges for every working day ("08:00-16:00", or with a break
        "07:30-11:30,13:00-16:30"), or a map by weekday (`mon`..`sun`, `mon-thu`, and
        `default` for the days it does not name). `periods`: maps with `from` and `to`
        (or one `date`), `hours` as above and an optional `name`.
        `years` are loaded at once (to fail at start-up, not at the first deadline);
        any other year is still loaded when first needed.
        """
        week, days = _parse_week(hours, "hours"), _parse_workdays(workdays)
        regular = _commonest(week, days)
        calendar = cls(
            tz=_parse_zone(tz),
            workdays=days,
            opens=regular[0][0],
            closes=regular[-1][1],
            holidays=frozenset(_parse_date(d) for d in extra_holidays),
            country=country,
            categories=(categories,) if isinstance(categories, str) else tuple(categories),
            week=week,
            periods=tuple(_parse_period(p, week) for p in periods),
        )
        for year in years:
            calendar._national_holidays(year)
        return calendar

    @property
    def day_length(self) -> timedelta:
        """Length of one working day, the unit of "N working days": that of the unit's
        commonest working weekday (a longer Friday or a Ramadan period does not change it)."""
        return _length(_commonest(self.week, self.workdays)) if self.week else \
            datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def hours_on(self, d: date) -> Hours:
        """The working ranges of the day `d` as it would be worked: its period's, else its
        weekday's (a day off or a holiday has them too: see `is_working_day`)."""
        weekday = d.weekday()
        for period in reversed(self.periods):
            if period.covers(d) and period.week[weekday]:
                return period.week[weekday]
        return self.hours_on_weekday(weekday)

    def opens_on(self, d: date) -> time:
        """When the day `d` opens (its first range)."""
        return self.hours_on(d)[0][0]

    def closes_on(self, d: date) -> time:
        """When the day `d` closes (its last range)."""
        return self.hours_on(d)[-1][1]

    def describe(self) -> str:
        """The week's hours and the periods, as `mailbot check` shows them."""
        days = [(_WEEKDAYS[d], _shown(self.hours_on_weekday(d))) for d in sorted(self.workdays)]
        groups: list[tuple[list[str], str]] = []
        for name, shown in days:
            if groups and groups[-1][1] == shown:
                groups[-1][0].append(name)
            else:
                groups.append(([name], shown))
        week = ", ".join(f"{names[0]}{'-' + names[-1] if len(names) > 1 else ''} {shown}" for names, shown in groups)
        periods = "; ".join(f"{p.name or 'period'} {p.first}..{p.last}: "
                            + ", ".join(f"{_WEEKDAYS[d]} {_shown(p.week[d])}" for d in sorted(self.workdays)
                                        if p.week[d] != self.hours_on_weekday(d))
                            for p in self.periods)
        return week + (f"; {periods}" if periods else "")

    def hours_on_weekday(self, weekday: int) -> Hours:
        return self.week[weekday] if self.week and self.week[weekday] else ((self.opens, self.closes),)

    # -- days ---------------------------------------------------------------------

    def is_holiday(self, d: date) -> bool:
        """Whether `d` is an extra or national holiday (including cuti bersama)."""
        return d in self.holidays or d in self._national_holidays(d.year)

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is a working weekday that is not a holiday."""
        if isinstance(d, datetime):
            raise TypeError(f"is_working_day takes a date, not a datetime: {d.isoformat()}")
        return d.weekday() in self.workdays and not self.is_holiday(d)

    def is_working_time(self, t: datetime) -> bool:
        """Whether the instant `t` falls in working hours, in [opens, closes)."""
        local = _aware(t).astimezone(self.tz)
        return self.is_working_day(local.date()) and any(
            opens <= local.time() < closes for opens, closes in self.hours_on(local.date()))

    def start_of_working_day(self, d: date) -> datetime:
        """Opening time of `d`, or of the first working day after it if `d` is not one."""
        return self._opening(self._working_day_from(d)).astimezone(self.tz)

    def next_opening(self, t: datetime) -> datetime:
        """Start of the first working period beginning at or after `t`.

        Exactly at an opening this is `t`; later inside working hours it is the next
        working day's opening (so it also gives the time of the next daily digest).
        """
        cursor = _aware(t).astimezone(UTC)
        day = self._working_day_from(cursor.astimezone(self.tz).date())
        while (opening := self._opening(day)) < cursor:
            day = self._working_day_from(day + _ONE_DAY)
        return opening.astimezone(self.tz)

    # -- arithmetic ---------------------------------------------------------------

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of working time after `start` (see module conventions)."""
        if duration < timedelta(0):
            raise ValueError(f"working time to add must not be negative: {duration}")
        cursor = _aware(start).astimezone(UTC)
        remaining = duration
        day = self._working_day_from(cursor.astimezone(self.tz).date())
        while True:
            for opening, closing in self._ranges(day):
                if cursor < closing:
                    cursor = max(cursor, opening)
                    if remaining <= closing - cursor:  # "<=": ending at closing stays there
                        return (cursor + remaining).astimezone(self.tz)
                    remaining -= closing - cursor
            day = self._working_day_from(day + _ONE_DAY)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` working hours after `start`."""
        return self.add_working_time(start, timedelta(hours=_amount(hours, "hours")))

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """The instant `days` working days after `start`: days x the working-day length."""
        return self.add_working_time(start, self.day_length * _amount(days, "days"))

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in [a, b); timedelta(0) when b <= a, never negative."""
        start, end = _aware(a).astimezone(UTC), _aware(b).astimezone(UTC)
        total = timedelta(0)
        if end <= start:
            return total
        day, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        while day <= last:
            if self.is_working_day(day):
                for opening, closing in self._ranges(day):
                    low, high = max(start, opening), min(end, closing)
                    if high > low:
                        total += high - low
            day += _ONE_DAY
        return total

    # -- internals ----------------------------------------------------------------

    def _national_holidays(self, year: int) -> frozenset[date]:
        """National holidays of one year, computed once and kept on this calendar."""
        if self.country is None:
            return frozenset()
        cached = self._national.get(year)
        if cached is None:
            table = _country_holidays(self.country, years=year, categories=self.categories)
            cached = self._national[year] = frozenset(table)
        return cached

    def _working_day_from(self, d: date) -> date:
        """The first working day on or after `d`."""
        day = d
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day += _ONE_DAY
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days from {d}")

    def _opening(self, d: date) -> datetime:
        """Opening instant of `d` in UTC, so that arithmetic is in real elapsed time."""
        return datetime.combine(d, self.opens_on(d), tzinfo=self.tz).astimezone(UTC)

    def _ranges(self, d: date) -> list[tuple[datetime, datetime]]:
        """The working ranges of `d` as instants in UTC."""
        return [(datetime.combine(d, opens, tzinfo=self.tz).astimezone(UTC),
                 datetime.combine(d, closes, tzinfo=self.tz).astimezone(UTC)) for opens, closes in self.hours_on(d)]


def _aware(t: datetime) -> datetime:
    """Return `t` if it is timezone-aware: a naive time has no single meaning across units."""
    if not isinstance(t, datetime):
        raise TypeError(f"expected a datetime: {t!r}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t.isoformat()}: a time zone is required")
    return t


def _amount(value: float, unit: str) -> float:
    """Return a finite, non-negative amount of working time."""
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"working {unit} must be finite and not negative: {value!r}")
    return value


def _parse_zone(tz: str | ZoneInfo) -> ZoneInfo:
    """Load an IANA zone such as Asia/Jakarta, Asia/Makassar or Asia/Jayapura."""
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {tz!r}") from None


def _parse_workdays(names: Iterable[str] | str) -> frozenset[int]:
    """Map weekday names ("mon" or "monday", any case) to numbers with Mon=0.

    A single string is read as a comma- or space-separated list ("mon,tue,wed").
    """
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    days = set()
    for name in names:
        key = name.strip().lower() if isinstance(name, str) else name
        if key in _WEEKDAYS:
            days.add(_WEEKDAYS.index(key))
        elif key in _FULL_WEEKDAYS:
            days.add(_FULL_WEEKDAYS.index(key))
        else:
            raise ValueError(f"unknown weekday {name!r}; use mon, tue, wed, thu, fri, sat, sun")
    if not days:
        raise ValueError("workdays must name at least one weekday")
    return frozenset(days)


def _parse_hours(hours: str) -> tuple[time, time]:
    """Parse "HH:MM-HH:MM" into opening and closing times on the same day."""
    match = _HOURS_RE.match(hours) if isinstance(hours, str) else None
    if match is None:
        raise ValueError(f"invalid working hours {hours!r}; expected HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        opens, closes = time(h1, m1), time(h2, m2)
    except ValueError:
        raise ValueError(f"invalid working hours {hours!r}: no such time of day") from None
    if opens >= closes:
        raise ValueError(f"invalid working hours {hours!r}: opening must be before closing")
    return opens, closes


def _parse_ranges(text: object, where: str) -> Hours:
    """ "07:30-11:30,13:00-16:30": one day's ranges, in order and apart."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: invalid working hours {text!r}; expected HH:MM-HH:MM, or several joined by commas")
    ranges = tuple(_parse_hours(part) for part in text.split(","))
    _check_ranges(ranges, where)
    return ranges


def _check_ranges(ranges: Hours, where: str) -> None:
    for (_, closes), (opens, _) in pairwise(ranges):
        if opens < closes:
            raise ValueError(f"{where}: the ranges must be in order and must not overlap")


def _day_names(key: str, where: str) -> list[int]:
    """"fri", "friday" or a span "mon-thu" as weekday numbers (Mon=0)."""
    first, _, last = key.strip().lower().partition("-")
    numbers = [_parse_workdays([name]) for name in ((first, last) if last else (first,))]
    low, high = min(numbers[0]), min(numbers[-1])
    if high < low:
        raise ValueError(f"{where}: {key!r} runs backwards; write e.g. mon-thu")
    return list(range(low, high + 1))


def _parse_week(hours: str | Mapping[str, str], where: str,
                base: tuple[Hours, ...] | None = None) -> tuple[Hours, ...]:
    """Seven days' ranges from one text for every day, or a map by weekday (`default` for
    the days not named, else `base`'s, else none)."""
    if isinstance(hours, str):
        return (_parse_ranges(hours, where),) * 7
    if not isinstance(hours, Mapping) or not hours:
        raise ValueError(f"{where}: expected HH:MM-HH:MM or a map of weekdays to it")
    default = _parse_ranges(hours["default"], f"{where}.default") if "default" in hours else None
    week: list[Hours] = [default if default is not None else (base[d] if base else ()) for d in range(7)]
    for key, text in hours.items():
        if key == "default":
            continue
        if not isinstance(key, str):
            raise TypeError(f"{where}: {key!r} is not a weekday")
        for day in _day_names(key, f"{where}.{key}"):
            week[day] = _parse_ranges(text, f"{where}.{key}")
    return tuple(week)


def _parse_period(value: Mapping[str, object], week: tuple[Hours, ...]) -> Period:
    """A dated period: `from` and `to` (or one `date`), its `hours`, an optional `name`."""
    if not isinstance(value, Mapping):
        raise TypeError("periods: each period is a map with from, to (or date) and hours")
    name = str(value.get("name", "") or "")
    where = f"periods[{name}]" if name else "periods"
    unknown = set(value) - {"from", "to", "date", "hours", "name"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    if "date" in value:
        first = last = _parse_date(value["date"])  # type: ignore[arg-type]
    elif "from" in value and "to" in value:
        first, last = _parse_date(value["from"]), _parse_date(value["to"])  # type: ignore[arg-type]
    else:
        raise ValueError(f"{where}: give from and to, or one date")
    if "hours" not in value:
        raise ValueError(f"{where}: give its hours")
    return Period(first, last, _parse_week(value["hours"], f"{where}.hours", week), name)  # type: ignore[arg-type]


def _length(ranges: Hours) -> timedelta:
    return sum((datetime.combine(date.min, b) - datetime.combine(date.min, a) for a, b in ranges), timedelta(0))


def _commonest(week: tuple[Hours, ...], workdays: frozenset[int]) -> Hours:
    """The hours most working weekdays have (the first of them on a tie)."""
    days = [week[d] for d in sorted(workdays) if week[d]]
    if not days:
        raise ValueError("hours: no working day has hours")
    return max(days, key=lambda ranges: (days.count(ranges), -days.index(ranges)))


def _shown(ranges: Hours) -> str:
    return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in ranges)


def _parse_date(value: date | str) -> date:
    """Accept a date or an ISO string such as "2026-04-21" (a datetime is not a day)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        with suppress(ValueError):
            return date.fromisoformat(value.strip())
    raise ValueError(f"invalid holiday date {value!r}; expected YYYY-MM-DD")


def build_calendar(cfg: Config) -> WorkCalendar:
    """The unit's working calendar; a bad value is a configuration error naming it."""
    cal = cfg.calendar
    try:
        return WorkCalendar.build(tz=cfg.timezone, workdays=cal.workdays, hours=cal.week_hours(),
                                  country=cal.country_holidays, categories=cal.holiday_categories,
                                  extra_holidays=cal.extra_holidays, periods=cal.period_maps())
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"calendar: {exc}") from None
