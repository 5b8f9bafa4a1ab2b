"""When a call or visit was, as staff write it on the consultation form (SPEC 3). Pure.

The form's Hari/Tanggal and Waktu come in many spellings: "09.40", "jam 9 pagi", "14:05
WIB", "2 sore", "Kamis, 12 November 2026", "12/11/26", "2026-11-12", "kemarin 14.00". A
value is read in named steps (`read_when`), each taking what it knows out of the text:

1. the zone ("WIB", "WITA", "WIT") and a weekday ("Kamis,"), which says no date by itself;
2. a day counted back from the mail's ("kemarin", "hari ini");
3. the date, by the first of `DAY_SHAPES` that reads one;
4. the time, by the first of `CLOCK_SHAPES` that matches, on a 24-hour clock ("2 sore" is
   14:00; "siang" only before 6: "jam 1 siang" is 13:00, "jam 11 siang" 11:00).

What is left must be noise ("pukul", "sekitar", punctuation), else the value is refused. The
words (months, weekdays, zones, "sore") are data, `rules/intake.yaml`, read through
`DateWords`; the shapes are the table below, a pattern and its reader each.

The moment of the call (`called_at`) is the date and time written, in the unit's zone unless
a zone is written: a date without a year is the latest such date not after the mail's, a time
without a date is on the mail's day, a date without a time at midnight (today's: the mail's
own time). It is refused when it is after the mail by more than the clocks' difference, or
more than `MAX_AGE` before it (a typing error: a year, a month).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Generic, Protocol, TypeVar

from mailbot.model import Refusal

MAX_AGE = timedelta(days=31)  # an earlier call further back is a typing error (a year, a month)
CLOCK_SKEW = timedelta(minutes=5)  # a call "later" than the mail by less is the clocks' difference

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<![\d.:])(\d{1,2})\s*([/.-])\s*(\d{1,2})(?:\s*\2\s*(\d{4}|\d{2}))?(?![\d:])")
# between the parts: blanks around one dash (or comma before the year), or blanks alone; each
# run of blanks read once (possessive), not split three ways: "1", 8,000 blanks and "x" took 4.6 s
_WORD_DATE = re.compile(r"(?<!\d)(\d{1,2})(?:\s*+-\s*+|\s++)([^\W\d_]{3,10})\.?(?:(?:\s*+[-,]\s*+|\s++)(\d{4}))?(?!\d)")
_TIME = re.compile(r"(?<![\d/-])(\d{1,2})\s*[:.h]\s*(\d{2})(?:\s*[:.]\s*(\d{2}))?(?![\d/-])"
                   r"(?:\s*([ap])\.?\s*m\b\.?)?", re.IGNORECASE)
_HOUR = re.compile(r"\b(?:pukul|pkl|jam|at)\.?\s*(\d{1,2})(?!\s*[:./-]?\d)(?:\s*([ap])\.?\s*m\b\.?)?", re.IGNORECASE)
_BARE_HOUR = re.compile(r"(?<![\d/.:-])(\d{1,2})(?![\d/.:-])(?:\s*([ap])\.?\s*m\b\.?)?", re.IGNORECASE)
_TIME_NOISE = re.compile(r"\b(?:pukul|pkl|jam|at|sekitar|kurang lebih|kira-kira|tanggal|tgl|hari|on|around|"
                         r"pagi|siang|sore|malam)\b\.?|[,;:()\u00b1~-]", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")

Day = tuple[int, int, int | None]  # day, month, year (None: not written)
Clock = tuple[int, int, str]  # hour and minute as written, and "a" or "p" when am/pm is
_T = TypeVar("_T")
_Read_co = TypeVar("_Read_co", covariant=True)  # what a shape reads: a day or a clock


class DateWords(Protocol):
    """The words dates and times are written with (`intake.IntakeWords`, rules/intake.yaml)."""

    @property
    def weekdays(self) -> tuple[str, ...]: ...

    @property
    def days_before(self) -> tuple[tuple[str, int], ...]: ...

    @property
    def afternoon(self) -> tuple[str, ...]: ...

    @property
    def midday(self) -> tuple[str, ...]: ...

    def month(self, word: str) -> int | None: ...

    def zone(self, word: str) -> int | None: ...


@dataclass(frozen=True)
class When:
    """A date and time as written, each part None where the text does not say it."""

    day: Day | None
    back: int | None  # days before the mail's ("kemarin"), when written so
    clock: tuple[int, int] | None  # hour, minute on a 24-hour clock
    zone: int | None  # hours east of UTC (WIB 7), when written
    leftover: str  # what is neither (a weekday, "pukul" and the like aside)
    bad: bool = False  # a time no clock shows (25:70); a date that no calendar has is found by `called_at`

    @property
    def says_when(self) -> bool:
        return self.day is not None or self.back is not None or self.clock is not None

    @property
    def refused(self) -> bool:
        """Not a date or time: a time no clock shows, or words that say none ("besok", "abc")."""
        return self.bad or (not self.says_when and bool(self.leftover))


# --- the shapes of a date and of a time -----------------------------------------------------


@dataclass(frozen=True)
class _Shape(Generic[_Read_co]):
    """One way of writing a date or a time: its pattern, and what a match of it says (None:
    this match is not one, a later match may be)."""

    example: str
    pattern: re.Pattern[str]
    read: Callable[[re.Match[str], DateWords], _Read_co | None]
    time_field_only: bool = False  # read only in the value of a time field ("Waktu: 2 sore")


def _iso_day(match: re.Match[str], words: DateWords) -> Day:
    return int(match[3]), int(match[2]), int(match[1])


def _numeric_day(match: re.Match[str], words: DateWords) -> Day | None:
    """Day, month and maybe a year of two or four digits; with full stops and no year it is a time."""
    if match[2] == "." and not match[4]:
        return None  # "10.15" is a time
    year = int(match[4]) if match[4] else None
    return int(match[1]), int(match[3]), year + 2000 if year is not None and year < 100 else year


def _named_day(match: re.Match[str], words: DateWords) -> Day | None:
    """A day and a month's name (or its short form); a word that names no month is no date."""
    month = words.month(match[2])
    return (int(match[1]), month, int(match[3]) if match[3] else None) if month is not None else None


