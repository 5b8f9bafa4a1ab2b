"""After a restore: what the replaced database and the archive said was sent
and received after the backup (`restored`), so that mail made again is recorded as the
mail that went, never sent twice, and a request keeps the number it was given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from mailbot.io.store.database import Database
from mailbot.io.store.meta import Meta
from mailbot.io.store.tickets import Tickets
from mailbot.io.store.times import moment, ts

# After a restore: how far back a timer's mail (no message caused it) may match a mail sent
# after the backup (`Restored.claim_restored`), and the kinds that never match.
RESTORED_TIMER_WINDOW = timedelta(hours=24)
NEVER_CLAIMED = frozenset({"system_alert", "delivery_failed", "rate_limited"})
# meta key prefix: the mailbox's recovery after a restore is due (`mailbot.daemon.recovery`)
RECOVERY = "restore_recovery:"


def restored_recipients(rcpt: Sequence[str]) -> str:
    """Recipients as `restored` keeps them: lower case, each once, sorted."""
    return ",".join(sorted({a.strip().lower() for a in rcpt if a.strip()}))


class Restored:
    """What a restore left to match: numbers, mail sent, acks learned from replies."""

    def __init__(self, db: Database, metadata: Meta, ticket_rows: Tickets) -> None:
        self.db = db
        self.metadata = metadata
        self.ticket_rows = ticket_rows
        self._restored_boxes: set[str] | None = None  # mailboxes with sent mail of before a restore to match
        self._restored_any: set[str] | None = None  # mailboxes a restore left records of after the backup

    def restored_number(self, mailbox: str, message_id: str) -> str | None:
        """The number a received message was filed under after the backup (the replaced
        database's record, else the number of a mail mailbot sent in reply to it, an ack
        first), when no ticket of the restored database holds that number."""
        if self._restored_any is None:
            self._restored_any = {str(r[0]) for r in self.db.execute("select distinct mailbox from restored")}
        if mailbox not in self._restored_any:
            return None
        rows = self.db.execute(
            "select number from restored where mailbox = ? and number is not null and number != '' and "
            "((direction = 'in' and message_id = ?) or (direction = 'out' and in_reply_to = ?)) "
            "order by direction = 'in' desc, kind = 'ack' desc, at, id", [mailbox, message_id, message_id]).fetchall()
        for (number,) in rows:
            if self.ticket_rows.ticket_by_number(mailbox, number) is None:
                return str(number)
        return None

    def claim_restored(self, mailbox: str, number: str | None, kind: str, rcpt: Sequence[str], now: datetime,
                       arrived: datetime | None = None) -> dict[str, Any] | None:
        """The earliest mail of this kind, ticket and recipients sent after the backup and not
        yet matched to a mail made again since the restore: now matched (claimed), so the mail
        made again is recorded as that one, never sent twice.

        Only mail made again can match: mail caused by a message that reached the mailbox
        before the restore (`arrived`: mail arriving since is new, and so is what it causes),
        or mail of a timer (`arrived` None) that went out in the last `RESTORED_TIMER_WINDOW`
        (a reminder or digest the restored timers make again, not the next day's). Alerts and
        failure reports never match: one alert too many is better than one missing."""
        if kind in NEVER_CLAIMED or not self._has_restored(mailbox):
            return None
        restored_at = self.metadata.meta("restored_at")
        if restored_at is None:
            return None
        if arrived is not None and arrived >= moment(restored_at):
            return None
        since = "" if arrived is not None else ts(now - RESTORED_TIMER_WINDOW)
        row = self.db.execute(
            "select id, message_id, at, archive_path from restored where mailbox = ? and direction = 'out' and "
            "claimed_at is null and coalesce(number, '') = ? and kind = ? and recipients = ? and at >= ? "
            "order by at, id limit 1",
            [mailbox, number or "", kind, restored_recipients(rcpt), since]).fetchone()
        if row is None:
            return None
        self.db.execute("update restored set claimed_at = ? where id = ?", [ts(now), row[0]])
        return {"message_id": row[1], "at": moment(row[2]) if row[2] else now, "archive_path": row[3]}

    def learn_restored(self, mailbox: str, acked: Sequence[tuple[str | None, str, str, str]], now: datetime) -> None:
        """What requesters' replies tell after a restore, each (request Message-ID or None, ack
        Message-ID, ticket number, the requester's address): the request got that number and
        was acked, where neither the archive nor the replaced database said more already and
        the restored database does not record it."""
        with self.db.unit_of_work():
            for request, ack, number, requester in acked:
                if request and self.db.execute("select 1 from messages where mailbox = ? and direction = 'in' "
                                               "and message_id = ?", [mailbox, request]).fetchone() is None:
                    self.db.execute(
                        "insert into restored (mailbox, direction, message_id, number, at) values (?, 'in', ?, ?, ?) "
                        "on conflict (mailbox, direction, message_id) do nothing", [mailbox, request, number, ts(now)])
                if self.db.execute("select 1 from messages where mailbox = ? and direction = 'out' and "
                                   "message_id = ?", [mailbox, ack]).fetchone() is None:
                    self.db.execute(
                        "insert into restored (mailbox, direction, message_id, number, kind, recipients, in_reply_to, "
                        "at) values (?, 'out', ?, ?, 'ack', ?, ?, ?) on conflict (mailbox, direction, message_id) "
                        "do nothing", [mailbox, ack, number, restored_recipients([requester]), request, ts(now)])
        self._restored_boxes = self._restored_any = None  # read again

    def recovering(self) -> set[str]:
        """The mailboxes whose recovery after a restore is still to be made: none of their
        mail is sent before it (it may tell that a queued mail went already)."""
        rows = self.db.execute("select key from meta where key >= ? and key < ?",
                               [RECOVERY, RECOVERY[:-1] + ";"]).fetchall()  # the key's index: `;` follows `:`
        return {str(r[0])[len(RECOVERY):] for r in rows}

    def learn_sent(self, mailbox: str, sent: Sequence[dict[str, Any]], now: datetime) -> int:
        """What the mailbox's sent folder tells after a restore, each copy a row as
        `restored` keeps mail sent (Message-ID, ticket number, kind, recipients, the message it
        answered, when it went): recorded where the restored database does not hold that mail,
        so a request handled again keeps its number and its mail is not sent again. Queued
        mail of the restored outbox whose copy is there went already: marked sent. The count
        of rows learned."""
        learned = 0
        with self.db.unit_of_work():
            for row in sent:
                if self.db.execute("select 1 from messages where mailbox = ? and direction = 'out' and "
                                   "message_id = ?", [mailbox, row["message_id"]]).fetchone() is not None:
                    continue
                cursor = self.db.execute(
                    "insert into restored (mailbox, direction, message_id, number, kind, recipients, in_reply_to, "
                    "at) values (?, 'out', ?, ?, ?, ?, ?, ?) on conflict (mailbox, direction, message_id) do update "
                    "set in_reply_to = coalesce(restored.in_reply_to, excluded.in_reply_to)",
                    [mailbox, row["message_id"], row["number"], row["kind"], row["recipients"], row["in_reply_to"],
                     row["at"]])
                learned += max(cursor.rowcount, 0)
            for row in sent:
                self.db.execute(
                    "update outbox set status = 'sent', sent_at = ?, rcpt_done = rcpt, next_attempt_at = ? "
                    "where mailbox = ? and message_id = ? and status = 'pending'",
                    [row["at"], ts(now), mailbox, row["message_id"]])
        self._restored_boxes = self._restored_any = None  # read again
        return learned

    def _has_restored(self, mailbox: str) -> bool:
        """Whether a restore left mail of this mailbox to match (one read per opening while none)."""
        known = self._restored_boxes
        if known is None:
            rows = self.db.execute("select distinct mailbox from restored where direction = 'out' and "
                                   "claimed_at is null").fetchall()
            known = self._restored_boxes = {str(r[0]) for r in rows}
        return mailbox in known
