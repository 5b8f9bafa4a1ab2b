"""The deadline shell: stores the SLA timers a change implies and fires due ones.

The rules live in the pure `deadlines` module; this module applies them to the
store: timers are rows found by an indexed query on their due time, and a firing's
mail, history and next due time commit in one transaction, so each breach notice
goes out once and survives restarts (SPEC section 6). It also queues the daily digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import structlog

from mailbot.core.deadlines import Firing, fire, held_form_due
from mailbot.core.intake_form import HeldForm, title_of
from mailbot.core.lifecycle import Decision, held_ticket, remind_held
from mailbot.core.links import defang
from mailbot.core.overdue import Overdue, digest_context, digest_due, find_overdue
from mailbot.core.plan import plan
from mailbot.core.retry import backoff
from mailbot.core.worktime import WorkCalendar
from mailbot.flow.alerts import Alerts
from mailbot.flow.notices import Notifier
from mailbot.flow.signals import Signals
from mailbot.io import lookup
from mailbot.io.store import Store, database_errors, parse_ts, ts
from mailbot.io.words import Words, words
from mailbot.model import AUTO_GENERATED, Audience, Send, State, StoredTimer, Ticket, TimerKind
from mailbot.reports.monthly import monthly_due
from mailbot.rules import PRIORITIES, Rules
from mailbot.settings import Config, MailboxConfig, secret_days_left

SUMMARY_RETRY_AFTER = timedelta(hours=1)  # after a failed summary, so a broken report does not fill the log


def retry_after(failures: int) -> timedelta:
    """A failed timer is tried again after 5 min, 10 min, ... at most every 6 hours."""
    return backoff(failures, timedelta(minutes=5), timedelta(hours=6))


class Timekeeper:
    """Timers and the digest for every mailbox of one configuration."""

    def __init__(self, cfg: Config, store: Store, mailer: Notifier, rules: Rules, calendar: WorkCalendar,
                 alerts: Alerts, signals: Signals, clock: Callable[[], datetime],
                 log: structlog.typing.FilteringBoundLogger) -> None:
        self.cfg = cfg
        self.store = store
        self.mailer = mailer
        self.rules = rules
        self.calendar = calendar
        self.clock = clock
        self.log = log
        self.alerts = alerts  # the coordinators told once per occasion
        self.signals = signals  # progress, for systemd's watchdog

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
            for row in self.store.timers.due_timers(box.name, now):
                self.signals.beat()
                try:
                    fired += self.fire_timer(box, row, now)
                except database_errors(OSError):  # not a timer's fault: the sweep stops for the caller
                    raise
                except Exception as exc:
                    self.log.exception("timer_failed", mailbox=box.name, timer=str(row.kind), ticket_id=row.ticket_id)
                    self.timer_failed(box, row, now, exc)
            fired += self.remind_held(box, now)
            try:
                digests += self.send_digest(box, now)
            except database_errors(OSError):
                raise
            except Exception as exc:
                self.log.exception("digest_failed", mailbox=box.name)
                self.alerts.once(box, now, f"alerted:digest:{box.name}",
                                now.astimezone(self.calendar.tz).date().isoformat(),
                                {"alert": "digest_failed", "error": f"{type(exc).__name__}: {exc}"})
            reports += self.monthly_summary(box, now)
        return {"timers": fired, "digests": digests, "reports": reports}

    def timer_failed(self, box: MailboxConfig, row: StoredTimer, now: datetime, exc: Exception) -> None:
        """Mark the timer failed with its reason and try it again later; alert once a day per cause."""
        reason = f"{type(exc).__name__}: {exc}"[:500]
        retry = now + retry_after(row.failures)
        with self.store.unit_of_work():
            self.store.timers.timer_failed(row.id, reason, retry)
            ticket = self.store.tickets.ticket_by_id(row.ticket_id)
            number = ticket.number if ticket else "?"
            self.store.history.add_event(box.name, row.ticket_id, now, "mailbot", "timer_failed", timer=str(row.kind),
                                         reason=reason, retry_at=retry.isoformat())
        # Once a day per cause: the same broken template fails every timer that uses it.
        cause = hashlib.sha256(reason.encode()).hexdigest()[:16]
        self.alerts.once(box, now, f"alerted:timer:{box.name}:{cause}",
                        now.astimezone(self.calendar.tz).date().isoformat(),
                        {"alert": "timer_failed", "timer": str(row.kind), "ticket": number, "error": reason})

    def fire_timer(self, box: MailboxConfig, row: StoredTimer, now: datetime) -> int:
        """One due timer through decide, plan and commit, in one transaction: its mail, its
        history, its next due time (the timer's decision is `deadlines.fire`)."""
        timer = row.timer
        with self.store.unit_of_work():
            # Read again under the write lock: another process on this database (a second
            # daemon, an operator's `sweep`) may have fired it since the due list was read.
            if not self.store.timers.timer_unchanged(row):
                return 0
            ticket = self.store.tickets.ticket_by_id(row.ticket_id)
            if ticket is None or ticket.id is None:
                self.store.timers.advance_timer(row.id, timer.step + 1, None)
                return 0
            firing = fire(timer, ticket, now, self.calendar, self.rules.deadlines(ticket.priority))
            self._commit_firing(box, row, ticket, firing, now)
        self.log.info("timer_fired", mailbox=box.name, ticket=ticket.number, timer=str(timer.kind), step=timer.step,
                      sent=[s.kind for s in firing.sends])
        return 1 if firing.sends or firing.close else 0

    def _commit_firing(self, box: MailboxConfig, row: StoredTimer, ticket: Ticket, firing: Firing,
                       now: datetime) -> None:
        """What a firing does, written in the caller's transaction: the ticket closed (when it
        closes), its history, its mail planned and queued, the timer moved on (or postponed)
        and the one that follows it."""
        assert ticket.id is not None
        timer = row.timer
        closed = replace(ticket.moved(State.CLOSED, now), closed_at=now, updated_at=now)
        current = closed if firing.close else ticket
        decision = Decision(current, events=firing.events, sends=firing.sends, label=f"timer_{timer.kind}")
        setup = self.mailer.setups[box.name]
        planned = plan(decision, ticket, None, lookup.past(self.store, box, self.cfg, decision, None, None, now),
                       setup, now)
        if firing.close:
            self.store.tickets.update_ticket(current)
        for event in firing.events:
            self.store.history.add_event(box.name, ticket.id, now, event.actor, event.kind, **dict(event.detail))
        self.mailer.composer.queue(setup, planned, current, None, now)
        self.store.timers.advance_timer(row.id, timer.step + (0 if firing.postponed else 1), firing.next_due)
        if firing.follow is not None:
            f = firing.follow
            self.store.timers.set_timer(box.name, ticket.id, str(f.kind), f.started_at, f.due_at, f.step)
        if firing.close and planned.timers is not None:
            self.store.timers.apply_timers(box.name, ticket.id, planned.timers)

    def remind_held(self, box: MailboxConfig, now: datetime) -> int:
        """Ask again, once, about each call or visit held for its sender's `#buka` past its
        reminder time (SPEC 6 `held_form`), each in its own transaction and failure
        boundary; the number of reminders queued."""
        sent = 0
        for form in self.store.intake.held_forms(box.name):
            due = held_form_due(form, self.calendar)
            if due is None or due > now:
                continue
            self.signals.beat()
            try:
                sent += self.remind_one(box, form, now)
            except database_errors(OSError):
                raise
            except Exception as exc:
                self.log.exception("held_form_reminder_failed", mailbox=box.name, number=form.number)
                self.alerts.once(box, now, f"alerted:held_form:{box.name}:{form.number}",
                                now.astimezone(self.calendar.tz).date().isoformat(),
                                {"alert": "timer_failed", "timer": "held_form", "ticket": form.number,
                                 "error": f"{type(exc).__name__}: {exc}"})
        return sent

    def remind_one(self, box: MailboxConfig, form: HeldForm, now: datetime) -> int:
        with self.store.unit_of_work():
            # read again under the write lock: another process may have reminded, or the
            # sender opened or cancelled it, since the list was read
            if not any(f.number == form.number and not f.reminded for f in self.store.intake.held_forms(box.name)):
                return 0
            self.store.history.add_event(box.name, None, now, "mailbot", "intake_reminded", number=form.number,
                                         staff=form.intake.staff)
            ticket = replace(held_ticket(form.intake, form.number, self.cfg.language, now), mailbox=box.name)
            self.mailer.enqueue(box, remind_held(form.intake, form.number), ticket, None, now)
        self.log.info("held_form_reminded", mailbox=box.name, number=form.number)
        return 1

    def overdue(self, box: MailboxConfig, now: datetime) -> list[tuple[Ticket, Overdue]]:
        """Every overdue ticket of a mailbox with why, for the digest and `tickets --overdue`."""
        return overdue_of(self.store, self.rules, self.calendar, box.name, now)

    def send_digest(self, box: MailboxConfig, now: datetime) -> int:
        key = f"digest_last:{box.name}"
        last = self.store.metadata.meta(key)
        if not digest_due(date.fromisoformat(last) if last else None, now, self.calendar,
                          since=self.store.mailboxes.first_started(box.name)):
            return 0
        context = self.digest_context(box, now)
        with self.store.unit_of_work():
            if self.store.metadata.meta(key) != last:  # another process on this database queued it meanwhile
                return 0
            # the unit and the day in the subject: a head of several units (or a coordinator
            # reading a week of them) tells the digests apart without opening them
            send = Send("digest", Audience.HEADS, cc=(Audience.COORDINATORS,), auto=AUTO_GENERATED, context=context,
                        title=f"{box.display_name} - {context['day']}")
            self.mailer.enqueue(box, send, None, None, now)
            self.store.metadata.set_meta(key, now.astimezone(self.calendar.tz).date().isoformat())
            self.store.history.add_event(box.name, None, now, "mailbot", "digest_queued",
                                         overdue=context["overdue_count"])
        return 1


    def digest_context(self, box: MailboxConfig, now: datetime) -> dict[str, Any]:
        """The digest's content, worded: counts by state, every overdue ticket with why, and
        the acks still held for the ack budget, the first `HELD_SHOWN` of them."""
        overdue = [o for _, o in self.overdue(box, now)]
        context = worded_digest(digest_context(self.store.search.state_counts(box.name), overdue, now, self.calendar,
                                               self.store.search.unclosed_numbers(box.name, DIGEST_NAMED)),
                                words(self.cfg.language, self.cfg.templates_dir), self.calendar)
        held = self.store.outbox.held_acks(box.name, now)
        when = "%Y-%m-%d %H:%M"
        context["held_acks"] = [{"number": h["number"], "to": ", ".join(h["to"]),
                                 "queued": h["queued"].astimezone(self.calendar.tz).strftime(when),
                                 "until": h["until"].astimezone(self.calendar.tz).strftime(when)}
                                for h in held[:HELD_SHOWN]]
        context["held_count"] = len(held)
        context["forms"] = [held_form_row(form, self.calendar.tz) for form in self.store.intake.held_forms(box.name)]
        today = now.astimezone(self.calendar.tz).date()
        context["secrets_ending"] = [  # said before the provider refuses every token
            {"server": f"{server.host}:{server.port}", "expires": server.oauth2.secret_expires.isoformat(),
             "days": left, "certificate": server.oauth2.certificate is not None}
            for server in (box.imap, box.smtp)
            if (left := secret_days_left(server, today)) is not None and server.oauth2 and server.oauth2.secret_expires]
        return context

    def monthly_summary(self, box: MailboxConfig, now: datetime) -> int:
        """Queue the previous month's summary of `box` when it is due; 1 when queued."""
        if not self.cfg.reports.monthly:
            return 0
        key, failed_key = f"monthly_summary:{box.name}", f"monthly_summary_failed:{box.name}"
        last = self.store.metadata.meta(key)
        due = monthly_due(last, now, self.calendar, self.store.search.first_ticket_at(box.name))
        if due is None:
            return 0
        month, send_it = due
        if not send_it:
            self.store.metadata.set_meta(key, str(month))
            return 0
        failed = parse_ts(self.store.metadata.meta(failed_key))
        if failed is not None and now - failed < SUMMARY_RETRY_AFTER:
            return 0
        from mailbot.reports.outputs import summary_send  # lazily: charts and XLSX, once a month

        try:
            send = summary_send(self.store, self.cfg, self.rules, self.calendar, box, month, now)
            with self.store.unit_of_work():
                if self.store.metadata.meta(key) != last:  # another process on this database queued it meanwhile
                    return 0
                self.mailer.enqueue(box, send, None, None, now)
                self.store.metadata.set_meta(key, str(month))
                self.store.history.add_event(box.name, None, now, "mailbot", "monthly_summary_queued", month=str(month))
        except database_errors(OSError):
            raise  # not the report's fault: the sweep ends for the caller, as for timers
        except Exception as exc:  # the report's own failure boundary: told once, tried again later
            self.log.exception("monthly_summary_failed", mailbox=box.name, month=str(month))
            self.store.metadata.set_meta(failed_key, ts(now))
            self.alerts.once(box, now, f"alerted:monthly:{box.name}", str(month),
                              {"alert": "summary_failed", "month": str(month), "error": f"{type(exc).__name__}: {exc}"})
            return 0
        self.log.info("monthly_summary_queued", mailbox=box.name, month=str(month))
        return 1


HELD_SHOWN = 50  # held acks the digest names one by one; the rest it counts
DIGEST_NAMED = 30  # unclosed tickets the digest names in each state, the longest open first; the rest it counts


def overdue_of(store: Store, rules: Rules, calendar: WorkCalendar, mailbox: str,
               now: datetime) -> list[tuple[Ticket, Overdue]]:
    """Every overdue ticket of a mailbox with why: the digest's, `tickets --overdue`'s and the
    window's (SPEC 13), one reading for all three.

    Only candidates are read (timers due or fired, unclosed tickets older than the
    shortest resolution standard), so the work follows what is late.
    """
    shortest = min(rules.deadlines(p).resolution for p in (None, *PRIORITIES))
    found: list[tuple[Ticket, Overdue]] = []
    for ticket, timers in store.timers.overdue_candidates(mailbox, now, now - timedelta(hours=shortest)):
        found += [(ticket, o) for o in find_overdue(ticket, timers, now, calendar, rules.deadlines(ticket.priority))]
    return found


def worded_digest(context: dict[str, Any], said: Words, cal: WorkCalendar) -> dict[str, Any]:
    """The digest's codes and amounts in the unit's words: the day, since when each ticket
    waits and how long that is ("Rabu 25-11 21:40", "1 hari 10 jam"), how far past its
    deadline it is (`waited`), and why."""
    year = context["date"].year
    rows = [{**row, "waited": said.waited_for(TimerKind(row["kind"]), row["waited"], cal.day_length),
             "since": said.short_moment(row["since"], year) if row.get("since") is not None else "",
             "since_for": said.late(row.get("since_for")),
             "reason": said.overdue(TimerKind(row["kind"]), row["span"], row["reopened"])}
            for row in context["tickets"]]
    return {**context, "day": said.day(context["date"]), "date": context["date"].isoformat(), "tickets": rows}


def held_form_row(form: HeldForm, tz: tzinfo) -> dict[str, str]:
    """One call or visit still held for its sender's `#buka`, as the digest lists it (SPEC 6).
    Its words are unverified (the form may be forged): a link in them is shown
    inert, as in the request to confirm it."""
    when = "%Y-%m-%d %H:%M"
    intake = form.intake
    return {"number": form.number, "channel": intake.channel, "staff": intake.staff,
            "called": intake.called_at.astimezone(tz).strftime(when),
            "held": form.held_at.astimezone(tz).strftime(when),
            "name": defang(intake.form.contact.name), "problem": defang(title_of(intake.form.problem))}
