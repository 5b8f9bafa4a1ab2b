"""The deadline shell: stores the SLA timers a change implies and fires due ones.

The rules live in the pure `deadlines` module; this module applies them to the
store: timers are rows found by an indexed query on their due time, and a firing's
mail, history and next due time commit in one transaction, so each breach notice
goes out once and survives restarts (SPEC section 6). It also queues the daily digest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import structlog

from mailbot.config import Config, MailboxConfig
from mailbot.deadlines import (
    Overdue,
    Timer,
    TimerKind,
    digest_context,
    digest_due,
    find_overdue,
    fire,
    plan,
)
from mailbot.lifecycle import AUTO_GENERATED, Audience, Send
from mailbot.mailer import Mailer
from mailbot.model import State, Ticket
from mailbot.reports.monthly import send_monthly_summary
from mailbot.rules import Rules
from mailbot.store import Store, parse_ts
from mailbot.worktime import WorkCalendar


class Timekeeper:
    """Timers and the digest for every mailbox of one configuration."""

    def __init__(self, cfg: Config, store: Store, mailer: Mailer, rules: Rules, calendar: WorkCalendar,
                 clock: Callable[[], datetime], log: structlog.typing.FilteringBoundLogger) -> None:
        self.cfg = cfg
        self.store = store
        self.mailer = mailer
        self.rules = rules
        self.calendar = calendar
        self.clock = clock
        self.log = log

    def plan_timers(self, old: Ticket | None, new: Ticket, lkpp_message: bool, now: datetime) -> None:
        """Start and stop the SLA timers a ticket change implies (SPEC section 6)."""
        assert new.id is not None
        active = {row["kind"] for row in self.store.active_timers(new.id)}
        timer_plan = plan(old, new, lkpp_message, now, self.calendar, self.rules.deadlines(new.priority),
                          active={TimerKind(k) for k in active})
        for kind in timer_plan.clear:
            self.store.clear_timer(new.id, str(kind))
        for timer in timer_plan.set:
            self.store.set_timer(new.mailbox, new.id, str(timer.kind), timer.started_at, timer.due_at, timer.step)

    def sweep(self) -> dict[str, int]:
        """Fire every due timer once, then the daily digest and the monthly summary when due."""
        now = self.clock()
        fired = digests = reports = 0
        for box in self.cfg.mailboxes:
            for row in self.store.due_timers(box.name, now):
                fired += self.fire_timer(box, row, now)
            digests += self.send_digest(box, now)
            reports += send_monthly_summary(self, box, now)
        return {"timers": fired, "digests": digests, "reports": reports}

    def fire_timer(self, box: MailboxConfig, row: dict[str, Any], now: datetime) -> int:
        """One due timer in one transaction: its mail, its history, its next due time."""
        ticket = self.store.ticket_by_id(row["ticket_id"])
        timer = Timer(TimerKind(row["kind"]), parse_ts(row["started_at"]), parse_ts(row["due_at"]),  # type: ignore[arg-type]
                      row["step"])
        with self.store.unit_of_work():
            if ticket is None:
                self.store.advance_timer(row["id"], row["step"] + 1, None)
                return 0
            deadlines = self.rules.deadlines(ticket.priority)
            firing = fire(timer, ticket, now, self.calendar, deadlines)
            current = ticket
            if firing.close:
                current = replace(ticket, state=State.CLOSED, closed_at=now, updated_at=now)
                self.store.update_ticket(current)
            for event in firing.events:
                self.store.add_event(box.name, ticket.id, now, event.actor, event.kind, **dict(event.detail))
            for send in firing.sends:
                self.mailer.enqueue(box, send, current, None, now)
            self.store.advance_timer(row["id"], row["step"] + 1, firing.next_due)
            if firing.follow is not None:
                f = firing.follow
                self.store.set_timer(box.name, ticket.id, str(f.kind), f.started_at, f.due_at, f.step)  # type: ignore[arg-type]
            if firing.close:
                self.plan_timers(ticket, current, False, now)
        self.log.info("timer_fired", mailbox=box.name, ticket=ticket.number, timer=row["kind"], step=row["step"],
                      sent=[s.kind for s in firing.sends])
        return 1 if firing.sends or firing.close else 0

    def overdue(self, box: MailboxConfig, now: datetime) -> list[tuple[Ticket, Overdue]]:
        """Every overdue ticket of a mailbox with why, for the digest and `tickets --overdue`."""
        found: list[tuple[Ticket, Overdue]] = []
        for ticket in self.store.tickets(box.name):
            if ticket.state is State.CLOSED or ticket.id is None:
                continue
            timers = [Timer(TimerKind(r["kind"]), parse_ts(r["started_at"]), parse_ts(r["due_at"]), r["step"])  # type: ignore[arg-type]
                      for r in self.store.active_timers(ticket.id)]
            deadlines = self.rules.deadlines(ticket.priority)
            found += [(ticket, o) for o in find_overdue(ticket, timers, now, self.calendar, deadlines,
                                                        ticket.language)]
        return found

    def send_digest(self, box: MailboxConfig, now: datetime) -> int:
        key = f"digest_last:{box.name}"
        last = self.store.meta(key)
        if not digest_due(date.fromisoformat(last) if last else None, now, self.calendar):
            return 0
        overdue = [o for _, o in self.overdue(box, now)]
        tickets = [t for t in self.store.tickets(box.name)]
        context = digest_context(tickets, overdue, now, self.calendar, self.cfg.language)
        with self.store.unit_of_work():
            send = Send("digest", Audience.HEADS, cc=(Audience.COORDINATORS,), auto=AUTO_GENERATED, context=context)
            self.mailer.enqueue(box, send, None, None, now)
            self.store.set_meta(key, now.astimezone(self.calendar.tz).date().isoformat())
            self.store.add_event(box.name, None, now, "mailbot", "digest_queued", overdue=len(overdue))
        return 1
