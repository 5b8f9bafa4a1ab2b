"""Pure tests of working-time arithmetic over real 2026 Indonesian dates (SPEC section 6)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.worktime import WorkCalendar

JAKARTA = ZoneInfo("Asia/Jakarta")
MAKASSAR = ZoneInfo("Asia/Makassar")
CAL = WorkCalendar.build()
WITA_CAL = WorkCalendar.build(tz="Asia/Makassar")


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Jakarta (WIB, UTC+7) wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=JAKARTA)


def wita(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Makassar (WITA, UTC+8) wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=MAKASSAR)


# -- the holiday data behind the SPEC examples --------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 3, 18),  # Wed: Nyepi joint leave (cuti bersama)
        date(2026, 3, 19),  # Thu: Nyepi
        date(2026, 3, 20),  # Fri: Eid al-Fitr joint leave
        date(2026, 3, 21),  # Sat: Eid al-Fitr 1447 H
        date(2026, 3, 22),  # Sun: Eid al-Fitr second day
        date(2026, 3, 23),  # Mon: Eid al-Fitr joint leave
        date(2026, 3, 24),  # Tue: Eid al-Fitr joint leave
    ],
)
def test_nyepi_and_eid_2026_are_holidays(day: date) -> None:
    """Nyepi, Eid al-Fitr and their cuti bersama, 18-24 March 2026, are all days off."""
    assert CAL.is_holiday(day)
    assert not CAL.is_working_day(day)


def test_days_around_eid_2026_are_working_days() -> None:
    """Tuesday 17 and Wednesday 25 March 2026 are ordinary working days."""
    assert CAL.is_working_day(date(2026, 3, 17))
    assert CAL.is_working_day(date(2026, 3, 25))


def test_weekend_is_not_working() -> None:
    """Saturday and Sunday are not working days even without a holiday."""
    assert not CAL.is_working_day(date(2026, 11, 21))
    assert not CAL.is_working_day(date(2026, 11, 22))
    assert CAL.is_working_day(date(2026, 11, 23))


# -- the SPEC examples ---------------------------------------------------------------


def test_spec_example_escalated_on_nyepi() -> None:
    """Escalated on Nyepi 2026 at 10:00, 2 working days are due Thursday 26 March 16:00."""
    assert CAL.add_working_days(wib(2026, 3, 19, 10), 2) == wib(2026, 3, 26, 16)


def test_spec_example_escalated_friday_afternoon() -> None:
    """Escalated Friday 20 November 2026 15:30, 2 working days are due Tuesday 15:30."""
    due = CAL.add_working_days(wib(2026, 11, 20, 15, 30), 2)
    assert due == wib(2026, 11, 24, 15, 30)
    assert due.tzinfo is JAKARTA


# -- boundaries ----------------------------------------------------------------------


def test_start_before_opening_counts_from_opening() -> None:
    """A start at 06:00 counts from 08:00."""
    assert CAL.add_working_hours(wib(2026, 11, 23, 6), 1) == wib(2026, 11, 23, 9)


def test_start_after_closing_counts_from_next_opening() -> None:
    """A start at 17:00 counts from the next day's opening."""
    assert CAL.add_working_hours(wib(2026, 11, 23, 17), 1) == wib(2026, 11, 24, 9)


def test_start_exactly_at_opening() -> None:
    """One working day from 08:00 ends at 16:00 the same day."""
    assert CAL.add_working_days(wib(2026, 11, 23, 8), 1) == wib(2026, 11, 23, 16)


def test_start_exactly_at_closing_counts_from_next_opening() -> None:
    """An hour from 16:00 sharp is 09:00 the next working day."""
    assert CAL.add_working_hours(wib(2026, 11, 23, 16), 1) == wib(2026, 11, 24, 9)


def test_deadline_ending_at_closing_is_closing_time() -> None:
    """Two hours from 14:00 is 16:00 that day, not the next opening."""
    assert CAL.add_working_hours(wib(2026, 11, 23, 14), 2) == wib(2026, 11, 23, 16)


def test_friday_evening_to_monday() -> None:
    """An hour from Friday 18:00 is Monday 09:00."""
    assert CAL.add_working_hours(wib(2026, 11, 20, 18), 1) == wib(2026, 11, 23, 9)


