"""The outbox: every mail mailbot sends is queued here in the unit of work that causes it,
and the sender marks each row sent, retried or failed. Also what the loop limits and the
ack budget count (`outbox_rcpt`, one row a recipient with its inbox, `inbox_key`).

A mail's bytes leave its row once the archive holds it as it went out; a big mail's bytes
go in and out a piece at a time (`Database.write_blob`, `BLOB_PIECE`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from mailbot.core.inboxes import inbox_key
from mailbot.io.store.database import BLOB_PIECE, Database
from mailbot.io.store.times import moment, parse_ts, ts
from mailbot.model import OutboxRow


class _SQLite:
    """What only SQLite reads in this part (a PostgreSQL engine words it otherwise)."""

    # a comparison is 0 or 1: summed, it counts the rows it holds for
    AUTO_SENT_TO = ("select coalesce(sum(at >= ?), 0), count(*) from outbox_rcpt where inbox = ? and auto = 1 "
                    "and at >= ?")
    SERVER_HELD = "insert or ignore into outbox_server_held (outbox_id) values (?)"
    RAW_DROPPED = "raw = x'', raw_big = null"  # x'': the empty blob


class _PostgreSQL(_SQLite):
    """The same in PostgreSQL's words: a comparison is a boolean (counted with `filter`),
    `on conflict do nothing` for `insert or ignore`, the empty bytea."""

    AUTO_SENT_TO = ("select count(*) filter (where at >= ?), count(*) from outbox_rcpt where inbox = ? and auto = 1 "
                    "and at >= ?")
    SERVER_HELD = "insert into outbox_server_held (outbox_id) values (?) on conflict do nothing"
    RAW_DROPPED = "raw = ''::bytea, raw_big = null"


class Outbox:
    """Queued mail, its delivery marks, and what the limits count."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sql = _PostgreSQL if db.dialect == "postgresql" else _SQLite

    def enqueue(self, *, mailbox: str, ticket_id: int | None, message_id: str, kind: str, mail_from: str,
                rcpt: tuple[str, ...], raw: bytes, auto: bool, now: datetime, audience: str = "",
                slot_at: datetime | None = None, held: bool = False, uncounted: frozenset[str] = frozenset()) -> int:
        """Queue one mail. `auto` marks mail the loop limits count, except to the
        `uncounted` recipients (the sending unit's own people: staff of one unit may write
        to another unit of this process as a requester); `slot_at` is when it may go (later
        than `now` when a limit holds it)."""
        slot = ts(slot_at or now)
        big = len(raw) >= BLOB_PIECE
        outbox_id = self.db.insert(
            "outbox", {
                "mailbox": mailbox, "ticket_id": ticket_id, "message_id": message_id, "kind": kind,
                "mail_from": mail_from, "rcpt": json.dumps(list(rcpt)), "raw": b"" if big else raw,
                "auto": int(auto), "created_at": ts(now), "status": "pending", "attempts": 0,
                "next_attempt_at": slot, "audience": audience, "slot_at": slot, "held": int(held),
            }
        )
        if big:
            self.db.write_blob("outbox", "raw_big", outbox_id, raw)
        self.db.insert_rows("outbox_rcpt", [
            {"outbox_id": outbox_id, "address": address, "auto": int(auto and address not in uncounted),
             "at": ts(now), "inbox": inbox_key(address)} for address in dict.fromkeys(a.lower() for a in rcpt)])
        return outbox_id

    def latest_outbox_id(self, ticket_id: int, kind: str) -> int | None:
        """The newest mail of this kind queued for the ticket."""
        row = self.db.execute("select max(id) from outbox where ticket_id = ? and kind = ?",
                              [ticket_id, kind]).fetchone()
        return row[0] if row else None

    def due_outbox_ids(self, now: datetime, mailboxes: tuple[str, ...]) -> list[int]:
        """Ids of pending mail due at `now`, oldest first (the rows themselves load lazily).

        Mail queued "in the future" was queued while the host clock ran ahead (a VM resumed
        with a wrong clock, then corrected): its send time came from that clock, and it is
        due now rather than when real time reaches the wrong one. Once tried, its next try was
        set by the corrected clock (`outbox_retry`): it waits for that, as every retry does."""
        marks = ",".join("?" * len(mailboxes))
        rows = self.db.query(
            f"select id from outbox where status = 'pending' and next_attempt_at <= ? and mailbox in ({marks}) "
            f"union select id from outbox where status = 'pending' and next_attempt_at > ? and created_at > ? "
            f"and attempts = 0 and mailbox in ({marks}) order by id",
            [ts(now), *mailboxes, ts(now), ts(now), *mailboxes])
        return [r["id"] for r in rows]

    def server_held_ids(self, now: datetime, mailboxes: tuple[str, ...]) -> list[int]:
        """Ids of pending mail not due at `now` that waits only because its server took no
        mail (connection refused, a 421 greeting, MAIL FROM refused), oldest first."""
        marks = ",".join("?" * len(mailboxes))
        rows = self.db.query(
            "select o.id from outbox_server_held h join outbox o on o.id = h.outbox_id where o.status = 'pending' "
            f"and o.next_attempt_at > ? and o.mailbox in ({marks}) order by o.id", [ts(now), *mailboxes])
        return [r["id"] for r in rows]

    def outbox_rows(self, ids: list[int]) -> list[OutboxRow]:
        """The pending rows among `ids`, in the order given. A big mail's bytes are read a
        piece at a time: a plain select has SQLite assemble a copy of them first."""
        marks = ",".join("?" * len(ids))
        columns = ", ".join(f'"{c}"' for c in self.db.columns("outbox") if c != "raw_big")
        found: dict[int, OutboxRow] = {}
        # the archive's name for each, read with it rather than asked for a mail at a time
        kept = ("(select m.archive_path from messages m where m.mailbox = outbox.mailbox and m.direction = 'out' "
                "and m.message_id = outbox.message_id) as kept_path")
        for row in self.db.query(f"select {columns}, raw_big is not null as big, {kept} from outbox "
                                 f"where status = 'pending' and id in ({marks})", ids):
            if row["big"]:
                row["raw"] = self.db.read_blob("outbox", "raw_big", row["id"])
            found[row["id"]] = _outbox_row(row)
        return [found[i] for i in ids if i in found]

    def outbox_accepted(self, outbox_id: int, addresses: tuple[str, ...]) -> None:
        self.db.update("outbox", outbox_id, {"rcpt_done": json.dumps(self._rcpt_done(outbox_id, addresses))})

    def _rcpt_done(self, outbox_id: int, more: tuple[str, ...]) -> list[str]:
        """The recipients of a row the server accepted so far, and `more`."""
        row = self.db.execute("select rcpt_done from outbox where id = ?", [outbox_id]).fetchone()
        return [*json.loads((row[0] if row else None) or "[]"), *more]

    def outbox_note(self, outbox_id: int, error: str) -> None:
        """Why a due mail was not tried in this pass; it stays due, no attempt counted."""
        self.db.execute("update outbox set last_error = ? where id = ?", [error[:500], outbox_id])

    def outbox_retry(self, outbox_id: int, remaining: tuple[str, ...], error: str, retry_at: datetime,
                     *, server: bool = False) -> None:
        """Try the recipients not yet accepted again at `retry_at`; `server`: held because the
        server took no mail (`server_held_ids`)."""
        self.db.execute(
            "update outbox set rcpt = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ? where id = ?",
            [json.dumps(list(remaining)), error[:500], ts(retry_at), outbox_id])
        held = (self.sql.SERVER_HELD if server
                else "delete from outbox_server_held where outbox_id = ?")
        self.db.execute(held, [outbox_id])

    def outbox_finish(self, outbox_id: int, at: datetime, error: str | None = None,
                      accepted: tuple[str, ...] = (), *, drop_raw: bool = True, retried: bool = True) -> None:
        """No recipient left to try: `sent` when one at least accepted it, else `failed`.
        `retried`: the mail was tried before, so it may be marked as held by its server.

        The mail's bytes leave the row (`drop_raw`, or later by `outbox_drop_raw`) once
        the archive holds the mail as it went out (`messages.archive_path`): a row that
        kept them would be read and written whole by every later update (40 MB of memory
        for a mail relaying a 20 MB file).
        """
        # a first try has no recipient accepted before it (`outbox_accepted` is a retry's) and was never held:
        # no statement for the mail that goes at once
        done = self._rcpt_done(outbox_id, accepted) if retried else list(accepted)
        if retried:
            self.db.execute("delete from outbox_server_held where outbox_id = ?", [outbox_id])
        dropped = f"{self.sql.RAW_DROPPED}, " if drop_raw else ""
        self.db.execute(
            f"update outbox set {dropped}rcpt_done = ?, status = ?, sent_at = ?, failed_at = ?, last_error = ?, "
            "attempts = attempts + 1 where id = ?",
            [json.dumps(done), "sent" if done else "failed", ts(at) if done else None, None if done else ts(at),
             error[:500] if error else None, outbox_id])

    def outbox_drop_raw(self, ids: Sequence[int]) -> None:
        """The bytes of finished rows whose archive files are durable now."""
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            self.db.execute(f"update outbox set {self.sql.RAW_DROPPED} where status != 'pending' and id in "
                            f"({','.join('?' * len(chunk))})", list(chunk))

    def outbox_unarchived(self, mailboxes: tuple[str, ...]) -> list[tuple[int, str, str, datetime, bytes]]:
        """The mailboxes' finished rows that still hold their bytes (a stop between the mark
        and the archive's sync): id, mailbox, the archive path recorded for it, queued at, bytes."""
        marks = ",".join("?" * len(mailboxes))
        rows = self.db.query(
            "select o.id, o.mailbox, o.raw, o.created_at, m.archive_path from outbox o left join messages m on "
            "m.mailbox = o.mailbox and m.direction = 'out' and m.message_id = o.message_id "
            f"where o.status != 'pending' and length(o.raw) > 0 and o.mailbox in ({marks})", list(mailboxes))
        return [(r["id"], r["mailbox"], r["archive_path"] or "", moment(r["created_at"]), r["raw"]) for r in rows]

    def outbox_counts(self) -> dict[str, int]:
        return {r["status"]: r["n"] for r in self.db.query("select status, count(*) as n from outbox group by status")}

    def auto_sent_to(self, address: str, recent: datetime, since: datetime) -> tuple[int, int]:
        """Mail counted by the loop limits queued to the inbox of `address` (however spelled:
        `inbox_key`) since `recent` and since `since` (the hour and the day of the limits;
        `since` the earlier), in one statement."""
        row = self.db.execute(
            self.sql.AUTO_SENT_TO,
            [ts(recent), inbox_key(address), ts(since)]).fetchone()
        return int(row[0]), int(row[1])

    def ever_sent_to(self, address: str) -> bool:
        """Whether the unit ever queued mail to the inbox of `address` (a new address)."""
        return self.db.execute("select 1 from outbox_rcpt where inbox = ? limit 1",
                               [inbox_key(address)]).fetchone() is not None

    def acks_sent(self, mailbox: str, queued: datetime, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
        """(first recipient, when it was sent) of the mailbox's acks queued between `queued` and
        `until` and sent between `since` and `until` (what a responder's rounds answer,
        `loops.rotating`): the index's range of a few hours' acks, none of a backlog's own."""
        rows = self.db.execute(
            "select rcpt, sent_at from outbox where mailbox = ? and kind = 'ack' and created_at >= ? "
            "and created_at <= ? and sent_at >= ? and sent_at <= ?",
            [mailbox, ts(queued), ts(until), ts(since), ts(until)]).fetchall()
        return [(next(iter(json.loads(r[0] or "[]")), ""), moment(str(r[1]))) for r in rows]

    def limited_slots(self, ticket_id: int, audience: str, since: datetime) -> list[datetime]:
        """Send times of the limited mail of a ticket's audience from `since` on, oldest first."""
        rows = self.db.query(
            "select slot_at from outbox where ticket_id = ? and audience = ? and auto = 1 and slot_at >= ? "
            "order by slot_at", [ticket_id, audience, ts(since)])
        return [parse_ts(r["slot_at"]) for r in rows]  # type: ignore[misc]

    def held_acks(self, mailbox: str, now: datetime) -> list[dict[str, Any]]:
        """The acks of this mailbox held in the outbox for later (the ack budget),
        oldest first: ticket number, recipients, when queued and when due."""
        rows = self.db.execute(
            "select t.number, o.rcpt, o.created_at, o.next_attempt_at from outbox o left join tickets t "
            "on t.id = o.ticket_id where o.mailbox = ? and o.kind = 'ack' and o.status = 'pending' and o.held = 1 "
            "and o.next_attempt_at > ? order by o.next_attempt_at, o.id", [mailbox, ts(now)]).fetchall()
        return [{"number": str(r[0] or "-"), "to": list(json.loads(r[1] or "[]")), "queued": moment(str(r[2])),
                 "until": moment(str(r[3]))} for r in rows]

    def held_ack(self, ticket_id: int) -> datetime | None:
        """When the ack held for this ticket goes, or None when none is held."""
        row = self.db.execute("select min(next_attempt_at) from outbox where ticket_id = ? and kind = 'ack' "
                              "and status = 'pending' and held = 1", [ticket_id]).fetchone()
        return moment(str(row[0])) if row and row[0] else None



def _outbox_row(r: dict[str, Any]) -> OutboxRow:
    return OutboxRow(r["id"], r["mailbox"], r["ticket_id"], r["message_id"], r["kind"], r["mail_from"],
                     tuple(json.loads(r["rcpt"])), r["raw"], r["attempts"],
                     parse_ts(r["created_at"]) or datetime.now(UTC), r["audience"] or "", r.get("kept_path") or "")
