"""The digest names the tickets it counts (seed 004 step 8: a coordinator's reply names the
tickets it directs), also on a day when nothing is overdue. Pure: `overdue.digest_context`."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from mailbot.core.overdue import Overdue, digest_context
from mailbot.core.worktime import WorkCalendar
from mailbot.model import TimerKind

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=WIB)
CAL = WorkCalendar.build()
COUNTS = {"open": 32, "answered": 1, "closed": 40}
NAMED = {"open": ([f"2026-{n:05d}" for n in range(1, 31)], 2), "answered": (["2026-00031"], 0),
         "closed": (["2026-00099"], 0)}


def test_nothing_overdue_the_digest_names_each_states_tickets_and_an_example_among_them():
    context = digest_context(COUNTS, [], NOW, CAL, NAMED)
    named = context["named"]
    assert isinstance(named, dict)
    assert named["open"] == {"numbers": [f"2026-{n:05d}" for n in range(1, 31)], "more": 2}
    assert named["answered"] == {"numbers": ["2026-00031"], "more": 0}
    assert "closed" not in named  # counted, never named: nothing waits on a closed ticket
    assert context["example"] == "2026-00001"


def test_the_example_is_the_first_overdue_ticket_when_one_is():
    late = Overdue("2026-00031", "Akun terkunci", "answered", TimerKind.RESOLUTION, NOW - timedelta(hours=3),
                   timedelta(hours=3), "requester", 72)
    assert digest_context(COUNTS, [late], NOW, CAL, NAMED)["example"] == "2026-00031"


def test_a_unit_with_no_unclosed_ticket_names_none():
    context = digest_context({"closed": 3}, [], NOW, CAL, {})
    assert (context["named"], context["example"]) == ({}, "")