def test_holiday_in_the_middle_is_skipped() -> None:
    """One working day from Friday 14 August 2026 skips the weekend and Independence Day."""
    assert not CAL.is_working_day(date(2026, 8, 17))
    assert CAL.add_working_days(wib(2026, 8, 14, 10), 1) == wib(2026, 8, 18, 10)


def test_year_end_into_january() -> None:
    """From 31 December 2026, 2 working days skip New Year's Day and Isra' Mi'raj 2027."""
    assert not CAL.is_working_day(date(2027, 1, 1))
    assert not CAL.is_working_day(date(2027, 1, 5))
    assert CAL.add_working_days(wib(2026, 12, 31, 14), 2) == wib(2027, 1, 6, 14)


def test_extra_holiday_is_skipped() -> None:
    """A unit's own day off, given as an ISO string or a date, is skipped."""
    for extra in ("2026-11-23", date(2026, 11, 23)):
        cal = WorkCalendar.build(extra_holidays=[extra])
        assert not cal.is_working_day(date(2026, 11, 23))
        assert cal.add_working_days(wib(2026, 11, 20, 15, 30), 2) == wib(2026, 11, 25, 15, 30)


def test_four_working_hours_from_two_pm() -> None:
    """Four working hours from 14:00 end at 10:00 the next working day."""
    assert CAL.add_working_hours(wib(2026, 11, 23, 14), 4) == wib(2026, 11, 24, 10)


def test_fractional_hours_and_days() -> None:
    """Fractions of hours and days are exact."""
    assert CAL.add_working_hours(wib(2026, 11, 23, 15), 1.5) == wib(2026, 11, 24, 8, 30)
    assert CAL.add_working_hours(wib(2026, 11, 23, 8), 0.25) == wib(2026, 11, 23, 8, 15)
    assert CAL.add_working_days(wib(2026, 11, 23, 8), 0.5) == wib(2026, 11, 23, 12)
    assert CAL.add_working_days(wib(2026, 11, 23, 12), 1.25) == wib(2026, 11, 24, 14)


def test_adding_zero() -> None:
    """Adding zero keeps a working instant and moves any other to the next opening."""
    assert CAL.add_working_hours(wib(2026, 11, 23, 10), 0) == wib(2026, 11, 23, 10)
    assert CAL.add_working_hours(wib(2026, 11, 23, 16), 0) == wib(2026, 11, 24, 8)
    assert CAL.add_working_hours(wib(2026, 11, 21, 10), 0) == wib(2026, 11, 23, 8)


def test_thirty_working_days() -> None:
    """Thirty working days from Monday 2 November 2026 end Friday 11 December 16:00."""
    assert CAL.add_working_days(wib(2026, 11, 2, 8), 30) == wib(2026, 12, 11, 16)


def test_timedelta_amount() -> None:
    """add_working_time takes a timedelta and agrees with add_working_hours."""
    start = wib(2026, 11, 23, 14, 20)
    assert CAL.add_working_time(start, timedelta(hours=5)) == CAL.add_working_hours(start, 5)


# -- working time between ------------------------------------------------------------


def test_working_time_between_across_weekend() -> None:
    """Friday 15:00 to Monday 09:00 holds two working hours."""
    assert CAL.working_time_between(wib(2026, 11, 20, 15), wib(2026, 11, 23, 9)) == timedelta(
        hours=2
    )


def test_working_time_between_across_holiday() -> None:
    """Friday 14 August 12:00 to Tuesday 18 August 12:00 skips Independence Day."""
    assert CAL.working_time_between(wib(2026, 8, 14, 12), wib(2026, 8, 18, 12)) == timedelta(
        hours=8
    )


def test_working_time_between_across_eid() -> None:
    """From 17 to 26 March 2026 only the 17th and the 25th count."""
    assert CAL.working_time_between(wib(2026, 3, 17, 8), wib(2026, 3, 26, 8)) == timedelta(hours=16)


def test_working_time_between_reversed_is_zero() -> None:
    """An empty or reversed interval holds no working time."""
    assert CAL.working_time_between(wib(2026, 11, 24), wib(2026, 11, 23)) == timedelta(0)
    assert CAL.working_time_between(wib(2026, 11, 23, 9), wib(2026, 11, 23, 9)) == timedelta(0)


# -- openings and working time -------------------------------------------------------


