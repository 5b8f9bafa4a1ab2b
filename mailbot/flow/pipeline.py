"""One message's path, top to bottom: parse, look up, classify, trust, decide, plan, commit.

`Pipeline.process` reads as the STYLE guide's sketch: each step is a call whose name
says what it returns; the pure steps come from `mailbot.core`, the two reads and the
commit from `mailbot.io`. `Pipeline.handle` is the per-message failure boundary
around it (Mailman's runner is the model): a message that cannot be handled goes to
Quarantine with its reason; a failure of the unit's own storage, or a broken
template, is not the message's fault and leaves it in the INBOX for the next pass.
The time budget covers parsing and deciding, not the commit, which may wait on a
busy database.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import jinja2

from mailbot.core.classify import classify_as
from mailbot.core.lifecycle import Decision, Facts, Policy, alerts_answered, decide
from mailbot.core.matching import answering_as, audience_of, on_behalf, role_of, same_or_reused
from mailbot.core.own_signature import without_own_signature
from mailbot.core.plan import Planned, lkpp_spoke, plan
from mailbot.core.plan_inputs import Setup
from mailbot.core.trust import exposed, trust_of
from mailbot.errors import BadMessageError, RefusedMessageError, StorageError
from mailbot.flow.notices import notify
from mailbot.io import lookup
from mailbot.io.archive import Archive
from mailbot.io.compose import Composer
from mailbot.io.store import Store, database_errors, integrity_errors, ts, unique_violated
from mailbot.model import (
    AUTO_REPLIED,
    Audience,
    InboundMessage,
    Role,
    Seen,
    Send,
    Ticket,
)
from mailbot.parsers import content_hash, parse_message, synthetic_message_id
from mailbot.settings import Config, ImapConfig, MailboxConfig

STALE_TRIES = 3  # decisions made again when the ticket changed under them, before the last one commits


class Status(StrEnum):
    """What became of one message, and so where it goes (`folder`); the only such values.
    Its value is the word the arrival row, the logs and `replay --json` say."""

    PROCESSED = "processed"  # recorded on its ticket
    DUPLICATE = "duplicate"  # the same mail again, recorded as an event on the first one's ticket
    QUARANTINED = "quarantined"  # it could not be handled: recorded in the quarantine with the reason
    UNREADABLE = "unreadable"  # the mail server could not return it, pass after pass (`Passes.unreturned`)
    DEFERRED = "deferred"  # nothing recorded: left in the INBOX for the next pass

    def folder(self, imap: ImapConfig) -> str | None:
        """The IMAP folder the message is moved to; None: it stays in the INBOX."""
        if self is Status.DEFERRED:
            return None
        if self in (Status.QUARANTINED, Status.UNREADABLE):
            return imap.quarantine_folder
        return imap.processed_folder


@dataclass(frozen=True)
class Outcome:
    """What happened to one message, with a label for logs and `replay`."""

    status: Status
    label: str
    ticket: str | None = None
    sent: tuple[str, ...] = ()  # kinds of mail queued


@dataclass(frozen=True)
class Arrival:
    """One message as it arrived: its bytes and where it came from."""

    raw: bytes
    received_at: datetime
    uid: int | None = None
    uidvalidity: int | None = None
    oversize: int | None = None  # the whole message was this big and over the cap: `raw` is its header only
    read_before: datetime | None = None  # when mailbot last read the folder before this pass (None: never)


def came_after_read(arrival: Arrival) -> datetime:
    """When the message reached the mailbox, for the ack budget's hour: its
    INTERNALDATE, but never before mailbot last read the folder without it (`read_before`).
    An INTERNALDATE is what the server was given, and an APPEND or an import that keeps the
    Date header may date a new message days back: dated so, a flood was counted an hour
    apart and acked in one pass. Mail that came while the host was
    down came after its last read, and is counted as it came."""
    if arrival.read_before is None:
        return arrival.received_at
    return max(arrival.received_at, arrival.read_before)


@dataclass(frozen=True)
class Ready:
    """A message decided and planned, ready to commit."""

    msg: InboundMessage
    facts: Facts
    decision: Decision
    planned: Planned
    exposed: tuple[tuple[str, frozenset[str]], ...] = ()  # our Message-IDs it puts in outside hands


@dataclass(frozen=True)
class Duplicate:
    """The same mail again under a Message-ID already recorded: its copy is recorded as an
    event on the ticket of the first (never nothing), and nothing else is done."""

    msg: InboundMessage
    seen: Seen


class MessageTimeout(BaseException):
    """The per-message time budget ran out.

    Outside `Exception`'s tree on purpose: a library's `except Exception` (the TNEF
    decoder's wrapper, a parser's fallback) must not be able to swallow it and go on
    working with no budget at all (SPEC 9).
    """


def _recorded_meanwhile(exc: BaseException) -> bool:
    """Whether a write failed because another process recorded the same mail first (a second
    `mailbot run` on one config fetched it too): decided again, it is a duplicate."""
    return unique_violated(exc)


class TicketChanged(Exception):
    """The ticket a decision was made on changed before it could commit: another process
    on the database (the sender giving an escalation up, an operator's `sweep`) wrote it
    after it was read, and the decision is made again from what is there now."""


BUDGET_REPEAT_SECONDS = 0.25  # the alarm fires again this often until the budget's block has ended
HEAD_SECONDS = 5.0  # the most a quarantined message's header block may take to be read again


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Abort a crafted message that would stall the mailbox (main thread only).

    The alarm does not fire once: it fires again every `BUDGET_REPEAT_SECONDS` until
    the block ends, so code that catches even `BaseException` and carries on is
    interrupted again at once; only leaving the block stops it.
    """
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise MessageTimeout(f"message took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, BUDGET_REPEAT_SECONDS)
    try:
        yield
    finally:
        while True:  # an alarm that fires while it is being stopped must not leave it running
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                break
            except MessageTimeout:
                continue
        signal.signal(signal.SIGALRM, previous)


class Pipeline:
    """Messages of the mailboxes of one configuration, one at a time."""

    def __init__(self, cfg: Config, store: Store, composer: Composer, archive: Archive, setups: dict[str, Setup],
                 key: bytes, policy: Policy, clock: Callable[[], datetime], log: Any,
                 problem: Callable[[MailboxConfig, str, str], None]) -> None:
        self.cfg, self.store, self.composer, self.archive = cfg, store, composer, archive
        self.setups, self.key, self.policy, self.clock, self.log = setups, key, policy, clock, log
        self.problem = problem  # tells the coordinators of something the operator must fix

    # --- the path of one message ---------------------------------------------------------

    def process(self, box: MailboxConfig, arrival: Arrival, now: datetime) -> Ready | Duplicate:
        """Parse, look up, classify, trust, decide and plan one message (no writes)."""
        arrived = came_after_read(arrival)  # the hour the ack budget counts it in
        msg = self.parse(arrival)                                          # pure: bytes -> InboundMessage
        msg = on_behalf(msg, box, self.cfg.escalation.senders)             # pure: a web form's person sends it
        msg = without_own_signature(msg, lookup.writer(self.store, box, self.cfg, msg, now))  # * read
        known = lookup.known(self.store, self.key, box, self.cfg, self.setups[box.name].rules, msg,  # * read
                             now, arrival.received_at)
        digest = content_hash(arrival.raw)
        msg, reused = same_or_reused(msg, known.seen, digest)              # pure: a reused Message-ID?
        if reused is not None:
            known = replace(known, seen=self.store.messages.message_seen(box.name, msg.message_id))
        if known.seen is not None and known.seen.status == "quarantined":
            # It parses within today's limits: the operator moved it back from Quarantine after
            # mending the cause (a raised limit, a fixed bug), or a copy came. Either is handled
            # now; a cause that still holds quarantines it again on its own.
            known = replace(known, seen=None)
        if known.seen is not None:
            return Duplicate(msg, known.seen)
        senders = self.cfg.escalation.senders
        role = answering_as(msg.from_addr.addr, box, senders, tuple(c.kind for c in known.citations))  # pure
        holders = audience_of((msg.from_addr.addr, *(a.addr for a in (*msg.to, *msg.cc))), box, senders)
        facts = classify_as(msg, role, known, box, self.cfg, self.setups[box.name].rules, arrival.received_at, now)
        facts = replace(facts, content_hash=digest, reused_id=reused,
                        read_before=arrival.read_before)
        outside = exposed(known.citations, holders)                        # pure: our ids in outside hands
        trust = trust_of(facts.message, facts.role, facts.ticket, known.citations, self.cfg.auth, via=facts.via,
                         counterpart=facts.counterpart_known,
                         opening=facts.intake is not None and facts.intake.number is None,
                         reserved=facts.intake.number if facts.intake else None)  # pure: SPEC 9
        decision = decide(facts, trust, self.policy, now)                  # pure: the table
        past = lookup.past(self.store, box, self.cfg, decision, facts.message, facts.role, now,  # * read
                           vouched=alerts_answered(known.citations), arrived=arrived, rotation=known.rotation)
        planned = plan(decision, facts.ticket, facts.message, past, self.setups[box.name], now,
                       lkpp_message=lkpp_spoke(facts, trust, decision.label, known.citations),
                       vouched=trust.vouched)                                # pure: mail plans
        return Ready(facts.message, facts, decision, planned, outside)

    def parse(self, arrival: Arrival) -> InboundMessage:
        if arrival.oversize is not None:
            raise RefusedMessageError(f"message is {arrival.oversize} bytes, over the "
                                      f"{self.cfg.limits.max_message_bytes}-byte limit", "too_large")
        msg = parse_message(arrival.raw, **self.cfg.limits.parse_options())
        if (not msg.from_addr.addr or "@" not in msg.from_addr.addr) and not msg.is_bounce:
            # A delivery report needs no sender to answer (SPEC 5: never answered) and names the
            # mail it returns: Sendmail's "From: MAILER-DAEMON" with no domain is recorded as the
            # bounce it is, not quarantined; anything else needs a sender.
            raise BadMessageError("no usable sender address in From")
        return msg

    def commit(self, box: MailboxConfig, arrival: Arrival, ready: Ready, now: datetime, check: bool = True) -> Outcome:
        """Everything the message caused in one transaction: ticket, timers, history, outbox;
        `check`: first that its ticket is still as the decision read it (`TicketChanged`)."""
        msg, facts, decision, planned = ready.msg, ready.facts, ready.decision, ready.planned
        archive_path = self.archive.write(box.name, "in", arrival.raw, now)
        with self.store.unit_of_work():
            read = facts.ticket
            if check and read is not None and read.id is not None and self.store.tickets.ticket_by_id(read.id) != read:
                raise TicketChanged  # written back whole below: what changed meanwhile would be lost
            ticket = self.save_ticket(box, decision, now, msg.message_id)
            if ticket is not None and ticket.id is not None and decision.adopt:
                self.store.intake.adopt(box.name, ticket.id, decision.adopt)
            row = self.store.messages.record_message(
                mailbox=box.name, message_id=msg.message_id, direction="in", role=str(facts.role),
                ticket_id=ticket.id if ticket else None, kind=decision.label, sender=msg.from_addr.addr,
                recipients=",".join(a.addr for a in (*msg.to, *msg.cc)), subject=msg.subject, at=ts(now),
                archive_path=archive_path, size=msg.size, attachments=len(msg.attachments), body=msg.new_text,
                full_text=msg.text, received_at=ts(arrival.received_at), content_hash=facts.content_hash)
            opened = ticket if decision.new_ticket and not decision.held else None
            self.store.search.index(opened, ticket.id if ticket else None, row, msg.new_text)
            self.arrived(box, arrival, msg.message_id, Status.PROCESSED, now, facts.content_hash)
            self.record(box, facts, decision, ticket, now)
            self.store.messages.expose(box.name, ready.exposed, now)
            if ticket is not None and planned.timers is not None:
                self.store.timers.apply_timers(box.name, ticket.id, planned.timers,  # type: ignore[arg-type]
                                               new_ticket=decision.new_ticket)
            sent = self.composer.queue(self.setups[box.name], planned, ticket, msg, now, arrival.received_at)
            sent += self.pass_on(box, decision, ticket, msg, now)
        return Outcome(Status.PROCESSED, decision.label, ticket.number if ticket else None, tuple(sent))

    def pass_on(self, box: MailboxConfig, decision: Decision, ticket: Ticket | None, msg: InboundMessage,
                now: datetime) -> list[str]:
        """The mail of a word that names other tickets too (a coordinator's reply to the
        digest), each under its own ticket's tag and thread, within the unit of work."""
        sent: list[str] = []
        for number, send in decision.passed_on:
            other = self.store.tickets.ticket_by_number(box.name, number)
            if other is not None and (ticket is None or other.id != ticket.id):
                sent += notify(self.composer, self.store, self.setups[box.name], (send,), other, now, msg=msg)
        return sent

    def arrived(self, box: MailboxConfig, arrival: Arrival, message_id: str, outcome: Status, now: datetime,
                digest: str | None = None) -> None:
        """Where the IMAP message goes, recorded inside the unit of work that records it."""
        folder = outcome.folder(box.imap)
        if arrival.uid is None or arrival.uidvalidity is None or folder is None:
            return  # `replay`: no IMAP message
        self.store.arrivals.record_arrival(mailbox=box.name, uidvalidity=arrival.uidvalidity, uid=arrival.uid,
                                           message_id=message_id, outcome=outcome.value, folder=folder, at=now,
                                           content_hash=digest or content_hash(arrival.raw))

    def record_duplicate(self, box: MailboxConfig, arrival: Arrival, dup: Duplicate, now: datetime) -> Outcome:
        """The same mail again: an event on the ticket of the one recorded first (mailbot's own
        mail come back, a second delivery), and where this copy goes."""
        msg, seen = dup.msg, dup.seen
        with self.store.unit_of_work():
            self.store.history.add_event(box.name, seen.ticket_id, now, msg.from_addr.addr, "duplicate_received",
                                         message_id=msg.message_id, copy_of=msg.message_id, first=seen.direction,
                                         uid=arrival.uid, subject=msg.subject)
            self.arrived(box, arrival, msg.message_id, Status.DUPLICATE, now)
        ticket = self.store.tickets.ticket_by_id(seen.ticket_id) if seen.ticket_id is not None else None
        return Outcome(Status.DUPLICATE, "duplicate", ticket.number if ticket else None)

    def save_ticket(self, box: MailboxConfig, decision: Decision, now: datetime,
                    message_id: str | None = None) -> Ticket | None:
        ticket = decision.ticket
        year = now.astimezone(self.cfg.timezone).year
        restored = self.store.restored.restored_number(box.name, message_id) if message_id else None
        if ticket is not None and decision.held:  # SPEC 9: a number reserved, no ticket yet (as before a restore)
            return replace(ticket, mailbox=box.name, number=restored or self.store.tickets.next_number(box.name, year))
        if ticket is not None and decision.new_ticket:
            # a held call's reserved number; the number this message got before a restore put
            # an older database back (its requester was mailed it); else the next
            number = ticket.number or restored
            return self.store.tickets.insert_ticket(replace(ticket, mailbox=box.name,
                                                    number=number or self.store.tickets.next_number(box.name, year)))
        if ticket is not None:
            self.store.tickets.update_ticket(ticket)
        return ticket

    def record(self, box: MailboxConfig, facts: Facts, decision: Decision, ticket: Ticket | None,
               now: datetime) -> None:
        """The decision's history on its ticket; a citation noted on the cited ticket too."""
        msg = facts.message
        ticket_id = ticket.id if ticket else None
        events = []
        for event in decision.events:
            detail = dict(event.detail)
            detail.setdefault("message_id", msg.message_id)
            if decision.held and ticket is not None:
                detail["number"] = ticket.number  # what the reply that confirms it finds it by
            events.append((ticket_id, now, event.actor, event.kind, detail))
        self.store.history.add_events(box.name, events)  # one statement: each costs a trip through the engine
        for _, _, _, kind, detail in events:
            if kind == "lkpp_ref_recorded" and ticket_id is not None:  # LKPP's mail is matched by it
                self.store.tickets.record_counterpart_ref(box.name, ticket_id, str(detail["key"]), str(detail["ref"]),
                                                          str(detail["form"]), msg.message_id, now)
        if facts.cited is not None and ticket is not None and facts.cited.id != ticket_id:
            self.store.history.add_event(box.name, facts.cited.id, now, msg.from_addr.addr, "cited_by_ticket",
                                         number=ticket.number, message_id=msg.message_id)
        for number, event in decision.elsewhere:  # a recommendation naming several tickets
            other = self.store.tickets.ticket_by_number(box.name, number)
            if other is not None and other.id != ticket_id:
                self.store.history.add_event(box.name, other.id, now, event.actor, event.kind,
                                             message_id=msg.message_id,
                                             **dict(event.detail))
        if facts.reused_id is not None:
            self.store.history.add_event(box.name, ticket_id, now, msg.from_addr.addr, "message_id_reused",
                                         original=facts.reused_id, message_id=msg.message_id)

    # --- the failure boundary -------------------------------------------------------------

    def handle(self, box: MailboxConfig, arrival: Arrival, *, dry_run: bool = False) -> Outcome:
        """One message, whatever it holds: its one failure boundary, in the manner of Mailman's
        `_one_iteration`. The work (`work`) has no handlers of its own. Here a store that
        cannot be used leaves the message in the INBOX (a StorageError, the loop's to report);
        a ticket that changed under the decision, or another process that recorded the same
        mail first, has it decided again; a broken template (the operator's to mend) leaves it
        for later; anything else the message causes quarantines it with the reason."""
        now = self.clock()
        log = self.log.bind(mailbox=box.name, uid=arrival.uid)
        for attempt in range(1, STALE_TRIES + 1):
            check = attempt < STALE_TRIES  # the last attempt commits whatever it finds
            try:
                return self.work(box, arrival, now, dry_run, log, check)
            except TicketChanged:
                log.info("ticket_changed_meanwhile", attempt=attempt)
            except integrity_errors() as exc:
                if not (check and _recorded_meanwhile(exc)):
                    raise StorageError(f"cannot store the message: {exc}") from exc
                log.info("recorded_meanwhile", attempt=attempt)
            except StorageError:
                raise
            except database_errors(OSError) as exc:
                raise StorageError(f"cannot use the database: {exc}") from exc
            except jinja2.TemplateError as exc:
                reason = f"template error: {type(exc).__name__}: {exc}"
                log.error("message_deferred", reason=reason)
                self.problem(box, "template", reason)
                return Outcome(Status.DEFERRED, reason)
            except (BadMessageError, MessageTimeout) as exc:
                reason, notice = str(exc), exc.notice if isinstance(exc, RefusedMessageError) else None
                break
            except Exception as exc:  # the per-message boundary: the loop must go on
                log.exception("message_failed")
                reason, notice = f"internal error: {type(exc).__name__}: {exc}", None
                break
        else:
            raise AssertionError("the last attempt does not check")  # pragma: no cover
        return self.quarantine(box, arrival, reason, now, dry_run, log, notice)

    def work(self, box: MailboxConfig, arrival: Arrival, now: datetime, dry_run: bool, log: Any,
             check: bool) -> Outcome:
        """The message's whole work, free of handlers: what `handle` guards. A message whose
        arrival is recorded already (an earlier pass whose move failed or was cut short, or a
        second daemon on the same config just now) is only moved."""
        if not dry_run and arrival.uid is not None:
            prior = self.store.arrivals.arrival(box.name, arrival.uidvalidity, arrival.uid)
            if prior is not None:
                log.info("message_already_recorded", outcome=prior.outcome, message_id=prior.message_id)
                return Outcome(Status(prior.outcome), "already recorded")
        with time_budget(self.cfg.limits.message_seconds):
            ready = self.process(box, arrival, now)
        if isinstance(ready, Duplicate):
            log.info("message_duplicate", message_id=ready.msg.message_id)
            if dry_run:
                return Outcome(Status.DUPLICATE, "duplicate")
            return self.record_duplicate(box, arrival, ready, now)
        if dry_run:
            return Outcome(Status.PROCESSED, ready.decision.label, ready.decision.ticket.number if ready.decision.ticket
                           else None, tuple(m.send.kind for m in ready.planned.mails))
        outcome = self.commit(box, arrival, ready, now, check)
        log.info("message_processed", message_id=ready.msg.message_id, label=outcome.label, ticket=outcome.ticket,
                 sent=list(outcome.sent))
        return outcome

    def quarantine(self, box: MailboxConfig, arrival: Arrival, reason: str, now: datetime, dry_run: bool, log: Any,
                   notice: str | None = None) -> Outcome:
        """Record the message as quarantined; if even that fails, it stays in the INBOX.

        `notice` (too_large, too_complex): a human requester is told why and how to send
        it instead, within the loop limits (SPEC 9).
        """
        if not dry_run:
            try:
                self.record_quarantine(box, arrival, reason, now, notice)
            except database_errors(OSError) as exc:
                raise StorageError(f"cannot record a quarantined message: {exc}") from exc
            except Exception as exc:
                log.exception("quarantine_failed", reason=reason)
                self.problem(box, "quarantine_failed", f"quarantine failed ({type(exc).__name__}: {exc}) for: {reason}")
                return Outcome(Status.DEFERRED, f"quarantine failed: {exc}")
        log.warning("message_quarantined", reason=reason)
        return Outcome(Status.QUARANTINED, reason)

    def record_quarantine(self, box: MailboxConfig, arrival: Arrival, reason: str, now: datetime,
                          notice: str | None) -> None:
        raw = arrival.raw
        path = self.archive.write(box.name, "quarantine", raw, now)
        # The same IMAP message seen again (its move failed before mailbot kept arrivals) is
        # recorded once (`Arrivals.record_quarantine`); where it goes is recorded now.
        with self.store.unit_of_work():
            new = self.store.arrivals.record_quarantine(mailbox=box.name, uid=arrival.uid,
                                                        uidvalidity=arrival.uidvalidity,
                                                        message_id=self.quarantine_id(raw), reason=reason, at=now,
                                                        archive_path=path, content_hash=content_hash(raw),
                                                        folder=Status.QUARANTINED.folder(box.imap))
            if notice and new:
                self.refusal_notice(box, raw, notice, now)

    def head_of(self, raw: bytes) -> InboundMessage | None:
        """The message's header block alone, parsed: what a quarantined message is recorded
        and answered by. Never the whole message again: it may be one that just ran out of
        its time budget (SPEC 9). The header block has a budget of its own (`HEAD_SECONDS`):
        a crafted From field that a pattern read in quadratic time ran the message out of its
        30 s and was then read again with none, stalling the mailbox as long again (58 s for
        one of 60 KB). Out of time, the message is recorded by what a scan of its bytes finds."""
        end = re.search(rb"\r?\n\r?\n", raw)
        try:
            with time_budget(min(self.cfg.limits.message_seconds, HEAD_SECONDS)):
                return parse_message((raw[:end.end()] if end else raw) + b"\n", **self.cfg.limits.parse_options())
        except (BadMessageError, MessageTimeout):
            return None

    def quarantine_id(self, raw: bytes) -> str:
        """The Message-ID a quarantined message is recorded under, as far as it can be read."""
        head = self.head_of(raw)
        if head is not None:
            return synthetic_message_id(raw) if head.synthetic_id else head.message_id
        return header_message_id(raw) or "raw-" + hashlib.sha256(raw).hexdigest()[:32]

    def refusal_notice(self, box: MailboxConfig, raw: bytes, notice: str, now: datetime) -> None:
        """Tell a human requester that their mail was too large or too complex, and what to do."""
        head = self.head_of(raw)
        if head is None:
            return
        setup = self.setups[box.name]
        role = role_of(head.from_addr.addr, box, self.cfg.escalation.senders)
        if head.is_automatic or role is not Role.REQUESTER or "@" not in head.from_addr.addr:
            return
        limits = self.cfg.limits
        send = Send("message_refused", Audience.SENDER, auto=AUTO_REPLIED, context={
            "refusal": notice, "max_mb": round(limits.max_message_bytes / 1048576), "max_parts": limits.max_parts,
            "max_attachments": limits.max_attachments})
        notify(self.composer, self.store, setup, (send,), None, now, msg=head)


def header_message_id(raw: bytes) -> str | None:
    match = re.search(rb"^message-id:\s*<?([^>\r\n]+)>?", raw[:65536], re.IGNORECASE | re.MULTILINE)
    return match.group(1).decode("ascii", "replace").strip() if match else None
