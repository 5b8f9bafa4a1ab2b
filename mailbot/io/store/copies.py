"""The copies of sent mail waiting for their place in the mailbox's sent folder.

A mail the SMTP server took is noted here in the transaction that marks it sent; the
mailbox's reader appends it to `imap.sent_folder` on its own IMAP session and lets the
note go. The note is what makes the copy certain: a stop, a failing server or a lost
session leaves it for the next pass, and it is never a reason to send the mail again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mailbot.io.store.database import Database
from mailbot.io.store.times import moment


@dataclass(frozen=True)
class Copy:
    """One sent mail to copy: its bytes while its outbox row holds them, else the archive's
    file (`archive_path`) has them; when it went; how often the server refused it."""

    outbox_id: int
    message_id: str
    at: datetime
    raw: bytes
    archive_path: str | None
    tries: int


class Copies:
    """The `sent_copies` notes: one per sent mail whose copy is not in the sent folder yet."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def copy_sent(self, outbox_id: int) -> None:
        """A copy of this mail is due, when it went to one recipient at least (its row `sent`)."""
        self.db.execute("insert into sent_copies (outbox_id, mailbox, at, tries) select id, mailbox, sent_at, 0 "
                        "from outbox where id = ? and status = 'sent' and sent_at is not null "
                        "on conflict (outbox_id) do nothing", [outbox_id])

    def copies_due(self, mailbox: str, limit: int) -> list[Copy]:
        """The oldest copies this mailbox still owes its sent folder, at most `limit`."""
        rows = self.db.execute(
            "select c.outbox_id, o.message_id, c.at, o.raw, o.raw_big is not null, m.archive_path, c.tries "
            "from sent_copies c join outbox o on o.id = c.outbox_id left join messages m on m.mailbox = o.mailbox "
            "and m.direction = 'out' and m.message_id = o.message_id where c.mailbox = ? order by c.outbox_id "
            "limit ?", [mailbox, limit]).fetchall()
        return [Copy(r[0], r[1], moment(r[2]), self.db.read_blob("outbox", "raw_big", r[0]) if r[4] else bytes(r[3]),
                     r[5] or None, r[6]) for r in rows]

    def copies_waiting(self) -> set[str]:
        """The mailboxes that owe their sent folder copies."""
        return {str(r[0]) for r in self.db.execute("select distinct mailbox from sent_copies").fetchall()}

    def copies_done(self, outbox_ids: Sequence[int]) -> None:
        """Copies in the sent folder now (or given up): their notes go."""
        for start in range(0, len(outbox_ids), 500):
            chunk = list(outbox_ids[start:start + 500])
            self.db.execute(f"delete from sent_copies where outbox_id in ({','.join('?' * len(chunk))})", chunk)

    def copy_refused(self, outbox_id: int, error: str) -> int:
        """The server refused this copy (the session still working): how often it has now."""
        self.db.execute("update sent_copies set tries = tries + 1, last_error = ? where outbox_id = ?",
                        [error[:500], outbox_id])
        row = self.db.execute("select tries from sent_copies where outbox_id = ?", [outbox_id]).fetchone()
        return int(row[0]) if row else 0

    def copies_found(self, mailbox: str, message_ids: Sequence[str]) -> int:
        """Notes of copies the sent folder holds already (a restore read it: the old host
        appended them after the backup was taken), let go; how many."""
        found = 0
        for start in range(0, len(message_ids), 500):
            chunk = list(message_ids[start:start + 500])
            cursor = self.db.execute(
                "delete from sent_copies where mailbox = ? and outbox_id in (select id from outbox where mailbox = ? "
                f"and message_id in ({','.join('?' * len(chunk))}))", [mailbox, mailbox, *chunk])
            found += max(cursor.rowcount, 0)
        return found
