"""The loop: fetch, decide, commit, move; then send the outbox.

One message is one unit of work: its ticket changes, history and outgoing mail
(outbox rows) commit in one SQLite transaction, and only then is it moved to
`Processed`. A message that cannot be handled goes to `Quarantine` with its
reason recorded, and the loop goes on. A crash between the commit and the move is
harmless: the Message-ID is already recorded, so the next pass only moves it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import schedule

from mailbot import imap, smtp
from mailbot.archive import Archive
from mailbot.commands import parse_commands
from mailbot.config import Config, MailboxConfig
from mailbot.deadlines import (
    Overdue,
)
from mailbot.errors import BadMessageError, ConfigError, TransientError
from mailbot.identity import identify
from mailbot.lifecycle import AUTO_GENERATED, Audience, Decision, Facts, Policy, Send, decide
from mailbot.logs import get as get_log
from mailbot.mailer import Mailer
from mailbot.matching import STAFF_ROLES, base_subject, find_tag, resolve, role_of
from mailbot.model import Contact, InboundMessage, Role, State, Ticket
from mailbot.parsers import parse_message
from mailbot.parsers.authres import authres_passes
from mailbot.render import Renderer
from mailbot.rules import load_rules
from mailbot.store import Store, ts
from mailbot.timekeeper import Timekeeper
from mailbot.tokens import load_or_create_key, verify
from mailbot.worktime import WorkCalendar

IDLE_SLICE_SECONDS = 5.0  # IDLE waits in slices this long, to notice SIGTERM quickly
SWEEP_SECONDS = 60  # how often `run` looks for due deadline timers


@dataclass(frozen=True)
class Outcome:
    """What happened to one message: `processed` or `quarantined`, with a label."""

    status: str  # processed | quarantined | duplicate
    label: str
    ticket: str | None = None
    sent: tuple[str, ...] = ()  # kinds of mail queued


class MessageTimeout(Exception):
    """The per-message time budget ran out."""


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Abort a crafted message that would stall the mailbox (main thread only)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise MessageTimeout(f"message took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


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
        self.mailer = Mailer(cfg, self.store, self.renderer, self.rules, self.archive, self.key, self.log)
        self.timekeeper = Timekeeper(cfg, self.store, self.mailer, self.rules, self.calendar, self.clock, self.log)

    def sweep(self) -> dict[str, int]:
        """Fire due timers and queue the digest (see `Timekeeper`)."""
        return self.timekeeper.sweep()

    def overdue(self, box: MailboxConfig, now: datetime) -> list[tuple[Ticket, Overdue]]:
        return self.timekeeper.overdue(box, now)

    # --- one message --------------------------------------------------------------------

    def handle(self, box: MailboxConfig, raw: bytes, received_at: datetime | None = None, *,
               uid: int | None = None, uidvalidity: int | None = None, dry_run: bool = False) -> Outcome:
        """Parse, decide and commit one message. Never raises for a bad message."""
        now = self.clock()
        received_at = received_at or now
        log = self.log.bind(mailbox=box.name, uid=uid)
        message_id: str | None = None
        try:
            with time_budget(self.cfg.limits.message_seconds):
                msg = parse_message(raw, max_header_bytes=self.cfg.limits.max_header_bytes,
                                    max_size=self.cfg.limits.max_message_bytes)
                message_id = msg.message_id
                log = log.bind(message_id=message_id)
                seen = self.store.message_seen(box.name, msg.message_id)
                if seen == "quarantined":
                    raise BadMessageError("same Message-ID as a message already in Quarantine")
                if seen:
                    log.info("message_skipped_duplicate")
                    return Outcome("duplicate", "duplicate")
                if not msg.from_addr.addr or "@" not in msg.from_addr.addr:
                    raise BadMessageError("no usable sender address in From")
                facts = self.facts(box, msg, received_at)
                decision = decide(facts, self.policy, now)
                if dry_run:
                    return Outcome("processed", decision.label, decision.ticket.number if decision.ticket else None,
                                   tuple(s.kind for s in decision.sends))
                outcome = self.apply(box, msg, raw, facts, decision, now, uid)
        except (BadMessageError, MessageTimeout) as exc:
            return self.quarantine(box, raw, str(exc), now, uid, uidvalidity, dry_run, log, message_id)
        except Exception as exc:  # the per-message boundary: the loop must go on
            log.exception("message_failed")
            return self.quarantine(box, raw, f"internal error: {type(exc).__name__}: {exc}", now, uid, uidvalidity,
                                   dry_run, log, message_id)
        log.info("message_processed", label=outcome.label, ticket=outcome.ticket, sent=list(outcome.sent))
        return outcome

    def quarantine(self, box: MailboxConfig, raw: bytes, reason: str, now: datetime, uid: int | None,
                   uidvalidity: int | None, dry_run: bool, log: Any, message_id: str | None = None) -> Outcome:
        if not dry_run:
            path = self.archive.write(box.name, "quarantine", raw, now)
            if message_id is None:
                message_id = _header_message_id(raw) or "raw-" + hashlib.sha256(raw).hexdigest()[:32]
            # The same IMAP message seen again (its move failed last time) is recorded once.
            if uid is None or not self.store.quarantine_known(box.name, uidvalidity, uid):
                with self.store.unit_of_work():
                    self.store.record_quarantine(mailbox=box.name, uid=uid, uidvalidity=uidvalidity,
                                                 message_id=message_id, reason=reason, at=now, archive_path=path)
        log.warning("message_quarantined", reason=reason)
        return Outcome("quarantined", reason)

    def facts(self, box: MailboxConfig, msg: InboundMessage, received_at: datetime) -> Facts:
        """Gather what the lifecycle needs: role, ticket, authentication, commands."""
        sender = msg.from_addr.addr
        role = role_of(sender, box, self.cfg.escalation.senders)
        if role in STAFF_ROLES and msg.auto_reason and (msg.auto_reason.startswith("list-")
                                                        or msg.auto_reason == "precedence: list"):
            # A staff reply that came back through the staff_notify mailing list is still a person's.
            msg = replace(msg, auto_reason=None)
        number = find_tag(msg.subject, box.tag_prefix)
        tagged = self.store.ticket_by_number(box.name, number) if number else None
        signed: dict[str, str] = {}  # ticket number -> kind, from verified Message-IDs we sent
        referenced: list[Ticket] = []
        for mid in msg.cited_ids:
            token = verify(self.key, mid)
            if token and token.mailbox == box.name and token.ticket:
                signed.setdefault(token.ticket, token.kind)
                found = self.store.ticket_by_number(box.name, token.ticket)
                if found and found.id not in {t.id for t in referenced}:
                    referenced.append(found)
        for ticket_id in self.store.tickets_citing(box.name, msg.cited_ids):
            if ticket_id not in {t.id for t in referenced}:
                found = self.store.ticket_by_id(ticket_id)
                if found:
                    referenced.append(found)
        lkpp_ticket = self.rules.lkpp_ticket(msg.subject, msg.new_text) if role is Role.LKPP else None
        if lkpp_ticket and tagged is None and not referenced:
            # SPEC 3: LKPP mail citing LKPP's own ticket number matches by it.
            by_lkpp = self.store.ticket_by_lkpp(box.name, lkpp_ticket)
            if by_lkpp is not None:
                referenced.append(by_lkpp)
        match = resolve(sender, role, tagged, tuple(referenced))
        ticket = match.ticket
        authenticated, reason = self.authenticate(msg, role, ticket, signed)
        commands = parse_commands(msg.new_text) if role in STAFF_ROLES else None
        facts = Facts(
            message=msg, role=role, ticket=ticket, via=match.via, cited=match.cited,
            authenticated=authenticated, auth_reason=reason, received_at=received_at,
            title=base_subject(msg.subject, box.tag_prefix) or "(tanpa subjek)",
            commands=commands, lkpp_ticket=lkpp_ticket,
        )
        if role is Role.LKPP and ticket is not None:
            verdict = self.rules.classify_lkpp(msg.subject, msg.new_text or msg.text)
            if verdict:
                facts = replace(facts, lkpp_class=verdict.value, lkpp_rule=verdict.rule)
        elif role is Role.REQUESTER and ticket is not None and ticket.state is State.RESOLVED:
            first = next((line for line in msg.new_text.splitlines() if line.strip()), "")
            facts = replace(facts, confirmation=self.rules.is_confirmation(first))
        if role is Role.REQUESTER:
            facts = replace(facts, contact=contact_of(msg))
            category = self.rules.guess_category(msg.subject, msg.new_text)
            priority = self.rules.guess_priority(msg.subject, msg.new_text)
            facts = replace(facts, category=(category.value, category.rule), priority=(priority.value, priority.rule))
        return facts

    def authenticate(self, msg: InboundMessage, role: Role, ticket: Ticket | None,
                     signed: dict[str, str]) -> tuple[bool, str]:
        """SPEC section 9: a staff or LKPP message acts only when authenticated."""
        if role not in STAFF_ROLES and role is not Role.LKPP:
            return True, "not needed"
        mode = self.cfg.auth.mode
        if mode == "off":
            return True, "auth.mode is off"
        if ticket is None:
            return False, "no ticket"
        if ticket.number not in signed:
            return False, "does not reply to a message that mailbot sent on this ticket"
        if mode == "authres":
            ok, why = authres_passes(msg.auth_results, self.cfg.auth.trusted_authserv_id or "", msg.from_addr.addr)
            if not ok:
                return False, f"Authentication-Results: {why}"
            return True, f"signed reference and {why}"
        return True, "signed reference"

    # --- applying a decision ------------------------------------------------------------

    def apply(self, box: MailboxConfig, msg: InboundMessage, raw: bytes, facts: Facts, decision: Decision,
              now: datetime, uid: int | None) -> Outcome:
        archive_path = self.archive.write(box.name, "in", raw, now)
        queued: list[str] = []
        with self.store.unit_of_work():
            ticket = decision.ticket
            if ticket is not None and decision.new_ticket:
                year = now.astimezone(self.cfg.timezone).year
                ticket = replace(ticket, mailbox=box.name, number=self.store.next_number(box.name, year))
                ticket = self.store.insert_ticket(ticket)
            elif ticket is not None:
                self.store.update_ticket(ticket)
            if ticket is not None:
                old = None if decision.new_ticket else facts.ticket
                lkpp_message = facts.role is Role.LKPP and facts.authenticated and not msg.is_automatic
                self.timekeeper.plan_timers(old, ticket, lkpp_message, now)
            ticket_id = ticket.id if ticket else None
            self.store.record_message(
                mailbox=box.name, message_id=msg.message_id, direction="in", role=str(facts.role),
                ticket_id=ticket_id, kind=decision.label, sender=msg.from_addr.addr,
                recipients=",".join(a.addr for a in (*msg.to, *msg.cc)), subject=msg.subject, at=ts(now),
                archive_path=archive_path, size=msg.size, attachments=len(msg.attachments),
                body=msg.new_text, full_text=msg.text, received_at=ts(facts.received_at),
            )
            for event in decision.events:
                detail = dict(event.detail)
                detail.setdefault("message_id", msg.message_id)
                self.store.add_event(box.name, ticket_id, now, event.actor, event.kind, **detail)
            if facts.cited is not None and ticket is not None and facts.cited.id != ticket_id:
                self.store.add_event(box.name, facts.cited.id, now, msg.from_addr.addr, "cited_by_ticket",
                                     number=ticket.number, message_id=msg.message_id)
            for send in decision.sends:
                queued += self.mailer.enqueue(box, send, ticket, msg, now)
        return Outcome("processed", decision.label, ticket.number if ticket else None, tuple(queued))

    # --- watching itself --------------------------------------------------------------

    def watch(self, notify: Callable[[str], None] = lambda s: None) -> int:
        """SPEC 6: one alert to coordinators when a mailbox stays unreadable, the outbox
        stays unsendable (log and systemd status: mail may not get out), or mail is
        quarantined. Returns the number of alerts queued."""
        now = self.clock()
        limit = timedelta(minutes=self.cfg.alert_after_minutes)
        alerts = 0
        for box in self.cfg.mailboxes:
            since = self.failing_since.get(f"imap:{box.name}")
            if since and now - since >= limit and self.store.meta(f"alerted:imap:{box.name}") != ts(since):
                reason = f"Kotak surat tidak dapat dibaca sejak {since.astimezone(self.cfg.timezone):%Y-%m-%d %H:%M}."
                alerts += self._system_alert(box, now, reason, [], f"alerted:imap:{box.name}", ts(since))
            since = self.failing_since.get(f"smtp:{box.name}")
            if since and now - since >= limit:
                self.log.error("outbox_unsendable", mailbox=box.name, since=since.isoformat())
                notify(f"STATUS=outbox of {box.name} unsendable since {since.isoformat()}")
            last = int(self.store.meta(f"alerted:quarantine:{box.name}") or 0)
            fresh = [r for r in self.store.quarantined(box.name) if r["id"] > last]
            if fresh:
                items = [f"{r['at'][:16]} {r['message_id']}: {r['reason']}" for r in fresh[:20]]
                reason = f"{len(fresh)} pesan masuk ke folder {box.imap.quarantine_folder}."
                alerts += self._system_alert(box, now, reason, items, f"alerted:quarantine:{box.name}",
                                             str(max(r["id"] for r in fresh)))
        return alerts

    def _system_alert(self, box: MailboxConfig, now: datetime, reason: str, items: list[str], key: str,
                      value: str) -> int:
        with self.store.unit_of_work():
            send = Send("system_alert", Audience.COORDINATORS, auto=AUTO_GENERATED,
                        context={"reason": reason, "items": items})
            self.mailer.enqueue(box, send, None, None, now)
            self.store.set_meta(key, value)
        self.log.warning("coordinators_alerted", mailbox=box.name, reason=reason)
        return 1

    # --- mailbox passes -----------------------------------------------------------------

    def poll(self, box: MailboxConfig, session: imap.Mailbox) -> int:
        """Handle every new message in the folder, in UID order; the count handled."""
        folder = box.imap.folder
        known_validity, last_uid = self.store.imap_position(box.name, folder)
        if known_validity != session.uidvalidity:
            if known_validity is not None:
                self.log.warning("uidvalidity_changed", mailbox=box.name, old=known_validity, new=session.uidvalidity)
            last_uid = 0  # rescan; recorded Message-IDs keep anything from running twice
        handled = 0
        uids = session.pending_uids(last_uid)
        for fetched in session.fetch(uids):
            outcome = self.handle(box, fetched.raw, fetched.internal_date, uid=fetched.uid,
                                  uidvalidity=session.uidvalidity)
            target = box.imap.quarantine_folder if outcome.status == "quarantined" else box.imap.processed_folder
            session.move(fetched.uid, target)
            self.store.set_imap_position(box.name, folder, session.uidvalidity, fetched.uid, self.clock())
            handled += 1
        if not uids:
            self.store.set_imap_position(box.name, folder, session.uidvalidity, last_uid, self.clock())
        return handled

    def poll_all(self) -> dict[str, int | str]:
        """One pass over every mailbox; a failing mailbox does not stop the others."""
        results: dict[str, int | str] = {}
        for box in self.cfg.mailboxes:
            try:
                with imap.Mailbox(box.imap) as session:
                    results[box.name] = self.poll(box, session)
                self.failing_since.pop(f"imap:{box.name}", None)
            except TransientError as exc:
                self.failing_since.setdefault(f"imap:{box.name}", self.clock())
                self.log.error("mailbox_unavailable", mailbox=box.name, error=str(exc))
                results[box.name] = f"error: {exc}"
        return results

    def flush_outbox(self) -> tuple[int, int]:
        """Send what is due; (sent, failed) counts."""
        now = self.clock()
        sent = failed = 0
        for box in self.cfg.mailboxes:
            rows = self.store.due_outbox(now, box.name)
            for result in smtp.send_rows(box.smtp, rows):
                row = result.row
                if result.ok:
                    self.store.mark_sent(row.id, self.clock())
                    sent += 1
                    self.log.info("mail_sent", mailbox=box.name, kind=row.kind, message_id=row.message_id,
                                  partial_error=result.error or None)
                    self.failing_since.pop(f"smtp:{box.name}", None)
                else:
                    retry = smtp.retry_at(now, row.attempts, result.permanent)
                    self.store.mark_failed_attempt(row.id, result.error, retry)
                    failed += 1
                    if not result.permanent:
                        self.failing_since.setdefault(f"smtp:{box.name}", now)
                    self.log.warning("mail_not_sent", mailbox=box.name, kind=row.kind, message_id=row.message_id,
                                     error=result.error, retry_at=retry.isoformat() if retry else None)
        return sent, failed

    def run_once(self) -> dict[str, Any]:
        polled = self.poll_all()
        swept = self.timekeeper.sweep()
        self.watch()
        sent, failed = self.flush_outbox()
        return {"mailboxes": polled, "timers": swept["timers"], "digests": swept["digests"], "sent": sent,
                "failed": failed}

    def run_forever(self, stop: threading.Event, notify: Callable[[str], None] = lambda s: None) -> None:
        """Poll, sweep on a schedule, send, sleep; until `stop` is set. Failures back off."""
        scheduler = schedule.Scheduler()
        scheduler.every(SWEEP_SECONDS).seconds.do(self.timekeeper.sweep)
        failures = 0
        notify("READY=1")
        self.timekeeper.sweep()
        while not stop.is_set():
            polled = self.poll_all()
            scheduler.run_pending()
            self.watch(notify)
            self.flush_outbox()
            notify("WATCHDOG=1")
            failures = failures + 1 if any(isinstance(v, str) for v in polled.values()) else 0
            delay = min(box.imap.poll_seconds for box in self.cfg.mailboxes)
            if failures:
                delay = min(delay * (2 ** min(failures, 10)), 600)
                self.log.info("retrying_later", seconds=delay, failures=failures)
            if failures:
                stop.wait(delay)
            else:
                self.wait_for_mail(stop, delay)
        notify("STOPPING=1")

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


def contact_of(msg: InboundMessage) -> Contact:
    """The consultation-form fields one requester message states (seed 003)."""
    found = identify([msg])
    return Contact(found.name, found.organisation, found.address, found.phone)


def build_calendar(cfg: Config) -> WorkCalendar:
    """The unit's working calendar; a bad value is a configuration error naming it."""
    cal = cfg.calendar
    try:
        return WorkCalendar.build(tz=cfg.timezone, workdays=cal.workdays, hours=cal.hours, country=cal.country_holidays,
                                  categories=cal.holiday_categories, extra_holidays=cal.extra_holidays)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"calendar: {exc}") from None


def _header_message_id(raw: bytes) -> str | None:
    match = re.search(rb"^message-id:\s*<?([^>\r\n]+)>?", raw[:65536], re.IGNORECASE | re.MULTILINE)
    return match.group(1).decode("ascii", "replace").strip() if match else None