def test_is_working_time_is_half_open() -> None:
    """Working time includes 08:00 and excludes 16:00."""
    assert CAL.is_working_time(wib(2026, 11, 23, 8))
    assert CAL.is_working_time(wib(2026, 11, 23, 16) - timedelta(microseconds=1))
    assert not CAL.is_working_time(wib(2026, 11, 23, 16))
    assert not CAL.is_working_time(wib(2026, 11, 23, 7, 59))
    assert not CAL.is_working_time(wib(2026, 3, 19, 10))


def test_next_opening() -> None:
    """The next opening is the instant itself at 08:00 and the next working day after it."""
    assert CAL.next_opening(wib(2026, 11, 23, 8)) == wib(2026, 11, 23, 8)
    assert CAL.next_opening(wib(2026, 11, 23, 7)) == wib(2026, 11, 23, 8)
    assert CAL.next_opening(wib(2026, 11, 23, 8, 1)) == wib(2026, 11, 24, 8)
    assert CAL.next_opening(wib(2026, 3, 17, 12)) == wib(2026, 3, 25, 8)


def test_start_of_working_day() -> None:
    """A working day starts at its opening; a day off points to the next working day."""
    assert CAL.start_of_working_day(date(2026, 11, 23)) == wib(2026, 11, 23, 8)
    assert CAL.start_of_working_day(date(2026, 3, 19)) == wib(2026, 3, 25, 8)


def test_any_year_is_loaded_lazily() -> None:
    """Holidays of a year far from 2026 are available without being requested up front."""
    assert not CAL.is_working_day(date(2031, 1, 1))
    assert CAL.is_working_day(date(2031, 1, 2))


def test_without_country_only_extra_holidays_count() -> None:
    """With country None, Nyepi is a working day and only extra holidays are off."""
    cal = WorkCalendar.build(country=None, extra_holidays=["2026-03-18"])
    assert cal.is_working_day(date(2026, 3, 19))
    assert not cal.is_working_day(date(2026, 3, 18))


def test_custom_days_and_hours() -> None:
    """A Saturday half-day calendar counts only its own days and hours."""
    cal = WorkCalendar.build(workdays="mon,tue,wed,thu,fri,sat", hours="07:30-12:00")
    assert cal.opens == time(7, 30) and cal.closes == time(12)
    assert cal.day_length == timedelta(hours=4, minutes=30)
    assert cal.add_working_hours(wib(2026, 11, 20, 11), 2) == wib(2026, 11, 21, 8, 30)


# -- other zones ---------------------------------------------------------------------


def test_makassar_unit_friday_afternoon() -> None:
    """A WITA unit escalated Friday 15:30 local is due Tuesday 15:30 local."""
    due = WITA_CAL.add_working_days(wita(2026, 11, 20, 15, 30), 2)
    assert due == wita(2026, 11, 24, 15, 30)
    assert due.tzinfo is MAKASSAR


def test_utc_instant_is_read_in_the_units_zone() -> None:
    """07:30 UTC is 15:30 in Makassar but 14:30 in Jakarta, and deadlines follow suit."""
    instant = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert WITA_CAL.add_working_days(instant, 2) == wita(2026, 11, 24, 15, 30)
    assert CAL.add_working_days(instant, 2) == wib(2026, 11, 24, 14, 30)
    monday_early = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 08:30 WITA, 07:30 WIB
    assert WITA_CAL.is_working_time(monday_early)
    assert not CAL.is_working_time(monday_early)


def test_makassar_spec_example_on_nyepi() -> None:
    """The national holidays apply to a WITA unit too, in its own local hours."""
    assert WITA_CAL.add_working_days(wita(2026, 3, 19, 10), 2) == wita(2026, 3, 26, 16)


# -- validation ----------------------------------------------------------------------


def test_naive_datetime_rejected() -> None:
    """Naive datetimes are refused everywhere an instant is expected."""
    naive = datetime(2026, 11, 23, 10)
    for call in (
        lambda: CAL.add_working_hours(naive, 1),
        lambda: CAL.add_working_days(naive, 1),
        lambda: CAL.is_working_time(naive),
        lambda: CAL.next_opening(naive),
        lambda: CAL.working_time_between(naive, wib(2026, 11, 24)),
    ):
        with pytest.raises(ValueError, match="naive"):
            call()


