"""The daemon mails the monthly summary once, on the first working day.

The rule is checked on its own (holidays, the digest hour, what was sent, a new
installation); then over real mail with `mailbot sweep --now` across New Year 2026:
nothing on the holiday of 1 January, one summary of December on Friday 2 January at
the digest hour, nothing more from a second sweep that day or later, each sweep a
fresh process state, as after a restart.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import yaml

from mailbot.config.load import load_config
from mailbot.core.worktime import WorkCalendar
from mailbot.daemon.wiring import App
from mailbot.io.store import Store
from mailbot.reports.monthly import monthly_due
from mailbot.reports.values import Month
from tests.mailfactory import UNIT, mail, parse, sweep, write_config

WIB = ZoneInfo("Asia/Jakarta")
HEAD, COORDINATOR = "kepala@lpse.test", "koordinator@lpse.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


# --- the rule ------------------------------------------------------------------------------

CAL = WorkCalendar.build()
EXTRA = WorkCalendar.build(extra_holidays=["2026-09-01"])  # a unit's own day off, a Tuesday


EARLY = "2025-06-10T09:00"  # the mailbox's first ticket, long before every month below


@pytest.mark.parametrize(("cal", "last", "now", "due"), [
    (CAL, "2025-11", "2026-01-01T09:00", None),  # New Year's Day: a holiday
    (CAL, "2025-11", "2026-01-02T07:59", None),  # Friday 2 January, before the digest hour
    (CAL, "2025-11", "2026-01-02T08:00", (Month(2025, 12), True)),  # first working day, digest hour
    (CAL, "2025-12", "2026-01-02T08:01", None),  # already sent
    (CAL, "2025-11", "2026-01-03T09:00", None),  # Saturday
    (CAL, "2025-11", "2026-01-05T08:30", (Month(2025, 12), True)),  # missed on Friday: Monday catches up
    (CAL, None, "2026-01-02T08:00", (Month(2025, 12), True)),  # a new installation on the first working day
    (CAL, None, "2026-01-05T08:00", (Month(2025, 12), False)),  # later: December only recorded
    (EXTRA, "2026-07", "2026-09-01T09:00", None),  # extra_holidays: Tuesday 1 September is off
    (EXTRA, "2026-07", "2026-09-02T08:00", (Month(2026, 8), True)),
    (CAL, "2026-07", "2026-09-01T09:00", (Month(2026, 8), True)),  # without it, Tuesday 1 September
])
def test_due_on_the_first_working_day_at_the_digest_hour(cal, last, now, due):
    """Holidays, weekends and the hours before 08:00 send nothing; a sent month is not sent again."""
    assert monthly_due(last, at(now), cal, at(EARLY)) == due


@pytest.mark.parametrize(("last", "first_ticket", "now", "due"), [
    # installed on Friday 2 January 2026 at 09:10, its first pass at once: the first ticket
    # opens that morning; December was before it, nothing to summarise
    (None, "2026-01-02T09:10", "2026-01-02T09:11", (Month(2025, 12), False)),
    (None, None, "2026-01-02T09:11", (Month(2025, 12), False)),  # no ticket at all yet
    (None, "2025-12-31T23:59", "2026-01-02T09:11", (Month(2025, 12), True)),  # one December ticket
    (None, "2026-01-01T00:00", "2026-01-02T09:11", (Month(2025, 12), False)),  # the first one in January
    # installed in December, no ticket before February: January recorded, never summarised
    ("2025-12", "2026-02-03T10:00", "2026-02-02T08:00", (Month(2026, 1), False)),
    ("2025-12", "2026-01-20T10:00", "2026-02-02T08:00", (Month(2026, 1), True)),
])
def test_no_summary_of_a_month_before_the_first_ticket(last, first_ticket, now, due):
    """A new install whose first pass falls on the first working day after 08:00
    mails no empty summary of the month before it was installed."""
    first = at(first_ticket) if first_ticket else None
    assert monthly_due(last, at(now), CAL, first) == due


def test_monthly_false_sends_nothing(tmp_path):
    """`reports: {monthly: false}` turns the daemon's summary off."""
    config = write_config(_Unreachable(), tmp_path, reports={"monthly": False})
    app = App(load_config(config), clock=lambda: at("2026-01-02T09:00"))
    assert app.sweep()["reports"] == 0
    assert app.store.db.execute("select count(*) from outbox where kind = 'monthly_summary'").fetchone()[0] == 0


