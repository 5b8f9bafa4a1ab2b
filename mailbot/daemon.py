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
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import jinja2
import schedule

from mailbot.core.commands import parse_commands
from mailbot.core.deadlines import (
    Overdue,
)
from mailbot.core.identity import identify
from mailbot.core.lifecycle import Decision, Facts, Policy, decide
from mailbot.core.matching import STAFF_ROLES, audience_of, base_subject, find_tag, resolve, role_of
from mailbot.core.model import (
    AUTO_GENERATED,
    AUTO_REPLIED,
    Audience,
    Contact,
    InboundMessage,
    Role,
    Send,
    State,
    Ticket,
)
from mailbot.core.settings import Config, MailboxConfig
from mailbot.core.tokens import verify
from mailbot.core.trust import Citation, authenticate
from mailbot.core.worktime import WorkCalendar
from mailbot.errors import (
    BadMessageError,
    ConfigError,
    RefusedMessageError,
    StorageError,
    TransientError,
)
from mailbot.io import imap, smtp
from mailbot.io.archive import Archive
from mailbot.io.keys import load_or_create_key
from mailbot.io.logs import get as get_log
from mailbot.io.outbox import Outbox
from mailbot.io.render import Renderer
from mailbot.io.store import Store, ts
from mailbot.mailer import Mailer
from mailbot.parsers import content_hash, parse_message
from mailbot.parsers.authres import authres_passes
from mailbot.rules import load_rules
from mailbot.timekeeper import Timekeeper

STORAGE_ERRORS = (sqlite3.Error, OSError)  # disk full, database locked or read-only: transient
IDLE_SLICE_SECONDS = 5.0  # IDLE waits in slices this long, to notice SIGTERM quickly
SWEEP_SECONDS = 60  # how often `run` looks for due deadline timers