def _hour_and_minutes(match: re.Match[str], words: DateWords) -> Clock:
    return int(match[1]), int(match[2]), (match[4] or "").lower()


def _hour_alone(match: re.Match[str], words: DateWords) -> Clock:
    return int(match[1]), 0, (match[2] or "").lower()


# The first shape that reads a date wins: the order settles "2026-11-12" against "11-12".
DAY_SHAPES: tuple[_Shape[Day], ...] = (
    _Shape("2026-11-12", _ISO_DATE, _iso_day),
    _Shape("12/11/2026, 12-11-26, 12.11.2026, 12/11", _DMY, _numeric_day),
    _Shape("12 November 2026, 12 Nov, 12-Agt-2026", _WORD_DATE, _named_day),
)
# The first shape that matches anywhere in the text is its time.
CLOCK_SHAPES: tuple[_Shape[Clock], ...] = (
    _Shape("09.40, 14:05, 9h40, 10.15.30, 9.40 pm", _TIME, _hour_and_minutes),
    _Shape("jam 9, pukul 14, pkl. 8 am", _HOUR, _hour_alone),
    _Shape("2 (sore), 9 am", _BARE_HOUR, _hour_alone, time_field_only=True),
)


def read_when(text: str, words: DateWords, *, hour_alone: bool = False) -> When:
    """A date and time as written; `hour_alone`: the value of a time field ("Waktu: 2 sore"),
    where a bare number is an hour."""
    rest = " " + text.lower() + " "
    zone, rest = _zone_and_weekday(rest, words)
    back, rest = _days_back(rest, words)
    day, rest = _first(DAY_SHAPES, rest, words, hour_alone)
    said = set(_WORD.findall(rest))  # "sore", "pm": read with the clock, whichever side of it they are
    found, rest = _first(CLOCK_SHAPES, rest, words, hour_alone)
    clock = (_twenty_four(found[0], found[2], said, words), found[1]) if found is not None else None
    bad = clock is not None and (clock[0] > 23 or clock[1] > 59)
    return When(day, back, clock, zone, _TIME_NOISE.sub(" ", rest).strip(), bad)


def _zone_and_weekday(rest: str, words: DateWords) -> tuple[int | None, str]:
    """The zone written (the last, "10.15 WIB"), and the text without it and without a
    weekday ("Kamis, 12 November"): a weekday says no date by itself."""
    zone = None
    found = _WORD.findall(rest)
    for word in found:
        if (hours := words.zone(word)) is not None:
            zone = hours
    for word in dict.fromkeys(found):  # each word once: a sub per occurrence was quadratic ("wib " x 8,000)
        if words.zone(word) is not None:
            rest = re.sub(rf"\b{word}\b", " ", rest)
        elif word in words.weekdays:
            rest = re.sub(rf"\b{re.escape(word)}\b", " ", rest)
    return zone, rest


