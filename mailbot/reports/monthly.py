"""When the monthly summary is due: on the first working day of a month, at the digest hour.

`Timekeeper.monthly_summary` asks `monthly_due` for every mailbox at each sweep. The previous
month's summary goes to the heads (coordinators in copy) once: the month sent is
recorded in `meta` in the same transaction as the outbox row, so a restart neither
loses nor repeats it. A daemon that was down on the first working day sends it at its
first sweep on a later working day; a new installation starts with the next month, and
no month that ended before the mailbox's first ticket is sent.
`reports.monthly: false` turns it off.
"""

from __future__ import annotations

from datetime import date, datetime, time

from mailbot.core.worktime import WorkCalendar
from mailbot.reports.values import Month

DIGEST_HOUR = time(8)  # the hour of the daily digest (overdue.digest_due)


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
