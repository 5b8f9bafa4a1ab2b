"""What a staff notice says of its ticket now: the commands that apply to it in its state
and situation, and its deadlines (`shown_deadlines`, as every other place shows them). Pure.

The commands come from the two tables that decide them, so that the notices cannot drift
from what runs: the parser's one table of commands (`commands.NAMES`) gives each command,
`COMMAND_EVENTS` the event the classifier makes of it (`classify` reads its state commands
here), and the lifecycle's table (`lifecycle.TABLE`, built from `_ROWS`) whether that
event runs in the ticket's state. A command the table would refuse (`#tutup` on a closed
ticket, `#permintaan-data` on an open one) is never offered; the few that need more than
the state (`NEEDS`: an answer of LKPP's to pass on, an acknowledgement that waits for staff,
a requester who can receive mail, a solved case shown alike) are offered only where the
notice's facts say so. The answers to a held form (`#buka`, `#batal`) are offered by their
own mail alone, never in a notice on a ticket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from mailbot.core.commands import FORM_ANSWERS, NAMES
from mailbot.core.facts import Event
from mailbot.core.lifecycle import TABLE
from mailbot.core.shown_deadlines import ShownDeadline, shown_deadlines
from mailbot.core.worktime import WorkCalendar
from mailbot.model import State, Ticket, Timer, TimerKind, has_mailbox

if TYPE_CHECKING:
    from mailbot.rules import Deadlines

# The event each staff command makes of a reply (`classify._staff_event`): a state command's
# own, a data command's when it stands alone. `#jawab-seperti` resolves as `#selesai` does;
# `#kirim-tanda-terima` rides along with any reply, as the other data commands do.
COMMAND_EVENTS: dict[str, Event] = {
    "escalate": Event.STAFF_ESCALATE, "resolve": Event.STAFF_RESOLVE, "close": Event.STAFF_CLOSE,
    "note": Event.STAFF_NOTE, "priority": Event.STAFF_META, "category": Event.STAFF_META,
    "assign": Event.STAFF_META, "relay": Event.STAFF_RELAY, "need_info": Event.STAFF_NEED_INFO,
    "coordinator": Event.STAFF_COORDINATOR, "data": Event.STAFF_DATA, "answer": Event.STAFF_REPLY,
    "send_ack": Event.STAFF_META, "answer_like": Event.STAFF_RESOLVE, "history": Event.STAFF_HISTORY,
    "lpse_support": Event.STAFF_LPSE_SUPPORT, "report_head": Event.STAFF_REPORT_HEAD,
    "request_info": Event.STAFF_REQUEST_INFO,
}

# What a command needs besides a state the table allows, by the name of that situation:
# `#teruskan` / `#permintaan-data` an LKPP answer on the ticket to pass on (E12, E12a: refused
# without one); `#kirim-tanda-terima` an acknowledgement that waits for staff's word (issue
# 37); `#minta-data` a requester who can receive mail (a caller who gave none cannot answer);
# `#jawab-seperti` a solved case the notice shows as alike (its number is there).
NEEDS: dict[str, str] = {
    "relay": "lkpp_answer", "need_info": "lkpp_answer", "send_ack": "ack_waiting",
    "request_info": "mailbox", "answer_like": "similar",
}
# How a notice tells staff that the requester's acknowledgement waits for their `#kirim-tanda-terima`
# (`plan._with_ack_unsent`): withheld for a forged sender, over the hour's budget, or stopped
# as an automatic sender's. One held for the budget goes by itself (`ack_held`): nothing to do.
ACK_WAITING = frozenset({"ack_withheld", "ack_awaits_staff", "ack_suppressed"})


def offered(state: State | str | None, situation: Iterable[str] = ()) -> tuple[str, ...]:
    """The commands that apply now to a ticket in `state` (in the command table's order)."""
    if not state:
        return ()
    state = State(state)
    have = frozenset(situation)
    return tuple(name for name in NAMES if name not in FORM_ANSWERS
                 and (COMMAND_EVENTS[name], state) in TABLE and NEEDS.get(name, "") in have | {""})


def situation(context: Mapping[str, Any]) -> frozenset[str]:
    """The situations (`NEEDS`) a notice's context shows: those the plan found (`situation`),
    an acknowledgement that waits for staff, the solved cases it lists (or previews), an unverified LKPP mail
    that staff may pass on by answering its alert (`lifecycle.vouches`)."""
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


def notice_facts(ticket: Ticket, running: Mapping[TimerKind, Timer], lkpp_answered: bool, cal: WorkCalendar,
                 d: Deadlines, now: datetime) -> dict[str, object]:
    """What a notice's template context says of its ticket now: its deadlines, and the
    situations its commands need that the plan knows (`NEEDS`)."""
    found = [name for name, on in (("lkpp_answer", lkpp_answered), ("mailbox", has_mailbox(ticket.requester.addr)))
             if on]
    return {"deadlines": next_deadlines(ticket, running, now, cal, d), "situation": found}
