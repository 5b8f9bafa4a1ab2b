"""The loop: every mailbox's new mail through the pipeline, the timers, the outbox.

`App` wires one configuration together: the pipeline for messages (`pipeline`), the
timers and the digest (`timekeeper`), the outbox (`io/outbox`) and the watch over
itself. Each step of the loop is its own failure boundary; the loop never dies of
one message's, one timer's or one mail's error.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import schedule

from mailbot.core.deadlines import Overdue
from mailbot.core.lifecycle import Policy
from mailbot.core.model import AUTO_GENERATED, Audience, Send, Ticket
from mailbot.core.plan import Setup
from mailbot.core.settings import Config, MailboxConfig
from mailbot.core.worktime import WorkCalendar
from mailbot.errors import ConfigError, StorageError, TransientError
from mailbot.io import imap, smtp
from mailbot.io.archive import Archive
from mailbot.io.compose import Composer, Notifier
from mailbot.io.keys import load_or_create_key
from mailbot.io.logs import get as get_log
from mailbot.io.outbox import Outbox
from mailbot.io.render import Renderer
from mailbot.io.store import Store, ts
from mailbot.pipeline import Arrival, Outcome, Pipeline
from mailbot.rules import load_rules
from mailbot.timekeeper import Timekeeper

STORAGE_ERRORS = (sqlite3.Error, OSError)  # disk full, database locked or read-only: transient
IDLE_SLICE_SECONDS = 5.0  # IDLE waits in slices this long, to notice SIGTERM quickly
SWEEP_SECONDS = 60  # how often `run` looks for due deadline timers

__all__ = ["App", "Outcome", "build_calendar"]


class App:
    """Everything the daemon does, given a config, a store and a clock."""

    def __init__(self, cfg: Config, store: Store | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.cfg = cfg
        self.store = store or Store(cfg.database)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.key = load_or_create_key(cfg.secret_key_file)
        self.renderer = Renderer(cfg.templates_dir)
        self.rules = load_rules(cfg.rules_dir)
        self.calendar = build_calendar(cfg)
        self.policy = Policy(reopen_days=cfg.reopen_days, ack_max_age_hours=cfg.ack_max_age_hours,
                             language=cfg.language, relay_status=cfg.escalation.relay_status)
        self.log = get_log()
        self.failing_since: dict[str, datetime] = {}
        self.archive = Archive(cfg.archive_dir, cfg.limits)
        self.setups = {box.name: Setup(cfg, box, self.rules, self.calendar) for box in cfg.mailboxes}
        self.composer = Composer(self.store, self.renderer, self.archive, self.key, self.log)
        self.mailer = Notifier(self.composer, self.store, self.setups)
        self.pipeline = Pipeline(cfg, self.store, self.composer, self.archive, self.setups, self.key, self.policy,
                                 self.clock, self.log, self.problem)
        self.timekeeper = Timekeeper(cfg, self.store, self.mailer, self.rules, self.calendar, self.clock, self.log)
        self.outbox = Outbox(cfg, self.store, self.mailer, self.clock, self.log)
        self.alerted_outages: set[str] = set()

    def handle(self, box: MailboxConfig, raw: bytes, received_at: datetime | None = None, *,
               uid: int | None = None, uidvalidity: int | None = None, dry_run: bool = False,
               oversize: int | None = None) -> Outcome:
        """One message through the pipeline (`Pipeline.handle`: its failure boundary)."""
        arrival = Arrival(raw, received_at or self.clock(), uid, uidvalidity, oversize)
        return self.pipeline.handle(box, arrival, dry_run=dry_run)

    def overdue(self, box: MailboxConfig, now: datetime) -> list[tuple[Ticket, Overdue]]:
        return self.timekeeper.overdue(box, now)

    # --- watching itself --------------------------------------------------------------

    def problem(self, box: MailboxConfig, cause: str, reason: str) -> None:
        """Something the operator must fix (a broken template, ...): coordinators told once a day."""
        now = self.clock()
        key = f"alerted:{cause}:{box.name}"
        today = now.astimezone(self.cfg.timezone).date().isoformat()
        try:
            if self.store.meta(key) != today:
                self._system_alert(box, now, {"alert": "problem", "reason": reason}, [], key, today)
        except Exception:
            self.log.exception("alert_failed", mailbox=box.name, cause=cause)

    def watch(self, notify: Callable[[str], None] = lambda s: None) -> int:
        """SPEC 6: one alert to coordinators when a mailbox stays unreadable, the outbox
        stays unsendable (log and systemd status: mail may not get out), storage fails
        (log, systemd status and a mail sent around the database), or mail is
        quarantined. Returns the number of alerts queued."""
        alerts = 0
        for box in self.cfg.mailboxes:
            try:
                alerts += self._watch(box, notify)
            except STORAGE_ERRORS as exc:
                self._storage_failed(box, exc, notify)
            except Exception:
                self.log.exception("watch_failed", mailbox=box.name)
        return alerts

    def _watch(self, box: MailboxConfig, notify: Callable[[str], None]) -> int:
        now = self.clock()
        limit = timedelta(minutes=self.cfg.alert_after_minutes)
        alerts = 0
        since = self.failing_since.get(f"imap:{box.name}")
        if since and now - since >= limit and self.store.meta(f"alerted:imap:{box.name}") != ts(since):
            alert: dict[str, object] = {"alert": "mailbox_unreadable", "since": self.local(since)}
            alerts += self._system_alert(box, now, alert, [], f"alerted:imap:{box.name}", ts(since))
        since = self.failing_since.get(f"smtp:{box.name}")
        if since and now - since >= limit:
            self.log.error("outbox_unsendable", mailbox=box.name, since=since.isoformat())
            notify(f"STATUS=outbox of {box.name} unsendable since {since.isoformat()}")
        last = int(self.store.meta(f"alerted:quarantine:{box.name}") or 0)
        fresh = self.store.quarantined(box.name, after=last)
        if fresh:
            items = [f"{self.local(q.at)} {q.message_id}: {q.reason}" for q in fresh[:20]]
            alert = {"alert": "quarantined", "count": len(fresh), "folder": box.imap.quarantine_folder}
            alerts += self._system_alert(box, now, alert, items, f"alerted:quarantine:{box.name}",
                                         str(max(q.id for q in fresh)))
        return alerts

    def _storage_failed(self, box: MailboxConfig, exc: BaseException, notify: Callable[[str], None]) -> None:
        """Disk full, database locked or read-only: mail stays in the INBOX until it works again.

        The coordinators are told once per outage by a mail sent straight through SMTP,
        since the outbox lives in the database that fails.
        """
        now = self.clock()
        key = f"storage:{box.name}"
        since = self.failing_since.setdefault(key, now)
        self.log.error("storage_unavailable", mailbox=box.name, error=str(exc), since=since.isoformat())
        notify(f"STATUS=storage failing for {box.name} since {since.isoformat()}: {exc}"[:400])
        if now - since >= timedelta(minutes=self.cfg.alert_after_minutes) and key not in self.alerted_outages:
            alert: dict[str, object] = {"alert": "storage_failing", "since": self.local(since), "error": str(exc)}
            if self.direct_alert(box, alert):
                self.alerted_outages.add(key)

    def local(self, moment: datetime) -> str:
        """A moment as the unit's staff read it: local date and time."""
        return moment.astimezone(self.cfg.timezone).strftime("%Y-%m-%d %H:%M")

    def direct_alert(self, box: MailboxConfig, alert: Mapping[str, object]) -> bool:
        """A system alert sent straight through SMTP, without the outbox (which may be down)."""
        now = self.clock()
        try:
            row = self.mailer.detached(box, Send("system_alert", Audience.COORDINATORS, auto=AUTO_GENERATED,
                                                 context={"reason": "", "items": [], **alert}), now)
            results: list[smtp.Delivery] = []
            smtp.deliver(box.smtp, iter([row]), results.append, timeout=box.smtp.timeout)
        except Exception:
            self.log.exception("direct_alert_failed", mailbox=box.name)
            return False
        ok = bool(results and results[0].accepted)
        self.log.warning("coordinators_alerted_directly", mailbox=box.name, delivered=ok)
        return ok

    def _system_alert(self, box: MailboxConfig, now: datetime, alert: Mapping[str, object], items: list[str],
                      key: str, value: str) -> int:
        with self.store.unit_of_work():
            send = Send("system_alert", Audience.COORDINATORS, auto=AUTO_GENERATED,
                        context={"reason": "", "items": items, **alert})
            self.mailer.enqueue(box, send, None, None, now)
            self.store.set_meta(key, value)
        self.log.warning("coordinators_alerted", mailbox=box.name, alert=alert.get("alert"))
        return 1

    # --- mailbox passes -----------------------------------------------------------------

    def poll(self, box: MailboxConfig, session: imap.Mailbox,
             should_stop: Callable[[], bool] = lambda: False) -> int:
        """Handle every new message in the folder, in UID order; the count handled.

        The stored position only passes a message once it has left the INBOX, so a
        message left there (`deferred`) is fetched again by the next pass; those after
        it that were handled are known by their Message-ID and only moved.
        """
        folder = box.imap.folder
        known_validity, last_uid = self.store.imap_position(box.name, folder)
        if known_validity != session.uidvalidity:
            if known_validity is not None:
                self.log.warning("uidvalidity_changed", mailbox=box.name, old=known_validity, new=session.uidvalidity)
            last_uid = 0  # rescan; recorded Message-IDs keep anything from running twice
        handled = 0
        blocked = False
        uids = session.pending_uids(last_uid)
        for fetched in session.fetch(uids, self.cfg.limits.max_message_bytes):
            if should_stop():
                break
            outcome = self.handle(box, fetched.raw, fetched.internal_date, uid=fetched.uid,
                                  uidvalidity=session.uidvalidity, oversize=None if fetched.complete else fetched.size)
            if outcome.status == "deferred":
                blocked = True
                continue
            target = box.imap.quarantine_folder if outcome.status == "quarantined" else box.imap.processed_folder
            session.move(fetched.uid, target)
            if not blocked:
                self.store.set_imap_position(box.name, folder, session.uidvalidity, fetched.uid, self.clock())
            handled += 1
        if not uids:
            self.store.set_imap_position(box.name, folder, session.uidvalidity, last_uid, self.clock())
        return handled

    def poll_all(self, should_stop: Callable[[], bool] = lambda: False,
                 notify: Callable[[str], None] = lambda s: None) -> dict[str, int | str]:
        """One pass over every mailbox; a failing mailbox does not stop the others."""
        results: dict[str, int | str] = {}
        for box in self.cfg.mailboxes:
            if should_stop():
                break
            try:
                with imap.Mailbox(box.imap) as session:
                    results[box.name] = self.poll(box, session, should_stop)
                self.failing_since.pop(f"imap:{box.name}", None)
                self._storage_recovered(box)
            except (StorageError, *STORAGE_ERRORS) as exc:
                self._storage_failed(box, exc, notify)
                results[box.name] = f"error: {exc}"
            except TransientError as exc:
                self.failing_since.setdefault(f"imap:{box.name}", self.clock())
                self.log.error("mailbox_unavailable", mailbox=box.name, error=str(exc))
                results[box.name] = f"error: {exc}"
            except Exception as exc:  # a bug must not stop the other mailboxes or the daemon
                self.log.exception("mailbox_pass_failed", mailbox=box.name)
                results[box.name] = f"error: {type(exc).__name__}: {exc}"
        return results

    def _storage_recovered(self, box: MailboxConfig) -> None:
        key = f"storage:{box.name}"
        if self.failing_since.pop(key, None) is not None:
            self.alerted_outages.discard(key)
            self.log.info("storage_recovered", mailbox=box.name)

    def flush_outbox(self, should_stop: Callable[[], bool] = lambda: False) -> tuple[int, int]:
        """Send what is due; (sent, failed) counts. Temporary failures wait for their retry."""
        try:
            result = self.outbox.flush(should_stop)
        except (StorageError, *STORAGE_ERRORS) as exc:
            for box in self.cfg.mailboxes:
                self._storage_failed(box, exc, lambda s: None)
            return 0, 0
        now = self.clock()
        for box in self.cfg.mailboxes:
            if box.name in result.delivered:
                self.failing_since.pop(f"smtp:{box.name}", None)
            elif box.name in result.errors:
                self.failing_since.setdefault(f"smtp:{box.name}", now)
        return result.sent, result.failed + result.deferred

    def sweep(self) -> dict[str, int]:
        """Fire due timers and queue the digest (see `Timekeeper`); storage failures are reported."""
        try:
            return self.timekeeper.sweep()
        except (StorageError, *STORAGE_ERRORS) as exc:
            for box in self.cfg.mailboxes:
                self._storage_failed(box, exc, lambda s: None)
            return {"timers": 0, "digests": 0}

    def run_once(self) -> dict[str, Any]:
        polled = self.poll_all()
        swept = self.sweep()
        self.watch()
        sent, failed = self.flush_outbox()
        return {"mailboxes": polled, "timers": swept["timers"], "digests": swept["digests"], "sent": sent,
                "failed": failed}

    def run_forever(self, stop: threading.Event, notify: Callable[[str], None] = lambda s: None) -> None:
        """Poll, sweep on a schedule, send, wait; until `stop` is set. Nothing here dies of one failure."""
        scheduler = schedule.Scheduler()
        scheduler.every(SWEEP_SECONDS).seconds.do(self.sweep)
        failures = 0
        notify("READY=1")
        self.sweep()
        while not stop.is_set():
            polled = self.poll_all(stop.is_set, notify)
            self._guarded("sweep", scheduler.run_pending)
            self._guarded("watch", lambda: self.watch(notify))
            self.flush_outbox(stop.is_set)
            notify("WATCHDOG=1")
            failures = failures + 1 if any(isinstance(v, str) for v in polled.values()) else 0
            delay = min(box.imap.poll_seconds for box in self.cfg.mailboxes)
            if failures:
                delay = min(delay * (2 ** min(failures, 10)), 600)
                self.log.info("retrying_later", seconds=delay, failures=failures)
            if failures:
                stop.wait(delay)
            else:
                self._guarded("wait", partial(self.wait_for_mail, stop, delay))
        notify("STOPPING=1")

    def _guarded(self, what: str, step: Callable[[], object]) -> None:
        try:
            step()
        except Exception:
            self.log.exception("step_failed", step=what)

    def wait_for_mail(self, stop: threading.Event, seconds: float) -> None:
        """IMAP IDLE on a single mailbox until mail arrives or `seconds` pass; else sleep.

        IDLE is checked in short slices so SIGTERM stops the daemon within seconds.
        With several mailboxes every one is polled in turn instead.
        """
        box = self.cfg.mailboxes[0] if len(self.cfg.mailboxes) == 1 else None
        if box is None or not box.imap.idle:
            stop.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        try:
            with imap.Mailbox(box.imap) as session:
                if not session.supports_idle:
                    stop.wait(seconds)
                    return
                while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                    if session.idle_wait(min(IDLE_SLICE_SECONDS, left)):
                        self.log.debug("idle_woke", mailbox=box.name)
                        return
        except TransientError as exc:
            self.log.warning("idle_failed", mailbox=box.name, error=str(exc))
            stop.wait(max(0.0, deadline - time.monotonic()))


def build_calendar(cfg: Config) -> WorkCalendar:
    """The unit's working calendar; a bad value is a configuration error naming it."""
    cal = cfg.calendar
    try:
        return WorkCalendar.build(tz=cfg.timezone, workdays=cal.workdays, hours=cal.hours, country=cal.country_holidays,
                                  categories=cal.holiday_categories, extra_holidays=cal.extra_holidays)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"calendar: {exc}") from None
