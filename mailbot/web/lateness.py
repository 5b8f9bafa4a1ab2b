"""Which unclosed tickets are late now, and by how much, at a desk of thousands (SPEC 13:
one row per ticket with its most urgent lateness, every filter before any cut).

The core reads a ticket's breaches from the ticket and its timers (`core.overdue.breaches`,
the digest's own reading); none of that depends on the time, so the window reads it once
and keeps it. On each request the store says whether anything was committed since
(`Reader.version`: a counter or a snapshot, read in microseconds); only then are the
unclosed tickets' change stamps and timers read again and compared with what is kept, and
the tickets that changed read and judged again. At rest a request costs one pass over the
kept breaches; after a change, two narrow reads and the changed tickets.

Lateness is told in one unit: the working time since the ticket's earliest breach began
("2 hari kerja 3 jam"), the 3x24h standard's too (its deadline is wall-clock time, the time
past it is counted as every other's): the column never mixes "hari" and "hari kerja", and
the most urgent lateness is the earliest breach, which is what the list sorts by.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mailbot.core.overdue import DeadlineBreach, Overdue, breached_at, breaches, entry_of
from mailbot.core.worktime import WorkCalendar
from mailbot.io.store import Store
from mailbot.io.store.lists import TimerRow
from mailbot.model import Ticket, Timer
from mailbot.rules import Rules


@dataclass(frozen=True)
class Late:
    """A ticket late now: its most urgent breach, and how many deadlines it has passed."""

    ticket: Ticket
    breach: DeadlineBreach
    passed: int

    @property
    def start(self) -> datetime:
        return self.breach.start


# A ticket as judged: itself, its breaches as things stand, when the first of them begins.
Judged = tuple[Ticket, tuple[DeadlineBreach, ...], datetime | None]


@dataclass
class _Kept:
    """What was read of one mailbox, and on which connection at which version."""

    database: object = None
    version: str | None = None
    stamps: dict[int, str] = field(default_factory=dict)
    timers: dict[int, tuple[TimerRow, ...]] = field(default_factory=dict)
    judged: dict[int, Judged] = field(default_factory=dict)

    def changed(self, stamps: dict[int, str], timers: dict[int, tuple[TimerRow, ...]]) -> set[int]:
        """The unclosed tickets whose row or timers differ from what was kept (or were not kept)."""
        return {i for i, stamp in stamps.items()
                if self.stamps.get(i) != stamp or self.timers.get(i) != timers.get(i) or i not in self.judged}


class Lateness:
    """The kept breaches of each mailbox's unclosed tickets (thread-safe)."""

    def __init__(self, rules: Rules, calendar: WorkCalendar) -> None:
        self.rules = rules
        self.calendar = calendar
        self.lock = threading.Lock()
        self.kept: dict[str, _Kept] = {}

    def late(self, store: Store, mailbox: str, now: datetime) -> dict[int, Late]:
        """The mailbox's tickets late at `now`, by id."""
        with self.lock:
            kept = self._fresh(store, mailbox)
            found = {}
            for ticket_id, (ticket, judged, earliest) in kept.judged.items():
                if earliest is None or earliest > now:
                    continue
                chosen = breached_at(judged, now)
                if chosen:
                    first = min(chosen.values(), key=lambda b: b.start)
                    found[ticket_id] = Late(ticket, first, len(chosen))
            return found

    def next_due(self, mailbox: str) -> dict[int, str]:
        """Each unclosed ticket's next running deadline as kept (ISO text, sorts as time)."""
        with self.lock:
            kept = self.kept.get(mailbox) or _Kept()
            return {ticket_id: min(row[2] for row in rows) for ticket_id, rows in kept.timers.items() if rows}

    def entries(self, store: Store, mailbox: str, ticket_id: int, now: datetime) -> list[Overdue]:
        """Every deadline one ticket has passed at `now`, as the digest has them (its page)."""
        with self.lock:
            judged = self._fresh(store, mailbox).judged.get(ticket_id)
        if judged is None:
            return []
        ticket, found, _earliest = judged
        chosen = breached_at(found, now).values()
        return sorted((entry_of(ticket, b, now, self.calendar, self.rules.deadlines(ticket.priority)) for b in chosen),
                      key=lambda o: o.due_at)

    def entry(self, late: Late, now: datetime) -> Overdue:
        """The digest's entry of a late ticket's most urgent breach (on whom it waits, since
        when, why), for the rows a page shows."""
        return entry_of(late.ticket, late.breach, now, self.calendar, self.rules.deadlines(late.ticket.priority))

    def waited(self, late: Late, now: datetime) -> timedelta:
        """How long past its deadline a late ticket is, in working time."""
        return self.calendar.working_time_between(late.start, now)

    def _fresh(self, store: Store, mailbox: str) -> _Kept:
        kept = self.kept.setdefault(mailbox, _Kept())
        version = store.lists.version()  # first: whatever commits after it shows at the next request
        if kept.database is store.database and kept.version == version:
            return kept
        stamps = store.lists.unclosed_stamps(mailbox)
        timers = store.lists.breach_timers(mailbox)
        changed = kept.changed(stamps, timers)
        judged = {i: kept.judged[i] for i in stamps if i not in changed}
        for ticket in store.lists.tickets(changed):
            assert ticket.id is not None  # one closed meanwhile is judged so, and left out at the next reading
            judged[ticket.id] = self._judged(ticket, store.lists.timers_of(timers.get(ticket.id, ())))
        self.kept[mailbox] = _Kept(store.database, version, stamps, timers, judged)
        return self.kept[mailbox]

    def _judged(self, ticket: Ticket, timers: list[Timer]) -> Judged:
        """The ticket's breaches as things stand, and when the first of them begins."""
        found = breaches(ticket, timers, self.calendar, self.rules.deadlines(ticket.priority))
        return ticket, found, min((b.start for b in found), default=None)
