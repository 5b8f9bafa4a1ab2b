"""A pass over a mailbox: every new message of its INBOX through the pipeline, then moved.

The watcher of a mailbox (`service.MailboxWatcher`) or `run --once` asks for a pass on
its own IMAP session; the pass reads the stored position, fetches the new messages a
batch at a time, hands each to the pipeline (its failure boundary) and moves what was
recorded. What touches the store runs on the thread that owns it: the store calls through
`MainThreadStore`, the pass's own store work in the methods marked `on_main_thread`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from mailbot.daemon.main_thread import MainThread, on_main_thread
from mailbot.daemon.main_thread_store import MainThreadStore
from mailbot.daemon.recovery import Recovery
from mailbot.daemon.sent_folder import SentFolder
from mailbot.errors import StorageError, TransientError
from mailbot.flow.alerts import Alerts
from mailbot.flow.health import Health
from mailbot.flow.pipeline import Arrival, Outcome, Pipeline, Status
from mailbot.flow.signals import Progress, Signals
from mailbot.io import imap
from mailbot.io.archive import Archive
from mailbot.io.locks import INTAKE_WAIT_SECONDS, intake_lock, session_lock
from mailbot.io.store import database_errors
from mailbot.settings import Config, MailboxConfig

SENT_COPIES_PER_PASS = 50  # copies of sent mail a pass appends (about 0.3 s on a local Dovecot)
# how long a slice of a batch keeps the main thread while another watcher's step waits: a
# slice is one group commit (one sync), so the shorter the fairer and the more syncs
BATCH_SLICE_SECONDS = 0.1
UNREADABLE_PASSES = 3  # passes a message the server cannot return is tried before it is set aside
# A mail the server received this recently, by the host's own clock, came while mailbot
# was reading: its ticket opens on the daemon's clock (see `arrived_unread`).
JUST_ARRIVED = timedelta(minutes=15)


def host_clock() -> datetime:
    """The host's own clock, which the IMAP server's arrival times are compared with (the
    daemon's clock may be another one: `sweep --now`, a replay, a test's)."""
    return datetime.now(UTC)


class Passes:
    """The passes over the mailboxes of one configuration."""

    def __init__(self, cfg: Config, store: MainThreadStore, archive: Archive, pipeline: Pipeline, key: bytes,
                 health: Health, alerts: Alerts, signals: Signals, clock: Callable[[], datetime], log: Any,
                 sent: SentFolder, host: Callable[[], datetime] = host_clock) -> None:
        self.cfg, self.store, self.archive, self.pipeline, self.key = cfg, store, archive, pipeline, key
        self.main_thread: MainThread = store.main_thread  # where the methods marked `on_main_thread` run
        self.sent = sent  # the copies of sent mail a pass appends
        self.health, self.alerts, self.signals, self.clock, self.log, self.host = \
            health, alerts, signals, clock, log, host
        self.recovered: set[str] = set()  # mailboxes with no recovery after a restore (left) to make
        self.elsewhere: set[str] = set()  # mailboxes whose last pass another process made (or makes)

    def handle(self, box: MailboxConfig, raw: bytes, received_at: datetime | None = None, *,
               uid: int | None = None, uidvalidity: int | None = None, dry_run: bool = False,
               oversize: int | None = None, read_before: datetime | None = None) -> Outcome:
        """One message through the pipeline (`Pipeline.handle`: its failure boundary)."""
        arrival = Arrival(raw, received_at or self.clock(), uid, uidvalidity, oversize, read_before)
        return self.pipeline.handle(box, arrival, dry_run=dry_run)

    def poll_all(self, should_stop: Callable[[], bool] = lambda: False) -> dict[str, int | str]:
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
                self.health.mailbox_read(box.name)
            except database_errors(StorageError, OSError) as exc:
                self.alerts.storage_failed(box, exc)
                results[box.name] = f"error: {exc}"
            except TransientError as exc:
                self.mailbox_failed(box, exc)
                self.health.mailbox_read(box.name, exc)
                results[box.name] = f"error: {exc}"
            except Exception as exc:  # a bug must not stop the other mailboxes or the daemon
                self.log.exception("mailbox_pass_failed", mailbox=box.name)
                results[box.name] = f"error: {type(exc).__name__}: {exc}"
        return results

    def mailbox_ok(self, box: MailboxConfig) -> None:
        """A pass went through: the mailbox and the storage work (again)."""
        since = self.health.recovered(f"imap:{box.name}")
        if since is not None:
            self.log.info("mailbox_available_again", mailbox=box.name,
                          minutes=round((self.clock() - since).total_seconds() / 60, 1))
        self.alerts.storage_works(box)

    def mailbox_failed(self, box: MailboxConfig, exc: TransientError) -> None:
        """A failed login or pass: said as an error once, and again when the reason changes
        (a refresh that keeps failing fills no log); each retry meanwhile at info."""
        key, why = f"imap:{box.name}", str(exc)
        known = self.health.known(key, why)
        self.health.failing(key, self.clock(), why=why)
        if known:
            self.log.info("mailbox_still_unavailable", mailbox=box.name, error=why)
        else:
            self.log.error("mailbox_unavailable", mailbox=box.name, error=why)

    def poll(self, box: MailboxConfig, session: imap.Mailbox, should_stop: Callable[[], bool] = lambda: False) -> int:
        """A pass over the folder (`_pass`), then the copies of sent mail owed to the sent
        folder (`SentFolder`), while no other process on this database makes one
        (`locks.intake_lock`); 0 when another does: its pass handles the mail."""
        with self._intake_lock(box, should_stop) as ours:
            if ours:
                self.elsewhere.discard(box.name)
                handled = self._pass(box, session, should_stop)
                # one batch of copies: more are left for the next pass (`SentFolder.behind`), which
                # the watcher makes at once; appended between batches they slowed intake by a fourth
                self.sent.append(box, session, limit=SENT_COPIES_PER_PASS)
                return handled
        self.elsewhere.add(box.name)
        if box.name not in self.health.intake_elsewhere:
            self.health.intake_elsewhere.add(box.name)
            self.log.info("intake_left_to_another_process", mailbox=box.name,
                          why="another mailbot process on this database is reading this mailbox")
        return 0

    def reading(self, box: MailboxConfig) -> AbstractContextManager[bool]:
        """This process reads the mailbox for a while, unless another does (`_intake_lock`)."""
        return self._intake_lock(box, lambda: False)

    def _intake_lock(self, box: MailboxConfig, should_stop: Callable[[], bool]) -> AbstractContextManager[bool]:
        """One reader of the mailbox at a time: a lock file beside a SQLite database; with a
        PostgreSQL store, a lock of the store's own session (on the thread that owns the
        store), so a pass whose process lost its session writes nothing more."""
        if self.store.own.database.dialect == "sqlite":
            return intake_lock(self.cfg.database, box.name, should_stop)
        name = f"intake:{box.name}"
        return session_lock(lambda: self.store.try_lock(name), lambda: self.store.unlock(name), should_stop,
                            INTAKE_WAIT_SECONDS)

    def _pass(self, box: MailboxConfig, session: imap.Mailbox, should_stop: Callable[[], bool]) -> int:
        """Handle every new message in the folder, in UID order, a batch at a time; the count handled.

        A batch's messages commit one by one and are made durable together (group
        commit); only then does the batch leave the INBOX as one UID MOVE per target
        folder. The next batch is fetched while this one is handled. The stored
        position only passes a message once it has left the INBOX, so a message left
        there (`deferred`) is fetched again by the next pass; those after it that were
        handled are known by their Message-ID and only moved.
        """
        if box.name not in self.recovered:  # after `mailbot restore`: before anything is read
            self.recover(box, session, should_stop)
            self.recovered.add(box.name)
        last_uid = self._position(box, session.uidvalidity)
        read_before = self.store.imap_read_at(box.name, box.imap.folder)
        uids = session.pending_uids(last_uid)
        progress = Progress(box.name, len(uids), self.signals.notify, self.signals.beat)
        handled, blocked = 0, False
        alone = self.store.fetch_suspects(box.name, session.uidvalidity, last_uid)
        batches = session.batches(uids, self.cfg.limits.max_message_bytes, alone)
        unreturned: list[int] = []  # counted against their message in this pass
        try:
            with imap.FetchAhead(batches, ahead=len(uids) > imap.FETCH_BATCH) as fetching:
                while (batch := fetching.next()) is not None and not should_stop():
                    outcomes = self.handle_batch(box, session.uidvalidity, batch, should_stop, progress,
                                                 read_before=read_before)
                    fetching.quiet()  # the next batch is in: the session is ours again
                    position, blocked = self._settle(box, session, batch, outcomes, blocked)
                    if position is not None:
                        self.store.set_imap_position(box.name, box.imap.folder, session.uidvalidity, position,
                                                     self.clock())
                    handled += sum(1 for o in outcomes if o.status is not Status.DEFERRED)
                    unreturned += [f.uid for f, o in zip(batch, outcomes, strict=False)
                                   if f.error is not None and o.status is Status.DEFERRED]
                    if len(outcomes) < len(batch):
                        break  # stopped between two messages
        except imap.FetchFailed:
            # the server returns no message at all: its failure, not theirs (never set aside for it)
            self.store.fetch_unfailed(box.name, session.uidvalidity, unreturned)
            raise
        if not uids:
            self.store.set_imap_position(box.name, box.imap.folder, session.uidvalidity, last_uid, self.clock())
        return handled

    def recover(self, box: MailboxConfig, session: imap.Mailbox, should_stop: Callable[[], bool]) -> None:
        """After `mailbot restore` (`mailbot.daemon.recovery`): the mail handled after the backup back in
        the INBOX and handled first, in the order it came, before the mail that reached the
        INBOX while the daemon was stopped (a requester's reply to an ack of then finds its
        ticket). The stored position is left alone: the pass after finds the mail that waited."""
        recovery = Recovery(self.cfg, self.store, self.key, self.clock, self.log)
        if not recovery.due(box):
            return
        put_back = recovery.run(box, session)
        read_before = self.store.imap_read_at(box.name, box.imap.folder)
        for batch in session.batches(put_back, self.cfg.limits.max_message_bytes):
            if should_stop():
                return  # the mark stays: the next start handles the rest in the INBOX's order
            outcomes = self.handle_batch(box, session.uidvalidity, batch, should_stop, read_before=read_before)
            self._settle(box, session, batch, outcomes, False)
        recovery.done(box)

    @on_main_thread
    def _position(self, box: MailboxConfig, uidvalidity: int) -> int:
        known_validity, last_uid = self.store.own.mailboxes.imap_position(box.name, box.imap.folder)
        if known_validity == uidvalidity:
            return last_uid
        if known_validity is not None:
            self.log.warning("uidvalidity_changed", mailbox=box.name, old=known_validity, new=uidvalidity)
        return 0  # rescan; recorded Message-IDs keep anything from running twice

    def handle_batch(self, box: MailboxConfig, uidvalidity: int, batch: list[imap.Fetched],
                     should_stop: Callable[[], bool] = lambda: False, progress: Progress | None = None, *,
                     read_before: datetime | None = None) -> list[Outcome]:
        """The batch's outcomes, in order (fewer when `should_stop` stopped it between two
        messages), handled in slices on the main thread (`_handle_slice`): a slice gives the
        thread back once it has run `BATCH_SLICE_SECONDS` while another watcher's step waits.
        Whole, a batch of 50 held every other mailbox's steps for as long as it took (1.6 s at
        the 31 mails a second bench/shared_store.py measures on PostgreSQL, more on a loaded
        host), and each step of a pass waits its turn: a mailbox a host took over from a
        stopped one waited for the batches of those it already served (CI: the last of three
        served again 11 s after the stop, with a 5 s lease).
        `read_before`: when the pass before this one read the folder (None: never)."""
        outcomes: list[Outcome] = []
        while len(outcomes) < len(batch):
            done = self.main_thread.run_later(partial(self._handle_slice, box, uidvalidity, batch[len(outcomes):],
                                                      should_stop, progress, read_before))
            outcomes += done
            if not done or should_stop():
                break
        return outcomes

    def _handle_slice(self, box: MailboxConfig, uidvalidity: int, batch: list[imap.Fetched],
                      should_stop: Callable[[], bool], progress: Progress | None,
                      read_before: datetime | None) -> list[Outcome]:
        """On the main thread (`handle_batch` hands it there, after the short steps waiting).
        Group commit: each message its own transaction (a failing one rolls back alone),
        all made durable by one sync at the end, after the archive's (see `Database.group_commit`).
        The outcomes of the first messages of `batch`: all, or those handled before a stop, or
        before another watcher's step waited past `BATCH_SLICE_SECONDS` (at least one message)."""
        outcomes: list[Outcome] = []
        host_now = self.host()
        started = time.monotonic()
        with self.store.own.group_commit(), self.archive.batch():
            for fetched in batch:
                if should_stop():
                    break
                if outcomes and time.monotonic() - started >= BATCH_SLICE_SECONDS and self.main_thread.others_waiting():
                    break
                outcomes.append(self.unreturned(box, uidvalidity, fetched) if fetched.error is not None else
                                self.handle(box, fetched.raw, fetched.internal_date, uid=fetched.uid,
                                            uidvalidity=uidvalidity,
                                            read_before=arrived_unread(fetched.internal_date, read_before, host_now),
                                            oversize=None if fetched.complete else fetched.size))
                if progress is not None:
                    progress.step()
        return outcomes

    def unreturned(self, box: MailboxConfig, uidvalidity: int, fetched: imap.Fetched) -> Outcome:
        """A message the server could not return (its own FETCH failed): left in the INBOX
        for the next pass, and after `UNREADABLE_PASSES` passes set aside ("unreadable"),
        so that it never holds up the mailbox (see `_set_aside`)."""
        passes = self.store.own.arrivals.fetch_failed(box.name, uidvalidity, fetched.uid)
        self.log.warning("message_unreadable", mailbox=box.name, uid=fetched.uid, error=fetched.error,
                         passes=passes, give_up_after=UNREADABLE_PASSES)
        if passes < UNREADABLE_PASSES:
            return Outcome(Status.DEFERRED, f"the mail server could not return it: {fetched.error}")
        return Outcome(Status.UNREADABLE, f"the mail server could not return this message: {fetched.error}; "
                                     f"UID {fetched.uid}")

    def _settle(self, box: MailboxConfig, session: imap.Mailbox, batch: list[imap.Fetched],
                outcomes: list[Outcome], blocked: bool) -> tuple[int | None, bool]:
        """Move the batch's recorded messages (one UID set per folder); the position to store.

        Moved => recorded: what leaves the INBOX, and where to, is read back from the
        committed arrival rows (written in each message's own transaction, made durable by
        the batch's sync), never from the outcome the code path returned. A message handled
        but not found there stays in the INBOX for the next pass, and is logged.
        """
        handled = [f.uid for f, o in zip(batch, outcomes, strict=False)
                   if o.status not in (Status.DEFERRED, Status.UNREADABLE)]
        recorded = self.store.arrivals_of(box.name, session.uidvalidity, handled) if handled else {}
        targets: dict[str, list[int]] = {}
        position = None
        for fetched, outcome in zip(batch, outcomes, strict=False):
            if outcome.status is Status.DEFERRED:
                blocked = True
                continue
            if outcome.status is Status.UNREADABLE:
                self._set_aside(box, session, fetched.uid, outcome.label)
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
                self.move_failed(box, folder, exc)
                continue
            self._placed(box, session.uidvalidity, uids, placed)
        if unmoved:
            # Recorded, acked, left in the INBOX: the position stops before them, so the next
            # pass finds them again and only moves them (see `Pipeline.handle`).
            blocked = True
            if position is not None and position >= min(unmoved):
                position = min(unmoved) - 1
        elif targets:
            self.move_ok(box)
        return position, blocked

    @on_main_thread
    def move_failed(self, box: MailboxConfig, folder: str, exc: imap.MoveFailed) -> None:
        """A MOVE the server refused on a working session (a read-only or full folder): not
        an outage. Mail goes on being handled and answered; the coordinators are alerted
        once when it lasts `alert_after_minutes` (`_watch`)."""
        self.health.failing(f"move:{box.name}", self.clock(), why=str(exc), folder=folder)
        self.log.warning("move_failed", mailbox=box.name, folder=folder, error=str(exc))

    @on_main_thread
    def move_ok(self, box: MailboxConfig) -> None:
        if self.health.recovered(f"move:{box.name}") is not None:
            self.log.info("move_recovered", mailbox=box.name)

    def _placed(self, box: MailboxConfig, uidvalidity: int, uids: list[int], placed: imap.Placed) -> None:
        """Where moved messages went, for `audit`; a failure here loses nothing (the audit
        then knows them by Message-ID and content)."""
        try:
            self.store.placed(box.name, uidvalidity, uids, placed.uidvalidity, placed.uids, self.clock())
        except database_errors(StorageError, OSError) as exc:
            self.log.warning("placement_not_recorded", mailbox=box.name, count=len(uids), error=str(exc))

    def _set_aside(self, box: MailboxConfig, session: imap.Mailbox, uid: int, reason: str) -> None:
        """A message the server could not return, given up: moved to Quarantine where the
        server lets it be moved, else left in the INBOX (never deleted); recorded in the
        quarantine with where it is, for the coordinators' alert. The stored position then
        passes it, so it is never tried or handled again."""
        folder = box.imap.quarantine_folder
        self.record_unreturned(box, session.uidvalidity, uid, f"{reason}; moved to {folder}")
        try:  # recorded first: moved => recorded
            placed = session.move([uid], folder)
        except TransientError as exc:
            where = f"{reason}; left in INBOX (moving it to {folder} failed too: {exc})"
            self.store.quarantine_reason(box.name, session.uidvalidity, uid, where)
            session.revive()
            return
        self._placed(box, session.uidvalidity, [uid], placed)

    @on_main_thread
    def record_unreturned(self, box: MailboxConfig, uidvalidity: int, uid: int, reason: str) -> None:
        """A message the server could not return, in the quarantine (once per UID)."""
        store = self.store.own
        with store.unit_of_work():
            store.arrivals.record_quarantine(mailbox=box.name, uid=uid, uidvalidity=uidvalidity,
                                             message_id=f"(unreadable, UID {uid})", reason=reason, at=self.clock(),
                                             archive_path=None, folder=Status.UNREADABLE.folder(box.imap))
            store.arrivals.forget_fetch_failures(box.name, uidvalidity, uid)
        self.log.warning("message_quarantined", mailbox=box.name, uid=uid, reason=reason)



def arrived_unread(received: datetime, read_before: datetime | None, host_now: datetime) -> datetime | None:
    """`read_before` for a mail that may have waited unread (the daemon was down): its
    ticket can open at its arrival (`lifecycle.opened_at`). None for one the server
    received in the last minutes by the host's clock (`host_now`): it opens on the daemon's
    clock, the one its deadlines, `sweep --now` and a replay run on; the few seconds between
    are the poll's delay or the two servers' clock skew, not mail mailbot missed."""
    return None if abs(host_now - received) < JUST_ARRIVED else read_before
