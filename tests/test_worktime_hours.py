"""Working hours as offices keep them: Friday's prayer break, hours
per weekday, dated periods with their own hours (Ramadan, a half day). Pure.

Expected instants are worked out by hand from the conventions of SPEC 6 and
`core/worktime` (half-open ranges, a deadline ending at a closing time stays there),
not read from the code: each comment shows the sum.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from mailbot.config.load import parse_config
from mailbot.core.overdue import digest_due
from mailbot.core.worktime import WorkCalendar, build_calendar
from tests.test_config import minimal

WIB = ZoneInfo("Asia/Jakarta")
FRIDAY = "07:30-11:30,13:00-16:30"  # a Friday with the prayer break
WEEK = {"default": "07:30-16:00", "fri": FRIDAY}
RAMADAN = {"name": "ramadan", "from": "2026-12-02", "to": "2026-12-08",
           "hours": {"default": "08:00-15:00", "fri": "08:00-11:30,13:00-15:30"}}


def wib(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


def office(*periods: dict[str, object]) -> WorkCalendar:
    return WorkCalendar.build(hours=WEEK, country=None, periods=periods)


def test_friday_has_its_break_and_its_longer_afternoon() -> None:
    cal = office()
    # Fri 27 Nov 10:30 + 2 h: 1 h to 11:30, the break, 1 h from 13:00
    assert cal.add_working_hours(wib(11, 27, 10, 30), 2) == wib(11, 27, 14, 0)
    # ending exactly at the break's start stays there
    assert cal.add_working_hours(wib(11, 27, 10, 30), 1) == wib(11, 27, 11, 30)
    # Fri 16:00 + 1 h: 30 min to 16:30, then Monday 07:30 + 30 min
    assert cal.add_working_hours(wib(11, 27, 16, 0), 1) == wib(11, 30, 8, 0)
    assert not cal.is_working_time(wib(11, 27, 12, 0))
    assert cal.is_working_time(wib(11, 27, 13, 0)) and cal.is_working_time(wib(11, 27, 16, 15))
    assert not cal.is_working_time(wib(11, 26, 16, 15))  # Thursday closes at 16:00
    # 11:00-11:30 and 13:00-14:00
    assert cal.working_time_between(wib(11, 27, 11, 0), wib(11, 27, 14, 0)) == timedelta(hours=1, minutes=30)
    # a start inside the break counts from 13:00
    assert cal.add_working_hours(wib(11, 27, 12, 0), 0.5) == wib(11, 27, 13, 30)


def test_a_working_day_is_the_commonest_weekday() -> None:
    """Mon-Thu 07:30-16:00 (8 h 30) make the unit "1 working day", not Friday's 7 h 30."""
    assert office().day_length == timedelta(hours=8, minutes=30)
    assert office(RAMADAN).day_length == timedelta(hours=8, minutes=30)


def test_a_ramadan_period_crossing_a_weekend() -> None:
    cal = office(RAMADAN)
    # Tue 1 Dec (before the period) 15:00 + 8 h: 1 h to 16:00, Wed 2 Dec 08:00-15:00 is 7 h
    assert cal.add_working_hours(wib(12, 1, 15, 0), 8) == wib(12, 2, 15, 0)
    # Fri 4 Dec 14:00 + 5 h: 1 h 30 to 15:30 (Ramadan's Friday), the weekend, Mon 7 Dec 08:00 + 3 h 30
    assert cal.add_working_hours(wib(12, 4, 14, 0), 5) == wib(12, 7, 11, 30)
    assert not cal.is_working_day(wib(12, 5).date())  # a period changes hours, not days off
    assert not cal.is_working_time(wib(12, 7, 7, 45))  # Ramadan opens at 08:00
    assert not cal.is_working_time(wib(12, 7, 15, 30))  # and closes at 15:00
    # Fri 3 h 30 + 2 h 30, Mon 7 h, Tue 7 h
    assert cal.working_time_between(wib(12, 4), wib(12, 8, 23, 59)) == timedelta(hours=20)
    # Wed 9 Dec is after the period: 07:30 again
    assert cal.next_opening(wib(12, 8, 15, 0)) == wib(12, 9, 7, 30)


def test_a_half_day() -> None:
    cal = office({"date": "2026-12-24", "hours": "08:00-12:00"})
    # Thu 24 Dec 11:00 + 2 h: 1 h to 12:00, then Friday 07:30 + 1 h (no national holidays here)
    assert cal.add_working_hours(wib(12, 24, 11, 0), 2) == wib(12, 25, 8, 30)
    assert not cal.is_working_time(wib(12, 24, 13, 0))
    assert cal.working_time_between(wib(12, 24), wib(12, 25)) == timedelta(hours=4)


