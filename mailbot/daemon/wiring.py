"""The wiring root: one configuration's parts built once, each handed only what it uses.

`App` builds the values (the store, the pipeline for messages, the passes over the
mailboxes, the timers and the digest, the outbox, the alerts and the health they read)
and keeps them; it sets nothing of theirs afterwards. `mailbot run` (`service.Service`),
`run --once`, the sender process and the commands use its parts through the few methods
below. Each step of the loop is its own failure boundary; the loop never dies of one
message's, one timer's or one mail's error.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from mailbot.core.audit import Finding
from mailbot.core.lifecycle import Policy
from mailbot.core.overdue import Overdue
from mailbot.core.plan import refused_back
from mailbot.core.plan_inputs import Setup
from mailbot.core.worktime import build_calendar
from mailbot.daemon.mailbox_audit import Auditor
from mailbot.daemon.main_thread import MainThread, OnMain, on_main_thread, run_here
from mailbot.daemon.main_thread_store import MainThreadStore
from mailbot.daemon.passes import Passes
from mailbot.daemon.sending_thread import SendingThread
from mailbot.daemon.sent_folder import SentFolder
from mailbot.errors import ConfigError, StorageError, TransientError
from mailbot.flow.alerts import Alerts
from mailbot.flow.health import Health
from mailbot.flow.notices import Notifier
from mailbot.flow.pipeline import Outcome, Pipeline
from mailbot.flow.signals import Signals
from mailbot.flow.timekeeper import Timekeeper
from mailbot.io import imap, keys, solved
from mailbot.io.archive import ARCHIVE_ID_KEY, ARCHIVE_TURN, Archive, check_shared
from mailbot.io.compose import Composer, RecordedIds
from mailbot.io.locks import sender_lock_if_free
from mailbot.io.logs import get as get_log
from mailbot.io.outbox_drain import FlushResult, OutboxDrain, sending_lock, server_groups
from mailbot.io.render import Renderer
from mailbot.io.store import Store, database_errors
from mailbot.io.store.postgres import LeaseLost
from mailbot.io.store.versions import SCHEMA_TURN
from mailbot.io.words import words
from mailbot.model import Ticket
from mailbot.rules import load_rules
from mailbot.settings import Config, MailboxConfig

SWEEP_SECONDS = 60  # how often `run` looks for due deadline timers

__all__ = ["App", "Outcome", "RunOnce"]


@dataclass(frozen=True)
class RunOnce:
    """What `run --once` did, and what waits: the value `cli` alone turns into an exit code."""

    mailboxes: dict[str, int | str]
    timers: int
    digests: int
    sent: int
    failed: int
    sending: str | None = None  # left to a running daemon's sender
    unreadable: tuple[TransientError, ...] = ()  # the server failures of mailboxes not read
    misconfigured: tuple[str, ...] = ()  # SMTP servers that cannot be used as configured
    storage_failures: int = 0
    deferred_mail: int = 0

    @property
    def failed_passes(self) -> tuple[str, ...]:
        """The mailboxes whose pass failed (their count is the error's text)."""
        return tuple(name for name, got in self.mailboxes.items() if isinstance(got, str))

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"mailboxes": self.mailboxes, "timers": self.timers, "digests": self.digests,
                                 "sent": self.sent, "failed": self.failed}
        if self.sending is not None:
            shown["sending"] = self.sending
        return shown


