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
* Acks to new addresses the unit's own server does not vouch for: at most
  `limits.acks_per_hour` an hour unit-wide, and at most a domain's share of it
  (`ack_share`: all of it but a reserve for the other domains) to one domain. Past them
  the ack is held, not dropped: it goes when the hour allows, oldest first (`ack_slot`).
  An authenticated sender's ack is never counted: a flood of strangers cannot deny a
  requester the unit can recognise. An ack is counted at the moment its mail reached the
  mailbox (a backlog read after a night down is no flood), and sent no earlier
  than now.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailbot.model import Refusal

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
    counted: str = ""  # an ack counted against the unit's ack budget: the domain it goes to
    counted_at: datetime | None = None  # when it is counted, if not at `send_at` (its mail's arrival)
    why: Refusal | None = None  # `reason` as a code and values, for mail in the mailbox's language


def address_limit(address: str, last_hour: int, last_day: int, limit: int) -> Refusal | None:
    """Why one more automatic mail to `address` would feed a loop, or None."""
    if last_hour >= limit:
        return Refusal("limit_address_hour", value=str(limit), name=address)
    if last_day >= limit * DAILY_FACTOR:
        return Refusal("limit_address_day", value=str(limit * DAILY_FACTOR), name=address)
    return None


def limited(why: Refusal, **kw: object) -> Schedule:
    """A schedule that holds or stops a mail for `why`, its English kept as the reason."""
    return Schedule(why=why, reason=str(why), **kw)  # type: ignore[arg-type]


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


# A domain's share of the ack budget (SPEC 5): all of it but a reserve kept for the
# other domains, a fifth. A busy hour of one domain (the vendors of a unit that mostly write
# from gmail.com, an outage morning when forty of them write "tidak bisa login") is acked at
# once, and a flood from one domain, however large, still leaves every other domain a fifth
# of each hour. An earlier rule had it the other way round (a domain got a fifth), which held the
# thirteenth gmail.com requester of an hour for up to an hour while nobody else was waiting.
# Never less than `autoreply_limit` (what one address may have), never more than the budget.
RESERVE_DIVISOR = 5


def ack_share(budget: int, floor: int) -> int:
    """How many of the hour's `budget` acks one domain may take."""
    return min(budget, max(floor, budget - budget // RESERVE_DIVISOR))


def ack_slot(now: datetime, counted: list[datetime], domain: list[datetime], budget: int,
             share: int) -> tuple[datetime, bool]:
    """When one more counted ack may go, and whether the domain's share decided that.

    `counted`: the send times of the mailbox's counted acks, `domain`: those of them to the
    same domain, held ones included. The ack goes at the first moment from `now` on at which
    every hour around it keeps at most `budget` of them, and at most `share` to one domain:
    acks held by the budget go in the order they came (oldest first), and a domain held by
    its share takes no turn from the others, which go in the hours it leaves free."""
    every, mine = _last_hour(counted, now), _last_hour(domain, now)
    budget_free: datetime | None = None
    for moment in _turns(now, every):
        if not _fits(moment, every, budget):
            continue
        budget_free = budget_free or moment
        if _fits(moment, mine, share):
            return moment, moment > budget_free
    # unreachable: an hour after the last counted ack every window is free of them
    return (every[-1] if every else now) + HOUR, False


def _last_hour(slots: list[datetime], now: datetime) -> list[datetime]:
    """The send times of the hour before `now`, oldest first."""
    return sorted(s for s in slots if s > now - HOUR)


def _turns(now: datetime, every: list[datetime]) -> list[datetime]:
    """The moments an ack may go at: now, and each moment a counted one leaves the hour."""
    return sorted({now, *(s + HOUR for s in every if s + HOUR > now)})


def _fits(moment: datetime, ordered: list[datetime], cap: int) -> bool:
    """Whether one more send at `moment` keeps every hour-long window holding it below `cap`
    others in `ordered` (sorted): the window ending at it, and each ending at a later send
    within the hour."""
    if bisect_right(ordered, moment) - bisect_right(ordered, moment - HOUR) >= cap:
        return False
    later = ordered[bisect_right(ordered, moment):bisect_left(ordered, moment + HOUR)]
    return all(bisect_right(ordered, g) - bisect_right(ordered, g - HOUR) < cap for g in later)
