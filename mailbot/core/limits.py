"""Loop limits (SPEC section 5): they stop mail loops and nothing else. Pure.

Only automatic mail that no person caused is limited: acknowledgements, reminders,
`unverified` and `command_error` answers, notices of the timers. Mail caused by an
authenticated staff or LKPP message (relays, solutions, data requests, escalations,
the requester's data forwarded to LKPP) is never limited, and mail to the unit's own
staff, coordinators and heads or to LKPP is never counted.

* Per outside address: at most `autoreply_limit` an hour and twice that a day. Past
  it the mail is not sent: an auto-responder that answers everything must not be
  answered again, now or later.
* Per ticket, to its requester: at most `ticket_mails_per_hour` an hour. Past it the
  mail is held, not dropped: it goes when the hour allows, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DAILY_FACTOR = 2  # an outside address gets at most twice the hourly limit a day


@dataclass(frozen=True)
class Schedule:
    """When a mail may go. `send_at` None: it is not sent at all."""

    send_at: datetime | None
    held: bool = False
    reason: str = ""
    cause: str = ""  # what the coordinators are alerted about, once a day: "address:..." | "ticket:..." | "acks:..."
    waits: bool = False  # not sent until staff ask for it (`#kirim-tanda-terima`)


def address_limit(address: str, last_hour: int, last_day: int, limit: int) -> str | None:
    """Why one more automatic mail to `address` would feed a loop, or None."""
    if last_hour >= limit:
        return f"autoreply_limit of {limit} per hour reached for {address}"
    if last_day >= limit * DAILY_FACTOR:
        return f"autoreply_limit of {limit * DAILY_FACTOR} per day reached for {address}"
    return None


def ticket_slot(now: datetime, slots: list[datetime], cap: int) -> datetime:
    """The first moment at or after `now` when one more mail keeps every hour at `cap`.

    `slots` are the send times of the ticket's limited mail to its requester, oldest
    first, including those held for later. A new mail goes one hour after the cap-th
    most recent of them, or now when there are fewer.
    """
    recent = [s for s in slots if s > now - HOUR]
    if len(recent) < cap:
        return now
    return max(now, recent[-cap] + HOUR)