class App:
    """One configuration wired: the parts, built once, given a config, a store and a clock.

    `signals`: where status lines and progress go (systemd's, attached by the service);
    `direct_alerts`: whether storage outages are mailed straight through SMTP (not by the
    sender process, whose daemon meets the failing store too and tells of it once);
    `message_ids`: the Message-IDs a recorded run gave its mail (`mailbot shadow`)."""

    def __init__(self, cfg: Config, store: Store | None = None, clock: Callable[[], datetime] | None = None, *,
                 signals: Signals | None = None, direct_alerts: bool = True,
                 message_ids: RecordedIds | None = None) -> None:
        self.cfg = cfg
        self.store = store or Store.of(cfg)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._store_knows(cfg)
        self.key = self._agreed_key(cfg)
        for language in ("id", "en"):  # an operator's words.yaml of the wrong shape stops start-up (78)
            words(language, cfg.templates_dir)
        self.rules = load_rules(cfg.rules_dir)
        solved.ensure_index(self.store, self.rules.similar)  # solved tickets of before, or new words
        self.calendar = build_calendar(cfg)
        self.log = get_log()
        self.signals = signals or Signals()
        self.main_thread = MainThread()  # the service attaches its main thread, which alone uses the store
        self.main_store = MainThreadStore(self.store, self.main_thread)  # the store, for watcher threads
        self.health = Health()
        self.archive = Archive(cfg.archive_dir, cfg.limits)
        self.setups = {box.name: Setup(cfg, box, self.rules, self.calendar) for box in cfg.mailboxes}
        composer = Composer(self.store, Renderer(cfg.templates_dir), self.archive, self.key, self.log,
                            status_url=cfg.web.url if cfg.web else None, message_ids=message_ids)
        self.mailer = Notifier(composer, self.store, self.setups)
        self.alerts = Alerts(cfg, self.store.metadata, self.store.arrivals, self.store.unit_of_work, self.mailer,
                             self.health, self.signals, self.clock, self.log, direct=direct_alerts)
        policy = Policy(reopen_days=cfg.reopen_days, ack_max_age_hours=cfg.ack_max_age_hours,
                        language=cfg.language, relay_status=cfg.escalation.relay_status)
        self.pipeline = Pipeline(cfg, self.store, composer, self.archive, self.setups, self.key, policy,
                                 self.clock, self.log, self.alerts.problem)
        self.sent_folder = SentFolder(self.store.copies, self.store.restored, self.store.unit_of_work,
                                      self.main_thread, cfg.archive_dir, self.health, self.clock, self.log)
        self.passes = Passes(cfg, self.main_store, self.archive, self.pipeline, self.key, self.health, self.alerts,
                             self.signals, self.clock, self.log, self.sent_folder)
        self.timekeeper = Timekeeper(cfg, self.store, self.mailer, self.rules, self.calendar, self.alerts,
                                     self.signals, self.clock, self.log)
        self.outbox = OutboxDrain(cfg, self.store, self.mailer, self.clock, self.log, refused=refused_back)
        self.sweep_seconds = SWEEP_SECONDS
        self.audit_tried: dict[str, str] = {}  # mailbox -> the day its daily audit was last tried

    def _store_knows(self, cfg: Config) -> None:
        """The store told of this config's mailboxes (refused: one renamed; warned of: one
        removed with work left) and, shared by several hosts, of its archive."""
        renamed = renamed_mailboxes(cfg, self.store)
        if renamed:
            raise ConfigError(renamed[0])
        for box in cfg.mailboxes if not self.store.readonly else ():  # `tickets --overdue` only reads
            self.store.mailboxes.remember_mailbox(box.name, box.address, box.tag_prefix, self.clock())
        for left in unserved_mailboxes(cfg, self.store):
            get_log().warning("mailbox_not_configured", problem=left)
        if self.store.database.dialect != "sqlite" and not self.store.readonly:
            # hosts started together take turns: the second finds the first's id in both
            with self.store.database.turn(ARCHIVE_TURN):
                check_shared(cfg.archive_dir, self.store.metadata.meta(ARCHIVE_ID_KEY), self._claim_archive)

    def _agreed_key(self, cfg: Config) -> bytes:
        """The key this process signs with: the one every process of the store signs with
        (`keys.agreed_key`, its fingerprint recorded at the first start), looked at while this
        process alone looks, so that of two hosts started together the second finds the
        first's. A command that only reads takes the key as it is, or a passing one: it signs
        nothing that leaves."""
        if self.store.readonly:
            return keys.read_key(cfg.secret_key_file) or secrets.token_hex(32).encode()
        database = self.store.database
        with database.turn(SCHEMA_TURN):
            return keys.agreed_key(cfg.secret_key_file, self.store.metadata.meta(keys.FINGERPRINT), self._record_key,
                                   database=str(database.path),
                                   shared=database.dialect != "sqlite", log=get_log())

    def _record_key(self, fingerprint: str) -> None:
        with self.store.unit_of_work():
            self.store.metadata.set_meta(keys.FINGERPRINT, fingerprint)

    # --- what the service, the sender and the commands use ------------------------------

    def handle(self, box: MailboxConfig, raw: bytes, received_at: datetime | None = None, **how: Any) -> Outcome:
        """One message through the pipeline (`Passes.handle`)."""
        return self.passes.handle(box, raw, received_at, **how)

    def poll(self, box: MailboxConfig, session: imap.Mailbox, should_stop: Callable[[], bool] = lambda: False) -> int:
        return self.passes.poll(box, session, should_stop)

    def poll_all(self, should_stop: Callable[[], bool] = lambda: False) -> dict[str, int | str]:
        return self.passes.poll_all(should_stop)

    def overdue(self, box: MailboxConfig, now: datetime) -> list[tuple[Ticket, Overdue]]:
        return self.timekeeper.overdue(box, now)

    def watch(self) -> int:
        return self.alerts.watch()

    @property
    def storage_failures(self) -> int:
        return self.health.storage_failures

    @property
    def deferred_mail(self) -> int:
        return self.health.deferred_mail

    @property
    def misconfigured(self) -> dict[str, str]:
        return dict(self.health.misconfigured)

    def daily_audit(self, box: MailboxConfig, session: imap.Mailbox) -> int:
        """Once a day per mailbox (its watcher, after a pass, on its own session): the audit of
        what moved since the last one, the coordinators alerted once per finding. The count of
        findings alerted now."""
        today = self.clock().astimezone(self.cfg.timezone).date().isoformat()
        if self.audit_tried.get(box.name) == today or self.main_store.meta(f"audited:{box.name}") == today:
            return 0
        self.audit_tried[box.name] = today  # a failing audit is tried again tomorrow, not every pass
        findings = Auditor(self.cfg, self.main_store, self.clock, self.log).mailbox(box, session)
        return self._alert_findings(box, findings, today)

    @on_main_thread
    def _alert_findings(self, box: MailboxConfig, findings: list[Finding], today: str) -> int:
        return int(self.alerts.findings(box, findings, today))

    def flush_outbox(self, should_stop: Callable[[], bool] = lambda: False, outbox: OutboxDrain | None = None,
                     report: OnMain = run_here) -> tuple[int, int]:
        """Send what is due; (sent, failed) counts. Temporary failures wait for their retry.

        `outbox`: the sender process's own (its own database connection); `report` runs
        the storage-failure report where the store is owned.
        """
        outbox = outbox or self.outbox
        try:
            result = outbox.flush(should_stop)
        except LeaseLost as exc:  # stopped past its lease: another host sends this mail now
            self.log.info("sending_turn_lost", reason=str(exc))
            return 0, 0
        except database_errors(StorageError, OSError) as exc:
            for box in outbox.boxes:
                report(partial(self.alerts.storage_failed, box, exc))
            return 0, 0
        return self.sent(result, outbox)

    def sent(self, result: FlushResult, outbox: OutboxDrain) -> tuple[int, int]:
        """What one flush of `outbox` means for the unit: deferred mail and each server's
        health, logged and alerted; (sent, failed) counts."""
        self.health.mail_deferred(result.waiting, result.finished)
        now = self.clock()
        for name, why in self.health.smtp_misconfigured(result.misconfigured, result.delivered).items():
            self.log.error("smtp_misconfigured", mailbox=name, problem=why)
        for box in outbox.boxes:
            if box.name in result.delivered:
                self.alerts.sendable(box, now)
            elif box.name in result.errors:
                self.health.failing(f"smtp:{box.name}", now)
        return result.sent, result.failed + result.deferred

    def sender_outbox(self, mailboxes: Collection[str],
                      probed: dict[tuple[str, ...], datetime] | None = None) -> OutboxDrain:
        """An outbox for one of the sender process's loops (the mailboxes of one SMTP
        server), on its own connection to the database.

        Its marks ("accepted", "retry at") are committed without an fsync each: they reach
        the file system at once, so a crash or kill of mailbot keeps every one; a power cut
        can lose those of the pass in flight (each pass ends with one sync of them,
        `SendingLoop.synced`; the main thread's commits sync them too), and then a mail is
        sent twice, never lost. Nothing it changes is shared with another loop: its own
        store, archive (whose group it syncs) and renderer (whose template cache it fills).
        It does not migrate: the process's own store, opened first, has (or has refused)."""
        store = Store.of(self.cfg, synchronous="NORMAL", migrate=False)
        composer = Composer(store, Renderer(self.cfg.templates_dir), Archive(self.cfg.archive_dir, self.cfg.limits),
                            self.key, self.log, status_url=self.cfg.web.url if self.cfg.web else None)
        return OutboxDrain(self.cfg, store, Notifier(composer, store, self.setups), self.clock, self.log, mailboxes,
                           refused=refused_back, probed=probed)

    def sweep(self) -> dict[str, int]:
        """Fire due timers and queue the digest (see `Timekeeper`); storage failures are reported."""
        try:
            return self.timekeeper.sweep()
        except database_errors(StorageError, OSError) as exc:
            for box in self.cfg.mailboxes:
                self.alerts.storage_failed(box, exc)
            return {"timers": 0, "digests": 0}

    def _claim_archive(self, new: str) -> str:
        """The archive's id the database keeps: `new` when this host is the first to name one."""
        with self.store.unit_of_work():
            if (kept := self.store.metadata.meta(ARCHIVE_ID_KEY)) is not None:
                return kept
            self.store.metadata.set_meta(ARCHIVE_ID_KEY, new)
        return new

    def send_here(self) -> dict[str, Any]:
        """A command's own sending: the outbox, unless a running daemon's sender holds the
        sender lock; then that sender sends it (it looks every few seconds)."""
        with self._sending_free() as free:
            return self._sent_here(free)

    def _sent_here(self, free: bool, before: tuple[int, int] = (0, 0)) -> dict[str, Any]:
        if not free:
            return {"sent": 0, "failed": 0, "sending": "left to the running daemon's sender"}
        sent, failed = self.flush_outbox()
        return {"sent": sent + before[0], "failed": failed + before[1]}

    @contextmanager
    def _sending_free(self) -> Iterator[bool]:
        """Whether no sender sends this database's mail now: the sender lock file beside a
        SQLite file; on PostgreSQL, every sending loop's lock (`sender.sending_lock`), held
        by this process's session while it sends."""
        database = self.store.database
        if database.dialect == "sqlite":
            with sender_lock_if_free(self.cfg.database) as free:
                yield free
            return
        names = [sending_lock(boxes) for _server, boxes in server_groups(self.cfg.mailboxes)]
        taken = [name for name in names if database.try_lock(name)]
        try:
            yield len(taken) == len(names)
        finally:
            for name in taken:
                database.unlock(name)

    def run_once(self) -> RunOnce:
        """`run --once`: a pass over every mailbox, the timers, the watch, the outbox, and the
        copies of what it sent put in the mailboxes' sent folders. Where this process may send,
        it sends while it takes mail in (`SendingThread`, SQLite: a PostgreSQL store's sending
        turns are held by this connection's session)."""
        with self._sending_free() as free:
            beside = free and self.store.database.dialect == "sqlite"
            with (self.sending_beside().running() if beside else nullcontext(None)) as sending_beside:
                polled = self.poll_all()
                swept = self.sweep()
                self.watch()
            sending = self._sent_here(free, self._taken_in(sending_beside))
        if "sending" not in sending:  # sent here, not left to a running daemon (which appends its copies)
            self.copy_sent(polled)
        health = self.health
        return RunOnce(polled, swept["timers"], swept["digests"], sending["sent"], sending["failed"],
                       sending.get("sending"), tuple(health.unreadable.values()),
                       tuple(sorted(set(health.misconfigured.values()))), health.storage_failures,
                       health.deferred_mail)

    def sending_beside(self) -> SendingThread:
        """The thread that sends while `run --once` takes mail in. Its outbox shares what the
        servers answered with this one's, so the last flush does not ask a server again that
        refused the thread a session a moment ago (`OutboxDrain.probed`)."""
        names = [b.name for b in self.cfg.mailboxes]
        return SendingThread(self.sender_outbox(names, probed=self.outbox.probed))

    def _taken_in(self, beside: SendingThread | None) -> tuple[int, int]:
        """What the thread that sent beside intake did, taken in on the main thread."""
        if beside is None:
            return 0, 0
        sent = failed = 0
        for result in beside.results:
            done = self.sent(result, beside.outbox)
            sent, failed = sent + done[0], failed + done[1]
        for exc in beside.failures:
            for box in beside.outbox.boxes:
                self.alerts.storage_failed(box, exc)
        return sent, failed

    def copy_sent(self, polled: dict[str, int | str]) -> None:
        """After `run --once` sent mail: its copies appended, on a session of each mailbox that
        owes any and was read (under its intake lock, as a pass: a daemon reading the mailbox
        appends them itself). A failure is logged; the copies wait for the next pass."""
        owing = self.store.copies.copies_waiting()
        for box in self.cfg.mailboxes:
            if box.name not in owing or not isinstance(polled.get(box.name), int) or box.name in self.passes.elsewhere:
                continue
            try:
                with self.passes.reading(box) as ours:
                    if ours:
                        with imap.Mailbox(box.imap) as session:
                            self.sent_folder.append(box, session)
            except database_errors(StorageError, OSError, TransientError) as exc:
                self.log.warning("sent_copy_failed", mailbox=box.name, error=str(exc),
                                 why="the copies wait for the next pass")

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
    known = store.mailboxes.mailbox_addresses()
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
    known = store.mailboxes.mailbox_addresses()
    left = store.mailboxes.left_behind(tuple(b.name for b in cfg.mailboxes))
    return [f"mailboxes: {name!r}{f' ({known[name]})' if name in known else ''} is not in the config but the "
            f"database holds {tickets} ticket(s) not closed, {mails} mail(s) not sent and {timers} deadline "
            f"timer(s) for it: none of it is handled while it is not configured (add it back to serve it)"
            for name, (tickets, mails, timers) in left.items()]
