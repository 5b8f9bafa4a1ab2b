"""A copy of each mail mailbot sent, kept in the mailbox's sent folder.

Why the mailbox and not only the archive: a restore on a new host may have lost the
database and the archive with the old host, and then only the mailbox can tell which
numbers were mailed to whom. The requesters' replies tell some; a copy of every mail
tells all of them (`mailbot.daemon.recovery` reads the folder). Staff see there what mailbot
sent, as in any mail client's Sent folder.

The outbox notes a copy when the SMTP server took the mail (`Copies.copy_sent`, in the
transaction that marks it sent); the mailbox's reader appends the noted copies on its
own IMAP session after its pass, one batch a pass (`append`: a backlog's copies follow it,
a batch between two passes, so neither the intake nor new mail waits for them), so a
server that allows one session per mailbox still works, and lets each note go once the
server took the copy. Sending never waits for it and never depends on it: a copy that
fails stays noted for the next pass, a session that breaks fails the pass as any IMAP
failure does, a folder that refuses every copy (its quota, its rights) alerts the
coordinators after `alert_after_minutes`, and a copy the server refuses `GIVE_UP` times
while it takes others (a mail over its size) is given up with an error in the log. The
copies go flagged \\Seen and dated when the mail went (their INTERNALDATE), so the folder
reads as a mail client's Sent does and a restore can read it from the backup's day on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from mailbot.daemon.main_thread import MainThread, on_main_thread
from mailbot.flow.health import Health
from mailbot.io import imap
from mailbot.io.store import UnitOfWork
from mailbot.io.store.copies import Copies, Copy
from mailbot.io.store.restored import Restored
from mailbot.settings import MailboxConfig

BATCH = 50  # copies read from the store at a time
BATCH_BYTES = 8 * 1024 * 1024  # copies in one MULTIAPPEND, together, unless one is larger
GIVE_UP = 5  # refusals of one copy, while the folder takes others, before it is given up


class SentFolder:
    """The copies of sent mail owed to each mailbox's `imap.sent_folder`."""

    def __init__(self, copies: Copies, restored: Restored, unit_of_work: UnitOfWork, main_thread: MainThread,
                 archive_dir: Path, health: Health, clock: Callable[[], datetime], log: Any) -> None:
        self.copies, self.restored, self.unit_of_work = copies, restored, unit_of_work  # the store's parts it uses
        self.archive_dir, self.health, self.clock, self.log = archive_dir, health, clock, log
        self.main_thread = main_thread  # where the methods marked `on_main_thread` (the store's work) run
        self.behind: set[str] = set()  # mailboxes whose last `append` stopped at its limit with copies left

    def append(self, box: MailboxConfig, session: imap.Mailbox, *,
               limit: int | None = None) -> int:
        """The copies this mailbox owes its sent folder, appended on `session` (at most about
        `limit`: a pass appends one batch, so new mail waits for no more than that; what is
        left is in `behind`, for the next pass at once); the count. The store's work runs
        on its thread (the methods marked `on_main_thread`: the daemon's watcher threads append)."""
        self.behind.discard(box.name)
        folder = box.imap.sent_folder
        if folder is None or box.name in self._recovering():
            return 0  # after a restore, its recovery first: it may find the copies there already
        appended = 0
        refused: set[int] = set()  # refused in this pass: tried again at the next
        while due := self._due(box, folder, refused):
            for group in _groups(due, b"MULTIAPPEND" in session.capabilities):
                for done, why in self._put(session, folder, group):
                    ids = [copy.outbox_id for copy, _ in done]
                    if why is None:
                        self._done(ids)
                        appended += len(done)
                    else:
                        refused.update(ids)
                        self._refused(box, folder, done, why)
            if limit is not None and appended + len(refused) >= limit:
                if appended:  # more may wait; a folder that only refuses is not asked again at once
                    self.behind.add(box.name)
                break
        if appended and refused:  # the folder takes copies: the ones it keeps refusing are theirs to blame
            self._give_up(box, folder, refused)
        elif appended:
            self._works(box)
        return appended

    def _due(self, box: MailboxConfig, folder: str, refused: set[int]) -> list[tuple[Copy, bytes]]:
        """The next copies owed, with their bytes (those refused in this pass left for the
        next); one whose bytes are gone (neither in its outbox row nor in the archive: a
        file removed by hand) is let go, with an error in the log."""
        due = [c for c in self._copies_due(box.name, BATCH + len(refused))
               if c.outbox_id not in refused]
        ready, gone = self._bytes(due)
        if gone:
            self._done([c.outbox_id for c in gone])
            self.log.error("sent_copy_lost", mailbox=box.name, folder=folder, count=len(gone),
                           message_ids=[c.message_id for c in gone][:10],
                           why="its bytes are neither in the outbox nor in the archive")
            if not ready:
                return self._due(box, folder, refused)
        return ready

    @staticmethod
    def _put(session: imap.Mailbox, folder: str,
             group: list[tuple[Copy, bytes]]) -> list[tuple[list[tuple[Copy, bytes]], str | None]]:
        """One group appended: [(the group, None)] when the server took it; where it refused a
        MULTIAPPEND (all or none), each copy again on its own, so one the server will not
        take (over its size) is told apart from the others: [(copies, why refused or None)].
        A broken session raises: the pass fails as on any IMAP failure, the notes stay."""
        try:
            session.append(folder, [(raw, copy.at) for copy, raw in group])
        except imap.MoveFailed as exc:
            if exc.lost:
                raise
            if len(group) == 1:
                return [(group, str(exc))]
            return [answer for item in group for answer in SentFolder._put(session, folder, [item])]
        return [(group, None)]

    def _bytes(self, due: list[Copy]) -> tuple[list[tuple[Copy, bytes]], list[Copy]]:
        """Each copy with its bytes: the outbox row's while it holds them, else the archive's
        file; those with neither (a file removed by hand) apart."""
        ready: list[tuple[Copy, bytes]] = []
        gone: list[Copy] = []
        for copy in due:
            raw = copy.raw
            if not raw and copy.archive_path:
                try:
                    raw = (self.archive_dir / copy.archive_path).read_bytes()
                except OSError:
                    raw = b""
            if raw:
                ready.append((copy, raw))
            else:
                gone.append(copy)
        return ready, gone

    @on_main_thread
    def _recovering(self) -> set[str]:
        return self.restored.recovering()

    @on_main_thread
    def _copies_due(self, mailbox: str, limit: int) -> list[Copy]:
        return self.copies.copies_due(mailbox, limit)

    @on_main_thread
    def _done(self, outbox_ids: list[int]) -> None:
        with self.unit_of_work():
            self.copies.copies_done(outbox_ids)

    @on_main_thread
    def _refused(self, box: MailboxConfig, folder: str, group: list[tuple[Copy, bytes]], why: str) -> None:
        """The server refused copies on a working session (a full quota, the folder's rights,
        a mail over its size): each is tried again at the next pass, and the failure lasting
        `alert_after_minutes` alerts the coordinators (`Alerts.watch`). Said as a warning
        once, and again when the reason changes."""
        key = f"copy:{box.name}"
        known = self.health.known(key, why)
        self.health.failing(key, self.clock(), why=why, folder=folder)
        with self.unit_of_work():
            for copy, _ in group:
                self.copies.copy_refused(copy.outbox_id, why)
        (self.log.info if known else self.log.warning)("sent_copy_failed", mailbox=box.name, folder=folder,
                                                       count=len(group), error=why)

    @on_main_thread
    def _give_up(self, box: MailboxConfig, folder: str, refused: set[int]) -> None:
        """Copies refused `GIVE_UP` times while the folder took others: theirs is the fault (a
        mail over the server's size), and they must not be tried for ever; said as an error."""
        given_up = [c for c in self.copies.copies_due(box.name, BATCH + len(refused))
                    if c.outbox_id in refused and c.tries >= GIVE_UP]
        if not given_up:
            return
        with self.unit_of_work():
            self.copies.copies_done([c.outbox_id for c in given_up])
        self.log.error("sent_copy_given_up", mailbox=box.name, folder=folder, passes=GIVE_UP,
                       message_ids=[c.message_id for c in given_up][:10])

    @on_main_thread
    def _works(self, box: MailboxConfig) -> None:
        if self.health.recovered(f"copy:{box.name}") is not None:
            self.log.info("sent_copies_work_again", mailbox=box.name)


def _groups(ready: list[tuple[Copy, bytes]], several: bool) -> list[list[tuple[Copy, bytes]]]:
    """The copies in groups for one command each: several up to `BATCH_BYTES` together where
    the server takes MULTIAPPEND, else one by one."""
    if not several:
        return [[item] for item in ready]
    groups: list[list[tuple[Copy, bytes]]] = []
    size = 0
    for item in ready:
        if groups and size + len(item[1]) <= BATCH_BYTES:
            groups[-1].append(item)
            size += len(item[1])
        else:
            groups.append([item])
            size = len(item[1])
    return groups
