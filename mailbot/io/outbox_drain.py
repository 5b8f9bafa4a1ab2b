"""Draining the outbox: due mail goes to SMTP, and each answer is recorded at once.

A row is committed as sent right after the server accepted it, so a crash resends
at most the mail in flight. Temporary failures are tried again with exponential
backoff until `smtp.max_retry_hours` after the mail was queued (five days by
default, as MTAs keep their queue); mail the server refuses for the unit's own login
(535, or 530 for mail without one) is no fault of the mail and is tried hourly past that
time until the login is mended (the outbox-unsendable alert says so). A final failure, a 5xx answer or the retry time
used up, is recorded on the ticket with the server's answer and reported by another
mail: to staff, or to the coordinators when the mail was for staff. One failing mail
never blocks the rest, and when only some recipients refuse, only those are tried
again. Mail held because its server took no mail at all (down, a 421 greeting, MAIL
FROM refused) goes as soon as the server takes mail again, oldest first, not at its own
backoff; mail held for one recipient keeps its backoff.

A mail that went is noted for its copy in the mailbox's sent folder (`Copies.copy_sent`,
in the transaction that marks it sent; the mailbox's reader appends it:
`mailbot.daemon.sent_folder`). After a restore, a mailbox's mail waits until its recovery is
made: the recovery may find in the sent folder that a queued mail went already.

A finished mail is archived here, as it went out, and only then leaves its row: the
files of a group of finished mails are written, made durable by one sync, and the
group's bytes dropped from the database in one statement. A stop in between leaves
the bytes in their rows; the next pass archives them first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from mailbot.core.deadlines import TimerPlan
from mailbot.core.plan_inputs import Setup
from mailbot.core.retry import next_try
from mailbot.errors import StorageError
from mailbot.io import smtp
from mailbot.io.archive import Archive
from mailbot.io.store import BLOB_PIECE, Store, database_errors
from mailbot.model import AUTO_GENERATED, Audience, InboundMessage, OutboxRow, Send, Ticket
from mailbot.settings import Config, MailboxConfig, SmtpConfig

BATCH = 20  # rows loaded (with their bytes) at a time
KEEP_BATCH = 64  # finished mails archived per sync
NOTICE_KINDS = frozenset({"delivery_failed", "system_alert", "rate_limited"})  # never reported by mail again
# Mail to LKPP that moved its ticket to `escalated`: refused for good, the move is undone.
_TO_LKPP_STATE = ("escalate", "forward_info")
_REFUSED_CAUSE = {"escalate": "escalation_refused", "forward_info": "info_refused"}
# How often a server that held mail back (took no mail at all) is asked again whether it
# takes mail, when nothing else is due: one session, the oldest mail. Mail due meanwhile asks it too.
PROBE_EVERY = timedelta(seconds=15)
LOGIN_RETRY = timedelta(hours=1)  # how often mail the server refuses for our login is tried past max_retry_hours


# What a refusal for good of mail to LKPP does to its ticket: `plan.refused_back`, handed in
# at wiring time (the core decides, the outbox writes what it decided).
Refused = Callable[[str, Ticket, Setup, datetime], tuple[Ticket, TimerPlan] | None]


class Mailer(Protocol):
    """What the outbox needs of the shell that plans and queues mail no message decided
    (`notices.Notifier`): the mailboxes' setups, and a notice queued."""

    @property
    def setups(self) -> Mapping[str, Setup]: ...

    def enqueue(self, box: MailboxConfig, send: Send, ticket: Ticket | None, msg: InboundMessage | None,
                now: datetime) -> list[str]: ...


@dataclass
class FlushResult:
    sent: int = 0
    failed: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # mailbox -> last temporary error
    delivered: set[str] = field(default_factory=set)  # mailboxes whose server accepted mail
    # mailboxes whose server cannot be used as configured (a login where it offers no AUTH): why
    misconfigured: dict[str, str] = field(default_factory=dict)
    waiting: set[int] = field(default_factory=set)  # the rows deferred in this pass
    finished: set[int] = field(default_factory=set)  # the rows sent or failed for good in this pass

    @property
    def deferred(self) -> int:
        """How many rows this pass deferred (each is recorded once a pass)."""
        return len(self.waiting)


def server_groups(boxes: Sequence[MailboxConfig]) -> list[tuple[SmtpConfig, list[MailboxConfig]]]:
    """Mailboxes grouped by the SMTP server they send through (one kept connection each):
    each mailbox in exactly one group."""
    groups: dict[tuple[str, int, str | None], tuple[SmtpConfig, list[MailboxConfig]]] = {}
    for box in boxes:
        key = (box.smtp.host, box.smtp.port, box.smtp.username)
        groups.setdefault(key, (box.smtp, []))[1].append(box)
    return list(groups.values())


