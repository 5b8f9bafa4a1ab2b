"""Which unclosed tickets are late now, and by how much, at a desk of thousands (SPEC 13:
one row per ticket with its most urgent lateness, every filter before any cut).

The core reads a ticket's deadlines from the ticket and its timers (`core.shown_deadlines`,
the one reading every page and the digest share: `standing`, then `shown_at` a moment);
the first part does not depend on the time, so the window reads it once and keeps it. On
each request the store says whether anything was committed since (`Lists.version`: its
files' state or the snapshot, read in microseconds, whichever connection asks); only then
are the unclosed tickets' change stamps and timers read again and compared with what is
kept, and the tickets that changed read and judged again. Which tickets are late then
changes only when the time reaches the next deadline's running out, so that answer is kept
until then too: at rest a request costs that look; after a change, two narrow reads, the
changed tickets and one pass over the kept deadlines.

Lateness is told in one unit: the working time since the ticket's earliest breach began
("2 hari kerja 3 jam"), the 3x24h standard's too (its deadline is wall-clock time, the time
past it is counted as every other's): the column never mixes "hari" and "hari kerja", and
the most urgent lateness is the earliest breach, which is what the list sorts by.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from mailbot.core.overdue import Overdue, breached, entry_of
from mailbot.core.shown_deadlines import ShownDeadline, shown_at, standing
from mailbot.core.worktime import WorkCalendar
from mailbot.io.store import Store
from mailbot.io.store.lists import TimerRow
from mailbot.model import Ticket, Timer
from mailbot.rules import Rules


@dataclass(frozen=True)
class Late:
    """A ticket late now: its most urgent breach, and how many deadlines it has passed."""

    ticket: Ticket
    breach: ShownDeadline
    passed: int

    @property
    def start(self) -> datetime:
        assert self.breach.at is not None  # a breach has run out
        return self.breach.at


# A ticket as judged: itself and its deadlines as things stand (`standing`).
Judged = tuple[Ticket, tuple[ShownDeadline, ...]]


def _late_at(judged: dict[int, Judged], now: datetime) -> tuple[datetime, dict[int, Late]]:
    """The tickets late at `now`, and until when that holds (the next deadline's running out)."""
    found, following = {}, datetime.max.replace(tzinfo=now.tzinfo)
    for ticket_id, (ticket, deadlines) in judged.items():
        chosen = breached(shown_at(deadlines, now))
        if chosen:
            found[ticket_id] = Late(ticket, min(chosen, key=lambda e: e.at or now), len(chosen))
        following = min((e.at for e in deadlines if e.at is not None and not e.stopped and now < e.at < following),
                        default=following)
    return following, found


@dataclass
class _Kept:
    """What was read of one mailbox, at which version of the store."""

    version: str | None = None
    stamps: dict[int, str] = field(default_factory=dict)
    timers: dict[int, tuple[TimerRow, ...]] = field(default_factory=dict)
    judged: dict[int, Judged] = field(default_factory=dict)
    next_due: dict[int, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    answer: tuple[datetime, datetime, dict[int, Late]] | None = None  # `late`'s, from when until when

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
        """The mailbox's tickets late at `now`, by id: the same answer until the kept reading
        changes or `now` reaches the next breach's start, so it is kept for as long."""
        with self.lock:
            kept = self._fresh(store, mailbox)
            if kept.answer is None or not kept.answer[0] <= now < kept.answer[1]:
                kept.answer = (now, *_late_at(kept.judged, now))
            return kept.answer[2]

    def entries(self, store: Store, mailbox: str, ticket_id: int, now: datetime) -> list[Overdue]:
        """Every deadline one ticket has passed at `now`, as the digest has them, how long past
        each in working time (its page)."""
        with self.lock:
            judged = self._fresh(store, mailbox).judged.get(ticket_id)
        if judged is None:
            return []
        ticket, found = judged
        deadlines = self.rules.deadlines(ticket.priority)
        return sorted((entry_of(ticket, e, now, self.calendar, deadlines,
                                self.calendar.working_time_between(e.at or now, now))
                       for e in breached(shown_at(found, now))), key=lambda o: o.due_at)

    def shown(self, store: Store, mailbox: str, ticket_id: int, now: datetime) -> tuple[ShownDeadline, ...]:
        """One unclosed ticket's deadlines at `now`, as every page reads them (its page); none
        for a closed one."""
        with self.lock:
            judged = self._fresh(store, mailbox).judged.get(ticket_id)
        return shown_at(judged[1], now) if judged is not None else ()

    def entry(self, late: Late, now: datetime) -> Overdue:
        """The digest's entry of a late ticket's most urgent breach (on whom it waits, since
        when, why), how long past it in working time (`waited`), for the rows a page shows."""
        return entry_of(late.ticket, late.breach, now, self.calendar, self.rules.deadlines(late.ticket.priority),
                        self.calendar.working_time_between(late.start, now))

    def next_due(self, mailbox: str) -> dict[int, str]:
        """Each unclosed ticket's next running deadline as last read (ISO text, sorts as time)."""
        with self.lock:
            return (self.kept.get(mailbox) or _Kept()).next_due

    def state_counts(self, store: Store, mailbox: str) -> dict[str, int]:
        """How many tickets the mailbox has in each state, read again when anything changed."""
        with self.lock:
            return self._fresh(store, mailbox).counts

    def _fresh(self, store: Store, mailbox: str) -> _Kept:
        kept = self.kept.setdefault(mailbox, _Kept())
        version = store.lists.version()  # first: whatever commits after it shows at the next request
        if kept.version == version:
            return kept
        stamps = store.lists.unclosed_stamps(mailbox)
        timers = store.lists.breach_timers(mailbox)
        changed = kept.changed(stamps, timers)
        judged = {i: kept.judged[i] for i in stamps if i not in changed}
        for ticket in store.lists.tickets(changed):
            assert ticket.id is not None  # one closed meanwhile is judged so, and left out at the next reading
            judged[ticket.id] = self._judged(ticket, store.lists.timers_of(timers.get(ticket.id, ())))
        due = {i: min(row[2] for row in rows) for i, rows in timers.items() if rows}
        self.kept[mailbox] = _Kept(version, stamps, timers, judged, due,
                                   store.search.state_counts(mailbox))
        return self.kept[mailbox]

    def _judged(self, ticket: Ticket, timers: list[Timer]) -> Judged:
        """The ticket and its deadlines as things stand."""
        return ticket, standing(ticket, timers, self.calendar, self.rules.deadlines(ticket.priority))