@dataclass(frozen=True)
class Outcome:
    """What happened to one message: `processed` or `quarantined`, with a label."""

    status: str  # processed | quarantined | duplicate | deferred (left in the INBOX for the next pass)
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
        self.outbox = Outbox(cfg, self.store, self.mailer, self.clock, self.log)
        self.alerted_outages: set[str] = set()

    def overdue(self, box: MailboxConfig, now: datetime) -> list[tuple[Ticket, Overdue]]:
        return self.timekeeper.overdue(box, now)

    # --- one message --------------------------------------------------------------------

    def handle(self, box: MailboxConfig, raw: bytes, received_at: datetime | None = None, *,
               uid: int | None = None, uidvalidity: int | None = None, dry_run: bool = False,
               oversize: int | None = None) -> Outcome:
        """Parse, decide and commit one message: the per-message failure boundary.

        A message that cannot be handled goes to Quarantine. A failure of the unit's
        own storage is not the message's fault: `StorageError` leaves it in the INBOX
        for the next pass; so does a broken template (`deferred`). The time budget
        covers parsing and deciding, not the commit, which may wait on a busy database.
        """
        now = self.clock()
        received_at = received_at or now
        log = self.log.bind(mailbox=box.name, uid=uid)
        message_id: str | None = None
        try:
            with time_budget(self.cfg.limits.message_seconds):
                if oversize is not None:
                    raise RefusedMessageError(f"message is {oversize} bytes, over the "
                                              f"{self.cfg.limits.max_message_bytes}-byte limit", "too_large")
                msg = parse_message(raw, **self.cfg.limits.parse_options())
                message_id = msg.message_id
                log = log.bind(message_id=message_id)
                digest = content_hash(raw)
                seen = self.store.message_seen(box.name, msg.message_id)
                reused = None
                if seen is not None and seen.direction == "in" and seen.content_hash not in (None, digest):
                    # Another message under a known Message-ID (a broken client, or an attempt to make
                    # mail vanish as a "duplicate"): handled as the new message it is, under its own id.
                    reused, msg = msg.message_id, replace(msg, message_id=f"{msg.message_id}.reused-{digest[:16]}")
                    log = log.bind(message_id=msg.message_id)
                    seen = self.store.message_seen(box.name, msg.message_id)
                if seen is not None and seen.status == "quarantined":
                    raise BadMessageError("same Message-ID as a message already in Quarantine")
                if seen is not None:
                    log.info("message_skipped_duplicate")
                    return Outcome("duplicate", "duplicate")
                if not msg.from_addr.addr or "@" not in msg.from_addr.addr:
                    raise BadMessageError("no usable sender address in From")
                facts = replace(self.facts(box, msg, received_at), content_hash=digest, reused_id=reused)
                decision = decide(facts, self.policy, now)
        except (BadMessageError, MessageTimeout) as exc:
            notice = exc.notice if isinstance(exc, RefusedMessageError) else None
            return self.quarantine(box, raw, str(exc), now, uid, uidvalidity, dry_run, log, message_id, notice)
        except STORAGE_ERRORS as exc:
            raise StorageError(f"cannot read the database: {exc}") from exc
        except Exception as exc:  # the per-message boundary: the loop must go on
            log.exception("message_failed")
            return self.quarantine(box, raw, f"internal error: {type(exc).__name__}: {exc}", now, uid, uidvalidity,
                                   dry_run, log, message_id)
        if dry_run:
            return Outcome("processed", decision.label, decision.ticket.number if decision.ticket else None,
                           tuple(s.kind for s in decision.sends))
        try:
            outcome = self.apply(box, msg, raw, facts, decision, now, uid)
        except STORAGE_ERRORS as exc:
            raise StorageError(f"cannot store the message: {exc}") from exc
        except jinja2.TemplateError as exc:
            reason = f"template error: {type(exc).__name__}: {exc}"
            log.error("message_deferred", reason=reason)
            self.problem(box, "template", reason)
            return Outcome("deferred", reason)
        except Exception as exc:
            log.exception("message_failed")
            return self.quarantine(box, raw, f"internal error: {type(exc).__name__}: {exc}", now, uid, uidvalidity,
                                   dry_run, log, message_id)
        log.info("message_processed", label=outcome.label, ticket=outcome.ticket, sent=list(outcome.sent))
        return outcome

    def quarantine(self, box: MailboxConfig, raw: bytes, reason: str, now: datetime, uid: int | None,
                   uidvalidity: int | None, dry_run: bool, log: Any, message_id: str | None = None,
                   notice: str | None = None) -> Outcome:
        """Record the message as quarantined; if even that fails, it stays in the INBOX.

        `notice` (too_large, too_complex): a human requester is told why and how to send
        it instead, within the loop limits (SPEC 9).
        """
        if not dry_run:
            try:
                path = self.archive.write(box.name, "quarantine", raw, now)
                if message_id is None:
                    message_id = _header_message_id(raw) or "raw-" + hashlib.sha256(raw).hexdigest()[:32]
                # The same IMAP message seen again (its move failed last time) is recorded once.
                if uid is None or not self.store.quarantine_known(box.name, uidvalidity, uid):
                    with self.store.unit_of_work():
                        self.store.record_quarantine(mailbox=box.name, uid=uid, uidvalidity=uidvalidity,
                                                     message_id=message_id, reason=reason, at=now, archive_path=path,
                                                     content_hash=content_hash(raw))
                        if notice:
                            self.refusal_notice(box, raw, notice, now)
            except STORAGE_ERRORS as exc:
                raise StorageError(f"cannot record a quarantined message: {exc}") from exc
            except Exception as exc:
                log.exception("quarantine_failed", reason=reason)
                self.problem(box, "quarantine", f"quarantine failed ({type(exc).__name__}: {exc}) for: {reason}")
                return Outcome("deferred", f"quarantine failed: {exc}")
        log.warning("message_quarantined", reason=reason)
        return Outcome("quarantined", reason)

    def refusal_notice(self, box: MailboxConfig, raw: bytes, notice: str, now: datetime) -> None:
        """Tell a human requester that their mail was too large or too complex, and what to do."""
        end = re.search(rb"\r?\n\r?\n", raw)
        try:
            head = parse_message((raw[:end.end()] if end else raw) + b"\n", **self.cfg.limits.parse_options())
        except BadMessageError:
            return
        role = role_of(head.from_addr.addr, box, self.cfg.escalation.senders)
        if head.is_automatic or role is not Role.REQUESTER or "@" not in head.from_addr.addr:
            return
        limits = self.cfg.limits
        send = Send("message_refused", Audience.SENDER, auto=AUTO_REPLIED, context={
            "refusal": notice, "max_mb": round(limits.max_message_bytes / 1048576), "max_parts": limits.max_parts,
            "max_attachments": limits.max_attachments})
        self.mailer.enqueue(box, send, None, head, now)

    def facts(self, box: MailboxConfig, msg: InboundMessage, received_at: datetime) -> Facts:
        """Gather what the lifecycle needs: role, ticket, authentication, commands."""
        sender = msg.from_addr.addr
        role = role_of(sender, box, self.cfg.escalation.senders)
        if role in STAFF_ROLES and msg.auto_reason and (msg.auto_reason.startswith("list-")
                                                        or msg.auto_reason == "precedence: list"):
            # A staff reply that came back through the staff_notify mailing list is still a person's.
            msg = replace(msg, auto_reason=None)
        if not msg.is_automatic and msg.bounced_ids and self.quotes_our_mail(box, msg.bounced_ids):
            # SPEC 5: a bounce-like subject counts only with evidence; quoting our own mail is.
            msg = replace(msg, auto_reason="bounce: quotes a message mailbot sent", is_bounce=True)
        number = find_tag(msg.subject, box.tag_prefix)
        tagged = self.store.ticket_by_number(box.name, number) if number else None
        citations: list[Citation] = []  # Message-IDs mailbot sent that this message cites
        referenced: list[Ticket] = []
        cited = (*msg.cited_ids, *msg.bounced_ids) if msg.is_bounce else msg.cited_ids
        for mid in cited:
            token = verify(self.key, mid)
            if token and token.mailbox == box.name and token.ticket:
                audience = token.audience if token.audience is not None else self.sent_audience(box, mid)
                citations.append(Citation(token.ticket, audience))
                found = self.store.ticket_by_number(box.name, token.ticket)
                if found and found.id not in {t.id for t in referenced}:
                    referenced.append(found)
        for ticket_id in self.store.tickets_citing(box.name, cited):
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
        match = resolve(sender, role, tagged, tuple(referenced), bounce=msg.is_bounce)
        ticket = match.ticket
        vouched = None
        if self.cfg.auth.mode == "authres":
            vouched = authres_passes(msg.auth_results, self.cfg.auth.trusted_authserv_id or "", msg.from_addr.addr)
        trust = authenticate(role, ticket, citations, self.cfg.auth.mode, vouched)
        authenticated, reason = trust.authenticated, trust.reason
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

    def quotes_our_mail(self, box: MailboxConfig, message_ids: tuple[str, ...]) -> bool:
        """Whether one of these Message-IDs is of a mail that mailbot sent from this mailbox."""
        for mid in message_ids:
            token = verify(self.key, mid)
            if token is not None and token.mailbox == box.name:
                return True
        return self.store.sent_any(box.name, message_ids)

    def sent_audience(self, box: MailboxConfig, message_id: str) -> frozenset[str]:
        """Who a mail of the first Message-ID format (no audience in it) went to, from the outbox."""
        recipients = self.store.sent_recipients(box.name, message_id)
        return audience_of(recipients, box, self.cfg.escalation.senders)

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
                content_hash=facts.content_hash,
            )
            if facts.reused_id is not None:
                self.store.add_event(box.name, ticket_id, now, msg.from_addr.addr, "message_id_reused",
                                     original=facts.reused_id, message_id=msg.message_id)
            for event in decision.events:
                detail = dict(event.detail)
                detail.setdefault("message_id", msg.message_id)
                self.store.add_event(box.name, ticket_id, now, event.actor, event.kind, **detail)
            if facts.cited is not None and ticket is not None and facts.cited.id != ticket_id:
                self.store.add_event(box.name, facts.cited.id, now, msg.from_addr.addr, "cited_by_ticket",
                                     number=ticket.number, message_id=msg.message_id)
            # SPEC 5: mail an authenticated staff or LKPP message causes is never held back.
            exempt = facts.authenticated and facts.role in (*STAFF_ROLES, Role.LKPP) and not msg.is_automatic
            for send in decision.sends:
                queued += self.mailer.enqueue(box, send, ticket, msg, now, exempt=exempt)
        return Outcome("processed", decision.label, ticket.number if ticket else None, tuple(queued))

    # --- watching itself --------------------------------------------------------------

    def problem(self, box: MailboxConfig, cause: str, reason: str) -> None:
        """Something the operator must fix (a broken template, ...): coordinators told once a day."""
        now = self.clock()
        key = f"alerted:{cause}:{box.name}"
        today = now.astimezone(self.cfg.timezone).date().isoformat()
        try:
            if self.store.meta(key) != today:
                self._system_alert(box, now, reason, [], key, today)
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
            reason = (f"mailbot tidak dapat menyimpan data sejak {since.astimezone(self.cfg.timezone):%Y-%m-%d %H:%M} "
                      f"({exc}). Email tetap menunggu di INBOX dan akan diproses setelah masalah diatasi.")
            if self.direct_alert(box, reason):
                self.alerted_outages.add(key)

    def direct_alert(self, box: MailboxConfig, reason: str) -> bool:
        """A system alert sent straight through SMTP, without the outbox (which may be down)."""
        now = self.clock()
        try:
            row = self.mailer.render_detached(box, Send("system_alert", Audience.COORDINATORS, auto=AUTO_GENERATED,
                                                        context={"reason": reason, "items": []}), now)
            results: list[smtp.Delivery] = []
            smtp.deliver(box.smtp, iter([row]), results.append, timeout=box.smtp.timeout)
        except Exception:
            self.log.exception("direct_alert_failed", mailbox=box.name)
            return False
        ok = bool(results and results[0].accepted)
        self.log.warning("coordinators_alerted_directly", mailbox=box.name, delivered=ok)
        return ok

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