def _days_back(rest: str, words: DateWords) -> tuple[int | None, str]:
    """The days before the mail's that a word says ("kemarin": 1; the first such word
    counts), and the text without those words."""
    back = None
    for phrase, days in words.days_before:
        pattern = rf"(?<![^\W_]){re.escape(phrase.lower())}(?![^\W_])"
        if re.search(pattern, rest):
            back = days if back is None else back
            rest = re.sub(pattern, " ", rest)
    return back, rest


def _first(shapes: Sequence[_Shape[_T]], rest: str, words: DateWords, hour_alone: bool) -> tuple[_T | None, str]:
    """What the first match of the first shape that reads one says, and the text without it."""
    for shape in shapes:
        if shape.time_field_only and not hour_alone:
            continue
        for match in shape.pattern.finditer(rest):
            found = shape.read(match, words)
            if found is not None:
                return found, rest[:match.start()] + " " + rest[match.end():]
    return None, rest


def _twenty_four(hour: int, half: str, said: set[str], words: DateWords) -> int:
    """The hour on a 24-hour clock: after noon with "pm" or a word of the afternoon ("2
    sore"), and with a word of midday before 6 ("jam 1 siang"); "12 am" is midnight."""
    if (half == "p" or said & set(words.afternoon)) and hour < 12 or said & set(words.midday) and hour < 6:
        return hour + 12
    if half == "a" and hour == 12:
        return 0
    return hour


# --- the moment of the call -------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """A field of the form that says when (Tanggal, Waktu): its label as staff typed it, its
    text, and whether it is the time field (where a bare number is an hour)."""

    typed: str
    text: str
    time_field: bool = False


def called_at(written: Sequence[Written], shown: str, words: DateWords, received_at: datetime,
              tz: tzinfo) -> tuple[datetime | None, list[Refusal]]:
    """When the call was: the form's date and time, else None (the mail's own time);
    `shown`: the fields as staff wrote them, for a refusal of both."""
    found: list[When] = []
    for field in written:
        when = read_when(field.text, words, hour_alone=field.time_field)
        if when.refused:
            return None, [Refusal("intake_time", command=field.typed, value=field.text)]
        found.append(when)
    when = _together(found)
    if not when.says_when:
        return None, []
    typed = " / ".join(field.typed for field in written)
    zone: tzinfo = timezone(timedelta(hours=when.zone)) if when.zone is not None else tz
    try:
        moment = _moment(when, received_at.astimezone(zone), zone)
    except ValueError:  # 31/02, 12/13: no such day
        return None, [Refusal("intake_time", command=typed, value=shown)]
    if moment is None:
        return None, []
    return _within_reach(moment, received_at, typed, shown)


def _together(found: Sequence[When]) -> When:
    """The fields read as one: of each part, the first field that says it."""
    def first(part: Callable[[When], _T | None]) -> _T | None:
        return next((value for value in map(part, found) if value is not None), None)

    return When(first(lambda w: w.day), first(lambda w: w.back), first(lambda w: w.clock), first(lambda w: w.zone),
                "")


def _moment(when: When, local: datetime, zone: tzinfo) -> datetime | None:
    """The moment written, against the mail's local time `local`; None for today without a
    time (the mail's own time). Raises ValueError for a day no calendar has."""
    day = _day(when.day, local) if when.day is not None else local.date() - timedelta(days=when.back or 0)
    if when.clock is None and day == local.date():
        return None
    return datetime.combine(day, time(*(when.clock or (0, 0))), zone)


def _day(day: Day, local: datetime) -> date:
    """The date written; without a year, the latest such date not after the mail's."""
    number, month, year = day
    if year is not None:
        return date(year, month, number)
    found = date(local.year, month, number)
    return found if found <= local.date() + timedelta(days=1) else date(local.year - 1, month, number)


def _within_reach(moment: datetime, received_at: datetime, typed: str,
                  shown: str) -> tuple[datetime | None, list[Refusal]]:
    """The moment, unless it is after the mail (beyond the clocks' difference) or too long before it."""
    if moment > received_at + CLOCK_SKEW:
        return None, [Refusal("intake_future", command=typed, value=shown)]
    if moment < received_at - MAX_AGE:
        return None, [Refusal("intake_too_old", command=typed, value=shown, name=str(MAX_AGE.days))]
    return moment, []
