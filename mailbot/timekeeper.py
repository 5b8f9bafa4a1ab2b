"""The deadline shell: stores the SLA timers a change implies and fires due ones.

The rules live in the pure `deadlines` module; this module applies them to the
store: timers are rows found by an indexed query on their due time, and a firing's
mail, history and next due time commit in one transaction, so each breach notice
goes out once and survives restarts (SPEC section 6). It also queues the daily digest.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import structlog

from mailbot.core.deadlines import Overdue, digest_context, digest_due, find_overdue, fire, plan
from mailbot.core.model import AUTO_GENERATED, Audience, Send, State, Ticket, Timer, TimerKind
from mailbot.core.settings import Config, MailboxConfig
from mailbot.core.worktime import WorkCalendar
from mailbot.io.compose import Notifier
from mailbot.io.store import Store, parse_ts
from mailbot.reports.monthly import send_monthly_summary
from mailbot.rules import Rules

STORAGE_ERRORS = (sqlite3.Error, OSError)  # not a timer's fault: the sweep stops for the caller


def backoff(failures: int) -> timedelta:
    """A failed timer is tried again after 5 min, 10 min, ... at most every 6 hours."""
    return min(timedelta(minutes=5) * (2 ** min(failures, 10)), timedelta(hours=6))


class Timekeeper:
    """Timers and the digest for every mailbox of one configuration."""

    def __init__(self, cfg: Config, store: Store, mailer: Notifier, rules: Rules, calendar: WorkCalendar,
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
        """Fire every due timer once, then the daily digest and the monthly summary when due
        (SPEC sections 6 and 10).

        Each timer and each digest is its own failure boundary: one that fails (an
        operator's broken template, say) is marked failed with its reason and tried
        again later, the coordinators are told once, and the others still fire.
        Storage errors are not one timer's fault: they end the sweep for the caller.
        """
        now = self.clock()
        fired = digests = reports = 0
        for box in self.cfg.mailboxes:
            for row in self.store.due_timers(box.name, now):
                try:
                    fired += self.fire_timer(box, row, now)
                except STORAGE_ERRORS:
                    raise
                except Exception as exc:
                    self.log.exception("timer_failed", mailbox=box.name, timer=row["kind"], ticket_id=row["ticket_id"])
                    self.timer_failed(box, row, now, exc)
            try:
                digests += self.send_digest(box, now)
            except STORAGE_ERRORS:
                raise
            except Exception as exc:
                self.log.exception("digest_failed", mailbox=box.name)
                self.alert_once(box, now, f"alerted:digest:{box.name}", now.astimezone(self.calendar.tz).date().isoformat(),
                                f"Ringkasan harian tidak dapat dibuat: {type(exc).__name__}: {exc}")
            reports += send_monthly_summary(self, box, now)
        return {"timers": fired, "digests": digests, "reports": reports}

    def timer_failed(self, box: MailboxConfig, row: dict[str, Any], now: datetime, exc: Exception) -> None:
        """Mark the timer failed with its reason and try it again later; alert once a day per cause."""
        reason = f"{type(exc).__name__}: {exc}"[:500]
        retry = now + backoff(row.get("failures") or 0)
        with self.store.unit_of_work():
            self.store.timer_failed(row["id"], reason, retry)
            ticket = self.store.ticket_by_id(row["ticket_id"])
            number = ticket.number if ticket else "?"
            self.store.add_event(box.name, row["ticket_id"], now, "mailbot", "timer_failed", timer=row["kind"],
                                 reason=reason, retry_at=retry.isoformat())
        # Once a day per cause: the same broken template fails every timer that uses it.
        cause = hashlib.sha256(reason.encode()).hexdigest()[:16]
        self.alert_once(box, now, f"alerted:timer:{box.name}:{cause}", now.astimezone(self.calendar.tz).date().isoformat(),
                        f"Tenggat {row['kind']} tiket {number} gagal diproses: {reason}. "
                        f"mailbot mencobanya lagi secara berkala; mohon periksa template/aturan operator.")

    def alert_once(self, box: MailboxConfig, now: datetime, key: str, value: str, reason: str) -> None:
        """A system alert to the coordinators unless `key` already holds `value`."""
        try:
            if self.store.meta(key) == value:
                return
            with self.store.unit_of_work():
                send = Send("system_alert", Audience.COORDINATORS, auto=AUTO_GENERATED,
                            context={"reason": reason, "items": []})
                self.mailer.enqueue(box, send, None, None, now)
                self.store.set_meta(key, value)
        except STORAGE_ERRORS:
            raise
        except Exception:
            self.log.exception("alert_failed", mailbox=box.name, key=key)

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