def sending_lock(boxes: Sequence[MailboxConfig]) -> str:
    """The name of the lock one sending loop holds to send these mailboxes' mail, on a
    store several hosts share (PostgreSQL)."""
    return "send:" + ",".join(sorted(b.name for b in boxes))


class OutboxDrain:
    """Sends what is due for the mailboxes of one configuration: all of them, or those
    named in `mailboxes` (the sender process runs one outbox per SMTP server)."""

    def __init__(self, cfg: Config, store: Store, mailer: Mailer, clock: Callable[[], datetime], log: Any,
                 mailboxes: Collection[str] | None = None, *, refused: Refused,
                 probed: dict[tuple[str, ...], datetime] | None = None) -> None:
        self.cfg = cfg
        self.boxes = [b for b in cfg.mailboxes if mailboxes is None or b.name in mailboxes]
        self.store = store
        self.mailer = mailer
        self.refused = refused
        self.clock = clock
        self.log = log
        self.archive = Archive(cfg.archive_dir, cfg.limits)  # its own: a group is synced by this outbox alone
        self._group: ExitStack | None = None  # the archive batch of the finished mails in `_kept`
        self._kept: list[int] = []
        self._leftovers = True  # rows a stop left holding their bytes are looked for once
        self._unrecorded: dict[int, smtp.Delivery] = {}  # answers the store could not take yet
        # when each server was last asked whether it takes mail (held mail, or a session it
        # refused); shared with another outbox of the same process that sends next (`run --once`)
        self.probed: dict[tuple[str, ...], datetime] = {} if probed is None else probed

    def flush(self, should_stop: Callable[[], bool] = lambda: False) -> FlushResult:
        """One pass over everything due now, server by server."""
        result = FlushResult()
        if self._leftovers:
            self.archive_leftovers()
            self._leftovers = False
        now = self.clock()
        try:
            for delivery in list(self._unrecorded.values()):  # before anything is sent again
                self.record(delivery, result)
            recovering = self.store.restored.recovering()  # after a restore: nothing goes before the mailbox's recovery
            for server, boxes in self.servers():
                names = tuple(b.name for b in boxes if b.name not in recovering)
                if names:
                    self._flush_server(server, names, now, result, should_stop)
        finally:
            self.settle()
        return result

    def _flush_server(self, server: SmtpConfig, names: tuple[str, ...], now: datetime, result: FlushResult,
                      should_stop: Callable[[], bool]) -> None:
        """What is due for one server's mailboxes. Mail held only because the server took no
        mail goes too, in the order it was queued, once the oldest mail shows that the
        server takes mail again; until then each held mail keeps its own retry time."""
        due = self.store.outbox.due_outbox_ids(now, names)
        held = self._held(names, now, bool(due))
        if not held:
            self._send(server, names, due, result, should_stop)
            return
        everything, early = sorted({*due, *held}), frozenset(held)
        first = self._send(server, names, everything[:1], result, should_stop, early)
        taken = first is not None and not (first.server or first.skipped or first.timed_out)
        rest = [i for i in everything[1:] if taken or i not in early]
        if first is not None and first.no_session:
            self._defer(rest, first, result, early)
            return
        self._send(server, names, rest, result, should_stop, early)

    def _defer(self, ids: list[int], answer: smtp.Delivery, result: FlushResult, early: frozenset[int]) -> None:
        """The rows the server gave no session to a moment ago, as it answered then: it is not
        asked again in this pass (a server that never greets costs one time-out, a refused
        login is not tried twice)."""
        for row in self._rows(ids):
            self.record(replace(answer, row=row, deferred=tuple((r, answer.deferred[0][1]) for r in row.rcpt)),
                        result, early)

    def _held(self, names: tuple[str, ...], now: datetime, due: bool) -> list[int]:
        """The mail not yet due that waits only because its server took no mail, when the
        server is to be asked now: with the mail due now, or `PROBE_EVERY` after it last was."""
        held = self.store.outbox.server_held_ids(now, names)
        last = self.probed.get(names)
        if not held or (not due and last is not None and last <= now < last + PROBE_EVERY):
            return []
        self.probed[names] = now
        return held

    def _send(self, server: SmtpConfig, names: tuple[str, ...], ids: list[int], result: FlushResult,
              should_stop: Callable[[], bool], early: frozenset[int] = frozenset()) -> smtp.Delivery | None:
        """The rows over one server's kept connections; the first row's answer (whether
        the server took mail: looked at a recipient, accepted, refused or deferred it).
        A session the server refused (a relay restarting) is its answer for the moment:
        the mail it holds back is asked about again `PROBE_EVERY` later, not at the next look."""
        if not ids:
            return None
        first: list[smtp.Delivery] = []

        def recorded(delivery: smtp.Delivery) -> None:
            first[:] = first or [delivery]
            if delivery.no_session:
                self.probed[names] = self.clock()
            self.record(delivery, result, early)

        smtp.deliver(server, self._rows(ids), recorded, should_stop=should_stop,
                     max_connections=server.max_connections, timeout=server.timeout)
        return first[0] if first else None

    def servers(self) -> list[tuple[SmtpConfig, list[MailboxConfig]]]:
        """This outbox's mailboxes grouped by the SMTP server they send through."""
        return server_groups(self.boxes)

    def _rows(self, ids: list[int]) -> Iterator[OutboxRow]:
        for start in range(0, len(ids), BATCH):
            yield from self.store.outbox.outbox_rows(ids[start:start + BATCH])

    def record(self, delivery: smtp.Delivery, result: FlushResult, early: frozenset[int] = frozenset()) -> None:
        """One row's answer in one transaction, committed before the next mail goes.

        An answer the store cannot take (an operator's shell holding the database, a full
        disk) is kept and written first at the next pass: the row, still due in the
        database, is not sent again meanwhile (it would be at every try until the lock goes).
        A mail tried `early` (before its retry time) that the server still did not take
        keeps that retry time, unwritten.
        """
        if delivery.misconfigured:
            result.misconfigured[delivery.row.mailbox] = delivery.misconfigured
        if delivery.server and delivery.row.id in early:
            result.errors[delivery.row.mailbox] = delivery.deferred[0][1]
            return
        try:
            self._record(delivery, result)
        except database_errors(StorageError, OSError):
            self._unrecorded[delivery.row.id] = delivery
            raise
        self._unrecorded.pop(delivery.row.id, None)

    def _record(self, delivery: smtp.Delivery, result: FlushResult) -> None:
        row, now = delivery.row, self.clock()
        if delivery.skipped:  # not tried: due again on the next pass, no attempt counted
            reason = "; ".join(f"{a}: {e}" for a, e in delivery.deferred)
            with self.store.unit_of_work():
                self.store.outbox.outbox_note(row.id, reason)
            self.log.info("mail_skipped", mailbox=row.mailbox, kind=row.kind, message_id=row.message_id,
                          reason=reason)
            return
        max_retry = timedelta(hours=self.cfg.mailbox(row.mailbox).smtp.max_retry_hours)
        final = list(delivery.refused)
        retry_at = None
        if delivery.deferred:
            retry_at = next_try(row.created_at, now, row.attempts, max_retry)
            if retry_at is None and delivery.ours:  # refused for our login: kept until it is mended
                retry_at = now + LOGIN_RETRY
            if retry_at is None:
                hours = f"{max_retry / timedelta(hours=1):g}"
                final += [(a, f"not accepted within {hours} h; last answer: {e}") for a, e in delivery.deferred]
        error = "; ".join(f"{a}: {e}" for a, e in (*delivery.deferred, *delivery.refused)) or None
        archived = retry_at is None and self.keep(row)
        with self.store.unit_of_work():
            if retry_at is not None:
                if delivery.accepted:
                    self.store.outbox.outbox_accepted(row.id, delivery.accepted)
                self.store.outbox.outbox_retry(row.id, tuple(a for a, _ in delivery.deferred), error or "", retry_at,
                                               server=delivery.server)
            else:
                self.store.outbox.outbox_finish(row.id, now, error, delivery.accepted, drop_raw=archived,
                                                retried=row.attempts > 0)
                if self.cfg.mailbox(row.mailbox).imap.sent_folder:  # a copy for the mailbox's reader to append
                    self.store.copies.copy_sent(row.id)
            if final:
                self.report_failure(row, final, now)
        self._count(delivery, retry_at, final, result)
        if len(self._kept) >= KEEP_BATCH:
            self.settle()

    def keep(self, row: OutboxRow) -> bool:
        """Archive a finished mail; True when its file is durable already (its bytes may
        leave the row now). A small mail's file joins the group `settle` syncs; a big one
        is synced at once, so its row is never rewritten whole with the bytes in it. A
        file that cannot be written leaves the bytes in the row (archived on a later pass)."""
        rel = row.archive_path or Archive.place(row.mailbox, "out", row.raw, row.created_at)
        try:
            if len(row.raw) >= BLOB_PIECE:
                self.archive.put(rel, row.raw)
                return True
            self._put_in_group(rel, row.raw)
        except OSError as exc:
            self.log.error("archive_failed", mailbox=row.mailbox, message_id=row.message_id, error=str(exc))
            self._leftovers = True
            return False
        self._kept.append(row.id)
        return False

    def _put_in_group(self, rel: str, raw: bytes) -> None:
        """A file written into the open group (opened by the first), made durable by `settle`."""
        if self._group is None:
            self._group = ExitStack()
            self._group.enter_context(self.archive.batch())
        self.archive.put(rel, raw)

    def settle(self) -> None:
        """The group's files made durable by one sync, then their bytes dropped from the rows."""
        group, kept = self._group, self._kept
        self._group, self._kept = None, []
        if group is None:
            return
        try:
            group.close()
        except OSError as exc:
            self.log.error("archive_failed", error=str(exc), mails=len(kept))
            self._leftovers = True
            return
        if kept:
            with self.store.unit_of_work():
                self.store.outbox.outbox_drop_raw(kept)

    def archive_leftovers(self) -> None:
        """Finished mails that still hold their bytes (a stop came before their sync)."""
        left = self.store.outbox.outbox_unarchived(tuple(b.name for b in self.boxes))
        if not left:
            return
        for row_id, mailbox, rel, created_at, raw in left:
            try:
                self._put_in_group(rel or Archive.place(mailbox, "out", raw, created_at), raw)
            except OSError as exc:
                self.log.error("archive_failed", mailbox=mailbox, error=str(exc))
                continue
            self._kept.append(row_id)
        self.settle()

    def _count(self, delivery: smtp.Delivery, retry_at: datetime | None, final: list[tuple[str, str]],
               result: FlushResult) -> None:
        row = delivery.row
        log = self.log.bind(mailbox=row.mailbox, kind=row.kind, message_id=row.message_id)
        if delivery.accepted:
            result.delivered.add(row.mailbox)
        if retry_at is not None:
            result.waiting.add(row.id)
            result.errors[row.mailbox] = delivery.deferred[0][1]
            log.warning("mail_deferred", error=delivery.deferred[0][1], retry_at=retry_at.isoformat(),
                        accepted=list(delivery.accepted))
            return
        result.finished.add(row.id)
        if final and not delivery.accepted:
            result.failed += 1
            log.error("mail_failed", error="; ".join(e for _, e in final))
        else:
            result.sent += 1
            log.info("mail_sent", refused=[a for a, _ in final] or None)

    def _refused_back(self, box: MailboxConfig, row: OutboxRow, ticket: Ticket,
                      now: datetime) -> tuple[Ticket, bool]:
        """The ticket back where it was before this mail when it was refused for good and is
        the ticket's latest mail to LKPP: an escalation back in `open`, the requester's data
        back in `awaiting_info`; its timers follow the state (a mail to LKPP sent since is
        left alone). Where it goes back to is `refused`'s to decide (`plan.refused_back`)."""
        moved = self.refused(row.kind, ticket, self.mailer.setups[box.name], now)
        if moved is None or ticket.id is None or row.id != max(
                self.store.outbox.latest_outbox_id(ticket.id, kind) or 0 for kind in _TO_LKPP_STATE):
            return ticket, False
        back, timers = moved
        self.store.tickets.update_ticket(back)
        self.store.history.add_event(box.name, ticket.id, now, "mailbot", "state_changed",
                                     **{"from": str(ticket.state), "to": str(back.state),
                                        "cause": _REFUSED_CAUSE[row.kind]})
        self.store.timers.apply_timers(box.name, ticket.id, timers)
        return back, True

    def report_failure(self, row: OutboxRow, final: list[tuple[str, str]], now: datetime) -> None:
        """Record a final failure on the ticket and tell the people who can act on it."""
        box = self.cfg.mailbox(row.mailbox)
        answer = "; ".join(f"{a}: {e}" for a, e in final)
        self.store.history.add_event(box.name, row.ticket_id, now, "mailbot", "delivery_failed", mail=row.kind,
                                     to=[a for a, _ in final], answer=answer, message_id=row.message_id)
        if row.kind in NOTICE_KINDS:
            self.log.error("notice_undeliverable", mailbox=box.name, kind=row.kind, answer=answer)
            return
        tell = Audience.COORDINATORS if row.audience in ("staff", "sender") else Audience.STAFF
        ticket = self.store.tickets.ticket_by_id(row.ticket_id) if row.ticket_id is not None else None
        moved = False
        if row.kind in _TO_LKPP_STATE and ticket is not None:
            ticket, moved = self._refused_back(box, row, ticket, now)
        notice = Send("delivery_failed", tell, auto=AUTO_GENERATED,
                      context={"failed_kind": row.kind, "failed_to": [a for a, _ in final], "answer": answer,
                               "failed_audience": row.audience, "cause": smtp.refusal_cause(answer),
                               "reopened": moved and row.kind == "escalate",
                               "awaiting": moved and row.kind == "forward_info"})
        self.mailer.enqueue(box, notice, ticket, None, now)