@pytest.mark.parametrize("hours", ["16:00-08:00", "08:00-08:00", "8-16", "08:00-25:00", ""])
def test_invalid_hours_rejected(hours: str) -> None:
    """Working hours that are malformed or end before they start are refused by value."""
    with pytest.raises(ValueError, match="invalid working hours") as info:
        WorkCalendar.build(hours=hours)
    assert repr(hours) in str(info.value)


def test_invalid_calendar_values_rejected() -> None:
    """Unknown weekdays, zones, dates and countries are refused, naming the value."""
    with pytest.raises(ValueError, match="'funday'"):
        WorkCalendar.build(workdays=["mon", "funday"])
    with pytest.raises(ValueError, match="'Asia/Bandung'"):
        WorkCalendar.build(tz="Asia/Bandung")
    with pytest.raises(ValueError, match="'2026-02-30'"):
        WorkCalendar.build(extra_holidays=["2026-02-30"])
    with pytest.raises(ValueError, match="'XX'"):
        WorkCalendar.build(country="XX")
    with pytest.raises(ValueError, match="bank"):
        WorkCalendar.build(categories=["bank"])
    with pytest.raises(ValueError, match="workdays"):
        WorkCalendar(workdays=frozenset())


def test_negative_amount_rejected() -> None:
    """Negative or non-finite amounts of working time are refused."""
    with pytest.raises(ValueError, match="-1"):
        CAL.add_working_hours(wib(2026, 11, 23, 10), -1)
    with pytest.raises(ValueError, match="nan"):
        CAL.add_working_days(wib(2026, 11, 23, 10), float("nan"))


# -- property ------------------------------------------------------------------------


@pytest.mark.parametrize("cal", [CAL, WITA_CAL], ids=["WIB", "WITA"])
def test_add_then_measure_round_trips(cal: WorkCalendar) -> None:
    """For many starts over 2026, the working time to the result equals the amount added."""
    rng = random.Random(20260319)
    year_start = datetime(2026, 1, 1, tzinfo=cal.tz)
    for _ in range(300):
        # Half the starts sit on a quarter-hour grid so that results land on boundaries.
        step = rng.choice([1, 900])
        start = year_start + timedelta(seconds=step * rng.randrange(365 * 24 * 3600 // step))
        hours = rng.choice([0, rng.randrange(0, 200) / 4, rng.uniform(0, 120)])
        due = cal.add_working_hours(start, hours)
        assert cal.working_time_between(start, due) == timedelta(hours=hours)
        assert due >= start
        at_closing = cal.is_working_day(due.date()) and due.time() == cal.closes
        assert cal.is_working_time(due) or at_closing, (start, hours, due)


# Each in a fresh interpreter: which of the package's modules a process imports is the point.
_ONE_COUNTRY = """
import json, sys
from mailbot.core.worktime import WorkCalendar
calendar = WorkCalendar(country=sys.argv[1])
days = sorted(str(day) for year in range(2020, 2031) for day in calendar._national_holidays(year))
print(json.dumps({"days": days, "countries": sorted(m for m in sys.modules if m.startswith("holidays.countries."))}))
"""
_ALL_COUNTRIES = """
import json, sys
import holidays
import holidays.countries
days = sorted(str(day) for year in range(2020, 2031)
              for day in holidays.country_holidays(sys.argv[1], years=year, categories=("public", "government")))
print(json.dumps({"days": days}))
"""


def _in_fresh_interpreter(code: str, country: str) -> dict[str, list[str]]:
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code, country], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_a_calendar_imports_its_own_country_of_the_holiday_package_only() -> None:
    """A process building Indonesia's calendar imports Indonesia's holiday module, not the
    package's 250 countries (0.15-0.25 s of CPU at every start of the daemon, its sender
    and each command), and gets the same national holidays, 2020-2030, as the package
    gives with every country imported."""
    one = _in_fresh_interpreter(_ONE_COUNTRY, "ID")
    assert one["countries"] == ["holidays.countries.indonesia"]
    everything = _in_fresh_interpreter(_ALL_COUNTRIES, "ID")
    assert one["days"] == everything["days"] and len(everything["days"]) > 150
    assert "2026-03-19" in one["days"]  # Nyepi 2026 (SPEC 6's example)

