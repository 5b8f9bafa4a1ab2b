"""The daemon's monthly summary: on the first working day of a month, at the digest hour.

`Timekeeper.sweep` calls `send_monthly_summary` for every mailbox. The previous
month's summary goes to the heads (coordinators in copy) once: the month sent is
recorded in `meta` in the same transaction as the outbox row, so a restart neither
loses nor repeats it. A daemon that was down on the first working day sends it at its
first sweep on a later working day; a new installation starts with the next month, and
no month that ended before the mailbox's first ticket is sent.
`reports.monthly: false` turns it off.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from mailbot.core.settings import MailboxConfig
from mailbot.core.worktime import WorkCalendar
from mailbot.io.store import parse_ts, ts
from mailbot.reports.model import Month

if TYPE_CHECKING:
    from mailbot.timekeeper import Timekeeper

DIGEST_HOUR = time(8)  # the hour of the daily digest (deadlines.digest_due)
RETRY_AFTER = timedelta(hours=1)  # after a failure, so a broken report does not fill the log
STORAGE_ERRORS = (sqlite3.Error, OSError)  # as the timekeeper's: they end the sweep


def first_working_day(month: Month, cal: WorkCalendar) -> date:
    return next(day for day in month.days() if cal.is_working_day(day))


def monthly_due(last_sent: str | None, now: datetime, cal: WorkCalendar, first_ticket: datetime | None,
                at: time = DIGEST_HOUR) -> tuple[Month, bool] | None:
    """The month whose summary is due at `now` and whether to send it, or None.

    Due on a working day at or after `at` (local time) until the previous month's
    summary is recorded as sent: the first such moment is the first working day of
    the month at the digest hour; holidays and weekends before it send nothing. With
    nothing recorded yet (a new installation) after that first working day, the month
    is only recorded (False): no summary of a month mailbot did not see. Nor is a month
    that ended before the mailbox's `first_ticket` (or with none yet) sent: a unit
    installed on the first working day, after the digest hour, would get an empty
    summary of the month before it was installed.
    """
    local = now.astimezone(cal.tz)
    if not cal.is_working_day(local.date()) or local.time() < at:
        return None
    current = Month(local.year, local.month)
    month = current.previous()
    if last_sent is not None and Month.parse(last_sent) >= month:
        return None
    seen = first_ticket is not None and first_ticket < month.end(cal.tz)
    return month, seen and (last_sent is not None or local.date() == first_working_day(current, cal))


def send_monthly_summary(keeper: Timekeeper, box: MailboxConfig, now: datetime) -> int:
    """Queue the previous month's summary of `box` when it is due; 1 when queued."""
    if not keeper.cfg.reports.monthly:
        return 0
    key, failed_key = f"monthly_summary:{box.name}", f"monthly_summary_failed:{box.name}"
    last = keeper.store.meta(key)
    due = monthly_due(last, now, keeper.calendar, keeper.store.first_ticket_at(box.name))
    if due is None:
        return 0
    month, send_it = due
    if not send_it:
        keeper.store.set_meta(key, str(month))
        return 0
    failed = parse_ts(keeper.store.meta(failed_key))
    if failed is not None and now - failed < RETRY_AFTER:
        return 0
    from mailbot.reports.service import summary_send  # lazily: charts and XLSX, once a month

    try:
        send = summary_send(keeper.store, keeper.cfg, keeper.rules, keeper.calendar, box, month, now)
        with keeper.store.unit_of_work():
            if keeper.store.meta(key) != last:  # another process on this database queued it meanwhile
                return 0
            keeper.mailer.enqueue(box, send, None, None, now)
            keeper.store.set_meta(key, str(month))
            keeper.store.add_event(box.name, None, now, "mailbot", "monthly_summary_queued", month=str(month))
    except STORAGE_ERRORS:
        raise  # not the report's fault: the sweep ends for the caller, as for timers
    except Exception as exc:  # the report's own failure boundary: told once, tried again later
        keeper.log.exception("monthly_summary_failed", mailbox=box.name, month=str(month))
        keeper.store.set_meta(failed_key, ts(now))
        keeper.alert_once(box, now, f"alerted:monthly:{box.name}", str(month),
                          {"alert": "summary_failed", "month": str(month), "error": f"{type(exc).__name__}: {exc}"})
        return 0
    keeper.log.info("monthly_summary_queued", mailbox=box.name, month=str(month))
    return 1
