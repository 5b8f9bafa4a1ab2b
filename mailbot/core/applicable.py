"""What a staff notice says of its ticket now: the commands that apply to it in its state
and situation, and its deadlines (`shown_deadlines`, as every other place shows them). Pure.

The commands come from the two tables that decide them, so that the notices cannot drift
from what runs: the table of commands (`command_table.COMMANDS`) gives each command and the
event the classifier makes of it, and the lifecycle's table (`lifecycle.TABLE`, built from
`_ROWS`) whether that event runs in the ticket's state. A command the table would refuse
(`#tutup` on a closed ticket, `#permintaan-data` on an open one) is never offered; the few
that need more than the state (`StaffCommand.needs`: an answer of LKPP's to pass on, an
acknowledgement that waits for staff, a requester who can receive mail, a solved case shown
alike) are offered only where the notice's facts say so. The answers to a held form (`#buka`,
`#batal`) make no event on a ticket: they are offered by their own mail alone, never in a
notice on a ticket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from mailbot.core.command_table import COMMANDS
from mailbot.core.lifecycle import TABLE
from mailbot.core.shown_deadlines import ShownDeadline, shown_deadlines
from mailbot.core.worktime import WorkCalendar
from mailbot.model import State, Ticket, Timer, TimerKind, has_mailbox

if TYPE_CHECKING:
    from mailbot.core.plan_inputs import Setup, Texts
    from mailbot.rules import Deadlines

# How a notice tells staff that the requester's acknowledgement waits for their `#kirim-tanda-terima`
# (`plan._with_ack_unsent`): withheld for a forged sender, over the hour's budget, or stopped
# as an automatic sender's. One held for the budget goes by itself (`ack_held`): nothing to do.
ACK_WAITING = frozenset({"ack_withheld", "ack_awaits_staff", "ack_suppressed"})


def offered(state: State | str | None, situation: Iterable[str] = ()) -> tuple[str, ...]:
    """The commands that apply now to a ticket in `state` (in the command table's order): the
    lifecycle runs the event each makes in that state, and the situation it needs is there."""
    if not state:
        return ()
    state = State(state)
    have = frozenset(situation) | {""}
    return tuple(c.name for c in COMMANDS if c.event is not None and (c.event, state) in TABLE and c.needs in have)


def situation(context: Mapping[str, Any]) -> frozenset[str]:
    """The situations commands need (`StaffCommand.needs`) that a notice's context shows: those
    the plan found (`situation`), an acknowledgement that waits for staff, the solved cases it
    lists (or previews), an unverified LKPP mail that staff may pass on by answering its alert
    (`lifecycle.vouches`)."""
    found = set(context.get("situation") or ())
    if context.get("ack_unsent") in ACK_WAITING:
        found.add("ack_waiting")
    if context.get("similar") or context.get("reusing"):  # solved cases listed, or one previewed
        found.add("similar")
    if context.get("from_lkpp"):  # an LKPP mail that failed authentication: staff who read it vouch for it
        found.add("lkpp_answer")
    return frozenset(found)


def offered_now(context: Mapping[str, Any]) -> tuple[str, ...]:
    """The commands a notice with this template context offers (`offered`)."""
    return offered(context.get("state") or None, situation(context))


def next_deadlines(ticket: Ticket, running: Mapping[TimerKind, Timer], now: datetime, cal: WorkCalendar,
                   d: Deadlines) -> list[dict[str, object]]:
    """The ticket's deadlines as a notice's footer shows them (`shown_deadlines`: the running
    clocks', a stopped one with what is left of it), instants in the unit's zone."""
    return [deadline_row(entry, cal.tz) for entry in shown_deadlines(ticket, running.values(), now, cal, d)]


def deadline_row(entry: ShownDeadline, tz: tzinfo) -> dict[str, object]:
    """One shown deadline as the templates read it: its kind (the words name what it waits
    on), when (ISO, "" while stopped), whether past, and what is left of a stopped clock
    (minutes) or when the ticket closes without what it waits for."""
    row: dict[str, object] = {"kind": str(entry.kind), "at": entry.at.astimezone(tz).isoformat() if entry.at else "",
                              "past": entry.past, "waits_on": entry.waits_on}
    if entry.stopped:
        row["stopped"] = True
        row["left_minutes"] = round((entry.left or timedelta(0)) / timedelta(minutes=1))
    if entry.closes_at is not None and entry.closes_at != entry.at:
        row["closes_at"] = entry.closes_at.astimezone(tz).isoformat()
    return row


def ticket_notice(ticket: Ticket, running: Mapping[TimerKind, Timer], texts: Texts, setup: Setup,
                  at: datetime) -> dict[str, object]:
    """What a mail going `at` says of its ticket now (`notice_facts`), an LKPP answer waiting
    when the ticket's latest one was not passed on to the requester."""
    waiting = texts.latest_lkpp is not None and texts.lkpp_passed_on is None
    return notice_facts(ticket, running, waiting, setup.calendar, setup.rules.deadlines(ticket.priority), at)


def notice_facts(ticket: Ticket, running: Mapping[TimerKind, Timer], lkpp_answered: bool, cal: WorkCalendar,
                 d: Deadlines, now: datetime) -> dict[str, object]:
    """What a notice's template context says of its ticket now: its deadlines, and the
    situations its commands need that the plan knows (`StaffCommand.needs`)."""
    found = [name for name, on in (("lkpp_answer", lkpp_answered), ("mailbox", has_mailbox(ticket.requester.addr)))
             if on]
    return {"deadlines": next_deadlines(ticket, running, now, cal, d), "situation": found}
