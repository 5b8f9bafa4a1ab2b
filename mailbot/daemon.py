"""The loop: every mailbox's new mail through the pipeline, the timers, the outbox.

`App` wires one configuration together: the pipeline for messages (`pipeline`), the
timers and the digest (`timekeeper`), the outbox (`io/outbox`) and the watch over
itself. Each step of the loop is its own failure boundary; the loop never dies of
one message's, one timer's or one mail's error.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from mailbot.audit import Auditor
from mailbot.core.audit import Finding
from mailbot.core.deadlines import Overdue
from mailbot.core.lifecycle import Policy
from mailbot.core.model import AUTO_GENERATED, Audience, Send, Ticket
from mailbot.core.plan import Setup, refused_back
from mailbot.core.settings import Config, MailboxConfig
from mailbot.core.worktime import build_calendar
from mailbot.errors import ConfigError, StorageError, TransientError
from mailbot.io import imap, smtp, solved
from mailbot.io.archive import Archive
from mailbot.io.compose import Composer
from mailbot.io.keys import load_or_create_key
from mailbot.io.locks import intake_lock
from mailbot.io.logs import get as get_log
from mailbot.io.outbox import Outbox
from mailbot.io.render import Renderer
from mailbot.io.store import Store, ts
from mailbot.io.words import words
from mailbot.notices import Notifier
from mailbot.pipeline import Arrival, Outcome, Pipeline
from mailbot.recovery import Recovery
from mailbot.rules import load_rules
from mailbot.steps import OnMain, Progress, run_here
from mailbot.timekeeper import Timekeeper

STORAGE_ERRORS = (sqlite3.Error, OSError)  # disk full, database locked or read-only: transient
SWEEP_SECONDS = 60  # how often `run` looks for due deadline timers
UNREADABLE_PASSES = 3  # passes a message the server cannot return is tried before it is set aside
# A mail the server received this recently, by the host's own clock, came while mailbot
# was reading: its ticket opens on the daemon's clock (see `arrived_unread`).
JUST_ARRIVED = timedelta(minutes=15)

__all__ = ["App", "Outcome"]


class App:
    """Everything the daemon does, given a config, a store and a clock."""

    def __init__(self, cfg: Config, store: Store | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.cfg = cfg
        self.store = store or Store(cfg.database)
        renamed = renamed_mailboxes(cfg, self.store)
        if renamed:
            raise ConfigError(renamed[0])
        for box in cfg.mailboxes if not self.store.readonly else ():  # `tickets --overdue` only reads
            self.store.remember_mailbox(box.name, box.address, box.tag_prefix)
        for left in unserved_mailboxes(cfg, self.store):
            get_log().warning("mailbox_not_configured", problem=left)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.key = load_or_create_key(cfg.secret_key_file)
        self.renderer = Renderer(cfg.templates_dir)
        for language in ("id", "en"):  # an operator's words.yaml of the wrong shape stops start-up (78)
            words(language, cfg.templates_dir)
        self.rules = load_rules(cfg.rules_dir)
        solved.ensure_index(self.store, self.rules.similar)  # solved tickets of before, or new words
        self.calendar = build_calendar(cfg)
        self.policy = Policy(reopen_days=cfg.reopen_days, ack_max_age_hours=cfg.ack_max_age_hours,
                             language=cfg.language, relay_status=cfg.escalation.relay_status)
        self.log = get_log()
        # Reload (SIGHUP): `run` sets the event and gives the check of the config as it reads
        # now (the names of its mailboxes, or a ConfigError); the service asks for it between
        # its steps (`Service.reload`) and ends with `reload_accepted` for `run` to start anew.
        self.reload_requested = threading.Event()
        self.reload: Callable[[], list[str]] | None = None
        self.reload_accepted = False
        self.storage_failures = 0  # since start: what could not be stored (`run --once` exits 75)
        self.deferred_mail = 0  # since start: sends that failed for now and wait for a retry (75 too)
        self.failing_since: dict[str, datetime] = {}
        self.unreadable: dict[str, TransientError] = {}  # a mailbox's server failure in the last pass
        self.failing_why: dict[str, str] = {}  # the latest error of a failing mailbox, for its alert
        self.failing_folder: dict[str, str] = {}  # the folder a failing MOVE goes to, for its alert
        # a mailbox's SMTP server that cannot be used as configured (`smtp.no_auth`): 78 for `run`
        self.misconfigured: dict[str, str] = {}
        self.fatal = ""  # why `run` stopped for a configuration error found while running (78)
        self.archive = Archive(cfg.archive_dir, cfg.limits)
        self.setups = {box.name: Setup(cfg, box, self.rules, self.calendar) for box in cfg.mailboxes}
        self.composer = Composer(self.store, self.renderer, self.archive, self.key, self.log)
        self.mailer = Notifier(self.composer, self.store, self.setups)
        self.pipeline = Pipeline(cfg, self.store, self.composer, self.archive, self.setups, self.key, self.policy,
                                 self.clock, self.log, self.problem)
        self.timekeeper = Timekeeper(cfg, self.store, self.mailer, self.rules, self.calendar, self.clock, self.log)
        self.outbox = Outbox(cfg, self.store, self.mailer, self.clock, self.log, refused=refused_back)
        self.alerted_outages: set[str] = set()
        self.intake_elsewhere: set[str] = set()  # mailboxes whose pass another process made (logged once)
        self.alerting = True  # storage outages mailed to coordinators (the sender process leaves it to the daemon)
        self.notify: Callable[[str], None] = lambda state: None  # systemd's STATUS= (set by `Service`)
        self.beat: Callable[[], None] = lambda: None  # progress, for systemd's watchdog
        self.sweep_seconds = SWEEP_SECONDS
        self.audit_tried: dict[str, str] = {}  # mailbox -> the day its daily audit was last tried
        self.recovered: set[str] = set()  # mailboxes with no recovery after a restore (left) to make

    def handle(self, box: MailboxConfig, raw: bytes, received_at: datetime | None = None, *,
               uid: int | None = None, uidvalidity: int | None = None, dry_run: bool = False,
               oversize: int | None = None, read_before: datetime | None = None) -> Outcome:
        """One message through the pipeline (`Pipeline.handle`: its failure boundary)."""
        arrival = Arrival(raw, received_at or self.clock(), uid, uidvalidity, oversize, read_before)
        return self.pipeline.handle(box, arrival, dry_run=dry_run)

    def overdue(self, box: MailboxConfig, now: datetime) -> list[tuple[Ticket, Overdue]]:
        return self.timekeeper.overdue(box, now)

    # --- watching itself --------------------------------------------------------------

    def reload_refused(self, why: str) -> None:
        """A config refused on reload: the coordinators of every mailbox are told once per
        distinct problem (the old config goes on serving them)."""
        import hashlib

        now = self.clock()
        value = hashlib.sha256(why.encode()).hexdigest()[:16]
        for box in self.cfg.mailboxes:
            key = f"alerted:reload:{box.name}"
            try:
                if self.store.meta(key) != value:
                    self._system_alert(box, now, {"alert": "reload_refused", "error": why}, [], key, value)
            except Exception:
                self.log.exception("alert_failed", mailbox=box.name, cause="reload_refused")

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
                self.storage_failed(box, exc, notify)
            except Exception:
                self.log.exception("watch_failed", mailbox=box.name)
        return alerts

    def _watch(self, box: MailboxConfig, notify: Callable[[str], None]) -> int:
        now = self.clock()
        limit = timedelta(minutes=self.cfg.alert_after_minutes)
        alerts = 0
        since = self.failing_since.get(f"imap:{box.name}")
        if since and now - since >= limit and self.store.meta(f"alerted:imap:{box.name}") != ts(since):
            alert: dict[str, object] = {"alert": "mailbox_unreadable", "since": self.local(since),
                                        "error": self.failing_why.get(f"imap:{box.name}", "")}
            alerts += self._system_alert(box, now, alert, [], f"alerted:imap:{box.name}", ts(since))
        since = self.failing_since.get(f"move:{box.name}")
        if since and now - since >= limit and self.store.meta(f"alerted:move:{box.name}") != ts(since):
            alert = {"alert": "move_failing", "since": self.local(since),
                     "folder": self.failing_folder.get(f"move:{box.name}", ""),
                     "error": self.failing_why.get(f"move:{box.name}", "")}
            alerts += self._system_alert(box, now, alert, [], f"alerted:move:{box.name}", ts(since))
        self.unsendable(box, now, notify)
        last = int(self.store.meta(f"alerted:quarantine:{box.name}") or 0)
        fresh = self.store.quarantined(box.name, after=last)
        if fresh:
            items = [f"{self.local(q.at)} {q.message_id}: {q.reason}" for q in fresh[:20]]
            alert = {"alert": "quarantined", "count": len(fresh), "folder": box.imap.quarantine_folder}
            alerts += self._system_alert(box, now, alert, items, f"alerted:quarantine:{box.name}",
                                         str(max(q.id for q in fresh)))
        return alerts

    def unsendable(self, box: MailboxConfig, now: datetime, notify: Callable[[str], None]) -> bool:
        """An outbox unsendable for `alert_after_minutes` is logged and shown to systemd."""
        since = self.failing_since.get(f"smtp:{box.name}")
        if not since or now - since < timedelta(minutes=self.cfg.alert_after_minutes):
            return False
        self.log.error("outbox_unsendable", mailbox=box.name, since=since.isoformat())
        notify(f"STATUS=outbox of {box.name} unsendable since {since.isoformat()}")
        return True

    def storage_failed(self, box: MailboxConfig, exc: BaseException, notify: Callable[[str], None]) -> None:
        """Disk full, database locked or read-only: mail stays in the INBOX until it works again.

        The coordinators are told once per outage by a mail sent straight through SMTP,
        since the outbox lives in the database that fails.
        """
        now = self.clock()
        self.storage_failures += 1  # `run --once` exits 75 after any: mail stayed in the INBOX
        key = f"storage:{box.name}"
        since = self.failing_since.setdefault(key, now)
        self.log.error("storage_unavailable", mailbox=box.name, error=str(exc), since=since.isoformat())
        notify(f"STATUS=storage failing for {box.name} since {since.isoformat()}: {exc}"[:400])
        if self.alerting and now - since >= timedelta(minutes=self.cfg.alert_after_minutes) \
                and key not in self.alerted_outages:
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

    def daily_audit(self, box: MailboxConfig, session: imap.Mailbox, on_main: OnMain = run_here) -> int:
        """Once a day per mailbox (its watcher, after a pass, on its own session): the audit of
        what moved since the last one, the coordinators alerted once per finding. The count of
        findings alerted now."""
        today = self.clock().astimezone(self.cfg.timezone).date().isoformat()
        if self.audit_tried.get(box.name) == today or on_main(partial(self.store.meta, f"audited:{box.name}")) == today:
            return 0
        self.audit_tried[box.name] = today  # a failing audit is tried again tomorrow, not every pass
        findings = Auditor(self.cfg, self.store, self.clock, self.log, on_main).mailbox(box, session)
        return int(on_main(partial(self.alert_findings, box, findings, today)))

    def alert_findings(self, box: MailboxConfig, findings: list[Finding], today: str) -> int:
        """One alert naming the findings no alert named before; the audit of `today` done."""
        now = self.clock()
        fresh = [f for f in findings if self.store.meta(f"alerted:audit:{box.name}:{f.key}") is None]
        with self.store.unit_of_work():
            if fresh:
                send = Send("system_alert", Audience.COORDINATORS, auto=AUTO_GENERATED, context={
                    "reason": "", "alert": "audit", "count": len(fresh), "items": [f.line() for f in fresh[:50]]})
                self.mailer.enqueue(box, send, None, None, now)
                for finding in fresh:
                    self.store.set_meta(f"alerted:audit:{box.name}:{finding.key}", today)
            self.store.set_meta(f"audited:{box.name}", today)
        if fresh:
            self.log.warning("coordinators_alerted", mailbox=box.name, alert="audit", findings=len(fresh))
        return len(fresh)

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

    def poll(self, box: MailboxConfig, session: imap.Mailbox, should_stop: Callable[[], bool] = lambda: False,
             on_main: OnMain = run_here) -> int:
        """A pass over the folder (`_pass`) while no other process on this database makes one
        (`locks.intake_lock`); 0 when another does: its pass handles the mail."""
        with intake_lock(self.cfg.database, box.name, should_stop) as ours:
            if ours:
                return self._pass(box, session, should_stop, on_main)
        if box.name not in self.intake_elsewhere:
            self.intake_elsewhere.add(box.name)
            self.log.info("intake_left_to_another_process", mailbox=box.name,
                          why="another mailbot process on this database is reading this mailbox")
        return 0

    def _pass(self, box: MailboxConfig, session: imap.Mailbox, should_stop: Callable[[], bool],
              on_main: OnMain) -> int:
        """Handle every new message in the folder, in UID order, a batch at a time; the count handled.

        A batch's messages commit one by one and are made durable together (group
        commit); only then does the batch leave the INBOX as one UID MOVE per target
        folder. The next batch is fetched while this one is handled. The stored
        position only passes a message once it has left the INBOX, so a message left
        there (`deferred`) is fetched again by the next pass; those after it that were
        handled are known by their Message-ID and only moved.
        `on_main` runs the store's part on the thread that owns the store.
        """
        if box.name not in self.recovered:  # after `mailbot restore`: before anything is read (issue 33)
            self.recover(box, session, should_stop, on_main)
            self.recovered.add(box.name)
        last_uid = on_main(partial(self._position, box, session.uidvalidity))
        read_before = on_main(partial(self.store.imap_read_at, box.name, box.imap.folder))
        uids = session.pending_uids(last_uid)
        progress = Progress(box.name, len(uids), self.notify, self.beat)
        handled, blocked = 0, False
        alone = on_main(partial(self.store.fetch_suspects, box.name, session.uidvalidity, last_uid))
        batches = session.batches(uids, self.cfg.limits.max_message_bytes, alone)
        unreturned: list[int] = []  # counted against their message in this pass
        try:
            with imap.FetchAhead(batches, ahead=len(uids) > imap.FETCH_BATCH) as fetching:
                while (batch := fetching.next()) is not None and not should_stop():
                    outcomes = on_main(partial(self.handle_batch, box, session.uidvalidity, batch, should_stop,
                                               progress, read_before=read_before))
                    fetching.quiet()  # the next batch is in: the session is ours again
                    position, blocked = self._settle(box, session, batch, outcomes, blocked, on_main)
                    if position is not None:
                        on_main(partial(self.store.set_imap_position, box.name, box.imap.folder,
                                        session.uidvalidity, position, self.clock()))
                    handled += sum(1 for o in outcomes if o.status != "deferred")
                    unreturned += [f.uid for f, o in zip(batch, outcomes, strict=False)
                                   if f.error is not None and o.status == "deferred"]
                    if len(outcomes) < len(batch):
                        break  # stopped between two messages
        except imap.FetchFailed:
            # the server returns no message at all: its failure, not theirs (never set aside for it)
            on_main(partial(self.store.fetch_unfailed, box.name, session.uidvalidity, unreturned))
            raise
        if not uids:
            on_main(partial(self.store.set_imap_position, box.name, box.imap.folder, session.uidvalidity, last_uid,
                            self.clock()))
        return handled

    def recover(self, box: MailboxConfig, session: imap.Mailbox, should_stop: Callable[[], bool],
                on_main: OnMain = run_here) -> None:
        """After `mailbot restore` (`mailbot.recovery`): the mail handled after the backup back in
        the INBOX and handled first, in the order it came, before the mail that reached the
        INBOX while the daemon was stopped (a requester's reply to an ack of then finds its
        ticket). The stored position is left alone: the pass after finds the mail that waited."""
        recovery = Recovery(self.cfg, self.store, self.key, self.clock, self.log, on_main)
        if not recovery.due(box):
            return
        put_back = recovery.run(box, session)
        read_before = on_main(partial(self.store.imap_read_at, box.name, box.imap.folder))
        for batch in session.batches(put_back, self.cfg.limits.max_message_bytes):
            if should_stop():
                return  # the mark stays: the next start handles the rest in the INBOX's order
            outcomes = on_main(partial(self.handle_batch, box, session.uidvalidity, batch, should_stop,
                                       read_before=read_before))
            self._settle(box, session, batch, outcomes, False, on_main)
        recovery.done(box)

    def _position(self, box: MailboxConfig, uidvalidity: int) -> int:
        known_validity, last_uid = self.store.imap_position(box.name, box.imap.folder)
        if known_validity == uidvalidity:
            return last_uid
        if known_validity is not None:
            self.log.warning("uidvalidity_changed", mailbox=box.name, old=known_validity, new=uidvalidity)
        return 0  # rescan; recorded Message-IDs keep anything from running twice

    def handle_batch(self, box: MailboxConfig, uidvalidity: int, batch: list[imap.Fetched],
                     should_stop: Callable[[], bool] = lambda: False, progress: Progress | None = None, *,
                     read_before: datetime | None = None) -> list[Outcome]:
        """Group commit: each message its own transaction (a failing one rolls back alone),
        all made durable by one sync at the end, after the archive's (see `Store.group_commit`).
        `read_before`: when the pass before this one read the folder (None: never)."""
        outcomes: list[Outcome] = []
        with self.store.group_commit(), self.archive.batch():
            for fetched in batch:
                if should_stop():
                    break
                outcomes.append(self.unreturned(box, uidvalidity, fetched) if fetched.error is not None else
                                self.handle(box, fetched.raw, fetched.internal_date, uid=fetched.uid,
                                            uidvalidity=uidvalidity,
                                            read_before=arrived_unread(fetched.internal_date, read_before),
                                            oversize=None if fetched.complete else fetched.size))
                if progress is not None:
                    progress.step()
        return outcomes

    def unreturned(self, box: MailboxConfig, uidvalidity: int, fetched: imap.Fetched) -> Outcome:
        """A message the server could not return (its own FETCH failed): left in the INBOX
        for the next pass, and after `UNREADABLE_PASSES` passes set aside ("unreadable"),
        so that it never holds up the mailbox (see `_set_aside`)."""
        passes = self.store.fetch_failed(box.name, uidvalidity, fetched.uid)
        self.log.warning("message_unreadable", mailbox=box.name, uid=fetched.uid, error=fetched.error,
                         passes=passes, give_up_after=UNREADABLE_PASSES)
        if passes < UNREADABLE_PASSES:
            return Outcome("deferred", f"the mail server could not return it: {fetched.error}")
        return Outcome("unreadable", f"the mail server could not return this message: {fetched.error}; "
                                     f"UID {fetched.uid}")

    def _settle(self, box: MailboxConfig, session: imap.Mailbox, batch: list[imap.Fetched],
                outcomes: list[Outcome], blocked: bool, on_main: OnMain = run_here) -> tuple[int | None, bool]:
        """Move the batch's recorded messages (one UID set per folder); the position to store.

        Moved => recorded: what leaves the INBOX, and where to, is read back from the
        committed arrival rows (written in each message's own transaction, made durable by
        the batch's sync), never from the outcome the code path returned. A message handled
        but not found there stays in the INBOX for the next pass, and is logged.
        """
        handled = [f.uid for f, o in zip(batch, outcomes, strict=False) if o.status not in ("deferred", "unreadable")]
        recorded = on_main(partial(self.store.arrivals_of, box.name, session.uidvalidity, handled)) if handled else {}
        targets: dict[str, list[int]] = {}
        position = None
        for fetched, outcome in zip(batch, outcomes, strict=False):
            if outcome.status == "deferred":
                blocked = True
                continue
            if outcome.status == "unreadable":
                self._set_aside(box, session, fetched.uid, outcome.label, on_main)
            elif (arrived := recorded.get(fetched.uid)) is not None:
                targets.setdefault(arrived.folder, []).append(fetched.uid)
            else:
                self.log.error("message_not_recorded", mailbox=box.name, uid=fetched.uid, outcome=outcome.status)
                blocked = True
                continue
            if not blocked:
                position = fetched.uid
        unmoved: list[int] = []
        for folder, uids in targets.items():
            try:
                placed = session.move(uids, folder)
            except imap.MoveFailed as exc:
                if exc.lost:
                    raise  # the session is gone: the watcher reconnects
                unmoved += uids
                on_main(partial(self.move_failed, box, folder, exc))
                continue
            self._placed(box, session.uidvalidity, uids, placed, on_main)
        if unmoved:
            # Recorded, acked, left in the INBOX: the position stops before them, so the next
            # pass finds them again and only moves them (see `Pipeline.handle`).
            blocked = True
            if position is not None and position >= min(unmoved):
                position = min(unmoved) - 1
        elif targets:
            on_main(partial(self.move_ok, box))
        return position, blocked

    def move_failed(self, box: MailboxConfig, folder: str, exc: imap.MoveFailed) -> None:
        """A MOVE the server refused on a working session (a read-only or full folder): not
        an outage. Mail goes on being handled and answered; the coordinators are alerted
        once when it lasts `alert_after_minutes` (`_watch`)."""
        key = f"move:{box.name}"
        self.failing_since.setdefault(key, self.clock())
        self.failing_why[key] = str(exc)
        self.failing_folder[key] = folder
        self.log.warning("move_failed", mailbox=box.name, folder=folder, error=str(exc))

    def move_ok(self, box: MailboxConfig) -> None:
        if self.failing_since.pop(f"move:{box.name}", None) is not None:
            self.log.info("move_recovered", mailbox=box.name)

    def _placed(self, box: MailboxConfig, uidvalidity: int, uids: list[int], placed: imap.Placed,
                on_main: OnMain) -> None:
        """Where moved messages went, for `audit`; a failure here loses nothing (the audit
        then knows them by Message-ID and content)."""
        try:
            on_main(partial(self.store.placed, box.name, uidvalidity, uids, placed.uidvalidity, placed.uids,
                            self.clock()))
        except (StorageError, *STORAGE_ERRORS) as exc:
            self.log.warning("placement_not_recorded", mailbox=box.name, count=len(uids), error=str(exc))

    def _set_aside(self, box: MailboxConfig, session: imap.Mailbox, uid: int, reason: str, on_main: OnMain) -> None:
        """A message the server could not return, given up: moved to Quarantine where the
        server lets it be moved, else left in the INBOX (never deleted); recorded in the
        quarantine with where it is, for the coordinators' alert. The stored position then
        passes it, so it is never tried or handled again."""
        folder = box.imap.quarantine_folder
        on_main(partial(self.record_unreturned, box, session.uidvalidity, uid, f"{reason}; moved to {folder}"))
        try:  # recorded first: moved => recorded
            placed = session.move([uid], folder)
        except TransientError as exc:
            where = f"{reason}; left in INBOX (moving it to {folder} failed too: {exc})"
            on_main(partial(self.store.quarantine_reason, box.name, session.uidvalidity, uid, where))
            session.revive()
            return
        self._placed(box, session.uidvalidity, [uid], placed, on_main)

    def record_unreturned(self, box: MailboxConfig, uidvalidity: int, uid: int, reason: str) -> None:
        """A message the server could not return, in the quarantine (once per UID)."""
        with self.store.unit_of_work():
            if not self.store.quarantine_known(box.name, uidvalidity, uid):
                message_id = f"(unreadable, UID {uid})"
                self.store.record_quarantine(mailbox=box.name, uid=uid, uidvalidity=uidvalidity,
                                             message_id=message_id, reason=reason, at=self.clock(),
                                             archive_path=None)
                if self.store.arrival(box.name, uidvalidity, uid) is None:
                    self.store.record_arrival(mailbox=box.name, uidvalidity=uidvalidity, uid=uid,
                                              message_id=message_id, outcome="quarantined",
                                              folder=box.imap.quarantine_folder, at=self.clock())
            self.store.forget_fetch_failures(box.name, uidvalidity, uid)
        self.log.warning("message_quarantined", mailbox=box.name, uid=uid, reason=reason)

    def poll_all(self, should_stop: Callable[[], bool] = lambda: False,
                 notify: Callable[[str], None] = lambda s: None) -> dict[str, int | str]:
        """One pass over every mailbox, one after the other (`run --once`); a failing mailbox
        does not stop the others."""
        results: dict[str, int | str] = {}
        for box in self.cfg.mailboxes:
            if should_stop():
                break
            try:
                with imap.Mailbox(box.imap) as session:
                    results[box.name] = self.poll(box, session, should_stop)
                self.mailbox_ok(box)
                self.unreadable.pop(box.name, None)
            except (StorageError, *STORAGE_ERRORS) as exc:
                self.storage_failed(box, exc, notify)
                results[box.name] = f"error: {exc}"
            except TransientError as exc:
                self.mailbox_failed(box, exc)
                self.unreadable[box.name] = exc
                results[box.name] = f"error: {exc}"
            except Exception as exc:  # a bug must not stop the other mailboxes or the daemon
                self.log.exception("mailbox_pass_failed", mailbox=box.name)
                results[box.name] = f"error: {type(exc).__name__}: {exc}"
        return results

    def mailbox_ok(self, box: MailboxConfig) -> None:
        """A pass went through: the mailbox and the storage work (again)."""
        self.failing_since.pop(f"imap:{box.name}", None)
        self._storage_recovered(box)

    def mailbox_failed(self, box: MailboxConfig, exc: TransientError) -> None:
        self.failing_since.setdefault(f"imap:{box.name}", self.clock())
        self.failing_why[f"imap:{box.name}"] = str(exc)
        self.log.error("mailbox_unavailable", mailbox=box.name, error=str(exc))

    def _storage_recovered(self, box: MailboxConfig) -> None:
        key = f"storage:{box.name}"
        if self.failing_since.pop(key, None) is not None:
            self.alerted_outages.discard(key)
            self.log.info("storage_recovered", mailbox=box.name)

    def flush_outbox(self, should_stop: Callable[[], bool] = lambda: False, outbox: Outbox | None = None,
                     report: OnMain = run_here) -> tuple[int, int]:
        """Send what is due; (sent, failed) counts. Temporary failures wait for their retry.

        `outbox`: the sender process's own (its own database connection); `report` runs
        the storage-failure report where the store is owned.
        """
        outbox = outbox or self.outbox
        try:
            result = outbox.flush(should_stop)
        except (StorageError, *STORAGE_ERRORS) as exc:
            for box in outbox.boxes:
                report(partial(self.storage_failed, box, exc, self.notify))
            return 0, 0
        self.deferred_mail += result.deferred
        now = self.clock()
        for name, why in result.misconfigured.items():
            if self.misconfigured.get(name) != why:
                self.log.error("smtp_misconfigured", mailbox=name, problem=why)
        self.misconfigured.update(result.misconfigured)
        for box in outbox.boxes:
            if box.name in result.delivered:
                self.misconfigured.pop(box.name, None)
                self.sendable(box, now)
            elif box.name in result.errors:
                self.failing_since.setdefault(f"smtp:{box.name}", now)
        return result.sent, result.failed + result.deferred

    def sendable(self, box: MailboxConfig, now: datetime) -> None:
        """The server took mail again: an outage that `unsendable` told of is said to be
        over, in the log and in systemd's status, which would otherwise go on saying it."""
        since = self.failing_since.pop(f"smtp:{box.name}", None)
        if since is None or now - since < timedelta(minutes=self.cfg.alert_after_minutes):
            return
        self.log.info("outbox_sendable", mailbox=box.name, unsendable_since=since.isoformat())
        self.notify(f"STATUS=outbox of {box.name} sending again since {now.isoformat()} "
                    f"(after an outage from {since.isoformat()})")

    def sender_outbox(self, mailboxes: Collection[str]) -> Outbox:
        """An outbox for one of the sender process's loops (the mailboxes of one SMTP
        server), on its own connection to the database.

        Its marks ("accepted", "retry at") are committed without an fsync each: they reach
        the file system at once, so a crash or kill of mailbot keeps every one; a power cut
        can lose the last few (the main thread's next commit syncs them), and then a mail
        is sent twice, never lost. Nothing it changes is shared with another loop: its own
        store, archive (whose group it syncs) and renderer (whose template cache it fills)."""
        store = Store(self.cfg.database, synchronous="NORMAL")
        composer = Composer(store, Renderer(self.cfg.templates_dir), Archive(self.cfg.archive_dir, self.cfg.limits),
                            self.key, self.log)
        return Outbox(self.cfg, store, Notifier(composer, store, self.setups), self.clock, self.log, mailboxes,
                      refused=refused_back)

    def sweep(self) -> dict[str, int]:
        """Fire due timers and queue the digest (see `Timekeeper`); storage failures are reported."""
        try:
            return self.timekeeper.sweep()
        except (StorageError, *STORAGE_ERRORS) as exc:
            for box in self.cfg.mailboxes:
                self.storage_failed(box, exc, lambda s: None)
            return {"timers": 0, "digests": 0}

    def send_here(self) -> dict[str, Any]:
        """A command's own sending: the outbox, unless a running daemon's sender holds the
        sender lock; then that sender sends it (it looks every few seconds)."""
        from mailbot.io.locks import sender_lock_if_free

        with sender_lock_if_free(self.cfg.database) as free:
            if not free:
                return {"sent": 0, "failed": 0, "sending": "left to the running daemon's sender"}
            sent, failed = self.flush_outbox()
        return {"sent": sent, "failed": failed}

    def run_once(self) -> dict[str, Any]:
        polled = self.poll_all()
        swept = self.sweep()
        self.watch()
        return {"mailboxes": polled, "timers": swept["timers"], "digests": swept["digests"], **self.send_here()}

    def guarded(self, what: str, step: Callable[[], object]) -> None:
        """One of the loop's steps as its own failure boundary."""
        try:
            step()
        except Exception:
            self.log.exception("step_failed", step=what)


def renamed_mailboxes(cfg: Config, store: Store) -> list[str]:
    """A configured mailbox whose address the database knows under another name that the
    config no longer has: its `name` was changed. Its tickets, ticket numbers, IMAP position
    and signed Message-IDs are kept under the old name, so under the new one the old tickets
    would be out of reach and their numbers given out again.

    Only a name the database does not know yet can be a rename: a mailbox that already ran
    under its name (one of two sharing an address whose other was dropped, a rename made
    before this check existed) keeps its own tickets, and refusing it would stop a working unit."""
    known = store.mailbox_addresses()
    names = {box.name for box in cfg.mailboxes}
    by_address: dict[str, list[str]] = {}
    for name, address in known.items():
        if name not in names:
            by_address.setdefault(address, []).append(name)
    return [f"mailboxes: {box.name!r} has the address {box.address}, which this database knows as the mailbox "
            f"{old!r} (its tickets, ticket numbers and signed Message-IDs are kept under that name): "
            f"give it back the name {old!r}"
            for box in cfg.mailboxes if box.name not in known
            for old in by_address.get(box.address.lower(), [])[:1]]


def unserved_mailboxes(cfg: Config, store: Store) -> list[str]:
    """Mailboxes the config no longer has whose tickets still wait, mail is still unsent or
    deadline timers still run: nothing of theirs is read, sent or chased any more (no mail
    goes From a unit that is not configured), so the operator is told what was left."""
    known = store.mailbox_addresses()
    return [f"mailboxes: {name!r}{f' ({known[name]})' if name in known else ''} is not in the config but the "
            f"database holds {tickets} ticket(s) not closed, {mails} mail(s) not sent and {timers} deadline "
            f"timer(s) for it: none of it is handled while it is not configured (add it back to serve it)"
            for name, (tickets, mails, timers) in store.left_behind(tuple(b.name for b in cfg.mailboxes)).items()]


def arrived_unread(received: datetime, read_before: datetime | None) -> datetime | None:
    """`read_before` for a mail that may have waited unread (the daemon was down): its
    ticket can open at its arrival (`lifecycle.opened_at`). None for one the server
    received in the last minutes by the host's clock: it opens on the daemon's clock, the
    one its deadlines, `sweep --now` and a replay run on; the few seconds between are the
    poll's delay or the two servers' clock skew, not mail mailbot missed."""
    return None if abs(datetime.now(UTC) - received) < JUST_ARRIVED else read_before