def test_a_new_install_on_the_first_working_day_sends_no_summary_of_the_month_before(tmp_path):
    """Installed on Friday 2 January 2026 at 09:10 (after the digest hour), its first
    sweep queues no summary of December, a month it never saw; December is recorded as done."""
    config = write_config(_Unreachable(), tmp_path)
    app = App(load_config(config), clock=lambda: at("2026-01-02T09:10"))
    assert app.sweep()["reports"] == 0
    assert app.store.db.execute("select count(*) from outbox where kind = 'monthly_summary'").fetchone()[0] == 0
    assert app.store.metadata.meta("monthly_summary:t") == "2025-12"


class _Unreachable:
    """Server addresses for a config whose servers are never contacted."""

    host, smtp_port, imap_port = "127.0.0.1", 9, 9

    def password_for(self, user: str) -> str:
        return "unused"


# --- over real mail ------------------------------------------------------------------------


def summaries(servers, user: str):
    return [m for m in (parse(raw) for raw in servers.fetch(user)) if m["X-Mailbot-Kind"] == "monthly_summary"]


def test_sent_once_on_the_first_working_day_after_new_year(fresh_mailboxes, tmp_path):
    """Nothing on 1 January (holiday), one summary of December on 2 January from 08:00, then no more."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, language="en")
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0]["heads"] = [HEAD]
    config.write_text(yaml.safe_dump(data))
    # a December ticket, handled by the daemon code on Monday 15 December (the daemon's first
    # sweep: November, a month it did not see, is only recorded)
    raw, _ = mail("budi@vendor.test", "Gagal upload dokumen", "Upload dokumen penawaran gagal terus.")
    servers.append(UNIT, raw, msg_time=at("2025-12-15T09:59"))
    app = App(load_config(config), clock=lambda: at("2025-12-15T10:00"))
    app.run_once()
    app.store.close()
    assert summaries(servers, HEAD) == []

    sweep(config, at("2025-12-31T16:00"))
    sweep(config, at("2026-01-01T09:00"))  # Thursday, New Year's Day
    sweep(config, at("2026-01-02T07:59"))  # Friday, before the digest hour
    assert summaries(servers, HEAD) == []

    sweep(config, at("2026-01-02T08:00"))
    [summary] = summaries(servers, HEAD)
    assert summary["Subject"] == "Monthly summary December 2025"  # language: en
    html = summary.get_body(("html",)).get_content()
    assert "<p>1 ticket in " in html and "1 tickets" not in html  # English counts one as one
    assert "high ≤ 1 working hour," in html and "1 working hours" not in html  # the first-response target
    assert summary["Auto-Submitted"] == "auto-generated"
    assert [a.addr_spec for a in summary["Cc"].addresses] == [COORDINATOR]
    [attachment] = list(summary.iter_attachments())
    (tmp_path / "december.xlsx").write_bytes(attachment.get_content())
    sheet = openpyxl.load_workbook(tmp_path / "december.xlsx").active
    assert [r[2] for r in sheet.iter_rows(min_row=3, values_only=True)] == ["budi@vendor.test"]
    assert len(summaries(servers, COORDINATOR)) == 1

    sweep(config, at("2026-01-02T10:00"))  # a second sweep that day
    sweep(config, at("2026-01-05T08:00"))  # the next working day
    assert len(summaries(servers, HEAD)) == 1
    store = Store(load_config(config).database)
    assert store.metadata.meta("monthly_summary:t") == "2025-12"
    queued = store.db.execute("select at from events where kind = 'monthly_summary_queued'").fetchall()
    assert [datetime.fromisoformat(row[0]) for row in queued] == [at("2026-01-02T08:00")]