def test_a_deadline_spanning_a_periods_start_and_end() -> None:
    cal = office({"name": "audit week", "from": "2026-12-09", "to": "2026-12-10", "hours": "09:00-12:00"})
    # Tue 8 Dec 14:00 + 1 working day (8 h 30): Tue 2 h, Wed 3 h, Thu 3 h, Fri 11 Dec 07:30 + 30 min
    assert cal.add_working_days(wib(12, 8, 14, 0), 1) == wib(12, 11, 8, 0)
    assert cal.working_time_between(wib(12, 8, 14, 0), wib(12, 11, 8, 0)) == timedelta(hours=8, minutes=30)


def test_the_last_period_listed_wins_where_two_overlap() -> None:
    cal = office({"from": "2026-12-01", "to": "2026-12-31", "hours": "08:00-15:00"},
                 {"date": "2026-12-24", "hours": "08:00-12:00"})
    assert cal.hours_on(wib(12, 24).date()) == ((time(8), time(12)),)
    assert cal.hours_on(wib(12, 23).date()) == ((time(8), time(15)),)


def test_the_digest_goes_at_the_days_own_opening() -> None:
    """With `at` None the digest follows the day's opening: 08:00 in Ramadan, 07:30 else."""
    cal = office(RAMADAN)
    assert not digest_due(None, wib(12, 2, 7, 45), cal, at=None)
    assert digest_due(None, wib(12, 2, 8, 0), cal, at=None)
    assert digest_due(None, wib(12, 9, 7, 30), cal, at=None)


@pytest.mark.parametrize(("hours", "periods", "named"), [
    ("08:00-12:00,11:00-16:00", (), "overlap"),
    ({"mon": "08:00-16:00"}, (), "tue is a working day with no hours"),
    ({"thu-mon": "08:00-16:00"}, (), "runs backwards"),
    ({"someday": "08:00-16:00"}, (), "unknown weekday"),
    (WEEK, ({"from": "2026-12-10", "to": "2026-12-01", "hours": "08:00-12:00"},), "ends before it begins"),
    (WEEK, ({"from": "2026-12-10", "hours": "08:00-12:00"},), "from and to"),
    (WEEK, ({"date": "2026-12-10"},), "its hours"),
])
def test_hours_that_cannot_be_worked_are_refused_by_name(hours, periods, named) -> None:
    with pytest.raises((ValueError, TypeError), match=named):
        WorkCalendar.build(hours=hours, country=None, periods=periods)


def test_the_config_takes_a_week_and_periods(tmp_path) -> None:
    """`calendar.hours` as a map and `calendar.periods` from config.yaml, dates as YAML reads them."""
    data = minimal()
    data["calendar"] = yaml.safe_load("""
country_holidays: null
hours: {mon-thu: "07:30-16:00", fri: "07:30-11:30,13:00-16:30"}
periods:
  - {name: ramadan, from: 2026-12-02, to: 2026-12-08, hours: {default: "08:00-15:00"}}
  - {date: 2026-12-24, hours: "08:00-12:00"}
""")
    cfg = parse_config(data, tmp_path / "config.yaml")
    cal = build_calendar(cfg)
    assert cal.add_working_hours(wib(11, 27, 10, 30), 2) == wib(11, 27, 14, 0)
    assert cal.hours_on(wib(12, 3).date()) == ((time(8), time(15)),)
    assert cal.hours_on(wib(12, 24).date()) == ((time(8), time(12)),)
    shown = cal.describe()
    assert "mon-thu 07:30-16:00" in shown and "fri 07:30-11:30,13:00-16:30" in shown
    assert "ramadan 2026-12-02..2026-12-08" in shown


def test_one_range_for_every_day_is_as_before() -> None:
    """`hours: "08:00-16:00"`, the default: nothing changes for a unit that keeps one range."""
    cal = WorkCalendar.build(country=None)
    assert cal.add_working_hours(wib(11, 27, 15, 0), 2) == wib(11, 30, 9, 0)
    assert cal.day_length == timedelta(hours=8)
    assert cal.describe() == "mon-fri 08:00-16:00"


def test_check_shows_the_weeks_hours(tmp_path, capsys) -> None:
    """`mailbot check` shows the hours the timers will count by, periods included."""
    from mailbot.cli.checks import check_local as _check_local
    from mailbot.config.load import parse_config as parse

    data = minimal()
    data["calendar"] = {"country_holidays": None, "hours": {"default": "07:30-16:00", "fri": FRIDAY},
                        "periods": [RAMADAN]}
    data["templates_dir"] = None
    assert _check_local(parse(data, tmp_path / "config.yaml")) == set()
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("calendar: "))
    assert line.startswith("calendar: ok (Asia/Jakarta; mon-thu 07:30-16:00, fri 07:30-11:30,13:00-16:30; ramadan")
    assert "mon 08:00-15:00" in line and "fri 08:00-11:30,13:00-15:30" in line
